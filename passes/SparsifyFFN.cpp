//===- SparsifyFFN.cpp - llm.ffn -> sfn ops by sparse mode ------*- C++ -*-===//
//
// Algorithm: parse the options once; then for each llm.ffn, pick its mode
// (layers option > sparsec.mode mark > default-mode, `auto` resolved from the
// block), refuse modes that make no sense for it, and replace it with the
// unfused sfn form of that mode:
//   set   = all_active | select(linear(x, gate)) | predict(p, fc1, fc2)
//   g, u  = gather_matvec(gate|up, set, x)   (exact/threshold reuse select's g)
//   y     = scatter_matvec(down^T, set, activate(g, u)) {layer}
// Every error is reported before the pass fails.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/SparseFFNUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_SPARSIFYFFNPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

class SparsifyFFN : public sparsec::impl::SparsifyFFNPassBase<SparsifyFFN> {
public:
  using SparsifyFFNPassBase::SparsifyFFNPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    std::optional<ModeChoice> fallback = parseModeChoice(defaultMode);
    if (!fallback) {
      module.emitError("sparsec-sparsify-ffn: default-mode '")
          << defaultMode
          << "' is not one of auto, dense, exact, predicted, threshold";
      return signalPassFailure();
    }
    std::optional<LayerSpec> modes = LayerSpec::parse(layerModes, error);
    if (!modes) {
      module.emitError("sparsec-sparsify-ffn: layers: ") << error;
      return signalPassFailure();
    }
    std::optional<LayerSpec> thresholds =
        LayerSpec::parse(activationThreshold, error);
    if (!thresholds) {
      module.emitError("sparsec-sparsify-ffn: activation-threshold: ") << error;
      return signalPassFailure();
    }
    std::optional<float> predictorCutoff;
    if (!StringRef(predictorThreshold).trim().empty()) {
      double value;
      if (StringRef(predictorThreshold).trim().getAsDouble(value)) {
        module.emitError("sparsec-sparsify-ffn: predictor-threshold '")
            << predictorThreshold << "' is not a number";
        return signalPassFailure();
      }
      predictorCutoff = static_cast<float>(value);
    }

    bool ok = true;
    SmallVector<llm::FFNOp> ffns;
    module.walk([&](llm::FFNOp ffn) { ffns.push_back(ffn); });
    for (llm::FFNOp ffn : ffns)
      ok &= succeeded(
          rewrite(ffn, *fallback, *modes, *thresholds, predictorCutoff));
    if (!ok)
      signalPassFailure();
  }

private:
  LogicalResult rewrite(llm::FFNOp ffn, ModeChoice fallback,
                        const LayerSpec &modes, const LayerSpec &thresholds,
                        std::optional<float> predictorCutoff) {
    int64_t layer = static_cast<int64_t>(ffn.getLayer());
    ModeChoice choice = fallback;
    std::optional<std::string> text = requestedMode(ffn, layer, modes);
    if (text) {
      std::optional<ModeChoice> parsed = parseModeChoice(*text);
      if (!parsed)
        return ffn.emitError("layer ")
               << layer << ": unknown sparse mode '" << *text
               << "' (expected auto, dense, exact, predicted or threshold)";
      choice = *parsed;
    }
    llm::Activation activation = ffn.getActivation();
    sfn::SparseMode mode = resolveMode(choice, activation, ffn.hasPredictor());

    std::optional<float> cutoff;
    if (std::optional<std::string> value = thresholds.lookup(layer)) {
      double parsed;
      if (StringRef(*value).getAsDouble(parsed) || parsed < 0)
        return ffn.emitError("layer ")
               << layer << ": activation threshold '" << *value
               << "' is not a non-negative number";
      cutoff = static_cast<float>(parsed);
    }
    if (failed(checkMode(ffn, mode, activation, ffn.hasPredictor(),
                         cutoff.has_value())))
      return failure();

    OpBuilder builder(ffn);
    Location loc = ffn.getLoc();
    FailureOr<Value> downT = createTransposedParam(builder, loc, ffn.getDown());
    if (failed(downT))
      return ffn.emitError("expects the down projection to be an llm.param");

    int64_t intermediate =
        cast<RankedTensorType>(ffn.getGate().getType()).getDimSize(0);
    auto setType = sfn::ActiveSetType::get(ffn.getContext(), intermediate);
    auto compact =
        RankedTensorType::get({ShapedType::kDynamic}, builder.getF32Type());
    auto activationAttr =
        llm::ActivationAttr::get(ffn.getContext(), activation);
    Value x = ffn.getInput();

    Value set, gateValues;
    switch (mode) {
    case sfn::SparseMode::Dense:
      set = sfn::AllActiveOp::create(builder, loc, setType);
      break;
    case sfn::SparseMode::Predicted: {
      float threshold = predictorCutoff.value_or(
          ffn.getPredictorThreshold()
              ? ffn.getPredictorThreshold()->convertToFloat()
              : 0.0f);
      set = sfn::PredictOp::create(
          builder, loc, setType, ffn.getPredictorInput(), ffn.getPredictorFc1(),
          ffn.getPredictorFc2(), builder.getF32FloatAttr(threshold));
      break;
    }
    case sfn::SparseMode::Exact:
    case sfn::SparseMode::Threshold: {
      auto fullType =
          RankedTensorType::get({intermediate}, builder.getF32Type());
      Value gate =
          llm::LinearOp::create(builder, loc, fullType, x, ffn.getGate());
      auto select = sfn::SelectOp::create(
          builder, loc, setType, compact, gate, activationAttr,
          builder.getF32FloatAttr(cutoff.value_or(0.0f)));
      set = select.getActive();
      gateValues = select.getValues();
      break;
    }
    }
    if (!gateValues)
      gateValues = sfn::GatherMatvecOp::create(builder, loc, compact,
                                               ffn.getGate(), set, x);
    Value upValues =
        sfn::GatherMatvecOp::create(builder, loc, compact, ffn.getUp(), set, x);
    Value hidden = sfn::ActivateOp::create(builder, loc, gateValues, upValues,
                                           activationAttr);
    // The scatter carries the block's layer; fusion moves it onto the fused
    // op.
    Value result = sfn::ScatterMatvecOp::create(
        builder, loc, ffn.getResult().getType(), *downT, set, hidden,
        builder.getI64IntegerAttr(layer));
    ffn.getResult().replaceAllUsesWith(result);
    ffn.erase();
    return success();
  }
};

} // namespace

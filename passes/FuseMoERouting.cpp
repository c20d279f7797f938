//===- FuseMoERouting.cpp - llm.moe -> route + top-k dispatch ---*- C++ -*-===//
//
// Algorithm: for each llm.moe, pick the experts' mode (layers option >
// sparsec.mode mark > expert-mode, `auto` resolved from the block) and refuse
// impossible ones; emit sfn.route_experts, then an sfn.dispatch_experts with
// one region per expert holding that expert's sfn.fused_sparse_ffn on the
// region argument (with the block's `layer` and the expert index `expert`).
// Transposed down projections (sparse modes; dense keeps the plain ones)
// are created before the dispatch, so that regions only compute.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/SparseFFNUtils.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_FUSEMOEROUTINGPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

class FuseMoERouting
    : public sparsec::impl::FuseMoERoutingPassBase<FuseMoERouting> {
public:
  using FuseMoERoutingPassBase::FuseMoERoutingPassBase;

  void runOnOperation() override {
    std::optional<ModeChoice> fallback = parseModeChoice(expertMode);
    if (!fallback ||
        (!fallback->isAuto && fallback->mode == sfn::SparseMode::Threshold)) {
      getOperation().emitError("sparsec-fuse-moe-routing: expert-mode '")
          << expertMode << "' is not one of auto, dense, exact, predicted";
      return signalPassFailure();
    }
    std::string error;
    std::optional<LayerSpec> modes = LayerSpec::parse(layerModes, error);
    if (!modes) {
      getOperation().emitError("sparsec-fuse-moe-routing: layers: ") << error;
      return signalPassFailure();
    }
    SmallVector<llm::MoEOp> blocks;
    getOperation().walk([&](llm::MoEOp moe) { blocks.push_back(moe); });
    bool ok = true;
    for (llm::MoEOp moe : blocks)
      ok &= succeeded(rewrite(moe, *fallback, *modes));
    if (!ok)
      signalPassFailure();
  }

private:
  LogicalResult rewrite(llm::MoEOp moe, ModeChoice choice,
                        const LayerSpec &modes) {
    int64_t layer = static_cast<int64_t>(moe.getLayer());
    std::optional<std::string> text = requestedMode(moe, layer, modes);
    if (text) {
      std::optional<ModeChoice> parsed = parseModeChoice(*text);
      if (!parsed)
        return moe.emitError("layer ")
               << layer << ": unknown sparse mode '" << *text
               << "' (expected auto, dense, exact or predicted)";
      if (!parsed->isAuto && parsed->mode == sfn::SparseMode::Threshold)
        return moe.emitError("layer ")
               << layer
               << ": MoE experts have no threshold mode (expected auto, "
                  "dense, exact or predicted)";
      choice = *parsed;
    }
    llm::Activation activation = moe.getActivation();
    sfn::SparseMode mode = resolveMode(choice, activation, moe.hasPredictor());
    if (failed(checkMode(moe, mode, activation, moe.hasPredictor(),
                         /*hasActivationThreshold=*/false)))
      return failure();

    OpBuilder builder(moe);
    Location loc = moe.getLoc();
    MLIRContext *context = moe.getContext();
    int64_t numExperts = static_cast<int64_t>(moe.getNumExperts());
    int64_t topK = static_cast<int64_t>(moe.getTopK());

    // Dense experts read their down projections whole, in their own layout;
    // the sparse modes read them per neuron, transposed.
    SmallVector<Value> downs;
    for (Value down : moe.getDowns()) {
      if (mode == sfn::SparseMode::Dense) {
        downs.push_back(down);
        continue;
      }
      FailureOr<Value> downT = createTransposedParam(builder, loc, down);
      if (failed(downT))
        return moe.emitError("expects expert down projections to be "
                             "llm.param");
      downs.push_back(*downT);
    }

    auto route = sfn::RouteExpertsOp::create(
        builder, loc, RankedTensorType::get({topK}, builder.getI32Type()),
        RankedTensorType::get({topK}, builder.getF32Type()), moe.getInput(),
        moe.getRouter(), builder.getI64IntegerAttr(topK));
    Type vectorType = moe.getResult().getType();
    auto dispatch = sfn::DispatchExpertsOp::create(
        builder, loc, vectorType, route.getExperts(), route.getWeights(),
        moe.getInput(), builder.getI64IntegerAttr(numExperts),
        /*expertBodiesCount=*/numExperts);

    auto modeAttr = sfn::SparseModeAttr::get(context, mode);
    auto activationAttr = llm::ActivationAttr::get(context, activation);
    bool predicted = mode == sfn::SparseMode::Predicted;
    FloatAttr threshold =
        predicted ? moe.getPredictorThresholdAttr() : FloatAttr();
    IntegerAttr layerAttr =
        builder.getI64IntegerAttr(static_cast<int64_t>(moe.getLayer()));
    for (int64_t e = 0; e < numExperts; ++e) {
      Region &region = dispatch.getExpertBodies()[e];
      Block *body = builder.createBlock(&region, {}, {vectorType}, {loc});
      builder.setInsertionPointToStart(body);
      Value result = sfn::FusedSparseFFNOp::create(
          builder, loc, vectorType, body->getArgument(0), moe.getGates()[e],
          moe.getUps()[e], downs[e],
          predicted ? moe.getPredictorInput() : Value(),
          predicted ? moe.getPredictorFc1s()[e] : Value(),
          predicted ? moe.getPredictorFc2s()[e] : Value(), modeAttr,
          activationAttr, threshold, FloatAttr(), layerAttr,
          builder.getI64IntegerAttr(e));
      sfn::YieldOp::create(builder, loc, result);
    }
    moe.getResult().replaceAllUsesWith(dispatch.getResult());
    moe.erase();
    return success();
  }
};

} // namespace

//===- FusePredictorGather.cpp - one op per sparse FFN ----------*- C++ -*-===//
//
// Algorithm: a pattern rooted at each sfn.scatter_matvec walks up its
// operands: the values must come from sfn.activate of two compact vectors,
// the up side from sfn.gather_matvec over the same active set, the gate side
// either from a gather over that set or from the sfn.select that produced
// it (exact/threshold). The set's producer fixes the mode. Every
// intermediate must have no other user, so fusing never duplicates work.
// The matched chain becomes one sfn.fused_sparse_ffn, which takes the
// scatter's `layer`; the rest dies. A dense chain's down projection is
// given in its own layout (the plain llm.param of the transposed one).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/SparseFFNUtils.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_FUSEPREDICTORGATHERPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

struct FuseSparseFFNChain : OpRewritePattern<sfn::ScatterMatvecOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(sfn::ScatterMatvecOp scatter,
                                PatternRewriter &rewriter) const override {
    Value set = scatter.getActive();
    auto activate = scatter.getValues().getDefiningOp<sfn::ActivateOp>();
    if (!activate || !activate->hasOneUse())
      return rewriter.notifyMatchFailure(scatter, "values are not activate()");
    auto up = activate.getUp().getDefiningOp<sfn::GatherMatvecOp>();
    if (!up || !up->hasOneUse() || up.getActive() != set)
      return rewriter.notifyMatchFailure(scatter,
                                         "up is not gathered over the set");
    Value input = up.getInput();

    Value gateWeight;
    auto mode = sfn::SparseMode::Dense;
    Value predictorInput, fc1, fc2;
    FloatAttr predictorThreshold, activationThreshold;
    llm::Activation activation = activate.getActivation();
    Operation *setProducer = set.getDefiningOp();

    if (auto select = dyn_cast_or_null<sfn::SelectOp>(setProducer)) {
      // exact / threshold: the gate was computed densely and selected.
      if (activate.getGate() != select.getValues() ||
          !select.getValues().hasOneUse())
        return rewriter.notifyMatchFailure(scatter, "gate is not select's");
      auto gate = select.getGate().getDefiningOp<llm::LinearOp>();
      if (!gate || !gate->hasOneUse() || gate.getInput() != input)
        return rewriter.notifyMatchFailure(scatter,
                                           "gate is not a matvec of x");
      if (select.getActivation() != activation)
        return rewriter.notifyMatchFailure(scatter, "activations differ");
      gateWeight = gate.getWeight();
      float t = select.getThreshold().convertToFloat();
      if (t == 0.0f && llm::isReLUFamily(activation)) {
        mode = sfn::SparseMode::Exact;
      } else {
        mode = sfn::SparseMode::Threshold;
        activationThreshold = rewriter.getF32FloatAttr(t);
      }
    } else {
      auto gate = activate.getGate().getDefiningOp<sfn::GatherMatvecOp>();
      if (!gate || !gate->hasOneUse() || gate.getActive() != set ||
          gate.getInput() != input)
        return rewriter.notifyMatchFailure(scatter,
                                           "gate is not gathered over the set");
      gateWeight = gate.getWeight();
      if (auto predict = dyn_cast_or_null<sfn::PredictOp>(setProducer)) {
        mode = sfn::SparseMode::Predicted;
        predictorInput = predict.getInput();
        fc1 = predict.getFc1();
        fc2 = predict.getFc2();
        predictorThreshold = predict.getThresholdAttr();
      } else if (!isa_and_nonnull<sfn::AllActiveOp>(setProducer)) {
        return rewriter.notifyMatchFailure(scatter, "unknown set producer");
      }
    }
    // The set may feed only this chain (gather, gather, scatter; or select's
    // set into gather up and scatter).
    for (Operation *user : set.getUsers())
      if (user != scatter && user != up &&
          user != activate.getGate().getDefiningOp())
        return rewriter.notifyMatchFailure(scatter, "set has other users");

    // Dense reads the whole down projection: in its own layout it is a
    // matvec (see the fused op), so the transposed view gives way to it.
    Value down = scatter.getDownT();
    if (mode == sfn::SparseMode::Dense) {
      FailureOr<Value> plain =
          createUntransposedParam(rewriter, scatter.getLoc(), down);
      if (failed(plain))
        return rewriter.notifyMatchFailure(
            scatter, "dense: down is not a transposed llm.param");
      down = *plain;
    }
    rewriter.replaceOpWithNewOp<sfn::FusedSparseFFNOp>(
        scatter, scatter.getResult().getType(), input, gateWeight,
        up.getWeight(), down, predictorInput, fc1, fc2,
        sfn::SparseModeAttr::get(getContext(), mode),
        llm::ActivationAttr::get(getContext(), activation), predictorThreshold,
        activationThreshold, scatter.getLayerAttr(), /*expert=*/IntegerAttr());
    return success();
  }
};

class FusePredictorGather
    : public sparsec::impl::FusePredictorGatherPassBase<FusePredictorGather> {
public:
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSparseFFNChain>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

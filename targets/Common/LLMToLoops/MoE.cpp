//===- MoE.cpp - sfn.route_experts and sfn.dispatch_experts --------------===//
//
// Routing: the router matvec, a max-subtracted softmax over every expert (as
// Mixtral does), top-k by repeated arg-max (ties to the lower index), and
// the chosen weights renormalised. Dispatch: a loop over the top-k choices
// runs an `scf.index_switch` on the expert id whose case `e` holds expert
// `e`'s region, converted like the rest of the step; each case adds its
// weighted result to the output. An expert's kernels, temporaries and stats
// slot therefore exist once, however often it is chosen.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
struct RouteExpertsLowering : public StepOpLowering<sfn::RouteExpertsOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(sfn::RouteExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Type f32 = rewriter.getF32Type();
    auto routerType = cast<RankedTensorType>(op.getRouter().getType());
    int64_t experts = routerType.getDimSize(0);
    int64_t topK = static_cast<int64_t>(op.getTopK());
    Value probs = createTemporary(rewriter, loc, experts, f32);
    kb.matvec(probs, WeightRows(adaptor.getRouter(), op.getRouter()),
              adaptor.getInput(), /*relu=*/false, "router");
    Value maxLogit = kb.loopCarry(
        kb.idx(0), kb.idx(experts), 1, kb.f32(-INFINITY),
        [&](Value e, Value m) {
          return arith::MaximumFOp::create(rewriter, loc, m, kb.load(probs, e))
              .getResult();
        });
    Value sum = kb.loopCarry(
        kb.idx(0), kb.idx(experts), 1, kb.f32(0.0), [&](Value e, Value a) {
          Value p = math::ExpOp::create(rewriter, loc,
                                        kb.sub(kb.load(probs, e), maxLogit));
          kb.store(p, probs, e);
          return kb.add(a, p);
        });
    kb.loop(0, experts, 1, [&](Value e) {
      kb.store(kb.div(kb.load(probs, e), sum), probs, e);
    });
    // Taken experts are marked with -1, below any probability.
    Value ids = createTemporary(rewriter, loc, topK, rewriter.getI32Type());
    Value weights = createTemporary(rewriter, loc, topK, f32);
    Value chosenSum = kb.f32(0.0);
    for (int64_t j = 0; j < topK; ++j) {
      auto best =
          scf::ForOp::create(rewriter, loc, kb.idx(0), kb.idx(experts),
                             kb.idx(1), ValueRange{kb.idx(0), kb.f32(-2.0)});
      {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(best.getBody());
        Value e = best.getInductionVar();
        Value p = kb.load(probs, e);
        Value better =
            arith::CmpFOp::create(rewriter, loc, arith::CmpFPredicate::OGT, p,
                                  best.getRegionIterArgs()[1]);
        Value bestIdx = arith::SelectOp::create(rewriter, loc, better, e,
                                                best.getRegionIterArgs()[0]);
        Value bestP = arith::SelectOp::create(rewriter, loc, better, p,
                                              best.getRegionIterArgs()[1]);
        scf::YieldOp::create(rewriter, loc, ValueRange{bestIdx, bestP});
      }
      Value e = best.getResult(0), p = best.getResult(1);
      kb.store(
          arith::IndexCastOp::create(rewriter, loc, rewriter.getI32Type(), e),
          ids, kb.idx(j));
      kb.store(p, weights, kb.idx(j));
      kb.store(kb.f32(-1.0), probs, e);
      chosenSum = kb.add(chosenSum, p);
    }
    for (int64_t j = 0; j < topK; ++j) {
      Value w = kb.load(weights, kb.idx(j));
      kb.store(kb.div(w, chosenSum), weights, kb.idx(j));
    }
    rewriter.replaceOp(op, ValueRange{ids, weights});
    return success();
  }
};

struct DispatchExpertsLowering : public StepOpLowering<sfn::DispatchExpertsOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(sfn::DispatchExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value ids = adaptor.getExperts(), w = adaptor.getWeights();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
    int64_t topK =
        cast<RankedTensorType>(op.getExperts().getType()).getDimSize(0);
    int64_t experts = static_cast<int64_t>(op.getNumExperts());
    kb.fill(out, hidden, 0.0);

    auto forOp =
        scf::ForOp::create(rewriter, loc, kb.idx(0), kb.idx(topK), kb.idx(1));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(forOp.getBody());
    Value j = forOp.getInductionVar();
    Value e = arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                         kb.load(ids, j));
    SmallVector<int64_t> cases;
    for (int64_t c = 0; c < experts; ++c)
      cases.push_back(c);
    auto switchOp = scf::IndexSwitchOp::create(rewriter, loc, TypeRange{}, e,
                                               cases, cases.size());
    {
      OpBuilder::InsertionGuard caseGuard(rewriter);
      rewriter.createBlock(&switchOp.getDefaultRegion());
      scf::YieldOp::create(rewriter, loc);
    }
    for (int64_t c = 0; c < experts; ++c) {
      OpBuilder::InsertionGuard caseGuard(rewriter);
      Block *caseBlock = rewriter.createBlock(&switchOp.getCaseRegions()[c]);
      // The expert's ops move into the case, reading the dispatch's input;
      // the conversion reaches them after this pattern, and its sfn.yield
      // last: the yield's pattern adds the weighted result (once the value
      // it yields is a memref) and ends the case.
      Block &body = op.getExpertBodies()[c].front();
      Operation *yield = body.getTerminator();
      rewriter.inlineBlockBefore(&body, caseBlock, caseBlock->end(),
                                 ValueRange{op.getInput()});
      step.expertYields[yield] = {out, w, j};
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// Ends an expert's switch case: out += weights[choice] * result.
struct ExpertYieldLowering : public StepOpLowering<sfn::YieldOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(sfn::YieldOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto it = step.expertYields.find(op);
    if (it == step.expertYields.end())
      return rewriter.notifyMatchFailure(op, "not in a dispatched expert");
    ExpertAccumulation acc = it->second;
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value result = adaptor.getValue();
    int64_t hidden = cast<MemRefType>(result.getType()).getDimSize(0);
    Value wj = kb.load(acc.weights, acc.choice);
    kb.loop(0, hidden, 1, [&](Value k) {
      Value o = kb.load(acc.out, k);
      Value r = kb.load(result, k);
      kb.store(kb.add(o, kb.mul(wj, r)), acc.out, k);
    });
    rewriter.replaceOpWithNewOp<scf::YieldOp>(op);
    return success();
  }
};
} // namespace

void sparsec::populateMoEPatterns(RewritePatternSet &patterns,
                                  const LLMToLoopsContext &step) {
  patterns
      .add<RouteExpertsLowering, DispatchExpertsLowering, ExpertYieldLowering>(
          patterns.getContext(), step);
}

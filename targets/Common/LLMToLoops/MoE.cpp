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
// In the prefill step each token of the block is routed the same way (the
// router a matrix-matrix product), then each expert in turn runs once over
// the rows of the tokens routed to it, gathered, as a block of its own:
// its weights are read once for all of them. Each result row is kept per
// (token, choice), and a token's output sums its choices in choice order,
// as the decode step adds them.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "passes/BufferPlan.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// Softmax over one token's router logits `probs` (in place), its top-k
/// experts into `ids` and their renormalised weights into `weights`.
void chooseExperts(KernelBuilder &kb, Value probs, Value ids, Value weights,
                   int64_t experts, int64_t topK) {
  OpBuilder &b = kb.builder();
  Location loc = kb.getLoc();
  Value maxLogit = kb.loopCarry(
      kb.idx(0), kb.idx(experts), 1, kb.f32(-INFINITY), [&](Value e, Value m) {
        return arith::MaximumFOp::create(b, loc, m, kb.load(probs, e))
            .getResult();
      });
  Value sum = kb.loopCarry(
      kb.idx(0), kb.idx(experts), 1, kb.f32(0.0), [&](Value e, Value a) {
        Value p =
            math::ExpOp::create(b, loc, kb.sub(kb.load(probs, e), maxLogit));
        kb.store(p, probs, e);
        return kb.add(a, p);
      });
  kb.loop(0, experts, 1,
          [&](Value e) { kb.store(kb.div(kb.load(probs, e), sum), probs, e); });
  // Taken experts are marked with -1, below any probability.
  Value chosenSum = kb.f32(0.0);
  SmallVector<Value> chosen;
  for (int64_t j = 0; j < topK; ++j) {
    auto best =
        scf::ForOp::create(b, loc, kb.idx(0), kb.idx(experts), kb.idx(1),
                           ValueRange{kb.idx(0), kb.f32(-2.0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(best.getBody());
      Value e = best.getInductionVar();
      Value p = kb.load(probs, e);
      Value better = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, p,
                                           best.getRegionIterArgs()[1]);
      Value bestIdx = arith::SelectOp::create(b, loc, better, e,
                                              best.getRegionIterArgs()[0]);
      Value bestP = arith::SelectOp::create(b, loc, better, p,
                                            best.getRegionIterArgs()[1]);
      scf::YieldOp::create(b, loc, ValueRange{bestIdx, bestP});
    }
    Value e = best.getResult(0), p = best.getResult(1);
    kb.store(arith::IndexCastOp::create(b, loc, b.getI32Type(), e), ids,
             kb.idx(j));
    kb.store(kb.f32(-1.0), probs, e);
    chosen.push_back(p);
    chosenSum = kb.add(chosenSum, p);
  }
  for (int64_t j = 0; j < topK; ++j)
    kb.store(kb.div(chosen[j], chosenSum), weights, kb.idx(j));
}

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
    int64_t hidden = routerType.getDimSize(1);
    int64_t topK = static_cast<int64_t>(op.getTopK());
    int64_t tokens = std::max<int64_t>(step.prefillBlock, 1);
    WeightRows router(adaptor.getRouter(), op.getRouter());
    Value probs = createTemporary(rewriter, loc, tokens * experts, f32);
    Value ids =
        createTemporary(rewriter, loc, tokens * topK, rewriter.getI32Type());
    Value weights = createTemporary(rewriter, loc, tokens * topK, f32);
    if (step.prefillBlock)
      kb.matmul(probs, router, adaptor.getInput(), step.prefillCount, hidden,
                "router");
    else
      kb.matvec(probs, router, adaptor.getInput(), /*relu=*/false, "router");
    forEachToken(kb, step, [&](Value t) {
      chooseExperts(kb, tokenRow(rewriter, loc, step, probs, t, experts),
                    tokenRow(rewriter, loc, step, ids, t, topK),
                    tokenRow(rewriter, loc, step, weights, t, topK), experts,
                    topK);
    });
    rewriter.replaceOp(op, ValueRange{ids, weights});
    return success();
  }
};

struct DispatchExpertsLowering : public StepOpLowering<sfn::DispatchExpertsOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(sfn::DispatchExpertsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (step.prefillBlock)
      return dispatchBlock(op, adaptor, rewriter);
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

private:
  /// The prefill step: each expert once over the rows of the tokens routed
  /// to it (see the file comment).
  LogicalResult dispatchBlock(sfn::DispatchExpertsOp op, OpAdaptor adaptor,
                              ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type(),
         index = rewriter.getIndexType();
    int64_t block = step.prefillBlock;
    int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
    int64_t topK =
        cast<RankedTensorType>(op.getExperts().getType()).getDimSize(0);
    int64_t experts = static_cast<int64_t>(op.getNumExperts());
    Value count = step.prefillCount;
    Value ids = adaptor.getExperts(), w = adaptor.getWeights();
    // Row token * topK + choice: that choice's expert result for the token.
    Value parts = createTemporary(rewriter, loc, block * topK * hidden, f32);
    Value choices = kb.muli(count, kb.idx(topK));

    for (int64_t c = 0; c < experts; ++c) {
      // The tokens routed to expert c, in token order, and their slots in
      // `parts` (a token chooses an expert at most once).
      Value tokens = createTemporary(rewriter, loc, block, i32);
      Value slots = createTemporary(rewriter, loc, block, i32);
      Value routed =
          kb.loopCarry(kb.idx(0), choices, 1, kb.idx(0), [&](Value s, Value n) {
            Value hit = arith::CmpIOp::create(
                rewriter, loc, arith::CmpIPredicate::eq, kb.load(ids, s),
                arith::ConstantOp::create(rewriter, loc,
                                          rewriter.getI32IntegerAttr(c)));
            auto ifOp = scf::IfOp::create(rewriter, loc, index, hit,
                                          /*withElseRegion=*/true);
            OpBuilder::InsertionGuard guard(rewriter);
            rewriter.setInsertionPointToStart(ifOp.thenBlock());
            Value t = arith::DivUIOp::create(rewriter, loc, s, kb.idx(topK));
            kb.store(arith::IndexCastOp::create(rewriter, loc, i32, t), tokens,
                     n);
            kb.store(arith::IndexCastOp::create(rewriter, loc, i32, s), slots,
                     n);
            scf::YieldOp::create(rewriter, loc, kb.addi(n, kb.idx(1)));
            rewriter.setInsertionPointToStart(ifOp.elseBlock());
            scf::YieldOp::create(rewriter, loc, n);
            return ifOp.getResult(0);
          });

      // The expert's kernels read the count from scratch: a kernel only
      // takes values it can recompute from the step's arguments.
      Value routedSlot =
          createTemporary(rewriter, loc, 1, rewriter.getI64Type());
      kb.store(arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                          routed),
               routedSlot, kb.idx(0));
      auto routedLoad = memref::LoadOp::create(rewriter, loc, routedSlot,
                                               ValueRange{kb.idx(0)});
      routedLoad->setAttr(kKernelInvariantAttrName, rewriter.getUnitAttr());
      routed = arith::IndexCastOp::create(rewriter, loc, index, routedLoad);
      // The expert's input rows, and those of the activations its ops read
      // from outside the dispatch (its predictor's input), gathered.
      Block &body = op.getExpertBodies()[c].front();
      auto gather = [&](Value rows) {
        Value gathered = createTemporary(rewriter, loc, block * hidden, f32);
        kb.loop(kb.idx(0), routed, 1, [&](Value r) {
          Value t = arith::IndexCastOp::create(rewriter, loc, index,
                                               kb.load(tokens, r));
          Value from = kb.muli(t, kb.idx(hidden));
          Value to = kb.muli(r, kb.idx(hidden));
          kb.loop(0, hidden, 1, [&](Value k) {
            kb.store(kb.load(rows, kb.addi(from, k)), gathered, kb.addi(to, k));
          });
        });
        return gathered;
      };
      Value input = gather(adaptor.getInput());
      ExpertTokens routedTokens;
      routedTokens.count = routed;
      for (Operation &inner : body) {
        for (Value operand : inner.getOperands()) {
          auto type = dyn_cast<RankedTensorType>(operand.getType());
          Operation *def = operand.getDefiningOp();
          if (!type || type.getRank() != 1 || !def ||
              def->getBlock() == &body || isa<llm::ParamOp>(def) ||
              routedTokens.gathered.count(operand))
            continue;
          if (type.getDimSize(0) != hidden)
            return rewriter.notifyMatchFailure(
                op, "an expert reads an activation of another width");
          routedTokens.gathered[operand] =
              gather(rewriter.getRemappedValue(operand));
        }
      }

      auto ifOp = scf::IfOp::create(
          rewriter, loc, TypeRange{},
          arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ugt,
                                routed, kb.idx(0)),
          /*addThenBlock=*/false, /*addElseBlock=*/false);
      Block *thenBlock = rewriter.createBlock(&ifOp.getThenRegion());
      Operation *yield = body.getTerminator();
      rewriter.inlineBlockBefore(&body, thenBlock, thenBlock->end(),
                                 ValueRange{input});
      step.expertTokens[thenBlock] = std::move(routedTokens);
      step.expertYields[yield] = {parts, {}, {}, slots, routed};
      rewriter.setInsertionPointAfter(ifOp);
    }

    // out[t] = sum over the choices j, in order, of w[t, j] * part (t, j);
    // the last token's only when the step returns it (its logits).
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    bool returned = llvm::any_of(op->getUsers(), [](Operation *user) {
      return isa<func::ReturnOp>(user);
    });
    Value last = arith::SubIOp::create(rewriter, loc, count, kb.idx(1));
    kb.loop(returned ? last : kb.idx(0), count, 1, [&](Value t) {
      Value row = returned ? kb.idx(0) : kb.muli(t, kb.idx(hidden));
      kb.loop(0, hidden, 1, [&](Value k) {
        Value sum = kb.f32(0.0);
        for (int64_t j = 0; j < topK; ++j) {
          Value choice = kb.addi(kb.muli(t, kb.idx(topK)), kb.idx(j));
          Value part =
              kb.load(parts, kb.addi(kb.muli(choice, kb.idx(hidden)), k));
          sum = kb.add(sum, kb.mul(kb.load(w, choice), part));
        }
        kb.store(sum, out, kb.addi(row, k));
      });
    });
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
    int64_t hidden =
        cast<RankedTensorType>(op.getValue().getType()).getDimSize(0);
    if (acc.slots) {
      // Prefill: row r of the result is that of slot slots[r].
      kb.loop(kb.idx(0), acc.count, 1, [&](Value r) {
        Value slot = arith::IndexCastOp::create(
            rewriter, loc, rewriter.getIndexType(), kb.load(acc.slots, r));
        Value from = kb.muli(r, kb.idx(hidden));
        Value to = kb.muli(slot, kb.idx(hidden));
        kb.loop(0, hidden, 1, [&](Value k) {
          kb.store(kb.load(result, kb.addi(from, k)), acc.out, kb.addi(to, k));
        });
      });
      rewriter.replaceOpWithNewOp<scf::YieldOp>(op);
      return success();
    }
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

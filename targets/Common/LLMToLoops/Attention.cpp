//===- Attention.cpp - llm.attention over the KV cache -------------------===//
//
// The step appends this position's keys and values to the cache (serially:
// kv_heads * head_dim elements), then one parallel loop over query heads
// computes scores, a max-subtracted softmax and the weighted sum of values.
// A sliding-window cache is a ring of `slots` positions: position p lives in
// slot p mod slots, and the last min(p + 1, slots) slots are exactly the
// window; softmax does not care about the order of positions.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
struct AttentionLowering : public StepOpLowering<llm::AttentionOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(llm::AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    llm::KVCacheType cache = op.getCacheType();
    int64_t layers = cache.getNumLayers(), slots = cache.getNumSlots(),
            kvHeads = cache.getNumKvHeads(), d = cache.getHeadDim();
    bool ring = cache.isRing();
    int64_t heads = static_cast<int64_t>(op.getNumHeads());
    int64_t group = heads / kvHeads;
    int64_t layer = static_cast<int64_t>(op.getLayer());
    Type elt = cache.getElementType();
    Type f32 = rewriter.getF32Type();
    // Cache layout: [layer][k=0 | v=1][slot][kv head][head dim].
    Value kv = step.abi.getKVCacheView(
        rewriter, loc, MemRefType::get({layers, 2, slots, kvHeads, d}, elt));
    Value q = adaptor.getQuery(), k = adaptor.getKey(), v = adaptor.getValue();
    Value pos = adaptor.getPos();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step.abi);
    Value scores = createTemporary(rewriter, loc, heads * slots, f32);
    Value acc = createTemporary(rewriter, loc, heads * d, f32);

    // Append this position's keys and values.
    {
      Value l = kb.idx(layer);
      Value slot =
          ring ? arith::RemUIOp::create(rewriter, loc, pos, kb.idx(slots))
                     .getResult()
               : pos;
      kb.loop(0, kvHeads, 1, [&](Value h) {
        kb.loop(0, d, 1, [&](Value i) {
          Value flat = kb.addi(kb.muli(h, kb.idx(d)), i);
          auto append = [&](Value src, int64_t which) {
            Value x = kb.load(src, flat);
            if (!elt.isF32())
              x = arith::TruncFOp::create(rewriter, loc, elt, x);
            kb.store(x, kv, {l, kb.idx(which), slot, h, i});
          };
          append(k, 0);
          append(v, 1);
        });
      });
    }

    kb.parallel(heads, [&](Value h) {
      Value l = kb.idx(layer), zero = kb.idx(0), one = kb.idx(1);
      Value last = kb.addi(pos, one);
      if (ring)
        last = arith::MinUIOp::create(rewriter, loc, last, kb.idx(slots));
      Value scale = kb.f32(1.0 / std::sqrt(static_cast<double>(d)));
      auto cacheAt = [&](Value which, Value t, Value g, Value i) {
        return kb.toF32(kb.load(kv, {l, which, t, g, i}));
      };
      Value g = arith::DivUIOp::create(rewriter, loc, h, kb.idx(group));
      Value qBase = kb.muli(h, kb.idx(d));
      Value sBase = kb.muli(h, kb.idx(slots));
      Value maxScore =
          kb.loopCarry(zero, last, 1, kb.f32(-INFINITY), [&](Value t, Value m) {
            Value s = kb.loopCarry(
                zero, kb.idx(d), 1, kb.f32(0.0), [&](Value i, Value a) {
                  Value qi = kb.load(q, kb.addi(qBase, i));
                  return kb.add(a, kb.mul(qi, cacheAt(zero, t, g, i)));
                });
            s = kb.mul(s, scale);
            kb.store(s, scores, kb.addi(sBase, t));
            return arith::MaximumFOp::create(rewriter, loc, m, s).getResult();
          });
      Value sum =
          kb.loopCarry(zero, last, 1, kb.f32(0.0), [&](Value t, Value a) {
            Value p = math::ExpOp::create(
                rewriter, loc,
                kb.sub(kb.load(scores, kb.addi(sBase, t)), maxScore));
            kb.store(p, scores, kb.addi(sBase, t));
            return kb.add(a, p);
          });
      kb.fill(acc, qBase, kb.addi(qBase, kb.idx(d)), 0.0);
      kb.loop(zero, last, 1, [&](Value t) {
        Value p = kb.load(scores, kb.addi(sBase, t));
        kb.loop(0, d, 1, [&](Value i) {
          Value a = kb.load(acc, kb.addi(qBase, i));
          kb.store(kb.add(a, kb.mul(p, cacheAt(one, t, g, i))), acc,
                   kb.addi(qBase, i));
        });
      });
      Value inv = kb.div(kb.f32(1.0), sum);
      kb.loop(0, d, 1, [&](Value i) {
        Value a = kb.load(acc, kb.addi(qBase, i));
        kb.store(kb.mul(a, inv), out, kb.addi(qBase, i));
      });
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void sparsec::populateAttentionPatterns(RewritePatternSet &patterns,
                                        const LLMToLoopsContext &step) {
  patterns.add<AttentionLowering>(patterns.getContext(), step);
}

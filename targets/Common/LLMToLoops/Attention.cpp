//===- Attention.cpp - llm.attention over the KV cache -------------------===//
//
// The step appends this position's keys and values to the cache (serially:
// kv_heads * head_dim elements), then attends in two kernels, split along
// the sequence as flash-decoding does, so that a long context spreads over
// every thread:
//
//  1. For each KV head and each split of kPositionsPerSplit cached
//     positions, in parallel: for each query head of the KV head's group,
//     the scores (vectorised dot products with the split's key rows), their
//     max m, p_t = exp(s_t - m), their sum l, and the unnormalised sum of
//     p_t * value rows (four positions per pass over the accumulator). The
//     group's query heads read the same key and value rows, which one
//     thread reads from memory once.
//  2. For each query head, in parallel: the splits merged in split order,
//     out = sum_s exp(m_s - M) acc_s / sum_s exp(m_s - M) l_s with M the
//     largest m_s.
//
// Splits are fixed positions of the cache, never a function of the thread
// count, and the merge order is fixed: results are identical at any thread
// count. A sliding-window cache is a ring of `slots` positions: position p
// lives in slot p mod slots, and the last min(p + 1, slots) slots are
// exactly the window; softmax does not care about the order of positions.
// In the prefill step a ring's block (at most `slots` tokens, which the
// runtime guarantees) first copies the rows its tokens will overwrite into
// a staging buffer: token t attends to the ring's slots but those of the
// block's later tokens (masked: they held older positions that t still
// attends to), and to those older positions' rows from the staging buffer,
// merged after the ring's splits.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>
#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// Cached positions per split of the sequence (kernel 1 above). Long
/// enough that a split's rows stream, short enough that a 4096-position
/// context gives every thread of a big machine work.
constexpr int64_t kPositionsPerSplit = 256;
/// Value rows that share one pass over a split's accumulator.
constexpr int64_t kPositionsPerPass = 4;

/// Rows [slot][head dim] of KV head `g`'s keys (which = 0) or values (1) in
/// layer `l` of the cache [layer][k | v][kv head][slot][head dim]: one
/// contiguous block, which a split streams.
Value cacheRows(OpBuilder &b, Location loc, Value kv, Value l, int64_t which,
                Value g) {
  auto type = cast<MemRefType>(kv.getType());
  int64_t slots = type.getDimSize(3), d = type.getDimSize(4);
  SmallVector<OpFoldResult> offsets = {l, b.getIndexAttr(which), g,
                                       b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                     b.getIndexAttr(1), b.getIndexAttr(slots),
                                     b.getIndexAttr(d)};
  SmallVector<OpFoldResult> strides(5, b.getIndexAttr(1));
  auto rowsType =
      cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          {slots, d}, type, offsets, sizes, strides));
  return memref::SubViewOp::create(b, loc, rowsType, kv, offsets, sizes,
                                   strides);
}

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
    // Cache layout: [layer][k=0 | v=1][kv head][slot][head dim]: a KV head's
    // keys (values) are contiguous, position after position.
    Value kv = step.abi.getKVCacheView(
        rewriter, loc, MemRefType::get({layers, 2, kvHeads, slots, d}, elt));
    Value q = adaptor.getQuery(), k = adaptor.getKey(), v = adaptor.getValue();
    Value pos = adaptor.getPos();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);

    // A prefill block's tokens: token t is at position pos + t, its rows
    // are row t of q, k, v and out; in the decode step t is 0.
    int64_t qSize = heads * d, kvSize = kvHeads * d;
    int64_t tokens = std::max<int64_t>(step.prefillBlock, 1);
    // In the prefill step with a ring: the block's slots' rows as they were
    // before the block ([1][k | v][kv head][token][head dim], f32 holds the
    // cache's values exactly), and a split after the ring's for them.
    bool staged = ring && step.prefillBlock > 0;
    // Scores per head and cached position (then the staging split's).
    Value scores = createTemporary(
        rewriter, loc, heads * (slots + (staged ? tokens : 0)), f32);
    auto lastOf = [&](Value t) {
      // Positions [0, last) are attended to by token t.
      Value last = kb.addi(tokenPosition(kb, step, pos, t), kb.idx(1));
      if (ring)
        last = arith::MinUIOp::create(rewriter, loc, last, kb.idx(slots));
      return last;
    };

    Value l = kb.idx(layer);
    Value firstSlot =
        staged ? arith::RemUIOp::create(rewriter, loc, pos, kb.idx(slots))
                     .getResult()
               : Value();
    auto slotOf = [&](Value t) -> Value {
      Value at = tokenPosition(kb, step, pos, t);
      return ring ? arith::RemUIOp::create(rewriter, loc, at, kb.idx(slots))
                        .getResult()
                  : at;
    };
    Value staging;
    if (staged) {
      staging = memref::AllocOp::create(
          rewriter, loc, MemRefType::get({1, 2, kvHeads, tokens, d}, f32),
          rewriter.getI64IntegerAttr(64));
      forEachToken(kb, step, [&](Value t) {
        Value slot = slotOf(t);
        kb.loop(0, kvHeads, 1, [&](Value h) {
          kb.loop(0, d, 1, [&](Value i) {
            for (int64_t which = 0; which < 2; ++which) {
              Value x = kb.toF32(memref::LoadOp::create(
                  rewriter, loc, kv, ValueRange{l, kb.idx(which), h, slot, i}));
              kb.store(x, staging, {kb.idx(0), kb.idx(which), h, t, i});
            }
          });
        });
      });
    }

    // Append the tokens' keys and values (all of them first: token t attends
    // to the block's tokens before it).
    forEachToken(kb, step, [&](Value t) {
      Value kRow = tokenRow(rewriter, loc, step, k, t, kvSize);
      Value vRow = tokenRow(rewriter, loc, step, v, t, kvSize);
      Value slot = slotOf(t);
      kb.loop(0, kvHeads, 1, [&](Value h) {
        kb.loop(0, d, 1, [&](Value i) {
          Value flat = kb.addi(kb.muli(h, kb.idx(d)), i);
          auto append = [&](Value src, int64_t which) {
            Value x = kb.load(src, flat);
            if (!elt.isF32())
              x = arith::TruncFOp::create(rewriter, loc, elt, x);
            kb.store(x, kv, {l, kb.idx(which), h, slot, i});
          };
          append(kRow, 0);
          append(vRow, 1);
        });
      });
    });

    int64_t splits = (slots + kPositionsPerSplit - 1) / kPositionsPerSplit;
    // Partial results per token, head and split (the staging split last).
    int64_t partials = splits + (staged ? 1 : 0);
    Value partialAcc =
        createTemporary(rewriter, loc, tokens * heads * partials * d, f32);
    Value partialMax =
        createTemporary(rewriter, loc, tokens * heads * partials, f32);
    Value partialSum =
        createTemporary(rewriter, loc, tokens * heads * partials, f32);
    Value scale = kb.f32(1.0 / std::sqrt(static_cast<double>(d)));
    int64_t lanes = step.target.getVectorWidth();
    auto vecType = VectorType::get({lanes}, f32);

    // Token t's attention over rows [lo, hi) of `keys` and `values`, as
    // partial result `s` of the KV head g's query heads; their scores at
    // scoreBase(h) + row. A row for which `masked` gives true scores -inf.
    auto attendRows = [&](const WeightRows &keys, const WeightRows &values,
                          Value g, Value s, Value t, Value lo, Value hi,
                          function_ref<Value(Value)> scoreBase,
                          function_ref<Value(Value)> masked) {
      Value qRow = tokenRow(rewriter, loc, step, q, t, qSize);
      // The group's query heads, unrolled: each key and value row is
      // read once for all of them.
      SmallVector<Value> qs, sBases, slotsOf, accBases;
      for (int64_t j = 0; j < group; ++j) {
        Value h = kb.addi(kb.muli(g, kb.idx(group)), kb.idx(j));
        qs.push_back(rowView(rewriter, loc, qRow, h, d));
        sBases.push_back(scoreBase(h));
        Value th = kb.addi(kb.muli(t, kb.idx(heads)), h);
        slotsOf.push_back(kb.addi(kb.muli(th, kb.idx(partials)), s));
        accBases.push_back(kb.muli(slotsOf.back(), kb.idx(d)));
      }
      // Scores and their maxima.
      SmallVector<Value> minusInf(group, kb.f32(-INFINITY));
      auto scoreLoop =
          scf::ForOp::create(rewriter, loc, lo, hi, kb.idx(1), minusInf);
      {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(scoreLoop.getBody());
        Value row = scoreLoop.getInductionVar();
        Value hidden = masked ? masked(row) : Value();
        SmallVector<Value> dots = kb.dots(keys, row, qs, d), maxima;
        for (int64_t j = 0; j < group; ++j) {
          Value score = kb.mul(dots[j], scale);
          if (hidden)
            score = arith::SelectOp::create(rewriter, loc, hidden,
                                            kb.f32(-INFINITY), score);
          kb.store(score, scores, kb.addi(sBases[j], row));
          maxima.push_back(arith::MaximumFOp::create(
              rewriter, loc, scoreLoop.getRegionIterArgs()[j], score));
        }
        scf::YieldOp::create(rewriter, loc, maxima);
      }
      Value count = arith::SubIOp::create(rewriter, loc, hi, lo);
      for (int64_t j = 0; j < group; ++j) {
        Value m = scoreLoop.getResult(j), sBase = sBases[j];
        // Every row masked: m = -inf would make exp(-inf - m) NaN; the
        // lowest finite m makes their p 0 and the split's weight 0.
        if (masked)
          m = arith::MaximumFOp::create(
              rewriter, loc, m, kb.f32(-std::numeric_limits<float>::max()));
        // p_t = exp(s_t - m), `lanes` positions at a time (one vector
        // exp), the sum in lanes; then the rest one by one.
        Value vecEnd = kb.addi(
            lo,
            kb.muli(arith::DivUIOp::create(rewriter, loc, count, kb.idx(lanes)),
                    kb.idx(lanes)));
        Value mv = vector::BroadcastOp::create(rewriter, loc, vecType, m);
        Value zeros = arith::ConstantOp::create(
            rewriter, loc, vecType, DenseElementsAttr::get(vecType, 0.0f));
        auto vecLoop = scf::ForOp::create(rewriter, loc, lo, vecEnd,
                                          kb.idx(lanes), ValueRange{zeros});
        {
          OpBuilder::InsertionGuard guard(rewriter);
          rewriter.setInsertionPointToStart(vecLoop.getBody());
          Value at = kb.addi(sBase, vecLoop.getInductionVar());
          Value sv = vector::LoadOp::create(rewriter, loc, vecType, scores,
                                            ValueRange{at});
          Value p = math::ExpOp::create(
              rewriter, loc,
              arith::SubFOp::create(rewriter, loc, sv, mv).getResult());
          vector::StoreOp::create(rewriter, loc, p, scores, ValueRange{at});
          scf::YieldOp::create(
              rewriter, loc,
              ValueRange{arith::AddFOp::create(
                  rewriter, loc, vecLoop.getRegionIterArgs()[0], p)});
        }
        Value vecSum = vector::ReductionOp::create(
            rewriter, loc, vector::CombiningKind::ADD, vecLoop.getResult(0));
        Value sum = kb.loopCarry(vecEnd, hi, 1, vecSum, [&](Value r, Value a) {
          Value p = math::ExpOp::create(
              rewriter, loc, kb.sub(kb.load(scores, kb.addi(sBase, r)), m));
          kb.store(p, scores, kb.addi(sBase, r));
          return kb.add(a, p);
        });
        kb.store(m, partialMax, slotsOf[j]);
        kb.store(sum, partialSum, slotsOf[j]);
        kb.fill(partialAcc, accBases[j], kb.addi(accBases[j], kb.idx(d)), 0.0);
      }
      // acc += p_t * v_t for every head of the group, four positions
      // per pass over the accumulators (the additions in position
      // order), then the rest one by one.
      auto accumulate = [&](Value first, int64_t count) {
        SmallVector<Value> rows;
        for (int64_t r = 0; r < count; ++r)
          rows.push_back(kb.addi(first, kb.idx(r)));
        SmallVector<SmallVector<Value>> weights;
        for (int64_t j = 0; j < group; ++j) {
          weights.emplace_back();
          for (Value r : rows)
            weights.back().push_back(kb.load(scores, kb.addi(sBases[j], r)));
        }
        kb.accumulateRowsInto(values, rows, weights, partialAcc, accBases, d);
      };
      Value passes = arith::DivUIOp::create(rewriter, loc, count,
                                            kb.idx(kPositionsPerPass));
      kb.loop(kb.idx(0), passes, 1, [&](Value p) {
        accumulate(kb.addi(lo, kb.muli(p, kb.idx(kPositionsPerPass))),
                   kPositionsPerPass);
      });
      kb.loop(kb.addi(lo, kb.muli(passes, kb.idx(kPositionsPerPass))), hi, 1,
              [&](Value r) { accumulate(r, 1); });
    };

    // The ring split of cached positions [lo, lo + kPositionsPerSplit).
    auto attendCache = [&](Value g, Value s) {
      Value lo = kb.muli(s, kb.idx(kPositionsPerSplit));
      WeightRows keys(cacheRows(rewriter, loc, kv, l, 0, g), elt);
      WeightRows values(cacheRows(rewriter, loc, kv, l, 1, g), elt);
      // The split's rows stay in cache across the block's tokens.
      forEachToken(kb, step, [&](Value t) {
        // Empty past the token's last position: hi = lo.
        Value hi = arith::MaxUIOp::create(
            rewriter, loc, lo,
            arith::MinUIOp::create(rewriter, loc,
                                   kb.addi(lo, kb.idx(kPositionsPerSplit)),
                                   lastOf(t)));
        // Staged: the slots of tokens t + 1 .. count - 1, the `later` slots
        // from (firstSlot + t + 1) mod slots on, hold what t must not see.
        std::function<Value(Value)> masked;
        if (staged) {
          Value from = kb.addi(firstSlot, kb.addi(t, kb.idx(1)));
          from = arith::RemUIOp::create(rewriter, loc, from, kb.idx(slots));
          Value later = arith::SubIOp::create(rewriter, loc, step.prefillCount,
                                              kb.addi(t, kb.idx(1)));
          masked = [&, from, later](Value slot) -> Value {
            Value diff = arith::SubIOp::create(
                rewriter, loc, kb.addi(slot, kb.idx(slots)), from);
            Value wrapped = arith::CmpIOp::create(
                rewriter, loc, arith::CmpIPredicate::uge, diff, kb.idx(slots));
            Value distance = arith::SelectOp::create(
                rewriter, loc, wrapped,
                arith::SubIOp::create(rewriter, loc, diff, kb.idx(slots)),
                diff);
            return arith::CmpIOp::create(
                rewriter, loc, arith::CmpIPredicate::ult, distance, later);
          };
        }
        attendRows(
            keys, values, g, s, t, lo, hi,
            [&](Value h) { return kb.muli(h, kb.idx(slots)); },
            masked ? function_ref<Value(Value)>(masked)
                   : function_ref<Value(Value)>());
      });
    };
    // The staging split: token t attends to the rows of tokens t + 1 ..
    // count - 1 that held positions (pos + t' - slots >= 0, so t' >= slots
    // - pos).
    auto attendStaged = [&](Value g) {
      WeightRows keys(cacheRows(rewriter, loc, staging, kb.idx(0), 0, g), f32);
      WeightRows values(cacheRows(rewriter, loc, staging, kb.idx(0), 1, g),
                        f32);
      Value unwritten = arith::SubIOp::create(
          rewriter, loc, kb.idx(slots),
          arith::MinUIOp::create(rewriter, loc, pos, kb.idx(slots)));
      forEachToken(kb, step, [&](Value t) {
        Value lo = arith::MaxUIOp::create(rewriter, loc, kb.addi(t, kb.idx(1)),
                                          unwritten);
        Value hi = arith::MaxUIOp::create(rewriter, loc, lo, step.prefillCount);
        attendRows(
            keys, values, g, kb.idx(splits), t, lo, hi,
            [&](Value h) {
              return kb.addi(kb.idx(heads * slots), kb.muli(h, kb.idx(tokens)));
            },
            nullptr);
      });
    };

    kb.parallel(
        kvHeads * partials,
        [&](Value it) {
          Value g = arith::DivUIOp::create(rewriter, loc, it, kb.idx(partials));
          Value s = arith::RemUIOp::create(rewriter, loc, it, kb.idx(partials));
          if (!staged)
            return attendCache(g, s);
          Value isRing = arith::CmpIOp::create(
              rewriter, loc, arith::CmpIPredicate::ult, s, kb.idx(splits));
          auto ifOp = scf::IfOp::create(rewriter, loc, isRing,
                                        /*withElseRegion=*/true);
          OpBuilder::InsertionGuard guard(rewriter);
          rewriter.setInsertionPointToStart(ifOp.thenBlock());
          attendCache(g, s);
          rewriter.setInsertionPointToStart(ifOp.elseBlock());
          attendStaged(g);
        },
        "scores and values");

    // Merge the splits that hold positions, in split order (the staging
    // split last).
    kb.parallel(
        heads,
        [&](Value h) {
          forEachToken(kb, step, [&](Value t) {
            Value outRow = tokenRow(rewriter, loc, step, out, t, qSize);
            Value used = arith::DivUIOp::create(
                rewriter, loc,
                kb.addi(lastOf(t), kb.idx(kPositionsPerSplit - 1)),
                kb.idx(kPositionsPerSplit));
            Value th = kb.addi(kb.muli(t, kb.idx(heads)), h);
            Value first = kb.muli(th, kb.idx(partials));
            auto forEachPartial = [&](Value init,
                                      function_ref<Value(Value, Value)> body) {
              Value result = kb.loopCarry(kb.idx(0), used, 1, init, body);
              return staged ? body(kb.idx(splits), result) : result;
            };
            Value biggest =
                forEachPartial(kb.f32(-INFINITY), [&](Value s, Value m) {
                  return arith::MaximumFOp::create(
                             rewriter, loc, m,
                             kb.load(partialMax, kb.addi(first, s)))
                      .getResult();
                });
            Value qBase = kb.muli(h, kb.idx(d));
            kb.fill(outRow, qBase, kb.addi(qBase, kb.idx(d)), 0.0);
            Value total = forEachPartial(kb.f32(0.0), [&](Value s, Value a) {
              Value slot = kb.addi(first, s);
              Value w = math::ExpOp::create(
                  rewriter, loc, kb.sub(kb.load(partialMax, slot), biggest));
              Value accBase = kb.muli(slot, kb.idx(d));
              kb.loop(0, d, 1, [&](Value i) {
                Value o = kb.load(outRow, kb.addi(qBase, i));
                Value x = kb.load(partialAcc, kb.addi(accBase, i));
                kb.store(kb.add(o, kb.mul(w, x)), outRow, kb.addi(qBase, i));
              });
              return kb.add(a, kb.mul(w, kb.load(partialSum, slot)));
            });
            Value inv = kb.div(kb.f32(1.0), total);
            kb.loop(0, d, 1, [&](Value i) {
              Value o = kb.load(outRow, kb.addi(qBase, i));
              kb.store(kb.mul(o, inv), outRow, kb.addi(qBase, i));
            });
          });
        },
        "merge");
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void sparsec::populateAttentionPatterns(RewritePatternSet &patterns,
                                        const LLMToLoopsContext &step) {
  patterns.add<AttentionLowering>(patterns.getContext(), step);
}

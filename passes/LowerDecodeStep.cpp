//===- LowerDecodeStep.cpp - llm/sfn decode step -> loops -------*- C++ -*-===//
//
// Algorithm: find the function marked llm.decode_step; create
// sparsec_decode_step with the kernel ABI signature; then walk the old body
// in order, giving every tensor value a memref (weights: views of the
// weights buffer at their WeightSlots offsets; activations: stack buffers
// allocated at entry; the returned logits: the logits argument) and
// emitting each op as loops specialised to its static shapes. Regions of
// sfn.dispatch_experts are lowered the same way inside the cases of an
// scf.index_switch on the selected expert. The old function is erased.
//
// Numerics: all arithmetic is f32; weights are extended from f16/bf16 as
// they are loaded. Dot products use `vector-width` lanes and a reduction at
// the end; sparse FFNs accumulate the down projection neuron by neuron in
// index order, so results do not depend on anything but the inputs.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/WeightSlots.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "sparsec/kernel_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>
#include <functional>

namespace mlir::sparsec {
#define GEN_PASS_DEF_LOWERDECODESTEPPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// Where a buffer lives, so that any function with the ABI arguments can
/// rebuild it: a view of one argument at a fixed byte offset (and, for a
/// neuron-bundle part, a strided subview of that view).
struct Recipe {
  enum Base { Weights = 0, KVCache = 1, Logits = 2, Stats = 3, Scratch = 4 };
  Base base;
  int64_t offset = 0;
  MemRefType type;
  int64_t part = -1; ///< bundle part: a subview of `type` ([N, P, H])
};

/// Per-function state: the ABI arguments and the buffers built so far.
struct FunctionContext {
  Value args[5]; ///< weights, kv cache, logits, stats, scratch
  Value token, pos;
  Block *entry = nullptr; ///< views are built at its start, in order
  Operation *anchor = nullptr; ///< insert views before this op
  DenseMap<int64_t, Value> built; ///< recipe index -> memref
};

/// Emits one decode step. Serial parts go into sparsec_decode_step; every
/// data-parallel loop becomes a kernel of sparsec_run_range, which the step
/// calls through the runtime's sparsec_parallel_for(kernel, n). Kernels and
/// the step see the same buffers: weights and the KV cache are arguments,
/// activations and temporaries live in the scratch argument at offsets fixed
/// here, so no data is passed between them but the ABI arguments.
class StepLowering {
public:
  StepLowering(OpBuilder &builder, const WeightSlots &slots,
               int64_t vectorWidth)
      : loc(builder.getUnknownLoc()), b(builder), slots(slots),
        vectorWidth(vectorWidth) {}

  /// Lowers the ops of `block` (not its terminator) in order.
  LogicalResult lowerBlock(Block &block);

  /// Tensor value -> recipe index.
  DenseMap<Value, int64_t> tensors;
  std::vector<Recipe> recipes;
  /// Kernel bodies, emitted into sparsec_run_range after the step.
  std::vector<std::function<void(Value, Value)>> kernels;
  FunctionContext *ctx = nullptr;
  Value logitsValue;
  int64_t nextStatsSlot = 0;
  int64_t scratchBytes = 0;
  FlatSymbolRefAttr parallelFor;
  Location loc;

  int64_t addRecipe(Recipe recipe) {
    recipes.push_back(recipe);
    return static_cast<int64_t>(recipes.size()) - 1;
  }
  /// A scratch buffer of `n` elements (64-byte aligned).
  int64_t scratch(int64_t n, Type elt) {
    int64_t bytes =
        n * (elt.isIndex()
                 ? 8
                 : std::max<int64_t>(1, elt.getIntOrFloatBitWidth() / 8));
    int64_t offset = scratchBytes;
    scratchBytes += (bytes + 63) / 64 * 64;
    return addRecipe({Recipe::Scratch, offset, MemRefType::get({n}, elt)});
  }
  /// The memref of recipe `id` in the current function.
  Value get(int64_t id) {
    auto it = ctx->built.find(id);
    if (it != ctx->built.end())
      return it->second;
    const Recipe &r = recipes[id];
    OpBuilder eb(b.getContext());
    if (ctx->anchor)
      eb.setInsertionPoint(ctx->anchor);
    else
      eb.setInsertionPointToStart(ctx->entry);
    Value result;
    if (r.base == Recipe::Logits || r.base == Recipe::Stats) {
      result = memref::CastOp::create(eb, loc, r.type, ctx->args[r.base]);
    } else if (r.part >= 0) {
      Value bundle = getBase(eb, r.base, r.offset, r.type);
      int64_t n = r.type.getDimSize(0), h = r.type.getDimSize(2);
      SmallVector<OpFoldResult> offsets{eb.getIndexAttr(0),
                                        eb.getIndexAttr(r.part),
                                        eb.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes{eb.getIndexAttr(n), eb.getIndexAttr(1),
                                      eb.getIndexAttr(h)};
      SmallVector<OpFoldResult> strides(3, eb.getIndexAttr(1));
      auto viewType =
          cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
              {n, h}, r.type, offsets, sizes, strides));
      result = memref::SubViewOp::create(eb, loc, viewType, bundle, offsets,
                                         sizes, strides);
    } else {
      result = getBase(eb, r.base, r.offset, r.type);
    }
    ctx->built[id] = result;
    return result;
  }
  Value getBase(OpBuilder &eb, Recipe::Base base, int64_t offset,
                MemRefType type) {
    Value shift = arith::ConstantIndexOp::create(eb, loc, offset);
    return memref::ViewOp::create(eb, loc, type, ctx->args[base], shift,
                                  ValueRange{});
  }
  Value buffer(Value tensor) { return get(tensors.lookup(tensor)); }
  int64_t recipeOf(Value tensor) { return tensors.lookup(tensor); }
  /// The output recipe for `result` (the logits argument if it is returned).
  int64_t outputFor(Value result) {
    int64_t n = cast<RankedTensorType>(result.getType()).getDimSize(0);
    int64_t id = result == logitsValue
                     ? addRecipe({Recipe::Logits, 0,
                                  MemRefType::get({n}, b.getF32Type())})
                     : scratch(n, b.getF32Type());
    tensors[result] = id;
    return id;
  }

private:
  //===--- small builders ---------------------------------------------===//
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value addi(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value muli(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value max0(Value x) {
    return arith::MaximumFOp::create(b, loc, x, f32(0.0));
  }
  Value toF32(Value v) {
    Type t = v.getType();
    Type elt = getElementTypeOrSelf(t);
    if (elt.isF32())
      return v;
    Type target = b.getF32Type();
    if (auto vec = dyn_cast<VectorType>(t))
      target = VectorType::get(vec.getShape(), b.getF32Type());
    return arith::ExtFOp::create(b, loc, target, v);
  }

  /// Largest power-of-two lane count <= vectorWidth dividing n (>= 1).
  int64_t lanesFor(int64_t n) {
    int64_t lanes = vectorWidth;
    while (lanes > 1 && n % lanes != 0)
      lanes /= 2;
    return std::max<int64_t>(lanes, 1);
  }

  void loop(Value lo, Value hi, int64_t step,
            function_ref<void(Value)> body) {
    auto forOp = scf::ForOp::create(b, loc, lo, hi, idx(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    body(forOp.getInductionVar());
  }
  void loop(int64_t lo, int64_t hi, int64_t step,
            function_ref<void(Value)> body) {
    loop(idx(lo), idx(hi), step, body);
  }
  Value loopCarry(Value lo, Value hi, int64_t step, Value init,
                  function_ref<Value(Value, Value)> body) {
    auto forOp = scf::ForOp::create(b, loc, lo, hi, idx(step), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value next = body(forOp.getInductionVar(), forOp.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, next);
    return forOp.getResult(0);
  }

  /// Runs kernel `body(begin, end)` over [0, n) through the runtime's
  /// thread pool. The body may only use recipes and constants: it is
  /// emitted into another function.
  void parallel(int64_t n, std::function<void(Value, Value)> body) {
    int64_t id = static_cast<int64_t>(kernels.size());
    kernels.push_back(std::move(body));
    Value kernel = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(id));
    Value count = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(n));
    func::CallOp::create(b, loc, parallelFor, TypeRange{},
                         ValueRange{kernel, count});
  }

  /// dot(row `row` of the 2-D memref `w` (any float type, unit inner
  /// stride), the f32 vector `x` of `n` elements), in f32.
  Value dot(Value w, Value row, Value x, int64_t n) {
    int64_t lanes = lanesFor(n);
    auto accType = VectorType::get({lanes}, b.getF32Type());
    Type wElt = cast<MemRefType>(w.getType()).getElementType();
    auto wVecType = VectorType::get({lanes}, wElt);
    Value zero = arith::ConstantOp::create(
        b, loc, accType, DenseElementsAttr::get(accType, 0.0f));
    // Independent accumulators hide the FMA latency, so a row streams at
    // memory speed rather than at one FMA per latency.
    int64_t chains = 1;
    while (chains < 4 && n % (lanes * chains * 2) == 0)
      chains *= 2;
    SmallVector<Value> init(chains, zero);
    auto forOp = scf::ForOp::create(b, loc, idx(0), idx(n),
                                    idx(lanes * chains), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forOp.getBody());
      Value k = forOp.getInductionVar();
      SmallVector<Value> next;
      for (int64_t c = 0; c < chains; ++c) {
        Value kc = c == 0 ? k : addi(k, idx(c * lanes));
        Value wv = toF32(vector::LoadOp::create(b, loc, wVecType, w,
                                                ValueRange{row, kc}));
        Value xv = vector::LoadOp::create(b, loc, accType, x, ValueRange{kc});
        next.push_back(vector::FMAOp::create(b, loc, wv, xv,
                                             forOp.getRegionIterArgs()[c]));
      }
      scf::YieldOp::create(b, loc, next);
    }
    Value acc = forOp.getResult(0);
    for (int64_t c = 1; c < chains; ++c)
      acc = arith::AddFOp::create(b, loc, acc, forOp.getResult(c));
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                       acc);
  }
  /// out[i] += s * w[row, i] for i < n.
  void axpy(Value out, Value s, Value w, Value row, int64_t n) {
    int64_t lanes = lanesFor(n);
    auto vecType = VectorType::get({lanes}, b.getF32Type());
    Type wElt = cast<MemRefType>(w.getType()).getElementType();
    auto wVecType = VectorType::get({lanes}, wElt);
    Value sv = vector::BroadcastOp::create(b, loc, vecType, s);
    loop(0, n, lanes, [&](Value k) {
      Value wv = toF32(vector::LoadOp::create(b, loc, wVecType, w,
                                              ValueRange{row, k}));
      Value ov = vector::LoadOp::create(b, loc, vecType, out, ValueRange{k});
      Value r = vector::FMAOp::create(b, loc, wv, sv, ov);
      vector::StoreOp::create(b, loc, r, out, ValueRange{k});
    });
  }
  void fill(Value out, Value lo, Value hi, double value) {
    Value v = f32(value);
    loop(lo, hi, 1, [&](Value i) { memref::StoreOp::create(b, loc, v, out, i); });
  }
  void fill(Value out, int64_t n, double value) {
    fill(out, idx(0), idx(n), value);
  }
  /// out[r] = dot(w[r], x) (relu'd when asked) for every row, in parallel.
  void matvec(int64_t out, int64_t w, int64_t x, bool relu = false) {
    auto type = recipes[w].type;
    int64_t rows = recipes[w].part >= 0 ? type.getDimSize(0) : type.getDimSize(0);
    int64_t cols = recipes[w].part >= 0 ? type.getDimSize(2) : type.getDimSize(1);
    parallel(rows, [=](Value begin, Value end) {
      Value wm = get(w), xm = get(x), om = get(out);
      loop(begin, end, 1, [&](Value r) {
        Value d = dot(wm, r, xm, cols);
        memref::StoreOp::create(b, loc, relu ? max0(d) : d, om, r);
      });
    });
  }

  /// The gate side of an activation (what decides sparsity).
  Value gateActivation(llm::Activation act, Value g) {
    switch (act) {
    case llm::Activation::DReLU:
    case llm::Activation::ReLU:
      return max0(g);
    case llm::Activation::SquaredReLU: {
      Value r = max0(g);
      return mul(r, r);
    }
    case llm::Activation::SwiGLU: // g * sigmoid(g)
      return div(g, add(f32(1.0), math::ExpOp::create(
                                      b, loc, arith::NegFOp::create(b, loc, g))));
    case llm::Activation::GELU: { // tanh approximation
      Value g3 = mul(mul(g, g), g);
      Value inner =
          mul(f32(0.7978845608028654), add(g, mul(f32(0.044715), g3)));
      Value t = math::TanhOp::create(b, loc, inner);
      return mul(mul(f32(0.5), g), add(f32(1.0), t));
    }
    }
    return g;
  }
  /// act(g, u): the value neuron i contributes with.
  Value activation(llm::Activation act, Value g, Value u) {
    Value a = gateActivation(act, g);
    if (act == llm::Activation::DReLU)
      return mul(a, max0(u));
    return mul(a, u);
  }

  //===--- op lowerings -------------------------------------------------===//
  LogicalResult lowerWeight(Operation *op);
  void lowerEmbed(llm::EmbedOp op);
  void lowerRMSNorm(llm::RMSNormOp op);
  void lowerRope(llm::RotaryOp op);
  void lowerAttention(llm::AttentionOp op);
  void lowerFusedFFN(sfn::FusedSparseFFNOp op);
  void lowerRoute(sfn::RouteExpertsOp op);
  LogicalResult lowerDispatch(sfn::DispatchExpertsOp op);

  OpBuilder &b;
  const WeightSlots &slots;
  int64_t vectorWidth;
};

LogicalResult StepLowering::lowerWeight(Operation *op) {
  const WeightSlot *slot = slots.lookup(op);
  if (!slot)
    return op->emitError("weight has no slot in the packed file");
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  tensors[op->getResult(0)] = addRecipe(
      {Recipe::Weights, slot->offset,
       MemRefType::get(type.getShape(), type.getElementType())});
  return success();
}

void StepLowering::lowerEmbed(llm::EmbedOp op) {
  Value table = buffer(op.getTable());
  Value out = get(outputFor(op.getResult()));
  int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
  Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(), ctx->token);
  loop(0, hidden, 1, [&](Value k) {
    Value v = toF32(memref::LoadOp::create(b, loc, table, ValueRange{row, k}));
    memref::StoreOp::create(b, loc, v, out, k);
  });
}

void StepLowering::lowerRMSNorm(llm::RMSNormOp op) {
  Value x = buffer(op.getInput()), w = buffer(op.getWeight());
  Value out = get(outputFor(op.getResult()));
  int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
  Value ss = loopCarry(idx(0), idx(n), 1, f32(0.0), [&](Value k, Value acc) {
    Value v = memref::LoadOp::create(b, loc, x, k);
    return arith::AddFOp::create(b, loc, acc, mul(v, v)).getResult();
  });
  Value mean = div(ss, f32(static_cast<double>(n)));
  Value eps = f32(op.getEpsilon().convertToDouble());
  Value inv = div(f32(1.0), math::SqrtOp::create(b, loc, add(mean, eps)));
  loop(0, n, 1, [&](Value k) {
    Value v = memref::LoadOp::create(b, loc, x, k);
    Value wk = toF32(memref::LoadOp::create(b, loc, w, k));
    memref::StoreOp::create(b, loc, mul(mul(v, inv), wk), out, k);
  });
}

void StepLowering::lowerRope(llm::RotaryOp op) {
  Value x = buffer(op.getInput());
  Value out = get(outputFor(op.getResult()));
  int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
  int64_t d = static_cast<int64_t>(op.getHeadDim()), half = d / 2;
  // inv_freq_i = 1 / theta^(2i/d), in f32 like the Hugging Face code.
  Value theta = f32(op.getTheta().convertToDouble());
  Value posF = arith::UIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastOp::create(b, loc, b.getI64Type(), ctx->pos));
  // With stated frequencies (a scaling rule) the loop over i is unrolled
  // and each frequency is a constant.
  std::optional<ArrayRef<float>> stated = op.getInvFreq();
  auto rotatePair = [&](Value i, Value invFreq) {
    Value angle = mul(posF, invFreq);
    Value c = math::CosOp::create(b, loc, angle);
    Value s = math::SinOp::create(b, loc, angle);
    loop(0, n, d, [&](Value head) {
      Value i0 = addi(head, i);
      Value i1 = addi(i0, idx(half));
      Value a0 = memref::LoadOp::create(b, loc, x, i0);
      Value a1 = memref::LoadOp::create(b, loc, x, i1);
      memref::StoreOp::create(b, loc, sub(mul(a0, c), mul(a1, s)), out, i0);
      memref::StoreOp::create(b, loc, add(mul(a1, c), mul(a0, s)), out, i1);
    });
  };
  if (stated) {
    for (int64_t i = 0; i < half; ++i)
      rotatePair(idx(i), f32((*stated)[i]));
    return;
  }
  loop(0, half, 1, [&](Value i) {
    Value iF = arith::UIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastOp::create(b, loc, b.getI64Type(), i));
    Value exponent = div(mul(f32(2.0), iF), f32(static_cast<double>(d)));
    rotatePair(i, div(f32(1.0), math::PowFOp::create(b, loc, theta, exponent)));
  });
}

void StepLowering::lowerAttention(llm::AttentionOp op) {
  llm::KVCacheType cache = op.getCacheType();
  // A sliding-window cache is a ring of `slots` positions: position p lives
  // in slot p mod slots, and the last min(p + 1, slots) slots are exactly
  // the window. Softmax does not care about the order of positions.
  int64_t layers = cache.getNumLayers(), slots = cache.getNumSlots(),
          kvHeads = cache.getNumKvHeads(), d = cache.getHeadDim();
  bool ring = cache.isRing();
  int64_t heads = static_cast<int64_t>(op.getNumHeads());
  int64_t group = heads / kvHeads;
  int64_t layer = static_cast<int64_t>(op.getLayer());
  Type elt = cache.getElementType();
  // Cache layout: [layer][k=0 | v=1][position][kv head][head dim].
  int64_t kvId = addRecipe(
      {Recipe::KVCache, 0,
       MemRefType::get({layers, 2, slots, kvHeads, d}, elt)});
  int64_t qId = recipeOf(op.getQuery()), kId = recipeOf(op.getKey()),
          vId = recipeOf(op.getValue());
  int64_t outId = outputFor(op.getResult());
  int64_t scoresId = scratch(heads * slots, b.getF32Type());
  int64_t accId = scratch(heads * d, b.getF32Type());

  // Append this position's keys and values (serial: kv_heads * d elements).
  {
    Value kv = get(kvId), k = get(kId), v = get(vId);
    Value l = idx(layer);
    Value slot =
        ring ? arith::RemUIOp::create(b, loc, ctx->pos, idx(slots)).getResult()
             : ctx->pos;
    loop(0, kvHeads, 1, [&](Value h) {
      loop(0, d, 1, [&](Value i) {
        Value flat = addi(muli(h, idx(d)), i);
        auto store = [&](Value src, int64_t which) {
          Value x = memref::LoadOp::create(b, loc, src, flat);
          if (!elt.isF32())
            x = arith::TruncFOp::create(b, loc, elt, x);
          memref::StoreOp::create(b, loc, x, kv,
                                  ValueRange{l, idx(which), slot, h, i});
        };
        store(k, 0);
        store(v, 1);
      });
    });
  }

  // One kernel over query heads: scores, softmax, weighted values.
  parallel(heads, [=](Value begin, Value end) {
    Value kv = get(kvId), q = get(qId), out = get(outId);
    Value scores = get(scoresId), acc = get(accId);
    Value l = idx(layer), zero = idx(0), one = idx(1);
    Value last = addi(ctx->pos, one);
    if (ring)
      last = arith::MinUIOp::create(b, loc, last, idx(slots));
    Value scale = f32(1.0 / std::sqrt(static_cast<double>(d)));
    auto cacheAt = [&](Value which, Value t, Value g, Value i) {
      return toF32(memref::LoadOp::create(b, loc, kv,
                                          ValueRange{l, which, t, g, i}));
    };
    loop(begin, end, 1, [&](Value h) {
      Value g = arith::DivUIOp::create(b, loc, h, idx(group));
      Value qBase = muli(h, idx(d));
      Value sBase = muli(h, idx(slots));
      Value maxScore =
          loopCarry(zero, last, 1, f32(-INFINITY), [&](Value t, Value m) {
            Value s =
                loopCarry(zero, idx(d), 1, f32(0.0), [&](Value i, Value a) {
                  Value qi = memref::LoadOp::create(b, loc, q, addi(qBase, i));
                  return add(a, mul(qi, cacheAt(zero, t, g, i)));
                });
            s = mul(s, scale);
            memref::StoreOp::create(b, loc, s, scores, addi(sBase, t));
            return arith::MaximumFOp::create(b, loc, m, s).getResult();
          });
      Value sum = loopCarry(zero, last, 1, f32(0.0), [&](Value t, Value a) {
        Value p = math::ExpOp::create(
            b, loc,
            sub(memref::LoadOp::create(b, loc, scores, addi(sBase, t)),
                maxScore));
        memref::StoreOp::create(b, loc, p, scores, addi(sBase, t));
        return add(a, p);
      });
      fill(acc, qBase, addi(qBase, idx(d)), 0.0);
      loop(zero, last, 1, [&](Value t) {
        Value p = memref::LoadOp::create(b, loc, scores, addi(sBase, t));
        loop(0, d, 1, [&](Value i) {
          Value a = memref::LoadOp::create(b, loc, acc, addi(qBase, i));
          memref::StoreOp::create(b, loc,
                                  add(a, mul(p, cacheAt(one, t, g, i))), acc,
                                  addi(qBase, i));
        });
      });
      Value inv = div(f32(1.0), sum);
      loop(0, d, 1, [&](Value i) {
        Value a = memref::LoadOp::create(b, loc, acc, addi(qBase, i));
        memref::StoreOp::create(b, loc, mul(a, inv), out, addi(qBase, i));
      });
    });
  });
}

void StepLowering::lowerFusedFFN(sfn::FusedSparseFFNOp op) {
  auto gateType = cast<RankedTensorType>(op.getGate().getType());
  int64_t neurons = gateType.getDimSize(0), hidden = gateType.getDimSize(1);
  llm::Activation act = op.getActivation();
  sfn::SparseMode mode = op.getMode();
  int64_t statsSlot = nextStatsSlot++;
  int64_t xId = recipeOf(op.getInput()), gateId = recipeOf(op.getGate()),
          upId = recipeOf(op.getUp()), downId = recipeOf(op.getDownT());
  int64_t outId = outputFor(op.getResult());

  // Neurons are split into a fixed number of chunks, whatever the thread
  // count: each chunk accumulates its down projection into its own partial
  // sum, and the partials are added in chunk order. Results are therefore
  // the same at any thread count and on every run.
  int64_t chunks = std::min<int64_t>(16, neurons);
  int64_t chunkSize = (neurons + chunks - 1) / chunks;
  int64_t partialsId = scratch(chunks * hidden, b.getF32Type());
  int64_t countsId = scratch(chunks, b.getIndexType());
  int64_t listId = -1, gateValuesId = -1, scoreInputId = xId, fc2Id = -1;
  int64_t scoreLength = hidden;
  float cutoff = 0.0f;
  if (mode == sfn::SparseMode::Predicted) {
    int64_t fc1Id = recipeOf(op.getPredictorFc1());
    fc2Id = recipeOf(op.getPredictorFc2());
    int64_t rank = cast<RankedTensorType>(op.getPredictorFc1().getType())
                       .getDimSize(0);
    scoreInputId = scratch(rank, b.getF32Type());
    scoreLength = rank;
    matvec(scoreInputId, fc1Id, recipeOf(op.getPredictorInput()),
           /*relu=*/true);
    if (op.getPredictorThreshold())
      cutoff = op.getPredictorThreshold()->convertToFloat();
  } else if (mode != sfn::SparseMode::Dense) {
    gateValuesId = scratch(neurons, b.getF32Type());
    if (mode == sfn::SparseMode::Threshold)
      cutoff = op.getActivationThreshold()->convertToFloat();
  }
  if (mode != sfn::SparseMode::Dense)
    listId = scratch(neurons, b.getIndexType());

  parallel(chunks, [=](Value begin, Value end) {
    Value x = get(xId), gate = get(gateId), up = get(upId),
          downT = get(downId), partials = get(partialsId),
          counts = get(countsId);
    loop(begin, end, 1, [&](Value c) {
      Value lo = muli(c, idx(chunkSize));
      Value hi = arith::MinUIOp::create(b, loc, addi(lo, idx(chunkSize)),
                                        idx(neurons));
      // This chunk's partial sum: a [hidden] row of `partials`.
      Value pBase = muli(c, idx(hidden));
      fill(partials, pBase, addi(pBase, idx(hidden)), 0.0);
      auto accumulate = [&](Value i, Value h) {
        // partials[c, :] += h * downT[i, :]
        int64_t lanes = lanesFor(hidden);
        auto vecType = VectorType::get({lanes}, b.getF32Type());
        Type wElt = cast<MemRefType>(downT.getType()).getElementType();
        auto wVecType = VectorType::get({lanes}, wElt);
        Value sv = vector::BroadcastOp::create(b, loc, vecType, h);
        loop(0, hidden, lanes, [&](Value k) {
          Value wv = toF32(vector::LoadOp::create(b, loc, wVecType, downT,
                                                  ValueRange{i, k}));
          Value pk = addi(pBase, k);
          Value ov =
              vector::LoadOp::create(b, loc, vecType, partials, ValueRange{pk});
          Value r = vector::FMAOp::create(b, loc, wv, sv, ov);
          vector::StoreOp::create(b, loc, r, partials, ValueRange{pk});
        });
      };
      if (mode == sfn::SparseMode::Dense) {
        loop(lo, hi, 1, [&](Value i) {
          accumulate(i, activation(act, dot(gate, i, x, hidden),
                                   dot(up, i, x, hidden)));
        });
        memref::StoreOp::create(b, loc, arith::SubIOp::create(b, loc, hi, lo),
                                counts, c);
        return;
      }
      // The chunk's compact list of active neurons, in its own segment of
      // the list buffer; then only those neurons are read.
      Value list = get(listId);
      Value scoreInput = get(scoreInputId);
      Value fc2 = fc2Id >= 0 ? get(fc2Id) : Value();
      Value gateValues = gateValuesId >= 0 ? get(gateValuesId) : Value();
      Value threshold = f32(cutoff);
      Value count = loopCarry(lo, hi, 1, idx(0), [&](Value i, Value n) {
        Value keep;
        if (fc2) {
          Value score = dot(fc2, i, scoreInput, scoreLength);
          keep = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                       score, threshold);
        } else {
          Value g = dot(gate, i, x, hidden);
          memref::StoreOp::create(b, loc, g, gateValues, i);
          Value a = math::AbsFOp::create(b, loc, gateActivation(act, g));
          keep = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, a,
                                       threshold);
        }
        auto ifOp = scf::IfOp::create(b, loc, b.getIndexType(), keep,
                                      /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(ifOp.thenBlock());
          memref::StoreOp::create(b, loc, i, list, addi(lo, n));
          scf::YieldOp::create(b, loc, addi(n, idx(1)));
          b.setInsertionPointToStart(ifOp.elseBlock());
          scf::YieldOp::create(b, loc, n);
        }
        return ifOp.getResult(0);
      });
      loop(idx(0), count, 1, [&](Value j) {
        Value i = memref::LoadOp::create(b, loc, list, addi(lo, j));
        // Prefetch the start of the next active neuron's rows: within a
        // row the hardware prefetcher follows the stream, but the jump to
        // the next (sparse) neuron is a miss it cannot predict. The list
        // always holds valid indices, so reading one past the chunk's
        // count is harmless; it is clamped to the buffer.
        Value nextSlot = arith::MinUIOp::create(b, loc, addi(addi(lo, j), idx(1)),
                                                idx(neurons - 1));
        Value next = memref::LoadOp::create(b, loc, list, nextSlot);
        for (Value rows : {gateValues ? Value() : gate, up, downT})
          if (rows)
            memref::PrefetchOp::create(b, loc, rows, ValueRange{next, idx(0)},
                                       /*isWrite=*/false, /*localityHint=*/3,
                                       /*isDataCache=*/true);
        Value g = gateValues
                      ? memref::LoadOp::create(b, loc, gateValues, i).getResult()
                      : dot(gate, i, x, hidden);
        accumulate(i, activation(act, g, dot(up, i, x, hidden)));
      });
      memref::StoreOp::create(b, loc, count, counts, c);
    });
  });

  // Sum the partials in chunk order; the stats slot gets the total count.
  Value out = get(outId), partials = get(partialsId), counts = get(countsId);
  loop(0, hidden, 1, [&](Value k) {
    Value s = loopCarry(idx(0), idx(chunks), 1, f32(0.0), [&](Value c, Value a) {
      return add(a, memref::LoadOp::create(b, loc, partials,
                                           addi(muli(c, idx(hidden)), k)));
    });
    memref::StoreOp::create(b, loc, s, out, k);
  });
  Value total = loopCarry(idx(0), idx(chunks), 1, idx(0), [&](Value c, Value a) {
    return addi(a, memref::LoadOp::create(b, loc, counts, c));
  });
  Value stats = get(addRecipe({Recipe::Stats, 0,
                               MemRefType::get({ShapedType::kDynamic},
                                               b.getI32Type())}));
  memref::StoreOp::create(
      b, loc, arith::IndexCastOp::create(b, loc, b.getI32Type(), total), stats,
      idx(statsSlot));
}

void StepLowering::lowerRoute(sfn::RouteExpertsOp op) {
  auto routerType = cast<RankedTensorType>(op.getRouter().getType());
  int64_t experts = routerType.getDimSize(0);
  int64_t topK = static_cast<int64_t>(op.getTopK());
  int64_t probsId = scratch(experts, b.getF32Type());
  matvec(probsId, recipeOf(op.getRouter()), recipeOf(op.getInput()));
  Value probs = get(probsId);
  // Softmax over every expert (max-subtracted), as Mixtral does.
  Value maxLogit = loopCarry(idx(0), idx(experts), 1, f32(-INFINITY),
                             [&](Value e, Value m) {
                               return arith::MaximumFOp::create(
                                          b, loc, m,
                                          memref::LoadOp::create(b, loc, probs,
                                                                 e))
                                   .getResult();
                             });
  Value sum =
      loopCarry(idx(0), idx(experts), 1, f32(0.0), [&](Value e, Value a) {
        Value p = math::ExpOp::create(
            b, loc, sub(memref::LoadOp::create(b, loc, probs, e), maxLogit));
        memref::StoreOp::create(b, loc, p, probs, e);
        return add(a, p);
      });
  loop(0, experts, 1, [&](Value e) {
    memref::StoreOp::create(
        b, loc, div(memref::LoadOp::create(b, loc, probs, e), sum), probs, e);
  });
  // Top-k by repeated arg-max (ties to the lower index); taken experts are
  // marked with -1, below any probability.
  int64_t idsId = scratch(topK, b.getI32Type());
  int64_t weightsId = scratch(topK, b.getF32Type());
  Value ids = get(idsId), weightsOut = get(weightsId);
  Value chosenSum = f32(0.0);
  for (int64_t j = 0; j < topK; ++j) {
    auto best = scf::ForOp::create(b, loc, idx(0), idx(experts), idx(1),
                                   ValueRange{idx(0), f32(-2.0)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(best.getBody());
      Value e = best.getInductionVar();
      Value p = memref::LoadOp::create(b, loc, probs, e);
      Value better = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                           p, best.getRegionIterArgs()[1]);
      Value bestIdx = arith::SelectOp::create(b, loc, better, e,
                                              best.getRegionIterArgs()[0]);
      Value bestP = arith::SelectOp::create(b, loc, better, p,
                                            best.getRegionIterArgs()[1]);
      scf::YieldOp::create(b, loc, ValueRange{bestIdx, bestP});
    }
    Value e = best.getResult(0), p = best.getResult(1);
    memref::StoreOp::create(
        b, loc, arith::IndexCastOp::create(b, loc, b.getI32Type(), e), ids,
        idx(j));
    memref::StoreOp::create(b, loc, p, weightsOut, idx(j));
    memref::StoreOp::create(b, loc, f32(-1.0), probs, e);
    chosenSum = add(chosenSum, p);
  }
  for (int64_t j = 0; j < topK; ++j) {
    Value w = memref::LoadOp::create(b, loc, weightsOut, idx(j));
    memref::StoreOp::create(b, loc, div(w, chosenSum), weightsOut, idx(j));
  }
  tensors[op.getExperts()] = idsId;
  tensors[op.getWeights()] = weightsId;
}

LogicalResult StepLowering::lowerDispatch(sfn::DispatchExpertsOp op) {
  Value ids = buffer(op.getExperts()), w = buffer(op.getWeights());
  int64_t outId = outputFor(op.getResult());
  Value out = get(outId);
  int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
  int64_t topK =
      cast<RankedTensorType>(op.getExperts().getType()).getDimSize(0);
  int64_t experts = static_cast<int64_t>(op.getNumExperts());
  fill(out, hidden, 0.0);

  // Each expert region is lowered once, in its own case of a switch that a
  // loop over the top-k selections runs; its kernels, scratch and stats
  // slots are therefore created once per expert.
  auto forOp = scf::ForOp::create(b, loc, idx(0), idx(topK), idx(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  Value j = forOp.getInductionVar();
  Value e = arith::IndexCastOp::create(
      b, loc, b.getIndexType(), memref::LoadOp::create(b, loc, ids, j));
  SmallVector<int64_t> cases;
  for (int64_t c = 0; c < experts; ++c)
    cases.push_back(c);
  auto switchOp =
      scf::IndexSwitchOp::create(b, loc, TypeRange{}, e, cases, cases.size());
  {
    OpBuilder::InsertionGuard caseGuard(b);
    b.createBlock(&switchOp.getDefaultRegion());
    scf::YieldOp::create(b, loc);
  }
  for (int64_t c = 0; c < experts; ++c) {
    OpBuilder::InsertionGuard caseGuard(b);
    b.createBlock(&switchOp.getCaseRegions()[c]);
    Block &body = op.getExpertBodies()[c].front();
    tensors[body.getArgument(0)] = recipeOf(op.getInput());
    if (failed(lowerBlock(body)))
      return failure();
    auto yield = cast<sfn::YieldOp>(body.getTerminator());
    Value expertResult = buffer(yield.getValue());
    Value wj = memref::LoadOp::create(b, loc, w, j);
    loop(0, hidden, 1, [&](Value k) {
      Value o = memref::LoadOp::create(b, loc, out, k);
      Value r = memref::LoadOp::create(b, loc, expertResult, k);
      memref::StoreOp::create(b, loc, add(o, mul(wj, r)), out, k);
    });
    scf::YieldOp::create(b, loc);
  }
  return success();
}

LogicalResult StepLowering::lowerBlock(Block &block) {
  for (Operation &op : block.without_terminator()) {
    loc = op.getLoc();
    if (isa<llm::ParamOp, sfn::BundleParamOp>(op)) {
      if (failed(lowerWeight(&op)))
        return failure();
    } else if (auto part = dyn_cast<sfn::BundlePartOp>(op)) {
      Recipe r = recipes[recipeOf(part.getBundle())];
      r.part = static_cast<int64_t>(part.getPart());
      tensors[part.getResult()] = addRecipe(r);
    } else if (auto embed = dyn_cast<llm::EmbedOp>(op)) {
      lowerEmbed(embed);
    } else if (auto norm = dyn_cast<llm::RMSNormOp>(op)) {
      lowerRMSNorm(norm);
    } else if (auto rope = dyn_cast<llm::RotaryOp>(op)) {
      lowerRope(rope);
    } else if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
      lowerAttention(attention);
    } else if (auto linear = dyn_cast<llm::LinearOp>(op)) {
      int64_t out = outputFor(linear.getResult());
      matvec(out, recipeOf(linear.getWeight()), recipeOf(linear.getInput()));
    } else if (auto head = dyn_cast<llm::LMHeadOp>(op)) {
      int64_t out = outputFor(head.getLogits());
      matvec(out, recipeOf(head.getWeight()), recipeOf(head.getInput()));
    } else if (auto sum = dyn_cast<llm::AddOp>(op)) {
      Value lhs = buffer(sum.getLhs()), rhs = buffer(sum.getRhs());
      Value out = get(outputFor(sum.getResult()));
      int64_t n = cast<RankedTensorType>(sum.getType()).getDimSize(0);
      loop(0, n, 1, [&](Value k) {
        memref::StoreOp::create(b, loc,
                                add(memref::LoadOp::create(b, loc, lhs, k),
                                    memref::LoadOp::create(b, loc, rhs, k)),
                                out, k);
      });
    } else if (auto ffn = dyn_cast<sfn::FusedSparseFFNOp>(op)) {
      lowerFusedFFN(ffn);
    } else if (auto route = dyn_cast<sfn::RouteExpertsOp>(op)) {
      lowerRoute(route);
    } else if (auto dispatch = dyn_cast<sfn::DispatchExpertsOp>(op)) {
      if (failed(lowerDispatch(dispatch)))
        return failure();
    } else {
      return op.emitError("sparsec-lower-decode-step: cannot lower '")
             << op.getName()
             << "'; run the sparse pipeline (--sparsec-sparsify-pipeline) "
                "first";
    }
  }
  return success();
}

class LowerDecodeStep
    : public sparsec::impl::LowerDecodeStepPassBase<LowerDecodeStep> {
public:
  using LowerDecodeStepPassBase::LowerDecodeStepPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp step;
    module.walk([&](func::FuncOp func) {
      if (func->hasAttr(kDecodeStepAttrName))
        step = func;
    });
    if (!step) {
      module.emitError("sparsec-lower-decode-step: no function marked '")
          << kDecodeStepAttrName << "'";
      return signalPassFailure();
    }
    if (vectorWidth < 1 || (vectorWidth & (vectorWidth - 1)) != 0) {
      module.emitError("sparsec-lower-decode-step: vector-width must be a "
                       "power of two, got ")
          << vectorWidth;
      return signalPassFailure();
    }
    WeightSlots slots = assignWeightSlots(module);

    MLIRContext *context = &getContext();
    OpBuilder b(context);
    b.setInsertionPoint(step);
    Location loc = step.getLoc();
    auto bytes = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    auto floats = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
    auto ints = MemRefType::get({ShapedType::kDynamic}, b.getI32Type());
    SmallVector<Type> abi{bytes, bytes, floats, ints, bytes, b.getI32Type(),
                          b.getI64Type()};

    // The runtime's thread pool entry: runs kernel k over [0, n).
    auto parallelFor = func::FuncOp::create(
        b, loc, "sparsec_parallel_for",
        b.getFunctionType({b.getI32Type(), b.getI64Type()}, {}));
    parallelFor.setPrivate();

    auto func = func::FuncOp::create(b, loc, "sparsec_decode_step",
                                     b.getFunctionType(abi, {}));
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    Block *body = func.addEntryBlock();

    OpBuilder builder(context);
    builder.setInsertionPointToEnd(body);
    StepLowering lowering(builder, slots, vectorWidth);
    lowering.parallelFor = SymbolRefAttr::get(parallelFor);
    FunctionContext stepContext;
    for (int i = 0; i < 5; ++i)
      stepContext.args[i] = body->getArgument(i);
    stepContext.token = body->getArgument(5);
    stepContext.pos = arith::IndexCastOp::create(
        builder, loc, builder.getIndexType(), body->getArgument(6));
    // Views go before the first op of the body, so they dominate all uses.
    stepContext.entry = body;
    stepContext.anchor = stepContext.pos.getDefiningOp();
    lowering.ctx = &stepContext;
    auto ret = cast<func::ReturnOp>(step.getBody().front().getTerminator());
    lowering.logitsValue = ret.getOperand(0);

    if (failed(lowering.lowerBlock(step.getBody().front()))) {
      func.erase();
      parallelFor.erase();
      return signalPassFailure();
    }
    func::ReturnOp::create(builder, loc);

    // sparsec_run_range(abi..., kernel, begin, end): the kernels' bodies.
    SmallVector<Type> rangeArgs(abi);
    rangeArgs.append({b.getI32Type(), b.getI64Type(), b.getI64Type()});
    auto range = func::FuncOp::create(b, loc, "sparsec_run_range",
                                      b.getFunctionType(rangeArgs, {}));
    range->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    Block *rangeBody = range.addEntryBlock();
    builder.setInsertionPointToEnd(rangeBody);
    Value kernel = arith::IndexCastOp::create(
        builder, loc, builder.getIndexType(), rangeBody->getArgument(7));
    Value begin = arith::IndexCastOp::create(
        builder, loc, builder.getIndexType(), rangeBody->getArgument(8));
    Value end = arith::IndexCastOp::create(
        builder, loc, builder.getIndexType(), rangeBody->getArgument(9));
    Value rangePos = arith::IndexCastOp::create(
        builder, loc, builder.getIndexType(), rangeBody->getArgument(6));
    SmallVector<int64_t> cases;
    for (size_t k = 0; k < lowering.kernels.size(); ++k)
      cases.push_back(static_cast<int64_t>(k));
    auto switchOp = scf::IndexSwitchOp::create(builder, loc, TypeRange{},
                                               kernel, cases, cases.size());
    {
      OpBuilder::InsertionGuard guard(builder);
      builder.createBlock(&switchOp.getDefaultRegion());
      scf::YieldOp::create(builder, loc);
    }
    for (size_t k = 0; k < lowering.kernels.size(); ++k) {
      OpBuilder::InsertionGuard guard(builder);
      Block *caseBlock = builder.createBlock(&switchOp.getCaseRegions()[k]);
      auto yield = scf::YieldOp::create(builder, loc);
      builder.setInsertionPoint(yield);
      FunctionContext kernelContext;
      for (int i = 0; i < 5; ++i)
        kernelContext.args[i] = rangeBody->getArgument(i);
      kernelContext.token = rangeBody->getArgument(5);
      kernelContext.pos = rangePos;
      kernelContext.entry = caseBlock;
      kernelContext.anchor = nullptr;
      lowering.ctx = &kernelContext;
      // Views are built at the case's start, ahead of the kernel's loops.
      lowering.kernels[k](begin, end);
    }
    func::ReturnOp::create(builder, loc);

    // sparsec_kernel_abi_version() -> i32
    b.setInsertionPoint(step);
    auto version = func::FuncOp::create(
        b, loc, "sparsec_kernel_abi_version",
        b.getFunctionType({}, {b.getI32Type()}));
    OpBuilder vb(version.addEntryBlock(), version.getBody().front().begin());
    Value v = arith::ConstantOp::create(
        vb, loc, vb.getI32IntegerAttr(SPARSEC_KERNEL_ABI_VERSION));
    func::ReturnOp::create(vb, loc, v);

    module->setAttr("sparsec.num_ffns",
                    b.getI64IntegerAttr(lowering.nextStatsSlot));
    module->setAttr("sparsec.scratch_bytes",
                    b.getI64IntegerAttr(std::max<int64_t>(lowering.scratchBytes, 64)));
    module->setAttr("sparsec.num_kernels",
                    b.getI64IntegerAttr(lowering.kernels.size()));
    step.erase();
  }
};

} // namespace

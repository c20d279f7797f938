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

namespace mlir::sparsec {
#define GEN_PASS_DEF_LOWERDECODESTEPPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// Emits the loops of one decode step. `b` always points into the body
/// being built; `entry` allocates stack buffers at the function's entry.
class StepLowering {
public:
  StepLowering(OpBuilder &b, OpBuilder &entry, const WeightSlots &slots,
               int64_t vectorWidth, Value weights, Value kvCache, Value stats)
      : b(b), entry(entry), slots(slots), vectorWidth(vectorWidth),
        weights(weights), kvCache(kvCache), stats(stats) {}

  /// Lowers the ops of `block` (not its terminator) in order.
  LogicalResult lowerBlock(Block &block);

  /// The memref holding a lowered tensor value.
  DenseMap<Value, Value> buffers;
  /// The buffer the decode step's returned value must be written to.
  Value logitsValue, logitsBuffer;
  /// Index of the next sparse FFN in the stats array.
  int64_t nextStatsSlot = 0;

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

  /// A stack buffer of `n` elements of `elt`, allocated at entry.
  Value stackBuffer(int64_t n, Type elt) {
    return memref::AllocaOp::create(entry, loc,
                                    MemRefType::get({n}, elt));
  }
  Value buffer(Value tensor) {
    auto it = buffers.find(tensor);
    assert(it != buffers.end() && "tensor not lowered");
    return it->second;
  }
  /// The output buffer for `result` (the logits argument if it is returned).
  Value outputFor(Value result) {
    if (result == logitsValue)
      return buffers[result] = logitsBuffer;
    int64_t n = cast<RankedTensorType>(result.getType()).getDimSize(0);
    return buffers[result] = stackBuffer(n, b.getF32Type());
  }

  /// Largest power-of-two lane count <= vectorWidth dividing n (>= 1).
  int64_t lanesFor(int64_t n) {
    int64_t lanes = vectorWidth;
    while (lanes > 1 && n % lanes != 0)
      lanes /= 2;
    return std::max<int64_t>(lanes, 1);
  }

  /// for (i = lo; i < hi; i += step) body(i)
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
  /// A loop carrying one value; returns its final value.
  Value loopCarry(Value lo, Value hi, int64_t step, Value init,
                  function_ref<Value(Value, Value)> body) {
    auto forOp = scf::ForOp::create(b, loc, lo, hi, idx(step), init);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value next = body(forOp.getInductionVar(), forOp.getRegionIterArgs()[0]);
    scf::YieldOp::create(b, loc, next);
    return forOp.getResult(0);
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
    Value acc = loopCarry(idx(0), idx(n), lanes, zero, [&](Value k, Value a) {
      Value wv = toF32(vector::LoadOp::create(b, loc, wVecType, w,
                                              ValueRange{row, k}));
      Value xv = vector::LoadOp::create(b, loc, accType, x, ValueRange{k});
      return vector::FMAOp::create(b, loc, wv, xv, a).getResult();
    });
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
  void fill(Value out, int64_t n, double value) {
    Value v = f32(value);
    loop(0, n, 1, [&](Value i) { memref::StoreOp::create(b, loc, v, out, i); });
  }
  /// out[r] = dot(w[r], x) for every row of w.
  void matvec(Value out, Value w, Value x) {
    auto type = cast<MemRefType>(w.getType());
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    loop(0, rows, 1, [&](Value r) {
      memref::StoreOp::create(b, loc, dot(w, r, x, cols), out, r);
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
      Value inner = mul(f32(0.7978845608028654), add(g, mul(f32(0.044715), g3)));
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
  OpBuilder &entry;
  const WeightSlots &slots;
  int64_t vectorWidth;
  Value weights, kvCache, stats;
  Location loc = b.getUnknownLoc();

public:
  Value pos, token; // index, i32
};

LogicalResult StepLowering::lowerWeight(Operation *op) {
  const WeightSlot *slot = slots.lookup(op);
  if (!slot)
    return op->emitError("weight has no slot in the packed file");
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  auto memType = MemRefType::get(type.getShape(), type.getElementType());
  // Views are created at entry: they only depend on the weights argument.
  Value offset = arith::ConstantIndexOp::create(entry, loc, slot->offset);
  buffers[op->getResult(0)] = memref::ViewOp::create(
      entry, loc, memType, weights, offset, ValueRange{});
  return success();
}

void StepLowering::lowerEmbed(llm::EmbedOp op) {
  Value table = buffer(op.getTable());
  Value out = outputFor(op.getResult());
  int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
  Value row = arith::IndexCastOp::create(b, loc, b.getIndexType(), token);
  loop(0, hidden, 1, [&](Value k) {
    Value v = toF32(memref::LoadOp::create(b, loc, table, ValueRange{row, k}));
    memref::StoreOp::create(b, loc, v, out, k);
  });
}

void StepLowering::lowerRMSNorm(llm::RMSNormOp op) {
  Value x = buffer(op.getInput()), w = buffer(op.getWeight());
  Value out = outputFor(op.getResult());
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
  Value out = outputFor(op.getResult());
  int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
  int64_t d = static_cast<int64_t>(op.getHeadDim()), half = d / 2;
  // inv_freq_i = 1 / theta^(2i/d), in f32 like the Hugging Face code.
  Value theta = f32(op.getTheta().convertToDouble());
  Value posF = arith::UIToFPOp::create(
      b, loc, b.getF32Type(),
      arith::IndexCastOp::create(b, loc, b.getI64Type(), pos));
  loop(0, half, 1, [&](Value i) {
    Value iF = arith::UIToFPOp::create(
        b, loc, b.getF32Type(),
        arith::IndexCastOp::create(b, loc, b.getI64Type(), i));
    Value exponent = div(mul(f32(2.0), iF), f32(static_cast<double>(d)));
    Value invFreq = div(f32(1.0), math::PowFOp::create(b, loc, theta, exponent));
    Value angle = mul(posF, invFreq);
    Value c = math::CosOp::create(b, loc, angle);
    Value s = math::SinOp::create(b, loc, angle);
    loop(0, n, d, [&](Value head) {
      Value i0 = arith::AddIOp::create(b, loc, head, i);
      Value i1 = arith::AddIOp::create(b, loc, i0, idx(half));
      Value a0 = memref::LoadOp::create(b, loc, x, i0);
      Value a1 = memref::LoadOp::create(b, loc, x, i1);
      memref::StoreOp::create(b, loc, sub(mul(a0, c), mul(a1, s)), out, i0);
      memref::StoreOp::create(b, loc, add(mul(a1, c), mul(a0, s)), out, i1);
    });
  });
}

void StepLowering::lowerAttention(llm::AttentionOp op) {
  llm::KVCacheType cache = op.getCacheType();
  int64_t layers = cache.getNumLayers(), maxLen = cache.getMaxLen(),
          kvHeads = cache.getNumKvHeads(), d = cache.getHeadDim();
  int64_t heads = static_cast<int64_t>(op.getNumHeads());
  int64_t group = heads / kvHeads;
  int64_t layer = static_cast<int64_t>(op.getLayer());
  Type elt = cache.getElementType();
  // Cache layout: [layer][k=0 | v=1][position][kv head][head dim].
  auto cacheType = MemRefType::get({layers, 2, maxLen, kvHeads, d}, elt);
  Value kv = memref::ViewOp::create(entry, loc, cacheType, kvCache,
                                    arith::ConstantIndexOp::create(entry, loc, 0),
                                    ValueRange{});
  Value q = buffer(op.getQuery()), k = buffer(op.getKey()),
        v = buffer(op.getValue());
  Value out = outputFor(op.getResult());
  Value l = idx(layer), zero = idx(0), one = idx(1);

  // Append this position's keys and values.
  loop(0, kvHeads, 1, [&](Value h) {
    loop(0, d, 1, [&](Value i) {
      Value flat = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, h, idx(d)), i);
      auto store = [&](Value src, Value which) {
        Value x = memref::LoadOp::create(b, loc, src, flat);
        if (!elt.isF32())
          x = arith::TruncFOp::create(b, loc, elt, x);
        memref::StoreOp::create(b, loc, x, kv,
                                ValueRange{l, which, pos, h, i});
      };
      store(k, zero);
      store(v, one);
    });
  });

  Value scores = stackBuffer(maxLen, b.getF32Type());
  Value acc = stackBuffer(d, b.getF32Type());
  Value end = arith::AddIOp::create(b, loc, pos, one);
  Value scale = f32(1.0 / std::sqrt(static_cast<double>(d)));
  auto cacheAt = [&](Value which, Value t, Value g, Value i) {
    return toF32(memref::LoadOp::create(b, loc, kv,
                                        ValueRange{l, which, t, g, i}));
  };
  loop(0, heads, 1, [&](Value h) {
    Value g = arith::DivUIOp::create(b, loc, h, idx(group));
    Value qBase = arith::MulIOp::create(b, loc, h, idx(d));
    Value negInf = f32(-INFINITY);
    Value maxScore = loopCarry(zero, end, 1, negInf, [&](Value t, Value m) {
      Value s = loopCarry(zero, idx(d), 1, f32(0.0), [&](Value i, Value a) {
        Value qi = memref::LoadOp::create(
            b, loc, q, arith::AddIOp::create(b, loc, qBase, i).getResult());
        return add(a, mul(qi, cacheAt(zero, t, g, i)));
      });
      s = mul(s, scale);
      memref::StoreOp::create(b, loc, s, scores, t);
      return arith::MaximumFOp::create(b, loc, m, s).getResult();
    });
    Value sum = loopCarry(zero, end, 1, f32(0.0), [&](Value t, Value a) {
      Value p = math::ExpOp::create(
          b, loc, sub(memref::LoadOp::create(b, loc, scores, t), maxScore));
      memref::StoreOp::create(b, loc, p, scores, t);
      return add(a, p);
    });
    fill(acc, d, 0.0);
    loop(zero, end, 1, [&](Value t) {
      Value p = memref::LoadOp::create(b, loc, scores, t);
      loop(0, d, 1, [&](Value i) {
        Value a = memref::LoadOp::create(b, loc, acc, i);
        memref::StoreOp::create(b, loc, add(a, mul(p, cacheAt(one, t, g, i))),
                                acc, i);
      });
    });
    Value inv = div(f32(1.0), sum);
    loop(0, d, 1, [&](Value i) {
      Value a = memref::LoadOp::create(b, loc, acc, i);
      memref::StoreOp::create(
          b, loc, mul(a, inv), out,
          arith::AddIOp::create(b, loc, qBase, i).getResult());
    });
  });
}

void StepLowering::lowerFusedFFN(sfn::FusedSparseFFNOp op) {
  Value x = buffer(op.getInput());
  Value gate = buffer(op.getGate()), up = buffer(op.getUp()),
        downT = buffer(op.getDownT());
  Value out = outputFor(op.getResult());
  auto gateType = cast<MemRefType>(gate.getType());
  int64_t neurons = gateType.getDimSize(0), hidden = gateType.getDimSize(1);
  llm::Activation act = op.getActivation();
  sfn::SparseMode mode = op.getMode();
  int64_t statsSlot = nextStatsSlot++;
  fill(out, hidden, 0.0);

  Value count;
  if (mode == sfn::SparseMode::Dense) {
    // Every neuron, in order.
    loop(0, neurons, 1, [&](Value i) {
      Value h = activation(act, dot(gate, i, x, hidden), dot(up, i, x, hidden));
      axpy(out, h, downT, i, hidden);
    });
    count = idx(neurons);
  } else {
    // Build the compact list of active neurons (and, when the gate was
    // computed densely, keep its value), then visit only those.
    Value list = stackBuffer(neurons, b.getIndexType());
    Value gateValues;
    Value scoreInput = x;
    Value fc2;
    float cutoff = 0.0f;
    if (mode == sfn::SparseMode::Predicted) {
      Value fc1 = buffer(op.getPredictorFc1());
      fc2 = buffer(op.getPredictorFc2());
      int64_t rank = cast<MemRefType>(fc1.getType()).getDimSize(0);
      Value pin = buffer(op.getPredictorInput());
      Value hiddenRank = stackBuffer(rank, b.getF32Type());
      loop(0, rank, 1, [&](Value r) {
        memref::StoreOp::create(b, loc, max0(dot(fc1, r, pin, hidden)),
                                hiddenRank, r);
      });
      scoreInput = hiddenRank;
      if (op.getPredictorThreshold())
        cutoff = op.getPredictorThreshold()->convertToFloat();
    } else {
      gateValues = stackBuffer(neurons, b.getF32Type());
      if (mode == sfn::SparseMode::Threshold)
        cutoff = op.getActivationThreshold()->convertToFloat();
    }
    int64_t scoreLength =
        cast<MemRefType>(scoreInput.getType()).getDimSize(0);
    Value threshold = f32(cutoff);
    count = loopCarry(idx(0), idx(neurons), 1, idx(0), [&](Value i, Value n) {
      Value keep;
      if (mode == sfn::SparseMode::Predicted) {
        Value score = dot(fc2, i, scoreInput, scoreLength);
        keep = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, score,
                                     threshold);
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
        memref::StoreOp::create(b, loc, i, list, n);
        scf::YieldOp::create(b, loc,
                             arith::AddIOp::create(b, loc, n, idx(1)).getResult());
        b.setInsertionPointToStart(ifOp.elseBlock());
        scf::YieldOp::create(b, loc, n);
      }
      return ifOp.getResult(0);
    });
    loop(idx(0), count, 1, [&](Value j) {
      Value i = memref::LoadOp::create(b, loc, list, j);
      Value g = gateValues ? memref::LoadOp::create(b, loc, gateValues, i)
                                 .getResult()
                           : dot(gate, i, x, hidden);
      Value h = activation(act, g, dot(up, i, x, hidden));
      axpy(out, h, downT, i, hidden);
    });
  }
  Value count32 = arith::IndexCastOp::create(b, loc, b.getI32Type(), count);
  memref::StoreOp::create(b, loc, count32, stats, idx(statsSlot));
}

void StepLowering::lowerRoute(sfn::RouteExpertsOp op) {
  Value x = buffer(op.getInput()), router = buffer(op.getRouter());
  int64_t experts = cast<MemRefType>(router.getType()).getDimSize(0);
  int64_t topK = static_cast<int64_t>(op.getTopK());
  Value probs = stackBuffer(experts, b.getF32Type());
  matvec(probs, router, x);
  // Softmax over every expert (max-subtracted), as Mixtral does.
  Value maxLogit = loopCarry(idx(0), idx(experts), 1, f32(-INFINITY),
                             [&](Value e, Value m) {
                               return arith::MaximumFOp::create(
                                          b, loc, m,
                                          memref::LoadOp::create(b, loc, probs, e))
                                   .getResult();
                             });
  Value sum = loopCarry(idx(0), idx(experts), 1, f32(0.0), [&](Value e, Value a) {
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
  Value ids = stackBuffer(topK, b.getI32Type());
  Value weightsOut = stackBuffer(topK, b.getF32Type());
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
  buffers[op.getExperts()] = ids;
  buffers[op.getWeights()] = weightsOut;
}

LogicalResult StepLowering::lowerDispatch(sfn::DispatchExpertsOp op) {
  Value ids = buffer(op.getExperts()), w = buffer(op.getWeights());
  Value x = buffer(op.getInput());
  Value out = outputFor(op.getResult());
  int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
  int64_t topK = cast<RankedTensorType>(op.getExperts().getType()).getDimSize(0);
  int64_t experts = static_cast<int64_t>(op.getNumExperts());
  Value expertOut = stackBuffer(hidden, b.getF32Type());
  fill(out, hidden, 0.0);
  SmallVector<int64_t> cases;
  for (int64_t e = 0; e < experts; ++e)
    cases.push_back(e);

  // Stats slots of the expert FFNs are numbered once, in region order; an
  // expert that does not run leaves its slot as the runtime zeroed it.
  int64_t firstSlot = nextStatsSlot;
  LogicalResult result = success();
  for (int64_t j = 0; j < topK && succeeded(result); ++j) {
    Value e = arith::IndexCastOp::create(
        b, loc, b.getIndexType(), memref::LoadOp::create(b, loc, ids, idx(j)));
    auto switchOp = scf::IndexSwitchOp::create(b, loc, TypeRange{}, e, cases,
                                               cases.size());
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&switchOp.getDefaultRegion());
      scf::YieldOp::create(b, loc);
    }
    for (int64_t c = 0; c < experts; ++c) {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&switchOp.getCaseRegions()[c]);
      nextStatsSlot = firstSlot;
      for (int64_t earlier = 0; earlier < c; ++earlier)
        op.getExpertBodies()[earlier].walk(
            [&](sfn::FusedSparseFFNOp) { ++nextStatsSlot; });
      Block &body = op.getExpertBodies()[c].front();
      buffers[body.getArgument(0)] = x;
      if (failed(lowerBlock(body))) {
        result = failure();
        break;
      }
      auto yield = cast<sfn::YieldOp>(body.getTerminator());
      Value expertResult = buffer(yield.getValue());
      Value wj = memref::LoadOp::create(b, loc, w, idx(j));
      loop(0, hidden, 1, [&](Value k) {
        Value o = memref::LoadOp::create(b, loc, out, k);
        Value r = memref::LoadOp::create(b, loc, expertResult, k);
        memref::StoreOp::create(b, loc, add(o, mul(wj, r)), out, k);
      });
      scf::YieldOp::create(b, loc);
    }
  }
  (void)expertOut;
  nextStatsSlot = firstSlot;
  op.walk([&](sfn::FusedSparseFFNOp) { ++nextStatsSlot; });
  return result;
}

LogicalResult StepLowering::lowerBlock(Block &block) {
  for (Operation &op : block.without_terminator()) {
    loc = op.getLoc();
    if (isa<llm::ParamOp, sfn::BundleParamOp>(op)) {
      if (failed(lowerWeight(&op)))
        return failure();
    } else if (auto part = dyn_cast<sfn::BundlePartOp>(op)) {
      Value bundle = buffer(part.getBundle());
      auto type = cast<MemRefType>(bundle.getType());
      int64_t n = type.getDimSize(0), h = type.getDimSize(2);
      int64_t p = static_cast<int64_t>(part.getPart());
      SmallVector<OpFoldResult> offsets{entry.getIndexAttr(0),
                                        entry.getIndexAttr(p),
                                        entry.getIndexAttr(0)};
      SmallVector<OpFoldResult> sizes{entry.getIndexAttr(n),
                                      entry.getIndexAttr(1),
                                      entry.getIndexAttr(h)};
      SmallVector<OpFoldResult> strides(3, entry.getIndexAttr(1));
      auto viewType = cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
          {n, h}, type, offsets, sizes, strides));
      buffers[part.getResult()] = memref::SubViewOp::create(
          entry, loc, viewType, bundle, offsets, sizes, strides);
    } else if (auto embed = dyn_cast<llm::EmbedOp>(op)) {
      lowerEmbed(embed);
    } else if (auto norm = dyn_cast<llm::RMSNormOp>(op)) {
      lowerRMSNorm(norm);
    } else if (auto rope = dyn_cast<llm::RotaryOp>(op)) {
      lowerRope(rope);
    } else if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
      lowerAttention(attention);
    } else if (auto linear = dyn_cast<llm::LinearOp>(op)) {
      matvec(outputFor(linear.getResult()), buffer(linear.getWeight()),
             buffer(linear.getInput()));
    } else if (auto head = dyn_cast<llm::LMHeadOp>(op)) {
      matvec(outputFor(head.getLogits()), buffer(head.getWeight()),
             buffer(head.getInput()));
    } else if (auto sum = dyn_cast<llm::AddOp>(op)) {
      Value lhs = buffer(sum.getLhs()), rhs = buffer(sum.getRhs());
      Value out = outputFor(sum.getResult());
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
    auto type = b.getFunctionType(
        {bytes, bytes, floats, ints, b.getI32Type(), b.getI64Type()}, {});
    auto func = func::FuncOp::create(b, loc, "sparsec_decode_step", type);
    func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    Block *body = func.addEntryBlock();

    OpBuilder entry(context);
    entry.setInsertionPointToStart(body);
    OpBuilder builder(context);
    builder.setInsertionPointToEnd(body);
    StepLowering lowering(builder, entry, slots, vectorWidth,
                          body->getArgument(0), body->getArgument(1),
                          body->getArgument(3));
    // Entry-block constants and views go before the code that uses them.
    entry.setInsertionPointToStart(body);
    lowering.token = body->getArgument(4);
    {
      OpBuilder::InsertionGuard guard(builder);
      lowering.pos = arith::IndexCastOp::create(
          builder, loc, builder.getIndexType(), body->getArgument(5));
    }
    auto ret = cast<func::ReturnOp>(step.getBody().front().getTerminator());
    lowering.logitsValue = ret.getOperand(0);
    int64_t vocab =
        cast<RankedTensorType>(lowering.logitsValue.getType()).getDimSize(0);
    lowering.logitsBuffer = memref::CastOp::create(
        builder, loc, MemRefType::get({vocab}, builder.getF32Type()),
        body->getArgument(2));
    // Entry allocations must dominate everything: insert them before the
    // first op of the body that the lowering emits.
    entry.setInsertionPoint(lowering.pos.getDefiningOp());

    if (failed(lowering.lowerBlock(step.getBody().front()))) {
      func.erase();
      return signalPassFailure();
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
    step.erase();
  }
};

} // namespace

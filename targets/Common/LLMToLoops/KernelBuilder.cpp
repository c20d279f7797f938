//===- KernelBuilder.cpp - loops, dot products, activations --------------===//

#include "targets/Common/LLMToLoops/KernelBuilder.h"
#include "targets/Common/KernelNames.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::sparsec;

WeightRows::WeightRows(Value lowered, Value original)
    : rows(lowered),
      element(cast<ShapedType>(original.getType()).getElementType()) {}

Value KernelBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}
Value KernelBuilder::f32(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}
Value KernelBuilder::add(Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value KernelBuilder::mul(Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value KernelBuilder::sub(Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value KernelBuilder::div(Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
}
Value KernelBuilder::addi(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value KernelBuilder::muli(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
Value KernelBuilder::max0(Value x) {
  return arith::MaximumFOp::create(b, loc, x, f32(0.0));
}
Value KernelBuilder::toF32(Value v) {
  Type t = v.getType();
  if (getElementTypeOrSelf(t).isF32())
    return v;
  Type target = b.getF32Type();
  if (auto vec = dyn_cast<VectorType>(t))
    target = VectorType::get(vec.getShape(), b.getF32Type());
  return arith::ExtFOp::create(b, loc, target, v);
}
Value KernelBuilder::load(Value memref, ValueRange indices) {
  return memref::LoadOp::create(b, loc, memref, indices);
}
void KernelBuilder::store(Value value, Value memref, ValueRange indices) {
  memref::StoreOp::create(b, loc, value, memref, indices);
}

void KernelBuilder::loop(Value lo, Value hi, int64_t step,
                         function_ref<void(Value)> body) {
  auto forOp = scf::ForOp::create(b, loc, lo, hi, idx(step));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  body(forOp.getInductionVar());
}
void KernelBuilder::loop(int64_t lo, int64_t hi, int64_t step,
                         function_ref<void(Value)> body) {
  loop(idx(lo), idx(hi), step, body);
}
Value KernelBuilder::loopCarry(Value lo, Value hi, int64_t step, Value init,
                               function_ref<Value(Value, Value)> body) {
  auto forOp = scf::ForOp::create(b, loc, lo, hi, idx(step), init);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forOp.getBody());
  Value next = body(forOp.getInductionVar(), forOp.getRegionIterArgs()[0]);
  scf::YieldOp::create(b, loc, next);
  return forOp.getResult(0);
}
void KernelBuilder::parallel(int64_t n, function_ref<void(Value)> body,
                             StringRef what) {
  Location at = what.empty() ? loc : kernelLoc(loc, what);
  target.emitParallelLoop(b, at, n, [&](OpBuilder &nested, Location, Value i) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
    body(i);
  });
}

Value KernelBuilder::dot(const WeightRows &weight, Value row,
                         const DotInput &input, int64_t n,
                         function_ref<void(Value)> prefetch) {
  if (weight.getQuantType())
    return input.q8 ? int8Dot(weight, row, input, n, prefetch)
                    : quantizedDot(weight, row, input.values, n);
  Value w = weight.rows, x = input.values;
  int64_t lanes = target.lanesFor(n);
  auto accType = VectorType::get({lanes}, b.getF32Type());
  Type wElt = cast<MemRefType>(w.getType()).getElementType();
  auto wVecType = VectorType::get({lanes}, wElt);
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  int64_t chains = floatDotChains(n);
  SmallVector<Value> init(chains, zero);
  auto forOp =
      scf::ForOp::create(b, loc, idx(0), idx(n), idx(lanes * chains), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value k = forOp.getInductionVar();
    if (prefetch)
      prefetch(arith::DivUIOp::create(b, loc, k, idx(lanes * chains)));
    SmallVector<Value> next;
    for (int64_t c = 0; c < chains; ++c) {
      Value kc = c == 0 ? k : addi(k, idx(c * lanes));
      Value wv = toF32(
          vector::LoadOp::create(b, loc, wVecType, w, ValueRange{row, kc}));
      Value xv = vector::LoadOp::create(b, loc, accType, x, ValueRange{kc});
      next.push_back(
          vector::FMAOp::create(b, loc, wv, xv, forOp.getRegionIterArgs()[c]));
    }
    scf::YieldOp::create(b, loc, next);
  }
  Value acc = forOp.getResult(0);
  for (int64_t c = 1; c < chains; ++c)
    acc = arith::AddFOp::create(b, loc, acc, forOp.getResult(c));
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
}

/// Independent accumulators hide the FMA latency, so a row streams at
/// memory speed rather than at one FMA per latency.
int64_t KernelBuilder::floatDotChains(int64_t n) const {
  int64_t lanes = target.lanesFor(n);
  int64_t chains = 1;
  while (chains < target.getMaxAccumulatorChains() &&
         n % (lanes * chains * 2) == 0)
    chains *= 2;
  return chains;
}

SmallVector<Value> KernelBuilder::dots(const WeightRows &weight, Value row,
                                       ValueRange xs, int64_t n) {
  assert(!weight.getQuantType() && "dots: rows of floats only");
  Value w = weight.rows;
  int64_t lanes = target.lanesFor(n);
  auto accType = VectorType::get({lanes}, b.getF32Type());
  Type wElt = cast<MemRefType>(w.getType()).getElementType();
  auto wVecType = VectorType::get({lanes}, wElt);
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  SmallVector<Value> init(xs.size(), zero);
  auto forOp = scf::ForOp::create(b, loc, idx(0), idx(n), idx(lanes), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value k = forOp.getInductionVar();
    Value wv =
        toF32(vector::LoadOp::create(b, loc, wVecType, w, ValueRange{row, k}));
    SmallVector<Value> next;
    for (auto [x, acc] : llvm::zip_equal(xs, forOp.getRegionIterArgs())) {
      Value xv = vector::LoadOp::create(b, loc, accType, x, ValueRange{k});
      next.push_back(vector::FMAOp::create(b, loc, wv, xv, acc));
    }
    scf::YieldOp::create(b, loc, next);
  }
  return sumEach(forOp.getResults());
}

void KernelBuilder::accumulateRowsInto(const WeightRows &weight,
                                       ValueRange rows,
                                       ArrayRef<SmallVector<Value>> scales,
                                       Value acc, ValueRange bases, int64_t n) {
  assert(!weight.getQuantType() && "accumulateRowsInto: rows of floats only");
  int64_t lanes = target.lanesFor(n);
  auto vecType = VectorType::get({lanes}, b.getF32Type());
  Type wElt = cast<MemRefType>(weight.rows.getType()).getElementType();
  auto wVecType = VectorType::get({lanes}, wElt);
  SmallVector<SmallVector<Value>> sv;
  for (const SmallVector<Value> &targetScales : scales) {
    sv.emplace_back();
    for (Value scale : targetScales)
      sv.back().push_back(vector::BroadcastOp::create(b, loc, vecType, scale));
  }
  loop(0, n, lanes, [&](Value k) {
    SmallVector<Value> wvs;
    for (Value row : rows)
      wvs.push_back(toF32(vector::LoadOp::create(b, loc, wVecType, weight.rows,
                                                 ValueRange{row, k})));
    for (auto [base, targetScales] : llvm::zip_equal(bases, sv)) {
      Value ak = addi(base, k);
      Value av = vector::LoadOp::create(b, loc, vecType, acc, ValueRange{ak});
      for (auto [wv, s] : llvm::zip_equal(wvs, targetScales))
        av = vector::FMAOp::create(b, loc, wv, s, av);
      vector::StoreOp::create(b, loc, av, acc, ValueRange{ak});
    }
  });
}

void KernelBuilder::accumulateRows(const WeightRows &weight, ValueRange rows,
                                   ValueRange scales, Value acc, Value base,
                                   int64_t n,
                                   function_ref<void(Value)> prefetch) {
  if (weight.getQuantType())
    return quantizedAccumulateRows(weight, rows, scales, acc, base, n,
                                   prefetch);
  int64_t lanes = target.lanesFor(n);
  auto vecType = VectorType::get({lanes}, b.getF32Type());
  Type wElt = cast<MemRefType>(weight.rows.getType()).getElementType();
  auto wVecType = VectorType::get({lanes}, wElt);
  SmallVector<Value> sv;
  for (Value scale : scales)
    sv.push_back(vector::BroadcastOp::create(b, loc, vecType, scale));
  loop(0, n, lanes, [&](Value k) {
    if (prefetch)
      prefetch(arith::DivUIOp::create(b, loc, k, idx(lanes)));
    Value ak = addi(base, k);
    Value av = vector::LoadOp::create(b, loc, vecType, acc, ValueRange{ak});
    for (auto [row, s] : llvm::zip_equal(rows, sv)) {
      Value wv = toF32(vector::LoadOp::create(b, loc, wVecType, weight.rows,
                                              ValueRange{row, k}));
      av = vector::FMAOp::create(b, loc, wv, s, av);
    }
    vector::StoreOp::create(b, loc, av, acc, ValueRange{ak});
  });
}

void KernelBuilder::loadRow(const WeightRows &weight, Value row, Value out,
                            int64_t n) {
  if (weight.getQuantType())
    return quantizedLoadRow(weight, row, out, n);
  int64_t lanes = target.lanesFor(n);
  Type wElt = cast<MemRefType>(weight.rows.getType()).getElementType();
  auto wVecType = VectorType::get({lanes}, wElt);
  loop(0, n, lanes, [&](Value k) {
    Value v = toF32(vector::LoadOp::create(b, loc, wVecType, weight.rows,
                                           ValueRange{row, k}));
    vector::StoreOp::create(b, loc, v, out, ValueRange{k});
  });
}

SmallVector<Value> KernelBuilder::sumEach(ValueRange vectors) {
  SmallVector<Value> sums;
  for (Value v : vectors)
    sums.push_back(
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v));
  return sums;
}

void KernelBuilder::fill(Value out, Value lo, Value hi, double value) {
  Value v = f32(value);
  loop(lo, hi, 1, [&](Value i) { store(v, out, i); });
}
void KernelBuilder::fill(Value out, int64_t n, double value) {
  fill(out, idx(0), idx(n), value);
}

void KernelBuilder::matvec(Value out, const WeightRows &w, Value x, bool relu,
                           StringRef what) {
  int64_t rows = cast<MemRefType>(w.rows.getType()).getDimSize(0);
  int64_t cols = cast<MemRefType>(x.getType()).getDimSize(0);
  DotInput input = prepareDotInput(w, x, cols);
  parallel(
      rows,
      [&](Value r) {
        Value d = dot(w, r, input, cols);
        store(relu ? max0(d) : d, out, r);
      },
      what);
}

Value KernelBuilder::gateActivation(llm::Activation act, Value g) {
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

Value KernelBuilder::activation(llm::Activation act, Value g, Value u) {
  Value a = gateActivation(act, g);
  if (act == llm::Activation::DReLU)
    return mul(a, max0(u));
  return mul(a, u);
}

//===- QuantizedRows.cpp - kernels over block-quantized rows ---*- C++ -*-===//
//
// Rows of a !llm.quant weight are sequences of ggml blocks of 32 weights
// (LLMAttrs.td gives the layouts). A kernel decodes one block at a time:
// the 32 levels are loaded as bytes (q4 nibbles unpacked with a mask, a
// shift and a shuffle). Then either
//  * (f32) they are converted to a vector<32xf32>, scaled, and used as the
//    f32 kernels use weights: a dot product accumulates w * x into a
//    32-lane accumulator (reduced once per row), the scattered down
//    projection adds w * h to the partial sum, the embedding stores w; or
//  * (int8 dot products, where the target has them: TargetInfoBase::
//    hasInt8DotProduct) a dot product multiplies the levels with the input
//    vector quantized per block of 32 to int8 (d_x = max|x| / 127, x_q =
//    round(x / d_x)) in 8-bit integers, and adds sum(levels * x_q) * d_w *
//    d_x in f32: integer sums are exact, so only the input's rounding
//    (at most half a step of 1/127 of its block's largest magnitude)
//    differs from the f32 form. q4_1's offset needs the input's block sums
//    too: it stays on the f32 form.
// Every loop's order is fixed by the shapes, so results do not depend on
// the thread count.
//
// Scales are f16 in the block, read as two bytes and bitcast: blocks of 18,
// 20 or 34 bytes are not aligned.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/KernelBuilder.h"
#include "targets/Common/LLMToLoops/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <functional>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
constexpr int64_t kBlock = 32;

/// Weights per row of a quantized weight's byte view.
int64_t rowLength(const WeightRows &w) {
  llm::QuantType quant = w.getQuantType();
  int64_t rowBytes = cast<MemRefType>(w.rows.getType()).getDimSize(1);
  return rowBytes / quant.getBlockBytes() * quant.getBlockSize();
}
} // namespace

KernelBuilder::DecodedBlock KernelBuilder::decodeBlock(const WeightRows &w,
                                                       Value row, Value block) {
  llm::QuantType quant = w.getQuantType();
  Type i8 = b.getI8Type();
  Value start = muli(block, idx(quant.getBlockBytes()));
  // `offset` bytes into the block as ggml lays it out. In the paired layout
  // (d_a, d_b, qs_a, qs_b), block 2i + h has its scale at 36 i + 2 h and its
  // levels at 36 i + 4 + 16 h.
  std::function<Value(int64_t)> at = [&](int64_t offset) {
    return addi(start, idx(offset));
  };
  if (quant.hasPairedBlocks(rowLength(w))) {
    Value pairStart = muli(arith::DivUIOp::create(b, loc, block, idx(2)),
                           idx(2 * quant.getBlockBytes()));
    Value half = arith::RemUIOp::create(b, loc, block, idx(2));
    Value scaleAt = addi(pairStart, muli(half, idx(2)));
    Value levelsAt = addi(addi(pairStart, idx(4)), muli(half, idx(kBlock / 2)));
    at = [=](int64_t offset) { return offset == 0 ? scaleAt : levelsAt; };
  }
  auto loadBytes = [&](int64_t count, int64_t offset) -> Value {
    return vector::LoadOp::create(b, loc, VectorType::get({count}, i8), w.rows,
                                  ValueRange{row, at(offset)});
  };
  DecodedBlock decoded;
  auto loadHalf = [&](int64_t offset) -> Value {
    Value bytes = loadBytes(2, offset);
    Value half = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, b.getF16Type()), bytes);
    Value scalar = vector::ExtractOp::create(b, loc, half, int64_t(0));
    if (offset == 0)
      decoded.scaleF16 = scalar;
    return toF32(scalar);
  };
  // The 32 4-bit levels of 16 bytes: byte j holds level j (low nibble) and
  // level j + 16 (high nibble).
  auto unpackNibbles = [&](Value bytes) -> Value {
    auto halfType = VectorType::get({kBlock / 2}, i8);
    Value low = arith::AndIOp::create(
        b, loc, bytes,
        arith::ConstantOp::create(
            b, loc, halfType, DenseElementsAttr::get(halfType, int8_t(15))));
    Value high = arith::ShRUIOp::create(
        b, loc, bytes,
        arith::ConstantOp::create(b, loc, halfType,
                                  DenseElementsAttr::get(halfType, int8_t(4))));
    SmallVector<int64_t> order(kBlock);
    for (int64_t i = 0; i < kBlock; ++i)
      order[i] = i;
    return vector::ShuffleOp::create(b, loc, low, high, order);
  };

  switch (quant.getFormat()) {
  case llm::QuantFormat::Q8_0:
    decoded.scale = loadHalf(0);
    decoded.levels = loadBytes(kBlock, 2);
    break;
  case llm::QuantFormat::Q4_0:
    decoded.scale = loadHalf(0);
    decoded.levels = unpackNibbles(loadBytes(kBlock / 2, 2));
    decoded.isUnsigned = true;
    decoded.zeroPoint = 8;
    break;
  case llm::QuantFormat::Q4_1:
    decoded.scale = loadHalf(0);
    decoded.offset = loadHalf(2);
    decoded.levels = unpackNibbles(loadBytes(kBlock / 2, 4));
    decoded.isUnsigned = true;
    break;
  }
  return decoded;
}

Value KernelBuilder::dequantizeBlock(const DecodedBlock &block) {
  auto type = VectorType::get({kBlock}, b.getF32Type());
  Value levels;
  if (block.zeroPoint) {
    // 0..15 - 8 fits a signed byte: centre before converting.
    auto bytesType = cast<VectorType>(block.levels.getType());
    Value centred = arith::SubIOp::create(
        b, loc, block.levels,
        arith::ConstantOp::create(
            b, loc, bytesType,
            DenseElementsAttr::get(bytesType,
                                   static_cast<int8_t>(block.zeroPoint))));
    levels = arith::SIToFPOp::create(b, loc, type, centred);
  } else if (block.isUnsigned) {
    levels = arith::UIToFPOp::create(b, loc, type, block.levels);
  } else {
    levels = arith::SIToFPOp::create(b, loc, type, block.levels);
  }
  Value scale = vector::BroadcastOp::create(b, loc, type, block.scale);
  if (!block.offset)
    return mul(levels, scale);
  Value offset = vector::BroadcastOp::create(b, loc, type, block.offset);
  return vector::FMAOp::create(b, loc, levels, scale, offset);
}

bool KernelBuilder::usesInt8Dot(const WeightRows &w) const {
  llm::QuantType quant = w.getQuantType();
  return quant && quant.getFormat() != llm::QuantFormat::Q4_1 &&
         target.hasInt8DotProduct();
}

DotInput KernelBuilder::prepareDotInput(const WeightRows &w, Value x,
                                        int64_t n) {
  DotInput input(x);
  if (!usesInt8Dot(w))
    return input;
  Type f32Type = b.getF32Type();
  if (w.getQuantType().hasPairedBlocks(n))
    return preparePairedDotInput(x, n);
  input.q8 = createTemporary(b, loc, n, b.getI8Type());
  input.q8Scales = createTemporary(b, loc, n / kBlock * 8, f32Type);
  if (w.getQuantType().getFormat() == llm::QuantFormat::Q4_0)
    input.q8ZeroPointSums =
        createTemporary(b, loc, n / kBlock * 8, b.getI32Type());
  loop(0, n / kBlock, 1, [&](Value blk) {
    BlockLevels block = quantizeInputBlock(x, blk);
    vector::StoreOp::create(
        b, loc,
        vector::BroadcastOp::create(b, loc, VectorType::get({8}, f32Type),
                                    block.scale),
        input.q8Scales, ValueRange{muli(blk, idx(8))});
    vector::StoreOp::create(b, loc, block.levels, input.q8,
                            ValueRange{muli(blk, idx(kBlock))});
    if (input.q8ZeroPointSums) {
      auto bytes = VectorType::get({kBlock}, b.getI8Type());
      Value zeroPoints = arith::ConstantOp::create(
          b, loc, bytes, DenseElementsAttr::get(bytes, int8_t(8)));
      vector::StoreOp::create(
          b, loc,
          target.emitInt8DotProduct(b, loc, zeroPoints, block.levels,
                                    /*lhsUnsigned=*/true),
          input.q8ZeroPointSums, ValueRange{muli(blk, idx(8))});
    }
  });
  return input;
}

/// d = max|x| / 127, levels = round(x / d) (halves away from zero).
KernelBuilder::BlockLevels KernelBuilder::quantizeInputBlock(Value x,
                                                             Value block) {
  Type f32Type = b.getF32Type();
  auto type = VectorType::get({kBlock}, f32Type);
  Value xv = vector::LoadOp::create(b, loc, type, x,
                                    ValueRange{muli(block, idx(kBlock))});
  Value amax = vector::ReductionOp::create(
      b, loc, vector::CombiningKind::MAXNUMF, math::AbsFOp::create(b, loc, xv));
  Value d = div(amax, f32(127.0));
  Value nonzero =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, d, f32(0.0));
  Value inverse =
      arith::SelectOp::create(b, loc, nonzero, div(f32(1.0), d), f32(0.0));
  Value scaled = mul(xv, vector::BroadcastOp::create(b, loc, type, inverse));
  Value levels =
      arith::FPToSIOp::create(b, loc, VectorType::get({kBlock}, b.getI8Type()),
                              math::RoundOp::create(b, loc, scaled));
  return {levels, d};
}

/// The input's blocks in the order of q4_0 row pairs: a pair of blocks a, b
/// holds 64 bytes, a's levels 0-15, b's 0-15, a's 16-31, b's 16-31 (the
/// weights' low and high nibbles of one 32-byte load), then 8 lanes of
/// scales (a's 4 times, b's 4 times) and of zero-point sums.
DotInput KernelBuilder::preparePairedDotInput(Value x, int64_t n) {
  DotInput input(x);
  input.paired = true;
  Type f32Type = b.getF32Type();
  int64_t pairs = n / (2 * kBlock);
  input.q8 = createTemporary(b, loc, n, b.getI8Type());
  input.q8Scales = createTemporary(b, loc, pairs * 8, f32Type);
  input.q8ZeroPointSums = createTemporary(b, loc, pairs * 8, b.getI32Type());
  auto bytes = VectorType::get({kBlock}, b.getI8Type());
  loop(0, pairs, 1, [&](Value pair) {
    Value first = muli(pair, idx(2));
    BlockLevels a = quantizeInputBlock(x, first);
    BlockLevels c = quantizeInputBlock(x, addi(first, idx(1)));
    SmallVector<int64_t> lowHalves, highHalves;
    for (int64_t i = 0; i < kBlock / 2; ++i) {
      lowHalves.push_back(i);
      highHalves.push_back(kBlock / 2 + i);
    }
    for (int64_t i = 0; i < kBlock / 2; ++i) {
      lowHalves.push_back(kBlock + i);
      highHalves.push_back(kBlock + kBlock / 2 + i);
    }
    Value low =
        vector::ShuffleOp::create(b, loc, a.levels, c.levels, lowHalves);
    Value high =
        vector::ShuffleOp::create(b, loc, a.levels, c.levels, highHalves);
    Value at = muli(pair, idx(2 * kBlock));
    vector::StoreOp::create(b, loc, low, input.q8, ValueRange{at});
    vector::StoreOp::create(b, loc, high, input.q8,
                            ValueRange{addi(at, idx(kBlock))});
    Value scales = vector::FromElementsOp::create(
        b, loc, VectorType::get({8}, f32Type),
        ValueRange{a.scale, a.scale, a.scale, a.scale, c.scale, c.scale,
                   c.scale, c.scale});
    vector::StoreOp::create(b, loc, scales, input.q8Scales,
                            ValueRange{muli(pair, idx(8))});
    Value eights = arith::ConstantOp::create(
        b, loc, bytes, DenseElementsAttr::get(bytes, int8_t(8)));
    Value sums = arith::AddIOp::create(
        b, loc,
        target.emitInt8DotProduct(b, loc, eights, low, /*lhsUnsigned=*/true),
        target.emitInt8DotProduct(b, loc, eights, high, /*lhsUnsigned=*/true));
    vector::StoreOp::create(b, loc, sums, input.q8ZeroPointSums,
                            ValueRange{muli(pair, idx(8))});
  });
  return input;
}

/// The sum of `steps` terms accumulated by `body(step, acc)` (vector<8xf32>)
/// in two independent chains (even and odd steps) when steps is even, then
/// reduced to a scalar: the order is fixed by the shapes.
Value KernelBuilder::chainedSum(int64_t steps,
                                function_ref<Value(Value, Value)> body) {
  auto accType = VectorType::get({8}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  int64_t chains = steps % 2 == 0 ? 2 : 1;
  SmallVector<Value> init(chains, zero);
  auto forOp =
      scf::ForOp::create(b, loc, idx(0), idx(steps), idx(chains), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    SmallVector<Value> next;
    for (int64_t c = 0; c < chains; ++c) {
      Value step = c == 0 ? forOp.getInductionVar()
                          : addi(forOp.getInductionVar(), idx(c));
      next.push_back(body(step, forOp.getRegionIterArgs()[c]));
    }
    scf::YieldOp::create(b, loc, next);
  }
  Value acc = forOp.getResult(0);
  for (int64_t c = 1; c < chains; ++c)
    acc = add(acc, forOp.getResult(c));
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
}

/// A q4_0 row in pairs: one 32-byte load holds two blocks' nibbles; the
/// low nibbles meet the input's first halves, the high ones its second
/// halves, and lanes 0-3 / 4-7 of the sums belong to the first / second
/// block, scaled by [d_a x 4, d_b x 4].
Value KernelBuilder::pairedInt8Dot(const WeightRows &w, Value row,
                                   const DotInput &x, int64_t n) {
  auto accType = VectorType::get({8}, b.getF32Type());
  auto bytes = VectorType::get({kBlock}, b.getI8Type());
  int64_t pairBytes = 2 * w.getQuantType().getBlockBytes();
  return chainedSum(n / (2 * kBlock), [&](Value pair, Value acc) -> Value {
    Value start = muli(pair, idx(pairBytes));
    Value scaleBytes =
        vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()),
                               w.rows, ValueRange{row, start});
    Value halves = vector::BitCastOp::create(
        b, loc, VectorType::get({2}, b.getF16Type()), scaleBytes);
    Value spread = vector::ShuffleOp::create(
        b, loc, halves, halves, ArrayRef<int64_t>{0, 0, 0, 0, 1, 1, 1, 1});
    Value weightScale = arith::ExtFOp::create(b, loc, accType, spread);
    Value nibbles = vector::LoadOp::create(
        b, loc, bytes, w.rows, ValueRange{row, addi(start, idx(4))});
    Value low = arith::AndIOp::create(
        b, loc, nibbles,
        arith::ConstantOp::create(b, loc, bytes,
                                  DenseElementsAttr::get(bytes, int8_t(15))));
    Value high = arith::ShRUIOp::create(
        b, loc, nibbles,
        arith::ConstantOp::create(b, loc, bytes,
                                  DenseElementsAttr::get(bytes, int8_t(4))));
    Value at = muli(pair, idx(2 * kBlock));
    Value xLow = vector::LoadOp::create(b, loc, bytes, x.q8, ValueRange{at});
    Value xHigh = vector::LoadOp::create(b, loc, bytes, x.q8,
                                         ValueRange{addi(at, idx(kBlock))});
    Value products = arith::AddIOp::create(
        b, loc,
        target.emitInt8DotProduct(b, loc, low, xLow, /*lhsUnsigned=*/true),
        target.emitInt8DotProduct(b, loc, high, xHigh, /*lhsUnsigned=*/true));
    products = arith::SubIOp::create(
        b, loc, products,
        vector::LoadOp::create(b, loc, VectorType::get({8}, b.getI32Type()),
                               x.q8ZeroPointSums,
                               ValueRange{muli(pair, idx(8))}));
    Value sums = arith::SIToFPOp::create(b, loc, accType, products);
    Value inputScale = vector::LoadOp::create(b, loc, accType, x.q8Scales,
                                              ValueRange{muli(pair, idx(8))});
    return vector::FMAOp::create(b, loc, sums, mul(weightScale, inputScale),
                                 acc);
  });
}

Value KernelBuilder::int8Dot(const WeightRows &w, Value row, const DotInput &x,
                             int64_t n) {
  if (x.paired)
    return pairedInt8Dot(w, row, x, n);
  auto accType = VectorType::get({8}, b.getF32Type());
  return chainedSum(n / kBlock, [&](Value blk, Value acc) -> Value {
    DecodedBlock block = decodeBlock(w, row, blk);
    Value xq =
        vector::LoadOp::create(b, loc, VectorType::get({kBlock}, b.getI8Type()),
                               x.q8, ValueRange{muli(blk, idx(kBlock))});
    Value products =
        target.emitInt8DotProduct(b, loc, block.levels, xq, block.isUnsigned);
    if (block.zeroPoint) {
      assert(x.q8ZeroPointSums && "input prepared for another format");
      products = arith::SubIOp::create(
          b, loc, products,
          vector::LoadOp::create(b, loc, VectorType::get({8}, b.getI32Type()),
                                 x.q8ZeroPointSums,
                                 ValueRange{muli(blk, idx(8))}));
    }
    Value sums = arith::SIToFPOp::create(b, loc, accType, products);
    // Both scales as 8 lanes: the weight's f16 broadcast, then extended
    // (vpbroadcastw, vcvtph2ps), times the input's stored 8 times.
    Value halves = vector::BroadcastOp::create(
        b, loc, VectorType::get({8}, b.getF16Type()), block.scaleF16);
    Value weightScale = arith::ExtFOp::create(b, loc, accType, halves);
    Value inputScale = vector::LoadOp::create(b, loc, accType, x.q8Scales,
                                              ValueRange{muli(blk, idx(8))});
    return vector::FMAOp::create(b, loc, sums, mul(weightScale, inputScale),
                                 acc);
  });
}

Value KernelBuilder::quantizedDot(const WeightRows &w, Value row, Value x,
                                  int64_t n) {
  auto accType = VectorType::get({kBlock}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  Value acc =
      loopCarry(idx(0), idx(n / kBlock), 1, zero, [&](Value blk, Value sum) {
        Value weights = dequantizeBlock(decodeBlock(w, row, blk));
        Value xv = vector::LoadOp::create(b, loc, accType, x,
                                          ValueRange{muli(blk, idx(kBlock))});
        return vector::FMAOp::create(b, loc, weights, xv, sum).getResult();
      });
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
}

void KernelBuilder::quantizedAccumulateRows(const WeightRows &w,
                                            ValueRange rows, ValueRange scales,
                                            Value acc, Value base, int64_t n) {
  auto type = VectorType::get({kBlock}, b.getF32Type());
  SmallVector<Value> sv;
  for (Value scale : scales)
    sv.push_back(vector::BroadcastOp::create(b, loc, type, scale));
  loop(0, n / kBlock, 1, [&](Value blk) {
    Value ak = addi(base, muli(blk, idx(kBlock)));
    Value av = vector::LoadOp::create(b, loc, type, acc, ValueRange{ak});
    for (auto [row, s] : llvm::zip_equal(rows, sv))
      av = vector::FMAOp::create(
          b, loc, dequantizeBlock(decodeBlock(w, row, blk)), s, av);
    vector::StoreOp::create(b, loc, av, acc, ValueRange{ak});
  });
}

void KernelBuilder::quantizedLoadRow(const WeightRows &w, Value row, Value out,
                                     int64_t n) {
  loop(0, n / kBlock, 1, [&](Value blk) {
    Value weights = dequantizeBlock(decodeBlock(w, row, blk));
    vector::StoreOp::create(b, loc, weights, out,
                            ValueRange{muli(blk, idx(kBlock))});
  });
}

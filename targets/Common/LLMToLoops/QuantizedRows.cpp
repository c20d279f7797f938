//===- QuantizedRows.cpp - kernels over block-quantized rows ---*- C++ -*-===//
//
// Rows of a !llm.quant weight are sequences of ggml blocks of 32 weights
// (LLMAttrs.td gives the layouts). A kernel decodes one block at a time:
// the 32 levels are loaded as bytes (q4 nibbles unpacked with a mask, a
// shift and a shuffle), converted to a vector<32xf32> and scaled, and then
// used as the f32 kernels use weights: a dot product accumulates
// levels * scale * x into a 32-lane accumulator (reduced once per row; the
// 32 lanes are the independent chains), the scattered down projection adds
// levels * (scale * h) to the partial sum. The target's vector width only
// decides how the backend splits the 32 lanes.
//
// Scales are f16 in the block, read as two bytes and bitcast: blocks of 18,
// 20 or 34 bytes are not aligned.
//
//===----------------------------------------------------------------------===//

#include "targets/Common/LLMToLoops/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
constexpr int64_t kBlock = 32;
} // namespace

KernelBuilder::DecodedBlock KernelBuilder::decodeBlock(const WeightRows &w,
                                                       Value row, Value block) {
  llm::QuantType quant = w.getQuantType();
  Type i8 = b.getI8Type(), f32 = b.getF32Type();
  Value start = muli(block, idx(quant.getBlockBytes()));
  auto loadBytes = [&](int64_t count, int64_t offset) -> Value {
    return vector::LoadOp::create(b, loc, VectorType::get({count}, i8), w.rows,
                                  ValueRange{row, addi(start, idx(offset))});
  };
  auto loadHalf = [&](int64_t offset) -> Value {
    Value bytes = loadBytes(2, offset);
    Value half = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, b.getF16Type()), bytes);
    return toF32(vector::ExtractOp::create(b, loc, half, int64_t(0)));
  };
  auto levelsType = VectorType::get({kBlock}, f32);
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

  DecodedBlock decoded;
  switch (quant.getFormat()) {
  case llm::QuantFormat::Q8_0:
    decoded.scale = loadHalf(0);
    decoded.levels =
        arith::SIToFPOp::create(b, loc, levelsType, loadBytes(kBlock, 2));
    break;
  case llm::QuantFormat::Q4_0: {
    decoded.scale = loadHalf(0);
    Value levels = unpackNibbles(loadBytes(kBlock / 2, 2));
    auto bytesType = VectorType::get({kBlock}, i8);
    Value centred = arith::SubIOp::create(
        b, loc, levels,
        arith::ConstantOp::create(
            b, loc, bytesType, DenseElementsAttr::get(bytesType, int8_t(8))));
    decoded.levels = arith::SIToFPOp::create(b, loc, levelsType, centred);
    break;
  }
  case llm::QuantFormat::Q4_1:
    decoded.scale = loadHalf(0);
    decoded.offset = loadHalf(2);
    decoded.levels = arith::UIToFPOp::create(
        b, loc, levelsType, unpackNibbles(loadBytes(kBlock / 2, 4)));
    break;
  }
  return decoded;
}

Value KernelBuilder::dequantizeBlock(const DecodedBlock &block) {
  auto type = cast<VectorType>(block.levels.getType());
  Value scale = vector::BroadcastOp::create(b, loc, type, block.scale);
  if (!block.offset)
    return mul(block.levels, scale);
  Value offset = vector::BroadcastOp::create(b, loc, type, block.offset);
  return vector::FMAOp::create(b, loc, block.levels, scale, offset);
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

void KernelBuilder::quantizedAccumulateRow(const WeightRows &w, Value row,
                                           Value scale, Value acc, Value base,
                                           int64_t n) {
  auto type = VectorType::get({kBlock}, b.getF32Type());
  Value sv = vector::BroadcastOp::create(b, loc, type, scale);
  loop(0, n / kBlock, 1, [&](Value blk) {
    Value weights = dequantizeBlock(decodeBlock(w, row, blk));
    Value ak = addi(base, muli(blk, idx(kBlock)));
    Value av = vector::LoadOp::create(b, loc, type, acc, ValueRange{ak});
    Value r = vector::FMAOp::create(b, loc, weights, sv, av);
    vector::StoreOp::create(b, loc, r, acc, ValueRange{ak});
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

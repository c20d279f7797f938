//===- QuantizedRows.cpp - kernels over block-quantized rows ---*- C++ -*-===//
//
// Rows of a !llm.quant weight are sequences of ggml blocks of 32 weights,
// or of super-blocks of 256 for the k-quants (LLMAttrs.td gives the
// layouts). A kernel decodes one stored block at a time into blocks of 32
// weights (DecodedBlock: 32 levels loaded as bytes, q4 nibbles unpacked
// with a mask, a shift and a shuffle; a scale, or q6_k's two of 16; q4_1's
// and q4_k's offset). Then either
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
//    differs from the f32 form. An offset (q4_1, q4_k) adds offset * d_x *
//    sum(x_q), with the input's block sums computed once beside x_q.
// Every loop's order is fixed by the shapes, so results do not depend on
// the thread count.
//
// Scales are f16 in the block, read as two bytes and bitcast: blocks of 18,
// 20, 34, 144 or 210 bytes are not aligned. A k-quant's sub-block scales
// are decoded once per super-block, at positions known when compiling.
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

/// `count` bytes of row `row` from byte `at`.
Value KernelBuilder::loadRowBytes(const WeightRows &w, Value row, Value at,
                                  int64_t count) {
  return vector::LoadOp::create(b, loc, VectorType::get({count}, b.getI8Type()),
                                w.rows, ValueRange{row, at});
}

/// The f16 at byte `at` of row `row`, in f32.
Value KernelBuilder::loadRowHalf(const WeightRows &w, Value row, Value at) {
  Value half =
      vector::BitCastOp::create(b, loc, VectorType::get({1}, b.getF16Type()),
                                loadRowBytes(w, row, at, 2));
  return toF32(vector::ExtractOp::create(b, loc, half, int64_t(0)));
}

/// `v op c` on bytes, c splatted.
Value KernelBuilder::byteOp(Value v, int64_t c, ByteOp op) {
  auto type = cast<VectorType>(v.getType());
  Value splat = arith::ConstantOp::create(
      b, loc, type, DenseElementsAttr::get(type, static_cast<int8_t>(c)));
  switch (op) {
  case ByteOp::And:
    return arith::AndIOp::create(b, loc, v, splat);
  case ByteOp::Or:
    return arith::OrIOp::create(b, loc, v, splat);
  case ByteOp::ShiftLeft:
    return arith::ShLIOp::create(b, loc, v, splat);
  case ByteOp::ShiftRight:
    return arith::ShRUIOp::create(b, loc, v, splat);
  case ByteOp::Sub:
    return arith::SubIOp::create(b, loc, v, splat);
  }
  llvm_unreachable("unknown byte op");
}

void KernelBuilder::prefetchAhead(const WeightRows &w, Value row,
                                  Value offset) {
  if (int64_t ahead = target.getStreamPrefetchBytes())
    target.emitPrefetch(b, loc, w.rows,
                        ValueRange{row, addi(offset, idx(ahead))},
                        target.getStreamPrefetchLevel());
}

int64_t KernelBuilder::blocksPerGroup(const WeightRows &w) const {
  llm::QuantType quant = w.getQuantType();
  return quant.getBlockSize() / kBlock;
}

SmallVector<KernelBuilder::DecodedBlock>
KernelBuilder::decodeGroup(const WeightRows &w, Value row, Value group,
                           GroupScales *groupScales) {
  llm::QuantType quant = w.getQuantType();
  if (!quant.isSuperBlock())
    return {decodeBlock(w, row, group)};
  Value start = muli(group, idx(quant.getBlockBytes()));
  auto at = [&](int64_t offset) { return addi(start, idx(offset)); };
  SmallVector<DecodedBlock> blocks;
  if (quant.getFormat() == llm::QuantFormat::Q4_K) {
    // f16 d, dmin; scales[12]; qs[128]. Sub-block j's 6-bit scale and min:
    // for j < 4 the low 6 bits of bytes j and j + 4; for j >= 4 the low /
    // high nibble of byte j + 4 and the top 2 bits of bytes j - 4 / j. The
    // twelve bytes are read as three 32-bit words (a, b, c), and each
    // four-byte half of the eight scales and eight mins is a few word
    // operations on all four lanes at once: scales 0-3 = a & 0x3f..,
    // scales 4-7 = (c & 0x0f..) | ((a >> 2) & 0x30..), and the mins the
    // same from b and c >> 4 (a per-byte shuffle formulation took four
    // times the instructions, which made q4_k rows compute-bound).
    Value d = loadRowHalf(w, row, at(0));
    Value dmin = loadRowHalf(w, row, at(2));
    auto words2 = VectorType::get({2}, b.getI32Type());
    Value words =
        vector::BitCastOp::create(b, loc, VectorType::get({3}, b.getI32Type()),
                                  loadRowBytes(w, row, at(4), 12));
    auto perWord = [&](ArrayRef<int32_t> values) -> Value {
      return arith::ConstantOp::create(b, loc, words2,
                                       DenseElementsAttr::get(words2, values));
    };
    auto splat = [&](uint32_t value) {
      int32_t v = static_cast<int32_t>(value);
      return perWord({v, v});
    };
    // [a, b] and [c, c >> 4]: the scale and min halves side by side.
    Value ab = vector::ShuffleOp::create(b, loc, words, words,
                                         ArrayRef<int64_t>{0, 1});
    Value cc = arith::ShRUIOp::create(
        b, loc,
        vector::ShuffleOp::create(b, loc, words, words,
                                  ArrayRef<int64_t>{2, 2}),
        perWord({0, 4}));
    Value low = arith::AndIOp::create(b, loc, ab, splat(0x3f3f3f3f));
    Value high = arith::OrIOp::create(
        b, loc, arith::AndIOp::create(b, loc, cc, splat(0x0f0f0f0f)),
        arith::AndIOp::create(b, loc,
                              arith::ShRUIOp::create(b, loc, ab, splat(2)),
                              splat(0x30303030)));
    auto byteType = VectorType::get({8}, b.getI8Type());
    auto eightBytes = [&](int64_t lane) -> Value {
      return vector::BitCastOp::create(
          b, loc, byteType,
          vector::ShuffleOp::create(b, loc, low, high,
                                    ArrayRef<int64_t>{lane, 2 + lane}));
    };
    Value scaleBits = eightBytes(0);
    Value minBits = eightBytes(1);
    auto f32x8 = VectorType::get({8}, b.getF32Type());
    Value scales = mul(arith::UIToFPOp::create(b, loc, f32x8, scaleBits),
                       vector::BroadcastOp::create(b, loc, f32x8, d));
    Value offsets = arith::NegFOp::create(
        b, loc,
        mul(arith::UIToFPOp::create(b, loc, f32x8, minBits),
            vector::BroadcastOp::create(b, loc, f32x8, dmin)));
    // For integer dot products: the 6-bit scales as 16 lanes of i16 each
    // (what vpmaddwd multiplies), the super-block's d and offsets.
    Value integerScales;
    if (groupScales) {
      integerScales = arith::ExtUIOp::create(
          b, loc, VectorType::get({8}, b.getI16Type()), scaleBits);
      groupScales->d = d;
      groupScales->offsets = offsets;
    }
    Value lowNibbles, highNibbles;
    std::array<Value, 2> halves;
    for (int64_t j = 0; j < 8; ++j) {
      if (j % 2 == 0) {
        Value qs = loadRowBytes(w, row, at(16 + 16 * j), kBlock);
        lowNibbles = byteOp(qs, 15, ByteOp::And);
        highNibbles = byteOp(qs, 4, ByteOp::ShiftRight);
        for (int64_t h = 0; h < 2; ++h)
          halves[h] = vector::ExtractStridedSliceOp::create(
              b, loc, qs, ArrayRef<int64_t>{16 * h}, ArrayRef<int64_t>{16},
              ArrayRef<int64_t>{1});
      }
      DecodedBlock block;
      block.levels = j % 2 == 0 ? lowNibbles : highNibbles;
      block.nibbleHalves = halves;
      block.highNibbles = j % 2 == 1;
      block.isUnsigned = true;
      if (groupScales) {
        block.pairWeights = vector::ShuffleOp::create(
            b, loc, integerScales, integerScales, SmallVector<int64_t>(16, j));
      } else {
        block.scale = vector::ExtractOp::create(b, loc, scales, j);
        block.offset = vector::ExtractOp::create(b, loc, offsets, j);
      }
      blocks.push_back(block);
    }
    return blocks;
  }
  // q6_k: ql[128], qh[64], i8 scales[16], f16 d. Weight 128 h + 32 r + l
  // (r < 4, l < 32) has its low 4 bits in ql[64 h + 32 (r % 2) + l] (low
  // nibble for r < 2, else high), its top 2 in bits 2r, 2r + 1 of
  // qh[32 h + l], and scale scales[(128 h + 32 r + l) / 16].
  Value d = loadRowHalf(w, row, at(208));
  Value scaleBytes = loadRowBytes(w, row, at(192), 16);
  Value scales, integerScales;
  if (groupScales) {
    // For integer dot products: the scales as i16 (vpmaddwd's multiplier),
    // the super-block's d; the pair sums of weights 0-15 of a sub-block of
    // 32 take lanes 0-7, those of weights 16-31 lanes 8-15.
    integerScales = arith::ExtSIOp::create(
        b, loc, VectorType::get({16}, b.getI16Type()), scaleBytes);
    groupScales->d = d;
    groupScales->offsets = Value();
  } else {
    auto scalesType = VectorType::get({16}, b.getF32Type());
    scales = mul(arith::SIToFPOp::create(b, loc, scalesType, scaleBytes),
                 vector::BroadcastOp::create(b, loc, scalesType, d));
  }
  for (int64_t h = 0; h < 2; ++h) {
    Value qh = loadRowBytes(w, row, at(128 + 32 * h), kBlock);
    Value ql[2] = {loadRowBytes(w, row, at(64 * h), kBlock),
                   loadRowBytes(w, row, at(64 * h + 32), kBlock)};
    for (int64_t r = 0; r < 4; ++r) {
      Value low = r < 2 ? byteOp(ql[r % 2], 15, ByteOp::And)
                        : byteOp(ql[r % 2], 4, ByteOp::ShiftRight);
      Value high = byteOp(byteOp(r ? byteOp(qh, 2 * r, ByteOp::ShiftRight) : qh,
                                 3, ByteOp::And),
                          4, ByteOp::ShiftLeft);
      DecodedBlock block;
      // 0..63 - 32 fits a signed byte: the levels are centred here.
      block.levels =
          byteOp(arith::OrIOp::create(b, loc, low, high), 32, ByteOp::Sub);
      int64_t k = 4 * h + r;
      if (groupScales) {
        SmallVector<int64_t> order(8, 2 * k);
        order.append(8, 2 * k + 1);
        block.pairWeights = vector::ShuffleOp::create(b, loc, integerScales,
                                                      integerScales, order);
      } else {
        block.halfScales = {
            vector::ExtractOp::create(b, loc, scales, 2 * k).getResult(),
            vector::ExtractOp::create(b, loc, scales, 2 * k + 1).getResult()};
      }
      blocks.push_back(block);
    }
  }
  return blocks;
}

Value KernelBuilder::unpackNibbles(Value bytes) {
  Type i8 = b.getI8Type();
  auto halfType = VectorType::get({kBlock / 2}, i8);
  Value low = arith::AndIOp::create(
      b, loc, bytes,
      arith::ConstantOp::create(b, loc, halfType,
                                DenseElementsAttr::get(halfType, int8_t(15))));
  Value high = arith::ShRUIOp::create(
      b, loc, bytes,
      arith::ConstantOp::create(b, loc, halfType,
                                DenseElementsAttr::get(halfType, int8_t(4))));
  SmallVector<int64_t> order(kBlock);
  for (int64_t i = 0; i < kBlock; ++i)
    order[i] = i;
  return vector::ShuffleOp::create(b, loc, low, high, order);
}

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
  switch (quant.getFormat()) {
  case llm::QuantFormat::Q8_0:
    decoded.scale = loadHalf(0);
    decoded.levels = loadBytes(kBlock, 2);
    break;
  case llm::QuantFormat::Q4_0:
    decoded.scale = loadHalf(0);
    decoded.packedNibbles = loadBytes(kBlock / 2, 2);
    decoded.levels = unpackNibbles(decoded.packedNibbles);
    decoded.isUnsigned = true;
    decoded.zeroPoint = 8;
    break;
  case llm::QuantFormat::Q4_1:
    decoded.scale = loadHalf(0);
    decoded.offset = loadHalf(2);
    decoded.packedNibbles = loadBytes(kBlock / 2, 4);
    decoded.levels = unpackNibbles(decoded.packedNibbles);
    decoded.isUnsigned = true;
    break;
  case llm::QuantFormat::Q4_K:
  case llm::QuantFormat::Q6_K:
    llvm_unreachable("super-blocks are decoded by decodeGroup");
  }
  return decoded;
}

/// 0 - `ints` (a vector of integers).
static Value negate(OpBuilder &b, Location loc, Value ints) {
  return arith::SubIOp::create(
      b, loc,
      arith::ConstantOp::create(
          b, loc, ints.getType(),
          DenseElementsAttr::get(cast<ShapedType>(ints.getType()), 0)),
      ints);
}

Value KernelBuilder::levelsToF32(const DecodedBlock &block) {
  auto type = VectorType::get({kBlock}, b.getF32Type());
  if (block.packedNibbles && target.getVectorWidth() >= 16) {
    // 4-bit levels straight from their bytes through a table of the 16
    // centred values (exact in f32, so the same result either way).
    SmallVector<float> table;
    for (int64_t level = 0; level < 16; ++level)
      table.push_back(static_cast<float>(level - block.zeroPoint));
    if (Value looked =
            target.emitNibbleLookup(b, loc, block.packedNibbles, table))
      return looked;
  }
  if (block.nibbleHalves[0] && target.getVectorWidth() >= 16) {
    // q4_k: each half's lookup gives the levels of its low nibbles, then
    // of its high ones; the block takes one kind from both halves (the
    // lookups are shared with the neighbouring block, which takes the
    // other kind).
    SmallVector<float> table;
    for (int64_t level = 0; level < 16; ++level)
      table.push_back(static_cast<float>(level));
    Value first = target.emitNibbleLookup(b, loc, block.nibbleHalves[0], table);
    Value second =
        first ? target.emitNibbleLookup(b, loc, block.nibbleHalves[1], table)
              : Value();
    if (second) {
      int64_t from = block.highNibbles ? 16 : 0;
      SmallVector<int64_t> order;
      for (int64_t i = 0; i < 16; ++i)
        order.push_back(from + i);
      for (int64_t i = 0; i < 16; ++i)
        order.push_back(kBlock + from + i);
      return vector::ShuffleOp::create(b, loc, first, second, order);
    }
  }
  if (block.zeroPoint) {
    // 0..15 - 8 fits a signed byte: centre before converting.
    auto bytesType = cast<VectorType>(block.levels.getType());
    Value centred = arith::SubIOp::create(
        b, loc, block.levels,
        arith::ConstantOp::create(
            b, loc, bytesType,
            DenseElementsAttr::get(bytesType,
                                   static_cast<int8_t>(block.zeroPoint))));
    return arith::SIToFPOp::create(b, loc, type, centred);
  }
  if (block.isUnsigned)
    return arith::UIToFPOp::create(b, loc, type, block.levels);
  return arith::SIToFPOp::create(b, loc, type, block.levels);
}

Value KernelBuilder::dequantizeBlock(const DecodedBlock &block) {
  auto type = VectorType::get({kBlock}, b.getF32Type());
  Value levels = levelsToF32(block);
  Value scale;
  if (block.scale) {
    scale = vector::BroadcastOp::create(b, loc, type, block.scale);
  } else {
    auto halfType = VectorType::get({kBlock / 2}, b.getF32Type());
    SmallVector<int64_t> order(kBlock);
    for (int64_t i = 0; i < kBlock; ++i)
      order[i] = i;
    scale = vector::ShuffleOp::create(
        b, loc,
        vector::BroadcastOp::create(b, loc, halfType, block.halfScales[0]),
        vector::BroadcastOp::create(b, loc, halfType, block.halfScales[1]),
        order);
  }
  if (!block.offset)
    return mul(levels, scale);
  Value offset = vector::BroadcastOp::create(b, loc, type, block.offset);
  return vector::FMAOp::create(b, loc, levels, scale, offset);
}

bool KernelBuilder::usesInt8Dot(const WeightRows &w) const {
  llm::QuantType quant = w.getQuantType();
  return quant && target.hasInt8DotProduct();
}

DotInput KernelBuilder::prepareDotInput(const WeightRows &w, Value x,
                                        int64_t n) {
  DotInput input(x);
  if (!usesInt8Dot(w))
    return input;
  Type f32Type = b.getF32Type();
  if (w.getQuantType().hasPairedBlocks(n))
    return preparePairedDotInput(x, n);
  if (w.getQuantType().isSuperBlock())
    return prepareSuperBlockDotInput(w, x, n);
  input.q8 = createTemporary(b, loc, n, b.getI8Type());
  input.q8Scales = createTemporary(b, loc, n / kBlock * 8, f32Type);
  llm::QuantFormat format = w.getQuantType().getFormat();
  if (format == llm::QuantFormat::Q4_0)
    input.q8ZeroPointTerms =
        createTemporary(b, loc, n / kBlock * 8, b.getI32Type());
  if (format == llm::QuantFormat::Q4_1)
    input.q8Sums = createTemporary(b, loc, n / kBlock * 8, f32Type);
  loop(0, n / kBlock, 1, [&](Value blk) {
    BlockLevels block = quantizeInputBlock(x, blk);
    vector::StoreOp::create(
        b, loc,
        vector::BroadcastOp::create(b, loc, VectorType::get({8}, f32Type),
                                    block.scale),
        input.q8Scales, ValueRange{muli(blk, idx(8))});
    vector::StoreOp::create(b, loc, block.levels, input.q8,
                            ValueRange{muli(blk, idx(kBlock))});
    if (input.q8ZeroPointTerms) {
      auto bytes = VectorType::get({kBlock}, b.getI8Type());
      Value zeroPoints = arith::ConstantOp::create(
          b, loc, bytes, DenseElementsAttr::get(bytes, int8_t(8)));
      Value sums = target.emitInt8DotProduct(b, loc, zeroPoints, block.levels,
                                             /*lhsUnsigned=*/true);
      vector::StoreOp::create(b, loc, negate(b, loc, sums),
                              input.q8ZeroPointTerms,
                              ValueRange{muli(blk, idx(8))});
    }
    if (input.q8Sums) {
      auto bytes = VectorType::get({kBlock}, b.getI8Type());
      Value ones = arith::ConstantOp::create(
          b, loc, bytes, DenseElementsAttr::get(bytes, int8_t(1)));
      auto lanesType = VectorType::get({8}, f32Type);
      Value sums = arith::SIToFPOp::create(
          b, loc, lanesType,
          target.emitInt8DotProduct(b, loc, ones, block.levels,
                                    /*lhsUnsigned=*/true));
      vector::StoreOp::create(b, loc,
                              mul(sums, vector::BroadcastOp::create(
                                            b, loc, lanesType, block.scale)),
                              input.q8Sums, ValueRange{muli(blk, idx(8))});
    }
  });
  return input;
}

/// The input of k-quant rows, as llama.cpp rounds it for them: one scale
/// per super-block of 256 (d_x = max|x| / 127 over the 256, stored 8
/// times), the levels as for blocks of 32, and for q4_k the sub-blocks'
/// sums d_x * sum(x_q), lane j for sub-block j.
DotInput KernelBuilder::prepareSuperBlockDotInput(const WeightRows &w, Value x,
                                                  int64_t n) {
  DotInput input(x);
  input.superBlocks = true;
  Type f32Type = b.getF32Type();
  auto type = VectorType::get({kBlock}, f32Type);
  auto lanesType = VectorType::get({8}, f32Type);
  auto bytes = VectorType::get({kBlock}, b.getI8Type());
  int64_t perGroup = blocksPerGroup(w);
  int64_t groups = n / kBlock / perGroup;
  bool sums = w.getQuantType().getFormat() == llm::QuantFormat::Q4_K;
  input.q8 = createTemporary(b, loc, n, b.getI8Type());
  input.q8Scales = createTemporary(b, loc, groups * 8, f32Type);
  if (sums)
    input.q8Sums = createTemporary(b, loc, groups * 8, f32Type);
  loop(0, groups, 1, [&](Value group) {
    Value first = muli(group, idx(perGroup));
    auto blockAt = [&](int64_t i) {
      return vector::LoadOp::create(
          b, loc, type, x, ValueRange{muli(addi(first, idx(i)), idx(kBlock))});
    };
    Value amax;
    for (int64_t i = 0; i < perGroup; ++i) {
      Value m =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXNUMF,
                                      math::AbsFOp::create(b, loc, blockAt(i)));
      amax = amax ? arith::MaxNumFOp::create(b, loc, amax, m).getResult() : m;
    }
    Value d = div(amax, f32(127.0));
    Value nonzero =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, d, f32(0.0));
    Value inverse =
        arith::SelectOp::create(b, loc, nonzero, div(f32(1.0), d), f32(0.0));
    Value ones = arith::ConstantOp::create(
        b, loc, bytes, DenseElementsAttr::get(bytes, int8_t(1)));
    SmallVector<Value> blockSums;
    for (int64_t i = 0; i < perGroup; ++i) {
      Value scaled =
          mul(blockAt(i), vector::BroadcastOp::create(b, loc, type, inverse));
      Value levels = arith::FPToSIOp::create(
          b, loc, bytes, math::RoundOp::create(b, loc, scaled));
      vector::StoreOp::create(
          b, loc, levels, input.q8,
          ValueRange{muli(addi(first, idx(i)), idx(kBlock))});
      if (sums) {
        Value lanes = target.emitInt8DotProduct(b, loc, ones, levels,
                                                /*lhsUnsigned=*/true);
        Value total = vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD, lanes);
        blockSums.push_back(
            mul(arith::SIToFPOp::create(b, loc, f32Type, total), d));
      }
    }
    vector::StoreOp::create(b, loc,
                            vector::BroadcastOp::create(b, loc, lanesType, d),
                            input.q8Scales, ValueRange{muli(group, idx(8))});
    if (sums)
      vector::StoreOp::create(
          b, loc, vector::FromElementsOp::create(b, loc, lanesType, blockSums),
          input.q8Sums, ValueRange{muli(group, idx(8))});
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
  input.q8ZeroPointTerms = createTemporary(b, loc, pairs * 8, b.getI32Type());
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
    vector::StoreOp::create(b, loc, negate(b, loc, sums),
                            input.q8ZeroPointTerms,
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
KernelBuilder::DecodedPair KernelBuilder::decodePair(const WeightRows &w,
                                                     Value row, Value pair,
                                                     bool streamPrefetch) {
  auto accType = VectorType::get({8}, b.getF32Type());
  auto bytes = VectorType::get({kBlock}, b.getI8Type());
  int64_t pairBytes = 2 * w.getQuantType().getBlockBytes();
  Value start = muli(pair, idx(pairBytes));
  if (streamPrefetch)
    prefetchAhead(w, row, start);
  Value scaleBytes =
      vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()),
                             w.rows, ValueRange{row, start});
  Value halves = vector::BitCastOp::create(
      b, loc, VectorType::get({2}, b.getF16Type()), scaleBytes);
  Value spread = vector::ShuffleOp::create(
      b, loc, halves, halves, ArrayRef<int64_t>{0, 0, 0, 0, 1, 1, 1, 1});
  DecodedPair decoded;
  decoded.scale = arith::ExtFOp::create(b, loc, accType, spread);
  Value nibbles = vector::LoadOp::create(b, loc, bytes, w.rows,
                                         ValueRange{row, addi(start, idx(4))});
  decoded.low = arith::AndIOp::create(
      b, loc, nibbles,
      arith::ConstantOp::create(b, loc, bytes,
                                DenseElementsAttr::get(bytes, int8_t(15))));
  decoded.high = arith::ShRUIOp::create(
      b, loc, nibbles,
      arith::ConstantOp::create(b, loc, bytes,
                                DenseElementsAttr::get(bytes, int8_t(4))));
  return decoded;
}

Value KernelBuilder::pairedDotStep(const DecodedPair &weights,
                                   const DotInput &x, Value pair, Value acc) {
  auto accType = VectorType::get({8}, b.getF32Type());
  auto bytes = VectorType::get({kBlock}, b.getI8Type());
  Value at = muli(pair, idx(2 * kBlock));
  Value xLow = vector::LoadOp::create(b, loc, bytes, x.q8, ValueRange{at});
  Value xHigh = vector::LoadOp::create(b, loc, bytes, x.q8,
                                       ValueRange{addi(at, idx(kBlock))});
  // The zero point's terms, then both halves' products accumulated onto
  // them (exact integers: any order gives the same sums).
  Value products = vector::LoadOp::create(
      b, loc, VectorType::get({8}, b.getI32Type()), x.q8ZeroPointTerms,
      ValueRange{muli(pair, idx(8))});
  products = target.emitInt8DotProductAccumulate(b, loc, products, weights.low,
                                                 xLow, /*lhsUnsigned=*/true);
  products = target.emitInt8DotProductAccumulate(b, loc, products, weights.high,
                                                 xHigh, /*lhsUnsigned=*/true);
  Value sums = arith::SIToFPOp::create(b, loc, accType, products);
  Value inputScale = vector::LoadOp::create(b, loc, accType, x.q8Scales,
                                            ValueRange{muli(pair, idx(8))});
  return vector::FMAOp::create(b, loc, sums, mul(weights.scale, inputScale),
                               acc);
}

SmallVector<Value> KernelBuilder::dotRows(ArrayRef<RowRef> rows,
                                          const DotInput &x, int64_t n,
                                          function_ref<void(Value)> prefetch) {
  if (x.paired)
    return pairedInt8DotTile(rows, x, n, prefetch);
  SmallVector<Value> results;
  for (const RowRef &ref : rows)
    results.push_back(dot(*ref.weight, ref.row, x, n));
  return results;
}

Value KernelBuilder::pairedInt8Dot(const WeightRows &w, Value row,
                                   const DotInput &x, int64_t n) {
  return chainedSum(n / (2 * kBlock), [&](Value pair, Value acc) -> Value {
    return pairedDotStep(decodePair(w, row, pair), x, pair, acc);
  });
}

SmallVector<Value>
KernelBuilder::pairedInt8DotTile(ArrayRef<RowRef> rows, ArrayRef<DotInput> xs,
                                 int64_t n,
                                 function_ref<void(Value)> prefetch) {
  auto accType = VectorType::get({8}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  SmallVector<Value> init(rows.size() * xs.size(), zero);
  auto forOp =
      scf::ForOp::create(b, loc, idx(0), idx(n / (2 * kBlock)), idx(1), init);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    Value pair = forOp.getInductionVar();
    if (prefetch)
      prefetch(pair);
    SmallVector<Value> next;
    for (auto [r, ref] : llvm::enumerate(rows)) {
      DecodedPair weights =
          decodePair(*ref.weight, ref.row, pair, /*streamPrefetch=*/!prefetch);
      for (auto [j, x] : llvm::enumerate(xs))
        next.push_back(pairedDotStep(
            weights, x, pair, forOp.getRegionIterArgs()[r * xs.size() + j]));
    }
    scf::YieldOp::create(b, loc, next);
  }
  return sumEach(forOp.getResults());
}

Value KernelBuilder::int8Dot(const WeightRows &w, Value row, const DotInput &x,
                             int64_t n, function_ref<void(Value)> prefetch) {
  if (x.paired)
    return pairedInt8Dot(w, row, x, n);
  if (x.superBlocks)
    return superBlockInt8Dot(w, row, x, n, prefetch);
  auto accType = VectorType::get({8}, b.getF32Type());
  auto laneSums = VectorType::get({8}, b.getI32Type());
  return chainedSum(n / kBlock, [&](Value blk, Value acc) {
    if (prefetch)
      prefetch(blk);
    else
      prefetchAhead(w, row, muli(blk, idx(w.getQuantType().getBlockBytes())));
    DecodedBlock block = decodeBlock(w, row, blk);
    Value xq =
        vector::LoadOp::create(b, loc, VectorType::get({kBlock}, b.getI8Type()),
                               x.q8, ValueRange{muli(blk, idx(kBlock))});
    Value lanes = muli(blk, idx(8));
    Value products;
    if (block.zeroPoint) {
      assert(x.q8ZeroPointTerms && "input prepared for another format");
      products = target.emitInt8DotProductAccumulate(
          b, loc,
          vector::LoadOp::create(b, loc, laneSums, x.q8ZeroPointTerms,
                                 ValueRange{lanes}),
          block.levels, xq, block.isUnsigned);
    } else {
      products =
          target.emitInt8DotProduct(b, loc, block.levels, xq, block.isUnsigned);
    }
    Value sums = arith::SIToFPOp::create(b, loc, accType, products);
    // Both scales as 8 lanes: the weight's f16 broadcast, then extended
    // (vpbroadcastw, vcvtph2ps), times the input's stored 8 times.
    Value halves = vector::BroadcastOp::create(
        b, loc, VectorType::get({8}, b.getF16Type()), block.scaleF16);
    Value weightScale = arith::ExtFOp::create(b, loc, accType, halves);
    Value inputScale =
        vector::LoadOp::create(b, loc, accType, x.q8Scales, ValueRange{lanes});
    acc =
        vector::FMAOp::create(b, loc, sums, mul(weightScale, inputScale), acc);
    if (block.offset) {
      // sum(offset * x) = offset * (d_x * sum(x_q)), lane by lane.
      assert(x.q8Sums && "input prepared for another format");
      Value inputSums =
          vector::LoadOp::create(b, loc, accType, x.q8Sums, ValueRange{lanes});
      Value offset = vector::BroadcastOp::create(b, loc, accType, block.offset);
      acc = vector::FMAOp::create(b, loc, inputSums, offset, acc);
    }
    return acc;
  });
}

/// A k-quant row against an input rounded per super-block (one d_x per 256):
/// each sub-block's products are scaled by its integer scale inside the
/// integer dot product (vpmaddwd by the scale instead of ones) and added in
/// i32, so a super-block costs one conversion and one FMA: sum = d * d_x *
/// sum_j s_j sum(q x_q), plus, for q4_k, the 8 lanes of offsets (-dmin m_j)
/// times the input's sub-block sums (d_x sum(x_q), stored per lane j).
Value KernelBuilder::superBlockInt8Dot(const WeightRows &w, Value row,
                                       const DotInput &x, int64_t n,
                                       function_ref<void(Value)> prefetch) {
  auto accType = VectorType::get({8}, b.getF32Type());
  auto intType = VectorType::get({8}, b.getI32Type());
  Value zero = arith::ConstantOp::create(b, loc, intType,
                                         DenseElementsAttr::get(intType, 0));
  int64_t perGroup = blocksPerGroup(w);
  return chainedSum(n / kBlock / perGroup, [&](Value group, Value acc) {
    // No prefetchAhead here: measured on Zen 3 it made q4_k rows a third
    // slower (35 -> 23 tok/s on one thread), where it speeds up q4_0/q8_0;
    // on Zen 4 too (the q_proj matvec 4.2 -> 5.6 ms per token). The caller's
    // `prefetch` (the sparse FFN's requests for its next rows) is another
    // matter.
    if (prefetch)
      prefetch(group);
    GroupScales scales;
    SmallVector<DecodedBlock> blocks = decodeGroup(w, row, group, &scales);
    // The sub-blocks' sums in two chains (even and odd sub-blocks), joined
    // at the end (exact integers, so the order does not change them): in
    // one chain each product waited for the one before it, and the chain's
    // latency, not the instruction count, set the speed of q4_k rows.
    Value chains[2] = {zero, zero};
    for (auto [i, block] : llvm::enumerate(blocks)) {
      Value blk = addi(muli(group, idx(perGroup)), idx(i));
      Value xq = vector::LoadOp::create(
          b, loc, VectorType::get({kBlock}, b.getI8Type()), x.q8,
          ValueRange{muli(blk, idx(kBlock))});
      Value &chain = chains[i % 2];
      chain = target.emitInt8DotProductAccumulate(
          b, loc, chain, block.levels, xq, block.isUnsigned, block.pairWeights);
    }
    Value products = arith::AddIOp::create(b, loc, chains[0], chains[1]);
    Value lanes = muli(group, idx(8));
    Value inputScale =
        vector::LoadOp::create(b, loc, accType, x.q8Scales, ValueRange{lanes});
    Value scale =
        mul(vector::BroadcastOp::create(b, loc, accType, scales.d), inputScale);
    acc = vector::FMAOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, accType, products), scale, acc);
    if (scales.offsets) {
      assert(x.q8Sums && "input prepared for another format");
      Value inputSums =
          vector::LoadOp::create(b, loc, accType, x.q8Sums, ValueRange{lanes});
      acc = vector::FMAOp::create(b, loc, inputSums, scales.offsets, acc);
    }
    return acc;
  });
}

Value KernelBuilder::quantizedDot(const WeightRows &w, Value row, Value x,
                                  int64_t n) {
  auto accType = VectorType::get({kBlock}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, loc, accType,
                                         DenseElementsAttr::get(accType, 0.0f));
  int64_t perGroup = blocksPerGroup(w);
  Value acc = loopCarry(
      idx(0), idx(n / kBlock / perGroup), 1, zero, [&](Value group, Value sum) {
        for (auto [i, block] : llvm::enumerate(decodeGroup(w, row, group))) {
          Value at =
              muli(addi(muli(group, idx(perGroup)), idx(i)), idx(kBlock));
          Value xv = vector::LoadOp::create(b, loc, accType, x, ValueRange{at});
          sum = vector::FMAOp::create(b, loc, dequantizeBlock(block), xv, sum);
        }
        return sum;
      });
  return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, acc);
}

int64_t KernelBuilder::dotSteps(const WeightRows &w, const DotInput &x,
                                int64_t n) const {
  if (!w.getQuantType())
    return n / (target.lanesFor(n) * floatDotChains(n));
  if (x.superBlocks)
    return n / kBlock / blocksPerGroup(w);
  return x.paired ? n / (2 * kBlock) : n / kBlock;
}

int64_t KernelBuilder::accumulateSteps(const WeightRows &w, int64_t n) const {
  llm::QuantType quant = w.getQuantType();
  if (!quant)
    return n / target.lanesFor(n);
  if (quant.getFormat() == llm::QuantFormat::Q4_0 && quant.hasPairedBlocks(n))
    return n / (2 * kBlock);
  return n / kBlock / blocksPerGroup(w);
}

void KernelBuilder::quantizedAccumulateRows(
    const WeightRows &w, ValueRange rows, ValueRange scales, Value acc,
    Value base, int64_t n, function_ref<void(Value)> prefetch) {
  auto type = VectorType::get({kBlock}, b.getF32Type());
  llm::QuantType quant = w.getQuantType();
  // Adds the rows' decoded block `at` (the 32 outputs from `at`), each
  // times its row's factor: factors[r] (one per row: the row's scale folded
  // into its block scale) or, when null, sv[r] and the block's own scales.
  SmallVector<Value> sv;
  for (Value scale : scales)
    sv.push_back(vector::BroadcastOp::create(b, loc, type, scale));
  auto addBlocks = [&](Value at, ArrayRef<DecodedBlock> blocks,
                       ArrayRef<Value> factors) {
    Value ak = addi(base, at);
    Value av = vector::LoadOp::create(b, loc, type, acc, ValueRange{ak});
    // The rows' offsets (q4_1, q4_k) summed first and added once.
    Value offsets;
    for (auto [r, block] : llvm::enumerate(blocks)) {
      if (!block.scale && factors.empty()) {
        av = vector::FMAOp::create(b, loc, dequantizeBlock(block), sv[r], av);
        continue;
      }
      // One scale per block: the row's factor folds into it, so a block
      // costs one FMA of its levels (and one add of its offset) instead of
      // a multiply by the scale and an FMA by the factor.
      Value factor = factors.empty()
                         ? vector::BroadcastOp::create(
                               b, loc, type, mul(scales[r], block.scale))
                         : factors[r];
      av = vector::FMAOp::create(b, loc, levelsToF32(block), factor, av);
      if (block.offset) {
        Value offset = mul(scales[r], block.offset);
        offsets = offsets ? add(offsets, offset) : offset;
      }
    }
    if (offsets)
      av = add(av, vector::BroadcastOp::create(b, loc, type, offsets));
    vector::StoreOp::create(b, loc, av, acc, ValueRange{ak});
  };
  if (quant.getFormat() == llm::QuantFormat::Q4_0 && quant.hasPairedBlocks(n)) {
    // Rows in pairs of blocks (d_a, d_b, qs_a, qs_b): a pair at a time, so
    // its offset is computed once and both scales of a row come from one
    // 4-byte load, converted and multiplied by the row's factor together.
    auto halves = VectorType::get({2}, b.getF16Type());
    auto two = VectorType::get({2}, b.getF32Type());
    int64_t pairBytes = 2 * quant.getBlockBytes();
    loop(0, n / (2 * kBlock), 1, [&](Value pair) {
      if (prefetch)
        prefetch(pair);
      Value start = muli(pair, idx(pairBytes));
      SmallVector<std::array<Value, 2>> factors;
      SmallVector<std::array<DecodedBlock, 2>> decoded;
      for (auto [row, scale] : llvm::zip_equal(rows, scales)) {
        Value bytes =
            vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()),
                                   w.rows, ValueRange{row, start});
        Value scalesF16 = vector::BitCastOp::create(b, loc, halves, bytes);
        Value both = mul(arith::ExtFOp::create(b, loc, two, scalesF16),
                         vector::BroadcastOp::create(b, loc, two, scale));
        std::array<Value, 2> rowFactors;
        std::array<DecodedBlock, 2> rowBlocks;
        for (int64_t h = 0; h < 2; ++h) {
          rowFactors[h] = vector::BroadcastOp::create(
              b, loc, type, vector::ExtractOp::create(b, loc, both, h));
          DecodedBlock &block = rowBlocks[h];
          block.packedNibbles = vector::LoadOp::create(
              b, loc, VectorType::get({kBlock / 2}, b.getI8Type()), w.rows,
              ValueRange{row, addi(start, idx(4 + h * kBlock / 2))});
          block.levels = unpackNibbles(block.packedNibbles);
          block.isUnsigned = true;
          block.zeroPoint = 8;
        }
        factors.push_back(rowFactors);
        decoded.push_back(rowBlocks);
      }
      for (int64_t h = 0; h < 2; ++h) {
        SmallVector<DecodedBlock> blocks;
        SmallVector<Value> blockFactors;
        for (auto [rowBlocks, rowFactors] : llvm::zip_equal(decoded, factors)) {
          blocks.push_back(rowBlocks[h]);
          blockFactors.push_back(rowFactors[h]);
        }
        addBlocks(muli(addi(muli(pair, idx(2)), idx(h)), idx(kBlock)), blocks,
                  blockFactors);
      }
    });
    return;
  }
  int64_t perGroup = blocksPerGroup(w);
  loop(0, n / kBlock / perGroup, 1, [&](Value group) {
    if (prefetch)
      prefetch(group);
    SmallVector<SmallVector<DecodedBlock>> decoded;
    for (Value row : rows)
      decoded.push_back(decodeGroup(w, row, group));
    for (int64_t i = 0; i < perGroup; ++i) {
      SmallVector<DecodedBlock> blocks;
      for (const SmallVector<DecodedBlock> &rowBlocks : decoded)
        blocks.push_back(rowBlocks[i]);
      addBlocks(muli(addi(muli(group, idx(perGroup)), idx(i)), idx(kBlock)),
                blocks, {});
    }
  });
}

void KernelBuilder::quantizedCombineRows(Value out, const WeightRows &w,
                                         Value h, Value lists, Value bounds,
                                         int64_t chunks, Value tiles,
                                         int64_t tile, int64_t n,
                                         StringRef what) {
  int64_t rows = cast<MemRefType>(w.rows.getType()).getDimSize(0);
  int64_t perGroup = blocksPerGroup(w);
  int64_t groupCols = kBlock * perGroup;
  // 256 columns (a tile's outputs: 4 KiB) per stripe where the row allows.
  int64_t stripe = n % 256 == 0 && 256 % groupCols == 0 ? 256 : groupCols;
  // Rows per sweep: their blocks of the stripe (32 x 144 bytes of q4_0)
  // stay in L1 while each block of columns is summed over them.
  constexpr int64_t kRowsPerSweep = 32;
  auto type = VectorType::get({kBlock}, b.getF32Type());
  auto valueOf = [&](Value t0, int64_t j, Value i) -> Value {
    return vector::BroadcastOp::create(
        b, loc, type, load(h, addi(muli(addi(t0, idx(j)), idx(rows)), i)));
  };
  auto rowAt = [&](Value listBase, Value e) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      load(lists, addi(listBase, e)));
  };
  forEachStripeTile(
      out, bounds, chunks, tiles, tile, rows, n, stripe, what,
      [&](Value s, Value c0, Value t0, Value listBase, Value length) {
        if (perGroup > 1) {
          // A k-quant's super-block is 256 columns: too many for the
          // tile's sums to stay in registers; they go through memory.
          loop(idx(0), length, 1, [&](Value e) {
            Value i = rowAt(listBase, e);
            SmallVector<Value> values;
            for (int64_t j = 0; j < tile; ++j)
              values.push_back(valueOf(t0, j, i));
            loop(0, stripe / groupCols, 1, [&](Value k) {
              Value group = addi(muli(s, idx(stripe / groupCols)), k);
              for (auto [blk, block] :
                   llvm::enumerate(decodeGroup(w, i, group))) {
                Value weights = dequantizeBlock(block);
                Value col = muli(addi(muli(group, idx(perGroup)), idx(blk)),
                                 idx(kBlock));
                for (auto [j, value] : llvm::enumerate(values)) {
                  Value at = addi(muli(addi(t0, idx(j)), idx(n)), col);
                  Value sum = vector::FMAOp::create(
                      b, loc, weights, value,
                      vector::LoadOp::create(b, loc, type, out,
                                             ValueRange{at}));
                  vector::StoreOp::create(b, loc, sum, out, ValueRange{at});
                }
              }
            });
          });
          return;
        }
        // Blocks of 32 columns: the tile's sums for one block stay in
        // registers over a sweep of rows.
        loop(idx(0), length, kRowsPerSweep, [&](Value e0) {
          Value e1 = arith::MinUIOp::create(
              b, loc, addi(e0, idx(kRowsPerSweep)), length);
          loop(0, stripe / kBlock, 1, [&](Value k) {
            Value blk = addi(muli(s, idx(stripe / kBlock)), k);
            Value col = muli(blk, idx(kBlock));
            SmallVector<Value> at, init;
            for (int64_t j = 0; j < tile; ++j) {
              at.push_back(addi(muli(addi(t0, idx(j)), idx(n)), col));
              init.push_back(
                  vector::LoadOp::create(b, loc, type, out, at.back()));
            }
            auto forOp = scf::ForOp::create(b, loc, e0, e1, idx(1), init);
            {
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToStart(forOp.getBody());
              Value i = rowAt(listBase, forOp.getInductionVar());
              Value weights = dequantizeBlock(decodeGroup(w, i, blk)[0]);
              SmallVector<Value> next;
              for (int64_t j = 0; j < tile; ++j)
                next.push_back(
                    vector::FMAOp::create(b, loc, weights, valueOf(t0, j, i),
                                          forOp.getRegionIterArgs()[j]));
              scf::YieldOp::create(b, loc, next);
            }
            for (auto [result, a] : llvm::zip_equal(forOp.getResults(), at))
              vector::StoreOp::create(b, loc, result, out, ValueRange{a});
          });
        });
      });
}

void KernelBuilder::quantizedLoadRow(const WeightRows &w, Value row, Value out,
                                     int64_t n) {
  int64_t perGroup = blocksPerGroup(w);
  loop(0, n / kBlock / perGroup, 1, [&](Value group) {
    for (auto [i, block] : llvm::enumerate(decodeGroup(w, row, group))) {
      Value at = muli(addi(muli(group, idx(perGroup)), idx(i)), idx(kBlock));
      vector::StoreOp::create(b, loc, dequantizeBlock(block), out,
                              ValueRange{at});
    }
  });
}

bool KernelBuilder::accumulatesOnInt16(const WeightRows &w, int64_t n) const {
  llm::QuantType quant = w.getQuantType();
  return quant && quant.getFormat() == llm::QuantFormat::Q4_0 &&
         quant.hasPairedBlocks(n) && n % (16 * kBlock) == 0 &&
         target.hasInt16PairDot();
}

std::pair<int64_t, int64_t> KernelBuilder::int16Workspace(int64_t n) {
  // Floats: each block's step; ints: the four rows' block scales (two f16
  // per i32), the two row pairs' packed multiples, each block's zero-point
  // term.
  int64_t blocks = n / kBlock;
  return {blocks, 2 * blocks + 2 * blocks + blocks};
}

void KernelBuilder::accumulateRowsOnInt16(const WeightRows &w, ValueRange rows,
                                          ValueRange scales, Value acc,
                                          Value base, int64_t n, Value floats,
                                          Value floatsAt, Value ints,
                                          Value intsAt,
                                          function_ref<void(Value)> prefetch) {
  assert(rows.size() == 4 && accumulatesOnInt16(w, n));
  constexpr int64_t kLanes = 16;
  constexpr int64_t kMultiple = 32767;
  int64_t blocks = n / kBlock, pairBytes = 2 * w.getQuantType().getBlockBytes();
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  auto floatsType = VectorType::get({kLanes}, f32);
  auto intsType = VectorType::get({kLanes}, i32);
  auto shortsType = VectorType::get({2 * kLanes}, b.getI16Type());
  auto splatInts = [&](VectorType type, int64_t v) -> Value {
    return arith::ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(type,
                               b.getIntegerAttr(type.getElementType(), v)));
  };
  auto splatF32 = [&](float v) -> Value {
    return arith::ConstantOp::create(b, loc, floatsType,
                                     DenseElementsAttr::get(floatsType, v));
  };
  Value scalesAt[4];
  for (int64_t r = 0; r < 4; ++r)
    scalesAt[r] = addi(intsAt, idx(r * blocks / 2));
  Value pairsAt[2] = {addi(intsAt, idx(2 * blocks)),
                      addi(intsAt, idx(3 * blocks))};
  Value zeroTermsAt = addi(intsAt, idx(4 * blocks));
  Value stepsAt = floatsAt;

  // Each row's block scales side by side (a pair's two from one 4-byte
  // word: integer moves, off the vector units).
  loop(0, blocks / 2, 1, [&](Value pair) {
    Value start = muli(pair, idx(pairBytes));
    for (int64_t r = 0; r < 4; ++r) {
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, i32),
          vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()),
                                 w.rows, ValueRange{rows[r], start}));
      store(vector::ExtractOp::create(b, loc, word, int64_t(0)), ints,
            {addi(scalesAt[r], pair)});
    }
  });

  // Per block: step s = max|factor| / 32767 and the factors as the nearest
  // multiples of s (|k| <= 32767), rows 0, 1 and 2, 3 packed into one i32
  // each (vpdpwssd's pairs), and -8 * sum(k) for the levels' zero point.
  loop(0, blocks, kLanes, [&](Value k) {
    SmallVector<Value> factors;
    Value largest;
    Value pair = arith::DivUIOp::create(b, loc, k, idx(2));
    for (int64_t r = 0; r < 4; ++r) {
      Value words =
          vector::LoadOp::create(b, loc, VectorType::get({kLanes / 2}, i32),
                                 ints, ValueRange{addi(scalesAt[r], pair)});
      Value halves = vector::BitCastOp::create(
          b, loc, VectorType::get({kLanes}, b.getF16Type()), words);
      factors.push_back(
          mul(arith::ExtFOp::create(b, loc, floatsType, halves),
              vector::BroadcastOp::create(b, loc, floatsType, scales[r])));
      Value magnitude = math::AbsFOp::create(b, loc, factors.back());
      largest = largest ? arith::MaximumFOp::create(b, loc, largest, magnitude)
                              .getResult()
                        : magnitude;
    }
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                           largest, splatF32(0.0f));
    Value inverse = arith::SelectOp::create(
        b, loc, positive,
        arith::DivFOp::create(b, loc, splatF32(float(kMultiple)), largest),
        splatF32(0.0f));
    vector::StoreOp::create(b, loc,
                            mul(largest, splatF32(1.0f / float(kMultiple))),
                            floats, ValueRange{addi(stepsAt, k)});
    SmallVector<Value> multiples;
    for (Value factor : factors)
      multiples.push_back(arith::FPToSIOp::create(
          b, loc, intsType,
          math::RoundEvenOp::create(b, loc, mul(factor, inverse))));
    for (int64_t p = 0; p < 2; ++p) {
      Value packed = arith::OrIOp::create(
          b, loc,
          arith::AndIOp::create(b, loc, multiples[2 * p],
                                splatInts(intsType, 0xffff)),
          arith::ShLIOp::create(b, loc, multiples[2 * p + 1],
                                splatInts(intsType, 16)));
      vector::StoreOp::create(b, loc, packed, ints,
                              ValueRange{addi(pairsAt[p], k)});
    }
    Value sum = arith::AddIOp::create(
        b, loc, arith::AddIOp::create(b, loc, multiples[0], multiples[1]),
        arith::AddIOp::create(b, loc, multiples[2], multiples[3]));
    vector::StoreOp::create(
        b, loc, arith::MulIOp::create(b, loc, sum, splatInts(intsType, -8)),
        ints, ValueRange{addi(zeroTermsAt, k)});
  });

  // The rows, a pair of blocks at a time: for each row pair and block, one
  // byte shuffle puts the two rows' bytes j side by side in 16-bit lanes
  // (each byte twice: the mask keeps one nibble), so that lane 2j holds row
  // a's level j and lane 2j+1 row b's, against the multiples (k_a, k_b).
  // The sums start at the zero-point term; a block's 32 outputs then take
  // one conversion and one FMA by its step per 16.
  auto bytesType = VectorType::get({kBlock}, b.getI8Type());
  Value lowNibble = splatInts(shortsType, 15),
        twelve = splatInts(shortsType, 12);
  loop(0, blocks / 2, 1, [&](Value pair) {
    if (prefetch)
      prefetch(pair);
    Value start = addi(muli(pair, idx(pairBytes)), idx(4));
    SmallVector<Value> levels;
    for (Value row : rows)
      levels.push_back(vector::LoadOp::create(b, loc, bytesType, w.rows,
                                              ValueRange{row, start}));
    for (int64_t h = 0; h < 2; ++h) {
      Value block = addi(muli(pair, idx(2)), idx(h));
      SmallVector<int64_t> order;
      for (int64_t j = 0; j < kLanes; ++j)
        for (int64_t from :
             {16 * h + j, 16 * h + j, kBlock + 16 * h + j, kBlock + 16 * h + j})
          order.push_back(from);
      Value zeroTerm = vector::BroadcastOp::create(
          b, loc, intsType, load(ints, {addi(zeroTermsAt, block)}));
      Value sums[2] = {zeroTerm, zeroTerm};
      for (int64_t p = 0; p < 2; ++p) {
        Value words = vector::BitCastOp::create(
            b, loc, shortsType,
            vector::ShuffleOp::create(b, loc, levels[2 * p], levels[2 * p + 1],
                                      order));
        Value multiples = vector::BitCastOp::create(
            b, loc, shortsType,
            vector::BroadcastOp::create(b, loc, intsType,
                                        load(ints, {addi(pairsAt[p], block)})));
        // Lane (byte << 8) | byte: its low 4 bits are the low nibble, its
        // top 4 the high one.
        Value low = arith::AndIOp::create(b, loc, words, lowNibble);
        Value high = arith::ShRUIOp::create(b, loc, words, twelve);
        sums[0] =
            target.emitInt16PairDotAccumulate(b, loc, sums[0], low, multiples);
        sums[1] =
            target.emitInt16PairDotAccumulate(b, loc, sums[1], high, multiples);
      }
      Value step = vector::BroadcastOp::create(
          b, loc, floatsType, load(floats, {addi(stepsAt, block)}));
      for (int64_t half = 0; half < 2; ++half) {
        Value at = addi(base, addi(muli(block, idx(kBlock)), idx(16 * half)));
        Value av =
            vector::LoadOp::create(b, loc, floatsType, acc, ValueRange{at});
        av = vector::FMAOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, floatsType, sums[half]),
            step, av);
        vector::StoreOp::create(b, loc, av, acc, ValueRange{at});
      }
    }
  });
}

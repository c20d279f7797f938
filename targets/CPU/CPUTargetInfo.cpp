//===- CPUTargetInfo.cpp - x86-64 and AArch64 ----------------------------===//

#include "targets/CPU/CPUTargetInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::sparsec;

void CPUTargetInfo::emitPrefetch(OpBuilder &b, Location loc, Value memref,
                                 ValueRange indices,
                                 PrefetchLevel level) const {
  memref::PrefetchOp::create(b, loc, memref, indices, /*isWrite=*/false,
                             /*localityHint=*/level == PrefetchLevel::L1 ? 3
                                                                         : 2,
                             /*isDataCache=*/true);
}

Value CPUTargetInfo::emitInt8DotProduct(OpBuilder &b, Location loc, Value lhs,
                                        Value rhs, bool lhsUnsigned,
                                        Value pairWeights) const {
  assert(int8Dot != Int8Dot::None && "emitInt8DotProduct on a target without");
  if (int8Dot == Int8Dot::SDot)
    return emitSDot(b, loc, lhs, rhs, pairWeights);
  return emitX86Dot(b, loc, Value(), lhs, rhs, lhsUnsigned, pairWeights);
}

Value CPUTargetInfo::emitInt8DotProductAccumulate(OpBuilder &b, Location loc,
                                                  Value accumulator, Value lhs,
                                                  Value rhs, bool lhsUnsigned,
                                                  Value pairWeights) const {
  if (int8Dot == Int8Dot::SDot)
    return TargetInfoBase::emitInt8DotProductAccumulate(
        b, loc, accumulator, lhs, rhs, lhsUnsigned, pairWeights);
  return emitX86Dot(b, loc, accumulator, lhs, rhs, lhsUnsigned, pairWeights);
}

Value CPUTargetInfo::emitX86Dot(OpBuilder &b, Location loc, Value accumulator,
                                Value lhs, Value rhs, bool lhsUnsigned,
                                Value pairWeights) const {
  assert(int8Dot == Int8Dot::AVX2 || int8Dot == Int8Dot::VNNI);
  // vpmaddubsw multiplies unsigned by signed bytes: an unsigned lhs goes in
  // as it is; a signed one as |lhs|, times rhs with lhs's sign (vpsignb).
  // Pairs of products are at most 2 * 127 * 127 < 2^15, so its i16
  // saturation never applies; vpmaddwd by ones (or by `pairWeights`) adds
  // neighbouring pairs into i32.
  auto bytes = cast<VectorType>(lhs.getType());
  auto shorts = VectorType::get({16}, b.getI16Type());
  auto ints = VectorType::get({8}, b.getI32Type());
  auto intrinsic = [&](Type result, StringRef name, ValueRange args) {
    return LLVM::CallIntrinsicOp::create(b, loc, result, b.getStringAttr(name),
                                         args)
        .getResult(0);
  };
  Value magnitude = lhs, signedRhs = rhs;
  if (!lhsUnsigned) {
    magnitude = math::AbsIOp::create(b, loc, lhs);
    signedRhs = intrinsic(bytes, "llvm.x86.avx2.psign.b", {rhs, lhs});
  }
  // vpdpbusd sums the four products of a lane at once, into its
  // accumulator; with pair weights (k-quant sub-block scales) vpmaddwd
  // applies them at no extra cost, so that case keeps the two-step form.
  if (int8Dot == Int8Dot::VNNI && !pairWeights) {
    if (!accumulator)
      accumulator = arith::ConstantOp::create(b, loc, ints,
                                              DenseElementsAttr::get(ints, 0));
    return intrinsic(ints, "llvm.x86.avx512.vpdpbusd.256",
                     {accumulator, magnitude, signedRhs});
  }
  Value pairs =
      intrinsic(shorts, "llvm.x86.avx2.pmadd.ub.sw", {magnitude, signedRhs});
  if (!pairWeights)
    pairWeights = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(shorts, int16_t(1)));
  if (int8Dot == Int8Dot::VNNI && accumulator)
    return intrinsic(ints, "llvm.x86.avx512.vpdpwssd.256",
                     {accumulator, pairs, pairWeights});
  Value sums = intrinsic(ints, "llvm.x86.avx2.pmadd.wd", {pairs, pairWeights});
  if (accumulator)
    return arith::AddIOp::create(b, loc, accumulator, sums);
  return sums;
}

Value CPUTargetInfo::emitNibbleLookup(OpBuilder &b, Location loc, Value packed,
                                      ArrayRef<float> table) const {
  if (!isX86() || vectorWidth < 16)
    return {};
  assert(table.size() == 16 && "a nibble's table has 16 entries");
  auto floats = VectorType::get({16}, b.getF32Type());
  auto ints = VectorType::get({16}, b.getI32Type());
  Value entries = arith::ConstantOp::create(
      b, loc, floats, DenseElementsAttr::get(floats, table));
  Value low = arith::ExtUIOp::create(b, loc, ints, packed);
  Value high = arith::ShRUIOp::create(
      b, loc, low,
      arith::ConstantOp::create(b, loc, ints,
                                DenseElementsAttr::get(ints, int32_t(4))));
  auto lookup = [&](Value indices) {
    return LLVM::CallIntrinsicOp::create(
               b, loc, floats,
               b.getStringAttr("llvm.x86.avx512.permvar.sf.512"),
               ValueRange{entries, indices})
        .getResult(0);
  };
  SmallVector<int64_t> order;
  for (int64_t i = 0; i < 32; ++i)
    order.push_back(i);
  return vector::ShuffleOp::create(b, loc, lookup(low), lookup(high), order);
}

Value CPUTargetInfo::emitInt16PairDotAccumulate(OpBuilder &b, Location loc,
                                                Value accumulator, Value lhs,
                                                Value rhs) const {
  assert(hasInt16PairDot() && "emitInt16PairDotAccumulate without vpmaddwd");
  auto intrinsic = [&](Type type, StringRef name, ValueRange operands) {
    return LLVM::CallIntrinsicOp::create(b, loc, type, b.getStringAttr(name),
                                         operands)
        .getResult(0);
  };
  if (int8Dot == Int8Dot::VNNI)
    return intrinsic(accumulator.getType(), "llvm.x86.avx512.vpdpwssd.512",
                     {accumulator, lhs, rhs});
  if (vectorWidth >= 16)
    return arith::AddIOp::create(b, loc, accumulator,
                                 intrinsic(accumulator.getType(),
                                           "llvm.x86.avx512.pmaddw.d.512",
                                           {lhs, rhs}));
  // AVX2: vpmaddwd on each 256-bit half, then one add.
  auto ints = VectorType::get({8}, b.getI32Type());
  auto half = [&](Value v, int64_t h) -> Value {
    SmallVector<int64_t> order;
    for (int64_t i = 0; i < 16; ++i)
      order.push_back(16 * h + i);
    return vector::ShuffleOp::create(b, loc, v, v, order);
  };
  Value sums[2];
  for (int64_t h = 0; h < 2; ++h)
    sums[h] =
        intrinsic(ints, "llvm.x86.avx2.pmadd.wd", {half(lhs, h), half(rhs, h)});
  SmallVector<int64_t> order;
  for (int64_t i = 0; i < 16; ++i)
    order.push_back(i);
  return arith::AddIOp::create(
      b, loc, accumulator,
      vector::ShuffleOp::create(b, loc, sums[0], sums[1], order));
}

/// sdot multiplies signed bytes by signed bytes, so unsigned levels (at most
/// 15 here) go in as they are; each of its 4 lanes sums 4 products, two
/// instructions cover 32 bytes. Pair weights become lane weights: the two
/// pairs of a lane must share theirs (a scale per 16 weights or more).
Value CPUTargetInfo::emitSDot(OpBuilder &b, Location loc, Value lhs, Value rhs,
                              Value pairWeights) const {
  auto quarter = VectorType::get({4}, b.getI32Type());
  auto half = [&](Value v, int64_t start) -> Value {
    SmallVector<int64_t> order;
    for (int64_t i = 0; i < 16; ++i)
      order.push_back(start + i);
    return vector::ShuffleOp::create(b, loc, v, v, order);
  };
  Value zero = arith::ConstantOp::create(b, loc, quarter,
                                         DenseElementsAttr::get(quarter, 0));
  auto sdot = [&](int64_t start) -> Value {
    return LLVM::CallIntrinsicOp::create(
               b, loc, quarter, b.getStringAttr("llvm.aarch64.neon.sdot"),
               ValueRange{zero, half(lhs, start), half(rhs, start)})
        .getResult(0);
  };
  Value sums = vector::ShuffleOp::create(
      b, loc, sdot(0), sdot(16), ArrayRef<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  if (!pairWeights)
    return sums;
  Value laneWeights =
      vector::ShuffleOp::create(b, loc, pairWeights, pairWeights,
                                ArrayRef<int64_t>{0, 2, 4, 6, 8, 10, 12, 14});
  return arith::MulIOp::create(
      b, loc, sums,
      arith::ExtSIOp::create(b, loc, VectorType::get({8}, b.getI32Type()),
                             laneWeights));
}

void sparsec::registerCPUTargets() {
  struct Entry {
    const char *name;
    int64_t vectorWidth;
    Int8Dot int8Dot;
  };
  // `x86-64` is the host CPU when it is x86 (resolveTarget); its codegen
  // width is AVX2's unless the host has AVX-512, which the driver passes.
  static const Entry kTargets[] = {{"x86-64", 8, Int8Dot::None},
                                   {"x86-64-avx2", 8, Int8Dot::AVX2},
                                   {"x86-64-avx512", 16, Int8Dot::AVX2},
                                   {"x86-64-avx512-vnni", 16, Int8Dot::VNNI},
                                   {"aarch64", 4, Int8Dot::None},
                                   {"aarch64-dotprod", 4, Int8Dot::SDot}};
  for (const Entry &entry : kTargets) {
    std::string name = entry.name;
    int64_t width = entry.vectorWidth;
    Int8Dot int8Dot = entry.int8Dot;
    registerTargetInfo(name, [name, width, int8Dot] {
      return std::make_unique<CPUTargetInfo>(name, width, int8Dot);
    });
  }
}

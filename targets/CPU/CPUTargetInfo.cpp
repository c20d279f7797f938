//===- CPUTargetInfo.cpp - x86-64 and AArch64 ----------------------------===//

#include "targets/CPU/CPUTargetInfo.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::sparsec;

void CPUTargetInfo::emitPrefetch(OpBuilder &b, Location loc, Value memref,
                                 ValueRange indices) const {
  memref::PrefetchOp::create(b, loc, memref, indices, /*isWrite=*/false,
                             /*localityHint=*/3, /*isDataCache=*/true);
}

Value CPUTargetInfo::emitInt8DotProduct(OpBuilder &b, Location loc, Value lhs,
                                        Value rhs, bool lhsUnsigned,
                                        Value pairWeights) const {
  assert(avx2 && "emitInt8DotProduct needs AVX2");
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
  Value pairs =
      intrinsic(shorts, "llvm.x86.avx2.pmadd.ub.sw", {magnitude, signedRhs});
  if (!pairWeights)
    pairWeights = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(shorts, int16_t(1)));
  return intrinsic(ints, "llvm.x86.avx2.pmadd.wd", {pairs, pairWeights});
}

void sparsec::registerCPUTargets() {
  struct Entry {
    const char *name;
    int64_t vectorWidth;
    bool avx2;
  };
  // `x86-64` is the host CPU when it is x86 (resolveTarget); its codegen
  // width is AVX2's unless the host has AVX-512, which the driver passes.
  static const Entry kTargets[] = {{"x86-64", 8, false},
                                   {"x86-64-avx2", 8, true},
                                   {"x86-64-avx512", 16, true},
                                   {"aarch64", 4, false}};
  for (const Entry &entry : kTargets) {
    std::string name = entry.name;
    int64_t width = entry.vectorWidth;
    bool avx2 = entry.avx2;
    registerTargetInfo(name, [name, width, avx2] {
      return std::make_unique<CPUTargetInfo>(name, width, avx2);
    });
  }
}

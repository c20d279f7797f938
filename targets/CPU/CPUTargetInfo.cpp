//===- CPUTargetInfo.cpp - x86-64 and AArch64 ----------------------------===//

#include "targets/CPU/CPUTargetInfo.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::sparsec;

void CPUTargetInfo::emitPrefetch(OpBuilder &b, Location loc, Value memref,
                                 ValueRange indices) const {
  memref::PrefetchOp::create(b, loc, memref, indices, /*isWrite=*/false,
                             /*localityHint=*/3, /*isDataCache=*/true);
}

void sparsec::registerCPUTargets() {
  struct Entry {
    const char *name;
    int64_t vectorWidth;
  };
  // `x86-64` is the host CPU when it is x86 (resolveTarget); its codegen
  // width is AVX2's unless the host has AVX-512, which the driver passes.
  static const Entry kTargets[] = {
      {"x86-64", 8}, {"x86-64-avx2", 8}, {"x86-64-avx512", 16}, {"aarch64", 4}};
  for (const Entry &entry : kTargets) {
    std::string name = entry.name;
    int64_t width = entry.vectorWidth;
    registerTargetInfo(name, [name, width] {
      return std::make_unique<CPUTargetInfo>(name, width);
    });
  }
}

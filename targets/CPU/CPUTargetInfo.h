//===- CPUTargetInfo.h - x86-64 and AArch64 -------------------*- C++ -*-===//
//
// CPUs differ in their vector width here (AVX2: 8 f32 lanes, AVX-512: 16,
// NEON: 4) and in whether 8-bit integer dot products have an instruction
// sequence (x86 with AVX2: vpsignb/vpmaddubsw/vpmaddwd, 32 products and
// their sums in three instructions); the rest is what the runtime's thread
// pool and a CPU's caches want: 4 accumulator chains hide the FMA latency,
// 16 neuron chunks keep any thread count busy, and the next active
// neuron's rows are prefetched (a jump the hardware prefetcher cannot
// predict).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_CPU_CPUTARGETINFO_H
#define SPARSEC_TARGETS_CPU_CPUTARGETINFO_H

#include "targets/Common/TargetInfo.h"

#include <string>

namespace mlir::sparsec {

class CPUTargetInfo : public TargetInfoBase {
public:
  CPUTargetInfo(StringRef name, int64_t vectorWidth, bool avx2)
      : name(name.str()), vectorWidth(vectorWidth), avx2(avx2) {}

  StringRef getName() const override { return name; }
  int64_t getVectorWidth() const override { return vectorWidth; }
  int64_t getMaxAccumulatorChains() const override { return 4; }
  int64_t getNumNeuronChunks() const override { return 16; }
  void emitPrefetch(OpBuilder &b, Location loc, Value memref,
                    ValueRange indices) const override;
  bool hasInt8DotProduct() const override { return avx2; }
  Value emitInt8DotProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           bool lhsUnsigned, Value pairWeights) const override;

private:
  std::string name;
  int64_t vectorWidth;
  bool avx2;
};

/// Registers x86-64 (no AVX2 assumed), x86-64-avx2, x86-64-avx512 and
/// aarch64. The CPU backend names x86-64-avx2/-avx512 for a host x86-64
/// target whose CPU has them.
void registerCPUTargets();

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CPU_CPUTARGETINFO_H

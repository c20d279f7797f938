//===- CPUTargetInfo.h - x86-64 and AArch64 -------------------*- C++ -*-===//
//
// CPUs differ only in their vector width here (AVX2: 8 f32 lanes, AVX-512:
// 16, NEON: 4); the rest is what the runtime's thread pool and a CPU's
// caches want: 4 accumulator chains hide the FMA latency, 16 neuron chunks
// keep any thread count busy, and the next active neuron's rows are
// prefetched (a jump the hardware prefetcher cannot predict).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_CPU_CPUTARGETINFO_H
#define SPARSEC_TARGETS_CPU_CPUTARGETINFO_H

#include "targets/Common/TargetInfo.h"

#include <string>

namespace mlir::sparsec {

class CPUTargetInfo : public TargetInfoBase {
public:
  CPUTargetInfo(StringRef name, int64_t vectorWidth)
      : name(name.str()), vectorWidth(vectorWidth) {}

  StringRef getName() const override { return name; }
  int64_t getVectorWidth() const override { return vectorWidth; }
  int64_t getMaxAccumulatorChains() const override { return 4; }
  int64_t getNumNeuronChunks() const override { return 16; }
  void emitPrefetch(OpBuilder &b, Location loc, Value memref,
                    ValueRange indices) const override;

private:
  std::string name;
  int64_t vectorWidth;
};

/// Registers x86-64, x86-64-avx2, x86-64-avx512 and aarch64.
void registerCPUTargets();

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CPU_CPUTARGETINFO_H

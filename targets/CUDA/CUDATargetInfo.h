//===- CUDATargetInfo.h - NVIDIA GPUs --------------------------*- C++ -*-===//
//
// What the shared lowering asks of an NVIDIA GPU. In this first version a
// data-parallel loop runs one iteration per GPU thread (sparsec-launch-step-
// on-gpu maps each to a grid), so a dot product is one thread's loop over a
// row: 4 f32 per load (16 bytes), 2 accumulator chains. A sparse FFN's
// neurons are split into 64 chunks, each one thread's partial sum (the
// count is part of the result's rounding, so it is fixed). No prefetch
// hints, and weights are decoded to f32 rather than multiplied as bytes.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_CUDA_CUDATARGETINFO_H
#define SPARSEC_TARGETS_CUDA_CUDATARGETINFO_H

#include "targets/Common/TargetInfo.h"

namespace mlir::sparsec {

class CUDATargetInfo : public TargetInfoBase {
public:
  StringRef getName() const override { return "cuda"; }
  int64_t getVectorWidth() const override { return 4; }
  int64_t getMaxAccumulatorChains() const override { return 2; }
  int64_t getNumNeuronChunks() const override { return 64; }
  void emitPrefetch(OpBuilder &, Location, Value, ValueRange,
                    PrefetchLevel) const override {}
};

/// Registers `cuda`.
void registerCUDATargets();

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CUDA_CUDATARGETINFO_H

//===- CUDATargetInfo.cpp - NVIDIA GPUs ----------------------------------===//

#include "targets/CUDA/CUDATargetInfo.h"

using namespace mlir;
using namespace mlir::sparsec;

void sparsec::registerCUDATargets() {
  registerTargetInfo("cuda", [] { return std::make_unique<CUDATargetInfo>(); });
}

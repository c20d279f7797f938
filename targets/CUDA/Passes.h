//===- Passes.h - CUDA backend passes ---------------------------*- C++ -*-===//

#ifndef SPARSEC_TARGETS_CUDA_PASSES_H
#define SPARSEC_TARGETS_CUDA_PASSES_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace mlir::sparsec {

#define GEN_PASS_DECL
#include "targets/CUDA/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/CUDA/Passes.h.inc"

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CUDA_PASSES_H

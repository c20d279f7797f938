//===- Passes.h - target-neutral codegen passes -----------------*- C++ -*-===//

#ifndef SPARSEC_TARGETS_COMMON_PASSES_H
#define SPARSEC_TARGETS_COMMON_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::sparsec {

#define GEN_PASS_DECL
#include "targets/Common/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/Common/Passes.h.inc"

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_COMMON_PASSES_H

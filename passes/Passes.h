//===- Passes.h - sparsec passes and pipelines ------------------*- C++ -*-===//

#ifndef SPARSEC_PASSES_PASSES_H
#define SPARSEC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace mlir::sparsec {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Name of the unit attribute that marks a function as a model's decode step.
inline constexpr llvm::StringLiteral kDecodeStepAttrName = "llm.decode_step";

/// Checks an imported model and tidies it: sparsec-verify-decode-step,
/// canonicalize, cse. Named `sparsec-import-cleanup` in sparsec-opt.
void buildImportCleanupPipeline(OpPassManager &pm);

/// Lowers upstream scf/vector/memref/arith/math/func IR to the LLVM dialect.
/// Named `sparsec-finalize-to-llvm` in sparsec-opt; codegen appends it after
/// lowering `llm`/`sfn`.
void buildFinalizeToLLVMPipeline(OpPassManager &pm);

/// Registers the passes above and the named pipelines with the global
/// registries (what sparsec-opt's --help lists).
void registerSparsecPassesAndPipelines();

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_PASSES_H

//===- InitAll.h - register sparsec's dialects and passes -------*- C++ -*-===//
//
// The one place that says which dialects and passes sparsec tools know:
// ours, plus the upstream dialects we lower through. Registering only these
// (not all of MLIR) keeps tool builds fast.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_INITALL_H
#define SPARSEC_COMPILER_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::sparsec {

/// Adds `llm`, `sfn` and the upstream dialects of the lowering path.
void registerAllDialects(DialectRegistry &registry);

/// Registers sparsec's passes and named pipelines, and the upstream passes
/// the pipelines use (canonicalize, cse, conversions to LLVM).
void registerAllPasses();

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_INITALL_H

//===- CPUBackend.h - x86-64 and AArch64 executables ------------*- C++ -*-===//

#ifndef SPARSEC_TARGETS_CPU_CPUBACKEND_H
#define SPARSEC_TARGETS_CPU_CPUBACKEND_H

#include "targets/Target.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir::sparsec {

/// convert-llm-to-loops with the CPU's TargetInfo, sparsec-plan-scratch,
/// convert-parallel-loops-to-thread-pool, canonicalize, then upstream's
/// lowering to LLVM; LLVM's object emission; linking with the runtime built
/// for the target's architecture (natively, or with a cross toolchain).
class CPUBackend : public TargetBackend {
public:
  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetSpec &spec) const override;
  llvm::Error emitObject(ModuleOp module, const TargetSpec &spec,
                         llvm::StringRef path, bool emitIR) const override;
  llvm::Error link(const TargetSpec &spec, llvm::StringRef object,
                   llvm::StringRef output) const override;
};

/// Links `object` with the runtime built for `spec`'s architecture (and
/// `extraArgs`: more libraries, before libm and libpthread) into `output`.
llvm::Error linkWithRuntime(const TargetSpec &spec, llvm::StringRef object,
                            llvm::StringRef output,
                            ArrayRef<std::string> extraArgs);

/// Options of the `sparsec-cpu-codegen` pipeline (sparsec-opt).
struct CPUCodegenPipelineOptions
    : public PassPipelineOptions<CPUCodegenPipelineOptions> {
  Option<std::string> target{
      *this, "target", llvm::cl::init("x86-64-avx2"),
      llvm::cl::desc("x86-64, x86-64-avx2, "
                     "x86-64-avx512, x86-64-avx512-vnni, "
                     "aarch64 or aarch64-dotprod")};
  Option<int64_t> vectorWidth{
      *this, "vector-width", llvm::cl::init(0),
      llvm::cl::desc("f32 lanes per vector (0: the target's)")};
  Option<int64_t> prefillBlock{
      *this, "prefill-block", llvm::cl::init(0),
      llvm::cl::desc("Tokens per block of the prefill step (0: none)")};
};

/// The CPU codegen passes, from a planned llm/sfn module to the LLVM dialect.
void buildCPUCodegenPipeline(OpPassManager &pm,
                             const CPUCodegenPipelineOptions &options);

/// Registers `sparsec-cpu-codegen` with the global pipeline registry.
void registerCPUCodegenPipeline();

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CPU_CPUBACKEND_H

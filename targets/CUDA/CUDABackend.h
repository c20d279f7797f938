//===- CUDABackend.h - NVIDIA GPU executables ------------------*- C++ -*-===//

#ifndef SPARSEC_TARGETS_CUDA_CUDABACKEND_H
#define SPARSEC_TARGETS_CUDA_CUDABACKEND_H

#include "targets/Target.h"

#include "mlir/Pass/PassOptions.h"

namespace mlir::sparsec {

/// convert-llm-to-loops with the CUDA TargetInfo, sparsec-plan-scratch,
/// sparsec-launch-step-on-gpu, then upstream's GPU path: kernel outlining,
/// the NVVM target, gpu-to-nvvm, one stream per step (gpu-async-region),
/// and gpu-module-to-binary (a fatbin with SASS and PTX when the CUDA
/// toolkit's ptxas is found, else PTX for the driver's JIT), embedded in
/// the host object; the host side launches through the mgpu* functions of
/// the runtime's CUDA executor, linked in with the runtime.
class CUDABackend : public TargetBackend {
public:
  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetSpec &spec) const override;
  llvm::Error emitObject(ModuleOp module, const TargetSpec &spec,
                         llvm::StringRef path, bool emitIR) const override;
  llvm::Error link(const TargetSpec &spec, llvm::StringRef object,
                   llvm::StringRef output) const override;
};

/// The `cuda-emulator` target: the cuda pipeline down to the gpu.launch
/// ops, which sparsec-emulate-gpu-launches turns into loops; then a CPU
/// executable (the runtime's host buffers, no threads).
class CUDAEmulatorBackend : public TargetBackend {
public:
  void buildCodegenPipeline(OpPassManager &pm,
                            const TargetSpec &spec) const override;
  llvm::Error emitObject(ModuleOp module, const TargetSpec &spec,
                         llvm::StringRef path, bool emitIR) const override;
  llvm::Error link(const TargetSpec &spec, llvm::StringRef object,
                   llvm::StringRef output) const override;
};

/// Options of the `sparsec-cuda-codegen` pipeline (sparsec-opt).
struct CUDACodegenPipelineOptions
    : public PassPipelineOptions<CUDACodegenPipelineOptions> {
  Option<std::string> gpu{*this, "gpu", llvm::cl::init("sm_80"),
                          llvm::cl::desc("GPU architecture (sm_80, ...)")};
  Option<std::string> format{
      *this, "format", llvm::cl::init(""),
      llvm::cl::desc("isa (PTX), bin (cubin), fatbin, or offload (NVVM IR); "
                     "default: fatbin when ptxas is found, else isa")};
  Option<bool> emulateOnCPU{
      *this, "emulate-on-cpu", llvm::cl::init(false),
      llvm::cl::desc("run the launches as loops on the host (cuda-emulator)")};
  Option<bool> untilKernels{
      *this, "until-kernels", llvm::cl::init(false),
      llvm::cl::desc("stop after outlining the kernels (for tests)")};
};

/// The CUDA codegen passes, from a planned llm/sfn module to the LLVM
/// dialect (host) with the kernels embedded as a gpu.binary.
void buildCUDACodegenPipeline(OpPassManager &pm,
                              const CUDACodegenPipelineOptions &options);

/// Registers `sparsec-cuda-codegen` with the global pipeline registry.
void registerCUDACodegenPipeline();

/// The GPU and NVVM dialects, the NVVM target's serialization and their
/// LLVM IR translations.
void registerCUDADialects(DialectRegistry &registry);

/// The PTX ISA version LLVM should target for `gpu` (+ptx80 up to sm_90).
std::string ptxFeaturesFor(llvm::StringRef gpu);

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_CUDA_CUDABACKEND_H

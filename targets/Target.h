//===- Target.h - what sparsec generates code for ---------------*- C++ -*-===//
//
// A target is an ISA and a CPU: it fixes the LLVM triple, CPU name and
// features, the f32 vector width the kernels are specialised to, and how the
// executable is linked and run (natively, or AArch64 under qemu-user).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_TARGET_H
#define SPARSEC_TARGETS_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"
#include "llvm/TargetParser/Triple.h"

#include <string>

namespace mlir::sparsec {

struct TargetSpec {
  std::string name; ///< what --target said, normalised ("x86-64-avx2")
  llvm::Triple triple;
  std::string cpu;         ///< LLVM CPU name
  std::string features;    ///< LLVM feature string ("+avx2,+fma,...")
  int64_t vectorWidth = 8; ///< f32 lanes per vector in generated kernels
  bool isHost = false;     ///< runs natively on this machine
  bool hasAVX2 = false;    ///< x86-64 CPU with AVX2 (integer dot products)
  bool hasVNNI = false;    ///< x86-64 CPU with AVX-512 VNNI (vpdpbusd)
  bool hasDotProd = false; ///< AArch64 CPU with the dot-product extension
  /// Tokens per block of the generated prefill step (0: none; CPU only).
  int64_t prefillBlock = 0;
  /// For `cuda`: the GPU architecture the kernels are compiled for
  /// ("sm_80"); the triple, CPU and features are then the host code's.
  std::string gpuArch;
  /// `cuda-emulator`: the CUDA target's kernels run by this CPU, block by
  /// block and thread by thread (a test of the GPU mapping without a GPU).
  bool emulatesGPU = false;

  bool isCUDA() const { return !gpuArch.empty(); }
  std::string describe() const;
};

/// Targets: `host` (default), `x86-64` (the host CPU if x86, else
/// x86-64-v3), `x86-64-avx2` (haswell), `x86-64-avx512` (skylake-avx512),
/// `x86-64-avx512-vnni` (icelake-server: AVX-512 with vpdpbusd),
/// `aarch64` (NEON, cortex-a72), `aarch64-dotprod` (NEON with ARMv8.2's
/// sdot, neoverse-n1), `cuda` (NVIDIA GPUs; `gpu` names the architecture,
/// default sm_80; the host code is generic x86-64), `cuda-emulator` (the
/// cuda target's kernels run on this x86-64 CPU). `cpu` overrides the
/// CPU ("" keeps it); `gpu` is refused for CPU targets.
llvm::Expected<TargetSpec> resolveTarget(llvm::StringRef target,
                                         llvm::StringRef cpu,
                                         llvm::StringRef gpu = "");

/// The GPU architectures `--target cuda --gpu` accepts.
llvm::ArrayRef<llvm::StringRef> getSupportedGPUArchs();

/// Where libdevice (the math functions of CUDA kernels) lies in a toolkit.
inline constexpr llvm::StringLiteral kLibDevicePath =
    "nvvm/libdevice/libdevice.10.bc";

/// The CUDA toolkit `--target cuda` compiles with: the first of $CUDA_HOME,
/// $CUDA_PATH, /usr/local/cuda and the folder above ptxas on PATH that holds
/// libdevice; "" when none does. Its bin/ptxas, when present, makes SASS.
std::string findCUDAToolkit();

/// Whether this machine can run code for `spec` (CPU features present).
bool hostSupports(const TargetSpec &spec);

/// Translates an LLVM-dialect module to LLVM IR, optimises it (O3) for the
/// target, and writes an object file, or LLVM IR text when `emitIR`.
llvm::Error emitLLVMObject(ModuleOp module, const TargetSpec &spec,
                           llvm::StringRef outPath, bool emitIR);

/// What a target's backend does after the target-neutral passes (the sparse
/// pipeline and sparsec-plan-buffers): its pass pipeline down to the LLVM
/// dialect, object emission, and linking with the runtime. A new target is
/// a folder under targets/ implementing this and a TargetInfoBase.
class TargetBackend {
public:
  virtual ~TargetBackend();
  /// Passes from the planned llm/sfn module to the LLVM dialect.
  virtual void buildCodegenPipeline(OpPassManager &pm,
                                    const TargetSpec &spec) const = 0;
  /// Writes the object file (or LLVM IR text when `emitIR`).
  virtual llvm::Error emitObject(ModuleOp module, const TargetSpec &spec,
                                 llvm::StringRef path, bool emitIR) const = 0;
  /// Links `object` with the runtime into the executable `output`.
  virtual llvm::Error link(const TargetSpec &spec, llvm::StringRef object,
                           llvm::StringRef output) const = 0;
};

/// The backend that compiles for `spec`.
const TargetBackend &getTargetBackend(const TargetSpec &spec);

/// Registers every target's TargetInfo, passes and pipelines (sparsec-opt
/// and the driver call it once).
void registerAllTargets();

/// The dialects and interfaces backends create beyond the shared ones (GPU,
/// NVVM), for the context the pipeline runs in.
void registerTargetDialects(DialectRegistry &registry);

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_TARGET_H

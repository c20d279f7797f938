//===- CUDABackend.cpp - NVIDIA GPU executables --------------------------===//

#include "targets/CUDA/CUDABackend.h"

#include "passes/Passes.h"
#include "targets/CPU/CPUBackend.h"
#include "targets/CUDA/Passes.h"
#include "targets/Common/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#ifndef SPARSEC_RUNTIME_LIB_DIR
#error "SPARSEC_RUNTIME_LIB_DIR must name the folder of the runtime libraries"
#endif

using namespace mlir;
using namespace mlir::sparsec;

std::string sparsec::ptxFeaturesFor(llvm::StringRef gpu) {
  // sm_100 needs PTX ISA 8.6; 8.0 covers sm_80 to sm_90 and is what CUDA
  // 12.0 drivers read.
  return gpu.starts_with("sm_10") ? "+ptx86" : "+ptx80";
}

void sparsec::buildCUDACodegenPipeline(
    OpPassManager &pm, const CUDACodegenPipelineOptions &options) {
  ConvertLLMToLoopsPassOptions convert;
  convert.targetName = "cuda";
  pm.addPass(createConvertLLMToLoopsPass(convert));
  pm.addPass(createPlanScratchPass());
  pm.addPass(createLaunchStepOnGPUPass());
  if (options.emulateOnCPU) {
    pm.addPass(createEmulateGPULaunchesPass());
    pm.addPass(createCanonicalizerPass());
    buildFinalizeToLLVMPipeline(pm);
    return;
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGpuKernelOutliningPass());
  if (options.untilKernels)
    return;

  GpuNVVMAttachTargetOptions nvvm;
  nvvm.chip = options.gpu;
  nvvm.features = ptxFeaturesFor(options.gpu);
  nvvm.optLevel = 3;
  if (std::string toolkit = findCUDAToolkit(); !toolkit.empty())
    nvvm.linkLibs.push_back(toolkit + "/" + kLibDevicePath.str());
  pm.addPass(createGpuNVVMAttachTarget(nvvm));
  // The kernels, down to NVVM (libdevice supplies the math functions).
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertVectorToSCFPass());
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(memref::createExpandStridedMetadataPass());
  kernels.addPass(createLowerAffinePass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  kernels.addPass(arith::createArithExpandOpsPass(expand));
  ConvertGpuOpsToNVVMOpsOptions toNVVM;
  toNVVM.indexBitwidth = 64;
  kernels.addPass(createConvertGpuOpsToNVVMOps(toNVVM));
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  // The step's launches in order on one stream, one wait at its end.
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());

  GpuModuleToBinaryPassOptions binary;
  std::string toolkit = findCUDAToolkit();
  bool ptxas =
      !toolkit.empty() && llvm::sys::fs::can_execute(toolkit + "/bin/ptxas");
  std::string format = options.format;
  binary.compilationTarget =
      !format.empty() ? format : (ptxas ? "fatbin" : "isa");
  binary.toolkitPath = toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));

  // The host side: launches become calls to the runtime's mgpu* functions.
  pm.addNestedPass<func::FuncOp>(createSCFToControlFlowPass());
  pm.addPass(createGpuToLLVMConversionPass());
  buildFinalizeToLLVMPipeline(pm);
}

void sparsec::registerCUDACodegenPipeline() {
  PassPipelineRegistration<CUDACodegenPipelineOptions>(
      "sparsec-cuda-codegen",
      "Lower a planned llm/sfn decode step for an NVIDIA GPU "
      "(convert-llm-to-loops{target=cuda}, sparsec-plan-scratch, "
      "sparsec-launch-step-on-gpu, gpu-kernel-outlining, NVVM, "
      "gpu-module-to-binary, gpu-to-llvm)",
      buildCUDACodegenPipeline);
}

void CUDABackend::buildCodegenPipeline(OpPassManager &pm,
                                       const TargetSpec &spec) const {
  CUDACodegenPipelineOptions options;
  options.gpu = spec.gpuArch;
  buildCUDACodegenPipeline(pm, options);
}

llvm::Error CUDABackend::emitObject(ModuleOp module, const TargetSpec &spec,
                                    llvm::StringRef path, bool emitIR) const {
  // gpu.binary and its launches translate through the GPU dialect's
  // offloading interface: the binary becomes a constant the host loads.
  DialectRegistry registry;
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  // The runtime keeps the buffers of a step that defines this in GPU
  // memory (runtime/src/cuda/device_buffers.h).
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  IntegerType i32 = b.getI32Type();
  LLVM::GlobalOp::create(b, module.getLoc(), i32, /*isConstant=*/true,
                         LLVM::Linkage::External, "sparsec_step_device",
                         b.getI32IntegerAttr(1));
  return emitLLVMObject(module, spec, path, emitIR);
}

llvm::Error CUDABackend::link(const TargetSpec &spec, llvm::StringRef object,
                              llvm::StringRef output) const {
  std::string executor = SPARSEC_RUNTIME_LIB_DIR "/libsparsec_runtime_cuda.a";
  if (!llvm::sys::fs::exists(executor))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        executor + ": the runtime's CUDA executor not found (build it first)");
  // The driver API is opened at run time (dlopen), so nothing of CUDA is
  // linked: the executable starts, and says so, on a machine without it.
  return linkWithRuntime(spec, object, output, {executor, "-ldl"});
}

void CUDAEmulatorBackend::buildCodegenPipeline(OpPassManager &pm,
                                               const TargetSpec &spec) const {
  CUDACodegenPipelineOptions options;
  options.emulateOnCPU = true;
  buildCUDACodegenPipeline(pm, options);
}

llvm::Error CUDAEmulatorBackend::emitObject(ModuleOp module,
                                            const TargetSpec &spec,
                                            llvm::StringRef path,
                                            bool emitIR) const {
  return emitLLVMObject(module, spec, path, emitIR);
}

llvm::Error CUDAEmulatorBackend::link(const TargetSpec &spec,
                                      llvm::StringRef object,
                                      llvm::StringRef output) const {
  return linkWithRuntime(spec, object, output, {});
}

void sparsec::registerCUDADialects(DialectRegistry &registry) {
  registry.insert<gpu::GPUDialect, NVVM::NVVMDialect>();
  // convert-gpu-to-nvvm lowers the other dialects in a kernel through their
  // to-LLVM interfaces.
  cf::registerConvertControlFlowToLLVMInterface(registry);
  arith::registerConvertArithToLLVMInterface(registry);
  index::registerConvertIndexToLLVMInterface(registry);
  ub::registerConvertUBToLLVMInterface(registry);
  vector::registerConvertVectorToLLVMInterface(registry);
  registerConvertMathToLLVMInterface(registry);
  registerConvertMemRefToLLVMInterface(registry);
  registerConvertFuncToLLVMInterface(registry);
  registerConvertNVVMToLLVMInterface(registry);
  NVVM::registerConvertGpuToNVVMInterface(registry);
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  // gpu-module-to-binary translates the kernels to LLVM IR in the pipeline.
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}

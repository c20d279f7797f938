//===- Target.cpp - what sparsec generates code for -------------*- C++ -*-===//

#include "targets/Target.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <cstdlib>
#include <vector>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string hostFeatures() {
  std::string features;
  for (const auto &feature : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ",";
    features += (feature.second ? "+" : "-") + feature.first().str();
  }
  return features;
}
} // namespace

std::string TargetSpec::describe() const {
  if (isCUDA())
    return name + " (" + gpuArch + ", host " + triple.str() + ")";
  if (emulatesGPU)
    return name + " (the cuda target's kernels on " + triple.str() +
           ", thread by thread)";
  return name + " (" + triple.str() + ", cpu " + cpu + ", " +
         std::to_string(vectorWidth) + " x f32 vectors)";
}

llvm::ArrayRef<llvm::StringRef> sparsec::getSupportedGPUArchs() {
  static const llvm::StringRef kArchs[] = {"sm_80", "sm_86", "sm_89", "sm_90",
                                           "sm_100"};
  return kArchs;
}

std::string sparsec::findCUDAToolkit() {
  std::vector<std::string> candidates;
  for (const char *variable : {"CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(variable); value && *value)
      candidates.push_back(value);
  candidates.push_back("/usr/local/cuda");
  if (auto ptxas = llvm::sys::findProgramByName("ptxas"))
    candidates.push_back(
        llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas))
            .str());
  for (const std::string &dir : candidates)
    if (llvm::sys::fs::is_regular_file(dir + "/" + kLibDevicePath))
      return dir;
  return "";
}

llvm::Expected<TargetSpec> sparsec::resolveTarget(llvm::StringRef target,
                                                  llvm::StringRef cpu,
                                                  llvm::StringRef gpu) {
  TargetSpec spec;
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  bool hostIsX86 = host.getArch() == llvm::Triple::x86_64;
  if (target.empty() || target == "host")
    target = hostIsX86
                 ? "x86-64"
                 : (host.getArch() == llvm::Triple::aarch64 ? "aarch64" : "");
  if (target != "cuda" && !gpu.empty())
    return makeError("--gpu " + gpu + " applies to --target cuda only, not '" +
                     target + "'");
  if (target == "cuda") {
    // The step's host code only launches kernels: generic x86-64, so the
    // executable runs on any GPU machine's CPU.
    spec.triple = llvm::Triple("x86_64-unknown-linux-gnu");
    spec.cpu = "x86-64";
    spec.gpuArch = gpu.empty() ? "sm_80" : gpu.str();
    if (!llvm::is_contained(getSupportedGPUArchs(), spec.gpuArch)) {
      std::string known;
      for (llvm::StringRef arch : getSupportedGPUArchs())
        known += (known.empty() ? "" : ", ") + arch.str();
      return makeError("unknown GPU architecture '" + spec.gpuArch +
                       "' (expected one of " + known + ")");
    }
    if (findCUDAToolkit().empty())
      return makeError("target 'cuda' needs the CUDA toolkit's libdevice (" +
                       kLibDevicePath +
                       ", the GPU's math functions); none found under "
                       "$CUDA_HOME, $CUDA_PATH, /usr/local/cuda or beside "
                       "ptxas on PATH (set CUDA_HOME)");
  } else if (target == "cuda-emulator") {
    if (!hostIsX86)
      return makeError("target 'cuda-emulator' runs on x86-64 hosts only");
    spec.triple = llvm::Triple("x86_64-unknown-linux-gnu");
    spec.cpu = "x86-64";
    spec.emulatesGPU = true;
  } else if (target == "x86-64" || target == "x86-64-avx2" ||
             target == "x86-64-avx512" || target == "x86-64-avx512-vnni") {
    spec.triple = llvm::Triple("x86_64-unknown-linux-gnu");
    if (target == "x86-64" && hostIsX86) {
      spec.cpu = llvm::sys::getHostCPUName().str();
      spec.features = hostFeatures();
    } else if (target == "x86-64-avx512") {
      spec.cpu = "skylake-avx512";
    } else if (target == "x86-64-avx512-vnni") {
      spec.cpu = "icelake-server";
    } else {
      spec.cpu = "haswell";
    }
  } else if (target == "aarch64") {
    spec.triple = llvm::Triple("aarch64-unknown-linux-gnu");
    spec.cpu = "cortex-a72";
    spec.features = "+neon";
  } else if (target == "aarch64-dotprod") {
    spec.triple = llvm::Triple("aarch64-unknown-linux-gnu");
    spec.cpu = "neoverse-n1";
    spec.features = "+neon,+dotprod";
  } else {
    return makeError("unknown target '" + target +
                     "' (expected host, x86-64, x86-64-avx2, x86-64-avx512, "
                     "x86-64-avx512-vnni, aarch64, aarch64-dotprod, cuda or "
                     "cuda-emulator)");
  }
  spec.name = target.str();
  if (!cpu.empty() && cpu != "host")
    spec.cpu = cpu.str();

  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(spec.triple, error);
  if (!llvmTarget)
    return makeError("target '" + target + "': " + error);
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      llvmTarget->createMCSubtargetInfo(spec.triple, spec.cpu, spec.features));
  if (!subtarget || !subtarget->isCPUStringValid(spec.cpu))
    return makeError("unknown CPU '" + spec.cpu + "' for target '" + target +
                     "'");
  if (spec.isCUDA() || spec.emulatesGPU) {
    // One thread's loads: 4 f32 (16 bytes) at a time.
    spec.vectorWidth = 4;
  } else if (spec.triple.getArch() == llvm::Triple::x86_64) {
    spec.vectorWidth = subtarget->checkFeatures("+avx512f") ? 16 : 8;
    spec.hasAVX2 = subtarget->checkFeatures("+avx2");
    spec.hasVNNI = subtarget->checkFeatures("+avx512vnni,+avx512vl");
  } else {
    spec.vectorWidth = 4; // NEON: 128-bit
    spec.hasDotProd = subtarget->checkFeatures("+dotprod");
  }
  spec.isHost = !spec.isCUDA() && spec.triple.getArch() == host.getArch();
  return spec;
}

bool sparsec::hostSupports(const TargetSpec &spec) {
  llvm::Triple host(llvm::sys::getDefaultTargetTriple());
  if (spec.triple.getArch() != host.getArch())
    return false;
  if (spec.triple.getArch() != llvm::Triple::x86_64)
    return true;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  auto has = [&](llvm::StringRef f) {
    auto it = features.find(f);
    return it != features.end() && it->second;
  };
  if (spec.vectorWidth == 16 && !has("avx512f"))
    return false;
  if (spec.hasVNNI && !(has("avx512vnni") && has("avx512vl")))
    return false;
  if (spec.cpu != "x86-64" && !has("avx2"))
    return false;
  return true;
}

llvm::Error sparsec::emitLLVMObject(ModuleOp module, const TargetSpec &spec,
                                    llvm::StringRef outPath, bool emitIR) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return makeError("translation to LLVM IR failed");

  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(spec.triple, error);
  if (!target)
    return makeError(error);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      spec.triple, spec.cpu, spec.features, options, llvm::Reloc::PIC_));
  llvmModule->setTargetTriple(spec.triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  auto optimize = makeOptimizingTransformer(3, 0, machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return makeError("LLVM optimisation failed: " +
                     llvm::toString(std::move(err)));

  std::error_code ec;
  llvm::ToolOutputFile out(outPath, ec, llvm::sys::fs::OF_None);
  if (ec)
    return makeError(outPath + ": cannot write: " + ec.message());
  if (emitIR) {
    llvmModule->print(out.os(), nullptr);
  } else {
    llvm::legacy::PassManager pm;
    if (machine->addPassesToEmitFile(pm, out.os(), nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return makeError("target cannot emit object files");
    pm.run(*llvmModule);
  }
  out.os().flush();
  if (out.os().has_error())
    return makeError(outPath + ": write failed");
  out.keep();
  return llvm::Error::success();
}

TargetBackend::~TargetBackend() = default;

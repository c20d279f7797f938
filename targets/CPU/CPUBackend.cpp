//===- CPUBackend.cpp - x86-64 and AArch64 executables -------------------===//

#include "targets/CPU/CPUBackend.h"

#include "passes/Passes.h"
#include "targets/CPU/Passes.h"
#include "targets/Common/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Host.h"

#ifndef SPARSEC_RUNTIME_LIB_DIR
#error "SPARSEC_RUNTIME_LIB_DIR must name the folder of the runtime libraries"
#endif

using namespace mlir;
using namespace mlir::sparsec;

namespace {
llvm::Error linkError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Where the runtime for `arch` was built, and its static libpcre2-8.
struct RuntimeLibraries {
  std::string dir;
  std::string pcre2;
};

std::optional<RuntimeLibraries> runtimeFor(llvm::Triple::ArchType arch) {
  llvm::Triple host(llvm::sys::getProcessTriple());
  if (arch == host.getArch())
    return RuntimeLibraries{SPARSEC_RUNTIME_LIB_DIR, SPARSEC_PCRE2_LIB};
  if (arch == llvm::Triple::aarch64)
    return RuntimeLibraries{SPARSEC_RUNTIME_AARCH64_LIB_DIR,
                            SPARSEC_PCRE2_AARCH64_LIB};
  return std::nullopt;
}

/// The first of `names` on PATH.
std::optional<std::string> findProgram(ArrayRef<llvm::StringRef> names) {
  for (llvm::StringRef name : names)
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return std::nullopt;
}
} // namespace

void sparsec::buildCPUCodegenPipeline(
    OpPassManager &pm, const CPUCodegenPipelineOptions &options) {
  ConvertLLMToLoopsPassOptions convert;
  convert.targetName = options.target;
  convert.vectorWidth = options.vectorWidth;
  convert.prefillBlock = options.prefillBlock;
  pm.addPass(createConvertLLMToLoopsPass(convert));
  pm.addPass(createApproximateExpPass());
  pm.addPass(createPlanScratchPass());
  pm.addPass(createConvertParallelLoopsToThreadPoolPass());
  pm.addPass(createCanonicalizerPass());
  buildFinalizeToLLVMPipeline(pm);
}

void sparsec::registerCPUCodegenPipeline() {
  PassPipelineRegistration<CPUCodegenPipelineOptions>(
      "sparsec-cpu-codegen",
      "Lower a planned llm/sfn decode step to the LLVM dialect for a CPU "
      "(convert-llm-to-loops, sparsec-approximate-exp, sparsec-plan-scratch, "
      "convert-parallel-loops-to-thread-pool, sparsec-finalize-to-llvm)",
      buildCPUCodegenPipeline);
}

void CPUBackend::buildCodegenPipeline(OpPassManager &pm,
                                      const TargetSpec &spec) const {
  CPUCodegenPipelineOptions options;
  options.target = spec.name;
  // The host's x86-64 CPU: codegen may use what it has (AVX2's integer dot
  // products; AVX-512's width comes with vectorWidth; VNNI's vpdpbusd).
  // Likewise `x86-64-avx512 --cpu` of a CPU with VNNI.
  if (spec.name == "x86-64" && spec.hasAVX2)
    options.target = spec.vectorWidth == 16 ? "x86-64-avx512" : "x86-64-avx2";
  if (options.target == "x86-64-avx512" && spec.hasVNNI)
    options.target = "x86-64-avx512-vnni";
  // Likewise an AArch64 CPU with the dot-product extension (--cpu).
  if (spec.name == "aarch64" && spec.hasDotProd)
    options.target = "aarch64-dotprod";
  options.vectorWidth = spec.vectorWidth;
  options.prefillBlock = spec.prefillBlock;
  buildCPUCodegenPipeline(pm, options);
}

llvm::Error CPUBackend::emitObject(ModuleOp module, const TargetSpec &spec,
                                   llvm::StringRef path, bool emitIR) const {
  return emitLLVMObject(module, spec, path, emitIR);
}

llvm::Error CPUBackend::link(const TargetSpec &spec, llvm::StringRef object,
                             llvm::StringRef output) const {
  return linkWithRuntime(spec, object, output, {});
}

llvm::Error sparsec::linkWithRuntime(const TargetSpec &spec,
                                     llvm::StringRef object,
                                     llvm::StringRef output,
                                     ArrayRef<std::string> extraArgs) {
  llvm::Triple host(llvm::sys::getProcessTriple());
  bool native = spec.triple.getArch() == host.getArch();
  std::optional<RuntimeLibraries> runtime = runtimeFor(spec.triple.getArch());
  if (!runtime)
    return linkError("no runtime for " + spec.triple.str() +
                     " is built on this " + host.getArchName() +
                     " host; compile for this host or for aarch64");
  for (const char *lib : {"libsparsec_runtime_main.a", "libsparsec_runtime.a",
                          "libsparsec_formats.a"})
    if (!llvm::sys::fs::exists(runtime->dir + "/" + lib))
      return linkError(runtime->dir + "/" + lib + ": runtime library for " +
                       spec.triple.str() + " not found (build it first)");
  // Natively: the C++ compiler driver this machine has (clang with lld when
  // present). Across architectures: the GNU cross toolchain, statically, so
  // that the executable runs under qemu-user with only the cross libc.
  std::optional<std::string> driver;
  std::string wanted;
  if (native) {
    driver = findProgram({"clang++-22", "clang++", "c++", "g++"});
    wanted = "clang++-22, clang++, c++ or g++";
  } else {
    wanted = spec.triple.getArchName().str() + "-linux-gnu-g++";
    driver = findProgram({wanted});
  }
  if (!driver)
    return linkError(wanted + " not found on PATH (the linker driver); run "
                              "scripts/install-deps.sh");
  std::vector<std::string> args = {*driver,
                                   "-o",
                                   output.str(),
                                   object.str(),
                                   runtime->dir + "/libsparsec_runtime_main.a",
                                   runtime->dir + "/libsparsec_runtime.a",
                                   runtime->dir + "/libsparsec_formats.a",
                                   runtime->pcre2};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  args.push_back("-lm");
  args.push_back("-lpthread");
  bool clang = llvm::sys::path::filename(*driver).contains("clang");
  if (native && clang && findProgram({"ld.lld-22", "ld.lld"}))
    args.push_back("-fuse-ld=lld");
  if (!native)
    args.push_back("-static");
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::string error;
  // The log lives outside OUT/: a failed compile leaves nothing in OUT/.
  llvm::SmallString<128> logPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("sparsec-link", "log", logPath))
    return linkError("cannot create a temporary link log: " + ec.message());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(logPath), llvm::StringRef(logPath)};
  int rc = llvm::sys::ExecuteAndWait(*driver, argv, std::nullopt, redirects, 0,
                                     0, &error);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    std::string first = log ? (*log)->getBuffer().split('\n').first.str() : "";
    return linkError("linking " + llvm::sys::path::filename(output) +
                     " failed (" +
                     (error.empty() ? "exit " + std::to_string(rc) : error) +
                     "): " + first + " (full log: " + logPath + ")");
  }
  llvm::sys::fs::remove(logPath);
  return llvm::Error::success();
}

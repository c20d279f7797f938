//===- RegisterTargets.cpp - every backend sparsec has ------------------===//
//
// The one file that names every backend: a new target adds its backend to
// getTargetBackend and its registrations to registerAllTargets.
//
//===----------------------------------------------------------------------===//

#include "targets/Target.h"

#include "targets/CPU/CPUBackend.h"
#include "targets/CPU/CPUTargetInfo.h"
#include "targets/CPU/Passes.h"
#include "targets/CUDA/CUDABackend.h"
#include "targets/CUDA/CUDATargetInfo.h"
#include "targets/CUDA/Passes.h"
#include "targets/Common/Passes.h"

using namespace mlir;
using namespace mlir::sparsec;

const TargetBackend &sparsec::getTargetBackend(const TargetSpec &spec) {
  static const CPUBackend cpu;
  static const CUDABackend cuda;
  static const CUDAEmulatorBackend cudaEmulator;
  if (spec.isCUDA())
    return cuda;
  if (spec.emulatesGPU)
    return cudaEmulator;
  return cpu;
}

void sparsec::registerTargetDialects(DialectRegistry &registry) {
  registerCUDADialects(registry);
}

void sparsec::registerAllTargets() {
  static const bool once = [] {
    registerCPUTargets();
    registerSparsecCodegenPasses();
    registerSparsecCPUPasses();
    registerCPUCodegenPipeline();
    registerCUDATargets();
    registerSparsecCUDAPasses();
    registerCUDACodegenPipeline();
    return true;
  }();
  (void)once;
}

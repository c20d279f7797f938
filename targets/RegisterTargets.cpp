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
#include "targets/Common/Passes.h"

using namespace mlir;
using namespace mlir::sparsec;

const TargetBackend &sparsec::getTargetBackend(const TargetSpec &spec) {
  // Every target resolveTarget knows today is a CPU.
  (void)spec;
  static const CPUBackend cpu;
  return cpu;
}

void sparsec::registerAllTargets() {
  static const bool once = [] {
    registerCPUTargets();
    registerSparsecCodegenPasses();
    registerSparsecCPUPasses();
    registerCPUCodegenPipeline();
    return true;
  }();
  (void)once;
}

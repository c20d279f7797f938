//===- Passes.cpp - sparsec pass pipelines ----------------------*- C++ -*-===//

#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void sparsec::buildImportCleanupPipeline(OpPassManager &pm) {
  pm.addPass(createVerifyDecodeStepPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void sparsec::buildFinalizeToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // arith.ceildivui and friends are not handled by arith-to-llvm.
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void sparsec::registerSparsecPassesAndPipelines() {
  registerSparsecPasses();
  PassPipelineRegistration<>(
      "sparsec-import-cleanup",
      "Verify an imported decode step, then canonicalize and CSE",
      buildImportCleanupPipeline);
  PassPipelineRegistration<>(
      "sparsec-finalize-to-llvm",
      "Lower scf/vector/memref/arith/math/func to the LLVM dialect",
      buildFinalizeToLLVMPipeline);
}

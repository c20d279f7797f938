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

void sparsec::buildSparsifyPipeline(OpPassManager &pm,
                                    const SparsifyPipelineOptions &options) {
  if (!options.stats.empty()) {
    DecideSparsityPassOptions decide;
    decide.statsFile = options.stats;
    decide.breakEvenDensity = options.breakEvenDensity;
    decide.printDecisions = options.printDecisions;
    pm.addPass(createDecideSparsityPass(decide));
  }
  SparsifyFFNPassOptions sparsify;
  sparsify.defaultMode = options.defaultMode;
  sparsify.layerModes = options.layerModes;
  sparsify.activationThreshold = options.activationThreshold;
  pm.addPass(createSparsifyFFNPass(sparsify));
  FuseMoERoutingPassOptions moe;
  moe.expertMode = options.expertMode;
  moe.layerModes = options.layerModes;
  pm.addPass(createFuseMoERoutingPass(moe));
  pm.addPass(createFusePredictorGatherPass());
  pm.addPass(createPackNeuronBundlesPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (!options.quant.empty()) {
    QuantizeWeightsPassOptions quantize;
    quantize.format = options.quant;
    quantize.keep = options.quantKeep;
    pm.addPass(createQuantizeWeightsPass(quantize));
  }
}

void sparsec::buildFinalizeToLLVMPipeline(OpPassManager &pm) {
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  // What has no LLVM intrinsic (tanh, ...) becomes a libm call.
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // arith.ceildivui and friends are not handled by arith-to-llvm. bf16
  // conversions become integer ops (round to nearest even): as LLVM fptrunc
  // they would call compiler-rt's __truncsfbf2, which the link lacks.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
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
  PassPipelineRegistration<SparsifyPipelineOptions>(
      "sparsec-sparsify-pipeline",
      "Decide, sparsify and fuse every FFN and MoE block, then pack neuron "
      "bundles",
      buildSparsifyPipeline);
  PassPipelineRegistration<>(
      "sparsec-finalize-to-llvm",
      "Lower scf/vector/memref/arith/math/func to the LLVM dialect",
      buildFinalizeToLLVMPipeline);
}

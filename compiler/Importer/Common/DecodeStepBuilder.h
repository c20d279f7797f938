//===- DecodeStepBuilder.h - model description -> llm IR --------*- C++ -*-===//
//
// The format-neutral half of every importer: from a ModelConfig and a
// TensorSource (weights under their Hugging Face names), emit one `llm`
// decode step (docs/decode-step.md). Weights stay in the files: each becomes
// an `llm.param` naming its tensor, after its dtype and shape have been
// checked against the config. Every op's location names its Hugging Face
// module ("model.layers.3.mlp") on top of the model file, so diagnostics
// point at the model. The finished module is verified before it is
// returned.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_COMMON_DECODESTEPBUILDER_H
#define SPARSEC_COMPILER_IMPORTER_COMMON_DECODESTEPBUILDER_H

#include "compiler/Importer/Common/ModelConfig.h"
#include "compiler/Importer/Common/TensorSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

namespace mlir::sparsec {

struct DecodeStepOptions {
  /// Maximum context (positions); 0 takes the config's maxPositions.
  int64_t maxSeqLen = 0;
  /// The file op locations start from (config.json, model.gguf).
  std::string locationFile;
  /// Who implies the tensors, for "not found" messages
  /// ("config.json's LlamaForCausalLM layout").
  std::string layoutOwner;
  /// What states the sizes, for shape messages ("config.json").
  std::string configName;
};

llvm::Expected<OwningOpRef<ModuleOp>>
buildDecodeStep(MLIRContext &context, const ModelConfig &config,
                const TensorSource &weights, const DecodeStepOptions &options);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_COMMON_DECODESTEPBUILDER_H

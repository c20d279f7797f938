//===- HFImporter.h - Hugging Face checkpoint -> llm IR ---------*- C++ -*-===//
//
// Lowers a Hugging Face checkpoint directory (config.json + safetensors,
// single or sharded, optionally with predictor tensors in a second
// directory) into one `llm` decode step (docs/decode-step.md). Weights stay
// in the files: each becomes an `llm.param` naming its tensor, after its
// dtype and shape have been checked against config.json. Every op's location
// names its Hugging Face module ("model.layers.3.mlp"), so diagnostics point
// at the model.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFIMPORTER_H
#define SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFIMPORTER_H

#include "compiler/Importer/HuggingFace/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include "weights/safetensors.h"

#include <memory>
#include <string>

namespace mlir::sparsec::hf {

struct ImportOptions {
  /// Directory holding predictor tensors when they are not in the model's
  /// checkpoint (PowerInfer ships them separately). Empty: none.
  std::string predictorDir;
  /// Maximum context (KV cache length); 0 takes max_position_embeddings.
  int64_t maxSeqLen = 0;
};

/// A checkpoint's tensors: the model's, and those of a separate predictor
/// directory (null when there is none).
struct CheckpointFiles {
  std::unique_ptr<::sparsec::Checkpoint> model;
  std::unique_ptr<::sparsec::Checkpoint> predictors;
};

/// Opens (and validates) the checkpoint in `modelDir` and, when
/// `predictorDir` is not empty, the predictor directory.
llvm::Expected<CheckpointFiles> openCheckpointFiles(llvm::StringRef modelDir,
                                                    llvm::StringRef predictorDir);

/// Imports `modelDir`. Errors are one line naming the file, tensor or key.
llvm::Expected<OwningOpRef<ModuleOp>>
importHuggingFaceModel(MLIRContext &context, llvm::StringRef modelDir,
                       const ImportOptions &options = {});

} // namespace mlir::sparsec::hf

#endif // SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFIMPORTER_H

//===- HFImporter.h - Hugging Face checkpoint -> llm IR ---------*- C++ -*-===//
//
// A Hugging Face checkpoint directory (config.json + safetensors, single or
// sharded, optionally with predictor tensors in a second directory) is
// imported as config.json through parseModelConfig, the tensors through a
// safetensors TensorSource (TensorSource.h), the IR through the
// format-neutral buildDecodeStep (see Importer.h, which ties them together).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFIMPORTER_H
#define SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFIMPORTER_H

#include "compiler/Importer/Common/TensorSource.h"
#include "compiler/Importer/HuggingFace/HFConfig.h"

#include "llvm/Support/Error.h"

#include <string>

namespace mlir::sparsec {

struct ImportOptions {
  /// Directory holding predictor tensors when they are not in the model's
  /// checkpoint (PowerInfer ships them separately). Empty: none.
  std::string predictorDir;
  /// Maximum context (KV cache length); 0 takes the model's.
  int64_t maxSeqLen = 0;
};

namespace hf {

/// config.json of `modelDir`, checked to exist.
llvm::Expected<std::string> configPathOf(llvm::StringRef modelDir);

} // namespace hf
} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFIMPORTER_H

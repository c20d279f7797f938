//===- HFConfig.h - Hugging Face config.json --------------------*- C++ -*-===//
//
// Reads a checkpoint's config.json as transformers 4.x and 5.x write it into
// a ModelConfig. Every key is read, known to be harmless (an explicit list),
// or refused with a one-line error naming it: a key that could change the
// numbers is never ignored.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFCONFIG_H
#define SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFCONFIG_H

#include "compiler/Importer/Common/ModelConfig.h"

#include "llvm/Support/Error.h"

namespace mlir::sparsec::hf {

/// Parses `path` (a config.json) and, when it exists beside it,
/// generation_config.json (its eos_token_id and bos_token_id join the
/// config's). Errors are one line and start with the path:
/// "<path>: key 'hidden_size': expected a positive integer, got ...".
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef path);

} // namespace mlir::sparsec::hf

#endif // SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_HFCONFIG_H

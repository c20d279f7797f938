//===- TokenizerExport.h - a model's tokenizer for the runtime --*- C++ -*-===//
//
// What `sparsec compile` packs next to the weights so that the executable
// reads and writes real text: a Hugging Face tokenizer.json (copied from a
// checkpoint, or written from a GGUF's tokenizer.ggml.* metadata), the BOS
// token prompts start with, the EOS ids that end generation, and the name
// of the model's chat format. A model with no tokenizer (synthetic
// checkpoints) keeps the byte tokenizer.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_COMMON_TOKENIZEREXPORT_H
#define SPARSEC_COMPILER_IMPORTER_COMMON_TOKENIZEREXPORT_H

#include "compiler/Importer/Importer.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::sparsec {

struct TokenizerExport {
  /// Contents of OUT/tokenizer.json; empty: the byte tokenizer.
  std::string tokenizerJson;
  /// Where it came from ("model/tokenizer.json", "the GGUF's gpt2 tokenizer").
  std::string description;
  /// The token every prompt starts with, when the tokenizer adds one.
  std::optional<int64_t> bosId;
  std::vector<int64_t> eosIds;
  /// Chat format name (chatml, llama2, ...), empty when the model has none
  /// or sparsec does not recognise it (then `chatTemplateNote` says so).
  std::string chatTemplate;
  std::string chatTemplateNote;
  /// A system message the model's template adds when a conversation has
  /// none (SmolLM2's), empty otherwise.
  std::string defaultSystem;
};

llvm::Expected<TokenizerExport> exportTokenizer(const OpenedModel &model);

/// The tokenizer.json a GGUF's tokenizer.ggml.* metadata describes, and its
/// special tokens. Errors name the file and key.
llvm::Expected<TokenizerExport>
exportGGUFTokenizer(const ::sparsec::GgufFile &file, const ModelConfig &config);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_COMMON_TOKENIZEREXPORT_H

//===- ModelConfig.h - Hugging Face config.json -----------------*- C++ -*-===//
//
// What sparsec reads from a checkpoint's config.json, validated: every size
// positive and consistent, the architecture one we support, and every feature
// we do not support (sliding windows, rope scaling, ...) rejected by name.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_MODELCONFIG_H
#define SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_MODELCONFIG_H

#include "dialects/LLM/IR/LLMOps.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace mlir::sparsec::hf {

/// The model families the importer lays out.
enum class ModelFamily {
  Llama,   ///< LlamaForCausalLM, MistralForCausalLM, BambooForCausalLM
  Mixtral, ///< MixtralForCausalLM, TurboSparseMixtralForCausalLM
};

struct ModelConfig {
  std::string architecture; ///< e.g. "BambooForCausalLM"
  ModelFamily family = ModelFamily::Llama;
  llm::Activation activation = llm::Activation::SwiGLU;

  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  int64_t headDim = 0;
  int64_t vocabSize = 0;
  int64_t maxPositions = 0;
  double ropeTheta = 10000.0;
  double rmsNormEps = 1e-6;
  bool tieWordEmbeddings = false;

  int64_t numExperts = 0; ///< Mixtral family only.
  int64_t topK = 0;       ///< Mixtral family only.

  /// Predictor score threshold, when the config states one.
  std::optional<double> predictorThreshold;

  bool isMoE() const { return family == ModelFamily::Mixtral; }
};

/// Parses `path` (a config.json). Errors are one line and start with the
/// path: "<path>: key 'hidden_size': expected a positive integer, got ...".
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef path);

} // namespace mlir::sparsec::hf

#endif // SPARSEC_COMPILER_IMPORTER_HUGGINGFACE_MODELCONFIG_H

//===- ModelConfig.h - what a model file says about the model ---*- C++ -*-===//
//
// The format-neutral description of a decoder model that every importer
// fills in (Hugging Face config.json, GGUF metadata) and the decode-step
// builder reads: sizes, attention (heads, RoPE and its scaling, sliding
// window), FFN activation, MoE routing, special token ids. Importers check
// their own keys; validateModelConfig() checks what must hold whatever the
// format.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_COMMON_MODELCONFIG_H
#define SPARSEC_COMPILER_IMPORTER_COMMON_MODELCONFIG_H

#include "dialects/LLM/IR/LLMOps.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::sparsec {

/// The model families the decode-step builder lays out.
enum class ModelFamily {
  Llama,   ///< LlamaForCausalLM, MistralForCausalLM, BambooForCausalLM
  Mixtral, ///< MixtralForCausalLM, TurboSparseMixtralForCausalLM
};

/// How RoPE frequencies are derived from theta (Hugging Face `rope_type`).
enum class RopeType { Default, Linear, Llama3 };

struct RopeScaling {
  RopeType type = RopeType::Default;
  double factor = 1.0;                 ///< linear, llama3
  double lowFreqFactor = 1.0;          ///< llama3
  double highFreqFactor = 4.0;         ///< llama3
  int64_t originalMaxPositions = 8192; ///< llama3
  /// Per-frequency divisors (a GGUF's rope_freqs tensor), head_dim/2 of them.
  std::vector<float> freqFactors;
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
  int64_t headDim = 0; ///< may differ from hiddenSize / numHeads
  int64_t vocabSize = 0;
  int64_t maxPositions = 0;
  double ropeTheta = 10000.0;
  RopeScaling ropeScaling;
  double rmsNormEps = 1e-6;
  bool tieWordEmbeddings = false;
  /// Sliding attention window (Mistral); 0 for none.
  int64_t slidingWindow = 0;

  int64_t numExperts = 0; ///< Mixtral family only.
  int64_t topK = 0;       ///< Mixtral family only.

  /// Predictor score threshold, when the config states one.
  std::optional<double> predictorThreshold;

  /// Special tokens the model file names (config, generation config, GGUF).
  std::optional<int64_t> bosTokenId;
  std::vector<int64_t> eosTokenIds;

  bool isMoE() const { return family == ModelFamily::Mixtral; }
};

/// The head_dim/2 RoPE inverse frequencies when a scaling rule changes them
/// from theta's (computed in f32 as the Hugging Face code does), or nothing
/// for plain RoPE.
std::optional<std::vector<float>>
ropeInverseFrequencies(const ModelConfig &config);

/// Stores `value` in `field`, or passes its error on (for importers reading
/// many required sizes in a row).
llvm::Error assignTo(int64_t &field, llvm::Expected<int64_t> value);

/// "10000", "1e-06": a number as %g writes it, for messages.
std::string formatNumber(double value);

/// Checks what must hold whatever the file format (sizes consistent, head
/// size even, ...). Errors are one line starting with `origin`.
llvm::Error validateModelConfig(const ModelConfig &config,
                                llvm::StringRef origin);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_COMMON_MODELCONFIG_H

//===- ModelConfig.cpp - what a model file says about the model -*- C++ -*-===//

#include "compiler/Importer/Common/ModelConfig.h"

#include "sparsec/formats/status.h"

#include "sparsec/formats/limits.h"

#include <cmath>
#include <cstdio>
#include <tuple>

using namespace mlir;
using namespace mlir::sparsec;
namespace limits = ::sparsec::limits;

llvm::Error mlir::sparsec::assignTo(int64_t &field,
                                    llvm::Expected<int64_t> value) {
  if (!value)
    return value.takeError();
  field = *value;
  return llvm::Error::success();
}

std::string mlir::sparsec::formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

std::optional<std::vector<float>>
mlir::sparsec::ropeInverseFrequencies(const ModelConfig &config) {
  const RopeScaling &scaling = config.ropeScaling;
  if (scaling.type == RopeType::Default && scaling.freqFactors.empty())
    return std::nullopt;
  // Plain RoPE first, in f32 like the Hugging Face code:
  // 1 / theta^(float(2i) / dim).
  const int64_t half = config.headDim / 2;
  const float dim = static_cast<float>(config.headDim);
  const float theta = static_cast<float>(config.ropeTheta);
  std::vector<float> invFreq(half);
  for (int64_t i = 0; i < half; ++i)
    invFreq[i] = 1.0f / std::pow(theta, static_cast<float>(2 * i) / dim);

  switch (scaling.type) {
  case RopeType::Default:
    break;
  case RopeType::Linear:
    for (float &f : invFreq)
      f /= static_cast<float>(scaling.factor);
    break;
  case RopeType::Llama3: {
    // Long wavelengths are slowed down by `factor`, short ones kept, and the
    // band between is interpolated (Llama 3.1's rule).
    const float factor = static_cast<float>(scaling.factor);
    const float low = static_cast<float>(scaling.lowFreqFactor);
    const float high = static_cast<float>(scaling.highFreqFactor);
    const float oldLen = static_cast<float>(scaling.originalMaxPositions);
    const float lowFreqWavelen = oldLen / low;
    const float highFreqWavelen = oldLen / high;
    for (float &f : invFreq) {
      float wavelen = static_cast<float>(2.0 * M_PI) / f;
      float scaled = wavelen > lowFreqWavelen ? f / factor : f;
      bool medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
      if (medium) {
        float smooth = (oldLen / wavelen - low) / (high - low);
        scaled = (1.0f - smooth) * scaled / factor + smooth * scaled;
      }
      f = scaled;
    }
    break;
  }
  }
  // A GGUF's rope_freqs divides each frequency (llama.cpp's freq_factors).
  if (!scaling.freqFactors.empty())
    for (int64_t i = 0; i < half; ++i)
      invFreq[i] /= scaling.freqFactors[i];
  return invFreq;
}

llvm::Error mlir::sparsec::validateModelConfig(const ModelConfig &config,
                                               llvm::StringRef origin) {
  auto error = [&](const llvm::Twine &message) {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        ::sparsec::escapeForMessage((origin + ": " + message).str()));
  };
  for (auto [value, what, limit] :
       {std::tuple{config.hiddenSize, "hidden size", limits::kMaxDimension},
        std::tuple{config.intermediateSize, "intermediate size",
                   limits::kMaxDimension},
        std::tuple{config.numLayers, "layer count", limits::kMaxDimension},
        std::tuple{config.numHeads, "attention head count",
                   limits::kMaxDimension},
        std::tuple{config.numKvHeads, "key/value head count",
                   limits::kMaxDimension},
        std::tuple{config.headDim, "head size", limits::kMaxDimension},
        std::tuple{config.vocabSize, "vocabulary size", limits::kMaxVocab},
        std::tuple{config.maxPositions, "context length", limits::kMaxContext}})
    if (value <= 0 || value > limit)
      return error(llvm::Twine(what) + " " + llvm::Twine(value) +
                   " is out of range (expected 1 .. " + llvm::Twine(limit) +
                   ")");
  if (config.headDim % 2 != 0)
    return error("head size " + llvm::Twine(config.headDim) +
                 " is odd; rotary embedding needs an even size");
  if (config.numHeads % config.numKvHeads != 0)
    return error("attention heads (" + llvm::Twine(config.numHeads) +
                 ") are not a multiple of key/value heads (" +
                 llvm::Twine(config.numKvHeads) + ")");
  if (!(config.ropeTheta > 0.0) || !std::isfinite(config.ropeTheta))
    return error("RoPE base " + formatNumber(config.ropeTheta) +
                 " is not a positive number");
  if (!(config.rmsNormEps > 0.0) || !std::isfinite(config.rmsNormEps))
    return error("RMSNorm epsilon " + formatNumber(config.rmsNormEps) +
                 " is not a positive number");
  if (config.slidingWindow < 0)
    return error("sliding window " + llvm::Twine(config.slidingWindow) +
                 " is negative");
  const RopeScaling &scaling = config.ropeScaling;
  if (scaling.type != RopeType::Default &&
      (!(scaling.factor > 0.0) || !std::isfinite(scaling.factor)))
    return error("RoPE scaling factor " + formatNumber(scaling.factor) +
                 " is not a positive number");
  if (scaling.type == RopeType::Llama3 &&
      (!(scaling.lowFreqFactor > 0.0) ||
       !(scaling.highFreqFactor > scaling.lowFreqFactor) ||
       scaling.originalMaxPositions <= 0))
    return error("llama3 RoPE scaling needs 0 < low_freq_factor < "
                 "high_freq_factor and a positive "
                 "original_max_position_embeddings");
  if (!scaling.freqFactors.empty()) {
    if (static_cast<int64_t>(scaling.freqFactors.size()) != config.headDim / 2)
      return error(
          "RoPE frequency factors: " + llvm::Twine(scaling.freqFactors.size()) +
          " values, expected head size / 2 = " +
          llvm::Twine(config.headDim / 2));
    for (float f : scaling.freqFactors)
      if (!(f > 0.0f) || !std::isfinite(f))
        return error("RoPE frequency factor " + formatNumber(f) +
                     " is not a positive number");
  }
  if (config.isMoE()) {
    if (config.numExperts <= 0 || config.topK <= 0)
      return error("a mixture of experts needs a positive expert count and "
                   "experts per token");
    if (config.topK > config.numExperts)
      return error("experts per token (" + llvm::Twine(config.topK) +
                   ") exceed the expert count (" +
                   llvm::Twine(config.numExperts) + ")");
  }
  for (int64_t id : config.eosTokenIds)
    if (id < 0 || id >= config.vocabSize)
      return error("end-of-sequence token id " + llvm::Twine(id) +
                   " is outside the vocabulary [0, " +
                   llvm::Twine(config.vocabSize) + ")");
  if (config.bosTokenId &&
      (*config.bosTokenId < 0 || *config.bosTokenId >= config.vocabSize))
    return error("beginning-of-sequence token id " +
                 llvm::Twine(*config.bosTokenId) +
                 " is outside the vocabulary [0, " +
                 llvm::Twine(config.vocabSize) + ")");
  return llvm::Error::success();
}

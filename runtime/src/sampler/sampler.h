//===- sampler.h - next-token selection from logits -------------*- C++ -*-===//
//
// Greedy (temperature 0) or seeded random sampling with temperature, top-k
// and top-p (nucleus). Results depend only on the seed, the options and the
// logits: the engine is std::mt19937_64 (its output is fixed by the
// standard) and the uniform draw is made here from its raw output, not by
// std::uniform_real_distribution, whose results differ between standard
// libraries.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_SAMPLER_SAMPLER_H
#define SPARSEC_RUNTIME_SAMPLER_SAMPLER_H

#include "sparsec/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace sparsec {

struct SamplerOptions {
  uint64_t seed = 0;
  /// 0 selects greedy (argmax); otherwise logits are divided by it.
  float temperature = 0.0f;
  /// Keep only the k most likely tokens; 0 keeps all.
  int32_t topK = 0;
  /// Keep the smallest set of most likely tokens whose probability reaches
  /// top_p; 1 keeps all. In (0, 1].
  float topP = 1.0f;
};

class Sampler {
public:
  /// Checks the options: temperature finite and >= 0, top_k >= 0, top_p in
  /// (0, 1].
  static StatusOr<Sampler> create(const SamplerOptions &options);

  /// Picks a token from `count` logits. NaN logits are an error (a broken
  /// step); ties go to the lowest token id.
  StatusOr<int32_t> sample(const float *logits, size_t count);

  /// Restarts the random sequence from the seed.
  void reset() { engine_.seed(options_.seed); }

  const SamplerOptions &options() const { return options_; }

  /// A uniform double in [0, 1) from 53 bits of one engine output.
  static double uniform(std::mt19937_64 &engine);

private:
  explicit Sampler(const SamplerOptions &options)
      : options_(options), engine_(options.seed) {}

  SamplerOptions options_;
  std::mt19937_64 engine_;
  /// Scratch for the candidates (token id, weight), reused across calls.
  std::vector<std::pair<int32_t, double>> candidates_;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_SAMPLER_SAMPLER_H

//===- sampler.cpp - next-token selection from logits -----------*- C++ -*-===//
//
// Sampling: candidates are the tokens with a finite (or +inf) logit. Top-k
// keeps the k largest logits; top-p then keeps the shortest prefix of the
// remaining candidates, most likely first, whose softmax mass reaches p.
// Weights are exp((logit - max) / temperature) in double; one uniform draw
// u in [0, 1) picks the first candidate whose cumulative weight exceeds
// u * total. Candidate order is a total order (logit descending, token id
// ascending) so any sort gives the same result.
//
//===----------------------------------------------------------------------===//

#include "sampler/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sparsec {

StatusOr<Sampler> Sampler::create(const SamplerOptions &options) {
  if (!std::isfinite(options.temperature) || options.temperature < 0.0f)
    return Status(StatusCode::kInvalidArgument,
                  "sampler: temperature " +
                      std::to_string(options.temperature) +
                      " is invalid, expected a finite value >= 0");
  if (options.topK < 0)
    return Status(StatusCode::kInvalidArgument,
                  "sampler: top_k " + std::to_string(options.topK) +
                      " is invalid, expected >= 0 (0 disables it)");
  if (!(options.topP > 0.0f && options.topP <= 1.0f))
    return Status(StatusCode::kInvalidArgument,
                  "sampler: top_p " + std::to_string(options.topP) +
                      " is invalid, expected a value in (0, 1]");
  return Sampler(options);
}

double Sampler::uniform(std::mt19937_64 &engine) {
  // The top 53 bits of one 64-bit output, scaled by 2^-53: exactly
  // representable, uniform on the 2^53 multiples of 2^-53 in [0, 1).
  return static_cast<double>(engine() >> 11) * 0x1.0p-53;
}

StatusOr<int32_t> Sampler::sample(const float *logits, size_t count) {
  if (count == 0 || count > static_cast<size_t>(INT32_MAX))
    return Status(StatusCode::kInvalidArgument,
                  "sampler: expected between 1 and 2^31-1 logits, got " +
                      std::to_string(count));
  size_t best = 0;
  for (size_t i = 0; i < count; ++i) {
    if (std::isnan(logits[i]))
      return Status(StatusCode::kDataLoss,
                    "sampler: logit " + std::to_string(i) +
                        " is NaN (the decode step produced invalid values)");
    if (logits[i] > logits[best])
      best = i;
  }
  const float maxLogit = logits[best];
  if (maxLogit == -std::numeric_limits<float>::infinity())
    return Status(StatusCode::kDataLoss,
                  "sampler: every logit is -inf, no token can be chosen");
  if (options_.temperature == 0.0f || options_.topK == 1 ||
      std::isinf(maxLogit))
    return static_cast<int32_t>(best);

  auto before = [](const std::pair<int32_t, double> &a,
                   const std::pair<int32_t, double> &b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  };
  // Gather candidates with their logits; weights replace them below.
  candidates_.clear();
  candidates_.reserve(count);
  for (size_t i = 0; i < count; ++i)
    if (logits[i] != -std::numeric_limits<float>::infinity())
      candidates_.emplace_back(static_cast<int32_t>(i), logits[i]);
  bool sorted = false;
  if (options_.topK > 0 &&
      static_cast<size_t>(options_.topK) < candidates_.size()) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + options_.topK,
                      candidates_.end(), before);
    candidates_.resize(options_.topK);
    sorted = true;
  }
  if (options_.topP < 1.0f && !sorted)
    std::sort(candidates_.begin(), candidates_.end(), before);

  const double temperature = options_.temperature;
  double total = 0.0;
  for (auto &candidate : candidates_) {
    candidate.second = std::exp((candidate.second - maxLogit) / temperature);
    total += candidate.second;
  }
  if (options_.topP < 1.0f) {
    const double target = static_cast<double>(options_.topP) * total;
    double mass = 0.0;
    size_t keep = 0;
    while (keep < candidates_.size()) {
      mass += candidates_[keep].second;
      ++keep;
      if (mass >= target)
        break;
    }
    candidates_.resize(keep);
    total = mass;
  }

  const double threshold = uniform(engine_) * total;
  double cumulative = 0.0;
  for (const auto &candidate : candidates_) {
    cumulative += candidate.second;
    if (threshold < cumulative)
      return candidate.first;
  }
  // Rounding can leave u * total a hair above the last partial sum.
  return candidates_.back().first;
}

} // namespace sparsec

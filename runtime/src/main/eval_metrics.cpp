//===- eval_metrics.cpp - scores of logits against text and a baseline --===//

#include "main/eval_metrics.h"

#include <algorithm>
#include <cmath>

namespace sparsec {

LogitSummary summarizeLogits(const float *logits, size_t vocab) {
  LogitSummary summary;
  if (vocab == 0)
    return summary;
  float best = logits[0];
  for (size_t v = 1; v < vocab; ++v)
    if (logits[v] > best) {
      best = logits[v];
      summary.argmax = static_cast<int32_t>(v);
    }
  double sum = 0.0;
  for (size_t v = 0; v < vocab; ++v)
    sum += std::exp(static_cast<double>(logits[v]) - best);
  summary.logSumExp = best + std::log(sum);
  return summary;
}

void logProbabilities(const float *logits, size_t vocab,
                      const LogitSummary &summary, float *out) {
  for (size_t v = 0; v < vocab; ++v)
    out[v] =
        static_cast<float>(static_cast<double>(logits[v]) - summary.logSumExp);
}

double klDivergence(const float *baseLogProbs, const float *logits,
                    size_t vocab, const LogitSummary &summary) {
  double sum = 0.0;
  for (size_t v = 0; v < vocab; ++v) {
    double logP = baseLogProbs[v];
    double logQ = static_cast<double>(logits[v]) - summary.logSumExp;
    sum += std::exp(logP) * (logP - logQ);
  }
  return std::max(sum, 0.0);
}

double quantile(std::vector<double> values, double q) {
  if (values.empty())
    return 0.0;
  std::sort(values.begin(), values.end());
  double at = std::clamp(q, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  size_t low = static_cast<size_t>(std::floor(at));
  size_t high = std::min(low + 1, values.size() - 1);
  double fraction = at - static_cast<double>(low);
  return values[low] + fraction * (values[high] - values[low]);
}

} // namespace sparsec

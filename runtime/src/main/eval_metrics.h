//===- eval_metrics.h - scores of logits against text and a baseline ----===//
//
// The arithmetic of `OUT/model --eval`: per position, the log-sum-exp and
// the arg max of the logits (the negative log-likelihood of the text's next
// token follows), and the KL divergence KL(P_baseline || P_model) from the
// baseline's log-probabilities. Sums run in double over the vocabulary in
// index order, so a model compared with itself gives exactly 0.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_MAIN_EVAL_METRICS_H
#define SPARSEC_RUNTIME_MAIN_EVAL_METRICS_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sparsec {

struct LogitSummary {
  /// log(sum_v exp(logits[v])), computed stably (max subtracted).
  double logSumExp = 0.0;
  /// The first index of the largest logit.
  int32_t argmax = 0;
};

LogitSummary summarizeLogits(const float *logits, size_t vocab);

/// log_softmax(logits) into `out` (vocab floats).
void logProbabilities(const float *logits, size_t vocab,
                      const LogitSummary &summary, float *out);

/// KL(P || Q) = sum_v p(v) (log p(v) - log q(v)) with log p the baseline's
/// `baseLogProbs` and log q = logits - logSumExp. Never negative (clamped:
/// rounding can leave -1e-17 where the two agree).
double klDivergence(const float *baseLogProbs, const float *logits,
                    size_t vocab, const LogitSummary &summary);

/// The q-quantile (0 <= q <= 1) of `values` by linear interpolation between
/// order statistics; 0 for none.
double quantile(std::vector<double> values, double q);

} // namespace sparsec

#endif // SPARSEC_RUNTIME_MAIN_EVAL_METRICS_H

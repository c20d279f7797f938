//===- eval_metrics_test.cpp - the arithmetic of --eval ---------*- C++ -*-===//

#include "main/eval_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sparsec {
namespace {

TEST(EvalMetrics, LogSumExpAndArgmax) {
  std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f};
  LogitSummary s = summarizeLogits(logits.data(), logits.size());
  EXPECT_EQ(s.argmax, 1); // the first of equal maxima
  double expected =
      std::log(std::exp(1.0) + 2 * std::exp(3.0) + std::exp(-2.0));
  EXPECT_NEAR(s.logSumExp, expected, 1e-12);
  // Large logits do not overflow.
  std::vector<float> big = {1000.0f, 1000.0f};
  EXPECT_NEAR(summarizeLogits(big.data(), 2).logSumExp, 1000.0 + std::log(2.0),
              1e-9);
}

TEST(EvalMetrics, KLDivergence) {
  std::vector<float> p = {0.5f, 0.25f, 0.25f}, q = {0.25f, 0.25f, 0.5f};
  std::vector<float> logP(3), logitsQ(3);
  for (int i = 0; i < 3; ++i) {
    logP[i] = std::log(p[i]);
    logitsQ[i] = std::log(q[i]) + 7.0f; // logits: any shift
  }
  LogitSummary s = summarizeLogits(logitsQ.data(), 3);
  double expected = 0.5 * std::log(2.0) + 0.25 * std::log(0.5);
  EXPECT_NEAR(klDivergence(logP.data(), logitsQ.data(), 3, s), expected, 1e-6);
  // Against its own log-probabilities: exactly zero.
  std::vector<float> own(3);
  logProbabilities(logitsQ.data(), 3, s, own.data());
  EXPECT_NEAR(klDivergence(own.data(), logitsQ.data(), 3, s), 0.0, 1e-7);
  EXPECT_GE(klDivergence(own.data(), logitsQ.data(), 3, s), 0.0);
}

TEST(EvalMetrics, Quantile) {
  EXPECT_EQ(quantile({}, 0.5), 0.0);
  EXPECT_EQ(quantile({3.0, 1.0, 2.0}, 0.0), 1.0);
  EXPECT_EQ(quantile({3.0, 1.0, 2.0}, 1.0), 3.0);
  EXPECT_DOUBLE_EQ(quantile({0.0, 10.0}, 0.99), 9.9);
}

} // namespace
} // namespace sparsec

//===- profile_report_test.cpp - the --profile table ------------*- C++ -*-===//

#include "main/profile_report.h"

#include <gtest/gtest.h>

#include <sstream>

namespace sparsec {
namespace {

/// The whitespace-separated fields after `label` on the report's line that
/// starts with it ("" when there is none).
std::string fieldsAfter(const std::string &report, const std::string &label) {
  std::istringstream lines(report);
  std::string line;
  while (std::getline(lines, line)) {
    size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line.compare(start, label.size(), label))
      continue;
    std::istringstream rest(line.substr(start + label.size()));
    std::string field, fields;
    while (rest >> field)
      fields += (fields.empty() ? "" : " ") + field;
    return fields;
  }
  return "";
}

TEST(ProfileReportTest, KindFoldsLayerAndExpertNumbers) {
  EXPECT_EQ(kernelKind("layer 12 expert 3 ffn (predicted): predictor fc1"),
            "layer * expert * ffn (predicted): predictor fc1");
  EXPECT_EQ(kernelKind("linear layers.7.self_attn.q_proj"),
            "linear layers.*.self_attn.q_proj");
  EXPECT_EQ(kernelKind("attention layer 0"), "attention layer *");
  // Only numbers after those words are positions.
  EXPECT_EQ(kernelKind("lm_head lm_head"), "lm_head lm_head");
  EXPECT_EQ(kernelKind("kernel 5"), "kernel 5");
  EXPECT_EQ(kernelKind("layer x"), "layer x");
}

TEST(ProfileReportTest, GroupsKindsSortsByTimeAndSplitsSerialCode) {
  // 2 steps, 20 ms in all: kernels 2 + 2 + 10 ms, 7 ms per step.
  std::vector<KernelTime> kernels = {
      {"attention layer 0", 2, 0.002},
      {"attention layer 1", 2, 0.002},
      {"layer 0 ffn (dense): down", 2, 0.010},
      {"kernel 3", 0, 0.0}, // never ran: left out
  };
  std::string report = formatProfile(2, 0.020, kernels, /*top=*/2);
  EXPECT_NE(report.find("2 steps, 10.000 ms/step (kernels 7.000 ms, serial "
                        "code 3.000 ms)"),
            std::string::npos)
      << report;
  size_t ffn = report.find("layer * ffn (dense): down");
  size_t attention = report.find("attention layer *");
  ASSERT_NE(ffn, std::string::npos) << report;
  ASSERT_NE(attention, std::string::npos) << report;
  EXPECT_LT(ffn, attention) << "kinds are sorted by time";
  // attention: 2 kernels, 2 calls per step, 2 ms per step, 20%.
  EXPECT_EQ(fieldsAfter(report, "attention layer *"), "2 2.00 2.000 20.0")
      << report;
  EXPECT_EQ(fieldsAfter(report, "layer * ffn (dense): down"),
            "1 1.00 5.000 50.0")
      << report;
  EXPECT_NE(report.find("serial code (between kernels)"), std::string::npos);
  EXPECT_EQ(report.find("kernel 3"), std::string::npos) << report;
  // The slowest single kernels, at most `top` of them.
  size_t slowest = report.find("slowest kernels");
  ASSERT_NE(slowest, std::string::npos);
  EXPECT_NE(report.find("layer 0 ffn (dense): down", slowest),
            std::string::npos);
  EXPECT_NE(report.find("attention layer 0", slowest), std::string::npos);
  EXPECT_EQ(report.find("attention layer 1", slowest), std::string::npos);
}

TEST(ProfileReportTest, NoSteps) {
  EXPECT_EQ(formatProfile(0, 0.0, {}), "sparsec profile: no step ran\n");
}

} // namespace
} // namespace sparsec

//===- ggml_quantize_test.cpp - f32 rows to ggml blocks -------------------===//
//
// The quantizer against the format's definition: decoding (ggml_quant.cpp,
// tested against ggml's own values in gguf_test.cpp) what it wrote gives
// every weight within half a quantization step (plus the f16 rounding of
// the scale), the block fields are where the layout puts them, and bad
// input is refused.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/gguf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace sparsec {
namespace {

std::vector<float> randomRow(int64_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> row(n);
  for (float &v : row)
    v = normal(rng);
  return row;
}

/// Quantizes and decodes `x`; returns the decoded values.
std::vector<float> roundTrip(GgmlType type, const std::vector<float> &x) {
  std::vector<uint8_t> blocks(x.size() / ggmlBlockSize(type) *
                              ggmlBlockBytes(type));
  EXPECT_TRUE(quantizeFromF32(type, x.data(), x.size(), blocks.data()).isOk());
  std::vector<float> decoded(x.size());
  EXPECT_TRUE(
      dequantizeToF32(type, blocks.data(), x.size(), decoded.data()).isOk());
  return decoded;
}

/// Largest |x - decoded| / step over the row, where step is the block's
/// quantization step (range / levels).
double worstStepError(GgmlType type, const std::vector<float> &x,
                      const std::vector<float> &decoded) {
  double worst = 0;
  for (size_t b = 0; b < x.size() / 32; ++b) {
    float lo = x[b * 32], hi = x[b * 32], amax = 0;
    for (int j = 0; j < 32; ++j) {
      lo = std::min(lo, x[b * 32 + j]);
      hi = std::max(hi, x[b * 32 + j]);
      amax = std::max(amax, std::fabs(x[b * 32 + j]));
    }
    double step = type == GgmlType::kQ8_0   ? amax / 127.0
                  : type == GgmlType::kQ4_0 ? amax / 8.0
                                            : (hi - lo) / 15.0;
    for (int j = 0; j < 32; ++j)
      worst = std::max(worst,
                       std::fabs(x[b * 32 + j] - decoded[b * 32 + j]) / step);
  }
  return worst;
}

TEST(GgmlQuantizeTest, RoundTripWithinHalfAStep) {
  std::vector<float> x = randomRow(4096, 7, 0.02f);
  // Half a step from rounding, plus the f16 scale's relative error (2^-11)
  // times the largest level (127 for q8_0, 8 for q4_0, 15 for q4_1). q4_0
  // maps the extreme to -8, so the other side's levels stop at +7: a value
  // there may be a whole step from the last level.
  EXPECT_LE(worstStepError(GgmlType::kQ8_0, x, roundTrip(GgmlType::kQ8_0, x)),
            0.5 + 127.0 / 2048 + 1e-3);
  EXPECT_LE(worstStepError(GgmlType::kQ4_0, x, roundTrip(GgmlType::kQ4_0, x)),
            1.0 + 8.0 / 2048 + 1e-3);
  EXPECT_LE(worstStepError(GgmlType::kQ4_1, x, roundTrip(GgmlType::kQ4_1, x)),
            0.5 + 15.0 / 2048 + 1e-3);
}

/// Largest |x - decoded| of a k-quant super-block over `bound(step, d)`,
/// where step is a sub-block's own step (q4_k: range / 15 over `sub` = 32
/// weights, with 0 in the range; q6_k: max|x| / 32 over 16) and d the
/// super-block's scale of scales (largest step / 63; largest step / 128).
double worstSuperBlockError(GgmlType type, const std::vector<float> &x,
                            const std::vector<float> &decoded) {
  const bool q4 = type == GgmlType::kQ4_K;
  const int sub = q4 ? 32 : 16;
  double worst = 0;
  for (size_t sb = 0; sb < x.size() / 256; ++sb) {
    std::vector<double> steps, mins;
    for (int j = 0; j < 256 / sub; ++j) {
      const float *v = &x[sb * 256 + j * sub];
      double lo = 0, hi = v[0], amax = 0;
      for (int l = 0; l < sub; ++l) {
        lo = std::min<double>(lo, v[l]);
        hi = std::max<double>(hi, v[l]);
        amax = std::max<double>(amax, std::fabs(v[l]));
      }
      steps.push_back(q4 ? (hi - lo) / 15 : amax / 32);
      mins.push_back(-lo);
    }
    double d = *std::max_element(steps.begin(), steps.end()) / (q4 ? 63 : 128);
    double dmin = *std::max_element(mins.begin(), mins.end()) / 63;
    for (int j = 0; j < 256 / sub; ++j) {
      // Half a step of the stored scale (the step plus half of d; a whole
      // one for q6_k, whose levels stop at +31 opposite the extreme that
      // maps to -32, as q4_0's), and what rounding the sub-block's scale to
      // a multiple of d can clip: half of d per level (15 levels, 32), half
      // of dmin for q4_k's min; 1% for the f16 rounding of d and dmin.
      double bound = ((q4 ? 0.5 : 1.0) * (steps[j] + 0.5 * d) +
                      (q4 ? 15 : 32) * 0.5 * d + (q4 ? 0.5 * dmin : 0)) *
                         1.01 +
                     1e-9;
      for (int l = 0; l < sub; ++l) {
        size_t i = sb * 256 + j * sub + l;
        worst = std::max(worst, std::fabs(x[i] - decoded[i]) / bound);
      }
    }
  }
  return worst;
}

double meanAbsError(const std::vector<float> &x,
                    const std::vector<float> &decoded) {
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i)
    sum += std::fabs(x[i] - decoded[i]);
  return sum / x.size();
}

TEST(GgmlQuantizeTest, SuperBlocksWithinTheirBounds) {
  std::vector<float> x = randomRow(8192, 11, 0.02f);
  // A sub-block of small weights next to large ones: its scale is a small
  // multiple of d, the case where rounding the scale costs most.
  for (int l = 0; l < 64; ++l)
    x[256 + l] *= 0.05f;
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K})
    EXPECT_LE(worstSuperBlockError(type, x, roundTrip(type, x)), 1.0)
        << ggmlTypeName(type);
  // On Gaussian weights, q4_k (4.5 bits per weight) errs about as much as
  // q4_1 (5 bits), q6_k (6.56 bits) about a quarter as much.
  double q41 = meanAbsError(x, roundTrip(GgmlType::kQ4_1, x));
  EXPECT_LE(meanAbsError(x, roundTrip(GgmlType::kQ4_K, x)), 1.3 * q41);
  EXPECT_LE(meanAbsError(x, roundTrip(GgmlType::kQ6_K, x)), 0.35 * q41);
}

TEST(GgmlQuantizeTest, BlockFields) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j)
    x[j] = static_cast<float>(j - 16); // -16 .. 15
  uint8_t q8[34], q4[18], q41[20];
  ASSERT_TRUE(quantizeFromF32(GgmlType::kQ8_0, x.data(), 32, q8).isOk());
  // d = 16 / 127 in f16; element 0 (-16) is level -127.
  EXPECT_FLOAT_EQ(halfToFloat(static_cast<uint16_t>(q8[0] | (q8[1] << 8))),
                  halfToFloat(floatToHalf(16.0f / 127.0f)));
  EXPECT_EQ(static_cast<int8_t>(q8[2]), -127);
  EXPECT_EQ(static_cast<int8_t>(q8[2 + 16]), 0);

  ASSERT_TRUE(quantizeFromF32(GgmlType::kQ4_0, x.data(), 32, q4).isOk());
  // The largest magnitude (-16) maps to level 0 (-8 after centring): d = 2.
  EXPECT_FLOAT_EQ(halfToFloat(static_cast<uint16_t>(q4[0] | (q4[1] << 8))),
                  2.0f);
  EXPECT_EQ(q4[2] & 0x0f, 0); // element 0: -16 / 2 + 8
  EXPECT_EQ(q4[2] >> 4, 8);   // element 16: 0 / 2 + 8
  EXPECT_EQ(q4[17] >> 4, 15); // element 31: 15 / 2 + 8.5 -> 16, clamped

  ASSERT_TRUE(quantizeFromF32(GgmlType::kQ4_1, x.data(), 32, q41).isOk());
  EXPECT_FLOAT_EQ(halfToFloat(static_cast<uint16_t>(q41[0] | (q41[1] << 8))),
                  halfToFloat(floatToHalf(31.0f / 15.0f))); // (15 - -16) / 15
  EXPECT_FLOAT_EQ(halfToFloat(static_cast<uint16_t>(q41[2] | (q41[3] << 8))),
                  -16.0f);
}

TEST(GgmlQuantizeTest, ZeroBlocksStayZero) {
  std::vector<float> x(64, 0.0f);
  x.resize(256, 0.0f);
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1,
                        GgmlType::kQ4_K, GgmlType::kQ6_K})
    for (float v : roundTrip(type, x))
      EXPECT_EQ(v, 0.0f) << ggmlTypeName(type);
}

TEST(GgmlQuantizeTest, RefusesBadInput) {
  std::vector<float> x(48, 1.0f);
  std::vector<uint8_t> out(64);
  EXPECT_FALSE(
      quantizeFromF32(GgmlType::kQ4_0, x.data(), 48, out.data()).isOk());
  Status partial = quantizeFromF32(GgmlType::kQ4_K, x.data(), 32, out.data());
  EXPECT_FALSE(partial.isOk());
  EXPECT_NE(partial.message().find("blocks of 256"), std::string::npos)
      << partial.message();
  EXPECT_FALSE(
      quantizeFromF32(GgmlType::kQ5_K, x.data(), 32, out.data()).isOk());
  x[3] = std::nanf("");
  Status nan = quantizeFromF32(GgmlType::kQ8_0, x.data(), 32, out.data());
  EXPECT_FALSE(nan.isOk());
  EXPECT_NE(nan.message().find("element 3"), std::string::npos)
      << nan.message();
}

} // namespace
} // namespace sparsec

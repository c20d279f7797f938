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
  std::vector<uint8_t> blocks(x.size() / 32 * ggmlBlockBytes(type));
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
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_1})
    for (float v : roundTrip(type, x))
      EXPECT_EQ(v, 0.0f) << ggmlTypeName(type);
}

TEST(GgmlQuantizeTest, RefusesBadInput) {
  std::vector<float> x(48, 1.0f);
  std::vector<uint8_t> out(64);
  EXPECT_FALSE(
      quantizeFromF32(GgmlType::kQ4_0, x.data(), 48, out.data()).isOk());
  EXPECT_FALSE(
      quantizeFromF32(GgmlType::kQ4_K, x.data(), 32, out.data()).isOk());
  x[3] = std::nanf("");
  Status nan = quantizeFromF32(GgmlType::kQ8_0, x.data(), 32, out.data());
  EXPECT_FALSE(nan.isOk());
  EXPECT_NE(nan.message().find("element 3"), std::string::npos)
      << nan.message();
}

} // namespace
} // namespace sparsec

//===- ggml_quantize.cpp - f32 rows to ggml blocks --------------*- C++ -*-===//
//
// Round-to-nearest quantization into the ggml block layouts that
// ggml_quant.cpp decodes (the layouts are documented there). sparsec packs
// quantized weights in these layouts, so a quantized checkpoint and one
// quantized by `sparsec compile --quant` read the same way. Per block:
//
//   Q8_0: d = max|x| / 127; q = round(x / d), halves away from zero
//   Q4_0: d = x* / -8, where x* is the element of largest magnitude (sign
//         kept, so it maps to -8 exactly); q = min(15, trunc(x / d + 8.5))
//   Q4_1: d = (max - min) / 15, m = min; q = min(15, trunc((x - m) / d + 0.5))
//
// The scale is stored as f16, and quantization divides by the f32 scale
// before rounding (1/d multiplied, as the reference quantizers do), so the
// weights a kernel sees are d16 * q (+ m16): the error per weight is at
// most about half a step plus the f16 rounding of the scale.
// Compiled with -ffp-contract=off, like the decoders.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/gguf.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace sparsec {

namespace {

void storeHalf(uint8_t *out, float value) {
  uint16_t bits = floatToHalf(value);
  out[0] = static_cast<uint8_t>(bits & 0xff);
  out[1] = static_cast<uint8_t>(bits >> 8);
}

void quantizeQ8_0(const float *x, uint8_t *out) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  float d = amax / 127.0f;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  storeHalf(out, d);
  for (int j = 0; j < 32; ++j)
    out[2 + j] = static_cast<uint8_t>(
        static_cast<int8_t>(std::round(x[j] * id))); // half away from zero
}

void quantizeQ4_0(const float *x, uint8_t *out) {
  float amax = 0.0f, extreme = 0.0f;
  for (int j = 0; j < 32; ++j)
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      extreme = x[j];
    }
  float d = extreme / -8.0f;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  storeHalf(out, d);
  auto level = [&](float v) {
    return static_cast<uint8_t>(
        std::min(15, static_cast<int>(static_cast<int8_t>(v * id + 8.5f))));
  };
  for (int j = 0; j < 16; ++j)
    out[2 + j] = static_cast<uint8_t>(level(x[j]) | (level(x[j + 16]) << 4));
}

void quantizeQ4_1(const float *x, uint8_t *out) {
  float lo = x[0], hi = x[0];
  for (int j = 1; j < 32; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  float d = (hi - lo) / 15.0f;
  float id = d != 0.0f ? 1.0f / d : 0.0f;
  storeHalf(out, d);
  storeHalf(out + 2, lo);
  auto level = [&](float v) {
    return static_cast<uint8_t>(std::min(
        15, static_cast<int>(static_cast<int8_t>((v - lo) * id + 0.5f))));
  };
  for (int j = 0; j < 16; ++j)
    out[4 + j] = static_cast<uint8_t>(level(x[j]) | (level(x[j + 16]) << 4));
}

} // namespace

bool ggmlCanQuantize(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 ||
         type == GgmlType::kQ4_1;
}

Status quantizeFromF32(GgmlType type, const float *src, int64_t count,
                       uint8_t *out) {
  if (!ggmlCanQuantize(type))
    return Status(
        StatusCode::kUnimplemented,
        std::string("quantizeFromF32: cannot quantize to ggml type ") +
            ggmlTypeName(type));
  if (count < 0 || count % 32 != 0)
    return Status(StatusCode::kInvalidArgument,
                  "quantizeFromF32: " + std::to_string(count) +
                      " elements is not a whole number of blocks of 32");
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(src[i]))
      return Status(StatusCode::kInvalidArgument, "quantizeFromF32: element " +
                                                      std::to_string(i) +
                                                      " is not finite");
  void (*block)(const float *, uint8_t *) =
      type == GgmlType::kQ8_0   ? quantizeQ8_0
      : type == GgmlType::kQ4_0 ? quantizeQ4_0
                                : quantizeQ4_1;
  const int64_t blockBytes = ggmlBlockBytes(type);
  for (int64_t b = 0; b < count / 32; ++b)
    block(src + b * 32, out + b * blockBytes);
  return Status::ok();
}

} // namespace sparsec

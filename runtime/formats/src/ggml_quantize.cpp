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
// The k-quants (super-blocks of 256), with the same one-pass rules (no
// search for the scales that minimise the error, which ggml's quantizers
// do: a weight's error can be larger, never the layout different):
//   Q4_K: per sub-block j of 32, lo_j = min(0, min x), s_j = (max x - lo_j)
//         / 15, m_j = -lo_j; the 6-bit s'_j = min(63, trunc(s_j * 63 / S +
//         0.5)) with S = max s_j, d = S / 63 (m'_j, dmin likewise); then
//         each weight is requantized with the stored values:
//         q = clamp(trunc((x + dmin16 m'_j) / (d16 s'_j) + 0.5), 0, 15)
//   Q6_K: per sub-block j of 16, s_j = x* / -32 (x* the element of largest
//         magnitude, the first on ties); d = s* / -128 with s* the s_j of
//         largest magnitude; sc_j = clamp(round(s_j / d), -128, 127);
//         q = clamp(round(x / (d16 sc_j)), -32, 31) + 32
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

/// trunc(v + 0.5) clamped to [0, hi]: the nearest level of a non-negative v.
int nearestLevel(float v, int hi) {
  float t = std::trunc(v + 0.5f);
  return t <= 0.0f ? 0 : t >= static_cast<float>(hi) ? hi : static_cast<int>(t);
}

void quantizeQ4_K(const float *x, uint8_t *out) {
  float scale[8], min[8];
  float maxScale = 0.0f, maxMin = 0.0f;
  for (int j = 0; j < 8; ++j) {
    float lo = 0.0f, hi = x[32 * j];
    for (int l = 0; l < 32; ++l) {
      lo = std::min(lo, x[32 * j + l]);
      hi = std::max(hi, x[32 * j + l]);
    }
    scale[j] = (hi - lo) / 15.0f;
    min[j] = -lo;
    maxScale = std::max(maxScale, scale[j]);
    maxMin = std::max(maxMin, min[j]);
  }
  const float invScale = maxScale > 0.0f ? 63.0f / maxScale : 0.0f;
  const float invMin = maxMin > 0.0f ? 63.0f / maxMin : 0.0f;
  int ls[8], lm[8];
  for (int j = 0; j < 8; ++j) {
    ls[j] = nearestLevel(scale[j] * invScale, 63);
    lm[j] = nearestLevel(min[j] * invMin, 63);
  }
  storeHalf(out, maxScale / 63.0f);
  storeHalf(out + 2, maxMin / 63.0f);
  uint8_t *scales = out + 4;
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(ls[j]);
    scales[j + 4] = static_cast<uint8_t>(lm[j]);
  }
  for (int j = 4; j < 8; ++j) {
    scales[j + 4] = static_cast<uint8_t>((ls[j] & 0xf) | ((lm[j] & 0xf) << 4));
    scales[j - 4] |= static_cast<uint8_t>((ls[j] >> 4) << 6);
    scales[j] |= static_cast<uint8_t>((lm[j] >> 4) << 6);
  }
  const float d = halfToFloat(floatToHalf(maxScale / 63.0f));
  const float dmin = halfToFloat(floatToHalf(maxMin / 63.0f));
  uint8_t *qs = out + 16;
  std::memset(qs, 0, 128);
  for (int j = 0; j < 8; ++j) {
    const float s = d * static_cast<float>(ls[j]);
    const float m = dmin * static_cast<float>(lm[j]);
    const float is = s != 0.0f ? 1.0f / s : 0.0f;
    // Sub-blocks 2p and 2p + 1 share 32 bytes: low nibbles, high nibbles.
    uint8_t *bytes = qs + 32 * (j / 2);
    const int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l) {
      float shifted = x[32 * j + l] + m;
      bytes[l] |= static_cast<uint8_t>(nearestLevel(shifted * is, 15) << shift);
    }
  }
}

/// round(v), halves away from zero, clamped to [lo, hi].
int roundClamped(float v, int lo, int hi) {
  float r = std::round(v);
  return r <= static_cast<float>(lo)   ? lo
         : r >= static_cast<float>(hi) ? hi
                                       : static_cast<int>(r);
}

/// The element of largest magnitude (sign kept), the first one on ties.
float extremeOf(const float *x, int count) {
  float amax = 0.0f, extreme = 0.0f;
  for (int l = 0; l < count; ++l)
    if (std::fabs(x[l]) > amax) {
      amax = std::fabs(x[l]);
      extreme = x[l];
    }
  return extreme;
}

void quantizeQ6_K(const float *x, uint8_t *out) {
  float scale[16];
  for (int j = 0; j < 16; ++j)
    scale[j] = extremeOf(x + 16 * j, 16) / -32.0f;
  const float d = extremeOf(scale, 16) / -128.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  int8_t *sc = reinterpret_cast<int8_t *>(out + 192);
  for (int j = 0; j < 16; ++j)
    sc[j] = static_cast<int8_t>(roundClamped(scale[j] * id, -128, 127));
  storeHalf(out + 208, d);
  const float d16 = halfToFloat(floatToHalf(d));
  uint8_t *ql = out, *qh = out + 128;
  std::memset(out, 0, 192);
  for (int i = 0; i < 256; ++i) {
    const float s = d16 * static_cast<float>(sc[i / 16]);
    const float is = s != 0.0f ? 1.0f / s : 0.0f;
    const int q = roundClamped(x[i] * is, -32, 31) + 32;
    // Element i = 128 h + 32 r + l: its low four bits in ql[64 h + 32 (r % 2)
    // + l] (low nibble for r < 2, else high), its top two in bits 2r, 2r + 1
    // of qh[32 h + l].
    const int h = i / 128, r = (i % 128) / 32, l = i % 32;
    ql[64 * h + 32 * (r % 2) + l] |=
        static_cast<uint8_t>((q & 0xf) << (4 * (r / 2)));
    qh[32 * h + l] |= static_cast<uint8_t>((q >> 4) << (2 * r));
  }
}

} // namespace

bool ggmlCanQuantize(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 ||
         type == GgmlType::kQ4_1 || type == GgmlType::kQ4_K ||
         type == GgmlType::kQ6_K;
}

Status quantizeFromF32(GgmlType type, const float *src, int64_t count,
                       uint8_t *out) {
  if (!ggmlCanQuantize(type))
    return Status(
        StatusCode::kUnimplemented,
        std::string("quantizeFromF32: cannot quantize to ggml type ") +
            ggmlTypeName(type));
  const int64_t blockSize = ggmlBlockSize(type);
  if (count < 0 || count % blockSize != 0)
    return Status(StatusCode::kInvalidArgument,
                  "quantizeFromF32: " + std::to_string(count) +
                      " elements is not a whole number of blocks of " +
                      std::to_string(blockSize));
  for (int64_t i = 0; i < count; ++i)
    if (!std::isfinite(src[i]))
      return Status(StatusCode::kInvalidArgument, "quantizeFromF32: element " +
                                                      std::to_string(i) +
                                                      " is not finite");
  void (*block)(const float *, uint8_t *) =
      type == GgmlType::kQ8_0   ? quantizeQ8_0
      : type == GgmlType::kQ4_0 ? quantizeQ4_0
      : type == GgmlType::kQ4_1 ? quantizeQ4_1
      : type == GgmlType::kQ4_K ? quantizeQ4_K
                                : quantizeQ6_K;
  const int64_t blockBytes = ggmlBlockBytes(type);
  for (int64_t b = 0; b < count / blockSize; ++b)
    block(src + b * blockSize, out + b * blockBytes);
  return Status::ok();
}

} // namespace sparsec

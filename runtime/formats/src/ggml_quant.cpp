//===- ggml_quant.cpp - ggml block formats to f32 ---------------*- C++ -*-===//
//
// Dequantization of the ggml tensor types a GGUF file may hold, following
// the block layouts ggml publishes (ggml-common.h). Block fields are read
// byte by byte: a block of 18 or 210 bytes is not aligned.
//
// Each formula is evaluated in the same order, in f32, as ggml's reference
// dequantizers (and the gguf Python package's numpy ones), so the results
// match them bit for bit. This file is compiled with -ffp-contract=off so a
// multiply-add is never fused into an FMA, which would round differently.
//
//   Q4_0  (32):  f16 d; u8 qs[16]             x = d * (q - 8)
//   Q4_1  (32):  f16 d, m; u8 qs[16]          x = d * q + m
//   Q5_0  (32):  f16 d; u8 qh[4]; u8 qs[16]   x = d * (q5 - 16)
//   Q5_1  (32):  f16 d, m; u8 qh[4]; qs[16]   x = d * q5 + m
//   Q8_0  (32):  f16 d; i8 qs[32]             x = d * q
//   Q4_K (256):  f16 d, dmin; u8 scales[12] (eight 6-bit scale/min pairs);
//                u8 qs[128]                   x = d*sc * q - dmin*m
//   Q5_K (256):  as Q4_K plus u8 qh[32] before qs
//   Q6_K (256):  u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d
//                                             x = d*sc * (q6 - 32)
// In the 32-element formats byte j of qs holds element j in its low nibble
// and element j+16 in its high nibble; bit j of the 32-bit qh is the fifth
// bit of element j.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/gguf.h"

#include <cstring>

namespace sparsec {

//===----------------------------------------------------------------------===//
// f16 / bf16
//===----------------------------------------------------------------------===//

namespace {

uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  return bits;
}

float bitsFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

} // namespace

float halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1f;
  uint32_t mantissa = bits & 0x3ff;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in f32.
    float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return bitsFloat(sign | floatBits(magnitude));
  }
  if (exponent == 31) // inf or nan (payload kept)
    return bitsFloat(sign | 0x7f800000u | (mantissa << 13));
  return bitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t floatToHalf(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x7f800000u) {
    if (magnitude == 0x7f800000u)
      return sign | 0x7c00;
    // nan: keep the top payload bits, and stay a (quiet) nan.
    return sign | 0x7e00 | static_cast<uint16_t>((magnitude >> 13) & 0x3ff);
  }
  // 65520 and above round to inf (65504 is the largest half; the tie at
  // 65520 goes to the even neighbour, which is inf).
  if (magnitude >= 0x477ff000u)
    return sign | 0x7c00;
  uint32_t exponent = magnitude >> 23;
  if (exponent < 113) {
    // Below 2^-14: a half subnormal, counting units of 2^-24.
    if (exponent == 0)
      return sign; // f32 subnormals are far below half's smallest
    uint32_t mantissa = (magnitude & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - exponent; // >= 14
    if (shift > 24)
      return sign; // under half of 2^-24
    uint32_t quotient = mantissa >> shift;
    uint32_t remainder = mantissa & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (remainder > half || (remainder == half && (quotient & 1)))
      ++quotient; // may carry into the smallest normal: still correct
    return sign | static_cast<uint16_t>(quotient);
  }
  uint32_t result = ((exponent - 112) << 10) | ((magnitude >> 13) & 0x3ff);
  uint32_t remainder = magnitude & 0x1fff;
  if (remainder > 0x1000 || (remainder == 0x1000 && (result & 1)))
    ++result; // a carry into the exponent is the right rounding
  return sign | static_cast<uint16_t>(result);
}

float bf16ToFloat(uint16_t bits) {
  return bitsFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToBF16(float value) {
  uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // nan: truncate, force quiet
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

//===----------------------------------------------------------------------===//
// Blocks
//===----------------------------------------------------------------------===//

namespace {

float loadHalf(const uint8_t *p) {
  return halfToFloat(static_cast<uint16_t>(p[0] | (p[1] << 8)));
}

void blockQ4_0(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  const uint8_t *qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((qs[j] & 0xf) - 8) * d;
    y[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
  }
}

void blockQ4_1(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  const float m = loadHalf(b + 2);
  const uint8_t *qs = b + 4;
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(qs[j] & 0xf) * d + m;
    y[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
  }
}

uint32_t load32(const uint8_t *p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

void blockQ5_0(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  const uint32_t qh = load32(b + 2);
  const uint8_t *qs = b + 6;
  for (int j = 0; j < 16; ++j) {
    int lo = (qs[j] & 0xf) | (((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
    y[j] = static_cast<float>(lo - 16) * d;
    y[j + 16] = static_cast<float>(hi - 16) * d;
  }
}

void blockQ5_1(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  const float m = loadHalf(b + 2);
  const uint32_t qh = load32(b + 4);
  const uint8_t *qs = b + 8;
  for (int j = 0; j < 16; ++j) {
    int lo = (qs[j] & 0xf) | (((qh >> j) & 1) << 4);
    int hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4);
    y[j] = static_cast<float>(lo) * d + m;
    y[j + 16] = static_cast<float>(hi) * d + m;
  }
}

void blockQ8_0(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  for (int j = 0; j < 32; ++j)
    y[j] = static_cast<float>(static_cast<int8_t>(b[2 + j])) * d;
}

/// The j-th (0..7) 6-bit scale and min of a Q4_K/Q5_K super-block: the
/// first four sit in the low 6 bits of bytes 0..3 (scales) and 4..7 (mins);
/// the last four take their low nibbles from bytes 8..11 and their top two
/// bits from the spare top bits of bytes 0..7.
void scaleMinK4(int j, const uint8_t *q, uint8_t &scale, uint8_t &min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = static_cast<uint8_t>((q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4));
    min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

void blockQ4_K(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  const float dmin = loadHalf(b + 2);
  const uint8_t *scales = b + 4;
  const uint8_t *qs = b + 16;
  // Four chunks of 64: low nibbles of 32 bytes, then their high nibbles.
  for (int chunk = 0; chunk < 4; ++chunk) {
    uint8_t sc, m;
    scaleMinK4(2 * chunk, scales, sc, m);
    const float d1 = d * static_cast<float>(sc);
    const float m1 = dmin * static_cast<float>(m);
    scaleMinK4(2 * chunk + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc);
    const float m2 = dmin * static_cast<float>(m);
    for (int l = 0; l < 32; ++l)
      y[l] = d1 * static_cast<float>(qs[l] & 0xf) - m1;
    for (int l = 0; l < 32; ++l)
      y[32 + l] = d2 * static_cast<float>(qs[l] >> 4) - m2;
    qs += 32;
    y += 64;
  }
}

void blockQ5_K(const uint8_t *b, float *y) {
  const float d = loadHalf(b);
  const float dmin = loadHalf(b + 2);
  const uint8_t *scales = b + 4;
  const uint8_t *qh = b + 16;
  const uint8_t *qs = b + 48;
  // As Q4_K; chunk c takes its fifth bits from bits 2c and 2c+1 of qh[l].
  for (int chunk = 0; chunk < 4; ++chunk) {
    uint8_t sc, m;
    scaleMinK4(2 * chunk, scales, sc, m);
    const float d1 = d * static_cast<float>(sc);
    const float m1 = dmin * static_cast<float>(m);
    scaleMinK4(2 * chunk + 1, scales, sc, m);
    const float d2 = d * static_cast<float>(sc);
    const float m2 = dmin * static_cast<float>(m);
    const int lowBit = 2 * chunk, highBit = 2 * chunk + 1;
    for (int l = 0; l < 32; ++l) {
      int q = (qs[l] & 0xf) | (((qh[l] >> lowBit) & 1) << 4);
      y[l] = d1 * static_cast<float>(q) - m1;
    }
    for (int l = 0; l < 32; ++l) {
      int q = (qs[l] >> 4) | (((qh[l] >> highBit) & 1) << 4);
      y[32 + l] = d2 * static_cast<float>(q) - m2;
    }
    qs += 32;
    y += 64;
  }
}

void blockQ6_K(const uint8_t *b, float *y) {
  const uint8_t *ql = b;
  const uint8_t *qh = b + 128;
  const int8_t *sc = reinterpret_cast<const int8_t *>(b + 192);
  const float d = loadHalf(b + 208);
  // Two halves of 128; in each, l in 0..31 yields elements l, l+32, l+64
  // and l+96 from ql[l], ql[l+32] (low, then high nibbles) and qh[l]'s
  // four 2-bit fields; every 16 elements have their own scale.
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

} // namespace

Status dequantizeToF32(GgmlType type, const uint8_t *src, int64_t count,
                       float *out) {
  if (!ggmlCanDequantize(type))
    return Status(StatusCode::kUnimplemented,
                  std::string("dequantizeToF32: cannot dequantize ggml type ") +
                      ggmlTypeName(type) + " (" +
                      std::to_string(static_cast<uint32_t>(type)) + ")");
  const int64_t blockSize = ggmlBlockSize(type);
  const int64_t blockBytes = ggmlBlockBytes(type);
  if (count < 0 || count % blockSize != 0)
    return Status(StatusCode::kInvalidArgument,
                  "dequantizeToF32: " + std::to_string(count) + " " +
                      ggmlTypeName(type) +
                      " elements is not a whole number of blocks of " +
                      std::to_string(blockSize));
  const int64_t blocks = count / blockSize;
  switch (type) {
  case GgmlType::kF32:
    if (count)
      std::memcpy(out, src, static_cast<size_t>(count) * 4);
    break;
  case GgmlType::kF16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = loadHalf(src + 2 * i);
    break;
  case GgmlType::kBF16:
    for (int64_t i = 0; i < count; ++i)
      out[i] = bf16ToFloat(
          static_cast<uint16_t>(src[2 * i] | (src[2 * i + 1] << 8)));
    break;
  default: {
    void (*block)(const uint8_t *, float *) = nullptr;
    switch (type) {
    case GgmlType::kQ4_0:
      block = blockQ4_0;
      break;
    case GgmlType::kQ4_1:
      block = blockQ4_1;
      break;
    case GgmlType::kQ5_0:
      block = blockQ5_0;
      break;
    case GgmlType::kQ5_1:
      block = blockQ5_1;
      break;
    case GgmlType::kQ8_0:
      block = blockQ8_0;
      break;
    case GgmlType::kQ4_K:
      block = blockQ4_K;
      break;
    case GgmlType::kQ5_K:
      block = blockQ5_K;
      break;
    case GgmlType::kQ6_K:
      block = blockQ6_K;
      break;
    default:
      return Status(StatusCode::kInternal,
                    std::string("dequantizeToF32: no block decoder for ") +
                        ggmlTypeName(type));
    }
    for (int64_t i = 0; i < blocks; ++i)
      block(src + i * blockBytes, out + i * blockSize);
    break;
  }
  }
  return Status::ok();
}

} // namespace sparsec

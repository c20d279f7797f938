//===- utf8.cpp - UTF-8 helpers of the tokenizers ---------------*- C++ -*-===//

#include "tokenizer/utf8.h"

namespace sparsec {
namespace utf8 {

Step next(const unsigned char *p, size_t n, size_t &length, uint32_t &cp) {
  unsigned char b = p[0];
  if (b < 0x80) {
    length = 1;
    cp = b;
    return Step::kValid;
  }
  size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF; // the range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
    cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    cp = b & 0x0F;
    if (b == 0xE0)
      lo = 0xA0;
    else if (b == 0xED)
      hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    cp = b & 0x07;
    if (b == 0xF0)
      lo = 0x90;
    else if (b == 0xF4)
      hi = 0x8F;
  } else {
    length = 1; // 80..C1, F5..FF can start nothing
    return Step::kInvalid;
  }
  for (size_t i = 1; i <= need; ++i) {
    if (i >= n) {
      length = i;
      return Step::kIncomplete;
    }
    unsigned char c = p[i];
    unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (c < l || c > h) {
      length = i;
      return Step::kInvalid;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  length = need + 1;
  return Step::kValid;
}

bool isValid(const std::string &text) {
  const unsigned char *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t cp = 0;
    if (next(p + i, n - i, length, cp) != Step::kValid)
      return false;
    i += length;
  }
  return true;
}

std::string sanitize(const std::string &text) {
  if (isValid(text))
    return text;
  const unsigned char *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size(), i = 0;
  std::string out;
  out.reserve(n + 8);
  while (i < n) {
    size_t length = 0;
    uint32_t cp = 0;
    if (next(p + i, n - i, length, cp) == Step::kValid)
      out.append(text, i, length);
    else
      out += kReplacement;
    i += length;
  }
  return out;
}

void append(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

uint32_t decodeAt(const std::string &text, size_t pos, size_t &length) {
  uint32_t cp = 0;
  if (next(reinterpret_cast<const unsigned char *>(text.data()) + pos,
           text.size() - pos, length, cp) != Step::kValid) {
    length = 1; // not reached for well-formed text
    return 0xFFFD;
  }
  return cp;
}

} // namespace utf8
} // namespace sparsec

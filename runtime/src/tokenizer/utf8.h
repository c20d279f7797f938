//===- utf8.h - UTF-8 helpers of the tokenizers -----------------*- C++ -*-===//
//
// Validation with the "maximal subpart" replacement that Python's
// bytes.decode('utf-8', errors='replace') and Rust's
// String::from_utf8_lossy apply: every maximal prefix of a well-formed
// sequence that cannot be completed, and every byte that cannot start one,
// becomes one U+FFFD.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TOKENIZER_UTF8_H
#define SPARSEC_RUNTIME_TOKENIZER_UTF8_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace sparsec {
namespace utf8 {

/// U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded.
constexpr const char *kReplacement = "\xEF\xBF\xBD";

enum class Step {
  kValid,      ///< a complete, well-formed character of `length` bytes
  kInvalid,    ///< `length` bytes (>= 1) that become one U+FFFD
  kIncomplete, ///< a well-formed prefix of `length` bytes ends the buffer
};

/// Classifies the character starting at `p` (with `n` >= 1 bytes left).
Step next(const unsigned char *p, size_t n, size_t &length, uint32_t &cp);

/// True when `text` is well-formed UTF-8.
bool isValid(const std::string &text);

/// `text` with every ill-formed sequence replaced by U+FFFD (an incomplete
/// character at the end included), as Python's errors='replace' does.
std::string sanitize(const std::string &text);

/// Appends the UTF-8 encoding of `cp` to `out`.
void append(std::string &out, uint32_t cp);

/// The code point at byte `pos` of the well-formed `text`; `length` gets
/// its length in bytes.
uint32_t decodeAt(const std::string &text, size_t pos, size_t &length);

} // namespace utf8
} // namespace sparsec

#endif // SPARSEC_RUNTIME_TOKENIZER_UTF8_H

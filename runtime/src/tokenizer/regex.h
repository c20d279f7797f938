//===- regex.h - the pre-tokenizers' regular expressions --------*- C++ -*-===//
//
// A compiled libpcre2-8 pattern (UTF + UCP, JIT when the library has it)
// that behaves like the Oniguruma regexes of the Hugging Face tokenizers
// package for the patterns tokenizer.json files use:
//  - `\s`/`\S` outside a character class and `\s` inside one are rewritten
//    to Oniguruma's White_Space set (PCRE2's UCP `\s` also has U+180E);
//  - `^`/`$` match at line boundaries (Ruby syntax, PCRE2_MULTILINE);
//  - findAll() iterates like onig's find_iter (an empty match right after
//    the previous match is skipped by one character).
// Subjects must be well-formed UTF-8 (the tokenizer sanitizes its input).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TOKENIZER_REGEX_H
#define SPARSEC_RUNTIME_TOKENIZER_REGEX_H

#include "sparsec/formats/status.h"

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sparsec {

class Regex {
public:
  /// Compiles `pattern` (Oniguruma syntax as tokenizers writes it); an
  /// error message names the offset and PCRE2's reason.
  static StatusOr<std::unique_ptr<Regex>> compile(const std::string &pattern);
  /// A pattern matching `literal` exactly.
  static StatusOr<std::unique_ptr<Regex>> literal(const std::string &literal);
  ~Regex();
  Regex(const Regex &) = delete;
  Regex &operator=(const Regex &) = delete;

  /// Every match [start, end) in `text`, left to right, non-overlapping.
  std::vector<std::pair<size_t, size_t>> findAll(const std::string &text) const;
  /// True when the whole of `text` matches.
  bool fullMatch(const std::string &text) const;

  /// The PCRE2 spelling `pattern` was rewritten to.
  static std::string translate(const std::string &pattern);

private:
  explicit Regex(void *code) : code_(code) {}
  /// pcre2_match from `start`, falling back to the interpreter when the JIT
  /// stack runs out; returns false when there is no match.
  bool matchFrom(const std::string &text, size_t start, void *matchData,
                 size_t &mStart, size_t &mEnd, bool anchored) const;

  void *code_; // pcre2_code_8
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_TOKENIZER_REGEX_H

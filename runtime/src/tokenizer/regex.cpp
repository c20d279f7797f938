//===- regex.cpp - the pre-tokenizers' regular expressions ------*- C++ -*-===//

#include "tokenizer/regex.h"

#include "tokenizer/utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace sparsec {

namespace {
// Oniguruma's Unicode \s: the White_Space property.
constexpr const char *kSpaceSet = "\\t-\\r\\x{85}\\p{Z}";

pcre2_code *asCode(void *code) { return static_cast<pcre2_code *>(code); }
} // namespace

std::string Regex::translate(const std::string &pattern) {
  std::string out;
  out.reserve(pattern.size() + 16);
  int classDepth = 0; // inside [...] (nested POSIX/set brackets counted)
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[i + 1];
      if (e == 's')
        out += classDepth ? std::string(kSpaceSet)
                          : "[" + std::string(kSpaceSet) + "]";
      else if (e == 'S' && !classDepth)
        out += "[^" + std::string(kSpaceSet) + "]";
      else {
        out += c;
        out += e;
      }
      ++i;
      continue;
    }
    if (c == '[') {
      // "[" opens a class outside one; inside, only "[:" (POSIX) nests.
      if (!classDepth || (i + 1 < pattern.size() && pattern[i + 1] == ':')) {
        ++classDepth;
        out += c;
        // A "]" (or "^]") right after the opening bracket is literal.
        if (classDepth == 1) {
          if (i + 1 < pattern.size() && pattern[i + 1] == '^') {
            out += '^';
            ++i;
          }
          if (i + 1 < pattern.size() && pattern[i + 1] == ']') {
            out += ']';
            ++i;
          }
        }
        continue;
      }
    } else if (c == ']' && classDepth) {
      --classDepth;
    }
    out += c;
  }
  return out;
}

StatusOr<std::unique_ptr<Regex>> Regex::compile(const std::string &pattern) {
  std::string translated = translate(pattern);
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code *code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                    translated.size(), PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE,
                    &errorCode, &errorOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(errorCode, buffer, sizeof(buffer));
    return Status(StatusCode::kInvalidArgument,
                  "invalid regex '" + pattern + "' at offset " +
                      std::to_string(errorOffset) + ": " +
                      reinterpret_cast<const char *>(buffer));
  }
  // JIT when the library has it; pcre2_match then uses it by itself.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::unique_ptr<Regex>(new Regex(code));
}

StatusOr<std::unique_ptr<Regex>> Regex::literal(const std::string &literal) {
  std::string quoted;
  for (char c : literal) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z')))
      quoted += '\\'; // escaping any ASCII non-alphanumeric is safe
    quoted += c;
  }
  return compile(quoted);
}

Regex::~Regex() { pcre2_code_free(asCode(code_)); }

bool Regex::matchFrom(const std::string &text, size_t start, void *matchData,
                      size_t &mStart, size_t &mEnd, bool anchored) const {
  auto *md = static_cast<pcre2_match_data *>(matchData);
  uint32_t options = PCRE2_NO_UTF_CHECK | (anchored ? PCRE2_ANCHORED : 0);
  int rc = pcre2_match(asCode(code_), reinterpret_cast<PCRE2_SPTR>(text.data()),
                       text.size(), start, options, md, nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
    rc = pcre2_match(asCode(code_), reinterpret_cast<PCRE2_SPTR>(text.data()),
                     text.size(), start, options | PCRE2_NO_JIT, md, nullptr);
  if (rc < 0)
    return false; // no match (or a limit: treated as no match)
  PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(md);
  mStart = ovector[0];
  mEnd = ovector[1];
  return true;
}

std::vector<std::pair<size_t, size_t>>
Regex::findAll(const std::string &text) const {
  std::vector<std::pair<size_t, size_t>> matches;
  pcre2_match_data *md =
      pcre2_match_data_create_from_pattern(asCode(code_), nullptr);
  size_t lastEnd = 0;
  bool haveLast = false;
  size_t lastMatchEnd = 0;
  while (lastEnd <= text.size()) {
    size_t s = 0, e = 0;
    if (!matchFrom(text, lastEnd, md, s, e, /*anchored=*/false))
      break;
    if (s == e && haveLast && lastMatchEnd == e) {
      // An empty match right after the previous one: step one character.
      if (lastEnd >= text.size())
        break;
      size_t length = 1;
      utf8::decodeAt(text, lastEnd, length);
      lastEnd += length;
      continue;
    }
    lastEnd = e;
    lastMatchEnd = e;
    haveLast = true;
    matches.emplace_back(s, e);
  }
  pcre2_match_data_free(md);
  return matches;
}

bool Regex::fullMatch(const std::string &text) const {
  pcre2_match_data *md =
      pcre2_match_data_create_from_pattern(asCode(code_), nullptr);
  size_t s = 0, e = 0;
  bool ok = matchFrom(text, 0, md, s, e, /*anchored=*/true) && e == text.size();
  pcre2_match_data_free(md);
  return ok;
}

} // namespace sparsec

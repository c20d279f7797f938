//===- hf_tokenizer.cpp - Hugging Face tokenizer.json (BPE) -----*- C++ -*-===//
//
// Follows the encode path of the `tokenizers` package step by step (added
// vocabulary split, normalizer, pre-tokenizers, BPE model); every split
// keeps that package's rules for empty pieces and delimiter behaviors so
// that ids agree (test/python/test_tokenizer_agreement.py checks it).
//
//===----------------------------------------------------------------------===//

#include "tokenizer/hf_tokenizer.h"

#include "sparsec/formats/mapped_file.h"
#include "tokenizer/regex.h"
#include "tokenizer/utf8.h"

#include "sparsec/formats/json.h"
#include "sparsec/formats/limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <queue>
#include <unordered_set>

namespace sparsec {

using nlohmann::json;

namespace {

/// GPT-2's pre-tokenizer regex (the ByteLevel pre-tokenizer's use_regex).
constexpr const char *kGpt2Pattern =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|"
    "\\s+(?!\\S)|\\s+";

std::string describe(const json &value) {
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (text.size() > 40)
      text = text.substr(0, 40) + "...";
    return "string '" + text + "'";
  }
  if (value.is_number() || value.is_boolean())
    return std::string(value.type_name()) + " " + value.dump();
  return value.type_name();
}

/// Typed reads of tokenizer.json with one-line errors naming the key.
class Reader {
public:
  explicit Reader(const std::string &path) : path_(path) {}

  /// `key` and `what` may quote strings of the file (vocabulary keys,
  /// tokens, type names): both are escaped (escapeForMessage), so the
  /// message stays one line.
  Status error(const std::string &key, const std::string &what,
               StatusCode code = StatusCode::kDataLoss) const {
    return Status(code, escapeForMessage(path_) + ": key '" +
                            escapeForMessage(key) +
                            "': " + escapeForMessage(what));
  }
  Status expected(const std::string &key, const std::string &what,
                  const json &found) const {
    return error(key, "expected " + what + ", got " + describe(found));
  }
  Status unsupported(const std::string &key, const std::string &what,
                     const std::string &type, const std::string &known) const {
    return error(key,
                 "unsupported " + what + " '" + type +
                     "' (this runtime knows: " + known + ")",
                 StatusCode::kUnimplemented);
  }

  /// Member `name` of `object`, nullptr when absent or null.
  static const json *find(const json &object, const char *name) {
    auto it = object.find(name);
    if (it == object.end() || it->is_null())
      return nullptr;
    return &*it;
  }
  Status string(const json &object, const char *name, const std::string &key,
                std::string &out, bool required = true) const {
    const json *value = find(object, name);
    if (!value)
      return required ? error(key, "missing") : Status::ok();
    if (!value->is_string())
      return expected(key, "a string", *value);
    out = value->get<std::string>();
    return Status::ok();
  }
  Status boolean(const json &object, const char *name, const std::string &key,
                 bool &out) const {
    const json *value = find(object, name);
    if (!value)
      return Status::ok(); // keeps the default
    if (!value->is_boolean())
      return expected(key, "a boolean", *value);
    out = value->get<bool>();
    return Status::ok();
  }
  Status integer(const json &value, const std::string &key, int64_t lo,
                 int64_t hi, int64_t &out) const {
    if (!value.is_number_integer())
      return expected(key, "an integer", value);
    if (value.is_number_unsigned()
            ? value.get<uint64_t>() > uint64_t(hi)
            : (value.get<int64_t>() < lo || value.get<int64_t>() > hi))
      return error(key, "expected an integer in [" + std::to_string(lo) + ", " +
                            std::to_string(hi) + "], got " + value.dump());
    out = value.get<int64_t>();
    return Status::ok();
  }
  /// The "type" of a component object at `key`.
  Status type(const json &object, const std::string &key,
              std::string &out) const {
    if (!object.is_object())
      return expected(key, "an object", object);
    return string(object, "type", key + ".type", out);
  }

private:
  const std::string &path_;
};

enum class Behavior {
  kRemoved,
  kIsolated,
  kMergedWithPrevious,
  kMergedWithNext,
  kContiguous
};

/// A span of a piece and whether the pattern matched it.
struct Range {
  size_t start, end;
  bool match;
};

/// tokenizers' Pattern::find_matches: the spans of `matches` and the gaps
/// between them, covering [0, n).
std::vector<Range>
coverMatches(const std::vector<std::pair<size_t, size_t>> &matches, size_t n) {
  std::vector<Range> ranges;
  if (n == 0) {
    ranges.push_back({0, 0, false});
    return ranges;
  }
  size_t prev = 0;
  for (const auto &[s, e] : matches) {
    if (prev != s)
      ranges.push_back({prev, s, false});
    ranges.push_back({s, e, true});
    prev = e;
  }
  if (prev != n)
    ranges.push_back({prev, n, false});
  return ranges;
}

/// tokenizers' NormalizedString::split: the spans kept under `behavior`
/// (empty ones dropped).
std::vector<std::pair<size_t, size_t>>
applyBehavior(const std::vector<Range> &m, Behavior behavior) {
  std::vector<Range> acc; // .match = "remove"
  bool previous = false;
  switch (behavior) {
  case Behavior::kIsolated:
    for (const Range &r : m)
      acc.push_back({r.start, r.end, false});
    break;
  case Behavior::kRemoved:
    acc = m;
    break;
  case Behavior::kContiguous:
    for (const Range &r : m) {
      if (r.match == previous && !acc.empty())
        acc.back().end = r.end;
      else
        acc.push_back({r.start, r.end, false});
      previous = r.match;
    }
    break;
  case Behavior::kMergedWithPrevious:
    for (const Range &r : m) {
      if (r.match && !previous && !acc.empty())
        acc.back().end = r.end;
      else
        acc.push_back({r.start, r.end, false});
      previous = r.match;
    }
    break;
  case Behavior::kMergedWithNext:
    for (auto it = m.rbegin(); it != m.rend(); ++it) {
      if (it->match && !previous && !acc.empty())
        acc.back().start = it->start;
      else
        acc.push_back({it->start, it->end, false});
      previous = it->match;
    }
    std::reverse(acc.begin(), acc.end());
    break;
  }
  std::vector<std::pair<size_t, size_t>> kept;
  for (const Range &r : acc)
    if (!r.match && r.end > r.start)
      kept.emplace_back(r.start, r.end);
  return kept;
}

/// Spans of every occurrence of `needle` (non-empty), left to right.
std::vector<std::pair<size_t, size_t>> findLiteral(const std::string &text,
                                                   const std::string &needle) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t pos = 0;
  while ((pos = text.find(needle, pos)) != std::string::npos) {
    spans.emplace_back(pos, pos + needle.size());
    pos += needle.size();
  }
  return spans;
}

std::string replaceSpans(const std::string &text,
                         const std::vector<std::pair<size_t, size_t>> &spans,
                         const std::string &content) {
  if (spans.empty())
    return text;
  std::string out;
  size_t prev = 0;
  for (const auto &[s, e] : spans) {
    out.append(text, prev, s - prev);
    out += content;
    prev = e;
  }
  out.append(text, prev, std::string::npos);
  return out;
}

bool startsWith(const std::string &text, const std::string &prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

/// Rust's char::is_whitespace (the White_Space property).
bool isWhitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/// The GPT-2 byte <-> character map of the ByteLevel components.
struct ByteMap {
  uint32_t byteToCp[256];
  std::string byteToUtf8[256];
  std::unordered_map<uint32_t, uint8_t> cpToByte;
  ByteMap() {
    bool direct[256] = {};
    for (int b = '!'; b <= '~'; ++b)
      direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b)
      direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b)
      direct[b] = true;
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b) {
      byteToCp[b] = direct[b] ? uint32_t(b) : 256 + n++;
      utf8::append(byteToUtf8[b], byteToCp[b]);
      cpToByte[byteToCp[b]] = uint8_t(b);
    }
  }
};

const ByteMap &byteMap() {
  static const ByteMap map;
  return map;
}

enum class PrependScheme { kAlways, kFirst, kNever };

} // namespace

//===----------------------------------------------------------------------===//
// The loaded pipeline
//===----------------------------------------------------------------------===//

struct HfTokenizer::Impl {
  struct AddedToken {
    int32_t id = 0;
    std::string content;
    bool singleWord = false, lstrip = false, rstrip = false;
    bool normalized = true, special = false;
  };
  /// Leftmost-longest matching of a set of added tokens (an Aho-Corasick
  /// automaton in tokenizers; buckets by first byte, longest first, here).
  struct Matcher {
    std::vector<std::string> patterns;
    std::vector<size_t> token; // index into added
    std::vector<std::vector<size_t>> byFirstByte{256};
    void finish() {
      for (size_t i = 0; i < patterns.size(); ++i)
        if (!patterns[i].empty())
          byFirstByte[static_cast<unsigned char>(patterns[i][0])].push_back(i);
      for (auto &bucket : byFirstByte)
        std::stable_sort(bucket.begin(), bucket.end(), [&](size_t a, size_t b) {
          return patterns[a].size() > patterns[b].size();
        });
    }
    /// The longest pattern at `pos`, or -1.
    long longestAt(const std::string &text, size_t pos) const {
      for (size_t i : byFirstByte[static_cast<unsigned char>(text[pos])]) {
        const std::string &p = patterns[i];
        if (p.size() <= text.size() - pos &&
            std::memcmp(text.data() + pos, p.data(), p.size()) == 0)
          return long(i);
      }
      return -1;
    }
  };

  struct NormStep {
    enum Kind { kPrepend, kReplace } kind;
    std::string text;             // prepended text, or the replacement
    std::string literal;          // Replace with a String pattern
    std::unique_ptr<Regex> regex; // Replace with a Regex pattern
  };

  struct PreStep {
    enum Kind { kByteLevel, kSplit, kDigits, kMetaspace } kind;
    bool addPrefixSpace = false, useRegex = false; // ByteLevel
    std::shared_ptr<Regex> regex;                  // Split, ByteLevel, Digits
    std::string literal;                           // Split with a String
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
    std::string replacement; // Metaspace
    PrependScheme scheme = PrependScheme::kAlways;
    bool split = true;
  };

  struct DecStep {
    enum Kind {
      kByteLevel,
      kReplace,
      kByteFallback,
      kFuse,
      kStrip,
      kMetaspace
    } kind;
    std::string from, to;
  };

  struct Piece {
    std::string text;
    bool atStart; // begins at offset 0 of the original text
  };

  // Model.
  std::unordered_map<std::string, int32_t> vocab;
  std::vector<std::string> idToToken; // model vocabulary, "" for holes
  std::vector<bool> inVocab;
  struct Merge {
    int32_t rank, newId;
  };
  std::unordered_map<uint64_t, Merge> merges;
  bool byteFallback = false, fuseUnk = false, ignoreMerges = false;
  std::optional<int32_t> unkId;
  int32_t byteIds[256];

  // Added vocabulary.
  std::vector<AddedToken> added;
  std::unordered_map<int32_t, size_t> addedById;
  std::unordered_map<std::string, int32_t> addedByContent;
  Matcher rawMatcher, normalizedMatcher;

  std::vector<NormStep> normalizer;
  std::vector<PreStep> preTokenizer;
  std::vector<DecStep> decoder;
  std::unique_ptr<Regex> alphanumeric; // Rust's char::is_alphanumeric

  std::vector<std::string> decoded; // per id, "" for none
  std::vector<bool> hasToken;
  std::unordered_set<int32_t> specialIds;

  // --- encode -------------------------------------------------------------

  std::string normalize(std::string text) const {
    for (const NormStep &step : normalizer) {
      if (step.kind == NormStep::kPrepend) {
        if (!text.empty())
          text = step.text + text;
      } else {
        text = replaceSpans(text,
                            step.regex ? step.regex->findAll(text)
                                       : findLiteral(text, step.literal),
                            step.text);
      }
    }
    return text;
  }

  bool isAlnumAt(const std::string &text, size_t pos) const {
    size_t length = 1;
    utf8::decodeAt(text, pos, length);
    return alphanumeric->fullMatch(text.substr(pos, length));
  }
  bool endsWithWord(const std::string &text, size_t end) const {
    if (end == 0)
      return false;
    size_t start = end - 1;
    while (start > 0 &&
           (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
      --start;
    return isAlnumAt(text, start);
  }

  /// tokenizers' AddedVocabulary::find_matches + split_with_indices:
  /// appends the pieces and token ids of `text` to `out` (token pieces have
  /// id >= 0). Pieces between tokens keep atStart when they begin at 0.
  struct Fragment {
    std::string text;
    int32_t id; // -1: plain text
    bool atStart;
  };
  void splitAdded(const std::string &text, const Matcher &matcher,
                  bool parseSpecial, bool atStart,
                  std::vector<Fragment> &out) const {
    if (text.empty())
      return;
    size_t startOffset = 0, pos = 0;
    auto plain = [&](size_t s, size_t e) {
      if (e > s)
        out.push_back({text.substr(s, e - s), -1, atStart && s == 0});
    };
    while (pos < text.size()) {
      long hit = matcher.patterns.empty() ? -1 : matcher.longestAt(text, pos);
      if (hit < 0) {
        ++pos;
        continue;
      }
      size_t start = pos, stop = pos + matcher.patterns[hit].size();
      pos = stop; // the automaton goes on after the match, used or not
      const AddedToken &token = added[matcher.token[hit]];
      if (token.special && !parseSpecial)
        continue;
      if (token.singleWord) {
        bool startSpace = start == 0 || !endsWithWord(text, start);
        bool stopSpace = stop == text.size() || !isAlnumAt(text, stop);
        if (!startSpace || !stopSpace)
          continue;
      }
      if (token.lstrip) {
        size_t left = start;
        while (left > 0) {
          size_t prev = left - 1;
          while (prev > 0 &&
                 (static_cast<unsigned char>(text[prev]) & 0xC0) == 0x80)
            --prev;
          size_t length = 1;
          if (!isWhitespace(utf8::decodeAt(text, prev, length)))
            break;
          left = prev;
        }
        start = std::max(left, startOffset);
      }
      if (token.rstrip) {
        while (stop < text.size()) {
          size_t length = 1;
          if (!isWhitespace(utf8::decodeAt(text, stop, length)))
            break;
          stop += length;
        }
      }
      start = std::max(start, startOffset); // (overlap: keep order sane)
      plain(startOffset, start);
      out.push_back({std::string(), token.id, false});
      startOffset = stop;
    }
    plain(startOffset, text.size());
  }

  /// Splits every piece of `pieces` at `ranges(piece)` under `behavior`.
  template <typename RangesFn>
  static void splitPieces(std::vector<Piece> &pieces, Behavior behavior,
                          RangesFn rangesOf) {
    std::vector<Piece> next;
    next.reserve(pieces.size());
    for (Piece &piece : pieces) {
      std::vector<Range> ranges = rangesOf(piece.text);
      for (const auto &[s, e] : applyBehavior(ranges, behavior))
        next.push_back({piece.text.substr(s, e - s), piece.atStart && s == 0});
    }
    pieces = std::move(next);
  }

  static std::vector<Range> rangesOf(const std::string &text,
                                     const Regex *regex,
                                     const std::string &literal, bool invert) {
    std::vector<Range> ranges = coverMatches(
        regex ? regex->findAll(text) : findLiteral(text, literal), text.size());
    if (invert)
      for (Range &r : ranges)
        r.match = !r.match;
    return ranges;
  }

  void preTokenize(std::vector<Piece> &pieces) const {
    for (const PreStep &step : preTokenizer) {
      switch (step.kind) {
      case PreStep::kByteLevel: {
        if (step.addPrefixSpace)
          for (Piece &piece : pieces)
            if (piece.text[0] != ' ')
              piece.text.insert(0, 1, ' ');
        if (step.useRegex)
          splitPieces(pieces, Behavior::kIsolated, [&](const std::string &t) {
            return rangesOf(t, step.regex.get(), "", false);
          });
        const ByteMap &map = byteMap();
        for (Piece &piece : pieces) {
          std::string mapped;
          mapped.reserve(piece.text.size() * 2);
          for (char c : piece.text)
            mapped += map.byteToUtf8[static_cast<unsigned char>(c)];
          piece.text = std::move(mapped);
        }
        break;
      }
      case PreStep::kSplit:
      case PreStep::kDigits:
        splitPieces(pieces, step.behavior, [&](const std::string &t) {
          return rangesOf(t, step.regex.get(), step.literal, step.invert);
        });
        break;
      case PreStep::kMetaspace: {
        for (Piece &piece : pieces) {
          piece.text = replaceSpans(piece.text, findLiteral(piece.text, " "),
                                    step.replacement);
          bool prepend =
              !startsWith(piece.text, step.replacement) &&
              (step.scheme == PrependScheme::kAlways ||
               (step.scheme == PrependScheme::kFirst && piece.atStart));
          if (prepend)
            piece.text.insert(0, step.replacement);
        }
        if (step.split)
          splitPieces(pieces, Behavior::kMergedWithNext,
                      [&](const std::string &t) {
                        return rangesOf(t, nullptr, step.replacement, false);
                      });
        break;
      }
      }
    }
  }

  void bpe(const std::string &word, std::vector<int32_t> &out) const {
    if (word.empty())
      return;
    if (ignoreMerges) {
      auto it = vocab.find(word);
      if (it != vocab.end()) {
        out.push_back(it->second);
        return;
      }
    }
    struct Symbol {
      int32_t id;
      int32_t prev, next;
      uint32_t len;
    };
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    auto add = [&](int32_t id, uint32_t len) {
      int32_t n = int32_t(symbols.size());
      if (n > 0)
        symbols.back().next = n;
      symbols.push_back({id, n - 1, -1, len});
    };
    bool haveUnk = false;
    uint32_t unkLen = 0;
    std::string key;
    for (size_t i = 0; i < word.size();) {
      size_t length = 1;
      utf8::decodeAt(word, i, length);
      key.assign(word, i, length);
      auto it = vocab.find(key);
      if (it != vocab.end()) {
        if (haveUnk) {
          add(*unkId, unkLen);
          haveUnk = false;
        }
        add(it->second, uint32_t(length));
      } else {
        bool done = false;
        if (byteFallback) {
          done = true;
          for (size_t b = 0; b < length; ++b)
            if (byteIds[static_cast<unsigned char>(word[i + b])] < 0)
              done = false;
          if (done) // (tokenizers adds these before a pending unk too)
            for (size_t b = 0; b < length; ++b)
              add(byteIds[static_cast<unsigned char>(word[i + b])], 1);
        }
        if (!done && unkId) {
          if (haveUnk && fuseUnk) {
            unkLen += uint32_t(length);
          } else {
            if (haveUnk)
              add(*unkId, unkLen);
            haveUnk = true;
            unkLen = uint32_t(length);
          }
        }
        // Neither: tokenizers drops the character.
      }
      i += length;
    }
    if (haveUnk)
      add(*unkId, unkLen);

    struct Candidate {
      int32_t rank, pos, newId;
    };
    auto later = [](const Candidate &a, const Candidate &b) {
      return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)>
        queue(later);
    auto lookup = [&](int32_t a, int32_t b) -> const Merge * {
      auto it = merges.find((uint64_t(uint32_t(a)) << 32) | uint32_t(b));
      return it == merges.end() ? nullptr : &it->second;
    };
    for (size_t i = 0; i + 1 < symbols.size(); ++i)
      if (const Merge *m = lookup(symbols[i].id, symbols[i + 1].id))
        queue.push({m->rank, int32_t(i), m->newId});
    while (!queue.empty()) {
      Candidate top = queue.top();
      queue.pop();
      Symbol &cur = symbols[top.pos];
      if (cur.len == 0 || cur.next == -1)
        continue;
      int32_t nextPos = cur.next;
      Symbol right = symbols[nextPos];
      const Merge *m = lookup(cur.id, right.id);
      if (!m || m->newId != top.newId)
        continue; // stale
      cur.id = top.newId;
      cur.len += right.len;
      cur.next = right.next;
      symbols[nextPos].len = 0;
      if (right.next > -1 && size_t(right.next) < symbols.size())
        symbols[right.next].prev = top.pos;
      if (cur.prev >= 0)
        if (const Merge *p = lookup(symbols[cur.prev].id, cur.id))
          queue.push({p->rank, cur.prev, p->newId});
      if (cur.next >= 0 && size_t(cur.next) < symbols.size())
        if (const Merge *n = lookup(cur.id, symbols[cur.next].id))
          queue.push({n->rank, top.pos, n->newId});
    }
    for (const Symbol &s : symbols)
      if (s.len != 0)
        out.push_back(s.id);
  }

  std::vector<int32_t> encode(const std::string &raw, bool parseSpecial) const {
    std::vector<int32_t> ids;
    std::string text = utf8::sanitize(raw);
    std::vector<Fragment> first, second;
    splitAdded(text, rawMatcher, parseSpecial, /*atStart=*/true, first);
    for (Fragment &fragment : first) {
      if (fragment.id >= 0) {
        second.push_back(std::move(fragment));
        continue;
      }
      splitAdded(normalize(fragment.text), normalizedMatcher, parseSpecial,
                 fragment.atStart, second);
    }
    std::vector<Piece> pieces;
    for (Fragment &fragment : second) {
      if (fragment.id >= 0) {
        ids.push_back(fragment.id);
        continue;
      }
      pieces.clear();
      pieces.push_back({std::move(fragment.text), fragment.atStart});
      preTokenize(pieces);
      for (const Piece &piece : pieces)
        bpe(piece.text, ids);
    }
    return ids;
  }

  // --- decode -------------------------------------------------------------

  std::string decodeToken(const std::string &token) const {
    std::string text = token;
    for (const DecStep &step : decoder) {
      switch (step.kind) {
      case DecStep::kByteLevel: {
        const ByteMap &map = byteMap();
        std::string bytes;
        bool all = true;
        for (size_t i = 0; i < text.size() && all;) {
          size_t length = 1;
          auto it = map.cpToByte.find(utf8::decodeAt(text, i, length));
          if (it == map.cpToByte.end())
            all = false;
          else
            bytes += static_cast<char>(it->second);
          i += length;
        }
        if (all)
          text = std::move(bytes);
        break;
      }
      case DecStep::kReplace:
      case DecStep::kMetaspace:
        text = replaceSpans(text, findLiteral(text, step.from), step.to);
        break;
      case DecStep::kByteFallback: {
        auto hex = [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        };
        if (text.size() == 6 && startsWith(text, "<0x") && text[5] == '>' &&
            hex(text[3]) && hex(text[4]))
          text = std::string(
              1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
        break;
      }
      case DecStep::kFuse:
      case DecStep::kStrip:
        break; // whole-text steps: Strip is stripsLeadingSpace()
      }
    }
    return text;
  }
};

//===----------------------------------------------------------------------===//
// Loading
//===----------------------------------------------------------------------===//

namespace {

using Impl = HfTokenizer::Impl;

Status parsePattern(const Reader &reader, const json &object,
                    const std::string &key, std::unique_ptr<Regex> &regex,
                    std::string &literal) {
  const json *pattern = Reader::find(object, "pattern");
  if (!pattern)
    return reader.error(key, "missing");
  if (!pattern->is_object() || pattern->size() != 1)
    return reader.expected(key, "{\"String\": ...} or {\"Regex\": ...}",
                           *pattern);
  if (const json *s = Reader::find(*pattern, "String")) {
    if (!s->is_string())
      return reader.expected(key + ".String", "a string", *s);
    literal = s->get<std::string>();
    if (literal.empty())
      return reader.error(key + ".String", "expected a non-empty string");
    return Status::ok();
  }
  if (const json *r = Reader::find(*pattern, "Regex")) {
    if (!r->is_string())
      return reader.expected(key + ".Regex", "a string", *r);
    StatusOr<std::unique_ptr<Regex>> compiled =
        Regex::compile(r->get<std::string>());
    if (!compiled.isOk())
      return reader.error(key + ".Regex", compiled.status().message());
    regex = std::move(compiled).value();
    return Status::ok();
  }
  return reader.expected(key, "{\"String\": ...} or {\"Regex\": ...}",
                         *pattern);
}

Status parseNormalizer(const Reader &reader, const json &node,
                       const std::string &key, Impl &impl) {
  std::string type;
  if (Status s = reader.type(node, key, type); !s.isOk())
    return s;
  if (type == "Sequence") {
    const json *list = Reader::find(node, "normalizers");
    if (!list || !list->is_array())
      return reader.expected(key + ".normalizers", "a list",
                             list ? *list : json());
    for (size_t i = 0; i < list->size(); ++i)
      if (Status s = parseNormalizer(
              reader, (*list)[i],
              key + ".normalizers[" + std::to_string(i) + "]", impl);
          !s.isOk())
        return s;
    return Status::ok();
  }
  Impl::NormStep step;
  if (type == "Prepend") {
    step.kind = Impl::NormStep::kPrepend;
    if (Status s = reader.string(node, "prepend", key + ".prepend", step.text);
        !s.isOk())
      return s;
  } else if (type == "Replace") {
    step.kind = Impl::NormStep::kReplace;
    if (Status s = parsePattern(reader, node, key + ".pattern", step.regex,
                                step.literal);
        !s.isOk())
      return s;
    if (Status s = reader.string(node, "content", key + ".content", step.text);
        !s.isOk())
      return s;
  } else {
    return reader.unsupported(key + ".type", "normalizer", type,
                              "Sequence, Prepend, Replace");
  }
  impl.normalizer.push_back(std::move(step));
  return Status::ok();
}

Status parseBehavior(const Reader &reader, const json &node,
                     const std::string &key, Behavior &out) {
  std::string name;
  if (Status s = reader.string(node, "behavior", key, name); !s.isOk())
    return s;
  static const std::pair<const char *, Behavior> kNames[] = {
      {"Removed", Behavior::kRemoved},
      {"Isolated", Behavior::kIsolated},
      {"MergedWithPrevious", Behavior::kMergedWithPrevious},
      {"MergedWithNext", Behavior::kMergedWithNext},
      {"Contiguous", Behavior::kContiguous}};
  for (const auto &[n, b] : kNames)
    if (name == n) {
      out = b;
      return Status::ok();
    }
  return reader.unsupported(key, "split behavior", name,
                            "Removed, Isolated, MergedWithPrevious, "
                            "MergedWithNext, Contiguous");
}

Status parseScheme(const Reader &reader, const json &node,
                   const std::string &key, PrependScheme &scheme) {
  if (const json *value = Reader::find(node, "prepend_scheme")) {
    if (!value->is_string())
      return reader.expected(key + ".prepend_scheme", "a string", *value);
    std::string name = value->get<std::string>();
    if (name == "always")
      scheme = PrependScheme::kAlways;
    else if (name == "first")
      scheme = PrependScheme::kFirst;
    else if (name == "never")
      scheme = PrependScheme::kNever;
    else
      return reader.unsupported(key + ".prepend_scheme", "prepend scheme", name,
                                "always, first, never");
    return Status::ok();
  }
  bool addPrefixSpace = true; // the older spelling
  if (Status s = reader.boolean(node, "add_prefix_space",
                                key + ".add_prefix_space", addPrefixSpace);
      !s.isOk())
    return s;
  scheme = addPrefixSpace ? PrependScheme::kAlways : PrependScheme::kNever;
  return Status::ok();
}

Status parsePreTokenizer(const Reader &reader, const json &node,
                         const std::string &key, Impl &impl) {
  std::string type;
  if (Status s = reader.type(node, key, type); !s.isOk())
    return s;
  if (type == "Sequence") {
    const json *list = Reader::find(node, "pretokenizers");
    if (!list || !list->is_array())
      return reader.expected(key + ".pretokenizers", "a list",
                             list ? *list : json());
    for (size_t i = 0; i < list->size(); ++i)
      if (Status s = parsePreTokenizer(
              reader, (*list)[i],
              key + ".pretokenizers[" + std::to_string(i) + "]", impl);
          !s.isOk())
        return s;
    return Status::ok();
  }
  Impl::PreStep step;
  if (type == "ByteLevel") {
    step.kind = Impl::PreStep::kByteLevel;
    step.addPrefixSpace = true;
    step.useRegex = true;
    if (Status s =
            reader.boolean(node, "add_prefix_space", key + ".add_prefix_space",
                           step.addPrefixSpace);
        !s.isOk())
      return s;
    if (Status s = reader.boolean(node, "use_regex", key + ".use_regex",
                                  step.useRegex);
        !s.isOk())
      return s;
    if (step.useRegex) {
      StatusOr<std::unique_ptr<Regex>> regex = Regex::compile(kGpt2Pattern);
      if (!regex.isOk())
        return reader.error(key, regex.status().message(),
                            StatusCode::kInternal);
      step.regex = std::move(regex).value();
    }
  } else if (type == "Split") {
    step.kind = Impl::PreStep::kSplit;
    std::unique_ptr<Regex> regex;
    if (Status s =
            parsePattern(reader, node, key + ".pattern", regex, step.literal);
        !s.isOk())
      return s;
    step.regex = std::move(regex);
    if (Status s =
            parseBehavior(reader, node, key + ".behavior", step.behavior);
        !s.isOk())
      return s;
    if (Status s = reader.boolean(node, "invert", key + ".invert", step.invert);
        !s.isOk())
      return s;
  } else if (type == "Digits") {
    step.kind = Impl::PreStep::kDigits;
    bool individual = false;
    if (Status s = reader.boolean(node, "individual_digits",
                                  key + ".individual_digits", individual);
        !s.isOk())
      return s;
    // Rust's char::is_numeric is \p{N}; one match per character.
    StatusOr<std::unique_ptr<Regex>> regex = Regex::compile("\\p{N}");
    if (!regex.isOk())
      return reader.error(key, regex.status().message(), StatusCode::kInternal);
    step.regex = std::move(regex).value();
    step.behavior = individual ? Behavior::kIsolated : Behavior::kContiguous;
  } else if (type == "Metaspace") {
    step.kind = Impl::PreStep::kMetaspace;
    if (Status s = reader.string(node, "replacement", key + ".replacement",
                                 step.replacement);
        !s.isOk())
      return s;
    size_t length = 0;
    uint32_t cp = 0;
    if (step.replacement.empty() ||
        utf8::next(
            reinterpret_cast<const unsigned char *>(step.replacement.data()),
            step.replacement.size(), length, cp) != utf8::Step::kValid ||
        length != step.replacement.size())
      return reader.error(key + ".replacement", "expected one character");
    if (Status s = parseScheme(reader, node, key, step.scheme); !s.isOk())
      return s;
    if (Status s = reader.boolean(node, "split", key + ".split", step.split);
        !s.isOk())
      return s;
  } else {
    return reader.unsupported(key + ".type", "pre-tokenizer", type,
                              "Sequence, ByteLevel, Split, Digits, Metaspace");
  }
  impl.preTokenizer.push_back(std::move(step));
  return Status::ok();
}

Status parseDecoder(const Reader &reader, const json &node,
                    const std::string &key, Impl &impl, bool &stripsSpace) {
  std::string type;
  if (Status s = reader.type(node, key, type); !s.isOk())
    return s;
  if (type == "Sequence") {
    const json *list = Reader::find(node, "decoders");
    if (!list || !list->is_array())
      return reader.expected(key + ".decoders", "a list",
                             list ? *list : json());
    for (size_t i = 0; i < list->size(); ++i)
      if (Status s = parseDecoder(reader, (*list)[i],
                                  key + ".decoders[" + std::to_string(i) + "]",
                                  impl, stripsSpace);
          !s.isOk())
        return s;
    return Status::ok();
  }
  Impl::DecStep step;
  if (type == "ByteLevel") {
    step.kind = Impl::DecStep::kByteLevel;
  } else if (type == "ByteFallback") {
    step.kind = Impl::DecStep::kByteFallback;
  } else if (type == "Fuse") {
    step.kind = Impl::DecStep::kFuse;
  } else if (type == "Replace") {
    step.kind = Impl::DecStep::kReplace;
    std::unique_ptr<Regex> regex;
    if (Status s =
            parsePattern(reader, node, key + ".pattern", regex, step.from);
        !s.isOk())
      return s;
    if (regex)
      return reader.error(key + ".pattern",
                          "a Regex pattern in a Replace decoder is not "
                          "supported (only String)",
                          StatusCode::kUnimplemented);
    if (Status s = reader.string(node, "content", key + ".content", step.to);
        !s.isOk())
      return s;
  } else if (type == "Strip") {
    step.kind = Impl::DecStep::kStrip;
    std::string content;
    if (Status s = reader.string(node, "content", key + ".content", content);
        !s.isOk())
      return s;
    int64_t start = 0, stop = 0;
    const json *startValue = Reader::find(node, "start");
    const json *stopValue = Reader::find(node, "stop");
    if (!startValue || !stopValue)
      return reader.error(key, "expected 'start' and 'stop'");
    if (Status s =
            reader.integer(*startValue, key + ".start", 0, 1 << 30, start);
        !s.isOk())
      return s;
    if (Status s = reader.integer(*stopValue, key + ".stop", 0, 1 << 30, stop);
        !s.isOk())
      return s;
    if (content != " " || start > 1 || stop != 0)
      return reader.error(key,
                          "unsupported Strip (this runtime knows content ' ', "
                          "start 0 or 1, stop 0)",
                          StatusCode::kUnimplemented);
    if (start == 1)
      stripsSpace = true;
  } else if (type == "Metaspace") {
    step.kind = Impl::DecStep::kMetaspace;
    if (Status s =
            reader.string(node, "replacement", key + ".replacement", step.from);
        !s.isOk())
      return s;
    step.to = " ";
    PrependScheme scheme = PrependScheme::kAlways;
    if (Status s = parseScheme(reader, node, key, scheme); !s.isOk())
      return s;
    if (scheme != PrependScheme::kNever)
      stripsSpace = true;
  } else {
    return reader.unsupported(key + ".type", "decoder", type,
                              "Sequence, ByteLevel, ByteFallback, Fuse, "
                              "Replace, Strip, Metaspace");
  }
  impl.decoder.push_back(std::move(step));
  return Status::ok();
}

Status parseModel(const Reader &reader, const json &model, Impl &impl) {
  if (!model.is_object())
    return reader.expected("model", "an object", model);
  std::string type;
  if (Status s = reader.string(model, "type", "model.type", type,
                               /*required=*/false);
      !s.isOk())
    return s;
  if (type.empty() && !Reader::find(model, "merges"))
    return reader.error("model.type", "missing");
  if (!type.empty() && type != "BPE")
    return reader.unsupported("model.type", "model", type, "BPE");
  if (const json *dropout = Reader::find(model, "dropout"))
    if (!dropout->is_number() || dropout->get<double>() != 0.0)
      return reader.error("model.dropout",
                          "BPE dropout is not supported, expected null, got " +
                              describe(*dropout),
                          StatusCode::kUnimplemented);
  for (const char *name : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    std::string value;
    if (Status s = reader.string(model, name, std::string("model.") + name,
                                 value, /*required=*/false);
        !s.isOk())
      return s;
    if (!value.empty())
      return reader.error(std::string("model.") + name,
                          "not supported, expected null, got '" + value + "'",
                          StatusCode::kUnimplemented);
  }
  if (Status s = reader.boolean(model, "byte_fallback", "model.byte_fallback",
                                impl.byteFallback);
      !s.isOk())
    return s;
  if (Status s =
          reader.boolean(model, "fuse_unk", "model.fuse_unk", impl.fuseUnk);
      !s.isOk())
    return s;
  if (Status s = reader.boolean(model, "ignore_merges", "model.ignore_merges",
                                impl.ignoreMerges);
      !s.isOk())
    return s;

  const json *vocab = Reader::find(model, "vocab");
  if (!vocab || !vocab->is_object())
    return reader.expected("model.vocab", "an object of token: id",
                           vocab ? *vocab : json());
  impl.vocab.reserve(vocab->size() * 2);
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    int64_t id = 0;
    if (Status s = reader.integer(it.value(), "model.vocab." + it.key(), 0,
                                  limits::kMaxVocab - 1, id);
        !s.isOk())
      return s;
    impl.vocab.emplace(it.key(), int32_t(id));
    if (size_t(id) >= impl.idToToken.size()) {
      impl.idToToken.resize(size_t(id) + 1);
      impl.inVocab.resize(size_t(id) + 1, false);
    }
    impl.idToToken[id] = it.key();
    impl.inVocab[id] = true;
  }

  std::string unk;
  if (Status s = reader.string(model, "unk_token", "model.unk_token", unk,
                               /*required=*/false);
      !s.isOk())
    return s;
  if (!unk.empty()) {
    auto it = impl.vocab.find(unk);
    if (it == impl.vocab.end())
      return reader.error("model.unk_token",
                          "'" + unk + "' is not in the vocabulary");
    impl.unkId = it->second;
  }
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    auto it = impl.vocab.find(name);
    impl.byteIds[b] = it == impl.vocab.end() ? -1 : it->second;
  }

  const json *merges = Reader::find(model, "merges");
  if (!merges || !merges->is_array())
    return reader.expected("model.merges", "a list", merges ? *merges : json());
  impl.merges.reserve(merges->size() * 2);
  std::string a, b;
  for (size_t i = 0; i < merges->size(); ++i) {
    const json &entry = (*merges)[i];
    std::string key = "model.merges[" + std::to_string(i) + "]";
    if (entry.is_string()) {
      const std::string &line = entry.get_ref<const std::string &>();
      size_t space = line.find(' ');
      if (space == std::string::npos ||
          line.find(' ', space + 1) != std::string::npos)
        return reader.expected(key, "\"a b\" (two tokens, one space)", entry);
      a.assign(line, 0, space);
      b.assign(line, space + 1, std::string::npos);
    } else if (entry.is_array() && entry.size() == 2 && entry[0].is_string() &&
               entry[1].is_string()) {
      a = entry[0].get<std::string>();
      b = entry[1].get<std::string>();
    } else {
      return reader.expected(key, "\"a b\" or [\"a\", \"b\"]", entry);
    }
    auto ia = impl.vocab.find(a), ib = impl.vocab.find(b),
         in = impl.vocab.find(a + b);
    for (auto [it, what] : {std::make_pair(ia, &a), std::make_pair(ib, &b)})
      if (it == impl.vocab.end())
        return reader.error(key,
                            "token '" + *what + "' is not in the vocabulary");
    if (in == impl.vocab.end())
      return reader.error(key, "merged token '" + a + b +
                                   "' is not in the vocabulary");
    impl.merges[(uint64_t(uint32_t(ia->second)) << 32) | uint32_t(ib->second)] =
        {int32_t(i), in->second};
  }
  return Status::ok();
}

Status parseAddedTokens(const Reader &reader, const json &root, Impl &impl) {
  const json *list = Reader::find(root, "added_tokens");
  if (!list)
    return Status::ok();
  if (!list->is_array())
    return reader.expected("added_tokens", "a list", *list);
  for (size_t i = 0; i < list->size(); ++i) {
    const json &entry = (*list)[i];
    std::string key = "added_tokens[" + std::to_string(i) + "]";
    if (!entry.is_object())
      return reader.expected(key, "an object", entry);
    Impl::AddedToken token;
    const json *id = Reader::find(entry, "id");
    if (!id)
      return reader.error(key + ".id", "missing");
    int64_t value = 0;
    if (Status s =
            reader.integer(*id, key + ".id", 0, limits::kMaxVocab - 1, value);
        !s.isOk())
      return s;
    token.id = int32_t(value);
    if (Status s =
            reader.string(entry, "content", key + ".content", token.content);
        !s.isOk())
      return s;
    if (token.content.empty() || !utf8::isValid(token.content))
      return reader.error(key + ".content", "expected a non-empty string");
    if (Status s =
            reader.boolean(entry, "special", key + ".special", token.special);
        !s.isOk())
      return s;
    token.normalized = !token.special;
    for (auto [name, field] : {std::make_pair("single_word", &token.singleWord),
                               std::make_pair("lstrip", &token.lstrip),
                               std::make_pair("rstrip", &token.rstrip),
                               std::make_pair("normalized", &token.normalized)})
      if (Status s = reader.boolean(entry, name, key + "." + name, *field);
          !s.isOk())
        return s;
    impl.addedById[token.id] = impl.added.size();
    impl.addedByContent[token.content] = token.id;
    impl.added.push_back(std::move(token));
  }
  // tokenizers builds its automatons from the special tokens first.
  std::vector<size_t> order;
  for (int pass = 0; pass < 2; ++pass)
    for (size_t i = 0; i < impl.added.size(); ++i)
      if (impl.added[i].special == (pass == 0))
        order.push_back(i);
  for (size_t i : order) {
    const Impl::AddedToken &token = impl.added[i];
    Impl::Matcher &matcher =
        token.normalized ? impl.normalizedMatcher : impl.rawMatcher;
    std::string pattern =
        token.normalized ? impl.normalize(token.content) : token.content;
    if (pattern.empty())
      continue;
    matcher.patterns.push_back(pattern);
    matcher.token.push_back(i);
  }
  impl.rawMatcher.finish();
  impl.normalizedMatcher.finish();
  return Status::ok();
}

} // namespace

HfTokenizer::HfTokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HfTokenizer::~HfTokenizer() = default;

StatusOr<std::unique_ptr<HfTokenizer>>
HfTokenizer::load(const std::string &path) {
  StatusOr<MappedFile> file = MappedFile::open(path);
  if (!file.isOk())
    return Status(file.status().code(),
                  file.status().message() + " (the model's tokenizer)");
  const char *text = reinterpret_cast<const char *>(file->data());
  // The size limit before the copy; parse() checks the rest.
  if (Status status =
          limits::checkJsonLimits(text ? text : "", file->size(), path);
      !status.isOk())
    return status;
  return parse(std::string(text ? text : "", file->size()), path);
}

StatusOr<std::unique_ptr<HfTokenizer>>
HfTokenizer::parse(const std::string &text, const std::string &path) {
  // Bounded (limits.h). A repeated vocabulary key keeps the last id, as the
  // tokenizers package (serde maps) does.
  json root;
  if (Status status = parseJson(text, path, root); !status.isOk())
    return status;
  if (root.is_discarded())
    return Status(StatusCode::kDataLoss,
                  escapeForMessage(path) + ": not valid JSON");
  if (!root.is_object())
    return Status(StatusCode::kDataLoss, escapeForMessage(path) +
                                             ": expected a JSON object, got " +
                                             root.type_name());
  Reader reader(path);
  auto impl = std::make_unique<Impl>();
  bool stripsSpace = false;

  const json *model = Reader::find(root, "model");
  if (!model)
    return reader.error("model", "missing");
  if (Status s = parseModel(reader, *model, *impl); !s.isOk())
    return s;
  if (const json *node = Reader::find(root, "normalizer"))
    if (Status s = parseNormalizer(reader, *node, "normalizer", *impl);
        !s.isOk())
      return s;
  if (const json *node = Reader::find(root, "pre_tokenizer"))
    if (Status s = parsePreTokenizer(reader, *node, "pre_tokenizer", *impl);
        !s.isOk())
      return s;
  if (const json *node = Reader::find(root, "decoder"))
    if (Status s = parseDecoder(reader, *node, "decoder", *impl, stripsSpace);
        !s.isOk())
      return s;
  if (Status s = parseAddedTokens(reader, root, *impl); !s.isOk())
    return s;

  StatusOr<std::unique_ptr<Regex>> alnum =
      Regex::compile("[\\p{Alphabetic}\\p{N}]");
  if (!alnum.isOk())
    return Status(StatusCode::kInternal,
                  path + ": " + alnum.status().message());
  impl->alphanumeric = std::move(alnum).value();

  // Decoded bytes of every id, once.
  size_t size = impl->idToToken.size();
  for (const Impl::AddedToken &token : impl->added)
    size = std::max(size, size_t(token.id) + 1);
  impl->decoded.assign(size, std::string());
  impl->hasToken.assign(size, false);
  for (size_t id = 0; id < size; ++id) {
    auto added = impl->addedById.find(int32_t(id));
    if (added != impl->addedById.end()) {
      const Impl::AddedToken &token = impl->added[added->second];
      impl->decoded[id] =
          token.special ? token.content : impl->decodeToken(token.content);
      impl->hasToken[id] = true;
      if (token.special)
        impl->specialIds.insert(token.id);
    } else if (id < impl->inVocab.size() && impl->inVocab[id]) {
      impl->decoded[id] = impl->decodeToken(impl->idToToken[id]);
      impl->hasToken[id] = true;
    }
  }
  std::unique_ptr<HfTokenizer> tokenizer(new HfTokenizer(std::move(impl)));
  tokenizer->vocabSize_ = int64_t(size);
  tokenizer->stripsLeadingSpace_ = stripsSpace;
  return tokenizer;
}

std::vector<int32_t> HfTokenizer::encode(const std::string &text,
                                         bool parseSpecial) const {
  return impl_->encode(text, parseSpecial);
}

std::string HfTokenizer::decode(int32_t id) const {
  if (id < 0 || size_t(id) >= impl_->hasToken.size() || !impl_->hasToken[id])
    return "<" + std::to_string(id) + ">";
  return impl_->decoded[id];
}

bool HfTokenizer::isSpecial(int32_t id) const {
  if (impl_->specialIds.count(id) || (bosId_ && *bosId_ == id))
    return true;
  return std::find(eosIds_.begin(), eosIds_.end(), id) != eosIds_.end();
}

std::optional<int32_t> HfTokenizer::tokenId(const std::string &token) const {
  auto added = impl_->addedByContent.find(token);
  if (added != impl_->addedByContent.end())
    return added->second;
  auto it = impl_->vocab.find(token);
  if (it != impl_->vocab.end())
    return it->second;
  return std::nullopt;
}

std::string HfTokenizer::tokenText(int32_t id) const {
  auto added = impl_->addedById.find(id);
  if (added != impl_->addedById.end())
    return impl_->added[added->second].content;
  if (id >= 0 && size_t(id) < impl_->inVocab.size() && impl_->inVocab[id])
    return impl_->idToToken[id];
  return "";
}

} // namespace sparsec

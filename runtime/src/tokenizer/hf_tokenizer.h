//===- hf_tokenizer.h - Hugging Face tokenizer.json (BPE) -------*- C++ -*-===//
//
// A tokenizer loaded from a Hugging Face tokenizer.json whose model is BPE,
// encoding exactly as the `tokenizers` package does (encode without the
// post-processor; the manifest's bos_id is the runtime's business):
//
//   added tokens (longest match in the raw text; special ones only when
//   parseSpecial; lstrip/rstrip/single_word/normalized honoured)
//   -> normalizer: Sequence, Prepend, Replace (String or Regex pattern)
//   -> pre_tokenizer: Sequence, ByteLevel, Split (String/Regex, every
//      behavior, invert), Digits, Metaspace (prepend_scheme, split)
//   -> model BPE: vocab, merges ("a b" or ["a","b"]), byte_fallback,
//      unk_token, fuse_unk, ignore_merges (dropout must be null;
//      continuing_subword_prefix / end_of_word_suffix unset)
//   decoder: Sequence, ByteLevel, Metaspace, Replace (String), ByteFallback,
//   Fuse, Strip(" ", 1, 0) (-> stripsLeadingSpace()).
//
// Any other model, normalizer, pre-tokenizer or decoder type is refused at
// load by name: "<file>: key 'pre_tokenizer.pretokenizers[1].type':
// unsupported pre-tokenizer 'Punctuation' (...)". The post_processor,
// truncation and padding sections are not used.
//
// Regexes are Oniguruma syntax run by libpcre2-8 (see regex.h).
//
// Invalid UTF-8 given to encode() is first made valid the way Python's
// bytes.decode('utf-8', errors='replace') does: each maximal ill-formed
// subsequence becomes one U+FFFD (utf8.h), so ids equal those of
// tokenizers' encode(raw.decode('utf-8', 'replace')).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TOKENIZER_HF_TOKENIZER_H
#define SPARSEC_RUNTIME_TOKENIZER_HF_TOKENIZER_H

#include "tokenizer/tokenizer.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sparsec {

class Regex;

class HfTokenizer : public Tokenizer {
public:
  /// Reads and checks the tokenizer.json at `path`; errors start with it.
  static StatusOr<std::unique_ptr<HfTokenizer>> load(const std::string &path);
  /// Checks the JSON `text`; `path` only names it in errors.
  static StatusOr<std::unique_ptr<HfTokenizer>> parse(const std::string &text,
                                                      const std::string &path);
  ~HfTokenizer() override;

  using Tokenizer::encode;
  std::vector<int32_t> encode(const std::string &text,
                              bool parseSpecial) const override;
  std::string decode(int32_t id) const override;
  /// One more than the largest id of the vocabulary and the added tokens.
  int64_t vocabSize() const override { return vocabSize_; }
  std::optional<int32_t> bosId() const override { return bosId_; }
  std::vector<int32_t> eosIds() const override { return eosIds_; }
  /// Added tokens marked special, and the BOS/EOS ids.
  bool isSpecial(int32_t id) const override;
  bool stripsLeadingSpace() const override { return stripsLeadingSpace_; }

  /// The manifest's BOS/EOS (tokenizer.json itself names none).
  void setBosId(std::optional<int32_t> id) { bosId_ = id; }
  void setEosIds(std::vector<int32_t> ids) { eosIds_ = std::move(ids); }

  /// The id of the vocabulary or added token spelled `token`, if any.
  std::optional<int32_t> tokenId(const std::string &token) const;
  /// The spelling of token `id` in tokenizer.json ("" when none).
  std::string tokenText(int32_t id) const;

  struct Impl;

private:
  explicit HfTokenizer(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
  int64_t vocabSize_ = 0;
  bool stripsLeadingSpace_ = false;
  std::optional<int32_t> bosId_;
  std::vector<int32_t> eosIds_;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_TOKENIZER_HF_TOKENIZER_H

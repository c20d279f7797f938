//===- byte_tokenizer.h - one token per byte --------------------*- C++ -*-===//
//
// The tokenizer of synthetic models ("type": "byte"): token id = byte value
// 0..255, so any text (UTF-8 or not) round-trips. Ids from 256 up, which a
// larger vocabulary has but no byte maps to, decode to "<id>".
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TOKENIZER_BYTE_TOKENIZER_H
#define SPARSEC_RUNTIME_TOKENIZER_BYTE_TOKENIZER_H

#include "tokenizer/tokenizer.h"

namespace sparsec {

class ByteTokenizer : public Tokenizer {
public:
  /// Needs vocab_size >= 256 (every byte is a token); `bosId`, if given,
  /// must be in [256, vocab_size): it is not a byte.
  static StatusOr<std::unique_ptr<ByteTokenizer>>
  create(int64_t vocabSize, std::optional<int32_t> bosId = std::nullopt);

  using Tokenizer::encode;
  /// Every byte is its own token; there are no special tokens to parse.
  std::vector<int32_t> encode(const std::string &text,
                              bool parseSpecial) const override;
  std::string decode(int32_t id) const override;
  int64_t vocabSize() const override { return vocabSize_; }
  std::optional<int32_t> bosId() const override { return bosId_; }

private:
  ByteTokenizer(int64_t vocabSize, std::optional<int32_t> bosId)
      : vocabSize_(vocabSize), bosId_(bosId) {}

  int64_t vocabSize_;
  std::optional<int32_t> bosId_;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_TOKENIZER_BYTE_TOKENIZER_H

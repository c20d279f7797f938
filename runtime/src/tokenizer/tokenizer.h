//===- tokenizer.h - text <-> token ids -------------------------*- C++ -*-===//
//
// The interface the model executable encodes its prompt and decodes the
// generated tokens through, and the factory that builds the tokenizer a
// manifest's "tokenizer" section names.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TOKENIZER_TOKENIZER_H
#define SPARSEC_RUNTIME_TOKENIZER_TOKENIZER_H

#include "base/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sparsec {

struct Manifest;

class Tokenizer {
public:
  virtual ~Tokenizer() = default;

  /// The token ids of `text`, without a BOS token.
  virtual std::vector<int32_t> encode(const std::string &text) const = 0;
  /// The text piece of one token; pieces concatenate to the decoded text.
  /// Ids that are not text (special or out-of-vocabulary ids) decode to a
  /// visible placeholder such as "<300>".
  virtual std::string decode(int32_t id) const = 0;
  virtual int64_t vocabSize() const = 0;
  /// The beginning-of-sequence token to start every prompt with, if any.
  virtual std::optional<int32_t> bosId() const = 0;
};

/// The tokenizer a manifest's "tokenizer" section describes; an unknown
/// "type" is an error naming it.
StatusOr<std::unique_ptr<Tokenizer>> createTokenizer(const Manifest &manifest,
                                                     const std::string &path);

} // namespace sparsec

#endif // SPARSEC_RUNTIME_TOKENIZER_TOKENIZER_H

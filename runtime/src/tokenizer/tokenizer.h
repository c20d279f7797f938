//===- tokenizer.h - text <-> token ids -------------------------*- C++ -*-===//
//
// The interface the model executable encodes its prompt and decodes the
// generated tokens through, and the factory that builds the tokenizer a
// manifest's "tokenizer" section names ("byte" for synthetic models, "hf"
// for a Hugging Face tokenizer.json packed next to the weights; the
// compiler converts a GGUF's tokenizer into that form).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TOKENIZER_TOKENIZER_H
#define SPARSEC_RUNTIME_TOKENIZER_TOKENIZER_H

#include "sparsec/formats/status.h"

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

  /// The token ids of `text`, without a BOS token. Added/special tokens
  /// written in the text ("<|im_start|>") become their ids only when
  /// `parseSpecial` is true; otherwise they are tokenized as plain text.
  virtual std::vector<int32_t> encode(const std::string &text,
                                      bool parseSpecial) const = 0;
  std::vector<int32_t> encode(const std::string &text) const {
    return encode(text, /*parseSpecial=*/false);
  }
  /// The bytes token `id` contributes to the output, out of context: may be
  /// part of a UTF-8 character (byte-level and byte-fallback tokens). Special
  /// tokens decode to their text; ids outside the vocabulary to "<id>".
  /// Use TokenStream for text a person reads.
  virtual std::string decode(int32_t id) const = 0;
  virtual int64_t vocabSize() const = 0;
  /// The beginning-of-sequence token to start every prompt with, if any.
  virtual std::optional<int32_t> bosId() const = 0;
  /// Ids that end generation (may be empty).
  virtual std::vector<int32_t> eosIds() const { return {}; }
  /// True for control tokens (BOS, EOS, chat markers) that a stream of text
  /// shown to a person leaves out.
  virtual bool isSpecial(int32_t) const { return false; }
  /// True when decoding drops one leading space of the first token of a
  /// stream (SentencePiece's prepended "▁").
  virtual bool stripsLeadingSpace() const { return false; }
};

/// Turns a stream of generated ids into printable UTF-8: buffers the bytes
/// of an incomplete character until the rest arrives, leaves special tokens
/// out, drops SentencePiece's prepended space on the first piece.
class TokenStream {
public:
  explicit TokenStream(const Tokenizer &tokenizer) : tokenizer_(tokenizer) {}
  /// The text that became complete with `id` (possibly empty).
  std::string push(int32_t id);
  /// Whatever is still buffered (an incomplete character becomes U+FFFD).
  std::string flush();
  /// Starts over: the next piece is a first piece again.
  void reset();

private:
  const Tokenizer &tokenizer_;
  std::string pending_;
  bool first_ = true;
};

/// The tokenizer a manifest's "tokenizer" section describes; `path` is the
/// manifest's path (a "file" is relative to its folder; errors start with
/// it). An unknown "type" is an error naming it.
StatusOr<std::unique_ptr<Tokenizer>> createTokenizer(const Manifest &manifest,
                                                     const std::string &path);

} // namespace sparsec

#endif // SPARSEC_RUNTIME_TOKENIZER_TOKENIZER_H

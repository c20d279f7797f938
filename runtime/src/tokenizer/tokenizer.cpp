//===- tokenizer.cpp - text <-> token ids -----------------------*- C++ -*-===//
//
// TokenStream and the factory behind a manifest's "tokenizer" section.
//
//===----------------------------------------------------------------------===//

#include "tokenizer/tokenizer.h"

#include "sparsec/formats/manifest.h"
#include "tokenizer/byte_tokenizer.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/utf8.h"

namespace sparsec {

//===----------------------------------------------------------------------===//
// TokenStream
//===----------------------------------------------------------------------===//

std::string TokenStream::push(int32_t id) {
  if (tokenizer_.isSpecial(id))
    return "";
  std::string piece = tokenizer_.decode(id);
  if (piece.empty())
    return "";
  if (first_) {
    first_ = false;
    if (tokenizer_.stripsLeadingSpace() && piece[0] == ' ')
      piece.erase(0, 1);
  }
  pending_ += piece;
  // Emit every complete character; ill-formed bytes become U+FFFD; keep an
  // incomplete character at the end for the next piece.
  std::string out;
  const unsigned char *p =
      reinterpret_cast<const unsigned char *>(pending_.data());
  size_t n = pending_.size(), i = 0;
  while (i < n) {
    size_t length = 0;
    uint32_t cp = 0;
    utf8::Step step = utf8::next(p + i, n - i, length, cp);
    if (step == utf8::Step::kIncomplete)
      break;
    if (step == utf8::Step::kValid)
      out.append(pending_, i, length);
    else
      out += utf8::kReplacement;
    i += length;
  }
  pending_.erase(0, i);
  return out;
}

std::string TokenStream::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

void TokenStream::reset() {
  pending_.clear();
  first_ = true;
}

//===----------------------------------------------------------------------===//
// The factory
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<Tokenizer>> createTokenizer(const Manifest &manifest,
                                                     const std::string &path) {
  const TokenizerSpec &spec = manifest.tokenizer;
  if (spec.type == "byte") {
    StatusOr<std::unique_ptr<ByteTokenizer>> tokenizer =
        ByteTokenizer::create(manifest.vocabSize, spec.bosId);
    if (!tokenizer.isOk())
      return Status(tokenizer.status().code(),
                    path +
                        ": key 'tokenizer': " + tokenizer.status().message());
    return std::unique_ptr<Tokenizer>(std::move(tokenizer).value());
  }
  if (spec.type == "hf") {
    if (spec.file.empty())
      return Status(StatusCode::kDataLoss,
                    path + ": key 'tokenizer.file': missing (needed by type "
                           "'hf')");
    size_t slash = path.rfind('/');
    std::string folder =
        slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string file = folder + spec.file;
    StatusOr<std::unique_ptr<HfTokenizer>> tokenizer = HfTokenizer::load(file);
    if (!tokenizer.isOk())
      return tokenizer.status();
    std::unique_ptr<HfTokenizer> hf = std::move(tokenizer).value();
    if (hf->vocabSize() > manifest.vocabSize)
      return Status(StatusCode::kDataLoss,
                    escapeForMessage(file) + ": has " +
                        std::to_string(hf->vocabSize()) +
                        " token ids, more than the manifest's vocab_size " +
                        std::to_string(manifest.vocabSize) + " (" +
                        escapeForMessage(path) + ")");
    hf->setBosId(spec.bosId);
    hf->setEosIds(spec.eosIds);
    return std::unique_ptr<Tokenizer>(std::move(hf));
  }
  return Status(
      StatusCode::kUnimplemented,
      escapeForMessage(path) + ": key 'tokenizer.type': unknown tokenizer '" +
          escapeForMessage(spec.type) + "' (this runtime knows: byte, hf)");
}

} // namespace sparsec

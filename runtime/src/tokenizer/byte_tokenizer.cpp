//===- byte_tokenizer.cpp - one token per byte ------------------*- C++ -*-===//

#include "tokenizer/byte_tokenizer.h"

#include "model/manifest.h"

namespace sparsec {

StatusOr<std::unique_ptr<ByteTokenizer>>
ByteTokenizer::create(int64_t vocabSize, std::optional<int32_t> bosId) {
  if (vocabSize < 256)
    return Status(StatusCode::kInvalidArgument,
                  "byte tokenizer: vocab_size " + std::to_string(vocabSize) +
                      " is too small, expected at least 256 (one token per "
                      "byte)");
  if (bosId && (*bosId < 256 || *bosId >= vocabSize))
    return Status(StatusCode::kInvalidArgument,
                  "byte tokenizer: bos_id " + std::to_string(*bosId) +
                      " is invalid, expected an id in [256, " +
                      std::to_string(vocabSize) +
                      ") (ids below 256 are bytes)");
  return std::unique_ptr<ByteTokenizer>(new ByteTokenizer(vocabSize, bosId));
}

std::vector<int32_t> ByteTokenizer::encode(const std::string &text,
                                           bool /*parseSpecial*/) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size());
  for (char c : text)
    ids.push_back(static_cast<int32_t>(static_cast<unsigned char>(c)));
  return ids;
}

std::string ByteTokenizer::decode(int32_t id) const {
  if (id >= 0 && id < 256)
    return std::string(1, static_cast<char>(id));
  return "<" + std::to_string(id) + ">";
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
  return Status(StatusCode::kUnimplemented,
                path + ": key 'tokenizer.type': unknown tokenizer '" +
                    spec.type + "' (this runtime knows: byte)");
}

} // namespace sparsec

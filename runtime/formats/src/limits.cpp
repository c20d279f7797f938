//===- limits.cpp - the sizes sparsec accepts from files --------*- C++ -*-===//

#include "sparsec/formats/limits.h"

namespace sparsec::limits {

Status checkJsonLimits(const std::string &text, const std::string &path) {
  return checkJsonLimits(text.data(), text.size(), path);
}

Status checkJsonLimits(const char *text, size_t size, const std::string &path) {
  if (size > kMaxJsonBytes)
    return Status(StatusCode::kDataLoss,
                  escapeForMessage(path) + ": " + std::to_string(size) +
                      " bytes of JSON, more than the limit of " +
                      std::to_string(kMaxJsonBytes) + " bytes");
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < size; ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        return Status(StatusCode::kDataLoss,
                      escapeForMessage(path) + ": JSON nested deeper than " +
                          std::to_string(kMaxJsonDepth) + " levels (at byte " +
                          std::to_string(i) + ")");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::ok();
}

} // namespace sparsec::limits

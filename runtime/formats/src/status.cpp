//===- status.cpp - error values of the runtime -----------------*- C++ -*-===//

#include "sparsec/formats/status.h"

namespace sparsec {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::kOk:
    return "ok";
  case StatusCode::kInvalidArgument:
    return "invalid argument";
  case StatusCode::kNotFound:
    return "not found";
  case StatusCode::kDataLoss:
    return "malformed data";
  case StatusCode::kUnimplemented:
    return "unsupported";
  case StatusCode::kIoError:
    return "I/O error";
  case StatusCode::kOutOfRange:
    return "out of range";
  case StatusCode::kFailedPrecondition:
    return "failed precondition";
  case StatusCode::kResourceExhausted:
    return "resource exhausted";
  case StatusCode::kInternal:
    return "internal error";
  }
  return "unknown";
}

std::string escapeForMessage(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0xc2 && i + 1 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      unsigned char next = static_cast<unsigned char>(text[++i]);
      out += "\\u00";
      out += kHex[next >> 4];
      out += kHex[next & 15];
      continue;
    }
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
      continue;
    }
    switch (c) {
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

} // namespace sparsec

//===- status.cpp - error values of the runtime -----------------*- C++ -*-===//

#include "base/status.h"

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

} // namespace sparsec

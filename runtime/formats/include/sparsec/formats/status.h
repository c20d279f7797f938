//===- status.h - error values of the runtime -------------------*- C++ -*-===//
//
// The runtime never throws: every fallible call returns a Status (or a
// StatusOr<T>) whose message is a one-line diagnostic naming the file,
// tensor or key at fault and what was expected.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_STATUS_H
#define SPARSEC_FORMATS_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace sparsec {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // a caller passed something unusable
  kNotFound,           // a file or tensor does not exist
  kDataLoss,           // a file is malformed, truncated or inconsistent
  kUnimplemented,      // valid, but not supported (yet)
  kIoError,            // the OS refused (open, stat, mmap)
  kOutOfRange,         // an index or position past a limit (vocab, max_len)
  kFailedPrecondition, // the call is valid, but not in this state
  kResourceExhausted,  // out of memory
  kInternal,           // a bug: an invariant of the runtime broke
};

const char *statusCodeName(StatusCode code);

/// `text` (a string read from a file: a tensor name, a key, a manifest
/// value, a file name) made safe to quote in a one-line message: control
/// characters become C escapes (\n, \r, \t, \x1b, ...; DEL is \x7f) and
/// the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F) become \u0080..
/// \u009f, so that a message stays one line and never drives a terminal.
/// Everything else, backslashes included, is kept, so escaping is
/// idempotent: a whole message may be passed through again as a last net.
std::string escapeForMessage(std::string_view text);

class [[nodiscard]] Status {
public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }

private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// A value or the Status explaining why there is none.
template <typename T> class [[nodiscard]] StatusOr {
public:
  StatusOr(T value) : value_(std::move(value)) {}
  StatusOr(Status status) : status_(std::move(status)) {
    assert(!status_.isOk() && "StatusOr built from an OK status");
  }

  bool isOk() const { return value_.has_value(); }
  const Status &status() const { return status_; }

  T &value() & {
    assert(isOk());
    return *value_;
  }
  T &&value() && {
    assert(isOk());
    return std::move(*value_);
  }
  T *operator->() { return &value(); }
  T &operator*() & { return value(); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace sparsec

#endif // SPARSEC_FORMATS_STATUS_H

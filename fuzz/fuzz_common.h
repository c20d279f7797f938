//===- fuzz_common.h - shared pieces of the libFuzzer harnesses -*- C++ -*-===//
//
// The readers under test take file paths, so each harness writes its input
// to a file in a per-process temporary folder (removed at exit) and opens it
// from there. Oracles beyond ASan/UBSan: every error a reader returns must be
// one non-empty line (no '\n'); anything else traps.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FUZZ_FUZZ_COMMON_H
#define SPARSEC_FUZZ_FUZZ_COMMON_H

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sparsec::fuzz {

/// Removes `path` and everything under it (no error if absent).
inline void removeTree(const std::string &path) {
  ::nftw(
      path.c_str(),
      [](const char *p, const struct stat *, int, struct FTW *) {
        return ::remove(p);
      },
      16, FTW_DEPTH | FTW_PHYS);
}

/// The per-process temporary folder ("/tmp/sparsec-fuzz-XXXXXX", or under
/// $SPARSEC_FUZZ_TMPDIR), created on first use and removed at exit.
inline const std::string &tempDir() {
  static const std::string dir = [] {
    const char *base = std::getenv("SPARSEC_FUZZ_TMPDIR");
    std::string pattern =
        std::string(base && *base ? base : "/tmp") + "/sparsec-fuzz-XXXXXX";
    if (!::mkdtemp(pattern.data())) {
      std::perror("sparsec-fuzz: mkdtemp");
      std::abort();
    }
    static std::string made = pattern;
    std::atexit([] { removeTree(made); });
    return pattern;
  }();
  return dir;
}

/// A fresh empty folder tempDir()/name (whatever was there is removed).
inline std::string freshDir(const std::string &name) {
  std::string dir = tempDir() + "/" + name;
  removeTree(dir);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    std::perror(("sparsec-fuzz: mkdir " + dir).c_str());
    std::abort();
  }
  return dir;
}

/// tempDir()/name.
inline std::string tempFile(const std::string &name) {
  return tempDir() + "/" + name;
}

/// Writes `size` bytes to `path` (replacing it); aborts when the OS refuses
/// (a harness problem, not a finding).
inline void writeFile(const std::string &path, const void *data, size_t size) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::perror(("sparsec-fuzz: open " + path).c_str());
    std::abort();
  }
  const char *p = static_cast<const char *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n <= 0) {
      std::perror(("sparsec-fuzz: write " + path).c_str());
      std::abort();
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  ::close(fd);
}
inline void writeFile(const std::string &path, const std::string &text) {
  writeFile(path, text.data(), text.size());
}

/// The oracle on error messages: one non-empty line, with the control
/// characters of any input it quotes escaped (no byte below 0x20, no DEL:
/// a quoted newline would forge a second diagnostic line, an escape
/// sequence would reach the terminal).
inline void checkMessage(const std::string &message, const char *what) {
  bool bad = message.empty();
  for (unsigned char c : message)
    if (c < 0x20 || c == 0x7f)
      bad = true;
  if (bad) {
    std::string shown;
    for (unsigned char c : message) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      shown += c < 0x20 || c == 0x7f ? std::string(hex) : std::string(1, c);
    }
    std::fprintf(stderr,
                 "sparsec-fuzz: %s: error message is not one non-empty line "
                 "free of control characters: [%s]\n",
                 what, shown.c_str());
    __builtin_trap();
  }
}

/// For harnesses over the runtime's Status / StatusOr (anything with
/// isOk() and message()).
template <typename S>
inline void checkStatus(const S &status, const char *what) {
  if (!status.isOk())
    checkMessage(status.message(), what);
}

/// A cheap read of `n` bytes at `p` that the optimizer keeps: lets ASan see
/// a pointer the reader handed out that does not point into its mapping.
inline void touch(const void *p, uint64_t n) {
  if (!p || n == 0)
    return;
  const volatile uint8_t *b = static_cast<const volatile uint8_t *>(p);
  (void)b[0];
  (void)b[n - 1];
}

} // namespace sparsec::fuzz

#endif // SPARSEC_FUZZ_FUZZ_COMMON_H

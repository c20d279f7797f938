//===- mapped_file.h - read-only memory-mapped files ------------*- C++ -*-===//
//
// The guarantee for files changed under a running process (docs/runtime.md,
// "Weights changed while the model runs"):
//  - open() refuses anything but a regular file without blocking on it (a
//    FIFO, a terminal, a directory), and records the file's identity
//    (device, inode, size, modification time); checkUnchanged() compares it
//    with the file now at the path.
//  - A mapping's pages are read on first touch. If the file is truncated
//    under a live mapping, touching a page past the new end raises SIGBUS:
//    the runtime's SIGBUS handler (installed at the first open()) finds the
//    mapping the address belongs to, writes one preformatted line naming the
//    file to stderr and _exits with status 1. A SIGBUS outside every mapping
//    goes to the handler that was installed before, or kills the process as
//    SIGBUS does by default.
//  - Rewriting the file in place (same size) is not detected while it is
//    mapped: MAP_PRIVATE does not copy pages the process has not written.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_MAPPED_FILE_H
#define SPARSEC_FORMATS_MAPPED_FILE_H

#include "sparsec/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace sparsec {

/// What identifies a file's contents at one moment.
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtimeSeconds = 0;
  int64_t mtimeNanoseconds = 0;

  bool operator==(const FileIdentity &other) const {
    return device == other.device && inode == other.inode &&
           size == other.size && mtimeSeconds == other.mtimeSeconds &&
           mtimeNanoseconds == other.mtimeNanoseconds;
  }
  bool operator!=(const FileIdentity &other) const { return !(*this == other); }
};

/// A whole file mapped read-only (MAP_PRIVATE). Weights are read in place,
/// never copied; the OS pages them in on first touch. Move-only.
class MappedFile {
public:
  /// Maps the regular file at `path`. What the SIGBUS handler prints for
  /// it: "PROGRAM: error: PATH: the file was truncated or changed while it
  /// was mapped (SIGBUS)" until setTruncationNote() says otherwise.
  static StatusOr<MappedFile> open(const std::string &path);

  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  const std::string &path() const { return path_; }
  /// The file's identity when it was opened.
  const FileIdentity &identity() const { return identity_; }

  /// An error naming the file when the file now at path() is not the one
  /// that was mapped (another inode, size or modification time).
  Status checkUnchanged() const;

  /// What the SIGBUS handler says after "PATH: " when a touch of this
  /// mapping faults, e.g. "the weights file was truncated or changed while
  /// the model ran".
  void setTruncationNote(const std::string &note);

private:
  MappedFile(std::string path, const uint8_t *data, size_t size,
             FileIdentity identity)
      : path_(std::move(path)), data_(data), size_(size), identity_(identity) {}
  void reset();

  std::string path_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
  FileIdentity identity_;
  /// The SIGBUS registry slot of this mapping, -1 for none.
  int guard_ = -1;
};

} // namespace sparsec

#endif // SPARSEC_FORMATS_MAPPED_FILE_H

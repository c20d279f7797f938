//===- mapped_file.h - read-only memory-mapped files ------------*- C++ -*-===//

#ifndef SPARSEC_RUNTIME_WEIGHTS_MAPPED_FILE_H
#define SPARSEC_RUNTIME_WEIGHTS_MAPPED_FILE_H

#include "base/status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace sparsec {

/// A whole file mapped read-only (MAP_PRIVATE). Weights are read in place,
/// never copied; the OS pages them in on first touch. Move-only.
class MappedFile {
public:
  static StatusOr<MappedFile> open(const std::string &path);

  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  MappedFile(std::string path, const uint8_t *data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void reset();

  std::string path_;
  const uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_WEIGHTS_MAPPED_FILE_H

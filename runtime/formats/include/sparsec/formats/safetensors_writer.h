//===- safetensors_writer.h - streaming safetensors writer ------*- C++ -*-===//
//
// Writes a safetensors file tensor by tensor without holding it in memory:
// the header is laid out first (tensor order, dtypes, shapes, offsets), then
// each tensor's bytes are produced by a callback into a bounded buffer. The
// file appears atomically (written as PATH.tmp, renamed on success), so a
// failed write never leaves a partial file behind. The header is padded with
// spaces so that the data starts 64-byte aligned.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_SAFETENSORS_WRITER_H
#define SPARSEC_FORMATS_SAFETENSORS_WRITER_H

#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/status.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace sparsec {

class SafetensorsWriter {
public:
  /// Fills `out` (exactly the tensor's byte size) with the tensor's data.
  using Fill = std::function<Status(uint8_t *out)>;

  /// Adds a tensor; tensors are written in the order they are added.
  void add(std::string name, DType dtype, std::vector<int64_t> shape,
           Fill fill);
  void setMetadata(std::string key, std::string value) {
    metadata_[std::move(key)] = std::move(value);
  }
  /// Writes everything to `path`. On failure, `path` is left untouched.
  /// Writes the file. Its __metadata__ always records the XXH3-64 of the
  /// data section (SPARSEC_METADATA_DATA_XXH3), computed while the data is
  /// written and patched into the header's fixed-width placeholder.
  Status write(const std::string &path) const;

private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    Fill fill;
    uint64_t nbytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

} // namespace sparsec

#endif // SPARSEC_FORMATS_SAFETENSORS_WRITER_H

//===- model.h - a compiled model's manifest and weights --------*- C++ -*-===//
//
// A loaded model is its validated manifest plus its packed weights file,
// mapped read-only. The generated decode step reads the weights file's data
// section in place, at the offsets the manifest lists, so loading checks
// that the file is the one the step was compiled against: same layout
// version and source hash in its __metadata__, and every manifest tensor
// present with the same dtype, shape, size and data-section offset.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_MODEL_MODEL_H
#define SPARSEC_RUNTIME_MODEL_MODEL_H

#include "sparsec/formats/manifest.h"
#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sparsec {

/// A zeroed, 64-byte aligned heap buffer (the KV cache, the scratch).
/// Move-only.
class AlignedBuffer {
public:
  static constexpr size_t kAlignment = 64;

  /// `size` bytes, zeroed; never a null pointer, even for size 0.
  static StatusOr<AlignedBuffer> allocate(size_t size);

  AlignedBuffer(AlignedBuffer &&other) noexcept;
  AlignedBuffer &operator=(AlignedBuffer &&other) noexcept;
  AlignedBuffer(const AlignedBuffer &) = delete;
  AlignedBuffer &operator=(const AlignedBuffer &) = delete;
  ~AlignedBuffer();

  uint8_t *data() const { return data_; }
  size_t size() const { return size_; }
  /// Zeroes the whole buffer again.
  void clear();

private:
  AlignedBuffer(uint8_t *data, size_t size) : data_(data), size_(size) {}

  uint8_t *data_ = nullptr;
  size_t size_ = 0;
};

class Model {
public:
  /// Loads DIR/manifest.json and the weights file it names.
  static StatusOr<std::unique_ptr<Model>> load(const std::string &dir);

  const Manifest &manifest() const { return manifest_; }
  const std::string &dir() const { return dir_; }
  const std::string &manifestPath() const { return manifestPath_; }
  const SafetensorsFile &weights() const { return *weights_; }

  /// The weights file's data section: what the decode step reads.
  const uint8_t *weightsData() const { return weights_->data(); }
  uint64_t weightsSize() const { return weights_->dataSize(); }

  /// An error naming the weights file when the file at its path is no
  /// longer the one mapped at load (another inode, size or modification
  /// time: replaced, truncated or rewritten since).
  Status checkWeightsUnchanged() const {
    return weights_->file().checkUnchanged();
  }

  /// A zeroed KV cache of the manifest's kv_cache_bytes.
  StatusOr<AlignedBuffer> allocateKvCache() const;
  /// The zeroed scratch of the manifest's scratch_bytes (at least 64).
  StatusOr<AlignedBuffer> allocateScratch() const;

private:
  Model() = default;

  std::string dir_;
  std::string manifestPath_;
  Manifest manifest_;
  std::unique_ptr<SafetensorsFile> weights_;
};

} // namespace sparsec

#endif // SPARSEC_RUNTIME_MODEL_MODEL_H

//===- model.cpp - a compiled model's manifest and weights ------*- C++ -*-===//

#include "model/model.h"

#include "sparsec/weights_layout.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sparsec {

//===----------------------------------------------------------------------===//
// AlignedBuffer
//===----------------------------------------------------------------------===//

StatusOr<AlignedBuffer> AlignedBuffer::allocate(size_t size) {
  // Round up to whole alignment units (and at least one), so that the
  // pointer is never null and vector loads at the end stay inside.
  size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded < size)
    return Status(StatusCode::kResourceExhausted,
                  "cannot allocate " + std::to_string(size) + " bytes");
  if (rounded == 0)
    rounded = kAlignment;
  void *memory = nullptr;
  if (::posix_memalign(&memory, kAlignment, rounded) != 0)
    return Status(StatusCode::kResourceExhausted,
                  "cannot allocate " + std::to_string(size) + " bytes");
  std::memset(memory, 0, rounded);
  return AlignedBuffer(static_cast<uint8_t *>(memory), size);
}

AlignedBuffer::AlignedBuffer(AlignedBuffer &&other) noexcept
    : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

AlignedBuffer &AlignedBuffer::operator=(AlignedBuffer &&other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

void AlignedBuffer::clear() {
  if (data_)
    std::memset(data_, 0, size_);
}

//===----------------------------------------------------------------------===//
// Model
//===----------------------------------------------------------------------===//

namespace {

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty())
    return name;
  if (dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

/// Checks the file's __metadata__ `key` against the manifest's `expected`.
Status checkMetadata(const SafetensorsFile &file,
                     const std::string &manifestPath, const char *key,
                     const char *manifestKey, const std::string &expected) {
  auto it = file.metadata().find(key);
  if (it == file.metadata().end())
    return Status(StatusCode::kDataLoss,
                  escapeForMessage(file.path()) + ": __metadata__ lacks '" +
                      key + "' (expected '" + escapeForMessage(expected) +
                      "' as " + escapeForMessage(manifestPath) + " key '" +
                      manifestKey +
                      "' says); not a weights file packed by sparsec");
  if (it->second != expected)
    return Status(StatusCode::kFailedPrecondition,
                  escapeForMessage(file.path()) + ": __metadata__ '" + key +
                      "' is '" + escapeForMessage(it->second) + "', but " +
                      escapeForMessage(manifestPath) + " key '" + manifestKey +
                      "' is '" + escapeForMessage(expected) +
                      "'; the weights file does not belong to this model "
                      "executable (re-run the compiler)");
  return Status::ok();
}

} // namespace

StatusOr<std::unique_ptr<Model>> Model::load(const std::string &dir) {
  std::unique_ptr<Model> model(new Model());
  model->dir_ = dir;
  model->manifestPath_ = joinPath(dir, kManifestFileName);
  StatusOr<Manifest> manifest = Manifest::load(model->manifestPath_);
  if (!manifest.isOk())
    return manifest.status();
  model->manifest_ = std::move(manifest).value();
  const Manifest &m = model->manifest_;
  const std::string &manifestPath = model->manifestPath_;

  StatusOr<std::unique_ptr<SafetensorsFile>> weights =
      SafetensorsFile::open(joinPath(dir, m.weightsFile));
  if (!weights.isOk()) {
    const Status &status = weights.status();
    if (status.code() == StatusCode::kNotFound)
      return Status(StatusCode::kNotFound, status.message() +
                                               " (the weights file that " +
                                               manifestPath + " names)");
    return status;
  }
  model->weights_ = std::move(weights).value();
  // What the SIGBUS handler prints if the file is truncated under the
  // mapping (mapped_file.h).
  model->weights_->file().setTruncationNote(
      "the weights file was truncated or changed while the model ran");
  const SafetensorsFile &file = *model->weights_;

  if (Status status =
          checkMetadata(file, manifestPath, SPARSEC_METADATA_LAYOUT_VERSION,
                        "layout_version", std::to_string(m.layoutVersion));
      !status.isOk())
    return status;
  if (Status status =
          checkMetadata(file, manifestPath, SPARSEC_METADATA_SOURCE_HASH,
                        "source_hash", m.sourceHash);
      !status.isOk())
    return status;

  const uint64_t dataOffset = file.dataOffset();
  for (const ManifestTensor &tensor : m.tensors) {
    const TensorInfo *info = file.find(tensor.name);
    std::string where = escapeForMessage(file.path()) + ": tensor '" +
                        escapeForMessage(tensor.name) + "'";
    if (!info)
      return Status(StatusCode::kNotFound,
                    where + " is listed in " + escapeForMessage(manifestPath) +
                        " but missing from the weights file");
    if (info->dtype != tensor.dtype || info->shape != tensor.shape)
      return Status(StatusCode::kDataLoss,
                    where + " is " + dtypeName(info->dtype) + " " +
                        formatShape(info->shape) + ", but " + manifestPath +
                        " says " + dtypeName(tensor.dtype) + " " +
                        formatShape(tensor.shape));
    if (info->nbytes != tensor.nbytes)
      return Status(StatusCode::kDataLoss,
                    where + " is " + std::to_string(info->nbytes) +
                        " bytes, but " + manifestPath + " says " +
                        std::to_string(tensor.nbytes));
    uint64_t offset = info->fileOffset - dataOffset;
    if (offset != tensor.offset)
      return Status(StatusCode::kDataLoss,
                    where + " starts at data offset " + std::to_string(offset) +
                        ", but " + manifestPath + " says " +
                        std::to_string(tensor.offset) +
                        " (the decode step reads it there)");
  }
  return model;
}

StatusOr<AlignedBuffer> Model::allocateKvCache() const {
  StatusOr<AlignedBuffer> buffer =
      AlignedBuffer::allocate(manifest_.kvCacheBytes);
  if (!buffer.isOk())
    return Status(buffer.status().code(),
                  escapeForMessage(manifestPath_) + ": " +
                      buffer.status().message() +
                      " for the KV cache (kv_cache_bytes, max_len " +
                      std::to_string(manifest_.maxLen) +
                      "); recompile with a smaller --max-seq-len");
  return buffer;
}

StatusOr<AlignedBuffer> Model::allocateScratch() const {
  StatusOr<AlignedBuffer> buffer =
      AlignedBuffer::allocate(std::max<uint64_t>(manifest_.scratchBytes, 64));
  if (!buffer.isOk())
    return Status(buffer.status().code(),
                  escapeForMessage(manifestPath_) + ": " +
                      buffer.status().message() +
                      " for the scratch (scratch_bytes)");
  return buffer;
}

} // namespace sparsec

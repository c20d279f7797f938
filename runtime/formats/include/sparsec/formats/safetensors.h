//===- safetensors.h - zero-copy safetensors reader -------------*- C++ -*-===//
//
// Reads safetensors files (single or sharded through
// model.safetensors.index.json) by mapping them and pointing into the
// mapping. Nothing in a file is trusted: the header length, the JSON, every
// dtype, shape and offset pair is checked against the file before any tensor
// is handed out, and tensors may not overlap.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_SAFETENSORS_H
#define SPARSEC_FORMATS_SAFETENSORS_H

#include "sparsec/formats/mapped_file.h"
#include "sparsec/formats/status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sparsec {

/// Element types the safetensors format defines. Only F32, F16 and BF16 are
/// computed with; the others are recognised so that files holding them still
/// open (and are validated), and using such a tensor is a clear error.
enum class DType {
  kF64,
  kF32,
  kF16,
  kBF16,
  kI64,
  kI32,
  kI16,
  kI8,
  kU8,
  kBool,
  kF8E4M3,
  kF8E5M2
};

/// "F16" for DType::kF16 (the safetensors spelling).
const char *dtypeName(DType dtype);
/// The DType spelled `name` ("F16"), or nothing for an unknown spelling.
std::optional<DType> dtypeFromName(const std::string &name);
size_t dtypeSize(DType dtype);
/// True for the dtypes sparsec computes with: F32, F16, BF16.
bool isComputeDType(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr; ///< Inside the file's mapping.
  uint64_t nbytes = 0;
  uint64_t fileOffset = 0;           ///< Absolute offset of `data` in its file.
  const std::string *file = nullptr; ///< Path of the file holding it.

  int64_t numElements() const;
};

/// "[14336x4096]"
std::string formatShape(const std::vector<int64_t> &shape);

/// One validated safetensors file.
class SafetensorsFile {
public:
  static StatusOr<std::unique_ptr<SafetensorsFile>>
  open(const std::string &path);

  const std::string &path() const { return file_.path(); }
  /// The mapped file (its identity at open, checkUnchanged(), the note the
  /// SIGBUS handler prints when the file is truncated under the mapping).
  const MappedFile &file() const { return file_; }
  MappedFile &file() { return file_; }
  const std::vector<TensorInfo> &tensors() const { return tensors_; }
  const std::map<std::string, std::string> &metadata() const {
    return metadata_;
  }
  /// nullptr when absent.
  const TensorInfo *find(const std::string &name) const;

  /// The whole mapped file.
  const uint8_t *fileData() const { return file_.data(); }
  uint64_t fileSize() const { return file_.size(); }
  /// Where the data section starts in the file: 8 + the header length.
  /// TensorInfo::fileOffset - dataOffset() is a tensor's data_offsets begin.
  uint64_t dataOffset() const { return dataOffset_; }
  /// The data section: the bytes after the header, in place.
  const uint8_t *data() const { return file_.data() + dataOffset_; }
  uint64_t dataSize() const { return file_.size() - dataOffset_; }

private:
  explicit SafetensorsFile(MappedFile file) : file_(std::move(file)) {}
  Status parse();

  MappedFile file_;
  uint64_t dataOffset_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> byName_;
  std::map<std::string, std::string> metadata_;
};

/// All tensors of a checkpoint: one file, or the shards an index names.
class Checkpoint {
public:
  /// A directory holding model.safetensors or model.safetensors.index.json.
  static StatusOr<std::unique_ptr<Checkpoint>>
  openDirectory(const std::string &dir);
  /// A single .safetensors file.
  static StatusOr<std::unique_ptr<Checkpoint>>
  openFile(const std::string &path);
  /// A sharded checkpoint's model.safetensors.index.json.
  static StatusOr<std::unique_ptr<Checkpoint>>
  openIndex(const std::string &indexPath);

  /// nullptr when absent.
  const TensorInfo *find(const std::string &name) const;
  /// Like find(), but a NotFound status naming the tensor and checkpoint.
  StatusOr<const TensorInfo *> get(const std::string &name) const;
  /// Tensor names in sorted order.
  std::vector<std::string> names() const;
  const std::vector<std::unique_ptr<SafetensorsFile>> &files() const {
    return files_;
  }
  /// The directory or file this checkpoint was opened from.
  const std::string &origin() const { return origin_; }

private:
  std::string origin_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::unordered_map<std::string, const TensorInfo *> byName_;
};

} // namespace sparsec

#endif // SPARSEC_FORMATS_SAFETENSORS_H

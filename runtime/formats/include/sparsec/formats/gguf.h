//===- gguf.h - zero-copy GGUF reader ---------------------------*- C++ -*-===//
//
// Reads GGUF files (llama.cpp's model format, versions 2 and 3, and
// PowerInfer's "PWRI"-magic variant) by mapping them. Nothing in a file is
// trusted: every count, string and array length,
// value type, tensor dimension, dimension product, type, offset and the
// alignment is checked against the file before anything is handed out, so a
// hostile file gets one line naming the file and the key or tensor, never a
// crash or an allocation the file's size does not justify.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_GGUF_H
#define SPARSEC_FORMATS_GGUF_H

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

/// ggml tensor types, with ggml's numbering. Types not listed here are
/// refused by number.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

/// "Q4_K" for GgmlType::kQ4_K.
const char *ggmlTypeName(GgmlType type);
/// Elements per block (1 for plain types, 32 for Q4_0, 256 for K-quants).
int64_t ggmlBlockSize(GgmlType type);
/// Bytes per block.
int64_t ggmlBlockBytes(GgmlType type);
/// True when dequantizeRow() can read the type: F32, F16, BF16, Q8_0, Q4_0,
/// Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K.
bool ggmlCanDequantize(GgmlType type);

/// Metadata value types, with GGUF's numbering.
enum class GgufValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
const char *ggufValueTypeName(GgufValueType type);

/// One metadata value. Scalars are stored widened; an array of scalars keeps
/// a pointer to its elements in the mapping; an array of strings is
/// materialised. Arrays of arrays are refused.
struct GgufValue {
  GgufValueType type = GgufValueType::kU8;
  uint64_t u = 0; ///< unsigned integer types and bool
  int64_t i = 0;  ///< signed integer types
  double f = 0.0; ///< F32 and F64
  std::string s;  ///< kString
  /// kArray: element type and count; scalar elements stay in the file.
  GgufValueType elementType = GgufValueType::kU8;
  uint64_t count = 0;
  const uint8_t *elements = nullptr; ///< kArray of scalars: little-endian
  std::vector<std::string> strings;  ///< kArray of strings
};

struct GgufTensorInfo {
  std::string name;
  GgmlType type = GgmlType::kF32;
  /// ggml order: ne[0] is the contiguous (fastest) dimension.
  std::vector<int64_t> ne;
  /// Row-major shape as safetensors/PyTorch write it: ne reversed.
  std::vector<int64_t> shape;
  const uint8_t *data = nullptr; ///< Inside the mapping.
  uint64_t nbytes = 0;
  uint64_t fileOffset = 0; ///< Absolute offset of `data` in the file.

  int64_t numElements() const;
  /// ne[0]: elements in one row (a row is whole blocks).
  int64_t rowLength() const { return ne.empty() ? 1 : ne[0]; }
  int64_t numRows() const;
  uint64_t rowBytes() const;
};

/// One validated GGUF file.
class GgufFile {
public:
  static StatusOr<std::unique_ptr<GgufFile>> open(const std::string &path);

  const std::string &path() const { return file_.path(); }
  uint32_t version() const { return version_; }
  /// True for PowerInfer's sparse files (magic "PWRI" instead of "GGUF").
  bool isPowerInfer() const { return powerInfer_; }
  uint64_t alignment() const { return alignment_; }

  /// Metadata key/value pairs in file order, and lookup by key.
  const std::vector<std::pair<std::string, GgufValue>> &metadata() const {
    return metadata_;
  }
  const GgufValue *find(const std::string &key) const;

  /// Typed accessors: an absent key gives std::nullopt; a key of another
  /// type is an error naming the file, the key, and both types. Integer
  /// accessors accept any integer type whose value fits.
  StatusOr<std::optional<std::string>> getString(const std::string &key) const;
  StatusOr<std::optional<int64_t>> getInt(const std::string &key) const;
  StatusOr<std::optional<double>> getFloat(const std::string &key) const;
  StatusOr<std::optional<bool>> getBool(const std::string &key) const;
  /// Arrays: strings, integers (any integer element type), f32/f64 numbers.
  StatusOr<std::optional<std::vector<std::string>>>
  getStringArray(const std::string &key) const;
  StatusOr<std::optional<std::vector<int64_t>>>
  getIntArray(const std::string &key) const;
  StatusOr<std::optional<std::vector<float>>>
  getFloatArray(const std::string &key) const;

  const std::vector<GgufTensorInfo> &tensors() const { return tensors_; }
  /// nullptr when absent.
  const GgufTensorInfo *findTensor(const std::string &name) const;

  /// The mapped file: for hashing its header and metadata.
  const uint8_t *fileData() const { return file_.data(); }
  uint64_t fileSize() const { return file_.size(); }
  /// Where the tensor data section starts (aligned; never past the end of
  /// the file).
  uint64_t dataOffset() const { return dataOffset_; }

private:
  explicit GgufFile(MappedFile file) : file_(std::move(file)) {}
  Status parse();

  MappedFile file_;
  uint32_t version_ = 0;
  bool powerInfer_ = false;
  uint64_t alignment_ = 32;
  uint64_t dataOffset_ = 0;
  std::vector<std::pair<std::string, GgufValue>> metadata_;
  std::unordered_map<std::string, size_t> keyIndex_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensorIndex_;
};

/// Converts `count` elements starting at `src` (which must begin at a block
/// boundary; `count` a multiple of the block size) of `type` to f32.
Status dequantizeToF32(GgmlType type, const uint8_t *src, int64_t count,
                       float *out);

/// True when quantizeFromF32() can write the type: Q8_0, Q4_0, Q4_1, Q4_K,
/// Q6_K.
bool ggmlCanQuantize(GgmlType type);
/// Quantizes `count` f32 elements (a multiple of the block size, all finite)
/// into
/// blocks of `type` at `out` (ggml_quantize.cpp states the rounding).
Status quantizeFromF32(GgmlType type, const float *src, int64_t count,
                       uint8_t *out);

/// f32 -> IEEE half with round-to-nearest-even (inf/nan preserved), and back.
uint16_t floatToHalf(float value);
float halfToFloat(uint16_t bits);
/// f32 -> bfloat16 with round-to-nearest-even (nan stays nan), and back.
uint16_t floatToBF16(float value);
float bf16ToFloat(uint16_t bits);

} // namespace sparsec

#endif // SPARSEC_FORMATS_GGUF_H

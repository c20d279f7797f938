//===- gguf.cpp - zero-copy GGUF reader -------------------------*- C++ -*-===//
//
// Layout (all little-endian; versions 2 and 3 share it):
//   "GGUF" u32:version u64:tensor_count u64:kv_count  (PowerInfer: "PWRI")
//   kv_count x  { string:key u32:value_type value }
//   tensor_count x { string:name u32:n_dims u64:ne[n_dims] u32:ggml_type
//                    u64:offset }
//   padding to general.alignment (default 32), then the tensor data; each
//   tensor's offset is relative to that aligned start and itself aligned.
// A string is u64:length then that many bytes (no terminator); an array is
// u32:element_type u64:count then the elements.
//
// Every count and length is checked against the bytes left in the file
// before anything is allocated or read, so a hostile header cannot make the
// reader allocate more than the file's own size justifies.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/gguf.h"

#include "sparsec/formats/limits.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace sparsec {

namespace {

struct GgmlTypeEntry {
  GgmlType type;
  const char *name;
  int64_t blockSize;
  int64_t blockBytes;
  bool dequantizable;
};

// Block layouts as ggml publishes them (ggml-common.h).
constexpr GgmlTypeEntry kGgmlTypes[] = {
    {GgmlType::kF32, "F32", 1, 4, true},
    {GgmlType::kF16, "F16", 1, 2, true},
    {GgmlType::kQ4_0, "Q4_0", 32, 2 + 16, true},
    {GgmlType::kQ4_1, "Q4_1", 32, 2 + 2 + 16, true},
    {GgmlType::kQ5_0, "Q5_0", 32, 2 + 4 + 16, true},
    {GgmlType::kQ5_1, "Q5_1", 32, 2 + 2 + 4 + 16, true},
    {GgmlType::kQ8_0, "Q8_0", 32, 2 + 32, true},
    {GgmlType::kQ8_1, "Q8_1", 32, 2 + 2 + 32, false},
    {GgmlType::kQ2_K, "Q2_K", 256, 16 + 64 + 2 + 2, false},
    {GgmlType::kQ3_K, "Q3_K", 256, 32 + 64 + 12 + 2, false},
    {GgmlType::kQ4_K, "Q4_K", 256, 2 + 2 + 12 + 128, true},
    {GgmlType::kQ5_K, "Q5_K", 256, 2 + 2 + 12 + 32 + 128, true},
    {GgmlType::kQ6_K, "Q6_K", 256, 128 + 64 + 16 + 2, true},
    {GgmlType::kQ8_K, "Q8_K", 256, 4 + 256 + 2 * 16, false},
    {GgmlType::kI8, "I8", 1, 1, false},
    {GgmlType::kI16, "I16", 1, 2, false},
    {GgmlType::kI32, "I32", 1, 4, false},
    {GgmlType::kI64, "I64", 1, 8, false},
    {GgmlType::kF64, "F64", 1, 8, false},
    {GgmlType::kBF16, "BF16", 1, 2, true},
};

const GgmlTypeEntry *ggmlEntry(uint32_t number) {
  for (const GgmlTypeEntry &entry : kGgmlTypes)
    if (static_cast<uint32_t>(entry.type) == number)
      return &entry;
  return nullptr;
}

constexpr const char *kValueTypeNames[] = {
    "U8",   "I8",     "U16",   "I16", "U32", "I32", "F32",
    "BOOL", "STRING", "ARRAY", "U64", "I64", "F64",
};
constexpr uint32_t kNumValueTypes = 13;

/// Bytes of one scalar of `type`; 0 for STRING and ARRAY.
uint64_t scalarSize(GgufValueType type) {
  switch (type) {
  case GgufValueType::kU8:
  case GgufValueType::kI8:
  case GgufValueType::kBool:
    return 1;
  case GgufValueType::kU16:
  case GgufValueType::kI16:
    return 2;
  case GgufValueType::kU32:
  case GgufValueType::kI32:
  case GgufValueType::kF32:
    return 4;
  case GgufValueType::kU64:
  case GgufValueType::kI64:
  case GgufValueType::kF64:
    return 8;
  case GgufValueType::kString:
  case GgufValueType::kArray:
    return 0;
  }
  return 0;
}

bool isUnsignedInt(GgufValueType t) {
  return t == GgufValueType::kU8 || t == GgufValueType::kU16 ||
         t == GgufValueType::kU32 || t == GgufValueType::kU64;
}
bool isSignedInt(GgufValueType t) {
  return t == GgufValueType::kI8 || t == GgufValueType::kI16 ||
         t == GgufValueType::kI32 || t == GgufValueType::kI64;
}
bool isFloat(GgufValueType t) {
  return t == GgufValueType::kF32 || t == GgufValueType::kF64;
}

uint64_t loadLE(const uint8_t *p, unsigned bytes) {
  uint64_t value = 0;
  for (unsigned i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(p[i]) << (8 * i);
  return value;
}

int64_t signExtend(uint64_t value, unsigned bytes) {
  if (bytes >= 8)
    return static_cast<int64_t>(value);
  unsigned shift = 64 - 8 * bytes;
  return static_cast<int64_t>(value << shift) >> shift;
}

double loadFloat(const uint8_t *p, GgufValueType type) {
  if (type == GgufValueType::kF32) {
    uint32_t bits = static_cast<uint32_t>(loadLE(p, 4));
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  uint64_t bits = loadLE(p, 8);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

/// Reads one scalar of `type` at `p` into `value` (widened).
void decodeScalar(const uint8_t *p, GgufValueType type, GgufValue &value) {
  unsigned size = static_cast<unsigned>(scalarSize(type));
  if (isFloat(type))
    value.f = loadFloat(p, type);
  else if (isSignedInt(type))
    value.i = signExtend(loadLE(p, size), size);
  else
    value.u = loadLE(p, size);
}

Status dataLoss(const std::string &path, const std::string &what) {
  return Status(StatusCode::kDataLoss,
                escapeForMessage(path) + ": " + escapeForMessage(what));
}

std::string typeText(const GgufValue &value) {
  std::string text = ggufValueTypeName(value.type);
  if (value.type == GgufValueType::kArray)
    text += std::string("[") + ggufValueTypeName(value.elementType) + "]";
  return text;
}

std::string formatNe(const std::vector<int64_t> &ne) {
  std::string text = "[";
  for (size_t i = 0; i < ne.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(ne[i]);
  }
  return text + "]";
}

/// Printable form of a name read from a file: at most 80 bytes, with
/// control and non-ASCII bytes escaped, so an error stays one short line.
std::string printable(const std::string &name) {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (size_t i = 0; i < name.size() && i < 80; ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      text += static_cast<char>(c);
    } else {
      text += "\\x";
      text += kHex[c >> 4];
      text += kHex[c & 15];
    }
  }
  if (name.size() > 80)
    text += "...";
  return text;
}

/// A bounds-checked cursor over the mapped file.
class Cursor {
public:
  Cursor(const std::string &path, const uint8_t *data, uint64_t size)
      : path_(path), data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  const uint8_t *here() const { return data_ + pos_; }

  /// `what` names the field for the truncation error.
  Status need(uint64_t bytes, const std::string &what) const {
    if (bytes > remaining())
      return dataLoss(path_, "truncated at byte " + std::to_string(pos_) +
                                 " reading " + what + ": needs " +
                                 std::to_string(bytes) + " bytes, " +
                                 std::to_string(remaining()) + " left");
    return Status::ok();
  }
  Status u32(uint32_t &out, const std::string &what) {
    Status status = need(4, what);
    if (!status.isOk())
      return status;
    out = static_cast<uint32_t>(loadLE(here(), 4));
    pos_ += 4;
    return Status::ok();
  }
  Status u64(uint64_t &out, const std::string &what) {
    Status status = need(8, what);
    if (!status.isOk())
      return status;
    out = loadLE(here(), 8);
    pos_ += 8;
    return Status::ok();
  }
  /// A u64 length and that many bytes; the length is checked against the
  /// bytes left before the string is built.
  Status string(std::string &out, const std::string &what) {
    uint64_t length = 0;
    Status status = u64(length, "the length of " + what);
    if (!status.isOk())
      return status;
    if (length > remaining())
      return dataLoss(path_, what + " has length " + std::to_string(length) +
                                 " at byte " + std::to_string(pos_ - 8) +
                                 ", but only " + std::to_string(remaining()) +
                                 " bytes remain in the file");
    out.assign(reinterpret_cast<const char *>(here()),
               static_cast<size_t>(length));
    pos_ += length;
    return Status::ok();
  }
  void skip(uint64_t bytes) { pos_ += bytes; }

private:
  const std::string &path_;
  const uint8_t *data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Smallest encodings, which bound how many entries the remaining bytes can
// hold: a KV is an 8-byte key length, a 4-byte type and a 1-byte value; a
// tensor info is name length, n_dims, one dimension, type and offset.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;
constexpr uint32_t kMaxDims = limits::kMaxGgufDims;

/// What to reserve for `count` entries: a count that passed the bytes-left
/// check is still only an upper bound (and an entry in memory is larger
/// than its smallest encoding), so vectors grow past this as entries are
/// actually parsed.
size_t reserveFor(uint64_t count) {
  return static_cast<size_t>(std::min<uint64_t>(count, 4096));
}

uint32_t byteSwap32(uint32_t v) {
  return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

} // namespace

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

const char *ggmlTypeName(GgmlType type) {
  const GgmlTypeEntry *entry = ggmlEntry(static_cast<uint32_t>(type));
  return entry ? entry->name : "?";
}

int64_t ggmlBlockSize(GgmlType type) {
  const GgmlTypeEntry *entry = ggmlEntry(static_cast<uint32_t>(type));
  return entry ? entry->blockSize : 0;
}

int64_t ggmlBlockBytes(GgmlType type) {
  const GgmlTypeEntry *entry = ggmlEntry(static_cast<uint32_t>(type));
  return entry ? entry->blockBytes : 0;
}

bool ggmlCanDequantize(GgmlType type) {
  const GgmlTypeEntry *entry = ggmlEntry(static_cast<uint32_t>(type));
  return entry && entry->dequantizable;
}

const char *ggufValueTypeName(GgufValueType type) {
  uint32_t number = static_cast<uint32_t>(type);
  return number < kNumValueTypes ? kValueTypeNames[number] : "?";
}

int64_t GgufTensorInfo::numElements() const {
  int64_t count = 1;
  for (int64_t dim : ne)
    count *= dim;
  return count;
}

int64_t GgufTensorInfo::numRows() const {
  int64_t rows = 1;
  for (size_t i = 1; i < ne.size(); ++i)
    rows *= ne[i];
  return rows;
}

uint64_t GgufTensorInfo::rowBytes() const {
  int64_t blockSize = ggmlBlockSize(type);
  if (blockSize <= 0)
    return 0;
  return static_cast<uint64_t>(rowLength() / blockSize) *
         static_cast<uint64_t>(ggmlBlockBytes(type));
}

//===----------------------------------------------------------------------===//
// GgufFile
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<GgufFile>> GgufFile::open(const std::string &path) {
  StatusOr<MappedFile> mapped = MappedFile::open(path);
  if (!mapped.isOk())
    return mapped.status();
  std::unique_ptr<GgufFile> file(new GgufFile(std::move(mapped).value()));
  Status status = file->parse();
  if (!status.isOk())
    return status;
  return file;
}

Status GgufFile::parse() {
  const std::string &path = file_.path();
  const uint64_t fileSize = file_.size();
  Cursor cur(path, file_.data(), fileSize);

  // Header.
  if (fileSize < 4)
    return dataLoss(path, "truncated: " + std::to_string(fileSize) +
                              " bytes, expected at least 4 (the GGUF magic)");
  if (std::memcmp(file_.data(), "FUGG", 4) == 0)
    return Status(StatusCode::kUnimplemented,
                  path + ": magic is 'FUGG': a big-endian (byte-swapped) "
                         "GGUF file; only little-endian GGUF is supported");
  // PowerInfer writes its sparse models as GGUF v3 with the magic "PWRI".
  powerInfer_ = std::memcmp(file_.data(), "PWRI", 4) == 0;
  if (std::memcmp(file_.data(), "GGUF", 4) != 0 && !powerInfer_)
    return dataLoss(path,
                    "not a GGUF file: expected magic 'GGUF', found '" +
                        printable(std::string(
                            reinterpret_cast<const char *>(file_.data()), 4)) +
                        "'");
  cur.skip(4);
  Status status = cur.u32(version_, "the version");
  if (!status.isOk())
    return status;
  if ((version_ & 0xffff) == 0 && version_ != 0) {
    uint32_t swapped = byteSwap32(version_);
    return Status(StatusCode::kUnimplemented,
                  path + ": version field reads " + std::to_string(version_) +
                      " (" + std::to_string(swapped) +
                      " byte-swapped): a big-endian GGUF file; only "
                      "little-endian GGUF is supported");
  }
  if (version_ == 1)
    return Status(StatusCode::kUnimplemented,
                  path + ": GGUF version 1 is not supported (expected version "
                         "2 or 3; convert the file with a current llama.cpp)");
  if (version_ != 2 && version_ != 3)
    return Status(StatusCode::kUnimplemented,
                  path + ": unsupported GGUF version " +
                      std::to_string(version_) + " (expected 2 or 3)");

  uint64_t tensorCount = 0, kvCount = 0;
  if (!(status = cur.u64(tensorCount, "the tensor count")).isOk())
    return status;
  if (!(status = cur.u64(kvCount, "the metadata key/value count")).isOk())
    return status;
  if (kvCount > cur.remaining() / kMinKvBytes)
    return dataLoss(path, "metadata key/value count " +
                              std::to_string(kvCount) + " cannot fit in the " +
                              std::to_string(cur.remaining()) +
                              " bytes after the header (at least " +
                              std::to_string(kMinKvBytes) + " bytes each)");
  if (tensorCount > cur.remaining() / kMinTensorInfoBytes)
    return dataLoss(
        path, "tensor count " + std::to_string(tensorCount) +
                  " cannot fit in the " + std::to_string(cur.remaining()) +
                  " bytes after the header (at least " +
                  std::to_string(kMinTensorInfoBytes) + " bytes each)");

  // Metadata.
  metadata_.reserve(reserveFor(kvCount));
  for (uint64_t k = 0; k < kvCount; ++k) {
    std::string key;
    if (!(status = cur.string(key, "metadata key #" + std::to_string(k)))
             .isOk())
      return status;
    if (key.empty())
      return dataLoss(path, "metadata key #" + std::to_string(k) +
                                " is empty, expected a non-empty key");
    const std::string where = "key '" + printable(key) + "'";
    if (keyIndex_.count(key))
      return dataLoss(path, "duplicate metadata " + where);

    uint32_t typeNumber = 0;
    if (!(status = cur.u32(typeNumber, "the value type of " + where)).isOk())
      return status;
    if (typeNumber >= kNumValueTypes)
      return dataLoss(path, where + " has unknown value type " +
                                std::to_string(typeNumber) +
                                " (expected 0 to 12)");
    GgufValue value;
    value.type = static_cast<GgufValueType>(typeNumber);
    if (value.type == GgufValueType::kString) {
      if (!(status = cur.string(value.s, "the string value of " + where))
               .isOk())
        return status;
    } else if (value.type == GgufValueType::kArray) {
      uint32_t elementNumber = 0;
      if (!(status = cur.u32(elementNumber, "the element type of " + where))
               .isOk())
        return status;
      if (elementNumber >= kNumValueTypes)
        return dataLoss(path, where + " is an array of unknown value type " +
                                  std::to_string(elementNumber) +
                                  " (expected 0 to 12)");
      value.elementType = static_cast<GgufValueType>(elementNumber);
      if (value.elementType == GgufValueType::kArray)
        return dataLoss(path, where + " is an array of arrays, which GGUF "
                                      "readers do not support");
      if (!(status = cur.u64(value.count, "the element count of " + where))
               .isOk())
        return status;
      if (value.elementType == GgufValueType::kString) {
        // Each string is at least its 8-byte length.
        if (value.count > cur.remaining() / 8)
          return dataLoss(path, where + " claims " +
                                    std::to_string(value.count) +
                                    " strings, but only " +
                                    std::to_string(cur.remaining()) +
                                    " bytes remain in the file");
        value.strings.reserve(reserveFor(value.count));
        for (uint64_t e = 0; e < value.count; ++e) {
          std::string element;
          if (!(status = cur.string(element, "element " + std::to_string(e) +
                                                 " of " + where))
                   .isOk())
            return status;
          value.strings.push_back(std::move(element));
        }
      } else {
        uint64_t size = scalarSize(value.elementType);
        if (value.count > cur.remaining() / size)
          return dataLoss(path, where + " claims " +
                                    std::to_string(value.count) + " " +
                                    ggufValueTypeName(value.elementType) +
                                    " elements, but only " +
                                    std::to_string(cur.remaining()) +
                                    " bytes remain in the file");
        value.elements = cur.here();
        if (value.elementType == GgufValueType::kBool)
          for (uint64_t e = 0; e < value.count; ++e)
            if (value.elements[e] > 1)
              return dataLoss(path, "element " + std::to_string(e) + " of " +
                                        where + " is " +
                                        std::to_string(value.elements[e]) +
                                        ", expected a BOOL (0 or 1)");
        cur.skip(value.count * size);
      }
    } else {
      uint64_t size = scalarSize(value.type);
      if (!(status = cur.need(size, "the value of " + where)).isOk())
        return status;
      decodeScalar(cur.here(), value.type, value);
      if (value.type == GgufValueType::kBool && value.u > 1)
        return dataLoss(path, where + " holds " + std::to_string(value.u) +
                                  ", expected a BOOL (0 or 1)");
      cur.skip(size);
    }
    keyIndex_.emplace(key, metadata_.size());
    metadata_.emplace_back(std::move(key), std::move(value));
  }

  // general.alignment: a U32 power of two (the spec's type), default 32.
  if (const GgufValue *align = find("general.alignment")) {
    if (align->type != GgufValueType::kU32)
      return dataLoss(path, "key 'general.alignment' is " + typeText(*align) +
                                ", expected U32");
    if (align->u == 0 || (align->u & (align->u - 1)) != 0)
      return dataLoss(path, "key 'general.alignment' is " +
                                std::to_string(align->u) +
                                ", expected a non-zero power of two");
    alignment_ = align->u;
  }

  // Tensor infos.
  if (tensorCount > cur.remaining() / kMinTensorInfoBytes)
    return dataLoss(
        path, "tensor count " + std::to_string(tensorCount) +
                  " cannot fit in the " + std::to_string(cur.remaining()) +
                  " bytes after the metadata (at least " +
                  std::to_string(kMinTensorInfoBytes) + " bytes each)");
  tensors_.reserve(reserveFor(tensorCount));
  std::vector<uint64_t> relativeOffsets;
  relativeOffsets.reserve(reserveFor(tensorCount));
  for (uint64_t t = 0; t < tensorCount; ++t) {
    GgufTensorInfo info;
    if (!(status =
              cur.string(info.name, "the name of tensor #" + std::to_string(t)))
             .isOk())
      return status;
    if (info.name.empty())
      return dataLoss(path, "tensor #" + std::to_string(t) +
                                " has an empty name, expected a non-empty "
                                "name");
    const std::string where = "tensor '" + printable(info.name) + "'";
    if (tensorIndex_.count(info.name))
      return dataLoss(path, "duplicate " + where);

    uint32_t nDims = 0;
    if (!(status = cur.u32(nDims, "the dimension count of " + where)).isOk())
      return status;
    if (nDims == 0 || nDims > kMaxDims)
      return dataLoss(path, where + " has " + std::to_string(nDims) +
                                " dimensions, expected 1 to " +
                                std::to_string(kMaxDims));
    uint64_t elements = 1;
    for (uint32_t d = 0; d < nDims; ++d) {
      uint64_t dim = 0;
      if (!(status =
                cur.u64(dim, "dimension " + std::to_string(d) + " of " + where))
               .isOk())
        return status;
      if (dim == 0 || dim > static_cast<uint64_t>(INT64_MAX))
        return dataLoss(path, where + " dimension " + std::to_string(d) +
                                  " is " +
                                  std::to_string(static_cast<int64_t>(dim)) +
                                  ", expected a positive size");
      info.ne.push_back(static_cast<int64_t>(dim));
      if (__builtin_mul_overflow(elements, dim, &elements) ||
          elements > static_cast<uint64_t>(INT64_MAX))
        return dataLoss(path, where + " dimensions " + formatNe(info.ne) +
                                  " overflow a 64-bit element count");
    }
    uint32_t typeNumber = 0;
    if (!(status = cur.u32(typeNumber, "the type of " + where)).isOk())
      return status;
    const GgmlTypeEntry *type = ggmlEntry(typeNumber);
    if (!type)
      return Status(StatusCode::kUnimplemented,
                    escapeForMessage(path) + ": " + escapeForMessage(where) +
                        " has unsupported ggml type " +
                        std::to_string(typeNumber) +
                        " (unknown, or not one of F32, F16, BF16, F64, "
                        "I8..I64, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, "
                        "Q2_K..Q8_K)");
    info.type = type->type;
    if (info.ne[0] % type->blockSize != 0)
      return dataLoss(
          path, where + " row length ne[0]=" + std::to_string(info.ne[0]) +
                    " is not a multiple of the " + type->name + " block size " +
                    std::to_string(type->blockSize));
    // elements / blockSize blocks; the product cannot exceed the element
    // count times 292 (the largest block), but check anyway.
    uint64_t blocks = elements / static_cast<uint64_t>(type->blockSize);
    if (__builtin_mul_overflow(blocks, static_cast<uint64_t>(type->blockBytes),
                               &info.nbytes))
      return dataLoss(path, where + " of type " + type->name + " and shape " +
                                formatNe(info.ne) + " is too large");
    uint64_t offset = 0;
    if (!(status = cur.u64(offset, "the data offset of " + where)).isOk())
      return status;
    if (offset % alignment_ != 0)
      return dataLoss(path, where + " data offset " + std::to_string(offset) +
                                " is not a multiple of the alignment " +
                                std::to_string(alignment_));
    info.shape.assign(info.ne.rbegin(), info.ne.rend());
    tensorIndex_.emplace(info.name, tensors_.size());
    tensors_.push_back(std::move(info));
    relativeOffsets.push_back(offset);
  }

  // The data section starts at the next multiple of the alignment.
  uint64_t headerEnd = cur.pos();
  uint64_t padded = 0;
  if (__builtin_add_overflow(headerEnd, alignment_ - 1, &padded))
    return dataLoss(path, "alignment " + std::to_string(alignment_) +
                              " overflows the data offset");
  dataOffset_ = padded - padded % alignment_;
  // A file without tensors may end before the padding: its (empty) data
  // section then starts at the end, so dataOffset() <= fileSize() always.
  if (dataOffset_ > fileSize && tensors_.empty())
    dataOffset_ = fileSize;
  const uint64_t dataSize =
      dataOffset_ <= fileSize ? fileSize - dataOffset_ : 0;

  for (size_t t = 0; t < tensors_.size(); ++t) {
    GgufTensorInfo &info = tensors_[t];
    uint64_t begin = relativeOffsets[t];
    if (dataOffset_ > fileSize || begin > dataSize ||
        info.nbytes > dataSize - begin)
      return dataLoss(path, "tensor '" + printable(info.name) + "' data [" +
                                std::to_string(begin) + ", +" +
                                std::to_string(info.nbytes) +
                                ") runs past the end of the data section (" +
                                std::to_string(dataSize) +
                                " bytes from file offset " +
                                std::to_string(dataOffset_) + ")");
    info.fileOffset = dataOffset_ + begin;
    info.data = file_.data() + info.fileOffset;
  }

  // No two tensors may share bytes.
  std::vector<const GgufTensorInfo *> byOffset;
  byOffset.reserve(tensors_.size());
  for (const GgufTensorInfo &info : tensors_)
    byOffset.push_back(&info);
  std::stable_sort(byOffset.begin(), byOffset.end(),
                   [](const GgufTensorInfo *a, const GgufTensorInfo *b) {
                     return a->fileOffset < b->fileOffset;
                   });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const GgufTensorInfo *prev = byOffset[i - 1];
    if (byOffset[i]->fileOffset < prev->fileOffset + prev->nbytes)
      return dataLoss(path, "tensors '" + printable(prev->name) + "' and '" +
                                printable(byOffset[i]->name) +
                                "' overlap in the data section");
  }
  return Status::ok();
}

const GgufValue *GgufFile::find(const std::string &key) const {
  auto it = keyIndex_.find(key);
  return it == keyIndex_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo *GgufFile::findTensor(const std::string &name) const {
  auto it = tensorIndex_.find(name);
  return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

//===----------------------------------------------------------------------===//
// Typed accessors
//===----------------------------------------------------------------------===//

namespace {

Status wrongType(const std::string &path, const std::string &key,
                 const GgufValue &value, const std::string &expected) {
  return dataLoss(path, "key '" + printable(key) + "' is " + typeText(value) +
                            ", expected " + expected);
}

/// An integer of any width as int64, or false when it does not fit.
bool integerValue(GgufValueType type, uint64_t u, int64_t i, int64_t &out) {
  if (isSignedInt(type)) {
    out = i;
    return true;
  }
  if (u > static_cast<uint64_t>(INT64_MAX))
    return false;
  out = static_cast<int64_t>(u);
  return true;
}

} // namespace

StatusOr<std::optional<std::string>>
GgufFile::getString(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<std::string>();
  if (value->type != GgufValueType::kString)
    return wrongType(path(), key, *value, "STRING");
  return std::optional<std::string>(value->s);
}

StatusOr<std::optional<int64_t>>
GgufFile::getInt(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<int64_t>();
  if (!isSignedInt(value->type) && !isUnsignedInt(value->type))
    return wrongType(path(), key, *value, "an integer");
  int64_t result = 0;
  if (!integerValue(value->type, value->u, value->i, result))
    return dataLoss(path(), "key '" + printable(key) + "' is " +
                                std::to_string(value->u) +
                                ", which does not fit in a signed 64-bit "
                                "integer");
  return std::optional<int64_t>(result);
}

StatusOr<std::optional<double>>
GgufFile::getFloat(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<double>();
  if (!isFloat(value->type))
    return wrongType(path(), key, *value, "F32 or F64");
  return std::optional<double>(value->f);
}

StatusOr<std::optional<bool>> GgufFile::getBool(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<bool>();
  if (value->type != GgufValueType::kBool)
    return wrongType(path(), key, *value, "BOOL");
  return std::optional<bool>(value->u != 0);
}

StatusOr<std::optional<std::vector<std::string>>>
GgufFile::getStringArray(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<std::vector<std::string>>();
  if (value->type != GgufValueType::kArray ||
      value->elementType != GgufValueType::kString)
    return wrongType(path(), key, *value, "ARRAY[STRING]");
  return std::optional<std::vector<std::string>>(value->strings);
}

StatusOr<std::optional<std::vector<int64_t>>>
GgufFile::getIntArray(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<std::vector<int64_t>>();
  if (value->type != GgufValueType::kArray ||
      (!isSignedInt(value->elementType) && !isUnsignedInt(value->elementType)))
    return wrongType(path(), key, *value, "an array of integers");
  unsigned size = static_cast<unsigned>(scalarSize(value->elementType));
  std::vector<int64_t> result;
  result.reserve(static_cast<size_t>(value->count));
  for (uint64_t e = 0; e < value->count; ++e) {
    GgufValue element;
    decodeScalar(value->elements + e * size, value->elementType, element);
    int64_t v = 0;
    if (!integerValue(value->elementType, element.u, element.i, v))
      return dataLoss(path(), "element " + std::to_string(e) + " of key '" +
                                  printable(key) + "' is " +
                                  std::to_string(element.u) +
                                  ", which does not fit in a signed 64-bit "
                                  "integer");
    result.push_back(v);
  }
  return std::optional<std::vector<int64_t>>(std::move(result));
}

StatusOr<std::optional<std::vector<float>>>
GgufFile::getFloatArray(const std::string &key) const {
  const GgufValue *value = find(key);
  if (!value)
    return std::optional<std::vector<float>>();
  if (value->type != GgufValueType::kArray || !isFloat(value->elementType))
    return wrongType(path(), key, *value, "an array of F32 or F64");
  unsigned size = static_cast<unsigned>(scalarSize(value->elementType));
  std::vector<float> result;
  result.reserve(static_cast<size_t>(value->count));
  for (uint64_t e = 0; e < value->count; ++e)
    result.push_back(static_cast<float>(
        loadFloat(value->elements + e * size, value->elementType)));
  return std::optional<std::vector<float>>(std::move(result));
}

} // namespace sparsec

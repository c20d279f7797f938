//===- safetensors.cpp - zero-copy safetensors reader -----------*- C++ -*-===//
//
// Layout: 8-byte little-endian header length N, N bytes of JSON, then the
// data. The JSON maps tensor names to {"dtype", "shape", "data_offsets":
// [begin, end)} relative to the start of the data, plus an optional
// "__metadata__" object of strings.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/safetensors.h"

#include "sparsec/formats/json.h"
#include "sparsec/formats/limits.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <sys/stat.h>

namespace sparsec {

using nlohmann::json;

namespace {

struct DTypeEntry {
  const char *name;
  DType dtype;
  size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {"F64", DType::kF64, 8},        {"F32", DType::kF32, 4},
    {"F16", DType::kF16, 2},        {"BF16", DType::kBF16, 2},
    {"I64", DType::kI64, 8},        {"I32", DType::kI32, 4},
    {"I16", DType::kI16, 2},        {"I8", DType::kI8, 1},
    {"U8", DType::kU8, 1},          {"BOOL", DType::kBool, 1},
    {"F8_E4M3", DType::kF8E4M3, 1}, {"F8_E5M2", DType::kF8E5M2, 1},
};

Status dataLoss(const std::string &path, const std::string &what) {
  return Status(StatusCode::kDataLoss, escapeForMessage(path) + ": " + what);
}

/// A name read from a file, quoted for a message.
std::string quote(const std::string &name) {
  return "'" + escapeForMessage(name) + "'";
}

bool isNonNegativeInteger(const json &value) {
  return value.is_number_unsigned() ||
         (value.is_number_integer() && value.get<int64_t>() >= 0);
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string joinPath(const std::string &dir, const std::string &name) {
  if (dir.empty() || dir.back() == '/')
    return dir + name;
  return dir + "/" + name;
}

std::string dirName(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

const char *dtypeName(DType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry.name;
  return "?";
}

std::optional<DType> dtypeFromName(const std::string &name) {
  for (const DTypeEntry &entry : kDTypes)
    if (name == entry.name)
      return entry.dtype;
  return std::nullopt;
}

size_t dtypeSize(DType dtype) {
  for (const DTypeEntry &entry : kDTypes)
    if (entry.dtype == dtype)
      return entry.size;
  return 0;
}

bool isComputeDType(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

int64_t TensorInfo::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += "x";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(const std::string &path) {
  StatusOr<MappedFile> mapped = MappedFile::open(path);
  if (!mapped.isOk())
    return mapped.status();
  std::unique_ptr<SafetensorsFile> file(
      new SafetensorsFile(std::move(mapped).value()));
  file->file_.setTruncationNote(
      "the weights file was truncated or changed while it was in use");
  Status status = file->parse();
  if (!status.isOk())
    return status;
  return file;
}

Status SafetensorsFile::parse() {
  const std::string &path = file_.path();
  const uint64_t fileSize = file_.size();
  if (fileSize < 8)
    return dataLoss(path, "truncated: " + std::to_string(fileSize) +
                              " bytes, expected at least 8 (header length)");
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | file_.data()[i];
  if (headerLen > fileSize - 8)
    return dataLoss(path, "header length " + std::to_string(headerLen) +
                              " exceeds the " + std::to_string(fileSize - 8) +
                              " bytes after the length field");
  if (headerLen > limits::kMaxSafetensorsHeaderBytes)
    return dataLoss(path,
                    "header length " + std::to_string(headerLen) +
                        " exceeds the limit of " +
                        std::to_string(limits::kMaxSafetensorsHeaderBytes) +
                        " bytes (100 MiB)");

  const char *headerBegin = reinterpret_cast<const char *>(file_.data() + 8);
  // The format forbids repeated tensor names; nlohmann would keep the last.
  json header;
  JsonParseOptions options;
  options.rejectDuplicateKeys = true;
  options.topLevelKeyNoun = "tensor";
  options.topLevelWhere = "in the header";
  if (Status status = parseJson(std::string_view(headerBegin, headerLen), path,
                                header, options);
      !status.isOk())
    return status;
  if (header.is_discarded())
    return dataLoss(path, "header is not valid JSON");
  if (!header.is_object())
    return dataLoss(path, "header is not a JSON object");

  dataOffset_ = 8 + headerLen;
  const uint8_t *dataBase = file_.data() + 8 + headerLen;
  const uint64_t dataSize = fileSize - 8 - headerLen;

  for (const auto &item : header.items()) {
    const std::string &name = item.key();
    const json &entry = item.value();
    if (name == "__metadata__") {
      if (!entry.is_object())
        return dataLoss(path, "__metadata__ is not a JSON object");
      for (const auto &meta : entry.items()) {
        if (!meta.value().is_string())
          return dataLoss(path, "__metadata__ key " + quote(meta.key()) +
                                    " is not a string");
        metadata_[meta.key()] = meta.value().get<std::string>();
      }
      continue;
    }
    std::string where = "tensor " + quote(name) + ": ";
    if (!entry.is_object())
      return dataLoss(path, where + "entry is not a JSON object");

    auto dtypeIt = entry.find("dtype");
    if (dtypeIt == entry.end() || !dtypeIt->is_string())
      return dataLoss(path, where + "missing string field 'dtype'");
    const std::string dtypeText = dtypeIt->get<std::string>();
    const DTypeEntry *dtype = nullptr;
    for (const DTypeEntry &candidate : kDTypes)
      if (dtypeText == candidate.name)
        dtype = &candidate;
    if (!dtype)
      return Status(StatusCode::kUnimplemented,
                    escapeForMessage(path) + ": " + where +
                        "unsupported dtype " + quote(dtypeText) +
                        " (expected one of F32, F16, BF16, or another "
                        "safetensors dtype)");

    auto shapeIt = entry.find("shape");
    if (shapeIt == entry.end() || !shapeIt->is_array())
      return dataLoss(path, where + "missing array field 'shape'");
    std::vector<int64_t> shape;
    uint64_t elements = 1;
    bool overflow = false;
    for (const json &dim : *shapeIt) {
      if (!isNonNegativeInteger(dim))
        return dataLoss(path, where + "shape holds a value that is not a "
                                      "non-negative integer");
      uint64_t size = dim.get<uint64_t>();
      if (size > static_cast<uint64_t>(INT64_MAX))
        overflow = true;
      shape.push_back(static_cast<int64_t>(size));
      overflow |= __builtin_mul_overflow(elements, size, &elements);
    }
    uint64_t expectedBytes = 0;
    overflow |= __builtin_mul_overflow(elements, dtype->size, &expectedBytes);
    if (overflow)
      return dataLoss(path,
                      where + "shape " + formatShape(shape) + " is too large");

    auto offsetsIt = entry.find("data_offsets");
    if (offsetsIt == entry.end() || !offsetsIt->is_array() ||
        offsetsIt->size() != 2 || !isNonNegativeInteger((*offsetsIt)[0]) ||
        !isNonNegativeInteger((*offsetsIt)[1]))
      return dataLoss(path, where + "'data_offsets' is not a pair of "
                                    "non-negative integers");
    uint64_t begin = (*offsetsIt)[0].get<uint64_t>();
    uint64_t end = (*offsetsIt)[1].get<uint64_t>();
    if (begin > end)
      return dataLoss(path, where + "data_offsets [" + std::to_string(begin) +
                                ", " + std::to_string(end) +
                                ") end before they begin");
    if (end > dataSize)
      return dataLoss(path, where + "data_offsets [" + std::to_string(begin) +
                                ", " + std::to_string(end) +
                                ") run past the end of the data (" +
                                std::to_string(dataSize) + " bytes)");
    if (end - begin != expectedBytes)
      return dataLoss(path, where + "data_offsets span " +
                                std::to_string(end - begin) +
                                " bytes, but dtype " + dtype->name +
                                " x shape " + formatShape(shape) + " is " +
                                std::to_string(expectedBytes) + " bytes");

    TensorInfo info;
    info.name = name;
    info.dtype = dtype->dtype;
    info.shape = std::move(shape);
    info.data = dataBase + begin;
    info.nbytes = expectedBytes;
    info.fileOffset = 8 + headerLen + begin;
    info.file = &file_.path();
    tensors_.push_back(std::move(info));
  }

  // No two tensors may share bytes (zero-sized tensors share nothing).
  std::vector<const TensorInfo *> byOffset;
  for (const TensorInfo &info : tensors_)
    if (info.nbytes > 0)
      byOffset.push_back(&info);
  std::sort(byOffset.begin(), byOffset.end(),
            [](const TensorInfo *a, const TensorInfo *b) {
              return a->fileOffset < b->fileOffset;
            });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    const TensorInfo *prev = byOffset[i - 1];
    if (byOffset[i]->fileOffset < prev->fileOffset + prev->nbytes)
      return dataLoss(path, "tensors " + quote(prev->name) + " and " +
                                quote(byOffset[i]->name) + " overlap");
  }

  for (size_t i = 0; i < tensors_.size(); ++i)
    byName_[tensors_[i].name] = i;
  return Status::ok();
}

const TensorInfo *SafetensorsFile::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : &tensors_[it->second];
}

//===----------------------------------------------------------------------===//
// Checkpoint
//===----------------------------------------------------------------------===//

StatusOr<std::unique_ptr<Checkpoint>>
Checkpoint::openDirectory(const std::string &dir) {
  std::string index = joinPath(dir, "model.safetensors.index.json");
  if (fileExists(index))
    return openIndex(index);
  std::string single = joinPath(dir, "model.safetensors");
  if (fileExists(single))
    return openFile(single);
  return Status(StatusCode::kNotFound,
                escapeForMessage(dir) +
                    ": no model.safetensors or "
                    "model.safetensors.index.json in this directory");
}

StatusOr<std::unique_ptr<Checkpoint>>
Checkpoint::openFile(const std::string &path) {
  StatusOr<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  if (!file.isOk())
    return file.status();
  auto checkpoint = std::make_unique<Checkpoint>();
  checkpoint->origin_ = path;
  for (const TensorInfo &info : (*file)->tensors())
    checkpoint->byName_[info.name] = &info;
  checkpoint->files_.push_back(std::move(file).value());
  return checkpoint;
}

StatusOr<std::unique_ptr<Checkpoint>>
Checkpoint::openIndex(const std::string &indexPath) {
  StatusOr<MappedFile> mapped = MappedFile::open(indexPath);
  if (!mapped.isOk())
    return mapped.status();
  const char *text = reinterpret_cast<const char *>(mapped->data());
  // A weight_map that names a tensor twice would silently keep the last.
  json index;
  JsonParseOptions options;
  options.rejectDuplicateKeys = true;
  if (Status status =
          parseJson(std::string_view(text ? text : "", mapped->size()),
                    indexPath, index, options);
      !status.isOk())
    return status;
  if (index.is_discarded() || !index.is_object())
    return dataLoss(indexPath, "not a JSON object");
  auto mapIt = index.find("weight_map");
  if (mapIt == index.end() || !mapIt->is_object())
    return dataLoss(indexPath, "missing object field 'weight_map'");

  auto checkpoint = std::make_unique<Checkpoint>();
  checkpoint->origin_ = indexPath;
  std::string dir = dirName(indexPath);
  std::map<std::string, SafetensorsFile *> shards;
  for (const auto &item : mapIt->items()) {
    const std::string &name = item.key();
    const std::string entry = "weight_map[" + quote(name) + "]";
    if (!item.value().is_string())
      return dataLoss(indexPath, entry + " is not a string");
    const std::string shardName = item.value().get<std::string>();
    // Shards live next to the index: refuse paths that would leave it.
    if (shardName.empty() || shardName.find('/') != std::string::npos ||
        shardName == "." || shardName == "..")
      return dataLoss(indexPath, entry + " names shard " + quote(shardName) +
                                     ", expected a file name in the "
                                     "index's directory");
    auto shardIt = shards.find(shardName);
    if (shardIt == shards.end()) {
      std::string shardPath = joinPath(dir, shardName);
      if (!fileExists(shardPath))
        return Status(StatusCode::kNotFound,
                      escapeForMessage(indexPath) + ": " + entry +
                          " names shard " + quote(shardName) +
                          ", which does not exist");
      StatusOr<std::unique_ptr<SafetensorsFile>> shard =
          SafetensorsFile::open(shardPath);
      if (!shard.isOk())
        return shard.status();
      shardIt = shards.emplace(shardName, shard->get()).first;
      checkpoint->files_.push_back(std::move(shard).value());
    }
    const TensorInfo *info = shardIt->second->find(name);
    if (!info)
      return dataLoss(indexPath, "weight_map maps " + quote(name) + " to " +
                                     quote(shardName) +
                                     ", which does not hold it");
    checkpoint->byName_[name] = info;
  }
  return checkpoint;
}

const TensorInfo *Checkpoint::find(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

StatusOr<const TensorInfo *> Checkpoint::get(const std::string &name) const {
  if (const TensorInfo *info = find(name))
    return info;
  return Status(StatusCode::kNotFound, escapeForMessage(origin_) + ": tensor " +
                                           quote(name) + " not found");
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> result;
  result.reserve(byName_.size());
  for (const auto &entry : byName_)
    result.push_back(entry.first);
  std::sort(result.begin(), result.end());
  return result;
}

} // namespace sparsec

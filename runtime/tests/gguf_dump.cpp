//===- gguf_dump.cpp - print a GGUF file through sparsec's reader -*- C++
//-*-===//
//
// A test tool: prints what GgufFile::open() makes of a file, so the Python
// tests can compare it with the gguf package (the reference reader).
//
//   sparsec-gguf-dump FILE                 metadata and tensors, as text
//   sparsec-gguf-dump --json FILE          the same as one JSON object
//   sparsec-gguf-dump FILE --dump NAME OUT [--dump NAME OUT ...]
//       also writes tensor NAME dequantized to little-endian f32 at OUT
//
// Exit status 0 on success; 1 with the reader's one-line error on stderr.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/gguf.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

using namespace sparsec;
using nlohmann::json;

namespace {

int usage() {
  std::fprintf(stderr, "usage: sparsec-gguf-dump [--json] FILE "
                       "[--dump TENSOR OUT.f32]...\n");
  return 2;
}

json scalarJson(GgufValueType type, const GgufValue &value) {
  switch (type) {
  case GgufValueType::kU8:
  case GgufValueType::kU16:
  case GgufValueType::kU32:
  case GgufValueType::kU64:
    return value.u;
  case GgufValueType::kI8:
  case GgufValueType::kI16:
  case GgufValueType::kI32:
  case GgufValueType::kI64:
    return value.i;
  case GgufValueType::kF32:
  case GgufValueType::kF64:
    return value.f;
  case GgufValueType::kBool:
    return value.u != 0;
  case GgufValueType::kString:
    return value.s;
  case GgufValueType::kArray:
    break;
  }
  return nullptr;
}

/// Element `e` of an array of scalars, decoded like a single value.
GgufValue arrayElement(const GgufValue &array, uint64_t e) {
  static const unsigned kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  unsigned size = kSizes[static_cast<uint32_t>(array.elementType)];
  const uint8_t *p = array.elements + e * size;
  uint64_t bits = 0;
  for (unsigned i = 0; i < size; ++i)
    bits |= static_cast<uint64_t>(p[i]) << (8 * i);
  GgufValue value;
  value.type = array.elementType;
  switch (array.elementType) {
  case GgufValueType::kI8:
    value.i = static_cast<int8_t>(bits);
    break;
  case GgufValueType::kI16:
    value.i = static_cast<int16_t>(bits);
    break;
  case GgufValueType::kI32:
    value.i = static_cast<int32_t>(bits);
    break;
  case GgufValueType::kI64:
    value.i = static_cast<int64_t>(bits);
    break;
  case GgufValueType::kF32: {
    uint32_t b32 = static_cast<uint32_t>(bits);
    float f;
    std::memcpy(&f, &b32, 4);
    value.f = f;
    break;
  }
  case GgufValueType::kF64:
    std::memcpy(&value.f, &bits, 8);
    break;
  default:
    value.u = bits;
  }
  return value;
}

json valueJson(const GgufValue &value) {
  if (value.type != GgufValueType::kArray)
    return scalarJson(value.type, value);
  json items = json::array();
  if (value.elementType == GgufValueType::kString) {
    for (const std::string &s : value.strings)
      items.push_back(s);
  } else {
    for (uint64_t e = 0; e < value.count; ++e)
      items.push_back(scalarJson(value.elementType, arrayElement(value, e)));
  }
  return items;
}

std::string typeText(const GgufValue &value) {
  std::string text = ggufValueTypeName(value.type);
  if (value.type == GgufValueType::kArray)
    text += std::string("[") + ggufValueTypeName(value.elementType) + "]";
  return text;
}

std::string dumpJson(const json &j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void printText(const GgufFile &file) {
  std::printf("file: %s\nversion: %u\nalignment: %llu\ndata_offset: %llu\n",
              file.path().c_str(), file.version(),
              static_cast<unsigned long long>(file.alignment()),
              static_cast<unsigned long long>(file.dataOffset()));
  std::printf("metadata: %zu keys\n", file.metadata().size());
  for (const auto &[key, value] : file.metadata()) {
    std::string shown;
    if (value.type == GgufValueType::kArray) {
      json items = json::array();
      json all = valueJson(value);
      for (size_t i = 0; i < all.size() && i < 8; ++i)
        items.push_back(all[i]);
      shown = dumpJson(items);
      if (all.size() > 8)
        shown.insert(shown.size() - 1,
                     ", ... (" + std::to_string(all.size()) + " elements)");
    } else {
      shown = dumpJson(valueJson(value));
      if (shown.size() > 200)
        shown = shown.substr(0, 200) + "... (" +
                std::to_string(value.s.size()) + " bytes)";
    }
    std::printf("  %s: %s = %s\n", key.c_str(), typeText(value).c_str(),
                shown.c_str());
  }
  std::printf("tensors: %zu\n", file.tensors().size());
  for (const GgufTensorInfo &info : file.tensors()) {
    std::string ne;
    for (size_t i = 0; i < info.ne.size(); ++i)
      ne += (i ? ", " : "") + std::to_string(info.ne[i]);
    std::printf("  %s: %s ne=[%s] offset=%llu bytes=%llu\n", info.name.c_str(),
                ggmlTypeName(info.type), ne.c_str(),
                static_cast<unsigned long long>(info.fileOffset),
                static_cast<unsigned long long>(info.nbytes));
  }
}

json fileJson(const GgufFile &file) {
  json out;
  out["version"] = file.version();
  out["alignment"] = file.alignment();
  out["data_offset"] = file.dataOffset();
  json metadata = json::array();
  for (const auto &[key, value] : file.metadata()) {
    json entry;
    entry["key"] = key;
    entry["type"] = ggufValueTypeName(value.type);
    if (value.type == GgufValueType::kArray)
      entry["element_type"] = ggufValueTypeName(value.elementType);
    entry["value"] = valueJson(value);
    metadata.push_back(std::move(entry));
  }
  out["metadata"] = std::move(metadata);
  json tensors = json::array();
  for (const GgufTensorInfo &info : file.tensors()) {
    json entry;
    entry["name"] = info.name;
    entry["type"] = ggmlTypeName(info.type);
    entry["type_id"] = static_cast<uint32_t>(info.type);
    entry["ne"] = info.ne;
    entry["shape"] = info.shape;
    entry["offset"] = info.fileOffset;
    entry["nbytes"] = info.nbytes;
    tensors.push_back(std::move(entry));
  }
  out["tensors"] = std::move(tensors);
  return out;
}

int dumpTensor(const GgufFile &file, const std::string &name,
               const std::string &outPath) {
  const GgufTensorInfo *info = file.findTensor(name);
  if (!info) {
    std::fprintf(stderr, "%s: tensor '%s' not found\n", file.path().c_str(),
                 name.c_str());
    return 1;
  }
  std::vector<float> values(static_cast<size_t>(info->numElements()));
  Status status = dequantizeToF32(info->type, info->data, info->numElements(),
                                  values.data());
  if (!status.isOk()) {
    std::fprintf(stderr, "%s: tensor '%s': %s\n", file.path().c_str(),
                 name.c_str(), status.message().c_str());
    return 1;
  }
  std::FILE *out = std::fopen(outPath.c_str(), "wb");
  if (!out || std::fwrite(values.data(), sizeof(float), values.size(), out) !=
                  values.size()) {
    std::fprintf(stderr, "%s: cannot write\n", outPath.c_str());
    if (out)
      std::fclose(out);
    return 1;
  }
  std::fclose(out);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  bool asJson = false;
  std::string path;
  std::vector<std::pair<std::string, std::string>> dumps;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      asJson = true;
    } else if (arg == "--dump") {
      if (i + 2 >= argc)
        return usage();
      dumps.emplace_back(argv[i + 1], argv[i + 2]);
      i += 2;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage();
    } else if (path.empty()) {
      path = arg;
    } else {
      return usage();
    }
  }
  if (path.empty())
    return usage();

  StatusOr<std::unique_ptr<GgufFile>> file = GgufFile::open(path);
  if (!file.isOk()) {
    std::fprintf(stderr, "%s\n", file.status().message().c_str());
    return 1;
  }
  if (asJson)
    std::printf("%s\n", dumpJson(fileJson(**file)).c_str());
  else
    printText(**file);
  for (const auto &[name, outPath] : dumps)
    if (int rc = dumpTensor(**file, name, outPath))
      return rc;
  return 0;
}

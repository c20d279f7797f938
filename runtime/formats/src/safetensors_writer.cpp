//===- safetensors_writer.cpp - streaming safetensors writer ----*- C++ -*-===//

#include "sparsec/formats/safetensors_writer.h"

#include "sparsec/formats/weights_hash.h"
#include "sparsec/weights_layout.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace sparsec {

void SafetensorsWriter::add(std::string name, DType dtype,
                            std::vector<int64_t> shape, Fill fill) {
  uint64_t nbytes = dtypeSize(dtype);
  for (int64_t dim : shape)
    nbytes *= static_cast<uint64_t>(dim);
  entries_.push_back(
      {std::move(name), dtype, std::move(shape), std::move(fill), nbytes});
}

Status SafetensorsWriter::write(const std::string &path) const {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  // 16 placeholder digits, replaced by the data's hash once it is written.
  const std::string placeholder(16, '0');
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  for (const auto &[key, value] : metadata_)
    meta[key] = value;
  meta[SPARSEC_METADATA_DATA_XXH3] = placeholder;
  header["__metadata__"] = meta;
  uint64_t offset = 0;
  for (const Entry &entry : entries_) {
    header[entry.name] = {{"dtype", dtypeName(entry.dtype)},
                          {"shape", entry.shape},
                          {"data_offsets", {offset, offset + entry.nbytes}}};
    offset += entry.nbytes;
  }
  std::string text = header.dump();
  const std::string hashField =
      std::string("\"") + SPARSEC_METADATA_DATA_XXH3 + "\":\"" + placeholder;
  size_t hashAt = text.find(hashField) + hashField.size() - placeholder.size();
  // Pad with spaces (allowed by the format) so the data is 64-byte aligned.
  while ((8 + text.size()) % 64 != 0)
    text.push_back(' ');

  std::string tmp = path + ".tmp";
  std::unique_ptr<FILE, int (*)(FILE *)> file(std::fopen(tmp.c_str(), "wb"),
                                              &std::fclose);
  if (!file)
    return Status(StatusCode::kIoError,
                  path + ": cannot create: " + std::strerror(errno));
  auto fail = [&](const std::string &why) {
    file.reset();
    std::remove(tmp.c_str());
    return Status(StatusCode::kIoError, path + ": " + why);
  };
  uint8_t length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<uint8_t>((uint64_t(text.size()) >> (8 * i)) & 0xff);
  if (std::fwrite(length, 1, 8, file.get()) != 8 ||
      std::fwrite(text.data(), 1, text.size(), file.get()) != text.size())
    return fail(std::string("write failed: ") + std::strerror(errno));

  std::vector<uint8_t> buffer;
  Xxh3Hasher hasher;
  for (const Entry &entry : entries_) {
    buffer.assign(entry.nbytes, 0);
    Status status = entry.fill(buffer.data());
    if (!status.isOk()) {
      file.reset();
      std::remove(tmp.c_str());
      return status;
    }
    hasher.update(buffer.data(), buffer.size());
    if (std::fwrite(buffer.data(), 1, buffer.size(), file.get()) !=
        buffer.size())
      return fail("write of '" + entry.name +
                  "' failed: " + std::strerror(errno));
  }
  std::string digest = hex64(hasher.digest());
  if (std::fseek(file.get(), static_cast<long>(8 + hashAt), SEEK_SET) != 0 ||
      std::fwrite(digest.data(), 1, digest.size(), file.get()) != digest.size())
    return fail(std::string("writing the data hash failed: ") +
                std::strerror(errno));
  if (std::fflush(file.get()) != 0)
    return fail(std::string("flush failed: ") + std::strerror(errno));
  file.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status(StatusCode::kIoError,
                  path + ": cannot rename into place: " + std::strerror(errno));
  }
  return Status::ok();
}

} // namespace sparsec

//===- safetensors_fuzzer.cpp - fuzz the safetensors reader ---------------===//
//
// Input: a whole .safetensors file, or, when it starts with '{', just the
// JSON header: the harness then adds the 8-byte length in front and a zeroed
// data section behind it as long as the largest number in the header (at
// most 1 MiB), so that mutated headers reach the offset and overlap checks
// instead of failing on the file size. Every tensor handed out is touched at
// both ends and must lie inside the file.
//
//===----------------------------------------------------------------------===//

#include "fuzz_common.h"

#include "sparsec/formats/safetensors.h"

#include <algorithm>
#include <cstring>
#include <string>

using namespace sparsec;

namespace {

std::string buildFile(const uint8_t *data, size_t size) {
  if (size == 0 || data[0] != '{')
    return std::string(reinterpret_cast<const char *>(data), size);
  uint64_t largest = 0, number = 0;
  for (size_t i = 0; i <= size; ++i) {
    if (i < size && data[i] >= '0' && data[i] <= '9') {
      number = std::min<uint64_t>(number * 10 + (data[i] - '0'), 1u << 30);
    } else {
      largest = std::max(largest, number);
      number = 0;
    }
  }
  uint64_t dataBytes = std::min<uint64_t>(largest, 1u << 20);
  std::string file(8, '\0');
  uint64_t length = size;
  for (int i = 0; i < 8; ++i)
    file[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  file.append(reinterpret_cast<const char *>(data), size);
  file.append(dataBytes, '\0');
  return file;
}

void checkFile(const SafetensorsFile &file) {
  for (const TensorInfo &tensor : file.tensors()) {
    if (tensor.nbytes > 0 &&
        (tensor.data < file.fileData() ||
         tensor.fileOffset + tensor.nbytes > file.fileSize() ||
         tensor.data != file.fileData() + tensor.fileOffset))
      __builtin_trap();
    fuzz::touch(tensor.data, tensor.nbytes);
    if (file.find(tensor.name) == nullptr)
      __builtin_trap();
    (void)tensor.numElements();
    (void)formatShape(tensor.shape);
    (void)isComputeDType(tensor.dtype);
  }
  for (const auto &[key, value] : file.metadata())
    (void)key.size(), (void)value.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = fuzz::tempFile("model.safetensors");
  std::string bytes = buildFile(data, size);
  fuzz::writeFile(path, bytes);

  StatusOr<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  fuzz::checkStatus(file.status(), "SafetensorsFile::open");
  if (file.isOk())
    checkFile(**file);

  StatusOr<std::unique_ptr<Checkpoint>> checkpoint = Checkpoint::openFile(path);
  fuzz::checkStatus(checkpoint.status(), "Checkpoint::openFile");
  if (checkpoint.isOk()) {
    for (const std::string &name : (*checkpoint)->names()) {
      StatusOr<const TensorInfo *> tensor = (*checkpoint)->get(name);
      if (!tensor.isOk())
        __builtin_trap();
    }
    StatusOr<const TensorInfo *> absent = (*checkpoint)->get("\x01no such\n");
    fuzz::checkStatus(absent.status(), "Checkpoint::get");
  }
  return 0;
}

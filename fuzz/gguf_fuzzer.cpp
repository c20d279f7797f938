//===- gguf_fuzzer.cpp - fuzz the GGUF reader -----------------------------===//
//
// Input: a .gguf file. On a file that opens: every typed accessor on every
// metadata key (the wrong types must give one-line errors), then the first
// and last row of every tensor dequantized to f32 where the type allows.
//
//===----------------------------------------------------------------------===//

#include "fuzz_common.h"

#include "sparsec/formats/gguf.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace sparsec;

namespace {

void dequantizeRow(const GgufTensorInfo &tensor, int64_t row) {
  int64_t length = tensor.rowLength();
  uint64_t rowBytes = tensor.rowBytes();
  if (length <= 0 || length > (1 << 20))
    return;
  if (static_cast<uint64_t>(row + 1) * rowBytes > tensor.nbytes) {
    // Rows must lie inside the tensor.
    std::fprintf(stderr,
                 "sparsec-fuzz: tensor '%s' (%s, %zu dims): row %lld of %lld "
                 "ends at byte %llu, past its %llu bytes\n",
                 tensor.name.c_str(), ggmlTypeName(tensor.type),
                 tensor.ne.size(), (long long)row, (long long)tensor.numRows(),
                 (unsigned long long)((row + 1) * rowBytes),
                 (unsigned long long)tensor.nbytes);
    __builtin_trap();
  }
  std::vector<float> out(static_cast<size_t>(length));
  Status status = dequantizeToF32(tensor.type, tensor.data + row * rowBytes,
                                  length, out.data());
  fuzz::checkStatus(status, "dequantizeToF32");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = fuzz::tempFile("model.gguf");
  fuzz::writeFile(path, data, size);

  StatusOr<std::unique_ptr<GgufFile>> opened = GgufFile::open(path);
  fuzz::checkStatus(opened.status(), "GgufFile::open");
  if (!opened.isOk())
    return 0;
  const GgufFile &file = **opened;
  (void)file.version(), (void)file.isPowerInfer(), (void)file.alignment();
  if (file.dataOffset() > file.fileSize())
    __builtin_trap();

  for (const auto &[key, value] : file.metadata()) {
    if (file.find(key) == nullptr)
      __builtin_trap();
    (void)ggufValueTypeName(value.type);
    fuzz::checkStatus(file.getString(key).status(), "getString");
    fuzz::checkStatus(file.getInt(key).status(), "getInt");
    fuzz::checkStatus(file.getFloat(key).status(), "getFloat");
    fuzz::checkStatus(file.getBool(key).status(), "getBool");
    fuzz::checkStatus(file.getStringArray(key).status(), "getStringArray");
    fuzz::checkStatus(file.getIntArray(key).status(), "getIntArray");
    fuzz::checkStatus(file.getFloatArray(key).status(), "getFloatArray");
  }
  // An absent key is nullopt, not an error (the fuzzer can learn the probe
  // key and put it in a file: then it is not absent).
  const std::string absent = "\x01sparsec.fuzz.absent";
  if (file.find(absent) == nullptr) {
    auto probe = file.getInt(absent);
    if (!probe.isOk() || probe->has_value())
      __builtin_trap();
  }

  for (const GgufTensorInfo &tensor : file.tensors()) {
    if (file.findTensor(tensor.name) == nullptr)
      __builtin_trap();
    if (tensor.nbytes > 0 &&
        (tensor.fileOffset + tensor.nbytes > file.fileSize() ||
         tensor.data != file.fileData() + tensor.fileOffset))
      __builtin_trap();
    fuzz::touch(tensor.data, tensor.nbytes);
    (void)ggmlTypeName(tensor.type);
    (void)tensor.numElements();
    if (!ggmlCanDequantize(tensor.type) || tensor.numRows() <= 0)
      continue;
    dequantizeRow(tensor, 0);
    dequantizeRow(tensor, tensor.numRows() - 1);
  }
  return 0;
}

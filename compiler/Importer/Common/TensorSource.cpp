//===- TensorSource.cpp - a model's weights, by canonical name --*- C++ -*-===//

#include "compiler/Importer/Common/TensorSource.h"

#include "passes/JsonFile.h"

#include "sparsec/formats/weights_hash.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <unordered_map>

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// Hugging Face checkpoint: tensors are read in place from the mapping.
class SafetensorsSource : public TensorSource {
public:
  SafetensorsSource(std::string modelDir,
                    std::unique_ptr<::sparsec::Checkpoint> model,
                    std::unique_ptr<::sparsec::Checkpoint> predictors)
      : modelDir(std::move(modelDir)), model(std::move(model)),
        predictors(std::move(predictors)) {
    add(*this->model);
    if (this->predictors)
      add(*this->predictors);
  }

  const SourceTensor *find(llvm::StringRef name) const override {
    auto it = tensors.find(name.str());
    return it == tensors.end() ? nullptr : &it->second;
  }
  const std::string &origin() const override { return model->origin(); }

  /// FNV-1a over config.json, generation_config.json and every safetensors
  /// file's name, size and header, and the XXH3 of each file's tensor data
  /// (another checkpoint of the same shapes hashes differently).
  llvm::Expected<std::string> hash() const override {
    WeightsFingerprint fingerprint;
    auto mix = [&](llvm::StringRef bytes) { fingerprint.mix(bytes); };
    llvm::SmallVector<std::string> files;
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(modelDir, ec), end;
         !ec && it != end; it.increment(ec)) {
      llvm::StringRef name = llvm::sys::path::filename(it->path());
      if (name == "config.json" || name == "generation_config.json" ||
          name.ends_with(".safetensors") ||
          name.ends_with(".safetensors.index.json"))
        files.push_back(it->path());
    }
    if (ec)
      return inputError(modelDir + ": cannot list: " + ec.message());
    llvm::sort(files);
    for (const std::string &path : files) {
      auto buffer = llvm::MemoryBuffer::getFile(
          path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
      if (!buffer)
        return inputError(path +
                          ": cannot read: " + buffer.getError().message());
      llvm::StringRef bytes = (*buffer)->getBuffer();
      mix(llvm::sys::path::filename(path));
      mix(std::to_string(bytes.size()));
      if (llvm::StringRef(path).ends_with(".safetensors") &&
          bytes.size() >= 8) {
        uint64_t length = 0;
        for (int i = 7; i >= 0; --i)
          length = (length << 8) | static_cast<unsigned char>(bytes[i]);
        mix(bytes.substr(8, std::min<uint64_t>(length, bytes.size() - 8)));
      } else if (!llvm::StringRef(path).ends_with(".safetensors")) {
        mix(bytes);
      }
    }
    // The tensor data, through the mappings already open.
    for (const ::sparsec::Checkpoint *checkpoint :
         {model.get(), predictors.get()})
      if (checkpoint)
        for (const auto &file : checkpoint->files())
          fingerprint.mixData(file->data(), file->dataSize());
    return fingerprint.hex();
  }

private:
  void add(const ::sparsec::Checkpoint &checkpoint) {
    for (const auto &file : checkpoint.files())
      for (const ::sparsec::TensorInfo &info : file->tensors())
        tensors.emplace(info.name, sourceTensorOf(info)); // first one wins
  }

  std::string modelDir;
  std::unique_ptr<::sparsec::Checkpoint> model;
  std::unique_ptr<::sparsec::Checkpoint> predictors;
  std::unordered_map<std::string, SourceTensor> tensors;
};

} // namespace

llvm::Expected<std::unique_ptr<::sparsec::Checkpoint>>
mlir::sparsec::openPredictorCheckpoint(llvm::StringRef dir) {
  if (dir.empty())
    return std::unique_ptr<::sparsec::Checkpoint>();
  auto opened = ::sparsec::Checkpoint::openDirectory(dir.str());
  if (!opened.isOk())
    return inputError(opened.status().message());
  return std::move(opened).value();
}

SourceTensor mlir::sparsec::sourceTensorOf(const ::sparsec::TensorInfo &info) {
  SourceTensor tensor;
  tensor.name = info.name;
  tensor.dtype = info.dtype;
  tensor.shape = info.shape;
  tensor.file = *info.file;
  tensor.data = info.data;
  return tensor;
}

void WeightsFingerprint::mix(llvm::StringRef bytes) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
}

void WeightsFingerprint::mixData(const void *data, size_t size) {
  ::sparsec::Xxh3Hasher hasher;
  hasher.update(data, size);
  mix(::sparsec::hex64(hasher.digest()));
}

std::string WeightsFingerprint::hex() const {
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format_hex_no_prefix(hash, 16);
  return text;
}

int64_t SourceTensor::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

llvm::Error TensorSource::read(const SourceTensor &tensor, uint8_t *out) const {
  if (!tensor.data)
    return inputError(tensor.file + ": tensor '" + tensor.name +
                      "' has no stored bytes to read");
  std::memcpy(out, tensor.data, tensor.numBytes());
  return llvm::Error::success();
}

llvm::Error TensorSource::readBlocks(const SourceTensor &tensor,
                                     uint8_t *) const {
  return inputError(tensor.file + ": tensor '" + tensor.name +
                    "' is not stored in blocks");
}

llvm::Expected<std::unique_ptr<TensorSource>>
mlir::sparsec::openSafetensorsSource(llvm::StringRef modelDir,
                                     llvm::StringRef predictorDir) {
  auto model = ::sparsec::Checkpoint::openDirectory(modelDir.str());
  if (!model.isOk())
    return inputError(model.status().message());
  auto predictors = openPredictorCheckpoint(predictorDir);
  if (!predictors)
    return predictors.takeError();
  return std::make_unique<SafetensorsSource>(
      modelDir.str(), std::move(model).value(), std::move(*predictors));
}

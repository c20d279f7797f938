//===- WeightPacker.cpp - write the packed weights file ---------*- C++ -*-===//

#include "compiler/Packer/WeightPacker.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"
#include "compiler/Importer/HuggingFace/HFImporter.h"
#include "passes/WeightSlots.h"

#include "sparsec/weights_layout.h"
#include "weights/safetensors.h"
#include "weights/safetensors_writer.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::sparsec;
using llvm::StringRef;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::optional<::sparsec::DType> dtypeOf(Type type) {
  if (type.isF32())
    return ::sparsec::DType::kF32;
  if (type.isF16())
    return ::sparsec::DType::kF16;
  if (type.isBF16())
    return ::sparsec::DType::kBF16;
  return std::nullopt;
}

/// Copies element (r, c) of a row-major [rows, cols] source of `size`-byte
/// elements to (c, r) of `out`, in cache-sized tiles.
void transpose(const uint8_t *src, uint8_t *out, int64_t rows, int64_t cols,
               size_t size) {
  constexpr int64_t kTile = 64;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile)
      for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c)
          std::memcpy(out + (c * rows + r) * size, src + (r * cols + c) * size,
                      size);
}

class Packer {
public:
  Packer(const ::sparsec::Checkpoint &model,
         const ::sparsec::Checkpoint *predictors)
      : model(model), predictors(predictors) {}

  /// Source tensor `name`, checked to be `dtype` and `shape`.
  llvm::Expected<const ::sparsec::TensorInfo *>
  source(StringRef name, ::sparsec::DType dtype, ArrayRef<int64_t> shape) {
    const ::sparsec::TensorInfo *info = model.find(name.str());
    if (!info && predictors)
      info = predictors->find(name.str());
    if (!info)
      return makeError(model.origin() + ": tensor '" + name +
                       "' (named by the IR) not found");
    if (info->dtype != dtype)
      return makeError(*info->file + ": tensor '" + name + "' is " +
                       ::sparsec::dtypeName(info->dtype) + ", the IR expects " +
                       ::sparsec::dtypeName(dtype));
    if (!llvm::equal(info->shape, shape))
      return makeError(*info->file + ": tensor '" + name + "' has shape " +
                       ::sparsec::formatShape(info->shape) +
                       ", the IR expects " +
                       ::sparsec::formatShape({shape.begin(), shape.end()}));
    return info;
  }

  llvm::Error addParam(llm::ParamOp param) {
    auto type = param.getResult().getType();
    std::optional<::sparsec::DType> dtype = dtypeOf(type.getElementType());
    if (!dtype)
      return makeError("llm.param '" + param.getName() +
                       "': unsupported element type");
    SmallVector<int64_t> shape(type.getShape());
    bool transposed = param.getTransposed();
    std::string key = param.getName().str();
    if (transposed) {
      key += SPARSEC_TRANSPOSED_SUFFIX;
      std::swap(shape[0], shape[1]); // the checkpoint's orientation
    }
    if (!seen.insert(key).second)
      return llvm::Error::success();
    auto info = source(param.getName(), *dtype, shape);
    if (!info)
      return info.takeError();
    const ::sparsec::TensorInfo *src = *info;
    size_t size = ::sparsec::dtypeSize(*dtype);
    std::vector<int64_t> outShape(type.getShape().begin(),
                                  type.getShape().end());
    writer.add(key, *dtype, outShape,
               [src, transposed, size](uint8_t *out) {
                 if (transposed)
                   transpose(src->data, out, src->shape[0], src->shape[1],
                             size);
                 else
                   std::memcpy(out, src->data, src->nbytes);
                 return ::sparsec::Status::ok();
               });
    ++numTensors;
    numBytes += src->nbytes;
    return llvm::Error::success();
  }

  llvm::Error addBundle(sfn::BundleParamOp bundle) {
    auto type = bundle.getResult().getType();
    std::optional<::sparsec::DType> dtype = dtypeOf(type.getElementType());
    if (!dtype)
      return makeError("sfn.bundle_param '" + bundle.getName() +
                       "': unsupported element type");
    if (!seen.insert(bundle.getName().str()).second)
      return llvm::Error::success();
    int64_t neurons = type.getDimSize(0), parts = type.getDimSize(1),
            hidden = type.getDimSize(2);
    llvm::SmallDenseSet<int64_t> transposed(bundle.getTransposed().begin(),
                                            bundle.getTransposed().end());
    std::vector<std::pair<const ::sparsec::TensorInfo *, bool>> sources;
    for (auto [index, name] : llvm::enumerate(bundle.getSources())) {
      bool isTransposed = transposed.contains(static_cast<int64_t>(index));
      SmallVector<int64_t> shape =
          isTransposed ? SmallVector<int64_t>{hidden, neurons}
                       : SmallVector<int64_t>{neurons, hidden};
      auto info = source(cast<StringAttr>(name).getValue(), *dtype, shape);
      if (!info)
        return info.takeError();
      sources.emplace_back(*info, isTransposed);
      numBytes += (*info)->nbytes;
    }
    size_t size = ::sparsec::dtypeSize(*dtype);
    writer.add(bundle.getName().str(), *dtype, {neurons, parts, hidden},
               [=](uint8_t *out) {
                 for (int64_t p = 0; p < parts; ++p) {
                   auto [src, isTransposed] = sources[p];
                   for (int64_t n = 0; n < neurons; ++n) {
                     uint8_t *row = out + ((n * parts + p) * hidden) * size;
                     if (!isTransposed) {
                       std::memcpy(row, src->data + n * hidden * size,
                                   hidden * size);
                       continue;
                     }
                     for (int64_t h = 0; h < hidden; ++h)
                       std::memcpy(row + h * size,
                                   src->data + (h * neurons + n) * size, size);
                   }
                 }
                 return ::sparsec::Status::ok();
               });
    ++numTensors;
    return llvm::Error::success();
  }

  const ::sparsec::Checkpoint &model;
  const ::sparsec::Checkpoint *predictors;
  ::sparsec::SafetensorsWriter writer;
  llvm::StringSet<> seen;
  int64_t numTensors = 0;
  int64_t numBytes = 0;
};

} // namespace

llvm::Expected<std::string> mlir::sparsec::checkpointHash(StringRef modelDir) {
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&](StringRef bytes) {
    for (unsigned char c : bytes) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
  };
  SmallVector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(modelDir, ec), end;
       !ec && it != end; it.increment(ec)) {
    StringRef name = llvm::sys::path::filename(it->path());
    if (name == "config.json" || name.ends_with(".safetensors") ||
        name.ends_with(".safetensors.index.json"))
      files.push_back(it->path());
  }
  if (ec)
    return makeError(modelDir + ": cannot list: " + ec.message());
  llvm::sort(files);
  for (const std::string &path : files) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return makeError(path + ": cannot read: " + buffer.getError().message());
    StringRef bytes = (*buffer)->getBuffer();
    mix(llvm::sys::path::filename(path));
    mix(std::to_string(bytes.size()));
    if (StringRef(path).ends_with(".safetensors") && bytes.size() >= 8) {
      uint64_t length = 0;
      for (int i = 7; i >= 0; --i)
        length = (length << 8) | static_cast<unsigned char>(bytes[i]);
      mix(bytes.substr(8, std::min<uint64_t>(length, bytes.size() - 8)));
    } else {
      mix(bytes);
    }
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::format_hex_no_prefix(hash, 16);
  return text;
}

llvm::Expected<PackResult> mlir::sparsec::packWeights(ModuleOp module,
                                                StringRef modelDir,
                                                StringRef outPath,
                                                const PackOptions &options) {
  auto files = hf::openCheckpointFiles(modelDir, options.predictorDir);
  if (!files)
    return files.takeError();
  auto hash = checkpointHash(modelDir);
  if (!hash)
    return hash.takeError();

  Packer packer(*files->model, files->predictors.get());
  // Tensors go in the order and at the offsets the lowering reads them.
  for (const WeightSlot &slot : assignWeightSlots(module).slots) {
    llvm::Error error = llvm::Error::success();
    if (auto param = dyn_cast<llm::ParamOp>(slot.definingOp))
      error = packer.addParam(param);
    else
      error = packer.addBundle(cast<sfn::BundleParamOp>(slot.definingOp));
    if (error)
      return std::move(error);
  }

  packer.writer.setMetadata(SPARSEC_METADATA_LAYOUT_VERSION,
                            std::to_string(SPARSEC_WEIGHTS_LAYOUT_VERSION));
  packer.writer.setMetadata(SPARSEC_METADATA_SOURCE_HASH, *hash);
  ::sparsec::Status status = packer.writer.write(outPath.str());
  if (!status.isOk())
    return makeError(status.message());
  return PackResult{packer.numTensors, packer.numBytes, *hash};
}

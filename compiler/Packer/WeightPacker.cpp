//===- WeightPacker.cpp - write the packed weights file ---------*- C++ -*-===//

#include "compiler/Packer/WeightPacker.h"

#include "compiler/Importer/Common/TensorSource.h"
#include "dialects/Common/StorageSize.h"
#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"
#include "passes/WeightSlots.h"

#include "sparsec/formats/gguf.h"
#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/safetensors_writer.h"
#include "sparsec/weights_layout.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <map>

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

::sparsec::GgmlType ggmlTypeOf(llm::QuantFormat format) {
  switch (format) {
  case llm::QuantFormat::Q8_0:
    return ::sparsec::GgmlType::kQ8_0;
  case llm::QuantFormat::Q4_0:
    return ::sparsec::GgmlType::kQ4_0;
  case llm::QuantFormat::Q4_1:
    return ::sparsec::GgmlType::kQ4_1;
  case llm::QuantFormat::Q4_K:
    return ::sparsec::GgmlType::kQ4_K;
  case llm::QuantFormat::Q6_K:
    return ::sparsec::GgmlType::kQ6_K;
  }
  llvm_unreachable("unknown quant format");
}

/// The source dtypes a quantized weight is made from.
bool isFloatDType(::sparsec::DType dtype) {
  return dtype == ::sparsec::DType::kF32 || dtype == ::sparsec::DType::kF16 ||
         dtype == ::sparsec::DType::kBF16;
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

/// The bytes of a source tensor while it is packed: in place when the file
/// stores them as they are, else converted into `owned`.
struct SourceBytes {
  const uint8_t *data = nullptr;
  std::vector<uint8_t> owned;
};

::sparsec::Status materialize(const TensorSource &weights,
                              const SourceTensor &tensor, SourceBytes &bytes) {
  if (tensor.data) {
    bytes.data = tensor.data;
    return ::sparsec::Status::ok();
  }
  bytes.owned.resize(tensor.numBytes());
  if (llvm::Error err = weights.read(tensor, bytes.owned.data()))
    return ::sparsec::Status(::sparsec::StatusCode::kDataLoss,
                             llvm::toString(std::move(err)));
  bytes.data = bytes.owned.data();
  return ::sparsec::Status::ok();
}

/// A 2-D source tensor as f32, transposed when asked (`[cols, rows]` of a
/// `[rows, cols]` source): the rows a quantized weight is made from.
::sparsec::Status sourceAsF32(const TensorSource &weights,
                              const SourceTensor &tensor, bool transposed,
                              std::vector<float> &out) {
  SourceBytes bytes;
  if (::sparsec::Status status = materialize(weights, tensor, bytes);
      !status.isOk())
    return status;
  int64_t count = tensor.numElements();
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t *p = bytes.data + i * ::sparsec::dtypeSize(tensor.dtype);
    uint16_t half = static_cast<uint16_t>(p[0] | (p[1] << 8));
    switch (tensor.dtype) {
    case ::sparsec::DType::kF16:
      values[i] = ::sparsec::halfToFloat(half);
      break;
    case ::sparsec::DType::kBF16:
      values[i] = ::sparsec::bf16ToFloat(half);
      break;
    default:
      std::memcpy(&values[i], p, 4);
    }
  }
  if (!transposed) {
    out = std::move(values);
    return ::sparsec::Status::ok();
  }
  out.resize(count);
  transpose(reinterpret_cast<const uint8_t *>(values.data()),
            reinterpret_cast<uint8_t *>(out.data()), tensor.shape[0],
            tensor.shape[1], sizeof(float));
  return ::sparsec::Status::ok();
}

/// Quantizes `rows` rows of `length` f32 values into blocks of `type`, row
/// r at `out + r * stride`. Names `tensor` in the error.
::sparsec::Status quantizeRows(::sparsec::GgmlType type, const float *values,
                               int64_t rows, int64_t length, uint8_t *out,
                               int64_t stride, const std::string &tensor) {
  for (int64_t r = 0; r < rows; ++r) {
    ::sparsec::Status status = ::sparsec::quantizeFromF32(
        type, values + r * length, length, out + r * stride);
    if (!status.isOk())
      return ::sparsec::Status(status.code(), "tensor '" + tensor + "' row " +
                                                  std::to_string(r) + ": " +
                                                  status.message());
  }
  return ::sparsec::Status::ok();
}

/// Rewrites `numRows` rows of q4_0 blocks (`rowBytes` apart) in the paired
/// layout when `quant` asks for it for rows of `length` weights
/// (QuantType::hasPairedBlocks): per pair of blocks a and b, d_a, d_b, then
/// qs_a, qs_b. The values are unchanged; only bytes move.
void pairBlocks(llm::QuantType quant, int64_t length, uint8_t *rows,
                int64_t numRows, int64_t rowBytes) {
  if (!quant.hasPairedBlocks(length))
    return;
  const int64_t blockBytes = quant.getBlockBytes();
  const int64_t pairs = length / quant.getBlockSize() / 2;
  std::vector<uint8_t> row(rowBytes);
  for (int64_t r = 0; r < numRows; ++r) {
    uint8_t *out = rows + r * rowBytes;
    std::memcpy(row.data(), out, rowBytes);
    for (int64_t i = 0; i < pairs; ++i) {
      const uint8_t *a = row.data() + 2 * i * blockBytes;
      const uint8_t *b = a + blockBytes;
      uint8_t *pair = out + 2 * i * blockBytes;
      std::memcpy(pair, a, 2);
      std::memcpy(pair + 2, b, 2);
      std::memcpy(pair + 4, a + 2, blockBytes - 2);
      std::memcpy(pair + 4 + blockBytes - 2, b + 2, blockBytes - 2);
    }
  }
}

class Packer {
public:
  explicit Packer(const TensorSource &weights) : weights(weights) {}

  /// Source tensor `name`, checked to be `dtype` (any float type when the
  /// IR quantizes it: dtype is nullopt) and `shape`.
  llvm::Expected<const SourceTensor *>
  source(StringRef name, std::optional<::sparsec::DType> dtype,
         ArrayRef<int64_t> shape) {
    const SourceTensor *info = weights.find(name);
    if (!info)
      return makeError(weights.origin() + ": tensor '" + name +
                       "' (named by the IR) not found");
    if (!info->storedAs.empty())
      converted[info->storedAs.substr(0, info->storedAs.find(','))]++;
    if (dtype ? info->dtype != *dtype : !isFloatDType(info->dtype))
      return makeError(info->file + ": tensor '" + name + "' is " +
                       ::sparsec::dtypeName(info->dtype) + ", the IR expects " +
                       (dtype ? std::string(::sparsec::dtypeName(*dtype))
                              : std::string("F32, F16 or BF16 to quantize")));
    if (!llvm::equal(info->shape, shape))
      return makeError(info->file + ": tensor '" + name + "' has shape " +
                       ::sparsec::formatShape(info->shape) +
                       ", the IR expects " +
                       ::sparsec::formatShape({shape.begin(), shape.end()}));
    return info;
  }

  llvm::Error addParam(llm::ParamOp param) {
    auto type = param.getResult().getType();
    auto quant = dyn_cast<llm::QuantType>(type.getElementType());
    std::optional<::sparsec::DType> dtype = dtypeOf(type.getElementType());
    if (!dtype && !quant)
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
    auto info = source(param.getName(), dtype, shape);
    if (!info)
      return info.takeError();
    const SourceTensor *src = *info;
    const TensorSource &from = weights;
    SmallVector<int64_t> stored = getStorageShape(type);
    std::vector<int64_t> outShape(stored.begin(), stored.end());
    ++numTensors;
    numBytes += src->numBytes();
    if (quant) {
      ++quantized[llm::stringifyQuantFormat(quant.getFormat()).str()];
      int64_t rows = type.getDimSize(0), length = type.getDimSize(1);
      int64_t rowBytes = outShape.back();
      ::sparsec::GgmlType ggml = ggmlTypeOf(quant.getFormat());
      if (!transposed && src->blocks == ggml) {
        ++numAsStored; // the file's blocks are the packed rows
        uncountConversion(*src);
        writer.add(key, ::sparsec::DType::kU8, outShape,
                   [&from, src, quant, rows, length,
                    rowBytes](uint8_t *out) -> ::sparsec::Status {
                     if (llvm::Error err = from.readBlocks(*src, out))
                       return ::sparsec::Status(
                           ::sparsec::StatusCode::kDataLoss,
                           llvm::toString(std::move(err)));
                     pairBlocks(quant, length, out, rows, rowBytes);
                     return ::sparsec::Status::ok();
                   });
        return llvm::Error::success();
      }
      writer.add(key, ::sparsec::DType::kU8, outShape,
                 [&from, src, transposed, rows, length, rowBytes, key, ggml,
                  quant](uint8_t *out) {
                   std::vector<float> values;
                   if (::sparsec::Status status =
                           sourceAsF32(from, *src, transposed, values);
                       !status.isOk())
                     return status;
                   ::sparsec::Status status = quantizeRows(
                       ggml, values.data(), rows, length, out, rowBytes, key);
                   if (status.isOk())
                     pairBlocks(quant, length, out, rows, rowBytes);
                   return status;
                 });
      return llvm::Error::success();
    }
    size_t size = ::sparsec::dtypeSize(*dtype);
    writer.add(
        key, *dtype, outShape, [&from, src, transposed, size](uint8_t *out) {
          SourceBytes bytes;
          if (::sparsec::Status status = materialize(from, *src, bytes);
              !status.isOk())
            return status;
          if (transposed)
            transpose(bytes.data, out, src->shape[0], src->shape[1], size);
          else
            std::memcpy(out, bytes.data, src->numBytes());
          return ::sparsec::Status::ok();
        });
    return llvm::Error::success();
  }

  llvm::Error addBundle(sfn::BundleParamOp bundle) {
    auto type = bundle.getResult().getType();
    auto quant = dyn_cast<llm::QuantType>(type.getElementType());
    std::optional<::sparsec::DType> dtype = dtypeOf(type.getElementType());
    if (!dtype && !quant)
      return makeError("sfn.bundle_param '" + bundle.getName() +
                       "': unsupported element type");
    if (!seen.insert(bundle.getName().str()).second)
      return llvm::Error::success();
    int64_t neurons = type.getDimSize(0), parts = type.getDimSize(1),
            hidden = type.getDimSize(2);
    llvm::SmallDenseSet<int64_t> transposed(bundle.getTransposed().begin(),
                                            bundle.getTransposed().end());
    std::vector<std::pair<const SourceTensor *, bool>> sources;
    for (auto [index, name] : llvm::enumerate(bundle.getSources())) {
      bool isTransposed = transposed.contains(static_cast<int64_t>(index));
      SmallVector<int64_t> shape = isTransposed
                                       ? SmallVector<int64_t>{hidden, neurons}
                                       : SmallVector<int64_t>{neurons, hidden};
      auto info = source(cast<StringAttr>(name).getValue(), dtype, shape);
      if (!info)
        return info.takeError();
      sources.emplace_back(*info, isTransposed);
      numBytes += (*info)->numBytes();
    }
    const TensorSource &from = weights;
    ++numTensors;
    if (quant) {
      ++quantized[llm::stringifyQuantFormat(quant.getFormat()).str()];
      int64_t rowBytes = getRowStorageBytes(quant, hidden);
      std::string key = bundle.getName().str();
      ::sparsec::GgmlType ggml = ggmlTypeOf(quant.getFormat());
      for (auto [info, isTransposed] : sources)
        if (!isTransposed && info->blocks == ggml) {
          ++numAsStored;
          uncountConversion(*info);
        }
      writer.add(
          key, ::sparsec::DType::kU8, {neurons, parts, rowBytes},
          [=, &from](uint8_t *out) -> ::sparsec::Status {
            for (int64_t p = 0; p < parts; ++p) {
              auto [info, isTransposed] = sources[p];
              if (!isTransposed && info->blocks == ggml) {
                // The file's rows of blocks, copied into the bundle.
                std::vector<uint8_t> stored(neurons * rowBytes);
                if (llvm::Error err = from.readBlocks(*info, stored.data()))
                  return ::sparsec::Status(::sparsec::StatusCode::kDataLoss,
                                           llvm::toString(std::move(err)));
                for (int64_t n = 0; n < neurons; ++n)
                  std::memcpy(out + (n * parts + p) * rowBytes,
                              stored.data() + n * rowBytes, rowBytes);
                continue;
              }
              std::vector<float> values;
              if (::sparsec::Status status =
                      sourceAsF32(from, *info, isTransposed, values);
                  !status.isOk())
                return status;
              // Neuron n's row of part p: bytes (n * parts + p) rows in.
              if (::sparsec::Status status =
                      quantizeRows(ggml, values.data(), neurons, hidden,
                                   out + p * rowBytes, parts * rowBytes, key);
                  !status.isOk())
                return status;
            }
            pairBlocks(quant, hidden, out, neurons * parts, rowBytes);
            return ::sparsec::Status::ok();
          });
      return llvm::Error::success();
    }
    size_t size = ::sparsec::dtypeSize(*dtype);
    writer.add(bundle.getName().str(), *dtype, {neurons, parts, hidden},
               [=, &from](uint8_t *out) {
                 for (int64_t p = 0; p < parts; ++p) {
                   auto [info, isTransposed] = sources[p];
                   SourceBytes src;
                   if (::sparsec::Status status = materialize(from, *info, src);
                       !status.isOk())
                     return status;
                   for (int64_t n = 0; n < neurons; ++n) {
                     uint8_t *row = out + ((n * parts + p) * hidden) * size;
                     if (!isTransposed) {
                       std::memcpy(row, src.data + n * hidden * size,
                                   hidden * size);
                       continue;
                     }
                     for (int64_t h = 0; h < hidden; ++h)
                       std::memcpy(row + h * size,
                                   src.data + (h * neurons + n) * size, size);
                   }
                 }
                 return ::sparsec::Status::ok();
               });
    return llvm::Error::success();
  }

  /// `tensor` is copied as stored after all: not a conversion.
  void uncountConversion(const SourceTensor &tensor) {
    auto it =
        converted.find(tensor.storedAs.substr(0, tensor.storedAs.find(',')));
    if (it != converted.end() && --it->second == 0)
      converted.erase(it);
  }

  const TensorSource &weights;
  ::sparsec::SafetensorsWriter writer;
  /// Source tensors converted while packing, by stored type ("Q4_1").
  std::map<std::string, int64_t> converted;
  llvm::StringSet<> seen;
  int64_t numTensors = 0;
  int64_t numBytes = 0;
  /// Quantized tensors by format ("q4_k").
  std::map<std::string, int64_t> quantized;
  /// Quantized tensors (or bundle parts) whose blocks were copied as stored.
  int64_t numAsStored = 0;
};

} // namespace

llvm::Expected<PackResult>
mlir::sparsec::packWeights(ModuleOp module, const TensorSource &weights,
                           StringRef outPath) {
  auto hash = weights.hash();
  if (!hash)
    return hash.takeError();

  Packer packer(weights);
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
  PackResult result{packer.numTensors, packer.numBytes, *hash, {}, 0, {},
                    packer.numAsStored};
  for (const auto &[format, count] : packer.quantized) {
    result.numQuantized += count;
    result.quantizedFormats.emplace_back(format, count);
  }
  llvm::stable_sort(result.quantizedFormats, [](const auto &a, const auto &b) {
    return a.second > b.second;
  });
  for (const auto &[stored, count] : packer.converted)
    result.converted += (result.converted.empty() ? "" : ", ") +
                        std::to_string(count) + " " + stored;
  return result;
}

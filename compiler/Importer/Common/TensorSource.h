//===- TensorSource.h - a model's weights, by canonical name ----*- C++ -*-===//
//
// What the decode-step builder and the weight packer read weights through,
// whatever the file format. Tensors are named as Hugging Face names them
// ("model.layers.3.mlp.up_proj.weight") and shaped row-major as PyTorch
// holds them; a format that stores them otherwise (GGUF: other names,
// quantized blocks, permuted q/k rows) converts in read().
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_COMMON_TENSORSOURCE_H
#define SPARSEC_COMPILER_IMPORTER_COMMON_TENSORSOURCE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include "sparsec/formats/gguf.h"
#include "sparsec/formats/safetensors.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::sparsec {

struct SourceTensor {
  /// The canonical (Hugging Face) name.
  std::string name;
  /// The element type read() produces.
  ::sparsec::DType dtype = ::sparsec::DType::kF32;
  /// Row-major shape.
  std::vector<int64_t> shape;
  /// The file holding it, for messages.
  std::string file;
  /// The bytes in place, when the file stores exactly what read() produces;
  /// nullptr when read() converts.
  const uint8_t *data = nullptr;
  /// How the file stores it when read() converts ("Q4_1", "F16, q/k rows
  /// permuted"); empty otherwise.
  std::string storedAs;
  /// The ggml block type its rows are stored in, when the file holds each
  /// row (in this orientation) as whole blocks that readBlocks() copies;
  /// nullopt for plain types and rows that would need converting.
  std::optional<::sparsec::GgmlType> blocks;

  int64_t numElements() const;
  uint64_t numBytes() const {
    return static_cast<uint64_t>(numElements()) * ::sparsec::dtypeSize(dtype);
  }
};

class TensorSource {
public:
  virtual ~TensorSource() = default;

  /// nullptr when absent.
  virtual const SourceTensor *find(llvm::StringRef name) const = 0;
  /// The directory or file the weights come from, for messages.
  virtual const std::string &origin() const = 0;
  /// Writes the tensor's numBytes() bytes to `out`. Errors name the file and
  /// tensor.
  virtual llvm::Error read(const SourceTensor &tensor, uint8_t *out) const;
  /// Writes the rows' blocks as stored (tensor.blocks set), row after row.
  virtual llvm::Error readBlocks(const SourceTensor &tensor,
                                 uint8_t *out) const;
  /// 16 hex digits identifying the weights and what was read with them
  /// (config, metadata): the packed file records it, the executable checks
  /// it.
  virtual llvm::Expected<std::string> hash() const = 0;
};

/// The safetensors checkpoint in `dir` (--predictor-dir), or null when
/// `dir` is empty.
llvm::Expected<std::unique_ptr<::sparsec::Checkpoint>>
openPredictorCheckpoint(llvm::StringRef dir);

/// The SourceTensor of a safetensors tensor, read in place.
SourceTensor sourceTensorOf(const ::sparsec::TensorInfo &info);

/// What TensorSource::hash() returns: FNV-1a over what identifies the
/// weights (file names, sizes, headers), with bulk data folded in as its
/// XXH3; 16 hex digits.
class WeightsFingerprint {
public:
  void mix(llvm::StringRef bytes);
  /// Mixes the XXH3 of `size` bytes at `data`.
  void mixData(const void *data, size_t size);
  std::string hex() const;

private:
  uint64_t hash = 1469598103934665603ull;
};

/// A Hugging Face checkpoint directory (model.safetensors or a sharded
/// index) and, when `predictorDir` is not empty, a directory of predictor
/// tensors (looked up after the model's own).
llvm::Expected<std::unique_ptr<TensorSource>>
openSafetensorsSource(llvm::StringRef modelDir, llvm::StringRef predictorDir);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_COMMON_TENSORSOURCE_H

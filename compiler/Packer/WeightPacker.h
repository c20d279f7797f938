//===- WeightPacker.h - write the packed weights file -----------*- C++ -*-===//
//
// Writes the weights a compiled module reads, in the layout its IR records
// (runtime/include/sparsec/weights_layout.h): every llm.param (transposed
// ones transposed) and every sfn.bundle_param (neuron bundles interleaved
// from their sources). Source tensors are read through a TensorSource (in
// place for safetensors; converted for GGUF) and checked against the IR's
// types first.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_PACKER_WEIGHTPACKER_H
#define SPARSEC_COMPILER_PACKER_WEIGHTPACKER_H

#include "compiler/Importer/Common/TensorSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir::sparsec {

struct PackResult {
  int64_t numTensors = 0;
  int64_t numBytes = 0;
  std::string sourceHash;
  /// Tensors converted from their stored type ("210 Q4_1, 1 Q8_0"); empty
  /// when every tensor was copied as stored.
  std::string converted;
  /// Tensors written block-quantized (!llm.quant in the IR), and how many in
  /// each format ("q4_k"), most first.
  int64_t numQuantized = 0;
  std::vector<std::pair<std::string, int64_t>> quantizedFormats;
  /// Of those, tensors or bundle parts whose blocks were the source file's
  /// (a GGUF's blocks of the same format), copied without requantizing.
  int64_t numAsStored = 0;
};

/// Packs the weights `module` reads from `weights` into `outPath`. Errors
/// are one line naming the tensor and what was expected; on error no file is
/// left at `outPath`.
llvm::Expected<PackResult> packWeights(ModuleOp module,
                                       const TensorSource &weights,
                                       llvm::StringRef outPath);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_PACKER_WEIGHTPACKER_H

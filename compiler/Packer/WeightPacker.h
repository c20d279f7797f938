//===- WeightPacker.h - write the packed weights file -----------*- C++ -*-===//
//
// Writes the weights a compiled module reads, in the layout its IR records
// (runtime/include/sparsec/weights_layout.h): every llm.param (transposed
// ones transposed) and every sfn.bundle_param (neuron bundles interleaved
// from their sources). Source tensors are read from the checkpoint through
// the runtime's zero-copy reader and checked against the IR's types first.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_PACKER_WEIGHTPACKER_H
#define SPARSEC_COMPILER_PACKER_WEIGHTPACKER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::sparsec {

struct PackOptions {
  /// Directory with predictor tensors not in the checkpoint (as for import).
  std::string predictorDir;
};

struct PackResult {
  int64_t numTensors = 0;
  int64_t numBytes = 0;
  std::string sourceHash;
};

/// Packs the weights `module` reads from the checkpoint in `modelDir` into
/// `outPath`. Errors are one line naming the tensor and what was expected;
/// on error no file is left at `outPath`.
llvm::Expected<PackResult> packWeights(ModuleOp module,
                                       llvm::StringRef modelDir,
                                       llvm::StringRef outPath,
                                       const PackOptions &options = {});

/// 16 hex digits identifying a checkpoint: FNV-1a over config.json and every
/// safetensors file's name, size and header.
llvm::Expected<std::string> checkpointHash(llvm::StringRef modelDir);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_PACKER_WEIGHTPACKER_H

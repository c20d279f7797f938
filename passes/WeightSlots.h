//===- WeightSlots.h - where each weight lives in the packed file -*- C++
//-*-===//
//
// The weight packer and the decode-step lowering must agree byte for byte on
// where each tensor sits in the packed weights file's data section. Both
// take the layout from here: every llm.param and sfn.bundle_param of the
// module, in walk order, deduplicated by packed name
// (runtime/include/sparsec/weights_layout.h), laid out back to back.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_PASSES_WEIGHTSLOTS_H
#define SPARSEC_PASSES_WEIGHTSLOTS_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace mlir::sparsec {

struct WeightSlot {
  std::string key;       ///< name in the packed file
  RankedTensorType type; ///< the tensor as the IR reads it
  int64_t offset = 0;    ///< bytes from the data section's start
  int64_t nbytes = 0;
  Operation *definingOp = nullptr; ///< first llm.param / sfn.bundle_param
};

struct WeightSlots {
  SmallVector<WeightSlot> slots;
  llvm::StringMap<size_t> byKey;
  int64_t totalBytes = 0;

  /// The slot of an llm.param or sfn.bundle_param, or nullptr.
  const WeightSlot *lookup(Operation *op) const;
};

/// Packed-file name of an llm.param / sfn.bundle_param ("" for other ops).
std::string packedName(Operation *op);

/// Lays out every weight `module` reads.
WeightSlots assignWeightSlots(ModuleOp module);

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_WEIGHTSLOTS_H

//===- StorageSize.h - bytes of element types and buffers -------*- C++ -*-===//
//
// The one place sparsec turns an element type into bytes: the weight slots,
// the manifest, the KV cache and scratch planning all ask here, so a new
// storage type (a sub-byte or block-quantized weight) gets its size in one
// function instead of at every caller.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_DIALECTS_COMMON_STORAGESIZE_H
#define SPARSEC_DIALECTS_COMMON_STORAGESIZE_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/ErrorHandling.h"

namespace mlir::sparsec {

/// Bytes one element of `type` occupies in a buffer (index: 8 bytes).
inline int64_t getElementStorageBytes(Type type) {
  if (type.isIndex())
    return 8;
  unsigned bits = type.getIntOrFloatBitWidth();
  // Internal invariant: importers only produce byte-sized element types.
  if (bits == 0 || bits % 8 != 0)
    llvm::report_fatal_error("sparsec: no storage size for a sub-byte "
                             "element type without a block encoding");
  return bits / 8;
}

/// Bytes of a statically shaped tensor or memref.
inline int64_t getStorageBytes(ShapedType type) {
  return type.getNumElements() * getElementStorageBytes(type.getElementType());
}

} // namespace mlir::sparsec

#endif // SPARSEC_DIALECTS_COMMON_STORAGESIZE_H

//===- StorageSize.h - bytes of element types and buffers -------*- C++ -*-===//
//
// The one place sparsec turns an element type into bytes: the weight slots,
// the manifest, the KV cache and scratch planning all ask here. A
// block-quantized weight (!llm.quant) has no per-element size: its rows are
// sequences of blocks, so sizes are asked per row or per tensor.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_DIALECTS_COMMON_STORAGESIZE_H
#define SPARSEC_DIALECTS_COMMON_STORAGESIZE_H

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/ErrorHandling.h"

namespace mlir::sparsec {

/// Bytes one element of `type` occupies in a buffer (index: 8 bytes). Not
/// defined for block-quantized types: ask getRowStorageBytes.
inline int64_t getElementStorageBytes(Type type) {
  if (type.isIndex())
    return 8;
  if (isa<llm::QuantType>(type))
    llvm::report_fatal_error("sparsec: a block-quantized weight has no "
                             "per-element size; ask for its rows' bytes");
  unsigned bits = type.getIntOrFloatBitWidth();
  // Internal invariant: importers only produce byte-sized element types.
  if (bits == 0 || bits % 8 != 0)
    llvm::report_fatal_error("sparsec: no storage size for a sub-byte "
                             "element type without a block encoding");
  return bits / 8;
}

/// Bytes of `length` consecutive elements of a row of `type` (for a
/// quantized type, `length` is a multiple of the block size).
inline int64_t getRowStorageBytes(Type type, int64_t length) {
  if (auto quant = dyn_cast<llm::QuantType>(type))
    return length / quant.getBlockSize() * quant.getBlockBytes();
  return length * getElementStorageBytes(type);
}

/// The shape of a weight's bytes: the logical shape, except that the rows
/// of a quantized tensor are counted in bytes (a tensor of i8/u8).
inline SmallVector<int64_t> getStorageShape(ShapedType type) {
  SmallVector<int64_t> shape(type.getShape());
  if (isa<llm::QuantType>(type.getElementType()))
    shape.back() = getRowStorageBytes(type.getElementType(), shape.back());
  return shape;
}

/// Bytes of a statically shaped tensor or memref.
inline int64_t getStorageBytes(ShapedType type) {
  if (type.getRank() == 0)
    return getElementStorageBytes(type.getElementType());
  if (type.getNumElements() == 0)
    return 0;
  int64_t rows = type.getNumElements() / type.getShape().back();
  return rows *
         getRowStorageBytes(type.getElementType(), type.getShape().back());
}

} // namespace mlir::sparsec

#endif // SPARSEC_DIALECTS_COMMON_STORAGESIZE_H

//===- ShapeChecks.h - shared verifier helpers ------------------*- C++ -*-===//
//
// Small helpers the `llm` and `sfn` verifiers share, so that both dialects
// word shape errors the same way: "expects <what> of shape [AxB], got [CxD]".
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_DIALECTS_COMMON_SHAPECHECKS_H
#define SPARSEC_DIALECTS_COMMON_SHAPECHECKS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLExtras.h"

#include <string>

namespace mlir::sparsec {

/// "[14336x4096]", with "?" for dynamic sizes.
inline std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::interleave(
      shape,
      [&](int64_t dim) {
        text += ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
      },
      [&] { text += "x"; });
  return text + "]";
}

/// Size of a 1-D tensor value (dynamic for anything else).
inline int64_t vectorSize(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() != 1)
    return ShapedType::kDynamic;
  return type.getDimSize(0);
}

/// Fails with "expects <what> of shape [...], got [...]" unless `value` is a
/// ranked tensor of exactly `expected`.
inline LogicalResult expectShape(Operation *op, Value value, const Twine &what,
                                 ArrayRef<int64_t> expected) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == expected)
    return success();
  return op->emitOpError("expects ")
         << what << " of shape " << formatShape(expected) << ", got "
         << formatShape(type.getShape());
}

inline LogicalResult expectVectorSize(Operation *op, Value value,
                                      const Twine &what, int64_t size) {
  return expectShape(op, value, what, {size});
}

/// Fails unless all `values` (ranked tensors) share one element type.
inline LogicalResult expectSameElementType(Operation *op, const Twine &what,
                                           ArrayRef<Value> values) {
  auto elementType = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getElementType();
  };
  if (llvm::all_of(values, [&](Value v) {
        return elementType(v) == elementType(values.front());
      }))
    return success();
  InFlightDiagnostic diag = op->emitOpError("expects ")
                            << what << " of one element type, got ";
  llvm::interleaveComma(values, diag, [&](Value v) { diag << elementType(v); });
  return diag;
}

/// A matrix-vector product: `weight` is [out, in], `input` [in], result [out].
inline LogicalResult verifyMatVec(Operation *op, Value input, Value weight,
                                  Value result) {
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (weightType.getRank() != 2)
    return op->emitOpError("expects a weight of rank 2 ([out, in]), got ")
           << weightType;
  if (failed(expectShape(op, weight, "weight",
                         {weightType.getDimSize(0), vectorSize(input)})))
    return failure();
  return expectShape(op, result, "result", {weightType.getDimSize(0)});
}

} // namespace mlir::sparsec

#endif // SPARSEC_DIALECTS_COMMON_SHAPECHECKS_H

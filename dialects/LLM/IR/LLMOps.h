//===- LLMOps.h - llm dialect types, attributes and ops ---------*- C++ -*-===//

#ifndef SPARSEC_DIALECTS_LLM_IR_LLMOPS_H
#define SPARSEC_DIALECTS_LLM_IR_LLMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/LLM/IR/LLMDialect.h"

#include "dialects/LLM/IR/LLMEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/LLM/IR/LLMAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/LLM/IR/LLMTypes.h.inc"

#define GET_OP_CLASSES
#include "dialects/LLM/IR/LLMOps.h.inc"

namespace mlir::sparsec::llm {

/// True for the activations whose output is exactly zero wherever the gate
/// pre-activation is <= 0 (the ones the `exact` sparse mode is valid for).
bool isReLUFamily(Activation activation);

/// True for weight element types a checkpoint may store (f32, f16, bf16).
bool isWeightElementType(Type type);

/// Fails unless a weight `type` quantized with !llm.quant is a matrix whose
/// rows are whole blocks; succeeds for every unquantized type. `name` is the
/// tensor's, for the message.
LogicalResult verifyQuantizedRows(Operation *op, StringRef name,
                                  RankedTensorType type);

} // namespace mlir::sparsec::llm

#endif // SPARSEC_DIALECTS_LLM_IR_LLMOPS_H

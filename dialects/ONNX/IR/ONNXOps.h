//===- ONNXOps.h - onnx input dialect ---------------------------*- C++ -*-===//

#ifndef SPARSEC_DIALECTS_ONNX_IR_ONNXOPS_H
#define SPARSEC_DIALECTS_ONNX_IR_ONNXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/ONNX/IR/ONNXDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/ONNX/IR/ONNXOps.h.inc"

#endif // SPARSEC_DIALECTS_ONNX_IR_ONNXOPS_H

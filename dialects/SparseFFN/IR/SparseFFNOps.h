//===- SparseFFNOps.h - sfn dialect types, attributes and ops ---*- C++ -*-===//

#ifndef SPARSEC_DIALECTS_SPARSEFFN_IR_SPARSEFFNOPS_H
#define SPARSEC_DIALECTS_SPARSEFFN_IR_SPARSEFFNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNDialect.h"

#include "dialects/SparseFFN/IR/SparseFFNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNTypes.h.inc"

#define GET_OP_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNOps.h.inc"

#endif // SPARSEC_DIALECTS_SPARSEFFN_IR_SPARSEFFNOPS_H

//===- SparseFFNDialect.cpp - sfn dialect registration ----------*- C++ -*-===//

#include "dialects/SparseFFN/IR/SparseFFNDialect.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::sparsec::sfn;

#include "dialects/SparseFFN/IR/SparseFFNDialect.cpp.inc"
#include "dialects/SparseFFN/IR/SparseFFNEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNTypes.cpp.inc"

void SparseFFNDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/SparseFFN/IR/SparseFFNAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/SparseFFN/IR/SparseFFNTypes.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/SparseFFN/IR/SparseFFNOps.cpp.inc"
      >();
}

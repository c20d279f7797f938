//===- SparseFFNDialect.h - sfn dialect -------------------------*- C++ -*-===//

#ifndef SPARSEC_DIALECTS_SPARSEFFN_IR_SPARSEFFNDIALECT_H
#define SPARSEC_DIALECTS_SPARSEFFN_IR_SPARSEFFNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/LLM/IR/LLMDialect.h"

#include "dialects/SparseFFN/IR/SparseFFNDialect.h.inc"

#endif // SPARSEC_DIALECTS_SPARSEFFN_IR_SPARSEFFNDIALECT_H

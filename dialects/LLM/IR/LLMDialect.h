//===- LLMDialect.h - llm dialect -------------------------------*- C++ -*-===//

#ifndef SPARSEC_DIALECTS_LLM_IR_LLMDIALECT_H
#define SPARSEC_DIALECTS_LLM_IR_LLMDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/LLM/IR/LLMDialect.h.inc"

#endif // SPARSEC_DIALECTS_LLM_IR_LLMDIALECT_H

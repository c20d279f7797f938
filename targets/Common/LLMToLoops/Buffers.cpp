//===- Buffers.cpp - result buffers and the pattern list -----------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::sparsec;

Value sparsec::createResultBuffer(OpBuilder &b, Location loc, Value result,
                                  const DecodeStepABI &abi) {
  int64_t n = cast<RankedTensorType>(result.getType()).getDimSize(0);
  bool returned = llvm::any_of(result.getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user);
  });
  if (returned)
    return abi.getLogitsView(b, loc, n);
  return createTemporary(b, loc, n, b.getF32Type());
}

Value sparsec::createTemporary(OpBuilder &b, Location loc, int64_t n,
                               Type elementType) {
  return memref::AllocOp::create(b, loc, MemRefType::get({n}, elementType),
                                 b.getI64IntegerAttr(64));
}

void sparsec::populateLLMToLoopsPatterns(RewritePatternSet &patterns,
                                         const LLMToLoopsContext &step) {
  populateWeightPatterns(patterns, step);
  populateEmbeddingPatterns(patterns, step);
  populateNormPatterns(patterns, step);
  populateRotaryPatterns(patterns, step);
  populateAttentionPatterns(patterns, step);
  populateLinearPatterns(patterns, step);
  populateFusedFFNPatterns(patterns, step);
  populateMoEPatterns(patterns, step);
}

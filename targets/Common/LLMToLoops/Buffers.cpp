//===- Buffers.cpp - result buffers and the pattern list -----------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::sparsec;

Value sparsec::createResultBuffer(OpBuilder &b, Location loc, Value result,
                                  const LLMToLoopsContext &step) {
  int64_t n = cast<RankedTensorType>(result.getType()).getDimSize(0);
  bool returned = llvm::any_of(result.getUsers(), [](Operation *user) {
    return isa<func::ReturnOp>(user);
  });
  // The prefill step returns the logits of its last token only.
  if (returned)
    return step.abi.getLogitsView(b, loc, n);
  return createTemporary(b, loc, n * std::max<int64_t>(step.prefillBlock, 1),
                         b.getF32Type());
}

void sparsec::forEachToken(KernelBuilder &kb, const LLMToLoopsContext &step,
                           function_ref<void(Value)> body) {
  if (!step.prefillBlock)
    return body(kb.idx(0));
  kb.loop(kb.idx(0), step.prefillCount, 1, body);
}

Value sparsec::tokenPosition(KernelBuilder &kb, const LLMToLoopsContext &step,
                             Value pos, Value t) {
  return step.prefillBlock ? kb.addi(pos, t) : pos;
}

Value sparsec::tokenRow(OpBuilder &b, Location loc,
                        const LLMToLoopsContext &step, Value buffer, Value t,
                        int64_t n) {
  return step.prefillBlock ? rowView(b, loc, buffer, t, n) : buffer;
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

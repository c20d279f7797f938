//===- Embedding.cpp - llm.embed: one row of the table -------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// out[k] = f32(table[token, k]) (one row decoded when quantized), for each
/// token of a prefill block.
struct EmbedLowering : public StepOpLowering<llm::EmbedOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(llm::EmbedOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value table = adaptor.getTable();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    int64_t hidden = cast<RankedTensorType>(op.getType()).getDimSize(0);
    forEachToken(kb, step, [&](Value t) {
      // The prefill step's tokens are in its token buffer.
      Value token = step.prefillBlock ? kb.load(step.prefillTokens, t)
                                      : adaptor.getToken();
      Value row = arith::IndexCastOp::create(rewriter, loc,
                                             rewriter.getIndexType(), token);
      kb.loadRow(WeightRows(table, op.getTable()), row,
                 tokenRow(rewriter, loc, step, out, t, hidden), hidden);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void sparsec::populateEmbeddingPatterns(RewritePatternSet &patterns,
                                        const LLMToLoopsContext &step) {
  patterns.add<EmbedLowering>(patterns.getContext(), step);
}

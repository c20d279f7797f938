//===- Norms.cpp - llm.rms_norm ------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// out = x / sqrt(mean(x^2) + eps) * w, the sum of squares in element order.
struct RMSNormLowering : public StepOpLowering<llm::RMSNormOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(llm::RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value x = adaptor.getInput(), w = adaptor.getWeight();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step.abi);
    int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
    Value ss = kb.loopCarry(kb.idx(0), kb.idx(n), 1, kb.f32(0.0),
                            [&](Value k, Value acc) {
                              Value v = kb.load(x, k);
                              return kb.add(acc, kb.mul(v, v));
                            });
    Value mean = kb.div(ss, kb.f32(static_cast<double>(n)));
    Value eps = kb.f32(op.getEpsilon().convertToDouble());
    Value inv = kb.div(kb.f32(1.0),
                       math::SqrtOp::create(rewriter, loc, kb.add(mean, eps)));
    kb.loop(0, n, 1, [&](Value k) {
      Value v = kb.load(x, k);
      Value wk = kb.toF32(kb.load(w, k));
      kb.store(kb.mul(kb.mul(v, inv), wk), out, k);
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};
} // namespace

void sparsec::populateNormPatterns(RewritePatternSet &patterns,
                                   const LLMToLoopsContext &step) {
  patterns.add<RMSNormLowering>(patterns.getContext(), step);
}

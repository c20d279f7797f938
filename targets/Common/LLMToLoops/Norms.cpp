//===- Norms.cpp - llm.rms_norm ------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// out = x / sqrt(mean(x^2) + eps) * w: the sum of squares in element
/// order, the scaling a vector of the target's width at a time.
struct RMSNormLowering : public StepOpLowering<llm::RMSNormOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(llm::RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value w = adaptor.getWeight();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
    forEachToken(kb, step, [&](Value t) {
      normalize(kb, tokenRow(rewriter, loc, step, adaptor.getInput(), t, n), w,
                tokenRow(rewriter, loc, step, out, t, n), n,
                op.getEpsilon().convertToDouble());
    });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// One token's row.
  void normalize(KernelBuilder &kb, Value x, Value w, Value out, int64_t n,
                 double epsilon) const {
    OpBuilder &rewriter = kb.builder();
    Location loc = kb.getLoc();
    int64_t lanes = step.target.lanesFor(n);
    auto vecType = VectorType::get({lanes}, rewriter.getF32Type());
    Type wElt = cast<MemRefType>(w.getType()).getElementType();
    auto wVecType = VectorType::get({lanes}, wElt);
    // The sum of squares stays in element order: the int8 rounding of the
    // next matvec's input meets ties, and a reassociated sum moves which
    // way they fall (see the e2e tests' --tie-tol).
    Value ss = kb.loopCarry(kb.idx(0), kb.idx(n), 1, kb.f32(0.0),
                            [&](Value k, Value acc) {
                              Value v = kb.load(x, k);
                              return kb.add(acc, kb.mul(v, v));
                            });
    Value mean = kb.div(ss, kb.f32(static_cast<double>(n)));
    Value eps = kb.f32(epsilon);
    Value inv = kb.div(kb.f32(1.0),
                       math::SqrtOp::create(rewriter, loc, kb.add(mean, eps)));
    Value invV = vector::BroadcastOp::create(rewriter, loc, vecType, inv);
    kb.loop(0, n, lanes, [&](Value k) {
      Value v =
          vector::LoadOp::create(rewriter, loc, vecType, x, ValueRange{k});
      Value wk = kb.toF32(
          vector::LoadOp::create(rewriter, loc, wVecType, w, ValueRange{k}));
      Value scaled = arith::MulFOp::create(rewriter, loc, v, invV);
      vector::StoreOp::create(rewriter, loc,
                              arith::MulFOp::create(rewriter, loc, scaled, wk),
                              out, ValueRange{k});
    });
  }
};
} // namespace

void sparsec::populateNormPatterns(RewritePatternSet &patterns,
                                   const LLMToLoopsContext &step) {
  patterns.add<RMSNormLowering>(patterns.getContext(), step);
}

//===- Rotary.cpp - llm.rope ---------------------------------------------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// Rotates every head's pairs (i, i + d/2) by pos * inv_freq_i, with
/// inv_freq_i = 1 / theta^(2i/d) in f32 like the Hugging Face code, or the
/// stated frequencies of a scaling rule (then the loop over i is unrolled
/// and each frequency is a constant).
struct RotaryLowering : public StepOpLowering<llm::RotaryOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(llm::RotaryOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
    forEachToken(kb, step, [&](Value t) {
      rotate(kb, op, tokenRow(rewriter, loc, step, adaptor.getInput(), t, n),
             tokenRow(rewriter, loc, step, out, t, n),
             tokenPosition(kb, step, adaptor.getPos(), t), n);
    });
    rewriter.replaceOp(op, out);
    return success();
  }

  /// One token's row `x` at position `pos` into `out`.
  void rotate(KernelBuilder &kb, llm::RotaryOp op, Value x, Value out,
              Value pos, int64_t n) const {
    OpBuilder &rewriter = kb.builder();
    Location loc = kb.getLoc();
    int64_t d = static_cast<int64_t>(op.getHeadDim()), half = d / 2;
    Value theta = kb.f32(op.getTheta().convertToDouble());
    Type f32 = rewriter.getF32Type();
    Value posF = arith::UIToFPOp::create(
        rewriter, loc, f32,
        arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), pos));
    auto rotatePair = [&](Value i, Value invFreq) {
      Value angle = kb.mul(posF, invFreq);
      Value c = math::CosOp::create(rewriter, loc, angle);
      Value s = math::SinOp::create(rewriter, loc, angle);
      kb.loop(0, n, d, [&](Value head) {
        Value i0 = kb.addi(head, i);
        Value i1 = kb.addi(i0, kb.idx(half));
        Value a0 = kb.load(x, i0);
        Value a1 = kb.load(x, i1);
        kb.store(kb.sub(kb.mul(a0, c), kb.mul(a1, s)), out, i0);
        kb.store(kb.add(kb.mul(a1, c), kb.mul(a0, s)), out, i1);
      });
    };
    if (std::optional<ArrayRef<float>> stated = op.getInvFreq()) {
      for (int64_t i = 0; i < half; ++i)
        rotatePair(kb.idx(i), kb.f32((*stated)[i]));
    } else {
      kb.loop(0, half, 1, [&](Value i) {
        Value iF = arith::UIToFPOp::create(
            rewriter, loc, f32,
            arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(),
                                       i));
        Value exponent =
            kb.div(kb.mul(kb.f32(2.0), iF), kb.f32(static_cast<double>(d)));
        rotatePair(i, kb.div(kb.f32(1.0), math::PowFOp::create(
                                              rewriter, loc, theta, exponent)));
      });
    }
  }
};
} // namespace

void sparsec::populateRotaryPatterns(RewritePatternSet &patterns,
                                     const LLMToLoopsContext &step) {
  patterns.add<RotaryLowering>(patterns.getContext(), step);
}

//===- Linear.cpp - llm.linear, llm.lm_head, llm.add, the return ---------===//

#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <type_traits>

using namespace mlir;
using namespace mlir::sparsec;

namespace {
/// out = W x, rows in parallel (linear and lm_head alike; the LM head's
/// output is the ABI's logits). In the prefill step a linear layer is a
/// matrix-matrix product over the block (KernelBuilder::matmul).
template <typename OpTy> struct MatvecLowering : public StepOpLowering<OpTy> {
  using StepOpLowering<OpTy>::StepOpLowering;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, this->step.target);
    Value result = op->getResult(0);
    const LLMToLoopsContext &step = this->step;
    Value out = createResultBuffer(rewriter, loc, result, step);
    WeightRows w(adaptor.getWeight(), op.getWeight());
    Value x = adaptor.getInput();
    if (step.prefillBlock) {
      int64_t n =
          cast<RankedTensorType>(op->getOperand(0).getType()).getDimSize(0);
      // The prefill step's logits are its last token's: one matvec.
      if constexpr (std::is_same_v<OpTy, llm::LMHeadOp>) {
        Value last =
            arith::SubIOp::create(rewriter, loc, step.prefillCount, kb.idx(1));
        kb.matvec(out, w, rowView(rewriter, loc, x, last, n));
      } else {
        kb.matmul(out, w, x, step.prefillCount, n);
      }
    } else {
      kb.matvec(out, w, x);
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// The residual add, a vector at a time (over every row of a prefill block).
struct AddLowering : public StepOpLowering<llm::AddOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(llm::AddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder kb(rewriter, loc, step.target);
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    Value out = createResultBuffer(rewriter, loc, op.getResult(), step);
    int64_t n = cast<RankedTensorType>(op.getType()).getDimSize(0);
    int64_t lanes = step.target.lanesFor(n);
    auto vecType = VectorType::get({lanes}, rewriter.getF32Type());
    // The prefill step's rows are contiguous: one loop over all of them.
    Value end =
        step.prefillBlock ? kb.muli(step.prefillCount, kb.idx(n)) : kb.idx(n);
    kb.loop(kb.idx(0), end, lanes, [&](Value k) {
      Value a =
          vector::LoadOp::create(rewriter, loc, vecType, lhs, ValueRange{k});
      Value b =
          vector::LoadOp::create(rewriter, loc, vecType, rhs, ValueRange{k});
      vector::StoreOp::create(rewriter, loc,
                              arith::AddFOp::create(rewriter, loc, a, b), out,
                              ValueRange{k});
    });
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// The step returns its logits through the ABI: `return %logits` becomes a
/// plain return.
struct ReturnLowering : public StepOpLowering<func::ReturnOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(func::ReturnOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getNumOperands() == 0)
      return failure();
    rewriter.replaceOpWithNewOp<func::ReturnOp>(op);
    return success();
  }
};
} // namespace

void sparsec::populateLinearPatterns(RewritePatternSet &patterns,
                                     const LLMToLoopsContext &step) {
  patterns.add<MatvecLowering<llm::LinearOp>, MatvecLowering<llm::LMHeadOp>,
               AddLowering, ReturnLowering>(patterns.getContext(), step);
}

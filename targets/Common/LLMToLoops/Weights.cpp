//===- Weights.cpp - weights as views of the packed file -----------------===//
//
// llm.param and sfn.bundle_param become views of the weights argument at
// the byte offset sparsec-plan-buffers recorded; sfn.bundle_part becomes a
// strided [neurons, hidden] subview of its bundle ([neurons, parts, hidden]).
// Quantized weights (!llm.quant) become views of their bytes: rows of
// blocks, [rows, row bytes] of i8.
//
//===----------------------------------------------------------------------===//

#include "dialects/Common/StorageSize.h"
#include "passes/BufferPlan.h"
#include "targets/Common/LLMToLoops/Patterns.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::sparsec;

namespace {

template <typename OpTy> struct WeightLowering : public StepOpLowering<OpTy> {
  using StepOpLowering<OpTy>::StepOpLowering;

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto offset =
        op->template getAttrOfType<IntegerAttr>(kWeightOffsetAttrName);
    if (!offset)
      return rewriter.notifyMatchFailure(op, "no planned weight offset");
    auto type = cast<RankedTensorType>(op.getType());
    // A quantized weight is read as the bytes of its rows' blocks.
    Type element = type.getElementType();
    if (isa<llm::QuantType>(element))
      element = rewriter.getI8Type();
    Value view = this->step.abi.getWeightsView(
        rewriter, op.getLoc(), offset.getInt(),
        MemRefType::get(getStorageShape(type), element));
    rewriter.replaceOp(op, view);
    return success();
  }
};

struct BundlePartLowering : public StepOpLowering<sfn::BundlePartOp> {
  using StepOpLowering::StepOpLowering;

  LogicalResult
  matchAndRewrite(sfn::BundlePartOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value bundle = adaptor.getBundle();
    auto type = cast<MemRefType>(bundle.getType());
    int64_t n = type.getDimSize(0), h = type.getDimSize(2);
    SmallVector<OpFoldResult> offsets{
        rewriter.getIndexAttr(0),
        rewriter.getIndexAttr(static_cast<int64_t>(op.getPart())),
        rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{rewriter.getIndexAttr(n),
                                    rewriter.getIndexAttr(1),
                                    rewriter.getIndexAttr(h)};
    SmallVector<OpFoldResult> strides(3, rewriter.getIndexAttr(1));
    auto viewType =
        cast<MemRefType>(memref::SubViewOp::inferRankReducedResultType(
            {n, h}, type, offsets, sizes, strides));
    rewriter.replaceOpWithNewOp<memref::SubViewOp>(op, viewType, bundle,
                                                   offsets, sizes, strides);
    return success();
  }
};

} // namespace

void sparsec::populateWeightPatterns(RewritePatternSet &patterns,
                                     const LLMToLoopsContext &step) {
  patterns.add<WeightLowering<llm::ParamOp>, WeightLowering<sfn::BundleParamOp>,
               BundlePartLowering>(patterns.getContext(), step);
}

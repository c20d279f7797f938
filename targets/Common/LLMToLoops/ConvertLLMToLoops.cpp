//===- ConvertLLMToLoops.cpp - the convert-llm-to-loops pass -------------===//
//
// Creates sparsec_decode_step with the ABI's signature, moves the decode
// step's ops into it (its token and position arguments become the ABI's,
// the KV cache an unrealized cast of the cache argument that only
// llm.attention reads, through the ABI), and applies the patterns of
// LLMToLoops/ with the conversion framework.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferPlan.h"
#include "passes/DecodeStep.h"
#include "passes/Passes.h"
#include "targets/Common/KernelNames.h"
#include "targets/Common/LLMToLoops/Patterns.h"
#include "targets/Common/Passes.h"

#include "dialects/LLM/IR/LLMDialect.h"
#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNDialect.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_CONVERTLLMTOLOOPSPASS
#include "targets/Common/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {
class ConvertLLMToLoops
    : public sparsec::impl::ConvertLLMToLoopsPassBase<ConvertLLMToLoops> {
public:
  using ConvertLLMToLoopsPassBase::ConvertLLMToLoopsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::unique_ptr<TargetInfoBase> target = createTargetInfo(targetName);
    if (!target) {
      auto diag = module.emitError("convert-llm-to-loops: unknown target '")
                  << targetName << "' (registered:";
      for (const std::string &name : getRegisteredTargetNames())
        diag << " " << name;
      diag << ")";
      return signalPassFailure();
    }
    // A Pass::Option<int64_t> streams as a char: print the number.
    int64_t width = vectorWidth;
    if (width < 0 || (width & (width - 1)) != 0) {
      module.emitError("convert-llm-to-loops: vector-width must be a power "
                       "of two (or 0 for the target's), got ")
          << width;
      return signalPassFailure();
    }
    if (width != 0)
      target = withVectorWidth(std::move(target), width);

    func::FuncOp old = DecodeStep::find(module);
    if (!old) {
      module.emitError("convert-llm-to-loops: no function marked '")
          << kDecodeStepAttrName << "'";
      return signalPassFailure();
    }
    if (!DecodeStep::hasSignature(old.getFunctionType()) || old.isExternal()) {
      old.emitError("convert-llm-to-loops: the decode step does not have the "
                    "signature (i32, index, !llm.kv_cache) -> tensor<Vxf32>; "
                    "run sparsec-verify-decode-step");
      return signalPassFailure();
    }
    if (failed(checkConvertible(old)))
      return signalPassFailure();

    // The loops lowered from an op carry its name (the kernels' names in
    // profiles).
    old.walk([](Operation *op) {
      if (isa<llm::ParamOp, sfn::BundleParamOp, sfn::BundlePartOp,
              sfn::YieldOp>(op) ||
          !isa<llm::LLMDialect, sfn::SparseFFNDialect>(op->getDialect()))
        return;
      std::string name = describeKernelSource(op);
      if (getKernelName(op->getLoc()) != name)
        op->setLoc(NameLoc::get(StringAttr::get(op->getContext(), name),
                                op->getLoc()));
    });

    // The new function takes over the old one's ops.
    OpBuilder b(&getContext());
    b.setInsertionPoint(old);
    Location loc = old.getLoc();
    func::FuncOp func = DecodeStepABI::createStepFunction(b, loc);
    DecodeStepABI abi(func);
    Block *entry = &func.getBody().front();
    DecodeStep oldStep(old);
    Block *body = &old.getBody().front();
    b.setInsertionPointToStart(entry);
    Value pos = abi.getPosition(b, loc);
    auto cache = UnrealizedConversionCastOp::create(
        b, loc, TypeRange{oldStep.getCacheType()},
        ValueRange{abi.getArgument(DecodeStepABI::KVCache)});
    oldStep.getToken().replaceAllUsesWith(abi.getToken());
    oldStep.getPosition().replaceAllUsesWith(pos);
    oldStep.getCache().replaceAllUsesWith(cache.getResult(0));
    entry->getOperations().splice(entry->end(), body->getOperations());
    old.erase();

    LLMToLoopsContext step{*target, abi};
    RewritePatternSet patterns(&getContext());
    populateLLMToLoopsPatterns(patterns, step);
    ConversionTarget legal(getContext());
    // LLVM: target intrinsics (TargetInfoBase::emitInt8DotProduct).
    legal.addLegalDialect<arith::ArithDialect, LLVM::LLVMDialect,
                          math::MathDialect, memref::MemRefDialect,
                          scf::SCFDialect, vector::VectorDialect>();
    legal.addIllegalDialect<llm::LLMDialect, sfn::SparseFFNDialect>();
    legal.addLegalOp<UnrealizedConversionCastOp>();
    legal.addDynamicallyLegalOp<func::ReturnOp>(
        [](func::ReturnOp op) { return op.getNumOperands() == 0; });
    if (failed(applyPartialConversion(func, legal, std::move(patterns))))
      return signalPassFailure();

    // The cache cast and the cast pairs that MoE dispatch leaves fold away.
    SmallVector<UnrealizedConversionCastOp> casts;
    func.walk([&](UnrealizedConversionCastOp op) { casts.push_back(op); });
    reconcileUnrealizedCasts(casts);
    if (cache && cache->use_empty())
      cache.erase();
  }

private:
  /// Ops the sparse pipeline must have rewritten, and the attributes
  /// sparsec-plan-buffers records, on every op that needs one.
  LogicalResult checkConvertible(func::FuncOp step) {
    WalkResult result = step.walk([&](Operation *op) {
      bool unfused = isa<llm::FFNOp, llm::MoEOp>(op) ||
                     (isa<sfn::SparseFFNDialect>(op->getDialect()) &&
                      !isa<sfn::FusedSparseFFNOp, sfn::RouteExpertsOp,
                           sfn::DispatchExpertsOp, sfn::YieldOp,
                           sfn::BundleParamOp, sfn::BundlePartOp>(op));
      if (unfused) {
        op->emitError("convert-llm-to-loops: cannot convert '")
            << op->getName()
            << "'; run the sparse pipeline (--sparsec-sparsify-pipeline) "
               "first";
        return WalkResult::interrupt();
      }
      if (isa<llm::ParamOp, sfn::BundleParamOp>(op) &&
          !op->hasAttr(kWeightOffsetAttrName)) {
        op->emitError("convert-llm-to-loops: weight has no '")
            << kWeightOffsetAttrName << "'; run sparsec-plan-buffers first";
        return WalkResult::interrupt();
      }
      if (isa<sfn::FusedSparseFFNOp>(op) && !op->hasAttr(kStatsSlotAttrName)) {
        op->emitError("convert-llm-to-loops: fused FFN has no '")
            << kStatsSlotAttrName << "'; run sparsec-plan-buffers first";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }
};
} // namespace

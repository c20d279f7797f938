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

    if (prefillBlock < 0) {
      module.emitError("convert-llm-to-loops: prefill-block must be 0 or "
                       "positive, got ")
          << static_cast<int64_t>(prefillBlock);
      return signalPassFailure();
    }
    // The prefill step starts from a copy of the same ops. With a
    // sliding-window ring the runtime runs a block through it only while
    // the block ends within the ring's slots (a later token's key would
    // overwrite a slot an earlier token attends to).
    OwningOpRef<func::FuncOp> prefillSource;
    if (prefillBlock > 0)
      prefillSource = old.clone();

    // The new function takes over the old one's ops.
    OpBuilder b(&getContext());
    b.setInsertionPoint(old);
    Location loc = old.getLoc();
    func::FuncOp func = DecodeStepABI::createStepFunction(b, loc);
    if (failed(lower(old, func, *target, /*block=*/0)))
      return signalPassFailure();
    if (prefillSource) {
      b.setInsertionPointAfter(func);
      func::FuncOp prefill = DecodeStepABI::createPrefillFunction(b, loc);
      if (failed(
              lower(prefillSource.release(), prefill, *target, prefillBlock)))
        return signalPassFailure();
      module->setAttr(kPrefillBlockAttrName, b.getI64IntegerAttr(prefillBlock));
    }
  }

private:
  /// Moves `source`'s ops into `func` (an ABI function), erases `source`,
  /// and converts them: the decode step, or with `block` > 0 the prefill
  /// step over up to `block` tokens.
  LogicalResult lower(func::FuncOp source, func::FuncOp func,
                      const TargetInfoBase &target, int64_t block) {
    OpBuilder b(&getContext());
    Location loc = source.getLoc();
    DecodeStepABI abi(func);
    Block *entry = &func.getBody().front();
    DecodeStep oldStep(source);
    Block *body = &source.getBody().front();
    b.setInsertionPointToStart(entry);
    Value pos = abi.getPosition(b, loc);
    auto cache = UnrealizedConversionCastOp::create(
        b, loc, TypeRange{oldStep.getCacheType()},
        ValueRange{abi.getArgument(DecodeStepABI::KVCache)});
    LLMToLoopsContext step{target, abi, block};
    if (block > 0) {
      // The block's tokens are the first `block` int32 of scratch
      // (sparsec-plan-scratch leaves them alone); `token` says how many,
      // clamped to [1, block] so that no call reads past them.
      step.prefillTokens = abi.getScratchView(
          b, loc, 0, MemRefType::get({block}, b.getI32Type()));
      Value count = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          arith::MaxSIOp::create(
              b, loc, abi.getToken(),
              arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(1))));
      step.prefillCount = arith::MinUIOp::create(
          b, loc, count, arith::ConstantIndexOp::create(b, loc, block));
    }
    oldStep.getToken().replaceAllUsesWith(abi.getToken());
    oldStep.getPosition().replaceAllUsesWith(pos);
    oldStep.getCache().replaceAllUsesWith(cache.getResult(0));
    entry->getOperations().splice(entry->end(), body->getOperations());
    source.erase();

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
      return failure();

    // The cache cast and the cast pairs that MoE dispatch leaves fold away.
    // reconcileUnrealizedCasts may erase the cache cast itself (when it is
    // unused): only a cast still in the function is looked at afterwards.
    SmallVector<UnrealizedConversionCastOp> casts;
    func.walk([&](UnrealizedConversionCastOp op) { casts.push_back(op); });
    reconcileUnrealizedCasts(casts);
    bool cacheAlive = false;
    func.walk([&](UnrealizedConversionCastOp op) {
      cacheAlive |= op.getOperation() == cache.getOperation();
    });
    if (cacheAlive && cache->use_empty())
      cache.erase();
    return success();
  }

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

//===- ConvertParallelLoopsToThreadPool.cpp - scf.parallel -> kernels ----===//

#include "passes/BufferPlan.h"
#include "targets/CPU/Passes.h"
#include "targets/Common/DecodeStepABI.h"
#include "targets/Common/KernelNames.h"

#include "sparsec/kernel_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_CONVERTPARALLELLOOPSTOTHREADPOOLPASS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {
constexpr llvm::StringLiteral kParallelForName = "sparsec_parallel_for";
constexpr llvm::StringLiteral kRunRangeName = "sparsec_run_range";

class ConvertParallelLoopsToThreadPool
    : public sparsec::impl::ConvertParallelLoopsToThreadPoolPassBase<
          ConvertParallelLoopsToThreadPool> {
public:
  using ConvertParallelLoopsToThreadPoolPassBase::
      ConvertParallelLoopsToThreadPoolPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp step = DecodeStepABI::lookupStepFunction(
        module, "convert-parallel-loops-to-thread-pool");
    if (!step)
      return signalPassFailure();
    // The decode step's loops, then the prefill step's: one numbering.
    SmallVector<func::FuncOp> steps = {step};
    if (func::FuncOp prefill = DecodeStepABI::lookupPrefillFunction(module))
      steps.push_back(prefill);
    SmallVector<std::pair<scf::ParallelOp, func::FuncOp>> loops;
    for (func::FuncOp owner : steps) {
      WalkResult walk = owner.walk([&](scf::ParallelOp loop) {
        if (loop->getParentOfType<scf::ParallelOp>()) {
          loop.emitError("convert-parallel-loops-to-thread-pool: nested "
                         "parallel loops are not supported");
          return WalkResult::interrupt();
        }
        loops.push_back({loop, owner});
        return WalkResult::advance();
      });
      if (walk.wasInterrupted())
        return signalPassFailure();
    }

    MLIRContext *context = &getContext();
    OpBuilder b(context);
    Location loc = step.getLoc();
    b.setInsertionPoint(step);
    // The runtime's thread pool entry: runs kernel k over [0, n).
    auto parallelFor = func::FuncOp::create(
        b, loc, kParallelForName,
        b.getFunctionType({b.getI32Type(), b.getI64Type()}, {}));
    parallelFor.setPrivate();

    // sparsec_run_range(abi..., kernel, begin, end): the kernels' bodies.
    b.setInsertionPointAfter(step);
    SmallVector<Type> rangeArgs = DecodeStepABI::getArgumentTypes(context);
    rangeArgs.append({b.getI32Type(), b.getI64Type(), b.getI64Type()});
    auto range = func::FuncOp::create(b, loc, kRunRangeName,
                                      b.getFunctionType(rangeArgs, {}));
    range->setAttr("llvm.emit_c_interface", b.getUnitAttr());
    Block *rangeBody = range.addEntryBlock();
    DecodeStepABI rangeABI(range);
    b.setInsertionPointToEnd(rangeBody);
    auto indexArg = [&](unsigned i) -> Value {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                        rangeBody->getArgument(i));
    };
    unsigned first = DecodeStepABI::NumArguments;
    Value kernel = indexArg(first), begin = indexArg(first + 1),
          end = indexArg(first + 2);
    SmallVector<int64_t> cases;
    for (size_t k = 0; k < loops.size(); ++k)
      cases.push_back(static_cast<int64_t>(k));
    auto switchOp = scf::IndexSwitchOp::create(b, loc, TypeRange{}, kernel,
                                               cases, cases.size());
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&switchOp.getDefaultRegion());
      scf::YieldOp::create(b, loc);
    }
    func::ReturnOp::create(b, loc);

    SmallVector<Attribute> names;
    for (auto [k, entry] : llvm::enumerate(loops)) {
      auto [loop, owner] = entry;
      DecodeStepABI stepABI(owner);
      std::optional<std::string> name = getKernelName(loop.getLoc());
      // The prefill step's kernels come from the same ops: their names say
      // which step runs them.
      StringRef prefix = owner == step ? "" : "prefill: ";
      names.push_back(b.getStringAttr(
          prefix + (name ? *name : "kernel " + std::to_string(k))));
      std::optional<int64_t> n = tripCount(loop);
      if (!n) {
        loop.emitError("convert-parallel-loops-to-thread-pool: expected a 1-D "
                       "loop over [0, n) with step 1 and a constant n");
        return signalPassFailure();
      }
      Block *caseBlock = b.createBlock(&switchOp.getCaseRegions()[k]);
      b.setInsertionPointToStart(caseBlock);
      IRMapping mapping;
      for (unsigned i = 0; i < DecodeStepABI::NumArguments; ++i) {
        auto which = static_cast<DecodeStepABI::Argument>(i);
        mapping.map(stepABI.getArgument(which), rangeABI.getArgument(which));
      }
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(loop.getRegion(), captured);
      for (Value value : captured)
        if (failed(rematerialize(b, value, mapping)))
          return signalPassFailure();
      auto forOp = scf::ForOp::create(
          b, loc, begin, end, arith::ConstantIndexOp::create(b, loc, 1));
      mapping.map(loop.getInductionVars()[0], forOp.getInductionVar());
      b.setInsertionPointToStart(forOp.getBody());
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, mapping);
      b.setInsertionPointToEnd(caseBlock);
      scf::YieldOp::create(b, loc);

      OpBuilder call(loop);
      Value id = arith::ConstantOp::create(
          call, loop.getLoc(), call.getI32IntegerAttr(static_cast<int32_t>(k)));
      Value count = arith::ConstantOp::create(call, loop.getLoc(),
                                              call.getI64IntegerAttr(*n));
      func::CallOp::create(call, loop.getLoc(), parallelFor,
                           ValueRange{id, count});
      loop.erase();
    }
    module->setAttr(kNumKernelsAttrName, b.getI64IntegerAttr(loops.size()));
    module->setAttr(kKernelNamesAttrName, b.getArrayAttr(names));
  }

private:
  static std::optional<int64_t> tripCount(scf::ParallelOp loop) {
    if (loop.getNumLoops() != 1 || loop.getNumResults() != 0)
      return std::nullopt;
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[0]);
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[0]);
    std::optional<int64_t> st = getConstantIntValue(loop.getStep()[0]);
    if (!lb || !ub || !st || *lb != 0 || *st != 1)
      return std::nullopt;
    return ub;
  }

  /// Makes `value` available in the kernel: an ABI argument maps to the
  /// kernel's; a side-effect-free op, or a load marked kernel-invariant, is
  /// cloned after its operands.
  LogicalResult rematerialize(OpBuilder &b, Value value, IRMapping &mapping) {
    if (mapping.contains(value))
      return success();
    Operation *def = value.getDefiningOp();
    bool invariantLoad = def && isa<memref::LoadOp>(def) &&
                         def->hasAttr(kKernelInvariantAttrName);
    if (!def || def->getNumRegions() != 0 ||
        (!isMemoryEffectFree(def) && !invariantLoad)) {
      Operation *at = def ? def : value.getParentBlock()->getParentOp();
      at->emitError("convert-parallel-loops-to-thread-pool: a parallel loop "
                    "uses this value, which a kernel cannot recompute from "
                    "the ABI's arguments");
      return failure();
    }
    for (Value operand : def->getOperands())
      if (failed(rematerialize(b, operand, mapping)))
        return failure();
    b.clone(*def, mapping);
    return success();
  }
};
} // namespace

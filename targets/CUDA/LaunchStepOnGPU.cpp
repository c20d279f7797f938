//===- LaunchStepOnGPU.cpp - the decode step as gpu.launch ops -----------===//
//
// Algorithm (see Passes.td): classify the step's top-level operations in
// order (host: pure, region-free, from arguments and host values; else a
// kernel's), group the kernel operations into segments (each scf.parallel
// alone, each run of others together), find the scalars a segment defines
// and a later one uses (spilled through scratch slots), then wrap each
// segment in a gpu.launch: the parallel loop's body under a bounds check on
// the global thread index, or the run as it is on one thread.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferPlan.h"
#include "targets/CUDA/Passes.h"
#include "targets/Common/DecodeStepABI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_LAUNCHSTEPONGPUPASS
#include "targets/CUDA/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// Consecutive kernel operations that run as one launch.
struct Segment {
  scf::ParallelOp parallel; ///< set: the segment is this loop alone
  SmallVector<Operation *> ops;
};

/// Whether `op` stays on the host: it computes a constant, a cast or a view
/// from the step's arguments and other host values, nothing that reads
/// device memory.
bool staysOnHost(Operation *op, const DenseSet<Operation *> &host) {
  if (op->getNumRegions() != 0 || !isPure(op))
    return false;
  return llvm::all_of(op->getOperands(), [&](Value v) {
    Operation *def = v.getDefiningOp();
    return !def || host.contains(def);
  });
}

/// A 1-D scf.parallel over [0, n) with step 1 and constant n, as
/// TargetInfoBase::emitParallelLoop builds; its trip count, else nullopt.
std::optional<int64_t> tripCount(scf::ParallelOp loop) {
  if (loop.getNumLoops() != 1 || loop.getNumResults() != 0)
    return std::nullopt;
  std::optional<int64_t> lo = getConstantIntValue(loop.getLowerBound()[0]);
  std::optional<int64_t> hi = getConstantIntValue(loop.getUpperBound()[0]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[0]);
  if (!lo || !hi || !step || *lo != 0 || *step != 1)
    return std::nullopt;
  return *hi;
}

/// Moves the body of `loop` (but its scf.reduce) before `before`, with the
/// induction variable replaced by `iv`, and erases the loop.
void inlineBody(scf::ParallelOp loop, Value iv, Operation *before) {
  Block *body = loop.getBody();
  body->getArgument(0).replaceAllUsesWith(iv);
  for (Operation &op : llvm::make_early_inc_range(body->without_terminator()))
    op.moveBefore(before);
  loop.erase();
}

class LaunchStepOnGPU
    : public sparsec::impl::LaunchStepOnGPUPassBase<LaunchStepOnGPU> {
public:
  using LaunchStepOnGPUPassBase::LaunchStepOnGPUPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func =
        DecodeStepABI::lookupStepFunction(module, "sparsec-launch-step-on-gpu");
    if (!func)
      return signalPassFailure();
    if (blockSize < 1 || blockSize > 1024) {
      module.emitError("sparsec-launch-step-on-gpu: block-size ")
          << blockSize << " is not in [1, 1024]";
      return signalPassFailure();
    }
    Block &entry = func.getBody().front();

    // 1. Host operations, and the kernels' segments in program order.
    DenseSet<Operation *> host;
    SmallVector<Segment> segments;
    DenseMap<Operation *, size_t> segmentOf;
    bool lastWasSerial = false;
    for (Operation &op : entry.without_terminator()) {
      if (staysOnHost(&op, host)) {
        host.insert(&op);
        continue;
      }
      auto loop = dyn_cast<scf::ParallelOp>(op);
      if (loop && tripCount(loop)) {
        segments.push_back({loop, {&op}});
        lastWasSerial = false;
      } else {
        if (!lastWasSerial)
          segments.push_back({});
        segments.back().ops.push_back(&op);
        lastWasSerial = true;
      }
      segmentOf[&op] = segments.size() - 1;
    }
    for (Value v : entry.getTerminator()->getOperands())
      if (Operation *def = v.getDefiningOp(); def && !host.contains(def)) {
        entry.getTerminator()->emitError(
            "sparsec-launch-step-on-gpu: the step returns a value computed "
            "on the device");
        return signalPassFailure();
      }

    // Host operations move to the top (they read only the arguments and
    // each other, so their order among themselves suffices): a launch takes
    // the place of its first operation and must see every one it uses.
    Operation *firstKernelOp = nullptr;
    for (Operation &op : entry.without_terminator())
      if (!host.contains(&op)) {
        firstKernelOp = &op;
        break;
      }
    if (firstKernelOp)
      for (Operation &op :
           llvm::make_early_inc_range(entry.without_terminator()))
        if (host.contains(&op) && firstKernelOp->isBeforeInBlock(&op))
          op.moveBefore(firstKernelOp);

    // 2. Scalars that cross segments get scratch slots.
    auto scratchAttr =
        module->getAttrOfType<IntegerAttr>(kScratchBytesAttrName);
    if (!scratchAttr) {
      module.emitError("sparsec-launch-step-on-gpu: no ")
          << kScratchBytesAttrName << "; run sparsec-plan-scratch first";
      return signalPassFailure();
    }
    int64_t slotBase = (scratchAttr.getInt() + 63) / 64 * 64;
    DenseMap<Value, int64_t> slotOf;
    for (auto [index, segment] : llvm::enumerate(segments))
      for (Operation *op : segment.ops)
        for (Value result : op->getResults()) {
          bool crosses = llvm::any_of(result.getUsers(), [&](Operation *user) {
            Operation *top = entry.findAncestorOpInBlock(*user);
            return top && !top->hasTrait<OpTrait::IsTerminator>() &&
                   segmentOf.lookup(top) != index;
          });
          if (!crosses)
            continue;
          Type type = result.getType();
          if (!type.isIntOrIndexOrFloat() ||
              type.getIntOrFloatBitWidth() > 64) {
            op->emitError("sparsec-launch-step-on-gpu: a value of type ")
                << type << " is used by a later kernel; only scalars can be "
                << "passed between kernels";
            return signalPassFailure();
          }
          slotOf[result] = static_cast<int64_t>(slotOf.size());
        }

    // 3. One gpu.launch per segment.
    DecodeStepABI abi(func);
    for (Segment &segment : segments)
      if (failed(launch(segment, abi, slotBase, slotOf)))
        return signalPassFailure();
    if (!slotOf.empty())
      module->setAttr(kScratchBytesAttrName,
                      OpBuilder(module).getI64IntegerAttr(
                          slotBase + 8 * static_cast<int64_t>(slotOf.size())));
  }

private:
  /// The slot of `value` (of its own type, index as i64) in the scratch.
  Value slotView(OpBuilder &b, Location loc, const DecodeStepABI &abi,
                 int64_t offset, Type type) const {
    Type stored = type.isIndex() ? b.getI64Type() : type;
    return abi.getScratchView(b, loc, offset, MemRefType::get({1}, stored));
  }

  LogicalResult launch(Segment &segment, const DecodeStepABI &abi,
                       int64_t slotBase,
                       const DenseMap<Value, int64_t> &slotOf) const {
    Operation *first = segment.ops.front();
    Location loc = first->getLoc();
    OpBuilder b(first);
    int64_t threads = 1, blocks = 1, n = 0;
    if (segment.parallel) {
      n = *tripCount(segment.parallel);
      threads = std::min<int64_t>(blockSize, std::max<int64_t>(n, 1));
      blocks = std::max<int64_t>((n + threads - 1) / threads, 1);
    }
    auto c = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value one = c(1);
    auto launchOp = gpu::LaunchOp::create(b, loc, c(blocks), one, one,
                                          c(threads), one, one);
    Block &body = launchOp.getBody().front();
    OpBuilder inside = OpBuilder::atBlockBegin(&body);
    auto terminator = gpu::TerminatorOp::create(inside, loc);

    if (segment.parallel) {
      inside.setInsertionPoint(terminator);
      Value index = arith::AddIOp::create(
          inside, loc,
          arith::MulIOp::create(
              inside, loc, launchOp.getBlockIds().x,
              arith::ConstantIndexOp::create(inside, loc, threads)),
          launchOp.getThreadIds().x);
      Value inRange =
          arith::CmpIOp::create(inside, loc, arith::CmpIPredicate::ult, index,
                                arith::ConstantIndexOp::create(inside, loc, n));
      auto ifOp = scf::IfOp::create(inside, loc, inRange);
      inlineBody(segment.parallel, index, ifOp.thenBlock()->getTerminator());
    } else {
      for (Operation *op : segment.ops)
        op->moveBefore(terminator);
      // Loops nested in serial code run in order on this one thread.
      SmallVector<scf::ParallelOp> nested;
      launchOp.walk([&](scf::ParallelOp loop) { nested.push_back(loop); });
      for (scf::ParallelOp loop : nested) {
        if (loop.getNumResults() != 0)
          return loop.emitError("sparsec-launch-step-on-gpu: a parallel loop "
                                "with reductions in serial code");
        OpBuilder lb(loop);
        SmallVector<Value> ivs;
        Operation *innermost = loop;
        for (auto [lo, hi, step] : llvm::zip(
                 loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
          auto forOp = scf::ForOp::create(lb, loop.getLoc(), lo, hi, step);
          ivs.push_back(forOp.getInductionVar());
          lb.setInsertionPoint(forOp.getBody()->getTerminator());
          innermost = forOp.getBody()->getTerminator();
        }
        Block *loopBody = loop.getBody();
        for (auto [arg, iv] : llvm::zip(loopBody->getArguments(), ivs))
          arg.replaceAllUsesWith(iv);
        for (Operation &op :
             llvm::make_early_inc_range(loopBody->without_terminator()))
          op.moveBefore(innermost);
        loop.erase();
      }
    }

    // Scalars from earlier kernels are read from their slots first; this
    // kernel's scalars that later ones use are written to theirs last.
    OpBuilder top = OpBuilder::atBlockBegin(&body);
    llvm::SetVector<Value> inputs;
    launchOp.walk([&](Operation *op) {
      for (Value v : op->getOperands())
        if (slotOf.count(v) &&
            !launchOp->isAncestor(v.getParentRegion()->getParentOp()))
          inputs.insert(v);
    });
    for (Value v : inputs) {
      Value view =
          slotView(top, loc, abi, slotBase + 8 * slotOf.lookup(v), v.getType());
      Value loaded = memref::LoadOp::create(
          top, loc, view,
          ValueRange{arith::ConstantIndexOp::create(top, loc, 0)});
      if (v.getType().isIndex())
        loaded = arith::IndexCastOp::create(top, loc, v.getType(), loaded);
      v.replaceUsesWithIf(loaded, [&](OpOperand &use) {
        return launchOp->isProperAncestor(use.getOwner());
      });
    }
    OpBuilder bottom(terminator);
    for (Operation &op : body.without_terminator())
      for (Value result : op.getResults()) {
        auto it = slotOf.find(result);
        if (it == slotOf.end())
          continue;
        Value stored = result;
        if (result.getType().isIndex())
          stored = arith::IndexCastOp::create(bottom, loc, bottom.getI64Type(),
                                              result);
        Value view = slotView(bottom, loc, abi, slotBase + 8 * it->second,
                              result.getType());
        memref::StoreOp::create(
            bottom, loc, stored, view,
            ValueRange{arith::ConstantIndexOp::create(bottom, loc, 0)});
      }
    return success();
  }
};

} // namespace

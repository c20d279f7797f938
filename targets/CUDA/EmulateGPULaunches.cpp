//===- EmulateGPULaunches.cpp - gpu.launch as loops on the CPU -----------===//
//
// Algorithm: for each gpu.launch (one-dimensional grids and blocks, as
// sparsec-launch-step-on-gpu makes them), build scf.for over the blocks
// around scf.for over the threads before it, replace the body's block and
// thread ids and sizes with the loop variables and the launch's operands,
// move the body (without its gpu.terminator) into the inner loop and erase
// the launch.
//
//===----------------------------------------------------------------------===//

#include "targets/CUDA/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_EMULATEGPULAUNCHESPASS
#include "targets/CUDA/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {
class EmulateGPULaunches
    : public sparsec::impl::EmulateGPULaunchesPassBase<EmulateGPULaunches> {
public:
  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation().walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp launch : launches)
      if (failed(emulate(launch)))
        return signalPassFailure();
  }

private:
  LogicalResult emulate(gpu::LaunchOp launch) {
    for (Value size : {launch.getGridSizeY(), launch.getGridSizeZ(),
                       launch.getBlockSizeY(), launch.getBlockSizeZ()})
      if (getConstantIntValue(size) != 1)
        return launch.emitError("sparsec-emulate-gpu-launches: only "
                                "one-dimensional grids and blocks");
    if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
      return launch.emitError("sparsec-emulate-gpu-launches: async launch");
    Location loc = launch.getLoc();
    OpBuilder b(launch);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto blocks = scf::ForOp::create(b, loc, zero, launch.getGridSizeX(), one);
    b.setInsertionPoint(blocks.getBody()->getTerminator());
    auto threads =
        scf::ForOp::create(b, loc, zero, launch.getBlockSizeX(), one);

    gpu::KernelDim3 blockIds = launch.getBlockIds(),
                    threadIds = launch.getThreadIds(),
                    gridSize = launch.getGridSize(),
                    blockSize = launch.getBlockSize();
    blockIds.x.replaceAllUsesWith(blocks.getInductionVar());
    threadIds.x.replaceAllUsesWith(threads.getInductionVar());
    for (Value id : {blockIds.y, blockIds.z, threadIds.y, threadIds.z})
      id.replaceAllUsesWith(zero);
    gridSize.x.replaceAllUsesWith(launch.getGridSizeX());
    blockSize.x.replaceAllUsesWith(launch.getBlockSizeX());
    for (Value size : {gridSize.y, gridSize.z, blockSize.y, blockSize.z})
      size.replaceAllUsesWith(one);

    Block &body = launch.getBody().front();
    Operation *end = threads.getBody()->getTerminator();
    for (Operation &op : llvm::make_early_inc_range(body.without_terminator()))
      op.moveBefore(end);
    launch.erase();
    return success();
  }
};
} // namespace

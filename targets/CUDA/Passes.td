//===- Passes.td - CUDA backend passes ---------------------*- tablegen -*-===//

#ifndef SPARSEC_TARGETS_CUDA_PASSES_TD
#define SPARSEC_TARGETS_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def LaunchStepOnGPUPass
    : Pass<"sparsec-launch-step-on-gpu", "::mlir::ModuleOp"> {
  let summary = "Runs the whole decode step on the GPU: its loops as gpu.launch ops";
  let description = [{
    The buffers of `sparsec_decode_step` (weights, KV cache, logits, stats,
    scratch) live in device memory, so every instruction that reads or
    writes them must run on the device; the host only launches. The step's
    top-level operations are split in program order:

    * operations that only compute constants, casts and views of the
      arguments (pure, without regions, from such values) stay on the host,
      where every kernel can use them;
    * each 1-D `scf.parallel` over `[0, n)` (step 1, constant `n`) becomes a
      `gpu.launch` of `ceil(n / block-size)` blocks of `block-size` threads,
      iteration `blockIdx.x * block-size + threadIdx.x` on each thread (the
      last block's extra threads do nothing);
    * each maximal run of other operations (norms, softmax, sums in a fixed
      order) becomes a `gpu.launch` of one thread, in which nested
      `scf.parallel` loops run in order (`scf.for`).

    A scalar one kernel computes and a later one reads is stored in an
    8-byte slot appended to the scratch buffer (`sparsec.scratch_bytes`
    grows by the slots). Kernels run in program order on one stream, so
    each sees what the previous ones wrote.

    ```mlir
    scf.parallel (%r) = (%c0) to (%c4096) step (%c1) { ... }
    // becomes
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c32, ...) threads(%tx, ...) in (%c128, ...) {
      %r = <bx * 128 + tx>
      scf.if (%r < 4096) { ... }
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"128",
           "Threads per block of a parallel loop's grid">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
}

def EmulateGPULaunchesPass
    : Pass<"sparsec-emulate-gpu-launches", "::mlir::ModuleOp"> {
  let summary = "Runs each gpu.launch as loops over its blocks and threads, on the CPU";
  let description = [{
    The `cuda-emulator` target's step: what sparsec-launch-step-on-gpu made
    for the GPU, executed by the host, so that the GPU mapping (the
    segments, the bounds checks, the scalars passed through scratch slots)
    is checked against the numpy reference on a machine without a GPU.
    Each `gpu.launch` becomes `scf.for` over its blocks around `scf.for`
    over its threads (x only; y and z must be 1), the block and thread ids
    and sizes replaced by the loop variables and the launch's operands.
    Valid for sparsec's kernels, whose threads share no memory and never
    synchronise.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

#endif // SPARSEC_TARGETS_CUDA_PASSES_TD

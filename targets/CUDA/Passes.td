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

#endif // SPARSEC_TARGETS_CUDA_PASSES_TD

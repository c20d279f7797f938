//===- Passes.td - target-neutral codegen passes -----------*- tablegen -*-===//
//
// Conversions are named as upstream's (`convert-X-to-Y`); the others start
// with `sparsec-`. Keep them alphabetical.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_COMMON_PASSES_TD
#define SPARSEC_TARGETS_COMMON_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLLMToLoopsPass : Pass<"convert-llm-to-loops", "::mlir::ModuleOp"> {
  let summary = "Converts the llm/sfn decode step to scf/vector/memref loops with the kernel ABI";
  let description = [{
    Rewrites the function marked `llm.decode_step` (after the sparse
    pipeline and sparsec-plan-buffers) into `sparsec_decode_step`, whose
    arguments are those of runtime/include/sparsec/kernel_abi.h (the
    `DecodeStepABI` class owns them):
    `(weights: memref<?xi8>, kv_cache: memref<?xi8>, logits: memref<?xf32>,
    stats: memref<?xi32>, scratch: memref<?xi8>, token: i32, pos: i64)`,
    and defines `sparsec_kernel_abi_version()`.

    One conversion pattern per op family (targets/Common/LLMToLoops/)
    writes each `llm`/`sfn` op as loops specialised to the model's shapes,
    asking the target (`target=`, a registered name) for its vector width,
    accumulator chains, neuron chunks, prefetches and parallel loops:

    * weights are views of the weights argument at `sparsec.weight_offset`;
    * the returned logits are written into the logits argument, other
      results and temporaries are `memref.alloc`s (sparsec-plan-scratch
      places them in the scratch argument);
    * matvecs (linear, lm_head, router, predictor) run rows in parallel;
    * fused sparse FFNs build per-chunk lists of active neurons and read
      only those neurons' bundle rows, accumulating the down projection in a
      fixed order, and count them into stats slot `sparsec.stats_slot`;
    * MoE blocks route (softmax, top-k, renormalise) and run only the
      selected experts through an `scf.index_switch`.

    Data-parallel loops are `scf.parallel`s; a backend pass maps them onto
    threads (sparsec-cpu-outline-parallel-loops) or, later, GPU blocks.

    With `prefill-block=B`, the same ops are lowered a second time into
    `sparsec_prefill_step` (same arguments; `token` is the number of
    tokens T <= B, the tokens are the first T int32 of scratch): every
    activation is a [B x n] buffer, linear layers and FFNs are
    matrix-matrix products over the block (every neuron of a sparse FFN),
    attention appends the block's keys and values and attends causally,
    and the logits are the last token's. MoE models and sliding-window
    caches get no prefill step. The module records B in
    `sparsec.prefill_block`.

    ```mlir
    %y = llm.linear %x, %w : tensor<64xf32>, tensor<32x64xf16> -> tensor<32xf32>
    // becomes
    %y = memref.alloc() {alignment = 64 : i64} : memref<32xf32>
    scf.parallel (%r) = (%c0) to (%c32) step (%c1) {
      %d = ... vector.fma ... vector.reduction <add> ...
      memref.store %d, %y[%r] : memref<32xf32>
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"x86-64-avx2\"",
           "Registered target whose TargetInfo the patterns ask">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"0",
           "f32 lanes per vector (power of two; 0: the target's)">,
    Option<"prefillBlock", "prefill-block", "int64_t", /*default=*/"0",
           "Also lower the step over blocks of up to this many prompt tokens "
           "(sparsec_prefill_step); 0: decode step only">,
  ];
}

def PlanScratchPass : Pass<"sparsec-plan-scratch", "::mlir::ModuleOp"> {
  let summary = "Places the decode step's temporaries in the scratch argument";
  let description = [{
    Every `memref.alloc` in `sparsec_decode_step` (a result or temporary of
    convert-llm-to-loops) becomes a view of the ABI's scratch argument at a
    64-byte aligned offset of its own, so that kernels outlined into other
    functions can rebuild it from the ABI arguments alone. The prefill step
    (when there is one) is planned the same way after its token buffer, over
    the same scratch: the two steps never run at once. Records the larger
    total in the module's `sparsec.scratch_bytes` (the manifest's scratch
    size).

    ```mlir
    %t = memref.alloc() {alignment = 64 : i64} : memref<32xf32>
    // becomes
    %t = memref.view %scratch[%c128][] : memref<?xi8> to memref<32xf32>
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

#endif // SPARSEC_TARGETS_COMMON_PASSES_TD

//===- Passes.td - CPU backend passes ----------------------*- tablegen -*-===//

#ifndef SPARSEC_TARGETS_CPU_PASSES_TD
#define SPARSEC_TARGETS_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertParallelLoopsToThreadPoolPass
    : Pass<"convert-parallel-loops-to-thread-pool", "::mlir::ModuleOp"> {
  let summary = "Outlines the decode step's scf.parallel loops into thread-pool kernels";
  let description = [{
    The CPU runtime runs data-parallel work through its thread pool
    (runtime/include/sparsec/kernel_abi.h): the step calls
    `sparsec_parallel_for(kernel, n)`, and the pool's threads call
    `sparsec_run_range(<the step's arguments>, kernel, begin, end)`.

    Each 1-D `scf.parallel` over `[0, n)` (step 1, constant `n`) in
    `sparsec_decode_step` becomes case `kernel` of an `scf.index_switch` in
    `sparsec_run_range`, an `scf.for` over `[begin, end)` running the loop's
    body; the loop itself becomes the call. A kernel sees only the ABI's
    arguments, so every value the body uses from outside is recomputed in
    it: constants, casts and views of the arguments (what
    sparsec-plan-scratch leaves) are cloned; anything else is an error.
    Records the number of kernels in `sparsec.num_kernels`, and their names
    in `sparsec.kernel_names` (each loop's NameLoc, which
    convert-llm-to-loops derives from the op it lowers; else "kernel K"):
    the manifest lists them for the runtime's `--profile`.

    ```mlir
    scf.parallel (%r) = (%c0) to (%c32) step (%c1) { ... }
    // becomes, in sparsec_decode_step
    func.call @sparsec_parallel_for(%c0_i32, %c32_i64) : (i32, i64) -> ()
    // and in sparsec_run_range
    scf.index_switch %kernel case 0 { scf.for %r = %begin to %end step %c1 { ... } }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::scf::SCFDialect"];
}

def ApproximateExpPass
    : Pass<"sparsec-approximate-exp", "::mlir::ModuleOp"> {
  let summary = "Replaces math.exp by MLIR's f32 polynomial approximation";
  let description = [{
    On a CPU, `math.exp` would become a call to libm's `expf` per element
    (LLVM scalarises a vector `llvm.exp`): the softmax of attention over a
    4096-position context made 32 x 4096 calls per layer. This pass
    rewrites every f32 `math.exp` (scalar or vector) into the range
    reduction and polynomial of MLIR's math polynomial approximations
    (`populateMathPolynomialApproximationPatterns`), plain arithmetic that
    stays vectorised. Its error is a few ulp, far inside the tolerances the
    end-to-end tests hold the step to against the numpy reference.

    ```mlir
    %e = math.exp %x : vector<8xf32>
    // becomes arith/math ops on vector<8xf32>: no math.exp, no call
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // SPARSEC_TARGETS_CPU_PASSES_TD

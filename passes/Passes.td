//===- Passes.td - sparsec passes --------------------------*- tablegen -*-===//
//
// Passes are grouped under banners; keep them alphabetical within a group.
// Definitions end in `Pass`, flags start with `sparsec-`.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_PASSES_TD
#define SPARSEC_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

def VerifyDecodeStepPass : Pass<"sparsec-verify-decode-step", "::mlir::ModuleOp"> {
  let summary = "Checks that the module's decode step is a complete, consistent model";
  let description = [{
    Op verifiers check one op at a time; this pass checks what only the
    whole decode step can show (docs/decode-step.md), and reports every
    problem at once:

    * a function marked `llm.decode_step` exists and has the signature
      `(i32 token, index pos, !llm.kv_cache<...>) -> tensor<Vxf32>`, and it
      returns the result of an `llm.lm_head`;
    * every `llm.attention` uses the function's cache and position, and
      the attention layers are exactly `0 .. layers-1` of the cache, once each;
    * `llm.ffn` / `llm.moe` layers are in range and used once each;
    * `llm.embed` looks up the function's token;
    * every `llm.param` name denotes one tensor type across the module.

    ```mlir
    // error: 'func.func' op decode step uses KV cache layers 0..1 but has no llm.attention for layer 1
    func.func @step(%tok: i32, %pos: index,
                    %c: !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 1, head_dim = 4, f32>)
        -> tensor<32xf32> attributes {llm.decode_step} { ... }
    ```
  }];
}

#endif // SPARSEC_PASSES_TD

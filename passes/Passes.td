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
// Import
//===----------------------------------------------------------------------===//

def ConvertONNXToLLMPass : Pass<"sparsec-convert-onnx-to-llm", "::mlir::ModuleOp"> {
  let summary = "Matches an imported ONNX decoder graph and rewrites it into the llm decode step";
  let description = [{
    Input: a function marked `onnx.graph` (the ONNX importer's output: one
    `onnx.node` per node, inputs and outputs named by `onnx.name`) holding
    one decode step of a decoder-only LLM: `input_ids` and `position_ids`
    of one token, `past_key_values.N.key/value` in, `logits` and
    `present.N.key/value` out. Output: the `llm` decode step
    (docs/decode-step.md) that replaces it.

    The inputs become the step's token, position and KV cache; then
    patterns rewrite subgraphs into `llm` ops, each from the tensors the
    earlier matches produced (the values between them are flat vectors;
    Reshape/Squeeze/Unsqueeze/Flatten/Identity only relabel them):

    * `Gather(embedding, input_ids)` -> `llm.embed`;
    * RMSNorm, decomposed: `x * w / sqrt(mean(x^2) + eps)` in its
      Mul/Pow/ReduceMean/Add/Sqrt/Reciprocal/Div spellings -> `llm.rms_norm`;
    * `Gemm(x, W, transB=1)` or `MatMul(x, Transpose(W))` -> `llm.linear`
      (the last one, into the logits, -> `llm.lm_head`); `MatMul(x, W)` and
      `Gemm(x, W)` with W stored [in, out] read `transpose(W)`, which the
      importer's tensor source transposes;
    * RoPE with rotate_half: `x*cos + concat(-x2, x1)*sin`, cos/sin of
      `position * inv_freq` -> `llm.rope` (theta recovered from inv_freq);
    * attention: `Softmax(Q K^T * scale) V` over `Concat(past, new)` keys
      and values, grouped heads -> `llm.attention` (the present outputs are
      the cache it writes);
    * FFNs: `down(act(gate x, up x))` for SwiGLU (`g*sigmoid(g)*u`), dReLU
      (`relu(g)*relu(u)`) and ReLU-gated (`relu(g)*u`) -> `llm.ffn`, with a
      predictor when the activation is masked by
      `Cast(Greater(fc2(Relu(fc1 r)), threshold))`;
    * Mixtral's MoE: the sum of `ffn_e(x) * w[e]` over every expert, `w`
      scattered from the renormalised `TopK` of `Softmax(router x)` ->
      `llm.moe`; and `com.microsoft.MoE` with Mixtral's routing and gated
      experts stacked [experts, rows, columns] (each expert a view
      `expert(W,e)`; SwiGLU gate/up fused in fc1 interleaved or one after
      the other, or apart in fc1/fc3) -> `llm.moe`;
    * `Add` of two matched values -> `llm.add`.

    FFN and MoE layers are numbered in graph order. A graph the patterns do not
    cover is refused, naming the first node left unmatched (and why, for
    contrib ops whose attributes sparsec cannot follow); nothing is
    imported half-way.
  }];
  let dependentDialects = ["::mlir::sparsec::llm::LLMDialect"];
  let options = [
    Option<"maxSeqLen", "max-seq-len", "int64_t", /*default=*/"0",
           "KV cache length (positions); required">,
    Option<"cacheType", "kv-cache-type", "std::string", /*default=*/"\"f16\"",
           "KV cache element type: f16, bf16 or f32">,
    Option<"slidingWindow", "sliding-window", "int64_t", /*default=*/"0",
           "Attention window (0: none)">,
  ];
}

def FoldONNXShapesPass : Pass<"sparsec-fold-onnx-shapes", "::mlir::ModuleOp"> {
  let summary = "Evaluates the shape arithmetic of an imported ONNX decode graph";
  let description = [{
    Exporters that trace a model (torch.onnx, Optimum) compute reshape
    targets, slice bounds and masks from `Shape` of the tensors, for any
    batch and sequence length. In a decode step the batch and the sequence
    are 1, so most of that arithmetic has a value. This pass propagates
    shapes (and the values of tensors of up to 64 elements) through the
    function marked `onnx.graph`, from its inputs with batch 1, one token,
    and the past length unknown; replaces each node whose value is then
    known with an `arith.constant`; and gives the other nodes the shapes it
    found (so sparsec-convert-onnx-to-llm can tell a Transpose that only
    moves unit dimensions from one that reorders). What depends on the past
    length (the causal mask) stays.

    ```mlir
    %s = onnx.node "Shape"(%x) : (tensor<1x1x64xf32>) -> tensor<*xi64>
    %d = onnx.node "Gather"(%s, %c2) {node_attributes = {axis = 0 : i64}} ...
    // becomes
    %d = arith.constant dense<64> : tensor<i64>
    ```
  }];
}

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

//===----------------------------------------------------------------------===//
// Buffer planning
//===----------------------------------------------------------------------===//

def PlanBuffersPass : Pass<"sparsec-plan-buffers", "::mlir::ModuleOp"> {
  let summary = "Records weight offsets and stats slots for codegen, the manifest and the packer";
  let description = [{
    Runs after the sparse pipeline, before any backend. Records, as
    attributes (passes/BufferPlan.h), what codegen and the driver must agree
    on:

    * `sparsec.weight_offset` on every `llm.param` / `sfn.bundle_param`: its
      byte offset in the packed weights file's data section (WeightSlots:
      walk order, deduplicated by packed name, back to back);
    * `sparsec.stats_slot` on every `sfn.fused_sparse_ffn`: its counter in
      the step's stats argument and its entry in the manifest's `ffns`;
    * `sparsec.num_ffns` on the module.

    ```mlir
    %w = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf16>
    %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {mode = #sfn.mode<dense>, ...}
    // becomes
    %w = llm.param "model.layers.0.self_attn.q_proj.weight" {sparsec.weight_offset = 8192 : i64} : tensor<64x64xf16>
    %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {mode = #sfn.mode<dense>, sparsec.stats_slot = 0 : i64, ...}
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Sparsification
//===----------------------------------------------------------------------===//

def DecideSparsityPass : Pass<"sparsec-decide-sparsity", "::mlir::ModuleOp"> {
  let summary = "Keeps a layer dense where its expected density makes sparse slower";
  let description = [{
    Reads calibration statistics (per layer, and per expert for MoE: the
    fraction of neurons that fire, and the fraction the predictor selects)
    and marks each `llm.ffn` / `llm.moe` with `sparsec.mode`: `dense` when
    the density a sparse mode would compute is above `break-even-density`
    (gathered rows cost more per byte than a streamed matrix, so a sparse
    layer only wins below it), otherwise the sparse mode the layer supports
    (`predicted` with a predictor, `exact` for ReLU-family activations).
    sparsec-sparsify-ffn honours the marks. With `print-decisions`, each
    decision is also emitted as a remark.

    Statistics file (JSON): sparsec-synth's `synth_report.json` (an `ffn`
    array of per-layer/expert measurements), or:
    ```json
    { "layers": [ { "layer": 0, "density": 0.10, "predicted_density": 0.12 },
                  { "layer": 1, "experts": [ { "density": 0.14 }, { "density": 0.16 } ] } ] }
    ```
  }];
  let options = [
    Option<"statsFile", "stats", "std::string", /*default=*/"\"\"",
           "Calibration statistics (JSON, see the description)">,
    Option<"breakEvenDensity", "break-even-density", "double",
           /*default=*/"0.25",
           "Densities above this run dense (measured break-even)">,
    Option<"printDecisions", "print-decisions", "bool", /*default=*/"false",
           "Emit one remark per layer with its decision and why">,
  ];
}

def FuseMoERoutingPass : Pass<"sparsec-fuse-moe-routing", "::mlir::ModuleOp"> {
  let summary = "Rewrites llm.moe into routing plus a dispatch of only the top-k experts";
  let description = [{
    `llm.moe` becomes `sfn.route_experts` (router matvec, softmax over all
    experts, top-k, renormalised, as in the Hugging Face Mixtral block) and
    an `sfn.dispatch_experts` whose region `e` runs expert `e` as one
    `sfn.fused_sparse_ffn`; only the selected regions execute. Each expert
    runs in the mode `layers` gives its layer, else the mode
    sparsec-decide-sparsity marked on the block, else `expert-mode`
    (`auto`: predicted with a predictor, exact for ReLU-family activations,
    dense otherwise). Each fused op carries the
    block's `layer` and its expert index `expert`.

    ```mlir
    %y = llm.moe %x router(%r) experts(gate [%g0, %g1], up [...], down [...]) {top_k = 1 ...}
    // becomes
    %ids, %w = sfn.route_experts %x, %r {top_k = 1 : i64} : ...
    %y = sfn.dispatch_experts %ids, %w, %x {num_experts = 2 : i64} : ...
    expert 0 { ^bb0(%in: tensor<64xf32>):
      %0 = sfn.fused_sparse_ffn %in, %g0, %u0, %dt0 {expert = 0 : i64, layer = 0 : i64, mode = #sfn.mode<exact>, ...}
      sfn.yield %0 : tensor<64xf32> }
    expert 1 { ... }
    ```
  }];
  let dependentDialects = ["::mlir::sparsec::sfn::SparseFFNDialect"];
  let options = [
    Option<"expertMode", "expert-mode", "std::string", /*default=*/"\"auto\"",
           "auto, dense, exact or predicted">,
    Option<"layerModes", "layers", "std::string", /*default=*/"\"\"",
           "Per-layer expert modes, e.g. 0-3:dense,4-31:predicted (over the "
           "sparsec.mode mark and expert-mode)">,
  ];
}

def FusePredictorGatherPass : Pass<"sparsec-fuse-predictor-gather", "::mlir::ModuleOp"> {
  let summary = "Fuses predict, gathered gate/up, activation and scattered down into one op";
  let description = [{
    Matches the unfused sparse FFN that sparsec-sparsify-ffn emits, an
    active set (`sfn.predict`, `sfn.select` or `sfn.all_active`), gathered
    gate and up matvecs, `sfn.activate` and `sfn.scatter_matvec`, and
    replaces it with one `sfn.fused_sparse_ffn` whose mode follows the set:
    predicted, exact (select at threshold 0 of a ReLU-family gate),
    threshold, or dense. The fused kernel then never materialises an
    `n_ff`-wide intermediate except the dense gate of exact/threshold mode.
    Chains whose intermediate values have other users are left alone. The
    fused op takes the `layer` of the scatter it replaces.

    ```mlir
    %s = sfn.predict %res, %fc1, %fc2 ...
    %g = sfn.gather_matvec %gate[%s], %x ...
    %u = sfn.gather_matvec %up[%s], %x ...
    %h = sfn.activate %g, %u {activation = #llm.activation<drelu>} ...
    %y = sfn.scatter_matvec %dt[%s], %h {layer = 0 : i64} ...
    // becomes
    %y = sfn.fused_sparse_ffn %x, %gate, %up, %dt predictor(%res, %fc1, %fc2)
        {activation = #llm.activation<drelu>, layer = 0 : i64,
         mode = #sfn.mode<predicted>} ...
    ```
  }];
  let dependentDialects = ["::mlir::sparsec::sfn::SparseFFNDialect"];
}

def PackNeuronBundlesPass : Pass<"sparsec-pack-neuron-bundles", "::mlir::ModuleOp"> {
  let summary = "Lays out each sparse FFN's weights as per-neuron bundles";
  let description = [{
    For every `sfn.fused_sparse_ffn` whose weights are plain `llm.param`s,
    replaces the weights a neuron reads together with parts of one
    `sfn.bundle_param`, `[neurons, parts, hidden]`: in predicted mode gate
    row, up row and down column (parts 0, 1, 2); in exact and threshold mode
    up row and down column (the gate is read densely and stays a matrix).
    Dense FFNs keep their matrices. The module records the layout version in
    `sparsec.weights_layout`; the weight packer writes the bundles from the
    IR.

    ```mlir
    %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(...) {mode = #sfn.mode<predicted>}
    // becomes
    %b = sfn.bundle_param "model.layers.0.mlp.neuron_bundles" sources [...] transposed [2]
        : tensor<256x3x64xf16>
    %g = sfn.bundle_part %b[0] ...   %u = sfn.bundle_part %b[1] ...   %dt = sfn.bundle_part %b[2] ...
    %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(...) {mode = #sfn.mode<predicted>}
    ```
  }];
  let dependentDialects = ["::mlir::sparsec::sfn::SparseFFNDialect"];
}

def QuantizeWeightsPass : Pass<"sparsec-quantize-weights", "::mlir::ModuleOp"> {
  let summary = "Gives weights a block-quantized element type (!llm.quant)";
  let description = [{
    Runs after the sparse pipeline. Every weight matrix (`llm.param`,
    `sfn.bundle_param` and the `sfn.bundle_part` views of it) whose rows are
    whole blocks becomes `!llm.quant<format>`; the weight packer quantizes
    it from the checkpoint's f32/f16/bf16 (or uses a GGUF's blocks where
    they match), and the kernels read the blocks. Kept as they are:

    * 1-D weights (norms) and the MoE router (small, and routing decisions
      are sensitive to its precision);
    * weights in a role listed in `keep`: `embed` (the embedding table),
      `lm_head`, `predictor` (the activation predictors; the default), or
      `none`. A tensor in several roles (a tied embedding) is kept if any
      of its roles is;
    * matrices whose rows are not a multiple of the block size (32), with
      one exception: for the k-quants (super-blocks of 256), rows that are
      whole blocks of 32 but not of 256 take the 32-weight format of at
      least as many bits per weight: q4_1 for q4_k, q8_0 for q6_k.

    The transposed down projection is quantized along its rows
    (`[intermediate, hidden]`: blocks along hidden), the order the scatter
    kernel reads it in.

    ```mlir
    %w = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf16>
    // with format=q4_0 becomes
    %w = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64x!llm.quant<q4_0>>
    ```
  }];
  let options = [
    Option<"format", "format", "std::string", /*default=*/"\"q8_0\"",
           "q8_0, q4_0, q4_1, q4_k or q6_k">,
    Option<"keep", "keep", "std::string", /*default=*/"\"predictor\"",
           "Roles left unquantized: comma-separated embed, lm_head, predictor, or none">
  ];
  let dependentDialects = ["::mlir::sparsec::llm::LLMDialect",
                           "::mlir::sparsec::sfn::SparseFFNDialect"];
}

def SparsifyFFNPass : Pass<"sparsec-sparsify-ffn", "::mlir::ModuleOp"> {
  let summary = "Rewrites llm.ffn into sfn ops in a sparse mode chosen per layer";
  let description = [{
    Each `llm.ffn` becomes an active set plus gathered and scattered
    matvecs (DESIGN.md, "Sparse modes"):

    * `dense`: `sfn.all_active`, every row.
    * `exact`: the gate densely (`llm.linear`), `sfn.select` where the
      ReLU-family gate is > 0, up and down only there (equal to dense up to
      floating-point reassociation).
    * `predicted`: `sfn.predict` from the block's predictor; gate, up, down
      only on its set.
    * `threshold`: as exact, keeping `|act(gate)| > t` and skipping
      `|act(gate)| <= t` (strict, so t = 0 keeps every neuron whose
      activated gate is non-zero; SwiGLU and other non-ReLU models; t per
      layer from `activation-threshold`).

    The mode of layer `l` is, by precedence: `layers` (e.g.
    `0-3:dense,4-31:predicted`), the `sparsec.mode` mark of
    sparsec-decide-sparsity, `default-mode`. `auto` picks predicted with a
    predictor, exact for ReLU-family activations, dense otherwise. Modes
    that make no sense are refused with an error on the block: predicted
    without a predictor, exact on a non-ReLU activation, threshold without
    a threshold. The down projection is read transposed (`llm.param ...
    transposed`). The scatter carries the block's `layer`, which
    sparsec-fuse-predictor-gather moves onto the fused op.

    ```mlir
    %y = llm.ffn %x, %g, %u, %d predictor(%res, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64}
    // becomes (predicted)
    %s = sfn.predict %res, %fc1, %fc2 ...
    %gv = sfn.gather_matvec %g[%s], %x ...
    %uv = sfn.gather_matvec %u[%s], %x ...
    %h = sfn.activate %gv, %uv {activation = #llm.activation<drelu>} ...
    %dt = llm.param "model.layers.0.mlp.down_proj.weight" transposed ...
    %y = sfn.scatter_matvec %dt[%s], %h {layer = 0 : i64} ...
    ```
  }];
  let dependentDialects = ["::mlir::sparsec::sfn::SparseFFNDialect"];
  let options = [
    Option<"defaultMode", "default-mode", "std::string", /*default=*/"\"auto\"",
           "auto, dense, exact, predicted or threshold">,
    Option<"layerModes", "layers", "std::string", /*default=*/"\"\"",
           "Per-layer modes, e.g. 0-3:dense,4-31:predicted">,
    Option<"predictorThreshold", "predictor-threshold", "std::string",
           /*default=*/"\"\"",
           "Predictor score threshold (default: the model's, else 0)">,
    Option<"activationThreshold", "activation-threshold", "std::string",
           /*default=*/"\"\"",
           "Threshold-mode t: one value, or per layer (0-3:0.05,4:0.1)">,
  ];
}

#endif // SPARSEC_PASSES_TD

//===- SparseFFNOps.td - sfn dialect operations ------------*- tablegen -*-===//

#ifndef SPARSEC_SFN_OPS_TD
#define SPARSEC_SFN_OPS_TD

include "dialects/SparseFFN/IR/SparseFFNBase.td"
include "dialects/SparseFFN/IR/SparseFFNAttrs.td"
include "dialects/SparseFFN/IR/SparseFFNTypes.td"
include "dialects/LLM/IR/LLMAttrs.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Building blocks
//===----------------------------------------------------------------------===//

def SparseFFN_PredictOp : SparseFFN_Op<"predict", [Pure]> {
  let summary = "Low-rank MLP predictor: the neurons expected to fire";
  let description = [{
    Scores `fc2 relu(fc1 input)` (`fc1` is `[rank, hidden]`, `fc2` is
    `[intermediate, rank]`) and returns, as a compact sorted index list, the
    neurons whose score is greater than `threshold`.

    ```mlir
    %set = sfn.predict %res, %fc1, %fc2 {threshold = 0.0 : f32}
        : tensor<4096xf32>, tensor<1024x4096xf16>, tensor<14336x1024xf16>
          -> !sfn.active_set<14336>
    ```
  }];
  let arguments = (ins SparseFFN_Vector:$input, SparseFFN_Weight:$fc1,
                       SparseFFN_Weight:$fc2,
                       DefaultValuedAttr<F32Attr, "0.0f">:$threshold);
  let results = (outs SparseFFN_ActiveSetType:$active);
  let assemblyFormat = [{
    $input `,` $fc1 `,` $fc2 attr-dict `:` type($input) `,` type($fc1) `,`
    type($fc2) `->` qualified(type($active))
  }];
  let hasVerifier = 1;
}

def SparseFFN_AllActiveOp : SparseFFN_Op<"all_active", [Pure]> {
  let summary = "The active set holding every neuron (dense execution)";
  let description = [{
    ```mlir
    %all = sfn.all_active : !sfn.active_set<14336>
    ```
  }];
  let results = (outs SparseFFN_ActiveSetType:$active);
  let assemblyFormat = "attr-dict `:` qualified(type($active))";
}

def SparseFFN_SelectOp : SparseFFN_Op<"select", [Pure]> {
  let summary = "Neurons whose activated gate value is large enough";
  let description = [{
    Keeps neuron `i` when `|act(gate[i])| > threshold`, where `act` is the
    gate side of `activation` (relu for the ReLU family, silu for swiglu,
    gelu for gelu). Returns the active set and, compactly, the kept raw gate
    values. With a ReLU-family activation and threshold 0 this is exact: the
    dropped neurons contribute exactly zero.

    ```mlir
    %set, %g = sfn.select %gate {activation = #llm.activation<drelu>, threshold = 0.0 : f32}
        : tensor<14336xf32> -> !sfn.active_set<14336>, tensor<?xf32>
    ```
  }];
  let arguments = (ins SparseFFN_Vector:$gate, LLM_ActivationAttr:$activation,
                       DefaultValuedAttr<F32Attr, "0.0f">:$threshold);
  let results = (outs SparseFFN_ActiveSetType:$active,
                      SparseFFN_CompactVector:$values);
  let assemblyFormat = [{
    $gate attr-dict `:` type($gate) `->` qualified(type($active)) `,`
    type($values)
  }];
  let hasVerifier = 1;
}

def SparseFFN_GatherMatvecOp : SparseFFN_Op<"gather_matvec", [Pure]> {
  let summary = "Dot products of the active rows of a weight with a vector";
  let description = [{
    For each index `i` of `active` (in order), `dot(weight[i, :], input)`.
    Only the active rows are read. The result is compact: one value per
    active index.

    ```mlir
    %g = sfn.gather_matvec %gate[%set], %x
        : tensor<14336x4096xf16>, !sfn.active_set<14336>, tensor<4096xf32>
          -> tensor<?xf32>
    ```
  }];
  let arguments = (ins SparseFFN_Weight:$weight,
                       SparseFFN_ActiveSetType:$active,
                       SparseFFN_Vector:$input);
  let results = (outs SparseFFN_CompactVector:$result);
  let assemblyFormat = [{
    $weight `[` $active `]` `,` $input attr-dict `:` type($weight) `,`
    qualified(type($active)) `,` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def SparseFFN_ActivateOp : SparseFFN_Op<"activate",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Gated activation of compact gate and up values";
  let description = [{
    `act(gate, up)` elementwise, with the same meaning as in `llm.ffn`
    (for `drelu`: `relu(gate) * relu(up)`).
  }];
  let arguments = (ins SparseFFN_CompactVector:$gate,
                       SparseFFN_CompactVector:$up,
                       LLM_ActivationAttr:$activation);
  let results = (outs SparseFFN_CompactVector:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
}

def SparseFFN_ScatterMatvecOp : SparseFFN_Op<"scatter_matvec", [Pure]> {
  let summary = "Sum of values times the active rows of a transposed weight";
  let description = [{
    `sum_j values[j] * down_t[active[j], :]`: the down projection restricted
    to the active neurons, reading `down` stored transposed
    (`[intermediate, hidden]`) so that each neuron is one contiguous row.

    `layer`, when present, is the decoder layer of the FFN block this
    scatter ends (sparsec-sparsify-ffn copies `llm.ffn`'s `layer` here);
    sparsec-fuse-predictor-gather, which roots its match at the scatter,
    moves it onto the `sfn.fused_sparse_ffn` it creates.

    ```mlir
    %y = sfn.scatter_matvec %down_t[%set], %h {layer = 0 : i64}
        : tensor<14336x4096xf16>, !sfn.active_set<14336>, tensor<?xf32>
          -> tensor<4096xf32>
    ```
  }];
  let arguments = (ins SparseFFN_Weight:$down_t,
                       SparseFFN_ActiveSetType:$active,
                       SparseFFN_CompactVector:$values,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$layer);
  let results = (outs SparseFFN_Vector:$result);
  let assemblyFormat = [{
    $down_t `[` $active `]` `,` $values attr-dict `:` type($down_t) `,`
    qualified(type($active)) `,` type($values) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused FFN and MoE routing
//===----------------------------------------------------------------------===//

def SparseFFN_FusedSparseFFNOp : SparseFFN_Op<"fused_sparse_ffn",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "A whole FFN block in one op: predict, gather, activate, scatter";
  let description = [{
    One FFN block executed without materialising a full-width intermediate
    except what `mode` needs:

    * `dense`: every neuron.
    * `exact`: gate for every neuron; up and down only where the gate's
      activation is non-zero (ReLU-family activations only).
    * `predicted`: the predictor's active set (neurons whose predictor score
      is `> predictor_threshold`, default 0); gate, up and down only there.
    * `threshold`: gate for every neuron; up and down only where
      `|act(gate)| > activation_threshold` (strict: neurons with
      `|act(gate)| <= activation_threshold` are skipped, so threshold 0 keeps
      exactly the neurons whose activated gate is non-zero).

    `down` is the down projection in the layout the mode reads it in. The
    sparse modes read it per active neuron, so it is stored transposed
    (`[intermediate, hidden]`: neuron `i`'s column as a row) and the result
    is a sum of scaled rows. `dense` reads all of it, so it keeps its own
    layout (`[hidden, intermediate]`) and the result is a matvec over the
    activated neurons: one dot product per output, which quantized rows
    compute on integers, and a GGUF's row-major `ffn_down` is used as
    stored.

    Invariants (checked by the verifier):

    * Shapes: `gate` and `up` are `[intermediate, hidden]`, `down`
      `[intermediate, hidden]` (`[hidden, intermediate]` in `dense`), with one
      element type; `input` and the result are `[hidden]`. The predictor
      operands come all three or none: `predictor_input` `[hidden]`, `fc1`
      `[rank, hidden]`, `fc2` `[intermediate, rank]`.
    * `dense`: no predictor, no `predictor_threshold`, no
      `activation_threshold`; any activation.
    * `exact`: no predictor, no `predictor_threshold`, no
      `activation_threshold`; the activation must be of the ReLU family
      (`drelu`, `relu`, `relu2`).
    * `predicted`: the predictor is required; `predictor_threshold` is
      optional; no `activation_threshold`; any activation.
    * `threshold`: no predictor, no `predictor_threshold`;
      `activation_threshold` is required and non-negative; any activation.

    Weights may be `sfn.bundle_part` views of one neuron bundle; the
    verifier checks only their shapes, not which weights are bundled. The
    convention sparsec-pack-neuron-bundles follows (and the one to keep) is
    that the weights read per active neuron are bundled: `up` and `down`
    in `exact` and `threshold`, `gate`, `up` and `down` in `predicted`
    (whose gate is also read only per active neuron), and none in `dense`.

    `layer` is the decoder layer of the block (from `llm.ffn` / `llm.moe`)
    and `expert` the expert index within an `llm.moe` block (absent for
    a plain `llm.ffn` block); both are optional, non-negative, and do not
    change what the op computes: they name the block in the compile
    manifest's `ffns`.

    ```mlir
    %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%res, %fc1, %fc2)
        {activation = #llm.activation<drelu>, layer = 0 : i64,
         mode = #sfn.mode<predicted>}
        : (tensor<4096xf32>, tensor<14336x4096xf16>, tensor<14336x4096xf16>,
           tensor<14336x4096xf16>, tensor<4096xf32>, tensor<1024x4096xf16>,
           tensor<14336x1024xf16>) -> tensor<4096xf32>
    ```
  }];
  let arguments = (ins SparseFFN_Vector:$input, SparseFFN_Weight:$gate,
                       SparseFFN_Weight:$up, SparseFFN_Weight:$down,
                       Optional<SparseFFN_Vector>:$predictor_input,
                       Optional<SparseFFN_Weight>:$predictor_fc1,
                       Optional<SparseFFN_Weight>:$predictor_fc2,
                       SparseFFN_ModeAttr:$mode,
                       LLM_ActivationAttr:$activation,
                       OptionalAttr<F32Attr>:$predictor_threshold,
                       OptionalAttr<F32Attr>:$activation_threshold,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$layer,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$expert);
  let results = (outs SparseFFN_Vector:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $up `,` $down
    (`predictor` `(` $predictor_input^ `,` $predictor_fc1 `,` $predictor_fc2 `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    bool hasPredictor() { return static_cast<bool>(getPredictorFc1()); }
  }];
  let hasVerifier = 1;
}

def SparseFFN_RouteExpertsOp : SparseFFN_Op<"route_experts", [Pure]> {
  let summary = "MoE router: top-k experts and their renormalised weights";
  let description = [{
    Router logits `router input` (`router` is `[num_experts, hidden]`),
    softmax over all experts, the `top_k` largest (ties to the lower index),
    their weights renormalised to sum to one. Results are the expert indices
    and weights, in descending weight order.

    ```mlir
    %ids, %w = sfn.route_experts %x, %router {top_k = 2 : i64}
        : tensor<4096xf32>, tensor<8x4096xf16> -> tensor<2xi32>, tensor<2xf32>
    ```
  }];
  let arguments = (ins SparseFFN_Vector:$input, SparseFFN_Weight:$router,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k);
  let results = (outs 1DTensorOf<[I32]>:$experts,
                      1DTensorOf<[F32]>:$weights);
  let assemblyFormat = [{
    $input `,` $router attr-dict `:` type($input) `,` type($router) `->`
    type($experts) `,` type($weights)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Expert dispatch
//===----------------------------------------------------------------------===//

def SparseFFN_DispatchExpertsOp : SparseFFN_Op<"dispatch_experts",
    [RecursiveMemoryEffects]> {
  let summary = "Runs only the selected experts and sums their weighted outputs";
  let description = [{
    `sum_j weights[j] * expert_{experts[j]}(input)`: region `e` computes
    expert `e`'s FFN of its block argument (the input) and yields a
    `[hidden]` vector. Only the `top_k` selected regions execute, so a token
    reads the weights of its `top_k` experts and nothing of the others.

    ```mlir
    %y = sfn.dispatch_experts %ids, %w, %x {num_experts = 2 : i64}
        : tensor<1xi32>, tensor<1xf32>, tensor<64xf32> -> tensor<64xf32>
    expert 0 {
    ^bb0(%in: tensor<64xf32>):
      %0 = sfn.fused_sparse_ffn %in, ... -> tensor<64xf32>
      sfn.yield %0 : tensor<64xf32>
    }
    expert 1 { ... }
    ```
  }];
  let arguments = (ins 1DTensorOf<[I32]>:$experts, 1DTensorOf<[F32]>:$weights,
                       SparseFFN_Vector:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_experts);
  let results = (outs SparseFFN_Vector:$result);
  let regions = (region VariadicRegion<SizedRegion<1>>:$expertBodies);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

def SparseFFN_YieldOp : SparseFFN_Op<"yield",
    [Pure, Terminator, ReturnLike, HasParent<"DispatchExpertsOp">]> {
  let summary = "Returns an expert's output from its dispatch region";
  let arguments = (ins SparseFFN_Vector:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

//===----------------------------------------------------------------------===//
// Packed weights
//===----------------------------------------------------------------------===//

def SparseFFN_BundleParamOp : SparseFFN_Op<"bundle_param", [Pure]> {
  let summary = "Neuron bundles: several weights interleaved row by row";
  let description = [{
    A tensor of the packed weights file, `[neurons, parts, hidden]`: for
    neuron `i`, row `i` of each source weight, one after another, so that an
    active neuron is one contiguous stream. `sources` names the checkpoint
    tensors in part order; a source listed in `transposed` is read as its
    transpose (the down projection, stored `[hidden, intermediate]`). The
    weight packer writes the bundle from this op.

    ```mlir
    %b = sfn.bundle_param "model.layers.0.mlp.bundles"
        sources ["model.layers.0.mlp.gate_proj.weight",
                 "model.layers.0.mlp.up_proj.weight",
                 "model.layers.0.mlp.down_proj.weight"] transposed [2]
        : tensor<14336x3x4096xf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, StrArrayAttr:$sources,
                       DenseI64ArrayAttr:$transposed);
  let results = (outs SparseFFN_Weight:$result);
  let assemblyFormat = [{
    $name `sources` $sources `transposed` $transposed attr-dict `:`
    type($result)
  }];
  let hasVerifier = 1;
}

def SparseFFN_BundlePartOp : SparseFFN_Op<"bundle_part", [Pure]> {
  let summary = "One weight of a neuron bundle, as a strided view";
  let description = [{
    Part `part` of every neuron in a `[neurons, parts, hidden]` bundle: a
    `[neurons, hidden]` view with a row stride of `parts * hidden`. Kernels
    that receive all parts of one bundle stream each neuron contiguously.
  }];
  let arguments = (ins SparseFFN_Weight:$bundle,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$part);
  let results = (outs SparseFFN_Weight:$result);
  let assemblyFormat = [{
    $bundle `[` $part `]` attr-dict `:` type($bundle) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // SPARSEC_SFN_OPS_TD

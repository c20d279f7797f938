//===- LLMOps.td - llm dialect operations ------------------*- tablegen -*-===//
//
// Operations of one decode step. Shapes are static and checked by verifiers:
// every op states the numbers it expected and the ones it got.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_LLM_OPS_TD
#define SPARSEC_LLM_OPS_TD

include "dialects/LLM/IR/LLMBase.td"
include "dialects/LLM/IR/LLMAttrs.td"
include "dialects/LLM/IR/LLMTypes.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def LLM_ParamOp : LLM_Op<"param", [Pure]> {
  let summary = "A named weight tensor from the model's weights file";
  let description = [{
    Names a tensor in the external weights file (a safetensors checkpoint
    or the packed weights file). The tensor's shape and dtype are the result
    type; the runtime maps the bytes at load time, so weights never enter the
    IR. Two `llm.param` ops with the same name denote the same tensor (tied
    embeddings, for instance).

    ```mlir
    %w = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<14336x4096xf16>
    ```

    With `transposed`, the value is the transpose of the stored matrix: the
    sparse passes read the down projection as `[intermediate, hidden]` so
    that each neuron's column is one contiguous row, and the weight packer
    writes it that way.

    ```mlir
    %dt = llm.param "model.layers.0.mlp.down_proj.weight" transposed : tensor<14336x4096xf16>
    ```
  }];
  let arguments = (ins StrAttr:$name, UnitAttr:$transposed);
  let results = (outs LLM_Weight:$result);
  let assemblyFormat = [{
    $name (`transposed` $transposed^)? attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Token-level ops
//===----------------------------------------------------------------------===//

def LLM_EmbedOp : LLM_Op<"embed", [Pure]> {
  let summary = "Embedding lookup of one token";
  let description = [{
    Row `token` of the `[vocab, hidden]` table, converted to f32.

    ```mlir
    %h = llm.embed %table[%token] : tensor<32000x4096xf16> -> tensor<4096xf32>
    ```
  }];
  let arguments = (ins LLM_Weight:$table, I32:$token);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = [{
    $table `[` $token `]` attr-dict `:` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_RMSNormOp : LLM_Op<"rms_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMSNorm: x * rsqrt(mean(x^2) + eps) * weight";
  let arguments = (ins LLM_Vector:$input, LLM_Weight:$weight,
                       F32Attr:$epsilon);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def LLM_RotaryOp : LLM_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding of every head at position `pos`";
  let description = [{
    `input` holds `size / head_dim` heads of `head_dim` elements. Each head is
    rotated with the Hugging Face "rotate_half" convention: element `i` of the
    first half pairs with element `i + head_dim/2`, at frequency
    `theta^(-2i/head_dim)`.

    A RoPE scaling rule (Hugging Face `rope_type` `linear` or `llama3`, a
    GGUF's `rope_freqs`) changes those frequencies; the importer then states
    all `head_dim/2` of them in `inv_freq`, computed in f32 as the Hugging
    Face code computes them, and `theta` is only informative.

    ```mlir
    %q = llm.rope %x, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<4096xf32>
    %k = llm.rope %x, %pos {head_dim = 4 : i64, theta = 1.0e+04 : f64, inv_freq = array<f32: 1.0, 0.0125>} : tensor<8xf32>
    ```
  }];
  let arguments = (ins LLM_Vector:$input, Index:$pos,
                       ConfinedAttr<I64Attr, [IntPositive]>:$head_dim,
                       F64Attr:$theta,
                       OptionalAttr<DenseF32ArrayAttr>:$inv_freq);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = "$input `,` $pos attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def LLM_AttentionOp : LLM_Op<"attention", [AllTypesMatch<["query", "result"]>]> {
  let summary = "Causal grouped-query attention of one token over the KV cache";
  let description = [{
    Appends `key` and `value` (already projected, `key` already rotated) to
    layer `layer` of the cache at position `pos`, then attends `query`
    (`num_heads` heads) over positions `0..pos`. KV heads are shared by
    `num_heads / kv_heads` query heads. The head size and the number of KV
    heads come from the cache type. The result is the concatenation of the
    heads, before the output projection.

    ```mlir
    %o = llm.attention %q, %k, %v, %pos, %cache {layer = 0 : i64, num_heads = 32 : i64}
        : tensor<4096xf32>, tensor<1024xf32>, tensor<1024xf32>,
          !llm.kv_cache<layers = 32, max_len = 4096, kv_heads = 8, head_dim = 128, f16>
    ```
  }];
  let arguments = (ins LLM_Vector:$query, LLM_Vector:$key, LLM_Vector:$value,
                       Index:$pos,
                       Arg<LLM_KVCacheType, "the model's KV cache",
                           [MemRead, MemWrite]>:$cache,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_heads);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $pos `,` $cache attr-dict `:`
    type($query) `,` type($key) `,` type($value) `,` qualified(type($cache))
  }];
  let extraClassDeclaration = [{
    ::mlir::sparsec::llm::KVCacheType getCacheType() {
      return ::llvm::cast<::mlir::sparsec::llm::KVCacheType>(getCache().getType());
    }
  }];
  let hasVerifier = 1;
}

def LLM_LinearOp : LLM_Op<"linear", [Pure]> {
  let summary = "Matrix-vector product with a [out, in] weight";
  let arguments = (ins LLM_Vector:$input, LLM_Weight:$weight);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def LLM_AddOp : LLM_Op<"add", [Pure, SameOperandsAndResultType, Commutative]> {
  let summary = "Elementwise sum (residual connections)";
  let arguments = (ins LLM_Vector:$lhs, LLM_Vector:$rhs);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// FFN and MoE blocks
//===----------------------------------------------------------------------===//

def LLM_FFNOp : LLM_Op<"ffn", [Pure, AttrSizedOperandSegments]> {
  let summary = "Gated feed-forward block with an optional activation predictor";
  let description = [{
    `down(act(gate x, up x))` with the activation given by `activation`
    (see `#llm.activation`). `gate` and `up` are `[intermediate, hidden]`,
    `down` is `[hidden, intermediate]` (Hugging Face layout).

    The optional predictor is a low-rank MLP, `fc2 relu(fc1 p)`, whose score
    per neuron says whether the neuron fires (score > `predictor_threshold`,
    default 0). Its input `p` is an explicit operand because models differ:
    TurboSparse/PowerInfer feed the un-normalised residual, not `x`.
    `layer` is the decoder layer this block belongs to; passes use it for
    per-layer decisions.

    ```mlir
    %y = llm.ffn %x, %g, %u, %d predictor(%res, %fc1, %fc2)
        {activation = #llm.activation<drelu>, layer = 3 : i64}
        : (tensor<4096xf32>, tensor<14336x4096xf16>, tensor<14336x4096xf16>,
           tensor<4096x14336xf16>, tensor<4096xf32>, tensor<1024x4096xf16>,
           tensor<14336x1024xf16>) -> tensor<4096xf32>
    ```
  }];
  let arguments = (ins LLM_Vector:$input, LLM_Weight:$gate, LLM_Weight:$up,
                       LLM_Weight:$down,
                       Optional<LLM_Vector>:$predictor_input,
                       Optional<LLM_Weight>:$predictor_fc1,
                       Optional<LLM_Weight>:$predictor_fc2,
                       LLM_ActivationAttr:$activation,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       OptionalAttr<F32Attr>:$predictor_threshold);
  let results = (outs LLM_Vector:$result);
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

def LLM_MoEOp : LLM_Op<"moe", [Pure, AttrSizedOperandSegments]> {
  let summary = "Mixture-of-experts block: router, top-k, gated expert FFNs";
  let description = [{
    As the Hugging Face Mixtral block: router logits `router x`, softmax over
    all `num_experts`, keep the `top_k` largest, renormalise their weights to
    sum to one, and return the weighted sum of those experts' FFN outputs.
    Expert `e` is `gates[e]`, `ups[e]`, `downs[e]` with the activation
    `activation`; each may have a predictor (`fc1s[e]`, `fc2s[e]`) sharing
    one predictor input.

    ```mlir
    %y = llm.moe %x router(%r) experts(gate [%g0, %g1], up [%u0, %u1], down [%d0, %d1])
        {activation = #llm.activation<drelu>, layer = 0 : i64,
         num_experts = 2 : i64, top_k = 1 : i64} : (...) -> tensor<64xf32>
    ```
  }];
  let arguments = (ins LLM_Vector:$input, LLM_Weight:$router,
                       Variadic<LLM_Weight>:$gates, Variadic<LLM_Weight>:$ups,
                       Variadic<LLM_Weight>:$downs,
                       Optional<LLM_Vector>:$predictor_input,
                       Variadic<LLM_Weight>:$predictor_fc1s,
                       Variadic<LLM_Weight>:$predictor_fc2s,
                       ConfinedAttr<I64Attr, [IntPositive]>:$num_experts,
                       ConfinedAttr<I64Attr, [IntPositive]>:$top_k,
                       LLM_ActivationAttr:$activation,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$layer,
                       OptionalAttr<F32Attr>:$predictor_threshold);
  let results = (outs LLM_Vector:$result);
  let assemblyFormat = [{
    $input `router` `(` $router `)`
    `experts` `(` `gate` `[` $gates `]` `,` `up` `[` $ups `]` `,`
                  `down` `[` $downs `]` `)`
    (`predictor` `(` $predictor_input^ `,` `fc1` `[` $predictor_fc1s `]` `,`
                     `fc2` `[` $predictor_fc2s `]` `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    bool hasPredictor() { return static_cast<bool>(getPredictorInput()); }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

def LLM_LMHeadOp : LLM_Op<"lm_head", [Pure]> {
  let summary = "Logits over the vocabulary from the final hidden state";
  let description = [{
    `weight` is `[vocab, hidden]`; with tied embeddings it is the embedding
    table's `llm.param`.
  }];
  let arguments = (ins LLM_Vector:$input, LLM_Weight:$weight);
  let results = (outs LLM_Vector:$logits);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($logits)
  }];
  let hasVerifier = 1;
}

#endif // SPARSEC_LLM_OPS_TD

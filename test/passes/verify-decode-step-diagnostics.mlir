// RUN: sparsec-opt %s -split-input-file --sparsec-verify-decode-step -verify-diagnostics

// expected-error @+1 {{expects a func.func marked 'llm.decode_step' (the model's decode step)}}
module {
  func.func @not_marked(%x: tensor<16xf32>) -> tensor<16xf32> {
    return %x : tensor<16xf32>
  }
}

// -----

// expected-error @+1 {{'func.func' op decode step expects the signature (i32 token, index pos, !llm.kv_cache<...>) -> tensor<Vxf32> and a body, got '(i64, index) -> tensor<96xf32>'}}
func.func @bad_signature(%tok: i64, %pos: index) -> tensor<96xf32> attributes {llm.decode_step} {
  %l = llm.param "x" : tensor<96xf32>
  return %l : tensor<96xf32>
}

// -----

// expected-error @+2 {{'func.func' op decode step uses KV cache layers 0..1 but has no llm.attention for layer 1}}
// expected-error @+1 {{'func.func' op decode step has no llm.ffn or llm.moe for layer 1}}
func.func @missing_layer(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %l = llm.lm_head %f, %emb : tensor<16xf32>, tensor<96x16xf32> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

// -----

func.func @duplicate_attention_layer(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  // expected-note @+1 {{first attention for layer 0}}
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  // expected-error @+1 {{'llm.attention' op is a second attention for layer 0}}
  %b = llm.attention %a, %a, %a, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %b, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %l = llm.lm_head %f, %emb : tensor<16xf32>, tensor<96x16xf32> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

// -----

func.func @ffn_layer_out_of_range(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f0 = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  // expected-error @+1 {{'llm.ffn' op is FFN/MoE block layer 1, but the decode step has 1 layers (KV cache)}}
  %f = llm.ffn %f0, %g, %g, %d {activation = #llm.activation<relu>, layer = 1 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %l = llm.lm_head %f, %emb : tensor<16xf32>, tensor<96x16xf32> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

// -----

func.func @param_with_two_types(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  // expected-note @+1 {{first use of 'model.embed_tokens.weight'}}
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  // expected-error @+1 {{'llm.param' op uses 'model.embed_tokens.weight' as 'tensor<96x16xf16>', but it is 'tensor<96x16xf32>' elsewhere}}
  %tied = llm.param "model.embed_tokens.weight" : tensor<96x16xf16>
  %l = llm.lm_head %f, %tied : tensor<16xf32>, tensor<96x16xf16> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

// -----

func.func @returns_no_logits(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %bias = llm.param "bias" : tensor<96xf32>
  // expected-error @+1 {{'func.return' op of a decode step expects to return llm.lm_head logits}}
  return %bias : tensor<96xf32>
}

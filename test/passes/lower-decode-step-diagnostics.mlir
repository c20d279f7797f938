// RUN: sparsec-opt %s -split-input-file --sparsec-lower-decode-step -verify-diagnostics

func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<64xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<64x32xf32>
  %h = llm.embed %emb[%token] : tensor<64x32xf32> -> tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %d = llm.param "d" : tensor<32x128xf32>
  // expected-error @+1 {{sparsec-lower-decode-step: cannot lower 'llm.ffn'; run the sparse pipeline (--sparsec-sparsify-pipeline) first}}
  %f = llm.ffn %h, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>) -> tensor<32xf32>
  %l = llm.lm_head %f, %emb : tensor<32xf32>, tensor<64x32xf32> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// -----

// expected-error @+1 {{sparsec-lower-decode-step: no function marked 'llm.decode_step'}}
module {
  func.func @helper() {
    return
  }
}

// RUN: sparsec-opt %s -split-input-file --sparsec-verify-decode-step | FileCheck %s

// A minimal complete decode step passes through unchanged.
// CHECK-LABEL: func.func @one_layer
// CHECK: llm.attention
// CHECK: llm.ffn
// CHECK: llm.lm_head
func.func @one_layer(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %l = llm.lm_head %f, %emb : tensor<16xf32>, tensor<96x16xf32> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

// -----

// Helper functions without the attribute are not decode steps and are not
// checked; the module still needs one decode step.
// CHECK-LABEL: func.func @helper
// CHECK-LABEL: func.func @step
func.func @helper(%x: tensor<16xf32>) -> tensor<16xf32> {
  return %x : tensor<16xf32>
}
func.func @step(%tok: i32, %pos: index, %c: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %a = llm.attention %h, %h, %h, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %l = llm.lm_head %f, %emb : tensor<16xf32>, tensor<96x16xf32> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

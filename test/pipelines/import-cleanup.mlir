// RUN: sparsec-opt %s --sparsec-import-cleanup | FileCheck %s
// RUN: sparsec-opt %s --pass-pipeline='builtin.module(sparsec-import-cleanup)' | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>

// The pipeline verifies, then canonicalizes and CSEs: duplicate params and
// duplicate pure ops fold into one; unused params disappear.
// CHECK-LABEL: func.func @step
// CHECK-COUNT-1: llm.param "model.embed_tokens.weight"
// CHECK-NOT: llm.param "unused"
// CHECK-COUNT-1: llm.rms_norm
// CHECK-NOT: llm.rms_norm
func.func @step(%tok: i32, %pos: index, %c: !cache) -> tensor<96xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %h = llm.embed %emb[%tok] : tensor<96x16xf32> -> tensor<16xf32>
  %unused = llm.param "unused" : tensor<4x4xf32>
  %n = llm.param "n" : tensor<16xf32>
  %x1 = llm.rms_norm %h, %n {epsilon = 1.0e-05 : f32} : tensor<16xf32>, tensor<16xf32>
  %x2 = llm.rms_norm %h, %n {epsilon = 1.0e-05 : f32} : tensor<16xf32>, tensor<16xf32>
  %s = llm.add %x1, %x2 : tensor<16xf32>
  %a = llm.attention %s, %s, %s, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !cache
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %f = llm.ffn %a, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %tied = llm.param "model.embed_tokens.weight" : tensor<96x16xf32>
  %l = llm.lm_head %f, %tied : tensor<16xf32>, tensor<96x16xf32> -> tensor<96xf32>
  return %l : tensor<96xf32>
}

// RUN: sparsec-opt %s -split-input-file -cse -canonicalize | FileCheck %s

// Everything in llm is pure except attention, which writes the KV cache.

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>

// CHECK-LABEL: func.func @attention_is_not_merged
// CHECK-COUNT-2: llm.attention
func.func @attention_is_not_merged(%q: tensor<16xf32>, %pos: index, %c: !cache) -> (tensor<16xf32>, tensor<16xf32>) {
  %a = llm.attention %q, %q, %q, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !cache
  %b = llm.attention %q, %q, %q, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !cache
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>

// An attention whose result is unused still runs (it fills the cache).
// CHECK-LABEL: func.func @unused_attention_stays
// CHECK: llm.attention
func.func @unused_attention_stays(%q: tensor<16xf32>, %pos: index, %c: !cache) {
  %a = llm.attention %q, %q, %q, %pos, %c {layer = 0 : i64, num_heads = 2 : i64} : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, !cache
  return
}

// -----

// Pure ops: duplicates merge, unused ones vanish.
// CHECK-LABEL: func.func @pure_ops
// CHECK-COUNT-1: llm.linear
// CHECK-NOT: llm.linear
// CHECK-NOT: llm.ffn
func.func @pure_ops(%x: tensor<16xf32>) -> tensor<8xf32> {
  %w = llm.param "w" : tensor<8x16xf32>
  %a = llm.linear %x, %w : tensor<16xf32>, tensor<8x16xf32> -> tensor<8xf32>
  %b = llm.linear %x, %w : tensor<16xf32>, tensor<8x16xf32> -> tensor<8xf32>
  %g = llm.param "g" : tensor<64x16xf32>
  %d = llm.param "d" : tensor<16x64xf32>
  %unused = llm.ffn %x, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<16xf32>, tensor<64x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<16xf32>
  %s = llm.add %a, %b : tensor<8xf32>
  return %s : tensor<8xf32>
}

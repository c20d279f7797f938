// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops -verify-diagnostics

func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<64xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<64x32xf32>
  %h = llm.embed %emb[%token] : tensor<64x32xf32> -> tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %d = llm.param "d" : tensor<32x128xf32>
  // expected-error @+1 {{convert-llm-to-loops: cannot convert 'llm.ffn'; run the sparse pipeline (--sparsec-sparsify-pipeline) first}}
  %f = llm.ffn %h, %g, %g, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>) -> tensor<32xf32>
  %l = llm.lm_head %f, %emb : tensor<32xf32>, tensor<64x32xf32> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// -----

// expected-error @+1 {{convert-llm-to-loops: no function marked 'llm.decode_step'}}
module {
  func.func @helper() {
    return
  }
}

// -----

// expected-error @+1 {{convert-llm-to-loops: the decode step does not have the signature (i32, index, !llm.kv_cache) -> tensor<Vxf32>; run sparsec-verify-decode-step}}
func.func @decode_step(%token: i32) -> tensor<4xf32> attributes {llm.decode_step} {
  %w = llm.param "w" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// Without sparsec-plan-buffers, weights have no offsets.
// RUN: not sparsec-opt %s -split-input-file --convert-llm-to-loops 2>&1 | FileCheck %s --check-prefix=NOPLAN
// NOPLAN: error: convert-llm-to-loops: weight has no 'sparsec.weight_offset'; run sparsec-plan-buffers first
// Option values are printed as numbers, target names are checked.
// RUN: not sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops=vector-width=3 2>&1 | FileCheck %s --check-prefix=WIDTH
// WIDTH: error: convert-llm-to-loops: vector-width must be a power of two (or 0 for the target's), got 3
// RUN: not sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops=target=riscv64 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: convert-llm-to-loops: unknown target 'riscv64' (registered: aarch64 aarch64-dotprod cuda x86-64 x86-64-avx2 x86-64-avx512 x86-64-avx512-vnni)
func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<64xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<64x32xf32>
  %h = llm.embed %emb[%token] : tensor<64x32xf32> -> tensor<32xf32>
  %l = llm.lm_head %h, %emb : tensor<32xf32>, tensor<64x32xf32> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

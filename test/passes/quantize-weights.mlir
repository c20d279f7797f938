// RUN: sparsec-opt %s -split-input-file --sparsec-quantize-weights="format=q4_0" | FileCheck %s
// RUN: sparsec-opt %s -split-input-file --sparsec-quantize-weights="format=q8_0 keep=embed,lm_head" | FileCheck %s --check-prefix=KEEP
// RUN: sparsec-opt %s -split-input-file --sparsec-quantize-weights="format=q4_1 keep=none" | FileCheck %s --check-prefix=NONE
// RUN: sparsec-opt %s -split-input-file --sparsec-quantize-weights="format=q4_k" | FileCheck %s --check-prefix=Q4K
// RUN: sparsec-opt %s -split-input-file --sparsec-quantize-weights="format=q6_k" | FileCheck %s --check-prefix=Q6K

// Bundles and their parts take the format; the predictor is kept by default,
// and so are norms (1-D).
// CHECK-LABEL: func.func @bundle
// CHECK: llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64xf16>
// CHECK: llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<256x8xf16>
// CHECK: %[[B:.+]] = sfn.bundle_param "model.layers.0.mlp.neuron_bundles"
// CHECK-SAME: : tensor<256x3x64x!llm.quant<q4_0>>
// CHECK: sfn.bundle_part %[[B]][0] : tensor<256x3x64x!llm.quant<q4_0>> -> tensor<256x64x!llm.quant<q4_0>>
// CHECK: llm.param "model.layers.0.post_attention_layernorm.weight" : tensor<64xf16>
// keep= replaces the default list: here the predictor is quantized.
// KEEP-LABEL: func.func @bundle
// KEEP: llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64x!llm.quant<q8_0>>
// KEEP: sfn.bundle_param {{.*}} : tensor<256x3x64x!llm.quant<q8_0>>
// The predictor is quantized when not kept (its fc2 rows of 8 are not whole
// blocks, so fc2 stays).
// NONE-LABEL: func.func @bundle
// NONE: llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64x!llm.quant<q4_1>>
// NONE: llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<256x8xf16>
func.func @bundle(%x: tensor<64xf32>) -> tensor<64xf32> {
  %fc1 = llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64xf16>
  %fc2 = llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<256x8xf16>
  %b = sfn.bundle_param "model.layers.0.mlp.neuron_bundles" sources ["g", "u", "d"] transposed [2] : tensor<256x3x64xf16>
  %g = sfn.bundle_part %b[0] : tensor<256x3x64xf16> -> tensor<256x64xf16>
  %u = sfn.bundle_part %b[1] : tensor<256x3x64xf16> -> tensor<256x64xf16>
  %dt = sfn.bundle_part %b[2] : tensor<256x3x64xf16> -> tensor<256x64xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  %n = llm.param "model.layers.0.post_attention_layernorm.weight" : tensor<64xf16>
  %z = llm.rms_norm %y, %n {epsilon = 1.0e-05 : f32} : tensor<64xf32>, tensor<64xf16>
  return %z : tensor<64xf32>
}

// -----

// A tied embedding is one tensor in two roles: kept when either role is.
// The MoE router is always kept.
// CHECK-LABEL: func.func @roles
// CHECK: llm.param "model.embed_tokens.weight" : tensor<256x64x!llm.quant<q4_0>>
// CHECK: llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64x!llm.quant<q4_0>>
// CHECK: llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<4x64xf32>
// CHECK: llm.param "model.embed_tokens.weight" : tensor<256x64x!llm.quant<q4_0>>
// KEEP-LABEL: func.func @roles
// KEEP: llm.param "model.embed_tokens.weight" : tensor<256x64xf32>
// KEEP: llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64x!llm.quant<q8_0>>
// KEEP: llm.param "model.embed_tokens.weight" : tensor<256x64xf32>
func.func @roles(%t: i32) -> tensor<256xf32> {
  %e = llm.param "model.embed_tokens.weight" : tensor<256x64xf32>
  %x = llm.embed %e[%t] : tensor<256x64xf32> -> tensor<64xf32>
  %wq = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<64x64xf32>
  %q = llm.linear %x, %wq : tensor<64xf32>, tensor<64x64xf32> -> tensor<64xf32>
  %r = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<4x64xf32>
  %ex, %w = sfn.route_experts %q, %r {top_k = 2 : i64} : tensor<64xf32>, tensor<4x64xf32> -> tensor<2xi32>, tensor<2xf32>
  %h = llm.param "model.embed_tokens.weight" : tensor<256x64xf32>
  %l = llm.lm_head %q, %h : tensor<64xf32>, tensor<256x64xf32> -> tensor<256xf32>
  return %l : tensor<256xf32>
}

// -----

// Rows that are not whole blocks of 32 stay as they are.
// CHECK-LABEL: func.func @odd_rows
// CHECK: llm.param "w" : tensor<16x48xf16>
func.func @odd_rows(%x: tensor<48xf32>) -> tensor<16xf32> {
  %w = llm.param "w" : tensor<16x48xf16>
  %y = llm.linear %x, %w : tensor<48xf32>, tensor<16x48xf16> -> tensor<16xf32>
  return %y : tensor<16xf32>
}

// -----

// k-quants: rows of whole super-blocks (256) take the format; rows of whole
// blocks of 32 only take q4_1 (q4_k) or q8_0 (q6_k); other rows stay.
// Q4K-LABEL: func.func @super_blocks
// Q4K: llm.param "a" : tensor<16x512x!llm.quant<q4_k>>
// Q4K: llm.param "b" : tensor<16x96x!llm.quant<q4_1>>
// Q4K: llm.param "c" : tensor<16x48xf16>
// Q6K-LABEL: func.func @super_blocks
// Q6K: llm.param "a" : tensor<16x512x!llm.quant<q6_k>>
// Q6K: llm.param "b" : tensor<16x96x!llm.quant<q8_0>>
// Q6K: llm.param "c" : tensor<16x48xf16>
func.func @super_blocks(%x: tensor<512xf32>, %y: tensor<96xf32>, %z: tensor<48xf32>) -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %a = llm.param "a" : tensor<16x512xf16>
  %ya = llm.linear %x, %a : tensor<512xf32>, tensor<16x512xf16> -> tensor<16xf32>
  %b = llm.param "b" : tensor<16x96xf16>
  %yb = llm.linear %y, %b : tensor<96xf32>, tensor<16x96xf16> -> tensor<16xf32>
  %c = llm.param "c" : tensor<16x48xf16>
  %yc = llm.linear %z, %c : tensor<48xf32>, tensor<16x48xf16> -> tensor<16xf32>
  return %ya, %yb, %yc : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// A dense FFN reads its down projection in its own layout, rows of
// `intermediate`: with k-quants they may take the format where gate and up
// (rows of `hidden`) take the fallback, and the op still verifies.
// Q4K-LABEL: func.func @dense_ffn_mixed_formats
// Q4K: llm.param "g" : tensor<256x96x!llm.quant<q4_1>>
// Q4K: llm.param "u" : tensor<256x96x!llm.quant<q4_1>>
// Q4K: llm.param "d" : tensor<96x256x!llm.quant<q4_k>>
// Q4K: sfn.fused_sparse_ffn
// Q6K-LABEL: func.func @dense_ffn_mixed_formats
// Q6K: llm.param "g" : tensor<256x96x!llm.quant<q8_0>>
// Q6K: llm.param "d" : tensor<96x256x!llm.quant<q6_k>>
func.func @dense_ffn_mixed_formats(%x: tensor<96xf32>) -> tensor<96xf32> {
  %g = llm.param "g" : tensor<256x96xf16>
  %u = llm.param "u" : tensor<256x96xf16>
  %d = llm.param "d" : tensor<96x256xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %d {activation = #llm.activation<relu>, mode = #sfn.mode<dense>} : (tensor<96xf32>, tensor<256x96xf16>, tensor<256x96xf16>, tensor<96x256xf16>) -> tensor<96xf32>
  return %y : tensor<96xf32>
}

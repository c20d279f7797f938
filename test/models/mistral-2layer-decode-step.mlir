// A two-layer dense Mistral decode step at test size (SwiGLU FFNs, no
// predictor, f16 weights with f16 norms, grouped-query attention: 4 heads
// sharing 2 KV heads of 8, hidden 32, intermediate 64, vocab 96, an untied
// LM head), as the Hugging Face importer lays it out. Through the sparse
// pipeline each layer's FFN becomes one sfn.fused_sparse_ffn that keeps its
// layer: auto keeps SwiGLU dense; threshold mode takes a per-layer t.
//
// RUN: sparsec-opt %s --sparsec-import-cleanup | FileCheck %s
// RUN: sparsec-opt %s --sparsec-import-cleanup | sparsec-opt --sparsec-sparsify-pipeline | FileCheck %s --check-prefix=DENSE
// RUN: sparsec-opt %s --sparsec-import-cleanup | sparsec-opt --sparsec-sparsify-pipeline="default-mode=threshold activation-threshold=0:0.05,1:0.125" | FileCheck %s --check-prefix=THRESHOLD
// RUN: sparsec-opt %s --sparsec-import-cleanup | sparsec-opt --sparsec-sparsify-pipeline="layers=1:threshold activation-threshold=1:0" | FileCheck %s --check-prefix=MIXED

// CHECK-LABEL: func.func @decode_step
// CHECK-SAME: attributes {llm.decode_step}
// CHECK: llm.attention {{.*}} {layer = 0 : i64, num_heads = 4 : i64}
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 0 : i64}
// CHECK: llm.attention {{.*}} {layer = 1 : i64, num_heads = 4 : i64}
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 1 : i64}
// CHECK: llm.lm_head {{.*}} : tensor<32xf32>, tensor<96x32xf16> -> tensor<96xf32>

// DENSE-LABEL: func.func @decode_step
// DENSE-NOT: sfn.bundle_param
// DENSE: llm.attention {{.*}} {layer = 0 : i64
// DENSE: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 0 : i64, mode = #sfn.mode<dense>}
// DENSE: llm.attention {{.*}} {layer = 1 : i64
// DENSE: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 1 : i64, mode = #sfn.mode<dense>}
// DENSE-NOT: llm.ffn
// DENSE-NOT: sfn.scatter_matvec

// THRESHOLD-LABEL: func.func @decode_step
// THRESHOLD: sfn.bundle_param "model.layers.0.mlp.neuron_bundles"
// THRESHOLD: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, activation_threshold = 5.000000e-02 : f32, layer = 0 : i64, mode = #sfn.mode<threshold>}
// THRESHOLD: sfn.bundle_param "model.layers.1.mlp.neuron_bundles"
// THRESHOLD: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, activation_threshold = 1.250000e-01 : f32, layer = 1 : i64, mode = #sfn.mode<threshold>}

// MIXED-LABEL: func.func @decode_step
// MIXED: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 0 : i64, mode = #sfn.mode<dense>}
// MIXED: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, activation_threshold = 0.000000e+00 : f32, layer = 1 : i64, mode = #sfn.mode<threshold>}

func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 2, max_len = 64, kv_heads = 2, head_dim = 8, f16>) -> tensor<96xf32>
    attributes {llm.decode_step} {
  %embed = llm.param "model.embed_tokens.weight" : tensor<96x32xf16>
  %h0 = llm.embed %embed[%token] : tensor<96x32xf16> -> tensor<32xf32>

  // Layer 0: attention.
  %ln0 = llm.param "model.layers.0.input_layernorm.weight" : tensor<32xf16>
  %x0 = llm.rms_norm %h0, %ln0 {epsilon = 1.0e-05 : f32} : tensor<32xf32>, tensor<32xf16>
  %wq0 = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<32x32xf16>
  %q0_raw = llm.linear %x0, %wq0 : tensor<32xf32>, tensor<32x32xf16> -> tensor<32xf32>
  %wk0 = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<16x32xf16>
  %k0_raw = llm.linear %x0, %wk0 : tensor<32xf32>, tensor<16x32xf16> -> tensor<16xf32>
  %wv0 = llm.param "model.layers.0.self_attn.v_proj.weight" : tensor<16x32xf16>
  %v0 = llm.linear %x0, %wv0 : tensor<32xf32>, tensor<16x32xf16> -> tensor<16xf32>
  %q0 = llm.rope %q0_raw, %pos {head_dim = 8 : i64, theta = 1.0e+06 : f64} : tensor<32xf32>
  %k0 = llm.rope %k0_raw, %pos {head_dim = 8 : i64, theta = 1.0e+06 : f64} : tensor<16xf32>
  %attn0 = llm.attention %q0, %k0, %v0, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64}
      : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 2, max_len = 64, kv_heads = 2, head_dim = 8, f16>
  %wo0 = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<32x32xf16>
  %o0 = llm.linear %attn0, %wo0 : tensor<32xf32>, tensor<32x32xf16> -> tensor<32xf32>
  %res0 = llm.add %h0, %o0 : tensor<32xf32>

  // Layer 0: SwiGLU FFN.
  %pln0 = llm.param "model.layers.0.post_attention_layernorm.weight" : tensor<32xf16>
  %y0 = llm.rms_norm %res0, %pln0 {epsilon = 1.0e-05 : f32} : tensor<32xf32>, tensor<32xf16>
  %g0 = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<64x32xf16>
  %u0 = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<64x32xf16>
  %d0 = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<32x64xf16>
  %ffn0 = llm.ffn %y0, %g0, %u0, %d0 {activation = #llm.activation<swiglu>, layer = 0 : i64}
      : (tensor<32xf32>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<32x64xf16>) -> tensor<32xf32>
  %h1 = llm.add %res0, %ffn0 : tensor<32xf32>

  // Layer 1: attention.
  %ln1 = llm.param "model.layers.1.input_layernorm.weight" : tensor<32xf16>
  %x1 = llm.rms_norm %h1, %ln1 {epsilon = 1.0e-05 : f32} : tensor<32xf32>, tensor<32xf16>
  %wq1 = llm.param "model.layers.1.self_attn.q_proj.weight" : tensor<32x32xf16>
  %q1_raw = llm.linear %x1, %wq1 : tensor<32xf32>, tensor<32x32xf16> -> tensor<32xf32>
  %wk1 = llm.param "model.layers.1.self_attn.k_proj.weight" : tensor<16x32xf16>
  %k1_raw = llm.linear %x1, %wk1 : tensor<32xf32>, tensor<16x32xf16> -> tensor<16xf32>
  %wv1 = llm.param "model.layers.1.self_attn.v_proj.weight" : tensor<16x32xf16>
  %v1 = llm.linear %x1, %wv1 : tensor<32xf32>, tensor<16x32xf16> -> tensor<16xf32>
  %q1 = llm.rope %q1_raw, %pos {head_dim = 8 : i64, theta = 1.0e+06 : f64} : tensor<32xf32>
  %k1 = llm.rope %k1_raw, %pos {head_dim = 8 : i64, theta = 1.0e+06 : f64} : tensor<16xf32>
  %attn1 = llm.attention %q1, %k1, %v1, %pos, %cache {layer = 1 : i64, num_heads = 4 : i64}
      : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 2, max_len = 64, kv_heads = 2, head_dim = 8, f16>
  %wo1 = llm.param "model.layers.1.self_attn.o_proj.weight" : tensor<32x32xf16>
  %o1 = llm.linear %attn1, %wo1 : tensor<32xf32>, tensor<32x32xf16> -> tensor<32xf32>
  %res1 = llm.add %h1, %o1 : tensor<32xf32>

  // Layer 1: SwiGLU FFN.
  %pln1 = llm.param "model.layers.1.post_attention_layernorm.weight" : tensor<32xf16>
  %y1 = llm.rms_norm %res1, %pln1 {epsilon = 1.0e-05 : f32} : tensor<32xf32>, tensor<32xf16>
  %g1 = llm.param "model.layers.1.mlp.gate_proj.weight" : tensor<64x32xf16>
  %u1 = llm.param "model.layers.1.mlp.up_proj.weight" : tensor<64x32xf16>
  %d1 = llm.param "model.layers.1.mlp.down_proj.weight" : tensor<32x64xf16>
  %ffn1 = llm.ffn %y1, %g1, %u1, %d1 {activation = #llm.activation<swiglu>, layer = 1 : i64}
      : (tensor<32xf32>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<32x64xf16>) -> tensor<32xf32>
  %h2 = llm.add %res1, %ffn1 : tensor<32xf32>

  %norm = llm.param "model.norm.weight" : tensor<32xf16>
  %final = llm.rms_norm %h2, %norm {epsilon = 1.0e-05 : f32} : tensor<32xf32>, tensor<32xf16>
  %head = llm.param "lm_head.weight" : tensor<96x32xf16>
  %logits = llm.lm_head %final, %head : tensor<32xf32>, tensor<96x32xf16> -> tensor<96xf32>
  return %logits : tensor<96xf32>
}

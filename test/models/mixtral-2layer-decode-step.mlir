// A two-layer TurboSparse-Mixtral-shaped decode step (Mixtral-8x7B shapes:
// hidden 4096, 32 heads sharing 8 KV heads of 128, 8 experts of 14336 with
// dReLU and a rank-1024 predictor each, top-2 routing, vocab 32000), as the
// Hugging Face importer lays it out. It must parse, verify, pass
// sparsec-verify-decode-step and round-trip through both the custom and the
// generic printer.
//
// RUN: sparsec-opt %s --sparsec-verify-decode-step | FileCheck %s
// RUN: sparsec-opt %s | sparsec-opt --sparsec-verify-decode-step | FileCheck %s
// RUN: sparsec-opt %s -mlir-print-op-generic | sparsec-opt --sparsec-verify-decode-step | FileCheck %s
// RUN: sparsec-opt %s > %t.1.mlir && sparsec-opt %t.1.mlir > %t.2.mlir && diff %t.1.mlir %t.2.mlir

// CHECK-LABEL: func.func @decode_step
// CHECK-SAME: (%{{.+}}: i32, %{{.+}}: index, %{{.+}}: !llm.kv_cache<layers = 2, max_len = 32768, kv_heads = 8, head_dim = 128, f16>) -> tensor<32000xf32>
// CHECK-SAME: attributes {llm.decode_step}
// CHECK: llm.embed
// CHECK: llm.attention {{.*}} {layer = 0 : i64, num_heads = 32 : i64}
// CHECK: llm.moe {{.*}} {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64}
// CHECK: llm.attention {{.*}} {layer = 1 : i64, num_heads = 32 : i64}
// CHECK: llm.moe {{.*}} {activation = #llm.activation<drelu>, layer = 1 : i64, num_experts = 8 : i64, top_k = 2 : i64}
// CHECK: llm.lm_head {{.*}} : tensor<4096xf32>, tensor<32000x4096xf16> -> tensor<32000xf32>

func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 2, max_len = 32768, kv_heads = 8, head_dim = 128, f16>) -> tensor<32000xf32>
    attributes {llm.decode_step} {
  %embed = llm.param "model.embed_tokens.weight" : tensor<32000x4096xf16>
  %h0 = llm.embed %embed[%token] : tensor<32000x4096xf16> -> tensor<4096xf32>

  // Layer 0: attention.
  %ln0 = llm.param "model.layers.0.input_layernorm.weight" : tensor<4096xf16>
  %x0 = llm.rms_norm %h0, %ln0 {epsilon = 1.0e-05 : f32} : tensor<4096xf32>, tensor<4096xf16>
  %wq0 = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<4096x4096xf16>
  %q0_raw = llm.linear %x0, %wq0 : tensor<4096xf32>, tensor<4096x4096xf16> -> tensor<4096xf32>
  %wk0 = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<1024x4096xf16>
  %k0_raw = llm.linear %x0, %wk0 : tensor<4096xf32>, tensor<1024x4096xf16> -> tensor<1024xf32>
  %wv0 = llm.param "model.layers.0.self_attn.v_proj.weight" : tensor<1024x4096xf16>
  %v0_raw = llm.linear %x0, %wv0 : tensor<4096xf32>, tensor<1024x4096xf16> -> tensor<1024xf32>
  %q0 = llm.rope %q0_raw, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<4096xf32>
  %k0 = llm.rope %k0_raw, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<1024xf32>
  %attn0 = llm.attention %q0, %k0, %v0_raw, %pos, %cache {layer = 0 : i64, num_heads = 32 : i64}
      : tensor<4096xf32>, tensor<1024xf32>, tensor<1024xf32>, !llm.kv_cache<layers = 2, max_len = 32768, kv_heads = 8, head_dim = 128, f16>
  %wo0 = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<4096x4096xf16>
  %o0 = llm.linear %attn0, %wo0 : tensor<4096xf32>, tensor<4096x4096xf16> -> tensor<4096xf32>
  %res0 = llm.add %h0, %o0 : tensor<4096xf32>

  // Layer 0: sparse MoE. The predictors read the residual stream.
  %ln2_0 = llm.param "model.layers.0.post_attention_layernorm.weight" : tensor<4096xf16>
  %y0 = llm.rms_norm %res0, %ln2_0 {epsilon = 1.0e-05 : f32} : tensor<4096xf32>, tensor<4096xf16>
  %router0 = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<8x4096xf16>
  %g0_0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w1.weight" : tensor<14336x4096xf16>
  %g0_1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w1.weight" : tensor<14336x4096xf16>
  %g0_2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w1.weight" : tensor<14336x4096xf16>
  %g0_3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w1.weight" : tensor<14336x4096xf16>
  %g0_4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w1.weight" : tensor<14336x4096xf16>
  %g0_5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w1.weight" : tensor<14336x4096xf16>
  %g0_6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w1.weight" : tensor<14336x4096xf16>
  %g0_7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w1.weight" : tensor<14336x4096xf16>
  %u0_0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w3.weight" : tensor<14336x4096xf16>
  %u0_1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w3.weight" : tensor<14336x4096xf16>
  %u0_2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w3.weight" : tensor<14336x4096xf16>
  %u0_3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w3.weight" : tensor<14336x4096xf16>
  %u0_4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w3.weight" : tensor<14336x4096xf16>
  %u0_5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w3.weight" : tensor<14336x4096xf16>
  %u0_6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w3.weight" : tensor<14336x4096xf16>
  %u0_7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w3.weight" : tensor<14336x4096xf16>
  %d0_0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w2.weight" : tensor<4096x14336xf16>
  %d0_1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w2.weight" : tensor<4096x14336xf16>
  %d0_2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w2.weight" : tensor<4096x14336xf16>
  %d0_3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w2.weight" : tensor<4096x14336xf16>
  %d0_4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w2.weight" : tensor<4096x14336xf16>
  %d0_5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w2.weight" : tensor<4096x14336xf16>
  %d0_6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w2.weight" : tensor<4096x14336xf16>
  %d0_7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w2.weight" : tensor<4096x14336xf16>
  %a0_0 = llm.param "model.layers.0.block_sparse_moe.experts.0.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_1 = llm.param "model.layers.0.block_sparse_moe.experts.1.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_2 = llm.param "model.layers.0.block_sparse_moe.experts.2.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_3 = llm.param "model.layers.0.block_sparse_moe.experts.3.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_4 = llm.param "model.layers.0.block_sparse_moe.experts.4.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_5 = llm.param "model.layers.0.block_sparse_moe.experts.5.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_6 = llm.param "model.layers.0.block_sparse_moe.experts.6.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a0_7 = llm.param "model.layers.0.block_sparse_moe.experts.7.predictor.fc1.weight" : tensor<1024x4096xf16>
  %b0_0 = llm.param "model.layers.0.block_sparse_moe.experts.0.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_1 = llm.param "model.layers.0.block_sparse_moe.experts.1.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_2 = llm.param "model.layers.0.block_sparse_moe.experts.2.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_3 = llm.param "model.layers.0.block_sparse_moe.experts.3.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_4 = llm.param "model.layers.0.block_sparse_moe.experts.4.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_5 = llm.param "model.layers.0.block_sparse_moe.experts.5.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_6 = llm.param "model.layers.0.block_sparse_moe.experts.6.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b0_7 = llm.param "model.layers.0.block_sparse_moe.experts.7.predictor.fc2.weight" : tensor<14336x1024xf16>
  %moe0 = llm.moe %y0 router(%router0)
      experts(gate [%g0_0, %g0_1, %g0_2, %g0_3, %g0_4, %g0_5, %g0_6, %g0_7],
              up [%u0_0, %u0_1, %u0_2, %u0_3, %u0_4, %u0_5, %u0_6, %u0_7],
              down [%d0_0, %d0_1, %d0_2, %d0_3, %d0_4, %d0_5, %d0_6, %d0_7])
      predictor(%res0, fc1 [%a0_0, %a0_1, %a0_2, %a0_3, %a0_4, %a0_5, %a0_6, %a0_7],
                         fc2 [%b0_0, %b0_1, %b0_2, %b0_3, %b0_4, %b0_5, %b0_6, %b0_7])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64}
      : (tensor<4096xf32>, tensor<8x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096xf32>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>) -> tensor<4096xf32>
  %h1 = llm.add %res0, %moe0 : tensor<4096xf32>

  // Layer 1: attention.
  %ln1 = llm.param "model.layers.1.input_layernorm.weight" : tensor<4096xf16>
  %x1 = llm.rms_norm %h1, %ln1 {epsilon = 1.0e-05 : f32} : tensor<4096xf32>, tensor<4096xf16>
  %wq1 = llm.param "model.layers.1.self_attn.q_proj.weight" : tensor<4096x4096xf16>
  %q1_raw = llm.linear %x1, %wq1 : tensor<4096xf32>, tensor<4096x4096xf16> -> tensor<4096xf32>
  %wk1 = llm.param "model.layers.1.self_attn.k_proj.weight" : tensor<1024x4096xf16>
  %k1_raw = llm.linear %x1, %wk1 : tensor<4096xf32>, tensor<1024x4096xf16> -> tensor<1024xf32>
  %wv1 = llm.param "model.layers.1.self_attn.v_proj.weight" : tensor<1024x4096xf16>
  %v1_raw = llm.linear %x1, %wv1 : tensor<4096xf32>, tensor<1024x4096xf16> -> tensor<1024xf32>
  %q1 = llm.rope %q1_raw, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<4096xf32>
  %k1 = llm.rope %k1_raw, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<1024xf32>
  %attn1 = llm.attention %q1, %k1, %v1_raw, %pos, %cache {layer = 1 : i64, num_heads = 32 : i64}
      : tensor<4096xf32>, tensor<1024xf32>, tensor<1024xf32>, !llm.kv_cache<layers = 2, max_len = 32768, kv_heads = 8, head_dim = 128, f16>
  %wo1 = llm.param "model.layers.1.self_attn.o_proj.weight" : tensor<4096x4096xf16>
  %o1 = llm.linear %attn1, %wo1 : tensor<4096xf32>, tensor<4096x4096xf16> -> tensor<4096xf32>
  %res1 = llm.add %h1, %o1 : tensor<4096xf32>

  // Layer 1: sparse MoE. The predictors read the residual stream.
  %ln2_1 = llm.param "model.layers.1.post_attention_layernorm.weight" : tensor<4096xf16>
  %y1 = llm.rms_norm %res1, %ln2_1 {epsilon = 1.0e-05 : f32} : tensor<4096xf32>, tensor<4096xf16>
  %router1 = llm.param "model.layers.1.block_sparse_moe.gate.weight" : tensor<8x4096xf16>
  %g1_0 = llm.param "model.layers.1.block_sparse_moe.experts.0.w1.weight" : tensor<14336x4096xf16>
  %g1_1 = llm.param "model.layers.1.block_sparse_moe.experts.1.w1.weight" : tensor<14336x4096xf16>
  %g1_2 = llm.param "model.layers.1.block_sparse_moe.experts.2.w1.weight" : tensor<14336x4096xf16>
  %g1_3 = llm.param "model.layers.1.block_sparse_moe.experts.3.w1.weight" : tensor<14336x4096xf16>
  %g1_4 = llm.param "model.layers.1.block_sparse_moe.experts.4.w1.weight" : tensor<14336x4096xf16>
  %g1_5 = llm.param "model.layers.1.block_sparse_moe.experts.5.w1.weight" : tensor<14336x4096xf16>
  %g1_6 = llm.param "model.layers.1.block_sparse_moe.experts.6.w1.weight" : tensor<14336x4096xf16>
  %g1_7 = llm.param "model.layers.1.block_sparse_moe.experts.7.w1.weight" : tensor<14336x4096xf16>
  %u1_0 = llm.param "model.layers.1.block_sparse_moe.experts.0.w3.weight" : tensor<14336x4096xf16>
  %u1_1 = llm.param "model.layers.1.block_sparse_moe.experts.1.w3.weight" : tensor<14336x4096xf16>
  %u1_2 = llm.param "model.layers.1.block_sparse_moe.experts.2.w3.weight" : tensor<14336x4096xf16>
  %u1_3 = llm.param "model.layers.1.block_sparse_moe.experts.3.w3.weight" : tensor<14336x4096xf16>
  %u1_4 = llm.param "model.layers.1.block_sparse_moe.experts.4.w3.weight" : tensor<14336x4096xf16>
  %u1_5 = llm.param "model.layers.1.block_sparse_moe.experts.5.w3.weight" : tensor<14336x4096xf16>
  %u1_6 = llm.param "model.layers.1.block_sparse_moe.experts.6.w3.weight" : tensor<14336x4096xf16>
  %u1_7 = llm.param "model.layers.1.block_sparse_moe.experts.7.w3.weight" : tensor<14336x4096xf16>
  %d1_0 = llm.param "model.layers.1.block_sparse_moe.experts.0.w2.weight" : tensor<4096x14336xf16>
  %d1_1 = llm.param "model.layers.1.block_sparse_moe.experts.1.w2.weight" : tensor<4096x14336xf16>
  %d1_2 = llm.param "model.layers.1.block_sparse_moe.experts.2.w2.weight" : tensor<4096x14336xf16>
  %d1_3 = llm.param "model.layers.1.block_sparse_moe.experts.3.w2.weight" : tensor<4096x14336xf16>
  %d1_4 = llm.param "model.layers.1.block_sparse_moe.experts.4.w2.weight" : tensor<4096x14336xf16>
  %d1_5 = llm.param "model.layers.1.block_sparse_moe.experts.5.w2.weight" : tensor<4096x14336xf16>
  %d1_6 = llm.param "model.layers.1.block_sparse_moe.experts.6.w2.weight" : tensor<4096x14336xf16>
  %d1_7 = llm.param "model.layers.1.block_sparse_moe.experts.7.w2.weight" : tensor<4096x14336xf16>
  %a1_0 = llm.param "model.layers.1.block_sparse_moe.experts.0.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_1 = llm.param "model.layers.1.block_sparse_moe.experts.1.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_2 = llm.param "model.layers.1.block_sparse_moe.experts.2.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_3 = llm.param "model.layers.1.block_sparse_moe.experts.3.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_4 = llm.param "model.layers.1.block_sparse_moe.experts.4.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_5 = llm.param "model.layers.1.block_sparse_moe.experts.5.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_6 = llm.param "model.layers.1.block_sparse_moe.experts.6.predictor.fc1.weight" : tensor<1024x4096xf16>
  %a1_7 = llm.param "model.layers.1.block_sparse_moe.experts.7.predictor.fc1.weight" : tensor<1024x4096xf16>
  %b1_0 = llm.param "model.layers.1.block_sparse_moe.experts.0.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_1 = llm.param "model.layers.1.block_sparse_moe.experts.1.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_2 = llm.param "model.layers.1.block_sparse_moe.experts.2.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_3 = llm.param "model.layers.1.block_sparse_moe.experts.3.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_4 = llm.param "model.layers.1.block_sparse_moe.experts.4.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_5 = llm.param "model.layers.1.block_sparse_moe.experts.5.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_6 = llm.param "model.layers.1.block_sparse_moe.experts.6.predictor.fc2.weight" : tensor<14336x1024xf16>
  %b1_7 = llm.param "model.layers.1.block_sparse_moe.experts.7.predictor.fc2.weight" : tensor<14336x1024xf16>
  %moe1 = llm.moe %y1 router(%router1)
      experts(gate [%g1_0, %g1_1, %g1_2, %g1_3, %g1_4, %g1_5, %g1_6, %g1_7],
              up [%u1_0, %u1_1, %u1_2, %u1_3, %u1_4, %u1_5, %u1_6, %u1_7],
              down [%d1_0, %d1_1, %d1_2, %d1_3, %d1_4, %d1_5, %d1_6, %d1_7])
      predictor(%res1, fc1 [%a1_0, %a1_1, %a1_2, %a1_3, %a1_4, %a1_5, %a1_6, %a1_7],
                         fc2 [%b1_0, %b1_1, %b1_2, %b1_3, %b1_4, %b1_5, %b1_6, %b1_7])
      {activation = #llm.activation<drelu>, layer = 1 : i64, num_experts = 8 : i64, top_k = 2 : i64}
      : (tensor<4096xf32>, tensor<8x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096x14336xf16>, tensor<4096xf32>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<1024x4096xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>, tensor<14336x1024xf16>) -> tensor<4096xf32>
  %h2 = llm.add %res1, %moe1 : tensor<4096xf32>

  %norm = llm.param "model.norm.weight" : tensor<4096xf16>
  %final = llm.rms_norm %h2, %norm {epsilon = 1.0e-05 : f32} : tensor<4096xf32>, tensor<4096xf16>
  %head = llm.param "lm_head.weight" : tensor<32000x4096xf16>
  %logits = llm.lm_head %final, %head : tensor<4096xf32>, tensor<32000x4096xf16> -> tensor<32000xf32>
  return %logits : tensor<32000xf32>
}

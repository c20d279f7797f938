// A one-layer Bamboo (TurboSparse-Mistral) decode step at test size: dReLU FFN
// with a predictor, f32 weights, tied embeddings (the LM head reads the
// embedding table).
//
// RUN: sparsec-opt %s --sparsec-import-cleanup | FileCheck %s

// CHECK-LABEL: func.func @decode_step
// CHECK: %[[EMB:.+]] = llm.param "model.embed_tokens.weight" : tensor<96x32xf32>
// CHECK: llm.embed %[[EMB]]
// CHECK: llm.ffn {{.*}} predictor({{.*}}) {activation = #llm.activation<drelu>, layer = 0 : i64}
// The second param naming the tied table is CSE'd into the first.
// CHECK-NOT: llm.param "model.embed_tokens.weight"
// CHECK: llm.lm_head %{{.+}}, %[[EMB]] : tensor<32xf32>, tensor<96x32xf32> -> tensor<96xf32>
func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<96xf32>
    attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<96x32xf32>
  %h = llm.embed %emb[%token] : tensor<96x32xf32> -> tensor<32xf32>
  %ln = llm.param "model.layers.0.input_layernorm.weight" : tensor<32xf32>
  %x = llm.rms_norm %h, %ln {epsilon = 1.0e-06 : f32} : tensor<32xf32>, tensor<32xf32>
  %wq = llm.param "model.layers.0.self_attn.q_proj.weight" : tensor<32x32xf32>
  %wk = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<16x32xf32>
  %wv = llm.param "model.layers.0.self_attn.v_proj.weight" : tensor<16x32xf32>
  %wo = llm.param "model.layers.0.self_attn.o_proj.weight" : tensor<32x32xf32>
  %q0 = llm.linear %x, %wq : tensor<32xf32>, tensor<32x32xf32> -> tensor<32xf32>
  %k0 = llm.linear %x, %wk : tensor<32xf32>, tensor<16x32xf32> -> tensor<16xf32>
  %v = llm.linear %x, %wv : tensor<32xf32>, tensor<16x32xf32> -> tensor<16xf32>
  %q = llm.rope %q0, %pos {head_dim = 8 : i64, theta = 1.0e+04 : f64} : tensor<32xf32>
  %k = llm.rope %k0, %pos {head_dim = 8 : i64, theta = 1.0e+04 : f64} : tensor<16xf32>
  %a = llm.attention %q, %k, %v, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64}
      : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>
  %o = llm.linear %a, %wo : tensor<32xf32>, tensor<32x32xf32> -> tensor<32xf32>
  %r = llm.add %h, %o : tensor<32xf32>
  %ln2 = llm.param "model.layers.0.post_attention_layernorm.weight" : tensor<32xf32>
  %y = llm.rms_norm %r, %ln2 {epsilon = 1.0e-06 : f32} : tensor<32xf32>, tensor<32xf32>
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<128x32xf32>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<128x32xf32>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<32x128xf32>
  %fc1 = llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<16x32xf32>
  %fc2 = llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<128x16xf32>
  %f = llm.ffn %y, %g, %u, %d predictor(%r, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64}
      : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>, tensor<32xf32>, tensor<16x32xf32>, tensor<128x16xf32>) -> tensor<32xf32>
  %h1 = llm.add %r, %f : tensor<32xf32>
  %n = llm.param "model.norm.weight" : tensor<32xf32>
  %fin = llm.rms_norm %h1, %n {epsilon = 1.0e-06 : f32} : tensor<32xf32>, tensor<32xf32>
  %tied = llm.param "model.embed_tokens.weight" : tensor<96x32xf32>
  %logits = llm.lm_head %fin, %tied : tensor<32xf32>, tensor<96x32xf32> -> tensor<96xf32>
  return %logits : tensor<96xf32>
}

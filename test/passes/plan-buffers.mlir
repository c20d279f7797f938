// RUN: sparsec-opt %s --sparsec-plan-buffers | FileCheck %s

// Weights get their packed-file offsets (walk order, back to back, a name
// read twice keeps its first slot; a transposed read is its own tensor);
// fused FFNs get stats slots in walk order, MoE experts included.
// CHECK-LABEL: module attributes {sparsec.num_ffns = 3 : i64}
// CHECK: llm.param "a" {sparsec.weight_offset = 0 : i64} : tensor<4x8xf32>
// CHECK: llm.param "b" {sparsec.weight_offset = 128 : i64} : tensor<8xf16>
// CHECK: llm.param "a" {sparsec.weight_offset = 0 : i64} : tensor<4x8xf32>
// CHECK: llm.param "a" transposed {sparsec.weight_offset = 144 : i64} : tensor<4x8xf32>
// CHECK: sfn.fused_sparse_ffn {{.*}}sparsec.stats_slot = 0 : i64
// CHECK: expert 0
// CHECK: sfn.fused_sparse_ffn {{.*}}sparsec.stats_slot = 1 : i64
// CHECK: expert 1
// CHECK: sfn.fused_sparse_ffn {{.*}}sparsec.stats_slot = 2 : i64
func.func @step(%tok: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>) -> tensor<4xf32> attributes {llm.decode_step} {
  %a = llm.param "a" : tensor<4x8xf32>
  %b = llm.param "b" : tensor<8xf16>
  %a2 = llm.param "a" : tensor<4x8xf32>
  %at = llm.param "a" transposed : tensor<4x8xf32>
  %x = llm.embed %a[%tok] : tensor<4x8xf32> -> tensor<8xf32>
  %y = sfn.fused_sparse_ffn %x, %a2, %a2, %at {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8xf32>
  %r = llm.param "r" : tensor<2x8xf32>
  %ids, %w = sfn.route_experts %y, %r {top_k = 1 : i64} : tensor<8xf32>, tensor<2x8xf32> -> tensor<1xi32>, tensor<1xf32>
  %z = sfn.dispatch_experts %ids, %w, %y {num_experts = 2 : i64} : tensor<1xi32>, tensor<1xf32>, tensor<8xf32> -> tensor<8xf32>
  expert 0 {
  ^bb0(%in: tensor<8xf32>):
    %0 = sfn.fused_sparse_ffn %in, %a2, %a2, %at {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8xf32>
    sfn.yield %0 : tensor<8xf32>
  }
  expert 1 {
  ^bb0(%in: tensor<8xf32>):
    %0 = sfn.fused_sparse_ffn %in, %a2, %a2, %at {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8xf32>
    sfn.yield %0 : tensor<8xf32>
  }
  %l = llm.lm_head %z, %a : tensor<8xf32>, tensor<4x8xf32> -> tensor<4xf32>
  return %l : tensor<4xf32>
}

// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Routing: router matvec, max-subtracted softmax, top-2 by repeated
// arg-max, renormalised. Dispatch: a loop over the 2 choices switching on
// the expert id; case e runs expert e's FFN (its own stats slot) and adds
// its weighted result.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[PROBS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2xf32>
// CHECK: %[[IDS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2xi32>
// CHECK: %[[W:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2xf32>
// CHECK: scf.parallel
// CHECK: math.exp
// CHECK: arith.select
// CHECK: scf.for %[[J:[^ ]+]] =
// CHECK: %[[E:.+]] = arith.index_cast %{{.+}} : i32 to index
// CHECK: scf.index_switch %[[E]]
// CHECK: case 0 {
// CHECK: scf.parallel
// CHECK: memref.store %{{.+}}, %{{.+}}[%c0{{.*}}] : memref<?xi32>
// CHECK: memref.load %[[W]][%[[J]]] : memref<2xf32>
// CHECK: scf.yield
// CHECK: case 1 {
// CHECK: memref.store %{{.+}}, %{{.+}}[%c1{{.*}}] : memref<?xi32>
// CHECK: default {
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %h = llm.param "h" : tensor<32xf32>
  %r = llm.param "router" : tensor<2x32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %dt = llm.param "d" transposed : tensor<128x32xf32>
  %d = llm.param "d" : tensor<32x128xf32>
  %ids, %w = sfn.route_experts %h, %r {top_k = 2 : i64} : tensor<32xf32>, tensor<2x32xf32> -> tensor<2xi32>, tensor<2xf32>
  %y = sfn.dispatch_experts %ids, %w, %h {num_experts = 2 : i64} : tensor<2xi32>, tensor<2xf32>, tensor<32xf32> -> tensor<32xf32>
  expert 0 {
  ^bb0(%in: tensor<32xf32>):
    %0 = sfn.fused_sparse_ffn %in, %g, %g, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>) -> tensor<32xf32>
    sfn.yield %0 : tensor<32xf32>
  }
  expert 1 {
  ^bb0(%in: tensor<32xf32>):
    %0 = sfn.fused_sparse_ffn %in, %g, %g, %d {activation = #llm.activation<swiglu>, mode = #sfn.mode<dense>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>) -> tensor<32xf32>
    sfn.yield %0 : tensor<32xf32>
  }
  return %y : tensor<32xf32>
}

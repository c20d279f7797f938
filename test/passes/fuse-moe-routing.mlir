// RUN: sparsec-opt %s -split-input-file --sparsec-fuse-moe-routing | FileCheck %s
// RUN: sparsec-opt %s -split-input-file --sparsec-fuse-moe-routing="expert-mode=dense" | FileCheck %s --check-prefix=DENSE
// `layers` decides over expert-mode (and over a sparsec.mode mark).
// RUN: sparsec-opt %s -split-input-file --sparsec-fuse-moe-routing="expert-mode=predicted layers=0-3:dense" | FileCheck %s --check-prefix=DENSE

// TurboSparse-Mixtral block: 8 dReLU experts with predictors, top-2.
// CHECK-LABEL: func.func @top2_of_8
// CHECK-SAME: (%[[X:[^:]+]]: tensor<32xf32>, %[[RES:[^:]+]]: tensor<32xf32>)
// CHECK-COUNT-8: llm.param "model.layers.0.block_sparse_moe.experts.{{[0-7]}}.w2.weight" transposed : tensor<64x32xf16>
// CHECK: %[[IDS:.+]], %[[W:.+]] = sfn.route_experts %[[X]], %{{.+}} {top_k = 2 : i64} : tensor<32xf32>, tensor<8x32xf16> -> tensor<2xi32>, tensor<2xf32>
// CHECK: sfn.dispatch_experts %[[IDS]], %[[W]], %[[X]] {num_experts = 8 : i64} : tensor<2xi32>, tensor<2xf32>, tensor<32xf32> -> tensor<32xf32>
// CHECK: expert 0 {
// CHECK-NEXT: ^bb0(%[[IN:.+]]: tensor<32xf32>):
// CHECK-NEXT: %[[Y:.+]] = sfn.fused_sparse_ffn %[[IN]], {{.*}} predictor(%[[RES]], {{.*}}) {activation = #llm.activation<drelu>, expert = 0 : i64, layer = 0 : i64, mode = #sfn.mode<predicted>}
// CHECK-NEXT: sfn.yield %[[Y]] : tensor<32xf32>
// CHECK: expert 1 {
// CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<drelu>, expert = 1 : i64, layer = 0 : i64, mode = #sfn.mode<predicted>}
// CHECK: expert 7 {
// CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<drelu>, expert = 7 : i64, layer = 0 : i64, mode = #sfn.mode<predicted>}
// CHECK-NOT: llm.moe
// Dense experts read their down projections whole, in their own layout.
// DENSE-LABEL: func.func @top2_of_8
// DENSE-NOT: transposed
// DENSE-COUNT-8: sfn.fused_sparse_ffn %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {activation = #llm.activation<drelu>, expert = {{[0-7]}} : i64, layer = 0 : i64, mode = #sfn.mode<dense>}
func.func @top2_of_8(%x: tensor<32xf32>, %res: tensor<32xf32>) -> tensor<32xf32> {
  %r = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<8x32xf16>
  %g0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w1.weight" : tensor<64x32xf16>
  %g1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w1.weight" : tensor<64x32xf16>
  %g2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w1.weight" : tensor<64x32xf16>
  %g3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w1.weight" : tensor<64x32xf16>
  %g4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w1.weight" : tensor<64x32xf16>
  %g5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w1.weight" : tensor<64x32xf16>
  %g6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w1.weight" : tensor<64x32xf16>
  %g7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w1.weight" : tensor<64x32xf16>
  %u0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w3.weight" : tensor<64x32xf16>
  %u1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w3.weight" : tensor<64x32xf16>
  %u2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w3.weight" : tensor<64x32xf16>
  %u3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w3.weight" : tensor<64x32xf16>
  %u4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w3.weight" : tensor<64x32xf16>
  %u5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w3.weight" : tensor<64x32xf16>
  %u6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w3.weight" : tensor<64x32xf16>
  %u7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w3.weight" : tensor<64x32xf16>
  %d0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w2.weight" : tensor<32x64xf16>
  %d1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w2.weight" : tensor<32x64xf16>
  %d2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w2.weight" : tensor<32x64xf16>
  %d3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w2.weight" : tensor<32x64xf16>
  %d4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w2.weight" : tensor<32x64xf16>
  %d5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w2.weight" : tensor<32x64xf16>
  %d6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w2.weight" : tensor<32x64xf16>
  %d7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w2.weight" : tensor<32x64xf16>
  %a0 = llm.param "model.layers.0.block_sparse_moe.experts.0.predictor.fc1.weight" : tensor<4x32xf16>
  %a1 = llm.param "model.layers.0.block_sparse_moe.experts.1.predictor.fc1.weight" : tensor<4x32xf16>
  %a2 = llm.param "model.layers.0.block_sparse_moe.experts.2.predictor.fc1.weight" : tensor<4x32xf16>
  %a3 = llm.param "model.layers.0.block_sparse_moe.experts.3.predictor.fc1.weight" : tensor<4x32xf16>
  %a4 = llm.param "model.layers.0.block_sparse_moe.experts.4.predictor.fc1.weight" : tensor<4x32xf16>
  %a5 = llm.param "model.layers.0.block_sparse_moe.experts.5.predictor.fc1.weight" : tensor<4x32xf16>
  %a6 = llm.param "model.layers.0.block_sparse_moe.experts.6.predictor.fc1.weight" : tensor<4x32xf16>
  %a7 = llm.param "model.layers.0.block_sparse_moe.experts.7.predictor.fc1.weight" : tensor<4x32xf16>
  %b0 = llm.param "model.layers.0.block_sparse_moe.experts.0.predictor.fc2.weight" : tensor<64x4xf16>
  %b1 = llm.param "model.layers.0.block_sparse_moe.experts.1.predictor.fc2.weight" : tensor<64x4xf16>
  %b2 = llm.param "model.layers.0.block_sparse_moe.experts.2.predictor.fc2.weight" : tensor<64x4xf16>
  %b3 = llm.param "model.layers.0.block_sparse_moe.experts.3.predictor.fc2.weight" : tensor<64x4xf16>
  %b4 = llm.param "model.layers.0.block_sparse_moe.experts.4.predictor.fc2.weight" : tensor<64x4xf16>
  %b5 = llm.param "model.layers.0.block_sparse_moe.experts.5.predictor.fc2.weight" : tensor<64x4xf16>
  %b6 = llm.param "model.layers.0.block_sparse_moe.experts.6.predictor.fc2.weight" : tensor<64x4xf16>
  %b7 = llm.param "model.layers.0.block_sparse_moe.experts.7.predictor.fc2.weight" : tensor<64x4xf16>
  %y = llm.moe %x router(%r) experts(gate [%g0, %g1, %g2, %g3, %g4, %g5, %g6, %g7], up [%u0, %u1, %u2, %u3, %u4, %u5, %u6, %u7], down [%d0, %d1, %d2, %d3, %d4, %d5, %d6, %d7])
      predictor(%res, fc1 [%a0, %a1, %a2, %a3, %a4, %a5, %a6, %a7], fc2 [%b0, %b1, %b2, %b3, %b4, %b5, %b6, %b7])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64}
      : (tensor<32xf32>, tensor<8x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32xf32>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<4x32xf16>, tensor<64x4xf16>, tensor<64x4xf16>, tensor<64x4xf16>, tensor<64x4xf16>, tensor<64x4xf16>, tensor<64x4xf16>, tensor<64x4xf16>, tensor<64x4xf16>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

// Plain Mixtral experts (SwiGLU, no predictor): auto runs them dense, but
// still only the top-k of them.
// CHECK-LABEL: func.func @swiglu_experts
// CHECK: sfn.route_experts {{.*}} {top_k = 2 : i64}
// CHECK-COUNT-8: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, expert = {{[0-7]}} : i64, layer = 3 : i64, mode = #sfn.mode<dense>}
func.func @swiglu_experts(%x: tensor<32xf32>) -> tensor<32xf32> {
  %r = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<8x32xf16>
  %g0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w1.weight" : tensor<64x32xf16>
  %g1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w1.weight" : tensor<64x32xf16>
  %g2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w1.weight" : tensor<64x32xf16>
  %g3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w1.weight" : tensor<64x32xf16>
  %g4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w1.weight" : tensor<64x32xf16>
  %g5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w1.weight" : tensor<64x32xf16>
  %g6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w1.weight" : tensor<64x32xf16>
  %g7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w1.weight" : tensor<64x32xf16>
  %u0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w3.weight" : tensor<64x32xf16>
  %u1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w3.weight" : tensor<64x32xf16>
  %u2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w3.weight" : tensor<64x32xf16>
  %u3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w3.weight" : tensor<64x32xf16>
  %u4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w3.weight" : tensor<64x32xf16>
  %u5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w3.weight" : tensor<64x32xf16>
  %u6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w3.weight" : tensor<64x32xf16>
  %u7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w3.weight" : tensor<64x32xf16>
  %d0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w2.weight" : tensor<32x64xf16>
  %d1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w2.weight" : tensor<32x64xf16>
  %d2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w2.weight" : tensor<32x64xf16>
  %d3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w2.weight" : tensor<32x64xf16>
  %d4 = llm.param "model.layers.0.block_sparse_moe.experts.4.w2.weight" : tensor<32x64xf16>
  %d5 = llm.param "model.layers.0.block_sparse_moe.experts.5.w2.weight" : tensor<32x64xf16>
  %d6 = llm.param "model.layers.0.block_sparse_moe.experts.6.w2.weight" : tensor<32x64xf16>
  %d7 = llm.param "model.layers.0.block_sparse_moe.experts.7.w2.weight" : tensor<32x64xf16>
  %y = llm.moe %x router(%r) experts(gate [%g0, %g1, %g2, %g3, %g4, %g5, %g6, %g7], up [%u0, %u1, %u2, %u3, %u4, %u5, %u6, %u7], down [%d0, %d1, %d2, %d3, %d4, %d5, %d6, %d7])
      {activation = #llm.activation<swiglu>, layer = 3 : i64, num_experts = 8 : i64, top_k = 2 : i64}
      : (tensor<32xf32>, tensor<8x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

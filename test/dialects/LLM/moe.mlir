// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// Four experts, top-2, dReLU experts with predictors.
// CHECK-LABEL: func.func @moe_top2_of_4
func.func @moe_top2_of_4(%x: tensor<64xf32>, %res: tensor<64xf32>) -> tensor<64xf32> {
  %r = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<4x64xf16>
  %g0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w1.weight" : tensor<128x64xf16>
  %g1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w1.weight" : tensor<128x64xf16>
  %g2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w1.weight" : tensor<128x64xf16>
  %g3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w1.weight" : tensor<128x64xf16>
  %u0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w3.weight" : tensor<128x64xf16>
  %u1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w3.weight" : tensor<128x64xf16>
  %u2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w3.weight" : tensor<128x64xf16>
  %u3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w3.weight" : tensor<128x64xf16>
  %d0 = llm.param "model.layers.0.block_sparse_moe.experts.0.w2.weight" : tensor<64x128xf16>
  %d1 = llm.param "model.layers.0.block_sparse_moe.experts.1.w2.weight" : tensor<64x128xf16>
  %d2 = llm.param "model.layers.0.block_sparse_moe.experts.2.w2.weight" : tensor<64x128xf16>
  %d3 = llm.param "model.layers.0.block_sparse_moe.experts.3.w2.weight" : tensor<64x128xf16>
  %a0 = llm.param "model.layers.0.block_sparse_moe.experts.0.predictor.fc1.weight" : tensor<16x64xf16>
  %a1 = llm.param "model.layers.0.block_sparse_moe.experts.1.predictor.fc1.weight" : tensor<16x64xf16>
  %a2 = llm.param "model.layers.0.block_sparse_moe.experts.2.predictor.fc1.weight" : tensor<16x64xf16>
  %a3 = llm.param "model.layers.0.block_sparse_moe.experts.3.predictor.fc1.weight" : tensor<16x64xf16>
  %b0 = llm.param "model.layers.0.block_sparse_moe.experts.0.predictor.fc2.weight" : tensor<128x16xf16>
  %b1 = llm.param "model.layers.0.block_sparse_moe.experts.1.predictor.fc2.weight" : tensor<128x16xf16>
  %b2 = llm.param "model.layers.0.block_sparse_moe.experts.2.predictor.fc2.weight" : tensor<128x16xf16>
  %b3 = llm.param "model.layers.0.block_sparse_moe.experts.3.predictor.fc2.weight" : tensor<128x16xf16>
  // CHECK: llm.moe %{{.+}} router(%{{.+}}) experts(gate[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}], up[{{[^]]+}}], down[{{[^]]+}}])
  // CHECK-SAME: predictor(%{{.+}}, fc1[{{[^]]+}}], fc2[{{[^]]+}}])
  // CHECK-SAME: {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 4 : i64, top_k = 2 : i64}
  %y = llm.moe %x router(%r) experts(gate [%g0, %g1, %g2, %g3], up [%u0, %u1, %u2, %u3], down [%d0, %d1, %d2, %d3])
      predictor(%res, fc1 [%a0, %a1, %a2, %a3], fc2 [%b0, %b1, %b2, %b3])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 4 : i64, top_k = 2 : i64}
      : (tensor<64xf32>, tensor<4x64xf16>,
         tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>,
         tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>,
         tensor<64x128xf16>, tensor<64x128xf16>, tensor<64x128xf16>, tensor<64x128xf16>,
         tensor<64xf32>,
         tensor<16x64xf16>, tensor<16x64xf16>, tensor<16x64xf16>, tensor<16x64xf16>,
         tensor<128x16xf16>, tensor<128x16xf16>, tensor<128x16xf16>, tensor<128x16xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Plain Mixtral (SwiGLU experts, no predictor), two experts, top-1.
// CHECK-LABEL: func.func @moe_swiglu_top1
func.func @moe_swiglu_top1(%x: tensor<64xf32>) -> tensor<64xf32> {
  %r = llm.param "router" : tensor<2x64xbf16>
  %g = llm.param "g" : tensor<128x64xbf16>
  %d = llm.param "d" : tensor<64x128xbf16>
  // No predictor group between the experts and the attributes:
  // CHECK: llm.moe %{{[^ ]+}} router(%{{[^)]+}}) experts({{[^)]+}}) {activation = #llm.activation<swiglu>, layer = 5 : i64, num_experts = 2 : i64, top_k = 1 : i64}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d])
      {activation = #llm.activation<swiglu>, layer = 5 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<2x64xbf16>, tensor<128x64xbf16>, tensor<128x64xbf16>, tensor<128x64xbf16>,
         tensor<128x64xbf16>, tensor<64x128xbf16>, tensor<64x128xbf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

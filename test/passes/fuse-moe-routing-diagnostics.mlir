// RUN: sparsec-opt %s -split-input-file --sparsec-fuse-moe-routing="expert-mode=predicted" -verify-diagnostics
// RUN: not sparsec-opt %s --sparsec-fuse-moe-routing="expert-mode=threshold" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not sparsec-opt %s --sparsec-fuse-moe-routing="layers=0-9:threshold" 2>&1 | FileCheck %s --check-prefix=LAYERS
// LAYERS: error: layer 0: MoE experts have no threshold mode (expected auto, dense, exact or predicted)

// MODE: sparsec-fuse-moe-routing: expert-mode 'threshold' is not one of auto, dense, exact, predicted

func.func @predicted_without_predictors(%x: tensor<32xf32>) -> tensor<32xf32> {
  %r = llm.param "router" : tensor<8x32xf16>
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
  // expected-error @+1 {{mode 'predicted' needs a predictor, and this block has none (use exact, threshold or dense)}}
  %y = llm.moe %x router(%r) experts(gate [%g0, %g1, %g2, %g3, %g4, %g5, %g6, %g7], up [%u0, %u1, %u2, %u3, %u4, %u5, %u6, %u7], down [%d0, %d1, %d2, %d3, %d4, %d5, %d6, %d7])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64}
      : (tensor<32xf32>, tensor<8x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

func.func @exact_mark_on_swiglu(%x: tensor<32xf32>) -> tensor<32xf32> {
  %r = llm.param "router" : tensor<8x32xf16>
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
  // expected-error @+1 {{mode 'exact' needs a ReLU-family activation (drelu, relu, relu2), got swiglu (use threshold or dense)}}
  %y = llm.moe %x router(%r) experts(gate [%g0, %g1, %g2, %g3, %g4, %g5, %g6, %g7], up [%u0, %u1, %u2, %u3, %u4, %u5, %u6, %u7], down [%d0, %d1, %d2, %d3, %d4, %d5, %d6, %d7])
      {activation = #llm.activation<swiglu>, layer = 0 : i64, num_experts = 8 : i64, top_k = 2 : i64, sparsec.mode = "exact"}
      : (tensor<32xf32>, tensor<8x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<64x32xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>, tensor<32x64xf16>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

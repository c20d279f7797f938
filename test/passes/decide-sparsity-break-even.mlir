// RUN: sparsec-opt %s --sparsec-decide-sparsity="stats=%S/Inputs/calibration.json break-even-density=0.1" | FileCheck %s

// A stricter break-even keeps every layer above 10% density dense.
// CHECK-LABEL: func.func @layers
// CHECK: layer = 0 : i64, sparsec.mode = "dense"
// CHECK: layer = 1 : i64, sparsec.mode = "dense"
// CHECK: layer = 2 : i64, sparsec.mode = "dense"
// CHECK: layer = 3 : i64, num_experts = 2 : i64, sparsec.mode = "dense"
// CHECK: layer = 4 : i64}
func.func @layers(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %d = llm.param "d" : tensor<64x256xf16>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  %r = llm.param "r" : tensor<2x64xf16>
  %y0 = llm.ffn %x, %g, %g, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  %y1 = llm.ffn %y0, %g, %g, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 1 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  %y2 = llm.ffn %y1, %g, %g, %d {activation = #llm.activation<relu>, layer = 2 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y3 = llm.moe %y2 router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d]) {activation = #llm.activation<drelu>, layer = 3 : i64, num_experts = 2 : i64, top_k = 1 : i64} : (tensor<64xf32>, tensor<2x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y4 = llm.ffn %y3, %g, %g, %d {activation = #llm.activation<swiglu>, layer = 4 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y4 : tensor<64xf32>
}

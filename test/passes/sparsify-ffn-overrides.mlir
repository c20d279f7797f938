// RUN: sparsec-opt %s --sparsec-sparsify-ffn="layers=0-1:dense,2:exact,3:predicted" | FileCheck %s
// RUN: sparsec-opt %s --sparsec-sparsify-ffn="default-mode=exact layers=3:predicted" | FileCheck %s --check-prefix=DEFAULT

// Per-layer overrides; the last range naming a layer wins; unnamed layers
// take the default mode. A sparsec.mode mark (from decide-sparsity) is used
// when the options say nothing about the layer.
// CHECK-LABEL: func.func @four_layers
// CHECK: sfn.all_active
// CHECK: sfn.all_active
// CHECK: sfn.select
// CHECK: sfn.predict
// DEFAULT-LABEL: func.func @four_layers
// DEFAULT: sfn.select
// DEFAULT: sfn.all_active
// DEFAULT: sfn.select
// DEFAULT: sfn.predict
func.func @four_layers(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  %fc1 = llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64xf16>
  %fc2 = llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<256x8xf16>
  %y0 = llm.ffn %x, %g, %u, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  %y1 = llm.ffn %y0, %g, %u, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 1 : i64, sparsec.mode = "dense"} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  %y2 = llm.ffn %y1, %g, %u, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 2 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  %y3 = llm.ffn %y2, %g, %u, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 3 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  return %y3 : tensor<64xf32>
}

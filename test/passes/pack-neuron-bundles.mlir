// RUN: sparsec-opt %s -split-input-file --sparsec-pack-neuron-bundles | FileCheck %s

// Predicted: gate row, up row and down column of each neuron in one bundle;
// the fused op keeps its layer.
// CHECK-LABEL: module attributes {sparsec.weights_layout = 1 : i64}
// CHECK-LABEL: func.func @predicted
// CHECK: %[[B:.+]] = sfn.bundle_param "model.layers.0.mlp.neuron_bundles"
// CHECK-SAME: sources ["model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"] transposed [2]
// CHECK-SAME: : tensor<256x3x64xf16>
// CHECK: %[[G:.+]] = sfn.bundle_part %[[B]][0] : tensor<256x3x64xf16> -> tensor<256x64xf16>
// CHECK: %[[U:.+]] = sfn.bundle_part %[[B]][1]
// CHECK: %[[D:.+]] = sfn.bundle_part %[[B]][2]
// CHECK: sfn.fused_sparse_ffn %{{[^,]+}}, %[[G]], %[[U]], %[[D]] predictor
// CHECK-SAME: {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>}
func.func @predicted(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %dt = llm.param "model.layers.0.mlp.down_proj.weight" transposed : tensor<256x64xf16>
  %fc1 = llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64xf16>
  %fc2 = llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<256x8xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Exact: the gate is read densely and stays a matrix; up and down bundle.
// CHECK-LABEL: func.func @exact
// CHECK: %[[G:.+]] = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
// CHECK: %[[B:.+]] = sfn.bundle_param "model.layers.0.mlp.neuron_bundles"
// CHECK-SAME: sources ["model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight"] transposed [1]
// CHECK-SAME: : tensor<256x2x64xf16>
// CHECK: %[[U:.+]] = sfn.bundle_part %[[B]][0]
// CHECK: %[[D:.+]] = sfn.bundle_part %[[B]][1]
// CHECK: sfn.fused_sparse_ffn %{{[^,]+}}, %[[G]], %[[U]], %[[D]] {activation = #llm.activation<relu>, layer = 0 : i64, mode = #sfn.mode<exact>}
func.func @exact(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %dt = llm.param "model.layers.0.mlp.down_proj.weight" transposed : tensor<256x64xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, layer = 0 : i64, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Dense FFNs stream whole matrices: nothing to pack.
// CHECK-LABEL: func.func @dense
// CHECK-NOT: sfn.bundle_param
func.func @dense(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, mode = #sfn.mode<dense>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Weights that are already packed are left alone (the pass is idempotent).
// CHECK-LABEL: func.func @already_packed
// CHECK-COUNT-1: sfn.bundle_param
func.func @already_packed(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %b = sfn.bundle_param "model.layers.0.mlp.neuron_bundles" sources ["u", "d"] transposed [1] : tensor<256x2x64xf16>
  %u = sfn.bundle_part %b[0] : tensor<256x2x64xf16> -> tensor<256x64xf16>
  %dt = sfn.bundle_part %b[1] : tensor<256x2x64xf16> -> tensor<256x64xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Weights named without a common module path (ONNX exports' "onnx::MatMul_N"):
// each FFN's bundle is named after its sources, so two layers never share
// one (sharing would make layer 1 read layer 0's rows).
// CHECK-LABEL: func.func @unnamed_modules
// CHECK: sfn.bundle_param "neuron_bundles(transpose(onnx::MatMul_1),transpose(onnx::MatMul_2))" sources ["transpose(onnx::MatMul_1)", "transpose(onnx::MatMul_2)"]
// CHECK: sfn.bundle_param "neuron_bundles(transpose(onnx::MatMul_4),transpose(onnx::MatMul_5))" sources ["transpose(onnx::MatMul_4)", "transpose(onnx::MatMul_5)"]
func.func @unnamed_modules(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g0 = llm.param "transpose(onnx::MatMul_0)" : tensor<256x64xf16>
  %u0 = llm.param "transpose(onnx::MatMul_1)" : tensor<256x64xf16>
  %d0 = llm.param "transpose(onnx::MatMul_2)" transposed : tensor<256x64xf16>
  %y0 = sfn.fused_sparse_ffn %x, %g0, %u0, %d0 {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  %g1 = llm.param "transpose(onnx::MatMul_3)" : tensor<256x64xf16>
  %u1 = llm.param "transpose(onnx::MatMul_4)" : tensor<256x64xf16>
  %d1 = llm.param "transpose(onnx::MatMul_5)" transposed : tensor<256x64xf16>
  %y1 = sfn.fused_sparse_ffn %y0, %g1, %u1, %d1 {activation = #llm.activation<drelu>, layer = 1 : i64, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return %y1 : tensor<64xf32>
}

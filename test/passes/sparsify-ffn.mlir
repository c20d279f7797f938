// RUN: sparsec-opt %s -split-input-file --sparsec-sparsify-ffn | FileCheck %s
// RUN: sparsec-opt %s -split-input-file --sparsec-sparsify-ffn="default-mode=dense" | FileCheck %s --check-prefix=DENSE

// dReLU with a predictor: auto picks predicted. The predictor reads the
// residual; gate and up are gathered over its set; down is read transposed.
// CHECK-LABEL: func.func @drelu_predicted
// CHECK-SAME: (%[[X:[^:]+]]: tensor<64xf32>, %[[RES:[^:]+]]: tensor<64xf32>)
// CHECK: %[[DT:.+]] = llm.param "model.layers.0.mlp.down_proj.weight" transposed : tensor<256x64xf16>
// CHECK: %[[SET:.+]] = sfn.predict %[[RES]], %{{.+}}, %{{.+}} {threshold = 5.000000e-01 : f32} : {{.*}} -> !sfn.active_set<256>
// CHECK: %[[G:.+]] = sfn.gather_matvec %{{.+}}[%[[SET]]], %[[X]]
// CHECK: %[[U:.+]] = sfn.gather_matvec %{{.+}}[%[[SET]]], %[[X]]
// CHECK: %[[H:.+]] = sfn.activate %[[G]], %[[U]] {activation = #llm.activation<drelu>}
// CHECK: sfn.scatter_matvec %[[DT]][%[[SET]]], %[[H]] {layer = 0 : i64} : {{.*}} -> tensor<64xf32>
// CHECK-NOT: llm.ffn
// DENSE-LABEL: func.func @drelu_predicted
// DENSE: sfn.all_active : !sfn.active_set<256>
// DENSE-NOT: sfn.predict
func.func @drelu_predicted(%x: tensor<64xf32>, %res: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  %fc1 = llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<8x64xf16>
  %fc2 = llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<256x8xf16>
  %y = llm.ffn %x, %g, %u, %d predictor(%res, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, predictor_threshold = 0.5 : f32} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// ReLU (ReGLU) without a predictor: auto picks exact. The gate runs densely,
// select keeps gate > 0, and only up and down are gathered. The scatter
// carries the block's layer.
// CHECK-LABEL: func.func @relu_exact
// CHECK: %[[GATE:.+]] = llm.linear %{{.+}}, %{{.+}} : tensor<64xf32>, tensor<256x64xf16> -> tensor<256xf32>
// CHECK: %[[SET:.+]], %[[GV:.+]] = sfn.select %[[GATE]] {activation = #llm.activation<relu>} : tensor<256xf32> -> !sfn.active_set<256>, tensor<?xf32>
// CHECK-NOT: sfn.gather_matvec {{.*}}gate_proj
// CHECK: %[[U:.+]] = sfn.gather_matvec %{{.+}}[%[[SET]]]
// CHECK: %[[H:.+]] = sfn.activate %[[GV]], %[[U]] {activation = #llm.activation<relu>}
// CHECK: sfn.scatter_matvec %{{.+}}[%[[SET]]], %[[H]] {layer = 5 : i64}
func.func @relu_exact(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<relu>, layer = 5 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// SwiGLU has no exact zeros: auto keeps it dense.
// CHECK-LABEL: func.func @swiglu_dense
// CHECK: %[[SET:.+]] = sfn.all_active : !sfn.active_set<256>
// CHECK: sfn.gather_matvec %{{.+}}[%[[SET]]]
// CHECK: sfn.activate {{.*}} {activation = #llm.activation<swiglu>}
func.func @swiglu_dense(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

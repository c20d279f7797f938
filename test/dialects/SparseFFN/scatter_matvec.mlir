// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @scatter_down
// CHECK-SAME: (%[[H:.+]]: tensor<?xf32>, %[[SET:.+]]: !sfn.active_set<14336>)
func.func @scatter_down(%h: tensor<?xf32>, %set: !sfn.active_set<14336>) -> tensor<4096xf32> {
  %dt = llm.param "model.layers.0.mlp.down_proj.weight.t" : tensor<14336x4096xf16>
  // CHECK: sfn.scatter_matvec %{{.+}}[%[[SET]]], %[[H]]
  // CHECK-SAME: : tensor<14336x4096xf16>, !sfn.active_set<14336>, tensor<?xf32> -> tensor<4096xf32>
  %y = sfn.scatter_matvec %dt[%set], %h : tensor<14336x4096xf16>, !sfn.active_set<14336>, tensor<?xf32> -> tensor<4096xf32>
  return %y : tensor<4096xf32>
}

// -----

// The unfused predicted FFN: predict, gather gate and up, activate, scatter
// (which carries the block's layer).
// CHECK-LABEL: func.func @unfused_predicted_ffn
// CHECK: %[[SET:.+]] = sfn.predict
// CHECK: %[[G:.+]] = sfn.gather_matvec %{{.+}}[%[[SET]]]
// CHECK: %[[U:.+]] = sfn.gather_matvec %{{.+}}[%[[SET]]]
// CHECK: %[[H:.+]] = sfn.activate %[[G]], %[[U]]
// CHECK: sfn.scatter_matvec %{{.+}}[%[[SET]]], %[[H]] {layer = 4 : i64}
func.func @unfused_predicted_ffn(%x: tensor<64xf32>, %res: tensor<64xf32>) -> tensor<64xf32> {
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  %set = sfn.predict %res, %fc1, %fc2 : tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16> -> !sfn.active_set<256>
  %gv = sfn.gather_matvec %g[%set], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %uv = sfn.gather_matvec %u[%set], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<drelu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%set], %h {layer = 4 : i64} : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y : tensor<64xf32>
}

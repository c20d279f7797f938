// RUN: sparsec-opt %s -split-input-file --sparsec-fuse-predictor-gather | FileCheck %s

// Predicted: the predictor's set drives both gathers and the scatter; the
// scatter's layer moves onto the fused op.
// CHECK-LABEL: func.func @predicted
// CHECK-SAME: (%[[X:[^:]+]]: tensor<64xf32>, %[[RES:[^:]+]]: tensor<64xf32>)
// CHECK-NOT: sfn.predict
// CHECK-NOT: sfn.gather_matvec
// CHECK: sfn.fused_sparse_ffn %[[X]], %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} predictor(%[[RES]], %{{[^,]+}}, %{{[^)]+}})
// CHECK-SAME: {activation = #llm.activation<drelu>, layer = 3 : i64, mode = #sfn.mode<predicted>, predictor_threshold = 2.500000e-01 : f32}
// CHECK-NOT: sfn.scatter_matvec
func.func @predicted(%x: tensor<64xf32>, %res: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  %s = sfn.predict %res, %fc1, %fc2 {threshold = 0.25 : f32} : tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16> -> !sfn.active_set<256>
  %gv = sfn.gather_matvec %g[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %uv = sfn.gather_matvec %u[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<drelu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%s], %h {layer = 3 : i64} : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Exact: select at threshold 0 of a ReLU-family gate; the dense gate matvec
// folds into the fused op.
// CHECK-LABEL: func.func @exact
// CHECK-NOT: llm.linear
// CHECK-NOT: sfn.select
// CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<relu>, layer = 0 : i64, mode = #sfn.mode<exact>}
func.func @exact(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  %gate = llm.linear %x, %g : tensor<64xf32>, tensor<256x64xf16> -> tensor<256xf32>
  %s, %gv = sfn.select %gate {activation = #llm.activation<relu>} : tensor<256xf32> -> !sfn.active_set<256>, tensor<?xf32>
  %uv = sfn.gather_matvec %u[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<relu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%s], %h {layer = 0 : i64} : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Threshold: select with t > 0 (SwiGLU).
// CHECK-LABEL: func.func @threshold
// CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, activation_threshold = 1.000000e-01 : f32, layer = 7 : i64, mode = #sfn.mode<threshold>}
func.func @threshold(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  %gate = llm.linear %x, %g : tensor<64xf32>, tensor<256x64xf16> -> tensor<256xf32>
  %s, %gv = sfn.select %gate {activation = #llm.activation<swiglu>, threshold = 0.1 : f32} : tensor<256xf32> -> !sfn.active_set<256>, tensor<?xf32>
  %uv = sfn.gather_matvec %u[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<swiglu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%s], %h {layer = 7 : i64} : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Dense: all_active. The down projection is given in its own layout (read
// whole, as a matvec), the transposed view dies. A scatter without a layer
// gives a fused op without one.
// CHECK-LABEL: func.func @dense
// CHECK-NOT: sfn.all_active
// CHECK-NOT: transposed
// CHECK: %[[D:.+]] = llm.param "d" : tensor<64x256xf16>
// CHECK-NOT: transposed
// CHECK: sfn.fused_sparse_ffn %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}}, %[[D]] {activation = #llm.activation<gelu>, mode = #sfn.mode<dense>}
func.func @dense(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  %s = sfn.all_active : !sfn.active_set<256>
  %gv = sfn.gather_matvec %g[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %uv = sfn.gather_matvec %u[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<gelu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%s], %h : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// An intermediate with another user must stay materialised: no fusion.
// CHECK-LABEL: func.func @shared_activation
// CHECK: sfn.activate
// CHECK: sfn.scatter_matvec
// CHECK-NOT: sfn.fused_sparse_ffn
func.func @shared_activation(%x: tensor<64xf32>) -> (tensor<64xf32>, tensor<?xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  %s = sfn.all_active : !sfn.active_set<256>
  %gv = sfn.gather_matvec %g[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %uv = sfn.gather_matvec %u[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<relu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%s], %h : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y, %h : tensor<64xf32>, tensor<?xf32>
}

// -----

// Gathers over different inputs are not one FFN.
// CHECK-LABEL: func.func @mismatched_inputs
// CHECK-NOT: sfn.fused_sparse_ffn
func.func @mismatched_inputs(%x: tensor<64xf32>, %z: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  %s = sfn.all_active : !sfn.active_set<256>
  %gv = sfn.gather_matvec %g[%s], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %uv = sfn.gather_matvec %u[%s], %z : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  %h = sfn.activate %gv, %uv {activation = #llm.activation<relu>} : tensor<?xf32>
  %y = sfn.scatter_matvec %dt[%s], %h : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return %y : tensor<64xf32>
}

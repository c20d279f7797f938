// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @predicted_drelu
func.func @predicted_drelu(%x: tensor<64xf32>, %res: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  // CHECK: sfn.fused_sparse_ffn %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^ ]+}} predictor(%{{[^,]+}}, %{{[^,]+}}, %{{[^)]+}})
  // CHECK-SAME: {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>, predictor_threshold = 0.000000e+00 : f32}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%res, %fc1, %fc2)
      {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>, predictor_threshold = 0.0 : f32} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @exact_relu
func.func @exact_relu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<relu>, mode = #sfn.mode<exact>}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @threshold_swiglu
func.func @threshold_swiglu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<swiglu>, activation_threshold = 5.000000e-02 : f32, mode = #sfn.mode<threshold>}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<swiglu>, activation_threshold = 0.05 : f32, mode = #sfn.mode<threshold>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @dense_gelu
func.func @dense_gelu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  // Dense takes the down projection in its own layout: [hidden, intermediate].
  %d = llm.param "d" : tensor<64x256xf16>
  // CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<gelu>, mode = #sfn.mode<dense>}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %d {activation = #llm.activation<gelu>, mode = #sfn.mode<dense>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// The block's layer and, for an MoE expert, its index round-trip.
// CHECK-LABEL: func.func @layer_and_expert
func.func @layer_and_expert(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<relu>, layer = 12 : i64, mode = #sfn.mode<exact>}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, layer = 12 : i64, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  // CHECK: sfn.fused_sparse_ffn {{.*}} {activation = #llm.activation<relu>, expert = 3 : i64, layer = 1 : i64, mode = #sfn.mode<dense>}
  %d = llm.param "d" : tensor<64x256xf16>
  %z = sfn.fused_sparse_ffn %y, %g, %u, %d {activation = #llm.activation<relu>, expert = 3 : i64, layer = 1 : i64, mode = #sfn.mode<dense>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %z : tensor<64xf32>
}

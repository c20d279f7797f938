// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @predicted_without_predictor(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op mode 'predicted' requires a predictor}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @exact_on_swiglu(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op mode 'exact' requires a ReLU-family activation (drelu, relu, relu2), got swiglu}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<swiglu>, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @threshold_without_value(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op mode 'threshold' requires an activation_threshold}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<swiglu>, mode = #sfn.mode<threshold>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @negative_threshold(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op expects a non-negative activation_threshold, got -1}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<swiglu>, activation_threshold = -1.0 : f32, mode = #sfn.mode<threshold>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @dense_with_predictor(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %d = llm.param "d" : tensor<64x256xf16>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op mode 'dense' takes no predictor}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<dense>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @down_in_hf_layout(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %d = llm.param "d" : tensor<64x256xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op expects down (stored transposed) of shape [256x64], got [64x256]}}
  %y = sfn.fused_sparse_ffn %x, %g, %g, %d {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return
}

// -----

// Dense reads the down projection whole, in its own layout.
func.func @dense_down_transposed(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %dt = llm.param "d" transposed : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op expects down (dense: in its own layout) of shape [64x256], got [256x64]}}
  %y = sfn.fused_sparse_ffn %x, %g, %g, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<dense>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @mismatched_dtypes(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf32>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op expects gate, up and down weights of one element type, got 'f16', 'f32', 'f16'}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %g {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf32>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @unknown_mode(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+2 {{expected ::mlir::sparsec::sfn::SparseMode to be one of: dense, exact, predicted, threshold}}
  // expected-error @+1 {{failed to parse SparseFFN_ModeAttr parameter 'value'}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<sometimes>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @negative_layer(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op attribute 'layer' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, layer = -1 : i64, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @negative_expert(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<256x64xf16>
  %u = llm.param "u" : tensor<256x64xf16>
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.fused_sparse_ffn' op attribute 'expert' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, expert = -2 : i64, layer = 0 : i64, mode = #sfn.mode<exact>} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>) -> tensor<64xf32>
  return
}

// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @mismatched_dtypes(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %u = llm.param "u" : tensor<128x64xbf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.ffn' op expects gate, up and down weights of one element type, got 'f16', 'bf16', 'f16'}}
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xbf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @down_not_transposed_in_hf_layout(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  // expected-error @+1 {{'llm.ffn' op expects down of shape [64x128], got [128x64]}}
  %y = llm.ffn %x, %g, %g, %g {activation = #llm.activation<swiglu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @up_intermediate(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %u = llm.param "u" : tensor<96x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.ffn' op expects up of shape [128x64], got [96x64]}}
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<drelu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<96x64xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @predictor_fc2_rank(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  %fc1 = llm.param "fc1" : tensor<16x64xf16>
  %fc2 = llm.param "fc2" : tensor<128x8xf16>
  // expected-error @+1 {{'llm.ffn' op expects predictor fc2 of shape [128x16], got [128x8]}}
  %y = llm.ffn %x, %g, %g, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64xf32>, tensor<16x64xf16>, tensor<128x8xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @predictor_input_size(%x: tensor<64xf32>, %p: tensor<32xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  %fc1 = llm.param "fc1" : tensor<16x64xf16>
  %fc2 = llm.param "fc2" : tensor<128x16xf16>
  // expected-error @+1 {{'llm.ffn' op expects predictor input of shape [64], got [32]}}
  %y = llm.ffn %x, %g, %g, %d predictor(%p, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<32xf32>, tensor<16x64xf16>, tensor<128x16xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @threshold_without_predictor(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.ffn' op has a predictor_threshold but no predictor}}
  %y = llm.ffn %x, %g, %g, %d {activation = #llm.activation<drelu>, layer = 0 : i64, predictor_threshold = 0.5 : f32}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @result_size(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.ffn' op expects result of shape [64], got [128]}}
  %y = llm.ffn %x, %g, %g, %d {activation = #llm.activation<drelu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<128xf32>
  return
}

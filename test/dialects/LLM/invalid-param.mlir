// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @empty_name() {
  // expected-error @+1 {{'llm.param' op expects a non-empty tensor name}}
  %0 = llm.param "" : tensor<4x4xf16>
  return
}

// -----

func.func @dynamic_shape() {
  // expected-error @+1 {{'llm.param' op expects a static shape for 'w', got 'tensor<?x4xf16>'}}
  %0 = llm.param "w" : tensor<?x4xf16>
  return
}

// -----

func.func @integer_weight() {
  // expected-error @+1 {{'llm.param' op result #0 must be ranked tensor of 32-bit float or 16-bit float or bfloat16 type or block-quantized weight values}}
  %0 = llm.param "w" : tensor<4x4xi8>
  return
}

// -----

func.func @scalar() {
  // expected-error @+1 {{'llm.param' op expects a tensor of rank >= 1 for 'w'}}
  %0 = llm.param "w" : tensor<f32>
  return
}

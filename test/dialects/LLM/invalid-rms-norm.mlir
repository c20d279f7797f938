// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @weight_size(%x: tensor<64xf32>) {
  %w = llm.param "model.norm.weight" : tensor<32xf16>
  // expected-error @+1 {{'llm.rms_norm' op expects weight of shape [64], got [32]}}
  %y = llm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<64xf32>, tensor<32xf16>
  return
}

// -----

func.func @zero_epsilon(%x: tensor<64xf32>) {
  %w = llm.param "model.norm.weight" : tensor<64xf16>
  // expected-error @+1 {{'llm.rms_norm' op expects a positive epsilon, got 0}}
  %y = llm.rms_norm %x, %w {epsilon = 0.0 : f32} : tensor<64xf32>, tensor<64xf16>
  return
}

// -----

func.func @f16_activation(%x: tensor<64xf16>) {
  %w = llm.param "model.norm.weight" : tensor<64xf16>
  // expected-error @+1 {{'llm.rms_norm' op operand #0 must be 1D tensor of 32-bit float values}}
  %y = "llm.rms_norm"(%x, %w) {epsilon = 1.0e-05 : f32} : (tensor<64xf16>, tensor<64xf16>) -> tensor<64xf16>
  return
}

// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @unknown_activation(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+2 {{expected ::mlir::sparsec::llm::Activation to be one of: drelu, relu, relu2, swiglu, gelu}}
  // expected-error @+1 {{failed to parse LLM_ActivationAttr parameter 'value'}}
  %y = llm.ffn %x, %g, %g, %d {activation = #llm.activation<tanh>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @missing_activation(%x: tensor<64xf32>) {
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.ffn' op requires attribute 'activation'}}
  %y = llm.ffn %x, %g, %g, %d {layer = 0 : i64}
      : (tensor<64xf32>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @vocab_mismatch(%x: tensor<64xf32>) {
  %w = llm.param "lm_head.weight" : tensor<100x64xf16>
  // expected-error @+1 {{'llm.lm_head' op expects result of shape [100], got [99]}}
  %l = llm.lm_head %x, %w : tensor<64xf32>, tensor<100x64xf16> -> tensor<99xf32>
  return
}

// -----

func.func @hidden_mismatch(%x: tensor<64xf32>) {
  %w = llm.param "lm_head.weight" : tensor<100x32xf16>
  // expected-error @+1 {{'llm.lm_head' op expects weight of shape [100x64], got [100x32]}}
  %l = llm.lm_head %x, %w : tensor<64xf32>, tensor<100x32xf16> -> tensor<100xf32>
  return
}

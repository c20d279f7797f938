// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @in_features(%x: tensor<64xf32>) {
  %w = llm.param "w" : tensor<32x128xf16>
  // expected-error @+1 {{'llm.linear' op expects weight of shape [32x64], got [32x128]}}
  %y = llm.linear %x, %w : tensor<64xf32>, tensor<32x128xf16> -> tensor<32xf32>
  return
}

// -----

func.func @out_features(%x: tensor<64xf32>) {
  %w = llm.param "w" : tensor<32x64xf16>
  // expected-error @+1 {{'llm.linear' op expects result of shape [32], got [16]}}
  %y = llm.linear %x, %w : tensor<64xf32>, tensor<32x64xf16> -> tensor<16xf32>
  return
}

// -----

func.func @rank3_weight(%x: tensor<64xf32>) {
  %w = llm.param "w" : tensor<2x32x64xf16>
  // expected-error @+1 {{'llm.linear' op expects a weight of rank 2 ([out, in]), got 'tensor<2x32x64xf16>'}}
  %y = llm.linear %x, %w : tensor<64xf32>, tensor<2x32x64xf16> -> tensor<32xf32>
  return
}

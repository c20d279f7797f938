// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @fc2_rows_vs_set(%res: tensor<64xf32>) {
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<128x8xf16>
  // expected-error @+1 {{'sfn.predict' op expects fc2 of shape [256x8], got [128x8]}}
  %s = sfn.predict %res, %fc1, %fc2 : tensor<64xf32>, tensor<8x64xf16>, tensor<128x8xf16> -> !sfn.active_set<256>
  return
}

// -----

func.func @fc1_hidden(%res: tensor<64xf32>) {
  %fc1 = llm.param "fc1" : tensor<8x32xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  // expected-error @+1 {{'sfn.predict' op expects fc1 of shape [8x64], got [8x32]}}
  %s = sfn.predict %res, %fc1, %fc2 : tensor<64xf32>, tensor<8x32xf16>, tensor<256x8xf16> -> !sfn.active_set<256>
  return
}

// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @weight_rows_vs_set(%x: tensor<64xf32>, %set: !sfn.active_set<256>) {
  %g = llm.param "g" : tensor<128x64xf16>
  // expected-error @+1 {{'sfn.gather_matvec' op expects weight of shape [256x64], got [128x64]}}
  %v = sfn.gather_matvec %g[%set], %x : tensor<128x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<?xf32>
  return
}

// -----

func.func @full_width_result(%x: tensor<64xf32>, %set: !sfn.active_set<256>) {
  %g = llm.param "g" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.gather_matvec' op expects result to be a compact tensor<?xf32>, got 'tensor<256xf32>'}}
  %v = sfn.gather_matvec %g[%set], %x : tensor<256x64xf16>, !sfn.active_set<256>, tensor<64xf32> -> tensor<256xf32>
  return
}

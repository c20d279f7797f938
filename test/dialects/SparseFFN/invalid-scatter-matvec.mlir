// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

// down in the Hugging Face layout ([hidden, intermediate]) is not accepted:
// scatter reads down stored transposed.
func.func @down_not_transposed(%h: tensor<?xf32>, %set: !sfn.active_set<256>) {
  %d = llm.param "d" : tensor<64x256xf16>
  // expected-error @+1 {{'sfn.scatter_matvec' op expects down_t of shape [256x64], got [64x256]}}
  %y = sfn.scatter_matvec %d[%set], %h : tensor<64x256xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return
}

// -----

func.func @dense_values(%h: tensor<256xf32>, %set: !sfn.active_set<256>) {
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.scatter_matvec' op expects values to be a compact tensor<?xf32>, got 'tensor<256xf32>'}}
  %y = sfn.scatter_matvec %dt[%set], %h : tensor<256x64xf16>, !sfn.active_set<256>, tensor<256xf32> -> tensor<64xf32>
  return
}

// -----

func.func @negative_layer(%h: tensor<?xf32>, %set: !sfn.active_set<256>) {
  %dt = llm.param "dt" : tensor<256x64xf16>
  // expected-error @+1 {{'sfn.scatter_matvec' op attribute 'layer' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = sfn.scatter_matvec %dt[%set], %h {layer = -1 : i64} : tensor<256x64xf16>, !sfn.active_set<256>, tensor<?xf32> -> tensor<64xf32>
  return
}

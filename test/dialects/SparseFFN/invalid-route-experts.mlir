// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @top_k_exceeds_experts(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<8x64xf16>
  // expected-error @+1 {{'sfn.route_experts' op expects top_k <= num_experts, got top_k = 9 and num_experts = 8}}
  %ids, %w = sfn.route_experts %x, %r {top_k = 9 : i64} : tensor<64xf32>, tensor<8x64xf16> -> tensor<9xi32>, tensor<9xf32>
  return
}

// -----

func.func @result_size(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<8x64xf16>
  // expected-error @+1 {{'sfn.route_experts' op expects weights of shape [2], got [8]}}
  %ids, %w = sfn.route_experts %x, %r {top_k = 2 : i64} : tensor<64xf32>, tensor<8x64xf16> -> tensor<2xi32>, tensor<8xf32>
  return
}

// -----

func.func @router_hidden(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<8x32xf16>
  // expected-error @+1 {{'sfn.route_experts' op expects router of shape [8x64], got [8x32]}}
  %ids, %w = sfn.route_experts %x, %r {top_k = 2 : i64} : tensor<64xf32>, tensor<8x32xf16> -> tensor<2xi32>, tensor<2xf32>
  return
}

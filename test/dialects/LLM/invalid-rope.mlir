// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @not_a_multiple(%q: tensor<100xf32>, %pos: index) {
  // expected-error @+1 {{'llm.rope' op expects the input size (100) to be a multiple of head_dim (64)}}
  %0 = llm.rope %q, %pos {head_dim = 64 : i64, theta = 1.0e+04 : f64} : tensor<100xf32>
  return
}

// -----

func.func @odd_head_dim(%q: tensor<63xf32>, %pos: index) {
  // expected-error @+1 {{'llm.rope' op expects an even head_dim, got 21}}
  %0 = llm.rope %q, %pos {head_dim = 21 : i64, theta = 1.0e+04 : f64} : tensor<63xf32>
  return
}

// -----

func.func @negative_theta(%q: tensor<64xf32>, %pos: index) {
  // expected-error @+1 {{'llm.rope' op expects a positive theta, got -1}}
  %0 = llm.rope %q, %pos {head_dim = 16 : i64, theta = -1.0 : f64} : tensor<64xf32>
  return
}

// -----

func.func @zero_head_dim(%q: tensor<64xf32>, %pos: index) {
  // expected-error @+1 {{'llm.rope' op attribute 'head_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = llm.rope %q, %pos {head_dim = 0 : i64, theta = 1.0e+04 : f64} : tensor<64xf32>
  return
}

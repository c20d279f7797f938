// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @top_k_exceeds_experts(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.moe' op expects top_k <= num_experts, got top_k = 3 and num_experts = 2}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 3 : i64}
      : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @expert_count(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.moe' op expects one up per expert (2), got 1}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g], down [%d, %d])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @router_rows(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<8x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.moe' op expects router of shape [2x64], got [8x64]}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<8x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @expert_shape(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  %d1 = llm.param "d1" : tensor<64x96xf16>
  // expected-error @+1 {{'llm.moe' op expects expert 1 down of shape [64x128], got [64x96]}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d1])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x96xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @mixed_expert_dtypes(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %g32 = llm.param "g32" : tensor<128x64xf32>
  %u32 = llm.param "u32" : tensor<128x64xf32>
  %d = llm.param "d" : tensor<64x128xf16>
  %d32 = llm.param "d32" : tensor<64x128xf32>
  // expected-error @+1 {{'llm.moe' op expects expert weights of one element type}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g32], up [%g, %u32], down [%d, %d32])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf32>, tensor<128x64xf16>, tensor<128x64xf32>, tensor<64x128xf16>, tensor<64x128xf32>) -> tensor<64xf32>
  return
}

// -----

func.func @predictor_count(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  %a = llm.param "a" : tensor<16x64xf16>
  %b = llm.param "b" : tensor<128x16xf16>
  // expected-error @+1 {{'llm.moe' op expects one predictor fc1 per expert (2), got 1}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d]) predictor(%x, fc1 [%a], fc2 [%b, %b])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x128xf16>, tensor<64xf32>, tensor<16x64xf16>, tensor<128x16xf16>, tensor<128x16xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @predictor_rank_mismatch(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  %a = llm.param "a" : tensor<16x64xf16>
  %b = llm.param "b" : tensor<128x16xf16>
  %b8 = llm.param "b8" : tensor<128x8xf16>
  // expected-error @+1 {{'llm.moe' op expects expert 1 predictor fc2 of shape [128x16], got [128x8]}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d]) predictor(%x, fc1 [%a, %a], fc2 [%b, %b8])
      {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 1 : i64}
      : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x128xf16>, tensor<64xf32>, tensor<16x64xf16>, tensor<16x64xf16>, tensor<128x16xf16>, tensor<128x8xf16>) -> tensor<64xf32>
  return
}

// -----

func.func @zero_top_k(%x: tensor<64xf32>) {
  %r = llm.param "r" : tensor<2x64xf16>
  %g = llm.param "g" : tensor<128x64xf16>
  %d = llm.param "d" : tensor<64x128xf16>
  // expected-error @+1 {{'llm.moe' op attribute 'top_k' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = llm.moe %x router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d]) {activation = #llm.activation<drelu>, layer = 0 : i64, num_experts = 2 : i64, top_k = 0 : i64} : (tensor<64xf32>, tensor<2x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<128x64xf16>, tensor<64x128xf16>, tensor<64x128xf16>) -> tensor<64xf32>
  return
}

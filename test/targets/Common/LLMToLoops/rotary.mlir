// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// llm.rope: inv_freq_i = 1 / theta^(2i/d) at run time, the pairs (i, i + d/2)
// of every head rotated by pos * inv_freq_i.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: %{{[^:]+}}: i32, %[[POS:[^:]+]]: i64)
// CHECK: %[[P:.+]] = arith.index_cast %[[POS]] : i64 to index
// CHECK: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[PF:.+]] = arith.uitofp %[[P64]] : i64 to f32
// CHECK: scf.for
// CHECK: math.powf
// CHECK: %[[ANGLE:.+]] = arith.mulf %[[PF]], %{{.+}} : f32
// CHECK: math.cos %[[ANGLE]]
// CHECK: math.sin %[[ANGLE]]
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<16xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<16xf32>
  %r = llm.rope %x, %pos {head_dim = 8 : i64, theta = 1.0e+04 : f64} : tensor<16xf32>
  return %r : tensor<16xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Stated frequencies (a scaling rule): the loop over i is unrolled and each
// frequency is a constant; no pow at run time.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-NOT: math.powf
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK: arith.constant 1.000000e-01 : f32
// CHECK: arith.constant 0.00999999977 : f32
// CHECK: arith.constant 1.000000e-03 : f32
// CHECK-NOT: math.powf
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<16xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<16xf32>
  %r = llm.rope %x, %pos {head_dim = 8 : i64, theta = 1.0e+04 : f64, inv_freq = array<f32: 1.0, 0.1, 0.01, 0.001>} : tensor<16xf32>
  return %r : tensor<16xf32>
}

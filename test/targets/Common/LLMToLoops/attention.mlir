// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s


// llm.attention: the step appends k and v at slot pos (rounded to the
// cache's f16), then one parallel loop over the 4 query heads (2 per KV
// head) computes scores over positions 0..pos, a max-subtracted softmax and
// the weighted sum of values.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: %[[KVARG:[^:]+]]: memref<?xi8>, %{{[^:]+}}: memref<?xf32>
// CHECK: %[[KV:.+]] = memref.view %[[KVARG]][%{{.+}}][] : memref<?xi8> to memref<2x2x16x2x8xf16>
// CHECK: %[[SCORES:.+]] = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<32xf32>
// CHECK: arith.truncf %{{.+}} : f32 to f16
// CHECK: memref.store %{{.+}}, %[[KV]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : memref<2x2x16x2x8xf16>
// CHECK: scf.parallel (%[[H:.+]]) = (%{{.+}}) to (%{{.+}}) step
// CHECK: %[[G:.+]] = arith.divui %[[H]], %{{.+}} : index
// CHECK: math.exp
// CHECK: arith.divf
func.func @step(%tok: i32, %pos: index, %cache: !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 8, f16>) -> tensor<32xf32> attributes {llm.decode_step} {
  %q = llm.param "q" : tensor<32xf32>
  %k = llm.param "k" : tensor<16xf32>
  %a = llm.attention %q, %k, %k, %pos, %cache {layer = 1 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 8, f16>
  return %a : tensor<32xf32>
}

// -----

// Sliding window (window 4 < max_len 64): a ring of 4 slots; position p is
// written to slot p mod 4, attention reads min(p + 1, 4) slots.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<1x2x4x2x8xf32>
// CHECK: %[[SLOT:.+]] = arith.remui %{{.+}}, %{{.+}} : index
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %[[SLOT]], %{{.+}}, %{{.+}}] : memref<1x2x4x2x8xf32>
// CHECK: scf.parallel
// CHECK: arith.minui %{{.+}}, %{{.+}} : index
func.func @step(%tok: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f32, window = 4>) -> tensor<32xf32> attributes {llm.decode_step} {
  %q = llm.param "q" : tensor<32xf32>
  %k = llm.param "k" : tensor<16xf32>
  %a = llm.attention %q, %k, %k, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f32, window = 4>
  return %a : tensor<32xf32>
}

// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s


// llm.attention: the step appends k and v at slot pos (rounded to the
// cache's f16), then attends split along the sequence: 600 slots are 3
// splits of 256 positions, so the first kernel runs over 2 KV heads x 3
// splits. Each takes its KV head's rows of keys and values (strided views
// of the cache) and serves its group's 2 query heads together: one pass
// over a key row gives both heads' scores (one load, two accumulators);
// then each head's softmax (vector exp) and max and sum; then one pass of
// four value rows updates both heads' accumulators. The second kernel
// merges the splits of each of the 4 query heads.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: %[[KVARG:[^:]+]]: memref<?xi8>, %{{[^:]+}}: memref<?xf32>
// CHECK: %[[KV:.+]] = memref.view %[[KVARG]][%{{.+}}][] : memref<?xi8> to memref<2x2x2x600x8xf16>
// CHECK: %[[SCORES:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2400xf32>
// CHECK: arith.truncf %{{.+}} : f32 to f16
// CHECK: memref.store %{{.+}}, %[[KV]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : memref<2x2x2x600x8xf16>
// CHECK: %[[ACC:.+]] = memref.alloc() {alignment = 64 : i64} : memref<96xf32>
// CHECK: %[[MAX:.+]] = memref.alloc() {alignment = 64 : i64} : memref<12xf32>
// CHECK: %[[SUM:.+]] = memref.alloc() {alignment = 64 : i64} : memref<12xf32>
// CHECK: %[[C6:.+]] = arith.constant 6 : index
// CHECK: scf.parallel (%[[IT:.+]]) = (%{{.+}}) to (%[[C6]]) step
// CHECK: %[[G:.+]] = arith.divui %[[IT]], %{{.+}} : index
// CHECK: %[[S:.+]] = arith.remui %[[IT]], %{{.+}} : index
// CHECK: %[[K:.+]] = memref.subview %[[KV]][%{{.+}}, 0, %[[G]], 0, 0] [1, 1, 1, 600, 8] [1, 1, 1, 1, 1] : memref<2x2x2x600x8xf16> to memref<600x8xf16, strided<[8, 1], offset: ?>>
// CHECK: %[[V:.+]] = memref.subview %[[KV]][%{{.+}}, 1, %[[G]], 0, 0]
// CHECK: %[[Q0:.+]] = memref.subview %{{.+}}[%{{.+}}] [8] [1] : memref<32xf32> to memref<8xf32, strided<[1], offset: ?>>
// CHECK: %[[Q1:.+]] = memref.subview %{{.+}}[%{{.+}}] [8] [1] : memref<32xf32> to memref<8xf32, strided<[1], offset: ?>>
// CHECK: scf.for {{.*}} -> (f32, f32)
// CHECK: %[[KROW:.+]] = vector.load %[[K]][%{{.+}}, %{{.+}}] : memref<600x8xf16, strided<[8, 1], offset: ?>>, vector<8xf16>
// CHECK: %[[KF:.+]] = arith.extf %[[KROW]]
// CHECK: vector.load %[[Q0]]
// CHECK: vector.fma %[[KF]]
// CHECK: vector.load %[[Q1]]
// CHECK: vector.fma %[[KF]]
// CHECK-COUNT-2: vector.reduction <add>
// CHECK: math.exp %{{.+}} : vector<8xf32>
// CHECK: memref.store %{{.+}}, %[[MAX]]
// CHECK: memref.store %{{.+}}, %[[SUM]]
// CHECK: math.exp %{{.+}} : vector<8xf32>
// CHECK: memref.store %{{.+}}, %[[MAX]]
// CHECK: memref.store %{{.+}}, %[[SUM]]
// CHECK-COUNT-4: vector.load %[[V]]
// CHECK: vector.load %[[ACC]]
// CHECK-COUNT-4: vector.fma
// CHECK: vector.store %{{.+}}, %[[ACC]]
// CHECK: vector.load %[[ACC]]
// CHECK-COUNT-4: vector.fma
// CHECK: vector.store %{{.+}}, %[[ACC]]
// CHECK: %[[C4:c4]] = arith.constant 4 : index
// CHECK: scf.parallel (%{{.+}}) = (%{{.+}}) to (%[[C4]]) step
// CHECK: memref.load %[[MAX]]
// CHECK: math.exp
// CHECK: memref.load %[[ACC]]
// CHECK: arith.divf
func.func @step(%tok: i32, %pos: index, %cache: !llm.kv_cache<layers = 2, max_len = 600, kv_heads = 2, head_dim = 8, f16>) -> tensor<32xf32> attributes {llm.decode_step} {
  %q = llm.param "q" : tensor<32xf32>
  %k = llm.param "k" : tensor<16xf32>
  %a = llm.attention %q, %k, %k, %pos, %cache {layer = 1 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 2, max_len = 600, kv_heads = 2, head_dim = 8, f16>
  return %a : tensor<32xf32>
}

// -----

// Sliding window (window 4 < max_len 64): a ring of 4 slots; position p is
// written to slot p mod 4, attention reads min(p + 1, 4) slots (one split).
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<1x2x2x4x8xf32>
// CHECK: %[[SLOT:.+]] = arith.remui %{{.+}}, %{{.+}} : index
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[SLOT]], %{{.+}}] : memref<1x2x2x4x8xf32>
// CHECK: arith.minui %{{.+}}, %{{.+}} : index
// CHECK: scf.parallel
func.func @step(%tok: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f32, window = 4>) -> tensor<32xf32> attributes {llm.decode_step} {
  %q = llm.param "q" : tensor<32xf32>
  %k = llm.param "k" : tensor<16xf32>
  %a = llm.attention %q, %k, %k, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f32, window = 4>
  return %a : tensor<32xf32>
}

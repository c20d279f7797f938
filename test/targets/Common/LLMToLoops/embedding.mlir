// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// llm.embed: row `token` of the table, extended to f32 eight lanes at a
// time.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: %[[TOK:[^:]+]]: i32, %{{[^:]+}}: i64)
// CHECK: %[[T:.+]] = memref.view {{.*}} to memref<32x16xbf16>
// CHECK: %[[ROW:.+]] = arith.index_cast %[[TOK]] : i32 to index
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c8
// CHECK: %[[V:.+]] = vector.load %[[T]][%[[ROW]], %[[K]]] : memref<32x16xbf16>, vector<8xbf16>
// CHECK: arith.extf %[[V]] : vector<8xbf16> to vector<8xf32>
// CHECK: vector.store
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<16xf32> attributes {llm.decode_step} {
  %t = llm.param "t" : tensor<32x16xbf16>
  %h = llm.embed %t[%tok] : tensor<32x16xbf16> -> tensor<16xf32>
  return %h : tensor<16xf32>
}

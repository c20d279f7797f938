// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx2" | FileCheck %s
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx512" | FileCheck %s --check-prefix=W16
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=aarch64" | FileCheck %s --check-prefix=W4
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=aarch64 vector-width=16" | FileCheck %s --check-prefix=W16

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// llm.linear: a matvec whose rows run in parallel; each row is a dot product
// of 8-lane f16 loads extended to f32, with 4 FMA chains (64 = 8 * 4 * 2).
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: (%[[W:.+]]: memref<?xi8>, %{{.+}}: memref<?xi8>, %[[LOGITS:.+]]: memref<?xf32>, %{{.+}}: memref<?xi32>, %{{.+}}: memref<?xi8>, %{{.+}}: i32, %{{.+}}: i64)
// CHECK: %[[X:.+]] = memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<64xf32>
// CHECK: %[[M:.+]] = memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<32x64xf16>
// CHECK: %[[Y:.+]] = memref.alloc() {alignment = 64 : i64} : memref<32xf32>
// CHECK: scf.parallel (%[[R:.+]]) = (%{{.+}}) to (%{{.+}}) step (%{{.+}}) {
// CHECK: %{{.+}} = scf.for {{.*}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[M]][%[[R]], %{{.+}}] : memref<32x64xf16>, vector<8xf16>
// CHECK: arith.extf %{{.+}} : vector<8xf16> to vector<8xf32>
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// CHECK: memref.store %{{.+}}, %[[Y]][%[[R]]] : memref<32xf32>
// The returned value is written into the logits argument.
// CHECK: memref.cast %[[LOGITS]] : memref<?xf32> to memref<32xf32>
// CHECK: return{{$}}
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<64xf32>
  %w = llm.param "w" : tensor<32x64xf16>
  %y = llm.linear %x, %w : tensor<64xf32>, tensor<32x64xf16> -> tensor<32xf32>
  %w2 = llm.param "w2" : tensor<32x32xf32>
  %l = llm.lm_head %y, %w2 : tensor<32xf32>, tensor<32x32xf32> -> tensor<32xf32>
  return %l : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// llm.add: the residual add, serial, eight lanes at a time.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[A:.+]] = memref.view {{.*}} to memref<16xf32>
// CHECK: %[[B:.+]] = memref.view {{.*}} to memref<16xf32>
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c8
// CHECK: %[[L:.+]] = vector.load %[[A]][%[[K]]] : memref<16xf32>, vector<8xf32>
// CHECK: %[[R:.+]] = vector.load %[[B]][%[[K]]] : memref<16xf32>, vector<8xf32>
// CHECK: arith.addf %[[L]], %[[R]] : vector<8xf32>
// CHECK-NOT: scf.parallel
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<16xf32> attributes {llm.decode_step} {
  %a = llm.param "a" : tensor<16xf32>
  %b = llm.param "b" : tensor<16xf32>
  %s = llm.add %a, %b : tensor<16xf32>
  return %s : tensor<16xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// AVX-512 (and vector-width=16) doubles the lanes; NEON halves them.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: vector.load {{.*}} : memref<8x64xf32>, vector<8xf32>
// W16: vector.load {{.*}} : memref<8x64xf32>, vector<16xf32>
// W4: vector.load {{.*}} : memref<8x64xf32>, vector<4xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<8xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<64xf32>
  %w = llm.param "w" : tensor<8x64xf32>
  %y = llm.lm_head %x, %w : tensor<64xf32>, tensor<8x64xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

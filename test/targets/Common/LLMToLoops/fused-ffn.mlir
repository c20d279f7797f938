// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Dense: every neuron's activated value in parallel, then the down
// projection, in its own layout ([hidden, intermediate]), as a matvec over
// them, one row per output; the stats slot (sparsec.stats_slot = 0) gets
// the neuron count.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: %{{[^:]+}}: memref<?xf32>, %[[STATS:[^:]+]]: memref<?xi32>
// CHECK: %[[H:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xf32>
// CHECK: scf.parallel
// CHECK: math.exp
// CHECK: memref.store %{{.+}}, %[[H]][%{{.+}}] : memref<128xf32>
// CHECK: scf.parallel
// CHECK: vector.load %[[H]]
// CHECK: vector.fma
// CHECK: %[[COUNT:.+]] = arith.constant 128 : index
// CHECK: %[[TOTAL:.+]] = arith.index_cast %[[COUNT]] : index to i32
// CHECK: %[[SLOT:.+]] = arith.constant 0 : index
// CHECK: memref.store %[[TOTAL]], %[[STATS]][%[[SLOT]]] : memref<?xi32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %u = llm.param "u" : tensor<128x32xf32>
  %d = llm.param "d" : tensor<32x128xf32>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, mode = #sfn.mode<dense>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Exact: the gate densely (kept for the active neurons), each chunk's list
// of neurons whose relu(gate) > 0, then those neurons' values (their up
// rows, the next pass's asked for first), the nonzero values kept with their
// neurons, and only the kept neurons' down rows.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[GATES:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xf32>
// CHECK: %[[LIST:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xindex>
// CHECK: %[[KEPT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xindex>
// CHECK: %[[VALUES:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xf32>
// CHECK: scf.parallel
// CHECK: memref.store %{{.+}}, %[[GATES]]
// CHECK: arith.cmpf ogt
// CHECK: scf.if
// CHECK: memref.store %{{.+}}, %[[LIST]]
// CHECK: memref.prefetch
// CHECK: memref.load %[[GATES]]
// CHECK: arith.cmpf une
// CHECK: memref.store %{{.+}}, %[[KEPT]]
// CHECK: memref.store %{{.+}}, %[[VALUES]]
// CHECK: memref.load %[[KEPT]]
// CHECK: memref.load %[[VALUES]]
// CHECK: vector.fma
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %u = llm.param "u" : tensor<128x32xf32>
  %dt = llm.param "d" transposed : tensor<128x32xf32>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Threshold: |act(gate)| > t, with t a constant of the op.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[T:.+]] = arith.constant 5.000000e-02 : f32
// CHECK: %[[A:.+]] = math.absf
// CHECK: arith.cmpf ogt, %[[A]], %[[T]] : f32
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %u = llm.param "u" : tensor<128x32xf32>
  %dt = llm.param "d" transposed : tensor<128x32xf32>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt {activation = #llm.activation<swiglu>, mode = #sfn.mode<threshold>, activation_threshold = 0.05 : f32} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Predicted: the predictor's hidden layer (a parallel matvec, relu'd), then
// in each chunk the score of each neuron against the cutoff; gate, up and
// down rows only for the selected neurons. The next pass's rows are asked
// for into L2, spread over this pass's loops: each gate and up dot product
// asks for the same row of the next pass (a row of 32 floats is two lines,
// the loop one step: two per step), the down loop for the next pass's four
// down rows (a line each, at the first of its four steps that reaches it);
// the selection asks for the rows of the chunk's first pass.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[H:.+]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// CHECK: scf.parallel
// CHECK: arith.maximumf
// CHECK: memref.store %{{.+}}, %[[H]]
// CHECK: scf.parallel
// CHECK: vector.load {{.*}} : memref<128x8xf32>, vector<8xf32>
// CHECK: arith.cmpf ogt
// CHECK: arith.cmpi ult, %{{.+}}, %c8{{.*}} : index
// CHECK: memref.prefetch %[[G:view_[0-9]+]][%[[I:.+]], %{{.+}}], read, locality<2>, data
// CHECK: memref.prefetch %[[U:view_[0-9]+]][%[[I]], %{{.+}}], read, locality<2>, data
// CHECK: memref.prefetch %[[D:view_[0-9]+]][%[[I]], %{{.+}}], read, locality<2>, data
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: memref.prefetch %[[G]][%[[NEXT:[^,]+]], %{{.+}}], read, locality<2>, data
// CHECK: memref.prefetch %[[G]][%[[NEXT]], %{{.+}}], read, locality<2>, data
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: memref.prefetch %[[U]][%[[NEXT]], %{{.+}}], read, locality<2>, data
// CHECK: scf.for %{{.+}} = %{{.+}} to %c32{{.*}} step %c8
// CHECK: scf.if
// CHECK-COUNT-4: memref.prefetch %[[D]][%{{.+}}, %{{.+}}], read, locality<2>, data
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %u = llm.param "u" : tensor<128x32xf32>
  %dt = llm.param "d" transposed : tensor<128x32xf32>
  %fc1 = llm.param "fc1" : tensor<8x32xf32>
  %fc2 = llm.param "fc2" : tensor<128x8xf32>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>}
      : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<128x8xf32>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

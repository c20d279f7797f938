// The CPU backend's pipeline on whole (small) decode steps.
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx2" --sparsec-plan-scratch --convert-parallel-loops-to-thread-pool | FileCheck %s
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --sparsec-cpu-codegen="target=x86-64-avx2" | FileCheck %s --check-prefix=LLVM

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f16>

// A one-layer decode step with a predicted sparse FFN reading neuron bundles.
// The step is serial code plus calls into the runtime's thread pool; every
// data-parallel loop is a case of sparsec_run_range.
// CHECK-LABEL: func.func private @sparsec_parallel_for(i32, i64)
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: (%[[W:.+]]: memref<?xi8>, %[[KV:.+]]: memref<?xi8>, %[[LOGITS:.+]]: memref<?xf32>, %[[STATS:.+]]: memref<?xi32>, %[[SCRATCH:.+]]: memref<?xi8>, %[[TOK:.+]]: i32, %[[POS:.+]]: i64)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// Weights are views of the packed data section, activations of the scratch.
// CHECK: memref.view %[[W]][%{{.+}}][] : memref<?xi8> to memref<64x32xf16>
// CHECK: memref.view %[[SCRATCH]][%{{.+}}][] : memref<?xi8> to memref<32xf32>
// Kernels: the k projection, attention (splits of the sequence, then their
// merge), the predictor's two layers, the FFN's neuron chunks and the sum
// of their partials; then the LM head.
// CHECK: %[[K0:.+]] = arith.constant 0 : i32
// CHECK: call @sparsec_parallel_for(%[[K0]], %{{.+}}) : (i32, i64) -> ()
// CHECK: memref.view %[[KV]][%{{.+}}][] : memref<?xi8> to memref<1x2x2x16x8xf16>
// CHECK: call @sparsec_parallel_for
// CHECK: call @sparsec_parallel_for
// CHECK: call @sparsec_parallel_for
// Partial sums of the 16 neuron chunks are added in chunk order, and the
// active-neuron count goes to the stats slot.
// CHECK: memref.load %{{.+}} : memref<16xindex>
// CHECK: arith.index_cast %{{.+}} : index to i32
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<?xi32>
// CHECK: call @sparsec_parallel_for
// CHECK-LABEL: func.func @sparsec_run_range
// CHECK-SAME: %{{.+}}: i32, %{{.+}}: i64, %{{.+}}: i32, %{{.+}}: i64, %{{.+}}: i64) attributes {llvm.emit_c_interface}
// CHECK: scf.index_switch
// Dot products: 8 lanes of f16 weights extended to f32, fused multiply-add.
// CHECK: case 0 {
// CHECK: vector.load {{.*}} : memref<16x32xf16>, vector<8xf16>
// CHECK: arith.extf {{.*}} : vector<8xf16> to vector<8xf32>
// CHECK: vector.fma
// CHECK: case 1 {
// CHECK: case 2 {
// CHECK: case 3 {
// CHECK: case 4 {
// The FFN kernel reads bundle parts: strided views with row stride 3 * 32,
// builds each chunk's compact list from predictor scores, and loops over it.
// CHECK: case 5 {
// CHECK-DAG: memref.subview {{.*}} : memref<128x3x32xf16> to memref<128x32xf16, strided<[96, 1], offset: 64>>
// CHECK-DAG: memref.subview {{.*}} : memref<128x3x32xf16> to memref<128x32xf16, strided<[96, 1], offset: 32>>
// CHECK: arith.cmpf ogt
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<128xindex>
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step
// CHECK: case 6 {
// CHECK-LABEL: func.func @sparsec_kernel_abi_version() -> i32
// CHECK: arith.constant 3 : i32
// LLVM-LABEL: llvm.func @sparsec_decode_step
// LLVM: llvm.func @_mlir_ciface_sparsec_decode_step
// LLVM: llvm.func @_mlir_ciface_sparsec_run_range
func.func @decode_step(%token: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<64x32xf16>
  %h = llm.embed %emb[%token] : tensor<64x32xf16> -> tensor<32xf32>
  %k = llm.param "wk" : tensor<16x32xf16>
  %kk = llm.linear %h, %k : tensor<32xf32>, tensor<16x32xf16> -> tensor<16xf32>
  %a = llm.attention %h, %kk, %kk, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !cache
  %b = sfn.bundle_param "model.layers.0.mlp.neuron_bundles" sources ["g", "u", "d"] transposed [2] : tensor<128x3x32xf16>
  %g = sfn.bundle_part %b[0] : tensor<128x3x32xf16> -> tensor<128x32xf16>
  %u = sfn.bundle_part %b[1] : tensor<128x3x32xf16> -> tensor<128x32xf16>
  %dt = sfn.bundle_part %b[2] : tensor<128x3x32xf16> -> tensor<128x32xf16>
  %fc1 = llm.param "fc1" : tensor<8x32xf16>
  %fc2 = llm.param "fc2" : tensor<128x8xf16>
  %f = sfn.fused_sparse_ffn %a, %g, %u, %dt predictor(%h, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>}
      : (tensor<32xf32>, tensor<128x32xf16>, tensor<128x32xf16>, tensor<128x32xf16>, tensor<32xf32>, tensor<8x32xf16>, tensor<128x8xf16>) -> tensor<32xf32>
  %l = llm.lm_head %f, %emb : tensor<32xf32>, tensor<64x32xf16> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// -----

// MoE: routing (softmax, top-k), then a loop over the top-k selections
// switching to the selected expert's kernels.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: math.exp
// CHECK: scf.for
// CHECK: scf.index_switch
// CHECK: case 0 {
// CHECK: call @sparsec_parallel_for
// CHECK: case 1 {
// CHECK: call @sparsec_parallel_for
// CHECK: default {
func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>) -> tensor<64xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<64x32xf32>
  %h = llm.embed %emb[%token] : tensor<64x32xf32> -> tensor<32xf32>
  %r = llm.param "router" : tensor<2x32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %dt = llm.param "d" transposed : tensor<128x32xf32>
  %d = llm.param "d" : tensor<32x128xf32>
  %ids, %w = sfn.route_experts %h, %r {top_k = 2 : i64} : tensor<32xf32>, tensor<2x32xf32> -> tensor<2xi32>, tensor<2xf32>
  %y = sfn.dispatch_experts %ids, %w, %h {num_experts = 2 : i64} : tensor<2xi32>, tensor<2xf32>, tensor<32xf32> -> tensor<32xf32>
  expert 0 {
  ^bb0(%in: tensor<32xf32>):
    %0 = sfn.fused_sparse_ffn %in, %g, %g, %dt {activation = #llm.activation<relu>, mode = #sfn.mode<exact>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>) -> tensor<32xf32>
    sfn.yield %0 : tensor<32xf32>
  }
  expert 1 {
  ^bb0(%in: tensor<32xf32>):
    %0 = sfn.fused_sparse_ffn %in, %g, %g, %d {activation = #llm.activation<swiglu>, mode = #sfn.mode<dense>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>) -> tensor<32xf32>
    sfn.yield %0 : tensor<32xf32>
  }
  %l = llm.lm_head %y, %emb : tensor<32xf32>, tensor<64x32xf32> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// -----

// Sliding window (window 4 < max_len 64): the cache is a ring of 4 slots,
// position p is written to slot p mod 4, and attention reads the
// min(p + 1, 4) slots, which hold exactly the window. Stated RoPE
// frequencies (a scaling rule) become constants: no pow at run time.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-NOT: math.powf
// CHECK: arith.constant 1.000000e-01 : f32
// CHECK: memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<1x2x2x4x8xf16>
// CHECK: %[[SLOT:.+]] = arith.remui %{{.+}}, %{{.+}} : index
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[SLOT]], %{{.+}}] : memref<1x2x2x4x8xf16>
// CHECK-LABEL: func.func @sparsec_run_range
// CHECK: arith.minui %{{.+}}, %{{.+}} : index
func.func @decode_step(%token: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f16, window = 4>) -> tensor<64xf32> attributes {llm.decode_step} {
  %emb = llm.param "model.embed_tokens.weight" : tensor<64x32xf16>
  %h = llm.embed %emb[%token] : tensor<64x32xf16> -> tensor<32xf32>
  %wq = llm.param "q" : tensor<32x32xf16>
  %wk = llm.param "k" : tensor<16x32xf16>
  %q = llm.linear %h, %wq : tensor<32xf32>, tensor<32x32xf16> -> tensor<32xf32>
  %k = llm.linear %h, %wk : tensor<32xf32>, tensor<16x32xf16> -> tensor<16xf32>
  %qr = llm.rope %q, %pos {head_dim = 8 : i64, theta = 1.0e+04 : f64, inv_freq = array<f32: 1.0, 0.1, 0.01, 0.001>} : tensor<32xf32>
  %kr = llm.rope %k, %pos {head_dim = 8 : i64, theta = 1.0e+04 : f64, inv_freq = array<f32: 1.0, 0.1, 0.01, 0.001>} : tensor<16xf32>
  %a = llm.attention %qr, %kr, %k, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f16, window = 4>
  %l = llm.lm_head %a, %emb : tensor<32xf32>, tensor<64x32xf16> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

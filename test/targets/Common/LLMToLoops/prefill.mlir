// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx2 prefill-block=4" | FileCheck %s
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx2" | FileCheck %s --check-prefix=NONE

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 1, head_dim = 8, f32>

// prefill-block=4: the same ops again as sparsec_prefill_step over up to 4
// tokens, read from the start of scratch; `token` says how many (clamped
// to [1, 4]). Activations are [4 x n] buffers, a token per row.
// CHECK-LABEL: module attributes {sparsec.num_ffns = 0 : i64, sparsec.prefill_block = 4 : i64}
// CHECK: func.func @sparsec_decode_step
// CHECK: func.func @sparsec_prefill_step(
// CHECK-SAME: %[[LOGITS:[^:]+]]: memref<?xf32>, %{{[^:]+}}: memref<?xi32>, %[[SCRATCH:[^:]+]]: memref<?xi8>, %[[COUNT:[^:]+]]: i32, %{{[^:]+}}: i64)
// CHECK: %[[TOKENS:.+]] = memref.view %[[SCRATCH]][%{{.+}}][] : memref<?xi8> to memref<4xi32>
// CHECK: %[[ATLEAST1:.+]] = arith.maxsi %[[COUNT]], %{{.+}} : i32
// CHECK: %[[N:.+]] = arith.index_cast %[[ATLEAST1]] : i32 to index
// CHECK: %[[T:.+]] = arith.minui %[[N]], %{{.+}} : index
// The embedding: row t of a [4 x 16] buffer from the table's row tokens[t].
// CHECK: %[[X:.+]] = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[T]]
// CHECK: memref.load %[[TOKENS]][%[[I]]] : memref<4xi32>
// CHECK: memref.subview %[[X]][%{{.+}}] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
// The linear layer: a matrix-matrix product, pairs of rows in parallel,
// four tokens per pass over a pair: 2 x 4 accumulators.
// CHECK: scf.parallel (%{{.+}}) = (%{{.+}}) to (%c8) step
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// The residual add over the block's rows at once.
// CHECK: %[[ROWS:.+]] = arith.muli %[[T]], %c16
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[ROWS]] step %c8
// CHECK: arith.addf {{.*}} : vector<8xf32>
// The logits: the last token's only.
// CHECK: memref.cast %[[LOGITS]] : memref<?xf32> to memref<32xf32>
// CHECK: %[[LAST:.+]] = arith.subi %[[T]], %c1
// CHECK: scf.parallel
// NONE-NOT: sparsec_prefill_step
// NONE-NOT: sparsec.prefill_block
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %table = llm.param "embed" : tensor<32x16xf16>
  %x = llm.embed %table[%tok] : tensor<32x16xf16> -> tensor<16xf32>
  %nw = llm.param "norm" : tensor<16xf32>
  %n = llm.rms_norm %x, %nw {epsilon = 1.0e-05 : f32} : tensor<16xf32>, tensor<16xf32>
  %w = llm.param "w" : tensor<16x16xf16>
  %y = llm.linear %n, %w : tensor<16xf32>, tensor<16x16xf16> -> tensor<16xf32>
  %s = llm.add %x, %y : tensor<16xf32>
  %l = llm.lm_head %s, %table : tensor<16xf32>, tensor<32x16xf16> -> tensor<32xf32>
  return %l : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 2, head_dim = 8, f32>

// Attention: every token's keys and values are appended first (at pos + t),
// then each split of each KV head attends for every token of the block,
// token t up to position pos + t.
// CHECK-LABEL: // {{[-]}}----
// CHECK: func.func @sparsec_prefill_step
// CHECK: memref.view %{{.+}} : memref<?xi8> to memref<1x2x2x16x8xf32>
// CHECK: scf.for %[[T:.+]] = %{{.+}} to %[[COUNT:.+]] step
// CHECK: %[[AT:.+]] = arith.addi %{{.+}}, %[[T]] : index
// CHECK: memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[AT]], %{{.+}}] : memref<1x2x2x16x8xf32>
// CHECK: scf.parallel
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[COUNT]] step
// CHECK: scf.parallel
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[COUNT]] step
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %table = llm.param "embed" : tensor<32x32xf32>
  %x = llm.embed %table[%tok] : tensor<32x32xf32> -> tensor<32xf32>
  %wk = llm.param "wk" : tensor<16x32xf32>
  %k = llm.linear %x, %wk : tensor<32xf32>, tensor<16x32xf32> -> tensor<16xf32>
  %a = llm.attention %x, %k, %k, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !cache
  %l = llm.lm_head %a, %table : tensor<32xf32>, tensor<32x32xf32> -> tensor<32xf32>
  return %l : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 1, head_dim = 4, f32>

// A predicted FFN: the predictor, gate and up as matrix-matrix products
// (gate and up tiles none of whose tokens keeps a neuron are skipped), a
// neuron kept where its score passes (as decode does), and the transposed
// down projection.
// CHECK-LABEL: // {{[-]}}----
// CHECK: func.func @sparsec_prefill_step
// CHECK: scf.parallel
// CHECK: arith.maximumf
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: arith.cmpf ogt
// CHECK: scf.if
// CHECK: vector.fma
// CHECK: scf.parallel
// CHECK: arith.cmpf ogt
// CHECK: scf.if
// The kept neurons' dReLU values, the others 0.
// CHECK: arith.maximumf
// CHECK: %[[KEEP:.+]] = arith.cmpf ogt
// CHECK: arith.select %[[KEEP]]
// The down projection: each 4-token tile's list of rows nonzero for any of
// its tokens, then column stripes in parallel over those rows only.
// CHECK: arith.cmpf une
// CHECK: scf.if %{{.+}} -> (index)
// CHECK: memref.store %{{.+}} : memref<128xi32>
// CHECK: scf.parallel
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: memref.load %{{.+}} : memref<128xi32>
// CHECK: vector.fma
// The block writes no stats: they count decode steps' neurons.
// CHECK-NOT: memref.store {{.*}} : memref<?xi32>
// CHECK: return
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %table = llm.param "embed" : tensor<32x32xf32>
  %x = llm.embed %table[%tok] : tensor<32x32xf32> -> tensor<32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %u = llm.param "u" : tensor<128x32xf32>
  %dt = llm.param "dt" : tensor<128x32xf32>
  %fc1 = llm.param "fc1" : tensor<8x32xf32>
  %fc2 = llm.param "fc2" : tensor<128x8xf32>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>}
      : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<128x8xf32>) -> tensor<32xf32>
  %l = llm.lm_head %y, %table : tensor<32xf32>, tensor<32x32xf32> -> tensor<32xf32>
  return %l : tensor<32xf32>
}

// -----

// A sliding-window cache gets a prefill step too: token t's key goes to
// slot (pos + t) mod 4 and it attends to min(pos + t + 1, 4) slots. Before
// the block is appended, the rows of its slots are staged ([1][k | v][kv
// head][token][head dim], f32); token t masks the slots of the block's later
// tokens (score -inf, the split's max at least the lowest f32) and attends
// to their staged rows in one more split (iteration s = 1, after the ring's
// one split).
// CHECK-LABEL: // {{[-]}}----
// CHECK: func.func @sparsec_prefill_step
// CHECK: %[[KV:.+]] = memref.view %arg1{{.*}} to memref<1x2x2x4x8xf32>
// CHECK: %[[STAGED:.+]] = memref.alloc() {{.*}} : memref<1x2x2x4x8xf32>
// CHECK: scf.for %[[S:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[SAT:.+]] = arith.addi %{{.+}}, %[[S]] : index
// CHECK: %[[SLOT:.+]] = arith.remui %[[SAT]], %c4{{.*}} : index
// CHECK: %[[OLD:.+]] = memref.load %[[KV]][%{{.+}}, %{{.+}}, %{{.+}}, %[[SLOT]], %{{.+}}]
// CHECK: memref.store %[[OLD]], %[[STAGED]][%{{.+}}, %{{.+}}, %{{.+}}, %[[S]], %{{.+}}]
// CHECK: scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[AT:.+]] = arith.addi %{{.+}}, %[[T]] : index
// CHECK: arith.remui %[[AT]], %c4{{.*}} : index
// CHECK: scf.parallel
// CHECK: %[[RING:.+]] = arith.cmpi ult, %{{.+}}, %c1{{.*}} : index
// CHECK: scf.if %[[RING]] {
// CHECK: %[[END:.+]] = arith.addi %{{.+}}, %c1{{.*}} : index
// CHECK: arith.minui %[[END]], %c4{{.*}} : index
// CHECK: %[[MASKED:.+]] = arith.cmpi ult, %{{.+}}, %{{.+}} : index
// CHECK: arith.select %[[MASKED]], %{{.+}}, %{{.+}} : f32
// CHECK: arith.constant -3.40282347E+38 : f32
// CHECK: } else {
// CHECK: memref.subview %[[STAGED]]
func.func @step(%tok: i32, %pos: index, %cache: !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f32, window = 4>) -> tensor<32xf32> attributes {llm.decode_step} {
  %q = llm.param "q" : tensor<32xf32>
  %k = llm.param "k" : tensor<16xf32>
  %a = llm.attention %q, %k, %k, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64} : tensor<32xf32>, tensor<16xf32>, tensor<16xf32>, !llm.kv_cache<layers = 1, max_len = 64, kv_heads = 2, head_dim = 8, f32, window = 4>
  return %a : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 1, head_dim = 8, f32>

// MoE: every token routed (the router a matrix-matrix product), then each
// expert once over the rows of the tokens routed to it: their indices in
// token order, their slots (token * 2 + choice) for the results, the
// expert's input and its predictor's input (defined outside the dispatch)
// gathered. The expert's kernels read the count from scratch. Each token's
// output sums its two choices in order, as the decode step does.
// CHECK-LABEL: // {{[-]}}----
// CHECK: func.func @sparsec_prefill_step
// CHECK: %[[IDS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<8xi32>
// CHECK: %[[W:.+]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// CHECK: scf.parallel
// CHECK: math.exp
// CHECK: %[[PARTS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
// CHECK: %[[TOKENS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<4xi32>
// CHECK: %[[SLOTS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<4xi32>
// CHECK: %[[ROUTED:.+]] = scf.for
// CHECK: %[[ID:.+]] = memref.load %[[IDS]]
// CHECK: arith.cmpi eq, %[[ID]], %c0_i32
// CHECK: memref.store %{{.+}}, %[[TOKENS]]
// CHECK: memref.store %{{.+}}, %[[SLOTS]]
// CHECK: %[[SLOT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<1xi64>
// CHECK: memref.store %{{.+}}, %[[SLOT]]
// CHECK: %[[LOADED:.+]] = memref.load %[[SLOT]][%{{.+}}] {sparsec.kernel_invariant}
// CHECK: %[[COUNT:.+]] = arith.index_cast %[[LOADED]] : i64 to index
// CHECK: %[[IN:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xf32>
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[COUNT]]
// CHECK: %[[PIN:.+]] = memref.alloc() {alignment = 64 : i64} : memref<128xf32>
// CHECK: %[[ANY:.+]] = arith.cmpi ugt, %[[COUNT]]
// CHECK: scf.if %[[ANY]] {
// CHECK: arith.divui %[[COUNT]]
// CHECK: memref.subview %[[PIN]]
// CHECK: memref.subview %[[IN]]
// CHECK: %[[SLOTI:.+]] = memref.load %[[SLOTS]]
// CHECK: memref.store %{{.+}}, %[[PARTS]]
// CHECK: arith.cmpi eq, %{{.+}}, %c1_i32
// CHECK: scf.if
// CHECK: scf.for %[[T:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for
// CHECK: %[[P0:.+]] = memref.load %[[PARTS]]
// CHECK: %[[W0:.+]] = memref.load %[[W]]
// CHECK: %[[S0:.+]] = arith.mulf %[[W0]], %[[P0]]
// CHECK: %[[A0:.+]] = arith.addf %{{.+}}, %[[S0]]
// CHECK: arith.addf %[[A0]]
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %table = llm.param "embed" : tensor<64x32xf32>
  %x = llm.embed %table[%tok] : tensor<64x32xf32> -> tensor<32xf32>
  %nw = llm.param "norm" : tensor<32xf32>
  %h = llm.rms_norm %x, %nw {epsilon = 1.0e-05 : f32} : tensor<32xf32>, tensor<32xf32>
  %r = llm.param "router" : tensor<2x32xf32>
  %g = llm.param "g" : tensor<128x32xf32>
  %dt = llm.param "d" transposed : tensor<128x32xf32>
  %d = llm.param "d" : tensor<32x128xf32>
  %fc1 = llm.param "fc1" : tensor<8x32xf32>
  %fc2 = llm.param "fc2" : tensor<128x8xf32>
  %ids, %w = sfn.route_experts %h, %r {top_k = 2 : i64} : tensor<32xf32>, tensor<2x32xf32> -> tensor<2xi32>, tensor<2xf32>
  %y = sfn.dispatch_experts %ids, %w, %h {num_experts = 2 : i64} : tensor<2xi32>, tensor<2xf32>, tensor<32xf32> -> tensor<32xf32>
  expert 0 {
  ^bb0(%in: tensor<32xf32>):
    %0 = sfn.fused_sparse_ffn %in, %g, %g, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>, predictor_threshold = 0.0 : f32} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32xf32>, tensor<8x32xf32>, tensor<128x8xf32>) -> tensor<32xf32>
    sfn.yield %0 : tensor<32xf32>
  }
  expert 1 {
  ^bb0(%in: tensor<32xf32>):
    %0 = sfn.fused_sparse_ffn %in, %g, %g, %d {activation = #llm.activation<swiglu>, mode = #sfn.mode<dense>} : (tensor<32xf32>, tensor<128x32xf32>, tensor<128x32xf32>, tensor<32x128xf32>) -> tensor<32xf32>
    sfn.yield %0 : tensor<32xf32>
  }
  %s = llm.add %x, %y : tensor<32xf32>
  %l = llm.lm_head %s, %table : tensor<32xf32>, tensor<64x32xf32> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 1, head_dim = 8, f32>

// A sparse FFN's gate (and up) product over 2048 columns: groups of 32 rows
// in parallel; columns in chunks of 1024, in order; each 4-token tile's
// chunk of inputs swept by the group's rows one at a time, a row only where
// one of the tile's tokens keeps it; the first chunk starts each sum, the
// next ones add to it.
// CHECK-LABEL: // {{[-]}}----
// CHECK: func.func @sparsec_prefill_step
// CHECK: scf.parallel (%[[G:.+]]) = (%{{.+}}) to (%c2) step
// CHECK: scf.for %[[K0:.+]] = %{{.+}} to %c2048{{.*}} step %c1024
// CHECK: %[[FIRST:.+]] = arith.cmpi eq, %[[K0]], %{{.+}} : index
// CHECK: %[[CHUNK:.+]] = memref.subview %{{.+}}[0, %[[K0]]] [64, 1024] [1, 1] : memref<64x2048xf16> to memref<64x1024xf16, strided<[2048, 1], offset: ?>>
// CHECK: memref.subview %{{.+}}[%[[K0]]] [1024] [1] : memref<2048xf32, strided<[1], offset: ?>> to memref<1024xf32, strided<[1], offset: ?>>
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %c32
// CHECK: scf.if
// CHECK: scf.for %{{.+}} = %{{.+}} to %c1024{{.*}} step %c8{{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK: vector.load %[[CHUNK]]
// CHECK: %[[SUM:.+]] = arith.addf
// CHECK: arith.select %[[FIRST]], %{{.+}}, %[[SUM]] : f32
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %table = llm.param "embed" : tensor<64x2048xf16>
  %x = llm.embed %table[%tok] : tensor<64x2048xf16> -> tensor<2048xf32>
  %g = llm.param "g" : tensor<64x2048xf16>
  %u = llm.param "u" : tensor<64x2048xf16>
  %dt = llm.param "d" transposed : tensor<64x2048xf16>
  %fc1 = llm.param "fc1" : tensor<8x2048xf16>
  %fc2 = llm.param "fc2" : tensor<64x8xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>, predictor_threshold = 0.0 : f32} : (tensor<2048xf32>, tensor<64x2048xf16>, tensor<64x2048xf16>, tensor<64x2048xf16>, tensor<2048xf32>, tensor<8x2048xf16>, tensor<64x8xf16>) -> tensor<2048xf32>
  %s = llm.add %x, %y : tensor<2048xf32>
  %l = llm.lm_head %s, %table : tensor<2048xf32>, tensor<64x2048xf16> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 1, head_dim = 8, f32>

// q4_0 down rows in the transposed down projection: with four tiles of
// tokens or more, each chunk of rows is decoded to f32 once per stripe (a
// 256-column stripe of 64 rows here) and every tile sweeps the decoded rows;
// fewer tiles decode each listed row per tile (the else branch).
// CHECK-LABEL: // {{[-]}}----
// CHECK: func.func @sparsec_prefill_step
// CHECK: %[[DECODED:.+]] = memref.alloc() {alignment = 64 : i64} : memref<16384xf32>
// CHECK: %[[MANY:.+]] = arith.cmpi uge, %{{.+}}, %c4{{.*}} : index
// CHECK: scf.if %[[MANY]] {
// CHECK: scf.parallel
// CHECK: vector.store %{{.+}}, %[[DECODED]][%{{.+}}] : memref<16384xf32>, vector<32xf32>
// CHECK: vector.load %[[DECODED]][%{{.+}}] : memref<16384xf32>, vector<8xf32>
// CHECK: vector.fma
// CHECK: } else {
// CHECK: scf.parallel
// CHECK-NOT: %[[DECODED]]
// CHECK: vector.fma %{{.+}} : vector<32xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %table = llm.param "embed" : tensor<64x256xf16>
  %x = llm.embed %table[%tok] : tensor<64x256xf16> -> tensor<256xf32>
  %g = llm.param "g" : tensor<64x256x!llm.quant<q4_0>>
  %u = llm.param "u" : tensor<64x256x!llm.quant<q4_0>>
  %dt = llm.param "d" transposed : tensor<64x256x!llm.quant<q4_0>>
  %fc1 = llm.param "fc1" : tensor<8x256xf16>
  %fc2 = llm.param "fc2" : tensor<64x8xf16>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, mode = #sfn.mode<predicted>, predictor_threshold = 0.0 : f32} : (tensor<256xf32>, tensor<64x256x!llm.quant<q4_0>>, tensor<64x256x!llm.quant<q4_0>>, tensor<64x256x!llm.quant<q4_0>>, tensor<256xf32>, tensor<8x256xf16>, tensor<64x8xf16>) -> tensor<256xf32>
  %s = llm.add %x, %y : tensor<256xf32>
  %l = llm.lm_head %s, %table : tensor<256xf32>, tensor<64x256xf16> -> tensor<64xf32>
  return %l : tensor<64xf32>
}

// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=aarch64" | FileCheck %s --check-prefixes=CHECK,F32
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx2" | FileCheck %s --check-prefixes=CHECK,INT8
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=aarch64-dotprod" | FileCheck %s --check-prefix=SDOT
// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops="target=x86-64-avx512-vnni" | FileCheck %s --check-prefix=VNNI

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// A q8_0 matvec: the weight is a view of its rows' bytes (64 weights = two
// 34-byte blocks per row); each block's f16 scale is two bytes bitcast.
// F32 (NEON): the 32 levels are converted to f32, scaled and multiplied into
// a 32-lane accumulator, reduced once per row.
// INT8 (AVX2): the input is first rounded to 8-bit blocks (scale max|x| /
// 127, stored 8 times: the lanes it multiplies), then each block's levels
// and the input's are multiplied in 8-bit integers (vpsignb, vpmaddubsw,
// vpmaddwd), converted and scaled by both scales into two 8-lane chains.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[M:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<32x68xi8>
// INT8: %[[XQ:.+]] = memref.alloc() {alignment = 64 : i64} : memref<64xi8>
// INT8: %[[XD:.+]] = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
// INT8: scf.for
// INT8: vector.reduction <maxnumf>
// INT8: math.round %{{.+}} : vector<32xf32>
// INT8: arith.fptosi %{{.+}} : vector<32xf32> to vector<32xi8>
// INT8: vector.store %{{.+}}, %[[XD]][%{{.+}}] : memref<16xf32>, vector<8xf32>
// INT8: vector.store %{{.+}}, %[[XQ]]
// CHECK: scf.parallel (%[[R:.+]]) =
// F32: scf.for %[[B:.+]] = {{.*}} iter_args(%{{.+}} = %{{.+}}) -> (vector<32xf32>)
// INT8: scf.for %[[B:.+]] = {{.*}} iter_args(%{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) -> (vector<8xf32>, vector<8xf32>)
// CHECK: %[[D2:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<32x68xi8>, vector<2xi8>
// CHECK: vector.bitcast %[[D2]] : vector<2xi8> to vector<1xf16>
// CHECK: %[[Q:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<32x68xi8>, vector<32xi8>
// F32: arith.sitofp %[[Q]] : vector<32xi8> to vector<32xf32>
// F32: arith.mulf {{.*}} : vector<32xf32>
// F32: vector.fma {{.*}} : vector<32xf32>
// INT8: %[[X:.+]] = vector.load %[[XQ]][%{{.+}}] : memref<64xi8>, vector<32xi8>
// INT8: %[[A:.+]] = math.absi %[[Q]] : vector<32xi8>
// INT8: %[[S:.+]] = llvm.call_intrinsic "llvm.x86.avx2.psign.b"(%[[X]], %[[Q]])
// INT8: %[[P:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[A]], %[[S]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// INT8: %[[P4:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[P]], %{{.+}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// INT8: arith.sitofp %[[P4]] : vector<8xi32> to vector<8xf32>
// INT8: vector.broadcast %{{.+}} : f16 to vector<8xf16>
// INT8: arith.extf %{{.+}} : vector<8xf16> to vector<8xf32>
// INT8: vector.load %[[XD]][%{{.+}}] : memref<16xf32>, vector<8xf32>
// INT8: vector.fma {{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>
// AArch64 with sdot: the 32 products in two sdot of 16 bytes, their lanes
// joined into the same 8 lanes as AVX2's.
// SDOT-LABEL: func.func @sparsec_decode_step
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot"(%{{.+}}, %{{.+}}, %{{.+}}) : (vector<4xi32>, vector<16xi8>, vector<16xi8>) -> vector<4xi32>
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT: vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 4, 5, 6, 7] : vector<4xi32>, vector<4xi32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<32xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<64xf32>
  %w = llm.param "w" : tensor<32x64x!llm.quant<q8_0>>
  %y = llm.linear %x, %w : tensor<64xf32>, tensor<32x64x!llm.quant<q8_0>> -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// q4_0 embedding row: 16 bytes of nibbles unpacked (mask, shift, shuffle
// low then high), centred by 8, scaled, stored 32 at a time.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[T:.+]] = memref.view {{.*}} to memref<16x36xi8>
// CHECK: scf.for
// CHECK: %[[QS:.+]] = vector.load %[[T]][%{{.+}}, %{{.+}}] : memref<16x36xi8>, vector<16xi8>
// CHECK: %[[LO:.+]] = arith.andi %[[QS]], %{{.+}} : vector<16xi8>
// CHECK: %[[HI:.+]] = arith.shrui %[[QS]], %{{.+}} : vector<16xi8>
// CHECK: %[[L:.+]] = vector.shuffle %[[LO]], %[[HI]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]
// CHECK: %[[C:.+]] = arith.subi %[[L]], %{{.+}} : vector<32xi8>
// CHECK: arith.sitofp %[[C]] : vector<32xi8> to vector<32xf32>
// CHECK: vector.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<64xf32>, vector<32xf32>
// With 16 lanes (AVX-512) the levels come from a table of the 16 centred
// values instead: the bytes zero-extended to 32-bit indices (vpermps reads
// the low nibble of each), then shifted right by 4 for the high nibbles.
// VNNI: memref.view {{.*}} to memref<16x36xi8>
// VNNI: %[[QS:.+]] = vector.load %{{.+}} : memref<16x36xi8>, vector<16xi8>
// VNNI: %[[IDX:.+]] = arith.extui %[[QS]] : vector<16xi8> to vector<16xi32>
// VNNI: %[[HIGH:.+]] = arith.shrui %[[IDX]], %{{.+}} : vector<16xi32>
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"(%[[TABLE:.+]], %[[IDX]])
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"(%[[TABLE]], %[[HIGH]])
// VNNI-NOT: arith.sitofp
// VNNI: vector.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<64xf32>, vector<32xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %t = llm.param "t" : tensor<16x64x!llm.quant<q4_0>>
  %h = llm.embed %t[%tok] : tensor<16x64x!llm.quant<q4_0>> -> tensor<64xf32>
  return %h : tensor<64xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// q4_1 neuron bundle: the parts are strided views of the bundle's bytes
// (64 weights = two 20-byte blocks per row); levels are unsigned, w = d q + m,
// and the scattered down row adds w * h to the chunk's partial sum.
// With integer dot products (INT8) a pass asks for the next pass's rows
// into L2, each line once, spread over its loops: each of its gate and up
// dot products for the same row of the next pass, its down loop for the
// next pass's four down rows; the selection for the first pass's rows.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[B:.+]] = memref.view {{.*}} to memref<64x3x40xi8>
// INT8: %[[GV:.+]] = memref.subview %[[B]][0, 0, 0] [64, 1, 40] [1, 1, 1]
// INT8: %[[UV:.+]] = memref.subview %[[B]][0, 1, 0] [64, 1, 40] [1, 1, 1]
// CHECK: %[[DV:.+]] = memref.subview %[[B]][0, 2, 0] [64, 1, 40] [1, 1, 1]
// CHECK: scf.parallel
// INT8: scf.for {{.*}} -> (index)
// INT8: memref.prefetch %[[DV]]
// INT8: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
// INT8: %[[REM:.+]] = arith.remui
// INT8: %[[FIRST:.+]] = arith.cmpi ult, %[[REM]], %c1{{.*}} : index
// INT8: scf.if %[[FIRST]] {
// INT8-NEXT: arith.constant 64
// INT8-NEXT: arith.muli
// INT8-NEXT: memref.prefetch %[[GV]][%[[NEXT:.+]], %{{.+}}], read, locality<2>, data
// INT8-NEXT: }
// INT8: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>)
// INT8: memref.prefetch %[[UV]][%[[NEXT]], %{{.+}}], read, locality<2>, data
// INT8: scf.for %{{.+}} = %{{.+}} to %c2{{.*}} step %c1
// INT8: scf.if
// INT8-COUNT-4: memref.prefetch %[[DV]][%{{.+}}, %{{.+}}], read, locality<2>, data
// CHECK: arith.uitofp %{{.+}} : vector<32xi8> to vector<32xf32>
// CHECK: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<32xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<64xf32>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<64x8xf16>
  %b = sfn.bundle_param "bundle" sources ["g", "u", "d"] transposed [2] : tensor<64x3x64x!llm.quant<q4_1>>
  %g = sfn.bundle_part %b[0] : tensor<64x3x64x!llm.quant<q4_1>> -> tensor<64x64x!llm.quant<q4_1>>
  %u = sfn.bundle_part %b[1] : tensor<64x3x64x!llm.quant<q4_1>> -> tensor<64x64x!llm.quant<q4_1>>
  %dt = sfn.bundle_part %b[2] : tensor<64x3x64x!llm.quant<q4_1>> -> tensor<64x64x!llm.quant<q4_1>>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>} : (tensor<64xf32>, tensor<64x64x!llm.quant<q4_1>>, tensor<64x64x!llm.quant<q4_1>>, tensor<64x64x!llm.quant<q4_1>>, tensor<64xf32>, tensor<8x64xf16>, tensor<64x8xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// q4_0 down rows of 512 weights (a multiple of 16 blocks) on x86 (VNNI), a
// pass of four rows adds on 16-bit integers. Each chunk has a workspace: the
// rows' block scales (4-byte words, integer moves), then per 16 blocks the
// factors (scale x value) as int16 multiples of max|factor| / 32767, packed
// per row pair; then per block and row pair one byte shuffle, the low
// nibbles masked and the high ones shifted down, and vpdpwssd against the
// packed multiples, one conversion and FMA by the step per 16 outputs.
// AVX2 (INT8) takes the same loop with vpmaddwd on each 256-bit half and an
// add in place of vpdpwssd; NEON (F32) keeps the float loop.
// CHECK-LABEL: func.func @sparsec_decode_step
// INT8-NOT: vpdpwssd.512
// INT8: memref.alloc() {{.*}} : memref<1280xi32>
// INT8: %[[WORDS:.+]] = vector.bitcast %{{.+}} : vector<64xi8> to vector<32xi16>
// INT8: %[[LOW:.+]] = arith.andi %[[WORDS]], %{{.+}} : vector<32xi16>
// INT8: %[[LOW0:.+]] = vector.shuffle %[[LOW]], %[[LOW]] [0, 1, {{.*}}, 15] : vector<32xi16>, vector<32xi16>
// INT8: %[[P0:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[LOW0]],
// INT8: %[[P1:.+]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(
// INT8: %[[BOTH:.+]] = vector.shuffle %[[P0]], %[[P1]] [0, 1, {{.*}}, 15] : vector<8xi32>, vector<8xi32>
// INT8: arith.addi %{{.+}}, %[[BOTH]] : vector<16xi32>
// INT8: arith.sitofp %{{.+}} : vector<16xi32> to vector<16xf32>
// F32-NOT: vpdpwssd.512
// VNNI: %[[STEPS:.+]] = memref.alloc() {{.*}} : memref<256xf32>
// VNNI: %[[WORK:.+]] = memref.alloc() {{.*}} : memref<1280xi32>
// VNNI: scf.parallel
// VNNI: %[[WORD:.+]] = vector.bitcast %{{.+}} : vector<4xi8> to vector<1xi32>
// VNNI: %[[SCALES:.+]] = vector.extract %[[WORD]][0] : i32 from vector<1xi32>
// VNNI: memref.store %[[SCALES]], %[[WORK]][%{{.+}}] : memref<1280xi32>
// VNNI: vector.bitcast %{{.+}} : vector<8xi32> to vector<16xf16>
// VNNI: arith.maximumf
// VNNI: arith.divf
// VNNI: vector.store %{{.+}}, %[[STEPS]][%{{.+}}] : memref<256xf32>, vector<16xf32>
// VNNI: math.roundeven %{{.+}} : vector<16xf32>
// VNNI: arith.fptosi %{{.+}} : vector<16xf32> to vector<16xi32>
// VNNI: arith.shli %{{.+}}, %{{.+}} : vector<16xi32>
// VNNI: vector.store %{{.+}}, %[[WORK]][%{{.+}}] : memref<1280xi32>, vector<16xi32>
// VNNI: %[[ZERO:.+]] = vector.broadcast %{{.+}} : i32 to vector<16xi32>
// VNNI: %[[SHUF:.+]] = vector.shuffle %{{.+}}, %{{.+}} [0, 0, 32, 32, 1, 1, 33, 33, {{.*}}] : vector<32xi8>, vector<32xi8>
// VNNI: %[[WORDS:.+]] = vector.bitcast %[[SHUF]] : vector<64xi8> to vector<32xi16>
// VNNI: %[[K:.+]] = vector.bitcast %{{.+}} : vector<16xi32> to vector<32xi16>
// VNNI: %[[LOW:.+]] = arith.andi %[[WORDS]], %{{.+}} : vector<32xi16>
// VNNI: %[[HIGH:.+]] = arith.shrui %[[WORDS]], %{{.+}} : vector<32xi16>
// VNNI: %[[S0:.+]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.512"(%[[ZERO]], %[[LOW]], %[[K]])
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.512"(%[[ZERO]], %[[HIGH]], %[[K]])
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.512"(%[[S0]],
// VNNI: arith.sitofp %{{.+}} : vector<16xi32> to vector<16xf32>
// VNNI: vector.fma %{{.+}} : vector<16xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<512xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<512xf32>
  %fc1 = llm.param "fc1" : tensor<8x512xf16>
  %fc2 = llm.param "fc2" : tensor<64x8xf16>
  %b = sfn.bundle_param "bundle" sources ["g", "u", "d"] transposed [2] : tensor<64x3x512x!llm.quant<q4_0>>
  %g = sfn.bundle_part %b[0] : tensor<64x3x512x!llm.quant<q4_0>> -> tensor<64x512x!llm.quant<q4_0>>
  %u = sfn.bundle_part %b[1] : tensor<64x3x512x!llm.quant<q4_0>> -> tensor<64x512x!llm.quant<q4_0>>
  %dt = sfn.bundle_part %b[2] : tensor<64x3x512x!llm.quant<q4_0>> -> tensor<64x512x!llm.quant<q4_0>>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>} : (tensor<512xf32>, tensor<64x512x!llm.quant<q4_0>>, tensor<64x512x!llm.quant<q4_0>>, tensor<64x512x!llm.quant<q4_0>>, tensor<512xf32>, tensor<8x512xf16>, tensor<64x8xf16>) -> tensor<512xf32>
  return %y : tensor<512xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// q4_0 neuron bundle (rows in pairs of blocks), predicted: a chunk first
// computes its neurons' values, a pass's four gate and up rows in one loop,
// which asks for the next pass's gate and up rows into L2 (locality 2), a
// row's lines spread evenly over the loop's steps (at the first step that
// reaches each line); the nonzero values are kept, in order, with their
// neurons (an unordered compare: a NaN is kept). Then the kept neurons'
// down rows, four per pass, each pass asking for the next one's the same
// way. The rows' own stream prefetch is left out of the loops. A chunk's
// first pass has no pass before it: the selection asks for the rows of each
// of its first four neurons as it finds them.
// CHECK-LABEL: func.func @sparsec_decode_step
// VNNI: memref.view {{.*}} to memref<64x3x36xi8>
// VNNI: %[[GV:.+]] = memref.subview %{{.+}}[0, 0, 0] [64, 1, 36]
// VNNI: %[[UV:.+]] = memref.subview %{{.+}}[0, 1, 0] [64, 1, 36]
// VNNI: %[[DV:.+]] = memref.subview %{{.+}}[0, 2, 0] [64, 1, 36]
// VNNI: scf.parallel
// VNNI: scf.for %[[I:.+]] = {{.*}} iter_args(%[[N:.+]] = %{{.+}}) -> (index)
// VNNI: scf.if %{{.+}} -> (index) {
// VNNI: memref.store %[[I]]
// VNNI: %[[EARLY:.+]] = arith.cmpi ult, %[[N]], %c8{{.*}} : index
// VNNI: scf.if %[[EARLY]] {
// VNNI: memref.prefetch %[[GV]][%[[I]], %{{.+}}], read, locality<2>, data
// VNNI: memref.prefetch %[[UV]][%[[I]], %{{.+}}], read, locality<2>, data
// VNNI: memref.prefetch %[[DV]][%[[I]], %{{.+}}], read, locality<2>, data
// VNNI: } else {
// VNNI: scf.for {{.*}} -> (index)
// VNNI: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// VNNI: %[[LINES:.+]] = arith.muli %{{.+}}, %c1{{.*}} : index
// VNNI: arith.divui %[[LINES]], %c1{{.*}} : index
// VNNI: %[[REM:.+]] = arith.remui %[[LINES]], %c1{{.*}} : index
// VNNI: %[[FIRST:.+]] = arith.cmpi ult, %[[REM]], %c1{{.*}} : index
// VNNI: scf.if %[[FIRST]] {
// VNNI-COUNT-4: memref.prefetch %[[GV]][%{{.+}}, %{{.+}}], read, locality<2>, data
// VNNI: scf.if
// VNNI-COUNT-4: memref.prefetch %[[UV]][%{{.+}}, %{{.+}}], read, locality<2>, data
// VNNI-NOT: memref.prefetch
// VNNI: scf.yield
// VNNI-COUNT-4: arith.cmpf une
// VNNI: scf.for
// VNNI: scf.if
// VNNI-COUNT-4: memref.prefetch %[[DV]][%{{.+}}, %{{.+}}], read, locality<2>, data
// VNNI-NOT: memref.prefetch
// VNNI: vector.fma
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<64xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<64xf32>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<64x8xf16>
  %b = sfn.bundle_param "bundle" sources ["g", "u", "d"] transposed [2] : tensor<64x3x64x!llm.quant<q4_0>>
  %g = sfn.bundle_part %b[0] : tensor<64x3x64x!llm.quant<q4_0>> -> tensor<64x64x!llm.quant<q4_0>>
  %u = sfn.bundle_part %b[1] : tensor<64x3x64x!llm.quant<q4_0>> -> tensor<64x64x!llm.quant<q4_0>>
  %dt = sfn.bundle_part %b[2] : tensor<64x3x64x!llm.quant<q4_0>> -> tensor<64x64x!llm.quant<q4_0>>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>} : (tensor<64xf32>, tensor<64x64x!llm.quant<q4_0>>, tensor<64x64x!llm.quant<q4_0>>, tensor<64x64x!llm.quant<q4_0>>, tensor<64xf32>, tensor<8x64xf16>, tensor<64x8xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// A q4_0 matvec whose rows have an even number of blocks: the rows are in
// pairs (d_a, d_b, qs_a, qs_b: 36 bytes), so one 32-byte load holds two
// blocks' nibbles. With integer dot products the input is stored in the
// pairs' order (two shuffles per pair), the low and high nibbles meet its
// two halves, both products are added onto the zero point's terms (minus
// its share, stored per pair with the input), and the scales [d_a x 4,
// d_b x 4] come from one 4-byte load. With VNNI the terms are vpdpbusd's
// accumulator: two instructions per pair.
// Decoding to f32 (NEON), each block's scale and nibbles are found in the
// pair.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[M:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<8x36xi8>
// INT8: vector.shuffle {{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47] : vector<32xi8>, vector<32xi8>
// INT8: vector.from_elements
// CHECK: scf.parallel (%[[R:.+]]) =
// With integer dot products (AVX2) the row is streamed: each pair asks for
// the bytes 16 KiB ahead into L2 (getStreamPrefetchBytes and -Level on x86).
// INT8: %[[AHEAD:.+]] = arith.addi %{{.+}}, %c16384 : index
// INT8: memref.prefetch %[[M]][%[[R]], %[[AHEAD]]], read, locality<2>, data : memref<8x36xi8>
// INT8: %[[S4:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x36xi8>, vector<4xi8>
// INT8: %[[S2:.+]] = vector.bitcast %[[S4]] : vector<4xi8> to vector<2xf16>
// INT8: vector.shuffle %[[S2]], %[[S2]] [0, 0, 0, 0, 1, 1, 1, 1]
// INT8: %[[Q:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x36xi8>, vector<32xi8>
// INT8: arith.andi %[[Q]]
// INT8: arith.shrui %[[Q]]
// INT8: %[[TERMS:.+]] = vector.load %{{.+}} : memref<8xi32>, vector<8xi32>
// INT8: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// INT8: %[[LOW:.+]] = arith.addi %[[TERMS]], %{{.+}} : vector<8xi32>
// INT8: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// INT8: arith.addi %[[LOW]], %{{.+}} : vector<8xi32>
// VNNI: memref.view {{.*}} to memref<8x36xi8>
// VNNI-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// VNNI: %[[SUMS:.+]] = arith.addi %{{.+}}, %{{.+}} : vector<8xi32>
// VNNI: %[[NEG:.+]] = arith.subi %{{.+}}, %[[SUMS]] : vector<8xi32>
// VNNI: vector.store %[[NEG]], %{{.+}} : memref<8xi32>, vector<8xi32>
// VNNI: scf.parallel
// VNNI: %[[T:.+]] = vector.load %{{.+}} : memref<8xi32>, vector<8xi32>
// VNNI: %[[D:.+]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[T]], %{{.+}}, %{{.+}})
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[D]], %{{.+}}, %{{.+}})
// VNNI-NOT: arith.subi
// VNNI: arith.sitofp
// F32: arith.divui
// F32: arith.remui
// F32: vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x36xi8>, vector<2xi8>
// F32: vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x36xi8>, vector<16xi8>
// CHECK: vector.reduction <add>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<8xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<64xf32>
  %w = llm.param "w" : tensor<8x64x!llm.quant<q4_0>>
  %y = llm.linear %x, %w : tensor<64xf32>, tensor<8x64x!llm.quant<q4_0>> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// A q4_k matvec: rows of 144-byte super-blocks. Per super-block d and dmin
// (f16), the 12 bytes of 6-bit scales and mins decoded once, as three
// 32-bit words (a, b, c): scales and mins 0-3 are [a, b] & 0x3f3f3f3f,
// 4-7 the nibbles of [c, c >> 4] with the top bits of [a, b] (>> 2, &
// 0x30303030), and 32 bytes of nibbles per pair of sub-blocks (low nibbles,
// then high).
// Sub-block j: weight = d s_j q - dmin m_j.
// Decoded to f32 (NEON), levels are converted, times the scale plus the
// offset (one FMA). With integer dot products the input is rounded per
// super-block (one scale per 256, stored 8 times, and the eight sub-block
// sums times it); each sub-block's pair sums are multiplied by its 6-bit
// scale in vpmaddwd and added in i32; per super-block one conversion, one
// FMA by d d_x, and one FMA of the offsets (-dmin m_j) by the input's sums.
// With VNNI the sub-blocks' products accumulate in two chains of vpdpwssd
// (even and odd sub-blocks), joined once per super-block.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[M:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<8x144xi8>
// INT8: memref.alloc() {alignment = 64 : i64} : memref<256xi8>
// INT8: memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// INT8: %[[XS:.+]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// INT8-COUNT-8: vector.reduction <maxnumf>
// INT8: vector.from_elements {{.*}} : vector<8xf32>
// INT8: vector.store %{{.+}}, %[[XS]][%{{.+}}] : memref<8xf32>, vector<8xf32>
// CHECK: scf.parallel (%[[R:.+]]) =
// CHECK: vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x144xi8>, vector<2xi8>
// CHECK: vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x144xi8>, vector<2xi8>
// CHECK: %[[SC:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x144xi8>, vector<12xi8>
// CHECK: %[[WORDS:.+]] = vector.bitcast %[[SC]] : vector<12xi8> to vector<3xi32>
// CHECK: %[[AB:.+]] = vector.shuffle %[[WORDS]], %[[WORDS]] [0, 1] : vector<3xi32>, vector<3xi32>
// CHECK: vector.shuffle %[[WORDS]], %[[WORDS]] [2, 2] : vector<3xi32>, vector<3xi32>
// CHECK: arith.constant dense<[0, 4]> : vector<2xi32>
// CHECK: arith.constant dense<1061109567> : vector<2xi32>
// CHECK: %[[LOW:.+]] = arith.andi %[[AB]], %{{.+}} : vector<2xi32>
// CHECK: arith.constant dense<252645135> : vector<2xi32>
// CHECK: arith.shrui %[[AB]], %{{.+}} : vector<2xi32>
// CHECK: arith.constant dense<808464432> : vector<2xi32>
// CHECK: %[[HIGH:.+]] = arith.ori %{{.+}}, %{{.+}} : vector<2xi32>
// CHECK: %[[SCALES:.+]] = vector.shuffle %[[LOW]], %[[HIGH]] [0, 2] : vector<2xi32>, vector<2xi32>
// CHECK: vector.bitcast %[[SCALES]] : vector<2xi32> to vector<8xi8>
// CHECK: %[[MINS:.+]] = vector.shuffle %[[LOW]], %[[HIGH]] [1, 3] : vector<2xi32>, vector<2xi32>
// CHECK: vector.bitcast %[[MINS]] : vector<2xi32> to vector<8xi8>
// CHECK: arith.uitofp %{{.+}} : vector<8xi8> to vector<8xf32>
// CHECK: arith.uitofp %{{.+}} : vector<8xi8> to vector<8xf32>
// CHECK: arith.negf %{{.+}} : vector<8xf32>
// INT8: arith.extui %{{.+}} : vector<8xi8> to vector<8xi16>
// CHECK: %[[QS:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<8x144xi8>, vector<32xi8>
// CHECK: arith.andi %[[QS]], %{{.+}} : vector<32xi8>
// CHECK: arith.shrui %[[QS]], %{{.+}} : vector<32xi8>
// INT8: vector.shuffle %{{.+}}, %{{.+}} [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1] : vector<8xi16>, vector<8xi16>
// F32: arith.uitofp %{{.+}} : vector<32xi8> to vector<32xf32>
// F32: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<32xf32>
// INT8-COUNT-8: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// INT8: arith.sitofp %{{.+}} : vector<8xi32> to vector<8xf32>
// INT8: vector.fma {{.*}} : vector<8xf32>
// INT8: vector.load %[[XS]][%{{.+}}] : memref<8xf32>, vector<8xf32>
// INT8: vector.fma {{.*}} : vector<8xf32>
// CHECK: vector.reduction <add>
// VNNI: memref.view {{.*}} to memref<8x144xi8>
// VNNI: scf.parallel
// VNNI: %[[ZERO:.+]] = arith.constant dense<0> : vector<8xi32>
// VNNI: %[[EVEN:.+]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.256"(%[[ZERO]],
// VNNI: %[[ODD:.+]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.256"(%[[ZERO]],
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.256"(%[[EVEN]],
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.256"(%[[ODD]],
// VNNI-COUNT-4: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.256"
// VNNI: arith.addi %{{.+}}, %{{.+}} : vector<8xi32>
// VNNI: arith.sitofp %{{.+}} : vector<8xi32> to vector<8xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<8xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<256xf32>
  %w = llm.param "w" : tensor<8x256x!llm.quant<q4_k>>
  %y = llm.linear %x, %w : tensor<256xf32>, tensor<8x256x!llm.quant<q4_k>> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// A q6_k matvec: 210-byte super-blocks. The 16 int8 scales are converted and
// multiplied by d once; each sub-block of 32 takes its low 4 bits from ql
// (mask or shift) and its top 2 from qh (shift, mask, shift left), centred
// by 32. Two scales per 32 weights: decoded to f32 each covers 16 lanes;
// with integer dot products they multiply the pair sums of weights 0-15
// (lanes 0-7) and 16-31 (lanes 8-15) in vpmaddwd.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[M:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<4x420xi8>
// CHECK: scf.parallel (%[[R:.+]]) =
// CHECK: vector.load %[[M]][%[[R]], %{{.+}}] : memref<4x420xi8>, vector<16xi8>
// F32: arith.sitofp %{{.+}} : vector<16xi8> to vector<16xf32>
// CHECK: %[[QH:.+]] = vector.load %[[M]][%[[R]], %{{.+}}] : memref<4x420xi8>, vector<32xi8>
// CHECK: arith.ori %{{.+}}, %{{.+}} : vector<32xi8>
// CHECK: arith.subi %{{.+}}, %{{.+}} : vector<32xi8>
// F32: vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31] : vector<16xf32>, vector<16xf32>
// INT8: arith.extsi %{{.+}} : vector<16xi8> to vector<16xi16>
// INT8: vector.shuffle %{{.+}}, %{{.+}} [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1] : vector<16xi16>, vector<16xi16>
// INT8: llvm.call_intrinsic "llvm.x86.avx2.psign.b"
// INT8: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// With sdot, lane i sums pairs 2i and 2i+1, which share their scale: the
// even pair weights, extended to i32, multiply the lanes.
// SDOT-LABEL: func.func @sparsec_decode_step
// SDOT: llvm.call_intrinsic "llvm.aarch64.neon.sdot"
// SDOT: vector.shuffle %{{.+}}, %{{.+}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
// SDOT: arith.extsi %{{.+}} : vector<8xi16> to vector<8xi32>
// SDOT: arith.muli %{{.+}}, %{{.+}} : vector<8xi32>
// CHECK: vector.reduction <add>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<4xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<512xf32>
  %w = llm.param "w" : tensor<4x512x!llm.quant<q6_k>>
  %y = llm.linear %x, %w : tensor<512xf32>, tensor<4x512x!llm.quant<q6_k>> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// q4_k neuron bundle, predicted: each gate and up dot product asks for the
// same row of the next pass, spread over its super-blocks (into L2), and
// the down loop for the next pass's down rows. The down loop decodes
// levels with AVX-512's table lookup: the two halves of a 32-byte qs give
// the low-nibble levels of one sub-block and the high-nibble levels of the
// next; the four rows' offsets (-dmin m_j, times the neuron's value) are
// summed and added once per block of 32 outputs.
// CHECK-LABEL: func.func @sparsec_decode_step
// VNNI: memref.view {{.*}} to memref<64x3x144xi8>
// VNNI: scf.parallel
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpwssd.256"
// VNNI: memref.prefetch {{.*}} read, locality<2>, data
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.permvar.sf.512"
// VNNI: vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47] : vector<32xf32>, vector<32xf32>
// VNNI-NOT: arith.uitofp {{.*}} to vector<32xf32>
// VNNI-COUNT-4: vector.fma {{.*}} : vector<32xf32>
// VNNI: %[[OFFSETS:.+]] = vector.broadcast %{{.+}} : f32 to vector<32xf32>
// VNNI: arith.addf %{{.+}}, %[[OFFSETS]] : vector<32xf32>
// VNNI: vector.store %{{.+}}, %{{.+}}[%{{.+}}] : memref<{{.+}}xf32>, vector<32xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<256xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<256xf32>
  %fc1 = llm.param "fc1" : tensor<8x256xf16>
  %fc2 = llm.param "fc2" : tensor<64x8xf16>
  %b = sfn.bundle_param "bundle" sources ["g", "u", "d"] transposed [2] : tensor<64x3x256x!llm.quant<q4_k>>
  %g = sfn.bundle_part %b[0] : tensor<64x3x256x!llm.quant<q4_k>> -> tensor<64x256x!llm.quant<q4_k>>
  %u = sfn.bundle_part %b[1] : tensor<64x3x256x!llm.quant<q4_k>> -> tensor<64x256x!llm.quant<q4_k>>
  %dt = sfn.bundle_part %b[2] : tensor<64x3x256x!llm.quant<q4_k>> -> tensor<64x256x!llm.quant<q4_k>>
  %y = sfn.fused_sparse_ffn %x, %g, %u, %dt predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64, mode = #sfn.mode<predicted>} : (tensor<256xf32>, tensor<64x256x!llm.quant<q4_k>>, tensor<64x256x!llm.quant<q4_k>>, tensor<64x256x!llm.quant<q4_k>>, tensor<256xf32>, tensor<8x256xf16>, tensor<64x8xf16>) -> tensor<256xf32>
  return %y : tensor<256xf32>
}

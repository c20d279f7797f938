// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// Weights are views of the weights argument at the offsets
// sparsec-plan-buffers recorded: back to back, in walk order, once per name.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK-SAME: (%[[W:[^:]+]]: memref<?xi8>
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[W]][%[[C0]]][] : memref<?xi8> to memref<8x16xf16>
// CHECK: %[[C256:.+]] = arith.constant 256 : index
// CHECK: memref.view %[[W]][%[[C256]]][] : memref<?xi8> to memref<16xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<8xf32> attributes {llm.decode_step} {
  %w = llm.param "w" : tensor<8x16xf16>
  %x = llm.param "x" : tensor<16xf32>
  %y = llm.lm_head %x, %w : tensor<16xf32>, tensor<8x16xf16> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// A bundle part is a strided [neurons, hidden] subview of its bundle.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[B:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<8x3x16xf16>
// CHECK: memref.subview %[[B]][0, 1, 0] [8, 1, 16] [1, 1, 1] : memref<8x3x16xf16> to memref<8x16xf16, strided<[48, 1], offset: 16>>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<8xf32> attributes {llm.decode_step} {
  %b = sfn.bundle_param "bundles" sources ["g", "u", "d"] transposed [2] : tensor<8x3x16xf16>
  %u = sfn.bundle_part %b[1] : tensor<8x3x16xf16> -> tensor<8x16xf16>
  %x = llm.param "x" : tensor<16xf32>
  %y = llm.lm_head %x, %u : tensor<16xf32>, tensor<8x16xf16> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @weights_of_every_dtype
func.func @weights_of_every_dtype() -> (tensor<32000x4096xf16>, tensor<4096xbf16>, tensor<8x4096xf32>) {
  // CHECK: llm.param "model.embed_tokens.weight" : tensor<32000x4096xf16>
  %0 = llm.param "model.embed_tokens.weight" : tensor<32000x4096xf16>
  // CHECK: llm.param "model.norm.weight" : tensor<4096xbf16>
  %1 = llm.param "model.norm.weight" : tensor<4096xbf16>
  // CHECK: llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<8x4096xf32>
  %2 = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<8x4096xf32>
  return %0, %1, %2 : tensor<32000x4096xf16>, tensor<4096xbf16>, tensor<8x4096xf32>
}

// -----

// Tied embeddings: two params naming one tensor are the same weight.
// CHECK-LABEL: func.func @tied
func.func @tied() -> (tensor<100x8xf16>, tensor<100x8xf16>) {
  // CHECK-COUNT-2: llm.param "model.embed_tokens.weight" : tensor<100x8xf16>
  %0 = llm.param "model.embed_tokens.weight" : tensor<100x8xf16>
  %1 = llm.param "model.embed_tokens.weight" : tensor<100x8xf16>
  return %0, %1 : tensor<100x8xf16>, tensor<100x8xf16>
}

// -----

// Block-quantized weights keep their logical shape; the element type names
// the block format.
// CHECK-LABEL: func.func @quantized
func.func @quantized() -> (tensor<256x64x!llm.quant<q8_0>>, tensor<64x256x!llm.quant<q4_0>>, tensor<32x32x!llm.quant<q4_1>>) {
  // CHECK: llm.param "a" : tensor<256x64x!llm.quant<q8_0>>
  %0 = llm.param "a" : tensor<256x64x!llm.quant<q8_0>>
  // CHECK: llm.param "b" transposed : tensor<64x256x!llm.quant<q4_0>>
  %1 = llm.param "b" transposed : tensor<64x256x!llm.quant<q4_0>>
  // CHECK: llm.param "c" : tensor<32x32x!llm.quant<q4_1>>
  %2 = llm.param "c" : tensor<32x32x!llm.quant<q4_1>>
  return %0, %1, %2 : tensor<256x64x!llm.quant<q8_0>>, tensor<64x256x!llm.quant<q4_0>>, tensor<32x32x!llm.quant<q4_1>>
}

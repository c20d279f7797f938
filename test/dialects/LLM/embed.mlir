// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @embed
// CHECK-SAME: (%[[TOK:.+]]: i32)
func.func @embed(%tok: i32) -> tensor<4096xf32> {
  // CHECK: %[[T:.+]] = llm.param "model.embed_tokens.weight" : tensor<32000x4096xf16>
  %t = llm.param "model.embed_tokens.weight" : tensor<32000x4096xf16>
  // CHECK: llm.embed %[[T]][%[[TOK]]] : tensor<32000x4096xf16> -> tensor<4096xf32>
  %h = llm.embed %t[%tok] : tensor<32000x4096xf16> -> tensor<4096xf32>
  return %h : tensor<4096xf32>
}

// -----

// CHECK-LABEL: func.func @embed_bf16
func.func @embed_bf16(%tok: i32) -> tensor<64xf32> {
  %t = llm.param "model.embed_tokens.weight" : tensor<256x64xbf16>
  // CHECK: llm.embed %{{.+}}[%{{.+}}] : tensor<256x64xbf16> -> tensor<64xf32>
  %h = llm.embed %t[%tok] : tensor<256x64xbf16> -> tensor<64xf32>
  return %h : tensor<64xf32>
}

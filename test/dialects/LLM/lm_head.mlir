// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @lm_head
func.func @lm_head(%x: tensor<4096xf32>) -> tensor<32000xf32> {
  %w = llm.param "lm_head.weight" : tensor<32000x4096xf16>
  // CHECK: llm.lm_head %{{.+}}, %{{.+}} : tensor<4096xf32>, tensor<32000x4096xf16> -> tensor<32000xf32>
  %l = llm.lm_head %x, %w : tensor<4096xf32>, tensor<32000x4096xf16> -> tensor<32000xf32>
  return %l : tensor<32000xf32>
}

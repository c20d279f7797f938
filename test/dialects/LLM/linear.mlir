// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @q_proj
func.func @q_proj(%x: tensor<4096xf32>) -> tensor<1024xf32> {
  %w = llm.param "model.layers.0.self_attn.k_proj.weight" : tensor<1024x4096xf16>
  // CHECK: llm.linear %{{.+}}, %{{.+}} : tensor<4096xf32>, tensor<1024x4096xf16> -> tensor<1024xf32>
  %y = llm.linear %x, %w : tensor<4096xf32>, tensor<1024x4096xf16> -> tensor<1024xf32>
  return %y : tensor<1024xf32>
}

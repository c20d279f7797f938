// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[A:.+]]: tensor<4096xf32>, %[[B:.+]]: tensor<4096xf32>)
func.func @residual(%a: tensor<4096xf32>, %b: tensor<4096xf32>) -> tensor<4096xf32> {
  // CHECK: llm.add %[[A]], %[[B]] : tensor<4096xf32>
  %0 = llm.add %a, %b : tensor<4096xf32>
  return %0 : tensor<4096xf32>
}

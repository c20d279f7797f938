// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @rope_query_and_key
// CHECK-SAME: (%[[Q:.+]]: tensor<4096xf32>, %[[K:.+]]: tensor<1024xf32>, %[[POS:.+]]: index)
func.func @rope_query_and_key(%q: tensor<4096xf32>, %k: tensor<1024xf32>, %pos: index) -> (tensor<4096xf32>, tensor<1024xf32>) {
  // CHECK: llm.rope %[[Q]], %[[POS]] {head_dim = 128 : i64, theta = 1.000000e+06 : f64} : tensor<4096xf32>
  %0 = llm.rope %q, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<4096xf32>
  // CHECK: llm.rope %[[K]], %[[POS]] {head_dim = 128 : i64, theta = 1.000000e+06 : f64} : tensor<1024xf32>
  %1 = llm.rope %k, %pos {head_dim = 128 : i64, theta = 1.0e+06 : f64} : tensor<1024xf32>
  return %0, %1 : tensor<4096xf32>, tensor<1024xf32>
}

// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @mixtral_router
func.func @mixtral_router(%x: tensor<4096xf32>) -> (tensor<2xi32>, tensor<2xf32>) {
  %r = llm.param "model.layers.0.block_sparse_moe.gate.weight" : tensor<8x4096xf16>
  // CHECK: %{{[^ ]+}}, %{{[^ ]+}} = sfn.route_experts %{{.+}}, %{{.+}} {top_k = 2 : i64}
  // CHECK-SAME: : tensor<4096xf32>, tensor<8x4096xf16> -> tensor<2xi32>, tensor<2xf32>
  %ids, %w = sfn.route_experts %x, %r {top_k = 2 : i64} : tensor<4096xf32>, tensor<8x4096xf16> -> tensor<2xi32>, tensor<2xf32>
  return %ids, %w : tensor<2xi32>, tensor<2xf32>
}

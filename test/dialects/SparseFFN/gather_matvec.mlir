// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @gather_gate_rows
// CHECK-SAME: (%[[X:.+]]: tensor<4096xf32>, %[[SET:.+]]: !sfn.active_set<14336>)
func.func @gather_gate_rows(%x: tensor<4096xf32>, %set: !sfn.active_set<14336>) -> tensor<?xf32> {
  // CHECK: %[[G:.+]] = llm.param "model.layers.0.mlp.gate_proj.weight"
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<14336x4096xf16>
  // CHECK: sfn.gather_matvec %[[G]][%[[SET]]], %[[X]]
  // CHECK-SAME: : tensor<14336x4096xf16>, !sfn.active_set<14336>, tensor<4096xf32> -> tensor<?xf32>
  %v = sfn.gather_matvec %g[%set], %x : tensor<14336x4096xf16>, !sfn.active_set<14336>, tensor<4096xf32> -> tensor<?xf32>
  return %v : tensor<?xf32>
}

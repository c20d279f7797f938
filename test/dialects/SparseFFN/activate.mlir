// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @activate
func.func @activate(%g: tensor<?xf32>, %u: tensor<?xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  // CHECK: sfn.activate %{{.+}}, %{{.+}} {activation = #llm.activation<drelu>} : tensor<?xf32>
  %0 = sfn.activate %g, %u {activation = #llm.activation<drelu>} : tensor<?xf32>
  // CHECK: sfn.activate %{{.+}}, %{{.+}} {activation = #llm.activation<swiglu>} : tensor<?xf32>
  %1 = sfn.activate %g, %u {activation = #llm.activation<swiglu>} : tensor<?xf32>
  return %0, %1 : tensor<?xf32>, tensor<?xf32>
}

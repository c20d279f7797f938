// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.+]]: tensor<4096xf32>)
func.func @rms_norm(%x: tensor<4096xf32>) -> tensor<4096xf32> {
  // CHECK: %[[W:.+]] = llm.param "model.layers.0.input_layernorm.weight"
  %w = llm.param "model.layers.0.input_layernorm.weight" : tensor<4096xf16>
  // CHECK: llm.rms_norm %[[X]], %[[W]] {epsilon = 9.99999974E-6 : f32} : tensor<4096xf32>, tensor<4096xf16>
  %y = llm.rms_norm %x, %w {epsilon = 1.0e-05 : f32} : tensor<4096xf32>, tensor<4096xf16>
  return %y : tensor<4096xf32>
}

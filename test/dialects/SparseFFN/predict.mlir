// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @predict
// CHECK-SAME: (%[[RES:.+]]: tensor<4096xf32>)
func.func @predict(%res: tensor<4096xf32>) -> !sfn.active_set<14336> {
  %fc1 = llm.param "model.layers.0.mlp.predictor.fc1.weight" : tensor<1024x4096xf16>
  %fc2 = llm.param "model.layers.0.mlp.predictor.fc2.weight" : tensor<14336x1024xf16>
  // CHECK: sfn.predict %[[RES]], %{{.+}}, %{{.+}} {threshold = 2.500000e-01 : f32}
  // CHECK-SAME: : tensor<4096xf32>, tensor<1024x4096xf16>, tensor<14336x1024xf16> -> !sfn.active_set<14336>
  %set = sfn.predict %res, %fc1, %fc2 {threshold = 0.25 : f32}
      : tensor<4096xf32>, tensor<1024x4096xf16>, tensor<14336x1024xf16> -> !sfn.active_set<14336>
  return %set : !sfn.active_set<14336>
}

// -----

// The threshold defaults to 0 (score > 0, i.e. sigmoid > 0.5) and is then
// not printed.
// CHECK-LABEL: func.func @default_threshold
func.func @default_threshold(%res: tensor<64xf32>) -> !sfn.active_set<256> {
  %fc1 = llm.param "fc1" : tensor<8x64xf32>
  %fc2 = llm.param "fc2" : tensor<256x8xf32>
  // CHECK: sfn.predict %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} : tensor<64xf32>
  %set = sfn.predict %res, %fc1, %fc2 : tensor<64xf32>, tensor<8x64xf32>, tensor<256x8xf32> -> !sfn.active_set<256>
  return %set : !sfn.active_set<256>
}

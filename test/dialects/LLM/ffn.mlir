// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s


// CHECK-LABEL: func.func @ffn_drelu
func.func @ffn_drelu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // CHECK: llm.ffn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {activation = #llm.activation<drelu>, layer = 0 : i64}
  // CHECK-SAME: : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<drelu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @ffn_relu
func.func @ffn_relu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // CHECK: llm.ffn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {activation = #llm.activation<relu>, layer = 0 : i64}
  // CHECK-SAME: : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<relu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @ffn_relu2
func.func @ffn_relu2(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // CHECK: llm.ffn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {activation = #llm.activation<relu2>, layer = 0 : i64}
  // CHECK-SAME: : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<relu2>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @ffn_swiglu
func.func @ffn_swiglu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // CHECK: llm.ffn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {activation = #llm.activation<swiglu>, layer = 0 : i64}
  // CHECK-SAME: : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @ffn_gelu
func.func @ffn_gelu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // CHECK: llm.ffn %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {activation = #llm.activation<gelu>, layer = 0 : i64}
  // CHECK-SAME: : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<gelu>, layer = 0 : i64}
      : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// TurboSparse-Mistral layer: dReLU with a rank-1024 predictor fed the
// un-normalised residual, and a calibrated threshold.
// CHECK-LABEL: func.func @ffn_with_predictor
// CHECK-SAME: (%[[X:.+]]: tensor<4096xf32>, %[[RES:.+]]: tensor<4096xf32>)
func.func @ffn_with_predictor(%x: tensor<4096xf32>, %res: tensor<4096xf32>) -> tensor<4096xf32> {
  %g = llm.param "model.layers.3.mlp.gate_proj.weight" : tensor<14336x4096xf16>
  %u = llm.param "model.layers.3.mlp.up_proj.weight" : tensor<14336x4096xf16>
  %d = llm.param "model.layers.3.mlp.down_proj.weight" : tensor<4096x14336xf16>
  // CHECK: %[[FC1:.+]] = llm.param "model.layers.3.mlp.predictor.fc1.weight"
  %fc1 = llm.param "model.layers.3.mlp.predictor.fc1.weight" : tensor<1024x4096xf16>
  // CHECK: %[[FC2:.+]] = llm.param "model.layers.3.mlp.predictor.fc2.weight"
  %fc2 = llm.param "model.layers.3.mlp.predictor.fc2.weight" : tensor<14336x1024xf16>
  // CHECK: llm.ffn %[[X]], %{{.+}}, %{{.+}}, %{{.+}} predictor(%[[RES]], %[[FC1]], %[[FC2]])
  // CHECK-SAME: {activation = #llm.activation<drelu>, layer = 3 : i64, predictor_threshold = 5.000000e-01 : f32}
  %y = llm.ffn %x, %g, %u, %d predictor(%res, %fc1, %fc2)
      {activation = #llm.activation<drelu>, layer = 3 : i64, predictor_threshold = 0.5 : f32}
      : (tensor<4096xf32>, tensor<14336x4096xf16>, tensor<14336x4096xf16>, tensor<4096x14336xf16>,
         tensor<4096xf32>, tensor<1024x4096xf16>, tensor<14336x1024xf16>) -> tensor<4096xf32>
  return %y : tensor<4096xf32>
}

// RUN: sparsec-opt %s -split-input-file --sparsec-sparsify-ffn="default-mode=threshold activation-threshold=0:0.05,1:0.125" | FileCheck %s

// SwiGLU in threshold mode: a dense gate, then |silu(gate)| > t per layer.
// CHECK-LABEL: func.func @swiglu_threshold_per_layer
// CHECK: sfn.select %{{.+}} {activation = #llm.activation<swiglu>, threshold = 5.000000e-02 : f32}
// CHECK: sfn.scatter_matvec {{.*}} {layer = 0 : i64}
// CHECK: sfn.select %{{.+}} {activation = #llm.activation<swiglu>, threshold = 1.250000e-01 : f32}
// CHECK: sfn.scatter_matvec {{.*}} {layer = 1 : i64}
func.func @swiglu_threshold_per_layer(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  %y0 = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  %y1 = llm.ffn %y0, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 1 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y1 : tensor<64xf32>
}

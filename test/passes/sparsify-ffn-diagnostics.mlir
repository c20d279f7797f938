// RUN: sparsec-opt %s -split-input-file --sparsec-sparsify-ffn="default-mode=predicted" -verify-diagnostics
// RUN: not sparsec-opt %s --sparsec-sparsify-ffn="layers=3-1:dense" 2>&1 | FileCheck %s --check-prefix=SPEC
// RUN: not sparsec-opt %s --sparsec-sparsify-ffn="layers=0:sometimes" 2>&1 | FileCheck %s --check-prefix=LAYER-MODE
// RUN: not sparsec-opt %s --sparsec-sparsify-ffn="default-mode=fast" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not sparsec-opt %s --sparsec-sparsify-ffn="default-mode=threshold activation-threshold=-1" 2>&1 | FileCheck %s --check-prefix=NEGATIVE

// SPEC: sparsec-sparsify-ffn: layers: expected a layer range FIRST-LAST with FIRST <= LAST, got '3-1'
// LAYER-MODE: layer 0: unknown sparse mode 'sometimes' (expected auto, dense, exact, predicted or threshold)
// MODE: sparsec-sparsify-ffn: default-mode 'fast' is not one of auto, dense, exact, predicted, threshold
// NEGATIVE: layer 0: activation threshold '-1' is not a non-negative number

func.func @predicted_without_predictor(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // expected-error @+1 {{mode 'predicted' needs a predictor, and this block has none (use exact, threshold or dense)}}
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// The mark comes from sparsec-decide-sparsity (or a user).
func.func @exact_on_swiglu(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // expected-error @+1 {{mode 'exact' needs a ReLU-family activation (drelu, relu, relu2), got swiglu (use threshold or dense)}}
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64, sparsec.mode = "exact"} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

func.func @threshold_without_value(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // expected-error @+1 {{mode 'threshold' needs a threshold for this layer (activation-threshold=...)}}
  %y = llm.ffn %x, %g, %u, %d {activation = #llm.activation<swiglu>, layer = 0 : i64, sparsec.mode = "threshold"} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y : tensor<64xf32>
}

// -----

// Every refusal is reported, not only the first.
func.func @two_refusals(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<256x64xf16>
  %u = llm.param "model.layers.0.mlp.up_proj.weight" : tensor<256x64xf16>
  %d = llm.param "model.layers.0.mlp.down_proj.weight" : tensor<64x256xf16>
  // expected-error @+1 {{mode 'predicted' needs a predictor}}
  %y0 = llm.ffn %x, %g, %u, %d {activation = #llm.activation<relu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  // expected-error @+1 {{mode 'predicted' needs a predictor}}
  %y1 = llm.ffn %y0, %g, %u, %d {activation = #llm.activation<relu>, layer = 1 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y1 : tensor<64xf32>
}

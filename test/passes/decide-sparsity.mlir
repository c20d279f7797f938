// RUN: sparsec-opt %s --sparsec-decide-sparsity="stats=%S/Inputs/calibration.json print-decisions=1" -verify-diagnostics | FileCheck %s
// RUN: not sparsec-opt %s --sparsec-decide-sparsity="stats=%S/Inputs/calibration-bad.json" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not sparsec-opt %s --sparsec-decide-sparsity 2>&1 | FileCheck %s --check-prefix=NOSTATS

// BAD: calibration-bad.json: layer 0: densities must be numbers in [0, 1]
// NOSTATS: sparsec-decide-sparsity: needs stats=<file> (calibration statistics)

// CHECK-LABEL: func.func @layers
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<drelu>, layer = 0 : i64, sparsec.mode = "predicted"}
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<drelu>, layer = 1 : i64, sparsec.mode = "dense"}
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<relu>, layer = 2 : i64, sparsec.mode = "exact"}
// CHECK: llm.moe {{.*}} {activation = #llm.activation<drelu>, layer = 3 : i64, num_experts = 2 : i64, sparsec.mode = "exact", top_k = 1 : i64}
// CHECK: llm.ffn {{.*}} {activation = #llm.activation<swiglu>, layer = 4 : i64}
func.func @layers(%x: tensor<64xf32>) -> tensor<64xf32> {
  %g = llm.param "g" : tensor<256x64xf16>
  %d = llm.param "d" : tensor<64x256xf16>
  %fc1 = llm.param "fc1" : tensor<8x64xf16>
  %fc2 = llm.param "fc2" : tensor<256x8xf16>
  %r = llm.param "r" : tensor<2x64xf16>
  // expected-remark @+1 {{layer 0: predicted (predicted density 0.11 <= break-even 0.25)}}
  %y0 = llm.ffn %x, %g, %g, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 0 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  // expected-remark @+1 {{layer 1: dense (predicted density 0.35 > break-even 0.25)}}
  %y1 = llm.ffn %y0, %g, %g, %d predictor(%x, %fc1, %fc2) {activation = #llm.activation<drelu>, layer = 1 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64xf32>, tensor<8x64xf16>, tensor<256x8xf16>) -> tensor<64xf32>
  // expected-remark @+1 {{layer 2: exact (exact density 0.12 <= break-even 0.25)}}
  %y2 = llm.ffn %y1, %g, %g, %d {activation = #llm.activation<relu>, layer = 2 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  // expected-remark @+1 {{layer 3: exact (exact density 0.15 <= break-even 0.25)}}
  %y3 = llm.moe %y2 router(%r) experts(gate [%g, %g], up [%g, %g], down [%d, %d]) {activation = #llm.activation<drelu>, layer = 3 : i64, num_experts = 2 : i64, top_k = 1 : i64} : (tensor<64xf32>, tensor<2x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  // expected-remark @+1 {{layer 4: unmarked (no statistics; default mode applies)}}
  %y4 = llm.ffn %y3, %g, %g, %d {activation = #llm.activation<swiglu>, layer = 4 : i64} : (tensor<64xf32>, tensor<256x64xf16>, tensor<256x64xf16>, tensor<64x256xf16>) -> tensor<64xf32>
  return %y4 : tensor<64xf32>
}

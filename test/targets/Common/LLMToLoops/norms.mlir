// RUN: sparsec-opt %s -split-input-file --sparsec-plan-buffers --convert-llm-to-loops | FileCheck %s

!cache = !llm.kv_cache<layers = 1, max_len = 4, kv_heads = 1, head_dim = 4, f32>

// llm.rms_norm: the sum of squares in element order, one sqrt, then
// x * (1 / sqrt(mean + eps)) * w, eight lanes at a time.
// CHECK-LABEL: func.func @sparsec_decode_step
// CHECK: %[[SS:.+]] = scf.for {{.*}} -> (f32)
// CHECK: %[[MEAN:.+]] = arith.divf %[[SS]], %{{.+}} : f32
// CHECK: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK: %[[S:.+]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: math.sqrt %[[S]] : f32
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c8
// CHECK: vector.load %{{.+}} : memref<16xf32>, vector<8xf32>
// CHECK: vector.load %{{.+}} : memref<16xf16>, vector<8xf16>
// CHECK: arith.extf %{{.+}} : vector<8xf16> to vector<8xf32>
// CHECK: arith.mulf %{{.+}} : vector<8xf32>
// CHECK: vector.store %{{.+}} : memref<16xf32>, vector<8xf32>
func.func @step(%tok: i32, %pos: index, %cache: !cache) -> tensor<16xf32> attributes {llm.decode_step} {
  %x = llm.param "x" : tensor<16xf32>
  %w = llm.param "w" : tensor<16xf16>
  %n = llm.rms_norm %x, %w {epsilon = 1.0e-06 : f32} : tensor<16xf32>, tensor<16xf16>
  return %n : tensor<16xf32>
}

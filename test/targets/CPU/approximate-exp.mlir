// RUN: sparsec-opt %s -split-input-file --sparsec-approximate-exp | FileCheck %s

// A vector exp becomes arithmetic on the same vector type: no math.exp is
// left for LLVM to scalarise into libm calls.
// CHECK-LABEL: func.func @vector_exp
// CHECK-NOT: math.exp
// CHECK: arith.mulf {{.*}} : vector<8xf32>
// CHECK: math.fma {{.*}} : vector<8xf32>
// CHECK-NOT: math.exp
// CHECK: return {{.*}} : vector<8xf32>
func.func @vector_exp(%x: vector<8xf32>) -> vector<8xf32> {
  %e = math.exp %x : vector<8xf32>
  return %e : vector<8xf32>
}

// -----

// Scalars too (the SwiGLU sigmoid's exp).
// CHECK-LABEL: func.func @scalar_exp
// CHECK-NOT: math.exp
// CHECK: return {{.*}} : f32
func.func @scalar_exp(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}

// -----

// Other math functions are left alone.
// CHECK-LABEL: func.func @other_math
// CHECK: math.cos
// CHECK: math.tanh
func.func @other_math(%x: f32) -> f32 {
  %c = math.cos %x : f32
  %t = math.tanh %c : f32
  return %t : f32
}

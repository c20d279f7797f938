// RUN: sparsec-opt %s --sparsec-finalize-to-llvm | FileCheck %s
// RUN: sparsec-opt %s --sparsec-finalize-to-llvm | FileCheck %s --check-prefix=NONE

// The pipeline codegen ends with: upstream scf/vector/memref/arith/math/func
// lowered to the LLVM dialect, nothing else left anywhere in the output.
// CHECK-LABEL: llvm.func @scaled_sum
// CHECK: llvm.intr.fmuladd
// CHECK: llvm.intr.vector.reduce.fadd
// CHECK: llvm.intr.exp
// CHECK: llvm.return
// NONE-NOT: scf.
// NONE-NOT: {{^ *(%[0-9]+ = )?vector\.}}
// NONE-NOT: memref.
// NONE-NOT: arith.
// NONE-NOT: math.
// NONE-NOT: unrealized_conversion_cast
func.func @scaled_sum(%a: memref<64xf32>, %b: memref<64xf32>, %s: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %pad = arith.constant 0.0 : f32
  %acc0 = arith.constant dense<0.0> : vector<8xf32>
  %sv = vector.broadcast %s : f32 to vector<8xf32>
  %acc = scf.for %i = %c0 to %c64 step %c8 iter_args(%acc1 = %acc0) -> (vector<8xf32>) {
    %va = vector.transfer_read %a[%i], %pad : memref<64xf32>, vector<8xf32>
    %vb = vector.transfer_read %b[%i], %pad : memref<64xf32>, vector<8xf32>
    %p = arith.mulf %va, %sv : vector<8xf32>
    %n = vector.fma %p, %vb, %acc1 : vector<8xf32>
    scf.yield %n : vector<8xf32>
  }
  %r = vector.reduction <add>, %acc, %zero : vector<8xf32> into f32
  %e = math.exp %r : f32
  return %e : f32
}

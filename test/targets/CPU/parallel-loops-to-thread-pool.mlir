// RUN: sparsec-opt %s -split-input-file --convert-parallel-loops-to-thread-pool --verify-diagnostics | FileCheck %s

// Each scf.parallel becomes a call into the runtime's thread pool, and its
// body case `kernel` of sparsec_run_range, run over [begin, end). Values the
// body uses from outside (views of the ABI arguments, constants, the
// position) are recomputed in the kernel from its own arguments. A kernel
// is named by its loop's NameLoc, else by its number.
// CHECK-LABEL: module attributes {sparsec.kernel_names = ["layer 0 ffn (dense): gate/up", "kernel 1"], sparsec.num_kernels = 2 : i64}
// CHECK: func.func private @sparsec_parallel_for(i32, i64)
// CHECK: func.func @sparsec_decode_step
// CHECK: %[[K0:.+]] = arith.constant 0 : i32
// CHECK: %[[N0:.+]] = arith.constant 32 : i64
// CHECK: call @sparsec_parallel_for(%[[K0]], %[[N0]]) : (i32, i64) -> ()
// CHECK: %[[K1:.+]] = arith.constant 1 : i32
// CHECK: %[[N1:.+]] = arith.constant 4 : i64
// CHECK: call @sparsec_parallel_for(%[[K1]], %[[N1]])
// CHECK-NOT: scf.parallel
// CHECK: func.func @sparsec_run_range(%[[SW:[^:]+]]: memref<?xi8>, %{{[^:]+}}: memref<?xi8>, %{{[^:]+}}: memref<?xf32>, %{{[^:]+}}: memref<?xi32>, %[[SS:[^:]+]]: memref<?xi8>, %{{[^:]+}}: i32, %[[SPOS:[^:]+]]: i64, %[[KERNEL:[^:]+]]: i32, %[[BEGIN:[^:]+]]: i64, %[[END:[^:]+]]: i64) attributes {llvm.emit_c_interface}
// CHECK: %[[K:.+]] = arith.index_cast %[[KERNEL]] : i32 to index
// CHECK: %[[B:.+]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK: %[[E:.+]] = arith.index_cast %[[END]] : i64 to index
// CHECK: scf.index_switch %[[K]]
// CHECK: case 0 {
// CHECK: %[[OUT:.+]] = memref.view %[[SS]]
// CHECK: scf.for %[[R:.+]] = %[[B]] to %[[E]]
// CHECK: memref.store %{{.+}}, %[[OUT]][%[[R]]] : memref<32xf32>
// CHECK: case 1 {
// CHECK: arith.index_cast %[[SPOS]] : i64 to index
// CHECK: scf.for
func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
  %p = arith.index_cast %pos : i64 to index
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %out = memref.view %scratch[%c0][] : memref<?xi8> to memref<32xf32>
  %f = arith.constant 2.0 : f32
  scf.parallel (%r) = (%c0) to (%c32) step (%c1) {
    memref.store %f, %out[%r] : memref<32xf32>
    scf.reduce
  } loc("layer 0 ffn (dense): gate/up")
  scf.parallel (%h) = (%c0) to (%c4) step (%c1) {
    %i = arith.addi %h, %p : index
    memref.store %f, %out[%i] : memref<32xf32>
    scf.reduce
  }
  return
}

// -----

func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %out = memref.view %scratch[%c0][] : memref<?xi8> to memref<8xf32>
  // A value loaded in the step cannot be recomputed by a kernel.
  // expected-error @+1 {{convert-parallel-loops-to-thread-pool: a parallel loop uses this value, which a kernel cannot recompute from the ABI's arguments}}
  %v = memref.load %out[%c0] : memref<8xf32>
  scf.parallel (%r) = (%c0) to (%c8) step (%c1) {
    memref.store %v, %out[%r] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A load marked kernel-invariant (a count the step stored before the
// kernel) is read again in the kernel, from the kernel's own view.
// CHECK-LABEL: module attributes {sparsec.kernel_names = ["kernel 0"], sparsec.num_kernels = 1 : i64}
// CHECK: func.func @sparsec_run_range
// CHECK: %[[N:.+]] = memref.view %{{.+}}[%{{.+}}][] : memref<?xi8> to memref<1xi64>
// CHECK: %[[V:.+]] = memref.load %[[N]][%{{.+}}] {sparsec.kernel_invariant} : memref<1xi64>
// CHECK: %[[I:.+]] = arith.index_cast %[[V]] : i64 to index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[I]]
func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %out = memref.view %scratch[%c0][] : memref<?xi8> to memref<8xf32>
  %n = memref.view %scratch[%c64][] : memref<?xi8> to memref<1xi64>
  %v = memref.load %n[%c0] {sparsec.kernel_invariant} : memref<1xi64>
  %i = arith.index_cast %v : i64 to index
  %f = arith.constant 2.0 : f32
  scf.parallel (%r) = (%c0) to (%c8) step (%c1) {
    scf.for %k = %c0 to %i step %c1 {
      memref.store %f, %out[%r] : memref<8xf32>
    }
    scf.reduce
  }
  return
}

// -----

func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %p = arith.index_cast %pos : i64 to index
  // expected-error @+1 {{convert-parallel-loops-to-thread-pool: expected a 1-D loop over [0, n) with step 1 and a constant n}}
  scf.parallel (%r) = (%c0) to (%p) step (%c1) {
    scf.reduce
  }
  return
}

// RUN: sparsec-opt %s -split-input-file --sparsec-plan-scratch --verify-diagnostics | FileCheck %s

// Each temporary gets its own 64-byte aligned range of the scratch argument,
// in program order (16 x index = 128 bytes, 3 x f32 = 12 -> 64, 5 x i32).
// CHECK-LABEL: module attributes {sparsec.scratch_bytes = 256 : i64}
// CHECK: func.func @sparsec_decode_step
// CHECK-SAME: %[[SCRATCH:[^:]+]]: memref<?xi8>, %{{[^:]+}}: i32
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: memref.view %[[SCRATCH]][%[[C0]]][] : memref<?xi8> to memref<16xindex>
// CHECK: %[[C128:.+]] = arith.constant 128 : index
// CHECK: memref.view %[[SCRATCH]][%[[C128]]][] : memref<?xi8> to memref<3xf32>
// CHECK: %[[C192:.+]] = arith.constant 192 : index
// CHECK: memref.view %[[SCRATCH]][%[[C192]]][] : memref<?xi8> to memref<5xi32>
// CHECK-NOT: memref.alloc
func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xindex>
  %b = memref.alloc() {alignment = 64 : i64} : memref<3xf32>
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  memref.store %f, %b[%c0] : memref<3xf32>
  scf.execute_region {
    %c = memref.alloc() {alignment = 64 : i64} : memref<5xi32>
    scf.yield
  }
  return
}

// -----

// CHECK-LABEL: module attributes {sparsec.scratch_bytes = 64 : i64}
func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
  return
}

// -----

func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64, %n: index) {
  // expected-error @+1 {{sparsec-plan-scratch: only static, identity-layout temporaries can be planned, got 'memref<?xf32>'}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}

// -----

// expected-error @+1 {{sparsec-plan-scratch: no 'sparsec_decode_step' with the ABI's arguments; run convert-llm-to-loops first}}
module {
  func.func @sparsec_decode_step(%w: memref<?xi8>) {
    return
  }
}

// -----

// The prefill step is planned over the same scratch after its token buffer
// (4 x i32 -> 64 bytes): its temporaries start at 64, and the module's size
// is the larger of the two steps'.
// CHECK-LABEL: module attributes {sparsec.prefill_block = 4 : i64, sparsec.scratch_bytes = 576 : i64}
// CHECK: func.func @sparsec_decode_step
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: memref.view %{{.+}}[%[[C0]]][] : memref<?xi8> to memref<16xf32>
// CHECK: func.func @sparsec_prefill_step
// CHECK: %[[C64:.+]] = arith.constant 64 : index
// CHECK: memref.view %{{.+}}[%[[C64]]][] : memref<?xi8> to memref<128xf32>
// CHECK-NEXT: return
module attributes {sparsec.prefill_block = 4 : i64} {
  func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
    %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    return
  }
  func.func @sparsec_prefill_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
    %a = memref.alloc() {alignment = 64 : i64} : memref<128xf32>
    return
  }
}

// -----

// A prefill step needs the block size its token buffer is planned from.
module {
  func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
    return
  }
  // expected-error @+1 {{sparsec-plan-scratch: a prefill step without the module's 'sparsec.prefill_block'}}
  func.func @sparsec_prefill_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
    return
  }
}

// -----

// The prefill step reuses bytes: %a (256 bytes) is last used by the second
// op of the body, so %c, allocated after it, takes its place; %b is live
// across both and keeps its own. %n is read again by the kernels that use
// its loaded value (a kernel-invariant load): it lives as long as the value
// computed from it (the store into %d), so %d cannot take its bytes: %n
// goes where %a and %c were, %d after it.
// CHECK-LABEL: module attributes {sparsec.prefill_block = 4 : i64, sparsec.scratch_bytes = 384 : i64}
// CHECK: func.func @sparsec_prefill_step
// CHECK: %[[C64:.+]] = arith.constant 64 : index
// CHECK: %[[A:.+]] = memref.view %{{.+}}[%[[C64]]][] : memref<?xi8> to memref<64xf32>
// CHECK: %[[C320:.+]] = arith.constant 320 : index
// CHECK: %[[B:.+]] = memref.view %{{.+}}[%[[C320]]][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[C64_2:.+]] = arith.constant 64 : index
// CHECK: %[[C:.+]] = memref.view %{{.+}}[%[[C64_2]]][] : memref<?xi8> to memref<16xf32>
// CHECK: %[[C64_3:.+]] = arith.constant 64 : index
// CHECK: %[[N:.+]] = memref.view %{{.+}}[%[[C64_3]]][] : memref<?xi8> to memref<1xi64>
// CHECK: %[[C128:.+]] = arith.constant 128 : index
// CHECK: %[[D:.+]] = memref.view %{{.+}}[%[[C128]]][] : memref<?xi8> to memref<16xf32>
module attributes {sparsec.prefill_block = 4 : i64} {
  func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
    return
  }
  func.func @sparsec_prefill_step(%w: memref<?xi8>, %kv: memref<?xi8>, %l: memref<?xf32>, %s: memref<?xi32>, %scratch: memref<?xi8>, %tok: i32, %pos: i64) {
    %c0 = arith.constant 0 : index
    %f = arith.constant 1.0 : f32
    %a = memref.alloc() {alignment = 64 : i64} : memref<64xf32>
    %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    memref.store %f, %a[%c0] : memref<64xf32>
    %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    memref.store %f, %c[%c0] : memref<16xf32>
    %n = memref.alloc() {alignment = 64 : i64} : memref<1xi64>
    %v = memref.load %n[%c0] {sparsec.kernel_invariant} : memref<1xi64>
    %i = arith.index_cast %v : i64 to index
    %d = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    memref.store %f, %d[%i] : memref<16xf32>
    memref.store %f, %b[%c0] : memref<16xf32>
    return
  }
}

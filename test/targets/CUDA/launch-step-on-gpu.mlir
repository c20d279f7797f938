// RUN: sparsec-opt %s -split-input-file --sparsec-launch-step-on-gpu --verify-diagnostics | FileCheck %s

// A serial reduction, then a parallel loop that reads its result: the view
// and the constants stay on the host; the reduction runs on one thread and
// leaves its scalar in a slot after the 128 planned scratch bytes; the loop
// runs as 2 blocks of 128 threads (200 iterations), the last block's extra
// threads skip the body; the slot grows the scratch to 136 bytes.
// CHECK-LABEL: module attributes {sparsec.scratch_bytes = 136 : i64}
// CHECK: func.func @sparsec_decode_step(%[[W:[a-z0-9]+]]: memref<?xi8>, %{{[a-z0-9]+}}: memref<?xi8>, %{{[a-z0-9]+}}: memref<?xf32>, %{{[a-z0-9]+}}: memref<?xi32>, %[[SCRATCH:[a-z0-9]+]]: memref<?xi8>
// CHECK: %[[X:.+]] = memref.view %[[W]]
// CHECK: gpu.launch blocks(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}) threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}}, %{{.+}} = %c1{{.*}})
// CHECK: %[[SUM:.+]] = scf.for
// CHECK: %[[SLOT:.+]] = memref.view %[[SCRATCH]][%c128{{.*}}][] : memref<?xi8> to memref<1xf32>
// CHECK: memref.store %[[SUM]], %[[SLOT]][%{{.+}}] : memref<1xf32>
// CHECK: gpu.terminator
// CHECK: gpu.launch blocks(%[[BX:[^,]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c2{{.*}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) threads(%[[TX:[^,]+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c128{{.*}}, %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}})
// CHECK: %[[IN:.+]] = memref.view %[[SCRATCH]][%c128{{.*}}][] : memref<?xi8> to memref<1xf32>
// CHECK: %[[S:.+]] = memref.load %[[IN]]
// CHECK: %[[MUL:.+]] = arith.muli %[[BX]], %c128
// CHECK: %[[I:.+]] = arith.addi %[[MUL]], %[[TX]]
// CHECK: %[[OK:.+]] = arith.cmpi ult, %[[I]], %c200
// CHECK: scf.if %[[OK]] {
// CHECK: arith.mulf %{{.+}}, %[[S]]
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
// CHECK: return
module attributes {sparsec.scratch_bytes = 128 : i64} {
  func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %logits: memref<?xf32>, %stats: memref<?xi32>, %scratch: memref<?xi8>, %token: i32, %pos: i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c200 = arith.constant 200 : index
    %zero = arith.constant 0.0 : f32
    %x = memref.view %w[%c0][] : memref<?xi8> to memref<200xf32>
    %sum = scf.for %i = %c0 to %c200 step %c1 iter_args(%a = %zero) -> (f32) {
      %v = memref.load %x[%i] : memref<200xf32>
      %s = arith.addf %a, %v : f32
      scf.yield %s : f32
    }
    scf.parallel (%i) = (%c0) to (%c200) step (%c1) {
      %v = memref.load %x[%i] : memref<200xf32>
      %y = arith.mulf %v, %sum : f32
      memref.store %y, %logits[%i] : memref<?xf32>
      scf.reduce
    }
    return
  }
}

// -----

// A parallel loop nested in serial code (an MoE expert's loop under a
// switch) runs in order on the one thread, as an scf.for.
// CHECK-LABEL: module attributes {sparsec.scratch_bytes = 64 : i64}
// CHECK: gpu.launch
// CHECK: scf.index_switch
// CHECK: scf.for
// CHECK-NOT: scf.parallel
module attributes {sparsec.scratch_bytes = 64 : i64} {
  func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %logits: memref<?xf32>, %stats: memref<?xi32>, %scratch: memref<?xi8>, %token: i32, %pos: i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %e = memref.load %stats[%c0] : memref<?xi32>
    %ei = arith.index_cast %e : i32 to index
    scf.index_switch %ei
    case 0 {
      scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
        %f = arith.constant 1.0 : f32
        memref.store %f, %logits[%i] : memref<?xf32>
        scf.reduce
      }
      scf.yield
    }
    default {
    }
    return
  }
}

// -----

// expected-error @+1 {{sparsec-launch-step-on-gpu: no 'sparsec_decode_step' with the ABI's arguments; run convert-llm-to-loops first}}
module {
  func.func @other() {
    return
  }
}

// -----

// A memref computed in one kernel and used by another cannot be passed.
module attributes {sparsec.scratch_bytes = 64 : i64} {
  func.func @sparsec_decode_step(%w: memref<?xi8>, %kv: memref<?xi8>, %logits: memref<?xf32>, %stats: memref<?xi32>, %scratch: memref<?xi8>, %token: i32, %pos: i64) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %n = memref.load %stats[%c0] : memref<?xi32>
    %ni = arith.index_cast %n : i32 to index
    // expected-error @+1 {{sparsec-launch-step-on-gpu: a value of type 'memref<8xf32, strided<[1], offset: ?>>' is used by a later kernel; only scalars can be passed between kernels}}
    %sub = memref.subview %logits[%ni] [8] [1] : memref<?xf32> to memref<8xf32, strided<[1], offset: ?>>
    scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
      %f = arith.constant 1.0 : f32
      memref.store %f, %sub[%i] : memref<8xf32, strided<[1], offset: ?>>
      scf.reduce
    }
    return
  }
}

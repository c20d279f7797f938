// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func private @sets
// CHECK-SAME: (!sfn.active_set<14336>, !sfn.active_set<1>) -> !sfn.active_set<256>
func.func private @sets(!sfn.active_set<14336>, !sfn.active_set<1>) -> !sfn.active_set<256>

// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{active_set expects a positive universe, got 0}}
func.func private @empty_universe(!sfn.active_set<0>)

// -----

// expected-error @+1 {{active_set expects a positive universe, got -4}}
func.func private @negative_universe(!sfn.active_set<-4>)

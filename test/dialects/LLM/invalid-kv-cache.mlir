// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{kv_cache expects positive layers, max_len, kv_heads and head_dim, got 2, 0, 8, 128}}
func.func private @zero_length(!llm.kv_cache<layers = 2, max_len = 0, kv_heads = 8, head_dim = 128, f16>)

// -----

// expected-error @+1 {{kv_cache expects an f32, f16 or bf16 element type, got 'i8'}}
func.func private @int_cache(!llm.kv_cache<layers = 2, max_len = 16, kv_heads = 8, head_dim = 128, i8>)

// -----

// expected-error @+1 {{expected 'layers'}}
func.func private @positional(!llm.kv_cache<2, 16, 8, 128, f16>)

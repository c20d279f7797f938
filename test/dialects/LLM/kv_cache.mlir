// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// CHECK-LABEL: func.func private @cache_types
// CHECK-SAME: !llm.kv_cache<layers = 32, max_len = 32768, kv_heads = 8, head_dim = 128, f16>
// CHECK-SAME: !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 1, head_dim = 4, bf16>
// CHECK-SAME: !llm.kv_cache<layers = 1, max_len = 1, kv_heads = 1, head_dim = 2, f32>
func.func private @cache_types(!llm.kv_cache<layers = 32, max_len = 32768, kv_heads = 8, head_dim = 128, f16>,
                               !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 1, head_dim = 4, bf16>,
                               !llm.kv_cache<layers = 1, max_len = 1, kv_heads = 1, head_dim = 2, f32>)

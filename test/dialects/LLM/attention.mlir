// RUN: sparsec-opt %s -split-input-file | FileCheck %s
// RUN: sparsec-opt %s -split-input-file -mlir-print-op-generic | sparsec-opt -split-input-file | FileCheck %s

// Mistral-7B shape: 32 query heads share 8 KV heads of 128.
// CHECK-LABEL: func.func @gqa
func.func @gqa(%q: tensor<4096xf32>, %k: tensor<1024xf32>, %v: tensor<1024xf32>, %pos: index,
               %cache: !llm.kv_cache<layers = 32, max_len = 4096, kv_heads = 8, head_dim = 128, f16>) -> tensor<4096xf32> {
  // CHECK: llm.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {layer = 31 : i64, num_heads = 32 : i64}
  // CHECK-SAME: : tensor<4096xf32>, tensor<1024xf32>, tensor<1024xf32>, !llm.kv_cache<layers = 32, max_len = 4096, kv_heads = 8, head_dim = 128, f16>
  %o = llm.attention %q, %k, %v, %pos, %cache {layer = 31 : i64, num_heads = 32 : i64}
      : tensor<4096xf32>, tensor<1024xf32>, tensor<1024xf32>, !llm.kv_cache<layers = 32, max_len = 4096, kv_heads = 8, head_dim = 128, f16>
  return %o : tensor<4096xf32>
}

// -----

// Multi-head attention (kv_heads == num_heads) with an f32 cache.
// CHECK-LABEL: func.func @mha
func.func @mha(%q: tensor<64xf32>, %pos: index,
               %cache: !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 4, head_dim = 16, f32>) -> tensor<64xf32> {
  // CHECK: llm.attention {{.*}} {layer = 0 : i64, num_heads = 4 : i64}
  %o = llm.attention %q, %q, %q, %pos, %cache {layer = 0 : i64, num_heads = 4 : i64}
      : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, !llm.kv_cache<layers = 1, max_len = 16, kv_heads = 4, head_dim = 16, f32>
  return %o : tensor<64xf32>
}

// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

!cache = !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 16, f16>

func.func @heads_not_multiple_of_kv_heads(%q: tensor<48xf32>, %k: tensor<32xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'llm.attention' op expects num_heads (3) to be a multiple of the cache's kv_heads (2)}}
  %o = llm.attention %q, %k, %k, %pos, %c {layer = 0 : i64, num_heads = 3 : i64} : tensor<48xf32>, tensor<32xf32>, tensor<32xf32>, !cache
  return
}

// -----

!cache = !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 16, f16>

func.func @layer_out_of_range(%q: tensor<64xf32>, %k: tensor<32xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'llm.attention' op expects layer < 2 (the cache's layers), got 2}}
  %o = llm.attention %q, %k, %k, %pos, %c {layer = 2 : i64, num_heads = 4 : i64} : tensor<64xf32>, tensor<32xf32>, tensor<32xf32>, !cache
  return
}

// -----

!cache = !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 16, f16>

func.func @key_size(%q: tensor<64xf32>, %k: tensor<64xf32>, %v: tensor<32xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'llm.attention' op expects key of shape [32], got [64]}}
  %o = llm.attention %q, %k, %v, %pos, %c {layer = 0 : i64, num_heads = 4 : i64} : tensor<64xf32>, tensor<64xf32>, tensor<32xf32>, !cache
  return
}

// -----

!cache = !llm.kv_cache<layers = 2, max_len = 16, kv_heads = 2, head_dim = 16, f16>

func.func @query_size(%q: tensor<48xf32>, %k: tensor<32xf32>, %pos: index, %c: !cache) {
  // expected-error @+1 {{'llm.attention' op expects query of shape [64], got [48]}}
  %o = llm.attention %q, %k, %k, %pos, %c {layer = 0 : i64, num_heads = 4 : i64} : tensor<48xf32>, tensor<32xf32>, tensor<32xf32>, !cache
  return
}

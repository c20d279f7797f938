// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

func.func @wrong_hidden(%tok: i32) {
  %t = llm.param "model.embed_tokens.weight" : tensor<100x64xf16>
  // expected-error @+1 {{'llm.embed' op expects result of shape [64], got [32]}}
  %h = llm.embed %t[%tok] : tensor<100x64xf16> -> tensor<32xf32>
  return
}

// -----

func.func @table_not_2d(%tok: i32) {
  %t = llm.param "model.embed_tokens.weight" : tensor<6400xf16>
  // expected-error @+1 {{'llm.embed' op expects a [vocab, hidden] table, got 'tensor<6400xf16>'}}
  %h = llm.embed %t[%tok] : tensor<6400xf16> -> tensor<64xf32>
  return
}

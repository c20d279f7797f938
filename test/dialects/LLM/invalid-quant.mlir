// RUN: sparsec-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'llm.param' op expects 'w' quantized as '!llm.quant<q4_0>' to be a matrix with rows of whole blocks (a multiple of 32 weights), got 'tensor<4x48x!llm.quant<q4_0>>'}}
%w = llm.param "w" : tensor<4x48x!llm.quant<q4_0>>

// -----

// expected-error @+1 {{'llm.param' op expects 'v' quantized as '!llm.quant<q8_0>' to be a matrix}}
%v = llm.param "v" : tensor<64x!llm.quant<q8_0>>

// -----

// expected-error @+2 {{expected ::mlir::sparsec::llm::QuantFormat to be one of: q8_0, q4_0, q4_1, q4_k, q6_k}}
// expected-error @+1 {{failed to parse LLM_QuantType parameter 'format'}}
%u = llm.param "u" : tensor<4x32x!llm.quant<q3_k>>

// -----

// expected-error @+1 {{'sfn.bundle_param' op expects 'b' quantized as '!llm.quant<q4_1>' to be a matrix with rows of whole blocks}}
%b = sfn.bundle_param "b" sources ["g", "u"] transposed [] : tensor<8x2x40x!llm.quant<q4_1>>

// -----

// expected-error @+1 {{'llm.param' op expects 'k' quantized as '!llm.quant<q4_k>' to be a matrix with rows of whole blocks (a multiple of 256 weights), got 'tensor<4x288x!llm.quant<q4_k>>'}}
%k = llm.param "k" : tensor<4x288x!llm.quant<q4_k>>

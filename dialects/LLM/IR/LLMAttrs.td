//===- LLMAttrs.td - llm dialect attributes ----------------*- tablegen -*-===//

#ifndef SPARSEC_LLM_ATTRS_TD
#define SPARSEC_LLM_ATTRS_TD

include "dialects/LLM/IR/LLMBase.td"
include "mlir/IR/EnumAttr.td"

/// The FFN activation. Every FFN is gated (gate, up and down weights):
///   drelu:  relu(x Wg) * relu(x Wu)      (TurboSparse dReLU)
///   relu:   relu(x Wg) * (x Wu)          (ReGLU, ReLU-fied LLaMA)
///   relu2:  relu(x Wg)^2 * (x Wu)        (squared ReLU)
///   swiglu: silu(x Wg) * (x Wu)          (Llama, Mistral, Mixtral)
///   gelu:   gelu(x Wg) * (x Wu)          (GeGLU, tanh approximation)
def LLM_Activation : I32EnumAttr<"Activation", "FFN activation function", [
    I32EnumAttrCase<"DReLU", 0, "drelu">,
    I32EnumAttrCase<"ReLU", 1, "relu">,
    I32EnumAttrCase<"SquaredReLU", 2, "relu2">,
    I32EnumAttrCase<"SwiGLU", 3, "swiglu">,
    I32EnumAttrCase<"GELU", 4, "gelu">
  ]> {
  let cppNamespace = "::mlir::sparsec::llm";
  let genSpecializedAttr = 0;
}

def LLM_ActivationAttr : EnumAttr<LLM_Dialect, LLM_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

/// Block-quantized weight formats, with ggml's block layouts (so a GGUF
/// file's blocks are used as they are stored). Each row of a quantized
/// matrix is a sequence of blocks along its last dimension:
///   q8_0: 32 weights in 34 bytes: f16 d; i8 q[32]           w = d * q
///   q4_0: 32 weights in 18 bytes: f16 d; u8 qs[16]          w = d * (q - 8)
///   q4_1: 32 weights in 20 bytes: f16 d, m; u8 qs[16]       w = d * q + m
/// In the 4-bit formats byte j of qs holds weight j in its low nibble and
/// weight j + 16 in its high nibble. A q4_0 row of an even number of blocks
/// is packed in pairs (QuantType::hasPairedBlocks): d_a, d_b, qs_a, qs_b
/// (36 bytes), the same values with the scales moved together.
/// The k-quants are super-blocks of 256 weights:
///   q4_k: 256 weights in 144 bytes: f16 d, dmin; u8 scales[12]; u8 qs[128]
///         eight sub-blocks of 32, each with a 6-bit scale s_j and min m_j
///         packed in `scales`; w = d * s_j * q - dmin * m_j. Sub-blocks 2p
///         and 2p + 1 share qs[32p, 32p + 32): low nibbles, then high.
///   q6_k: 256 weights in 210 bytes: u8 ql[128], qh[64]; i8 scales[16]; f16 d
///         sixteen sub-blocks of 16, w = d * scales[i / 16] * (q - 32), q of
///         6 bits: 4 in ql, 2 in qh (ggml's interleaving).
def LLM_QuantFormat : I32EnumAttr<"QuantFormat", "block-quantized weight format", [
    I32EnumAttrCase<"Q8_0", 0, "q8_0">,
    I32EnumAttrCase<"Q4_0", 1, "q4_0">,
    I32EnumAttrCase<"Q4_1", 2, "q4_1">,
    I32EnumAttrCase<"Q4_K", 3, "q4_k">,
    I32EnumAttrCase<"Q6_K", 4, "q6_k">
  ]> {
  let cppNamespace = "::mlir::sparsec::llm";
  let genSpecializedAttr = 0;
}

#endif // SPARSEC_LLM_ATTRS_TD

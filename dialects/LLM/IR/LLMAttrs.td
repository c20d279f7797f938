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

#endif // SPARSEC_LLM_ATTRS_TD

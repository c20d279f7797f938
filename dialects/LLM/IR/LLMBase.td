//===- LLMBase.td - llm dialect definition -----------------*- tablegen -*-===//
//
// The `llm` dialect is the model-level graph that importers produce: one
// decode step of a transformer over a single token (see docs/decode-step.md).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_LLM_BASE_TD
#define SPARSEC_LLM_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def LLM_Dialect : Dialect {
  let name = "llm";
  let cppNamespace = "::mlir::sparsec::llm";
  let summary = "Model-level graph of a decoder-only LLM, one decode step";
  let description = [{
    What a model computes, at the granularity importers see it: embedding,
    RMSNorm, rotary embedding, grouped-query attention over a KV cache, FFN
    blocks (with their activation and optional activation predictor), MoE
    blocks and the LM head. Weights are never inline constants: `llm.param`
    names a tensor in an external weights file. Activations are 1-D `f32`
    tensors; weights are `f32`, `f16` or `bf16` tensors in the Hugging Face
    layout (`[out_features, in_features]`), or block-quantized (`!llm.quant`).
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
}

class LLM_Op<string mnemonic, list<Trait> traits = []>
    : Op<LLM_Dialect, mnemonic, traits>;

class LLM_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<LLM_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

/// A 1-D f32 activation vector (hidden state, logits, q/k/v of one token).
def LLM_Vector : 1DTensorOf<[F32]>;

/// A weight tensor as stored in a checkpoint, or block-quantized
/// (`!llm.quant`, defined in LLMTypes.td).
def LLM_QuantElement : Type<CPred<"::llvm::isa<::mlir::sparsec::llm::QuantType>($_self)">,
                            "block-quantized weight", "::mlir::sparsec::llm::QuantType">;
def LLM_Weight : RankedTensorOf<[F32, F16, BF16, LLM_QuantElement]>;

#endif // SPARSEC_LLM_BASE_TD

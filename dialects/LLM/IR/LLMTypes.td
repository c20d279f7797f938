//===- LLMTypes.td - llm dialect types ---------------------*- tablegen -*-===//

#ifndef SPARSEC_LLM_TYPES_TD
#define SPARSEC_LLM_TYPES_TD

include "dialects/LLM/IR/LLMBase.td"

def LLM_KVCacheType : LLM_Type<"KVCache", "kv_cache"> {
  let summary = "KV cache of fixed maximum length for every layer of a model";
  let description = [{
    The keys and values of all previous positions, for `layers` attention
    layers, up to `max_len` positions, `kv_heads` heads of `head_dim`
    elements, stored as the element type. A value of this type is a
    reference to runtime-owned state: `llm.attention` writes the current
    token's K/V at `pos` and reads positions `0..pos`.

    ```mlir
    !llm.kv_cache<layers = 32, max_len = 4096, kv_heads = 8, head_dim = 128, f16>
    ```
  }];
  let parameters = (ins "unsigned":$numLayers, "unsigned":$maxLen,
                        "unsigned":$numKvHeads, "unsigned":$headDim,
                        "::mlir::Type":$elementType);
  let assemblyFormat = [{
    `<` `layers` `=` $numLayers `,` `max_len` `=` $maxLen `,`
        `kv_heads` `=` $numKvHeads `,` `head_dim` `=` $headDim `,`
        $elementType `>`
  }];
  let genVerifyDecl = 1;
}

#endif // SPARSEC_LLM_TYPES_TD

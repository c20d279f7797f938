//===- LLMTypes.td - llm dialect types ---------------------*- tablegen -*-===//

#ifndef SPARSEC_LLM_TYPES_TD
#define SPARSEC_LLM_TYPES_TD

include "dialects/LLM/IR/LLMBase.td"
include "dialects/LLM/IR/LLMAttrs.td"
include "mlir/IR/EnumAttr.td"

def LLM_KVCacheType : LLM_Type<"KVCache", "kv_cache"> {
  let summary = "KV cache of fixed maximum length for every layer of a model";
  let description = [{
    The keys and values of all previous positions, for `layers` attention
    layers, up to `max_len` positions, `kv_heads` heads of `head_dim`
    elements, stored as the element type. A value of this type is a
    reference to runtime-owned state: `llm.attention` writes the current
    token's K/V at `pos` and reads positions `0..pos`.

    With a sliding `window` W (Mistral's attention), a position attends to
    the last W positions only (itself included): `pos - W + 1 .. pos`. When
    W < max_len the cache is a ring of W slots (position p in slot p mod W);
    a window of 0, or one covering max_len, changes nothing.

    ```mlir
    !llm.kv_cache<layers = 32, max_len = 4096, kv_heads = 8, head_dim = 128, f16>
    !llm.kv_cache<layers = 32, max_len = 32768, kv_heads = 8, head_dim = 128, bf16, window = 4096>
    ```
  }];
  let parameters = (ins "unsigned":$numLayers, "unsigned":$maxLen,
                        "unsigned":$numKvHeads, "unsigned":$headDim,
                        "::mlir::Type":$elementType,
                        DefaultValuedParameter<"unsigned", "0">:$window);
  let assemblyFormat = [{
    `<` `layers` `=` $numLayers `,` `max_len` `=` $maxLen `,`
        `kv_heads` `=` $numKvHeads `,` `head_dim` `=` $headDim `,`
        $elementType (`,` `window` `=` $window^)? `>`
  }];
  let builders = [
    TypeBuilder<(ins "unsigned":$numLayers, "unsigned":$maxLen,
                     "unsigned":$numKvHeads, "unsigned":$headDim,
                     "::mlir::Type":$elementType), [{
      return $_get($_ctxt, numLayers, maxLen, numKvHeads, headDim,
                   elementType, 0);
    }]>
  ];
  let extraClassDeclaration = [{
    /// Positions the cache stores per layer: the window when it is a ring,
    /// else max_len.
    unsigned getNumSlots() const {
      return getWindow() != 0 && getWindow() < getMaxLen() ? getWindow()
                                                           : getMaxLen();
    }
    /// True when the cache is a ring of `window` slots.
    bool isRing() const { return getNumSlots() < getMaxLen(); }
  }];
  let genVerifyDecl = 1;
}

def LLM_QuantType : LLM_Type<"Quant", "quant"> {
  let summary = "A block-quantized weight (the element type of its tensor)";
  let description = [{
    The element type of a weight stored in blocks of `format`
    (`QuantFormat`): the tensor keeps its logical shape, while its storage is
    one sequence of blocks per row along the last dimension, which must be a
    multiple of the block size. Kernels read the blocks and compute in f32.

    ```mlir
    %w = llm.param "model.layers.0.mlp.gate_proj.weight" : tensor<14336x4096x!llm.quant<q4_0>>
    ```
  }];
  let parameters = (ins EnumParameter<LLM_QuantFormat>:$format);
  let assemblyFormat = "`<` $format `>`";
  let extraClassDeclaration = [{
    /// Weights per block (32; 256 for the k-quants' super-blocks).
    int64_t getBlockSize() const;
    /// True for the k-quants (q4_k, q6_k): super-blocks of 256 weights with
    /// a scale per sub-block of 32 (q4_k, also a min) or 16 (q6_k).
    bool isSuperBlock() const;
    /// Bytes per block.
    int64_t getBlockBytes() const;
    /// True when rows of `rowLength` weights store their blocks in pairs
    /// (q4_0 with an even number of blocks per row): the two f16 scales,
    /// then the two blocks' 16 bytes of nibbles, 36 bytes per pair, so that
    /// one 32-byte load holds 64 weights' levels.
    bool hasPairedBlocks(int64_t rowLength) const;
  }];
}

#endif // SPARSEC_LLM_TYPES_TD

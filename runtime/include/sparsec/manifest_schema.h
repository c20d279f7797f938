/*===- manifest_schema.h - the keys of OUT/manifest.json ----------*- C -*-===//
 *
 * Standalone (stdint only), like kernel_abi.h: the compiler writes
 * OUT/manifest.json with these keys (buildManifest in
 * compiler/Driver/CompileModel.cpp) and the runtime reads it with them
 * (runtime/formats/src/manifest.cpp, sparsec::Manifest::parse). Change it as
 * a schema: the manifest has no version number of its own, a key added,
 * removed or given another meaning is a change of the kernel ABI (bump
 * SPARSEC_KERNEL_ABI_VERSION in kernel_abi.h, written as "abi_version").
 * Keys the runtime does not know are ignored; integers are JSON integers.
 * docs/runtime.md shows an example file and the exact rules.
 *
 * Top level (a JSON object):
 *   format                 SPARSEC_MANIFEST_FORMAT, exactly
 *   abi_version            SPARSEC_KERNEL_ABI_VERSION the step was compiled
 *                          against (kernel_abi.h)
 *   layout_version         SPARSEC_WEIGHTS_LAYOUT_VERSION of the packed
 *                          weights (weights_layout.h)
 *   model_name             non-empty string (shown by --bench)
 *   architecture           non-empty string, the checkpoint's architecture
 *   target                 non-empty string, the target the step was
 *                          compiled for
 *   source_hash            16 hex digits; equals the weights file's
 *                          SPARSEC_METADATA_SOURCE_HASH
 *   weights_file           the packed weights' file name in OUT/ (no '/'),
 *                          SPARSEC_MANIFEST_WEIGHTS_FILE_NAME as written
 *   vocab_size             integer in [1, 2^24]
 *   hidden_size            integer in [1, 2^31 - 1]
 *   num_layers             integer in [1, 2^31 - 1]
 *   max_len                integer in [1, 2^31 - 1], positions per session
 *   kv_cache_bytes         non-negative integer, the KV cache's size
 *   other_bytes_per_token  non-negative integer: weight bytes a step reads
 *                          outside the FFNs listed in "ffns"
 *   scratch_bytes          optional (ABI 2 on) non-negative integer, the
 *                          step's scratch buffer; absent: 0
 *   prefill_block          optional integer in [0, 4096], tokens per call
 *                          of the prefill step; absent: 0 (none)
 *   tensors                array of tensor entries, in data order
 *   ffns                   array of FFN entries, in the order of the step's
 *                          stats
 *   tokenizer              object, the tokenizer section
 *
 * A tensor entry (an object), one packed tensor of the weights file:
 *   name                   non-empty string, unique
 *   dtype                  safetensors dtype name (F32, F16, BF16, ...)
 *   shape                  array of non-negative integers
 *   offset                 non-negative integer, relative to the weights
 *                          file's data section
 *   nbytes                 dtype size x product of shape
 *
 * An FFN entry (an object), one sparse FFN or MoE expert:
 *   layer                  integer in [0, num_layers)
 *   expert                 -1 (no MoE) or the expert's index
 *   neurons                positive integer
 *   mode                   SPARSEC_MANIFEST_FFN_MODE_* (the sfn dialect's
 *                          SparseMode names)
 *   fixed_bytes            non-negative integer: bytes read whenever it runs
 *   row_bytes              non-negative integer: bytes read per neuron
 *
 * The tokenizer section:
 *   type                   SPARSEC_MANIFEST_TOKENIZER_BYTE or _HF
 *   file                   "hf" only: the tokenizer.json's file name in OUT/
 *   bos_id                 optional id every prompt starts with
 *   eos_ids                optional array of ids that end generation
 *   chat_template          optional chat format name (chatml, llama2, ...)
 *   chat_default_system    optional system message the model's template
 *                          adds when a conversation has none
 *===----------------------------------------------------------------------===*/

#ifndef SPARSEC_MANIFEST_SCHEMA_H
#define SPARSEC_MANIFEST_SCHEMA_H

#include <stdint.h>

/* The file and its identity. */
#define SPARSEC_MANIFEST_FILE_NAME "manifest.json"
#define SPARSEC_MANIFEST_FORMAT "sparsec-manifest"

/* Top-level keys. */
#define SPARSEC_MANIFEST_KEY_FORMAT "format"
#define SPARSEC_MANIFEST_KEY_ABI_VERSION "abi_version"
#define SPARSEC_MANIFEST_KEY_LAYOUT_VERSION "layout_version"
#define SPARSEC_MANIFEST_KEY_MODEL_NAME "model_name"
#define SPARSEC_MANIFEST_KEY_ARCHITECTURE "architecture"
#define SPARSEC_MANIFEST_KEY_TARGET "target"
#define SPARSEC_MANIFEST_KEY_SOURCE_HASH "source_hash"
#define SPARSEC_MANIFEST_KEY_WEIGHTS_FILE "weights_file"
#define SPARSEC_MANIFEST_KEY_VOCAB_SIZE "vocab_size"
#define SPARSEC_MANIFEST_KEY_HIDDEN_SIZE "hidden_size"
#define SPARSEC_MANIFEST_KEY_NUM_LAYERS "num_layers"
#define SPARSEC_MANIFEST_KEY_MAX_LEN "max_len"
#define SPARSEC_MANIFEST_KEY_KV_CACHE_BYTES "kv_cache_bytes"
/* Optional: positions the KV cache holds (a sliding window's ring is
 * smaller than max_len; absent: max_len). kv_cache_bytes is a multiple. */
#define SPARSEC_MANIFEST_KEY_KV_CACHE_SLOTS "kv_cache_slots"
#define SPARSEC_MANIFEST_KEY_OTHER_BYTES_PER_TOKEN "other_bytes_per_token"
#define SPARSEC_MANIFEST_KEY_SCRATCH_BYTES "scratch_bytes"
/* Optional: tokens per call of the generated prefill step
 * (sparsec_prefill_step, kernel_abi.h), which reads them from the start of
 * scratch; absent or 0: the executable has none and prompts run token by
 * token. Part of the step facts' hash when present. */
#define SPARSEC_MANIFEST_KEY_PREFILL_BLOCK "prefill_block"
#define SPARSEC_MANIFEST_KEY_TENSORS "tensors"
#define SPARSEC_MANIFEST_KEY_FFNS "ffns"
/* Optional: the names of the step's kernels (its thread-pool loops), in
 * kernel order, for --profile. */
#define SPARSEC_MANIFEST_KEY_KERNELS "kernels"
#define SPARSEC_MANIFEST_KEY_TOKENIZER "tokenizer"
/* Optional (sparsec compile --record-activations): per-token vectors the
 * step leaves in scratch, each an entry of "ffn" (index into "ffns"),
 * "kind" (input: the FFN's input; gate: act(gate x) per neuron;
 * activation: the value each neuron feeds the down projection), "offset"
 * (bytes into scratch) and "count" (f32 elements). */
#define SPARSEC_MANIFEST_KEY_RECORDS "records"
#define SPARSEC_MANIFEST_RECORD_KEY_FFN "ffn"
#define SPARSEC_MANIFEST_RECORD_KEY_KIND "kind"
#define SPARSEC_MANIFEST_RECORD_KEY_OFFSET "offset"
#define SPARSEC_MANIFEST_RECORD_KEY_COUNT "count"

/* The file name the compiler gives the packed weights ("weights_file"). */
#define SPARSEC_MANIFEST_WEIGHTS_FILE_NAME "weights.safetensors"

/* Keys of a "tensors" entry. */
#define SPARSEC_MANIFEST_TENSOR_KEY_NAME "name"
#define SPARSEC_MANIFEST_TENSOR_KEY_DTYPE "dtype"
#define SPARSEC_MANIFEST_TENSOR_KEY_SHAPE "shape"
#define SPARSEC_MANIFEST_TENSOR_KEY_OFFSET "offset"
#define SPARSEC_MANIFEST_TENSOR_KEY_NBYTES "nbytes"

/* Keys of an "ffns" entry, and the values of its "mode". */
#define SPARSEC_MANIFEST_FFN_KEY_LAYER "layer"
#define SPARSEC_MANIFEST_FFN_KEY_EXPERT "expert"
#define SPARSEC_MANIFEST_FFN_KEY_NEURONS "neurons"
#define SPARSEC_MANIFEST_FFN_KEY_MODE "mode"
#define SPARSEC_MANIFEST_FFN_KEY_FIXED_BYTES "fixed_bytes"
#define SPARSEC_MANIFEST_FFN_KEY_ROW_BYTES "row_bytes"
#define SPARSEC_MANIFEST_FFN_MODE_DENSE "dense"
#define SPARSEC_MANIFEST_FFN_MODE_EXACT "exact"
#define SPARSEC_MANIFEST_FFN_MODE_PREDICTED "predicted"
#define SPARSEC_MANIFEST_FFN_MODE_THRESHOLD "threshold"
/* "expert" of an FFN outside an MoE. */
#define SPARSEC_MANIFEST_FFN_NO_EXPERT ((int64_t)-1)

/* Keys of the "tokenizer" section, and the values of its "type". */
#define SPARSEC_MANIFEST_TOKENIZER_KEY_TYPE "type"
#define SPARSEC_MANIFEST_TOKENIZER_KEY_FILE "file"
#define SPARSEC_MANIFEST_TOKENIZER_KEY_BOS_ID "bos_id"
#define SPARSEC_MANIFEST_TOKENIZER_KEY_EOS_IDS "eos_ids"
#define SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_TEMPLATE "chat_template"
#define SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_DEFAULT_SYSTEM "chat_default_system"
/* One token per byte (needs vocab_size >= 256). */
#define SPARSEC_MANIFEST_TOKENIZER_BYTE "byte"
/* A Hugging Face tokenizer.json, named by "file". */
#define SPARSEC_MANIFEST_TOKENIZER_HF "hf"

#endif /* SPARSEC_MANIFEST_SCHEMA_H */

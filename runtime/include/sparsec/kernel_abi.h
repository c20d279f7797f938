/*===- kernel_abi.h - generated decode step <-> runtime ABI -------*- C -*-===//
 *
 * Standalone (stdint only) and versioned: the compiler's lowering emits code
 * against it and the runtime calls that code through it. Change it as a
 * schema: bump SPARSEC_KERNEL_ABI_VERSION (manifest_schema.h, the keys of
 * manifest.json, is versioned by it too).
 *
 * The compiled model exports one function, `sparsec_decode_step`, through
 * MLIR's C interface (`_mlir_ciface_` prefix): every buffer argument is a
 * pointer to a rank-1 strided memref descriptor.
 *
 *   weights  the packed weights file's data section (bytes after the
 *            safetensors header), mapped read-only; the generated code
 *            reads tensor i at manifest offset i
 *   kv_cache the KV cache, manifest "kv_cache_bytes" bytes, zeroed at start
 *   logits   `vocab` floats, written by the step
 *   stats    one int32 per sparse FFN (manifest "ffns"): the number of
 *            neurons the step computed for it (0 when an MoE expert did not
 *            run), for --bench's realized density; zeroed by the runtime
 *   scratch  manifest "scratch_bytes" bytes, 64-byte aligned: activations
 *            and temporaries, at offsets the compiler chose
 *   token    the token id
 *   pos      its position, 0 <= pos < max_len
 *
 * Threads: the step runs on the caller's thread and, for each data-parallel
 * loop, calls the runtime's sparsec_parallel_for(kernel, n). The runtime
 * splits [0, n) into ranges and runs, on its threads,
 * sparsec_run_range(<the step's arguments>, kernel, begin, end). Kernels
 * write disjoint outputs (or per-chunk partial sums the step adds in a fixed
 * order), so results do not depend on the number of threads.
 *===----------------------------------------------------------------------===*/

#ifndef SPARSEC_KERNEL_ABI_H
#define SPARSEC_KERNEL_ABI_H

#include <stdint.h>

#define SPARSEC_KERNEL_ABI_VERSION 3

#ifdef __cplusplus
extern "C" {
#endif

/* MLIR's rank-1 memref descriptor. */
typedef struct sparsec_memref1d {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t size;
  int64_t stride;
} sparsec_memref1d;

/* Symbol exported by the generated object. */
#define SPARSEC_DECODE_STEP_SYMBOL "_mlir_ciface_sparsec_decode_step"
/* Returns SPARSEC_KERNEL_ABI_VERSION of the code it was compiled against. */
#define SPARSEC_ABI_VERSION_SYMBOL "sparsec_kernel_abi_version"

/* What the step was compiled for (ABI 3): a constant int64 array exported as
 * `sparsec_step_info`. The runtime refuses a manifest that disagrees with it
 * before any buffer is sized from the manifest or any step runs, so an
 * executable never runs over another model's files. The facts hash is
 * FNV-1a 64 over the manifest's tensors, FFNs and sizes in a canonical form
 * (sparsec/formats/step_info.h in runtime/formats computes it for the
 * compiler and the runtime alike). */
#define SPARSEC_STEP_INFO_SYMBOL "sparsec_step_info"
enum {
  SPARSEC_STEP_INFO_ABI_VERSION = 0,
  SPARSEC_STEP_INFO_VOCAB_SIZE = 1,
  SPARSEC_STEP_INFO_HIDDEN_SIZE = 2,
  SPARSEC_STEP_INFO_NUM_LAYERS = 3,
  SPARSEC_STEP_INFO_MAX_LEN = 4,
  SPARSEC_STEP_INFO_KV_CACHE_BYTES = 5,
  SPARSEC_STEP_INFO_SCRATCH_BYTES = 6,
  SPARSEC_STEP_INFO_NUM_FFNS = 7,
  SPARSEC_STEP_INFO_WEIGHTS_BYTES = 8, /* end of the last tensor it reads */
  SPARSEC_STEP_INFO_FACTS_HASH = 9,    /* as an int64 bit pattern */
  SPARSEC_STEP_INFO_SIZE = 10
};

typedef void (*sparsec_decode_step_fn)(sparsec_memref1d *weights,
                                       sparsec_memref1d *kv_cache,
                                       sparsec_memref1d *logits,
                                       sparsec_memref1d *stats,
                                       sparsec_memref1d *scratch, int32_t token,
                                       int64_t pos);
typedef void (*sparsec_run_range_fn)(sparsec_memref1d *weights,
                                     sparsec_memref1d *kv_cache,
                                     sparsec_memref1d *logits,
                                     sparsec_memref1d *stats,
                                     sparsec_memref1d *scratch, int32_t token,
                                     int64_t pos, int32_t kernel, int64_t begin,
                                     int64_t end);

/* Exported by the generated object. */
void _mlir_ciface_sparsec_decode_step(sparsec_memref1d *weights,
                                      sparsec_memref1d *kv_cache,
                                      sparsec_memref1d *logits,
                                      sparsec_memref1d *stats,
                                      sparsec_memref1d *scratch, int32_t token,
                                      int64_t pos);
void _mlir_ciface_sparsec_run_range(sparsec_memref1d *weights,
                                    sparsec_memref1d *kv_cache,
                                    sparsec_memref1d *logits,
                                    sparsec_memref1d *stats,
                                    sparsec_memref1d *scratch, int32_t token,
                                    int64_t pos, int32_t kernel, int64_t begin,
                                    int64_t end);
int32_t sparsec_kernel_abi_version(void);

/* Provided by the runtime, called by the generated step. */
void sparsec_parallel_for(int32_t kernel, int64_t n);

#ifdef __cplusplus
}
#endif

#endif /* SPARSEC_KERNEL_ABI_H */

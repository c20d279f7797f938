/*===- weights_layout.h - the packed weights file contract --------*- C -*-===//
 *
 * Standalone (no includes): the compiler's weight packer and the runtime's
 * loader both follow it. Change it as a schema: bump the version.
 *
 * The packed weights file is safetensors. Its tensors are named:
 *   NAME             an llm.param "NAME" as stored in the checkpoint
 *   NAME.transposed  an llm.param "NAME" transposed: the [cols, rows]
 *                    transpose of the checkpoint's [rows, cols] matrix
 *   BUNDLE           an sfn.bundle_param "BUNDLE": [neurons, parts, hidden],
 *                    row n of part p is row n of source p (or column n of a
 *                    transposed source)
 * and its __metadata__ holds:
 *   sparsec.layout_version  SPARSEC_WEIGHTS_LAYOUT_VERSION, in decimal
 *   sparsec.source_hash     16 hex digits identifying the source checkpoint
 *===----------------------------------------------------------------------===*/

#ifndef SPARSEC_WEIGHTS_LAYOUT_H
#define SPARSEC_WEIGHTS_LAYOUT_H

#define SPARSEC_WEIGHTS_LAYOUT_VERSION 1
#define SPARSEC_TRANSPOSED_SUFFIX ".transposed"
#define SPARSEC_METADATA_LAYOUT_VERSION "sparsec.layout_version"
#define SPARSEC_METADATA_SOURCE_HASH "sparsec.source_hash"
/* XXH3-64 of the data section, 16 hex digits (verified by --verify-weights). */
#define SPARSEC_METADATA_DATA_XXH3 "sparsec.data_xxh3"

#endif /* SPARSEC_WEIGHTS_LAYOUT_H */

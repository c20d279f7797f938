//===- BufferPlan.h - what buffer planning records on the IR ----*- C++ -*-===//
//
// sparsec-plan-buffers (before codegen) and sparsec-plan-scratch (after
// convert-llm-to-loops) record their decisions as attributes, so that every
// later reader (the lowering, the manifest, the packer) reads one fact
// instead of repeating a walk that must agree.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_PASSES_BUFFERPLAN_H
#define SPARSEC_PASSES_BUFFERPLAN_H

#include "llvm/ADT/StringRef.h"

namespace mlir::sparsec {

/// On llm.param / sfn.bundle_param: byte offset of the tensor in the packed
/// weights file's data section (WeightSlots).
inline constexpr llvm::StringLiteral kWeightOffsetAttrName =
    "sparsec.weight_offset";
/// On sfn.fused_sparse_ffn: its counter in the stats argument, which is
/// also its position in the manifest's "ffns" list.
inline constexpr llvm::StringLiteral kStatsSlotAttrName = "sparsec.stats_slot";
/// On the module: the number of stats slots.
inline constexpr llvm::StringLiteral kNumFFNsAttrName = "sparsec.num_ffns";
/// On the module: bytes of the scratch argument (sparsec-plan-scratch).
inline constexpr llvm::StringLiteral kScratchBytesAttrName =
    "sparsec.scratch_bytes";
/// On the module: kernels the step runs through the thread pool.
inline constexpr llvm::StringLiteral kNumKernelsAttrName =
    "sparsec.num_kernels";

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_BUFFERPLAN_H

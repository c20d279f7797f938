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
/// On the module: the step keeps each dense FFN's input, gate activations
/// and activations in scratch for the runtime to read (--record-activations).
inline constexpr llvm::StringLiteral kRecordActivationsAttrName =
    "sparsec.record_activations";
/// On a temporary (memref.alloc): the records it holds, an array of
/// {slot = FFN stats slot, kind = "input" | "gate" | "activation"}.
inline constexpr llvm::StringLiteral kRecordTagsAttrName = "sparsec.records";
/// On the module after sparsec-plan-scratch: the records' places, an array
/// of {slot, kind, offset (bytes into scratch), count (f32 elements)}.
inline constexpr llvm::StringLiteral kRecordsAttrName = "sparsec.records";
inline constexpr llvm::StringLiteral kScratchBytesAttrName =
    "sparsec.scratch_bytes";
/// On the module: tokens per block of the generated prefill step
/// (convert-llm-to-loops{prefill-block}); absent when there is none.
inline constexpr llvm::StringLiteral kPrefillBlockAttrName =
    "sparsec.prefill_block";
/// On a memref.load of the step: the value it reads stays the same while
/// the kernels that use it run (the step stored it before them and they do
/// not write it), so a kernel may read it again instead of taking it as an
/// argument (a count the step computed, such as an expert's routed tokens).
inline constexpr llvm::StringLiteral kKernelInvariantAttrName =
    "sparsec.kernel_invariant";
/// On the module: kernels the step runs through the thread pool.
inline constexpr llvm::StringLiteral kNumKernelsAttrName =
    "sparsec.num_kernels";

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_BUFFERPLAN_H

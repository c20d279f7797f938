//===- KernelNames.h - names of the step's kernels, for profiles -*- C++
//-*-===//
//
// Each parallel loop of the step becomes a kernel that the runtime can time
// (`--profile`). Its name travels on the loop's location: convert-llm-to-loops
// gives every op it lowers a NameLoc that says what the op is
// ("model.layers.3.mlp (predicted)", "model.layers.3.self_attn.q_proj"), and
// a lowering with several loops per op adds what each one does
// ("model.layers.3.mlp (predicted): predictor fc1"). The backends read the name
// back when they number the kernels and record them on the module
// (kKernelNamesAttrName); the manifest lists them.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_COMMON_KERNELNAMES_H
#define SPARSEC_TARGETS_COMMON_KERNELNAMES_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace mlir::sparsec {

/// On the module: the kernels' names in kernel order (an array of strings).
inline constexpr llvm::StringLiteral kKernelNamesAttrName =
    "sparsec.kernel_names";

/// What `op` computes, in a few words, for the kernels lowered from it: the
/// name the importer gave it (its module, "model.layers.3.mlp"), else its
/// kind, layer and the weight it reads; FFNs add their expert and mode.
std::string describeKernelSource(Operation *op);

/// `opLoc` with `what` added to its name ("<op's name>: <what>").
Location kernelLoc(Location opLoc, llvm::StringRef what);

/// The name kernelLoc or convert-llm-to-loops put on `loc`, if any.
std::optional<std::string> getKernelName(Location loc);

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_COMMON_KERNELNAMES_H

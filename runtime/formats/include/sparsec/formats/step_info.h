//===- step_info.h - what a compiled step was compiled for ------*- C++ -*-===//
//
// The compiler embeds in every generated object the sizes the decode step
// was compiled for and a hash of the manifest facts it depends on
// (kernel_abi.h, sparsec_step_info); the runtime checks a manifest against
// them before sizing any buffer from it. Both sides compute the facts hash
// here, from the parsed manifest, so they cannot disagree on its form.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_STEP_INFO_H
#define SPARSEC_FORMATS_STEP_INFO_H

#include "sparsec/formats/manifest.h"
#include "sparsec/formats/status.h"
#include "sparsec/kernel_abi.h"

#include <array>
#include <cstdint>
#include <string>

namespace sparsec {

using StepInfo = std::array<int64_t, SPARSEC_STEP_INFO_SIZE>;

/// FNV-1a 64 over the manifest's layout version, sizes, tensors (name,
/// dtype, shape, offset, bytes) and FFNs (layer, expert, neurons, mode,
/// bytes), in a canonical text form.
uint64_t manifestFactsHash(const Manifest &manifest);

/// The step info a manifest describes (what the compiler embeds).
StepInfo stepInfoOf(const Manifest &manifest);

/// OK when `manifest` (read from `path`) describes the model `info` was
/// compiled for; otherwise one line naming the first fact that differs and
/// both values.
Status checkStepInfo(const Manifest &manifest, const int64_t *info,
                     const std::string &path);

} // namespace sparsec

#endif // SPARSEC_FORMATS_STEP_INFO_H

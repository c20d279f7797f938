//===- api_testing.h - test-only hooks of the C API -------------*- C++ -*-===//
//
// Not part of the public API (include/sparsec/runtime.h). Tests link the
// runtime without a generated decode step; they register a fake one here.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_API_TESTING_H
#define SPARSEC_RUNTIME_API_TESTING_H

#include "sparsec/kernel_abi.h"

#include <stdint.h>

extern "C" {

/// Makes sessions created from now on call `step`, as if it had been
/// compiled for kernel ABI `abi_version`, instead of the linked
/// `_mlir_ciface_sparsec_decode_step`. `step` NULL restores the linked one.
void sparsec_runtime_set_step_function_for_testing(sparsec_decode_step_fn step,
                                                   int32_t abi_version);

/// What the registered test step declares it was compiled for
/// (SPARSEC_STEP_INFO_SIZE values, see kernel_abi.h), checked against the
/// manifest as a linked step's sparsec_step_info is; NULL (the default):
/// the test step declares nothing and is not checked. Linked steps always
/// are.
void sparsec_runtime_set_step_info_for_testing(const int64_t *info);

} // extern "C"

#endif // SPARSEC_RUNTIME_API_TESTING_H

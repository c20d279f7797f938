//===- fake_step.cpp - a stand-in for the generated decode step -*- C++ -*-===//
//
// Linked into sparsec_fake_model in place of the compiler's object. Logits
// are one-hot at (token + 1) % vocab, so greedy decoding of "ab" continues
// "cde..."; FFN i reports i + 1 neurons; the KV cache's byte `pos` records
// the token, and the step checks that every earlier position is filled.
//
// It stands in for many different test models, so it does not declare what
// it was compiled for (sparsec_step_info): it registers itself as a test
// step, which the runtime does not check against the manifest. Real
// executables are checked (test/e2e/executable-errors.test).
//
//===----------------------------------------------------------------------===//

#include "api_testing.h"
#include "sparsec/kernel_abi.h"

#include <cstdio>
#include <cstdlib>

extern "C" void _mlir_ciface_sparsec_decode_step(sparsec_memref1d *weights,
                                                 sparsec_memref1d *kv_cache,
                                                 sparsec_memref1d *logits,
                                                 sparsec_memref1d *stats,
                                                 sparsec_memref1d * /*scratch*/,
                                                 int32_t token, int64_t pos) {
  if (weights->size <= 0 || pos < 0 || pos >= kv_cache->size) {
    std::fprintf(stderr, "fake step: bad arguments\n");
    std::abort();
  }
  uint8_t *cache = static_cast<uint8_t *>(kv_cache->aligned);
  for (int64_t p = 0; p < pos; ++p)
    if (cache[p] == 0) {
      std::fprintf(stderr, "fake step: position %lld was never stepped\n",
                   static_cast<long long>(p));
      std::abort();
    }
  cache[pos] = static_cast<uint8_t>(token | 1);
  float *out = static_cast<float *>(logits->aligned);
  for (int64_t i = 0; i < logits->size; ++i)
    out[i] = (i == (token + 1) % logits->size) ? 10.0f : 0.0f;
  int32_t *counts = static_cast<int32_t *>(stats->aligned);
  for (int64_t i = 0; i < stats->size; ++i)
    counts[i] = static_cast<int32_t>(i + 1);
}

extern "C" int32_t sparsec_kernel_abi_version(void) {
  return SPARSEC_KERNEL_ABI_VERSION;
}

namespace {
[[maybe_unused]] const bool registered = [] {
  sparsec_runtime_set_step_function_for_testing(
      &_mlir_ciface_sparsec_decode_step, SPARSEC_KERNEL_ABI_VERSION);
  return true;
}();
} // namespace

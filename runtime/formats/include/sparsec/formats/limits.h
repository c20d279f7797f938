//===- limits.h - the sizes sparsec accepts from files ----------*- C++ -*-===//
//
// Every limit on what a file may ask for, in one place, for the runtime and
// the compiler (docs/limits.md explains each). Readers check a value against
// its limit before allocating or recursing on it, and name the limit in the
// error.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_LIMITS_H
#define SPARSEC_FORMATS_LIMITS_H

#include "sparsec/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace sparsec::limits {

/// JSON nesting depth (config.json and tokenizer.json nest fewer than 10
/// levels); deeper input is refused before any recursive parser sees it.
constexpr int kMaxJsonDepth = 64;
/// Size of one JSON file (a 256k-token tokenizer.json is ~20 MiB).
constexpr uint64_t kMaxJsonBytes = 256ull << 20;
/// Largest safetensors header (the JSON after the 8-byte length field);
/// nothing legitimate comes close, and it bounds what a corrupt length field
/// can make a reader parse.
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull << 20;
/// Dimensions of one GGUF tensor (ggml's GGML_MAX_DIMS).
constexpr uint32_t kMaxGgufDims = 4;
/// Worker threads of a session (--threads, num_threads).
constexpr int64_t kMaxThreads = 1024;
/// Context length (positions), vocabulary size and every model dimension:
/// they index with 32-bit integers in generated code.
constexpr int64_t kMaxContext = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxVocab = (int64_t(1) << 24);
constexpr int64_t kMaxDimension = (int64_t(1) << 31) - 1;
/// One KV cache (layers x 2 x positions x KV heads x head size x element
/// bytes, at most f32): 1 TiB.
constexpr uint64_t kMaxKvCacheBytes = 1ull << 40;
/// The generated step's scratch (activations and partial sums): 64 GiB.
constexpr uint64_t kMaxScratchBytes = 64ull << 30;
/// Tokens per call of a generated prefill step (its buffers grow with it).
constexpr int64_t kMaxPrefillBlock = 4096;

/// Checks `text` (the contents of `path`) against kMaxJsonBytes and
/// kMaxJsonDepth without parsing it: brackets outside strings are counted.
/// The error names the file, the limit and where the depth was exceeded.
Status checkJsonLimits(const std::string &text, const std::string &path);
/// The same for `size` bytes at `data` (a mapped file, a header in place).
Status checkJsonLimits(const char *data, size_t size, const std::string &path);

} // namespace sparsec::limits

#endif // SPARSEC_FORMATS_LIMITS_H

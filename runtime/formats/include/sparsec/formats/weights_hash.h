//===- weights_hash.h - XXH3 of packed weights and checkpoints --*- C++ -*-===//
//
// The packed weights file records the XXH3-64 of its data section in its
// __metadata__ (SPARSEC_METADATA_DATA_XXH3, 16 hex digits); `--verify-weights`
// recomputes it, so a file edited or swapped after compilation is caught.
// XXH3 (Debian's libxxhash, header-only inline build) runs at memory speed:
// the cost is reading the file.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_WEIGHTS_HASH_H
#define SPARSEC_FORMATS_WEIGHTS_HASH_H

#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace sparsec {

/// Streaming XXH3-64.
class Xxh3Hasher {
public:
  Xxh3Hasher();
  ~Xxh3Hasher();
  Xxh3Hasher(const Xxh3Hasher &) = delete;
  Xxh3Hasher &operator=(const Xxh3Hasher &) = delete;
  void update(const void *data, size_t size);
  uint64_t digest() const;

private:
  struct State;
  std::unique_ptr<State> state_;
};

/// "0123456789abcdef".
std::string hex64(uint64_t value);

/// Recomputes the data section's XXH3 of `file` and compares it with the
/// value its metadata records; errors name the file.
Status verifyDataHash(const SafetensorsFile &file);

} // namespace sparsec

#endif // SPARSEC_FORMATS_WEIGHTS_HASH_H

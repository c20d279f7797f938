//===- weights_hash.cpp - XXH3 of packed weights and checkpoints -*- C++
//-*-===//

#include "sparsec/formats/weights_hash.h"

#include "sparsec/weights_layout.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdio>

namespace sparsec {

struct Xxh3Hasher::State {
  XXH3_state_t state;
};

Xxh3Hasher::Xxh3Hasher() : state_(std::make_unique<State>()) {
  XXH3_64bits_reset(&state_->state);
}

Xxh3Hasher::~Xxh3Hasher() = default;

void Xxh3Hasher::update(const void *data, size_t size) {
  XXH3_64bits_update(&state_->state, data, size);
}

uint64_t Xxh3Hasher::digest() const {
  return XXH3_64bits_digest(&state_->state);
}

std::string hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

Status verifyDataHash(const SafetensorsFile &file) {
  auto it = file.metadata().find(SPARSEC_METADATA_DATA_XXH3);
  if (it == file.metadata().end())
    return Status(StatusCode::kFailedPrecondition,
                  file.path() + ": no __metadata__ '" +
                      SPARSEC_METADATA_DATA_XXH3 +
                      "' to verify the weights against; recompile");
  Xxh3Hasher hasher;
  hasher.update(file.data(), file.dataSize());
  std::string actual = hex64(hasher.digest());
  if (actual != it->second)
    return Status(StatusCode::kDataLoss,
                  file.path() + ": the weights' XXH3 is " + actual +
                      ", the file records " + it->second +
                      ": the data was changed after compilation");
  return Status::ok();
}

} // namespace sparsec

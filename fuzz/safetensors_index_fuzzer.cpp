//===- safetensors_index_fuzzer.cpp - fuzz sharded checkpoints ------------===//
//
// Input: a model.safetensors.index.json. Beside it lie two valid shards
// (model-00001-of-00002.safetensors, model-00002-of-00002.safetensors) with
// tensors a, b (first) and c (second), written once at start-up, so that
// index files naming them reach the shard checks (tensor missing from its
// shard, a tensor in two shards, path traversal, unknown shards).
//
//===----------------------------------------------------------------------===//

#include "fuzz_common.h"

#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/safetensors_writer.h"

#include <cstring>
#include <string>

using namespace sparsec;

namespace {

void writeShard(const std::string &path,
                const std::vector<std::pair<std::string, DType>> &tensors) {
  SafetensorsWriter writer;
  writer.setMetadata("format", "pt");
  for (const auto &[name, dtype] : tensors)
    writer.add(name, dtype, {2, 3}, [dtype = dtype](uint8_t *out) {
      std::memset(out, 0x3c, 6 * dtypeSize(dtype));
      return Status::ok();
    });
  if (!writer.write(path).isOk())
    std::abort();
}

const std::string &setUp() {
  static const std::string index = [] {
    writeShard(fuzz::tempFile("model-00001-of-00002.safetensors"),
               {{"a", DType::kF32}, {"b", DType::kF16}});
    writeShard(fuzz::tempFile("model-00002-of-00002.safetensors"),
               {{"c", DType::kBF16}});
    return fuzz::tempFile("model.safetensors.index.json");
  }();
  return index;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &index = setUp();
  fuzz::writeFile(index, data, size);

  StatusOr<std::unique_ptr<Checkpoint>> checkpoint =
      Checkpoint::openIndex(index);
  fuzz::checkStatus(checkpoint.status(), "Checkpoint::openIndex");
  if (checkpoint.isOk()) {
    for (const std::string &name : (*checkpoint)->names()) {
      StatusOr<const TensorInfo *> tensor = (*checkpoint)->get(name);
      if (!tensor.isOk())
        __builtin_trap();
      fuzz::touch((*tensor)->data, (*tensor)->nbytes);
    }
  }
  StatusOr<std::unique_ptr<Checkpoint>> directory =
      Checkpoint::openDirectory(fuzz::tempDir());
  fuzz::checkStatus(directory.status(), "Checkpoint::openDirectory");
  return 0;
}

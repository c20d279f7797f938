//===- weights_fuzzer.cpp - fuzz the packed-weights check -----------------===//
//
// Input: OUT/weights.safetensors, checked at load against a fixed, valid
// manifest (the runtime tests' model: runtime/tests/test_model.cpp, whose
// writeTestWeights output is the seed). As in safetensors_fuzzer, an input
// starting with '{' is a bare JSON header: the harness adds the length in
// front and the data section behind it. A file that passes the check must
// also survive session creation and a step (model_driver.h).
//
//===----------------------------------------------------------------------===//

#include "model_driver.h"

#include "sparsec/formats/manifest.h"
#include "sparsec/formats/step_info.h"
#include "test_model.h"

#include <algorithm>
#include <string>

using namespace sparsec;

// SPARSEC_FUZZ_WRITE_SEED=DIR: write the fixed model (DIR/manifest.json,
// DIR/weights.safetensors) and exit; fuzz/make_corpus.py takes the seeds of
// this harness and of manifest_fuzzer from it.
extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (const char *dir = std::getenv("SPARSEC_FUZZ_WRITE_SEED")) {
    if (!testing::writeTestModel(dir).isOk())
      std::exit(1);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string dir = [] {
    std::string made = fuzz::freshDir("model");
    nlohmann::ordered_json manifest = testing::testManifest({});
    testing::writeManifest(made, manifest);
    // As a real executable: the step declares the manifest it was compiled
    // for (so the check against it runs on every load, and passes).
    StatusOr<Manifest> parsed =
        Manifest::parse(manifest.dump(), "manifest.json");
    if (!parsed.isOk())
      std::abort();
    static StepInfo info = stepInfoOf(*parsed);
    sparsec_runtime_set_step_info_for_testing(info.data());
    return made;
  }();
  std::string file;
  if (size > 0 && data[0] == '{') {
    // Header-only input: length prefix + header + a data section as large as
    // the test model's tensors (the manifest's last offset + nbytes).
    uint64_t length = size;
    for (int i = 0; i < 8; ++i)
      file += static_cast<char>((length >> (8 * i)) & 0xff);
    file.append(reinterpret_cast<const char *>(data), size);
    file.append(8192, '\x01');
  } else {
    file.assign(reinterpret_cast<const char *>(data), size);
  }
  fuzz::writeFile(dir + "/weights.safetensors", file);
  fuzz::exercise(dir); // registers the fake step on first use
  return 0;
}

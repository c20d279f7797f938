//===- manifest_fuzzer.cpp - fuzz manifest + load + session + step --------===//
//
// Input: a compiled model's manifest.json. The harness writes, beside it, a
// weights file that agrees with whatever the manifest lists (each tensor's
// name, dtype and shape in order, the layout version and source hash in its
// __metadata__, under the manifest's weights_file name when that is a plain
// file name; at most 1 MiB of data), and the tokenizer.json an "hf" manifest
// names, so that mutated manifests get past the weights check to session
// creation and a step with the fake decode step (model_driver.h). The
// weights check itself is fuzzed from the other side by weights_fuzzer.
//
//===----------------------------------------------------------------------===//

#include "model_driver.h"

#include "api_testing.h"
#include "sparsec/formats/limits.h"
#include "sparsec/formats/manifest.h"
#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/safetensors_writer.h"
#include "sparsec/formats/step_info.h"
#include "sparsec/weights_layout.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <string>

using namespace sparsec;
using json = nlohmann::json;

namespace {

bool plainFileName(const std::string &name) {
  return !name.empty() && name.size() < 100 && name != "." && name != ".." &&
         name != "manifest.json" && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

/// Writes the weights (and tokenizer) `manifest` describes into `dir`, as
/// far as the manifest is well-formed enough to say; anything else stays as
/// the previous input left it, which is fine: loading must cope.
void writeCompanions(const std::string &dir, const std::string &text) {
  if (!limits::checkJsonLimits(text, "manifest.json").isOk())
    return;
  json m = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!m.is_object())
    return;
  std::string weightsFile = "weights.safetensors";
  if (auto it = m.find("weights_file");
      it != m.end() && it->is_string() && plainFileName(*it))
    weightsFile = *it;

  SafetensorsWriter writer;
  writer.setMetadata(SPARSEC_METADATA_LAYOUT_VERSION,
                     std::to_string(SPARSEC_WEIGHTS_LAYOUT_VERSION));
  if (auto it = m.find("layout_version");
      it != m.end() && it->is_number_integer())
    writer.setMetadata(SPARSEC_METADATA_LAYOUT_VERSION,
                       std::to_string(it->get<int64_t>()));
  if (auto it = m.find("source_hash"); it != m.end() && it->is_string())
    writer.setMetadata(SPARSEC_METADATA_SOURCE_HASH, it->get<std::string>());
  uint64_t total = 0;
  if (auto it = m.find("tensors"); it != m.end() && it->is_array()) {
    for (const json &t : *it) {
      if (!t.is_object())
        continue;
      auto name = t.find("name"), dtype = t.find("dtype"),
           shape = t.find("shape");
      if (name == t.end() || !name->is_string() || dtype == t.end() ||
          !dtype->is_string() || shape == t.end() || !shape->is_array())
        continue;
      std::optional<DType> type = dtypeFromName(*dtype);
      if (!type)
        continue;
      std::vector<int64_t> dims;
      uint64_t bytes = dtypeSize(*type);
      bool fits = shape->size() <= 8;
      for (const json &d : *shape) {
        if (!fits || !d.is_number_integer() || d.get<int64_t>() < 0 ||
            d.get<int64_t>() > (1 << 20)) {
          fits = false;
          break;
        }
        dims.push_back(d.get<int64_t>());
        bytes *= static_cast<uint64_t>(dims.back());
        if (bytes > (1u << 20))
          fits = false;
      }
      if (!fits || total + bytes > (1u << 20))
        continue;
      total += bytes;
      writer.add(name->get<std::string>(), *type, dims, [bytes](uint8_t *out) {
        std::memset(out, 0x3c, bytes);
        return Status::ok();
      });
    }
  }
  (void)writer.write(dir + "/" + weightsFile); // a duplicate name fails: fine

  if (auto tok = m.find("tokenizer"); tok != m.end() && tok->is_object()) {
    if (auto file = tok->find("file");
        file != tok->end() && file->is_string() && plainFileName(*file) &&
        *file != weightsFile)
      fuzz::writeFile(dir + "/" + file->get<std::string>(),
                      fuzz::tinyTokenizerJson());
  }
}

/// What the fake step declares it was compiled for. A real executable
/// always declares its step (kernel_abi.h, sparsec_step_info) and the
/// runtime sizes nothing from a manifest that disagrees; so the fake step
/// declares the manifest's own sizes when they fit what a fuzzing process
/// can allocate (64 MiB of KV cache, scratch and logits), and otherwise
/// those of another model, which session creation must refuse.
StepInfo declaredStep(const std::string &text) {
  StepInfo other{};
  other[SPARSEC_STEP_INFO_ABI_VERSION] = SPARSEC_KERNEL_ABI_VERSION;
  other[SPARSEC_STEP_INFO_VOCAB_SIZE] = 1;
  StatusOr<Manifest> manifest = Manifest::parse(text, "manifest.json");
  if (!manifest.isOk())
    return other;
  constexpr uint64_t kBudget = 64ull << 20;
  uint64_t bytes = manifest->kvCacheBytes + manifest->scratchBytes +
                   4 * static_cast<uint64_t>(manifest->vocabSize);
  if (manifest->kvCacheBytes > kBudget || manifest->scratchBytes > kBudget ||
      bytes > kBudget)
    return other;
  return stepInfoOf(*manifest);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh folder per input, so no file of an earlier input lingers.
  std::string dir = fuzz::freshDir("model");
  std::string text(reinterpret_cast<const char *>(data), size);
  writeCompanions(dir, text);
  fuzz::writeFile(dir + "/manifest.json", text);
  static StepInfo declared;
  declared = declaredStep(text);
  sparsec_runtime_set_step_info_for_testing(declared.data());
  fuzz::exercise(dir);
  sparsec_runtime_set_step_info_for_testing(nullptr);
  return 0;
}

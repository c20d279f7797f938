//===- config_fuzzer.cpp - fuzz config.json + generation_config.json ------===//
//
// Input: a config.json, optionally followed by the line
// "@@generation_config.json" and a generation_config.json that the harness
// writes beside it (without that line, no generation_config.json exists).
// Both go through the importer's parseModelConfig; an error must be one
// non-empty line. On success the RoPE frequencies are computed as the
// decode-step builder would.
//
// Built against the MLIR build: this TU and the importer's HFConfig.cpp and
// ModelConfig.cpp are compiled into the harness with the fuzzer and
// sanitizer flags; llvm::json and the rest of LLVMSupport come from
// Debian's uninstrumented libraries (no coverage feedback or ASan checks
// inside them, but their interceptors still see heap misuse by our code).
//
//===----------------------------------------------------------------------===//

#include "fuzz_common.h"

#include "compiler/Importer/Common/ModelConfig.h"
#include "compiler/Importer/HuggingFace/HFConfig.h"

#include "llvm/Support/Error.h"

#include <cstdio>
#include <string>

using namespace mlir::sparsec;

namespace {
constexpr const char kSeparator[] = "\n@@generation_config.json\n";
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string config = sparsec::fuzz::tempFile("config.json");
  static const std::string generation =
      sparsec::fuzz::tempFile("generation_config.json");
  std::string input(reinterpret_cast<const char *>(data), size);
  size_t split = input.find(kSeparator);
  if (split == std::string::npos) {
    std::remove(generation.c_str());
    sparsec::fuzz::writeFile(config, input);
  } else {
    sparsec::fuzz::writeFile(config, input.substr(0, split));
    sparsec::fuzz::writeFile(generation,
                             input.substr(split + sizeof(kSeparator) - 1));
  }

  llvm::Expected<ModelConfig> parsed = hf::parseModelConfig(config);
  if (!parsed) {
    sparsec::fuzz::checkMessage(llvm::toString(parsed.takeError()),
                                "parseModelConfig");
    return 0;
  }
  if (parsed->headDim > 0 && parsed->headDim <= (1 << 16))
    (void)ropeInverseFrequencies(*parsed);
  return 0;
}

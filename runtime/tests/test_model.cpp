//===- test_model.cpp - compiled-model folders for the tests ----*- C++ -*-===//

#include "test_model.h"
#include "sparsec/kernel_abi.h"

#include "sparsec/formats/safetensors_writer.h"
#include "sparsec/weights_layout.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <unistd.h>

namespace sparsec {
namespace testing {

namespace {
/// Whether this process is a death test's child: gtest runs the test binary
/// again with --gtest_internal_run_death_test (threadsafe style). Read from
/// the command line, not gtest's flags: the fuzz harnesses link this file
/// without gtest.
bool inDeathTestChild() {
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string args((std::istreambuf_iterator<char>(cmdline)),
                   std::istreambuf_iterator<char>());
  return args.find("--gtest_internal_run_death_test") != std::string::npos;
}

/// Where the directories of this process's death-test children go.
std::string childPrefix(pid_t parent) {
  return "/tmp/sparsec-runtime-child-" + std::to_string(parent) + "-";
}
} // namespace

TempDir::TempDir() {
  std::string pattern = (inDeathTestChild() ? childPrefix(::getppid())
                                            : "/tmp/sparsec-runtime-") +
                        "XXXXXX";
  const char *made = ::mkdtemp(pattern.data());
  if (!made)
    throw std::runtime_error("mkdtemp failed");
  path_ = made;
}

TempDir::~TempDir() {
  std::system(
      ("rm -rf '" + path_ + "' " + childPrefix(::getpid()) + "*").c_str());
}

namespace {

struct TestTensor {
  const char *name;
  DType dtype;
  std::vector<int64_t> shape;
};

std::vector<TestTensor> testTensors(const TestModelSpec &spec) {
  int64_t h = spec.hiddenSize;
  return {
      {"model.embed_tokens.weight", DType::kF16, {spec.vocabSize, h}},
      {"model.layers.0.mlp.bundles", DType::kF16, {16, 3, h}},
      {"model.layers.0.mlp.predictor.fc1.weight", DType::kF32, {4, h}},
      {"model.layers.1.block_sparse_moe.experts.0.bundles",
       DType::kBF16,
       {8, 3, h}},
      {"model.layers.1.block_sparse_moe.experts.1.bundles",
       DType::kBF16,
       {8, 3, h}},
      {"model.norm.weight", DType::kF32, {h}},
  };
}

uint64_t byteSize(const TestTensor &tensor) {
  uint64_t bytes = dtypeSize(tensor.dtype);
  for (int64_t dim : tensor.shape)
    bytes *= static_cast<uint64_t>(dim);
  return bytes;
}

} // namespace

nlohmann::ordered_json testManifest(const TestModelSpec &spec) {
  nlohmann::ordered_json tensors = nlohmann::ordered_json::array();
  uint64_t offset = 0;
  for (const TestTensor &tensor : testTensors(spec)) {
    uint64_t nbytes = byteSize(tensor);
    tensors.push_back({{"name", tensor.name},
                       {"dtype", dtypeName(tensor.dtype)},
                       {"shape", tensor.shape},
                       {"offset", offset},
                       {"nbytes", nbytes}});
    offset += nbytes;
  }
  uint64_t row = 3 * 2 * static_cast<uint64_t>(spec.hiddenSize);
  nlohmann::ordered_json ffns = nlohmann::ordered_json::array();
  ffns.push_back({{"layer", 0},
                  {"expert", -1},
                  {"neurons", 16},
                  {"mode", "predicted"},
                  {"fixed_bytes", 128},
                  {"row_bytes", row}});
  ffns.push_back({{"layer", 1},
                  {"expert", 0},
                  {"neurons", 8},
                  {"mode", "exact"},
                  {"fixed_bytes", 64},
                  {"row_bytes", row}});
  ffns.push_back({{"layer", 1},
                  {"expert", 1},
                  {"neurons", 8},
                  {"mode", "exact"},
                  {"fixed_bytes", 64},
                  {"row_bytes", row}});
  return {{"format", "sparsec-manifest"},
          {"abi_version", SPARSEC_KERNEL_ABI_VERSION},
          {"layout_version", 1},
          {"model_name", "tiny"},
          {"architecture", "BambooForCausalLM"},
          {"target", "x86-64 (avx2)"},
          {"source_hash", spec.sourceHash},
          {"weights_file", "weights.safetensors"},
          {"vocab_size", spec.vocabSize},
          {"hidden_size", spec.hiddenSize},
          {"num_layers", 2},
          {"max_len", spec.maxLen},
          {"kv_cache_bytes", spec.kvCacheBytes},
          {"other_bytes_per_token", 4096},
          {"tensors", tensors},
          {"ffns", ffns},
          {"tokenizer", {{"type", "byte"}}}};
}

Status writeTestWeights(const std::string &dir, const TestModelSpec &spec) {
  SafetensorsWriter writer;
  writer.setMetadata(SPARSEC_METADATA_LAYOUT_VERSION,
                     std::to_string(SPARSEC_WEIGHTS_LAYOUT_VERSION));
  writer.setMetadata(SPARSEC_METADATA_SOURCE_HASH, spec.sourceHash);
  for (const auto &[key, value] : spec.metadata)
    writer.setMetadata(key, value);
  uint8_t fill = 1;
  for (const TestTensor &tensor : testTensors(spec)) {
    if (spec.omitTensor == tensor.name)
      continue;
    uint64_t nbytes = byteSize(tensor);
    writer.add(tensor.name, tensor.dtype, tensor.shape,
               [nbytes, fill](uint8_t *out) {
                 std::memset(out, fill, nbytes);
                 return Status::ok();
               });
    ++fill;
  }
  return writer.write(dir + "/weights.safetensors");
}

void writeManifest(const std::string &dir, const nlohmann::ordered_json &json) {
  writeTextFile(dir + "/manifest.json", json.dump(2));
}

Status writeTestModel(const std::string &dir, const TestModelSpec &spec) {
  writeManifest(dir, testManifest(spec));
  return writeTestWeights(dir, spec);
}

void writeTextFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

} // namespace testing
} // namespace sparsec

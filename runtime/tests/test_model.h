//===- test_model.h - compiled-model folders for the tests ------*- C++ -*-===//
//
// Writes what the compiler would put in OUT/: a packed weights file (through
// SafetensorsWriter, so offsets are the real ones) and a manifest.json that
// describes it. Tests mutate the manifest JSON or the writer's metadata to
// produce each mismatch under test.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_TESTS_TEST_MODEL_H
#define SPARSEC_RUNTIME_TESTS_TEST_MODEL_H

#include "sparsec/formats/status.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace sparsec {
namespace testing {

/// A fresh temporary directory, removed with its files at the end. A
/// death test's child (threadsafe style: the test binary run again) ends in
/// _exit, which skips destructors: its directories are named after the
/// parent process, which removes them with its own.
class TempDir {
public:
  TempDir();
  ~TempDir();
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

struct TestModelSpec {
  int64_t vocabSize = 256;
  int64_t hiddenSize = 8;
  int64_t maxLen = 16;
  uint64_t kvCacheBytes = 1000;
  std::string sourceHash = "0123456789abcdef";
  /// __metadata__ of the weights file; defaults to the matching values.
  std::map<std::string, std::string> metadata;
  /// Tensors the weights file leaves out (the manifest still lists them).
  std::string omitTensor;
};

/// The manifest a TestModelSpec describes: 2 layers; layer 0 one predicted
/// FFN of 16 neurons, layer 1 an MoE of two 8-neuron experts.
nlohmann::ordered_json testManifest(const TestModelSpec &spec);

/// Writes DIR/weights.safetensors for `spec`.
Status writeTestWeights(const std::string &dir, const TestModelSpec &spec);

/// Writes DIR/manifest.json.
void writeManifest(const std::string &dir, const nlohmann::ordered_json &json);

/// Both files of a consistent model.
Status writeTestModel(const std::string &dir, const TestModelSpec &spec = {});

void writeTextFile(const std::string &path, const std::string &text);

} // namespace testing
} // namespace sparsec

#endif // SPARSEC_RUNTIME_TESTS_TEST_MODEL_H

//===- model_main_test.cpp - the model executable, end to end ---*- C++ -*-===//
//
// Runs sparsec_fake_model: model_main.cpp linked, as the compiler links a
// model, with a fake decode step object (fake_step.cpp) whose logits are
// one-hot at (token + 1) % vocab.
//
//===----------------------------------------------------------------------===//

#include "test_model.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>

namespace sparsec {
namespace {

using testing::TempDir;

struct Result {
  int exitCode;
  std::string output; ///< stdout and stderr together.
};

std::string quote(const std::string &arg) {
  std::string quoted = "'";
  for (char c : arg)
    quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

Result runModel(const std::vector<std::string> &args,
                const std::string &stderrRedirect = "2>&1") {
  std::string command = quote(SPARSEC_FAKE_MODEL);
  for (const std::string &arg : args)
    command += " " + quote(arg);
  command += " " + stderrRedirect;
  Result result{-1, ""};
  FILE *pipe = ::popen(command.c_str(), "r");
  if (!pipe)
    return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    result.output.append(buffer, n);
  int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

class ModelMainTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  }
  TempDir dir;
};

TEST_F(ModelMainTest, GeneratesGreedilyAfterThePrompt) {
  Result result = runModel(
      {"--model-dir", dir.path(), "--prompt", "ab", "-n", "4", "--seed", "3"});
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "abcdef\n");
}

TEST_F(ModelMainTest, BenchPrintsTheTable) {
  Result result = runModel(
      {"--model-dir", dir.path(), "--prompt", "hi", "-n", "3", "--bench"});
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output.rfind("hijkl\n", 0), 0u) << result.output;
  for (const char *line :
       {"sparsec bench: tiny (BambooForCausalLM, x86-64 (avx2))",
        "prompt tokens        2", "generated tokens     3", "decode tok/s",
        "ms/token (median)", "ms/token (mean)", "weights read/token",
        // The fake step reports 1, 2, 3 neurons for the 3 FFNs, every step:
        // 4096 + (128 + 1*48) + (64 + 2*48) + (64 + 3*48) = 4640 bytes.
        "bytes/token          4640",
        "FFN density (mean over 4 steps, computed/neurons)",
        // layer 0: 1/16; layer 1: (2+3)/(8+8).
        "layer 0            0.0625  (16 neurons)",
        "layer 1            0.3125  (16 neurons)"})
    EXPECT_NE(result.output.find(line), std::string::npos)
        << "missing '" << line << "' in:\n"
        << result.output;
}

TEST_F(ModelMainTest, LoadsFromItsOwnFolderByDefault) {
  // Without --model-dir it looks next to the executable (the build's bin/),
  // which holds no manifest: the error names that folder's manifest.json.
  Result result = runModel({"--prompt", "a"});
  EXPECT_EQ(result.exitCode, 1);
  std::string exe = SPARSEC_FAKE_MODEL;
  std::string folder = exe.substr(0, exe.rfind('/'));
  EXPECT_NE(result.output.find(folder + "/manifest.json: cannot open"),
            std::string::npos)
      << result.output;
}

TEST_F(ModelMainTest, OneLineErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::string manifest = dir.file("manifest.json");
  std::vector<Case> cases = {
      {{"--prompt", "x", "--top-p", "2"},
       "sparsec_fake_model: error: --top-p expects a number in (0, 1], got "
       "'2' (see --help)"},
      {{"--prompt", "x", "--wat"},
       "sparsec_fake_model: error: unknown flag '--wat' (see --help)"},
      {{"--model-dir", dir.path(), "--prompt", std::string(17, 'x')},
       "sparsec_fake_model: error: the prompt is 17 tokens, longer than the "
       "model's context of 16 tokens (max_len)"},
      {{"--model-dir", dir.path(), "--prompt", "abc", "-n", "15"},
       "sparsec_fake_model: error: the prompt (3 tokens) and -n 15 need 17 "
       "positions, more than the model's context of 16 tokens (max_len); "
       "lower -n"},
      {{"--model-dir", dir.path(), "--prompt", ""},
       "sparsec_fake_model: error: the prompt is empty and the tokenizer has "
       "no BOS token to start from; give a non-empty --prompt"},
  };
  for (const Case &c : cases) {
    Result result = runModel(c.args, "2>&1 >/dev/null");
    EXPECT_EQ(result.exitCode, 1) << result.output;
    EXPECT_EQ(result.output, c.message + "\n");
  }
}

TEST_F(ModelMainTest, MissingOrMismatchedWeightsFail) {
  ASSERT_EQ(std::remove(dir.file("weights.safetensors").c_str()), 0);
  Result result =
      runModel({"--model-dir", dir.path(), "--prompt", "a"}, "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output,
            "sparsec_fake_model: error: " + dir.file("weights.safetensors") +
                ": cannot open: No such file or directory (the weights file "
                "that " +
                dir.file("manifest.json") + " names)\n");

  testing::TestModelSpec spec;
  spec.sourceHash = "00000000deadbeef";
  ASSERT_TRUE(testing::writeTestWeights(dir.path(), spec).isOk());
  result =
      runModel({"--model-dir", dir.path(), "--prompt", "a"}, "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.output.find("'sparsec.source_hash' is '00000000deadbeef'"),
            std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find('\n'), result.output.size() - 1);
}

TEST_F(ModelMainTest, HelpExitsZero) {
  Result result = runModel({"--help"});
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_EQ(result.output.rfind("usage: sparsec_fake_model --prompt TEXT", 0),
            0u)
      << result.output;
}

} // namespace
} // namespace sparsec

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
#include <fstream>
#include <sys/stat.h>
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

/// Runs the fake model; `stdinFile`, if given, is its stdin (else
/// /dev/null, so that a test never waits on a terminal).
Result runModel(const std::vector<std::string> &args,
                const std::string &stderrRedirect = "2>&1",
                const std::string &stdinFile = "/dev/null",
                const std::string &prefix = "") {
  std::string command = prefix + quote(SPARSEC_FAKE_MODEL);
  for (const std::string &arg : args)
    command += " " + quote(arg);
  command += " <" + quote(stdinFile) + " " + stderrRedirect;
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
        "KV cache read/token",
        // The fake step reports 1, 2, 3 neurons for the 3 FFNs, every step:
        // 4096 + (128 + 1*48) + (64 + 2*48) + (64 + 3*48) = 4640 bytes of
        // weights; the generated tokens' steps, at positions 2 and 3, read
        // 3 and 4 positions of 1000 / 16 = 62 bytes of KV cache: 217 on
        // average.
        "bytes/token          4857",
        "FFN density (mean over 4 steps, computed/neurons)",
        // layer 0: 1/16; layer 1: (2+3)/(8+8).
        "layer 0            0.0625  (16 neurons)",
        "layer 1            0.3125  (16 neurons)"})
    EXPECT_NE(result.output.find(line), std::string::npos)
        << "missing '" << line << "' in:\n"
        << result.output;
}

TEST_F(ModelMainTest, EvalScoresTheText) {
  // The fake step predicts token + 1 with logit 10 (0 elsewhere, 256
  // tokens): every next letter of the alphabet is its top-1, with
  // probability e^10 / (e^10 + 255). 20 predictions in chunks of 8
  // positions (no BOS: a chunk's first token is not predicted): 7 + 7 + 6.
  std::string text = dir.file("abc.txt");
  std::ofstream(text) << "abcdefghijklmnopqrstuvwxyz";
  std::string save = dir.file("base.bin"), report = dir.file("report.json");
  Result result =
      runModel({"--model-dir", dir.path(), "--eval", text, "--eval-tokens",
                "20", "--eval-context", "8", "--eval-save", save},
               "2>/dev/null");
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_NE(result.output.find("eval: 20 tokens of " + text +
                               " in 3 chunks of up to 8"),
            std::string::npos)
      << result.output;
  // 1 + 255 e^-10 = 1.01158.
  EXPECT_NE(result.output.find("perplexity           1.0116  (top-1 accuracy "
                               "100.00%)"),
            std::string::npos)
      << result.output;
  // The fake step reports FFN i computing i + 1 neurons of 16 / 8 / 8.
  EXPECT_NE(result.output.find("layer 1              FFN density 0.3125"),
            std::string::npos)
      << result.output;

  // Compared with itself: no divergence.
  result = runModel({"--model-dir", dir.path(), "--eval", text, "--eval-tokens",
                     "20", "--eval-context", "8", "--eval-baseline", save,
                     "--eval-report", report},
                    "2>/dev/null");
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_NE(result.output.find("vs baseline          perplexity 1.0116, KLD "
                               "mean 0.000000, p99 0.000000, top-1 agreement "
                               "100.00%"),
            std::string::npos)
      << result.output;
  std::ifstream in(report);
  std::string json((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("\"scored_tokens\": 20"), std::string::npos) << json;
  EXPECT_NE(json.find("\"top1_agreement\": 1.0"), std::string::npos) << json;

  // A baseline over other tokens is refused.
  result = runModel({"--model-dir", dir.path(), "--eval", text, "--eval-tokens",
                     "19", "--eval-context", "8", "--eval-baseline", save});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.output.find("error: --eval-baseline '" + save +
                               "' scored other tokens (20 positions; another "
                               "text, tokenizer, --eval-tokens or "
                               "--eval-context?)"),
            std::string::npos)
      << result.output;
  result = runModel(
      {"--model-dir", dir.path(), "--eval", text, "--eval-context", "17"});
  EXPECT_NE(result.output.find("error: --eval-context 17 exceeds the model's "
                               "context of 16 tokens (max_len)"),
            std::string::npos)
      << result.output;
  result =
      runModel({"--model-dir", dir.path(), "--eval", text, "--prompt", "x"});
  EXPECT_NE(result.output.find("error: --eval scores a text: it does not take "
                               "--prompt"),
            std::string::npos)
      << result.output;
  result = runModel(
      {"--model-dir", dir.path(), "--prompt", "x", "--eval-save", save});
  EXPECT_NE(result.output.find("need --eval FILE"), std::string::npos)
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

// Issue 9, defect 13: a value read from the manifest that holds a newline
// and an escape sequence cannot forge a second diagnostic line or reach the
// terminal: the error is one line, the characters escaped.
TEST_F(ModelMainTest, ErrorsQuotingFileContentsStayOneLine) {
  nlohmann::ordered_json json = testing::testManifest({});
  json["format"] = "x\nsparsec_fake_model: error: forged\x1b[31m";
  testing::writeManifest(dir.path(), json);
  Result result =
      runModel({"--model-dir", dir.path(), "--prompt", "a"}, "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output,
            "sparsec_fake_model: error: " + dir.file("manifest.json") +
                ": key 'format': expected 'sparsec-manifest', got "
                "'x\\nsparsec_fake_model: error: forged\\x1b[31m' (not a "
                "sparsec manifest)\n");
}

// Issue 9, defects 4 and 7: a manifest nested 100,000 deep, or a FIFO in its
// place, is one line and exit status 1 (no crash, no hang).
TEST_F(ModelMainTest, DeepOrNonRegularManifestIsOneLine) {
  std::string manifest = dir.file("manifest.json");
  testing::writeTextFile(manifest,
                         std::string(100000, '[') + std::string(100000, ']'));
  Result result =
      runModel({"--model-dir", dir.path(), "--prompt", "a"}, "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output, "sparsec_fake_model: error: " + manifest +
                               ": JSON nested deeper than 64 levels (at byte "
                               "64)\n");

  ASSERT_EQ(std::remove(manifest.c_str()), 0);
  ASSERT_EQ(::mkfifo(manifest.c_str(), 0600), 0);
  // `timeout`: before the fix the open waited for a writer forever.
  result = runModel({"--model-dir", dir.path(), "--prompt", "a"},
                    "2>&1 >/dev/null", "/dev/null", "timeout 20 ");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output, "sparsec_fake_model: error: " + manifest +
                               ": not a regular file (the model's "
                               "manifest)\n");
}

TEST_F(ModelMainTest, HelpExitsZero) {
  Result result = runModel({"--help"});
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_EQ(result.output.rfind("usage: sparsec_fake_model --prompt TEXT", 0),
            0u)
      << result.output;
}

//===----------------------------------------------------------------------===//
// Chat, EOS and --interactive
//===----------------------------------------------------------------------===//

/// A model with room for chat prompts, an EOS and a chat format. Greedy
/// decoding of the fake step continues a prompt ending in ']' (every llama2
/// prompt) with "^_`ab" and then 'c', the EOS.
class ChatModelTest : public ::testing::Test {
protected:
  void SetUp() override { writeModel(128, "llama2", {'c'}); }

  void writeModel(int64_t maxLen, const std::string &chatTemplate,
                  const std::vector<int32_t> &eosIds) {
    testing::TestModelSpec spec;
    spec.maxLen = maxLen;
    nlohmann::ordered_json json = testing::testManifest(spec);
    if (!chatTemplate.empty())
      json["tokenizer"]["chat_template"] = chatTemplate;
    if (!eosIds.empty())
      json["tokenizer"]["eos_ids"] = eosIds;
    testing::writeManifest(dir.path(), json);
    ASSERT_TRUE(testing::writeTestWeights(dir.path(), spec).isOk());
  }

  /// Steps the last run made: the --dump-logits file holds 256 floats each.
  int64_t stepsDumped() const {
    struct stat info;
    if (::stat(dir.file("logits.bin").c_str(), &info) != 0)
      return -1;
    return static_cast<int64_t>(info.st_size) / (256 * 4);
  }

  std::string input(const std::string &text) const {
    testing::writeTextFile(dir.file("stdin.txt"), text);
    return dir.file("stdin.txt");
  }

  std::vector<std::string> args(std::vector<std::string> more) const {
    std::vector<std::string> all = {"--model-dir", dir.path(), "--dump-logits",
                                    dir.file("logits.bin")};
    all.insert(all.end(), more.begin(), more.end());
    return all;
  }

  TempDir dir;
};

TEST_F(ChatModelTest, PlainPromptStopsAtEosUnprinted) {
  Result result = runModel(args({"--prompt", "ab", "-n", "10"}));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "ab\n");
  // 'b' -> 'c' is the EOS at once: nothing generated, only the prompt
  // stepped.
  EXPECT_EQ(stepsDumped(), 2);

  result = runModel(args({"--prompt", "Z", "-n", "10"}));
  // 'Z' + 1 = '[', ... up to 'b'; 'c' ends it.
  EXPECT_EQ(result.output, "Z[\\]^_`ab\n");
  EXPECT_EQ(stepsDumped(), 1 + 8);
}

TEST_F(ChatModelTest, ChatWrapsThePromptInTheModelsFormat) {
  Result result =
      runModel(args({"--chat", "--prompt", "hi", "-n", "10"}), "2>&1");
  EXPECT_EQ(result.exitCode, 0) << result.output;
  // Only the reply is printed, not the prompt.
  EXPECT_EQ(result.output, "^_`ab\n");
  // "[INST] hi [/INST]" (no BOS: the byte tokenizer has none), then the
  // reply's 5 tokens; the EOS is sampled, never stepped.
  EXPECT_EQ(stepsDumped(), 17 + 5);

  result = runModel(
      args({"--chat", "--system", "Be brief.", "--prompt", "hi", "-n", "3"}));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "^_`\n");
  EXPECT_EQ(stepsDumped(),
            static_cast<int64_t>(
                std::string("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nhi [/INST]")
                    .size()) +
                2);
}

TEST_F(ChatModelTest, ChatTemplateFlagOverridesTheManifest) {
  // zephyr's prompt ends with "<|assistant|>\n": '\n' + 1 = 0x0b, ...
  Result result = runModel(args(
      {"--chat", "--chat-template", "zephyr", "--prompt", "hi", "-n", "3"}));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "\x0b\x0c\x0d\n");
  EXPECT_EQ(stepsDumped(),
            static_cast<int64_t>(
                std::string("<|user|>\nhi</s>\n<|assistant|>\n").size()) +
                2);
}

TEST_F(ChatModelTest, ChatNeedsAFormat) {
  writeModel(128, "", {});
  Result result =
      runModel(args({"--chat", "--prompt", "hi"}), "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output,
            "sparsec_fake_model: error: the model has no chat template (its "
            "manifest names no tokenizer.chat_template); choose one with "
            "--chat-template NAME (chatml, llama2, llama3, mistral, zephyr)\n");

  writeModel(128, "vicuna", {});
  result = runModel(args({"--chat", "--prompt", "hi"}), "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output,
            "sparsec_fake_model: error: unknown chat template 'vicuna' "
            "(known: chatml, llama2, llama3, mistral, zephyr)\n");

  result = runModel(args({"--interactive"}), "2>&1 >/dev/null", input("hi\n"));
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.output.find("unknown chat template 'vicuna'"),
            std::string::npos);

  writeModel(128, "llama2", {'c'});
  result = runModel(args({"--chat", "--prompt", std::string(120, 'x')}),
                    "2>&1 >/dev/null");
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_EQ(result.output,
            "sparsec_fake_model: error: the prompt is 135 tokens, longer than "
            "the model's context of 128 tokens (max_len)\n");
}

TEST_F(ChatModelTest, InteractiveKeepsTheCacheAndFeedsOnlyNewTokens) {
  Result result = runModel(args({"--interactive", "-n", "10"}), "2>/dev/null",
                           input("hi\nthere\n\nnever read\n"));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "^_`ab\n^_`ab\n");
  // Turn 1: the prompt and the reply's 5 tokens. Turn 2: only the
  // continuation (the reply's end marker " </s>" and the new user turn),
  // then the second reply.
  int64_t continuation =
      static_cast<int64_t>(std::string(" </s><s>[INST] there [/INST]").size());
  EXPECT_EQ(stepsDumped(), 17 + 5 + continuation + 5);

  // --prompt is the first turn; end of input without a newline still counts.
  result = runModel(args({"--interactive", "--prompt", "hi", "-n", "10"}),
                    "2>/dev/null", input("there"));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "^_`ab\n^_`ab\n");
  EXPECT_EQ(stepsDumped(), 17 + 5 + continuation + 5);

  // No input at all: no turn, no output.
  result = runModel(args({"--interactive"}), "2>&1", input(""));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "");
}

TEST_F(ChatModelTest, InteractiveStepsAReplyCutByTheLimit) {
  // -n 2 ends each reply after "^_" with '_' sampled but not stepped; the
  // next turn steps it before the continuation, so the cache holds the
  // whole conversation (the fake step aborts on a gap).
  Result result = runModel(args({"--interactive", "-n", "2"}), "2>/dev/null",
                           input("hi\nthere\n"));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output, "^_\n^_\n");
  int64_t continuation =
      static_cast<int64_t>(std::string(" </s><s>[INST] there [/INST]").size());
  EXPECT_EQ(stepsDumped(), 17 + 1 + 1 + continuation + 1);
}

TEST_F(ChatModelTest, InteractiveRefusesWhenTheContextIsFull) {
  writeModel(40, "llama2", {'c'});
  Result result = runModel(args({"--interactive", "-n", "10"}),
                           "2>&1 >/dev/null", input("hi\nthere\n"));
  EXPECT_EQ(result.exitCode, 1);
  // 17 + 5 positions taken; the second turn needs 28 of the 18 left.
  EXPECT_EQ(result.output,
            "sparsec_fake_model: error: the conversation is full: this turn "
            "needs 28 positions, only 18 of the model's context of 40 tokens "
            "(max_len) are left\n");
  result = runModel(args({"--interactive", "-n", "10"}), "2>/dev/null",
                    input("hi\nthere\n"));
  EXPECT_EQ(result.output, "^_`ab\n");

  // A reply that runs into max_len stops there, with a note.
  writeModel(20, "llama2", {});
  result = runModel(args({"--interactive", "-n", "10"}), "2>&1", input("hi\n"));
  EXPECT_EQ(result.exitCode, 0) << result.output;
  EXPECT_EQ(result.output,
            "^_`a\nsparsec_fake_model: the reply filled the model's context "
            "of 20 tokens (max_len); the conversation cannot go on\n");
}

} // namespace
} // namespace sparsec

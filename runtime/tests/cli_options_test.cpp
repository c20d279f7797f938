//===- cli_options_test.cpp - the model executable's flags ------*- C++ -*-===//

#include "main/cli_options.h"

#include <gtest/gtest.h>

namespace sparsec {
namespace {

StatusOr<CliOptions> parse(std::vector<std::string> args) {
  return parseCliOptions(args);
}

void expectError(std::vector<std::string> args, const std::string &message) {
  StatusOr<CliOptions> options = parse(args);
  ASSERT_FALSE(options.isOk())
      << "accepted flags expected to fail with: " << message;
  EXPECT_EQ(options.status().message(), message);
  EXPECT_EQ(options.status().code(), StatusCode::kInvalidArgument);
}

TEST(CliOptionsTest, Defaults) {
  StatusOr<CliOptions> options = parse({"--prompt", "hi"});
  ASSERT_TRUE(options.isOk()) << options.status().message();
  EXPECT_EQ(options->prompt, "hi");
  EXPECT_EQ(options->numTokens, 64);
  EXPECT_EQ(options->seed, 0u);
  EXPECT_EQ(options->temperature, 0.0f);
  EXPECT_EQ(options->topK, 0);
  EXPECT_EQ(options->topP, 1.0f);
  EXPECT_FALSE(options->bench);
  EXPECT_FALSE(options->profile);
  EXPECT_TRUE(options->modelDir.empty());
  EXPECT_FALSE(options->help);
}

TEST(CliOptionsTest, ParsesEveryFlag) {
  StatusOr<CliOptions> options =
      parse({"--prompt", "-dash first", "-n", "5", "--seed",
             "18446744073709551615", "--temperature", "0.7", "--top-k", "40",
             "--top-p=0.9", "--bench", "--profile", "--model-dir", "/tmp/m"});
  ASSERT_TRUE(options.isOk()) << options.status().message();
  EXPECT_EQ(options->prompt, "-dash first");
  EXPECT_EQ(options->numTokens, 5);
  EXPECT_EQ(options->seed, 18446744073709551615ull);
  EXPECT_FLOAT_EQ(options->temperature, 0.7f);
  EXPECT_EQ(options->topK, 40);
  EXPECT_FLOAT_EQ(options->topP, 0.9f);
  EXPECT_TRUE(options->bench);
  EXPECT_TRUE(options->profile);
  EXPECT_EQ(options->modelDir, "/tmp/m");
}

TEST(CliOptionsTest, EmptyPromptAndZeroTokensAreFlags) {
  StatusOr<CliOptions> options = parse({"--prompt=", "-n", "0"});
  ASSERT_TRUE(options.isOk()) << options.status().message();
  EXPECT_EQ(options->prompt, "");
  EXPECT_EQ(options->numTokens, 0);
}

TEST(CliOptionsTest, HelpNeedsNoPrompt) {
  StatusOr<CliOptions> options = parse({"--help"});
  ASSERT_TRUE(options.isOk());
  EXPECT_TRUE(options->help);
  EXPECT_NE(cliUsage("model").find("usage: model --prompt TEXT"),
            std::string::npos);
}

TEST(CliOptionsTest, RejectsBadFlags) {
  expectError(
      {},
      "--prompt TEXT is required (or --interactive, or --eval) (see --help)");
  expectError({"--prompt", "x", "--frobnicate"},
              "unknown flag '--frobnicate' (see --help)");
  expectError({"--prompt", "x", "stray"},
              "unexpected argument 'stray' (the prompt goes after --prompt) "
              "(see --help)");
  expectError({"--prompt"}, "--prompt needs a value (see --help)");
  expectError({"--prompt", "x", "-n"}, "-n needs a value (see --help)");
  expectError({"--prompt", "x", "-n", "ten"},
              "-n expects a non-negative integer (tokens to generate), got "
              "'ten' (see --help)");
  expectError({"--prompt", "x", "-n", "-3"},
              "-n expects a non-negative integer (tokens to generate), got "
              "'-3' (see --help)");
  expectError({"--prompt", "x", "-n", "4x"},
              "-n expects a non-negative integer (tokens to generate), got "
              "'4x' (see --help)");
  expectError({"--prompt", "x", "--seed", "-1"},
              "--seed expects a non-negative integer, got '-1' (see --help)");
  expectError({"--prompt", "x", "--temperature", "-0.5"},
              "--temperature expects a number >= 0, got '-0.5' (see --help)");
  expectError({"--prompt", "x", "--temperature", "hot"},
              "--temperature expects a number >= 0, got 'hot' (see --help)");
  expectError({"--prompt", "x", "--temperature", "nan"},
              "--temperature expects a number >= 0, got 'nan' (see --help)");
  expectError({"--prompt", "x", "--top-p", "0"},
              "--top-p expects a number in (0, 1], got '0' (see --help)");
  expectError({"--prompt", "x", "--top-p", "1.01"},
              "--top-p expects a number in (0, 1], got '1.01' (see --help)");
  expectError({"--prompt", "x", "--top-k", "-1"},
              "--top-k expects a non-negative integer (0 disables it), got "
              "'-1' (see --help)");
  expectError({"--prompt", "x", "--bench=yes"},
              "--bench takes no value, got 'yes' (see --help)");
}

TEST(CliOptionsTest, ChatFlags) {
  StatusOr<CliOptions> options = parse({"--prompt", "hi", "--chat", "--system",
                                        "", "--chat-template", "llama3"});
  ASSERT_TRUE(options.isOk()) << options.status().message();
  EXPECT_TRUE(options->chat);
  EXPECT_FALSE(options->interactive);
  EXPECT_TRUE(options->hasSystem);
  EXPECT_EQ(options->system, "");
  EXPECT_EQ(options->chatTemplate, "llama3");

  // --interactive needs no --prompt.
  options = parse({"--interactive", "--system=Be nice."});
  ASSERT_TRUE(options.isOk()) << options.status().message();
  EXPECT_TRUE(options->interactive);
  EXPECT_FALSE(options->hasPrompt);
  EXPECT_EQ(options->system, "Be nice.");
  options = parse({"-i", "-p", "first"});
  ASSERT_TRUE(options.isOk()) << options.status().message();
  EXPECT_TRUE(options->interactive && options->hasPrompt);

  EXPECT_NE(cliUsage("model").find("--chat-template NAME"), std::string::npos);
}

TEST(CliOptionsTest, RejectsBadChatFlags) {
  expectError({"--prompt", "x", "--system", "s"},
              "--system needs --chat or --interactive (see --help)");
  expectError({"--prompt", "x", "--chat-template", "chatml"},
              "--chat-template needs --chat or --interactive (see --help)");
  expectError({"--prompt", "x", "--chat", "--chat-template", "vicuna"},
              "--chat-template expects one of chatml, llama2, llama3, "
              "mistral, zephyr, got 'vicuna' (see --help)");
  expectError({"--interactive", "--bench"},
              "--bench does not work with --interactive (see --help)");
  expectError({"--interactive", "--profile"},
              "--profile does not work with --interactive (see --help)");
  expectError({"--prompt", "x", "--chat=1"},
              "--chat takes no value, got '1' (see --help)");
  expectError(
      {"--chat"},
      "--prompt TEXT is required (or --interactive, or --eval) (see --help)");
}

} // namespace
} // namespace sparsec

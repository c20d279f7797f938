//===- cli_options.h - the model executable's flags -------------*- C++ -*-===//
//
//   OUT/model --prompt TEXT [-n 64] [--seed 0] [--temperature T]
//             [--top-k K] [--top-p P] [--bench] [--profile]
//             [--model-dir DIR] [--help]
//             [--chat] [--system TEXT] [--chat-template NAME]
//   OUT/model --interactive [--prompt TEXT] [--system TEXT] ...
//   OUT/model --eval FILE.txt [--eval-tokens N] [--eval-context C]
//             [--eval-save FILE] [--eval-baseline FILE] [--eval-report FILE]
//
// Parsed by hand (the executable links nothing but the runtime). Flags take
// their value as the next argument or after '=' (--seed=3). A bad flag is a
// one-line error.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_RUNTIME_MAIN_CLI_OPTIONS_H
#define SPARSEC_RUNTIME_MAIN_CLI_OPTIONS_H

#include "sparsec/formats/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sparsec {

struct CliOptions {
  std::string prompt;
  /// -n: tokens to generate after the prompt.
  int64_t numTokens = 64;
  uint64_t seed = 0;
  /// 0: every hardware thread.
  int32_t threads = 0;
  /// 0 is greedy decoding.
  float temperature = 0.0f;
  /// 0 disables top-k.
  int32_t topK = 0;
  float topP = 1.0f;
  bool bench = false;
  /// --profile: time each kernel and print where a step's time goes.
  bool profile = false;
  /// Empty: the executable's own folder.
  std::string modelDir;
  /// Non-empty: every step's logits are appended to this file.
  std::string dumpLogits;
  /// --prefill / --no-prefill: the prompt through the model's prefill step
  /// (blocks of tokens) or token by token. Unset: the prefill step, except
  /// with --dump-logits (every prompt position's logits).
  std::optional<bool> prefill;
  /// --chat: --prompt is one user turn in the model's chat format.
  bool chat = false;
  /// --interactive: a conversation, user turns read from stdin (implies
  /// chat; --prompt, if given, is the first turn).
  bool interactive = false;
  /// --system TEXT: the conversation's system message (hasSystem: given,
  /// possibly empty).
  std::string system;
  bool hasSystem = false;
  /// --chat-template NAME: overrides the manifest's chat format.
  std::string chatTemplate;
  /// --ignore-eos: generate all -n tokens, through end-of-sequence tokens
  /// (for measurements and reference comparisons).
  bool ignoreEos = false;
  /// --verify-weights: recompute the weights' hash before running.
  bool verifyWeights = false;
  /// Whether --prompt was given.
  bool hasPrompt = false;
  /// --eval FILE: score the text instead of generating (main/evaluate.h).
  std::string evalFile;
  /// --eval-tokens: predictions scored (default 1024).
  int64_t evalTokens = 1024;
  /// --eval-context: positions per chunk (0: min(max_len, 512)).
  int64_t evalContext = 0;
  std::string evalSave, evalBaseline, evalReport;
  /// --record DIR (with --eval): the records of a --record-activations
  /// model, one file each, for sparsec calibrate.
  std::string recordDir;
  bool hasEvalTokens = false;
  bool help = false;
};

/// Parses the arguments after the program name. --prompt is required
/// unless --help, --interactive or --eval is given; --system and
/// --chat-template need --chat or --interactive; --interactive excludes
/// --bench and --profile; --eval excludes the generation flags, and the
/// --eval-* flags need it.
StatusOr<CliOptions> parseCliOptions(const std::vector<std::string> &args);

/// The --help text.
std::string cliUsage(const std::string &program);

} // namespace sparsec

#endif // SPARSEC_RUNTIME_MAIN_CLI_OPTIONS_H

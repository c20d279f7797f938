//===- model_main.cpp - main() of a compiled model executable ---*- C++ -*-===//
//
// The compiler links this (library sparsec_runtime_main) with the generated
// decode step object and sparsec_runtime into OUT/model. It loads the model
// next to the executable (or --model-dir), steps the prompt (or, with --chat,
// the prompt rendered as a user turn of the model's chat format), then
// samples up to -n tokens, stopping at an EOS, and streams their text.
// --interactive holds a conversation over stdin, keeping the KV cache and
// feeding only each turn's new tokens. --bench then prints timing, the
// realized FFN density per layer and the bytes of weights read per token.
// Everything goes through the public C API (include/sparsec/runtime.h).
// Errors are one line on stderr and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "main/cli_options.h"
#include "main/evaluate.h"
#include "main/profile_report.h"
#include "sparsec/formats/status.h"
#include "sparsec/runtime.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string programName = "model";

/// Prints "PROGRAM: error: MESSAGE" as exactly one line: whatever the
/// message quotes, control characters (a newline, an escape sequence) are
/// escaped here as a last net (escapeForMessage is idempotent).
int fail(const std::string &message) {
  std::string line = sparsec::escapeForMessage(programName) +
                     ": error: " + sparsec::escapeForMessage(message) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  return 1;
}

/// Reports and frees a failed status; true when `status` was OK.
bool check(sparsec_status_t status) {
  if (sparsec_status_is_ok(status))
    return true;
  fail(sparsec_status_message(status));
  sparsec_status_free(status);
  return false;
}

/// Whether the prompt runs through the session's prefill (blocks of tokens
/// when the model has a prefill step): unless --no-prefill, or
/// --dump-logits without --prefill (every prompt position's logits).
bool usesPrefill(const sparsec::CliOptions &options) {
  return options.prefill.value_or(options.dumpLogits.empty());
}

/// The folder of the running executable (/proc/self/exe), or "." if that
/// cannot be read.
std::string executableDir() {
  std::vector<char> buffer(PATH_MAX + 1);
  ssize_t length = ::readlink("/proc/self/exe", buffer.data(), PATH_MAX);
  if (length <= 0)
    return ".";
  std::string path(buffer.data(), static_cast<size_t>(length));
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

/// Per-step FFN counts and the bytes they imply, for --bench.
class BenchStats {
public:
  bool init(const sparsec_model_t *model, const sparsec_model_info_t &info) {
    model_ = model;
    counts_.resize(info.num_ffns);
    for (size_t i = 0; i < info.num_ffns; ++i) {
      sparsec_ffn_info_t ffn;
      if (!check(sparsec_model_query_ffn(model, i, &ffn)))
        return false;
      ffns_.push_back(ffn);
      layerNeurons_[ffn.layer] += ffn.neurons;
    }
    return true;
  }

  /// Records the session's last step; `timed`: a generated token's step,
  /// whose bytes the decode tok/s is measured over.
  bool record(const sparsec_session_t *session, bool timed) {
    size_t count = 0;
    if (!check(sparsec_session_stats(session, counts_.data(), counts_.size(),
                                     &count)))
      return false;
    uint64_t bytes = 0, kvBytes = 0;
    if (!check(sparsec_model_bytes_read(model_, counts_.data(), count, &bytes)))
      return false;
    // The step just run was at the position before the session's.
    if (!check(sparsec_model_kv_cache_bytes_read(
            model_, sparsec_session_position(session) - 1, &kvBytes)))
      return false;
    bytesSum_[timed] += static_cast<double>(bytes);
    kvBytesSum_[timed] += static_cast<double>(kvBytes);
    ++bytesSteps_[timed];
    std::map<int32_t, int64_t> computed;
    for (size_t i = 0; i < count; ++i)
      computed[ffns_[i].layer] += std::max<int32_t>(counts_[i], 0);
    for (const auto &[layer, neurons] : layerNeurons_)
      densitySum_[layer] +=
          static_cast<double>(computed[layer]) / static_cast<double>(neurons);
    ++steps_;
    return true;
  }

  void print() const {
    if (steps_ == 0)
      return;
    // Bytes of the timed steps (those decode tok/s measures; at a long
    // context their KV reads differ from the prompt's), else of all.
    bool timed = bytesSteps_[1] > 0;
    double steps = static_cast<double>(timed ? bytesSteps_[1] : steps_);
    double bytes = (bytesSum_[1] + (timed ? 0.0 : bytesSum_[0])) / steps;
    double kvBytes = (kvBytesSum_[1] + (timed ? 0.0 : kvBytesSum_[0])) / steps;
    std::printf("  weights read/token   %.2f MiB\n", bytes / (1024.0 * 1024.0));
    std::printf("  KV cache read/token  %.2f MiB\n",
                kvBytes / (1024.0 * 1024.0));
    std::printf("  bytes/token          %.0f\n", bytes + kvBytes);
    if (layerNeurons_.empty()) {
      std::printf("  FFN density          (no sparse FFNs)\n");
      return;
    }
    std::printf("  FFN density (mean over %zu steps, computed/neurons)\n",
                steps_);
    for (const auto &[layer, neurons] : layerNeurons_)
      std::printf("    layer %-4d         %.4f  (%lld neurons)\n", layer,
                  densitySum_.at(layer) / static_cast<double>(steps_),
                  static_cast<long long>(neurons));
  }

private:
  const sparsec_model_t *model_ = nullptr;
  std::vector<sparsec_ffn_info_t> ffns_;
  std::vector<int32_t> counts_;
  std::map<int32_t, int64_t> layerNeurons_;
  std::map<int32_t, double> densitySum_;
  /// [0]: prompt steps, [1]: generated tokens' steps.
  double bytesSum_[2] = {0.0, 0.0}, kvBytesSum_[2] = {0.0, 0.0};
  size_t bytesSteps_[2] = {0, 0};
  size_t steps_ = 0;
};

/// The ids of `text`, encoded with `flags` (sparsec_tokenize_flags_t).
bool tokenize(const sparsec_model_t *model, const std::string &text,
              uint32_t flags, std::vector<int32_t> &ids) {
  size_t count = 0;
  if (!check(sparsec_model_tokenize_ex(model, text.data(), text.size(), flags,
                                       nullptr, 0, &count)))
    return false;
  ids.resize(count);
  if (!check(sparsec_model_tokenize_ex(model, text.data(), text.size(), flags,
                                       ids.data(), ids.size(), &count)))
    return false;
  ids.resize(count);
  return true;
}

/// Runs a sparsec_chat_render* call under the size-query convention.
template <typename Render> bool renderText(Render render, std::string &text) {
  size_t length = 0;
  if (!check(render(nullptr, 0, &length)))
    return false;
  std::vector<char> buffer(length + 1);
  if (!check(render(buffer.data(), buffer.size(), &length)))
    return false;
  text.assign(buffer.data(), length);
  return true;
}

void writeOut(const char *text, size_t length) {
  if (length) {
    std::fwrite(text, 1, length, stdout);
    std::fflush(stdout);
  }
}

/// Reads one line of stdin without its line break; false at end of input.
bool readLine(std::string &line) {
  line.clear();
  int c;
  while ((c = std::fgetc(stdin)) != EOF && c != '\n')
    line += static_cast<char>(c);
  if (c == EOF && line.empty())
    return false;
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return true;
}

/// Steps tokens, samples and streams replies for one model and session.
class Generator {
public:
  Generator(const sparsec::CliOptions &options, sparsec_model_t *model,
            sparsec_session_t *session, sparsec_detokenizer_t *detokenizer,
            int64_t maxLen)
      : options_(options), model_(model), session_(session),
        detokenizer_(detokenizer), maxLen_(maxLen) {}

  /// Opens --dump-logits and, with --bench, the stats.
  bool init(const sparsec_model_info_t &info) {
    prefillBlock_ = info.prefill_block;
    if (options_.bench && !stats_.init(model_, info))
      return false;
    if (!options_.dumpLogits.empty()) {
      dump_.reset(std::fopen(options_.dumpLogits.c_str(), "wb"));
      if (!dump_) {
        fail(options_.dumpLogits + ": cannot write: " + std::strerror(errno));
        return false;
      }
      logits_.resize(static_cast<size_t>(info.vocab_size));
    }
    return true;
  }

  /// Runs the tokens (with --bench, timed as the prefill): through the
  /// session's prefill (the model's prefill step, blocks of tokens at
  /// once, when it has one), or with --no-prefill / --dump-logits each
  /// through the decode step.
  bool feed(const std::vector<int32_t> &tokens) {
    Clock::time_point start = Clock::now();
    if (usesPrefill(options_) && prefillBlock_ > 0) {
      if (!check(sparsec_session_prefill(session_, tokens.data(), tokens.size(),
                                         dump_ ? logits_.data() : nullptr)))
        return false;
      if (dump_ && !tokens.empty() && !dumpLogits())
        return false;
      prefillMs_ += millisecondsSince(start);
      prefilled_ += tokens.size();
      return true;
    }
    for (int32_t token : tokens)
      if (!step(token) ||
          (options_.bench && !stats_.record(session_, /*timed=*/false)))
        return false;
    prefillMs_ += millisecondsSince(start);
    prefilled_ += tokens.size();
    return true;
  }

  /// Samples up to `limit` tokens after the last step and streams their
  /// text. Every sampled token but the last is stepped; an EOS ends the
  /// reply unprinted and is never stepped (the chat's continuation starts
  /// with the end-of-turn marker); otherwise the last token stays pending.
  bool generate(int64_t limit) {
    pending_.reset();
    contextFull_ = false;
    for (int64_t i = 0; i < limit; ++i) {
      Clock::time_point start = Clock::now();
      bool stepped = false;
      if (i > 0) {
        if (sparsec_session_position(session_) >= maxLen_) {
          contextFull_ = true;
          break;
        }
        if (!step(pending_.value()))
          return false;
        stepped = true;
        pending_.reset();
      }
      int32_t token = 0;
      if (!check(sparsec_session_sample(session_, &token)))
        return false;
      if (!stepped && firstSampleMs_ == 0.0)
        firstSampleMs_ = millisecondsSince(start);
      if (stepped) {
        tokenMs_.push_back(millisecondsSince(start));
        if (options_.bench && !stats_.record(session_, /*timed=*/true))
          return false;
      }
      int isEos = 0;
      if (!check(sparsec_model_is_eos(model_, token, &isEos)))
        return false;
      if (isEos && !options_.ignoreEos)
        break;
      const char *text = nullptr;
      size_t length = 0;
      if (!check(sparsec_detokenizer_push(detokenizer_, token, &text, &length)))
        return false;
      writeOut(text, length);
      pending_ = token;
      ++generated_;
    }
    const char *text = nullptr;
    size_t length = 0;
    if (!check(sparsec_detokenizer_flush(detokenizer_, &text, &length)))
      return false;
    writeOut(text, length);
    return true;
  }

  /// The last generated token when it was not stepped (the -n limit or a
  /// full context ended the reply).
  std::optional<int32_t> pending() const { return pending_; }
  /// Whether the last reply stopped because the context was full.
  bool contextFull() const { return contextFull_; }

  void printBench(const sparsec_model_info_t &info, size_t promptTokens,
                  const std::string &dir) const {
    std::printf("\nsparsec bench: %s (%s, %s)\n", info.model_name,
                info.architecture, info.target);
    std::printf(
        "  prompt tokens        %zu (%.2f ms, %s)\n", promptTokens, prefillMs_,
        usesPrefill(options_) && info.prefill_block > 0
            ? ("prefill step, blocks of " + std::to_string(info.prefill_block))
                  .c_str()
            : "token by token");
    if (prefillMs_ > 0.0)
      std::printf("  prefill tok/s        %.2f\n",
                  1000.0 * static_cast<double>(prefilled_) / prefillMs_);
    std::printf("  time to first token  %.2f ms\n",
                prefillMs_ + firstSampleMs_);
    std::printf("  generated tokens     %lld\n",
                static_cast<long long>(generated_));
    if (tokenMs_.empty()) {
      std::printf("  decode tok/s         n/a (needs -n 2 or more)\n");
    } else {
      double total = 0.0;
      for (double ms : tokenMs_)
        total += ms;
      std::vector<double> sorted = tokenMs_;
      std::sort(sorted.begin(), sorted.end());
      size_t mid = sorted.size() / 2;
      double median = sorted.size() % 2 ? sorted[mid]
                                        : (sorted[mid - 1] + sorted[mid]) / 2.0;
      double mean = total / static_cast<double>(tokenMs_.size());
      std::printf("  decode tok/s         %.2f\n",
                  total > 0.0
                      ? 1000.0 * static_cast<double>(tokenMs_.size()) / total
                      : 0.0);
      std::printf("  ms/token (median)    %.3f\n", median);
      std::printf("  ms/token (mean)      %.3f\n", mean);
    }
    stats_.print();
    std::fputs(sparsec::accuracySummary(dir).c_str(), stdout);
    std::fflush(stdout);
  }

private:
  bool step(int32_t token) {
    if (!check(sparsec_session_step(session_, token,
                                    dump_ ? logits_.data() : nullptr)))
      return false;
    return !dump_ || dumpLogits();
  }

  bool dumpLogits() {
    if (std::fwrite(logits_.data(), sizeof(float), logits_.size(),
                    dump_.get()) != logits_.size()) {
      fail(options_.dumpLogits + ": write failed");
      return false;
    }
    return true;
  }

  const sparsec::CliOptions &options_;
  sparsec_model_t *model_;
  sparsec_session_t *session_;
  sparsec_detokenizer_t *detokenizer_;
  int64_t maxLen_;
  BenchStats stats_;
  // --dump-logits: each step's logits, appended in step order.
  std::unique_ptr<FILE, int (*)(FILE *)> dump_{nullptr, &std::fclose};
  std::vector<float> logits_;
  std::optional<int32_t> pending_;
  bool contextFull_ = false;
  // Token i > 0 costs the step of token i - 1 plus its sampling; token 0
  // is sampled from the prompt's last step and is not timed.
  std::vector<double> tokenMs_;
  double prefillMs_ = 0.0;
  size_t prefilled_ = 0;
  /// The model's prefill block (0: it has no prefill step).
  int32_t prefillBlock_ = 0;
  /// The first reply token's sampling, after the prompt (time to first
  /// token = prefill + this).
  double firstSampleMs_ = 0.0;
  int64_t generated_ = 0;
};

/// The chat format: --chat-template, else the manifest's.
bool chatFormat(const sparsec::CliOptions &options,
                const sparsec_model_t *model, std::string &format) {
  if (!options.chatTemplate.empty()) {
    format = options.chatTemplate;
    return true;
  }
  const char *name = nullptr;
  if (!check(sparsec_model_query_chat_template(model, &name)))
    return false;
  if (!name) {
    fail(std::string("the model has no chat template (its manifest names no "
                     "tokenizer.chat_template); choose one with "
                     "--chat-template NAME (") +
         sparsec_chat_format_names() + ")");
    return false;
  }
  format = name;
  return true;
}

/// The first chat turn's text: the system message (--system, else the one
/// the model's own template adds when a conversation has none, as
/// SmolLM2's does) and `user`.
bool renderFirstTurn(const sparsec::CliOptions &options,
                     const sparsec_model_t *model, const std::string &format,
                     const std::string &user, std::string &text) {
  std::vector<sparsec_chat_message_t> messages;
  const char *modelFormat = nullptr, *modelSystem = nullptr;
  if (!check(sparsec_model_query_chat_template(model, &modelFormat)) ||
      !check(sparsec_model_query_chat_default_system(model, &modelSystem)))
    return false;
  if (options.hasSystem)
    messages.push_back({"system", options.system.c_str()});
  else if (modelSystem && modelFormat && format == modelFormat)
    messages.push_back({"system", modelSystem});
  messages.push_back({"user", user.c_str()});
  return renderText(
      [&](char *out, size_t capacity, size_t *length) {
        return sparsec_chat_render(format.c_str(), messages.data(),
                                   messages.size(), 1, out, capacity, length);
      },
      text);
}

/// --interactive: one user line per turn; the KV cache is kept, so each
/// turn after the first feeds only the continuation's tokens.
int converse(const sparsec::CliOptions &options, sparsec_model_t *model,
             const sparsec_model_info_t &info, const std::string &format,
             Generator &generator, sparsec_detokenizer_t *detokenizer,
             sparsec_session_t *session) {
  const int64_t maxLen = info.max_len;
  bool terminal = ::isatty(STDIN_FILENO);
  bool first = true;
  std::string line;
  for (;;) {
    if (first && options.hasPrompt) {
      line = options.prompt;
    } else {
      if (terminal) {
        std::fputs("> ", stderr);
        std::fflush(stderr);
      }
      if (!readLine(line) || line.empty())
        return 0;
    }
    std::string text;
    std::vector<int32_t> tokens;
    if (first) {
      if (!renderFirstTurn(options, model, format, line, text))
        return 1;
      if (info.bos_id >= 0)
        tokens.push_back(info.bos_id);
    } else {
      if (!renderText(
              [&](char *out, size_t capacity, size_t *length) {
                return sparsec_chat_render_continuation(
                    format.c_str(), line.c_str(), 1, out, capacity, length);
              },
              text))
        return 1;
      // The last reply's final token, if the -n limit left it unstepped.
      if (std::optional<int32_t> pending = generator.pending())
        tokens.push_back(*pending);
    }
    std::vector<int32_t> ids;
    if (!tokenize(model, text, SPARSEC_TOKENIZE_PARSE_SPECIAL, ids))
      return 1;
    tokens.insert(tokens.end(), ids.begin(), ids.end());
    int64_t position = sparsec_session_position(session);
    if (position + static_cast<int64_t>(tokens.size()) > maxLen)
      return fail("the conversation is full: this turn needs " +
                  std::to_string(tokens.size()) + " positions, only " +
                  std::to_string(maxLen - position) +
                  " of the model's context of " + std::to_string(maxLen) +
                  " tokens (max_len) are left");
    if (!generator.feed(tokens))
      return 1;
    if (!check(sparsec_detokenizer_reset(detokenizer)) ||
        !generator.generate(options.numTokens))
      return 1;
    std::printf("\n");
    std::fflush(stdout);
    if (generator.contextFull())
      std::fprintf(stderr,
                   "%s: the reply filled the model's context of %lld tokens "
                   "(max_len); the conversation cannot go on\n",
                   programName.c_str(), static_cast<long long>(maxLen));
    first = false;
  }
}

/// --profile: the session's kernel times, as a table on stdout.
bool printProfile(const sparsec_session_t *session) {
  sparsec_profile_t profile;
  if (!check(sparsec_session_query_profile(session, &profile)))
    return false;
  std::vector<sparsec::KernelTime> kernels;
  for (int64_t k = 0; k < profile.num_kernels; ++k) {
    sparsec_kernel_profile_t kernel;
    if (!check(sparsec_session_query_kernel_profile(session, k, &kernel)))
      return false;
    kernels.push_back({kernel.name, kernel.calls, kernel.seconds});
  }
  std::fputs(
      sparsec::formatProfile(profile.steps, profile.step_seconds, kernels)
          .c_str(),
      stdout);
  std::fflush(stdout);
  return true;
}

int run(const sparsec::CliOptions &options) {
  std::string dir =
      options.modelDir.empty() ? executableDir() : options.modelDir;
  sparsec_model_t *model = nullptr;
  if (!check(sparsec_model_load(dir.c_str(), &model)))
    return 1;
  struct Releaser {
    sparsec_model_t *model;
    sparsec_session_t *session = nullptr;
    sparsec_detokenizer_t *detokenizer = nullptr;
    ~Releaser() {
      sparsec_detokenizer_release(detokenizer);
      sparsec_session_release(session);
      sparsec_model_release(model);
    }
  } handles{model};

  sparsec_model_info_t info;
  if (options.verifyWeights && !check(sparsec_model_verify_weights(model)))
    return 1;
  if (!check(sparsec_model_query_info(model, &info)))
    return 1;
  if (!options.evalFile.empty()) {
    sparsec::Status status = sparsec::evaluateText(options, model, info);
    return status.isOk() ? 0 : fail(status.message());
  }
  const int64_t maxLen = info.max_len;
  bool chat = options.chat || options.interactive;
  std::string format;
  if (chat && !chatFormat(options, model, format))
    return 1;

  // The prompt's tokens: BOS (if the tokenizer has one), then the text; a
  // rendered chat's markers are special tokens, a plain prompt's are not.
  std::vector<int32_t> prompt;
  if (!options.interactive) {
    std::string text = options.prompt;
    if (options.chat &&
        !renderFirstTurn(options, model, format, options.prompt, text))
      return 1;
    if (!tokenize(model, text,
                  options.chat ? SPARSEC_TOKENIZE_PARSE_SPECIAL
                               : SPARSEC_TOKENIZE_DEFAULT,
                  prompt))
      return 1;
    if (info.bos_id >= 0)
      prompt.insert(prompt.begin(), info.bos_id);
    if (prompt.empty())
      return fail("the prompt is empty and the tokenizer has no BOS token to "
                  "start from; give a non-empty --prompt");
    if (static_cast<int64_t>(prompt.size()) > maxLen)
      return fail("the prompt is " + std::to_string(prompt.size()) +
                  " tokens, longer than the model's context of " +
                  std::to_string(maxLen) + " tokens (max_len)");
    // Every generated token but the last is stepped too.
    int64_t needed = static_cast<int64_t>(prompt.size()) +
                     std::max<int64_t>(options.numTokens - 1, 0);
    if (needed > maxLen)
      return fail("the prompt (" + std::to_string(prompt.size()) +
                  " tokens) and -n " + std::to_string(options.numTokens) +
                  " need " + std::to_string(needed) +
                  " positions, more than the model's context of " +
                  std::to_string(maxLen) + " tokens (max_len); lower -n");
  }

  sparsec_session_options_t sessionOptions;
  sparsec_session_options_initialize(&sessionOptions);
  sessionOptions.seed = options.seed;
  sessionOptions.temperature = options.temperature;
  sessionOptions.top_k = options.topK;
  sessionOptions.top_p = options.topP;
  sessionOptions.num_threads = options.threads;
  sessionOptions.profile = options.profile ? 1 : 0;
  sessionOptions.token_by_token = usesPrefill(options) ? 0 : 1;
  if (!check(sparsec_session_create(model, &sessionOptions, &handles.session)))
    return 1;
  if (!check(sparsec_detokenizer_create(model, &handles.detokenizer)))
    return 1;
  sparsec_session_t *session = handles.session;
  sparsec_detokenizer_t *detokenizer = handles.detokenizer;

  Generator generator(options, model, session, detokenizer, maxLen);
  if (!generator.init(info))
    return 1;
  if (options.interactive)
    return converse(options, model, info, format, generator, detokenizer,
                    session);

  if (!options.chat) {
    // A completion: the prompt is echoed, and the generated text continues
    // it (the detokenizer sees the prompt first, so that the first piece
    // keeps its leading space).
    writeOut(options.prompt.data(), options.prompt.size());
    for (int32_t token : prompt) {
      const char *text = nullptr;
      size_t length = 0;
      if (!check(sparsec_detokenizer_push(detokenizer, token, &text, &length)))
        return 1;
    }
  }
  if (!generator.feed(prompt) || !generator.generate(options.numTokens))
    return 1;
  std::printf("\n");
  std::fflush(stdout);
  if (options.bench)
    generator.printBench(info, prompt.size(), dir);
  if (options.profile && !printProfile(session))
    return 1;
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 0 && argv[0]) {
    programName = argv[0];
    size_t slash = programName.rfind('/');
    if (slash != std::string::npos)
      programName = programName.substr(slash + 1);
    programName = sparsec::escapeForMessage(programName);
  }
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  sparsec::StatusOr<sparsec::CliOptions> options =
      sparsec::parseCliOptions(args);
  if (!options.isOk())
    return fail(options.status().message());
  if (options->help) {
    std::fputs(sparsec::cliUsage(programName).c_str(), stdout);
    return 0;
  }
  try {
    return run(*options);
  } catch (...) {
    return fail("out of memory");
  }
}

//===- model_main.cpp - main() of a compiled model executable ---*- C++ -*-===//
//
// The compiler links this (library sparsec_runtime_main) with the generated
// decode step object and sparsec_runtime into OUT/model. It loads the model
// next to the executable (or --model-dir), steps the prompt, then samples
// and prints -n tokens, flushing each. --bench then prints timing, the
// realized FFN density per layer and the bytes of weights read per token.
// Everything goes through the public C API (include/sparsec/runtime.h).
// Errors are one line on stderr and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "main/cli_options.h"
#include "sparsec/runtime.h"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::string programName = "model";

int fail(const std::string &message) {
  std::fprintf(stderr, "%s: error: %s\n", programName.c_str(), message.c_str());
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

  /// Records the session's last step.
  bool record(const sparsec_session_t *session) {
    size_t count = 0;
    if (!check(sparsec_session_stats(session, counts_.data(), counts_.size(),
                                     &count)))
      return false;
    uint64_t bytes = 0;
    if (!check(sparsec_model_bytes_read(model_, counts_.data(), count, &bytes)))
      return false;
    bytesSum_ += static_cast<double>(bytes);
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
    double bytes = bytesSum_ / static_cast<double>(steps_);
    std::printf("  weights read/token   %.2f MiB\n", bytes / (1024.0 * 1024.0));
    std::printf("  bytes/token          %.0f\n", bytes);
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
  double bytesSum_ = 0.0;
  size_t steps_ = 0;
};

/// Prints one token's text piece and flushes.
bool printToken(const sparsec_model_t *model, int32_t token,
                std::vector<char> &buffer) {
  size_t length = 0;
  if (!check(sparsec_model_detokenize(model, token, nullptr, 0, &length)))
    return false;
  buffer.resize(length + 1);
  if (!check(sparsec_model_detokenize(model, token, buffer.data(),
                                      buffer.size(), &length)))
    return false;
  std::fwrite(buffer.data(), 1, length, stdout);
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
    ~Releaser() {
      sparsec_session_release(session);
      sparsec_model_release(model);
    }
  } handles{model};

  sparsec_model_info_t info;
  if (!check(sparsec_model_query_info(model, &info)))
    return 1;

  // The prompt's tokens: BOS (if the tokenizer has one), then the text.
  size_t count = 0;
  if (!check(sparsec_model_tokenize(model, options.prompt.data(),
                                    options.prompt.size(), nullptr, 0, &count)))
    return 1;
  std::vector<int32_t> prompt(count);
  if (!check(sparsec_model_tokenize(model, options.prompt.data(),
                                    options.prompt.size(), prompt.data(),
                                    prompt.size(), &count)))
    return 1;
  if (info.bos_id >= 0)
    prompt.insert(prompt.begin(), info.bos_id);
  if (prompt.empty())
    return fail("the prompt is empty and the tokenizer has no BOS token to "
                "start from; give a non-empty --prompt");
  const int64_t maxLen = info.max_len;
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

  sparsec_session_options_t sessionOptions;
  sparsec_session_options_initialize(&sessionOptions);
  sessionOptions.seed = options.seed;
  sessionOptions.temperature = options.temperature;
  sessionOptions.top_k = options.topK;
  sessionOptions.top_p = options.topP;
  sessionOptions.num_threads = options.threads;
  if (!check(sparsec_session_create(model, &sessionOptions, &handles.session)))
    return 1;
  sparsec_session_t *session = handles.session;

  BenchStats stats;
  if (options.bench && !stats.init(model, info))
    return 1;

  // --dump-logits: each step's logits, appended in step order.
  std::unique_ptr<FILE, int (*)(FILE *)> dump(nullptr, &std::fclose);
  std::vector<float> logits;
  if (!options.dumpLogits.empty()) {
    dump.reset(std::fopen(options.dumpLogits.c_str(), "wb"));
    if (!dump)
      return fail(options.dumpLogits + ": cannot write: " +
                  std::strerror(errno));
    logits.resize(static_cast<size_t>(info.vocab_size));
  }
  auto step = [&](int32_t token) {
    if (!check(sparsec_session_step(session, token,
                                    dump ? logits.data() : nullptr)))
      return false;
    if (dump && std::fwrite(logits.data(), sizeof(float), logits.size(),
                            dump.get()) != logits.size()) {
      fail(options.dumpLogits + ": write failed");
      return false;
    }
    return true;
  };

  std::fwrite(options.prompt.data(), 1, options.prompt.size(), stdout);
  std::fflush(stdout);

  Clock::time_point prefillStart = Clock::now();
  for (int32_t token : prompt) {
    if (!step(token))
      return 1;
    if (options.bench && !stats.record(session))
      return 1;
  }
  double prefillMs = millisecondsSince(prefillStart);

  // Token i > 0 costs the step of token i - 1 plus its sampling; token 0
  // is sampled from the prompt's last step and is not timed.
  std::vector<double> tokenMs;
  std::vector<char> piece;
  int32_t token = 0;
  for (int64_t i = 0; i < options.numTokens; ++i) {
    Clock::time_point start = Clock::now();
    if (i > 0 && !step(token))
      return 1;
    if (!check(sparsec_session_sample(session, &token)))
      return 1;
    if (i > 0) {
      tokenMs.push_back(millisecondsSince(start));
      if (options.bench && !stats.record(session))
        return 1;
    }
    if (!printToken(model, token, piece))
      return 1;
  }
  std::printf("\n");
  std::fflush(stdout);

  if (options.bench) {
    std::printf("\nsparsec bench: %s (%s, %s)\n", info.model_name,
                info.architecture, info.target);
    std::printf("  prompt tokens        %zu (%.2f ms)\n", prompt.size(),
                prefillMs);
    std::printf("  generated tokens     %lld\n",
                static_cast<long long>(options.numTokens));
    if (tokenMs.empty()) {
      std::printf("  decode tok/s         n/a (needs -n 2 or more)\n");
    } else {
      double total = 0.0;
      for (double ms : tokenMs)
        total += ms;
      std::vector<double> sorted = tokenMs;
      std::sort(sorted.begin(), sorted.end());
      size_t mid = sorted.size() / 2;
      double median = sorted.size() % 2 ? sorted[mid]
                                        : (sorted[mid - 1] + sorted[mid]) / 2.0;
      double mean = total / static_cast<double>(tokenMs.size());
      std::printf("  decode tok/s         %.2f\n",
                  total > 0.0
                      ? 1000.0 * static_cast<double>(tokenMs.size()) / total
                      : 0.0);
      std::printf("  ms/token (median)    %.3f\n", median);
      std::printf("  ms/token (mean)      %.3f\n", mean);
    }
    stats.print();
    std::fflush(stdout);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc > 0 && argv[0]) {
    programName = argv[0];
    size_t slash = programName.rfind('/');
    if (slash != std::string::npos)
      programName = programName.substr(slash + 1);
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

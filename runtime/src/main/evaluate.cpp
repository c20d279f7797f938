//===- evaluate.cpp - OUT/model --eval: scoring a text ----------*- C++ -*-===//

#include "main/evaluate.h"

#include "main/eval_metrics.h"
#include "sparsec/formats/gguf.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <sys/stat.h>

namespace sparsec {
namespace {

constexpr char kMagic[16] = "sparsec-eval-v1";
constexpr int64_t kDefaultContext = 512;

/// The C API's status as a Status (freed).
Status fromC(sparsec_status_t status) {
  if (sparsec_status_is_ok(status))
    return Status::ok();
  Status result(static_cast<StatusCode>(sparsec_status_code(status)),
                sparsec_status_message(status));
  sparsec_status_free(status);
  return result;
}

Status ioError(const std::string &what, const std::string &path) {
  return Status(StatusCode::kIoError, what + " '" + escapeForMessage(path) +
                                          "': " + std::strerror(errno));
}

const char *modeName(sparsec_ffn_mode_t mode) {
  switch (mode) {
  case SPARSEC_FFN_MODE_DENSE:
    return "dense";
  case SPARSEC_FFN_MODE_EXACT:
    return "exact";
  case SPARSEC_FFN_MODE_PREDICTED:
    return "predicted";
  case SPARSEC_FFN_MODE_THRESHOLD:
    return "threshold";
  }
  return "?";
}

/// FNV-1a over the chunks' token ids (a chunk boundary hashes as -1): a
/// baseline must have scored the same tokens the same way.
uint64_t hashChunks(const std::vector<std::vector<int32_t>> &chunks) {
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&](int32_t value) {
    uint32_t bits = static_cast<uint32_t>(value);
    for (int byte = 0; byte < 4; ++byte) {
      hash ^= (bits >> (8 * byte)) & 0xFF;
      hash *= 1099511628211ull;
    }
  };
  for (const auto &chunk : chunks) {
    for (int32_t token : chunk)
      mix(token);
    mix(-1);
  }
  return hash;
}

struct EvalHeader {
  char magic[16];
  uint32_t vocab;
  uint32_t positions;
  uint64_t tokensHash;
};
static_assert(sizeof(EvalHeader) == 32, "the file layout");

/// What each sparse FFN did over the steps.
struct FFNUse {
  sparsec_ffn_info_t info;
  double densitySum = 0.0; ///< computed / neurons, summed where it ran
  int64_t ran = 0;
};

/// --record: each record's values and the steps they were taken at.
class Recorder {
public:
  Status open(const std::string &dir, sparsec_model_t *model,
              const sparsec_model_info_t &info,
              const std::vector<FFNUse> &ffns) {
    if (info.num_records == 0)
      return Status(StatusCode::kFailedPrecondition,
                    "--record: this model keeps no records; compile it with "
                    "sparsec compile --record-activations");
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return ioError("--record: cannot create", dir);
    dir_ = dir;
    for (size_t i = 0; i < info.num_records; ++i) {
      sparsec_record_info_t record;
      Status status = fromC(sparsec_model_query_record(model, i, &record));
      if (!status.isOk())
        return status;
      Entry entry{record, std::to_string(i), {}, {}, 0};
      std::string base = dir + "/record-" + entry.name;
      entry.values.open(base + ".f16", std::ios::binary | std::ios::trunc);
      entry.steps.open(base + ".steps", std::ios::binary | std::ios::trunc);
      if (!entry.values || !entry.steps)
        return ioError("--record: cannot write", base + ".f16");
      entries_.push_back(std::move(entry));
    }
    ffns_ = &ffns;
    return Status::ok();
  }

  /// After step `step`, whose FFN counts are `counts`.
  Status take(const sparsec_session_t *session, int64_t step,
              const std::vector<int32_t> &counts) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      Entry &entry = entries_[i];
      if (entry.info.ffn >= counts.size() || counts[entry.info.ffn] <= 0)
        continue; // an expert that did not run
      const float *values = nullptr;
      Status status = fromC(sparsec_session_record(session, i, &values));
      if (!status.isOk())
        return status;
      half_.resize(entry.info.count);
      for (size_t k = 0; k < entry.info.count; ++k)
        half_[k] = floatToHalf(values[k]);
      int32_t at = static_cast<int32_t>(step);
      entry.values.write(reinterpret_cast<const char *>(half_.data()),
                         static_cast<std::streamsize>(half_.size() * 2));
      entry.steps.write(reinterpret_cast<const char *>(&at), sizeof(at));
      ++entry.rows;
    }
    return Status::ok();
  }

  Status close() {
    nlohmann::json list = nlohmann::json::array();
    for (Entry &entry : entries_) {
      entry.values.close();
      entry.steps.close();
      if (entry.values.fail() || entry.steps.fail())
        return ioError("--record: cannot write",
                       dir_ + "/record-" + entry.name + ".f16");
      const sparsec_ffn_info_t &ffn = (*ffns_)[entry.info.ffn].info;
      list.push_back({{"index", entry.name},
                      {"ffn", entry.info.ffn},
                      {"layer", ffn.layer},
                      {"expert", ffn.expert},
                      {"kind", entry.info.kind},
                      {"count", entry.info.count},
                      {"rows", entry.rows},
                      {"file", "record-" + entry.name + ".f16"},
                      {"steps", "record-" + entry.name + ".steps"}});
    }
    std::ofstream out(dir_ + "/records.json", std::ios::trunc);
    if (!out || !(out << list.dump(2) << "\n"))
      return ioError("--record: cannot write", dir_ + "/records.json");
    return Status::ok();
  }

private:
  struct Entry {
    sparsec_record_info_t info;
    std::string name;
    std::ofstream values, steps;
    int64_t rows;
  };
  std::string dir_;
  std::vector<Entry> entries_;
  const std::vector<FFNUse> *ffns_ = nullptr;
  std::vector<uint16_t> half_;
};

} // namespace

std::string accuracySummary(const std::string &modelDir) {
  std::ifstream in(modelDir + "/report.json");
  if (!in)
    return "";
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  if (report.is_discarded() || !report.is_object() ||
      !report.value("perplexity", nlohmann::json()).is_number())
    return "";
  char line[512];
  std::snprintf(line, sizeof(line),
                "  accuracy             perplexity %.4f over %lld tokens",
                report["perplexity"].get<double>(),
                report.value("scored_tokens", 0ll));
  std::string text = line;
  const nlohmann::json &baseline = report.value("baseline", nlohmann::json());
  if (baseline.is_object() &&
      baseline.value("kld_mean", nlohmann::json()).is_number()) {
    std::snprintf(line, sizeof(line),
                  "; vs baseline %.4f: KLD mean %.6f, top-1 agreement %.2f%%",
                  baseline.value("perplexity", 0.0),
                  baseline.value("kld_mean", 0.0),
                  100.0 * baseline.value("top1_agreement", 0.0));
    text += line;
  }
  return text + " (report.json)\n";
}

Status evaluateText(const CliOptions &options, sparsec_model_t *model,
                    const sparsec_model_info_t &info) {
  std::ifstream textFile(options.evalFile, std::ios::binary);
  if (!textFile)
    return ioError("cannot read --eval file", options.evalFile);
  std::stringstream buffer;
  buffer << textFile.rdbuf();
  std::string text = buffer.str();

  std::vector<int32_t> tokens;
  size_t count = 0;
  Status status = fromC(sparsec_model_tokenize(model, text.data(), text.size(),
                                               nullptr, 0, &count));
  if (!status.isOk())
    return status;
  tokens.resize(count);
  status = fromC(sparsec_model_tokenize(model, text.data(), text.size(),
                                        tokens.data(), tokens.size(), &count));
  if (!status.isOk())
    return status;
  tokens.resize(count);

  int64_t context = options.evalContext > 0
                        ? options.evalContext
                        : std::min<int64_t>(info.max_len, kDefaultContext);
  if (context > info.max_len)
    return Status(StatusCode::kOutOfRange,
                  "--eval-context " + std::to_string(context) +
                      " exceeds the model's context of " +
                      std::to_string(info.max_len) + " tokens (max_len)");
  // Chunks of `context` positions: BOS (when the tokenizer has one), then
  // the text's next tokens; every position but the last predicts the next.
  std::vector<std::vector<int32_t>> chunks;
  int64_t positions = 0;
  size_t next = 0;
  while (positions < options.evalTokens && next < tokens.size()) {
    std::vector<int32_t> chunk;
    if (info.bos_id >= 0)
      chunk.push_back(info.bos_id);
    int64_t room = std::min<int64_t>(context, options.evalTokens - positions +
                                                  1); // scored + 1 inputs
    while (static_cast<int64_t>(chunk.size()) < room && next < tokens.size())
      chunk.push_back(tokens[next++]);
    if (chunk.size() < 2)
      break;
    positions += static_cast<int64_t>(chunk.size()) - 1;
    chunks.push_back(std::move(chunk));
  }
  if (positions == 0)
    return Status(StatusCode::kInvalidArgument,
                  "--eval file '" + escapeForMessage(options.evalFile) +
                      "' has " + std::to_string(tokens.size()) +
                      " tokens: too few to score one prediction");
  uint64_t tokensHash = hashChunks(chunks);
  const size_t vocab = static_cast<size_t>(info.vocab_size);

  // The baseline's log-probabilities, read a position at a time.
  std::ifstream baseline;
  if (!options.evalBaseline.empty()) {
    baseline.open(options.evalBaseline, std::ios::binary);
    if (!baseline)
      return ioError("cannot read --eval-baseline", options.evalBaseline);
    EvalHeader header{};
    baseline.read(reinterpret_cast<char *>(&header), sizeof(header));
    std::string where =
        "--eval-baseline '" + escapeForMessage(options.evalBaseline) + "'";
    if (!baseline || std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0)
      return Status(StatusCode::kDataLoss,
                    where + " is not a file --eval-save wrote");
    if (header.vocab != vocab)
      return Status(StatusCode::kInvalidArgument,
                    where + " has a vocabulary of " +
                        std::to_string(header.vocab) + ", this model " +
                        std::to_string(vocab));
    if (header.positions != positions || header.tokensHash != tokensHash)
      return Status(StatusCode::kInvalidArgument,
                    where + " scored other tokens (" +
                        std::to_string(header.positions) +
                        " positions; another text, tokenizer, "
                        "--eval-tokens or --eval-context?)");
  }
  std::ofstream save;
  if (!options.evalSave.empty()) {
    save.open(options.evalSave, std::ios::binary | std::ios::trunc);
    if (!save)
      return ioError("cannot write --eval-save", options.evalSave);
    EvalHeader header{};
    std::memcpy(header.magic, kMagic, sizeof(kMagic));
    header.vocab = static_cast<uint32_t>(vocab);
    header.positions = static_cast<uint32_t>(positions);
    header.tokensHash = tokensHash;
    save.write(reinterpret_cast<const char *>(&header), sizeof(header));
  }

  std::vector<FFNUse> ffns(info.num_ffns);
  for (size_t i = 0; i < info.num_ffns; ++i) {
    status = fromC(sparsec_model_query_ffn(model, i, &ffns[i].info));
    if (!status.isOk())
      return status;
  }
  std::vector<int32_t> counts(info.num_ffns);
  std::optional<Recorder> recorder;
  if (!options.recordDir.empty()) {
    recorder.emplace();
    status = recorder->open(options.recordDir, model, info, ffns);
    if (!status.isOk())
      return status;
  }

  sparsec_session_options_t sessionOptions;
  sparsec_session_options_initialize(&sessionOptions);
  sessionOptions.num_threads = options.threads;
  sparsec_session_t *session = nullptr;
  status = fromC(sparsec_session_create(model, &sessionOptions, &session));
  if (!status.isOk())
    return status;
  struct Releaser {
    sparsec_session_t *session;
    ~Releaser() { sparsec_session_release(session); }
  } releaser{session};

  std::vector<float> logits(vocab), logProbs(vocab), base(vocab);
  std::vector<double> nll, baseNll, kld;
  int64_t correct = 0, agree = 0, baseCorrect = 0, steps = 0;
  auto start = std::chrono::steady_clock::now();
  auto lastReport = start;
  for (const std::vector<int32_t> &chunk : chunks) {
    status = fromC(sparsec_session_reset(session));
    for (size_t i = 0; status.isOk() && i + 1 < chunk.size(); ++i) {
      status = fromC(sparsec_session_step(session, chunk[i], logits.data()));
      if (!status.isOk())
        break;
      ++steps;
      size_t got = 0;
      status = fromC(
          sparsec_session_stats(session, counts.data(), counts.size(), &got));
      for (size_t f = 0; status.isOk() && f < got; ++f)
        if (counts[f] > 0) {
          ffns[f].densitySum += static_cast<double>(counts[f]) /
                                static_cast<double>(ffns[f].info.neurons);
          ++ffns[f].ran;
        }
      if (status.isOk() && recorder)
        status = recorder->take(session, steps - 1, counts);
      if (!status.isOk())
        break;
      int32_t target = chunk[i + 1];
      LogitSummary summary = summarizeLogits(logits.data(), vocab);
      nll.push_back(summary.logSumExp - logits[target]);
      correct += summary.argmax == target;
      if (save.is_open()) {
        logProbabilities(logits.data(), vocab, summary, logProbs.data());
        save.write(reinterpret_cast<const char *>(logProbs.data()),
                   static_cast<std::streamsize>(vocab * sizeof(float)));
      }
      if (baseline.is_open()) {
        baseline.read(reinterpret_cast<char *>(base.data()),
                      static_cast<std::streamsize>(vocab * sizeof(float)));
        if (!baseline)
          return Status(StatusCode::kDataLoss,
                        "--eval-baseline '" +
                            escapeForMessage(options.evalBaseline) +
                            "' is truncated");
        kld.push_back(klDivergence(base.data(), logits.data(), vocab, summary));
        baseNll.push_back(-static_cast<double>(base[target]));
        auto baseTop =
            std::max_element(base.begin(), base.end()) - base.begin();
        agree += baseTop == summary.argmax;
        baseCorrect += baseTop == target;
      }
      auto now = std::chrono::steady_clock::now();
      if (now - lastReport > std::chrono::seconds(2)) {
        lastReport = now;
        std::fprintf(stderr, "eval: %lld/%lld tokens\n",
                     static_cast<long long>(nll.size()),
                     static_cast<long long>(positions));
      }
    }
    if (!status.isOk())
      return status;
  }
  if (save.is_open() && !save.flush())
    return ioError("cannot write --eval-save", options.evalSave);
  if (recorder) {
    status = recorder->close();
    if (!status.isOk())
      return status;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  auto mean = [](const std::vector<double> &values) {
    double sum = 0.0;
    for (double v : values)
      sum += v;
    return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
  };
  double n = static_cast<double>(nll.size());
  nlohmann::json report;
  report["text"] = options.evalFile;
  report["model"] = info.model_name;
  report["scored_tokens"] = nll.size();
  report["context"] = context;
  report["chunks"] = chunks.size();
  report["seconds"] = seconds;
  report["nll_mean"] = mean(nll);
  report["perplexity"] = std::exp(mean(nll));
  report["top1_accuracy"] = static_cast<double>(correct) / n;
  if (baseline.is_open()) {
    nlohmann::json b;
    b["file"] = options.evalBaseline;
    b["perplexity"] = std::exp(mean(baseNll));
    b["kld_mean"] = mean(kld);
    b["kld_p99"] = quantile(kld, 0.99);
    b["kld_max"] =
        kld.empty() ? 0.0 : *std::max_element(kld.begin(), kld.end());
    b["top1_agreement"] = static_cast<double>(agree) / n;
    b["top1_accuracy"] = static_cast<double>(baseCorrect) / n;
    b["kld"] = kld;
    report["baseline"] = b;
  }
  // Per layer, as --bench counts it (computed over all the layer's
  // neurons, experts included), and per FFN over the steps it ran.
  std::map<int32_t, nlohmann::json> layers;
  std::map<int32_t, std::pair<double, double>> layerDensity;
  for (const FFNUse &use : ffns) {
    nlohmann::json entry;
    entry["expert"] = use.info.expert;
    entry["mode"] = modeName(use.info.mode);
    entry["neurons"] = use.info.neurons;
    entry["density"] =
        use.ran ? use.densitySum / static_cast<double>(use.ran) : 0.0;
    entry["ran"] =
        steps ? static_cast<double>(use.ran) / static_cast<double>(steps) : 0.0;
    layers[use.info.layer]["layer"] = use.info.layer;
    layers[use.info.layer]["ffns"].push_back(entry);
    auto &[computed, neurons] = layerDensity[use.info.layer];
    computed += use.densitySum * use.info.neurons;
    neurons +=
        static_cast<double>(use.info.neurons) * static_cast<double>(steps);
  }
  report["layers"] = nlohmann::json::array();
  for (auto &[layer, entry] : layers) {
    auto [computed, neurons] = layerDensity[layer];
    entry["density"] = neurons > 0 ? computed / neurons : 0.0;
    report["layers"].push_back(entry);
  }
  if (!options.evalReport.empty()) {
    std::ofstream out(options.evalReport, std::ios::trunc);
    if (!out || !(out << report.dump(2) << "\n"))
      return ioError("cannot write --eval-report", options.evalReport);
  }

  std::printf("eval: %lld tokens of %s in %zu chunk%s of up to %lld, %.1f s\n",
              static_cast<long long>(nll.size()),
              escapeForMessage(options.evalFile).c_str(), chunks.size(),
              chunks.size() == 1 ? "" : "s", static_cast<long long>(context),
              seconds);
  std::printf("  perplexity           %.4f  (top-1 accuracy %.2f%%)\n",
              std::exp(mean(nll)), 100.0 * correct / n);
  if (baseline.is_open())
    std::printf("  vs baseline          perplexity %.4f, KLD mean %.6f, "
                "p99 %.6f, top-1 agreement %.2f%%\n",
                std::exp(mean(baseNll)), mean(kld), quantile(kld, 0.99),
                100.0 * agree / n);
  for (auto &[layer, entry] : layers)
    std::printf("  layer %-4d           FFN density %.4f\n", layer,
                entry["density"].get<double>());
  std::fflush(stdout);
  return Status::ok();
}

} // namespace sparsec

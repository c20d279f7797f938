//===- CalibrateModel.cpp - sparsec calibrate
//------------------------------===//

#include "compiler/Driver/CalibrateModel.h"

#include "compiler/Driver/CompileModel.h"
#include "sparsec/formats/gguf.h"

#include "passes/JsonFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>

using namespace llvm;

namespace mlir::sparsec {
namespace {

Error failure(const Twine &message) { return inputError(message); }
Expected<json::Value> readJson(StringRef path) { return readJsonFile(path); }

std::string joinPath(StringRef a, StringRef b) {
  SmallString<256> path(a);
  sys::path::append(path, b);
  return std::string(path);
}

/// Runs `exe`; `quietStdout`: its stdout goes to /dev/null (the recorder's
/// --eval summary, which scores a dense model nobody asked about).
Error run(StringRef exe, ArrayRef<std::string> args, bool quietStdout = false) {
  std::vector<StringRef> refs(args.begin(), args.end());
  std::string error;
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(""),
                                          std::nullopt};
  int code = sys::ExecuteAndWait(
      exe, refs, std::nullopt,
      quietStdout ? ArrayRef<std::optional<StringRef>>(redirects)
                  : ArrayRef<std::optional<StringRef>>(),
      0, 0, &error);
  if (code != 0)
    return failure(sys::path::filename(exe) + " failed" +
                   (error.empty() ? " (exit status " + Twine(code) + ")"
                                  : ": " + Twine(error)));
  return Error::success();
}

/// "0.5" for the calibration's keys.
std::string sparsityKey(double s) {
  std::string text = formatv("{0:F3}", s).str();
  while (text.size() > 1 && text.back() == '0')
    text.pop_back();
  if (text.back() == '.')
    text.pop_back();
  return text;
}

/// One recorded vector kind of one FFN: rows x count values (f16 on disk).
struct Record {
  int64_t layer = 0, expert = -1, count = 0, rows = 0;
  std::string file;
};

Expected<std::vector<float>> readRecord(StringRef dir, const Record &record) {
  std::string path = joinPath(dir, record.file);
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return failure(path + ": cannot read: " + buffer.getError().message());
  size_t expected = static_cast<size_t>(record.rows * record.count) * 2;
  if ((*buffer)->getBufferSize() != expected)
    return failure(path + ": " + Twine((*buffer)->getBufferSize()) +
                   " bytes, expected " + Twine(expected));
  std::vector<float> values(expected / 2);
  const auto *bits =
      reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart());
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = ::sparsec::halfToFloat(
        static_cast<uint16_t>(bits[2 * i] | (bits[2 * i + 1] << 8)));
  return values;
}

/// The statistics of one FFN (layer, expert) from its gate and activation
/// records.
json::Object statistics(const std::vector<float> &gate,
                        const std::vector<float> &activation, int64_t rows,
                        int64_t neurons, ArrayRef<double> sparsities) {
  json::Object stats;
  size_t total = activation.size();
  size_t nonzero = 0;
  std::vector<int64_t> perNeuron(neurons, 0);
  for (size_t i = 0; i < total; ++i)
    if (activation[i] != 0.0f) {
      ++nonzero;
      ++perNeuron[i % neurons];
    }
  double density = total ? static_cast<double>(nonzero) / total : 0.0;
  stats["density"] = density;
  stats["tokens"] = rows;
  // How concentrated the activations are: the share the hottest tenth of
  // the neurons computes (a power law makes it large).
  std::vector<int64_t> sorted = perNeuron;
  std::sort(sorted.rbegin(), sorted.rend());
  int64_t hot = 0;
  for (int64_t i = 0; i < std::max<int64_t>(1, neurons / 10); ++i)
    hot += sorted[i];
  stats["hot_10pct_share"] =
      nonzero ? static_cast<double>(hot) / static_cast<double>(nonzero) : 0.0;
  // Threshold mode's t for each target sparsity: the s-quantile of
  // |act(gate x)| (a neuron runs where it is above t).
  std::vector<float> magnitude(gate.size());
  for (size_t i = 0; i < gate.size(); ++i)
    magnitude[i] = std::fabs(gate[i]);
  json::Object thresholds;
  for (double s : sparsities) {
    if (magnitude.empty())
      break;
    size_t k = std::min(magnitude.size() - 1,
                        static_cast<size_t>(s * (magnitude.size() - 1)));
    std::nth_element(magnitude.begin(), magnitude.begin() + k, magnitude.end());
    thresholds[sparsityKey(s)] = magnitude[k];
  }
  stats["thresholds"] = std::move(thresholds);
  return stats;
}

} // namespace

std::string defaultCalibrationDir(const std::string &modelDir) {
  SmallString<256> dir(modelDir);
  if (!sys::fs::is_directory(dir))
    sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  sys::path::append(dir, "calibration");
  return std::string(dir);
}

Expected<std::string> readCalibratedThresholds(const std::string &dir,
                                               double targetSparsity) {
  std::string path = joinPath(dir, "calibration.json");
  Expected<json::Value> json = readJson(path);
  if (!json)
    return json.takeError();
  const json::Object *root = json->getAsObject();
  const json::Array *layers = root ? root->getArray("layers") : nullptr;
  const json::Array *targets =
      root ? root->getArray("target_sparsities") : nullptr;
  if (!layers || !targets || targets->empty())
    return failure(path + ": no 'layers' or 'target_sparsities' (not written "
                          "by sparsec calibrate?)");
  std::string key;
  std::string available;
  for (const json::Value &t : *targets) {
    double s = t.getAsNumber().value_or(-1);
    available += (available.empty() ? "" : ", ") + sparsityKey(s);
    if (targetSparsity >= 0 && std::abs(s - targetSparsity) < 1e-6)
      key = sparsityKey(s);
  }
  if (targetSparsity < 0) {
    if (targets->size() != 1)
      return failure(path + " has thresholds for target sparsities " +
                     available + "; choose one with --target-sparsity");
    key = sparsityKey((*targets)[0].getAsNumber().value_or(0));
  }
  if (key.empty())
    return failure(path + " has no thresholds for target sparsity " +
                   sparsityKey(targetSparsity) + " (it has " + available +
                   "; rerun sparsec calibrate --target-sparsity)");
  std::string spec;
  for (const json::Value &entry : *layers) {
    const json::Object *layer = entry.getAsObject();
    const json::Object *thresholds =
        layer ? layer->getObject("thresholds") : nullptr;
    std::optional<double> t =
        thresholds ? thresholds->getNumber(key) : std::nullopt;
    std::optional<int64_t> index =
        layer ? layer->getInteger("layer") : std::nullopt;
    if (!t || !index)
      continue; // MoE layers: threshold mode has no expert form
    spec += (spec.empty() ? "" : ",") + std::to_string(*index) + ":" +
            formatv("{0}", *t).str();
  }
  if (spec.empty())
    return failure(path + ": no layer has a threshold");
  return spec;
}

Expected<std::string> calibrateModel(const CalibrateOptions &options) {
  if (!sys::fs::exists(options.data))
    return failure(options.data + ": no such text file (--data)");
  if (options.tokens < 16)
    return failure("--tokens must be at least 16");
  for (double s : options.targetSparsities)
    if (!(s > 0.0 && s < 1.0))
      return failure("--target-sparsity values must be in (0, 1), got " +
                     sparsityKey(s));
  if (!(options.heldOut > 0.0 && options.heldOut < 1.0))
    return failure("--held-out must be in (0, 1)");
  std::string dir = options.outDir.empty()
                        ? defaultCalibrationDir(options.modelDir)
                        : options.outDir;
  if (std::error_code ec = sys::fs::create_directories(dir))
    return failure(dir + ": cannot create: " + ec.message());
  auto say = [&](const Twine &line) {
    if (!options.quiet)
      errs() << "sparsec calibrate: " << line << "\n";
  };

  // 1. The dense model with its activations recorded.
  CompileOptions compile;
  compile.modelDir = options.modelDir;
  compile.outDir = joinPath(dir, "recorder");
  compile.recordActivations = true;
  compile.quiet = options.quiet;
  Expected<std::string> exe = compileModel(compile);
  if (!exe)
    return exe.takeError();

  // 2. The text through it.
  std::string records = joinPath(dir, "records");
  say("recording " + Twine(options.tokens) + " tokens of " + options.data);
  std::vector<std::string> args = {*exe,
                                   "--eval",
                                   options.data,
                                   "--eval-tokens",
                                   std::to_string(options.tokens),
                                   "--record",
                                   records};
  if (options.context > 0)
    args.insert(args.end(),
                {"--eval-context", std::to_string(options.context)});
  if (options.threads > 0)
    args.insert(args.end(), {"--threads", std::to_string(options.threads)});
  if (Error err = run(*exe, args, /*quietStdout=*/true))
    return std::move(err);

  // 3. Statistics per layer (and expert).
  Expected<json::Value> list = readJson(joinPath(records, "records.json"));
  if (!list)
    return list.takeError();
  std::map<std::pair<int64_t, int64_t>, std::map<std::string, Record>> ffns;
  int64_t tokens = 0;
  if (const json::Array *entries = list->getAsArray())
    for (const json::Value &entry : *entries) {
      const json::Object *o = entry.getAsObject();
      if (!o)
        continue;
      Record record;
      record.layer = o->getInteger("layer").value_or(0);
      record.expert = o->getInteger("expert").value_or(-1);
      record.count = o->getInteger("count").value_or(0);
      record.rows = o->getInteger("rows").value_or(0);
      record.file = o->getString("file").value_or("").str();
      tokens = std::max(tokens, record.rows);
      ffns[{record.layer, record.expert}]
          [o->getString("kind").value_or("").str()] = record;
    }
  std::map<int64_t, json::Object> layers;
  for (auto &[key, kinds] : ffns) {
    auto [layer, expert] = key;
    if (!kinds.count("gate") || !kinds.count("activation"))
      return failure(records + ": layer " + Twine(layer) +
                     " lacks its gate or activation record");
    const Record &gateRecord = kinds["gate"];
    Expected<std::vector<float>> gate = readRecord(records, gateRecord);
    if (!gate)
      return gate.takeError();
    Expected<std::vector<float>> activation =
        readRecord(records, kinds["activation"]);
    if (!activation)
      return activation.takeError();
    json::Object stats = statistics(*gate, *activation, gateRecord.rows,
                                    gateRecord.count, options.targetSparsities);
    json::Object &entry = layers[layer];
    entry["layer"] = layer;
    if (expert < 0) {
      for (auto &[k, v] : stats)
        entry[k] = std::move(v);
    } else {
      stats["expert"] = expert;
      if (!entry.getArray("experts"))
        entry["experts"] = json::Array();
      entry.getArray("experts")->push_back(std::move(stats));
    }
  }

  json::Object calibration;
  calibration["model"] = options.modelDir;
  calibration["text"] = options.data;
  calibration["tokens"] = tokens;
  json::Array targets;
  for (double s : options.targetSparsities)
    targets.push_back(s);
  calibration["target_sparsities"] = std::move(targets);

  // 4. Predictors fitted to the records (Python tooling next to sparsec).
  if (options.fitPredictors) {
    std::string self = sys::fs::getMainExecutable(nullptr, nullptr);
    std::string fitter =
        joinPath(sys::path::parent_path(self), "sparsec-fit-predictors");
    if (!sys::fs::can_execute(fitter))
      return failure(fitter + ": not found (it is built next to sparsec; "
                              "--fit-predictors needs it)");
    std::string predictors = joinPath(dir, "predictors");
    say("fitting predictors");
    std::vector<std::string> fitArgs = {fitter,
                                        records,
                                        options.modelDir,
                                        "-o",
                                        predictors,
                                        "--held-out",
                                        formatv("{0}", options.heldOut).str()};
    if (options.predictorRank > 0)
      fitArgs.insert(fitArgs.end(),
                     {"--rank", std::to_string(options.predictorRank)});
    if (options.quiet)
      fitArgs.push_back("--quiet");
    if (Error err = run(fitter, fitArgs))
      return std::move(err);
    Expected<json::Value> fitted =
        readJson(joinPath(predictors, "predictor_report.json"));
    if (!fitted)
      return fitted.takeError();
    json::Array recall;
    if (const json::Object *f = fitted->getAsObject())
      if (const json::Array *fitLayers = f->getArray("layers"))
        for (const json::Value &v : *fitLayers) {
          const json::Object *l = v.getAsObject();
          if (!l)
            continue;
          recall.push_back(json::Object(*l));
          // What the predictor selects, for sparsec-decide-sparsity.
          int64_t layer = l->getInteger("layer").value_or(-1);
          int64_t expert = l->getInteger("expert").value_or(-1);
          double predicted = l->getNumber("predicted_density").value_or(0);
          if (!layers.count(layer))
            continue;
          if (expert < 0) {
            layers[layer]["predicted_density"] = predicted;
          } else if (json::Array *experts = layers[layer].getArray("experts")) {
            for (json::Value &e : *experts)
              if (json::Object *o = e.getAsObject())
                if (o->getInteger("expert") == expert)
                  (*o)["predicted_density"] = predicted;
          }
        }
    calibration["predictor_recall"] = std::move(recall);
    calibration["predictors"] = predictors;
  }

  json::Array layerList;
  for (auto &[layer, entry] : layers)
    layerList.push_back(std::move(entry));
  calibration["layers"] = std::move(layerList);
  std::string path = joinPath(dir, "calibration.json");
  {
    std::error_code ec;
    raw_fd_ostream out(path, ec);
    if (ec)
      return failure(path + ": cannot write: " + ec.message());
    out << formatv("{0:2}", json::Value(std::move(calibration))) << "\n";
  }
  if (!options.keepRecords) {
    sys::fs::remove_directories(records);
    sys::fs::remove_directories(joinPath(dir, "recorder"));
  }
  return path;
}

} // namespace mlir::sparsec

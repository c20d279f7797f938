//===- EvalModel.cpp - sparsec eval: accuracy of a compiled model ---------===//

#include "compiler/Driver/EvalModel.h"

#include "passes/JsonFile.h"
#include "llvm/ADT/ScopeExit.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace llvm;

namespace mlir::sparsec {
namespace {

Error failure(const Twine &message) { return inputError(message); }
Expected<json::Value> readJson(StringRef path) { return readJsonFile(path); }

/// OUT's executable: OUT/<manifest model_name>.
Expected<std::string> executableOf(StringRef dir) {
  SmallString<256> manifest(dir);
  sys::path::append(manifest, "manifest.json");
  if (!sys::fs::exists(manifest))
    return failure(dir + ": no manifest.json (not a folder sparsec compile "
                         "wrote?)");
  Expected<json::Value> json = readJson(manifest);
  if (!json)
    return json.takeError();
  const json::Object *root = json->getAsObject();
  std::optional<StringRef> name =
      root ? root->getString("model_name") : std::nullopt;
  if (!name || name->empty() || name->contains('/'))
    return failure(manifest + ": no usable 'model_name'");
  SmallString<256> exe(dir);
  sys::path::append(exe, *name);
  if (!sys::fs::can_execute(exe))
    return failure(exe + ": the compiled executable is missing or not "
                         "executable");
  return std::string(exe);
}

/// Runs `exe --eval ...`; its stdout and stderr pass through.
Error runEval(StringRef exe, const EvalOptions &options,
              ArrayRef<std::string> extra) {
  std::vector<std::string> args = {exe.str(), "--eval", options.data,
                                   "--eval-tokens",
                                   std::to_string(options.tokens)};
  if (options.context > 0)
    args.insert(args.end(),
                {"--eval-context", std::to_string(options.context)});
  if (options.threads > 0)
    args.insert(args.end(), {"--threads", std::to_string(options.threads)});
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<StringRef> refs(args.begin(), args.end());
  std::string error;
  int code = sys::ExecuteAndWait(exe, refs, std::nullopt, {}, 0, 0, &error);
  if (code != 0)
    return failure(exe + " --eval failed" +
                   (error.empty() ? std::string(" (exit status ") +
                                        std::to_string(code) + ")"
                                  : ": " + error));
  return Error::success();
}

std::string escapeHtml(StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '&':
      out += "&amp;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

std::string number(double value, const char *format = "%.4g") {
  std::string text;
  raw_string_ostream(text) << llvm::format(format, value);
  return text;
}

/// An SVG chart of `values` (bars, or a line for many points) with the
/// y axis from 0 to the largest value (or `yMax` when given).
std::string chart(StringRef title, ArrayRef<std::string> labels,
                  ArrayRef<double> values, bool bars, StringRef yLabel,
                  double yMax = 0.0) {
  const double width = 720, height = 260, left = 78, right = 20, top = 30,
               bottom = 40;
  double plotW = width - left - right, plotH = height - top - bottom;
  double maximum = yMax;
  for (double v : values)
    maximum = std::max(maximum, v);
  if (maximum <= 0)
    maximum = 1;
  std::string svg;
  raw_string_ostream os(svg);
  os << "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
     << "\" height=\"" << height << "\" role=\"img\" aria-label=\""
     << escapeHtml(title) << "\">\n";
  os << "<text x=\"" << width / 2 << "\" y=\"18\" text-anchor=\"middle\" "
     << "class=\"title\">" << escapeHtml(title) << "</text>\n";
  // Axes and three gridlines.
  for (int g = 0; g <= 4; ++g) {
    double y = top + plotH - plotH * g / 4.0;
    os << "<line x1=\"" << left << "\" x2=\"" << left + plotW << "\" y1=\"" << y
       << "\" y2=\"" << y << "\" class=\"grid\"/>\n";
    os << "<text x=\"" << left - 6 << "\" y=\"" << y + 4
       << "\" text-anchor=\"end\">" << number(maximum * g / 4.0) << "</text>\n";
  }
  os << "<text x=\"14\" y=\"" << top + plotH / 2
     << "\" transform=\"rotate(-90 14 " << top + plotH / 2
     << ")\" text-anchor=\"middle\">" << escapeHtml(yLabel) << "</text>\n";
  size_t n = values.size();
  if (bars) {
    double slot = n ? plotW / n : plotW;
    for (size_t i = 0; i < n; ++i) {
      double h = plotH * values[i] / maximum;
      double x = left + slot * i + slot * 0.15;
      os << "<rect x=\"" << x << "\" y=\"" << top + plotH - h << "\" width=\""
         << slot * 0.7 << "\" height=\"" << h << "\" class=\"bar\"><title>"
         << escapeHtml(labels[i]) << ": " << number(values[i])
         << "</title></rect>\n";
      if (n <= 40 || i % ((n + 39) / 40) == 0)
        os << "<text x=\"" << x + slot * 0.35 << "\" y=\"" << top + plotH + 16
           << "\" text-anchor=\"middle\">" << escapeHtml(labels[i])
           << "</text>\n";
    }
  } else if (n > 0) {
    os << "<polyline class=\"line\" points=\"";
    for (size_t i = 0; i < n; ++i)
      os << left + (n > 1 ? plotW * i / (n - 1) : 0) << ","
         << top + plotH - plotH * values[i] / maximum << " ";
    os << "\"/>\n";
    for (size_t i : {size_t(0), n / 2, n - 1})
      os << "<text x=\"" << left + (n > 1 ? plotW * i / (n - 1) : 0)
         << "\" y=\"" << top + plotH + 16 << "\" text-anchor=\"middle\">"
         << escapeHtml(labels[i]) << "</text>\n";
  }
  os << "</svg></figure>\n";
  return svg;
}

} // namespace

Error writeHtmlReport(const std::string &reportJson, const std::string &path) {
  Expected<json::Value> json = readJson(reportJson);
  if (!json)
    return json.takeError();
  const json::Object *report = json->getAsObject();
  if (!report)
    return failure(reportJson + ": not a report");
  auto numberOf = [](const json::Object *o, StringRef key) {
    return o ? o->getNumber(key).value_or(0.0) : 0.0;
  };
  const json::Object *baseline = report->getObject("baseline");

  std::string html;
  raw_string_ostream os(html);
  os << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
     << "<title>sparsec eval: "
     << escapeHtml(report->getString("model").value_or("model"))
     << "</title>\n<style>\n"
     << "body{font-family:sans-serif;margin:2em;max-width:780px;color:#222}\n"
     << "table{border-collapse:collapse;margin:1em 0}\n"
     << "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}\n"
     << "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
     << "\nsvg text{font-size:11px;fill:#333}svg .title{font-size:13px;"
     << "font-weight:bold}\n.grid{stroke:#e4e4e4}.bar{fill:#4a78b5}"
     << ".line{fill:none;stroke:#c0392b;stroke-width:1.5}\n"
     << "figure{margin:1em 0}\n</style></head><body>\n";
  os << "<h1>sparsec eval: "
     << escapeHtml(report->getString("model").value_or("model")) << "</h1>\n";
  os << "<p>" << static_cast<int64_t>(numberOf(report, "scored_tokens"))
     << " tokens of <code>"
     << escapeHtml(report->getString("text").value_or("")) << "</code>, in "
     << static_cast<int64_t>(numberOf(report, "chunks"))
     << (numberOf(report, "chunks") == 1 ? " chunk" : " chunks") << " of up to "
     << static_cast<int64_t>(numberOf(report, "context"))
     << " positions (teacher forcing).";
  if (auto dir = report->getString("model_dir"))
    os << " Model: <code>" << escapeHtml(*dir) << "</code>.";
  if (auto dir = report->getString("baseline_dir"))
    os << " Baseline: <code>" << escapeHtml(*dir) << "</code>.";
  os << "</p>\n<table>\n<tr><th>metric</th><th>model</th>"
     << (baseline ? "<th>baseline</th>" : "") << "</tr>\n";
  os << "<tr><td>perplexity</td><td>"
     << number(numberOf(report, "perplexity"), "%.4f") << "</td>";
  if (baseline)
    os << "<td>" << number(numberOf(baseline, "perplexity"), "%.4f") << "</td>";
  os << "</tr>\n<tr><td>top-1 accuracy</td><td>"
     << number(100 * numberOf(report, "top1_accuracy"), "%.2f") << "%</td>";
  if (baseline)
    os << "<td>" << number(100 * numberOf(baseline, "top1_accuracy"), "%.2f")
       << "%</td>";
  os << "</tr>\n";
  if (baseline) {
    os << "<tr><td>KL divergence, mean</td><td>"
       << number(numberOf(baseline, "kld_mean"), "%.6f")
       << "</td><td></td></tr>\n<tr><td>KL divergence, p99</td><td>"
       << number(numberOf(baseline, "kld_p99"), "%.6f")
       << "</td><td></td></tr>\n<tr><td>KL divergence, max</td><td>"
       << number(numberOf(baseline, "kld_max"), "%.6f")
       << "</td><td></td></tr>\n<tr><td>top-1 agreement</td><td>"
       << number(100 * numberOf(baseline, "top1_agreement"), "%.2f")
       << "%</td><td></td></tr>\n";
  }
  os << "</table>\n";

  // FFN density per layer (and the modes).
  std::vector<std::string> labels;
  std::vector<double> density;
  const json::Array *layers = report->getArray("layers");
  std::string modes;
  for (const json::Value &entry : layers ? *layers : json::Array()) {
    const json::Object *layer = entry.getAsObject();
    if (!layer)
      continue;
    labels.push_back(std::to_string(
        static_cast<int64_t>(layer->getNumber("layer").value_or(0))));
    density.push_back(layer->getNumber("density").value_or(0));
  }
  if (!density.empty())
    os << chart("Realized FFN density per layer (computed / neurons)", labels,
                density, /*bars=*/true, "density", 1.0);

  // Predictor recall per layer, from calibration.
  if (const json::Array *recall = report->getArray("predictor_recall")) {
    std::vector<std::string> recallLabels;
    std::vector<double> values;
    for (const json::Value &entry : *recall)
      if (const json::Object *o = entry.getAsObject()) {
        int64_t expert = o->getInteger("expert").value_or(-1);
        recallLabels.push_back(
            std::to_string(o->getInteger("layer").value_or(0)) +
            (expert >= 0 ? "/" + std::to_string(expert) : std::string()));
        values.push_back(o->getNumber("recall").value_or(0));
      }
    os << chart("Predictor recall per layer (or layer/expert), held-out "
                "calibration text",
                recallLabels, values, /*bars=*/true, "recall", 1.0);
  }

  // KL divergence over positions.
  if (const json::Array *kld = baseline ? baseline->getArray("kld") : nullptr) {
    std::vector<std::string> positions;
    std::vector<double> values;
    for (size_t i = 0; i < kld->size(); ++i) {
      positions.push_back(std::to_string(i));
      values.push_back((*kld)[i].getAsNumber().value_or(0));
    }
    os << chart("KL divergence from the baseline over the scored positions",
                positions, values, /*bars=*/false, "KLD (nats)");
  }
  os << "<p>Numbers from <code>report.json</code> beside this page.</p>\n"
     << "</body></html>\n";

  std::error_code ec;
  raw_fd_ostream out(path, ec);
  if (ec)
    return failure(path + ": cannot write: " + ec.message());
  out << html;
  out.close();
  if (out.has_error())
    return failure(path + ": write failed");
  return Error::success();
}

Expected<std::string> evalModel(const EvalOptions &options) {
  if (!sys::fs::exists(options.data))
    return failure(options.data + ": no such text file (--data)");
  if (options.tokens <= 0)
    return failure("--tokens must be positive");
  Expected<std::string> exe = executableOf(options.outDir);
  if (!exe)
    return exe.takeError();
  std::string reportDir =
      options.reportDir.empty() ? options.outDir : options.reportDir;
  if (std::error_code ec = sys::fs::create_directories(reportDir))
    return failure(reportDir + ": cannot create: " + ec.message());
  SmallString<256> reportJson(reportDir), reportHtml(reportDir);
  sys::path::append(reportJson, "report.json");
  sys::path::append(reportHtml, "report.html");

  std::vector<std::string> extra = {"--eval-report", std::string(reportJson)};
  SmallString<256> baseFile;
  llvm::scope_exit removeBase([&] {
    if (!baseFile.empty())
      sys::fs::remove(baseFile);
  });
  if (!options.baselineDir.empty()) {
    Expected<std::string> baseExe = executableOf(options.baselineDir);
    if (!baseExe)
      return baseExe.takeError();
    if (std::error_code ec =
            sys::fs::createTemporaryFile("sparsec-eval", "bin", baseFile))
      return failure("cannot create a temporary file: " + ec.message());
    if (!options.quiet)
      errs() << "sparsec eval: baseline " << *baseExe << "\n";
    if (Error err =
            runEval(*baseExe, options, {"--eval-save", baseFile.str().str()}))
      return std::move(err);
    extra.insert(extra.end(), {"--eval-baseline", baseFile.str().str()});
  }
  if (!options.quiet)
    errs() << "sparsec eval: model " << *exe << "\n";
  if (Error err = runEval(*exe, options, extra))
    return std::move(err);

  // The report gains where the models are and, when OUT's compile kept
  // one, the calibration's predictor recall per layer.
  Expected<json::Value> json = readJson(reportJson);
  if (!json)
    return json.takeError();
  json::Object *report = json->getAsObject();
  if (!report)
    return failure(reportJson + ": not a report");
  report->try_emplace("model_dir", options.outDir);
  if (!options.baselineDir.empty())
    report->try_emplace("baseline_dir", options.baselineDir);
  SmallString<256> calibration(options.outDir);
  sys::path::append(calibration, "calibration.json");
  if (sys::fs::exists(calibration)) {
    Expected<json::Value> calib = readJson(calibration);
    if (!calib)
      return calib.takeError();
    if (const json::Object *c = calib->getAsObject())
      if (const json::Array *recall = c->getArray("predictor_recall"))
        report->try_emplace("predictor_recall", json::Array(*recall));
  }
  {
    std::error_code ec;
    raw_fd_ostream out(reportJson, ec);
    if (ec)
      return failure(reportJson + ": cannot write: " + ec.message());
    out << formatv("{0:2}", json::Value(std::move(*report))) << "\n";
  }
  if (Error err =
          writeHtmlReport(std::string(reportJson), std::string(reportHtml)))
    return std::move(err);
  return std::string(reportHtml);
}

} // namespace mlir::sparsec

//===- EvalModel.h - sparsec eval: accuracy of a compiled model -*- C++ -*-===//
//
//   sparsec eval OUT/ --data FILE.txt [--baseline OUT_DENSE/] [--tokens N]
//                [--context C] [--threads T] [-o REPORT_DIR]
//
// Runs the compiled executables' --eval mode (runtime/src/main/evaluate.h)
// over the text: the baseline first, saving its log-probabilities to a
// temporary file, then the model against them. Writes REPORT_DIR/report.json
// (what the executable measured, plus the baseline's own scores) and
// REPORT_DIR/report.html (tables and SVG plots: FFN density per layer,
// predictor recall per layer when OUT/calibration.json has it, KL
// divergence over positions). REPORT_DIR defaults to OUT.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_DRIVER_EVALMODEL_H
#define SPARSEC_COMPILER_DRIVER_EVALMODEL_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::sparsec {

struct EvalOptions {
  std::string outDir;
  std::string baselineDir; ///< "" = no baseline
  std::string data;
  int64_t tokens = 1024;
  int64_t context = 0;   ///< 0 = the executable's default
  int64_t threads = 0;   ///< 0 = the executable's default
  std::string reportDir; ///< "" = outDir
  bool quiet = false;
};

/// Runs the evaluation; returns the report.html path.
llvm::Expected<std::string> evalModel(const EvalOptions &options);

/// Writes report.html for `reportJson` (the executable's report, with the
/// fields evalModel adds) to `path`.
llvm::Error writeHtmlReport(const std::string &reportJson,
                            const std::string &path);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_DRIVER_EVALMODEL_H

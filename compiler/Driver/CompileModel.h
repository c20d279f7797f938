//===- CompileModel.h - checkpoint to executable ----------------*- C++ -*-===//
//
// `sparsec compile`: import, sparse pipeline, lowering, object code, packed
// weights, manifest, link. Each step reports progress on stderr.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_DRIVER_COMPILEMODEL_H
#define SPARSEC_COMPILER_DRIVER_COMPILEMODEL_H

#include "passes/Passes.h"

#include "llvm/Support/Error.h"

#include <string>

namespace mlir::sparsec {

enum class EmitKind { Mlir, LLVMIR, Object, Executable };

struct CompileOptions {
  std::string modelDir;
  std::string outDir;
  std::string target = "host";
  std::string cpu;
  std::string gpu; ///< --target cuda: the GPU architecture ("" = sm_80)
  std::string predictorDir;
  int64_t maxSeqLen = 0;
  /// Tokens per block of the prompt-processing step (0: none, the prompt
  /// runs token by token). CPU targets only.
  int64_t prefillBlock = 64;
  /// Sparse pipeline options (mode, per-layer overrides, statistics).
  std::string mode = "auto";
  std::string layers;
  std::string activationThreshold;
  std::string expertMode; ///< "" = --mode if dense/exact/predicted, else auto
  std::string stats;      ///< "" = MODEL_DIR/synth_report.json when present
  std::string quant;      ///< "" = weights as stored; else a QuantFormat
  std::string quantKeep = "predictor"; ///< roles --quant leaves alone
  /// Extra passes (a textual pipeline on the module, as sparsec-opt's
  /// --pass-pipeline takes inside `builtin.module(...)`) run just before and
  /// just after the sparse pipeline: how a pass writer runs a new pass end
  /// to end.
  std::string passesBeforeSparsify;
  std::string passesAfterSparsify;
  EmitKind emit = EmitKind::Executable;
  /// Every FFN dense, its input and activations left in scratch after each
  /// step (manifest "records"): what sparsec calibrate runs.
  bool recordActivations = false;
  /// sparsec calibrate's calibration.json, copied beside the executable
  /// (sparsec eval's predictor recall); "" = none.
  std::string calibrationFile;
  bool quiet = false;
};

/// Compiles; returns the path of what it produced last (the executable).
llvm::Expected<std::string> compileModel(const CompileOptions &options);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_DRIVER_COMPILEMODEL_H

//===- CalibrateModel.h - sparsec calibrate ---------------------*- C++ -*-===//
//
//   sparsec calibrate MODEL --data FILE.txt [--tokens N] [--context C]
//                     [--target-sparsity 0.4,0.5] [--fit-predictors]
//                     [--predictor-rank R] [-o DIR]
//
// Runs the dense model through sparsec itself (compiled with
// --record-activations, then OUT/model --eval --record over the text) and
// turns the recorded activations into what sparsification needs, in
// DIR/calibration.json (DIR defaults to MODEL's folder + /calibration):
//   - per layer (and expert): the density of the activations (exact zeros,
//     the natural sparsity of ReLU-family FFNs) and how concentrated they
//     are on hot neurons: the statistics sparsec-decide-sparsity reads;
//   - per layer and target sparsity s, the threshold t of threshold mode
//     (TEAL/CATS: a neuron runs where |act(gate x)| > t): the s-quantile of
//     |act(gate x)| over the recorded tokens and neurons;
//   - with --fit-predictors (ReLU/dReLU models): low-rank predictors fitted
//     to the recorded activations by tools/fit_predictors.py, written to
//     DIR/predictors/ (the tensors --predictor-dir reads), with recall and
//     precision per layer on held-out tokens.
// `sparsec compile MODEL --mode threshold` reads the thresholds from
// MODEL/calibration/ (or --calibration DIR).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_DRIVER_CALIBRATEMODEL_H
#define SPARSEC_COMPILER_DRIVER_CALIBRATEMODEL_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::sparsec {

struct CalibrateOptions {
  std::string modelDir;
  std::string outDir; ///< "" = <model folder>/calibration
  std::string data;
  int64_t tokens = 1024;
  int64_t context = 0;
  int64_t threads = 0;
  std::vector<double> targetSparsities = {0.4, 0.5};
  bool fitPredictors = false;
  int64_t predictorRank = 0; ///< 0 = the fitting tool's default
  double heldOut = 0.2;      ///< fraction of tokens kept for recall
  bool keepRecords = false;
  bool quiet = false;
};

/// Calibrates; returns the calibration.json path.
llvm::Expected<std::string> calibrateModel(const CalibrateOptions &options);

/// The calibration folder `sparsec compile` uses for `modelDir` when none
/// is given: <modelDir, or the folder of a model file>/calibration.
std::string defaultCalibrationDir(const std::string &modelDir);

/// Threshold mode's per-layer thresholds for `targetSparsity` from
/// DIR/calibration.json, as --activation-threshold takes them ("0:0.12,1:
/// 0.09,..."). targetSparsity < 0: the file's only one (an error when it
/// has several).
llvm::Expected<std::string> readCalibratedThresholds(const std::string &dir,
                                                     double targetSparsity);

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_DRIVER_CALIBRATEMODEL_H

//===- ONNXImporter.h - ONNX decoder graph -> llm IR ------------*- C++ -*-===//
//
// An ONNX model (model.onnx, its external data and config.json in one
// folder) is imported by reading the graph into the `onnx` dialect
// (ONNXFile) and matching it into the llm decode step with
// sparsec-convert-onnx-to-llm. The weights are the graph's initializers,
// read in place. config.json (Optimum, sparsec-synth) or genai_config.json
// (onnxruntime-genai) states the hyper-parameters; the graph must agree with
// them, and a disagreement is an error naming both.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_ONNX_ONNXIMPORTER_H
#define SPARSEC_COMPILER_IMPORTER_ONNX_ONNXIMPORTER_H

#include "compiler/Importer/Common/ModelConfig.h"
#include "compiler/Importer/Common/TensorSource.h"
#include "compiler/Importer/ONNX/ONNXFile.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace mlir::sparsec::onnx_import {

/// The hyper-parameters onnxruntime-genai's genai_config.json states (its
/// `model` and `model.decoder` sections). What it leaves out (FFN size,
/// RMSNorm epsilon, rope theta, activation) stays 0 or unset: the graph
/// decides those.
llvm::Expected<ModelConfig> parseGenAIConfig(llvm::StringRef path);

/// The decode step of `file`, checked against `config` (its non-zero
/// fields). Layers with
/// predictor tensors in `weights` (model.layers.N.mlp.predictor.fc1/fc2,
/// from --predictor-dir) get them.
llvm::Expected<OwningOpRef<ModuleOp>> importGraph(MLIRContext &context,
                                                  const ONNXFile &file,
                                                  const ModelConfig &config,
                                                  const TensorSource &weights,
                                                  int64_t maxSeqLen);

} // namespace mlir::sparsec::onnx_import

#endif // SPARSEC_COMPILER_IMPORTER_ONNX_ONNXIMPORTER_H

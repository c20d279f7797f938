//===- Importer.h - any supported model file -> llm IR ----------*- C++ -*-===//
//
// The entry point the driver uses: opens a Hugging Face checkpoint
// directory or a GGUF file once (config, weights, tokenizer source) and
// imports, packs and hashes from that one opening.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_IMPORTER_H
#define SPARSEC_COMPILER_IMPORTER_IMPORTER_H

#include "compiler/Importer/Common/DecodeStepBuilder.h"
#include "compiler/Importer/Common/ModelConfig.h"
#include "compiler/Importer/Common/TensorSource.h"
#include "compiler/Importer/HuggingFace/HFImporter.h"
#include "compiler/Importer/ONNX/ONNXFile.h"

#include "sparsec/formats/gguf.h"

#include <memory>
#include <string>

namespace mlir::sparsec {

enum class ModelFormat { HuggingFace, GGUF, ONNX };

struct OpenedModel {
  /// The checkpoint directory, the .gguf file, or the folder of an ONNX
  /// model (its config.json and tokenizer files).
  std::string path;
  ModelFormat format = ModelFormat::HuggingFace;
  ModelConfig config;
  std::unique_ptr<TensorSource> weights;
  /// How the builder names the model's files in locations and messages.
  DecodeStepOptions build;
  /// The GGUF file itself (GGUF only): the tokenizer is read from it.
  std::shared_ptr<const ::sparsec::GgufFile> gguf;
  /// The ONNX model (ONNX only).
  std::shared_ptr<const ONNXFile> onnx;
};

/// Opens `path`: a directory with config.json, a GGUF file, or an ONNX
/// model (a .onnx file, or a folder holding model.onnx and config.json but
/// no safetensors). Errors are one line naming the file and key or tensor.
llvm::Expected<OpenedModel> openModel(llvm::StringRef path,
                                      const ImportOptions &options = {});

/// The decode step of an opened model.
llvm::Expected<OwningOpRef<ModuleOp>>
importModel(MLIRContext &context, const OpenedModel &model,
            const ImportOptions &options = {});

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_IMPORTER_H

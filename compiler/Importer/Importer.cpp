//===- Importer.cpp - any supported model file -> llm IR --------*- C++ -*-===//

#include "compiler/Importer/Importer.h"

#include "passes/JsonFile.h"

#include "compiler/Importer/GGUF/GGUFImporter.h"
#include "compiler/Importer/HuggingFace/HFConfig.h"
#include "compiler/Importer/ONNX/ONNXImporter.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::sparsec;

llvm::Expected<OpenedModel>
mlir::sparsec::openModel(llvm::StringRef path, const ImportOptions &options) {
  OpenedModel model;
  model.path = path.str();
  if (!llvm::sys::fs::exists(path))
    return inputError(path + ": not found (expected a Hugging Face checkpoint "
                             "directory, a GGUF file or an ONNX model)");
  if (std::optional<std::string> onnxPath = ONNXFile::findModelFile(path)) {
    model.format = ModelFormat::ONNX;
    auto file = ONNXFile::open(*onnxPath);
    if (!file)
      return file.takeError();
    model.onnx = *file;
    model.path = (*file)->folder();
    // config.json (Optimum, sparsec-synth), else onnxruntime-genai's
    // genai_config.json.
    llvm::SmallString<256> configPath(model.path), genaiPath(model.path);
    llvm::sys::path::append(configPath, "config.json");
    llvm::sys::path::append(genaiPath, "genai_config.json");
    llvm::Expected<ModelConfig> config =
        llvm::sys::fs::exists(configPath)
            ? hf::parseModelConfig(std::string(configPath))
        : llvm::sys::fs::exists(genaiPath)
            ? onnx_import::parseGenAIConfig(genaiPath)
            : llvm::Expected<ModelConfig>(inputError(
                  *onnxPath + ": no config.json or genai_config.json beside "
                              "it (sparsec reads the hyper-parameters there "
                              "and checks the graph against them)"));
    if (!config)
      return config.takeError();
    model.config = std::move(*config);
    auto weights = ONNXFile::openWeights(model.onnx, options.predictorDir);
    if (!weights)
      return weights.takeError();
    model.weights = std::move(*weights);
    model.build.locationFile = *onnxPath;
    model.build.layoutOwner = "the ONNX graph";
    model.build.configName = "config.json";
    model.build.maxSeqLen = options.maxSeqLen;
    return model;
  }
  if (!llvm::sys::fs::is_directory(path)) {
    if (!llvm::sys::fs::is_regular_file(path))
      return inputError(path + ": not a regular file or a directory");
    if (!gguf::isGGUFFile(path))
      return inputError(path + ": not a directory, a GGUF file or a .onnx "
                               "file (expected a Hugging Face checkpoint "
                               "directory, a .gguf or a .onnx file)");
    if (!options.predictorDir.empty())
      return inputError("--predictor-dir is for Hugging Face checkpoints; a "
                        "GGUF carries its predictors (blk.N.fc1/fc2) itself");
    model.format = ModelFormat::GGUF;
    auto opened = ::sparsec::GgufFile::open(path.str());
    if (!opened.isOk())
      return inputError(opened.status().message());
    model.gguf = std::move(opened).value();
    llvm::Expected<ModelConfig> config = gguf::parseGGUFConfig(*model.gguf);
    if (!config)
      return config.takeError();
    model.config = std::move(*config);
    auto weights = gguf::openGGUFSource(model.gguf, model.config);
    if (!weights)
      return weights.takeError();
    model.weights = std::move(*weights);
    model.build.locationFile = path.str();
    model.build.layoutOwner =
        "the GGUF's " + model.config.architecture + " layout";
    model.build.configName = "the GGUF metadata";
  } else {
    llvm::Expected<std::string> configPath = hf::configPathOf(path);
    if (!configPath)
      return configPath.takeError();
    llvm::Expected<ModelConfig> config = hf::parseModelConfig(*configPath);
    if (!config)
      return config.takeError();
    model.config = std::move(*config);
    auto weights = openSafetensorsSource(path, options.predictorDir);
    if (!weights)
      return weights.takeError();
    model.weights = std::move(*weights);
    model.build.locationFile = *configPath;
    model.build.layoutOwner =
        "config.json's " + model.config.architecture + " layout";
    model.build.configName = "config.json";
  }
  model.build.maxSeqLen = options.maxSeqLen;
  return model;
}

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::sparsec::importModel(MLIRContext &context, const OpenedModel &model,
                           const ImportOptions &options) {
  if (model.format == ModelFormat::ONNX)
    return onnx_import::importGraph(context, *model.onnx, model.config,
                                    *model.weights, options.maxSeqLen);
  DecodeStepOptions build = model.build;
  build.maxSeqLen = options.maxSeqLen;
  return buildDecodeStep(context, model.config, *model.weights, build);
}

//===- HFImporter.cpp - Hugging Face checkpoint -> llm IR -------*- C++ -*-===//

#include "compiler/Importer/HuggingFace/HFImporter.h"

#include "passes/JsonFile.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::sparsec;
using llvm::Expected;
using llvm::StringRef;

Expected<std::string> hf::configPathOf(StringRef modelDir) {
  if (!llvm::sys::fs::is_directory(modelDir))
    return inputError(modelDir + ": not a directory (expected a Hugging Face "
                                 "checkpoint directory)");
  llvm::SmallString<256> configPath(modelDir);
  llvm::sys::path::append(configPath, "config.json");
  if (!llvm::sys::fs::exists(configPath))
    return inputError(configPath + ": not found (a Hugging Face checkpoint "
                                   "directory needs config.json)");
  return configPath.str().str();
}

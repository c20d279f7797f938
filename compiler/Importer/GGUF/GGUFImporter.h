//===- GGUFImporter.h - llama.cpp GGUF model -> llm IR ----------*- C++ -*-===//
//
// Imports a GGUF file (llama.cpp's format) through the same format-neutral
// decode-step builder as Hugging Face checkpoints: the metadata becomes a
// ModelConfig, and a TensorSource presents the GGUF tensors under their
// Hugging Face names and shapes, undoing what llama.cpp's converter did
// (q/k row permutation, merged expert tensors, PowerInfer's transposed
// down projection) and dequantizing quantized blocks (Q8_0, Q4_0, Q4_1,
// Q5_0, Q5_1, Q4_K, Q5_K, Q6_K) to f16 when the weights are packed.
//
// Architectures: `llama` (Llama, Mistral, SmolLM2; with experts: Mixtral)
// and PowerInfer's sparse `llama`/`bamboo` files with predictor tensors.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_GGUF_GGUFIMPORTER_H
#define SPARSEC_COMPILER_IMPORTER_GGUF_GGUFIMPORTER_H

#include "compiler/Importer/Common/ModelConfig.h"
#include "compiler/Importer/Common/TensorSource.h"
#include "compiler/Importer/HuggingFace/HFImporter.h"

#include "sparsec/formats/gguf.h"

#include "llvm/Support/Error.h"

#include <memory>

namespace mlir::sparsec::gguf {

/// True when `path` names a GGUF file (by its magic, else by ".gguf").
bool isGGUFFile(llvm::StringRef path);

/// The model described by a GGUF's metadata. Every `<arch>.*` key is read
/// or known to be harmless; others are refused by name.
llvm::Expected<ModelConfig> parseGGUFConfig(const ::sparsec::GgufFile &file);

/// The GGUF's tensors under Hugging Face names. Keeps `file` alive.
llvm::Expected<std::unique_ptr<TensorSource>>
openGGUFSource(std::shared_ptr<const ::sparsec::GgufFile> file,
               const ModelConfig &config);

} // namespace mlir::sparsec::gguf

#endif // SPARSEC_COMPILER_IMPORTER_GGUF_GGUFIMPORTER_H

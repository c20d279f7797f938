//===- ONNXFile.h - an ONNX model file, checked, as onnx IR -----*- C++ -*-===//
//
// Reads model.onnx with the ONNX library's protobuf classes and checks what
// the rest of the importer relies on, trusting nothing in the file: nodes in
// an order where every input is defined before it is read (which also rules
// out cycles), unique value names, supported element types, sane shapes,
// initializer data whose size matches its shape, and external data files
// that stay inside the model's folder and hold the bytes they claim. Every
// refusal is one line naming the file and the node or tensor.
//
// The checked graph then becomes `onnx` dialect IR (toModule) and its
// initializers a TensorSource (weights), read in place from the file or the
// mapped external data.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_COMPILER_IMPORTER_ONNX_ONNXFILE_H
#define SPARSEC_COMPILER_IMPORTER_ONNX_ONNXFILE_H

#include "compiler/Importer/Common/TensorSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace mlir::sparsec {

/// The attribute marking the function that holds an imported ONNX graph,
/// and the argument/result attribute holding each input's/output's name.
inline constexpr llvm::StringLiteral kONNXGraphAttrName = "onnx.graph";
inline constexpr llvm::StringLiteral kONNXNameAttrName = "onnx.name";

class ONNXFile {
public:
  ~ONNXFile();

  /// When `path` is an ONNX model (a .onnx file, or a folder holding
  /// model.onnx, or Optimum's legacy decoder_model_merged.onnx or
  /// decoder_with_past_model.onnx, and no safetensors checkpoint), the .onnx
  /// file's path.
  static std::optional<std::string> findModelFile(llvm::StringRef path);

  /// Opens and checks `path` (a .onnx file).
  static llvm::Expected<std::shared_ptr<ONNXFile>> open(llvm::StringRef path);

  const std::string &path() const;
  /// The folder holding the file (external data, config.json).
  const std::string &folder() const;

  /// The graph as a module holding one function marked kONNXGraphAttrName.
  llvm::Expected<OwningOpRef<ModuleOp>> toModule(MLIRContext &context) const;

  /// The float initializers (f32, f16, bf16) under their names, and, when
  /// `predictorDir` is not empty, the safetensors tensors there. Keeps this
  /// file alive.
  static llvm::Expected<std::unique_ptr<TensorSource>>
  openWeights(std::shared_ptr<const ONNXFile> file,
              llvm::StringRef predictorDir);

  /// The parsed file (ONNXFile.cpp).
  struct Impl;

private:
  ONNXFile();
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::sparsec

#endif // SPARSEC_COMPILER_IMPORTER_ONNX_ONNXFILE_H

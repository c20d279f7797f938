//===- JsonFile.cpp - read a JSON file nothing of which is trusted -*- C++
//-*-===//

#include "passes/JsonFile.h"

#include "sparsec/formats/status.h"

#include "sparsec/formats/limits.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace mlir::sparsec;

llvm::Error mlir::sparsec::inputError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 ::sparsec::escapeForMessage(message.str()));
}

llvm::Expected<std::string>
mlir::sparsec::readRegularFile(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  if (std::error_code ec = llvm::sys::fs::status(path, status))
    return inputError(path + ": cannot read: " + ec.message());
  if (status.type() != llvm::sys::fs::file_type::regular_file)
    return inputError(path + ": not a regular file");
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return inputError(path + ": cannot read: " + buffer.getError().message());
  return (*buffer)->getBuffer().str();
}

llvm::Expected<llvm::json::Value>
mlir::sparsec::parseJsonText(llvm::StringRef text, llvm::StringRef path) {
  ::sparsec::Status limits =
      ::sparsec::limits::checkJsonLimits(text.str(), path.str());
  if (!limits.isOk())
    return inputError(limits.message());
  llvm::Expected<llvm::json::Value> value = llvm::json::parse(text);
  if (!value)
    return inputError(path +
                      ": not valid JSON: " + llvm::toString(value.takeError()));
  return value;
}

llvm::Expected<llvm::json::Value>
mlir::sparsec::readJsonFile(llvm::StringRef path) {
  llvm::Expected<std::string> text = readRegularFile(path);
  if (!text)
    return text.takeError();
  return parseJsonText(*text, path);
}

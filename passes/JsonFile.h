//===- JsonFile.h - read a JSON file nothing of which is trusted -*- C++
//-*-===//
//
// Every JSON the compiler reads (config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json, calibration reports) goes through
// here: a regular file (a FIFO would block the read), within the size and
// nesting limits of sparsec/formats/limits.h (runtime/formats;
// llvm::json::parse recurses without a bound), then parsed. Errors are one line
// starting with the path.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_PASSES_JSONFILE_H
#define SPARSEC_PASSES_JSONFILE_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace mlir::sparsec {

/// An error about an input file or flag: one line, with the control
/// characters of any quoted input escaped (a name read from a file cannot
/// forge a second line or reach the terminal as an escape sequence).
llvm::Error inputError(const llvm::Twine &message);

/// The bytes of `path`, which must be a regular file.
llvm::Expected<std::string> readRegularFile(llvm::StringRef path);

/// `path` parsed as JSON, within the limits.
llvm::Expected<llvm::json::Value> readJsonFile(llvm::StringRef path);

/// `text` (read from `path`) parsed as JSON, within the limits.
llvm::Expected<llvm::json::Value> parseJsonText(llvm::StringRef text,
                                                llvm::StringRef path);

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_JSONFILE_H

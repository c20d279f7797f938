//===- json.h - bounded, strict JSON parsing for the runtime ----*- C++ -*-===//
//
// Every JSON file the runtime reads (manifest.json, safetensors headers,
// model.safetensors.index.json, tokenizer.json) is parsed here: the text is
// checked against limits::checkJsonLimits (size and nesting depth) before
// nlohmann sees it, and, where a repeated key would silently replace an
// earlier one (nlohmann keeps the last), repeated keys are refused.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_JSON_H
#define SPARSEC_FORMATS_JSON_H

#include "sparsec/formats/status.h"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace sparsec {

struct JsonParseOptions {
  /// Refuse an object that repeats a key (at any depth).
  bool rejectDuplicateKeys = false;
  /// What a repeated key of the top-level object is called in the error
  /// ("tensor" for a safetensors header); nullptr: "key".
  const char *topLevelKeyNoun = nullptr;
  /// Where the repeated top-level key sits, for the error ("in the header").
  const char *topLevelWhere = nullptr;
};

/// Parses `text`, the contents of `path` (which only names it in errors).
/// Returns an error (one line, starting with `path`) for text over the JSON
/// limits or, with `rejectDuplicateKeys`, a repeated key; otherwise OK with
/// `out` the value, or discarded (`out.is_discarded()`) when the text is not
/// valid JSON, so that callers keep their own wording for that case.
Status parseJson(std::string_view text, const std::string &path,
                 nlohmann::json &out, const JsonParseOptions &options = {});

} // namespace sparsec

#endif // SPARSEC_FORMATS_JSON_H

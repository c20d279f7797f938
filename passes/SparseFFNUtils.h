//===- SparseFFNUtils.h - helpers shared by the sparse passes ---*- C++ -*-===//

#ifndef SPARSEC_PASSES_SPARSEFFNUTILS_H
#define SPARSEC_PASSES_SPARSEFFNUTILS_H

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::sparsec {

/// A mode as written in options: a sparse mode, or `auto`.
struct ModeChoice {
  bool isAuto = true;
  sfn::SparseMode mode = sfn::SparseMode::Dense;
};

/// Parses "auto", "dense", "exact", "predicted" or "threshold".
std::optional<ModeChoice> parseModeChoice(StringRef text);

/// `auto`: predicted with a predictor, exact for ReLU-family activations,
/// dense otherwise.
sfn::SparseMode resolveMode(ModeChoice choice, llm::Activation activation,
                            bool hasPredictor);

/// Refuses, with an error on `op`, modes that make no sense for the block.
LogicalResult checkMode(Operation *op, sfn::SparseMode mode,
                        llm::Activation activation, bool hasPredictor,
                        bool hasActivationThreshold);

/// Per-layer values: "v" for every layer, or "0-3:v,5:w" (a layer in no
/// range has none). Layer ranges are inclusive.
class LayerSpec {
public:
  /// Parses `text`; on failure returns std::nullopt and sets `error`.
  static std::optional<LayerSpec> parse(StringRef text, std::string &error);
  std::optional<std::string> lookup(int64_t layer) const;
  bool empty() const { return !all && ranges.empty(); }

private:
  struct Range {
    int64_t first, last;
    std::string value;
  };
  std::optional<std::string> all;
  std::vector<Range> ranges;
};

/// The down projection `down` ([hidden, intermediate], an llm.param) as a
/// transposed llm.param ([intermediate, hidden]) created at `builder`'s
/// insertion point; failure when `down` is not an llm.param.
FailureOr<Value> createTransposedParam(OpBuilder &builder, Location loc,
                                       Value down);
/// `downT` (a transposed llm.param) in its own layout: the same weight as a
/// plain llm.param ([hidden, intermediate]) created at `builder`'s insertion
/// point. Fails unless `downT` is a transposed llm.param.
FailureOr<Value> createUntransposedParam(OpBuilder &builder, Location loc,
                                         Value downT);

/// Name of the discardable attribute sparsec-decide-sparsity puts on
/// llm.ffn / llm.moe.
inline constexpr StringLiteral kModeMarkAttrName = "sparsec.mode";

/// The mode asked for `op` (an llm.ffn or llm.moe of layer `layer`), by
/// precedence: the `layers` option, then the sparsec.mode mark; nullopt
/// when neither says (the pass's default applies).
inline std::optional<std::string> requestedMode(Operation *op, int64_t layer,
                                                const LayerSpec &modes) {
  if (std::optional<std::string> text = modes.lookup(layer))
    return text;
  if (auto mark = op->getAttrOfType<StringAttr>(kModeMarkAttrName))
    return mark.str();
  return std::nullopt;
}

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_SPARSEFFNUTILS_H

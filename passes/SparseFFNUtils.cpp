//===- SparseFFNUtils.cpp - helpers shared by the sparse passes -*- C++ -*-===//

#include "passes/SparseFFNUtils.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::sparsec;

std::optional<ModeChoice> sparsec::parseModeChoice(StringRef text) {
  text = text.trim();
  if (text == "auto")
    return ModeChoice{};
  if (std::optional<sfn::SparseMode> mode = sfn::symbolizeSparseMode(text))
    return ModeChoice{/*isAuto=*/false, *mode};
  return std::nullopt;
}

sfn::SparseMode sparsec::resolveMode(ModeChoice choice,
                                     llm::Activation activation,
                                     bool hasPredictor) {
  if (!choice.isAuto)
    return choice.mode;
  if (hasPredictor)
    return sfn::SparseMode::Predicted;
  if (llm::isReLUFamily(activation))
    return sfn::SparseMode::Exact;
  return sfn::SparseMode::Dense;
}

LogicalResult sparsec::checkMode(Operation *op, sfn::SparseMode mode,
                                 llm::Activation activation, bool hasPredictor,
                                 bool hasActivationThreshold) {
  switch (mode) {
  case sfn::SparseMode::Predicted:
    if (!hasPredictor)
      return op->emitError("mode 'predicted' needs a predictor, and this "
                           "block has none (use exact, threshold or dense)");
    return success();
  case sfn::SparseMode::Exact:
    if (!llm::isReLUFamily(activation))
      return op->emitError("mode 'exact' needs a ReLU-family activation "
                           "(drelu, relu, relu2), got ")
             << llm::stringifyActivation(activation)
             << " (use threshold or dense)";
    return success();
  case sfn::SparseMode::Threshold:
    if (!hasActivationThreshold)
      return op->emitError("mode 'threshold' needs a threshold for this "
                           "layer (activation-threshold=...)");
    return success();
  case sfn::SparseMode::Dense:
    return success();
  }
  return success();
}

std::optional<LayerSpec> LayerSpec::parse(StringRef text, std::string &error) {
  LayerSpec spec;
  text = text.trim();
  if (text.empty())
    return spec;
  if (!text.contains(':')) {
    spec.all = text.str();
    return spec;
  }
  SmallVector<StringRef> items;
  text.split(items, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    auto [layers, value] = item.trim().split(':');
    auto [firstText, lastText] = layers.split('-');
    Range range;
    range.value = value.trim().str();
    if (firstText.trim().getAsInteger(10, range.first) || range.first < 0 ||
        range.value.empty()) {
      error = "expected 'FIRST[-LAST]:VALUE', got '" + item.trim().str() + "'";
      return std::nullopt;
    }
    range.last = range.first;
    if (!lastText.empty() && (lastText.trim().getAsInteger(10, range.last) ||
                              range.last < range.first)) {
      error = "expected a layer range FIRST-LAST with FIRST <= LAST, got '" +
              layers.trim().str() + "'";
      return std::nullopt;
    }
    spec.ranges.push_back(std::move(range));
  }
  return spec;
}

std::optional<std::string> LayerSpec::lookup(int64_t layer) const {
  // The last range naming a layer wins, so later entries refine earlier ones.
  for (auto it = ranges.rbegin(); it != ranges.rend(); ++it)
    if (layer >= it->first && layer <= it->last)
      return it->value;
  return all;
}

FailureOr<Value> sparsec::createTransposedParam(OpBuilder &builder,
                                                Location loc, Value down) {
  auto param = down.getDefiningOp<llm::ParamOp>();
  if (!param || param.getTransposed())
    return failure();
  auto type = cast<RankedTensorType>(down.getType());
  auto transposedType = RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  return llm::ParamOp::create(builder, loc, transposedType, param.getName(),
                              /*transposed=*/true)
      .getResult();
}

FailureOr<Value> sparsec::createUntransposedParam(OpBuilder &builder,
                                                  Location loc, Value downT) {
  auto param = downT.getDefiningOp<llm::ParamOp>();
  if (!param || !param.getTransposed())
    return failure();
  auto type = cast<RankedTensorType>(downT.getType());
  auto plainType = RankedTensorType::get(
      {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
  return llm::ParamOp::create(builder, loc, plainType, param.getName(),
                              /*transposed=*/false)
      .getResult();
}

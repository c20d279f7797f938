//===- WeightSlots.cpp - where each weight lives in the packed file -------===//

#include "passes/WeightSlots.h"

#include "dialects/Common/StorageSize.h"
#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "sparsec/weights_layout.h"

using namespace mlir;
using namespace mlir::sparsec;

std::string sparsec::packedName(Operation *op) {
  if (auto param = dyn_cast<llm::ParamOp>(op))
    return param.getName().str() +
           (param.getTransposed() ? SPARSEC_TRANSPOSED_SUFFIX : "");
  if (auto bundle = dyn_cast<sfn::BundleParamOp>(op))
    return bundle.getName().str();
  return "";
}

const WeightSlot *WeightSlots::lookup(Operation *op) const {
  auto it = byKey.find(packedName(op));
  return it == byKey.end() ? nullptr : &slots[it->second];
}

WeightSlots sparsec::assignWeightSlots(ModuleOp module) {
  WeightSlots result;
  module.walk([&](Operation *op) {
    if (!isa<llm::ParamOp, sfn::BundleParamOp>(op))
      return;
    std::string key = packedName(op);
    if (result.byKey.count(key))
      return;
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    WeightSlot slot;
    slot.key = key;
    slot.type = type;
    slot.offset = result.totalBytes;
    slot.nbytes = getStorageBytes(type);
    slot.definingOp = op;
    result.totalBytes += slot.nbytes;
    result.byKey[key] = result.slots.size();
    result.slots.push_back(std::move(slot));
  });
  return result;
}

//===- QuantizeWeights.cpp - block-quantized weight types -------*- C++ -*-===//
//
// Algorithm: find the role of every use of each weight (llm.param,
// sfn.bundle_param), group the weights by packed name (two llm.param ops of
// one name are one tensor in the file and must agree on its type), and
// retype each group to tensor<... x !llm.quant<format>> unless a role keeps
// it or its rows are not whole blocks. Bundle parts follow their bundle.
// Op verifiers accept quantized weights wherever a weight is read; the
// values a weight feeds keep their f32 types.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/WeightSlots.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

enum Role : unsigned {
  kEmbed = 1,
  kLMHead = 2,
  kPredictor = 4,
  kRouter = 8, // always kept
};

/// The roles `use` gives the weight it reads.
unsigned roleOf(OpOperand &use) {
  Operation *user = use.getOwner();
  Value value = use.get();
  if (isa<llm::EmbedOp>(user))
    return kEmbed;
  if (isa<llm::LMHeadOp>(user))
    return kLMHead;
  if (isa<sfn::PredictOp>(user))
    return kPredictor;
  if (auto route = dyn_cast<sfn::RouteExpertsOp>(user))
    return value == route.getRouter() ? kRouter : 0;
  if (auto ffn = dyn_cast<sfn::FusedSparseFFNOp>(user))
    return value == ffn.getPredictorFc1() || value == ffn.getPredictorFc2()
               ? kPredictor
               : 0;
  if (auto ffn = dyn_cast<llm::FFNOp>(user))
    return value == ffn.getPredictorFc1() || value == ffn.getPredictorFc2()
               ? kPredictor
               : 0;
  if (auto moe = dyn_cast<llm::MoEOp>(user)) {
    if (value == moe.getRouter())
      return kRouter;
    return llvm::is_contained(moe.getPredictorFc1s(), value) ||
                   llvm::is_contained(moe.getPredictorFc2s(), value)
               ? kPredictor
               : 0;
  }
  return 0;
}

class QuantizeWeights
    : public sparsec::impl::QuantizeWeightsPassBase<QuantizeWeights> {
public:
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::optional<llm::QuantFormat> parsed = llm::symbolizeQuantFormat(format);
    if (!parsed) {
      module.emitError("sparsec-quantize-weights: unknown format '")
          << format << "' (expected q8_0, q4_0, q4_1, q4_k or q6_k)";
      return signalPassFailure();
    }
    unsigned kept = kRouter;
    SmallVector<StringRef> keepRoles;
    StringRef(keep).split(keepRoles, ',');
    for (StringRef role : keepRoles) {
      role = role.trim();
      unsigned bit = llvm::StringSwitch<unsigned>(role)
                         .Case("embed", kEmbed)
                         .Case("lm_head", kLMHead)
                         .Case("predictor", kPredictor)
                         .Cases({"none", ""}, 0)
                         .Default(~0u);
      if (bit == ~0u) {
        module.emitError("sparsec-quantize-weights: unknown role '")
            << role << "' in keep (expected embed, lm_head, predictor or none)";
        return signalPassFailure();
      }
      kept |= bit;
    }
    auto quantType = llm::QuantType::get(&getContext(), *parsed);
    // Rows that are not whole super-blocks of 256 take the 32-weight format
    // of at least as many bits (as llama.cpp's k-quant mixes do).
    llm::QuantType fallbackType;
    if (quantType.isSuperBlock())
      fallbackType =
          llm::QuantType::get(&getContext(), *parsed == llm::QuantFormat::Q4_K
                                                 ? llm::QuantFormat::Q4_1
                                                 : llm::QuantFormat::Q8_0);

    // Weights by packed name, in walk order, with the union of their roles.
    llvm::MapVector<StringRef, SmallVector<Operation *>> groups;
    llvm::StringMap<std::string> names;
    llvm::StringMap<unsigned> roles;
    module.walk([&](Operation *op) {
      if (!isa<llm::ParamOp, sfn::BundleParamOp>(op))
        return;
      std::string name = packedName(op);
      auto [it, inserted] = names.try_emplace(name, name);
      groups[it->getKey()].push_back(op);
      for (OpOperand &use : op->getResult(0).getUses())
        roles[name] |= roleOf(use);
    });

    for (auto &[name, ops] : groups) {
      if (roles.lookup(name) & kept)
        continue;
      auto type = cast<RankedTensorType>(ops.front()->getResult(0).getType());
      if (type.getRank() < 2 ||
          !llm::isWeightElementType(type.getElementType()))
        continue;
      llm::QuantType rowType = quantType;
      if (type.getShape().back() % rowType.getBlockSize() != 0)
        rowType = fallbackType;
      if (!rowType || type.getShape().back() % rowType.getBlockSize() != 0)
        continue;
      auto quantized = RankedTensorType::get(type.getShape(), rowType);
      for (Operation *op : ops) {
        op->getResult(0).setType(quantized);
        for (Operation *user : op->getResult(0).getUsers())
          if (auto part = dyn_cast<sfn::BundlePartOp>(user))
            part.getResult().setType(
                RankedTensorType::get(part.getType().getShape(), rowType));
      }
    }
  }
};

} // namespace

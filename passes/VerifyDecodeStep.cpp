//===- VerifyDecodeStep.cpp - whole-model consistency checks ----*- C++ -*-===//
//
// Algorithm: collect every function marked `llm.decode_step`; for each,
//   1) check its signature (token, pos, cache) -> logits and its return;
//   2) walk its ops, recording which cache layers llm.attention fills and
//      which layers llm.ffn / llm.moe claim, and checking the token, position
//      and cache operands are the function's own arguments;
//   3) compare the recorded layers with the cache's layer count.
// Separately, map every llm.param name to its first type and flag any later
// use with another type. Every problem is reported, then the pass fails.
//
//===----------------------------------------------------------------------===//

#include "passes/DecodeStep.h"
#include "passes/Passes.h"

#include "dialects/LLM/IR/LLMOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_VERIFYDECODESTEPPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

class VerifyDecodeStep
    : public sparsec::impl::VerifyDecodeStepPassBase<VerifyDecodeStep> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool ok = verifyParamTypes(module);

    int numSteps = 0;
    module.walk([&](func::FuncOp func) {
      if (!func->hasAttr(kDecodeStepAttrName))
        return;
      ++numSteps;
      ok &= verifyDecodeStep(func);
    });
    if (numSteps == 0) {
      module.emitError("expects a func.func marked '")
          << kDecodeStepAttrName << "' (the model's decode step)";
      ok = false;
    }
    if (!ok)
      signalPassFailure();
    markAllAnalysesPreserved();
  }

private:
  /// One name, one tensor: tied weights share a name and must agree.
  bool verifyParamTypes(ModuleOp module) {
    bool ok = true;
    llvm::StringMap<llm::ParamOp> firstUse;
    module.walk([&](llm::ParamOp param) {
      auto [it, inserted] = firstUse.try_emplace(param.getName(), param);
      if (inserted || it->second.getType() == param.getType())
        return;
      InFlightDiagnostic diag = param.emitOpError("uses '")
                                << param.getName() << "' as " << param.getType()
                                << ", but it is " << it->second.getType()
                                << " elsewhere";
      diag.attachNote(it->second.getLoc())
          << "first use of '" << param.getName() << "'";
      ok = false;
    });
    return ok;
  }

  bool verifyDecodeStep(func::FuncOp func) {
    FunctionType type = func.getFunctionType();
    if (!DecodeStep::hasSignature(type) || func.isExternal()) {
      func.emitOpError("decode step expects the signature (i32 token, index "
                       "pos, !llm.kv_cache<...>) -> tensor<Vxf32> and a "
                       "body, got ")
          << type;
      return false;
    }

    bool ok = true;
    DecodeStep step(func);
    Value token = step.getToken();
    Value pos = step.getPosition();
    Value cache = step.getCache();
    llm::KVCacheType cacheType = step.getCacheType();
    int64_t numLayers = cacheType.getNumLayers();

    // Layer -> first op that claimed it, per kind of block.
    llvm::DenseMap<int64_t, Operation *> attentionLayers, ffnLayers;
    auto claim = [&](llvm::DenseMap<int64_t, Operation *> &layers,
                     Operation *op, int64_t layer, StringRef what) {
      if (layer >= numLayers) {
        op->emitOpError("is ")
            << what << " layer " << layer << ", but the decode step has "
            << numLayers << " layers (KV cache)";
        ok = false;
        return;
      }
      auto [it, inserted] = layers.try_emplace(layer, op);
      if (!inserted) {
        InFlightDiagnostic diag = op->emitOpError("is a second ")
                                  << what << " for layer " << layer;
        diag.attachNote(it->second->getLoc())
            << "first " << what << " for layer " << layer;
        ok = false;
      }
    };

    func.walk([&](Operation *op) {
      if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
        if (attention.getCache() != cache || attention.getPos() != pos) {
          attention.emitOpError("expects the decode step's own position and "
                                "KV cache arguments");
          ok = false;
        }
        claim(attentionLayers, op, static_cast<int64_t>(attention.getLayer()),
              "attention");
      } else if (auto ffn = dyn_cast<llm::FFNOp>(op)) {
        claim(ffnLayers, op, static_cast<int64_t>(ffn.getLayer()),
              "FFN/MoE block");
      } else if (auto moe = dyn_cast<llm::MoEOp>(op)) {
        claim(ffnLayers, op, static_cast<int64_t>(moe.getLayer()),
              "FFN/MoE block");
      } else if (auto embed = dyn_cast<llm::EmbedOp>(op)) {
        if (embed.getToken() != token) {
          embed.emitOpError("expects the decode step's token argument");
          ok = false;
        }
      } else if (auto rope = dyn_cast<llm::RotaryOp>(op)) {
        if (rope.getPos() != pos) {
          rope.emitOpError("expects the decode step's position argument");
          ok = false;
        }
      }
    });

    for (int64_t layer = 0; layer < numLayers; ++layer) {
      if (!attentionLayers.count(layer)) {
        func.emitOpError("decode step uses KV cache layers 0..")
            << numLayers - 1 << " but has no llm.attention for layer " << layer;
        ok = false;
      }
      if (!ffnLayers.count(layer)) {
        func.emitOpError("decode step has no llm.ffn or llm.moe for layer ")
            << layer;
        ok = false;
      }
    }

    func.walk([&](func::ReturnOp ret) {
      if (!ret.getOperand(0).getDefiningOp<llm::LMHeadOp>()) {
        ret.emitOpError("of a decode step expects to return llm.lm_head "
                        "logits");
        ok = false;
      }
    });
    return ok;
  }
};

} // namespace

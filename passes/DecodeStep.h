//===- DecodeStep.h - the llm decode step's signature -----------*- C++ -*-===//
//
// The contract between importers and the compiler (docs/decode-step.md): a
// function marked `llm.decode_step` with the signature
// `(i32 token, index pos, !llm.kv_cache<...>) -> tensor<V x f32>`. Every
// access to its arguments goes through this class, as every access to the
// generated step's goes through DecodeStepABI (targets/Common).
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_PASSES_DECODESTEP_H
#define SPARSEC_PASSES_DECODESTEP_H

#include "dialects/LLM/IR/LLMOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::sparsec {

class DecodeStep {
public:
  enum Argument : unsigned { Token, Position, Cache, NumArguments };

  /// The signature for a cache type and a vocabulary size.
  static FunctionType getFunctionType(llm::KVCacheType cache, int64_t vocab) {
    Builder b(cache.getContext());
    return b.getFunctionType({b.getI32Type(), b.getIndexType(), cache},
                             {RankedTensorType::get({vocab}, b.getF32Type())});
  }

  /// Whether `type` is a decode step's signature.
  static bool hasSignature(FunctionType type) {
    if (type.getNumInputs() != NumArguments || type.getNumResults() != 1 ||
        !type.getInput(Token).isInteger(32) ||
        !type.getInput(Position).isIndex() ||
        !isa<llm::KVCacheType>(type.getInput(Cache)))
      return false;
    auto logits = dyn_cast<RankedTensorType>(type.getResult(0));
    return logits && logits.getRank() == 1 && logits.getElementType().isF32();
  }

  /// The function of `module` marked as its decode step, or null.
  static func::FuncOp find(ModuleOp module) {
    func::FuncOp step;
    module.walk([&](func::FuncOp func) {
      if (func->hasAttr(kDecodeStepAttrName))
        step = func;
    });
    return step;
  }

  /// Binds to `func`, which must have the signature and a body.
  explicit DecodeStep(func::FuncOp func) : func(func) {
    assert(hasSignature(func.getFunctionType()) && !func.isExternal());
  }

  BlockArgument getArgument(Argument which) const {
    return func.getBody().front().getArgument(which);
  }
  BlockArgument getToken() const { return getArgument(Token); }
  BlockArgument getPosition() const { return getArgument(Position); }
  BlockArgument getCache() const { return getArgument(Cache); }
  llm::KVCacheType getCacheType() const {
    return cast<llm::KVCacheType>(getCache().getType());
  }
  int64_t getVocabSize() const {
    return cast<RankedTensorType>(func.getFunctionType().getResult(0))
        .getDimSize(0);
  }

private:
  mutable func::FuncOp func;
};

} // namespace mlir::sparsec

#endif // SPARSEC_PASSES_DECODESTEP_H

//===- Patterns.h - llm/sfn -> scf/vector/memref patterns -------*- C++ -*-===//
//
// One file per op family, each with its populate function; the pass
// (ConvertLLMToLoops.cpp) collects them all. Patterns take no type
// converter: a tensor value's replacement is the memref holding it, and an
// adaptor hands a pattern those memrefs. Buffers are:
//   * weights: views of the ABI's weights argument at the offset
//     sparsec-plan-buffers recorded (`sparsec.weight_offset`);
//   * the returned logits: the ABI's logits argument;
//   * everything else: `memref.alloc`s, which sparsec-plan-scratch turns
//     into views of the scratch argument.
// Data-parallel loops are the target's (scf.parallel by default); a backend
// pass maps them to threads or GPU blocks.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_TARGETS_COMMON_LLMTOLOOPS_PATTERNS_H
#define SPARSEC_TARGETS_COMMON_LLMTOLOOPS_PATTERNS_H

#include "targets/Common/DecodeStepABI.h"
#include "targets/Common/LLMToLoops/KernelBuilder.h"
#include "targets/Common/TargetInfo.h"

#include "mlir/Transforms/DialectConversion.h"

namespace mlir::sparsec {

/// What sfn.dispatch_experts leaves for the sfn.yield of each expert it
/// moved into a switch case: out += weights[choice] * <the yielded value>.
/// In the prefill step (`slots` set): row r of the yielded value goes to
/// row slots[r] of `out` for r < count.
struct ExpertAccumulation {
  Value out, weights, choice;
  Value slots{}, count{};
};

/// In the prefill step, the block's tokens that sfn.dispatch_experts routed
/// to one expert: the expert's ops run over `count` rows, the routed
/// tokens' in token order. `gathered` maps the activations the expert
/// reads from outside (its predictor's input) to their rows gathered the
/// same way.
struct ExpertTokens {
  Value count;
  llvm::DenseMap<Value, Value> gathered;
};

/// What every pattern of the conversion shares.
struct LLMToLoopsContext {
  const TargetInfoBase &target;
  DecodeStepABI abi;
  /// The prefill step (sparsec_prefill_step) lowers the same ops over a
  /// block of up to `prefillBlock` prompt tokens: each activation becomes a
  /// flat [block x n] buffer, row t the token at position pos + t. 0: the
  /// decode step.
  int64_t prefillBlock = 0;
  /// In the prefill step: the block's tokens (memref<block x i32>) and how
  /// many of them this call processes (index, 1 <= count <= block).
  Value prefillTokens{}, prefillCount{};
  /// sfn.yield -> its accumulation (filled by the dispatch pattern, which
  /// runs before the expert's ops are converted, used by the yield's).
  mutable llvm::DenseMap<Operation *, ExpertAccumulation> expertYields{};
  /// In the prefill step: the block that holds an expert's ops -> the
  /// tokens routed to it (filled by the dispatch pattern).
  mutable llvm::DenseMap<Block *, ExpertTokens> expertTokens{};

  /// The routed tokens of the expert whose ops include `op`; null outside
  /// experts and in the decode step.
  const ExpertTokens *expertTokensOf(Operation *op) const {
    auto it = expertTokens.find(op->getBlock());
    return it == expertTokens.end() ? nullptr : &it->second;
  }
  /// How many rows of the block `op` runs over: its expert's routed tokens,
  /// else the whole block's.
  Value tokenCount(Operation *op) const {
    const ExpertTokens *tokens = expertTokensOf(op);
    return tokens ? tokens->count : prefillCount;
  }
};

/// Base of the patterns: the shared context and buffer helpers.
template <typename OpTy>
class StepOpLowering : public OpConversionPattern<OpTy> {
public:
  StepOpLowering(MLIRContext *context, const LLMToLoopsContext &step)
      : OpConversionPattern<OpTy>(context), step(step) {}

protected:
  const LLMToLoopsContext &step;
};

/// A buffer for the 1-D f32 `result`: the ABI's logits when the step
/// returns it, otherwise a new temporary ([block x n] in the prefill step).
Value createResultBuffer(OpBuilder &b, Location loc, Value result,
                         const LLMToLoopsContext &step);
/// Runs `body(t)` for each token of the prefill block, or once with t = 0
/// in the decode step.
void forEachToken(KernelBuilder &kb, const LLMToLoopsContext &step,
                  function_ref<void(Value)> body);
/// The position of token `t` (forEachToken's): pos + t, or pos itself in
/// the decode step.
Value tokenPosition(KernelBuilder &kb, const LLMToLoopsContext &step, Value pos,
                    Value t);
/// `buffer` itself in the decode step, its row `t` in the prefill step.
Value tokenRow(OpBuilder &b, Location loc, const LLMToLoopsContext &step,
               Value buffer, Value t, int64_t n);
/// A temporary of `n` elements of `elementType` (planned into scratch).
Value createTemporary(OpBuilder &b, Location loc, int64_t n, Type elementType);

/// llm.param, sfn.bundle_param, sfn.bundle_part -> views of the weights.
void populateWeightPatterns(RewritePatternSet &patterns,
                            const LLMToLoopsContext &step);
/// llm.embed.
void populateEmbeddingPatterns(RewritePatternSet &patterns,
                               const LLMToLoopsContext &step);
/// llm.rms_norm.
void populateNormPatterns(RewritePatternSet &patterns,
                          const LLMToLoopsContext &step);
/// llm.rope.
void populateRotaryPatterns(RewritePatternSet &patterns,
                            const LLMToLoopsContext &step);
/// llm.attention (KV-cache append and attention over it).
void populateAttentionPatterns(RewritePatternSet &patterns,
                               const LLMToLoopsContext &step);
/// llm.linear, llm.lm_head (matvecs), llm.add, and the step's return.
void populateLinearPatterns(RewritePatternSet &patterns,
                            const LLMToLoopsContext &step);
/// sfn.fused_sparse_ffn in every sparse mode.
void populateFusedFFNPatterns(RewritePatternSet &patterns,
                              const LLMToLoopsContext &step);
/// sfn.route_experts and sfn.dispatch_experts.
void populateMoEPatterns(RewritePatternSet &patterns,
                         const LLMToLoopsContext &step);

/// All of the above.
void populateLLMToLoopsPatterns(RewritePatternSet &patterns,
                                const LLMToLoopsContext &step);

} // namespace mlir::sparsec

#endif // SPARSEC_TARGETS_COMMON_LLMTOLOOPS_PATTERNS_H

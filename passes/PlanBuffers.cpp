//===- PlanBuffers.cpp - weight offsets and stats slots ------------------===//
//
// Records where each weight lives in the packed file (WeightSlots: every
// llm.param / sfn.bundle_param in walk order, deduplicated by packed name,
// back to back) and numbers the fused FFNs' stats counters in walk order.
// The lowering, the manifest and the packer all read these attributes.
//
//===----------------------------------------------------------------------===//

#include "passes/BufferPlan.h"
#include "passes/Passes.h"
#include "passes/WeightSlots.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_PLANBUFFERSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {
class PlanBuffers : public sparsec::impl::PlanBuffersPassBase<PlanBuffers> {
public:
  using PlanBuffersPassBase::PlanBuffersPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Builder b(&getContext());
    WeightSlots slots = assignWeightSlots(module);
    module.walk([&](Operation *op) {
      if (!isa<llm::ParamOp, sfn::BundleParamOp>(op))
        return;
      const WeightSlot *slot = slots.lookup(op);
      op->setAttr(kWeightOffsetAttrName, b.getI64IntegerAttr(slot->offset));
    });
    int64_t next = 0;
    module.walk([&](sfn::FusedSparseFFNOp ffn) {
      ffn->setAttr(kStatsSlotAttrName, b.getI64IntegerAttr(next++));
    });
    module->setAttr(kNumFFNsAttrName, b.getI64IntegerAttr(next));
  }
};
} // namespace

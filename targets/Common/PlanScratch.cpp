//===- PlanScratch.cpp - temporaries into the scratch argument -----------===//
//
// Each memref.alloc of the step gets its own 64-byte aligned range of the
// scratch argument, in program order. Nothing is reused: the buffers are
// small next to the weights, and a kernel can read any of them at any time.
//
//===----------------------------------------------------------------------===//

#include "dialects/Common/StorageSize.h"
#include "passes/BufferPlan.h"
#include "targets/Common/DecodeStepABI.h"
#include "targets/Common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_PLANSCRATCHPASS
#include "targets/Common/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {
class PlanScratch : public sparsec::impl::PlanScratchPassBase<PlanScratch> {
public:
  using PlanScratchPassBase::PlanScratchPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp func =
        DecodeStepABI::lookupStepFunction(module, "sparsec-plan-scratch");
    if (!func)
      return signalPassFailure();
    DecodeStepABI abi(func);
    int64_t bytes = 0;
    Builder builder(module.getContext());
    SmallVector<Attribute> records;
    WalkResult result = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        alloc.emitError("sparsec-plan-scratch: only static, identity-layout "
                        "temporaries can be planned, got ")
            << type;
        return WalkResult::interrupt();
      }
      // Records (--record-activations) say where they landed.
      if (auto tags = alloc->getAttrOfType<ArrayAttr>(kRecordTagsAttrName))
        for (auto tag : tags.getAsRange<DictionaryAttr>()) {
          SmallVector<NamedAttribute> entry(tag.getValue());
          entry.push_back(
              builder.getNamedAttr("offset", builder.getI64IntegerAttr(bytes)));
          entry.push_back(builder.getNamedAttr(
              "count", builder.getI64IntegerAttr(type.getNumElements())));
          records.push_back(builder.getDictionaryAttr(entry));
        }
      OpBuilder b(alloc);
      Value view = abi.getScratchView(b, alloc.getLoc(), bytes, type);
      alloc.replaceAllUsesWith(view);
      alloc.erase();
      int64_t size = getStorageBytes(type);
      bytes += (size + 63) / 64 * 64;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    if (!records.empty())
      module->setAttr(kRecordsAttrName, builder.getArrayAttr(records));
    module->setAttr(kScratchBytesAttrName, OpBuilder(module).getI64IntegerAttr(
                                               std::max<int64_t>(bytes, 64)));
  }
};
} // namespace

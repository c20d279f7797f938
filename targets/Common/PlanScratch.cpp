//===- PlanScratch.cpp - temporaries into the scratch argument -----------===//
//
// Each memref.alloc of the step gets its own 64-byte aligned range of the
// scratch argument, in program order. Nothing is reused within a step: the
// buffers are small next to the weights, and a kernel can read any of them
// at any time. The prefill step, which never runs at the same time as the
// decode step, is planned over the same bytes after its token buffer.
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
    Builder builder(module.getContext());
    SmallVector<Attribute> records;
    std::optional<int64_t> decodeBytes = plan(func, 0, &records);
    if (!decodeBytes)
      return signalPassFailure();
    int64_t bytes = *decodeBytes;
    // The prefill step's temporaries come after its token buffer (the first
    // `block` int32 of scratch, which the runtime fills).
    if (func::FuncOp prefill = DecodeStepABI::lookupPrefillFunction(module)) {
      auto block = module->getAttrOfType<IntegerAttr>(kPrefillBlockAttrName);
      if (!block) {
        prefill.emitError("sparsec-plan-scratch: a prefill step without the "
                          "module's '")
            << kPrefillBlockAttrName << "'";
        return signalPassFailure();
      }
      int64_t tokenBytes = (block.getInt() * 4 + 63) / 64 * 64;
      std::optional<int64_t> prefillBytes =
          plan(prefill, tokenBytes, /*records=*/nullptr);
      if (!prefillBytes)
        return signalPassFailure();
      bytes = std::max(bytes, *prefillBytes);
    }
    if (!records.empty())
      module->setAttr(kRecordsAttrName, builder.getArrayAttr(records));
    module->setAttr(kScratchBytesAttrName, OpBuilder(module).getI64IntegerAttr(
                                               std::max<int64_t>(bytes, 64)));
  }

private:
  /// Places `func`'s temporaries from byte `start` on; returns the end, or
  /// nothing after an error. `records`, when given, collects the places of
  /// the tagged ones.
  std::optional<int64_t> plan(func::FuncOp func, int64_t start,
                              SmallVector<Attribute> *records) {
    DecodeStepABI abi(func);
    int64_t bytes = start;
    Builder builder(func.getContext());
    WalkResult result = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        alloc.emitError("sparsec-plan-scratch: only static, identity-layout "
                        "temporaries can be planned, got ")
            << type;
        return WalkResult::interrupt();
      }
      // Records (--record-activations) say where they landed.
      if (auto tags = alloc->getAttrOfType<ArrayAttr>(kRecordTagsAttrName);
          tags && records)
        for (auto tag : tags.getAsRange<DictionaryAttr>()) {
          SmallVector<NamedAttribute> entry(tag.getValue());
          entry.push_back(
              builder.getNamedAttr("offset", builder.getI64IntegerAttr(bytes)));
          entry.push_back(builder.getNamedAttr(
              "count", builder.getI64IntegerAttr(type.getNumElements())));
          records->push_back(builder.getDictionaryAttr(entry));
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
      return std::nullopt;
    return bytes;
  }
};
} // namespace

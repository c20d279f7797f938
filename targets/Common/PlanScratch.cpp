//===- PlanScratch.cpp - temporaries into the scratch argument -----------===//
//
// Each memref.alloc of the decode step gets its own 64-byte aligned range
// of the scratch argument, in program order. Nothing is reused within the
// decode step: its buffers are small next to the weights, and the runtime
// reads the recorded ones (--record-activations) after the step.
//
// The prefill step, which never runs at the same time as the decode step,
// is planned over the same bytes after its token buffer. Its buffers hold
// a block of tokens each ([block x 14336] floats for an FFN's gate), so it
// reuses bytes: a buffer is live from the op of the function's body that
// allocates it to the last op of the body that uses it or a view of it
// (ops of the body run one after the other; a kernel's parallel iterations
// are inside one), and buffers whose spans do not overlap share bytes
// (first fit).
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
    std::optional<int64_t> decodeBytes =
        plan(func, 0, &records, /*reuse=*/false);
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
          plan(prefill, tokenBytes, /*records=*/nullptr, /*reuse=*/true);
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
  /// The index in `func`'s body of the last op that uses `value` or a
  /// memref derived from it (the body's end when one leaves through a
  /// region's terminator). A kernel-invariant load is read again by the
  /// kernels that use its value: everything computed from that value
  /// counts as a use.
  static int64_t lastUse(Value value, Block &body,
                         const DenseMap<Operation *, int64_t> &order) {
    int64_t last = 0;
    // (value, whether every result of its users counts, not just memrefs)
    SmallVector<std::pair<Value, bool>> pending{{value, false}};
    DenseSet<Value> seen;
    while (!pending.empty()) {
      auto [v, all] = pending.pop_back_val();
      if (!seen.insert(v).second)
        continue;
      for (Operation *user : v.getUsers()) {
        if (user->hasTrait<OpTrait::IsTerminator>())
          return static_cast<int64_t>(body.getOperations().size());
        last = std::max(last, order.lookup(body.findAncestorOpInBlock(*user)));
        bool reread = all || (isa<memref::LoadOp>(user) &&
                              user->hasAttr(kKernelInvariantAttrName));
        for (Value result : user->getResults())
          if (reread || isa<MemRefType>(result.getType()))
            pending.push_back({result, reread});
      }
    }
    return last;
  }

  /// Places `func`'s temporaries from byte `start` on; returns the end, or
  /// nothing after an error. `records`, when given, collects the places of
  /// the tagged ones. With `reuse`, temporaries whose spans do not overlap
  /// share bytes (see the file comment).
  std::optional<int64_t> plan(func::FuncOp func, int64_t start,
                              SmallVector<Attribute> *records, bool reuse) {
    DecodeStepABI abi(func);
    int64_t bytes = start;
    Builder builder(func.getContext());
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> order;
    for (Operation &op : body)
      order[&op] = static_cast<int64_t>(order.size());
    // Placed temporaries: [offset, offset + size) until body op `last`.
    struct Placed {
      int64_t offset, size, last;
    };
    SmallVector<Placed> placed;
    auto place = [&](memref::AllocOp alloc, int64_t size) {
      if (!reuse) {
        int64_t offset = bytes;
        bytes += size;
        return offset;
      }
      int64_t first = order.lookup(body.findAncestorOpInBlock(*alloc));
      int64_t last = std::max(first, lastUse(alloc, body, order));
      // The lowest offset from `start` that no live temporary overlaps.
      SmallVector<Placed> live;
      for (const Placed &p : placed)
        if (p.last >= first)
          live.push_back(p);
      llvm::sort(live, [](const Placed &a, const Placed &b) {
        return a.offset < b.offset;
      });
      int64_t offset = start;
      for (const Placed &p : live) {
        if (offset + size <= p.offset)
          break;
        offset = std::max(offset, p.offset + p.size);
      }
      placed.push_back({offset, size, last});
      bytes = std::max(bytes, offset + size);
      return offset;
    };
    WalkResult result = func.walk([&](memref::AllocOp alloc) {
      MemRefType type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
        alloc.emitError("sparsec-plan-scratch: only static, identity-layout "
                        "temporaries can be planned, got ")
            << type;
        return WalkResult::interrupt();
      }
      int64_t offset = place(alloc, (getStorageBytes(type) + 63) / 64 * 64);
      // Records (--record-activations) say where they landed.
      if (auto tags = alloc->getAttrOfType<ArrayAttr>(kRecordTagsAttrName);
          tags && records)
        for (auto tag : tags.getAsRange<DictionaryAttr>()) {
          SmallVector<NamedAttribute> entry(tag.getValue());
          entry.push_back(builder.getNamedAttr(
              "offset", builder.getI64IntegerAttr(offset)));
          entry.push_back(builder.getNamedAttr(
              "count", builder.getI64IntegerAttr(type.getNumElements())));
          records->push_back(builder.getDictionaryAttr(entry));
        }
      OpBuilder b(alloc);
      Value view = abi.getScratchView(b, alloc.getLoc(), offset, type);
      alloc.replaceAllUsesWith(view);
      alloc.erase();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return std::nullopt;
    return bytes;
  }
};
} // namespace

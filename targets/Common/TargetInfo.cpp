//===- TargetInfo.cpp - target interface defaults and registry -----------===//

#include "targets/Common/TargetInfo.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringMap.h"

#include <mutex>

using namespace mlir;
using namespace mlir::sparsec;

TargetInfoBase::~TargetInfoBase() = default;

void TargetInfoBase::emitParallelLoop(
    OpBuilder &b, Location loc, int64_t n,
    function_ref<void(OpBuilder &, Location, Value)> body) const {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value upper = arith::ConstantIndexOp::create(b, loc, n);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  scf::ParallelOp::create(
      b, loc, ValueRange{zero}, ValueRange{upper}, ValueRange{one},
      [&](OpBuilder &nested, Location nestedLoc, ValueRange ivs) {
        body(nested, nestedLoc, ivs[0]);
      });
}

Value TargetInfoBase::emitInt8DotProduct(OpBuilder &, Location, Value, Value,
                                         bool, Value) const {
  llvm_unreachable("emitInt8DotProduct on a target without "
                   "hasInt8DotProduct()");
}

Value TargetInfoBase::emitInt8DotProductAccumulate(OpBuilder &b, Location loc,
                                                   Value accumulator, Value lhs,
                                                   Value rhs, bool lhsUnsigned,
                                                   Value pairWeights) const {
  return arith::AddIOp::create(
      b, loc, accumulator,
      emitInt8DotProduct(b, loc, lhs, rhs, lhsUnsigned, pairWeights));
}

int64_t TargetInfoBase::lanesFor(int64_t n) const {
  int64_t lanes = getVectorWidth();
  while (lanes > 1 && n % lanes != 0)
    lanes /= 2;
  return std::max<int64_t>(lanes, 1);
}

namespace {
/// Delegates everything but the vector width (sparsec-opt's vector-width=).
class VectorWidthOverride : public TargetInfoBase {
public:
  VectorWidthOverride(std::unique_ptr<TargetInfoBase> base, int64_t width)
      : base(std::move(base)), width(width) {}
  StringRef getName() const override { return base->getName(); }
  int64_t getVectorWidth() const override { return width; }
  int64_t getMaxAccumulatorChains() const override {
    return base->getMaxAccumulatorChains();
  }
  int64_t getNumNeuronChunks() const override {
    return base->getNumNeuronChunks();
  }
  int64_t getStreamPrefetchBytes() const override {
    return base->getStreamPrefetchBytes();
  }
  PrefetchLevel getStreamPrefetchLevel() const override {
    return base->getStreamPrefetchLevel();
  }
  void emitPrefetch(OpBuilder &b, Location loc, Value memref,
                    ValueRange indices, PrefetchLevel level) const override {
    base->emitPrefetch(b, loc, memref, indices, level);
  }
  void emitParallelLoop(
      OpBuilder &b, Location loc, int64_t n,
      function_ref<void(OpBuilder &, Location, Value)> body) const override {
    base->emitParallelLoop(b, loc, n, body);
  }
  bool hasInt8DotProduct() const override { return base->hasInt8DotProduct(); }
  Value emitInt8DotProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           bool lhsUnsigned, Value pairWeights) const override {
    return base->emitInt8DotProduct(b, loc, lhs, rhs, lhsUnsigned, pairWeights);
  }
  Value emitInt8DotProductAccumulate(OpBuilder &b, Location loc,
                                     Value accumulator, Value lhs, Value rhs,
                                     bool lhsUnsigned,
                                     Value pairWeights) const override {
    return base->emitInt8DotProductAccumulate(b, loc, accumulator, lhs, rhs,
                                              lhsUnsigned, pairWeights);
  }
  Value emitNibbleLookup(OpBuilder &b, Location loc, Value packed,
                         ArrayRef<float> table) const override {
    return base->emitNibbleLookup(b, loc, packed, table);
  }
  bool hasInt16PairDot() const override {
    return width >= 16 && base->hasInt16PairDot();
  }
  Value emitInt16PairDotAccumulate(OpBuilder &b, Location loc,
                                   Value accumulator, Value lhs,
                                   Value rhs) const override {
    return base->emitInt16PairDotAccumulate(b, loc, accumulator, lhs, rhs);
  }

private:
  std::unique_ptr<TargetInfoBase> base;
  int64_t width;
};

struct Registry {
  std::mutex mutex;
  llvm::StringMap<TargetInfoFactory> factories;
};
Registry &registry() {
  static Registry instance;
  return instance;
}
} // namespace

std::unique_ptr<TargetInfoBase>
sparsec::withVectorWidth(std::unique_ptr<TargetInfoBase> base,
                         int64_t vectorWidth) {
  return std::make_unique<VectorWidthOverride>(std::move(base), vectorWidth);
}

void sparsec::registerTargetInfo(StringRef name, TargetInfoFactory factory) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[name] = std::move(factory);
}

std::unique_ptr<TargetInfoBase> sparsec::createTargetInfo(StringRef name) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.factories.find(name);
  if (it == r.factories.end())
    return nullptr;
  return it->second();
}

SmallVector<std::string> sparsec::getRegisteredTargetNames() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  SmallVector<std::string> names;
  for (const auto &entry : r.factories)
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  return names;
}

//===- DecodeStepABI.cpp - the generated step's arguments ----------------===//

#include "targets/Common/DecodeStepABI.h"

#include "sparsec/kernel_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::sparsec;

SmallVector<Type> DecodeStepABI::getArgumentTypes(MLIRContext *context) {
  Builder b(context);
  auto bytes = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  auto floats = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
  auto ints = MemRefType::get({ShapedType::kDynamic}, b.getI32Type());
  return {bytes, bytes, floats, ints, bytes, b.getI32Type(), b.getI64Type()};
}

func::FuncOp DecodeStepABI::createStepFunction(OpBuilder &b, Location loc) {
  auto version = func::FuncOp::create(b, loc, kVersionFunctionName,
                                      b.getFunctionType({}, {b.getI32Type()}));
  {
    OpBuilder vb = OpBuilder::atBlockBegin(version.addEntryBlock());
    Value v = arith::ConstantOp::create(
        vb, loc, vb.getI32IntegerAttr(SPARSEC_KERNEL_ABI_VERSION));
    func::ReturnOp::create(vb, loc, v);
  }
  return createABIFunction(b, loc, kStepFunctionName);
}

func::FuncOp DecodeStepABI::createPrefillFunction(OpBuilder &b, Location loc) {
  return createABIFunction(b, loc, kPrefillFunctionName);
}

func::FuncOp DecodeStepABI::createABIFunction(OpBuilder &b, Location loc,
                                              StringRef name) {
  auto func = func::FuncOp::create(
      b, loc, name, b.getFunctionType(getArgumentTypes(b.getContext()), {}));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  func.addEntryBlock();
  return func;
}

func::FuncOp DecodeStepABI::lookupPrefillFunction(ModuleOp module) {
  auto func = module.lookupSymbol<func::FuncOp>(kPrefillFunctionName);
  return func && hasABIArguments(func) ? func : nullptr;
}

DecodeStepABI::DecodeStepABI(func::FuncOp func) : func(func) {
  assert(hasABIArguments(func) && "function lacks the decode step's arguments");
}

bool DecodeStepABI::hasABIArguments(func::FuncOp func) {
  SmallVector<Type> want = getArgumentTypes(func.getContext());
  ArrayRef<Type> have = func.getArgumentTypes();
  return have.size() >= want.size() &&
         llvm::equal(have.take_front(want.size()), want);
}

func::FuncOp DecodeStepABI::lookupStepFunction(ModuleOp module,
                                               StringRef pass) {
  auto func = module.lookupSymbol<func::FuncOp>(kStepFunctionName);
  if (func && hasABIArguments(func))
    return func;
  module.emitError(pass) << ": no '" << kStepFunctionName
                         << "' with the ABI's arguments; run "
                            "convert-llm-to-loops first";
  return nullptr;
}

BlockArgument DecodeStepABI::getArgument(Argument which) const {
  return func.getBody().front().getArgument(which);
}

int DecodeStepABI::getArgumentNumber(BlockArgument arg) const {
  if (arg.getOwner() != &func.getBody().front() ||
      arg.getArgNumber() >= NumArguments)
    return -1;
  return static_cast<int>(arg.getArgNumber());
}

Value DecodeStepABI::getPosition(OpBuilder &b, Location loc) const {
  return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                    getArgument(Position));
}

Value DecodeStepABI::viewAt(OpBuilder &b, Location loc, Argument which,
                            int64_t offset, MemRefType type) const {
  Value shift = arith::ConstantIndexOp::create(b, loc, offset);
  return memref::ViewOp::create(b, loc, type, getArgument(which), shift,
                                ValueRange{});
}

Value DecodeStepABI::getWeightsView(OpBuilder &b, Location loc, int64_t offset,
                                    MemRefType type) const {
  return viewAt(b, loc, Weights, offset, type);
}

Value DecodeStepABI::getKVCacheView(OpBuilder &b, Location loc,
                                    MemRefType type) const {
  return viewAt(b, loc, KVCache, 0, type);
}

Value DecodeStepABI::getLogitsView(OpBuilder &b, Location loc,
                                   int64_t vocab) const {
  return memref::CastOp::create(
      b, loc, MemRefType::get({vocab}, b.getF32Type()), getArgument(Logits));
}

Value DecodeStepABI::getStatsView(OpBuilder &b, Location loc) const {
  return getArgument(Stats);
}

Value DecodeStepABI::getScratchView(OpBuilder &b, Location loc, int64_t offset,
                                    MemRefType type) const {
  return viewAt(b, loc, Scratch, offset, type);
}

//===- ONNXOps.cpp - onnx input dialect -----------------------------------===//

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::sparsec::onnx;

#include "dialects/ONNX/IR/ONNXDialect.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/ONNX/IR/ONNXOps.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "dialects/ONNX/IR/ONNXOps.cpp.inc"

int64_t NodeOp::getInt(llvm::StringRef name, int64_t fallback) const {
  auto value = dyn_cast_or_null<IntegerAttr>(
      const_cast<NodeOp *>(this)->getNodeAttributes().get(name));
  return value ? value.getInt() : fallback;
}

double NodeOp::getFloat(llvm::StringRef name, double fallback) const {
  auto value = dyn_cast_or_null<FloatAttr>(
      const_cast<NodeOp *>(this)->getNodeAttributes().get(name));
  return value ? value.getValueAsDouble() : fallback;
}

llvm::SmallVector<int64_t> NodeOp::getInts(llvm::StringRef name) const {
  llvm::SmallVector<int64_t> values;
  if (auto list = dyn_cast_or_null<ArrayAttr>(
          const_cast<NodeOp *>(this)->getNodeAttributes().get(name)))
    for (Attribute element : list)
      if (auto i = dyn_cast<IntegerAttr>(element))
        values.push_back(i.getInt());
  return values;
}

llvm::StringRef NodeOp::getString(llvm::StringRef name,
                                  llvm::StringRef fallback) const {
  auto value = dyn_cast_or_null<StringAttr>(
      const_cast<NodeOp *>(this)->getNodeAttributes().get(name));
  return value ? value.getValue() : fallback;
}

bool NodeOp::hasAttribute(llvm::StringRef name) const {
  return static_cast<bool>(
      const_cast<NodeOp *>(this)->getNodeAttributes().get(name));
}

std::string NodeOp::describe() const {
  auto self = const_cast<NodeOp *>(this);
  std::string text = "node '" + self->getNodeName().str() + "' (";
  if (!self->getDomain().empty())
    text += self->getDomain().str() + ".";
  return text + self->getOpType().str() + ")";
}

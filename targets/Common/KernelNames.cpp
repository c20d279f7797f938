//===- KernelNames.cpp - names of the step's kernels, for profiles --------===//

#include "targets/Common/KernelNames.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/SparseFFN/IR/SparseFFNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::sparsec;

std::string sparsec::describeKernelSource(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  // The importers name ops after the module they come from
  // ("model.layers.3.mlp"); other ops get their kind, layer and weight.
  std::optional<std::string> imported = getKernelName(op->getLoc());
  if (auto ffn = dyn_cast<sfn::FusedSparseFFNOp>(op)) {
    if (imported)
      os << *imported;
    else if (ffn.getLayer())
      os << "layer " << *ffn.getLayer() << " ffn";
    else
      os << "ffn";
    if (ffn.getExpert())
      os << " expert " << *ffn.getExpert();
    os << " (" << sfn::stringifySparseMode(ffn.getMode()) << ")";
    return text;
  }
  if (imported)
    return *imported;
  os << op->getName().stripDialect();
  if (auto layer = op->getAttrOfType<IntegerAttr>("layer"))
    os << " layer " << layer.getInt();
  // The first weight the op reads names it ("linear layers.0.mlp.q_proj").
  for (Value operand : op->getOperands()) {
    auto param = operand.getDefiningOp<llm::ParamOp>();
    if (!param)
      continue;
    StringRef name = param.getName();
    name.consume_back(".weight");
    os << " " << name;
    break;
  }
  return text;
}

std::optional<std::string> sparsec::getKernelName(Location loc) {
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (std::optional<std::string> name = getKernelName(inner))
        return name;
  return std::nullopt;
}

Location sparsec::kernelLoc(Location opLoc, llvm::StringRef what) {
  std::optional<std::string> name = getKernelName(opLoc);
  std::string full = name ? *name + ": " + what.str() : what.str();
  return NameLoc::get(StringAttr::get(opLoc.getContext(), full), opLoc);
}

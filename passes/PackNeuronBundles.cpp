//===- PackNeuronBundles.cpp - per-neuron weight layout ---------*- C++ -*-===//
//
// Algorithm: for each sfn.fused_sparse_ffn in a sparse mode whose weights
// are llm.params, collect the weights that are read per active neuron
// (predicted: gate, up, down^T; exact/threshold: up, down^T), emit one
// sfn.bundle_param naming them as sources, and feed the fused op
// sfn.bundle_part views of it. The layout version goes on the module.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "passes/SparseFFNUtils.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include "mlir/IR/BuiltinOps.h"

#include "sparsec/weights_layout.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_PACKNEURONBUNDLESPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// The runtime refuses packed weights of another version
/// (runtime/include/sparsec/weights_layout.h).
constexpr int64_t kWeightsLayoutVersion = SPARSEC_WEIGHTS_LAYOUT_VERSION;

/// "model.layers.0.mlp." for the names of one block's weights.
std::string commonModulePrefix(ArrayRef<StringRef> names) {
  StringRef prefix = names.front();
  for (StringRef name : names.drop_front()) {
    size_t length = 0;
    while (length < prefix.size() && length < name.size() &&
           prefix[length] == name[length])
      ++length;
    prefix = prefix.take_front(length);
  }
  size_t dot = prefix.rfind('.');
  return dot == StringRef::npos ? std::string()
                                : prefix.take_front(dot + 1).str();
}

class PackNeuronBundles
    : public sparsec::impl::PackNeuronBundlesPassBase<PackNeuronBundles> {
public:
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bundleSources.clear();
    module.walk([&](sfn::FusedSparseFFNOp ffn) { pack(ffn); });
    module->setAttr("sparsec.weights_layout",
                    IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                     kWeightsLayoutVersion));
  }

private:
  void pack(sfn::FusedSparseFFNOp ffn) {
    sfn::SparseMode mode = ffn.getMode();
    if (mode == sfn::SparseMode::Dense)
      return; // dense streams whole matrices; nothing to gain
    bool withGate = mode == sfn::SparseMode::Predicted;

    SmallVector<OpOperand *> operands;
    if (withGate)
      operands.push_back(&ffn.getGateMutable());
    operands.push_back(&ffn.getUpMutable());
    operands.push_back(&ffn.getDownMutable());

    SmallVector<StringRef> names;
    SmallVector<int64_t> transposed;
    for (auto [index, operand] : llvm::enumerate(operands)) {
      auto param = operand->get().getDefiningOp<llm::ParamOp>();
      if (!param)
        return; // already packed, or not a plain weight
      names.push_back(param.getName());
      if (param.getTransposed())
        transposed.push_back(static_cast<int64_t>(index));
    }

    auto weightType = cast<RankedTensorType>(ffn.getUp().getType());
    int64_t parts = static_cast<int64_t>(operands.size());
    auto bundleType = RankedTensorType::get(
        {weightType.getDimSize(0), parts, weightType.getDimSize(1)},
        weightType.getElementType());
    OpBuilder builder(ffn);
    Location loc = ffn.getLoc();
    // "<module>.neuron_bundles" for names under a module path (Hugging
    // Face's); else, or when that name already holds other rows (sources
    // named without a common module, as ONNX exports name them),
    // "neuron_bundles(<sources>)": two FFNs must never share a bundle.
    std::string prefix = commonModulePrefix(names);
    std::string joined = llvm::join(names, ",");
    std::string name = prefix + "neuron_bundles";
    auto [it, fresh] = bundleSources.try_emplace(name, joined);
    if (prefix.empty() || StringRef(prefix).contains('(') ||
        (!fresh && it->second != joined)) {
      name = "neuron_bundles(" + joined + ")";
      bundleSources.try_emplace(name, joined);
    }
    Value bundle = sfn::BundleParamOp::create(
        builder, loc, bundleType, name, builder.getStrArrayAttr(names),
        builder.getDenseI64ArrayAttr(transposed));
    for (auto [index, operand] : llvm::enumerate(operands)) {
      Value part = sfn::BundlePartOp::create(
          builder, loc, weightType, bundle,
          builder.getI64IntegerAttr(static_cast<int64_t>(index)));
      operand->set(part);
    }
  }

  /// Bundle name -> its sources, joined: what each name already holds.
  llvm::StringMap<std::string> bundleSources;
};

} // namespace

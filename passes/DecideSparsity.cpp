//===- DecideSparsity.cpp - dense where sparse would be slower --*- C++ -*-===//
//
// Algorithm: read the calibration statistics; for each llm.ffn (and llm.moe,
// from the mean over its experts) take the density the block's sparse mode
// would compute: the predictor's selected fraction with a predictor, the
// firing fraction for exact mode. Above break-even-density the block is
// marked dense, otherwise with that sparse mode. Blocks with no statistics
// are left unmarked (the default mode applies) and said so in the remarks.
//
//===----------------------------------------------------------------------===//

#include "passes/JsonFile.h"
#include "passes/Passes.h"
#include "passes/SparseFFNUtils.h"

#include "llvm/ADT/DenseMap.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include <array>

namespace mlir::sparsec {
#define GEN_PASS_DEF_DECIDESPARSITYPASS
#include "passes/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;
using namespace mlir::sparsec;

namespace {

struct LayerStats {
  double density = -1;          ///< fraction of neurons that fire
  double predictedDensity = -1; ///< fraction the predictor selects
};

class DecideSparsity
    : public sparsec::impl::DecideSparsityPassBase<DecideSparsity> {
public:
  using DecideSparsityPassBase::DecideSparsityPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (statsFile.empty()) {
      module.emitError("sparsec-decide-sparsity: needs stats=<file> "
                       "(calibration statistics)");
      return signalPassFailure();
    }
    if (failed(loadStats(module)))
      return signalPassFailure();
    module.walk([&](Operation *op) {
      if (auto ffn = dyn_cast<llm::FFNOp>(op))
        decide(op, static_cast<int64_t>(ffn.getLayer()), ffn.getActivation(),
               ffn.hasPredictor());
      else if (auto moe = dyn_cast<llm::MoEOp>(op))
        decide(op, static_cast<int64_t>(moe.getLayer()), moe.getActivation(),
               moe.hasPredictor());
    });
  }

private:
  LogicalResult loadStats(ModuleOp module) {
    auto fail = [&](const Twine &message) {
      module.emitError("sparsec-decide-sparsity: ")
          << statsFile << ": " << message;
      return failure();
    };
    // Errors from readJsonFile already start with the path.
    auto json = readJsonFile(statsFile);
    if (!json) {
      module.emitError("sparsec-decide-sparsity: ")
          << llvm::toString(json.takeError());
      return failure();
    }
    const llvm::json::Object *root = json->getAsObject();
    if (root && root->getArray("ffn"))
      return loadSynthReport(*root->getArray("ffn"), fail);
    const llvm::json::Array *layers = root ? root->getArray("layers") : nullptr;
    if (!layers)
      return fail("expected an object with a 'layers' array (or a "
                  "sparsec-synth report with an 'ffn' array)");
    for (const llvm::json::Value &entry : *layers) {
      const llvm::json::Object *layer = entry.getAsObject();
      std::optional<int64_t> index =
          layer ? layer->getInteger("layer") : std::nullopt;
      if (!index || *index < 0)
        return fail("every 'layers' entry needs a non-negative 'layer'");
      LayerStats stats;
      auto read = [&](const llvm::json::Object &object, LayerStats &into) {
        into.density = object.getNumber("density").value_or(-1);
        into.predictedDensity =
            object.getNumber("predicted_density").value_or(-1);
        return into.density <= 1.0 && into.predictedDensity <= 1.0;
      };
      if (const llvm::json::Array *experts = layer->getArray("experts")) {
        // An MoE layer: a token runs top-k experts, each at its own density;
        // the mean over experts is what a dispatched expert costs.
        double sum = 0, sumPredicted = 0;
        int count = 0, countPredicted = 0;
        for (const llvm::json::Value &expert : *experts) {
          LayerStats one;
          if (!expert.getAsObject() || !read(*expert.getAsObject(), one))
            return fail("layer " + Twine(*index) +
                        ": expert densities must be numbers in [0, 1]");
          if (one.density >= 0) {
            sum += one.density;
            ++count;
          }
          if (one.predictedDensity >= 0) {
            sumPredicted += one.predictedDensity;
            ++countPredicted;
          }
        }
        stats.density = count ? sum / count : -1;
        stats.predictedDensity =
            countPredicted ? sumPredicted / countPredicted : -1;
      } else if (!read(*layer, stats)) {
        return fail("layer " + Twine(*index) +
                    ": densities must be numbers in [0, 1]");
      }
      byLayer[*index] = stats;
    }
    return success();
  }

  /// sparsec-synth's synth_report.json: one "ffn" entry per layer (and
  /// expert) with the measured "sparsity", "gate_zero" (the fraction exact
  /// mode skips) and "predicted_density". Experts average into their layer.
  template <typename Fail>
  LogicalResult loadSynthReport(const llvm::json::Array &entries, Fail fail) {
    llvm::DenseMap<int64_t, std::array<double, 4>> sums; // d, n, pd, n
    for (const llvm::json::Value &value : entries) {
      const llvm::json::Object *entry = value.getAsObject();
      std::optional<int64_t> layer =
          entry ? entry->getInteger("layer") : std::nullopt;
      if (!layer || *layer < 0)
        return fail("every 'ffn' entry needs a non-negative 'layer'");
      std::optional<double> gateZero = entry->getNumber("gate_zero");
      std::optional<double> sparsity = entry->getNumber("sparsity");
      std::optional<double> predicted = entry->getNumber("predicted_density");
      std::array<double, 4> &sum = sums[*layer];
      if (gateZero || sparsity) {
        double density = 1.0 - (gateZero ? *gateZero : *sparsity);
        if (density < 0 || density > 1)
          return fail("layer " + Twine(*layer) +
                      ": sparsity must be a number in [0, 1]");
        sum[0] += density;
        sum[1] += 1;
      }
      if (predicted) {
        if (*predicted < 0 || *predicted > 1)
          return fail("layer " + Twine(*layer) +
                      ": predicted_density must be a number in [0, 1]");
        sum[2] += *predicted;
        sum[3] += 1;
      }
    }
    for (auto &[layer, sum] : sums)
      byLayer[layer] = {sum[1] ? sum[0] / sum[1] : -1,
                        sum[3] ? sum[2] / sum[3] : -1};
    return success();
  }

  void decide(Operation *op, int64_t layer, llm::Activation activation,
              bool hasPredictor) {
    auto it = byLayer.find(layer);
    std::string mode;
    std::string why;
    llvm::raw_string_ostream reason(why);
    if (it == byLayer.end()) {
      reason << "no statistics; default mode applies";
    } else {
      std::optional<sfn::SparseMode> sparse;
      double density = -1;
      if (hasPredictor && it->second.predictedDensity >= 0) {
        sparse = sfn::SparseMode::Predicted;
        density = it->second.predictedDensity;
      } else if (llm::isReLUFamily(activation) && it->second.density >= 0) {
        sparse = sfn::SparseMode::Exact;
        density = it->second.density;
      }
      if (!sparse) {
        mode = "dense";
        reason << "no sparse mode applies (no predictor statistics, "
               << llm::stringifyActivation(activation) << " activation)";
      } else if (density > breakEvenDensity) {
        mode = "dense";
        reason << stringifySparseMode(*sparse) << " density "
               << llvm::format("%.3g", density) << " > break-even "
               << llvm::format("%.3g", breakEvenDensity.getValue());
      } else {
        mode = stringifySparseMode(*sparse).str();
        reason << stringifySparseMode(*sparse) << " density "
               << llvm::format("%.3g", density) << " <= break-even "
               << llvm::format("%.3g", breakEvenDensity.getValue());
      }
    }
    if (!mode.empty())
      op->setAttr(kModeMarkAttrName, StringAttr::get(op->getContext(), mode));
    if (printDecisions)
      op->emitRemark("layer ")
          << layer << ": " << (mode.empty() ? "unmarked" : mode) << " (" << why
          << ")";
  }

  llvm::DenseMap<int64_t, LayerStats> byLayer;
};

} // namespace

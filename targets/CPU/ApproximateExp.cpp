//===- ApproximateExp.cpp - math.exp as a polynomial, not a libm call -----===//

#include "targets/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::sparsec {
#define GEN_PASS_DEF_APPROXIMATEEXPPASS
#include "targets/CPU/Passes.h.inc"
} // namespace mlir::sparsec

using namespace mlir;

namespace {
class ApproximateExp
    : public sparsec::impl::ApproximateExpPassBase<ApproximateExp> {
public:
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name == "math.exp"; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

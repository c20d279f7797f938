//===- SparseFFNOps.cpp - sfn dialect verifiers -----------------*- C++ -*-===//

#include "dialects/SparseFFN/IR/SparseFFNOps.h"
#include "dialects/Common/ShapeChecks.h"

using namespace mlir;
using namespace mlir::sparsec;
using namespace mlir::sparsec::sfn;

//===----------------------------------------------------------------------===//
// ActiveSetType
//===----------------------------------------------------------------------===//

LogicalResult
ActiveSetType::verify(function_ref<InFlightDiagnostic()> emitError,
                      int64_t universe) {
  if (universe <= 0)
    return emitError() << "active_set expects a positive universe, got "
                       << universe;
  return success();
}

static int64_t universeOf(Value activeSet) {
  return cast<ActiveSetType>(activeSet.getType()).getUniverse();
}

/// Compact vectors have one value per active index, a run-time count.
static LogicalResult expectCompact(Operation *op, Value value,
                                   StringRef what) {
  if (ShapedType::isDynamic(vectorSize(value)))
    return success();
  return op->emitOpError("expects ")
         << what << " to be a compact tensor<?xf32>, got " << value.getType();
}

/// Checks a `[rows, cols]` weight whose rows are indexed by an active set.
static LogicalResult expectRowsOfSet(Operation *op, Value weight,
                                     StringRef what, Value activeSet,
                                     int64_t cols) {
  return expectShape(op, weight, what, {universeOf(activeSet), cols});
}

//===----------------------------------------------------------------------===//
// PredictOp, GatherMatvecOp, ScatterMatvecOp
//===----------------------------------------------------------------------===//

LogicalResult PredictOp::verify() {
  auto fc1Type = getFc1().getType();
  if (fc1Type.getRank() != 2)
    return emitOpError("expects fc1 of rank 2 ([rank, hidden]), got ")
           << fc1Type;
  int64_t rank = fc1Type.getDimSize(0);
  if (failed(expectShape(*this, getFc1(), "fc1",
                         {rank, vectorSize(getInput())})))
    return failure();
  return expectShape(*this, getFc2(), "fc2",
                     {universeOf(getActive()), rank});
}

LogicalResult GatherMatvecOp::verify() {
  if (failed(expectRowsOfSet(*this, getWeight(), "weight", getActive(),
                             vectorSize(getInput()))))
    return failure();
  return expectCompact(*this, getResult(), "result");
}

LogicalResult ScatterMatvecOp::verify() {
  if (failed(expectCompact(*this, getValues(), "values")))
    return failure();
  return expectRowsOfSet(*this, getDownT(), "down_t", getActive(),
                         vectorSize(getResult()));
}

//===----------------------------------------------------------------------===//
// FusedSparseFFNOp
//===----------------------------------------------------------------------===//

LogicalResult FusedSparseFFNOp::verify() {
  int64_t hidden = vectorSize(getInput());
  auto gateType = getGate().getType();
  if (gateType.getRank() != 2)
    return emitOpError("expects gate of rank 2 ([intermediate, hidden]), got ")
           << gateType;
  int64_t intermediate = gateType.getDimSize(0);
  if (failed(expectShape(*this, getGate(), "gate", {intermediate, hidden})) ||
      failed(expectShape(*this, getUp(), "up", {intermediate, hidden})) ||
      failed(expectShape(*this, getDownT(), "down_t (down stored transposed)",
                         {intermediate, hidden})) ||
      failed(expectVectorSize(*this, getResult(), "result", hidden)) ||
      failed(expectSameElementType(*this, "gate, up and down_t weights",
                                   {getGate(), getUp(), getDownT()})))
    return failure();

  int predictorParts = static_cast<bool>(getPredictorInput()) +
                       static_cast<bool>(getPredictorFc1()) +
                       static_cast<bool>(getPredictorFc2());
  if (predictorParts != 0 && predictorParts != 3)
    return emitOpError("expects predictor input, fc1 and fc2 together, got ")
           << predictorParts << " of them";

  SparseMode mode = getMode();
  StringRef modeName = stringifySparseMode(mode);
  if (mode == SparseMode::Predicted && !hasPredictor())
    return emitOpError("mode 'predicted' requires a predictor");
  if (mode != SparseMode::Predicted && hasPredictor())
    return emitOpError("mode '") << modeName << "' takes no predictor";
  if (mode == SparseMode::Exact && !llm::isReLUFamily(getActivation()))
    return emitOpError("mode 'exact' requires a ReLU-family activation "
                       "(drelu, relu, relu2), got ")
           << llm::stringifyActivation(getActivation());
  if (mode == SparseMode::Threshold) {
    if (!getActivationThreshold())
      return emitOpError("mode 'threshold' requires an activation_threshold");
    if (!(getActivationThreshold()->convertToFloat() >= 0.0f))
      return emitOpError("expects a non-negative activation_threshold, got ")
             << getActivationThreshold()->convertToFloat();
  } else if (getActivationThreshold()) {
    return emitOpError("mode '")
           << modeName << "' takes no activation_threshold";
  }
  if (getPredictorThreshold() && !hasPredictor())
    return emitOpError("has a predictor_threshold but no predictor");

  if (!hasPredictor())
    return success();
  auto fc1Type = getPredictorFc1().getType();
  if (fc1Type.getRank() != 2)
    return emitOpError("expects predictor fc1 of rank 2 ([rank, hidden]), got ")
           << fc1Type;
  int64_t rank = fc1Type.getDimSize(0);
  if (failed(expectVectorSize(*this, getPredictorInput(), "predictor input",
                              hidden)) ||
      failed(expectShape(*this, getPredictorFc1(), "predictor fc1",
                         {rank, hidden})) ||
      failed(expectShape(*this, getPredictorFc2(), "predictor fc2",
                         {intermediate, rank})))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// RouteExpertsOp
//===----------------------------------------------------------------------===//

LogicalResult RouteExpertsOp::verify() {
  auto routerType = getRouter().getType();
  if (routerType.getRank() != 2)
    return emitOpError("expects a router of rank 2 ([num_experts, hidden]), "
                       "got ")
           << routerType;
  int64_t numExperts = routerType.getDimSize(0);
  if (failed(expectShape(*this, getRouter(), "router",
                         {numExperts, vectorSize(getInput())})))
    return failure();
  if (static_cast<int64_t>(getTopK()) > numExperts)
    return emitOpError("expects top_k <= num_experts, got top_k = ")
           << getTopK() << " and num_experts = " << numExperts;
  if (failed(expectVectorSize(*this, getExperts(), "experts",
                              static_cast<int64_t>(getTopK()))) ||
      failed(expectVectorSize(*this, getWeights(), "weights",
                              static_cast<int64_t>(getTopK()))))
    return failure();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNOps.cpp.inc"

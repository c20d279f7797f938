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
static LogicalResult expectCompact(Operation *op, Value value, StringRef what) {
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
  if (failed(
          expectShape(*this, getFc1(), "fc1", {rank, vectorSize(getInput())})))
    return failure();
  return expectShape(*this, getFc2(), "fc2", {universeOf(getActive()), rank});
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
  bool dense = getMode() == SparseMode::Dense;
  SmallVector<int64_t, 2> downShape =
      dense ? SmallVector<int64_t, 2>{hidden, intermediate}
            : SmallVector<int64_t, 2>{intermediate, hidden};
  if (failed(expectShape(*this, getGate(), "gate", {intermediate, hidden})) ||
      failed(expectShape(*this, getUp(), "up", {intermediate, hidden})) ||
      failed(expectShape(*this, getDown(),
                         dense ? "down (dense: in its own layout)"
                               : "down (stored transposed)",
                         downShape)) ||
      failed(expectVectorSize(*this, getResult(), "result", hidden)))
    return failure();
  // Dense mode reads the down projection in its own layout, as a matvec of
  // its own: its rows (of `intermediate`) may take another block format
  // than gate and up (of `hidden`), as a k-quant GGUF's or --quant q4_k's
  // do when only one of the two is a multiple of 256.
  if (dense ? failed(expectSameElementType(*this, "gate and up weights",
                                           {getGate(), getUp()}))
            : failed(expectSameElementType(*this, "gate, up and down weights",
                                           {getGate(), getUp(), getDown()})))
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

//===----------------------------------------------------------------------===//
// SelectOp
//===----------------------------------------------------------------------===//

LogicalResult SelectOp::verify() {
  if (universeOf(getActive()) != vectorSize(getGate()))
    return emitOpError("expects an active set over the gate's ")
           << vectorSize(getGate()) << " neurons, got universe "
           << universeOf(getActive());
  if (!(getThreshold().convertToFloat() >= 0.0f))
    return emitOpError("expects a non-negative threshold, got ")
           << getThreshold().convertToFloat();
  return expectCompact(*this, getValues(), "values");
}

//===----------------------------------------------------------------------===//
// DispatchExpertsOp
//===----------------------------------------------------------------------===//

void DispatchExpertsOp::print(OpAsmPrinter &p) {
  p << " " << getExperts() << ", " << getWeights() << ", " << getInput();
  p.printOptionalAttrDict((*this)->getAttrs());
  p << " : " << getExperts().getType() << ", " << getWeights().getType() << ", "
    << getInput().getType() << " -> " << getResult().getType();
  for (auto [index, region] : llvm::enumerate(getExpertBodies())) {
    p.printNewline();
    p << "expert " << index << " ";
    p.printRegion(region, /*printEntryBlockArgs=*/true,
                  /*printBlockTerminators=*/true);
  }
}

ParseResult DispatchExpertsOp::parse(OpAsmParser &parser,
                                     OperationState &result) {
  OpAsmParser::UnresolvedOperand experts, weights, input;
  Type expertsType, weightsType, inputType, resultType;
  if (parser.parseOperand(experts) || parser.parseComma() ||
      parser.parseOperand(weights) || parser.parseComma() ||
      parser.parseOperand(input) ||
      parser.parseOptionalAttrDict(result.attributes) || parser.parseColon() ||
      parser.parseType(expertsType) || parser.parseComma() ||
      parser.parseType(weightsType) || parser.parseComma() ||
      parser.parseType(inputType) || parser.parseArrow() ||
      parser.parseType(resultType) ||
      parser.resolveOperand(experts, expertsType, result.operands) ||
      parser.resolveOperand(weights, weightsType, result.operands) ||
      parser.resolveOperand(input, inputType, result.operands))
    return failure();
  result.addTypes(resultType);
  int64_t expected = 0;
  while (succeeded(parser.parseOptionalKeyword("expert"))) {
    int64_t index;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseInteger(index))
      return failure();
    if (index != expected)
      return parser.emitError(loc, "expected expert ") << expected;
    ++expected;
    if (parser.parseRegion(*result.addRegion(), /*arguments=*/{}))
      return failure();
  }
  return success();
}

LogicalResult DispatchExpertsOp::verify() {
  int64_t numExperts = getNumExperts();
  int64_t topK = vectorSize(getExperts());
  if (static_cast<int64_t>(getExpertBodies().size()) != numExperts)
    return emitOpError("expects one region per expert (")
           << numExperts << "), got " << getExpertBodies().size();
  if (failed(expectVectorSize(*this, getWeights(), "weights", topK)))
    return failure();
  if (topK > numExperts)
    return emitOpError("expects at most num_experts (")
           << numExperts << ") selected experts, got " << topK;
  Type vectorType = getInput().getType();
  if (getResult().getType() != vectorType)
    return emitOpError("expects the result type to match the input, got ")
           << getResult().getType();
  for (auto [index, region] : llvm::enumerate(getExpertBodies())) {
    Block &body = region.front();
    if (body.getNumArguments() != 1 ||
        body.getArgument(0).getType() != vectorType)
      return emitOpError("expects expert ")
             << index << "'s region to take one " << vectorType << " argument";
    auto yield = dyn_cast<YieldOp>(body.getTerminator());
    if (!yield || yield.getValue().getType() != vectorType)
      return emitOpError("expects expert ")
             << index << "'s region to yield a " << vectorType;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// BundleParamOp, BundlePartOp
//===----------------------------------------------------------------------===//

LogicalResult BundleParamOp::verify() {
  auto type = getResult().getType();
  if (getName().empty())
    return emitOpError("expects a non-empty tensor name");
  if (type.getRank() != 3 || !type.hasStaticShape())
    return emitOpError("expects a static [neurons, parts, hidden] tensor, "
                       "got ")
           << type;
  int64_t parts = type.getDimSize(1);
  if (static_cast<int64_t>(getSources().size()) != parts)
    return emitOpError("expects one source per part (")
           << parts << "), got " << getSources().size();
  for (int64_t index : getTransposed())
    if (index < 0 || index >= parts)
      return emitOpError("expects transposed part indices in [0, ")
             << parts << "), got " << index;
  return llm::verifyQuantizedRows(*this, getName(), type);
}

LogicalResult BundlePartOp::verify() {
  auto bundle = getBundle().getType();
  if (bundle.getRank() != 3)
    return emitOpError("expects a [neurons, parts, hidden] bundle, got ")
           << bundle;
  if (static_cast<int64_t>(getPart()) >= bundle.getDimSize(1))
    return emitOpError("expects part < ")
           << bundle.getDimSize(1) << ", got " << getPart();
  if (failed(expectShape(*this, getResult(), "result",
                         {bundle.getDimSize(0), bundle.getDimSize(2)})))
    return failure();
  if (getResult().getType().getElementType() != bundle.getElementType())
    return emitOpError("expects the bundle's element type ")
           << bundle.getElementType();
  return success();
}

#define GET_OP_CLASSES
#include "dialects/SparseFFN/IR/SparseFFNOps.cpp.inc"

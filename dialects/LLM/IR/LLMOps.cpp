//===- LLMOps.cpp - llm dialect verifiers -----------------------*- C++ -*-===//
//
// Verifiers check every shape relation an op implies, so that a malformed
// import fails at the op that is wrong (whose location names the Hugging Face
// module) rather than in codegen. Messages state what was expected and what
// was found.
//
//===----------------------------------------------------------------------===//

#include "dialects/LLM/IR/LLMOps.h"

#include "dialects/Common/ShapeChecks.h"
#include <cmath>

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::sparsec;
using namespace mlir::sparsec::llm;

bool llm::isReLUFamily(Activation activation) {
  switch (activation) {
  case Activation::DReLU:
  case Activation::ReLU:
  case Activation::SquaredReLU:
    return true;
  case Activation::SwiGLU:
  case Activation::GELU:
    return false;
  }
  return false;
}

bool llm::isWeightElementType(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

//===----------------------------------------------------------------------===//
// QuantType
//===----------------------------------------------------------------------===//

int64_t QuantType::getBlockSize() const { return isSuperBlock() ? 256 : 32; }

bool QuantType::isSuperBlock() const {
  return getFormat() == QuantFormat::Q4_K || getFormat() == QuantFormat::Q6_K;
}

bool QuantType::hasPairedBlocks(int64_t rowLength) const {
  return getFormat() == QuantFormat::Q4_0 &&
         (rowLength / getBlockSize()) % 2 == 0;
}

int64_t QuantType::getBlockBytes() const {
  switch (getFormat()) {
  case QuantFormat::Q8_0:
    return 2 + 32;
  case QuantFormat::Q4_0:
    return 2 + 16;
  case QuantFormat::Q4_1:
    return 2 + 2 + 16;
  case QuantFormat::Q4_K:
    return 2 + 2 + 12 + 128;
  case QuantFormat::Q6_K:
    return 128 + 64 + 16 + 2;
  }
  llvm_unreachable("unknown quant format");
}

LogicalResult llm::verifyQuantizedRows(Operation *op, StringRef name,
                                       RankedTensorType type) {
  auto quant = dyn_cast<QuantType>(type.getElementType());
  if (!quant)
    return success();
  int64_t row = type.getShape().back();
  if (type.getRank() >= 2 && row % quant.getBlockSize() == 0)
    return success();
  return op->emitOpError("expects '")
         << name << "' quantized as " << quant
         << " to be a matrix with rows of "
         << "whole blocks (a multiple of " << quant.getBlockSize()
         << " weights), got " << type;
}

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  unsigned numLayers, unsigned maxLen,
                                  unsigned numKvHeads, unsigned headDim,
                                  Type elementType, unsigned window) {
  (void)window; // any window is valid: 0 means none
  if (numLayers == 0 || maxLen == 0 || numKvHeads == 0 || headDim == 0)
    return emitError() << "kv_cache expects positive layers, max_len, "
                          "kv_heads and head_dim, got "
                       << numLayers << ", " << maxLen << ", " << numKvHeads
                       << ", " << headDim;
  if (!isWeightElementType(elementType))
    return emitError() << "kv_cache expects an f32, f16 or bf16 element "
                          "type, got "
                       << elementType;
  return success();
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty())
    return emitOpError("expects a non-empty tensor name");
  auto type = getResult().getType();
  if (!type.hasStaticShape())
    return emitOpError("expects a static shape for '")
           << getName() << "', got " << type;
  if (type.getRank() == 0)
    return emitOpError("expects a tensor of rank >= 1 for '")
           << getName() << "'";
  if (getTransposed() && type.getRank() != 2)
    return emitOpError("expects a matrix for transposed '")
           << getName() << "', got " << type;
  return verifyQuantizedRows(*this, getName(), type);
}

//===----------------------------------------------------------------------===//
// EmbedOp, RMSNormOp, RotaryOp
//===----------------------------------------------------------------------===//

LogicalResult EmbedOp::verify() {
  auto table = getTable().getType();
  if (table.getRank() != 2)
    return emitOpError("expects a [vocab, hidden] table, got ") << table;
  return expectVectorSize(*this, getResult(), "result", table.getDimSize(1));
}

LogicalResult RMSNormOp::verify() {
  if (!(getEpsilon().convertToFloat() > 0.0f))
    return emitOpError("expects a positive epsilon, got ")
           << getEpsilon().convertToFloat();
  return expectShape(*this, getWeight(), "weight", {vectorSize(getInput())});
}

LogicalResult RotaryOp::verify() {
  int64_t headDim = getHeadDim();
  int64_t size = vectorSize(getInput());
  if (headDim % 2 != 0)
    return emitOpError("expects an even head_dim, got ") << headDim;
  if (size % headDim != 0)
    return emitOpError("expects the input size (")
           << size << ") to be a multiple of head_dim (" << headDim << ")";
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError("expects a positive theta, got ")
           << getTheta().convertToDouble();
  if (std::optional<ArrayRef<float>> invFreq = getInvFreq()) {
    if (static_cast<int64_t>(invFreq->size()) != headDim / 2)
      return emitOpError("expects inv_freq to hold head_dim / 2 = ")
             << headDim / 2 << " frequencies, got " << invFreq->size();
    for (float f : *invFreq)
      if (!(f > 0.0f) || !std::isfinite(f))
        return emitOpError("expects positive finite inv_freq values, got ")
               << f;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  KVCacheType cache = getCacheType();
  int64_t numHeads = getNumHeads();
  int64_t kvHeads = cache.getNumKvHeads();
  int64_t headDim = cache.getHeadDim();
  if (numHeads % kvHeads != 0)
    return emitOpError("expects num_heads (")
           << numHeads << ") to be a multiple of the cache's kv_heads ("
           << kvHeads << ")";
  if (static_cast<int64_t>(getLayer()) >=
      static_cast<int64_t>(cache.getNumLayers()))
    return emitOpError("expects layer < ")
           << cache.getNumLayers() << " (the cache's layers), got "
           << getLayer();
  if (failed(
          expectVectorSize(*this, getQuery(), "query", numHeads * headDim)) ||
      failed(expectVectorSize(*this, getKey(), "key", kvHeads * headDim)) ||
      failed(expectVectorSize(*this, getValue(), "value", kvHeads * headDim)) ||
      failed(
          expectVectorSize(*this, getResult(), "result", numHeads * headDim)))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp, LMHeadOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  return verifyMatVec(*this, getInput(), getWeight(), getResult());
}

LogicalResult LMHeadOp::verify() {
  return verifyMatVec(*this, getInput(), getWeight(), getLogits());
}

//===----------------------------------------------------------------------===//
// FFNOp, MoEOp
//===----------------------------------------------------------------------===//

/// Checks one gated FFN's weights against the hidden size and returns the
/// intermediate size through `intermediate`. `prefix` names the expert in
/// messages ("" or "expert 3 ").
static LogicalResult verifyGatedWeights(Operation *op, int64_t hidden,
                                        Value gate, Value up, Value down,
                                        const Twine &prefix,
                                        int64_t &intermediate) {
  auto gateType = cast<RankedTensorType>(gate.getType());
  if (gateType.getRank() != 2)
    return op->emitOpError("expects ")
           << prefix << "gate of rank 2 ([intermediate, hidden]), got "
           << gateType;
  intermediate = gateType.getDimSize(0);
  if (failed(expectShape(op, gate, prefix + "gate", {intermediate, hidden})) ||
      failed(expectShape(op, up, prefix + "up", {intermediate, hidden})) ||
      failed(expectShape(op, down, prefix + "down", {hidden, intermediate})))
    return failure();
  return expectSameElementType(op, prefix + "gate, up and down weights",
                               {gate, up, down});
}

/// Checks a predictor `fc2 relu(fc1 p)` for `intermediate` neurons.
static LogicalResult verifyPredictorWeights(Operation *op, int64_t hidden,
                                            int64_t intermediate, Value fc1,
                                            Value fc2, const Twine &prefix) {
  auto fc1Type = cast<RankedTensorType>(fc1.getType());
  if (fc1Type.getRank() != 2)
    return op->emitOpError("expects ")
           << prefix << "predictor fc1 of rank 2 ([rank, hidden]), got "
           << fc1Type;
  int64_t rank = fc1Type.getDimSize(0);
  if (failed(expectShape(op, fc1, prefix + "predictor fc1", {rank, hidden})))
    return failure();
  return expectShape(op, fc2, prefix + "predictor fc2", {intermediate, rank});
}

LogicalResult FFNOp::verify() {
  int64_t hidden = vectorSize(getInput());
  int64_t intermediate = 0;
  if (failed(verifyGatedWeights(*this, hidden, getGate(), getUp(), getDown(),
                                "", intermediate)) ||
      failed(expectVectorSize(*this, getResult(), "result", hidden)))
    return failure();

  int predictorParts = static_cast<bool>(getPredictorInput()) +
                       static_cast<bool>(getPredictorFc1()) +
                       static_cast<bool>(getPredictorFc2());
  if (predictorParts != 0 && predictorParts != 3)
    return emitOpError("expects predictor input, fc1 and fc2 together, got ")
           << predictorParts << " of them";
  if (predictorParts == 0) {
    if (getPredictorThreshold())
      return emitOpError("has a predictor_threshold but no predictor");
    return success();
  }
  if (failed(expectVectorSize(*this, getPredictorInput(), "predictor input",
                              hidden)))
    return failure();
  return verifyPredictorWeights(*this, hidden, intermediate, getPredictorFc1(),
                                getPredictorFc2(), "");
}

LogicalResult MoEOp::verify() {
  int64_t numExperts = getNumExperts();
  if (static_cast<int64_t>(getTopK()) > numExperts)
    return emitOpError("expects top_k <= num_experts, got top_k = ")
           << getTopK() << " and num_experts = " << numExperts;
  auto expectCount = [&](ValueRange values, StringRef what) -> LogicalResult {
    if (static_cast<int64_t>(values.size()) == numExperts)
      return success();
    return emitOpError("expects one ") << what << " per expert (" << numExperts
                                       << "), got " << values.size();
  };
  if (failed(expectCount(getGates(), "gate")) ||
      failed(expectCount(getUps(), "up")) ||
      failed(expectCount(getDowns(), "down")))
    return failure();

  int64_t hidden = vectorSize(getInput());
  if (failed(expectShape(*this, getRouter(), "router", {numExperts, hidden})) ||
      failed(expectVectorSize(*this, getResult(), "result", hidden)))
    return failure();

  SmallVector<Value> allExpertWeights;
  int64_t intermediate = -1;
  for (int64_t e = 0; e < numExperts; ++e) {
    int64_t expertIntermediate = 0;
    std::string prefix = "expert " + std::to_string(e) + " ";
    if (failed(verifyGatedWeights(*this, hidden, getGates()[e], getUps()[e],
                                  getDowns()[e], prefix, expertIntermediate)))
      return failure();
    if (intermediate >= 0 && expertIntermediate != intermediate)
      return emitOpError("expects every expert to have one intermediate "
                         "size, got ")
             << intermediate << " and " << expertIntermediate << " (" << prefix
             << ")";
    intermediate = expertIntermediate;
    allExpertWeights.append({getGates()[e], getUps()[e], getDowns()[e]});
  }
  if (failed(expectSameElementType(*this, "expert weights", allExpertWeights)))
    return failure();

  if (!getPredictorInput()) {
    if (!getPredictorFc1s().empty() || !getPredictorFc2s().empty())
      return emitOpError("has predictor weights but no predictor input");
    if (getPredictorThreshold())
      return emitOpError("has a predictor_threshold but no predictor");
    return success();
  }
  if (failed(expectCount(getPredictorFc1s(), "predictor fc1")) ||
      failed(expectCount(getPredictorFc2s(), "predictor fc2")) ||
      failed(expectVectorSize(*this, getPredictorInput(), "predictor input",
                              hidden)))
    return failure();
  for (int64_t e = 0; e < numExperts; ++e) {
    std::string prefix = "expert " + std::to_string(e) + " ";
    if (failed(verifyPredictorWeights(*this, hidden, intermediate,
                                      getPredictorFc1s()[e],
                                      getPredictorFc2s()[e], prefix)))
      return failure();
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/LLM/IR/LLMOps.cpp.inc"

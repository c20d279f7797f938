//===- DecodeStepBuilder.cpp - model description -> llm IR ------*- C++ -*-===//
//
// Algorithm: emit the decode step layer by layer. Every tensor the layout
// needs is looked up by its Hugging Face name and checked (present,
// f32/f16/bf16, the shape the config implies) before it becomes an
// llm.param; nothing is read but the headers. The finished module is
// verified (op verifiers, then sparsec-verify-decode-step) before it is
// returned.
//
//===----------------------------------------------------------------------===//

#include "compiler/Importer/Common/DecodeStepBuilder.h"

#include "passes/JsonFile.h"

#include "passes/DecodeStep.h"
#include "passes/Passes.h"

#include "sparsec/formats/limits.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::sparsec;
using llvm::Expected;
using llvm::StringRef;

namespace {

class DecodeStepBuilder {
public:
  DecodeStepBuilder(MLIRContext &context, const ModelConfig &config,
                    const TensorSource &weights,
                    const DecodeStepOptions &options, int64_t maxSeqLen)
      : context(context), builder(&context), config(config), weights(weights),
        options(options), maxSeqLen(maxSeqLen) {}

  Expected<OwningOpRef<ModuleOp>> build();

private:
  /// A location naming the Hugging Face module, on top of config.json.
  Location loc(const llvm::Twine &module) {
    return NameLoc::get(
        builder.getStringAttr(module),
        FileLineColLoc::get(&context, options.locationFile, 1, 1));
  }

  /// Looks `name` up, checks its dtype and shape, and emits its llm.param.
  Expected<Value> param(const std::string &name,
                        llvm::ArrayRef<int64_t> expectedShape);

  /// Like param(), but the predictor rank (first dimension of fc1) is read
  /// from the file. Returns a null pair when the layer has no predictor.
  llvm::Error predictor(const std::string &prefix, Value &fc1, Value &fc2);

  Value rmsNorm(Value x, Value weight, Location location) {
    return llm::RMSNormOp::create(
        builder, location, x, weight,
        builder.getF32FloatAttr(static_cast<float>(config.rmsNormEps)));
  }
  Value linear(Value x, Value weight, Location location) {
    int64_t rows = cast<RankedTensorType>(weight.getType()).getDimSize(0);
    return llm::LinearOp::create(builder, location, vec(rows), x, weight);
  }
  RankedTensorType vec(int64_t size) {
    return RankedTensorType::get({size}, builder.getF32Type());
  }

  Expected<Value> attentionBlock(int64_t layer, Value hidden);
  Expected<Value> ffnBlock(int64_t layer, Value residual);

  MLIRContext &context;
  OpBuilder builder;
  const ModelConfig &config;
  const TensorSource &weights;
  const DecodeStepOptions &options;
  int64_t maxSeqLen;
  Value token, pos, cache;
};

Expected<Value>
DecodeStepBuilder::param(const std::string &name,
                         llvm::ArrayRef<int64_t> expectedShape) {
  const SourceTensor *info = weights.find(name);
  if (!info)
    return inputError(weights.origin() + ": tensor '" + name +
                      "' not found (required by " + options.layoutOwner + ")");
  Type elementType;
  switch (info->dtype) {
  case ::sparsec::DType::kF32:
    elementType = builder.getF32Type();
    break;
  case ::sparsec::DType::kF16:
    elementType = builder.getF16Type();
    break;
  case ::sparsec::DType::kBF16:
    elementType = builder.getBF16Type();
    break;
  default:
    return inputError(
        info->file + ": tensor '" + name + "' has unsupported dtype " +
        ::sparsec::dtypeName(info->dtype) + " (expected F32, F16 or BF16)");
  }
  if (!llvm::equal(info->shape, expectedShape))
    return inputError(info->file + ": tensor '" + name + "' has shape " +
                      ::sparsec::formatShape(info->shape) + ", but " +
                      options.configName + " implies " +
                      ::sparsec::formatShape(std::vector<int64_t>(
                          expectedShape.begin(), expectedShape.end())));
  auto type = RankedTensorType::get(expectedShape, elementType);
  StringRef module = StringRef(name).rsplit('.').first; // drop ".weight"
  return llm::ParamOp::create(builder, loc(module), type, name).getResult();
}

llvm::Error DecodeStepBuilder::predictor(const std::string &prefix, Value &fc1,
                                         Value &fc2) {
  std::string fc1Name = prefix + "predictor.fc1.weight";
  std::string fc2Name = prefix + "predictor.fc2.weight";
  const SourceTensor *fc1Info = weights.find(fc1Name);
  const SourceTensor *fc2Info = weights.find(fc2Name);
  if (!fc1Info && !fc2Info)
    return llvm::Error::success(); // this layer has no predictor
  if (!fc1Info || !fc2Info)
    return inputError(weights.origin() + ": tensor '" +
                      (fc1Info ? fc2Name : fc1Name) +
                      "' not found, but its partner '" +
                      (fc1Info ? fc1Name : fc2Name) + "' exists");
  if (fc1Info->shape.size() != 2 || fc2Info->shape.size() != 2)
    return inputError(fc1Info->file + ": predictor tensors '" + fc1Name +
                      "' and '" + fc2Name + "' must be matrices, got " +
                      ::sparsec::formatShape(fc1Info->shape) + " and " +
                      ::sparsec::formatShape(fc2Info->shape));
  int64_t rank = fc1Info->shape[0];
  if (fc2Info->shape[1] != rank)
    return inputError(fc2Info->file + ": predictor rank mismatch: '" + fc1Name +
                      "' has " + llvm::Twine(rank).str() + " rows but '" +
                      fc2Name + "' has " +
                      llvm::Twine(fc2Info->shape[1]).str() + " columns");
  Expected<Value> first = param(fc1Name, {rank, config.hiddenSize});
  if (!first)
    return first.takeError();
  Expected<Value> second = param(fc2Name, {config.intermediateSize, rank});
  if (!second)
    return second.takeError();
  fc1 = *first;
  fc2 = *second;
  return llvm::Error::success();
}

Expected<Value> DecodeStepBuilder::attentionBlock(int64_t layer, Value hidden) {
  std::string p = "model.layers." + std::to_string(layer) + ".";
  const int64_t h = config.hiddenSize;
  const int64_t qSize = config.numHeads * config.headDim;
  const int64_t kvSize = config.numKvHeads * config.headDim;
  Expected<Value> norm = param(p + "input_layernorm.weight", {h});
  Expected<Value> wq = param(p + "self_attn.q_proj.weight", {qSize, h});
  Expected<Value> wk = param(p + "self_attn.k_proj.weight", {kvSize, h});
  Expected<Value> wv = param(p + "self_attn.v_proj.weight", {kvSize, h});
  Expected<Value> wo = param(p + "self_attn.o_proj.weight", {h, qSize});
  for (Expected<Value> *value : {&norm, &wq, &wk, &wv, &wo})
    if (!*value)
      return value->takeError();

  Location attnLoc = loc(p + "self_attn");
  Value x = rmsNorm(hidden, *norm, loc(p + "input_layernorm"));
  std::optional<std::vector<float>> invFreq = ropeInverseFrequencies(config);
  auto rope = [&](Value v) {
    return llm::RotaryOp::create(builder, loc(p + "self_attn.rotary_emb"), v,
                                 pos, builder.getI64IntegerAttr(config.headDim),
                                 builder.getF64FloatAttr(config.ropeTheta),
                                 invFreq
                                     ? builder.getDenseF32ArrayAttr(*invFreq)
                                     : DenseF32ArrayAttr())
        .getResult();
  };
  Value q = rope(linear(x, *wq, loc(p + "self_attn.q_proj")));
  Value k = rope(linear(x, *wk, loc(p + "self_attn.k_proj")));
  Value v = linear(x, *wv, loc(p + "self_attn.v_proj"));
  Value attn = llm::AttentionOp::create(
      builder, attnLoc, q, k, v, pos, cache, builder.getI64IntegerAttr(layer),
      builder.getI64IntegerAttr(config.numHeads));
  Value out = linear(attn, *wo, loc(p + "self_attn.o_proj"));
  return llm::AddOp::create(builder, attnLoc, hidden, out).getResult();
}

Expected<Value> DecodeStepBuilder::ffnBlock(int64_t layer, Value residual) {
  std::string p = "model.layers." + std::to_string(layer) + ".";
  const int64_t h = config.hiddenSize, inter = config.intermediateSize;
  Expected<Value> norm = param(p + "post_attention_layernorm.weight", {h});
  if (!norm)
    return norm.takeError();
  Value x = rmsNorm(residual, *norm, loc(p + "post_attention_layernorm"));
  auto activation = llm::ActivationAttr::get(&context, config.activation);
  FloatAttr threshold;
  if (config.predictorThreshold)
    threshold =
        builder.getF32FloatAttr(static_cast<float>(*config.predictorThreshold));

  Value out;
  if (!config.isMoE()) {
    std::string m = p + "mlp.";
    Expected<Value> gate = param(m + "gate_proj.weight", {inter, h});
    Expected<Value> up = param(m + "up_proj.weight", {inter, h});
    Expected<Value> down = param(m + "down_proj.weight", {h, inter});
    for (Expected<Value> *value : {&gate, &up, &down})
      if (!*value)
        return value->takeError();
    Value fc1, fc2;
    if (llvm::Error err = predictor(m, fc1, fc2))
      return std::move(err);
    // The predictor reads the residual stream, as TurboSparse/PowerInfer do.
    Value predictorInput = fc1 ? residual : Value();
    out = llm::FFNOp::create(builder, loc(p + "mlp"), vec(h), x, *gate, *up,
                             *down, predictorInput, fc1, fc2, activation,
                             builder.getI64IntegerAttr(layer),
                             fc1 ? threshold : FloatAttr());
  } else {
    std::string m = p + "block_sparse_moe.";
    Expected<Value> router = param(m + "gate.weight", {config.numExperts, h});
    if (!router)
      return router.takeError();
    SmallVector<Value> gates, ups, downs, fc1s, fc2s;
    for (int64_t e = 0; e < config.numExperts; ++e) {
      std::string x = m + "experts." + std::to_string(e) + ".";
      Expected<Value> gate = param(x + "w1.weight", {inter, h});
      Expected<Value> up = param(x + "w3.weight", {inter, h});
      Expected<Value> down = param(x + "w2.weight", {h, inter});
      for (Expected<Value> *value : {&gate, &up, &down})
        if (!*value)
          return value->takeError();
      gates.push_back(*gate);
      ups.push_back(*up);
      downs.push_back(*down);
      Value fc1, fc2;
      if (llvm::Error err = predictor(x, fc1, fc2))
        return std::move(err);
      if (fc1) {
        fc1s.push_back(fc1);
        fc2s.push_back(fc2);
      }
    }
    if (!fc1s.empty() && static_cast<int64_t>(fc1s.size()) != config.numExperts)
      return inputError(weights.origin() + ": layer " + std::to_string(layer) +
                        " has predictors for " + std::to_string(fc1s.size()) +
                        " of its " + std::to_string(config.numExperts) +
                        " experts; expected all or none");
    bool hasPredictor = !fc1s.empty();
    out = llm::MoEOp::create(builder, loc(p + "block_sparse_moe"), vec(h), x,
                             *router, gates, ups, downs,
                             hasPredictor ? residual : Value(), fc1s, fc2s,
                             builder.getI64IntegerAttr(config.numExperts),
                             builder.getI64IntegerAttr(config.topK), activation,
                             builder.getI64IntegerAttr(layer),
                             hasPredictor ? threshold : FloatAttr());
  }
  return llm::AddOp::create(builder, loc(p + "mlp"), residual, out).getResult();
}

Expected<OwningOpRef<ModuleOp>> DecodeStepBuilder::build() {
  Location modelLoc = loc("model");
  OwningOpRef<ModuleOp> module = ModuleOp::create(modelLoc);
  builder.setInsertionPointToEnd(module->getBody());

  // The KV cache stores what the weights store: f32 models keep an f32
  // cache (exact comparisons with references), f16/bf16 models halve it.
  Type cacheElement = builder.getF16Type();
  if (const SourceTensor *table = weights.find("model.embed_tokens.weight")) {
    if (table->dtype == ::sparsec::DType::kF32)
      cacheElement = builder.getF32Type();
    else if (table->dtype == ::sparsec::DType::kBF16)
      cacheElement = builder.getBF16Type();
  }
  auto cacheType =
      llm::KVCacheType::get(&context, static_cast<unsigned>(config.numLayers),
                            static_cast<unsigned>(maxSeqLen),
                            static_cast<unsigned>(config.numKvHeads),
                            static_cast<unsigned>(config.headDim), cacheElement,
                            static_cast<unsigned>(config.slidingWindow));
  FunctionType funcType =
      DecodeStep::getFunctionType(cacheType, config.vocabSize);
  auto func = func::FuncOp::create(builder, modelLoc, "decode_step", funcType);
  func->setAttr(kDecodeStepAttrName, builder.getUnitAttr());
  Block *entry = func.addEntryBlock();
  DecodeStep step(func);
  token = step.getToken();
  pos = step.getPosition();
  cache = step.getCache();
  builder.setInsertionPointToStart(entry);

  const int64_t h = config.hiddenSize;
  Expected<Value> table =
      param("model.embed_tokens.weight", {config.vocabSize, h});
  if (!table)
    return table.takeError();
  Value hidden = llm::EmbedOp::create(builder, loc("model.embed_tokens"),
                                      vec(h), *table, token);
  for (int64_t layer = 0; layer < config.numLayers; ++layer) {
    Expected<Value> afterAttention = attentionBlock(layer, hidden);
    if (!afterAttention)
      return afterAttention.takeError();
    Expected<Value> afterFFN = ffnBlock(layer, *afterAttention);
    if (!afterFFN)
      return afterFFN.takeError();
    hidden = *afterFFN;
  }
  Expected<Value> norm = param("model.norm.weight", {h});
  if (!norm)
    return norm.takeError();
  Value finalHidden = rmsNorm(hidden, *norm, loc("model.norm"));
  // Tied embeddings: the LM head is the embedding table, under its name,
  // as transformers ties them (an lm_head.weight saved beside it is not
  // read).
  Value headWeight = *table;
  if (!config.tieWordEmbeddings) {
    Expected<Value> head = param("lm_head.weight", {config.vocabSize, h});
    if (!head)
      return head.takeError();
    headWeight = *head;
  }
  Value logits = llm::LMHeadOp::create(
      builder, loc("lm_head"), vec(config.vocabSize), finalHidden, headWeight);
  func::ReturnOp::create(builder, loc("lm_head"), logits);
  return module;
}

} // namespace

Expected<OwningOpRef<ModuleOp>>
mlir::sparsec::buildDecodeStep(MLIRContext &context, const ModelConfig &config,
                               const TensorSource &weights,
                               const DecodeStepOptions &options) {
  if (options.maxSeqLen < 0)
    return inputError("--max-seq-len must be positive, got " +
                      llvm::Twine(options.maxSeqLen));
  int64_t maxSeqLen =
      options.maxSeqLen > 0 ? options.maxSeqLen : config.maxPositions;
  if (maxSeqLen > config.maxPositions)
    return inputError("--max-seq-len " + llvm::Twine(maxSeqLen) +
                      " exceeds the model's context length (" +
                      llvm::Twine(config.maxPositions) + ")");
  // The KV cache is one buffer: bound it before its type is made.
  int64_t slots = config.slidingWindow > 0
                      ? std::min<int64_t>(config.slidingWindow, maxSeqLen)
                      : maxSeqLen;
  double cacheBytes = 2.0 * 4.0 * static_cast<double>(config.numLayers) *
                      static_cast<double>(slots) *
                      static_cast<double>(config.numKvHeads) *
                      static_cast<double>(config.headDim);
  if (cacheBytes > static_cast<double>(::sparsec::limits::kMaxKvCacheBytes))
    return inputError("a KV cache for " + llvm::Twine(slots) +
                      " positions would take up to " +
                      llvm::Twine(static_cast<int64_t>(cacheBytes)) +
                      " bytes, more than the limit of " +
                      llvm::Twine(::sparsec::limits::kMaxKvCacheBytes) +
                      "; lower --max-seq-len");

  context.loadDialect<llm::LLMDialect, func::FuncDialect>();
  DecodeStepBuilder builder(context, config, weights, options, maxSeqLen);
  Expected<OwningOpRef<ModuleOp>> module = builder.build();
  if (!module)
    return module.takeError();

  // Whatever the checks above missed, the verifiers must catch here, with
  // the op's Hugging Face location.
  std::string firstError;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && firstError.empty()) {
      std::string text;
      llvm::raw_string_ostream os(text);
      os << diag.getLocation() << ": " << diag;
      firstError = text;
    }
    return success();
  });
  PassManager pm(&context, ModuleOp::getOperationName());
  pm.addPass(createVerifyDecodeStepPass());
  if (failed(verify(**module)) || failed(pm.run(**module)))
    return inputError(weights.origin() +
                      ": imported model does not verify: " + firstError);
  return module;
}

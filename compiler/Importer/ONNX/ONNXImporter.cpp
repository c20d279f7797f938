//===- ONNXImporter.cpp - ONNX decoder graph -> llm IR --------------------===//

#include "compiler/Importer/ONNX/ONNXImporter.h"

#include "passes/DecodeStep.h"
#include "passes/JsonFile.h"
#include "passes/Passes.h"

#include "dialects/LLM/IR/LLMOps.h"
#include "dialects/ONNX/IR/ONNXOps.h"

#include "sparsec/formats/gguf.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"

#include <cmath>
#include <cstring>
#include <tuple>

using namespace mlir;
using namespace mlir::sparsec;

namespace {

/// Runs `build`'s passes on `module`; the first error, with its location,
/// becomes the message.
llvm::Error runChecked(MLIRContext &context, ModuleOp module,
                       llvm::function_ref<void(PassManager &)> build,
                       const std::string &origin, llvm::StringRef what) {
  std::string firstError;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error && firstError.empty()) {
      std::string text;
      llvm::raw_string_ostream os(text);
      // The node's name is the useful part of its location.
      if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
        os << diag;
      else
        os << diag.getLocation() << ": " << diag;
      firstError = text;
    }
    return success();
  });
  PassManager pm(&context, ModuleOp::getOperationName());
  build(pm);
  if (failed(pm.run(module)) || failed(verify(module)))
    return inputError(origin + ": " + what + ": " + firstError);
  return llvm::Error::success();
}

/// The hyper-parameters the graph shows, to compare with config.json.
llvm::Error checkAgainstConfig(func::FuncOp step, const ModelConfig &config,
                               const std::string &origin) {
  auto mismatch = [&](llvm::StringRef what, const llvm::Twine &graph,
                      const llvm::Twine &stated) {
    return inputError(origin + ": the graph has " + what + " " + graph +
                      ", but config.json says " + stated);
  };
  DecodeStep decode(step);
  llm::KVCacheType cache = decode.getCacheType();
  // Zero: not stated (genai_config.json leaves some out).
  if (cache.getNumLayers() != config.numLayers)
    return mismatch("layers", llvm::Twine(cache.getNumLayers()),
                    llvm::Twine(config.numLayers));
  if (cache.getNumKvHeads() != config.numKvHeads)
    return mismatch("KV heads", llvm::Twine(cache.getNumKvHeads()),
                    llvm::Twine(config.numKvHeads));
  if (cache.getHeadDim() != config.headDim)
    return mismatch("head_dim", llvm::Twine(cache.getHeadDim()),
                    llvm::Twine(config.headDim));
  if (decode.getVocabSize() != config.vocabSize)
    return mismatch("vocabulary size", llvm::Twine(decode.getVocabSize()),
                    llvm::Twine(config.vocabSize));
  llvm::Error error = llvm::Error::success();
  step.walk([&](Operation *op) {
    if (error)
      return;
    if (auto attention = dyn_cast<llm::AttentionOp>(op)) {
      if (config.numHeads &&
          static_cast<int64_t>(attention.getNumHeads()) != config.numHeads)
        error =
            mismatch("attention heads", llvm::Twine(attention.getNumHeads()),
                     llvm::Twine(config.numHeads));
    } else if (auto norm = dyn_cast<llm::RMSNormOp>(op)) {
      double eps = norm.getEpsilon().convertToDouble();
      if (config.rmsNormEps > 0 &&
          std::abs(eps - config.rmsNormEps) > 1e-3 * config.rmsNormEps)
        error = mismatch("RMSNorm epsilon", formatNumber(eps),
                         formatNumber(config.rmsNormEps));
    } else if (auto rope = dyn_cast<llm::RotaryOp>(op)) {
      if (!rope.getInvFreq() && config.ropeTheta > 0 &&
          std::abs(rope.getTheta().convertToDouble() - config.ropeTheta) >
              1e-3 * config.ropeTheta)
        error = mismatch("rope theta",
                         formatNumber(rope.getTheta().convertToDouble()),
                         formatNumber(config.ropeTheta));
    } else if (auto moe = dyn_cast<llm::MoEOp>(op)) {
      int64_t neurons = cast<RankedTensorType>(moe.getGates().front().getType())
                            .getDimSize(0);
      if (!config.isMoE())
        error = inputError(origin + ": the graph has mixture-of-experts "
                                    "layers, but the config describes a "
                                    "dense model");
      else if (config.numExperts &&
               static_cast<int64_t>(moe.getNumExperts()) != config.numExperts)
        error = mismatch("experts", llvm::Twine(moe.getNumExperts()),
                         llvm::Twine(config.numExperts));
      else if (config.topK &&
               static_cast<int64_t>(moe.getTopK()) != config.topK)
        error = mismatch("experts per token", llvm::Twine(moe.getTopK()),
                         llvm::Twine(config.topK));
      else if (config.intermediateSize && neurons != config.intermediateSize)
        error = mismatch("expert FFN size", llvm::Twine(neurons),
                         llvm::Twine(config.intermediateSize));
      else if (config.intermediateSize &&
               moe.getActivation() != config.activation)
        error =
            mismatch("activation",
                     llvm::Twine(llm::stringifyActivation(moe.getActivation())),
                     llvm::Twine(llm::stringifyActivation(config.activation)));
    } else if (auto ffn = dyn_cast<llm::FFNOp>(op)) {
      int64_t neurons =
          cast<RankedTensorType>(ffn.getGate().getType()).getDimSize(0);
      if (config.isMoE())
        error = inputError(origin + ": the graph has a dense FFN, but the "
                                    "config describes a mixture of experts");
      else if (config.intermediateSize && neurons != config.intermediateSize)
        error = mismatch("FFN size", llvm::Twine(neurons),
                         llvm::Twine(config.intermediateSize));
      else if (config.intermediateSize &&
               ffn.getActivation() != config.activation)
        error =
            mismatch("activation",
                     llvm::Twine(llm::stringifyActivation(ffn.getActivation())),
                     llvm::Twine(llm::stringifyActivation(config.activation)));
    } else if (auto embed = dyn_cast<llm::EmbedOp>(op)) {
      int64_t hidden =
          cast<RankedTensorType>(embed.getResult().getType()).getDimSize(0);
      if (config.hiddenSize && hidden != config.hiddenSize)
        error = mismatch("hidden size", llvm::Twine(hidden),
                         llvm::Twine(config.hiddenSize));
    }
  });
  return error;
}

} // namespace

llvm::Expected<ModelConfig>
onnx_import::parseGenAIConfig(llvm::StringRef path) {
  llvm::Expected<llvm::json::Value> json = readJsonFile(path);
  if (!json)
    return json.takeError();
  const llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object *model = root ? root->getObject("model") : nullptr;
  const llvm::json::Object *decoder =
      model ? model->getObject("decoder") : nullptr;
  if (!decoder)
    return inputError(path + ": no 'model.decoder' object (not an "
                             "onnxruntime-genai genai_config.json?)");
  ModelConfig config;
  auto integer = [&](const llvm::json::Object *object, llvm::StringRef key,
                     int64_t &field, bool required) -> llvm::Error {
    std::optional<int64_t> value = object->getInteger(key);
    if (!value) {
      if (required || object->get(key))
        return inputError(path + ": '" + key +
                          "' must be present and an integer");
      return llvm::Error::success();
    }
    if (*value <= 0 || *value > (int64_t(1) << 31))
      return inputError(path + ": '" + key + "' is " + llvm::Twine(*value) +
                        " (expected 1..2^31)");
    field = *value;
    return llvm::Error::success();
  };
  for (auto [object, key, field] :
       {std::tuple{decoder, "hidden_size", &config.hiddenSize},
        std::tuple{decoder, "num_attention_heads", &config.numHeads},
        std::tuple{decoder, "num_key_value_heads", &config.numKvHeads},
        std::tuple{decoder, "num_hidden_layers", &config.numLayers},
        std::tuple{decoder, "head_size", &config.headDim},
        std::tuple{model, "vocab_size", &config.vocabSize},
        std::tuple{model, "context_length", &config.maxPositions}})
    if (llvm::Error err = integer(object, key, *field, /*required=*/true))
      return std::move(err);
  int64_t bos = 0;
  if (llvm::Error err = integer(model, "bos_token_id", bos, false))
    return std::move(err);
  if (model->get("bos_token_id"))
    config.bosTokenId = bos;
  if (const llvm::json::Value *eos = model->get("eos_token_id")) {
    if (std::optional<int64_t> id = eos->getAsInteger())
      config.eosTokenIds.push_back(*id);
    else if (const llvm::json::Array *ids = eos->getAsArray())
      for (const llvm::json::Value &id : *ids)
        if (std::optional<int64_t> value = id.getAsInteger())
          config.eosTokenIds.push_back(*value);
  }
  std::string type = model->getString("type").value_or("").str();
  config.architecture = "onnxruntime-genai " + (type.empty() ? "?" : type);
  config.family = type == "mixtral" ? ModelFamily::Mixtral : ModelFamily::Llama;
  // Stated by the graph, not by this file.
  config.intermediateSize = 0;
  config.rmsNormEps = 0;
  config.ropeTheta = 0;
  return config;
}

llvm::Expected<OwningOpRef<ModuleOp>>
onnx_import::importGraph(MLIRContext &context, const ONNXFile &file,
                         const ModelConfig &config, const TensorSource &weights,
                         int64_t maxSeqLen) {
  if (maxSeqLen <= 0)
    maxSeqLen = config.maxPositions;
  if (maxSeqLen > config.maxPositions)
    return inputError("--max-seq-len " + llvm::Twine(maxSeqLen) +
                      " exceeds the model's context length (" +
                      llvm::Twine(config.maxPositions) + ")");
  llvm::Expected<OwningOpRef<ModuleOp>> module = file.toModule(context);
  if (!module)
    return module.takeError();
  context.loadDialect<llm::LLMDialect>();

  // The KV cache holds what the embedding table holds (as for checkpoints).
  std::string cacheType = "f16";
  (*module)->walk([&](onnx::WeightOp weight) {
    auto type = cast<RankedTensorType>(weight.getType());
    if (type.getRank() == 2 && type.getDimSize(0) == config.vocabSize &&
        type.getDimSize(1) == config.hiddenSize) {
      if (type.getElementType().isF32())
        cacheType = "f32";
      else if (type.getElementType().isBF16())
        cacheType = "bf16";
    }
  });
  ConvertONNXToLLMPassOptions options;
  options.maxSeqLen = maxSeqLen;
  options.cacheType = cacheType;
  options.slidingWindow = config.slidingWindow;
  // Large initializers (cos/sin caches) are read from the file.
  ONNXWeightReader reader =
      [&weights](llvm::StringRef name, int64_t first,
                 int64_t rows) -> std::optional<std::vector<double>> {
    const SourceTensor *tensor = weights.find(name);
    if (!tensor || !tensor->data || tensor->shape.size() != 2 || first < 0 ||
        first + rows > tensor->shape[0])
      return std::nullopt;
    int64_t cols = tensor->shape[1];
    std::vector<double> values;
    for (int64_t i = first * cols; i < (first + rows) * cols; ++i) {
      const uint8_t *at =
          tensor->data + i * ::sparsec::dtypeSize(tensor->dtype);
      switch (tensor->dtype) {
      case ::sparsec::DType::kF32: {
        float value;
        std::memcpy(&value, at, 4);
        values.push_back(value);
        break;
      }
      case ::sparsec::DType::kF16:
      case ::sparsec::DType::kBF16: {
        uint16_t bits;
        std::memcpy(&bits, at, 2);
        values.push_back(tensor->dtype == ::sparsec::DType::kF16
                             ? ::sparsec::halfToFloat(bits)
                             : ::sparsec::bf16ToFloat(bits));
        break;
      }
      default:
        return std::nullopt;
      }
    }
    return values;
  };
  if (llvm::Error err = runChecked(
          context, **module,
          [&](PassManager &pm) {
            pm.addPass(createFoldONNXShapesPass());
            pm.addPass(createConvertONNXToLLMPass(options, reader));
          },
          file.path(), "cannot import"))
    return std::move(err);

  func::FuncOp step = DecodeStep::find(**module);
  if (llvm::Error err = checkAgainstConfig(step, config, file.path()))
    return std::move(err);

  // Predictors from --predictor-dir, by the Hugging Face names of each
  // layer (and expert); their input is the residual stream before the
  // FFN's norm.
  OpBuilder b(&context);
  llvm::Error error = llvm::Error::success();
  auto predictorOf = [&](Operation *op, const std::string &prefix,
                         int64_t hidden, int64_t neurons, Value &fc1Param,
                         Value &fc2Param) -> bool {
    const SourceTensor *fc1 = weights.find(prefix + "fc1.weight");
    const SourceTensor *fc2 = weights.find(prefix + "fc2.weight");
    if (!fc1 && !fc2)
      return false;
    if (!fc1 || !fc2 || fc1->shape.size() != 2 || fc2->shape.size() != 2 ||
        fc1->shape[1] != hidden || fc2->shape[0] != neurons ||
        fc2->shape[1] != fc1->shape[0]) {
      error = inputError(weights.origin() + ": predictor " + prefix +
                         " must be fc1 [rank, " + std::to_string(hidden) +
                         "] and fc2 [" + std::to_string(neurons) + ", rank]");
      return false;
    }
    auto type = [&](const SourceTensor *t) {
      Type element = t->dtype == ::sparsec::DType::kF32 ? b.getF32Type()
                     : t->dtype == ::sparsec::DType::kBF16
                         ? Type(b.getBF16Type())
                         : Type(b.getF16Type());
      return RankedTensorType::get(t->shape, element);
    };
    b.setInsertionPoint(op);
    fc1Param = llm::ParamOp::create(b, op->getLoc(), type(fc1), fc1->name);
    fc2Param = llm::ParamOp::create(b, op->getLoc(), type(fc2), fc2->name);
    return true;
  };
  auto normInput = [&](Value input, int64_t layer) -> Value {
    auto norm = input.getDefiningOp<llm::RMSNormOp>();
    if (!norm)
      error = inputError(weights.origin() + ": the predictors of layer " +
                         std::to_string(layer) +
                         " need an FFN whose input is an RMSNorm");
    return norm ? norm.getInput() : Value();
  };
  FloatAttr threshold;
  if (config.predictorThreshold)
    threshold =
        b.getF32FloatAttr(static_cast<float>(*config.predictorThreshold));
  SmallVector<Operation *> layers;
  step.walk([&](Operation *op) {
    if (isa<llm::FFNOp, llm::MoEOp>(op))
      layers.push_back(op);
  });
  for (Operation *op : layers) {
    if (auto ffn = dyn_cast<llm::FFNOp>(op)) {
      if (ffn.hasPredictor()) // the graph's own
        continue;
      int64_t hidden =
          cast<RankedTensorType>(ffn.getInput().getType()).getDimSize(0);
      int64_t neurons =
          cast<RankedTensorType>(ffn.getGate().getType()).getDimSize(0);
      Value fc1, fc2;
      std::string prefix =
          "model.layers." + std::to_string(ffn.getLayer()) + ".mlp.predictor.";
      if (!predictorOf(ffn, prefix, hidden, neurons, fc1, fc2)) {
        if (error)
          break;
        continue;
      }
      Value input = normInput(ffn.getInput(), ffn.getLayer());
      if (!input)
        break;
      b.setInsertionPoint(ffn);
      auto replacement = llm::FFNOp::create(
          b, ffn.getLoc(), ffn.getResult().getType(), ffn.getInput(),
          ffn.getGate(), ffn.getUp(), ffn.getDown(), input, fc1, fc2,
          ffn.getActivationAttr(), ffn.getLayerAttr(), threshold);
      ffn.getResult().replaceAllUsesWith(replacement.getResult());
      ffn->erase();
      continue;
    }
    // An MoE layer: every expert has a predictor, or none has.
    auto moe = cast<llm::MoEOp>(op);
    int64_t hidden =
        cast<RankedTensorType>(moe.getInput().getType()).getDimSize(0);
    int64_t neurons =
        cast<RankedTensorType>(moe.getGates().front().getType()).getDimSize(0);
    SmallVector<Value> fc1s, fc2s;
    for (int64_t e = 0; e < static_cast<int64_t>(moe.getNumExperts()); ++e) {
      Value fc1, fc2;
      std::string prefix = "model.layers." + std::to_string(moe.getLayer()) +
                           ".block_sparse_moe.experts." + std::to_string(e) +
                           ".predictor.";
      if (predictorOf(moe, prefix, hidden, neurons, fc1, fc2)) {
        fc1s.push_back(fc1);
        fc2s.push_back(fc2);
      } else if (error) {
        break;
      }
    }
    if (error)
      break;
    if (fc1s.empty())
      continue;
    if (fc1s.size() != moe.getNumExperts()) {
      error = inputError(weights.origin() + ": layer " +
                         std::to_string(moe.getLayer()) + " has predictors " +
                         "for " + std::to_string(fc1s.size()) + " of its " +
                         std::to_string(moe.getNumExperts()) + " experts");
      break;
    }
    Value input = normInput(moe.getInput(), moe.getLayer());
    if (!input)
      break;
    b.setInsertionPoint(moe);
    auto replacement = llm::MoEOp::create(
        b, moe.getLoc(), moe.getResult().getType(), moe.getInput(),
        moe.getRouter(), moe.getGates(), moe.getUps(), moe.getDowns(), input,
        fc1s, fc2s, moe.getNumExpertsAttr(), moe.getTopKAttr(),
        moe.getActivationAttr(), moe.getLayerAttr(), threshold);
    moe.getResult().replaceAllUsesWith(replacement.getResult());
    moe->erase();
  }
  if (error)
    return std::move(error);

  if (llvm::Error err = runChecked(
          context, **module,
          [](PassManager &pm) { pm.addPass(createVerifyDecodeStepPass()); },
          file.path(), "imported model does not verify"))
    return std::move(err);
  return module;
}

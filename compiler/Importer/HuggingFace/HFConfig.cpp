//===- HFConfig.cpp - Hugging Face config.json ------------------*- C++ -*-===//
//
// transformers 4.x writes the RoPE base as a top-level "rope_theta" and its
// scaling as "rope_scaling"; 5.x writes both in "rope_parameters". Both are
// read. Every key the reader does not consume must be in kHarmlessKeys, or
// the file is refused naming the key.
//
//===----------------------------------------------------------------------===//

#include "compiler/Importer/HuggingFace/HFConfig.h"

#include "sparsec/formats/status.h"

#include "passes/JsonFile.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace mlir::sparsec;
using namespace mlir::sparsec::hf;
using llvm::Expected;
using llvm::StringRef;

namespace {

/// Keys that do not change what a decode step computes: bookkeeping,
/// training-only settings, output flags, and generation defaults (the
/// executable's sampling flags decide those).
const char *const kHarmlessKeys[] = {
    // Bookkeeping.
    "_name_or_path",
    "transformers_version",
    "auto_map",
    "tokenizer_class",
    "sparsec_synth",
    "_attn_implementation_autoset",
    "name_or_path",
    // Training only (dropout, initialisation, auxiliary losses, padding).
    "initializer_range",
    "attention_dropout",
    "hidden_dropout",
    "dropout",
    "output_router_logits",
    "router_aux_loss_coef",
    "router_jitter_noise",
    "pad_token_id",
    "sep_token_id",
    "decoder_start_token_id",
    "use_cache",
    "tf_legacy_loss",
    "pruned_heads",
    // What a forward pass returns, not what it computes.
    "return_dict",
    "output_hidden_states",
    "output_attentions",
    "torchscript",
    "use_bfloat16",
    "id2label",
    "label2id",
    "problem_type",
    "chunk_size_feed_forward",
    "is_decoder",
    "is_encoder_decoder",
    "add_cross_attention",
    "tie_encoder_decoder",
    "cross_attention_hidden_size",
    "finetuning_task",
    "prefix",
    "task_specific_params",
    // Generation defaults of older configs.
    "max_length",
    "min_length",
    "do_sample",
    "early_stopping",
    "num_beams",
    "num_beam_groups",
    "diversity_penalty",
    "temperature",
    "top_k",
    "top_p",
    "typical_p",
    "repetition_penalty",
    "length_penalty",
    "no_repeat_ngram_size",
    "encoder_no_repeat_ngram_size",
    "bad_words_ids",
    "num_return_sequences",
    "output_scores",
    "return_dict_in_generate",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "remove_invalid_values",
    "exponential_decay_length_penalty",
    "suppress_tokens",
    "begin_suppress_tokens",
};

/// Reads typed keys from a JSON object, turning every problem into one
/// error message that names the file and the key, and records which keys
/// were read.
class ConfigReader {
public:
  ConfigReader(StringRef path, const llvm::json::Object &object,
               std::string prefix = "")
      : path(path), object(object), prefix(std::move(prefix)) {}

  llvm::Error error(const llvm::Twine &message) const {
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        ::sparsec::escapeForMessage((path + ": " + message).str()));
  }
  std::string name(StringRef key) const { return prefix + key.str(); }
  llvm::Error keyError(StringRef key, const llvm::Twine &message) const {
    return error("key '" + name(key) + "': " + message);
  }

  const llvm::json::Value *find(StringRef key) {
    consumed.insert(key);
    return object.get(key);
  }

  /// A JSON null counts as absent.
  bool has(StringRef key) {
    const llvm::json::Value *value = find(key);
    return value && value->kind() != llvm::json::Value::Null;
  }

  static std::string describe(const llvm::json::Value &value) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << value;
    if (text.size() > 40)
      text = text.substr(0, 37) + "...";
    return text;
  }

  Expected<int64_t> positiveInt(StringRef key) {
    const llvm::json::Value *value = find(key);
    if (!value)
      return error("missing key '" + name(key) + "' (a positive integer)");
    std::optional<int64_t> number = value->getAsInteger();
    if (!number || *number <= 0)
      return keyError(key,
                      "expected a positive integer, got " + describe(*value));
    return *number;
  }

  /// Absent or null: `fallback`.
  Expected<int64_t> optionalPositiveInt(StringRef key, int64_t fallback) {
    if (!has(key))
      return fallback;
    return positiveInt(key);
  }

  Expected<double> positiveNumber(StringRef key, double fallback) {
    if (!has(key))
      return fallback;
    std::optional<double> number = find(key)->getAsNumber();
    if (!number || !(*number > 0.0) || !std::isfinite(*number))
      return keyError(key, "expected a positive number, got " +
                               describe(*find(key)));
    return *number;
  }

  Expected<std::string> string(StringRef key) {
    const llvm::json::Value *value = find(key);
    if (!value)
      return error("missing key '" + name(key) + "' (a string)");
    std::optional<StringRef> text = value->getAsString();
    if (!text)
      return keyError(key, "expected a string, got " + describe(*value));
    return text->str();
  }

  Expected<bool> boolean(StringRef key, bool fallback) {
    if (!has(key))
      return fallback;
    std::optional<bool> flag = find(key)->getAsBoolean();
    if (!flag)
      return keyError(key,
                      "expected true or false, got " + describe(*find(key)));
    return *flag;
  }

  /// A token id or a list of them (eos_token_id may be either); null or
  /// absent: none.
  llvm::Error tokenIds(StringRef key, std::vector<int64_t> &out) {
    if (!has(key))
      return llvm::Error::success();
    const llvm::json::Value *value = find(key);
    auto add = [&](const llvm::json::Value &item) -> llvm::Error {
      std::optional<int64_t> id = item.getAsInteger();
      if (!id || *id < 0)
        return keyError(key, "expected a token id or a list of token ids, "
                             "got " +
                                 describe(*value));
      if (llvm::find(out, *id) == out.end())
        out.push_back(*id);
      return llvm::Error::success();
    };
    if (const llvm::json::Array *list = value->getAsArray()) {
      for (const llvm::json::Value &item : *list)
        if (llvm::Error err = add(item))
          return err;
      return llvm::Error::success();
    }
    return add(*value);
  }

  /// The first key of the object that was not read and is not in
  /// `harmless`, or an empty string.
  std::string firstUnknownKey(llvm::ArrayRef<const char *> harmless) const {
    llvm::StringSet<> allowed;
    for (const char *key : harmless)
      allowed.insert(key);
    std::vector<std::string> keys;
    for (const auto &entry : object)
      keys.push_back(entry.first.str());
    llvm::sort(keys); // deterministic: the first in sorted order
    for (const std::string &key : keys)
      if (!consumed.contains(key) && !allowed.contains(key))
        return key;
    return "";
  }

  StringRef path;
  const llvm::json::Object &object;
  std::string prefix;
  llvm::StringSet<> consumed;
};

Expected<llvm::json::Value> readJson(StringRef path) {
  Expected<llvm::json::Value> json = readJsonFile(path);
  if (!json)
    return json.takeError();
  if (!json->getAsObject())
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        ::sparsec::escapeForMessage((path + ": expected a JSON object").str()));
  return json;
}

/// RoPE: "rope_parameters" (transformers 5), or "rope_theta" and
/// "rope_scaling" (transformers 4). A rope type or a parameter sparsec does
/// not implement is refused by name.
llvm::Error readRope(ConfigReader &reader, ModelConfig &config) {
  bool hasParameters = reader.has("rope_parameters");
  bool hasScaling = reader.has("rope_scaling");
  bool hasTheta = reader.has("rope_theta");
  Expected<double> theta = reader.positiveNumber("rope_theta", 10000.0);
  if (!theta)
    return theta.takeError();
  config.ropeTheta = *theta;
  if (hasParameters && hasScaling)
    return reader.error("both 'rope_parameters' and 'rope_scaling' are set; "
                        "expected one (transformers 5 writes "
                        "rope_parameters, 4.x rope_scaling)");
  if (!hasParameters && !hasScaling)
    return llvm::Error::success();

  StringRef key = hasParameters ? "rope_parameters" : "rope_scaling";
  const llvm::json::Object *section = reader.find(key)->getAsObject();
  if (!section)
    return reader.keyError(key, "expected an object, got " +
                                    ConfigReader::describe(*reader.find(key)));
  ConfigReader rope(reader.path, *section, key.str() + ".");
  if (rope.has("rope_theta")) {
    Expected<double> inner = rope.positiveNumber("rope_theta", 10000.0);
    if (!inner)
      return inner.takeError();
    if (hasTheta && *inner != config.ropeTheta)
      return reader.error("'rope_theta' (" + formatNumber(config.ropeTheta) +
                          ") and '" + key + ".rope_theta' (" +
                          formatNumber(*inner) + ") disagree");
    config.ropeTheta = *inner;
  }
  // transformers 4.x wrote "type" before "rope_type".
  StringRef typeKey = rope.has("rope_type") ? "rope_type" : "type";
  std::string type = "default";
  if (rope.has(typeKey)) {
    Expected<std::string> value = rope.string(typeKey);
    if (!value)
      return value.takeError();
    type = *value;
  } else if (!rope.has("rope_theta")) {
    return rope.error("key '" + key +
                      "': expected 'rope_type' (default, "
                      "linear or llama3)");
  }
  // The other spelling of the type key may repeat it.
  if (rope.has(typeKey == "type" ? "rope_type" : "type")) {
    Expected<std::string> again =
        rope.string(typeKey == "type" ? "rope_type" : "type");
    if (!again)
      return again.takeError();
    if (*again != type)
      return rope.error("key '" + key + "': 'type' and 'rope_type' disagree");
  }
  RopeScaling &scaling = config.ropeScaling;
  if (type == "default") {
    scaling.type = RopeType::Default;
  } else if (type == "linear" || type == "llama3") {
    scaling.type = type == "linear" ? RopeType::Linear : RopeType::Llama3;
    Expected<double> factor = rope.positiveNumber("factor", 0.0);
    if (!factor)
      return factor.takeError();
    if (*factor == 0.0)
      return rope.error("missing key '" + key + ".factor' (a positive number)");
    scaling.factor = *factor;
    if (scaling.type == RopeType::Llama3) {
      Expected<double> low = rope.positiveNumber("low_freq_factor", 1.0);
      Expected<double> high = rope.positiveNumber("high_freq_factor", 4.0);
      Expected<int64_t> original =
          rope.positiveInt("original_max_position_embeddings");
      if (!low)
        return low.takeError();
      if (!high)
        return high.takeError();
      if (!original)
        return original.takeError();
      scaling.lowFreqFactor = *low;
      scaling.highFreqFactor = *high;
      scaling.originalMaxPositions = *original;
    }
  } else {
    return rope.keyError(typeKey, "RoPE type '" + type +
                                      "' is not supported (expected default, "
                                      "linear or llama3)");
  }
  std::string unknown = rope.firstUnknownKey({});
  if (!unknown.empty())
    return rope.keyError(unknown, "not understood for RoPE type '" + type +
                                      "'; refusing rather than ignoring it "
                                      "(it changes the model's numbers)");
  return llvm::Error::success();
}

} // namespace

Expected<ModelConfig> hf::parseModelConfig(StringRef path) {
  Expected<llvm::json::Value> json = readJson(path);
  if (!json)
    return json.takeError();
  ConfigReader reader(path, *json->getAsObject());
  ModelConfig config;

  // Architecture: the first entry of "architectures" decides the layout; a
  // config saved without a model (no "architectures") names it by
  // "model_type".
  std::optional<std::string> modelType;
  if (reader.has("model_type")) {
    Expected<std::string> type = reader.string("model_type");
    if (!type)
      return type.takeError();
    modelType = *type;
  }
  const llvm::json::Value *archs = reader.find("architectures");
  if (archs && archs->kind() != llvm::json::Value::Null) {
    const llvm::json::Array *archList = archs->getAsArray();
    if (!archList || archList->empty() || !(*archList)[0].getAsString())
      return reader.error(
          "key 'architectures': expected a non-empty list of strings");
    config.architecture = (*archList)[0].getAsString()->str();
  } else if (modelType) {
    config.architecture = llvm::StringSwitch<std::string>(*modelType)
                              .Case("llama", "LlamaForCausalLM")
                              .Case("mistral", "MistralForCausalLM")
                              .Case("mixtral", "MixtralForCausalLM")
                              .Case("bamboo", "BambooForCausalLM")
                              .Default("");
    if (config.architecture.empty())
      return reader.error("no 'architectures' and unsupported model_type '" +
                          *modelType +
                          "' (expected llama, mistral, mixtral or bamboo)");
  } else {
    return reader.error("missing key 'architectures' (and no 'model_type')");
  }
  std::optional<ModelFamily> family =
      llvm::StringSwitch<std::optional<ModelFamily>>(config.architecture)
          .Cases(
              {"LlamaForCausalLM", "MistralForCausalLM", "BambooForCausalLM"},
              ModelFamily::Llama)
          .Cases({"MixtralForCausalLM", "TurboSparseMixtralForCausalLM"},
                 ModelFamily::Mixtral)
          .Default(std::nullopt);
  if (!family)
    return reader.error("unsupported architecture '" + config.architecture +
                        "' (expected LlamaForCausalLM, MistralForCausalLM, "
                        "BambooForCausalLM, MixtralForCausalLM or "
                        "TurboSparseMixtralForCausalLM)");
  config.family = *family;

  if (reader.has("quantization_config"))
    return reader.error(
        "key 'quantization_config': quantized Hugging Face checkpoints are "
        "not supported; use the f32/f16/bf16 checkpoint or a GGUF file");

  for (auto [field, key] :
       {std::pair{&config.hiddenSize, "hidden_size"},
        std::pair{&config.intermediateSize, "intermediate_size"},
        std::pair{&config.numLayers, "num_hidden_layers"},
        std::pair{&config.numHeads, "num_attention_heads"},
        std::pair{&config.vocabSize, "vocab_size"}})
    if (llvm::Error err = assignTo(*field, reader.positiveInt(key)))
      return std::move(err);
  // HF defaults when absent (or null).
  if (llvm::Error err = assignTo(
          config.numKvHeads,
          reader.optionalPositiveInt("num_key_value_heads", config.numHeads)))
    return std::move(err);
  if (llvm::Error err =
          assignTo(config.maxPositions,
                   reader.optionalPositiveInt("max_position_embeddings", 4096)))
    return std::move(err);
  if (!reader.has("head_dim") && config.hiddenSize % config.numHeads != 0)
    return reader.error("hidden_size (" + llvm::Twine(config.hiddenSize) +
                        ") is not a multiple of num_attention_heads (" +
                        llvm::Twine(config.numHeads) +
                        ") and no head_dim is given");
  if (llvm::Error err = assignTo(
          config.headDim, reader.optionalPositiveInt(
                              "head_dim", config.hiddenSize / config.numHeads)))
    return std::move(err);

  if (llvm::Error err = readRope(reader, config))
    return std::move(err);
  Expected<double> eps = reader.positiveNumber("rms_norm_eps", 1e-6);
  if (!eps)
    return eps.takeError();
  config.rmsNormEps = *eps;
  Expected<bool> tied = reader.boolean("tie_word_embeddings", false);
  if (!tied)
    return tied.takeError();
  config.tieWordEmbeddings = *tied;

  // Sliding window (Mistral). "use_sliding_window": false switches it off.
  Expected<bool> useWindow = reader.boolean("use_sliding_window", true);
  if (!useWindow)
    return useWindow.takeError();
  if (reader.has("sliding_window")) {
    std::optional<int64_t> window =
        reader.find("sliding_window")->getAsInteger();
    if (!window || *window <= 0)
      return reader.error(
          "key 'sliding_window': expected a positive integer or null, got " +
          ConfigReader::describe(*reader.find("sliding_window")));
    if (*useWindow)
      config.slidingWindow = *window;
  }

  for (StringRef key : {"attention_bias", "mlp_bias"}) {
    Expected<bool> bias = reader.boolean(key, false);
    if (!bias)
      return bias.takeError();
    if (*bias)
      return reader.error("'" + key + "': biases are not supported");
  }
  // pretraining_tp > 1 only slices the same matmuls during training.
  if (reader.has("pretraining_tp"))
    if (Expected<int64_t> tp = reader.positiveInt("pretraining_tp"); !tp)
      return tp.takeError();
  // The storage type is the tensors' own; the key is only checked.
  for (StringRef key : {"torch_dtype", "dtype"})
    if (reader.has(key))
      if (Expected<std::string> dtype = reader.string(key); !dtype)
        return dtype.takeError();

  // Activation. TurboSparse checkpoints say "relu" and mean dReLU (relu on
  // both gate and up); plain Llama-family "relu" is ReGLU.
  Expected<std::string> act = reader.string("hidden_act");
  if (!act)
    return act.takeError();
  bool turboSparse = config.architecture == "BambooForCausalLM" ||
                     config.architecture == "TurboSparseMixtralForCausalLM";
  std::optional<llm::Activation> activation;
  if (*act == "relu")
    activation = turboSparse ? llm::Activation::DReLU : llm::Activation::ReLU;
  else if (*act == "silu" || *act == "swish")
    activation = llm::Activation::SwiGLU;
  else if (*act == "relu2")
    activation = llm::Activation::SquaredReLU;
  else if (*act == "gelu" || *act == "gelu_pytorch_tanh" || *act == "gelu_new")
    activation = llm::Activation::GELU;
  if (!activation)
    return reader.error("key 'hidden_act': unsupported activation '" + *act +
                        "' (expected relu, silu, relu2 or gelu)");
  config.activation = *activation;

  if (config.isMoE()) {
    if (llvm::Error err = assignTo(config.numExperts,
                                   reader.positiveInt("num_local_experts")))
      return std::move(err);
    if (llvm::Error err =
            assignTo(config.topK, reader.positiveInt("num_experts_per_tok")))
      return std::move(err);
  }

  // Predictor threshold: sparsec's own key, or PowerInfer's.
  if (const llvm::json::Value *predictor = reader.find("sparsec_predictor")) {
    const llvm::json::Object *section = predictor->getAsObject();
    if (!section)
      return reader.error("key 'sparsec_predictor': expected an object");
    if (const llvm::json::Value *threshold = section->get("threshold")) {
      std::optional<double> value = threshold->getAsNumber();
      if (!value)
        return reader.error(
            "key 'sparsec_predictor.threshold': expected a number");
      config.predictorThreshold = *value;
    }
    if (const llvm::json::Value *input = section->get("input"))
      if (input->getAsString() != std::optional<StringRef>("residual"))
        return reader.error("key 'sparsec_predictor.input': only 'residual' "
                            "(the FFN block's input) is supported");
  }
  if (reader.has("sparse_threshold")) {
    std::optional<double> value =
        reader.find("sparse_threshold")->getAsNumber();
    if (!value)
      return reader.error("key 'sparse_threshold': expected a number");
    if (!config.predictorThreshold)
      config.predictorThreshold = *value;
  }

  // Special tokens: config.json, then generation_config.json beside it.
  if (reader.has("bos_token_id")) {
    std::vector<int64_t> bos;
    if (llvm::Error err = reader.tokenIds("bos_token_id", bos))
      return std::move(err);
    if (bos.size() == 1)
      config.bosTokenId = bos[0];
  }
  if (llvm::Error err = reader.tokenIds("eos_token_id", config.eosTokenIds))
    return std::move(err);
  llvm::SmallString<256> generationPath(llvm::sys::path::parent_path(path));
  llvm::sys::path::append(generationPath, "generation_config.json");
  if (llvm::sys::fs::exists(generationPath)) {
    Expected<llvm::json::Value> generation = readJson(generationPath);
    if (!generation)
      return generation.takeError();
    ConfigReader genReader(generationPath, *generation->getAsObject());
    if (llvm::Error err =
            genReader.tokenIds("eos_token_id", config.eosTokenIds))
      return std::move(err);
    if (genReader.has("bos_token_id") && !config.bosTokenId) {
      std::vector<int64_t> bos;
      if (llvm::Error err = genReader.tokenIds("bos_token_id", bos))
        return std::move(err);
      if (bos.size() == 1)
        config.bosTokenId = bos[0];
    }
  }

  // The format-neutral checks follow; these name config.json's keys.
  if (config.numHeads % config.numKvHeads != 0)
    return reader.error("num_attention_heads (" + llvm::Twine(config.numHeads) +
                        ") is not a multiple of num_key_value_heads (" +
                        llvm::Twine(config.numKvHeads) + ")");
  if (config.isMoE() && config.topK > config.numExperts)
    return reader.error("num_experts_per_tok (" + llvm::Twine(config.topK) +
                        ") exceeds num_local_experts (" +
                        llvm::Twine(config.numExperts) + ")");
  if (config.headDim % 2 != 0)
    return reader.error("head size " + llvm::Twine(config.headDim) +
                        " is odd; rotary embedding needs an even size");

  std::string unknown = reader.firstUnknownKey(kHarmlessKeys);
  if (!unknown.empty())
    return reader.error(
        "key '" + unknown +
        "' is not understood by sparsec and not known to be harmless; "
        "refusing rather than ignoring it (it may change the model's "
        "numbers)");
  if (llvm::Error err = validateModelConfig(config, path))
    return std::move(err);
  return config;
}

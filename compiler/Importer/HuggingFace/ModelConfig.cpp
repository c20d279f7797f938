//===- ModelConfig.cpp - Hugging Face config.json ---------------*- C++ -*-===//

#include "compiler/Importer/HuggingFace/ModelConfig.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir::sparsec;
using namespace mlir::sparsec::hf;
using llvm::Expected;
using llvm::StringRef;

namespace {

/// Reads typed keys from the top-level JSON object, turning every problem
/// into one error message that names the file and the key.
class ConfigReader {
public:
  ConfigReader(StringRef path, const llvm::json::Object &object)
      : path(path), object(object) {}

  llvm::Error error(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": " + message);
  }

  const llvm::json::Value *find(StringRef key) const {
    return object.get(key);
  }

  /// A JSON null counts as absent.
  bool has(StringRef key) const {
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

  Expected<int64_t> positiveInt(StringRef key) const {
    const llvm::json::Value *value = find(key);
    if (!value)
      return error("missing key '" + key + "' (a positive integer)");
    std::optional<int64_t> number = value->getAsInteger();
    if (!number || *number <= 0)
      return error("key '" + key + "': expected a positive integer, got " +
                   describe(*value));
    return *number;
  }

  Expected<double> positiveNumber(StringRef key, double fallback) const {
    if (!has(key))
      return fallback;
    std::optional<double> number = find(key)->getAsNumber();
    if (!number || !(*number > 0.0))
      return error("key '" + key + "': expected a positive number, got " +
                   describe(*find(key)));
    return *number;
  }

  Expected<std::string> string(StringRef key) const {
    const llvm::json::Value *value = find(key);
    if (!value)
      return error("missing key '" + key + "' (a string)");
    std::optional<StringRef> text = value->getAsString();
    if (!text)
      return error("key '" + key + "': expected a string, got " +
                   describe(*value));
    return text->str();
  }

  Expected<bool> boolean(StringRef key, bool fallback) const {
    if (!has(key))
      return fallback;
    std::optional<bool> flag = find(key)->getAsBoolean();
    if (!flag)
      return error("key '" + key + "': expected true or false, got " +
                   describe(*find(key)));
    return *flag;
  }

  StringRef path;
  const llvm::json::Object &object;
};

} // namespace

Expected<ModelConfig> hf::parseModelConfig(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   path + ": cannot read: " +
                                       buffer.getError().message());
  Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    std::string reason = llvm::toString(json.takeError());
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": not valid JSON: " + reason);
  }
  const llvm::json::Object *object = json->getAsObject();
  if (!object)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   path + ": expected a JSON object");
  ConfigReader reader(path, *object);
  ModelConfig config;

  // Architecture: the first entry of "architectures" decides the layout.
  const llvm::json::Value *archs = reader.find("architectures");
  const llvm::json::Array *archList = archs ? archs->getAsArray() : nullptr;
  if (!archList || archList->empty() || !(*archList)[0].getAsString())
    return reader.error(
        "key 'architectures': expected a non-empty list of strings");
  config.architecture = (*archList)[0].getAsString()->str();
  std::optional<ModelFamily> family =
      llvm::StringSwitch<std::optional<ModelFamily>>(config.architecture)
          .Cases("LlamaForCausalLM", "MistralForCausalLM", "BambooForCausalLM",
                 ModelFamily::Llama)
          .Cases("MixtralForCausalLM", "TurboSparseMixtralForCausalLM",
                 ModelFamily::Mixtral)
          .Default(std::nullopt);
  if (!family)
    return reader.error(
        "unsupported architecture '" + config.architecture +
        "' (expected LlamaForCausalLM, MistralForCausalLM, "
        "BambooForCausalLM, MixtralForCausalLM or "
        "TurboSparseMixtralForCausalLM)");
  config.family = *family;

  auto assign = [](int64_t &field, Expected<int64_t> value) -> llvm::Error {
    if (!value)
      return value.takeError();
    field = *value;
    return llvm::Error::success();
  };
  for (auto [field, key] :
       {std::pair{&config.hiddenSize, "hidden_size"},
        std::pair{&config.intermediateSize, "intermediate_size"},
        std::pair{&config.numLayers, "num_hidden_layers"},
        std::pair{&config.numHeads, "num_attention_heads"},
        std::pair{&config.vocabSize, "vocab_size"}})
    if (llvm::Error err = assign(*field, reader.positiveInt(key)))
      return std::move(err);

  config.numKvHeads = config.numHeads; // HF default when absent
  if (reader.has("num_key_value_heads"))
    if (llvm::Error err = assign(config.numKvHeads,
                                 reader.positiveInt("num_key_value_heads")))
      return std::move(err);
  config.maxPositions = 4096;
  if (reader.has("max_position_embeddings"))
    if (llvm::Error err = assign(config.maxPositions,
                                 reader.positiveInt("max_position_embeddings")))
      return std::move(err);

  if (config.hiddenSize % config.numHeads != 0)
    return reader.error("hidden_size (" + llvm::Twine(config.hiddenSize) +
                        ") is not a multiple of num_attention_heads (" +
                        llvm::Twine(config.numHeads) + ")");
  config.headDim = config.hiddenSize / config.numHeads;
  if (reader.has("head_dim")) {
    Expected<int64_t> headDim = reader.positiveInt("head_dim");
    if (!headDim)
      return headDim.takeError();
    if (*headDim != config.headDim)
      return reader.error("head_dim " + llvm::Twine(*headDim) +
                          " != hidden_size / num_attention_heads (" +
                          llvm::Twine(config.headDim) +
                          "): unsupported");
  }
  if (config.headDim % 2 != 0)
    return reader.error("head size " + llvm::Twine(config.headDim) +
                        " is odd; rotary embedding needs an even size");
  if (config.numHeads % config.numKvHeads != 0)
    return reader.error("num_attention_heads (" +
                        llvm::Twine(config.numHeads) +
                        ") is not a multiple of num_key_value_heads (" +
                        llvm::Twine(config.numKvHeads) + ")");

  Expected<double> theta = reader.positiveNumber("rope_theta", 10000.0);
  if (!theta)
    return theta.takeError();
  config.ropeTheta = *theta;
  Expected<double> eps = reader.positiveNumber("rms_norm_eps", 1e-6);
  if (!eps)
    return eps.takeError();
  config.rmsNormEps = *eps;
  Expected<bool> tied = reader.boolean("tie_word_embeddings", false);
  if (!tied)
    return tied.takeError();
  config.tieWordEmbeddings = *tied;

  // Features we do not implement are refused by name, not ignored.
  if (reader.has("sliding_window")) {
    std::optional<int64_t> window = reader.find("sliding_window")->getAsInteger();
    if (!window)
      return reader.error("key 'sliding_window': expected an integer or null");
    if (*window < config.maxPositions)
      return reader.error("sliding_window attention (window " +
                          llvm::Twine(*window) +
                          " < max_position_embeddings " +
                          llvm::Twine(config.maxPositions) +
                          ") is not supported");
  }
  if (reader.has("rope_scaling"))
    return reader.error("rope_scaling is not supported");
  for (StringRef key : {"attention_bias", "mlp_bias"}) {
    Expected<bool> bias = reader.boolean(key, false);
    if (!bias)
      return bias.takeError();
    if (*bias)
      return reader.error("'" + key + "': biases are not supported");
  }

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
  else if (*act == "gelu" || *act == "gelu_pytorch_tanh" ||
           *act == "gelu_new")
    activation = llm::Activation::GELU;
  if (!activation)
    return reader.error("key 'hidden_act': unsupported activation '" + *act +
                        "' (expected relu, silu, relu2 or gelu)");
  config.activation = *activation;

  if (config.isMoE()) {
    if (llvm::Error err = assign(config.numExperts,
                                 reader.positiveInt("num_local_experts")))
      return std::move(err);
    if (llvm::Error err = assign(config.topK,
                                 reader.positiveInt("num_experts_per_tok")))
      return std::move(err);
    if (config.topK > config.numExperts)
      return reader.error("num_experts_per_tok (" + llvm::Twine(config.topK) +
                          ") exceeds num_local_experts (" +
                          llvm::Twine(config.numExperts) + ")");
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
  } else if (reader.has("sparse_threshold")) {
    std::optional<double> value = reader.find("sparse_threshold")->getAsNumber();
    if (!value)
      return reader.error("key 'sparse_threshold': expected a number");
    config.predictorThreshold = *value;
  }
  return config;
}

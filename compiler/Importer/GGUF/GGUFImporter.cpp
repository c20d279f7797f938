//===- GGUFImporter.cpp - llama.cpp GGUF model -> llm IR --------*- C++ -*-===//
//
// Algorithm: open the file with the runtime's hardened GGUF reader; read
// the `<arch>.*` metadata into a ModelConfig (refusing keys that would
// change the numbers and that sparsec does not implement); map every tensor
// to its Hugging Face name (refusing tensors the layout does not know, such
// as biases); then build the decode step with the format-neutral builder.
// Tensors are converted only when packed (read()).
//
//===----------------------------------------------------------------------===//

#include "compiler/Importer/GGUF/GGUFImporter.h"

#include "passes/JsonFile.h"

#include "sparsec/formats/weights_hash.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <fstream>
#include <map>
#include <unordered_map>

using namespace mlir;
using namespace mlir::sparsec;
using llvm::Expected;
using llvm::StringRef;
using ::sparsec::GgmlType;
using ::sparsec::GgufFile;
using ::sparsec::GgufTensorInfo;

namespace {

/// Reads `<arch>.*` keys and remembers which were read.
class MetadataReader {
public:
  MetadataReader(const GgufFile &file, std::string arch)
      : file(file), prefix(arch + ".") {}

  llvm::Error error(const llvm::Twine &message) const {
    return inputError(file.path() + ": " + message);
  }
  static llvm::Error fromStatus(const ::sparsec::Status &status) {
    return inputError(status.message());
  }

  /// `<arch>.<key>` as an integer; nothing when absent.
  Expected<std::optional<int64_t>> optInt(StringRef key) {
    std::string full = prefix + key.str();
    consumed.insert(full);
    auto value = file.getInt(full);
    if (!value.isOk())
      return fromStatus(value.status());
    return *value;
  }
  Expected<int64_t> positive(StringRef key, std::optional<int64_t> fallback) {
    Expected<std::optional<int64_t>> value = optInt(key);
    if (!value)
      return value.takeError();
    if (!*value) {
      if (fallback)
        return *fallback;
      return error("missing key '" + prefix + key + "' (a positive integer)");
    }
    if (**value <= 0 || **value > (int64_t(1) << 31))
      return error("key '" + prefix + key +
                   "': expected a positive integer "
                   "up to 2^31, got " +
                   llvm::Twine(**value));
    return **value;
  }
  Expected<std::optional<double>> optFloat(StringRef key) {
    std::string full = prefix + key.str();
    consumed.insert(full);
    auto value = file.getFloat(full);
    if (!value.isOk())
      return fromStatus(value.status());
    return *value;
  }
  Expected<std::optional<std::string>> optString(StringRef key) {
    std::string full = prefix + key.str();
    consumed.insert(full);
    auto value = file.getString(full);
    if (!value.isOk())
      return fromStatus(value.status());
    return *value;
  }
  void harmless(StringRef key) { consumed.insert(prefix + key.str()); }

  /// The first `<arch>.*` key that was not read.
  std::string firstUnknownKey() const {
    for (const auto &[key, value] : file.metadata())
      if (StringRef(key).starts_with(prefix) && !consumed.contains(key))
        return key;
    return "";
  }

  const GgufFile &file;
  std::string prefix;
  llvm::StringSet<> consumed;
};

/// Where a Hugging Face tensor lives in the GGUF: rows [rowBegin, rowBegin
/// + rows) of a tensor seen as [numRows, rowLength], possibly with q/k rows
/// permuted back (permuteHeads > 0) or transposed.
struct Slice {
  const GgufTensorInfo *tensor = nullptr;
  int64_t rowBegin = 0;
  int64_t rows = 0;
  int64_t permuteHeads = 0;
  bool transpose = false;
};

::sparsec::DType computeTypeOf(GgmlType type) {
  switch (type) {
  case GgmlType::kF32:
    return ::sparsec::DType::kF32;
  case GgmlType::kBF16:
    return ::sparsec::DType::kBF16;
  default:
    return ::sparsec::DType::kF16; // F16, and quantized blocks dequantized
  }
}

class GGUFSource : public TensorSource {
public:
  GGUFSource(std::shared_ptr<const GgufFile> file) : file(std::move(file)) {
    originPath = this->file->path();
  }

  const SourceTensor *find(StringRef name) const override {
    auto it = tensors.find(name.str());
    return it == tensors.end() ? nullptr : &it->second.first;
  }
  const std::string &origin() const override { return originPath; }

  llvm::Error read(const SourceTensor &tensor, uint8_t *out) const override;
  llvm::Error readBlocks(const SourceTensor &tensor,
                         uint8_t *out) const override;

  /// FNV-1a over the file name, its size, everything before the tensor
  /// data (header, metadata, tensor table) and the XXH3 of the data.
  Expected<std::string> hash() const override {
    WeightsFingerprint fingerprint;
    fingerprint.mix(llvm::sys::path::filename(file->path()));
    fingerprint.mix(std::to_string(file->fileSize()));
    fingerprint.mix(StringRef(reinterpret_cast<const char *>(file->fileData()),
                              static_cast<size_t>(file->dataOffset())));
    fingerprint.mixData(file->fileData() + file->dataOffset(),
                        file->fileSize() - file->dataOffset());
    return fingerprint.hex();
  }

  /// Registers `name` for `slice`, shaped `shape`.
  void add(const std::string &name, Slice slice, std::vector<int64_t> shape) {
    SourceTensor tensor;
    tensor.name = name;
    tensor.dtype = computeTypeOf(slice.tensor->type);
    tensor.shape = std::move(shape);
    tensor.file = file->path();
    bool plain = slice.tensor->type == GgmlType::kF32 ||
                 slice.tensor->type == GgmlType::kF16 ||
                 slice.tensor->type == GgmlType::kBF16;
    if (plain && slice.permuteHeads == 0 && !slice.transpose)
      tensor.data = slice.tensor->data + static_cast<uint64_t>(slice.rowBegin) *
                                             slice.tensor->rowBytes();
    std::string stored = ::sparsec::ggmlTypeName(slice.tensor->type);
    if (slice.permuteHeads)
      stored += ", q/k rows permuted";
    if (slice.transpose)
      stored += ", transposed";
    if (!tensor.data)
      tensor.storedAs = stored;
    // Whole rows of blocks of a format !llm.quant has, which the packer
    // copies as stored (a row permutation moves rows, not blocks).
    if (!plain && !slice.transpose &&
        ::sparsec::ggmlCanQuantize(slice.tensor->type))
      tensor.blocks = slice.tensor->type;
    tensors[name] = {std::move(tensor), slice};
  }

  std::shared_ptr<const GgufFile> file;
  std::string originPath;
  std::unordered_map<std::string, std::pair<SourceTensor, Slice>> tensors;
};

/// GGUF row of Hugging Face row `r` in a [heads * d, ...] q or k matrix:
/// llama.cpp's converter interleaves the two rotary halves of each head
/// (row (h, half j, i) moved to (h, i, j)); this undoes it.
int64_t permutedRow(int64_t r, int64_t heads, int64_t rows) {
  int64_t d = rows / heads, half = d / 2;
  int64_t h = r / d, within = r % d;
  int64_t j = within / half, i = within % half;
  return h * d + 2 * i + j;
}

llvm::Error GGUFSource::read(const SourceTensor &tensor, uint8_t *out) const {
  auto it = tensors.find(tensor.name);
  if (it == tensors.end())
    return inputError(originPath + ": tensor '" + tensor.name +
                      "' is not in this GGUF's layout");
  const Slice &slice = it->second.second;
  const GgufTensorInfo &src = *slice.tensor;
  const int64_t length = src.rowLength();
  const uint64_t srcRowBytes = src.rowBytes();
  const size_t outSize = ::sparsec::dtypeSize(tensor.dtype);
  const bool plain = src.type == GgmlType::kF32 || src.type == GgmlType::kF16 ||
                     src.type == GgmlType::kBF16;
  std::vector<float> row(static_cast<size_t>(length));

  // Element (r, c) of the slice as f32 rows are produced one at a time.
  auto sourceRow = [&](int64_t r) {
    int64_t inSlice =
        slice.permuteHeads ? permutedRow(r, slice.permuteHeads, slice.rows) : r;
    return src.data +
           static_cast<uint64_t>(slice.rowBegin + inSlice) * srcRowBytes;
  };
  auto store = [&](float value, uint8_t *dst) {
    switch (tensor.dtype) {
    case ::sparsec::DType::kF32:
      std::memcpy(dst, &value, 4);
      break;
    case ::sparsec::DType::kBF16: {
      uint16_t bits = ::sparsec::floatToBF16(value);
      std::memcpy(dst, &bits, 2);
      break;
    }
    default: {
      uint16_t bits = ::sparsec::floatToHalf(value);
      std::memcpy(dst, &bits, 2);
      break;
    }
    }
  };

  for (int64_t r = 0; r < slice.rows; ++r) {
    const uint8_t *in = sourceRow(r);
    if (plain && !slice.transpose) {
      std::memcpy(out + static_cast<uint64_t>(r) * srcRowBytes, in,
                  srcRowBytes); // same type in and out: a row copy
      continue;
    }
    ::sparsec::Status status =
        ::sparsec::dequantizeToF32(src.type, in, length, row.data());
    if (!status.isOk())
      return inputError(originPath + ": tensor '" + src.name +
                        "': " + status.message());
    for (int64_t c = 0; c < length; ++c) {
      int64_t index = slice.transpose ? c * slice.rows + r : r * length + c;
      store(row[c], out + static_cast<uint64_t>(index) * outSize);
    }
  }
  return llvm::Error::success();
}

llvm::Error GGUFSource::readBlocks(const SourceTensor &tensor,
                                   uint8_t *out) const {
  auto it = tensors.find(tensor.name);
  if (it == tensors.end() || !tensor.blocks)
    return TensorSource::readBlocks(tensor, out);
  const Slice &slice = it->second.second;
  const uint64_t rowBytes = slice.tensor->rowBytes();
  for (int64_t r = 0; r < slice.rows; ++r) {
    int64_t inSlice =
        slice.permuteHeads ? permutedRow(r, slice.permuteHeads, slice.rows) : r;
    std::memcpy(out + static_cast<uint64_t>(r) * rowBytes,
                slice.tensor->data +
                    static_cast<uint64_t>(slice.rowBegin + inSlice) * rowBytes,
                rowBytes);
  }
  return llvm::Error::success();
}

/// Splits "blk.12.attn_q.weight" into layer 12 and "attn_q.weight".
bool splitBlockName(StringRef name, int64_t &layer, StringRef &rest) {
  if (!name.consume_front("blk."))
    return false;
  auto [number, tail] = name.split('.');
  if (number.empty() || tail.empty() || number.getAsInteger(10, layer))
    return false;
  rest = tail;
  return true;
}

} // namespace

bool gguf::isGGUFFile(StringRef path) {
  if (!llvm::sys::fs::is_regular_file(path))
    return false; // never open a FIFO: it would block
  std::ifstream in(path.str(), std::ios::binary);
  char magic[4] = {};
  if (in.read(magic, 4) && (std::memcmp(magic, "GGUF", 4) == 0 ||
                            std::memcmp(magic, "PWRI", 4) == 0))
    return true;
  return path.ends_with(".gguf");
}

Expected<ModelConfig> gguf::parseGGUFConfig(const GgufFile &file) {
  auto fail = [&](const llvm::Twine &message) {
    return inputError(file.path() + ": " + message);
  };
  auto archValue = file.getString("general.architecture");
  if (!archValue.isOk())
    return inputError(archValue.status().message());
  if (!*archValue)
    return fail("missing key 'general.architecture'");
  std::string arch = **archValue;
  if (arch != "llama" && arch != "bamboo")
    return fail("architecture '" + arch +
                "' is not supported (expected llama: Llama, Mistral, "
                "Mixtral, SmolLM2, or PowerInfer's llama/bamboo)");
  if (auto split = file.getInt("split.count");
      split.isOk() && *split && **split > 1)
    return fail("a split GGUF (" + llvm::Twine(**split) +
                " parts) is not supported; merge the parts first "
                "(llama-gguf-split --merge)");

  MetadataReader reader(file, arch);
  ModelConfig config;
  for (auto [field, key] :
       {std::pair{&config.hiddenSize, "embedding_length"},
        std::pair{&config.intermediateSize, "feed_forward_length"},
        std::pair{&config.numLayers, "block_count"},
        std::pair{&config.numHeads, "attention.head_count"},
        std::pair{&config.maxPositions, "context_length"}})
    if (llvm::Error err = assignTo(*field, reader.positive(key, std::nullopt)))
      return std::move(err);
  if (llvm::Error err =
          assignTo(config.numKvHeads,
                   reader.positive("attention.head_count_kv", config.numHeads)))
    return std::move(err);
  if (config.hiddenSize % config.numHeads != 0 &&
      !file.find(reader.prefix + "attention.key_length"))
    return fail("embedding_length " + llvm::Twine(config.hiddenSize) +
                " is not a multiple of head_count " +
                llvm::Twine(config.numHeads) + " and no key_length is given");
  if (llvm::Error err = assignTo(
          config.headDim, reader.positive("attention.key_length",
                                          config.hiddenSize / config.numHeads)))
    return std::move(err);
  Expected<int64_t> valueLength =
      reader.positive("attention.value_length", config.headDim);
  if (!valueLength)
    return valueLength.takeError();
  if (*valueLength != config.headDim)
    return fail("key '" + reader.prefix + "attention.value_length' (" +
                llvm::Twine(*valueLength) + ") differs from key_length (" +
                llvm::Twine(config.headDim) + "); not supported");
  Expected<int64_t> rotary =
      reader.positive("rope.dimension_count", config.headDim);
  if (!rotary)
    return rotary.takeError();
  if (*rotary != config.headDim)
    return fail("key '" + reader.prefix + "rope.dimension_count' is " +
                llvm::Twine(*rotary) + ", but the head size is " +
                llvm::Twine(config.headDim) +
                ": partial rotary embedding is not supported");

  Expected<std::optional<double>> theta = reader.optFloat("rope.freq_base");
  if (!theta)
    return theta.takeError();
  config.ropeTheta = theta->value_or(10000.0);
  Expected<std::optional<double>> eps =
      reader.optFloat("attention.layer_norm_rms_epsilon");
  if (!eps)
    return eps.takeError();
  config.rmsNormEps = eps->value_or(1e-5);

  Expected<std::optional<std::string>> scaling =
      reader.optString("rope.scaling.type");
  if (!scaling)
    return scaling.takeError();
  reader.harmless("rope.scaling.original_context_length");
  reader.harmless("rope.scaling.finetuned");
  if (*scaling && **scaling != "none") {
    if (**scaling != "linear")
      return fail("key '" + reader.prefix + "rope.scaling.type': '" +
                  **scaling + "' is not supported (expected none or linear)");
    Expected<std::optional<double>> factor =
        reader.optFloat("rope.scaling.factor");
    if (!factor)
      return factor.takeError();
    if (!*factor || !(**factor > 0.0))
      return fail("key '" + reader.prefix +
                  "rope.scaling.factor': expected a positive number");
    config.ropeScaling.type = RopeType::Linear;
    config.ropeScaling.factor = **factor;
  } else {
    reader.harmless("rope.scaling.factor");
  }
  Expected<std::optional<int64_t>> window =
      reader.optInt("attention.sliding_window");
  if (!window)
    return window.takeError();
  if (*window && **window > 0)
    config.slidingWindow = **window;

  Expected<std::optional<int64_t>> experts = reader.optInt("expert_count");
  Expected<std::optional<int64_t>> used = reader.optInt("expert_used_count");
  if (!experts)
    return experts.takeError();
  if (!used)
    return used.takeError();
  if (experts->value_or(0) > 0) {
    config.family = ModelFamily::Mixtral;
    config.numExperts = **experts;
    config.topK = used->value_or(2);
  }
  // PowerInfer's sparse files: "bamboo" (TurboSparse-Mistral) FFNs are
  // dReLU, relu(gate x) * relu(up x); its sparse "llama" models (ReluLLaMA,
  // ProSparse) are ReGLU, relu(gate x) * (up x). Both predict neurons from
  // the residual stream, active when the score reaches the threshold.
  bool predictors = file.findTensor("blk.0.fc1.weight") != nullptr;
  if (arch == "bamboo") {
    config.architecture = "BambooForCausalLM";
    config.activation = llm::Activation::DReLU;
  } else {
    config.architecture =
        config.isMoE() ? "MixtralForCausalLM" : "LlamaForCausalLM";
    config.activation =
        predictors ? llm::Activation::ReLU : llm::Activation::SwiGLU;
  }
  auto threshold = file.getFloat("powerinfer.sparse_threshold");
  if (!threshold.isOk())
    return inputError(threshold.status().message());
  if (*threshold)
    config.predictorThreshold = **threshold;

  // Vocabulary: the key, else the embedding table's rows.
  Expected<std::optional<int64_t>> vocab = reader.optInt("vocab_size");
  if (!vocab)
    return vocab.takeError();
  if (*vocab) {
    config.vocabSize = **vocab;
  } else if (const GgufTensorInfo *table = file.findTensor("token_embd.weight");
             table && table->shape.size() == 2) {
    config.vocabSize = table->shape[0];
  } else {
    return fail("no '" + reader.prefix +
                "vocab_size' and no 2-D token_embd.weight to infer it from");
  }
  config.tieWordEmbeddings = !file.findTensor("output.weight");

  // Llama 3.1 style frequency factors.
  if (const GgufTensorInfo *freqs = file.findTensor("rope_freqs.weight")) {
    if (freqs->type != GgmlType::kF32 || freqs->shape.size() != 1)
      return fail("tensor 'rope_freqs.weight': expected a 1-D F32 tensor");
    config.ropeScaling.freqFactors.resize(freqs->shape[0]);
    std::memcpy(config.ropeScaling.freqFactors.data(), freqs->data,
                freqs->nbytes);
  }

  // Special tokens.
  for (const char *key :
       {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.eom_token_id"}) {
    auto id = file.getInt(key);
    if (!id.isOk())
      return inputError(id.status().message());
    if (*id && llvm::find(config.eosTokenIds, **id) == config.eosTokenIds.end())
      config.eosTokenIds.push_back(**id);
  }
  auto bos = file.getInt("tokenizer.ggml.bos_token_id");
  if (!bos.isOk())
    return inputError(bos.status().message());
  if (*bos)
    config.bosTokenId = **bos;

  std::string unknown = reader.firstUnknownKey();
  if (!unknown.empty())
    return fail("key '" + unknown +
                "' is not understood by sparsec; refusing rather than "
                "ignoring it (it may change the model's numbers)");
  if (llvm::Error err = validateModelConfig(config, file.path()))
    return std::move(err);
  return config;
}

Expected<std::unique_ptr<TensorSource>>
gguf::openGGUFSource(std::shared_ptr<const GgufFile> file,
                     const ModelConfig &config) {
  auto source = std::make_unique<GGUFSource>(file);
  auto fail = [&](const llvm::Twine &message) {
    return inputError(file->path() + ": " + message);
  };
  const int64_t h = config.hiddenSize, inter = config.intermediateSize;
  const int64_t experts = config.numExperts;

  for (const GgufTensorInfo &tensor : file->tensors()) {
    StringRef name = tensor.name;
    if (!::sparsec::ggmlCanDequantize(tensor.type))
      return fail("tensor '" + name + "' has type " +
                  ::sparsec::ggmlTypeName(tensor.type) +
                  ", which sparsec cannot read (expected F32, F16, BF16, "
                  "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K or Q6_K)");
    Slice whole{&tensor, 0, tensor.numRows(), 0, false};
    if (name == "token_embd.weight") {
      source->add("model.embed_tokens.weight", whole, tensor.shape);
      continue;
    }
    if (name == "output_norm.weight") {
      source->add("model.norm.weight", whole, tensor.shape);
      continue;
    }
    if (name == "output.weight") {
      source->add("lm_head.weight", whole, tensor.shape);
      continue;
    }
    if (name == "rope_freqs.weight")
      continue; // read into the config
    int64_t layer = 0;
    StringRef rest;
    if (!splitBlockName(name, layer, rest) || layer >= config.numLayers)
      return fail("tensor '" + name +
                  "' is not part of the layout sparsec knows; refusing "
                  "rather than ignoring it");
    std::string p = "model.layers." + std::to_string(layer) + ".";
    static const std::map<std::string, std::string> kPlain = {
        {"attn_norm.weight", "input_layernorm.weight"},
        {"attn_v.weight", "self_attn.v_proj.weight"},
        {"attn_output.weight", "self_attn.o_proj.weight"},
        {"ffn_norm.weight", "post_attention_layernorm.weight"},
        {"ffn_gate.weight", "mlp.gate_proj.weight"},
        {"ffn_up.weight", "mlp.up_proj.weight"},
        {"ffn_down.weight", "mlp.down_proj.weight"},
        {"ffn_gate_inp.weight", "block_sparse_moe.gate.weight"},
        // PowerInfer: the predictor of each dense FFN.
        {"fc1.weight", "mlp.predictor.fc1.weight"},
        {"fc2.weight", "mlp.predictor.fc2.weight"},
    };
    if (auto it = kPlain.find(rest.str()); it != kPlain.end()) {
      source->add(p + it->second, whole, tensor.shape);
      continue;
    }
    if (rest == "attn_q.weight" || rest == "attn_k.weight") {
      Slice permuted = whole;
      permuted.permuteHeads =
          rest == "attn_q.weight" ? config.numHeads : config.numKvHeads;
      if (tensor.shape.size() != 2 ||
          tensor.shape[0] != permuted.permuteHeads * config.headDim)
        return fail("tensor '" + name + "' has shape " +
                    ::sparsec::formatShape(tensor.shape) + ", expected [" +
                    llvm::Twine(permuted.permuteHeads * config.headDim) + "x" +
                    llvm::Twine(h) + "]");
      source->add(p + (rest == "attn_q.weight" ? "self_attn.q_proj.weight"
                                               : "self_attn.k_proj.weight"),
                  permuted, tensor.shape);
      continue;
    }
    if (rest == "ffn_down_t.weight") {
      // PowerInfer stores down transposed: [intermediate, hidden].
      if (tensor.shape.size() != 2)
        return fail("tensor '" + name + "' must be a matrix");
      Slice transposed = whole;
      transposed.transpose = true;
      source->add(p + "mlp.down_proj.weight", transposed,
                  {tensor.shape[1], tensor.shape[0]});
      continue;
    }
    // Mixtral experts, merged ([experts, rows, cols]) or one per expert.
    static const std::map<std::string, std::pair<std::string, bool>> kExperts =
        {{"ffn_gate_exps.weight", {"w1", true}},
         {"ffn_down_exps.weight", {"w2", false}},
         {"ffn_up_exps.weight", {"w3", true}}};
    if (auto it = kExperts.find(rest.str()); it != kExperts.end()) {
      int64_t rows = it->second.second ? inter : h;
      int64_t cols = it->second.second ? h : inter;
      if (tensor.shape != std::vector<int64_t>{experts, rows, cols})
        return fail("tensor '" + name + "' has shape " +
                    ::sparsec::formatShape(tensor.shape) + ", expected " +
                    ::sparsec::formatShape({experts, rows, cols}));
      for (int64_t e = 0; e < experts; ++e)
        source->add(p + "block_sparse_moe.experts." + std::to_string(e) + "." +
                        it->second.first + ".weight",
                    Slice{&tensor, e * rows, rows, 0, false}, {rows, cols});
      continue;
    }
    // Older files: blk.N.ffn_gate.E.weight.
    StringRef kind, expertText;
    std::tie(kind, expertText) = rest.split('.');
    int64_t expert = 0;
    static const std::map<std::string, std::string> kPerExpert = {
        {"ffn_gate", "w1"}, {"ffn_down", "w2"}, {"ffn_up", "w3"}};
    if (auto it = kPerExpert.find(kind.str());
        it != kPerExpert.end() && expertText.consume_back(".weight") &&
        !expertText.getAsInteger(10, expert) && expert < experts) {
      source->add(p + "block_sparse_moe.experts." + std::to_string(expert) +
                      "." + it->second + ".weight",
                  whole, tensor.shape);
      continue;
    }
    return fail("tensor '" + name +
                "' is not part of the layout sparsec knows; refusing rather "
                "than ignoring it");
  }
  return std::unique_ptr<TensorSource>(std::move(source));
}

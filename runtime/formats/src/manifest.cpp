//===- manifest.cpp - a compiled model's manifest.json ----------*- C++ -*-===//
//
// Parsing never throws: the JSON is parsed with exceptions off and every
// value's type is checked before it is read. Errors read
//   OUT/manifest.json: key 'tensors[3].offset': expected a non-negative
//   integer, got string
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/manifest.h"

#include "sparsec/formats/json.h"
#include "sparsec/formats/limits.h"
#include "sparsec/formats/mapped_file.h"
#include "sparsec/kernel_abi.h"
#include "sparsec/manifest_schema.h"
#include "sparsec/weights_layout.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

namespace sparsec {

using nlohmann::json;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

/// "tokenizer.KEY", a key of the tokenizer section as errors name it.
#define TOKENIZER_KEY(key) SPARSEC_MANIFEST_KEY_TOKENIZER "." key

/// "string", "integer -3", "number 1.5": what a value is, for messages.
std::string describe(const json &value) {
  if (value.is_number_integer())
    return "integer " + value.dump();
  if (value.is_number_float())
    return "number " + value.dump();
  if (value.is_boolean())
    return "boolean " + value.dump();
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (text.size() > 40)
      text = text.substr(0, 40) + "...";
    return "string '" + text + "'";
  }
  return value.type_name();
}

/// Reads typed keys of one manifest, producing the one-line errors.
class Reader {
public:
  explicit Reader(const std::string &path) : path_(path) {}

  /// `what` may quote values read from the file: it is escapped whole
  /// (escapeForMessage), so the message stays one line.
  Status error(const std::string &key, const std::string &what) const {
    return Status(StatusCode::kDataLoss, escapeForMessage(path_) + ": key '" +
                                             key +
                                             "': " + escapeForMessage(what));
  }
  Status expected(const std::string &key, const std::string &what,
                  const json &found) const {
    return error(key, "expected " + what + ", got " + describe(found));
  }

  /// The member `name` of `object`; `key` is its full name for messages.
  Status member(const json &object, const char *name, const std::string &key,
                const json *&out) const {
    auto it = object.find(name);
    if (it == object.end())
      return error(key, "missing");
    out = &*it;
    return Status::ok();
  }

  Status string(const json &object, const char *name, const std::string &key,
                std::string &out, bool allowEmpty = false) const {
    const json *value = nullptr;
    if (Status status = member(object, name, key, value); !status.isOk())
      return status;
    if (!value->is_string())
      return expected(key, "a string", *value);
    out = value->get<std::string>();
    if (out.empty() && !allowEmpty)
      return error(key, "expected a non-empty string");
    return Status::ok();
  }

  /// An integer value in [minValue, maxValue].
  Status integer(const json &value, const std::string &key, int64_t minValue,
                 int64_t maxValue, int64_t &out) const {
    std::string range = "an integer in [" + std::to_string(minValue) + ", " +
                        std::to_string(maxValue) + "]";
    if (minValue == 0 && maxValue == kInt64Max)
      range = "a non-negative integer";
    else if (minValue == 1 && maxValue == kInt64Max)
      range = "a positive integer";
    if (value.is_number_unsigned()) {
      uint64_t raw = value.get<uint64_t>();
      if (raw > static_cast<uint64_t>(maxValue))
        return expected(key, range, value);
      out = static_cast<int64_t>(raw);
    } else if (value.is_number_integer()) {
      out = value.get<int64_t>();
    } else {
      return expected(key, range, value);
    }
    if (out < minValue || out > maxValue)
      return expected(key, range, value);
    return Status::ok();
  }

  Status integer(const json &object, const char *name, const std::string &key,
                 int64_t minValue, int64_t maxValue, int64_t &out) const {
    const json *value = nullptr;
    if (Status status = member(object, name, key, value); !status.isOk())
      return status;
    return integer(*value, key, minValue, maxValue, out);
  }

  /// A non-negative integer up to 2^64 - 1.
  Status size(const json &object, const char *name, const std::string &key,
              uint64_t &out) const {
    const json *value = nullptr;
    if (Status status = member(object, name, key, value); !status.isOk())
      return status;
    if (value->is_number_unsigned()) {
      out = value->get<uint64_t>();
      return Status::ok();
    }
    if (value->is_number_integer() && value->get<int64_t>() >= 0) {
      out = static_cast<uint64_t>(value->get<int64_t>());
      return Status::ok();
    }
    return expected(key, "a non-negative integer", *value);
  }

  Status array(const json &object, const char *name, const std::string &key,
               const json *&out) const {
    if (Status status = member(object, name, key, out); !status.isOk())
      return status;
    if (!out->is_array())
      return expected(key, "an array", *out);
    return Status::ok();
  }

  Status objectMember(const json &object, const char *name,
                      const std::string &key, const json *&out) const {
    if (Status status = member(object, name, key, out); !status.isOk())
      return status;
    if (!out->is_object())
      return expected(key, "an object", *out);
    return Status::ok();
  }

  const std::string &path() const { return path_; }

private:
  const std::string &path_;
};

bool isHexDigits(const std::string &text, size_t count) {
  if (text.size() != count)
    return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

std::string indexed(const char *array, size_t index, const char *field) {
  return std::string(array) + "[" + std::to_string(index) + "]." + field;
}

Status parseTensor(const Reader &reader, const json &entry, size_t index,
                   ManifestTensor &tensor) {
  std::string where = std::string(SPARSEC_MANIFEST_KEY_TENSORS) + "[" +
                      std::to_string(index) + "]";
  if (!entry.is_object())
    return reader.expected(where, "an object", entry);
  if (Status status = reader.string(entry, SPARSEC_MANIFEST_TENSOR_KEY_NAME,
                                    indexed(SPARSEC_MANIFEST_KEY_TENSORS, index,
                                            SPARSEC_MANIFEST_TENSOR_KEY_NAME),
                                    tensor.name);
      !status.isOk())
    return status;

  std::string dtypeKey = indexed(SPARSEC_MANIFEST_KEY_TENSORS, index,
                                 SPARSEC_MANIFEST_TENSOR_KEY_DTYPE);
  std::string dtypeText;
  if (Status status = reader.string(entry, SPARSEC_MANIFEST_TENSOR_KEY_DTYPE,
                                    dtypeKey, dtypeText);
      !status.isOk())
    return status;
  std::optional<DType> dtype = dtypeFromName(dtypeText);
  if (!dtype)
    return reader.error(dtypeKey, "unknown dtype '" + dtypeText +
                                      "' (expected a safetensors dtype such "
                                      "as F32, F16, BF16)");
  tensor.dtype = *dtype;

  std::string shapeKey = indexed(SPARSEC_MANIFEST_KEY_TENSORS, index,
                                 SPARSEC_MANIFEST_TENSOR_KEY_SHAPE);
  const json *shape = nullptr;
  if (Status status = reader.array(entry, SPARSEC_MANIFEST_TENSOR_KEY_SHAPE,
                                   shapeKey, shape);
      !status.isOk())
    return status;
  uint64_t elements = 1;
  bool overflow = false;
  for (size_t d = 0; d < shape->size(); ++d) {
    int64_t dim = 0;
    if (Status status = reader.integer((*shape)[d],
                                       shapeKey + "[" + std::to_string(d) + "]",
                                       0, kInt64Max, dim);
        !status.isOk())
      return status;
    tensor.shape.push_back(dim);
    overflow |=
        __builtin_mul_overflow(elements, static_cast<uint64_t>(dim), &elements);
  }

  if (Status status = reader.size(entry, SPARSEC_MANIFEST_TENSOR_KEY_OFFSET,
                                  indexed(SPARSEC_MANIFEST_KEY_TENSORS, index,
                                          SPARSEC_MANIFEST_TENSOR_KEY_OFFSET),
                                  tensor.offset);
      !status.isOk())
    return status;
  std::string nbytesKey = indexed(SPARSEC_MANIFEST_KEY_TENSORS, index,
                                  SPARSEC_MANIFEST_TENSOR_KEY_NBYTES);
  if (Status status = reader.size(entry, SPARSEC_MANIFEST_TENSOR_KEY_NBYTES,
                                  nbytesKey, tensor.nbytes);
      !status.isOk())
    return status;
  uint64_t expectedBytes = 0;
  overflow |=
      __builtin_mul_overflow(elements, dtypeSize(tensor.dtype), &expectedBytes);
  if (overflow || tensor.nbytes != expectedBytes)
    return reader.error(nbytesKey,
                        "expected " +
                            (overflow ? std::string("a representable size")
                                      : std::to_string(expectedBytes)) +
                            " (dtype " + dtypeText + " x shape " +
                            formatShape(tensor.shape) + "), got " +
                            std::to_string(tensor.nbytes));
  return Status::ok();
}

Status parseFfn(const Reader &reader, const json &entry, size_t index,
                int64_t numLayers, ManifestFfn &ffn) {
  std::string where = std::string(SPARSEC_MANIFEST_KEY_FFNS) + "[" +
                      std::to_string(index) + "]";
  if (!entry.is_object())
    return reader.expected(where, "an object", entry);
  if (Status status = reader.integer(entry, SPARSEC_MANIFEST_FFN_KEY_LAYER,
                                     indexed(SPARSEC_MANIFEST_KEY_FFNS, index,
                                             SPARSEC_MANIFEST_FFN_KEY_LAYER),
                                     0, numLayers - 1, ffn.layer);
      !status.isOk())
    return status;
  if (Status status =
          reader.integer(entry, SPARSEC_MANIFEST_FFN_KEY_EXPERT,
                         indexed(SPARSEC_MANIFEST_KEY_FFNS, index,
                                 SPARSEC_MANIFEST_FFN_KEY_EXPERT),
                         SPARSEC_MANIFEST_FFN_NO_EXPERT,
                         std::numeric_limits<int32_t>::max(), ffn.expert);
      !status.isOk())
    return status;
  if (Status status =
          reader.integer(entry, SPARSEC_MANIFEST_FFN_KEY_NEURONS,
                         indexed(SPARSEC_MANIFEST_KEY_FFNS, index,
                                 SPARSEC_MANIFEST_FFN_KEY_NEURONS),
                         1, std::numeric_limits<int32_t>::max(), ffn.neurons);
      !status.isOk())
    return status;
  std::string modeKey =
      indexed(SPARSEC_MANIFEST_KEY_FFNS, index, SPARSEC_MANIFEST_FFN_KEY_MODE);
  std::string mode;
  if (Status status =
          reader.string(entry, SPARSEC_MANIFEST_FFN_KEY_MODE, modeKey, mode);
      !status.isOk())
    return status;
  if (mode == SPARSEC_MANIFEST_FFN_MODE_DENSE)
    ffn.mode = FfnMode::kDense;
  else if (mode == SPARSEC_MANIFEST_FFN_MODE_EXACT)
    ffn.mode = FfnMode::kExact;
  else if (mode == SPARSEC_MANIFEST_FFN_MODE_PREDICTED)
    ffn.mode = FfnMode::kPredicted;
  else if (mode == SPARSEC_MANIFEST_FFN_MODE_THRESHOLD)
    ffn.mode = FfnMode::kThreshold;
  else
    return reader.error(modeKey, "unknown mode '" + mode +
                                     "' (expected dense, exact, predicted or "
                                     "threshold)");
  if (Status status = reader.size(entry, SPARSEC_MANIFEST_FFN_KEY_FIXED_BYTES,
                                  indexed(SPARSEC_MANIFEST_KEY_FFNS, index,
                                          SPARSEC_MANIFEST_FFN_KEY_FIXED_BYTES),
                                  ffn.fixedBytes);
      !status.isOk())
    return status;
  return reader.size(entry, SPARSEC_MANIFEST_FFN_KEY_ROW_BYTES,
                     indexed(SPARSEC_MANIFEST_KEY_FFNS, index,
                             SPARSEC_MANIFEST_FFN_KEY_ROW_BYTES),
                     ffn.rowBytes);
}

} // namespace

const char *ffnModeName(FfnMode mode) {
  switch (mode) {
  case FfnMode::kDense:
    return SPARSEC_MANIFEST_FFN_MODE_DENSE;
  case FfnMode::kExact:
    return SPARSEC_MANIFEST_FFN_MODE_EXACT;
  case FfnMode::kPredicted:
    return SPARSEC_MANIFEST_FFN_MODE_PREDICTED;
  case FfnMode::kThreshold:
    return SPARSEC_MANIFEST_FFN_MODE_THRESHOLD;
  }
  return "?";
}

StatusOr<Manifest> Manifest::load(const std::string &path) {
  StatusOr<MappedFile> file = MappedFile::open(path);
  if (!file.isOk())
    return Status(file.status().code(),
                  file.status().message() + " (the model's manifest)");
  const char *text = reinterpret_cast<const char *>(file->data());
  // The size limit before the copy; parse() checks the rest.
  if (Status status =
          limits::checkJsonLimits(text ? text : "", file->size(), path);
      !status.isOk())
    return status;
  return parse(std::string(text ? text : "", file->size()), path);
}

StatusOr<Manifest> Manifest::parse(const std::string &text,
                                   const std::string &path) {
  // Bounded (limits.h), and no key twice: nlohmann would keep the last.
  json root;
  JsonParseOptions options;
  options.rejectDuplicateKeys = true;
  if (Status status = parseJson(text, path, root, options); !status.isOk())
    return status;
  const std::string quotedPath = escapeForMessage(path);
  if (root.is_discarded())
    return Status(StatusCode::kDataLoss, quotedPath + ": not valid JSON");
  if (!root.is_object())
    return Status(StatusCode::kDataLoss, quotedPath +
                                             ": expected a JSON object, got " +
                                             root.type_name());
  Reader reader(path);
  Manifest manifest;

  // Identity first, so that a file of another kind or version is named as
  // such rather than failing on some later key.
  std::string format;
  if (Status status = reader.string(root, SPARSEC_MANIFEST_KEY_FORMAT,
                                    SPARSEC_MANIFEST_KEY_FORMAT, format);
      !status.isOk())
    return status;
  if (format != kManifestFormat)
    return reader.error(SPARSEC_MANIFEST_KEY_FORMAT,
                        "expected '" + std::string(kManifestFormat) +
                            "', got '" + format + "' (not a sparsec manifest)");
  if (Status status = reader.integer(root, SPARSEC_MANIFEST_KEY_ABI_VERSION,
                                     SPARSEC_MANIFEST_KEY_ABI_VERSION, 0,
                                     kInt64Max, manifest.abiVersion);
      !status.isOk())
    return status;
  if (manifest.abiVersion != SPARSEC_KERNEL_ABI_VERSION)
    return Status(StatusCode::kFailedPrecondition,
                  quotedPath +
                      ": key '" SPARSEC_MANIFEST_KEY_ABI_VERSION
                      "': the model was compiled for "
                      "kernel ABI version " +
                      std::to_string(manifest.abiVersion) +
                      ", this runtime implements version " +
                      std::to_string(SPARSEC_KERNEL_ABI_VERSION) +
                      "; recompile the model with a matching sparsec");
  if (Status status = reader.integer(root, SPARSEC_MANIFEST_KEY_LAYOUT_VERSION,
                                     SPARSEC_MANIFEST_KEY_LAYOUT_VERSION, 0,
                                     kInt64Max, manifest.layoutVersion);
      !status.isOk())
    return status;
  if (manifest.layoutVersion != SPARSEC_WEIGHTS_LAYOUT_VERSION)
    return Status(StatusCode::kFailedPrecondition,
                  quotedPath +
                      ": key '" SPARSEC_MANIFEST_KEY_LAYOUT_VERSION
                      "': the weights were packed "
                      "with layout version " +
                      std::to_string(manifest.layoutVersion) +
                      ", this runtime reads version " +
                      std::to_string(SPARSEC_WEIGHTS_LAYOUT_VERSION) +
                      "; recompile the model with a matching sparsec");

  for (auto [name, out] :
       {std::pair<const char *, std::string *>{SPARSEC_MANIFEST_KEY_MODEL_NAME,
                                               &manifest.modelName},
        {SPARSEC_MANIFEST_KEY_ARCHITECTURE, &manifest.architecture},
        {SPARSEC_MANIFEST_KEY_TARGET, &manifest.target}})
    if (Status status = reader.string(root, name, name, *out); !status.isOk())
      return status;

  if (Status status =
          reader.string(root, SPARSEC_MANIFEST_KEY_SOURCE_HASH,
                        SPARSEC_MANIFEST_KEY_SOURCE_HASH, manifest.sourceHash);
      !status.isOk())
    return status;
  if (!isHexDigits(manifest.sourceHash, 16))
    return reader.error(SPARSEC_MANIFEST_KEY_SOURCE_HASH,
                        "expected 16 hex digits, got '" + manifest.sourceHash +
                            "'");

  if (Status status = reader.string(root, SPARSEC_MANIFEST_KEY_WEIGHTS_FILE,
                                    SPARSEC_MANIFEST_KEY_WEIGHTS_FILE,
                                    manifest.weightsFile);
      !status.isOk())
    return status;
  if (manifest.weightsFile.find('/') != std::string::npos ||
      manifest.weightsFile == "." || manifest.weightsFile == "..")
    return reader.error(SPARSEC_MANIFEST_KEY_WEIGHTS_FILE,
                        "expected a file name in the manifest's folder, got '" +
                            manifest.weightsFile + "'");

  // Sizes the runtime allocates from: positive, and small enough that
  // int32 token ids and int64 positions hold them.
  // The limits are sparsec/formats/limits.h's (docs/limits.md).
  for (auto [name, out, maxValue] :
       {std::tuple<const char *, int64_t *, int64_t>{
            SPARSEC_MANIFEST_KEY_VOCAB_SIZE, &manifest.vocabSize,
            limits::kMaxVocab},
        {SPARSEC_MANIFEST_KEY_HIDDEN_SIZE, &manifest.hiddenSize,
         limits::kMaxDimension},
        {SPARSEC_MANIFEST_KEY_NUM_LAYERS, &manifest.numLayers,
         limits::kMaxDimension},
        {SPARSEC_MANIFEST_KEY_MAX_LEN, &manifest.maxLen, limits::kMaxContext}})
    if (Status status = reader.integer(root, name, name, 1, maxValue, *out);
        !status.isOk())
      return status;
  if (Status status = reader.size(root, SPARSEC_MANIFEST_KEY_KV_CACHE_BYTES,
                                  SPARSEC_MANIFEST_KEY_KV_CACHE_BYTES,
                                  manifest.kvCacheBytes);
      !status.isOk())
    return status;
  if (manifest.kvCacheBytes > limits::kMaxKvCacheBytes)
    return reader.error(SPARSEC_MANIFEST_KEY_KV_CACHE_BYTES,
                        std::to_string(manifest.kvCacheBytes) +
                            " is more than the limit of " +
                            std::to_string(limits::kMaxKvCacheBytes));
  manifest.kvCacheSlots = manifest.maxLen;
  if (root.contains(SPARSEC_MANIFEST_KEY_KV_CACHE_SLOTS)) {
    if (Status status =
            reader.integer(root, SPARSEC_MANIFEST_KEY_KV_CACHE_SLOTS,
                           SPARSEC_MANIFEST_KEY_KV_CACHE_SLOTS, 1,
                           manifest.maxLen, manifest.kvCacheSlots);
        !status.isOk())
      return status;
    if (manifest.kvCacheBytes % static_cast<uint64_t>(manifest.kvCacheSlots))
      return reader.error(SPARSEC_MANIFEST_KEY_KV_CACHE_SLOTS,
                          "kv_cache_bytes (" +
                              std::to_string(manifest.kvCacheBytes) +
                              ") is not a multiple of " +
                              std::to_string(manifest.kvCacheSlots) + " slots");
  }
  if (Status status =
          reader.size(root, SPARSEC_MANIFEST_KEY_OTHER_BYTES_PER_TOKEN,
                      SPARSEC_MANIFEST_KEY_OTHER_BYTES_PER_TOKEN,
                      manifest.otherBytesPerToken);
      !status.isOk())
    return status;
  // Scratch for the generated code's activations (ABI 2); older manifests
  // have none.
  if (root.contains(SPARSEC_MANIFEST_KEY_SCRATCH_BYTES))
    if (Status status = reader.size(root, SPARSEC_MANIFEST_KEY_SCRATCH_BYTES,
                                    SPARSEC_MANIFEST_KEY_SCRATCH_BYTES,
                                    manifest.scratchBytes);
        !status.isOk())
      return status;
  if (manifest.scratchBytes > limits::kMaxScratchBytes)
    return reader.error(SPARSEC_MANIFEST_KEY_SCRATCH_BYTES,
                        std::to_string(manifest.scratchBytes) +
                            " is more than the limit of " +
                            std::to_string(limits::kMaxScratchBytes));
  // The prefill step's tokens lie at the start of scratch.
  if (root.contains(SPARSEC_MANIFEST_KEY_PREFILL_BLOCK)) {
    uint64_t block = 0;
    if (Status status = reader.size(root, SPARSEC_MANIFEST_KEY_PREFILL_BLOCK,
                                    SPARSEC_MANIFEST_KEY_PREFILL_BLOCK, block);
        !status.isOk())
      return status;
    if (block > static_cast<uint64_t>(limits::kMaxPrefillBlock) ||
        block * 4 > manifest.scratchBytes)
      return reader.error(SPARSEC_MANIFEST_KEY_PREFILL_BLOCK,
                          std::to_string(block) +
                              " tokens do not fit: at most " +
                              std::to_string(limits::kMaxPrefillBlock) +
                              " and 4 bytes each within scratch_bytes");
    manifest.prefillBlock = static_cast<int64_t>(block);
  }

  const json *tensors = nullptr;
  if (Status status = reader.array(root, SPARSEC_MANIFEST_KEY_TENSORS,
                                   SPARSEC_MANIFEST_KEY_TENSORS, tensors);
      !status.isOk())
    return status;
  std::set<std::string> names;
  for (size_t i = 0; i < tensors->size(); ++i) {
    ManifestTensor tensor;
    if (Status status = parseTensor(reader, (*tensors)[i], i, tensor);
        !status.isOk())
      return status;
    if (!names.insert(tensor.name).second)
      return reader.error(indexed(SPARSEC_MANIFEST_KEY_TENSORS, i,
                                  SPARSEC_MANIFEST_TENSOR_KEY_NAME),
                          "tensor '" + tensor.name + "' is listed twice");
    if (!manifest.tensors.empty()) {
      const ManifestTensor &prev = manifest.tensors.back();
      if (tensor.offset < prev.offset + prev.nbytes)
        return reader.error(
            indexed(SPARSEC_MANIFEST_KEY_TENSORS, i,
                    SPARSEC_MANIFEST_TENSOR_KEY_OFFSET),
            "expected at least " + std::to_string(prev.offset + prev.nbytes) +
                " (tensors are in data order; '" + prev.name + "' ends there)" +
                ", got " + std::to_string(tensor.offset));
    }
    manifest.tensors.push_back(std::move(tensor));
  }

  const json *ffns = nullptr;
  if (Status status = reader.array(root, SPARSEC_MANIFEST_KEY_FFNS,
                                   SPARSEC_MANIFEST_KEY_FFNS, ffns);
      !status.isOk())
    return status;
  std::set<std::pair<int64_t, int64_t>> seen;
  for (size_t i = 0; i < ffns->size(); ++i) {
    ManifestFfn ffn;
    if (Status status =
            parseFfn(reader, (*ffns)[i], i, manifest.numLayers, ffn);
        !status.isOk())
      return status;
    if (!seen.insert({ffn.layer, ffn.expert}).second)
      return reader.error(std::string(SPARSEC_MANIFEST_KEY_FFNS) + "[" +
                              std::to_string(i) + "]",
                          "layer " + std::to_string(ffn.layer) + " expert " +
                              std::to_string(ffn.expert) + " is listed twice");
    manifest.ffns.push_back(ffn);
  }

  if (root.contains(SPARSEC_MANIFEST_KEY_KERNELS)) {
    const json *kernels = nullptr;
    if (Status status = reader.array(root, SPARSEC_MANIFEST_KEY_KERNELS,
                                     SPARSEC_MANIFEST_KEY_KERNELS, kernels);
        !status.isOk())
      return status;
    for (size_t i = 0; i < kernels->size(); ++i) {
      const json &name = (*kernels)[i];
      std::string key = std::string(SPARSEC_MANIFEST_KEY_KERNELS) + "[" +
                        std::to_string(i) + "]";
      if (!name.is_string())
        return reader.expected(key, "a kernel name (a string)", name);
      manifest.kernels.push_back(name.get<std::string>());
    }
  }

  if (root.contains(SPARSEC_MANIFEST_KEY_RECORDS)) {
    const json *records = nullptr;
    if (Status status = reader.array(root, SPARSEC_MANIFEST_KEY_RECORDS,
                                     SPARSEC_MANIFEST_KEY_RECORDS, records);
        !status.isOk())
      return status;
    for (size_t i = 0; i < records->size(); ++i) {
      const json &entry = (*records)[i];
      std::string where = std::string(SPARSEC_MANIFEST_KEY_RECORDS) + "[" +
                          std::to_string(i) + "]";
      if (!entry.is_object())
        return reader.expected(where, "an object", entry);
      ManifestRecord record;
      int64_t numFfns = static_cast<int64_t>(manifest.ffns.size());
      if (Status status =
              reader.integer(entry, SPARSEC_MANIFEST_RECORD_KEY_FFN,
                             indexed(SPARSEC_MANIFEST_KEY_RECORDS, i,
                                     SPARSEC_MANIFEST_RECORD_KEY_FFN),
                             0, std::max<int64_t>(numFfns - 1, 0), record.ffn);
          !status.isOk())
        return status;
      std::string kindKey = indexed(SPARSEC_MANIFEST_KEY_RECORDS, i,
                                    SPARSEC_MANIFEST_RECORD_KEY_KIND);
      if (Status status = reader.string(entry, SPARSEC_MANIFEST_RECORD_KEY_KIND,
                                        kindKey, record.kind);
          !status.isOk())
        return status;
      if (record.kind != "input" && record.kind != "gate" &&
          record.kind != "activation")
        return reader.error(kindKey, "unknown kind '" + record.kind +
                                         "' (expected input, gate or "
                                         "activation)");
      std::string offsetKey = indexed(SPARSEC_MANIFEST_KEY_RECORDS, i,
                                      SPARSEC_MANIFEST_RECORD_KEY_OFFSET);
      if (Status status = reader.size(entry, SPARSEC_MANIFEST_RECORD_KEY_OFFSET,
                                      offsetKey, record.offset);
          !status.isOk())
        return status;
      if (Status status = reader.integer(
              entry, SPARSEC_MANIFEST_RECORD_KEY_COUNT,
              indexed(SPARSEC_MANIFEST_KEY_RECORDS, i,
                      SPARSEC_MANIFEST_RECORD_KEY_COUNT),
              1, std::numeric_limits<int32_t>::max(), record.count);
          !status.isOk())
        return status;
      // Inside the scratch, f32-aligned (never trust the file).
      uint64_t end = 0;
      if (numFfns == 0 || record.offset % 4 != 0 ||
          __builtin_add_overflow(
              record.offset, static_cast<uint64_t>(record.count) * 4, &end) ||
          end > manifest.scratchBytes)
        return reader.error(
            offsetKey, "the record (" + std::to_string(record.count) +
                           " floats at byte " + std::to_string(record.offset) +
                           ") is not 4-byte aligned inside the " +
                           std::to_string(manifest.scratchBytes) +
                           " bytes of scratch");
      manifest.records.push_back(std::move(record));
    }
  }

  const json *tokenizer = nullptr;
  if (Status status =
          reader.objectMember(root, SPARSEC_MANIFEST_KEY_TOKENIZER,
                              SPARSEC_MANIFEST_KEY_TOKENIZER, tokenizer);
      !status.isOk())
    return status;
  if (Status status =
          reader.string(*tokenizer, SPARSEC_MANIFEST_TOKENIZER_KEY_TYPE,
                        TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_TYPE),
                        manifest.tokenizer.type);
      !status.isOk())
    return status;
  if (tokenizer->contains(SPARSEC_MANIFEST_TOKENIZER_KEY_BOS_ID)) {
    int64_t bos = 0;
    if (Status status =
            reader.integer(*tokenizer, SPARSEC_MANIFEST_TOKENIZER_KEY_BOS_ID,
                           TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_BOS_ID),
                           0, manifest.vocabSize - 1, bos);
        !status.isOk())
      return status;
    manifest.tokenizer.bosId = static_cast<int32_t>(bos);
  }
  if (tokenizer->contains(SPARSEC_MANIFEST_TOKENIZER_KEY_FILE)) {
    if (Status status =
            reader.string(*tokenizer, SPARSEC_MANIFEST_TOKENIZER_KEY_FILE,
                          TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_FILE),
                          manifest.tokenizer.file);
        !status.isOk())
      return status;
    const std::string &file = manifest.tokenizer.file;
    if (file.empty() || file.find('/') != std::string::npos || file == "." ||
        file == "..")
      return reader.error(TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_FILE),
                          "expected a file name in the model folder, got '" +
                              file + "'");
  }
  if (tokenizer->contains(SPARSEC_MANIFEST_TOKENIZER_KEY_EOS_IDS)) {
    const json &ids = (*tokenizer)[SPARSEC_MANIFEST_TOKENIZER_KEY_EOS_IDS];
    if (!ids.is_array())
      return reader.expected(
          TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_EOS_IDS),
          "a list of token ids", ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      int64_t id = 0;
      if (Status status = reader.integer(
              ids[i],
              TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_EOS_IDS) "[" +
                  std::to_string(i) + "]",
              0, manifest.vocabSize - 1, id);
          !status.isOk())
        return status;
      manifest.tokenizer.eosIds.push_back(static_cast<int32_t>(id));
    }
  }
  if (tokenizer->contains(SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_TEMPLATE))
    if (Status status = reader.string(
            *tokenizer, SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_TEMPLATE,
            TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_TEMPLATE),
            manifest.tokenizer.chatTemplate);
        !status.isOk())
      return status;
  if (tokenizer->contains(SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_DEFAULT_SYSTEM))
    if (Status status = reader.string(
            *tokenizer, SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_DEFAULT_SYSTEM,
            TOKENIZER_KEY(SPARSEC_MANIFEST_TOKENIZER_KEY_CHAT_DEFAULT_SYSTEM),
            manifest.tokenizer.chatDefaultSystem);
        !status.isOk())
      return status;
  return manifest;
}

uint64_t Manifest::kvCacheBytesRead(int64_t position) const {
  if (kvCacheSlots <= 0 || position < 0)
    return 0;
  uint64_t perSlot = kvCacheBytes / static_cast<uint64_t>(kvCacheSlots);
  return perSlot * static_cast<uint64_t>(std::min(position + 1, kvCacheSlots));
}

uint64_t Manifest::bytesReadPerStep(const int32_t *stats) const {
  uint64_t bytes = otherBytesPerToken;
  for (size_t i = 0; i < ffns.size(); ++i) {
    const ManifestFfn &ffn = ffns[i];
    int32_t count = stats[i] > 0 ? stats[i] : 0;
    bool ran = count > 0 || (ffn.mode == FfnMode::kDense && ffn.expert < 0);
    if (ran)
      bytes += ffn.fixedBytes + static_cast<uint64_t>(count) * ffn.rowBytes;
  }
  return bytes;
}

} // namespace sparsec

//===- manifest.cpp - a compiled model's manifest.json ----------*- C++ -*-===//
//
// Parsing never throws: the JSON is parsed with exceptions off and every
// value's type is checked before it is read. Errors read
//   OUT/manifest.json: key 'tensors[3].offset': expected a non-negative
//   integer, got string
//
//===----------------------------------------------------------------------===//

#include "model/manifest.h"

#include "base/json.h"
#include "base/limits.h"
#include "sparsec/kernel_abi.h"
#include "sparsec/weights_layout.h"
#include "weights/mapped_file.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

namespace sparsec {

using nlohmann::json;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

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
                                             key + "': " +
                                             escapeForMessage(what));
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
  std::string where = "tensors[" + std::to_string(index) + "]";
  if (!entry.is_object())
    return reader.expected(where, "an object", entry);
  if (Status status = reader.string(
          entry, "name", indexed("tensors", index, "name"), tensor.name);
      !status.isOk())
    return status;

  std::string dtypeKey = indexed("tensors", index, "dtype");
  std::string dtypeText;
  if (Status status = reader.string(entry, "dtype", dtypeKey, dtypeText);
      !status.isOk())
    return status;
  std::optional<DType> dtype = dtypeFromName(dtypeText);
  if (!dtype)
    return reader.error(dtypeKey, "unknown dtype '" + dtypeText +
                                      "' (expected a safetensors dtype such "
                                      "as F32, F16, BF16)");
  tensor.dtype = *dtype;

  std::string shapeKey = indexed("tensors", index, "shape");
  const json *shape = nullptr;
  if (Status status = reader.array(entry, "shape", shapeKey, shape);
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

  if (Status status = reader.size(
          entry, "offset", indexed("tensors", index, "offset"), tensor.offset);
      !status.isOk())
    return status;
  std::string nbytesKey = indexed("tensors", index, "nbytes");
  if (Status status = reader.size(entry, "nbytes", nbytesKey, tensor.nbytes);
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
  std::string where = "ffns[" + std::to_string(index) + "]";
  if (!entry.is_object())
    return reader.expected(where, "an object", entry);
  if (Status status =
          reader.integer(entry, "layer", indexed("ffns", index, "layer"), 0,
                         numLayers - 1, ffn.layer);
      !status.isOk())
    return status;
  if (Status status =
          reader.integer(entry, "expert", indexed("ffns", index, "expert"), -1,
                         std::numeric_limits<int32_t>::max(), ffn.expert);
      !status.isOk())
    return status;
  if (Status status =
          reader.integer(entry, "neurons", indexed("ffns", index, "neurons"), 1,
                         std::numeric_limits<int32_t>::max(), ffn.neurons);
      !status.isOk())
    return status;
  std::string modeKey = indexed("ffns", index, "mode");
  std::string mode;
  if (Status status = reader.string(entry, "mode", modeKey, mode);
      !status.isOk())
    return status;
  if (mode == "dense")
    ffn.mode = FfnMode::kDense;
  else if (mode == "exact")
    ffn.mode = FfnMode::kExact;
  else if (mode == "predicted")
    ffn.mode = FfnMode::kPredicted;
  else if (mode == "threshold")
    ffn.mode = FfnMode::kThreshold;
  else
    return reader.error(modeKey, "unknown mode '" + mode +
                                     "' (expected dense, exact, predicted or "
                                     "threshold)");
  if (Status status =
          reader.size(entry, "fixed_bytes",
                      indexed("ffns", index, "fixed_bytes"), ffn.fixedBytes);
      !status.isOk())
    return status;
  return reader.size(entry, "row_bytes", indexed("ffns", index, "row_bytes"),
                     ffn.rowBytes);
}

} // namespace

const char *ffnModeName(FfnMode mode) {
  switch (mode) {
  case FfnMode::kDense:
    return "dense";
  case FfnMode::kExact:
    return "exact";
  case FfnMode::kPredicted:
    return "predicted";
  case FfnMode::kThreshold:
    return "threshold";
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
  if (Status status = reader.string(root, "format", "format", format);
      !status.isOk())
    return status;
  if (format != kManifestFormat)
    return reader.error("format", "expected '" + std::string(kManifestFormat) +
                                      "', got '" + format +
                                      "' (not a sparsec manifest)");
  if (Status status = reader.integer(root, "abi_version", "abi_version", 0,
                                     kInt64Max, manifest.abiVersion);
      !status.isOk())
    return status;
  if (manifest.abiVersion != SPARSEC_KERNEL_ABI_VERSION)
    return Status(StatusCode::kFailedPrecondition,
                  quotedPath +
                      ": key 'abi_version': the model was compiled for "
                      "kernel ABI version " +
                      std::to_string(manifest.abiVersion) +
                      ", this runtime implements version " +
                      std::to_string(SPARSEC_KERNEL_ABI_VERSION) +
                      "; recompile the model with a matching sparsec");
  if (Status status = reader.integer(root, "layout_version", "layout_version",
                                     0, kInt64Max, manifest.layoutVersion);
      !status.isOk())
    return status;
  if (manifest.layoutVersion != SPARSEC_WEIGHTS_LAYOUT_VERSION)
    return Status(StatusCode::kFailedPrecondition,
                  quotedPath +
                      ": key 'layout_version': the weights were packed "
                      "with layout version " +
                      std::to_string(manifest.layoutVersion) +
                      ", this runtime reads version " +
                      std::to_string(SPARSEC_WEIGHTS_LAYOUT_VERSION) +
                      "; recompile the model with a matching sparsec");

  for (auto [name, out] : {std::pair<const char *, std::string *>{
                               "model_name", &manifest.modelName},
                           {"architecture", &manifest.architecture},
                           {"target", &manifest.target}})
    if (Status status = reader.string(root, name, name, *out); !status.isOk())
      return status;

  if (Status status = reader.string(root, "source_hash", "source_hash",
                                    manifest.sourceHash);
      !status.isOk())
    return status;
  if (!isHexDigits(manifest.sourceHash, 16))
    return reader.error("source_hash", "expected 16 hex digits, got '" +
                                           manifest.sourceHash + "'");

  if (Status status = reader.string(root, "weights_file", "weights_file",
                                    manifest.weightsFile);
      !status.isOk())
    return status;
  if (manifest.weightsFile.find('/') != std::string::npos ||
      manifest.weightsFile == "." || manifest.weightsFile == "..")
    return reader.error("weights_file",
                        "expected a file name in the manifest's folder, got '" +
                            manifest.weightsFile + "'");

  // Sizes the runtime allocates from: positive, and small enough that
  // int32 token ids and int64 positions hold them.
  // The limits are base/limits.h's (docs/limits.md).
  for (auto [name, out, maxValue] :
       {std::tuple<const char *, int64_t *, int64_t>{
            "vocab_size", &manifest.vocabSize, limits::kMaxVocab},
        {"hidden_size", &manifest.hiddenSize, limits::kMaxDimension},
        {"num_layers", &manifest.numLayers, limits::kMaxDimension},
        {"max_len", &manifest.maxLen, limits::kMaxContext}})
    if (Status status = reader.integer(root, name, name, 1, maxValue, *out);
        !status.isOk())
      return status;
  if (Status status = reader.size(root, "kv_cache_bytes", "kv_cache_bytes",
                                  manifest.kvCacheBytes);
      !status.isOk())
    return status;
  if (manifest.kvCacheBytes > limits::kMaxKvCacheBytes)
    return reader.error("kv_cache_bytes",
                        std::to_string(manifest.kvCacheBytes) +
                            " is more than the limit of " +
                            std::to_string(limits::kMaxKvCacheBytes));
  if (Status status =
          reader.size(root, "other_bytes_per_token", "other_bytes_per_token",
                      manifest.otherBytesPerToken);
      !status.isOk())
    return status;
  // Scratch for the generated code's activations (ABI 2); older manifests
  // have none.
  if (root.contains("scratch_bytes"))
    if (Status status = reader.size(root, "scratch_bytes", "scratch_bytes",
                                    manifest.scratchBytes);
        !status.isOk())
      return status;
  if (manifest.scratchBytes > limits::kMaxScratchBytes)
    return reader.error("scratch_bytes",
                        std::to_string(manifest.scratchBytes) +
                            " is more than the limit of " +
                            std::to_string(limits::kMaxScratchBytes));

  const json *tensors = nullptr;
  if (Status status = reader.array(root, "tensors", "tensors", tensors);
      !status.isOk())
    return status;
  std::set<std::string> names;
  for (size_t i = 0; i < tensors->size(); ++i) {
    ManifestTensor tensor;
    if (Status status = parseTensor(reader, (*tensors)[i], i, tensor);
        !status.isOk())
      return status;
    if (!names.insert(tensor.name).second)
      return reader.error(indexed("tensors", i, "name"),
                          "tensor '" + tensor.name + "' is listed twice");
    if (!manifest.tensors.empty()) {
      const ManifestTensor &prev = manifest.tensors.back();
      if (tensor.offset < prev.offset + prev.nbytes)
        return reader.error(
            indexed("tensors", i, "offset"),
            "expected at least " + std::to_string(prev.offset + prev.nbytes) +
                " (tensors are in data order; '" + prev.name + "' ends there)" +
                ", got " + std::to_string(tensor.offset));
    }
    manifest.tensors.push_back(std::move(tensor));
  }

  const json *ffns = nullptr;
  if (Status status = reader.array(root, "ffns", "ffns", ffns); !status.isOk())
    return status;
  std::set<std::pair<int64_t, int64_t>> seen;
  for (size_t i = 0; i < ffns->size(); ++i) {
    ManifestFfn ffn;
    if (Status status =
            parseFfn(reader, (*ffns)[i], i, manifest.numLayers, ffn);
        !status.isOk())
      return status;
    if (!seen.insert({ffn.layer, ffn.expert}).second)
      return reader.error("ffns[" + std::to_string(i) + "]",
                          "layer " + std::to_string(ffn.layer) + " expert " +
                              std::to_string(ffn.expert) + " is listed twice");
    manifest.ffns.push_back(ffn);
  }

  const json *tokenizer = nullptr;
  if (Status status =
          reader.objectMember(root, "tokenizer", "tokenizer", tokenizer);
      !status.isOk())
    return status;
  if (Status status = reader.string(*tokenizer, "type", "tokenizer.type",
                                    manifest.tokenizer.type);
      !status.isOk())
    return status;
  if (tokenizer->contains("bos_id")) {
    int64_t bos = 0;
    if (Status status = reader.integer(*tokenizer, "bos_id", "tokenizer.bos_id",
                                       0, manifest.vocabSize - 1, bos);
        !status.isOk())
      return status;
    manifest.tokenizer.bosId = static_cast<int32_t>(bos);
  }
  if (tokenizer->contains("file")) {
    if (Status status = reader.string(*tokenizer, "file", "tokenizer.file",
                                      manifest.tokenizer.file);
        !status.isOk())
      return status;
    const std::string &file = manifest.tokenizer.file;
    if (file.empty() || file.find('/') != std::string::npos || file == "." ||
        file == "..")
      return reader.error("tokenizer.file",
                          "expected a file name in the model folder, got '" +
                              file + "'");
  }
  if (tokenizer->contains("eos_ids")) {
    const json &ids = (*tokenizer)["eos_ids"];
    if (!ids.is_array())
      return reader.expected("tokenizer.eos_ids", "a list of token ids", ids);
    for (size_t i = 0; i < ids.size(); ++i) {
      int64_t id = 0;
      if (Status status =
              reader.integer(ids[i], "tokenizer.eos_ids[" + std::to_string(i) + "]",
                             0, manifest.vocabSize - 1, id);
          !status.isOk())
        return status;
      manifest.tokenizer.eosIds.push_back(static_cast<int32_t>(id));
    }
  }
  if (tokenizer->contains("chat_template"))
    if (Status status =
            reader.string(*tokenizer, "chat_template", "tokenizer.chat_template",
                          manifest.tokenizer.chatTemplate);
        !status.isOk())
      return status;
  if (tokenizer->contains("chat_default_system"))
    if (Status status = reader.string(*tokenizer, "chat_default_system",
                                      "tokenizer.chat_default_system",
                                      manifest.tokenizer.chatDefaultSystem);
        !status.isOk())
      return status;
  return manifest;
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

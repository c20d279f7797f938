//===- manifest.h - a compiled model's manifest.json ------------*- C++ -*-===//
//
// The compiler writes OUT/manifest.json next to OUT/weights.safetensors and
// the model executable. It states what the generated decode step was
// compiled against: kernel ABI and weights layout versions, the model's
// sizes, every packed tensor with its offset in the weights file's data
// section, the sparse FFNs whose per-step neuron counts the step reports,
// and the tokenizer. Every key is checked for presence and type; keys the
// runtime does not know are ignored (forward compatible additions). The keys
// are sparsec/manifest_schema.h's, shared with the compiler's writer.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_MANIFEST_H
#define SPARSEC_FORMATS_MANIFEST_H

#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/status.h"
#include "sparsec/manifest_schema.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sparsec {

/// The manifest's "format" value.
constexpr const char *kManifestFormat = SPARSEC_MANIFEST_FORMAT;
/// The manifest's file name in the output folder.
constexpr const char *kManifestFileName = SPARSEC_MANIFEST_FILE_NAME;

/// One packed tensor, in data order.
struct ManifestTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  /// Relative to the start of the weights file's data section.
  uint64_t offset = 0;
  uint64_t nbytes = 0;
};

/// How a sparse FFN chooses its neurons (the sfn dialect's modes).
enum class FfnMode { kDense, kExact, kPredicted, kThreshold };

/// "predicted" for FfnMode::kPredicted.
const char *ffnModeName(FfnMode mode);

/// One FFN (or one MoE expert): stats[i] of a step belongs to ffns[i].
struct ManifestFfn {
  int64_t layer = 0;
  int64_t expert = -1; ///< -1 for a dense-block FFN, else the expert index.
  int64_t neurons = 0;
  FfnMode mode = FfnMode::kDense;
  /// Bytes read whenever the FFN runs (predictor, dense gate, ...).
  uint64_t fixedBytes = 0;
  /// Bytes read per computed neuron.
  uint64_t rowBytes = 0;
};

/// A vector a --record-activations step leaves in scratch ("records").
struct ManifestRecord {
  int64_t ffn = 0;  ///< index into ffns
  std::string kind; ///< "input", "gate" or "activation"
  uint64_t offset = 0;
  int64_t count = 0; ///< f32 elements
};

struct TokenizerSpec {
  /// "byte" or "hf".
  std::string type;
  /// "bos_id", when the tokenizer section names one: the BOS token every
  /// prompt starts with. Absent: the model adds none.
  std::optional<int32_t> bosId;
  /// "file" ("hf" only): the tokenizer.json in OUT/, a plain file name.
  std::string file;
  /// "eos_ids": ids that end generation (optional; each in the vocabulary).
  std::vector<int32_t> eosIds;
  /// "chat_template": the name of the model's chat format (chatml, llama2,
  /// llama3, mistral, zephyr), when the model has one.
  std::string chatTemplate;
  /// "chat_default_system": the system message the model's template adds
  /// when a conversation has none (SmolLM2's), empty otherwise.
  std::string chatDefaultSystem;
};

struct Manifest {
  int64_t abiVersion = 0;
  int64_t layoutVersion = 0;
  std::string modelName;
  std::string architecture;
  std::string target;
  std::string sourceHash;
  std::string weightsFile;
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t maxLen = 0;
  uint64_t kvCacheBytes = 0;
  /// Positions the KV cache holds ("kv_cache_slots"; max_len when absent).
  int64_t kvCacheSlots = 0;
  /// Bytes of scratch the generated step and kernels share.
  uint64_t scratchBytes = 0;
  /// Tokens per call of the generated prefill step (0: none).
  int64_t prefillBlock = 0;
  uint64_t otherBytesPerToken = 0;
  std::vector<ManifestTensor> tensors;
  std::vector<ManifestFfn> ffns;
  /// The step's kernels by number ("kernels"; empty when the manifest has
  /// none): what --profile calls them.
  std::vector<std::string> kernels;
  std::vector<ManifestRecord> records;
  TokenizerSpec tokenizer;

  /// Reads and validates `path`; errors start with `path`.
  static StatusOr<Manifest> load(const std::string &path);
  /// Validates `text`; `path` only names it in errors.
  static StatusOr<Manifest> parse(const std::string &text,
                                  const std::string &path);

  /// Bytes of weights one step reads, given that step's per-FFN counts
  /// (`stats` holds ffns.size() values): other_bytes_per_token plus, for
  /// every FFN that ran, fixed_bytes + stats[i] * row_bytes. An FFN ran when
  /// its count is positive; a dense FFN outside an MoE always runs.
  uint64_t bytesReadPerStep(const int32_t *stats) const;
  /// Bytes of KV cache the step at `position` reads: the keys and values of
  /// every position it attends to, min(position + 1, kv_cache_slots) of
  /// them (its own included).
  uint64_t kvCacheBytesRead(int64_t position) const;
};

} // namespace sparsec

#endif // SPARSEC_FORMATS_MANIFEST_H

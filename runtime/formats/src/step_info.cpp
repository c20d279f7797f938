//===- step_info.cpp - what a compiled step was compiled for ----*- C++ -*-===//

#include "sparsec/formats/step_info.h"

#include <algorithm>

namespace sparsec {

namespace {

class Fnv1a {
public:
  void add(const std::string &text) {
    for (unsigned char c : text) {
      hash_ ^= c;
      hash_ *= 1099511628211ull;
    }
    hash_ ^= 0xff; // a separator no text byte sequence can fake
    hash_ *= 1099511628211ull;
  }
  void add(int64_t value) { add(std::to_string(value)); }
  void add(uint64_t value) { add(std::to_string(value)); }
  uint64_t value() const { return hash_; }

private:
  uint64_t hash_ = 1469598103934665603ull;
};

} // namespace

uint64_t manifestFactsHash(const Manifest &m) {
  Fnv1a h;
  h.add(std::string("sparsec-step-facts-1"));
  h.add(m.layoutVersion);
  h.add(m.vocabSize);
  h.add(m.hiddenSize);
  h.add(m.numLayers);
  h.add(m.maxLen);
  h.add(m.kvCacheBytes);
  h.add(m.scratchBytes);
  // Absent from older manifests, whose hashes stay as they were.
  if (m.prefillBlock > 0) {
    h.add(std::string("prefill_block"));
    h.add(m.prefillBlock);
  }
  h.add(static_cast<uint64_t>(m.tensors.size()));
  for (const ManifestTensor &t : m.tensors) {
    h.add(t.name);
    h.add(std::string(dtypeName(t.dtype)));
    h.add(static_cast<uint64_t>(t.shape.size()));
    for (int64_t dim : t.shape)
      h.add(dim);
    h.add(t.offset);
    h.add(t.nbytes);
  }
  h.add(static_cast<uint64_t>(m.ffns.size()));
  for (const ManifestFfn &f : m.ffns) {
    h.add(f.layer);
    h.add(f.expert);
    h.add(f.neurons);
    h.add(std::string(ffnModeName(f.mode)));
    h.add(f.fixedBytes);
    h.add(f.rowBytes);
  }
  return h.value();
}

StepInfo stepInfoOf(const Manifest &m) {
  uint64_t weightsBytes = 0;
  for (const ManifestTensor &t : m.tensors)
    weightsBytes = std::max(weightsBytes, t.offset + t.nbytes);
  StepInfo info{};
  info[SPARSEC_STEP_INFO_ABI_VERSION] = SPARSEC_KERNEL_ABI_VERSION;
  info[SPARSEC_STEP_INFO_VOCAB_SIZE] = m.vocabSize;
  info[SPARSEC_STEP_INFO_HIDDEN_SIZE] = m.hiddenSize;
  info[SPARSEC_STEP_INFO_NUM_LAYERS] = m.numLayers;
  info[SPARSEC_STEP_INFO_MAX_LEN] = m.maxLen;
  info[SPARSEC_STEP_INFO_KV_CACHE_BYTES] = static_cast<int64_t>(m.kvCacheBytes);
  info[SPARSEC_STEP_INFO_SCRATCH_BYTES] = static_cast<int64_t>(m.scratchBytes);
  info[SPARSEC_STEP_INFO_NUM_FFNS] = static_cast<int64_t>(m.ffns.size());
  info[SPARSEC_STEP_INFO_WEIGHTS_BYTES] = static_cast<int64_t>(weightsBytes);
  info[SPARSEC_STEP_INFO_FACTS_HASH] =
      static_cast<int64_t>(manifestFactsHash(m));
  return info;
}

Status checkStepInfo(const Manifest &manifest, const int64_t *info,
                     const std::string &path) {
  static const char *const kNames[SPARSEC_STEP_INFO_SIZE] = {
      "kernel ABI version",
      "vocab_size",
      "hidden_size",
      "num_layers",
      "max_len",
      "kv_cache_bytes",
      "scratch_bytes",
      "number of ffns",
      "weights bytes read",
      "tensors, FFNs and sizes (facts hash)"};
  StepInfo want = stepInfoOf(manifest);
  for (int i = 0; i < SPARSEC_STEP_INFO_SIZE; ++i) {
    if (info[i] == want[i])
      continue;
    std::string what = std::string(kNames[i]) + " is " +
                       std::to_string(want[i]) +
                       ", but the decode step linked into this executable "
                       "was compiled for " +
                       std::to_string(info[i]);
    if (i == SPARSEC_STEP_INFO_FACTS_HASH)
      what = "the tensors, FFNs or sizes differ from those the decode step "
             "linked into this executable was compiled for";
    return Status(StatusCode::kFailedPrecondition,
                  path + ": " + what +
                      " (the executable belongs to another model or "
                      "compilation: run it with its own folder, or "
                      "recompile)");
  }
  return Status::ok();
}

} // namespace sparsec

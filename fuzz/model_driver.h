//===- model_driver.h - drive a compiled-model folder through the C API ---===//
//
// For the manifest and packed-weights harnesses: a fake decode step that
// touches exactly the buffers the runtime describes to it (first and last
// byte of weights, KV cache and scratch, every logit and stat), so ASan sees
// any descriptor larger than its allocation; and exercise(), which loads a
// folder and runs every C API call a model executable makes, checking each
// error message with the one-line oracle.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FUZZ_MODEL_DRIVER_H
#define SPARSEC_FUZZ_MODEL_DRIVER_H

#include "fuzz_common.h"

#include "api_testing.h"
#include "sparsec/kernel_abi.h"
#include "sparsec/runtime.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace sparsec::fuzz {

inline void touchMemref(const sparsec_memref1d *m, size_t elementSize,
                        bool write) {
  if (m->size < 0 || m->offset != 0 || m->stride != 1)
    __builtin_trap();
  if (m->size == 0)
    return;
  if (!m->aligned)
    __builtin_trap();
  volatile uint8_t *b = static_cast<volatile uint8_t *>(m->aligned);
  size_t last = static_cast<size_t>(m->size) * elementSize - 1;
  if (write) {
    b[0] = 1;
    b[last] = 2;
  } else {
    (void)b[0];
    (void)b[last];
  }
}

inline void fakeStep(sparsec_memref1d *weights, sparsec_memref1d *kvCache,
                     sparsec_memref1d *logits, sparsec_memref1d *stats,
                     sparsec_memref1d *scratch, int32_t token, int64_t pos) {
  touchMemref(weights, 1, false);
  touchMemref(kvCache, 1, true);
  touchMemref(scratch, 1, true);
  if (logits->size < 0 || stats->size < 0 || token < 0 ||
      token >= logits->size || pos < 0)
    __builtin_trap();
  float *out = static_cast<float *>(logits->aligned);
  for (int64_t i = 0; i < logits->size; ++i)
    out[i] = i == (token + 1) % logits->size ? 1.0f : 0.0f;
  int32_t *counts = static_cast<int32_t *>(stats->aligned);
  for (int64_t i = 0; i < stats->size; ++i)
    counts[i] = static_cast<int32_t>(i + pos);
}

/// Checks and frees `status`; true when it was OK.
inline bool ok(sparsec_status_t status, const char *what) {
  if (sparsec_status_is_ok(status))
    return true;
  checkMessage(sparsec_status_message(status), what);
  sparsec_status_free(status);
  return false;
}

/// Loads `dir` and runs load, info, tokenizer, session create, one step,
/// sample, stats, a failing step and a prefill, as a model executable does.
inline void exercise(const std::string &dir) {
  static bool registered = [] {
    sparsec_runtime_set_step_function_for_testing(&fakeStep,
                                                  SPARSEC_KERNEL_ABI_VERSION);
    return true;
  }();
  (void)registered;

  sparsec_model_t *model = nullptr;
  if (!ok(sparsec_model_load(dir.c_str(), &model), "sparsec_model_load"))
    return;
  sparsec_model_info_t info;
  if (!ok(sparsec_model_query_info(model, &info), "query_info"))
    __builtin_trap();
  for (size_t i = 0; i < info.num_ffns; ++i) {
    sparsec_ffn_info_t ffn;
    if (!ok(sparsec_model_query_ffn(model, i, &ffn), "query_ffn"))
      __builtin_trap();
  }
  const char *chat = nullptr;
  (void)ok(sparsec_model_query_chat_template(model, &chat), "chat_template");
  (void)ok(sparsec_model_query_chat_default_system(model, &chat),
           "chat_system");

  static const char kText[] = "Hello, world! <s></s> \xc3\xa9\xff 123";
  for (uint32_t flags : {0u, 1u}) {
    size_t count = 0;
    if (!ok(sparsec_model_tokenize_ex(model, kText, sizeof(kText) - 1, flags,
                                      nullptr, 0, &count),
            "tokenize"))
      continue;
    std::vector<int32_t> ids(count + 1);
    if (!ok(sparsec_model_tokenize_ex(model, kText, sizeof(kText) - 1, flags,
                                      ids.data(), ids.size(), &count),
            "tokenize"))
      __builtin_trap();
    sparsec_detokenizer_t *detok = nullptr;
    if (ok(sparsec_detokenizer_create(model, &detok), "detokenizer_create")) {
      const char *text;
      size_t length;
      for (size_t i = 0; i < count; ++i)
        (void)ok(sparsec_detokenizer_push(detok, ids[i], &text, &length),
                 "detokenizer_push");
      (void)ok(sparsec_detokenizer_flush(detok, &text, &length),
               "detokenizer_flush");
      sparsec_detokenizer_release(detok);
    }
  }
  size_t eosCount = 0;
  (void)ok(sparsec_model_eos_ids(model, nullptr, 0, &eosCount), "eos_ids");
  for (int32_t token : {0, info.vocab_size - 1, info.vocab_size, -1}) {
    size_t length = 0;
    if (ok(sparsec_model_detokenize(model, token, nullptr, 0, &length),
           "detokenize")) {
      std::string piece(length + 1, '\0');
      (void)ok(sparsec_model_detokenize(model, token, piece.data(),
                                        piece.size(), &length),
               "detokenize");
    }
    int isEos = 0;
    (void)ok(sparsec_model_is_eos(model, token, &isEos), "is_eos");
  }

  sparsec_session_options_t options;
  sparsec_session_options_initialize(&options);
  options.num_threads = 1;
  sparsec_session_t *session = nullptr;
  if (ok(sparsec_session_create(model, &options, &session), "session_create")) {
    std::vector<float> logits(info.vocab_size > 0 ? info.vocab_size : 1);
    if (ok(sparsec_session_step(session, 0, logits.data()), "session_step")) {
      int32_t next = -1;
      (void)ok(sparsec_session_sample(session, &next), "session_sample");
      std::vector<int32_t> stats(info.num_ffns + 1);
      size_t count = 0;
      if (ok(sparsec_session_stats(session, stats.data(), stats.size(), &count),
             "session_stats")) {
        uint64_t bytes = 0;
        (void)ok(sparsec_model_bytes_read(model, stats.data(), count, &bytes),
                 "bytes_read");
      }
    }
    (void)ok(sparsec_session_step(session, -1, nullptr), "session_step(-1)");
    const int32_t prompt[2] = {0, info.vocab_size > 1 ? 1 : 0};
    (void)ok(sparsec_session_prefill(session, prompt, 2, nullptr),
             "session_prefill");
    (void)ok(sparsec_session_reset(session), "session_reset");
    sparsec_session_release(session);
  }
  sparsec_model_release(model);
}

/// bytes_to_unicode of GPT-2's byte-level BPE, as UTF-8.
inline std::string byteLevelChar(int byte) {
  int cp;
  if ((byte >= '!' && byte <= '~') || (byte >= 0xa1 && byte <= 0xac) ||
      (byte >= 0xae && byte <= 0xff)) {
    cp = byte;
  } else {
    int n = 0;
    for (int b = 0; b < byte; ++b)
      if (!((b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) ||
            (b >= 0xae && b <= 0xff)))
        ++n;
    cp = 256 + n;
  }
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
  return out;
}

/// A small byte-level BPE tokenizer.json: ids 0-255 the bytes, 256 "<s>" and
/// 257 "</s>" (special), 258-260 three merges.
inline std::string tinyTokenizerJson() {
  nlohmann::ordered_json vocab = nlohmann::ordered_json::object();
  for (int b = 0; b < 256; ++b)
    vocab[byteLevelChar(b)] = b;
  std::string g = byteLevelChar(' ');
  vocab[g + "t"] = 258;
  vocab["he"] = 259;
  vocab["ll"] = 260;
  nlohmann::ordered_json added = nlohmann::ordered_json::array();
  int id = 256;
  for (const char *special : {"<s>", "</s>"})
    added.push_back({{"id", id++},
                     {"content", special},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  nlohmann::ordered_json byteLevel = {{"type", "ByteLevel"},
                                      {"add_prefix_space", false},
                                      {"trim_offsets", true},
                                      {"use_regex", true}};
  nlohmann::ordered_json json = {{"version", "1.0"},
                                 {"truncation", nullptr},
                                 {"padding", nullptr},
                                 {"added_tokens", added},
                                 {"normalizer", nullptr},
                                 {"pre_tokenizer", byteLevel},
                                 {"post_processor", nullptr},
                                 {"decoder", byteLevel},
                                 {"model",
                                  {{"type", "BPE"},
                                   {"dropout", nullptr},
                                   {"unk_token", nullptr},
                                   {"continuing_subword_prefix", nullptr},
                                   {"end_of_word_suffix", nullptr},
                                   {"fuse_unk", false},
                                   {"byte_fallback", false},
                                   {"ignore_merges", false},
                                   {"vocab", vocab},
                                   {"merges", {g + " t", "h e", "l l"}}}}};
  return json.dump();
}

} // namespace sparsec::fuzz

#endif // SPARSEC_FUZZ_MODEL_DRIVER_H

//===- api_test.cpp - the C API with a fake decode step ---------*- C++ -*-===//
//
// The test binary links no generated object, so the weak step symbols are
// absent; sessions get a fake step through the test-only hook. The fake's
// logits are one-hot at (token + 1) % vocab, so greedy decoding is
// checkable, and it records its arguments.
//
//===----------------------------------------------------------------------===//

#include "sparsec/runtime.h"

#include "api_testing.h"
#include "model/model.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>
#include <vector>

extern "C" int sparsec_c_header_check(void);

namespace sparsec {
namespace {

using testing::TempDir;

struct StepCall {
  sparsec_memref1d weights, kvCache, logits, stats;
  int32_t token;
  int64_t pos;
};
std::vector<StepCall> calls;
bool uniformLogits = false;

void fakeStep(sparsec_memref1d *weights, sparsec_memref1d *kvCache,
              sparsec_memref1d *logits, sparsec_memref1d *stats,
              sparsec_memref1d * /*scratch*/, int32_t token, int64_t pos) {
  calls.push_back({*weights, *kvCache, *logits, *stats, token, pos});
  static_cast<uint8_t *>(kvCache->aligned)[pos] = 0xab;
  float *out = static_cast<float *>(logits->aligned);
  for (int64_t i = 0; i < logits->size; ++i)
    out[i] =
        uniformLogits ? 0.0f : (i == (token + 1) % logits->size ? 1.0f : 0.0f);
  int32_t *counts = static_cast<int32_t *>(stats->aligned);
  for (int64_t i = 0; i < stats->size; ++i)
    counts[i] = static_cast<int32_t>(10 * (i + 1) + pos);
}

/// Takes ownership of a status; "OK" or its message.
std::string take(sparsec_status_t status) {
  std::string message = sparsec_status_message(status);
  sparsec_status_free(status);
  return message;
}

class ApiTest : public ::testing::Test {
protected:
  void SetUp() override {
    calls.clear();
    uniformLogits = false;
    sparsec_runtime_set_step_function_for_testing(&fakeStep,
                                                  SPARSEC_KERNEL_ABI_VERSION);
    ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
    ASSERT_EQ(take(sparsec_model_load(dir.path().c_str(), &model)), "OK");
  }
  void TearDown() override {
    sparsec_session_release(session);
    sparsec_model_release(model);
    sparsec_runtime_set_step_function_for_testing(nullptr, 0);
  }
  void createSession(const sparsec_session_options_t *options = nullptr) {
    ASSERT_EQ(take(sparsec_session_create(model, options, &session)), "OK");
  }

  TempDir dir;
  sparsec_model_t *model = nullptr;
  sparsec_session_t *session = nullptr;
};

TEST_F(ApiTest, GreedyDecodingFollowsTheStep) {
  createSession();
  std::vector<float> logits(256, -1.0f);
  ASSERT_EQ(take(sparsec_session_step(session, 'a', logits.data())), "OK");
  EXPECT_EQ(logits['b'], 1.0f);
  EXPECT_EQ(logits['a'], 0.0f);
  int32_t token = -1;
  std::string text;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(take(sparsec_session_sample(session, &token)), "OK");
    text.push_back(static_cast<char>(token));
    ASSERT_EQ(take(sparsec_session_step(session, token, nullptr)), "OK");
  }
  EXPECT_EQ(text, "bcdef");
  EXPECT_EQ(sparsec_session_position(session), 6);
}

TEST_F(ApiTest, StepGetsTheDocumentedMemrefs) {
  createSession();
  ASSERT_EQ(take(sparsec_session_step(session, 7, nullptr)), "OK");
  ASSERT_EQ(take(sparsec_session_step(session, 9, nullptr)), "OK");
  ASSERT_EQ(calls.size(), 2u);
  const StepCall &call = calls[1];
  EXPECT_EQ(call.token, 9);
  EXPECT_EQ(call.pos, 1);

  // weights: the data section of the weights file, in bytes.
  auto loaded = Model::load(dir.path());
  ASSERT_TRUE(loaded.isOk());
  EXPECT_EQ(call.weights.size, static_cast<int64_t>((*loaded)->weightsSize()));
  EXPECT_EQ(call.weights.allocated, call.weights.aligned);
  EXPECT_EQ(call.weights.offset, 0);
  EXPECT_EQ(call.weights.stride, 1);
  EXPECT_EQ(static_cast<const uint8_t *>(call.weights.aligned)[0], 1)
      << "offset 0 holds the first tensor, filled with 1s";
  EXPECT_EQ(reinterpret_cast<uintptr_t>(call.weights.aligned) % 64, 0u);
  // kv_cache: kv_cache_bytes bytes, 64-byte aligned, persistent.
  EXPECT_EQ(call.kvCache.size, 1000);
  EXPECT_EQ(call.kvCache.aligned, calls[0].kvCache.aligned);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(call.kvCache.aligned) % 64, 0u);
  // logits: vocab floats; stats: one int32 per manifest FFN.
  EXPECT_EQ(call.logits.size, 256);
  EXPECT_EQ(call.stats.size, 3);
  EXPECT_EQ(call.stats.stride, 1);
}

TEST_F(ApiTest, StatsAreTheLastStepsCounts) {
  createSession();
  size_t count = 0;
  int32_t counts[3] = {-1, -1, -1};
  ASSERT_EQ(take(sparsec_session_stats(session, counts, 3, &count)), "OK");
  EXPECT_EQ(count, 3u);
  EXPECT_EQ(counts[0], 0) << "zeros before the first step";
  ASSERT_EQ(take(sparsec_session_step(session, 1, nullptr)), "OK");
  ASSERT_EQ(take(sparsec_session_step(session, 1, nullptr)), "OK");
  ASSERT_EQ(take(sparsec_session_stats(session, nullptr, 0, &count)), "OK");
  EXPECT_EQ(count, 3u);
  ASSERT_EQ(take(sparsec_session_stats(session, counts, 3, &count)), "OK");
  EXPECT_EQ(counts[0], 11);
  EXPECT_EQ(counts[1], 21);
  EXPECT_EQ(counts[2], 31);
  sparsec_status_t status = sparsec_session_stats(session, counts, 2, &count);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(take(status), "sparsec_session_stats: the buffer holds 2 values, "
                          "3 are needed");

  // other 4096 + (128 + 11*48) + (64 + 21*48) + (64 + 31*48).
  uint64_t bytes = 0;
  ASSERT_EQ(take(sparsec_model_bytes_read(model, counts, 3, &bytes)), "OK");
  EXPECT_EQ(bytes, 4096u + 128 + 64 + 64 + (11 + 21 + 31) * 48);
  EXPECT_NE(take(sparsec_model_bytes_read(model, counts, 2, &bytes)), "OK");

  // The test model's cache: 1000 bytes over max_len (16) positions is not
  // whole bytes per position, so ask a position whose share is: the step at
  // position 15 reads all of it.
  uint64_t kvBytes = 0;
  ASSERT_EQ(take(sparsec_model_kv_cache_bytes_read(model, 15, &kvBytes)), "OK");
  EXPECT_EQ(kvBytes, 16u * (1000u / 16u));
  sparsec_status_t outside =
      sparsec_model_kv_cache_bytes_read(model, 16, &kvBytes);
  EXPECT_EQ(sparsec_status_code(outside), SPARSEC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(take(outside), "sparsec_model_kv_cache_bytes_read: position 16 "
                           "is outside [0, 16)");
}

TEST_F(ApiTest, ProfileCountsStepsOnlyWhenAsked) {
  createSession();
  ASSERT_EQ(take(sparsec_session_step(session, 1, nullptr)), "OK");
  sparsec_profile_t profile;
  ASSERT_EQ(take(sparsec_session_query_profile(session, &profile)), "OK");
  EXPECT_EQ(profile.steps, 0);
  EXPECT_EQ(profile.step_seconds, 0.0);
  EXPECT_EQ(profile.num_kernels, 0);
  sparsec_session_release(session);
  session = nullptr;

  sparsec_session_options_t options;
  sparsec_session_options_initialize(&options);
  EXPECT_EQ(options.profile, 0);
  options.profile = 1;
  createSession(&options);
  ASSERT_EQ(take(sparsec_session_step(session, 1, nullptr)), "OK");
  ASSERT_EQ(take(sparsec_session_step(session, 2, nullptr)), "OK");
  ASSERT_EQ(take(sparsec_session_query_profile(session, &profile)), "OK");
  EXPECT_EQ(profile.steps, 2);
  EXPECT_GE(profile.step_seconds, 0.0);
  // The test model's manifest names no kernels, and the fake step runs
  // none (test/e2e/profile.test times a compiled step's kernels).
  EXPECT_EQ(profile.num_kernels, 0);
  sparsec_kernel_profile_t kernel;
  sparsec_status_t status =
      sparsec_session_query_kernel_profile(session, 0, &kernel);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(take(status), "sparsec_session_query_kernel_profile: kernel 0 is "
                          "outside [0, 0)");
  EXPECT_NE(take(sparsec_session_query_profile(session, nullptr)), "OK");
}

TEST_F(ApiTest, RejectsTokensOutsideTheVocabulary) {
  createSession();
  sparsec_status_t status = sparsec_session_step(session, 256, nullptr);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(take(status), "sparsec_session_step: token 256 is outside the "
                          "vocabulary [0, 256)");
  EXPECT_NE(take(sparsec_session_step(session, -1, nullptr)), "OK");
  EXPECT_TRUE(calls.empty());
  EXPECT_EQ(sparsec_session_position(session), 0);
}

TEST_F(ApiTest, RefusesToStepPastMaxLen) {
  createSession();
  for (int i = 0; i < 16; ++i)
    ASSERT_EQ(take(sparsec_session_step(session, i, nullptr)), "OK");
  sparsec_status_t status = sparsec_session_step(session, 1, nullptr);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(take(status), "sparsec_session_step: position 16 is beyond the "
                          "context: max_len is 16 (reset the session to start "
                          "over)");
  EXPECT_EQ(calls.size(), 16u);
}

TEST_F(ApiTest, PrefillChecksTheWholePromptFirst) {
  createSession();
  std::vector<int32_t> prompt(17, 'x');
  sparsec_status_t status =
      sparsec_session_prefill(session, prompt.data(), prompt.size(), nullptr);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_OUT_OF_RANGE);
  EXPECT_EQ(take(status), "sparsec_session_prefill: the prompt is 17 tokens, "
                          "longer than the context: max_len is 16 and 0 "
                          "positions are taken");
  EXPECT_TRUE(calls.empty());
  prompt = {'h', 'i', 300};
  EXPECT_EQ(take(sparsec_session_prefill(session, prompt.data(), 3, nullptr)),
            "sparsec_session_prefill: prompt token 2 is 300, outside the "
            "vocabulary [0, 256)");
  EXPECT_TRUE(calls.empty());

  prompt = {'h', 'i'};
  std::vector<float> logits(256);
  ASSERT_EQ(
      take(sparsec_session_prefill(session, prompt.data(), 2, logits.data())),
      "OK");
  EXPECT_EQ(logits['j'], 1.0f);
  EXPECT_EQ(sparsec_session_position(session), 2);
  int32_t token = 0;
  ASSERT_EQ(take(sparsec_session_sample(session, &token)), "OK");
  EXPECT_EQ(token, 'j');
}

TEST_F(ApiTest, ResetClearsTheCacheAndPosition) {
  createSession();
  int32_t token = 0;
  sparsec_status_t status = sparsec_session_sample(session, &token);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_FAILED_PRECONDITION);
  EXPECT_EQ(take(status), "sparsec_session_sample: no logits to sample from; "
                          "step a token first");
  ASSERT_EQ(take(sparsec_session_step(session, 1, nullptr)), "OK");
  ASSERT_EQ(take(sparsec_session_step(session, 2, nullptr)), "OK");
  const uint8_t *cache = static_cast<const uint8_t *>(calls[0].kvCache.aligned);
  EXPECT_EQ(cache[1], 0xab);
  ASSERT_EQ(take(sparsec_session_reset(session)), "OK");
  EXPECT_EQ(sparsec_session_position(session), 0);
  for (int i = 0; i < 1000; ++i)
    ASSERT_EQ(cache[i], 0) << i;
  EXPECT_NE(take(sparsec_session_sample(session, &token)), "OK");
  ASSERT_EQ(take(sparsec_session_step(session, 5, nullptr)), "OK");
  EXPECT_EQ(calls.back().pos, 0);
}

TEST_F(ApiTest, SeededSamplingIsReproducible) {
  uniformLogits = true;
  sparsec_session_options_t options;
  sparsec_session_options_initialize(&options);
  EXPECT_EQ(options.seed, 0u);
  EXPECT_EQ(options.temperature, 0.0f);
  EXPECT_EQ(options.top_k, 0);
  EXPECT_EQ(options.top_p, 1.0f);
  options.seed = 1234;
  options.temperature = 1.0f;
  createSession(&options);
  sparsec_session_t *twin = nullptr;
  ASSERT_EQ(take(sparsec_session_create(model, &options, &twin)), "OK");

  auto run = [](sparsec_session_t *s) {
    std::vector<int32_t> tokens;
    int32_t token = 0;
    for (int i = 0; i < 12; ++i) {
      EXPECT_EQ(take(sparsec_session_step(s, token, nullptr)), "OK");
      EXPECT_EQ(take(sparsec_session_sample(s, &token)), "OK");
      tokens.push_back(token);
    }
    return tokens;
  };
  std::vector<int32_t> first = run(session);
  EXPECT_EQ(first, run(twin));
  std::set<int32_t> distinct(first.begin(), first.end());
  EXPECT_GT(distinct.size(), 6u) << "uniform logits should spread tokens";
  ASSERT_EQ(take(sparsec_session_reset(session)), "OK");
  EXPECT_EQ(first, run(session)) << "reset restarts the sampler too";
  sparsec_session_release(twin);
}

TEST_F(ApiTest, RejectsBadSamplerOptions) {
  sparsec_session_options_t options;
  sparsec_session_options_initialize(&options);
  options.top_p = 1.5f;
  sparsec_status_t status = sparsec_session_create(model, &options, &session);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(take(status).find("sparsec_session_create: sampler: top_p"),
            std::string::npos);
  EXPECT_EQ(session, nullptr);
}

TEST_F(ApiTest, NoLinkedStepIsAClearError) {
  sparsec_runtime_set_step_function_for_testing(nullptr, 0);
  sparsec_status_t status = sparsec_session_create(model, nullptr, &session);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_FAILED_PRECONDITION);
  EXPECT_EQ(take(status),
            "sparsec: no decode step is linked into this executable (expected "
            "the compiler's object exporting _mlir_ciface_sparsec_decode_step "
            "and sparsec_kernel_abi_version)");
  EXPECT_EQ(session, nullptr);
}

TEST_F(ApiTest, AbiVersionMismatchIsAClearError) {
  sparsec_runtime_set_step_function_for_testing(&fakeStep,
                                                SPARSEC_KERNEL_ABI_VERSION + 1);
  sparsec_status_t status = sparsec_session_create(model, nullptr, &session);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_FAILED_PRECONDITION);
  EXPECT_EQ(take(status),
            "sparsec: the registered decode step was compiled for kernel ABI "
            "version " +
                std::to_string(SPARSEC_KERNEL_ABI_VERSION + 1) +
                ", this runtime implements version " +
                std::to_string(SPARSEC_KERNEL_ABI_VERSION));
}

TEST_F(ApiTest, SessionKeepsTheModelAlive) {
  createSession();
  sparsec_model_release(model);
  model = nullptr;
  ASSERT_EQ(take(sparsec_session_step(session, 'q', nullptr)), "OK");
  int32_t token = 0;
  ASSERT_EQ(take(sparsec_session_sample(session, &token)), "OK");
  EXPECT_EQ(token, 'r');
}

TEST_F(ApiTest, ModelQueriesAndTokenizer) {
  sparsec_model_info_t info;
  ASSERT_EQ(take(sparsec_model_query_info(model, &info)), "OK");
  EXPECT_STREQ(info.model_name, "tiny");
  EXPECT_STREQ(info.architecture, "BambooForCausalLM");
  EXPECT_STREQ(info.target, "x86-64 (avx2)");
  EXPECT_STREQ(info.source_hash, "0123456789abcdef");
  EXPECT_EQ(info.vocab_size, 256);
  EXPECT_EQ(info.hidden_size, 8);
  EXPECT_EQ(info.num_layers, 2);
  EXPECT_EQ(info.max_len, 16);
  EXPECT_EQ(info.bos_id, -1);
  EXPECT_EQ(info.num_ffns, 3u);
  EXPECT_EQ(info.kv_cache_bytes, 1000u);
  EXPECT_EQ(info.other_bytes_per_token, 4096u);
  EXPECT_GT(info.weights_bytes, 4096u);

  sparsec_ffn_info_t ffn;
  ASSERT_EQ(take(sparsec_model_query_ffn(model, 2, &ffn)), "OK");
  EXPECT_EQ(ffn.layer, 1);
  EXPECT_EQ(ffn.expert, 1);
  EXPECT_EQ(ffn.neurons, 8);
  EXPECT_EQ(ffn.mode, SPARSEC_FFN_MODE_EXACT);
  EXPECT_EQ(ffn.fixed_bytes, 64u);
  EXPECT_EQ(ffn.row_bytes, 48u);
  EXPECT_EQ(take(sparsec_model_query_ffn(model, 3, &ffn)),
            "sparsec_model_query_ffn: index 3 is beyond the model's 3 FFNs");

  size_t count = 0;
  ASSERT_EQ(take(sparsec_model_tokenize(model, "hey", 3, nullptr, 0, &count)),
            "OK");
  EXPECT_EQ(count, 3u);
  int32_t ids[3];
  ASSERT_EQ(take(sparsec_model_tokenize(model, "hey", 3, ids, 3, &count)),
            "OK");
  EXPECT_EQ(ids[2], 'y');
  EXPECT_NE(take(sparsec_model_tokenize(model, "hey", 3, ids, 2, &count)),
            "OK");
  char piece[4];
  size_t length = 0;
  ASSERT_EQ(
      take(sparsec_model_detokenize(model, 'z', piece, sizeof(piece), &length)),
      "OK");
  EXPECT_EQ(length, 1u);
  EXPECT_STREQ(piece, "z");
  EXPECT_NE(take(sparsec_model_detokenize(model, 'z', piece, 1, &length)),
            "OK");
}

TEST_F(ApiTest, TokenizeFlagsEosAndChatTemplate) {
  size_t count = 0;
  int32_t ids[8];
  ASSERT_EQ(take(sparsec_model_tokenize_ex(model, "<s>", 3,
                                           SPARSEC_TOKENIZE_PARSE_SPECIAL, ids,
                                           8, &count)),
            "OK");
  EXPECT_EQ(count, 3u); // the byte tokenizer has no special tokens
  EXPECT_EQ(ids[0], '<');
  EXPECT_EQ(take(sparsec_model_tokenize_ex(model, "x", 1, 6, ids, 8, &count)),
            "sparsec_model_tokenize_ex: unknown flags 6 (known: "
            "SPARSEC_TOKENIZE_PARSE_SPECIAL)");

  // The test model names no EOS and no chat format.
  ASSERT_EQ(take(sparsec_model_eos_ids(model, nullptr, 0, &count)), "OK");
  EXPECT_EQ(count, 0u);
  int isEos = 1;
  ASSERT_EQ(take(sparsec_model_is_eos(model, 'c', &isEos)), "OK");
  EXPECT_EQ(isEos, 0);
  const char *name = "unset";
  ASSERT_EQ(take(sparsec_model_query_chat_template(model, &name)), "OK");
  EXPECT_EQ(name, nullptr);

  nlohmann::ordered_json json = testing::testManifest({});
  json["tokenizer"]["eos_ids"] = {2, 99, 2};
  json["tokenizer"]["chat_template"] = "llama3";
  testing::writeManifest(dir.path(), json);
  sparsec_model_t *other = nullptr;
  ASSERT_EQ(take(sparsec_model_load(dir.path().c_str(), &other)), "OK");
  ASSERT_EQ(take(sparsec_model_eos_ids(other, ids, 8, &count)), "OK");
  ASSERT_EQ(count, 2u); // without repeats
  EXPECT_EQ(ids[0], 2);
  EXPECT_EQ(ids[1], 'c');
  ASSERT_EQ(take(sparsec_model_is_eos(other, 'c', &isEos)), "OK");
  EXPECT_EQ(isEos, 1);
  ASSERT_EQ(take(sparsec_model_query_chat_template(other, &name)), "OK");
  EXPECT_STREQ(name, "llama3");
  EXPECT_EQ(take(sparsec_model_is_eos(other, 'c', nullptr)),
            "sparsec_model_is_eos: 'out_is_eos' is NULL");
  sparsec_model_release(other);
}

TEST_F(ApiTest, DetokenizerStreamsWholeCharacters) {
  sparsec_detokenizer_t *detokenizer = nullptr;
  ASSERT_EQ(take(sparsec_detokenizer_create(model, &detokenizer)), "OK");
  const char *text = nullptr;
  size_t length = 0;
  std::string out;
  // "é" is two byte tokens: nothing until the second arrives.
  for (int32_t token : std::vector<int32_t>{'a', 0xC3, 0xA9, 'b'}) {
    ASSERT_EQ(
        take(sparsec_detokenizer_push(detokenizer, token, &text, &length)),
        "OK");
    out += std::string(text, length) + "|";
  }
  EXPECT_EQ(out, "a||\xC3\xA9|b|");
  // An incomplete character left at the end becomes U+FFFD.
  ASSERT_EQ(take(sparsec_detokenizer_push(detokenizer, 0xE2, &text, &length)),
            "OK");
  EXPECT_EQ(length, 0u);
  ASSERT_EQ(take(sparsec_detokenizer_flush(detokenizer, &text, &length)), "OK");
  EXPECT_EQ(std::string(text, length), "\xEF\xBF\xBD");
  ASSERT_EQ(take(sparsec_detokenizer_push(detokenizer, 0xE2, &text, &length)),
            "OK");
  ASSERT_EQ(take(sparsec_detokenizer_reset(detokenizer)), "OK");
  ASSERT_EQ(take(sparsec_detokenizer_flush(detokenizer, &text, &length)), "OK");
  EXPECT_EQ(length, 0u);
  EXPECT_EQ(take(sparsec_detokenizer_push(detokenizer, 'a', nullptr, &length)),
            "sparsec_detokenizer_push: 'out_text' is NULL");
  // The detokenizer keeps the model alive.
  sparsec_model_release(model);
  model = nullptr;
  ASSERT_EQ(take(sparsec_detokenizer_push(detokenizer, 'z', &text, &length)),
            "OK");
  EXPECT_STREQ(text, "z");
  sparsec_detokenizer_release(detokenizer);
  sparsec_detokenizer_release(nullptr);
}

TEST(ApiStatusTest, PublicHeadersCompileAsC) {
  EXPECT_EQ(sparsec_c_header_check(), 1);
}

TEST(ApiStatusTest, LoadErrorsComeBackAsStatuses) {
  EXPECT_EQ(sparsec_status_code(nullptr), SPARSEC_STATUS_OK);
  EXPECT_STREQ(sparsec_status_message(nullptr), "OK");
  sparsec_status_free(nullptr);

  TempDir dir;
  sparsec_model_t *model = reinterpret_cast<sparsec_model_t *>(0x1);
  sparsec_status_t status = sparsec_model_load(dir.path().c_str(), &model);
  EXPECT_EQ(model, nullptr);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_NOT_FOUND);
  EXPECT_EQ(take(status), dir.file("manifest.json") +
                              ": cannot open: No such file or directory (the "
                              "model's manifest)");
  status = sparsec_model_load(nullptr, &model);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(take(status), "sparsec_model_load: 'dir' is NULL");

  nlohmann::ordered_json json = testing::testManifest({});
  json["tokenizer"]["type"] = "tiktoken";
  ASSERT_TRUE(testing::writeTestWeights(dir.path(), {}).isOk());
  testing::writeManifest(dir.path(), json);
  status = sparsec_model_load(dir.path().c_str(), &model);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_UNIMPLEMENTED);
  EXPECT_NE(take(status).find("unknown tokenizer 'tiktoken'"),
            std::string::npos);
}

} // namespace
} // namespace sparsec

//===- manifest_test.cpp - manifest.json parsing ----------------*- C++ -*-===//
//
// One good manifest, then one malformation per case: every rejection is a
// single line that starts with the file and names the key at fault.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/manifest.h"
#include "sparsec/formats/step_info.h"
#include "sparsec/kernel_abi.h"
#include "test_model.h"

#include <gtest/gtest.h>

namespace sparsec {
namespace {

using nlohmann::ordered_json;
using testing::testManifest;

constexpr const char *kPath = "OUT/manifest.json";

StatusOr<Manifest> parse(const ordered_json &json) {
  return Manifest::parse(json.dump(), kPath);
}

void expectError(const ordered_json &json, const std::string &needle) {
  StatusOr<Manifest> manifest = parse(json);
  ASSERT_FALSE(manifest.isOk()) << "accepted a manifest expected to fail "
                                   "with: "
                                << needle;
  const std::string &message = manifest.status().message();
  EXPECT_NE(message.find(needle), std::string::npos) << message;
  EXPECT_EQ(message.rfind(std::string(kPath) + ": ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(ManifestTest, ParsesEveryKey) {
  StatusOr<Manifest> manifest = parse(testManifest({}));
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  const Manifest &m = *manifest;
  EXPECT_EQ(m.abiVersion, SPARSEC_KERNEL_ABI_VERSION);
  EXPECT_EQ(m.layoutVersion, 1);
  EXPECT_EQ(m.modelName, "tiny");
  EXPECT_EQ(m.architecture, "BambooForCausalLM");
  EXPECT_EQ(m.target, "x86-64 (avx2)");
  EXPECT_EQ(m.sourceHash, "0123456789abcdef");
  EXPECT_EQ(m.weightsFile, "weights.safetensors");
  EXPECT_EQ(m.vocabSize, 256);
  EXPECT_EQ(m.hiddenSize, 8);
  EXPECT_EQ(m.numLayers, 2);
  EXPECT_EQ(m.maxLen, 16);
  EXPECT_EQ(m.kvCacheBytes, 1000u);
  EXPECT_EQ(m.otherBytesPerToken, 4096u);
  ASSERT_EQ(m.tensors.size(), 6u);
  EXPECT_EQ(m.tensors[0].name, "model.embed_tokens.weight");
  EXPECT_EQ(m.tensors[0].dtype, DType::kF16);
  EXPECT_EQ(m.tensors[0].shape, (std::vector<int64_t>{256, 8}));
  EXPECT_EQ(m.tensors[0].offset, 0u);
  EXPECT_EQ(m.tensors[0].nbytes, 4096u);
  EXPECT_EQ(m.tensors[1].offset, 4096u);
  EXPECT_EQ(m.tensors[3].dtype, DType::kBF16);
  ASSERT_EQ(m.ffns.size(), 3u);
  EXPECT_EQ(m.ffns[0].layer, 0);
  EXPECT_EQ(m.ffns[0].expert, -1);
  EXPECT_EQ(m.ffns[0].neurons, 16);
  EXPECT_EQ(m.ffns[0].mode, FfnMode::kPredicted);
  EXPECT_EQ(m.ffns[0].fixedBytes, 128u);
  EXPECT_EQ(m.ffns[0].rowBytes, 48u);
  EXPECT_EQ(m.ffns[2].expert, 1);
  EXPECT_EQ(m.ffns[2].mode, FfnMode::kExact);
  EXPECT_EQ(m.tokenizer.type, "byte");
  EXPECT_FALSE(m.tokenizer.bosId.has_value());
}

TEST(ManifestTest, IgnoresUnknownKeysAndReadsBosId) {
  ordered_json json = testManifest({});
  json["compiled_with"] = "sparsec 0.1";
  json["tokenizer"]["bos_id"] = 255;
  StatusOr<Manifest> manifest = parse(json);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  EXPECT_EQ(manifest->tokenizer.bosId, 255);
}

TEST(ManifestTest, BytesReadPerStepCountsTheFfnsThatRan) {
  StatusOr<Manifest> manifest = parse(testManifest({}));
  ASSERT_TRUE(manifest.isOk());
  // Layer 0 computed 4 neurons, expert 1.0 did not run, expert 1.1 ran 2.
  int32_t stats[3] = {4, 0, 2};
  EXPECT_EQ(manifest->bytesReadPerStep(stats),
            4096u + (128 + 4 * 48) + (64 + 2 * 48));
  // A dense FFN outside an MoE always runs, even reporting 0 neurons.
  manifest->ffns[0].mode = FfnMode::kDense;
  int32_t none[3] = {0, 0, 0};
  EXPECT_EQ(manifest->bytesReadPerStep(none), 4096u + 128);
}

TEST(ManifestTest, KvCacheBytesReadCountsTheAttendedPositions) {
  // 1000 bytes for max_len 16 and no kv_cache_slots: 16 slots would not
  // divide them, but without the key the slots are max_len and only
  // multiples matter when stated.
  ordered_json json = testManifest({});
  json["kv_cache_bytes"] = 1600;
  StatusOr<Manifest> manifest = parse(json);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  EXPECT_EQ(manifest->kvCacheSlots, 16);
  EXPECT_EQ(manifest->kvCacheBytesRead(0), 100u);
  EXPECT_EQ(manifest->kvCacheBytesRead(9), 1000u);
  EXPECT_EQ(manifest->kvCacheBytesRead(15), 1600u);
  // A ring of 4 slots: never more than 4 positions.
  json["kv_cache_slots"] = 4;
  manifest = parse(json);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  EXPECT_EQ(manifest->kvCacheBytesRead(1), 800u);
  EXPECT_EQ(manifest->kvCacheBytesRead(12), 1600u);
  json["kv_cache_slots"] = 17;
  expectError(json, "key 'kv_cache_slots': expected an integer in [1, 16], "
                    "got integer 17");
  json["kv_cache_slots"] = 3;
  expectError(json, "key 'kv_cache_slots': kv_cache_bytes (1600) is not a "
                    "multiple of 3 slots");
}

TEST(ManifestTest, RejectsWhatIsNotAManifest) {
  StatusOr<Manifest> bad = Manifest::parse("{\"format\": ", kPath);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(), "OUT/manifest.json: not valid JSON");
  bad = Manifest::parse("[1]", kPath);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            "OUT/manifest.json: expected a JSON object, got array");

  ordered_json json = testManifest({});
  json["format"] = "onnx";
  expectError(json, "key 'format': expected 'sparsec-manifest', got 'onnx'");
  json.erase("format");
  expectError(json, "key 'format': missing");
}

TEST(ManifestTest, RejectsVersionMismatches) {
  ordered_json json = testManifest({});
  json["abi_version"] = SPARSEC_KERNEL_ABI_VERSION + 1;
  expectError(json, "key 'abi_version': the model was compiled for kernel "
                    "ABI version " +
                        std::to_string(SPARSEC_KERNEL_ABI_VERSION + 1) +
                        ", this runtime implements version " +
                        std::to_string(SPARSEC_KERNEL_ABI_VERSION));
  EXPECT_EQ(parse(json).status().code(), StatusCode::kFailedPrecondition);
  json = testManifest({});
  json["layout_version"] = 7;
  expectError(json, "key 'layout_version': the weights were packed with "
                    "layout version 7, this runtime reads version 1");
  json["layout_version"] = "1";
  expectError(json, "key 'layout_version': expected a non-negative integer, "
                    "got string '1'");
}

TEST(ManifestTest, RejectsMistypedTopLevelKeys) {
  ordered_json json = testManifest({});
  json["vocab_size"] = 0;
  expectError(json, "key 'vocab_size': expected an integer in [1, "
                    "16777216], got integer 0"); // limits::kMaxVocab
  json = testManifest({});
  json["max_len"] = 12.5;
  expectError(json, "key 'max_len': expected an integer in [1, 2147483647], "
                    "got number 12.5");
  json = testManifest({});
  json["kv_cache_bytes"] = -1;
  expectError(json, "key 'kv_cache_bytes': expected a non-negative integer, "
                    "got integer -1");
  json = testManifest({});
  json.erase("other_bytes_per_token");
  expectError(json, "key 'other_bytes_per_token': missing");
  json = testManifest({});
  json["source_hash"] = "xyz";
  expectError(json, "key 'source_hash': expected 16 hex digits, got 'xyz'");
  json = testManifest({});
  json["weights_file"] = "../weights.safetensors";
  expectError(json, "key 'weights_file': expected a file name in the "
                    "manifest's folder");
  json = testManifest({});
  json["model_name"] = 3;
  expectError(json, "key 'model_name': expected a string, got integer 3");
  json = testManifest({});
  json["tensors"] = ordered_json::object();
  expectError(json, "key 'tensors': expected an array, got object");
}

TEST(ManifestTest, ReadsThePrefillBlockWhereItsTokensFit) {
  ordered_json json = testManifest({});
  json["scratch_bytes"] = 4096;
  StatusOr<Manifest> none = parse(json);
  ASSERT_TRUE(none.isOk()) << none.status().message();
  EXPECT_EQ(none->prefillBlock, 0);
  json["prefill_block"] = 64;
  StatusOr<Manifest> manifest = parse(json);
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  EXPECT_EQ(manifest->prefillBlock, 64);
  // The block's tokens are the first prefill_block int32 of scratch.
  json["scratch_bytes"] = 255;
  expectError(json, "key 'prefill_block': 64 tokens do not fit: at most 4096 "
                    "and 4 bytes each within scratch_bytes");
  json["scratch_bytes"] = 1 << 20;
  json["prefill_block"] = 4097;
  expectError(json, "key 'prefill_block': 4097 tokens do not fit");
  json["prefill_block"] = -1;
  expectError(json, "key 'prefill_block': expected a non-negative integer");
}

TEST(ManifestTest, ThePrefillBlockIsAStepFact) {
  // An executable refuses a manifest whose prefill block it was not
  // compiled with; manifests without one hash as they always did.
  ordered_json json = testManifest({});
  json["scratch_bytes"] = 4096;
  StatusOr<Manifest> without = parse(json);
  json["prefill_block"] = 0;
  StatusOr<Manifest> zero = parse(json);
  json["prefill_block"] = 64;
  StatusOr<Manifest> with = parse(json);
  ASSERT_TRUE(without.isOk() && zero.isOk() && with.isOk());
  EXPECT_EQ(manifestFactsHash(*without), manifestFactsHash(*zero));
  EXPECT_NE(manifestFactsHash(*without), manifestFactsHash(*with));
}

TEST(ManifestTest, RejectsBadTensorEntries) {
  ordered_json json = testManifest({});
  json["tensors"][3]["offset"] = "0";
  expectError(json, "key 'tensors[3].offset': expected a non-negative "
                    "integer, got string '0'");
  json = testManifest({});
  json["tensors"][1]["offset"] = 4000;
  expectError(json, "key 'tensors[1].offset': expected at least 4096 "
                    "(tensors are in data order; 'model.embed_tokens.weight' "
                    "ends there), got 4000");
  json = testManifest({});
  json["tensors"][0]["dtype"] = "Q4_0";
  expectError(json, "key 'tensors[0].dtype': unknown dtype 'Q4_0'");
  json = testManifest({});
  json["tensors"][0]["nbytes"] = 100;
  expectError(json, "key 'tensors[0].nbytes': expected 4096 (dtype F16 x "
                    "shape [256x8]), got 100");
  json = testManifest({});
  json["tensors"][2]["shape"][1] = -8;
  expectError(json, "key 'tensors[2].shape[1]': expected a non-negative "
                    "integer, got integer -8");
  json = testManifest({});
  json["tensors"][5]["name"] = "model.embed_tokens.weight";
  expectError(json, "key 'tensors[5].name': tensor "
                    "'model.embed_tokens.weight' is listed twice");
  json = testManifest({});
  json["tensors"][4] = 7;
  expectError(json, "key 'tensors[4]': expected an object, got integer 7");
}

TEST(ManifestTest, RejectsBadFfnEntries) {
  ordered_json json = testManifest({});
  json["ffns"][0]["layer"] = 2;
  expectError(json, "key 'ffns[0].layer': expected an integer in [0, 1], got "
                    "integer 2");
  json = testManifest({});
  json["ffns"][1]["mode"] = "sparse";
  expectError(json, "key 'ffns[1].mode': unknown mode 'sparse'");
  json = testManifest({});
  json["ffns"][2]["expert"] = 0;
  expectError(json, "key 'ffns[2]': layer 1 expert 0 is listed twice");
  json = testManifest({});
  json["ffns"][0]["neurons"] = 0;
  expectError(json, "key 'ffns[0].neurons'");
  json = testManifest({});
  json["ffns"][0].erase("row_bytes");
  expectError(json, "key 'ffns[0].row_bytes': missing");
}

TEST(ManifestTest, RejectsBadTokenizerSection) {
  ordered_json json = testManifest({});
  json["tokenizer"] = "byte";
  expectError(json, "key 'tokenizer': expected an object, got string 'byte'");
  json = testManifest({});
  json["tokenizer"].erase("type");
  expectError(json, "key 'tokenizer.type': missing");
  json = testManifest({});
  json["tokenizer"]["bos_id"] = 256;
  expectError(json, "key 'tokenizer.bos_id': expected an integer in [0, 255]");
}

TEST(ManifestTest, LoadNamesAMissingFile) {
  StatusOr<Manifest> manifest = Manifest::load("/nonexistent/manifest.json");
  ASSERT_FALSE(manifest.isOk());
  EXPECT_EQ(manifest.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(manifest.status().message(),
            "/nonexistent/manifest.json: cannot open: No such file or "
            "directory (the model's manifest)");
}

} // namespace
} // namespace sparsec

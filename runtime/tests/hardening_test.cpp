//===- hardening_test.cpp - hostile inputs of issue 9 -----------*- C++ -*-===//
//
// Regression tests for the runtime half of issue 9: deep JSON (defect 4),
// thread creation failure (5), weights truncated under a running model (6),
// FIFOs and other non-regular files (7), repeated keys (11), control
// characters quoted in errors (13), the scratch allocation message (16) and
// the limits of sparsec/formats/limits.h. Every error is checked to be one
// line.
//
//===----------------------------------------------------------------------===//

#include "sparsec/runtime.h"

#include "api_testing.h"
#include "model/model.h"
#include "sparsec/formats/limits.h"
#include "sparsec/formats/manifest.h"
#include "sparsec/formats/mapped_file.h"
#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/status.h"
#include "sparsec/kernel_abi.h"
#include "test_model.h"
#include "threading/thread_pool.h"
#include "tokenizer/hf_tokenizer.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <future>
#include <sys/stat.h>
#include <sys/time.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace sparsec {
namespace {

using nlohmann::ordered_json;
using testing::TempDir;
using testing::writeTextFile;

/// 8-byte little-endian length, the header, then the data.
std::string safetensorsBytes(const std::string &header,
                             const std::string &data = "") {
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((uint64_t(header.size()) >> (8 * i)) & 0xff);
  return bytes + header + data;
}

void expectOneLine(const std::string &message) {
  EXPECT_FALSE(message.empty());
  for (char c : message)
    ASSERT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        << "control character " << int(c) << " in: " << message;
}

template <typename T> std::string errorOf(const StatusOr<T> &result) {
  EXPECT_FALSE(result.isOk());
  if (result.isOk())
    return "";
  expectOneLine(result.status().message());
  return result.status().message();
}

std::string deepJson(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

//===----------------------------------------------------------------------===//
// escapeForMessage (defect 13)
//===----------------------------------------------------------------------===//

TEST(EscapeForMessageTest, EscapesControlCharactersOnly) {
  EXPECT_EQ(escapeForMessage("plain 'text' \\ é"), "plain 'text' \\ é");
  EXPECT_EQ(escapeForMessage(std::string("a\nb\r\tc\x1b[31md\x7f\x01", 14) +
                             std::string(1, '\0')),
            "a\\nb\\r\\tc\\x1b[31md\\x7f\\x01\\x00");
  // C1 controls (U+009B is CSI on some terminals) in their UTF-8 form.
  EXPECT_EQ(escapeForMessage("x\xc2\x9b"
                             "2J\xc2\xa0"),
            "x\\u009b2J\xc2\xa0");
  std::string once = escapeForMessage("evil\n\x1b[31mname");
  EXPECT_EQ(once, "evil\\n\\x1b[31mname");
  EXPECT_EQ(escapeForMessage(once), once); // idempotent
}

//===----------------------------------------------------------------------===//
// Defect 4: every JSON the runtime parses is bounded
//===----------------------------------------------------------------------===//

TEST(JsonLimitsTest, DeepManifestIsOneClearLine) {
  TempDir dir;
  std::string path = dir.file("manifest.json");
  writeTextFile(path, "{\"format\": " + deepJson(100000) + "}");
  std::string message = errorOf(Manifest::load(path));
  EXPECT_EQ(message, path + ": JSON nested deeper than 64 levels (at byte 74)");
  // Manifest::parse directly too.
  EXPECT_EQ(errorOf(Manifest::parse(deepJson(100000), "m.json")),
            "m.json: JSON nested deeper than 64 levels (at byte 64)");
}

TEST(JsonLimitsTest, DeepSafetensorsHeaderIsOneClearLine) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  writeTextFile(path, safetensorsBytes("{\"a\": " + deepJson(100000) + "}"));
  EXPECT_EQ(errorOf(SafetensorsFile::open(path)),
            path + ": JSON nested deeper than 64 levels (at byte 69)");
}

TEST(JsonLimitsTest, DeepIndexJsonIsOneClearLine) {
  TempDir dir;
  std::string path = dir.file("model.safetensors.index.json");
  writeTextFile(path, "{\"weight_map\": " + deepJson(100000) + "}");
  EXPECT_EQ(errorOf(Checkpoint::openDirectory(dir.path())),
            path + ": JSON nested deeper than 64 levels (at byte 78)");
}

TEST(JsonLimitsTest, DeepTokenizerJsonIsOneClearLine) {
  TempDir dir;
  std::string path = dir.file("tokenizer.json");
  writeTextFile(path, "{\"model\": " + deepJson(100000) + "}");
  EXPECT_EQ(errorOf(HfTokenizer::load(path)),
            path + ": JSON nested deeper than 64 levels (at byte 73)");
}

TEST(JsonLimitsTest, BracketsInsideStringsDoNotCount) {
  ordered_json json = testing::testManifest({});
  json["model_name"] = std::string(1000, '[');
  StatusOr<Manifest> manifest = Manifest::parse(json.dump(), "m.json");
  EXPECT_TRUE(manifest.isOk()) << manifest.status().message();
}

//===----------------------------------------------------------------------===//
// Defect 5: thread creation failure
//===----------------------------------------------------------------------===//

void nopStep(sparsec_memref1d *, sparsec_memref1d *, sparsec_memref1d *,
             sparsec_memref1d *, sparsec_memref1d *, int32_t, int64_t) {}

TEST(ThreadCreationTest, SessionCreateReturnsAStatusAndJoinsTheStarted) {
  TempDir dir;
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  sparsec_runtime_set_step_function_for_testing(&nopStep,
                                                SPARSEC_KERNEL_ABI_VERSION);
  sparsec_model_t *model = nullptr;
  ASSERT_EQ(sparsec_model_load(dir.path().c_str(), &model), nullptr);
  sparsec_session_options_t options;
  sparsec_session_options_initialize(&options);
  options.num_threads = 8;
  ThreadPool::failThreadCreationForTesting(4); // 3 workers start, then fail
  sparsec_session_t *session = nullptr;
  sparsec_status_t status = sparsec_session_create(model, &options, &session);
  ThreadPool::failThreadCreationForTesting(0);
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_RESOURCE_EXHAUSTED);
  EXPECT_EQ(std::string(sparsec_status_message(status)),
            std::string("sparsec_session_create: cannot start worker thread 4 "
                        "of 7 (") +
                std::system_error(EAGAIN, std::generic_category()).what() +
                "); ask for fewer threads (--threads, num_threads)");
  EXPECT_EQ(session, nullptr);
  sparsec_status_free(status);
  // A later session with the same model works.
  ASSERT_EQ(sparsec_session_create(model, &options, &session), nullptr);
  sparsec_session_release(session);
  sparsec_model_release(model);
  sparsec_runtime_set_step_function_for_testing(nullptr, 0);
}

//===----------------------------------------------------------------------===//
// Defect 6: the weights file changed under a running model
//===----------------------------------------------------------------------===//

TEST(WeightsChangedDeathTest, TruncatedMappingExitsWithOneLine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  std::string path = dir.file("weights.safetensors");
  writeTextFile(path, std::string(1 << 16, 'x'));
  EXPECT_EXIT(
      {
        StatusOr<MappedFile> file = MappedFile::open(path);
        if (!file.isOk())
          std::_Exit(3);
        file->setTruncationNote(
            "the weights file was truncated or changed while the model ran");
        if (::truncate(path.c_str(), 0) != 0)
          std::_Exit(4);
        volatile uint8_t byte = file->data()[file->size() - 1];
        (void)byte;
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(1),
      // The child runs the test again (threadsafe style): its own TempDir.
      "^sparsec_runtime_tests: error: /tmp/sparsec-runtime-[^/\n]*/"
      "weights.safetensors: the weights file was truncated or changed while "
      "the model ran \\(SIGBUS\\)\n$");
}

TEST(WeightsChangedDeathTest, LoadedModelNamesItsWeightsFile) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  std::string weights = dir.file("weights.safetensors");
  EXPECT_EXIT(
      {
        StatusOr<std::unique_ptr<Model>> model = Model::load(dir.path());
        if (!model.isOk())
          std::_Exit(3);
        if (::truncate(weights.c_str(), 0) != 0)
          std::_Exit(4);
        volatile uint8_t byte =
            (*model)->weightsData()[(*model)->weightsSize() - 1];
        (void)byte;
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(1),
      "^sparsec_runtime_tests: error: /tmp/sparsec-runtime-[^/\n]*/"
      "weights.safetensors: the weights file was truncated or changed while "
      "the model ran \\(SIGBUS\\)\n$");
}

TEST(WeightsChangedDeathTest, ASigbusOutsideTheMappingsStaysASigbus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir dir;
  std::string path = dir.file("weights.safetensors");
  writeTextFile(path, std::string(4096, 'x'));
  EXPECT_EXIT(
      {
        StatusOr<MappedFile> file = MappedFile::open(path); // installs it
        ::raise(SIGBUS);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

TEST(WeightsChangedTest, SessionCreationChecksTheFileIdentity) {
  TempDir dir;
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  std::string weights = dir.file("weights.safetensors");
  StatusOr<std::unique_ptr<Model>> model = Model::load(dir.path());
  ASSERT_TRUE(model.isOk()) << model.status().message();
  EXPECT_TRUE((*model)->checkWeightsUnchanged().isOk());
  const FileIdentity &identity = (*model)->weights().file().identity();
  struct stat st;
  ASSERT_EQ(::stat(weights.c_str(), &st), 0);
  EXPECT_EQ(identity.inode, uint64_t(st.st_ino));
  EXPECT_EQ(identity.size, uint64_t(st.st_size));

  // Rewritten in place: same size, another modification time.
  struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, weights.c_str(), times, 0), 0);
  Status status = (*model)->checkWeightsUnchanged();
  EXPECT_EQ(status.message(), weights + ": the file was modified since it was "
                                        "loaded; load the model again");

  // Through the C API: a session is refused.
  sparsec_runtime_set_step_function_for_testing(&nopStep,
                                                SPARSEC_KERNEL_ABI_VERSION);
  TempDir dir2;
  ASSERT_TRUE(testing::writeTestModel(dir2.path()).isOk());
  sparsec_model_t *handle = nullptr;
  ASSERT_EQ(sparsec_model_load(dir2.path().c_str(), &handle), nullptr);
  std::string weights2 = dir2.file("weights.safetensors");
  ASSERT_EQ(::truncate(weights2.c_str(), 100), 0);
  sparsec_session_t *session = nullptr;
  sparsec_status_t error = sparsec_session_create(handle, nullptr, &session);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(std::string(sparsec_status_message(error)),
            weights2 + ": the file was resized from " +
                std::to_string(uint64_t(st.st_size)) +
                " to 100 bytes since it was loaded; load the model again");
  sparsec_status_free(error);
  sparsec_model_release(handle);
  sparsec_runtime_set_step_function_for_testing(nullptr, 0);
}

//===----------------------------------------------------------------------===//
// Defect 7: FIFOs and other non-regular files
//===----------------------------------------------------------------------===//

/// Runs `open` on the FIFO at `fifo`; a call still blocked after 5 s fails
/// the test and is released by opening the FIFO's write end.
std::string openFifoWithTimeout(const std::string &fifo,
                                std::function<std::string()> open) {
  auto promise = std::make_shared<std::promise<std::string>>();
  std::future<std::string> result = promise->get_future();
  std::thread worker([promise, open] { promise->set_value(open()); });
  if (result.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    ADD_FAILURE() << fifo << ": opening the FIFO blocked";
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    worker.join();
    if (fd >= 0)
      ::close(fd);
    return "(blocked)";
  }
  worker.join();
  return result.get();
}

TEST(NonRegularFileTest, FifosAreRefusedWithoutBlocking) {
  TempDir dir;
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(openFifoWithTimeout(
                fifo, [&] { return errorOf(MappedFile::open(fifo)); }),
            fifo + ": not a regular file");
  EXPECT_EQ(openFifoWithTimeout(
                fifo, [&] { return errorOf(SafetensorsFile::open(fifo)); }),
            fifo + ": not a regular file");
  EXPECT_EQ(
      openFifoWithTimeout(fifo, [&] { return errorOf(Manifest::load(fifo)); }),
      fifo + ": not a regular file (the model's manifest)");
  EXPECT_EQ(openFifoWithTimeout(
                fifo, [&] { return errorOf(HfTokenizer::load(fifo)); }),
            fifo + ": not a regular file (the model's tokenizer)");
  EXPECT_EQ(::mkfifo(dir.file("model.safetensors.index.json").c_str(), 0600),
            0);
  EXPECT_EQ(openFifoWithTimeout(
                dir.file("model.safetensors.index.json"),
                [&] { return errorOf(Checkpoint::openDirectory(dir.path())); }),
            dir.file("model.safetensors.index.json") + ": not a regular file");
  // A directory is not a regular file either.
  EXPECT_EQ(errorOf(MappedFile::open(dir.path())),
            dir.path() + ": not a regular file");
}

TEST(NonRegularFileTest, ManifestAsFifoFailsTheModelLoad) {
  TempDir dir;
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  std::string manifest = dir.file("manifest.json");
  ASSERT_EQ(::unlink(manifest.c_str()), 0);
  ASSERT_EQ(::mkfifo(manifest.c_str(), 0600), 0);
  EXPECT_EQ(openFifoWithTimeout(
                manifest, [&] { return errorOf(Model::load(dir.path())); }),
            manifest + ": not a regular file (the model's manifest)");
}

//===----------------------------------------------------------------------===//
// Defect 11: repeated keys
//===----------------------------------------------------------------------===//

TEST(DuplicateKeyTest, SafetensorsHeaderRefusesARepeatedTensor) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  writeTextFile(
      path,
      safetensorsBytes(
          R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
          R"( "a": {"dtype": "I8", "shape": [4], "data_offsets": [0, 4]}})",
          std::string(4, '\0')));
  EXPECT_EQ(errorOf(SafetensorsFile::open(path)),
            path + ": tensor 'a' appears twice in the header (a repeated key "
                   "would silently replace the first)");
  // Repeated keys inside an entry are refused too.
  writeTextFile(path,
                safetensorsBytes(R"({"a": {"dtype": "F32", "dtype": "I32", )"
                                 R"("shape": [1], "data_offsets": [0, 4]}})",
                                 std::string(4, '\0')));
  EXPECT_EQ(errorOf(SafetensorsFile::open(path)),
            path + ": key 'a.dtype' appears twice (a repeated key would "
                   "silently replace the first)");
}

TEST(DuplicateKeyTest, IndexRefusesARepeatedWeightMapEntry) {
  TempDir dir;
  writeTextFile(dir.file("s1.safetensors"),
                safetensorsBytes(R"({"a": {"dtype": "F32", "shape": [1], )"
                                 R"("data_offsets": [0, 4]}})",
                                 std::string(4, '\0')));
  writeTextFile(dir.file("s2.safetensors"),
                safetensorsBytes(R"({"a": {"dtype": "F32", "shape": [1], )"
                                 R"("data_offsets": [0, 4]}})",
                                 std::string(4, '\0')));
  std::string index = dir.file("model.safetensors.index.json");
  writeTextFile(index, R"({"weight_map": {"a": "s1.safetensors", )"
                       R"("a": "s2.safetensors"}})");
  EXPECT_EQ(errorOf(Checkpoint::openDirectory(dir.path())),
            index + ": key 'weight_map.a' appears twice (a repeated key "
                    "would silently replace the first)");
}

TEST(DuplicateKeyTest, ManifestRefusesRepeatedKeys) {
  std::string text = testing::testManifest({}).dump();
  std::string top = "{\"vocab_size\": 999999," + text.substr(1);
  EXPECT_EQ(errorOf(Manifest::parse(top, "m.json")),
            "m.json: key 'vocab_size' appears twice (a repeated key would "
            "silently replace the first)");
  std::string nested = text;
  size_t name = nested.find("\"name\":");
  ASSERT_NE(name, std::string::npos);
  nested.insert(name, "\"name\":\"other\",");
  EXPECT_EQ(errorOf(Manifest::parse(nested, "m.json")),
            "m.json: key 'tensors[0].name' appears twice (a repeated key "
            "would silently replace the first)");
}

//===----------------------------------------------------------------------===//
// Defect 13: control characters quoted in errors
//===----------------------------------------------------------------------===//

TEST(EscapedMessageTest, TensorNameWithControlCharacters) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  writeTextFile(path,
                safetensorsBytes(R"({"evil\n\u001b[31mname": {"dtype": "F32", )"
                                 R"("shape": [1], "data_offsets": [0, 8]}})",
                                 std::string(8, '\0')));
  EXPECT_EQ(errorOf(SafetensorsFile::open(path)),
            path + ": tensor 'evil\\n\\x1b[31mname': data_offsets span 8 "
                   "bytes, but dtype F32 x shape [1] is 4 bytes");
}

TEST(EscapedMessageTest, ManifestValuesAndTokenizerStrings) {
  ordered_json json = testing::testManifest({});
  json["format"] = "x\n\x1b[2Jforged: error";
  EXPECT_EQ(errorOf(Manifest::parse(json.dump(), "m.json")),
            "m.json: key 'format': expected 'sparsec-manifest', got "
            "'x\\n\\x1b[2Jforged: error' (not a sparsec manifest)");
  json = testing::testManifest({});
  json["weights_file"] = "a/\r\nb";
  EXPECT_EQ(errorOf(Manifest::parse(json.dump(), "m.json")),
            "m.json: key 'weights_file': expected a file name in the "
            "manifest's folder, got 'a/\\r\\nb'");

  nlohmann::json tokenizer = {{"model",
                               {{"type", "BPE"},
                                {"vocab", {{"a", 0}}},
                                {"merges", nlohmann::json::array()},
                                {"unk_token", "<\x1b]0;pwned\x07>"}}}};
  EXPECT_EQ(errorOf(HfTokenizer::parse(tokenizer.dump(), "t.json")),
            "t.json: key 'model.unk_token': '<\\x1b]0;pwned\\x07>' is not in "
            "the vocabulary");
}

//===----------------------------------------------------------------------===//
// Defect 16: the scratch allocation
//===----------------------------------------------------------------------===//

TEST(ScratchTest, AllocationFailureNamesTheScratchAndTheManifest) {
  TempDir dir;
  ASSERT_TRUE(testing::writeTestModel(dir.path()).isOk());
  // Above the limit: refused when the manifest is read.
  ordered_json json = testing::testManifest({});
  json["scratch_bytes"] = uint64_t(1) << 62;
  testing::writeManifest(dir.path(), json);
  StatusOr<std::unique_ptr<Model>> model = Model::load(dir.path());
  ASSERT_FALSE(model.isOk());
  EXPECT_NE(model.status().message().find(
                "key 'scratch_bytes': 4611686018427387904 is more than the "
                "limit of 68719476736"),
            std::string::npos)
      << model.status().message();

  // At the limit (64 GiB, more than this machine kind's 24 GiB): the
  // allocation fails and says it was the scratch.
  json = testing::testManifest({});
  json["scratch_bytes"] = limits::kMaxScratchBytes;
  testing::writeManifest(dir.path(), json);
  model = Model::load(dir.path());
  ASSERT_TRUE(model.isOk()) << model.status().message();
  StatusOr<AlignedBuffer> scratch = (*model)->allocateScratch();
  EXPECT_EQ(errorOf(scratch), dir.file("manifest.json") +
                                  ": cannot allocate 68719476736 "
                                  "bytes for the scratch (scratch_bytes)");
  EXPECT_EQ(scratch.status().code(), StatusCode::kResourceExhausted);

  json = testing::testManifest({});
  json["kv_cache_bytes"] = limits::kMaxKvCacheBytes;
  testing::writeManifest(dir.path(), json);
  model = Model::load(dir.path());
  ASSERT_TRUE(model.isOk()) << model.status().message();
  EXPECT_EQ(errorOf((*model)->allocateKvCache()),
            dir.file("manifest.json") +
                ": cannot allocate 1099511627776 bytes for the KV "
                "cache (kv_cache_bytes, max_len 16); recompile with a "
                "smaller --max-seq-len");
}

//===----------------------------------------------------------------------===//
// The limits of sparsec/formats/limits.h
//===----------------------------------------------------------------------===//

TEST(LimitsTest, ManifestSizesAreBoundedByLimitsH) {
  ordered_json json = testing::testManifest({});
  json["vocab_size"] = limits::kMaxVocab + 1;
  EXPECT_EQ(errorOf(Manifest::parse(json.dump(), "m.json")),
            "m.json: key 'vocab_size': expected an integer in [1, 16777216], "
            "got integer 16777217");
  json = testing::testManifest({});
  json["max_len"] = limits::kMaxContext + 1;
  EXPECT_EQ(errorOf(Manifest::parse(json.dump(), "m.json")),
            "m.json: key 'max_len': expected an integer in [1, 2147483647], "
            "got integer 2147483648");
}

TEST(LimitsTest, SafetensorsHeaderLengthLimit) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  std::string bytes(8, '\0');
  uint64_t length = limits::kMaxSafetensorsHeaderBytes + 1;
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  // A sparse file: the length must fit in the file for the limit to apply.
  writeTextFile(path, bytes);
  ASSERT_EQ(::truncate(path.c_str(), off_t(8 + length)), 0);
  EXPECT_EQ(errorOf(SafetensorsFile::open(path)),
            path + ": header length 104857601 exceeds the limit of "
                   "104857600 bytes (100 MiB)");
}

TEST(LimitsTest, JsonSizeLimit) {
  std::string big(limits::kMaxJsonBytes + 1, ' ');
  EXPECT_EQ(limits::checkJsonLimits(big, "big.json").message(),
            "big.json: 268435457 bytes of JSON, more than the limit of "
            "268435456 bytes");
}

} // namespace
} // namespace sparsec

//===- safetensors_test.cpp - safetensors reader ----------------*- C++ -*-===//
//
// Files are written byte by byte here, so each malformation is exactly the
// one under test. Every rejection must name the file and the tensor or field
// at fault.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/safetensors.h"
#include "sparsec/formats/safetensors_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace sparsec {
namespace {

/// A fresh temporary directory, removed with its files at the end.
class TempDir {
public:
  TempDir() {
    char pattern[] = "/tmp/sparsec-safetensors-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// 8-byte little-endian length, the header, then the data.
std::string safetensorsBytes(const std::string &header, const std::string &data,
                             uint64_t headerLength = UINT64_MAX) {
  if (headerLength == UINT64_MAX)
    headerLength = header.size();
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i)
    bytes[i] = static_cast<char>((headerLength >> (8 * i)) & 0xff);
  return bytes + header + data;
}

std::string floatBytes(std::initializer_list<float> values) {
  std::string bytes;
  for (float v : values)
    bytes.append(reinterpret_cast<const char *>(&v), sizeof(v));
  return bytes;
}

class SafetensorsTest : public ::testing::Test {
protected:
  /// Writes `bytes` as model.safetensors and opens it; returns the status.
  Status openBytes(const std::string &bytes) {
    path = dir.file("model.safetensors");
    writeFile(path, bytes);
    auto file = SafetensorsFile::open(path);
    return file.isOk() ? Status::ok() : file.status();
  }
  void expectError(const std::string &bytes, const std::string &needle) {
    Status status = openBytes(bytes);
    ASSERT_FALSE(status.isOk())
        << "accepted a file expected to fail with: " << needle;
    EXPECT_NE(status.message().find(needle), std::string::npos)
        << status.message();
    EXPECT_EQ(status.message().rfind(path, 0), 0u)
        << "message does not start with the file name: " << status.message();
    EXPECT_EQ(status.message().find('\n'), std::string::npos);
  }

  TempDir dir;
  std::string path;
};

TEST_F(SafetensorsTest, ReadsTensorsInPlace) {
  std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},)"
      R"("c":{"dtype":"BF16","shape":[1],"data_offsets":[22,24]}})";
  std::string data = floatBytes({1.0f, 2.0f, 3.0f, 4.0f}) +
                     std::string("\x00\x3c\x00\x40\x00\x42", 6) + // f16 1,2,3
                     std::string("\x80\x3f", 2);                  // bf16 1
  writeFile(dir.file("model.safetensors"), safetensorsBytes(header, data));

  auto file = SafetensorsFile::open(dir.file("model.safetensors"));
  ASSERT_TRUE(file.isOk()) << file.status().message();
  EXPECT_EQ((*file)->tensors().size(), 3u);
  EXPECT_EQ((*file)->metadata().at("format"), "pt");

  const TensorInfo *a = (*file)->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a->numElements(), 4);
  EXPECT_EQ(a->nbytes, 16u);
  EXPECT_EQ(a->fileOffset, 8 + header.size());
  float values[4];
  std::memcpy(values, a->data, sizeof(values));
  EXPECT_EQ(values[3], 4.0f);

  const TensorInfo *b = (*file)->find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::kF16);
  EXPECT_EQ(b->data, a->data + 16) << "tensors must point into one mapping";
  EXPECT_EQ((*file)->find("missing"), nullptr);
}

TEST_F(SafetensorsTest, RejectsTruncatedFile) {
  expectError(std::string("\x10\x00\x00", 3), "truncated: 3 bytes");
}

TEST_F(SafetensorsTest, RejectsHeaderLongerThanFile) {
  expectError(safetensorsBytes("{}", "", /*headerLength=*/4096),
              "header length 4096 exceeds");
}

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotJSON) {
  expectError(safetensorsBytes("{\"a\": [1, 2", ""),
              "header is not valid JSON");
}

TEST_F(SafetensorsTest, RejectsHeaderThatIsNotAnObject) {
  expectError(safetensorsBytes("[1, 2]", ""), "not a JSON object");
}

TEST_F(SafetensorsTest, RejectsOffsetsPastTheEnd) {
  expectError(safetensorsBytes(
                  R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})",
                  floatBytes({1, 2})),
              "tensor 'w': data_offsets [0, 16) run past the end of the data "
              "(8 bytes)");
}

TEST_F(SafetensorsTest, RejectsOffsetsThatDisagreeWithDtypeAndShape) {
  expectError(
      safetensorsBytes(
          R"({"w":{"dtype":"F16","shape":[4],"data_offsets":[0,16]}})",
          floatBytes({1, 2, 3, 4})),
      "tensor 'w': data_offsets span 16 bytes, but dtype F16 x shape [4] is 8 "
      "bytes");
}

TEST_F(SafetensorsTest, RejectsOverlappingTensors) {
  expectError(safetensorsBytes(
                  R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                  R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                  floatBytes({1, 2, 3})),
              "tensors 'a' and 'b' overlap");
}

TEST_F(SafetensorsTest, RejectsReversedOffsets) {
  expectError(safetensorsBytes(
                  R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})",
                  floatBytes({1, 2})),
              "end before they begin");
}

TEST_F(SafetensorsTest, RejectsUnknownDtype) {
  Status status = openBytes(safetensorsBytes(
      R"({"a":{"dtype":"Q4_0","shape":[2],"data_offsets":[0,8]}})",
      floatBytes({1, 2})));
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.code(), StatusCode::kUnimplemented);
  EXPECT_NE(status.message().find("tensor 'a': unsupported dtype 'Q4_0'"),
            std::string::npos)
      << status.message();
}

TEST_F(SafetensorsTest, RejectsNegativeAndOverflowingShapes) {
  expectError(safetensorsBytes(
                  R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})",
                  floatBytes({1, 2})),
              "not a non-negative integer");
  expectError(
      safetensorsBytes(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],)"
                       R"("data_offsets":[0,8]}})",
                       floatBytes({1, 2})),
      "is too large");
}

TEST_F(SafetensorsTest, RejectsMissingFields) {
  expectError(safetensorsBytes(R"({"a":{"shape":[2],"data_offsets":[0,8]}})",
                               floatBytes({1, 2})),
              "tensor 'a': missing string field 'dtype'");
  expectError(safetensorsBytes(R"({"a":{"dtype":"F32","shape":[2]}})",
                               floatBytes({1, 2})),
              "'data_offsets' is not a pair");
}

TEST_F(SafetensorsTest, MissingFileIsNotFound) {
  auto file = SafetensorsFile::open(dir.file("nope.safetensors"));
  ASSERT_FALSE(file.isOk());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find("nope.safetensors"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Checkpoints (single and sharded)
//===----------------------------------------------------------------------===//

void writeShard(const std::string &path, const std::string &name) {
  writeFile(path, safetensorsBytes(R"({")" + name +
                                       R"(":{"dtype":"F32","shape":[2],)"
                                       R"("data_offsets":[0,8]}})",
                                   floatBytes({1, 2})));
}

TEST(CheckpointTest, OpensShardedIndex) {
  TempDir dir;
  writeShard(dir.file("model-00001-of-00002.safetensors"), "x");
  writeShard(dir.file("model-00002-of-00002.safetensors"), "y");
  writeFile(dir.file("model.safetensors.index.json"),
            R"({"metadata":{"total_size":16},"weight_map":{)"
            R"("x":"model-00001-of-00002.safetensors",)"
            R"("y":"model-00002-of-00002.safetensors"}})");
  auto checkpoint = Checkpoint::openDirectory(dir.path());
  ASSERT_TRUE(checkpoint.isOk()) << checkpoint.status().message();
  EXPECT_EQ((*checkpoint)->files().size(), 2u);
  EXPECT_EQ((*checkpoint)->names(), (std::vector<std::string>{"x", "y"}));
  ASSERT_NE((*checkpoint)->find("y"), nullptr);
  EXPECT_NE(*(*checkpoint)->find("y")->file, *(*checkpoint)->find("x")->file);
  auto missing = (*checkpoint)->get("z");
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("tensor 'z' not found"),
            std::string::npos);
}

TEST(CheckpointTest, RejectsIndexNamingAMissingShard) {
  TempDir dir;
  writeFile(dir.file("model.safetensors.index.json"),
            R"({"weight_map":{"x":"model-00001-of-00002.safetensors"}})");
  auto checkpoint = Checkpoint::openDirectory(dir.path());
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find(
                "names shard 'model-00001-of-00002.safetensors', which does "
                "not exist"),
            std::string::npos)
      << checkpoint.status().message();
}

TEST(CheckpointTest, RejectsShardPathsOutsideTheDirectory) {
  TempDir dir;
  writeFile(dir.file("model.safetensors.index.json"),
            R"({"weight_map":{"x":"../etc/passwd"}})");
  auto checkpoint = Checkpoint::openDirectory(dir.path());
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find("expected a file name"),
            std::string::npos)
      << checkpoint.status().message();
}

TEST(CheckpointTest, RejectsIndexMappingATensorTheShardLacks) {
  TempDir dir;
  writeShard(dir.file("a.safetensors"), "x");
  writeFile(dir.file("model.safetensors.index.json"),
            R"({"weight_map":{"x":"a.safetensors","w":"a.safetensors"}})");
  auto checkpoint = Checkpoint::openDirectory(dir.path());
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find(
                "maps 'w' to 'a.safetensors', which does not hold it"),
            std::string::npos)
      << checkpoint.status().message();
}

TEST(CheckpointTest, RejectsIndexWithoutWeightMap) {
  TempDir dir;
  writeFile(dir.file("model.safetensors.index.json"), R"({"metadata":{}})");
  auto checkpoint = Checkpoint::openDirectory(dir.path());
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_NE(checkpoint.status().message().find("'weight_map'"),
            std::string::npos);
}

TEST(CheckpointTest, EmptyDirectoryIsNotFound) {
  TempDir dir;
  auto checkpoint = Checkpoint::openDirectory(dir.path());
  ASSERT_FALSE(checkpoint.isOk());
  EXPECT_EQ(checkpoint.status().code(), StatusCode::kNotFound);
  EXPECT_NE(checkpoint.status().message().find("no model.safetensors"),
            std::string::npos);
}

} // namespace
} // namespace sparsec

namespace sparsec {
namespace {

TEST(SafetensorsWriterTest, RoundTripsThroughTheReader) {
  TempDir dir;
  SafetensorsWriter writer;
  writer.setMetadata("sparsec.layout_version", "1");
  writer.add("a", DType::kF32, {2, 3}, [](uint8_t *out) {
    float values[6] = {1, 2, 3, 4, 5, 6};
    std::memcpy(out, values, sizeof(values));
    return Status::ok();
  });
  writer.add("b", DType::kF16, {5}, [](uint8_t *out) {
    std::memset(out, 0x3c, 10);
    return Status::ok();
  });
  std::string path = dir.file("packed.safetensors");
  ASSERT_TRUE(writer.write(path).isOk());

  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(file.isOk()) << file.status().message();
  EXPECT_EQ((*file)->metadata().at("sparsec.layout_version"), "1");
  const TensorInfo *a = (*file)->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->fileOffset % 64, 0u) << "data must start 64-byte aligned";
  float values[6];
  std::memcpy(values, a->data, sizeof(values));
  EXPECT_EQ(values[5], 6.0f);
  EXPECT_EQ((*file)->find("b")->shape, (std::vector<int64_t>{5}));
}

TEST(SafetensorsWriterTest, FailedFillLeavesNoFile) {
  TempDir dir;
  SafetensorsWriter writer;
  writer.add("a", DType::kF32, {1}, [](uint8_t *) {
    return Status(StatusCode::kDataLoss, "source tensor unreadable");
  });
  std::string path = dir.file("packed.safetensors");
  Status status = writer.write(path);
  ASSERT_FALSE(status.isOk());
  EXPECT_EQ(status.message(), "source tensor unreadable");
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0);
  EXPECT_NE(::stat((path + ".tmp").c_str(), &st), 0);
}

} // namespace
} // namespace sparsec

//===- gguf_test.cpp - GGUF reader and ggml dequantizers --------*- C++ -*-===//
//
// GGUF files are assembled byte by byte here (GgufBuilder), so each hostile
// file differs from a valid one in exactly the field under test. There is a
// test for each class of bug llama.cpp's GGUF loader has had reported
// (huge string and array lengths, tensor and key counts, dimension
// overflow, offsets, alignment, type confusion, ...). Every rejection must
// be one line that starts with the file's path and names the key or tensor.
// The dequantizers are checked against blocks whose values are worked out
// element by element here, independently of the block loops.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace sparsec {
namespace {

class TempDir {
public:
  TempDir() {
    char pattern[] = "/tmp/sparsec-gguf-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

//===----------------------------------------------------------------------===//
// GGUF byte builder
//===----------------------------------------------------------------------===//

std::string le(uint64_t value, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}
std::string u32(uint32_t v) { return le(v, 4); }
std::string u64(uint64_t v) { return le(v, 8); }
std::string f32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return le(bits, 4);
}
std::string f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return le(bits, 8);
}
/// A GGUF string: u64 length, then the bytes.
std::string str(const std::string &s) { return u64(s.size()) + s; }

enum : uint32_t {
  kU8 = 0,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kF32,
  kBool,
  kString,
  kArray,
  kU64,
  kI64,
  kF64,
};

/// A metadata entry: key, value type, then the encoded value.
std::string kv(const std::string &key, uint32_t type,
               const std::string &payload) {
  return str(key) + u32(type) + payload;
}
std::string kvString(const std::string &key, const std::string &value) {
  return kv(key, kString, str(value));
}
std::string kvU32(const std::string &key, uint32_t value) {
  return kv(key, kU32, u32(value));
}
/// An array value: element type, count, then the encoded elements.
std::string array(uint32_t elementType, uint64_t count,
                  const std::string &elements) {
  return u32(elementType) + u64(count) + elements;
}

struct GgufBuilder {
  std::string magic = "GGUF";
  uint32_t version = 3;
  std::optional<uint64_t> tensorCount; // overrides the real count
  std::optional<uint64_t> kvCount;
  std::vector<std::string> kvs;
  std::vector<std::string> infos;
  uint64_t alignment = 32; // padding used for offsets and the data start
  std::string data;

  /// A tensor info whose dimensions, type and offset are written as given.
  static std::string info(const std::string &name,
                          const std::vector<uint64_t> &ne, uint32_t type,
                          uint64_t offset) {
    std::string out = str(name) + u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne)
      out += u64(d);
    return out + u32(type) + u64(offset);
  }

  /// Appends `bytes` at the next aligned data offset and its tensor info.
  void addTensor(const std::string &name, GgmlType type,
                 const std::vector<uint64_t> &ne, const std::string &bytes) {
    while (data.size() % alignment)
      data += '\0';
    infos.push_back(info(name, ne, static_cast<uint32_t>(type), data.size()));
    data += bytes;
  }

  /// Bytes up to the end of the tensor infos (before the padding).
  std::string header() const {
    std::string out = magic + u32(version) +
                      u64(tensorCount.value_or(infos.size())) +
                      u64(kvCount.value_or(kvs.size()));
    for (const std::string &entry : kvs)
      out += entry;
    for (const std::string &entry : infos)
      out += entry;
    return out;
  }

  std::string build() const {
    std::string out = header();
    while (out.size() % alignment)
      out += '\0';
    return out + data;
  }
};

std::string floats(std::initializer_list<float> values) {
  std::string out;
  for (float v : values)
    out += f32(v);
  return out;
}

/// A small valid file: a few keys and an F32 and a Q8_0 tensor.
GgufBuilder validBuilder() {
  GgufBuilder b;
  b.kvs.push_back(kvString("general.architecture", "llama"));
  b.kvs.push_back(kvU32("llama.context_length", 2048));
  b.addTensor("a.weight", GgmlType::kF32, {3, 2}, floats({1, 2, 3, 4, 5, 6}));
  std::string q8 = le(0x3c00, 2); // d = 1
  for (int i = 0; i < 32; ++i)
    q8 += static_cast<char>(i - 16);
  b.addTensor("b.weight", GgmlType::kQ8_0, {32, 1}, q8);
  return b;
}

class GgufTest : public ::testing::Test {
protected:
  StatusOr<std::unique_ptr<GgufFile>> openBytes(const std::string &bytes) {
    path = dir.file("model.gguf");
    writeFile(path, bytes);
    return GgufFile::open(path);
  }
  /// The file must be refused with a one-line message holding `needle`.
  void expectError(const std::string &bytes, const std::string &needle) {
    auto file = openBytes(bytes);
    ASSERT_FALSE(file.isOk())
        << "accepted a file expected to fail with: " << needle;
    const std::string &message = file.status().message();
    EXPECT_NE(message.find(needle), std::string::npos) << message;
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u)
        << "message does not start with the file name: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  void expectError(const GgufBuilder &b, const std::string &needle) {
    expectError(b.build(), needle);
  }
  std::unique_ptr<GgufFile> openOk(const std::string &bytes) {
    auto file = openBytes(bytes);
    EXPECT_TRUE(file.isOk()) << file.status().message();
    if (!file.isOk())
      return nullptr;
    return std::move(file).value();
  }

  TempDir dir;
  std::string path;
};

//===----------------------------------------------------------------------===//
// Valid files
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, OpensValidFile) {
  GgufBuilder b = validBuilder();
  auto file = openOk(b.build());
  ASSERT_TRUE(file);
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->alignment(), 32u);
  EXPECT_EQ(file->dataOffset() % 32, 0u);
  EXPECT_EQ(file->dataOffset(), (b.header().size() + 31) / 32 * 32);
  ASSERT_EQ(file->metadata().size(), 2u);
  EXPECT_EQ(file->metadata()[0].first, "general.architecture");
  EXPECT_EQ(file->metadata()[1].first, "llama.context_length");

  ASSERT_EQ(file->tensors().size(), 2u);
  const GgufTensorInfo *a = file->findTensor("a.weight");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type, GgmlType::kF32);
  EXPECT_EQ(a->ne, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numElements(), 6);
  EXPECT_EQ(a->rowLength(), 3);
  EXPECT_EQ(a->numRows(), 2);
  EXPECT_EQ(a->rowBytes(), 12u);
  EXPECT_EQ(a->nbytes, 24u);
  EXPECT_EQ(a->fileOffset, file->dataOffset());
  EXPECT_EQ(a->data, file->fileData() + a->fileOffset);
  float values[6];
  ASSERT_TRUE(dequantizeToF32(a->type, a->data, 6, values).isOk());
  EXPECT_EQ(values[5], 6.0f);

  const GgufTensorInfo *q = file->findTensor("b.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->type, GgmlType::kQ8_0);
  EXPECT_EQ(q->nbytes, 34u);
  EXPECT_EQ(q->rowBytes(), 34u);
  EXPECT_EQ(q->fileOffset, file->dataOffset() + 32);
  EXPECT_EQ(q->fileOffset + q->nbytes, file->fileSize());
  float deq[32];
  ASSERT_TRUE(dequantizeToF32(q->type, q->data, 32, deq).isOk());
  EXPECT_EQ(deq[0], -16.0f);
  EXPECT_EQ(deq[31], 15.0f);
  EXPECT_EQ(file->findTensor("missing"), nullptr);
}

TEST_F(GgufTest, OpensVersion2) {
  GgufBuilder b = validBuilder();
  b.version = 2;
  auto file = openOk(b.build());
  ASSERT_TRUE(file);
  EXPECT_EQ(file->version(), 2u);
}

TEST_F(GgufTest, OpensFileWithoutTensorsOrKeys) {
  GgufBuilder b;
  auto file = openOk(b.build());
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->metadata().empty());
  EXPECT_TRUE(file->tensors().empty());
}

TEST_F(GgufTest, HonoursAlignment) {
  GgufBuilder b;
  b.alignment = 64;
  b.kvs.push_back(kvU32("general.alignment", 64));
  b.addTensor("x", GgmlType::kF32, {1}, floats({1}));
  b.addTensor("y", GgmlType::kF32, {1}, floats({2}));
  auto file = openOk(b.build());
  ASSERT_TRUE(file);
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->dataOffset() % 64, 0u);
  EXPECT_EQ(file->findTensor("y")->fileOffset, file->dataOffset() + 64);
}

TEST_F(GgufTest, MetadataOfEveryType) {
  GgufBuilder b;
  b.kvs.push_back(kv("u8", kU8, le(200, 1)));
  b.kvs.push_back(kv("i8", kI8, le(0x80, 1)));
  b.kvs.push_back(kv("u16", kU16, le(60000, 2)));
  b.kvs.push_back(kv("i16", kI16, le(0xffff, 2)));
  b.kvs.push_back(kv("u32", kU32, u32(4000000000u)));
  b.kvs.push_back(kv("i32", kI32, u32(static_cast<uint32_t>(-7))));
  b.kvs.push_back(kv("f32", kF32, f32(0.1f)));
  b.kvs.push_back(kv("bool", kBool, le(1, 1)));
  b.kvs.push_back(kvString("string", "hello\nworld"));
  b.kvs.push_back(kv("u64", kU64, u64(UINT64_MAX)));
  b.kvs.push_back(kv("i64", kI64, u64(static_cast<uint64_t>(INT64_MIN))));
  b.kvs.push_back(kv("f64", kF64, f64(1e300)));
  b.kvs.push_back(kv("ints", kArray,
                     array(kI16, 3, le(1, 2) + le(0xfffe, 2) + le(300, 2))));
  b.kvs.push_back(kv("floats", kArray, array(kF32, 2, f32(0.5f) + f32(-2))));
  b.kvs.push_back(kv("doubles", kArray, array(kF64, 1, f64(0.25))));
  b.kvs.push_back(kv("strings", kArray,
                     array(kString, 3, str("a") + str("") + str("ccc"))));
  b.kvs.push_back(kv("bools", kArray, array(kBool, 2, le(0x0100, 2))));
  b.kvs.push_back(kv("empty", kArray, array(kU8, 0, "")));
  b.kvs.push_back(kv("bigs", kArray, array(kU64, 1, u64(UINT64_MAX))));
  auto file = openOk(b.build());
  ASSERT_TRUE(file);

  auto intOf = [&](const char *key) { return file->getInt(key).value(); };
  EXPECT_EQ(intOf("u8"), 200);
  EXPECT_EQ(intOf("i8"), -128);
  EXPECT_EQ(intOf("u16"), 60000);
  EXPECT_EQ(intOf("i16"), -1);
  EXPECT_EQ(intOf("u32"), 4000000000ll);
  EXPECT_EQ(intOf("i32"), -7);
  EXPECT_EQ(intOf("i64"), INT64_MIN);
  EXPECT_EQ(intOf("absent"), std::nullopt);
  EXPECT_EQ(file->getFloat("f32").value(), std::optional<double>(0.1f));
  EXPECT_EQ(file->getFloat("f64").value(), std::optional<double>(1e300));
  EXPECT_EQ(file->getBool("bool").value(), std::optional<bool>(true));
  EXPECT_EQ(file->getString("string").value(),
            std::optional<std::string>("hello\nworld"));
  EXPECT_EQ(file->find("u64")->u, UINT64_MAX);
  EXPECT_EQ(file->find("u64")->type, GgufValueType::kU64);

  EXPECT_EQ(file->getIntArray("ints").value(),
            (std::optional<std::vector<int64_t>>({1, -2, 300})));
  EXPECT_EQ(file->getFloatArray("floats").value(),
            (std::optional<std::vector<float>>({0.5f, -2.0f})));
  EXPECT_EQ(file->getFloatArray("doubles").value(),
            (std::optional<std::vector<float>>(std::vector<float>{0.25f})));
  EXPECT_EQ(file->getStringArray("strings").value(),
            (std::optional<std::vector<std::string>>({"a", "", "ccc"})));
  EXPECT_EQ(file->getIntArray("empty").value(),
            (std::optional<std::vector<int64_t>>(std::vector<int64_t>{})));
  const GgufValue *bools = file->find("bools");
  ASSERT_NE(bools, nullptr);
  EXPECT_EQ(bools->elementType, GgufValueType::kBool);
  EXPECT_EQ(bools->count, 2u);
  EXPECT_EQ(bools->elements[0], 0);
  EXPECT_EQ(bools->elements[1], 1);
  EXPECT_EQ(file->getStringArray("absent").value(), std::nullopt);
}

TEST_F(GgufTest, AccessorTypeConfusionIsAnError) {
  GgufBuilder b;
  b.kvs.push_back(kvString("s", "text"));
  b.kvs.push_back(kvU32("n", 5));
  b.kvs.push_back(kv("big", kU64, u64(UINT64_MAX)));
  b.kvs.push_back(kv("f", kF32, f32(1)));
  b.kvs.push_back(kv("b", kBool, le(0, 1)));
  b.kvs.push_back(kv("strs", kArray, array(kString, 1, str("x"))));
  b.kvs.push_back(kv("ints", kArray, array(kI32, 1, u32(1))));
  b.kvs.push_back(kv("bigs", kArray, array(kU64, 1, u64(UINT64_MAX))));
  auto file = openOk(b.build());
  ASSERT_TRUE(file);
  auto expectTypeError = [&](const Status &status, const std::string &key,
                             const std::string &found,
                             const std::string &expected) {
    ASSERT_FALSE(status.isOk());
    const std::string &m = status.message();
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
    EXPECT_NE(m.find("'" + key + "'"), std::string::npos) << m;
    EXPECT_NE(m.find(found), std::string::npos) << m;
    EXPECT_NE(m.find(expected), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  };
  expectTypeError(file->getInt("s").status(), "s", "STRING", "integer");
  expectTypeError(file->getString("n").status(), "n", "U32", "STRING");
  expectTypeError(file->getInt("f").status(), "f", "F32", "integer");
  expectTypeError(file->getFloat("n").status(), "n", "U32", "F32");
  expectTypeError(file->getBool("n").status(), "n", "U32", "BOOL");
  expectTypeError(file->getInt("b").status(), "b", "BOOL", "integer");
  expectTypeError(file->getInt("strs").status(), "strs", "ARRAY[STRING]",
                  "integer");
  expectTypeError(file->getIntArray("strs").status(), "strs", "ARRAY[STRING]",
                  "array of integers");
  expectTypeError(file->getStringArray("ints").status(), "ints", "ARRAY[I32]",
                  "ARRAY[STRING]");
  expectTypeError(file->getFloatArray("ints").status(), "ints", "ARRAY[I32]",
                  "F32");
  expectTypeError(file->getStringArray("s").status(), "s", "STRING",
                  "ARRAY[STRING]");
  expectTypeError(file->getInt("big").status(), "big", "18446744073709551615",
                  "does not fit");
  expectTypeError(file->getIntArray("bigs").status(), "bigs",
                  "18446744073709551615", "does not fit");
}

//===----------------------------------------------------------------------===//
// Header
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, RefusesEmptyAndForeignFiles) {
  expectError(std::string(), "truncated: 0 bytes");
  expectError(std::string("GG"), "truncated: 2 bytes");
  expectError(std::string("PK\x03\x04 not gguf at all", 20),
              "expected magic 'GGUF'");
}

TEST_F(GgufTest, RefusesVersion1ByName) {
  GgufBuilder b = validBuilder();
  b.version = 1;
  expectError(b, "GGUF version 1 is not supported");
}

TEST_F(GgufTest, RefusesUnknownVersions) {
  GgufBuilder b = validBuilder();
  b.version = 4;
  expectError(b, "unsupported GGUF version 4 (expected 2 or 3)");
  b.version = 0;
  expectError(b, "unsupported GGUF version 0");
}

TEST_F(GgufTest, RefusesBigEndianFiles) {
  // gguf-py writes the magic as "GGUF" either way; the version and
  // everything after it is byte-swapped.
  GgufBuilder b = validBuilder();
  b.version = 0x03000000;
  expectError(b, "big-endian");
  b.version = 0x02000000;
  expectError(b, "(2 byte-swapped)");
  GgufBuilder swappedMagic = validBuilder();
  swappedMagic.magic = "FUGG";
  expectError(swappedMagic, "big-endian");
}

TEST_F(GgufTest, RefusesTruncationAtEveryPosition) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv("arr", kArray, array(kString, 2, str("x") + str("yz"))));
  b.kvs.push_back(kv("nums", kArray, array(kU16, 2, le(7, 4))));
  const std::string bytes = b.build();
  ASSERT_TRUE(openOk(bytes));
  for (size_t length = 0; length < bytes.size(); ++length) {
    SCOPED_TRACE("truncated to " + std::to_string(length) + " of " +
                 std::to_string(bytes.size()) + " bytes");
    // In the header any of several checks may trip first (a count that no
    // longer fits, a length past the end, a field cut short); past it, the
    // last tensor's data no longer fits.
    const std::string needle =
        length < 4 ? "truncated"
                   : (length < b.header().size() ? "" : "runs past the end");
    expectError(bytes.substr(0, length), needle);
  }
}

TEST_F(GgufTest, SurvivesRandomCorruption) {
  // Deterministic byte mutations of a valid file: each must open, or fail
  // with one line naming the file (and never crash; run under ASan/UBSan).
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv("arr", kArray, array(kString, 2, str("x") + str("yz"))));
  b.kvs.push_back(kv("nums", kArray, array(kU32, 2, u64(7))));
  const std::string original = b.build();
  const size_t headerSize = b.header().size();
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int refused = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string bytes = original;
    int flips = 1 + static_cast<int>(next() % 3);
    for (int f = 0; f < flips; ++f) {
      size_t at = next() % headerSize; // the header is what gets parsed
      switch (next() % 3) {
      case 0:
        bytes[at] = static_cast<char>(next());
        break;
      case 1:
        bytes[at] = static_cast<char>(0xff);
        break;
      default:
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << (next() % 8)));
      }
    }
    auto file = openBytes(bytes);
    if (file.isOk()) {
      for (const GgufTensorInfo &info : (*file)->tensors()) {
        ASSERT_LE(info.fileOffset + info.nbytes, (*file)->fileSize());
        if (ggmlCanDequantize(info.type) && info.numElements() <= 4096) {
          std::vector<float> out(static_cast<size_t>(info.numElements()));
          ASSERT_TRUE(dequantizeToF32(info.type, info.data, info.numElements(),
                                      out.data())
                          .isOk());
        }
      }
      continue;
    }
    ++refused;
    const std::string &message = file.status().message();
    ASSERT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    ASSERT_EQ(message.find('\n'), std::string::npos) << message;
  }
  EXPECT_GT(refused, 1000);
}

//===----------------------------------------------------------------------===//
// Counts and lengths
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, RefusesHugeKeyLength) {
  GgufBuilder b = validBuilder();
  b.kvs.insert(b.kvs.begin(), u64(UINT64_MAX - 3) + "x");
  expectError(b, "metadata key #0 has length 18446744073709551612");
}

TEST_F(GgufTest, RefusesHugeStringValueLength) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv("general.name", kString, u64(1ull << 62) + "abc"));
  expectError(b, "the string value of key 'general.name' has length "
                 "4611686018427387904");
}

TEST_F(GgufTest, RefusesHugeArrayLength) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(
      kv("tokenizer.ggml.scores", kArray, array(kF32, 1ull << 61, f32(0))));
  expectError(b, "key 'tokenizer.ggml.scores' claims 2305843009213693952 "
                 "F32 elements");
  // A count whose byte size wraps around 2^64.
  GgufBuilder wrap = validBuilder();
  wrap.kvs.push_back(kv("wrap", kArray, array(kU64, 1ull << 61, u64(0))));
  expectError(wrap, "key 'wrap' claims 2305843009213693952 U64");
}

TEST_F(GgufTest, RefusesHugeStringArrayLength) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv("tokenizer.ggml.tokens", kArray,
                     array(kString, UINT64_MAX, str("a"))));
  expectError(b, "key 'tokenizer.ggml.tokens' claims 18446744073709551615 "
                 "strings");
  // A count that fits, but one string's length does not.
  GgufBuilder inner = validBuilder();
  inner.kvs.push_back(kv("tokenizer.ggml.tokens", kArray,
                         array(kString, 2, str("a") + u64(1ull << 40))));
  expectError(inner, "element 1 of key 'tokenizer.ggml.tokens' has length "
                     "1099511627776");
}

TEST_F(GgufTest, RefusesAbsurdKeyCount) {
  GgufBuilder b = validBuilder();
  b.kvCount = UINT64_MAX;
  expectError(b, "metadata key/value count 18446744073709551615 cannot fit");
  // Plausible-looking, but more than the bytes left could hold.
  b.kvCount = b.build().size() / 13 + 1;
  expectError(b, "cannot fit");
  // One more key than written: the next "key" is the first tensor info.
  GgufBuilder one = validBuilder();
  one.kvCount = one.kvs.size() + 1;
  ASSERT_FALSE(openBytes(one.build()).isOk());
}

TEST_F(GgufTest, RefusesTensorCountOverflow) {
  GgufBuilder b = validBuilder();
  b.tensorCount = UINT64_MAX;
  expectError(b, "tensor count 18446744073709551615 cannot fit");
  b.tensorCount = (1ull << 59) + 1; // * 32 bytes wraps to 32
  expectError(b, "tensor count 576460752303423489 cannot fit");
  GgufBuilder tight = validBuilder();
  tight.tensorCount = 3; // fits the header check, not the infos
  ASSERT_FALSE(openBytes(tight.build()).isOk());
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, RefusesUnknownValueTypes) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv("weird", 13, u32(0)));
  expectError(b, "key 'weird' has unknown value type 13");
  GgufBuilder huge = validBuilder();
  huge.kvs.push_back(kv("weird", 0xffffffffu, u32(0)));
  expectError(huge, "key 'weird' has unknown value type 4294967295");
  GgufBuilder element = validBuilder();
  element.kvs.push_back(kv("weird", kArray, array(77, 1, u32(0))));
  expectError(element, "key 'weird' is an array of unknown value type 77");
}

TEST_F(GgufTest, RefusesNestedArrays) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(
      kv("nested", kArray, array(kArray, 1, array(kU8, 1, le(1, 1)))));
  expectError(b, "key 'nested' is an array of arrays");
}

TEST_F(GgufTest, RefusesInvalidBools) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv("flag", kBool, le(2, 1)));
  expectError(b, "key 'flag' holds 2, expected a BOOL (0 or 1)");
  GgufBuilder arr = validBuilder();
  arr.kvs.push_back(kv("flags", kArray, array(kBool, 2, le(0xff00, 2))));
  expectError(arr, "element 1 of key 'flags' is 255");
}

TEST_F(GgufTest, RefusesDuplicateKeys) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kvString("general.architecture", "gpt2"));
  expectError(b, "duplicate metadata key 'general.architecture'");
}

TEST_F(GgufTest, RefusesEmptyKey) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kvU32("", 1));
  expectError(b, "metadata key #2 is empty");
}

TEST_F(GgufTest, KeyNamesAreEscapedInErrors) {
  GgufBuilder b = validBuilder();
  b.kvs.push_back(kv(std::string("bad\nkey\xff", 8), 42, ""));
  expectError(b, "key 'bad\\x0akey\\xff' has unknown value type 42");
}

TEST_F(GgufTest, RefusesAlignmentOfTheWrongType) {
  GgufBuilder asString = validBuilder();
  asString.kvs.push_back(kvString("general.alignment", "32"));
  expectError(asString, "key 'general.alignment' is STRING, expected U32");
  GgufBuilder asArray = validBuilder();
  asArray.kvs.push_back(
      kv("general.alignment", kArray, array(kU32, 1, u32(32))));
  expectError(asArray, "key 'general.alignment' is ARRAY[U32], expected U32");
  GgufBuilder asU64 = validBuilder();
  asU64.kvs.push_back(kv("general.alignment", kU64, u64(32)));
  expectError(asU64, "key 'general.alignment' is U64, expected U32");
}

TEST_F(GgufTest, RefusesAlignmentNotAPowerOfTwo) {
  for (uint32_t bad : {0u, 3u, 48u, 0xffffffffu}) {
    SCOPED_TRACE(bad);
    GgufBuilder b = validBuilder();
    b.kvs.push_back(kvU32("general.alignment", bad));
    expectError(b, "key 'general.alignment' is " + std::to_string(bad) +
                       ", expected a non-zero power of two");
  }
}

//===----------------------------------------------------------------------===//
// Tensor infos
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, RefusesDimensionProductOverflow) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info("big", {1ull << 32, 1ull << 32}, 0, 0));
  expectError(b, "tensor 'big' dimensions [4294967296, 4294967296] overflow "
                 "a 64-bit element count");
  GgufBuilder three = validBuilder();
  three.infos.push_back(
      GgufBuilder::info("big", {1ull << 21, 1ull << 21, 1ull << 21}, 0, 0));
  expectError(three, "overflow a 64-bit element count");
  // Fits in 64 bits, but not once multiplied by the bytes per element.
  GgufBuilder bytes = validBuilder();
  bytes.infos.push_back(GgufBuilder::info("wide", {1ull << 62}, 0, 0));
  expectError(bytes, "tensor 'wide' of type F32 and shape [4611686018427387904]"
                     " is too large");
}

TEST_F(GgufTest, RefusesNegativeDimensions) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info("neg", {UINT64_MAX}, 0, 0));
  expectError(b, "tensor 'neg' dimension 0 is -1, expected a positive size");
}

TEST_F(GgufTest, RefusesBadDimensionCounts) {
  GgufBuilder five = validBuilder();
  five.infos.push_back(GgufBuilder::info("t5", {1, 1, 1, 1, 1}, 0, 0));
  expectError(five, "tensor 't5' has 5 dimensions, expected 1 to 4");
  GgufBuilder zero = validBuilder();
  zero.infos.push_back(GgufBuilder::info("t0", {}, 0, 0));
  expectError(zero, "tensor 't0' has 0 dimensions, expected 1 to 4");
  GgufBuilder huge = validBuilder();
  huge.infos.push_back(str("th") + u32(0xffffffffu) + u64(1));
  expectError(huge, "tensor 'th' has 4294967295 dimensions");
}

TEST_F(GgufTest, RefusesZeroSizeDimensions) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info("empty", {4, 0}, 0, 0));
  expectError(b, "tensor 'empty' dimension 1 is 0, expected a positive size");
}

TEST_F(GgufTest, RefusesUnknownGgmlTypes) {
  for (uint32_t type : {4u, 5u, 16u, 29u, 31u, 39u, 1000u, 0xffffffffu}) {
    SCOPED_TRACE(type);
    GgufBuilder b = validBuilder();
    b.infos.push_back(GgufBuilder::info("odd", {32}, type, 0));
    expectError(b, "tensor 'odd' has unsupported ggml type " +
                       std::to_string(type));
  }
}

TEST_F(GgufTest, RefusesRowsThatAreNotWholeBlocks) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info(
      "q", {16, 2}, static_cast<uint32_t>(GgmlType::kQ4_0), 0));
  expectError(b, "tensor 'q' row length ne[0]=16 is not a multiple of the "
                 "Q4_0 block size 32");
  GgufBuilder k = validBuilder();
  k.infos.push_back(GgufBuilder::info(
      "k", {128, 4}, static_cast<uint32_t>(GgmlType::kQ6_K), 0));
  expectError(k, "tensor 'k' row length ne[0]=128 is not a multiple of the "
                 "Q6_K block size 256");
}

TEST_F(GgufTest, RefusesOffsetsPastTheEnd) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info("far", {4}, 0, 1ull << 40));
  expectError(b, "tensor 'far' data [1099511627776, +16) runs past the end");
  GgufBuilder wrap = validBuilder();
  wrap.infos.push_back(
      GgufBuilder::info("wrap", {8}, 0, UINT64_MAX - 31)); // + 32 wraps
  expectError(wrap, "tensor 'wrap' data");
  // Starts inside the file, ends one byte past it.
  GgufBuilder edge = validBuilder();
  edge.data.resize(edge.data.size() - 1);
  expectError(edge, "tensor 'b.weight' data [32, +34) runs past the end");
}

TEST_F(GgufTest, RefusesUnalignedOffsets) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info("odd", {1}, 0, 4));
  expectError(b, "tensor 'odd' data offset 4 is not a multiple of the "
                 "alignment 32");
}

TEST_F(GgufTest, RefusesOverlappingTensors) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(GgufBuilder::info("alias", {2}, 0, 0)); // a.weight's bytes
  expectError(b, "tensors 'a.weight' and 'alias' overlap");
  GgufBuilder partial = validBuilder();
  partial.addTensor("c", GgmlType::kF32, {16}, std::string(64, '\0'));
  // c is [96, 160); d is [128, 192).
  partial.infos.push_back(GgufBuilder::info("d", {16}, 0, 128));
  partial.data += std::string(32, '\0');
  expectError(partial, "tensors 'c' and 'd' overlap");
}

TEST_F(GgufTest, RefusesDuplicateTensorNames) {
  GgufBuilder b = validBuilder();
  b.addTensor("a.weight", GgmlType::kF32, {1}, floats({0}));
  expectError(b, "duplicate tensor 'a.weight'");
}

TEST_F(GgufTest, RefusesEmptyTensorName) {
  GgufBuilder b = validBuilder();
  b.addTensor("", GgmlType::kF32, {1}, floats({0}));
  expectError(b, "tensor #2 has an empty name");
}

TEST_F(GgufTest, RefusesHugeTensorNameLength) {
  GgufBuilder b = validBuilder();
  b.infos.push_back(u64(UINT64_MAX) + "x");
  expectError(b, "the name of tensor #2 has length 18446744073709551615");
}

//===----------------------------------------------------------------------===//
// Half and bfloat16
//===----------------------------------------------------------------------===//

float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
uint32_t floatToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

TEST(GgufHalfTest, KnownValues) {
  EXPECT_EQ(halfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(halfToFloat(0xc000), -2.0f);
  EXPECT_EQ(halfToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(halfToFloat(0x0001), 0x1p-24f); // smallest subnormal
  EXPECT_EQ(halfToFloat(0x03ff), 1023 * 0x1p-24f);
  EXPECT_EQ(halfToFloat(0x0400), 0x1p-14f); // smallest normal
  EXPECT_EQ(floatToBits(halfToFloat(0x8000)), 0x80000000u);
  EXPECT_TRUE(std::isinf(halfToFloat(0x7c00)));
  EXPECT_TRUE(std::isnan(halfToFloat(0x7e00)));

  EXPECT_EQ(floatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalf(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalf(65519.996f), 0x7bff);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7c00); // tie to even: inf
  EXPECT_EQ(floatToHalf(1e10f), 0x7c00);
  EXPECT_EQ(floatToHalf(-INFINITY), 0xfc00);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalf(NAN) & 0x7e00, 0x7e00);
  // Ties: 1 + 2^-11 is halfway between 1 and 1 + 2^-10: to even (1).
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f), 0x3c00);
  // 1 + 3 * 2^-11 is halfway between 0x3c01 and 0x3c02: to even (0x3c02).
  EXPECT_EQ(floatToHalf(1.0f + 3 * 0x1p-11f), 0x3c02);
  EXPECT_EQ(floatToHalf(1.0f + 0x1p-11f + 0x1p-20f), 0x3c01);
  // Subnormals: 2^-25 ties to 0, 3 * 2^-25 ties to 2 units, 2^-25 + tiny
  // rounds up to 1 unit; 2^-26 rounds to 0.
  EXPECT_EQ(floatToHalf(0x1p-25f), 0x0000);
  EXPECT_EQ(floatToHalf(3 * 0x1p-25f), 0x0002);
  EXPECT_EQ(floatToHalf(0x1p-25f + 0x1p-40f), 0x0001);
  EXPECT_EQ(floatToHalf(0x1p-26f), 0x0000);
  EXPECT_EQ(floatToHalf(-0x1p-24f), 0x8001);
  // Rounding up out of the subnormals gives the smallest normal.
  EXPECT_EQ(floatToHalf(0x1p-14f - 0x1p-26f), 0x0400);
  EXPECT_EQ(floatToHalf(bitsToFloat(1)), 0x0000); // f32 subnormal
}

TEST(GgufHalfTest, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = halfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f))
      continue;
    ASSERT_EQ(floatToHalf(f), h) << std::hex << h;
  }
}

TEST(GgufHalfTest, RoundsToNearestHalf) {
  // Between neighbours a < b, values below the midpoint go to a, above to
  // b, and the midpoint to the one with an even mantissa.
  for (uint32_t h = 0; h < 0x7bff; h += 7) {
    float a = halfToFloat(static_cast<uint16_t>(h));
    float b = halfToFloat(static_cast<uint16_t>(h + 1));
    float mid = (a + b) / 2; // exact in f32
    ASSERT_EQ(floatToHalf(std::nextafter(mid, a)), h);
    ASSERT_EQ(floatToHalf(std::nextafter(mid, b)), h + 1);
    ASSERT_EQ(floatToHalf(mid), (h & 1) ? h + 1 : h);
  }
}

TEST(GgufBF16Test, Conversions) {
  EXPECT_EQ(bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToFloat(0xc040), -3.0f);
  EXPECT_EQ(floatToBF16(1.0f), 0x3f80);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to even.
  EXPECT_EQ(floatToBF16(1.0f + 0x1p-8f), 0x3f80);
  EXPECT_EQ(floatToBF16(1.0f + 3 * 0x1p-8f), 0x3f82);
  EXPECT_EQ(floatToBF16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(floatToBF16(INFINITY), 0x7f80);
  EXPECT_EQ(floatToBF16(3.4028235e38f), 0x7f80); // max f32 rounds to inf
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(NAN))));
  // A nan whose payload sits in the low bits only must stay a nan.
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(bitsToFloat(0x7f800001)))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = bf16ToFloat(static_cast<uint16_t>(h));
    if (!std::isnan(f)) {
      ASSERT_EQ(floatToBF16(f), h);
    }
  }
}

//===----------------------------------------------------------------------===//
// Dequantizers, against values worked out element by element
//===----------------------------------------------------------------------===//

std::vector<float> dequant(GgmlType type, const std::string &bytes,
                           int64_t count) {
  std::vector<float> out(static_cast<size_t>(count), NAN);
  Status status = dequantizeToF32(
      type, reinterpret_cast<const uint8_t *>(bytes.data()), count, out.data());
  EXPECT_TRUE(status.isOk()) << status.message();
  EXPECT_EQ(bytes.size(), static_cast<size_t>(count / ggmlBlockSize(type) *
                                              ggmlBlockBytes(type)));
  return out;
}

std::string half(float v) { return le(floatToHalf(v), 2); }

TEST(GgufDequantTest, PlainTypes) {
  EXPECT_EQ(dequant(GgmlType::kF32, floats({1.5f, -2}), 2),
            (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(dequant(GgmlType::kF16, le(0x3c00, 2) + le(0xb800, 2), 2),
            (std::vector<float>{1.0f, -0.5f}));
  EXPECT_EQ(dequant(GgmlType::kBF16, le(0x3f80, 2) + le(0xc040, 2), 2),
            (std::vector<float>{1.0f, -3.0f}));
}

TEST(GgufDequantTest, Q8_0) {
  // Two blocks: d = 2 then d = -0.25; q = 8j - 128.
  std::string bytes;
  for (float d : {2.0f, -0.25f}) {
    bytes += half(d);
    for (int j = 0; j < 32; ++j)
      bytes += static_cast<char>(static_cast<int8_t>(8 * j - 128));
  }
  std::vector<float> y = dequant(GgmlType::kQ8_0, bytes, 64);
  EXPECT_EQ(y[0], -256.0f);
  EXPECT_EQ(y[31], 240.0f);
  EXPECT_EQ(y[32], 32.0f);
  EXPECT_EQ(y[63], -30.0f);
  for (int j = 0; j < 32; ++j) {
    EXPECT_EQ(y[j], 2.0f * (8 * j - 128));
    EXPECT_EQ(y[32 + j], -0.25f * (8 * j - 128));
  }
}

TEST(GgufDequantTest, Q4_0) {
  // qs[j] = j | (15 - j) << 4; d = 0.5: x[j] = (j - 8) / 2,
  // x[j + 16] = (7 - j) / 2.
  std::string bytes = half(0.5f);
  for (int j = 0; j < 16; ++j)
    bytes += static_cast<char>(j | ((15 - j) << 4));
  std::vector<float> y = dequant(GgmlType::kQ4_0, bytes, 32);
  EXPECT_EQ(y[0], -4.0f);
  EXPECT_EQ(y[15], 3.5f);
  EXPECT_EQ(y[16], 3.5f);
  EXPECT_EQ(y[31], -4.0f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.5f);
    EXPECT_EQ(y[16 + j], (7 - j) * 0.5f);
  }
}

TEST(GgufDequantTest, Q4_1) {
  // d = 0.25, m = -1: x = q / 4 - 1.
  std::string bytes = half(0.25f) + half(-1.0f);
  for (int j = 0; j < 16; ++j)
    bytes += static_cast<char>(j | ((15 - j) << 4));
  std::vector<float> y = dequant(GgmlType::kQ4_1, bytes, 32);
  EXPECT_EQ(y[0], -1.0f);
  EXPECT_EQ(y[15], 2.75f);
  EXPECT_EQ(y[16], 2.75f);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.25f - 1);
    EXPECT_EQ(y[16 + j], (15 - j) * 0.25f - 1);
  }
}

// Bit j of qh is the fifth bit of element j (elements 0..31).
constexpr uint32_t kQh = 0xA5F0C30Fu;
int fifthBit(int element) { return (kQh >> element) & 1; }

TEST(GgufDequantTest, Q5_0) {
  std::string bytes = half(1.0f) + u32(kQh);
  for (int j = 0; j < 16; ++j)
    bytes += static_cast<char>((j & 15) | (((3 * j) & 15) << 4));
  std::vector<float> y = dequant(GgmlType::kQ5_0, bytes, 32);
  EXPECT_EQ(y[0], 0.0f);    // 0 | 16 -> 16 - 16
  EXPECT_EQ(y[4], -12.0f);  // 4, bit 4 clear -> 4 - 16
  EXPECT_EQ(y[16], -16.0f); // 0, bit 16 clear
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], static_cast<float>((j & 15) + 16 * fifthBit(j) - 16));
    EXPECT_EQ(y[16 + j],
              static_cast<float>(((3 * j) & 15) + 16 * fifthBit(16 + j) - 16));
  }
}

TEST(GgufDequantTest, Q5_1) {
  std::string bytes = half(0.5f) + half(-3.0f) + u32(kQh);
  for (int j = 0; j < 16; ++j)
    bytes += static_cast<char>((j & 15) | (((3 * j) & 15) << 4));
  std::vector<float> y = dequant(GgmlType::kQ5_1, bytes, 32);
  EXPECT_EQ(y[0], 5.0f); // 16 / 2 - 3
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], ((j & 15) + 16 * fifthBit(j)) * 0.5f - 3);
    EXPECT_EQ(y[16 + j], (((3 * j) & 15) + 16 * fifthBit(16 + j)) * 0.5f - 3);
  }
}

// The eight 6-bit (scale, min) pairs of a Q4_K/Q5_K super-block, packed
// into 12 bytes: pairs 0..3 in the low 6 bits of bytes 0..3 / 4..7; pairs
// 4..7 as low nibbles in bytes 8..11, their top 2 bits in the top 2 bits
// of bytes 0..3 (scales) and 4..7 (mins).
const uint8_t kScales[8] = {1, 2, 3, 4, 17, 33, 48, 63};
const uint8_t kMins[8] = {0, 5, 10, 15, 20, 40, 50, 63};

std::string packScalesK4() {
  uint8_t s[12] = {};
  for (int j = 0; j < 4; ++j) {
    s[j] = kScales[j] | ((kScales[j + 4] >> 4) << 6);
    s[j + 4] = kMins[j] | ((kMins[j + 4] >> 4) << 6);
    s[j + 8] = (kScales[j + 4] & 15) | ((kMins[j + 4] & 15) << 4);
  }
  return std::string(reinterpret_cast<const char *>(s), 12);
}

/// Byte i of the 128 quant bytes of a K-quant test block.
uint8_t kQuantByte(int i) { return static_cast<uint8_t>(i * 37 + 11); }
/// Byte i of the 32 qh bytes of the Q5_K test block.
uint8_t kHighByte(int i) { return static_cast<uint8_t>(i * 71 + 5); }

TEST(GgufDequantTest, Q4_K) {
  // Element e: 64-element chunk c = e / 64 uses quant bytes 32c..32c+31,
  // low nibbles for its first 32 elements (sub-block 2c), high nibbles for
  // the next 32 (sub-block 2c + 1); x = d * scale * q - dmin * min.
  const float d = 0.5f, dmin = 0.25f;
  std::string bytes = half(d) + half(dmin) + packScalesK4();
  for (int i = 0; i < 128; ++i)
    bytes += static_cast<char>(kQuantByte(i));
  std::vector<float> y = dequant(GgmlType::kQ4_K, bytes, 256);
  for (int e = 0; e < 256; ++e) {
    int chunk = e / 64, r = e % 64, sub = 2 * chunk + r / 32;
    uint8_t byte = kQuantByte(chunk * 32 + r % 32);
    int q = r < 32 ? (byte & 15) : (byte >> 4);
    EXPECT_EQ(y[e], d * kScales[sub] * q - dmin * kMins[sub]) << e;
  }
  // Element 255: sub-block 7 (scale 63, min 63), high nibble of byte 127.
  EXPECT_EQ(y[255], 0.5f * 63 * (kQuantByte(127) >> 4) - 0.25f * 63);
}

TEST(GgufDequantTest, Q5_K) {
  // As Q4_K, plus a fifth bit: element e of chunk c takes bit 2c (first 32)
  // or 2c + 1 (next 32) of qh[e % 32].
  const float d = 0.125f, dmin = 2.0f;
  std::string bytes = half(d) + half(dmin) + packScalesK4();
  for (int i = 0; i < 32; ++i)
    bytes += static_cast<char>(kHighByte(i));
  for (int i = 0; i < 128; ++i)
    bytes += static_cast<char>(kQuantByte(i));
  std::vector<float> y = dequant(GgmlType::kQ5_K, bytes, 256);
  for (int e = 0; e < 256; ++e) {
    int chunk = e / 64, r = e % 64, sub = 2 * chunk + r / 32;
    uint8_t byte = kQuantByte(chunk * 32 + r % 32);
    int q = r < 32 ? (byte & 15) : (byte >> 4);
    q += 16 * ((kHighByte(r % 32) >> sub) & 1);
    EXPECT_EQ(y[e], d * kScales[sub] * q - dmin * kMins[sub]) << e;
  }
}

TEST(GgufDequantTest, Q6_K) {
  // Element e: half h = e / 128, quarter k = (e % 128) / 32, l = e % 32.
  // Low 4 bits: ql[64h + l + 32 (k & 1)], low nibble for k < 2 else high;
  // high 2 bits: bits 2k..2k+1 of qh[32h + l]; scale sc[8h + l / 16 + 2k];
  // x = d * scale * (q - 32).
  const float d = 0.5f;
  std::string bytes;
  for (int i = 0; i < 128; ++i)
    bytes += static_cast<char>(kQuantByte(i));
  for (int i = 0; i < 64; ++i)
    bytes += static_cast<char>(kHighByte(i));
  int8_t scales[16];
  for (int i = 0; i < 16; ++i)
    scales[i] = static_cast<int8_t>(i * 9 - 70);
  bytes += std::string(reinterpret_cast<const char *>(scales), 16);
  bytes += half(d);
  std::vector<float> y = dequant(GgmlType::kQ6_K, bytes, 256);
  for (int e = 0; e < 256; ++e) {
    int h = e / 128, k = (e % 128) / 32, l = e % 32;
    uint8_t low = kQuantByte(64 * h + l + 32 * (k & 1));
    int q = (k < 2 ? (low & 15) : (low >> 4)) |
            (((kHighByte(32 * h + l) >> (2 * k)) & 3) << 4);
    float scale = scales[8 * h + l / 16 + 2 * k];
    EXPECT_EQ(y[e], d * scale * (q - 32)) << e;
  }
}

TEST(GgufDequantTest, RefusesUnsupportedTypesAndPartialBlocks) {
  float out[256];
  uint8_t zeros[300] = {};
  Status q2 = dequantizeToF32(GgmlType::kQ2_K, zeros, 256, out);
  EXPECT_EQ(q2.code(), StatusCode::kUnimplemented);
  EXPECT_NE(q2.message().find("Q2_K"), std::string::npos) << q2.message();
  Status partial = dequantizeToF32(GgmlType::kQ4_0, zeros, 48, out);
  EXPECT_EQ(partial.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(partial.message().find("block"), std::string::npos);
  EXPECT_FALSE(dequantizeToF32(GgmlType::kF32, zeros, -1, out).isOk());
}

TEST(GgufDequantTest, TypeTable) {
  EXPECT_STREQ(ggmlTypeName(GgmlType::kQ4_K), "Q4_K");
  EXPECT_EQ(ggmlBlockSize(GgmlType::kQ4_K), 256);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ4_K), 144);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ5_K), 176);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ6_K), 210);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ2_K), 84);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ3_K), 110);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ8_K), 292);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ4_0), 18);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ4_1), 20);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ5_0), 22);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ5_1), 24);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ8_0), 34);
  EXPECT_EQ(ggmlBlockBytes(GgmlType::kQ8_1), 36);
  EXPECT_EQ(ggmlBlockSize(GgmlType::kBF16), 1);
  EXPECT_TRUE(ggmlCanDequantize(GgmlType::kQ6_K));
  EXPECT_FALSE(ggmlCanDequantize(GgmlType::kQ3_K));
  EXPECT_STREQ(ggufValueTypeName(GgufValueType::kArray), "ARRAY");
}

} // namespace
} // namespace sparsec

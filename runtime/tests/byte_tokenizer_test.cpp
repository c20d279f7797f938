//===- byte_tokenizer_test.cpp - byte tokenizer and factory -----*- C++ -*-===//

#include "sparsec/formats/manifest.h"
#include "test_model.h"
#include "tokenizer/byte_tokenizer.h"

#include <gtest/gtest.h>

namespace sparsec {
namespace {

TEST(ByteTokenizerTest, RoundTripsAnyBytes) {
  auto tokenizer = ByteTokenizer::create(256);
  ASSERT_TRUE(tokenizer.isOk());
  std::string text = "Hello, w\xc3\xb6rld\n";
  text.push_back('\0');
  text += "\xff\x80";
  std::vector<int32_t> ids = (*tokenizer)->encode(text);
  ASSERT_EQ(ids.size(), text.size());
  EXPECT_EQ(ids[0], 'H');
  EXPECT_EQ(ids[8], 0xc3);
  EXPECT_EQ(ids[text.size() - 2], 0xff);
  std::string decoded;
  for (int32_t id : ids)
    decoded += (*tokenizer)->decode(id);
  EXPECT_EQ(decoded, text);
  EXPECT_EQ((*tokenizer)->vocabSize(), 256);
  EXPECT_FALSE((*tokenizer)->bosId().has_value());
  EXPECT_TRUE((*tokenizer)->encode("").empty());
}

TEST(ByteTokenizerTest, IdsBeyondBytesDecodeToPlaceholders) {
  auto tokenizer = ByteTokenizer::create(300, /*bosId=*/256);
  ASSERT_TRUE(tokenizer.isOk()) << tokenizer.status().message();
  EXPECT_EQ((*tokenizer)->decode(256), "<256>");
  EXPECT_EQ((*tokenizer)->decode(299), "<299>");
  EXPECT_EQ((*tokenizer)->decode(-1), "<-1>");
  EXPECT_EQ((*tokenizer)->bosId(), 256);
}

TEST(ByteTokenizerTest, RejectsSmallVocabAndByteBos) {
  auto small = ByteTokenizer::create(255);
  ASSERT_FALSE(small.isOk());
  EXPECT_EQ(small.status().message(),
            "byte tokenizer: vocab_size 255 is too small, expected at least "
            "256 (one token per byte)");
  auto bos = ByteTokenizer::create(300, 65);
  ASSERT_FALSE(bos.isOk());
  EXPECT_NE(bos.status().message().find("bos_id 65 is invalid"),
            std::string::npos);
}

TEST(TokenizerFactoryTest, BuildsByteAndNamesUnknownTypes) {
  StatusOr<Manifest> manifest =
      Manifest::parse(testing::testManifest({}).dump(), "OUT/manifest.json");
  ASSERT_TRUE(manifest.isOk());
  auto tokenizer = createTokenizer(*manifest, "OUT/manifest.json");
  ASSERT_TRUE(tokenizer.isOk()) << tokenizer.status().message();
  EXPECT_EQ((*tokenizer)->encode("A"), (std::vector<int32_t>{65}));

  manifest->tokenizer.type = "sentencepiece";
  tokenizer = createTokenizer(*manifest, "OUT/manifest.json");
  ASSERT_FALSE(tokenizer.isOk());
  EXPECT_EQ(tokenizer.status().message(),
            "OUT/manifest.json: key 'tokenizer.type': unknown tokenizer "
            "'sentencepiece' (this runtime knows: byte, hf)");

  manifest->tokenizer.type = "byte";
  manifest->vocabSize = 100;
  tokenizer = createTokenizer(*manifest, "OUT/manifest.json");
  ASSERT_FALSE(tokenizer.isOk());
  EXPECT_NE(tokenizer.status().message().find(
                "OUT/manifest.json: key 'tokenizer': byte tokenizer: "
                "vocab_size 100 is too small"),
            std::string::npos);
}

} // namespace
} // namespace sparsec

//===- hf_tokenizer_test.cpp - tokenizer.json, TokenStream ------*- C++ -*-===//
//
// Hand-written tokenizer.json files, one per feature and per refusal. The
// agreement with the `tokenizers` package on thousands of strings is
// test/python/test_tokenizer_agreement.py's job.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/manifest.h"
#include "test_model.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/utf8.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

namespace sparsec {
namespace {

using json = nlohmann::json;
using Ids = std::vector<int32_t>;

/// GPT-2's byte -> character map, as UTF-8.
std::string byteChar(int b) {
  bool direct = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) ||
                (b >= 0xAE && b <= 0xFF);
  uint32_t cp = b;
  if (!direct) {
    uint32_t n = 0;
    for (int c = 0; c < b; ++c)
      if (!((c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) ||
            (c >= 0xAE && c <= 0xFF)))
        ++n;
    cp = 256 + n;
  }
  std::string out;
  utf8::append(out, cp);
  return out;
}

/// A byte-level tokenizer.json: ids 0..255 are the bytes, `extra` tokens
/// follow in order (ids 256...), `merges` as given.
json byteLevel(const std::vector<std::string> &extra,
               const json &merges = json::array()) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b)
    vocab[byteChar(b)] = b;
  for (size_t i = 0; i < extra.size(); ++i)
    vocab[extra[i]] = 256 + int(i);
  return {{"version", "1.0"},
          {"added_tokens", json::array()},
          {"normalizer", nullptr},
          {"pre_tokenizer",
           {{"type", "ByteLevel"},
            {"add_prefix_space", false},
            {"trim_offsets", true},
            {"use_regex", true}}},
          {"post_processor", nullptr},
          {"decoder", {{"type", "ByteLevel"}}},
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
            {"merges", merges}}}};
}

/// A Llama-2-style tokenizer.json: <unk>, <s>, </s>, the 256 byte tokens
/// (ids 3..258), then `pieces`.
json sentencePiece(const std::vector<std::string> &pieces,
                   const json &merges = json::array()) {
  json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    vocab[name] = 3 + b;
  }
  for (size_t i = 0; i < pieces.size(); ++i)
    vocab[pieces[i]] = 259 + int(i);
  auto special = [](int id, const char *content) {
    return json{{"id", id},        {"content", content}, {"single_word", false},
                {"lstrip", false}, {"rstrip", false},    {"normalized", false},
                {"special", true}};
  };
  return {
      {"added_tokens",
       {special(0, "<unk>"), special(1, "<s>"), special(2, "</s>")}},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         {{{"type", "Prepend"}, {"prepend", "\xe2\x96\x81"}},
          {{"type", "Replace"},
           {"pattern", {{"String", " "}}},
           {"content", "\xe2\x96\x81"}}}}}},
      {"pre_tokenizer", nullptr},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "Replace"},
           {"pattern", {{"String", "\xe2\x96\x81"}}},
           {"content", " "}},
          {{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"vocab", vocab},
        {"merges", merges}}}};
}

std::unique_ptr<HfTokenizer> load(const json &j) {
  auto tokenizer = HfTokenizer::parse(j.dump(), "tok.json");
  EXPECT_TRUE(tokenizer.isOk()) << tokenizer.status().message();
  if (!tokenizer.isOk())
    return nullptr;
  return std::move(tokenizer).value();
}

std::string refusal(const json &j) {
  auto tokenizer = HfTokenizer::parse(j.dump(), "tok.json");
  EXPECT_FALSE(tokenizer.isOk());
  return tokenizer.isOk() ? "" : tokenizer.status().message();
}

std::string decodeAll(const Tokenizer &tokenizer, const Ids &ids) {
  std::string out;
  for (int32_t id : ids)
    out += tokenizer.decode(id);
  return out;
}

const std::string kSpace = byteChar(' '); // "Ġ"

TEST(HfTokenizerTest, ByteLevelMergesByRank) {
  // "ab" (rank 0), then "Ġab" (rank 1); "ba" never merges before "ab".
  json j =
      byteLevel({"ab", kSpace + "ab", "ba"}, {"a b", kSpace + " ab", "b a"});
  auto tok = load(j);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("ab ab"), (Ids{256, 257}));
  EXPECT_EQ(tok->encode("aba"), (Ids{256, 'a'}));
  EXPECT_EQ(tok->encode(""), Ids{});
  EXPECT_EQ(tok->vocabSize(), 259);
  EXPECT_FALSE(tok->stripsLeadingSpace());
  // Every byte round-trips, through the GPT-2 regex's pieces.
  std::string text = "Hi  there\n\t\xc3\xa9\xf0\x9f\x98\x80 123 it's";
  EXPECT_EQ(decodeAll(*tok, tok->encode(text)), text);
  EXPECT_EQ(tok->decode(256), "ab");
  EXPECT_EQ(tok->decode(999), "<999>");
  EXPECT_EQ(tok->decode(-3), "<-3>");
}

TEST(HfTokenizerTest, MergesAsPairsEqualMergesAsStrings) {
  auto a = load(byteLevel({"ab", "abc"}, {"a b", "ab c"}));
  json pairs = json::array({json::array({"a", "b"}), json::array({"ab", "c"})});
  auto b = load(byteLevel({"ab", "abc"}, pairs));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->encode("abcab"), (Ids{257, 256}));
  EXPECT_EQ(b->encode("abcab"), a->encode("abcab"));
}

TEST(HfTokenizerTest, IgnoreMergesTakesWholeWordsFromTheVocabulary) {
  // "abc" is in the vocabulary but no merge chain reaches it.
  json j = byteLevel({"ab", "abc"}, {"a b"});
  auto plain = load(j);
  j["model"]["ignore_merges"] = true;
  auto ignoring = load(j);
  ASSERT_TRUE(plain && ignoring);
  EXPECT_EQ(plain->encode("abc"), (Ids{256, 'c'}));
  EXPECT_EQ(ignoring->encode("abc"), (Ids{257}));
}

TEST(HfTokenizerTest, AddPrefixSpace) {
  json j = byteLevel({kSpace + "a"}, {kSpace + " a"});
  j["pre_tokenizer"]["add_prefix_space"] = true;
  auto tok = load(j);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("a a"), (Ids{256, 256}));
  EXPECT_EQ(tok->encode(" a"), (Ids{256}));
}

/// A byte-level tokenizer whose pre-tokenizer is `pre` and whose vocabulary
/// has the whole `pieces` (ignore_merges), so the ids show the split.
std::unique_ptr<HfTokenizer> splitter(const json &pre,
                                      const std::vector<std::string> &pieces) {
  json j = byteLevel(pieces);
  j["model"]["ignore_merges"] = true;
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers",
                         {pre,
                          {{"type", "ByteLevel"},
                           {"add_prefix_space", false},
                           {"use_regex", false}}}}};
  return load(j);
}

json split(const json &pattern, const char *behavior, bool invert = false) {
  return {{"type", "Split"},
          {"pattern", pattern},
          {"behavior", behavior},
          {"invert", invert}};
}

TEST(HfTokenizerTest, SplitBehaviors) {
  json dash = {{"String", "-"}};
  std::vector<std::string> pieces = {"a-", "-b", "--"};
  // Ids: a=97 b=98 -=45 (bytes); "a-"=256, "-b"=257, "--"=258.
  auto isolated = splitter(split(dash, "Isolated"), pieces);
  auto removed = splitter(split(dash, "Removed"), pieces);
  auto previous = splitter(split(dash, "MergedWithPrevious"), pieces);
  auto next = splitter(split(dash, "MergedWithNext"), pieces);
  auto contiguous = splitter(split(dash, "Contiguous"), pieces);
  ASSERT_TRUE(isolated && removed && previous && next && contiguous);
  EXPECT_EQ(isolated->encode("a--b"), (Ids{'a', '-', '-', 'b'}));
  EXPECT_EQ(removed->encode("a--b"), (Ids{'a', 'b'}));
  EXPECT_EQ(previous->encode("a--b"), (Ids{256, '-', 'b'}));
  EXPECT_EQ(next->encode("a--b"), (Ids{'a', '-', 257}));
  EXPECT_EQ(contiguous->encode("a--b"), (Ids{'a', 258, 'b'}));

  // A regex, inverted: the matches ("a" runs) are the kept pieces' gaps.
  auto inverted = splitter(split({{"Regex", "-+"}}, "Removed", true), {"--"});
  ASSERT_TRUE(inverted);
  EXPECT_EQ(inverted->encode("a--b"), (Ids{256}));
}

TEST(HfTokenizerTest, Digits) {
  std::vector<std::string> pieces = {"12", "123", "x1"};
  auto individual =
      splitter({{"type", "Digits"}, {"individual_digits", true}}, pieces);
  auto contiguous =
      splitter({{"type", "Digits"}, {"individual_digits", false}}, pieces);
  ASSERT_TRUE(individual && contiguous);
  EXPECT_EQ(individual->encode("x123"), (Ids{'x', '1', '2', '3'}));
  EXPECT_EQ(contiguous->encode("x123"), (Ids{'x', 257}));
}

TEST(HfTokenizerTest, Llama3RegexSplitsLikeOniguruma) {
  const char *pattern =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
      " ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const std::string mongolian =
      byteChar(0xE1) + byteChar(0xA0) + byteChar(0x8E) + "!";
  std::vector<std::string> pieces = {"'S",         "123",           "45",
                                     kSpace + "x", kSpace + kSpace, mongolian};
  auto tok = splitter(split({{"Regex", pattern}}, "Isolated"), pieces);
  ASSERT_TRUE(tok);
  // "'S" case-insensitively; digits in threes; "  " before " x" stays whole
  // (\s+(?!\S) backs off one space).
  EXPECT_EQ(tok->encode("'S12345   x"), (Ids{256, 257, 258, 260, 259}));
  // U+180E is not \s for Oniguruma (PCRE2's UCP \s has it): "\u180e!" is
  // one piece.
  EXPECT_EQ(tok->encode("\xe1\xa0\x8e!"), (Ids{261}));
}

TEST(HfTokenizerTest, SentencePieceByteFallbackAndStrip) {
  const std::string u = "\xe2\x96\x81"; // "▁"
  json j =
      sentencePiece({u, "h", "i", u + "h", u + "hi"}, {u + " h", u + "h i"});
  auto tok = load(j);
  ASSERT_TRUE(tok);
  EXPECT_TRUE(tok->stripsLeadingSpace());
  // Prepend + Replace: "hi hi" -> "▁hi▁hi".
  EXPECT_EQ(tok->encode("hi hi"), (Ids{263, 263}));
  // é is not a piece: its bytes C3 A9 (ids 3 + byte).
  EXPECT_EQ(tok->encode("\xc3\xa9"), (Ids{259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(tok->decode(3 + 'A'), "A");
  EXPECT_EQ(tok->decode(263), " hi");
  EXPECT_EQ(tok->decode(1), "<s>");
  EXPECT_TRUE(tok->isSpecial(1));
  EXPECT_FALSE(tok->isSpecial(263));
  // Special tokens split the text; each piece gets its own "▁".
  EXPECT_EQ(tok->encode("<s>hi", true), (Ids{1, 263}));
  EXPECT_NE(tok->encode("<s>hi", false)[0], 1);
  EXPECT_EQ(tok->encode(""), Ids{});

  TokenStream stream(*tok);
  std::string shown;
  for (int32_t id : tok->encode("hi \xc3\xa9!"))
    shown += stream.push(id);
  shown += stream.flush();
  EXPECT_EQ(shown, "hi \xc3\xa9!");
}

TEST(HfTokenizerTest, UnknownCharactersFuseIntoOneUnk) {
  json j = sentencePiece({"\xe2\x96\x81", "a"});
  j["model"]["byte_fallback"] = false;
  auto fused = load(j);
  j["model"]["fuse_unk"] = false;
  auto unfused = load(j);
  ASSERT_TRUE(fused && unfused);
  // "▁" and "a" are pieces; x, y are unknown.
  EXPECT_EQ(fused->encode("axya"), (Ids{259, 260, 0, 260}));
  EXPECT_EQ(unfused->encode("axya"), (Ids{259, 260, 0, 0, 260}));
}

TEST(HfTokenizerTest, MetaspacePrependSchemes) {
  const std::string u = "\xe2\x96\x81";
  json j = sentencePiece({u, "a", "b", u + "a", u + "b"}, {u + " a", u + " b"});
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"},
                        {"replacement", u},
                        {"prepend_scheme", "first"},
                        {"split", true}};
  j["decoder"] = {{"type", "Metaspace"},
                  {"replacement", u},
                  {"prepend_scheme", "first"},
                  {"split", true}};
  auto first = load(j);
  j["pre_tokenizer"]["prepend_scheme"] = "never";
  auto never = load(j);
  j["pre_tokenizer"].erase("prepend_scheme");
  j["pre_tokenizer"]["add_prefix_space"] = true; // older spelling: always
  auto always = load(j);
  ASSERT_TRUE(first && never && always);
  EXPECT_TRUE(first->stripsLeadingSpace());
  EXPECT_EQ(first->encode("a b"), (Ids{262, 263}));
  EXPECT_EQ(never->encode("a b"), (Ids{260, 263}));
  // After a special token the text is not at offset 0: "first" adds none.
  EXPECT_EQ(first->encode("<s>a", true), (Ids{1, 260}));
  EXPECT_EQ(always->encode("<s>a", true), (Ids{1, 262}));
}

json addedToken(int id, const std::string &content, bool special,
                json extra = json::object()) {
  json t = {{"id", id},          {"content", content}, {"single_word", false},
            {"lstrip", false},   {"rstrip", false},    {"normalized", !special},
            {"special", special}};
  t.update(extra);
  return t;
}

TEST(HfTokenizerTest, AddedTokens) {
  json j = byteLevel({});
  j["added_tokens"] = {addedToken(256, "<|end|>", true),
                       addedToken(257, "<|end|>x", true), // longest match wins
                       addedToken(258, "tool", false, {{"single_word", true}}),
                       addedToken(259, "<L>", true, {{"lstrip", true}}),
                       addedToken(260, "<R>", true, {{"rstrip", true}})};
  auto tok = load(j);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("<|end|>x", true), (Ids{257}));
  EXPECT_EQ(tok->encode("a<|end|>", true), (Ids{'a', 256}));
  // Not parsed: plain text (GPT-2 pieces "<|", "end", "|>").
  Ids plain = tok->encode("<|end|>", false);
  EXPECT_EQ(decodeAll(*tok, plain), "<|end|>");
  EXPECT_EQ(plain.size(), 7u);
  // Non-special tokens are matched either way, single_word only alone.
  EXPECT_EQ(tok->encode("tool", false), (Ids{258}));
  EXPECT_EQ(tok->encode("a tool.", false), (Ids{'a', ' ', 258, '.'}));
  EXPECT_EQ(tok->encode("tools", false).size(), 5u);
  // lstrip/rstrip swallow the spaces around.
  EXPECT_EQ(tok->encode("a  <L>", true), (Ids{'a', 259}));
  EXPECT_EQ(tok->encode("<R>  a", true), (Ids{260, 'a'}));
  EXPECT_EQ(tok->vocabSize(), 261);
  EXPECT_EQ(tok->tokenId("<R>"), 260);
  EXPECT_EQ(tok->tokenText(258), "tool");
  EXPECT_EQ(tok->decode(256), "<|end|>");
  EXPECT_EQ(tok->decode(258), "tool");
  EXPECT_TRUE(tok->isSpecial(256));
  EXPECT_FALSE(tok->isSpecial(258));
}

TEST(HfTokenizerTest, InvalidUtf8BecomesReplacementCharacters) {
  // Python: bytes.decode('utf-8', errors='replace').
  const std::string r = utf8::kReplacement;
  EXPECT_EQ(utf8::sanitize("a\xff"
                           "b"),
            "a" + r + "b");
  EXPECT_EQ(utf8::sanitize("\xe2\x82"), r); // truncated
  EXPECT_EQ(utf8::sanitize("\xf0\x9f\x98"
                           "a"),
            r + "a");                                   // truncated
  EXPECT_EQ(utf8::sanitize("\xc0\x80"), r + r);         // overlong
  EXPECT_EQ(utf8::sanitize("\xed\xa0\x80"), r + r + r); // surrogate
  EXPECT_EQ(utf8::sanitize("\xe1\x80\xe1\x80"), r + r);
  EXPECT_EQ(utf8::sanitize("\xf4\x90\x80\x80"), r + r + r + r);
  EXPECT_EQ(utf8::sanitize("ok \xc3\xa9"), "ok \xc3\xa9");
  auto tok = load(byteLevel({}));
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->encode("x\xe2\x82y"), tok->encode("x" + r + "y"));
  EXPECT_EQ(decodeAll(*tok, tok->encode("\xff")), r);
}

TEST(HfTokenizerTest, TokenStreamBuffersSplitCharacters) {
  json j = byteLevel({});
  j["added_tokens"] = {addedToken(256, "<|end|>", true)};
  auto tok = load(j);
  ASSERT_TRUE(tok);
  Ids ids = tok->encode("\xf0\x9f\x98\x80"
                        "a\xc3\xa9");
  ASSERT_EQ(ids.size(), 7u); // one token per byte (no merges)
  TokenStream stream(*tok);
  EXPECT_EQ(stream.push(ids[0]), "");
  EXPECT_EQ(stream.push(ids[1]), "");
  EXPECT_EQ(stream.push(256), ""); // special: left out
  EXPECT_EQ(stream.push(ids[2]), "");
  EXPECT_EQ(stream.push(ids[3]), "\xf0\x9f\x98\x80");
  EXPECT_EQ(stream.push(ids[4]), "a");
  EXPECT_EQ(stream.push(ids[5]), "");
  EXPECT_EQ(stream.flush(), utf8::kReplacement);      // an incomplete é
  EXPECT_EQ(stream.push(ids[6]), utf8::kReplacement); // a lone continuation
  // An ill-formed byte followed by a good character.
  EXPECT_EQ(stream.push(0xFF), utf8::kReplacement);
  EXPECT_EQ(stream.push('b'), "b");
}

TEST(HfTokenizerTest, TokenStreamStripsTheFirstSpaceOnly) {
  const std::string u = "\xe2\x96\x81";
  auto tok = load(sentencePiece({u, "a", u + "a"}, {u + " a"}));
  ASSERT_TRUE(tok);
  TokenStream stream(*tok);
  EXPECT_EQ(stream.push(1), ""); // <s>
  EXPECT_EQ(stream.push(261), "a");
  EXPECT_EQ(stream.push(261), " a");
  stream.reset();
  EXPECT_EQ(stream.push(261), "a");
}

TEST(HfTokenizerTest, Refusals) {
  auto expectRefusal = [](json j, const std::string &message) {
    EXPECT_EQ(refusal(j), message);
  };
  json j = byteLevel({});
  j["model"]["type"] = "WordPiece";
  expectRefusal(j, "tok.json: key 'model.type': unsupported model 'WordPiece' "
                   "(this runtime knows: BPE)");
  j["model"]["type"] = "Unigram";
  expectRefusal(j, "tok.json: key 'model.type': unsupported model 'Unigram' "
                   "(this runtime knows: BPE)");

  j = byteLevel({});
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Digits"}, {"individual_digits", true}},
        {{"type", "Punctuation"}, {"behavior", "Isolated"}}}}};
  expectRefusal(j, "tok.json: key 'pre_tokenizer.pretokenizers[1].type': "
                   "unsupported pre-tokenizer 'Punctuation' (this runtime "
                   "knows: Sequence, ByteLevel, Split, Digits, Metaspace)");

  j = byteLevel({});
  j["normalizer"] = {{"type", "NFC"}};
  expectRefusal(j, "tok.json: key 'normalizer.type': unsupported normalizer "
                   "'NFC' (this runtime knows: Sequence, Prepend, Replace)");

  j = byteLevel({});
  j["decoder"] = {{"type", "WordPiece"}, {"prefix", "##"}};
  expectRefusal(j, "tok.json: key 'decoder.type': unsupported decoder "
                   "'WordPiece' (this runtime knows: Sequence, ByteLevel, "
                   "ByteFallback, Fuse, Replace, Strip, Metaspace)");

  j = byteLevel({});
  j["model"]["dropout"] = 0.1;
  EXPECT_NE(refusal(j).find("key 'model.dropout'"), std::string::npos);

  j = byteLevel({});
  j["model"]["continuing_subword_prefix"] = "##";
  EXPECT_NE(refusal(j).find("key 'model.continuing_subword_prefix'"),
            std::string::npos);
  j = byteLevel({});
  j["model"]["end_of_word_suffix"] = "</w>";
  EXPECT_NE(refusal(j).find("key 'model.end_of_word_suffix'"),
            std::string::npos);

  j = byteLevel({}, {"a zz"});
  expectRefusal(j, "tok.json: key 'model.merges[0]': token 'zz' is not in the "
                   "vocabulary");
  j = byteLevel({}, {"a b"});
  expectRefusal(j, "tok.json: key 'model.merges[0]': merged token 'ab' is not "
                   "in the vocabulary");
  j = byteLevel({"ab"}, {"a b c"});
  EXPECT_NE(refusal(j).find("key 'model.merges[0]'"), std::string::npos);

  j = byteLevel({});
  j["pre_tokenizer"] = split({{"Regex", "(unclosed"}}, "Isolated");
  EXPECT_NE(refusal(j).find("key 'pre_tokenizer.pattern.Regex': invalid regex"),
            std::string::npos);
  j["pre_tokenizer"] = split({{"Regex", "x"}}, "Sideways");
  EXPECT_NE(refusal(j).find("unsupported split behavior 'Sideways'"),
            std::string::npos);

  j = byteLevel({});
  j["decoder"] = {
      {"type", "Strip"}, {"content", " "}, {"start", 0}, {"stop", 2}};
  EXPECT_NE(refusal(j).find("unsupported Strip"), std::string::npos);

  j = byteLevel({});
  j["model"]["unk_token"] = "<unk>";
  expectRefusal(j, "tok.json: key 'model.unk_token': '<unk>' is not in the "
                   "vocabulary");

  j = byteLevel({});
  j.erase("model");
  expectRefusal(j, "tok.json: key 'model': missing");
  EXPECT_EQ(HfTokenizer::parse("{", "tok.json").status().message(),
            "tok.json: not valid JSON");
}

TEST(HfTokenizerTest, Factory) {
  testing::TempDir dir;
  auto manifest = Manifest::parse(testing::testManifest({}).dump(),
                                  dir.file("manifest.json"));
  ASSERT_TRUE(manifest.isOk()) << manifest.status().message();
  manifest->vocabSize = 300;
  manifest->tokenizer.type = "hf";
  manifest->tokenizer.file = "tokenizer.json";
  manifest->tokenizer.bosId = 258;
  manifest->tokenizer.eosIds = {259};
  std::string path = dir.file("manifest.json");

  auto missing = createTokenizer(*manifest, path);
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find(dir.file("tokenizer.json")),
            std::string::npos)
      << missing.status().message();

  json j = byteLevel({"ab", "x", "y", "z"}, {"a b"});
  std::ofstream(dir.file("tokenizer.json")) << j.dump();
  auto tokenizer = createTokenizer(*manifest, path);
  ASSERT_TRUE(tokenizer.isOk()) << tokenizer.status().message();
  EXPECT_EQ((*tokenizer)->encode("ab"), (Ids{256}));
  EXPECT_EQ((*tokenizer)->bosId(), 258);
  EXPECT_EQ((*tokenizer)->eosIds(), (Ids{259}));
  EXPECT_TRUE((*tokenizer)->isSpecial(259));

  manifest->vocabSize = 259;
  auto tooBig = createTokenizer(*manifest, path);
  ASSERT_FALSE(tooBig.isOk());
  EXPECT_EQ(
      tooBig.status().message(),
      dir.file("tokenizer.json") +
          ": has 260 token ids, more than the manifest's vocab_size 259 (" +
          path + ")");

  manifest->tokenizer.file.clear();
  EXPECT_EQ(createTokenizer(*manifest, path).status().message(),
            path + ": key 'tokenizer.file': missing (needed by type 'hf')");
}

TEST(HfTokenizerTest, LargeVocabularyLoadsFastAndEncodesLinearly) {
  // 256 bytes + 48,744 merges = 49,000 tokens: merge i joins two earlier
  // tokens into a new string (no duplicates).
  json vocab = json::object();
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) {
    tokens.push_back(byteChar(b));
    vocab[tokens.back()] = b;
  }
  json merges = json::array();
  std::unordered_map<std::string, int> seen;
  for (auto &t : tokens)
    seen[t] = 1;
  uint64_t state = 12345;
  auto rnd = [&]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(state >> 33);
  };
  // Every pair of letters, digits and "Ġ" first, then random pairs of
  // merged tokens: ordinary text merges all the way.
  const std::string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<std::string> chars = {kSpace};
  for (char c : alphabet)
    chars.push_back(std::string(1, c));
  for (const std::string &a : chars)
    for (const std::string &b : chars) {
      merges.push_back(json::array({a, b}));
      seen[a + b] = 1;
      vocab[a + b] = int(tokens.size());
      tokens.push_back(a + b);
    }
  while (tokens.size() < 49000) {
    const std::string a = tokens[256 + rnd() % (tokens.size() - 256)];
    const std::string b = tokens[256 + rnd() % (tokens.size() - 256)];
    if (a.size() + b.size() > 12)
      continue;
    std::string ab = a + b;
    if (seen.count(ab))
      continue;
    seen[ab] = 1;
    merges.push_back(json::array({a, b}));
    vocab[ab] = int(tokens.size());
    tokens.push_back(ab);
  }
  json j = byteLevel({});
  j["model"]["vocab"] = vocab;
  j["model"]["merges"] = merges;
  std::string text = j.dump();

  auto start = std::chrono::steady_clock::now();
  auto tok = HfTokenizer::parse(text, "big.json");
  double loadS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_TRUE(tok.isOk()) << tok.status().message();
  EXPECT_EQ((*tok)->vocabSize(), 49000);
#ifdef NDEBUG
  EXPECT_LT(loadS, 1.0);
#endif
  std::printf("49k-vocab load: %.3f s\n", loadS);

  // 200 KB in one piece and in words: time grows about linearly.
  std::string word, prose;
  for (int i = 0; i < 200000; ++i)
    word += alphabet[rnd() % 26];
  for (int i = 0; i < 20000; ++i)
    prose += i % 7 ? "token " : "12345\n";
  for (const std::string *input : {&word, &prose}) {
    start = std::chrono::steady_clock::now();
    Ids ids = (*tok)->encode(*input);
    double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    EXPECT_EQ(decodeAll(**tok, ids), *input);
    EXPECT_LT(ids.size(), input->size() * 3 / 4); // merges happened
    std::printf("encode %zu bytes: %zu ids, %.3f s\n", input->size(),
                ids.size(), s);
#ifdef NDEBUG
    EXPECT_LT(s, 2.0);
#endif
  }
}

} // namespace
} // namespace sparsec

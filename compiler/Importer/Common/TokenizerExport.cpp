//===- TokenizerExport.cpp - a model's tokenizer for the runtime -*- C++
//-*-===//
//
// Hugging Face checkpoints: tokenizer.json is copied as it is; BOS comes
// from tokenizer_config.json's add_bos_token (else tokenizer.json's
// post-processor template), EOS from config.json and
// generation_config.json, the chat template from chat_template.jinja or
// tokenizer_config.json.
//
// GGUF: tokenizer.ggml.model "gpt2" becomes a byte-level BPE tokenizer.json
// with the pre-tokenizer llama.cpp uses for tokenizer.ggml.pre; "llama"
// (SentencePiece with scores) becomes a byte-fallback BPE whose merges are
// derived from the scores (a merge's rank is its result's score), with
// SentencePiece's "▁" normalizer and decoder.
//
//===----------------------------------------------------------------------===//

#include "compiler/Importer/Common/TokenizerExport.h"

#include "passes/JsonFile.h"
#include "sparsec/formats/chat_template.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::sparsec;
using llvm::Expected;
using llvm::StringRef;
namespace json = llvm::json;

namespace {

Expected<std::string> readFile(StringRef path) { return readRegularFile(path); }

Expected<json::Value> readJsonObject(StringRef path) {
  Expected<json::Value> value = readJsonFile(path);
  if (!value)
    return value.takeError();
  if (!value->getAsObject())
    return inputError(path + ": expected a JSON object");
  return value;
}

/// The content of a special-token entry of tokenizer_config.json: a string,
/// or an object with "content".
std::optional<std::string> tokenContent(const json::Value *value) {
  if (!value)
    return std::nullopt;
  if (auto text = value->getAsString())
    return text->str();
  if (const json::Object *object = value->getAsObject())
    if (auto content = object->getString("content"))
      return content->str();
  return std::nullopt;
}

/// The id of `token` in a tokenizer.json (added tokens, then the vocab).
std::optional<int64_t> tokenId(const json::Object &tokenizer, StringRef token) {
  if (const json::Array *added = tokenizer.getArray("added_tokens"))
    for (const json::Value &entry : *added)
      if (const json::Object *object = entry.getAsObject())
        if (object->getString("content") == std::optional<StringRef>(token))
          if (auto id = object->getInteger("id"))
            return *id;
  if (const json::Object *model = tokenizer.getObject("model"))
    if (const json::Object *vocab = model->getObject("vocab"))
      if (const json::Value *id = vocab->get(token))
        return id->getAsInteger();
  return std::nullopt;
}

/// The BOS a tokenizer.json's post-processor puts before a single sequence
/// (TemplateProcessing, possibly inside a Sequence), if any.
std::optional<int64_t> templateBos(const json::Object &tokenizer) {
  const json::Object *post = tokenizer.getObject("post_processor");
  std::vector<const json::Object *> candidates;
  if (post) {
    candidates.push_back(post);
    if (const json::Array *steps = post->getArray("processors"))
      for (const json::Value &step : *steps)
        if (const json::Object *object = step.getAsObject())
          candidates.push_back(object);
  }
  for (const json::Object *processor : candidates) {
    if (processor->getString("type") !=
        std::optional<StringRef>("TemplateProcessing"))
      continue;
    const json::Array *single = processor->getArray("single");
    if (!single || single->empty())
      continue;
    const json::Object *first = (*single)[0].getAsObject();
    const json::Object *special =
        first ? first->getObject("SpecialToken") : nullptr;
    if (!special)
      continue;
    auto name = special->getString("id");
    const json::Object *tokens = processor->getObject("special_tokens");
    if (name && tokens)
      if (const json::Object *entry = tokens->getObject(*name))
        if (const json::Array *ids = entry->getArray("ids"))
          if (!ids->empty())
            return (*ids)[0].getAsInteger();
    if (name)
      return tokenId(tokenizer, *name);
  }
  return std::nullopt;
}

/// SmolLM2-style templates add a fixed system turn when the conversation
/// has none: "{% if ... messages[0]['role'] != 'system' %}{{
/// '<|im_start|>system\nYou are ...<|im_end|>\n' }}".
std::string defaultSystemOf(StringRef source) {
  if (!source.contains("!= 'system'") && !source.contains("!= \"system\""))
    return "";
  for (StringRef opener : {"<|im_start|>system\\n", "<|im_start|>system\n"}) {
    size_t begin = source.find(opener);
    if (begin == StringRef::npos)
      continue;
    begin += opener.size();
    size_t end = source.find("<|im_end|>", begin);
    if (end == StringRef::npos)
      return "";
    StringRef text = source.slice(begin, end);
    // A literal, not an expression (no Jinja or quotes inside).
    if (text.empty() || text.contains("{") || text.contains("'") ||
        text.contains("\""))
      return "";
    return text.str();
  }
  return "";
}

void setChatTemplate(TokenizerExport &out, StringRef source, StringRef where) {
  if (source.empty())
    return;
  std::optional<std::string> name = ::sparsec::detectChatTemplate(source.str());
  if (!name) {
    out.chatTemplateNote =
        where.str() + ": chat template not recognised (sparsec knows " +
        ::sparsec::chatFormatList() + "); --chat needs --chat-template NAME";
    return;
  }
  out.chatTemplate = *name;
  if (*name == "chatml")
    out.defaultSystem = defaultSystemOf(source);
}

Expected<TokenizerExport> exportHFTokenizer(const OpenedModel &model) {
  TokenizerExport out;
  llvm::SmallString<256> path(model.path);
  llvm::sys::path::append(path, "tokenizer.json");
  if (!llvm::sys::fs::exists(path)) {
    llvm::SmallString<256> spm(model.path);
    llvm::sys::path::append(spm, "tokenizer.model");
    if (llvm::sys::fs::exists(spm))
      return inputError(spm + ": a SentencePiece tokenizer.model without "
                              "tokenizer.json is not supported; save the "
                              "tokenizer with transformers "
                              "(tokenizer.save_pretrained) to write "
                              "tokenizer.json");
    return out; // the byte tokenizer of synthetic checkpoints
  }
  Expected<std::string> text = readFile(path);
  if (!text)
    return text.takeError();
  Expected<json::Value> parsed = parseJsonText(*text, path);
  if (!parsed)
    return parsed.takeError();
  const json::Object *tokenizer = parsed->getAsObject();
  if (!tokenizer)
    return inputError(path + ": expected a JSON object");
  out.tokenizerJson = std::move(*text);
  out.description = path.str().str();

  // tokenizer_config.json: add_bos_token, bos/eos tokens, chat template.
  llvm::SmallString<256> configPath(model.path);
  llvm::sys::path::append(configPath, "tokenizer_config.json");
  std::optional<bool> addBos;
  std::optional<std::string> bosToken, eosToken;
  std::string chatSource;
  std::string chatWhere;
  if (llvm::sys::fs::exists(configPath)) {
    Expected<json::Value> config = readJsonObject(configPath);
    if (!config)
      return config.takeError();
    const json::Object &object = *config->getAsObject();
    if (const json::Value *value = object.get("add_bos_token")) {
      if (!value->getAsBoolean() && value->kind() != json::Value::Null)
        return inputError(configPath +
                          ": key 'add_bos_token': expected true or false");
      addBos = value->getAsBoolean();
    }
    bosToken = tokenContent(object.get("bos_token"));
    eosToken = tokenContent(object.get("eos_token"));
    if (const json::Value *chat = object.get("chat_template")) {
      if (auto source = chat->getAsString()) {
        chatSource = source->str();
      } else if (const json::Array *list = chat->getAsArray()) {
        // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
        for (const json::Value &entry : *list)
          if (const json::Object *item = entry.getAsObject())
            if (item->getString("name") == std::optional<StringRef>("default"))
              if (auto source = item->getString("template"))
                chatSource = source->str();
      }
      chatWhere = configPath.str().str();
    }
  }
  llvm::SmallString<256> jinjaPath(model.path);
  llvm::sys::path::append(jinjaPath, "chat_template.jinja");
  if (llvm::sys::fs::exists(jinjaPath)) {
    Expected<std::string> source = readFile(jinjaPath);
    if (!source)
      return source.takeError();
    chatSource = *source;
    chatWhere = jinjaPath.str().str();
  }
  setChatTemplate(out, chatSource, chatWhere);

  // BOS: tokenizer_config.json says whether one is added; without it the
  // post-processor template does.
  if (addBos.value_or(false)) {
    std::optional<int64_t> id;
    if (bosToken)
      id = tokenId(*tokenizer, *bosToken);
    if (!id)
      id = model.config.bosTokenId;
    if (!id)
      return inputError(configPath + ": add_bos_token is true, but no BOS "
                                     "token is named");
    out.bosId = id;
  } else if (!addBos) {
    out.bosId = templateBos(*tokenizer);
  }

  out.eosIds = model.config.eosTokenIds;
  if (eosToken)
    if (std::optional<int64_t> id = tokenId(*tokenizer, *eosToken))
      if (llvm::find(out.eosIds, *id) == out.eosIds.end())
        out.eosIds.push_back(*id);
  return out;
}

/// Pre-tokenizer of a byte-level GGUF tokenizer by tokenizer.ggml.pre, as
/// the tokenizers library spells what llama.cpp does for it.
std::optional<json::Value> preTokenizerFor(StringRef pre, bool &ignoreMerges) {
  json::Object byteLevelNoRegex{{"type", "ByteLevel"},
                                {"add_prefix_space", false},
                                {"trim_offsets", true},
                                {"use_regex", false}};
  json::Object byteLevel{{"type", "ByteLevel"},
                         {"add_prefix_space", false},
                         {"trim_offsets", true},
                         {"use_regex", true}};
  auto split = [](StringRef regex) {
    return json::Object{{"type", "Split"},
                        {"pattern", json::Object{{"Regex", regex.str()}}},
                        {"behavior", "Isolated"},
                        {"invert", false}};
  };
  ignoreMerges = false;
  if (pre == "gpt-2" || pre == "gpt2")
    return json::Value(std::move(byteLevel));
  if (pre == "smollm" || pre == "starcoder" || pre == "refact")
    // Every digit its own piece, then GPT-2's regex.
    return json::Value(json::Object{
        {"type", "Sequence"},
        {"pretokenizers", json::Array{json::Object{{"type", "Digits"},
                                                   {"individual_digits", true}},
                                      std::move(byteLevel)}}});
  if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" ||
      pre == "falcon3") {
    ignoreMerges = true;
    return json::Value(json::Object{
        {"type", "Sequence"},
        {"pretokenizers",
         json::Array{split("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?"
                           "\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
                           "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                     std::move(byteLevelNoRegex)}}});
  }
  if (pre == "qwen2" || pre == "deepseek-r1-qwen")
    return json::Value(json::Object{
        {"type", "Sequence"},
        {"pretokenizers",
         json::Array{split("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?"
                           "\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
                           "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
                     std::move(byteLevelNoRegex)}}});
  return std::nullopt;
}

} // namespace

Expected<TokenizerExport>
mlir::sparsec::exportGGUFTokenizer(const ::sparsec::GgufFile &file,
                                   const ModelConfig &config) {
  TokenizerExport out;
  auto fail = [&](const llvm::Twine &message) {
    return inputError(file.path() + ": " + message);
  };
  auto status = [](const ::sparsec::Status &s) {
    return inputError(s.message());
  };
  auto kind = file.getString("tokenizer.ggml.model");
  if (!kind.isOk())
    return status(kind.status());
  if (!*kind || **kind == "none")
    return out; // no tokenizer: bytes
  auto tokensOr = file.getStringArray("tokenizer.ggml.tokens");
  if (!tokensOr.isOk())
    return status(tokensOr.status());
  if (!*tokensOr || (*tokensOr)->empty())
    return fail("key 'tokenizer.ggml.tokens': missing or empty");
  const std::vector<std::string> &tokens = **tokensOr;
  if (static_cast<int64_t>(tokens.size()) > config.vocabSize)
    return fail("key 'tokenizer.ggml.tokens': " + llvm::Twine(tokens.size()) +
                " tokens, more than the model's vocabulary of " +
                llvm::Twine(config.vocabSize));
  auto typesOr = file.getIntArray("tokenizer.ggml.token_type");
  if (!typesOr.isOk())
    return status(typesOr.status());
  std::vector<int64_t> types = typesOr->value_or(std::vector<int64_t>());
  if (!types.empty() && types.size() != tokens.size())
    return fail(
        "key 'tokenizer.ggml.token_type': " + llvm::Twine(types.size()) +
        " entries for " + llvm::Twine(tokens.size()) + " tokens");
  auto typeOf = [&](size_t id) { return types.empty() ? 1 : types[id]; };
  auto idKey = [&](const char *key) -> Expected<std::optional<int64_t>> {
    auto id = file.getInt(key);
    if (!id.isOk())
      return status(id.status());
    if (*id && (**id < 0 || **id >= static_cast<int64_t>(tokens.size())))
      return fail("key '" + llvm::Twine(key) + "': token id " +
                  llvm::Twine(**id) + " is not in the vocabulary of " +
                  llvm::Twine(tokens.size()));
    return *id;
  };
  Expected<std::optional<int64_t>> bos = idKey("tokenizer.ggml.bos_token_id");
  Expected<std::optional<int64_t>> unk =
      idKey("tokenizer.ggml.unknown_token_id");
  if (!bos)
    return bos.takeError();
  if (!unk)
    return unk.takeError();
  for (const char *key :
       {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
        "tokenizer.ggml.eom_token_id"}) {
    Expected<std::optional<int64_t>> id = idKey(key);
    if (!id)
      return id.takeError();
    if (*id && llvm::find(out.eosIds, **id) == out.eosIds.end())
      out.eosIds.push_back(**id);
  }
  auto addBosKey = file.getBool("tokenizer.ggml.add_bos_token");
  if (!addBosKey.isOk())
    return status(addBosKey.status());
  auto prefixKey = file.getBool("tokenizer.ggml.add_space_prefix");
  if (!prefixKey.isOk())
    return status(prefixKey.status());

  // Special tokens: control (3), user-defined (4) and unknown (2) tokens
  // are matched in the text before the model runs, as llama.cpp does.
  json::Array added;
  for (size_t id = 0; id < tokens.size(); ++id) {
    int64_t type = typeOf(id);
    if (type != 2 && type != 3 && type != 4)
      continue;
    added.push_back(json::Object{{"id", static_cast<int64_t>(id)},
                                 {"content", tokens[id]},
                                 {"single_word", false},
                                 {"lstrip", false},
                                 {"rstrip", false},
                                 {"normalized", false},
                                 {"special", type != 4}});
  }
  json::Object vocab;
  for (size_t id = 0; id < tokens.size(); ++id)
    if (!vocab.get(tokens[id]))
      vocab[tokens[id]] = static_cast<int64_t>(id);

  json::Object root{{"version", "1.0"},
                    {"truncation", nullptr},
                    {"padding", nullptr},
                    {"added_tokens", std::move(added)},
                    {"post_processor", nullptr}};
  bool addBos = false;
  if (**kind == "gpt2") {
    auto preOr = file.getString("tokenizer.ggml.pre");
    if (!preOr.isOk())
      return status(preOr.status());
    std::string pre = preOr->value_or("default");
    bool ignoreMerges = false;
    std::optional<json::Value> preTokenizer =
        preTokenizerFor(pre, ignoreMerges);
    if (!preTokenizer)
      return fail("key 'tokenizer.ggml.pre': pre-tokenizer '" + pre +
                  "' is not supported (expected gpt-2, smollm, starcoder, "
                  "refact, llama3/llama-bpe or qwen2)");
    auto mergesOr = file.getStringArray("tokenizer.ggml.merges");
    if (!mergesOr.isOk())
      return status(mergesOr.status());
    if (!*mergesOr)
      return fail("key 'tokenizer.ggml.merges': missing (a gpt2 tokenizer "
                  "needs its merges)");
    json::Array merges;
    for (const std::string &merge : **mergesOr) {
      if (merge.find(' ', 1) == std::string::npos)
        return fail("key 'tokenizer.ggml.merges': entry '" + merge +
                    "' is not two tokens separated by a space");
      merges.push_back(merge);
    }
    root["normalizer"] = nullptr;
    root["pre_tokenizer"] = std::move(*preTokenizer);
    root["decoder"] = json::Object{{"type", "ByteLevel"},
                                   {"add_prefix_space", true},
                                   {"trim_offsets", true},
                                   {"use_regex", true}};
    root["model"] = json::Object{{"type", "BPE"},
                                 {"dropout", nullptr},
                                 {"unk_token", nullptr},
                                 {"continuing_subword_prefix", nullptr},
                                 {"end_of_word_suffix", nullptr},
                                 {"fuse_unk", false},
                                 {"byte_fallback", false},
                                 {"ignore_merges", ignoreMerges},
                                 {"vocab", std::move(vocab)},
                                 {"merges", std::move(merges)}};
    // llama.cpp adds BOS for Llama 3 style tokenizers unless told.
    addBos = addBosKey->value_or(ignoreMerges);
    out.description = "the GGUF's gpt2 tokenizer (pre-tokenizer " + pre + ")";
  } else if (**kind == "llama") {
    auto scoresOr = file.getFloatArray("tokenizer.ggml.scores");
    if (!scoresOr.isOk())
      return status(scoresOr.status());
    if (!*scoresOr || (*scoresOr)->size() != tokens.size())
      return fail("key 'tokenizer.ggml.scores': expected one score per "
                  "token (" +
                  llvm::Twine(tokens.size()) + ")");
    const std::vector<float> &scores = **scoresOr;
    // SentencePiece merges the adjacent pair whose result scores highest:
    // as BPE merges, every split of every token into two tokens, ranked by
    // the token's score (ties: by the parts' scores).
    llvm::StringMap<float> scoreOf;
    for (size_t id = 0; id < tokens.size(); ++id)
      scoreOf[tokens[id]] = scores[id];
    struct Merge {
      std::string left, right;
      float score;
      size_t order; ///< generation order: ties keep it (a stable sort)
    };
    std::vector<Merge> merges;
    for (size_t id = 0; id < tokens.size(); ++id) {
      const std::string &token = tokens[id];
      int64_t type = typeOf(id);
      if (type != 1)
        continue; // control, byte and unused tokens are never merged into
      std::vector<Merge> local;
      for (size_t cut = 1; cut < token.size(); ++cut) {
        StringRef left = StringRef(token).take_front(cut);
        StringRef right = StringRef(token).drop_front(cut);
        auto l = scoreOf.find(left), r = scoreOf.find(right);
        if (l != scoreOf.end() && r != scoreOf.end())
          local.push_back({left.str(), right.str(), scores[id], local.size()});
      }
      std::sort(local.begin(), local.end(),
                [&](const Merge &a, const Merge &b) {
                  float al = scoreOf[a.left], bl = scoreOf[b.left];
                  if (al != bl)
                    return al > bl;
                  float ar = scoreOf[a.right], br = scoreOf[b.right];
                  if (ar != br)
                    return ar > br;
                  return a.order < b.order;
                });
      for (Merge &merge : local) {
        merge.order = merges.size();
        merges.push_back(std::move(merge));
      }
    }
    std::sort(merges.begin(), merges.end(), [](const Merge &a, const Merge &b) {
      if (a.score != b.score)
        return a.score > b.score;
      return a.order < b.order;
    });
    json::Array mergeList;
    for (const Merge &merge : merges)
      mergeList.push_back(json::Array{merge.left, merge.right});
    bool prefix = prefixKey->value_or(true);
    json::Array normalizers;
    if (prefix)
      normalizers.push_back(
          json::Object{{"type", "Prepend"}, {"prepend", "\xe2\x96\x81"}});
    normalizers.push_back(
        json::Object{{"type", "Replace"},
                     {"pattern", json::Object{{"String", " "}}},
                     {"content", "\xe2\x96\x81"}});
    json::Array decoders{
        json::Object{{"type", "Replace"},
                     {"pattern", json::Object{{"String", "\xe2\x96\x81"}}},
                     {"content", " "}},
        json::Object{{"type", "ByteFallback"}}, json::Object{{"type", "Fuse"}}};
    if (prefix)
      decoders.push_back(json::Object{
          {"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
    root["normalizer"] = json::Object{{"type", "Sequence"},
                                      {"normalizers", std::move(normalizers)}};
    root["pre_tokenizer"] = nullptr;
    root["decoder"] =
        json::Object{{"type", "Sequence"}, {"decoders", std::move(decoders)}};
    json::Value unkToken = nullptr;
    if (*unk)
      unkToken = tokens[**unk];
    root["model"] = json::Object{{"type", "BPE"},
                                 {"dropout", nullptr},
                                 {"unk_token", std::move(unkToken)},
                                 {"continuing_subword_prefix", nullptr},
                                 {"end_of_word_suffix", nullptr},
                                 {"fuse_unk", true},
                                 {"byte_fallback", true},
                                 {"ignore_merges", false},
                                 {"vocab", std::move(vocab)},
                                 {"merges", std::move(mergeList)}};
    addBos = addBosKey->value_or(true);
    out.description = "the GGUF's llama (SentencePiece) tokenizer";
  } else {
    return fail("key 'tokenizer.ggml.model': tokenizer '" + **kind +
                "' is not supported (expected gpt2 or llama)");
  }
  if (addBos) {
    if (!*bos)
      return fail("the tokenizer adds a BOS token, but "
                  "tokenizer.ggml.bos_token_id is missing");
    out.bosId = **bos;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << json::Value(std::move(root));
  out.tokenizerJson = std::move(text);

  auto chat = file.getString("tokenizer.chat_template");
  if (!chat.isOk())
    return status(chat.status());
  if (*chat)
    setChatTemplate(out, **chat, file.path() + " (tokenizer.chat_template)");
  return out;
}

Expected<TokenizerExport>
mlir::sparsec::exportTokenizer(const OpenedModel &model) {
  if (model.format == ModelFormat::GGUF)
    return exportGGUFTokenizer(*model.gguf, model.config);
  return exportHFTokenizer(model);
}

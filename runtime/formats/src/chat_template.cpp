//===- chat_template.cpp - the chat formats of instruction models -*- C++ -*-=//
//
// Each format is a transcription of its model's Jinja template (the sources
// are test/python/fixtures/chat_templates/*.jinja; test_chat_templates.py
// renders them with jinja2 and compares). Python's str.strip(), which the
// templates call as content.strip() and "| trim", is reproduced by
// pythonStrip.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/chat_template.h"

#include <algorithm>
#include <cstdint>

namespace sparsec {

namespace {

constexpr const char *kEos = "</s>";

/// True for the code points Python's str.isspace() accepts.
bool isPythonSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 ||
         c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
         c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

/// Decodes the well-formed UTF-8 character at `s[i]` into `c`, returning
/// its length, or 0 when the bytes there are not one.
size_t decodeUtf8(const std::string &s, size_t i, uint32_t &c) {
  unsigned char b = static_cast<unsigned char>(s[i]);
  size_t length = b < 0x80           ? 1
                  : (b >> 5) == 0x6  ? 2
                  : (b >> 4) == 0xE  ? 3
                  : (b >> 3) == 0x1E ? 4
                                     : 0;
  if (length == 0 || i + length > s.size())
    return 0;
  c = length == 1   ? b
      : length == 2 ? (b & 0x1F)
      : length == 3 ? (b & 0x0F)
                    : (b & 0x07);
  for (size_t k = 1; k < length; ++k) {
    unsigned char next = static_cast<unsigned char>(s[i + k]);
    if ((next >> 6) != 0x2)
      return 0;
    c = (c << 6) | (next & 0x3F);
  }
  return length;
}

/// Python's str.strip() with no argument, on UTF-8 text.
std::string pythonStrip(const std::string &s) {
  size_t begin = 0;
  while (begin < s.size()) {
    uint32_t c = 0;
    size_t length = decodeUtf8(s, begin, c);
    if (length == 0 || !isPythonSpace(c))
      break;
    begin += length;
  }
  size_t end = s.size();
  while (end > begin) {
    // Step back to the start of the last character.
    size_t start = end - 1;
    while (start > begin &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4)
      --start;
    uint32_t c = 0;
    size_t length = decodeUtf8(s, start, c);
    if (length != end - start || !isPythonSpace(c))
      break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

Status badConversation(const std::string &format, const std::string &what) {
  return Status(StatusCode::kInvalidArgument,
                "chat format '" + format + "': " + what);
}

Status unknownFormat(const std::string &format) {
  return Status(StatusCode::kInvalidArgument,
                "unknown chat template '" + format +
                    "' (known: " + chatFormatList() + ")");
}

/// llama2 and mistral: an optional leading system message, then user and
/// assistant alternating, starting with user (their templates raise
/// otherwise).
Status checkAlternation(const std::string &format,
                        const std::vector<ChatMessage> &messages) {
  size_t first = !messages.empty() && messages[0].role == "system" ? 1 : 0;
  for (size_t i = first; i < messages.size(); ++i) {
    const char *expected = (i - first) % 2 == 0 ? "user" : "assistant";
    if (messages[i].role != expected)
      return badConversation(
          format, "message " + std::to_string(i) + " has role '" +
                      messages[i].role + "', expected '" + expected +
                      "' (after an optional first system message, roles "
                      "must alternate user/assistant/user/...)");
  }
  return Status::ok();
}

std::string renderChatml(const std::vector<ChatMessage> &messages,
                         bool addGenerationPrompt) {
  std::string text;
  for (const ChatMessage &m : messages)
    text += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (addGenerationPrompt)
    text += "<|im_start|>assistant\n";
  return text;
}

std::string llama3Header(const std::string &role) {
  return "<|start_header_id|>" + role + "<|end_header_id|>\n\n";
}

std::string renderLlama3(const std::vector<ChatMessage> &messages,
                         bool addGenerationPrompt) {
  // The template writes bos_token before the first message only.
  std::string text;
  for (const ChatMessage &m : messages)
    text += llama3Header(m.role) + pythonStrip(m.content) + "<|eot_id|>";
  if (addGenerationPrompt)
    text += llama3Header("assistant");
  return text;
}

std::string renderLlama2(const std::vector<ChatMessage> &messages) {
  // bos_token + "[INST] " before every user turn; the first one's BOS is
  // the runtime's.
  bool hasSystem = !messages.empty() && messages[0].role == "system";
  std::string text;
  for (size_t i = hasSystem ? 1 : 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    std::string content = m.content;
    if (hasSystem && i == 1)
      content = "<<SYS>>\n" + messages[0].content + "\n<</SYS>>\n\n" + content;
    if (m.role == "user")
      text += std::string(text.empty() ? "" : "<s>") + "[INST] " +
              pythonStrip(content) + " [/INST]";
    else
      text += " " + pythonStrip(content) + " " + kEos;
  }
  return text;
}

std::string renderMistral(const std::vector<ChatMessage> &messages) {
  bool hasSystem = !messages.empty() && messages[0].role == "system";
  std::string text;
  for (size_t i = hasSystem ? 1 : 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    if (m.role == "user")
      text += " [INST] " +
              (hasSystem && i == 1 ? messages[0].content + "\n\n" : "") +
              m.content + " [/INST]";
    else
      text += " " + m.content + kEos;
  }
  return text;
}

std::string renderZephyr(const std::vector<ChatMessage> &messages,
                         bool addGenerationPrompt) {
  std::string text;
  for (const ChatMessage &m : messages)
    if (m.role == "user" || m.role == "system" || m.role == "assistant")
      text += "<|" + m.role + "|>\n" + m.content + kEos + "\n";
  // Inside the template's loop: no messages, no generation prompt.
  if (addGenerationPrompt && !messages.empty())
    text += "<|assistant|>\n";
  return text;
}

bool contains(const std::string &text, const char *marker) {
  return text.find(marker) != std::string::npos;
}

} // namespace

const std::vector<std::string> &chatFormatNames() {
  static const std::vector<std::string> names = {"chatml", "llama2", "llama3",
                                                 "mistral", "zephyr"};
  return names;
}

std::string chatFormatList() {
  std::string list;
  for (const std::string &name : chatFormatNames())
    list += (list.empty() ? "" : ", ") + name;
  return list;
}

bool isChatFormat(const std::string &format) {
  const std::vector<std::string> &names = chatFormatNames();
  return std::find(names.begin(), names.end(), format) != names.end();
}

StatusOr<std::string> renderChat(const std::string &format,
                                 const std::vector<ChatMessage> &messages,
                                 bool addGenerationPrompt) {
  if (format == "chatml")
    return renderChatml(messages, addGenerationPrompt);
  if (format == "llama3")
    return renderLlama3(messages, addGenerationPrompt);
  if (format == "zephyr")
    return renderZephyr(messages, addGenerationPrompt);
  if (format == "llama2" || format == "mistral") {
    if (Status status = checkAlternation(format, messages); !status.isOk())
      return status;
    return format == "llama2" ? renderLlama2(messages)
                              : renderMistral(messages);
  }
  return unknownFormat(format);
}

StatusOr<std::string> renderChatReply(const std::string &format,
                                      const std::string &content) {
  if (format == "chatml" || format == "zephyr")
    return content;
  if (format == "llama3")
    return pythonStrip(content);
  if (format == "llama2")
    return " " + pythonStrip(content);
  if (format == "mistral")
    return " " + content;
  return unknownFormat(format);
}

StatusOr<std::string> renderChatContinuation(const std::string &format,
                                             const std::string &userContent,
                                             bool addGenerationPrompt) {
  if (format == "chatml")
    return "<|im_end|>\n" +
           renderChatml({{"user", userContent}}, addGenerationPrompt);
  if (format == "llama3")
    return "<|eot_id|>" +
           renderLlama3({{"user", userContent}}, addGenerationPrompt);
  if (format == "zephyr")
    return std::string(kEos) + "\n" +
           renderZephyr({{"user", userContent}}, addGenerationPrompt);
  if (format == "llama2")
    return std::string(" ") + kEos + "<s>[INST] " + pythonStrip(userContent) +
           " [/INST]";
  if (format == "mistral")
    return std::string(kEos) + " [INST] " + userContent + " [/INST]";
  return unknownFormat(format);
}

std::optional<std::string> detectChatTemplate(const std::string &source) {
  if (contains(source, "<|start_header_id|>"))
    return std::string("llama3");
  if (contains(source, "<|im_start|>"))
    return std::string("chatml");
  if (contains(source, "[INST]"))
    return std::string(contains(source, "<<SYS>>") ? "llama2" : "mistral");
  if (contains(source, "<|user|>") && contains(source, "<|assistant|>") &&
      (contains(source, "eos_token") || contains(source, kEos)) &&
      !contains(source, "<|end|>"))
    return std::string("zephyr");
  return std::nullopt;
}

} // namespace sparsec

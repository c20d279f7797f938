//===- chat_render_tool.cpp - sparsec-chat-render ---------------*- C++ -*-===//
//
// A test tool: test/python/test_chat_templates.py compares what it prints
// with the real Jinja chat templates rendered by jinja2. Reads one JSON
// request from stdin and writes the text, byte for byte, to stdout:
//
//   {"format": "llama2", "messages": [{"role": "user", "content": "hi"}],
//    "add_generation_prompt": true}            -> sparsec_chat_render
//   {"format": "chatml", "continuation": "next",
//    "add_generation_prompt": true}            -> ..._render_continuation
//   {"reply_format": "llama3", "reply": " text "}   -> renderChatReply
//   {"detect": "<jinja source>"}               -> the format name, or ""
//
// Errors: the message on stderr, exit status 1.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/chat_template.h"
#include "sparsec/runtime.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "sparsec-chat-render: %s\n", message.c_str());
  return 1;
}

int emit(const std::string &text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

/// Runs a render call under the size-query convention.
template <typename Call> int renderWith(Call call) {
  size_t length = 0;
  sparsec_status_t status = call(nullptr, 0, &length);
  if (!sparsec_status_is_ok(status)) {
    int code = fail(sparsec_status_message(status));
    sparsec_status_free(status);
    return code;
  }
  std::string text(length + 1, '\0');
  status = call(text.data(), text.size(), &length);
  if (!sparsec_status_is_ok(status)) {
    int code = fail(sparsec_status_message(status));
    sparsec_status_free(status);
    return code;
  }
  text.resize(length);
  return emit(text);
}

int run() {
  std::string input((std::istreambuf_iterator<char>(std::cin)),
                    std::istreambuf_iterator<char>());
  nlohmann::json request = nlohmann::json::parse(input);
  if (request.contains("detect"))
    return emit(
        sparsec::detectChatTemplate(request["detect"].get<std::string>())
            .value_or(""));
  if (request.contains("reply_format")) {
    sparsec::StatusOr<std::string> text =
        sparsec::renderChatReply(request["reply_format"].get<std::string>(),
                                 request["reply"].get<std::string>());
    return text.isOk() ? emit(*text) : fail(text.status().message());
  }
  std::string format = request.at("format").get<std::string>();
  int generationPrompt = request.value("add_generation_prompt", false) ? 1 : 0;
  if (request.contains("continuation")) {
    std::string user = request["continuation"].get<std::string>();
    return renderWith([&](char *out, size_t capacity, size_t *length) {
      return sparsec_chat_render_continuation(format.c_str(), user.c_str(),
                                              generationPrompt, out, capacity,
                                              length);
    });
  }
  std::vector<std::string> strings;
  for (const nlohmann::json &m : request.at("messages")) {
    strings.push_back(m.at("role").get<std::string>());
    strings.push_back(m.at("content").get<std::string>());
  }
  std::vector<sparsec_chat_message_t> messages;
  for (size_t i = 0; i < strings.size(); i += 2)
    messages.push_back({strings[i].c_str(), strings[i + 1].c_str()});
  return renderWith([&](char *out, size_t capacity, size_t *length) {
    return sparsec_chat_render(format.c_str(), messages.data(), messages.size(),
                               generationPrompt, out, capacity, length);
  });
}

} // namespace

int main() {
  try {
    return run();
  } catch (const std::exception &e) {
    return fail(std::string("bad request: ") + e.what());
  }
}

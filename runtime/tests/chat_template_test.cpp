//===- chat_template_test.cpp - chat formats --------------------*- C++ -*-===//
//
// Expected texts are what the real Jinja templates (the fixtures in
// test/python/fixtures/chat_templates/) render, minus the leading BOS;
// test_chat_templates.py checks the same against jinja2 itself.
//
//===----------------------------------------------------------------------===//

#include "sparsec/formats/chat_template.h"
#include "sparsec/runtime.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace sparsec {
namespace {

using Messages = std::vector<ChatMessage>;

std::string render(const std::string &format, const Messages &messages,
                   bool generationPrompt = true) {
  StatusOr<std::string> text = renderChat(format, messages, generationPrompt);
  EXPECT_TRUE(text.isOk()) << text.status().message();
  return text.isOk() ? *text : "<error>";
}

const Messages kOneTurn = {{"user", "Hi there"}};
const Messages kSystemOneTurn = {{"system", "Be brief."}, {"user", "Hi there"}};
const Messages kMultiTurn = {{"system", "Be brief."},
                             {"user", "Hi"},
                             {"assistant", "Hello! How can I help?"},
                             {"user", "Tell me a joke."}};

TEST(ChatTemplateTest, Names) {
  EXPECT_EQ(chatFormatList(), "chatml, llama2, llama3, mistral, zephyr");
  EXPECT_EQ(std::string(sparsec_chat_format_names()), chatFormatList());
  for (const std::string &name : chatFormatNames())
    EXPECT_TRUE(isChatFormat(name));
  EXPECT_FALSE(isChatFormat("vicuna"));
}

TEST(ChatTemplateTest, Chatml) {
  EXPECT_EQ(render("chatml", kOneTurn),
            "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render("chatml", kOneTurn, false),
            "<|im_start|>user\nHi there<|im_end|>\n");
  EXPECT_EQ(render("chatml", kMultiTurn),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n"
            "<|im_start|>user\nTell me a joke.<|im_end|>\n"
            "<|im_start|>assistant\n");
  // Content is written verbatim (no strip).
  EXPECT_EQ(render("chatml", {{"user", " x \n"}}, false),
            "<|im_start|>user\n x \n<|im_end|>\n");
}

TEST(ChatTemplateTest, Llama2) {
  // The template's first "<s>" is the runtime's BOS; later ones are text.
  EXPECT_EQ(render("llama2", kOneTurn), "[INST] Hi there [/INST]");
  EXPECT_EQ(render("llama2", kSystemOneTurn),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi there [/INST]");
  EXPECT_EQ(render("llama2", kMultiTurn),
            "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! How can "
            "I help? </s><s>[INST] Tell me a joke. [/INST]");
  // content.strip(), with Python's notion of whitespace (U+00A0, U+3000).
  EXPECT_EQ(render("llama2", {{"user", "\xC2\xA0 \t hi\n\xE3\x80\x80"}}),
            "[INST] hi [/INST]");
  // A system message's own whitespace at the front is stripped with the
  // content it is folded into; the generation prompt changes nothing.
  EXPECT_EQ(render("llama2", kOneTurn, false), render("llama2", kOneTurn));
}

TEST(ChatTemplateTest, Llama3) {
  EXPECT_EQ(render("llama3", kOneTurn),
            "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(render("llama3", kSystemOneTurn, false),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>");
  EXPECT_EQ(render("llama3", {{"user", "  padded\n\n"}}, false),
            "<|start_header_id|>user<|end_header_id|>\n\npadded<|eot_id|>");
}

TEST(ChatTemplateTest, Mistral) {
  EXPECT_EQ(render("mistral", kOneTurn), " [INST] Hi there [/INST]");
  EXPECT_EQ(render("mistral", kSystemOneTurn),
            " [INST] Be brief.\n\nHi there [/INST]");
  EXPECT_EQ(render("mistral", kMultiTurn),
            " [INST] Be brief.\n\nHi [/INST] Hello! How can I help?</s> "
            "[INST] Tell me a joke. [/INST]");
}

TEST(ChatTemplateTest, Zephyr) {
  EXPECT_EQ(render("zephyr", kOneTurn),
            "<|user|>\nHi there</s>\n<|assistant|>\n");
  EXPECT_EQ(render("zephyr", kSystemOneTurn, false),
            "<|system|>\nBe brief.</s>\n<|user|>\nHi there</s>\n");
  EXPECT_EQ(render("zephyr", kMultiTurn),
            "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n"
            "<|assistant|>\nHello! How can I help?</s>\n"
            "<|user|>\nTell me a joke.</s>\n<|assistant|>\n");
  // The generation prompt sits inside the template's loop.
  EXPECT_EQ(render("zephyr", {}), "");
}

TEST(ChatTemplateTest, RejectsWhatTheTemplatesReject) {
  for (const char *format : {"llama2", "mistral"}) {
    StatusOr<std::string> text =
        renderChat(format, {{"user", "a"}, {"user", "b"}}, true);
    ASSERT_FALSE(text.isOk()) << format;
    EXPECT_EQ(text.status().message(),
              std::string("chat format '") + format +
                  "': message 1 has role 'user', expected 'assistant' "
                  "(after an optional first system message, roles must "
                  "alternate user/assistant/user/...)");
    EXPECT_FALSE(renderChat(format, {{"assistant", "a"}}, true).isOk());
    EXPECT_FALSE(
        renderChat(format, {{"user", "a"}, {"system", "b"}}, true).isOk());
  }
  StatusOr<std::string> text = renderChat("vicuna", kOneTurn, true);
  ASSERT_FALSE(text.isOk());
  EXPECT_EQ(text.status().message(),
            "unknown chat template 'vicuna' (known: chatml, llama2, llama3, "
            "mistral, zephyr)");
  EXPECT_FALSE(renderChatContinuation("vicuna", "x", true).isOk());
  EXPECT_FALSE(renderChatReply("vicuna", "x").isOk());
}

// What an --interactive chat feeds after each reply equals what rendering
// the whole conversation again adds.
TEST(ChatTemplateTest, ContinuationIsTheDifferenceOfFullRenders) {
  const std::vector<Messages> starts = {
      kOneTurn,
      kSystemOneTurn,
      {{"system", "S"}, {"user", "u1"}, {"assistant", "a1"}, {"user", "u2"}}};
  const std::vector<std::string> replies = {"Sure.", "  spaced reply \n", ""};
  for (const std::string &format : chatFormatNames())
    for (const Messages &start : starts)
      for (const std::string &reply : replies)
        for (bool generationPrompt : {true, false}) {
          Messages longer = start;
          longer.push_back({"assistant", reply});
          longer.push_back({"user", " next question "});
          std::string full = render(format, longer, generationPrompt);
          StatusOr<std::string> replyText = renderChatReply(format, reply);
          StatusOr<std::string> continuation = renderChatContinuation(
              format, " next question ", generationPrompt);
          ASSERT_TRUE(replyText.isOk() && continuation.isOk());
          EXPECT_EQ(render(format, start, true) + *replyText + *continuation,
                    full)
              << format << ", reply '" << reply << "', generation prompt "
              << generationPrompt;
        }
}

TEST(ChatTemplateTest, ContinuationTexts) {
  struct Case {
    const char *format;
    const char *continuation;
  };
  for (const Case &c : std::vector<Case>{
           {"chatml", "<|im_end|>\n<|im_start|>user\nq<|im_end|>\n"
                      "<|im_start|>assistant\n"},
           {"llama2", " </s><s>[INST] q [/INST]"},
           {"llama3", "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
                      "q<|eot_id|><|start_header_id|>assistant"
                      "<|end_header_id|>\n\n"},
           {"mistral", "</s> [INST] q [/INST]"},
           {"zephyr", "</s>\n<|user|>\nq</s>\n<|assistant|>\n"}}) {
    StatusOr<std::string> text = renderChatContinuation(c.format, "q", true);
    ASSERT_TRUE(text.isOk());
    EXPECT_EQ(*text, c.continuation) << c.format;
  }
}

std::string readFixture(const std::string &name) {
  std::ifstream in(std::string(SPARSEC_CHAT_TEMPLATE_FIXTURES) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ChatTemplateTest, DetectsTheRealTemplates) {
  EXPECT_EQ(detectChatTemplate(readFixture("smollm2-instruct.jinja")),
            "chatml");
  EXPECT_EQ(detectChatTemplate(readFixture("llama2-chat.jinja")), "llama2");
  EXPECT_EQ(detectChatTemplate(readFixture("llama3-instruct.jinja")), "llama3");
  EXPECT_EQ(detectChatTemplate(readFixture("mistral-instruct.jinja")),
            "mistral");
  EXPECT_EQ(detectChatTemplate(readFixture("zephyr-7b-beta.jinja")), "zephyr");
  EXPECT_EQ(detectChatTemplate(readFixture("gemma-it.jinja")), std::nullopt);
  // The original Mistral v0.1 template (no system message support).
  EXPECT_EQ(detectChatTemplate(
                "{{ bos_token }}{% for message in messages %}{% if "
                "message['role'] == 'user' %}{{ '[INST] ' + message['content'] "
                "+ ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ "
                "message['content'] + eos_token + ' ' }}{% endif %}{% endfor "
                "%}"),
            "mistral");
  // Phi-3 uses <|user|> and <|assistant|> but ends turns with <|end|>.
  EXPECT_EQ(
      detectChatTemplate("{% for message in messages %}{{'<|' + "
                         "message['role'] + '|>\\n' + message['content'] "
                         "+ '<|end|>\\n'}}{% endfor %}<|user|><|assistant|>"),
      std::nullopt);
  EXPECT_EQ(detectChatTemplate(""), std::nullopt);
}

TEST(ChatTemplateTest, CApiRendersWithTheSizeQueryConvention) {
  sparsec_chat_message_t messages[] = {{"system", "S"}, {"user", "U"}};
  size_t length = 0;
  ASSERT_EQ(sparsec_chat_render("llama3", messages, 2, 1, nullptr, 0, &length),
            nullptr);
  std::string expected = render("llama3", {{"system", "S"}, {"user", "U"}});
  EXPECT_EQ(length, expected.size());
  std::string buffer(length + 1, 'x');
  ASSERT_EQ(sparsec_chat_render("llama3", messages, 2, 1, buffer.data(),
                                buffer.size(), &length),
            nullptr);
  EXPECT_EQ(buffer, expected + '\0');

  sparsec_status_t status = sparsec_chat_render("llama3", messages, 2, 1,
                                                buffer.data(), length, &length);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_OUT_OF_RANGE);
  sparsec_status_free(status);

  status = sparsec_chat_render("nope", messages, 2, 1, nullptr, 0, &length);
  EXPECT_EQ(sparsec_status_code(status), SPARSEC_STATUS_INVALID_ARGUMENT);
  EXPECT_STREQ(sparsec_status_message(status),
               "unknown chat template 'nope' (known: chatml, llama2, llama3, "
               "mistral, zephyr)");
  sparsec_status_free(status);

  sparsec_chat_message_t broken[] = {{"user", nullptr}};
  status = sparsec_chat_render("chatml", broken, 1, 1, nullptr, 0, &length);
  EXPECT_STREQ(sparsec_status_message(status),
               "sparsec_chat_render: message 0 has a NULL content");
  sparsec_status_free(status);

  ASSERT_EQ(
      sparsec_chat_render_continuation("zephyr", "q", 1, nullptr, 0, &length),
      nullptr);
  EXPECT_EQ(length,
            std::string("</s>\n<|user|>\nq</s>\n<|assistant|>\n").size());
}

} // namespace
} // namespace sparsec

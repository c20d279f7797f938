//===- chat_template.h - the chat formats of instruction models -*- C++ -*-===//
//
// Renders a conversation into the prompt text an instruction-tuned model was
// trained on, exactly as the model's own Jinja chat template (the
// "chat_template" of its tokenizer_config.json, rendered the way Hugging Face
// transformers' apply_chat_template does) renders it, for five named
// formats, and recognises which of them a Jinja template source is:
//
//   chatml   <|im_start|>role\n...<|im_end|>\n      (SmolLM2, Qwen, Hermes)
//   llama2   <s>[INST] <<SYS>>\n...\n<</SYS>>\n\n... [/INST] ... </s>
//                                                   (Llama-2-chat)
//   llama3   <|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>
//                                                   (Llama-3-Instruct)
//   mistral  <s> [INST] ... [/INST] ...</s>         (Mistral-Instruct)
//   zephyr   <|user|>\n...</s>\n<|assistant|>\n     (Zephyr)
//
// THE LEADING BOS IS NOT PART OF THE RENDERED TEXT. The templates of llama2,
// llama3 and mistral start with their bos_token ("<s>",
// "<|begin_of_text|>"); the runtime prepends the tokenizer's BOS id itself
// (manifest "bos_id"), so render() leaves that leading BOS text out. BOS
// and EOS text *inside* the conversation (llama2's "</s><s>[INST]" between
// turns, zephyr's "</s>" after every message) is rendered literally and
// becomes the special tokens when the text is encoded with parseSpecial.
//
// System messages, as the real templates handle them:
//   chatml, llama3, zephyr: a system turn of its own.
//   llama2: folded into the first [INST] as "<<SYS>>\n...\n<</SYS>>\n\n".
//   mistral: prepended to the first user message, "SYSTEM\n\nUSER". This
//     follows the template Mistral-7B-Instruct-v0.1/v0.2 and
//     Mixtral-8x7B-Instruct-v0.1 ship since mid-2024 (" [INST] " with a
//     leading space, the system message on the first user turn); the
//     original v0.1/v0.2 templates rejected a system message, and v0.3
//     puts it on the last user turn and writes "[INST]"/"[/INST]" without
//     the spaces.
// SmolLM2-Instruct's ChatML template adds a default system turn ("You are a
// helpful AI assistant named SmolLM, trained by Hugging Face") when the
// conversation has none; chatml renders no default system turn (give one
// explicitly to reproduce that model's default).
//
// Plain C++17 in sparsec_runtime: the compiler uses detectChatTemplate on a
// checkpoint's tokenizer_config.json and writes the name into the manifest
// ("tokenizer.chat_template"); the model executable renders with it.
//
//===----------------------------------------------------------------------===//

#ifndef SPARSEC_FORMATS_CHAT_TEMPLATE_H
#define SPARSEC_FORMATS_CHAT_TEMPLATE_H

#include "sparsec/formats/status.h"

#include <optional>
#include <string>
#include <vector>

namespace sparsec {

struct ChatMessage {
  /// "system", "user" or "assistant" (chatml and llama3 write any role
  /// verbatim, as their templates do).
  std::string role;
  std::string content;
};

/// The format names, sorted: chatml, llama2, llama3, mistral, zephyr.
const std::vector<std::string> &chatFormatNames();
/// "chatml, llama2, llama3, mistral, zephyr", for messages.
std::string chatFormatList();
bool isChatFormat(const std::string &format);

/// The prompt text of `messages` in `format`, without the leading BOS text
/// (see above). With `addGenerationPrompt` the text ends with what opens
/// the assistant's reply ("<|im_start|>assistant\n"); llama2 and mistral
/// have no such marker (their text already ends with " [/INST]").
/// Errors (kInvalidArgument, one line): an unknown format; for llama2 and
/// mistral, roles that do not alternate user/assistant after an optional
/// leading system message, as their templates raise.
StatusOr<std::string> renderChat(const std::string &format,
                                 const std::vector<ChatMessage> &messages,
                                 bool addGenerationPrompt);

/// How `format` writes the content of an assistant reply (llama2 and llama3
/// strip surrounding whitespace, llama2 and mistral put a space before it),
/// without the end-of-turn marker that follows it.
StatusOr<std::string> renderChatReply(const std::string &format,
                                      const std::string &content);

/// The text that continues a conversation after an assistant reply's
/// content: the reply's end marker ("<|im_end|>\n", " </s>", ...), a new
/// user turn with `userContent`, and, with `addGenerationPrompt`, the
/// opening of the next reply. For a conversation `m` that ends with a user
/// turn:
///
///   renderChat(f, m + {assistant, r} + {user, u}, g)
///     == renderChat(f, m, true) + renderChatReply(f, r)
///        + renderChatContinuation(f, u, g)
///
/// so a multi-turn chat that keeps its KV cache feeds the prompt once and
/// then only the continuation of each turn (the reply's tokens are already
/// in the cache: the model produced them).
StatusOr<std::string> renderChatContinuation(const std::string &format,
                                             const std::string &userContent,
                                             bool addGenerationPrompt);

/// The format whose markers a Jinja chat template source carries, if any:
/// "<|start_header_id|>" llama3; "<|im_start|>" chatml; "[INST]" with
/// "<<SYS>>" llama2, without it mistral; "<|user|>" with "<|assistant|>"
/// and an EOS written as eos_token or "</s>" (not Phi-3's "<|end|>")
/// zephyr. Anything else (Gemma, Phi-3, a custom template): nullopt.
std::optional<std::string> detectChatTemplate(const std::string &jinjaSource);

} // namespace sparsec

#endif // SPARSEC_FORMATS_CHAT_TEMPLATE_H

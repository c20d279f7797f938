//===- cli_options.cpp - the model executable's flags -----------*- C++ -*-===//

#include "main/cli_options.h"

#include "sparsec/formats/chat_template.h"
#include "sparsec/formats/limits.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace sparsec {

namespace {

Status badFlag(const std::string &message) {
  return Status(StatusCode::kInvalidArgument, message + " (see --help)");
}

/// A whole-string decimal integer in [minValue, maxValue].
Status parseInteger(const std::string &flag, const std::string &text,
                    int64_t minValue, int64_t maxValue, const char *what,
                    int64_t &out) {
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || value < minValue ||
      value > maxValue || std::isspace(static_cast<unsigned char>(text[0])))
    return badFlag(flag + " expects " + what + ", got '" + text + "'");
  out = value;
  return Status::ok();
}

/// A whole-string finite decimal number.
Status parseNumber(const std::string &flag, const std::string &text,
                   const char *what, float &out) {
  errno = 0;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE ||
      !std::isfinite(value) ||
      std::isspace(static_cast<unsigned char>(text[0])))
    return badFlag(flag + " expects " + what + ", got '" + text + "'");
  out = static_cast<float>(value);
  return Status::ok();
}

} // namespace

StatusOr<CliOptions> parseCliOptions(const std::vector<std::string> &args) {
  CliOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool hasInlineValue = false;
    if (flag.rfind("--", 0) == 0) {
      size_t equals = flag.find('=');
      if (equals != std::string::npos) {
        value = flag.substr(equals + 1);
        flag = flag.substr(0, equals);
        hasInlineValue = true;
      }
    }
    auto takeValue = [&]() -> Status {
      if (hasInlineValue)
        return Status::ok();
      if (i + 1 >= args.size())
        return badFlag(flag + " needs a value");
      value = args[++i];
      return Status::ok();
    };
    auto noValue = [&]() -> Status {
      if (hasInlineValue)
        return badFlag(flag + " takes no value, got '" + value + "'");
      return Status::ok();
    };

    Status status;
    if (flag == "--help" || flag == "-h") {
      status = noValue();
      options.help = true;
    } else if (flag == "--bench") {
      status = noValue();
      options.bench = true;
    } else if (flag == "--profile") {
      status = noValue();
      options.profile = true;
    } else if (flag == "--prompt" || flag == "-p") {
      status = takeValue();
      options.prompt = value;
      options.hasPrompt = true;
    } else if (flag == "-n" || flag == "--n-tokens") {
      status = takeValue();
      if (status.isOk())
        status = parseInteger(
            flag, value, 0, std::numeric_limits<int32_t>::max(),
            "a non-negative integer (tokens to generate)", options.numTokens);
    } else if (flag == "--threads" || flag == "-t") {
      status = takeValue();
      if (status.isOk()) {
        int64_t threads = 0;
        static_assert(limits::kMaxThreads == 1024, "the message below");
        status = parseInteger(flag, value, 1, limits::kMaxThreads,
                              "an integer in [1, 1024] (threads)", threads);
        options.threads = static_cast<int32_t>(threads);
      }
    } else if (flag == "--seed") {
      status = takeValue();
      if (status.isOk()) {
        errno = 0;
        char *end = nullptr;
        unsigned long long seed = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || errno == ERANGE ||
            !std::isdigit(static_cast<unsigned char>(value[0])))
          status = badFlag("--seed expects a non-negative integer, got '" +
                           value + "'");
        options.seed = seed;
      }
    } else if (flag == "--temperature") {
      status = takeValue();
      if (status.isOk())
        status = parseNumber(flag, value, "a number >= 0", options.temperature);
      if (status.isOk() && options.temperature < 0.0f)
        status =
            badFlag("--temperature expects a number >= 0, got '" + value + "'");
    } else if (flag == "--top-k") {
      status = takeValue();
      int64_t topK = 0;
      if (status.isOk())
        status =
            parseInteger(flag, value, 0, std::numeric_limits<int32_t>::max(),
                         "a non-negative integer (0 disables it)", topK);
      options.topK = static_cast<int32_t>(topK);
    } else if (flag == "--top-p") {
      status = takeValue();
      if (status.isOk())
        status = parseNumber(flag, value, "a number in (0, 1]", options.topP);
      if (status.isOk() && !(options.topP > 0.0f && options.topP <= 1.0f))
        status =
            badFlag("--top-p expects a number in (0, 1], got '" + value + "'");
    } else if (flag == "--model-dir") {
      status = takeValue();
      options.modelDir = value;
      if (status.isOk() && value.empty())
        status = badFlag("--model-dir expects a folder, got ''");
    } else if (flag == "--dump-logits") {
      status = takeValue();
      options.dumpLogits = value;
      if (status.isOk() && value.empty())
        status = badFlag("--dump-logits expects a file, got ''");
    } else if (flag == "--chat") {
      status = noValue();
      options.chat = true;
    } else if (flag == "--prefill" || flag == "--no-prefill") {
      status = noValue();
      options.prefill = flag == "--prefill";
    } else if (flag == "--ignore-eos") {
      status = noValue();
      options.ignoreEos = true;
    } else if (flag == "--verify-weights") {
      status = noValue();
      options.verifyWeights = true;
    } else if (flag == "--interactive" || flag == "-i") {
      status = noValue();
      options.interactive = true;
    } else if (flag == "--system") {
      status = takeValue();
      options.system = value;
      options.hasSystem = true;
    } else if (flag == "--chat-template") {
      status = takeValue();
      options.chatTemplate = value;
      if (status.isOk() && !isChatFormat(value))
        status = badFlag("--chat-template expects one of " + chatFormatList() +
                         ", got '" + value + "'");
    } else if (flag == "--record") {
      status = takeValue();
      options.recordDir = value;
      if (status.isOk() && value.empty())
        status = badFlag("--record expects a folder, got ''");
    } else if (flag == "--eval" || flag == "--eval-save" ||
               flag == "--eval-baseline" || flag == "--eval-report") {
      status = takeValue();
      if (status.isOk() && value.empty())
        status = badFlag(flag + " expects a file, got ''");
      (flag == "--eval"            ? options.evalFile
       : flag == "--eval-save"     ? options.evalSave
       : flag == "--eval-baseline" ? options.evalBaseline
                                   : options.evalReport) = value;
    } else if (flag == "--eval-tokens" || flag == "--eval-context") {
      status = takeValue();
      if (status.isOk())
        status = parseInteger(flag, value, flag == "--eval-context" ? 2 : 1,
                              std::numeric_limits<int32_t>::max(),
                              flag == "--eval-context"
                                  ? "an integer >= 2 (positions per chunk)"
                                  : "a positive integer (tokens to score)",
                              flag == "--eval-context" ? options.evalContext
                                                       : options.evalTokens);
      if (flag == "--eval-tokens")
        options.hasEvalTokens = true;
    } else if (!flag.empty() && flag[0] == '-') {
      status = badFlag("unknown flag '" + flag + "'");
    } else {
      status = badFlag("unexpected argument '" + flag +
                       "' (the prompt goes after --prompt)");
    }
    if (!status.isOk())
      return status;
  }
  if (options.help)
    return options;
  bool evalFlags = !options.evalSave.empty() || !options.evalBaseline.empty() ||
                   !options.evalReport.empty() || options.evalContext != 0 ||
                   !options.recordDir.empty() || options.hasEvalTokens;
  if (evalFlags && options.evalFile.empty())
    return badFlag("--eval-tokens, --eval-context, --eval-save, "
                   "--eval-baseline, --eval-report and --record need --eval "
                   "FILE");
  if (!options.evalFile.empty()) {
    if (options.hasPrompt || options.interactive || options.chat ||
        options.bench || options.profile || !options.dumpLogits.empty())
      return badFlag("--eval scores a text: it does not take --prompt, "
                     "--interactive, --chat, --bench, --profile or "
                     "--dump-logits");
    return options;
  }
  if (!options.hasPrompt && !options.interactive)
    return badFlag("--prompt TEXT is required (or --interactive, or --eval)");
  bool chat = options.chat || options.interactive;
  if (options.hasSystem && !chat)
    return badFlag("--system needs --chat or --interactive");
  if (!options.chatTemplate.empty() && !chat)
    return badFlag("--chat-template needs --chat or --interactive");
  if (options.interactive && options.bench)
    return badFlag("--bench does not work with --interactive");
  if (options.interactive && options.profile)
    return badFlag("--profile does not work with --interactive");
  return options;
}

std::string cliUsage(const std::string &program) {
  std::string pad(program.size() + 8, ' ');
  return "usage: " + program +
         " --prompt TEXT [-n N] [--threads N] [--seed S]\n" + pad +
         "[--temperature T] [--top-k K] [--top-p P] [--bench]\n" + pad +
         "[--profile] [--model-dir DIR] [--dump-logits FILE]\n" + pad +
         "[--prefill | --no-prefill]\n" + pad +
         "[--chat] [--system TEXT] [--chat-template NAME]\n"
         "       " +
         program +
         " --interactive [--system TEXT] [options]\n"
         "       " +
         program + " --eval FILE.txt [--eval-tokens N] [--eval-context C]\n" +
         pad +
         "[--eval-save FILE] [--eval-baseline FILE] [--eval-report FILE]\n"
         "\n"
         "Runs the compiled model: encodes the prompt, steps it through the\n"
         "decode step, then generates up to N tokens and prints the text as "
         "it\n"
         "comes. Generation stops early at an end-of-sequence token, which is\n"
         "not printed.\n"
         "\n"
         "  --prompt TEXT     the prompt (required without --interactive; "
         "-p);\n"
         "                    echoed before the generated text, except in "
         "chat\n"
         "  -n N              tokens to generate (per reply; default 64)\n"
         "  --chat            wrap the prompt as a user turn of the model's "
         "chat\n"
         "                    format and print the assistant's reply\n"
         "  --system TEXT     the system message of a chat (default: the one\n"
         "                    the model's chat template adds, if any)\n"
         "  --verify-weights  check the weights file's data against the hash\n"
         "                    recorded at compile time before running\n"
         "  --ignore-eos      generate all N tokens, through end-of-sequence\n"
         "                    tokens\n"
         "  --chat-template NAME  the chat format instead of the model's own\n"
         "                    (" +
         chatFormatList() +
         ")\n"
         "  --interactive     a conversation (-i): reads each user turn as a\n"
         "                    line from stdin (prompt \"> \" on stderr when "
         "stdin\n"
         "                    is a terminal; --prompt, if given, is the first\n"
         "                    turn); an empty line or end of input ends it. "
         "The\n"
         "                    KV cache is kept: each turn feeds only its new\n"
         "                    tokens, until the context (max_len) is full\n"
         "  --threads N       threads for the step's parallel loops (default:\n"
         "                    every hardware thread; outputs do not depend on "
         "it)\n"
         "  --seed S          sampler seed (default 0)\n"
         "  --temperature T   0 decodes greedily (default 0)\n"
         "  --top-k K         sample from the K most likely tokens (0: all; "
         "default 0)\n"
         "  --top-p P         nucleus sampling mass in (0, 1] (default 1)\n"
         "  --bench           print timing, realized FFN density and bytes "
         "read per token\n"
         "  --profile         time each kernel of the step (its parallel "
         "loops) and\n"
         "                    print where a step's time goes, by kind and "
         "slowest\n"
         "  --model-dir DIR   folder holding manifest.json and the weights\n"
         "                    (default: the executable's folder)\n"
         "  --dump-logits FILE  write every step's logits (f32, native\n"
         "                    endianness, vocab_size per step, prompt steps\n"
         "                    first) to FILE, for comparisons; the prompt\n"
         "                    then runs token by token unless --prefill\n"
         "                    (one row for the prompt: its last token's)\n"
         "  --prefill         run the prompt through the model's prefill "
         "step,\n"
         "                    blocks of tokens at once (the default when the\n"
         "                    model has one, except with --dump-logits)\n"
         "  --no-prefill      run the prompt token by token through the\n"
         "                    decode step\n"
         "  --eval FILE.txt   score a text instead: its tokens go through the\n"
         "                    model in chunks (teacher forcing) and each\n"
         "                    prediction of the next token is scored:\n"
         "                    perplexity, top-1 accuracy, FFN density\n"
         "  --eval-tokens N   predictions to score (default 1024)\n"
         "  --eval-context C  positions per chunk, each from an empty cache\n"
         "                    (default: the smaller of max_len and 512)\n"
         "  --eval-save FILE  write every scored position's log-probabilities\n"
         "                    (f32, whole vocabulary) for --eval-baseline\n"
         "  --eval-baseline FILE  compare with the model that saved FILE over\n"
         "                    the same text: KL divergence, top-1 agreement\n"
         "  --eval-report FILE  write the scores as JSON\n"
         "  --record DIR      with a model compiled --record-activations:\n"
         "                    write each step's FFN inputs and activations\n"
         "                    (f16) to DIR, for sparsec calibrate\n"
         "  --help            this text\n";
}

} // namespace sparsec

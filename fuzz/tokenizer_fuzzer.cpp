//===- tokenizer_fuzzer.cpp - fuzz tokenizer.json loading and encoding ----===//
//
// Input: a Hugging Face tokenizer.json. On one that loads: a few fixed
// strings (ASCII, specials, digits, invalid UTF-8) and the input's own first
// bytes are encoded with and without special-token parsing; every id must
// be inside the vocabulary, and each decodes.
//
//===----------------------------------------------------------------------===//

#include "fuzz_common.h"

#include "tokenizer/hf_tokenizer.h"

#include <string>

using namespace sparsec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::string path = fuzz::tempFile("tokenizer.json");
  fuzz::writeFile(path, data, size);

  StatusOr<std::unique_ptr<HfTokenizer>> loaded = HfTokenizer::load(path);
  fuzz::checkStatus(loaded.status(), "HfTokenizer::load");
  if (!loaded.isOk())
    return 0;
  const HfTokenizer &tokenizer = **loaded;
  int64_t vocab = tokenizer.vocabSize();
  const std::string texts[] = {
      "Hello, world! It's 2024.",
      " <s>[INST] hi [/INST]</s><|im_start|>user\n\t  x<|im_end|>",
      "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xff\xfe\xc3",
      std::string(reinterpret_cast<const char *>(data), size < 64 ? size : 64),
  };
  for (const std::string &text : texts) {
    for (bool parseSpecial : {false, true}) {
      std::vector<int32_t> ids = tokenizer.encode(text, parseSpecial);
      for (int32_t id : ids) {
        if (id < 0 || id >= vocab)
          __builtin_trap();
        (void)tokenizer.decode(id);
        (void)tokenizer.isSpecial(id);
        (void)tokenizer.tokenText(id);
      }
    }
  }
  for (int32_t id :
       {-1, 0, static_cast<int32_t>(vocab - 1), static_cast<int32_t>(vocab)})
    (void)tokenizer.decode(id);
  return 0;
}

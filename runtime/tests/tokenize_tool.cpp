//===- tokenize_tool.cpp - sparsec-tokenize ----------------------*- C++
//-*-===//
//
//   sparsec-tokenize TOKENIZER_JSON INPUT
//
// INPUT has one string per line: "<parse_special 0|1> <hex bytes>" (the hex
// may be empty). For each line the tool prints
//   <ids separated by spaces>\t<hex of the decoded bytes>
// where the decoded bytes are what a TokenStream shows (special tokens left
// out, SentencePiece's first space dropped, ill-formed UTF-8 as U+FFFD).
// The first line of output is "vocab_size <n> strips_leading_space <0|1>
// load_ms <ms>". Errors: one line on stderr, exit status 1.
//
//===----------------------------------------------------------------------===//

#include "tokenizer/hf_tokenizer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

using namespace sparsec;

namespace {

bool fromHex(const std::string &hex, std::string &out) {
  if (hex.size() % 2)
    return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

std::string toHex(const std::string &bytes) {
  static const char *digits = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sparsec-tokenize TOKENIZER_JSON INPUT\n");
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  StatusOr<std::unique_ptr<HfTokenizer>> loaded = HfTokenizer::load(argv[1]);
  if (!loaded.isOk()) {
    std::fprintf(stderr, "%s\n", loaded.status().message().c_str());
    return 1;
  }
  double ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  const HfTokenizer &tokenizer = **loaded;
  std::ifstream input(argv[2], std::ios::binary);
  if (!input) {
    std::fprintf(stderr, "%s: cannot open\n", argv[2]);
    return 1;
  }
  std::string out = "vocab_size " + std::to_string(tokenizer.vocabSize()) +
                    " strips_leading_space " +
                    (tokenizer.stripsLeadingSpace() ? "1" : "0") + " load_ms " +
                    std::to_string(ms) + "\n";
  std::string line, text;
  size_t lineNo = 0;
  while (std::getline(input, line)) {
    ++lineNo;
    size_t space = line.find(' ');
    if (space != 1 || (line[0] != '0' && line[0] != '1') ||
        !fromHex(line.substr(2), text)) {
      std::fprintf(stderr, "%s:%zu: expected '<0|1> <hex>'\n", argv[2], lineNo);
      return 1;
    }
    std::vector<int32_t> ids = tokenizer.encode(text, line[0] == '1');
    TokenStream stream(tokenizer);
    std::string decoded;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (i)
        out += ' ';
      out += std::to_string(ids[i]);
      decoded += stream.push(ids[i]);
    }
    decoded += stream.flush();
    out += '\t';
    out += toHex(decoded);
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

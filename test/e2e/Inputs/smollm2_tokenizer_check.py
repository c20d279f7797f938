#!/usr/bin/env python3
"""The SmolLM2 tokenizer sparsec derives from the GGUF, against the reference.

    smollm2_tokenizer_check.py MODEL.gguf OUT/tokenizer.json SPARSEC_TOKENIZE

The reference is the PyPI `tokenizers` package, configured as SmolLM2's own
Hugging Face tokenizer.json is (byte-level BPE; pre-tokenizer Digits with
individual digits then ByteLevel without prefix space; control tokens special)
with the vocabulary and merges read from the GGUF by the `gguf` package. The
runtime (sparsec-tokenize on the tokenizer.json `sparsec compile` wrote) must
give identical ids on several thousand generated strings (Unicode, emoji,
whitespace runs, digits, code, invalid UTF-8, special-token strings), parsing
special tokens and not.
"""
import os
import subprocess
import sys
import tempfile

import gguf
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from test_tokenizer_agreement import make_strings  # noqa: E402  (the corpus)


def reference(path):
    r = gguf.GGUFReader(path)
    tokens = r.fields["tokenizer.ggml.tokens"].contents()
    types = r.fields["tokenizer.ggml.token_type"].contents()
    merges = [tuple(m.split(" ", 1)) for m in r.fields["tokenizer.ggml.merges"].contents()]
    vocab = {t: i for i, t in enumerate(tokens)}
    tok = Tokenizer(models.BPE(vocab, merges, fuse_unk=False, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False)
                            for t, ty in zip(tokens, types) if ty == 3])
    return tok, [t for t, ty in zip(tokens, types) if ty == 3]


def main():
    gguf_path, ours, tool = sys.argv[1:4]
    tok, specials = reference(gguf_path)
    strings = make_strings(specials[:8], 20261129)
    texts = [data.decode("utf-8", errors="replace") for _, data in strings]
    lines = [(mode, data) for mode in (1, 0) for _, data in strings]
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, "input.txt")
        with open(inp, "w") as f:
            f.write("".join(f"{mode} {data.hex()}\n" for mode, data in lines))
        r = subprocess.run([tool, ours, inp], capture_output=True, text=True,
                           timeout=600)
    if r.returncode != 0:
        sys.exit(f"sparsec-tokenize failed: {r.stderr}")
    rows = r.stdout.split("\n")[1:1 + len(lines)]
    got = [[int(t) for t in row.split("\t")[0].split()] for row in rows]
    want = []
    for parse_special in (True, False):
        tok.encode_special_tokens = not parse_special
        want += [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    mismatches = [i for i, (a, b) in enumerate(zip(got, want)) if a != b]
    for i in mismatches[:5]:
        print(f"mismatch: {lines[i][1]!r}: sparsec {got[i][:12]} reference {want[i][:12]}")
    prompt = "What is the capital of France?"
    tok.encode_special_tokens = False
    print(f"prompt {prompt!r}: {tok.encode(prompt, add_special_tokens=False).ids}")
    print(f"smollm2 tokenizer: {len(strings)} strings x 2 modes = {len(lines)} "
          f"encodings, {len(mismatches)} mismatches")
    sys.exit(1 if mismatches else 0)


if __name__ == "__main__":
    main()

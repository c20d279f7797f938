#!/usr/bin/env python3
"""Runs a compiled model and compares it with the independent numpy reference.

    check_e2e.py MODEL_DIR|MODEL.gguf EXE [--reference dense|predicted]
                 [--quant q8_0|q4_0|q4_1|q4_k|q6_k [--quant-keep ROLES]]
                 [--prompt TEXT] [-n N] [--tol T] [--runner "qemu-aarch64 -L ..."]
                 [--tokenizer tokenizer.json [--bos ID]] [--kv-dtype f32|f16|bf16]
                 [--logits FILE] [--prefill] [--threads N]

The executable decodes greedily and dumps every step's logits
(--dump-logits); the reference (tools/reference/sparsec_reference.py, written
from the Hugging Face model definitions, sharing no code with sparsec) replays
the same token sequence: the prompt's bytes (byte-level tokenizer) or, with
--tokenizer, the prompt's ids from the `tokenizers` package (after --bos),
then the tokens the executable generated. Every step's logits must agree within
max|a - b| <= tol * max(1, max|b|), and the executable's greedy choice must be
the reference's argmax at every step. With --prefill the executable runs the
prompt through its prefill step (blocks of tokens), so its dump has one row for
the prompt, the last token's: the reference still steps every prompt token and
the rows are compared from the prompt's last position on.

Tolerances: f32 weights and an f32 KV cache leave only summation order
(vectorised dot products vs numpy's) between the two: ~1e-6 relative is
typical, 1e-4 is the bound. f16/bf16 checkpoints are upcast identically by
both, but sparsec keeps the KV cache in the weights' precision (halving its
traffic), so attention reads rounded keys and values: the bound for those is
looser (given by the caller, 2e-2), unless --kv-dtype makes the reference
round its cache the same way.

With --quant the reference uses the weights rounded through the block format
(its own implementation of the rounding rules): the executable reads the same
weight values, so the f32 bounds above still hold. Which way a down projection
was rounded depends on its layer's mode (dense: along its rows), read from the
manifest.json beside EXE. Where the executable's
quantized dot products run on 8-bit integers (x86 with AVX2), their input is
rounded per block of 32 too: --int8-activations makes the reference round it
by the same rule, and the integer sums are exact, so the bound still holds,
except after a rounding tie: an input within 2e-6 of its value of a rounding
boundary (x / d = k + 0.5) may round the other way in the executable, whose
f32 sums differ from the reference's by ulps (--tie-margin: 3e-5 where
q4_0 down rows add on 16-bit integers, x86 with AVX2, whose factors are
rounded to 2^-16 of a block's largest); one level (1/127 of the block's largest
magnitude) moves the logits by up to ~1%, and the KV cache carries it on. From
the step of the first tie on, the bound is --tie-tol (3e-2), two near-equal
top logits may swap there (both sides go on with the executable's token), and
a second line says how many steps that was.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "reference"))
import sparsec_reference  # noqa: E402


def dense_layers(exe):
    """The layers the executable computes in dense mode, from the compile
    manifest beside it: their down projections are stored in their own
    layout, which decides how the reference rounds them (--quant)."""
    path = os.path.join(os.path.dirname(os.path.abspath(exe)), "manifest.json")
    try:
        with open(path) as f:
            ffns = json.load(f)["ffns"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"{path}: cannot read the FFN modes ({e})")
    return {int(f["layer"]) for f in ffns if f["mode"] == "dense"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("exe")
    parser.add_argument("--reference", choices=["dense", "predicted"],
                        default="dense")
    parser.add_argument("--prompt", default="Sparse models decode fast.")
    parser.add_argument("-n", type=int, default=16)
    parser.add_argument("--tol", type=float, default=1e-4)
    parser.add_argument("--runner", default="")
    parser.add_argument("--dump", default=None)
    parser.add_argument("--logits", default=None,
                        help="logits an earlier run of EXE dumped (--dump-logits; "
                             "for instance on a GPU machine): compare those "
                             "instead of running EXE here")
    parser.add_argument("--tokenizer", default=None)
    parser.add_argument("--bos", type=int, default=None)
    parser.add_argument("--kv-dtype", default="f32", choices=["f32", "f16", "bf16"])
    parser.add_argument("--quant", default=None,
                        choices=["q8_0", "q4_0", "q4_1", "q4_k", "q6_k"],
                        help="the reference rounds weights through this block format")
    parser.add_argument("--quant-keep", default="predictor",
                        help="roles left unquantized, as sparsec compile --quant-keep")
    parser.add_argument("--int8-activations", action="store_true",
                        help="the executable's quantized dot products round their "
                             "input to 8-bit blocks (x86 with AVX2): so does the "
                             "reference")
    parser.add_argument("--prefill", action="store_true",
                        help="run the prompt through the executable's prefill "
                             "step (--prefill): its dump has one row for the "
                             "prompt, the last token's; the reference still "
                             "steps every prompt token")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tie-margin", type=float, default=None,
                        help="with --int8-activations, how close (relative) "
                             "to a rounding boundary an input counts as a tie "
                             "(default 2e-6, f32 summation order; 3e-5 where "
                             "q4_0 down rows add on 16-bit integers)")
    parser.add_argument("--tie-tol", type=float, default=3e-2,
                        help="with --int8-activations, the bound from the first "
                             "step whose rounding met a tie on")
    args = parser.parse_args()

    dump = args.logits or args.dump or args.exe + ".logits.bin"
    if not args.logits:
        # --ignore-eos: exactly -n tokens, even past an end-of-sequence token.
        cmd = shlex.split(args.runner) + [args.exe, "--prompt", args.prompt,
                                          "-n", str(args.n), "--ignore-eos",
                                          "--dump-logits", dump]
        if args.prefill:
            cmd.append("--prefill")
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    keep = [r for r in args.quant_keep.split(",") if r and r != "none"]
    ref = sparsec_reference.Reference(args.model_dir, mode=args.reference,
                                      kv_dtype=args.kv_dtype, quant=args.quant,
                                      quant_keep=keep,
                                      int8_activations=args.int8_activations,
                                      dense_down_layers=dense_layers(args.exe),
                                      tie_margin=args.tie_margin)
    logits = np.fromfile(dump, dtype=np.float32).reshape(-1, ref.V)

    if args.tokenizer:
        from tokenizers import Tokenizer
        tok = Tokenizer.from_file(args.tokenizer)
        prompt = tok.encode(args.prompt, add_special_tokens=False).ids
    else:
        prompt = list(args.prompt.encode())
    if args.bos is not None:
        prompt = [args.bos] + prompt
    steps = len(prompt) + args.n - 1
    # With --prefill the prompt's positions before its last have no row.
    skipped = len(prompt) - 1 if args.prefill else 0
    if logits.shape[0] != steps - skipped:
        sys.exit(f"expected {steps - skipped} steps of logits, got "
                 f"{logits.shape[0]}")
    tokens = list(prompt)
    worst = 0.0
    worst_after_tie = 0.0
    first_tie = None
    swapped = 0
    for pos in range(steps):
        if pos >= len(prompt):
            tokens.append(int(np.argmax(logits[pos - 1 - skipped])))
        want = ref.step(tokens[pos], pos)
        if pos < skipped:
            continue
        got = logits[pos - skipped]
        err = float(np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want))))
        if first_tie is None and ref.rounding_ties:
            first_tie = pos
        tol = args.tol if first_tie is None else max(args.tol, args.tie_tol)
        if first_tie is None:
            worst = max(worst, err)
        else:
            worst_after_tie = max(worst_after_tie, err)
        if err > tol:
            sys.exit(f"step {pos}: logits differ by {err:.3g} (relative) > "
                     f"{tol:g}" + ("" if first_tie is None else
                                   f" (after a rounding tie at step {first_tie})"))
        if int(np.argmax(got)) != int(np.argmax(want)):
            if first_tie is None:
                sys.exit(f"step {pos}: greedy token {int(np.argmax(got))} != "
                         f"reference {int(np.argmax(want))}")
            # Within the tie bound two near-equal top logits may swap; both
            # sides go on with the executable's token.
            swapped += 1
    print(f"e2e ok: {steps} steps" + (f" ({len(prompt)}-token prompt "
                                        "prefilled)" if args.prefill else "") +
          f", max relative logit error {worst:.2e}, "
          f"greedy tokens identical" + (" before the first rounding tie"
                                        if swapped else ""))
    if first_tie is not None:
        print(f"  {steps - first_tie} steps from the first int8 rounding tie "
              f"(step {first_tie}) on were held to {max(args.tol, args.tie_tol):g}"
              f" (max {worst_after_tie:.2e}); {swapped} greedy tokens differed "
              "there")


if __name__ == "__main__":
    main()

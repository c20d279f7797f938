#!/usr/bin/env python3
"""sparsec decode benchmark: prints tables, is never run by the test suite.

    build/venv/bin/python benchmarks/decode_bench.py [--quick] [--threads 2]

On one synthetic TurboSparse-Mistral-shaped checkpoint (default: hidden
4096, intermediate 14336, 8 layers, 32/8 heads, vocab 32000, f16, 90% FFN
sparsity, predictor rank 1024) it compiles the dense, exact and predicted
executables and measures, interleaved (A B C A B C ...), the decode time per
token of each, reporting medians. A STREAM-like triad (sparsec-stream) runs
in the same session, so each row also shows its fraction of the roofline:
bytes of weights that must be read per token / time per token / measured
bandwidth (the best triad of the session).

With --prefill 32,128,512 it measures each variant's prompt processing: the
prefill step's tokens/s against the same prompt token by token, and the
time to first token (with --llama-cpp, llama.cpp's batched prompt too).

With --contexts 0,1024,4096 it also measures each variant's decode after a
prompt of that many tokens (bytes of text: the synthetic model's tokenizer
is one token per byte), the KV cache's reads counted in the bytes per token:
how decode holds up as the context grows. The prompt is stepped token by
token, so a 4096-token context takes minutes per variant.

onnxruntime (PyPI) runs the same model's ONNX export when the export fits
in memory; exporting the 8-layer model needs far more than this machine's
24 GiB, so by default the comparison uses a 2-layer model of the same shape,
against sparsec's dense executable of that model, at the same thread count.
Two more rows compile that model from its model.onnx (the ONNX importer;
predictors from the checkpoint): what a user who holds the ONNX file gets.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    # Generated text is arbitrary bytes: decode leniently.
    return subprocess.run(cmd, check=True, text=True, capture_output=True,
                          errors="replace", **kw)


def generate(bin_dir, out, args, layers, onnx, max_seq=256):
    stamp = os.path.join(out, "bench-args.json")
    want = {"hidden": args.hidden, "intermediate": args.intermediate,
            "layers": layers, "heads": args.heads, "kv": args.kv_heads,
            "vocab": args.vocab, "sparsity": args.sparsity,
            "rank": args.predictor_rank, "onnx": onnx, "seed": 0}
    if max_seq != 256:
        want["max_seq"] = max_seq
    if os.path.exists(stamp) and json.load(open(stamp)) == want:
        return
    shutil.rmtree(out, ignore_errors=True)
    print(f"bench: generating {out} ({layers} layers{', +ONNX' if onnx else ''})",
          file=sys.stderr)
    cmd = [os.path.join(bin_dir, "sparsec-synth"), "--arch", "bamboo",
           "--hidden", str(args.hidden), "--intermediate", str(args.intermediate),
           "--layers", str(layers), "--heads", str(args.heads),
           "--kv-heads", str(args.kv_heads), "--vocab", str(args.vocab),
           "--sparsity", str(args.sparsity),
           "--predictor-rank", str(args.predictor_rank), "--dtype", "f16",
           "--seed", "0", "--max-seq-len", str(max_seq), "-q", "-o", out]
    if onnx:
        cmd.append("--onnx")
    run(cmd)
    json.dump(want, open(stamp, "w"))


def parse_variant(text):
    """"predicted:q4_0:none:x86-64-avx2" -> ("predicted", "q4_0", "none",
    "x86-64-avx2"): a sparse mode, optionally a --quant format, its
    --quant-keep list ('/'-separated) and a --target (default: the host)."""
    parts = text.split(":")
    if not 1 <= len(parts) <= 4 or parts[0] not in ("dense", "exact", "predicted"):
        sys.exit(f"bench: bad variant '{text}' (expected MODE[:QUANT[:KEEP[:TARGET]]], "
                 "MODE one of dense, exact, predicted)")
    parts += [""] * (4 - len(parts))
    return parts[0], parts[1], parts[2].replace("/", ","), parts[3]


def model_bytes(model):
    """Bytes of the checkpoint's tensor files (a compiled variant is at most
    about this: its packed weights)."""
    if model.endswith(".gguf"):
        return os.path.getsize(model)
    return sum(os.path.getsize(os.path.join(model, f)) for f in os.listdir(model)
               if f.endswith((".safetensors", ".gguf")))


def check_free_space(folder, needed):
    """Stops with one line when `folder`'s file system has less than `needed`
    bytes free: a full disk fails every later step (and the shell around it)
    in confusing ways. Earlier variants in build/bench can be deleted."""
    free = shutil.disk_usage(folder).free
    if free < needed:
        sys.exit(f"bench: {folder}: {free / 2**30:.1f} GiB free, a compiled "
                 f"variant needs up to {needed / 2**30:.1f} GiB; delete old "
                 f"variants there (or pass --reuse)")


def compile_model(bin_dir, model, out, variant, reuse=False, max_seq=256,
                  extra=()):
    mode, quant, keep, target = parse_variant(variant)
    exe = os.path.join(out, os.path.basename(model))
    sparsec = os.path.join(bin_dir, "sparsec")
    if reuse and os.path.exists(exe) and \
            os.path.getmtime(exe) > os.path.getmtime(sparsec):
        return exe
    # The packed weights replace the old ones only once written: both count.
    check_free_space(os.path.dirname(out) or ".", model_bytes(model) + 2**30)
    cmd = [os.path.join(bin_dir, "sparsec"), "compile", model, "--mode", mode,
           "--max-seq-len", str(max_seq), "--quiet", "-o", out]
    if quant:
        cmd += ["--quant", quant]
    if keep:
        cmd += ["--quant-keep", keep]
    if target:
        cmd += ["--target", target]
    run(cmd + list(extra))
    return os.path.join(out, os.path.basename(model))


def llama_cpp_run(python, gguf_path, threads, tokens):
    """(median ms/token, bytes/token) of llama.cpp (benchmarks/llama_cpp_peer.py
    in its own venv)."""
    out = run([python, os.path.join(ROOT, "benchmarks", "llama_cpp_peer.py"),
               "run", gguf_path, "--threads", str(threads), "--tokens",
               str(tokens)]).stdout
    result = json.loads(out.strip().splitlines()[-1])
    return result["ms_per_token"], float(result["bytes_per_token"])


def context_prompt(length):
    """`length` bytes of plain text (one token each for a byte tokenizer)."""
    words = ("sparse models decode fast because most neurons are zero and the "
             "predictor guesses which rows to read ").split()
    text, i = "", 0
    while len(text) < length:
        text += words[i % len(words)] + " "
        i += 1
    return text[:length] if length else "Hi"


def sparsec_prefill(exe, threads, length, token_by_token=False):
    """(prompt tok/s, time to first token in ms) of a `length`-token prompt
    from the executable's --bench table."""
    out = run([exe, "--prompt", context_prompt(length), "-n", "1", "--threads",
               str(threads), "--bench", "--ignore-eos"]
              + (["--no-prefill"] if token_by_token else [])).stdout
    rate = float(re.search(r"prefill tok/s\s+([0-9.]+)", out).group(1))
    ttft = float(re.search(r"time to first token\s+([0-9.]+)", out).group(1))
    return rate, ttft


def sparsec_run(exe, threads, tokens, prompt="Hi"):
    """(median ms/token, bytes/token) from the executable's --bench table
    (bytes: weights and KV cache read by a generated token's step)."""
    out = run([exe, "--prompt", prompt, "-n", str(tokens), "--threads",
               str(threads), "--bench", "--ignore-eos"]).stdout
    ms = float(re.search(r"ms/token \(median\)\s+([0-9.]+)", out).group(1))
    nbytes = float(re.search(r"bytes/token\s+([0-9]+)", out).group(1))
    return ms, nbytes


class OrtRunner:
    def __init__(self, model_dir, threads):
        import onnxruntime as ort
        cfg = json.load(open(os.path.join(model_dir, "config.json")))
        self.L, self.K = cfg["num_hidden_layers"], cfg["num_key_value_heads"]
        self.D = cfg["hidden_size"] // cfg["num_attention_heads"]
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(os.path.join(model_dir, "model.onnx"),
                                         so, providers=["CPUExecutionProvider"])
        self.names = [o.name for o in self.sess.get_outputs()]

    def run(self, tokens):
        """Median ms per decode step over `tokens` steps (the first skipped)."""
        past = {}
        for n in range(self.L):
            for kind in ("key", "value"):
                past[f"past_key_values.{n}.{kind}"] = np.zeros(
                    (1, self.K, 0, self.D), np.float32)
        times = []
        for pos in range(tokens + 1):
            feeds = {"input_ids": np.array([[72]], np.int64),
                     "position_ids": np.array([[pos]], np.int64), **past}
            start = time.perf_counter()
            res = dict(zip(self.names, self.sess.run(None, feeds)))
            times.append((time.perf_counter() - start) * 1e3)
            for n in range(self.L):
                for kind in ("key", "value"):
                    past[f"past_key_values.{n}.{kind}"] = res[f"present.{n}.{kind}"]
        return statistics.median(times[1:])


def stream(bin_dir, threads):
    return float(run([os.path.join(bin_dir, "sparsec-stream"), "--threads",
                      str(threads)]).stdout)


def table(title, rows, bandwidth, baseline):
    print(f"\n{title}")
    width = max([28] + [len(name) + 2 for name, _, _ in rows])
    print(f"  {'variant':<{width}}{'tok/s':>8}{'ms/token':>10}{'MB/token':>10}"
          f"{'GB/s':>8}{'roofline':>10}{'vs dense':>10}")
    for name, ms, nbytes in rows:
        gbs = nbytes / (ms / 1e3) / 1e9
        print(f"  {name:<{width}}{1e3 / ms:>8.2f}{ms:>10.2f}{nbytes / 1e6:>10.1f}"
              f"{gbs:>8.1f}{100 * gbs / bandwidth:>9.0f}%"
              f"{baseline / ms:>9.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="a small model, for a smoke run")
    parser.add_argument("--no-onnx", action="store_true")
    parser.add_argument("--hidden", type=int, default=4096)
    parser.add_argument("--intermediate", type=int, default=14336)
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--onnx-layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=32)
    parser.add_argument("--kv-heads", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--predictor-rank", type=int, default=1024)
    parser.add_argument("--model", default=None,
                        help="an existing checkpoint to use instead of generating one")
    parser.add_argument("--reuse", action="store_true",
                        help="keep executables compiled by this build's sparsec "
                             "in an earlier run")
    parser.add_argument("--variants", default="dense,exact,predicted",
                        help="comma-separated MODE[:QUANT[:KEEP[:TARGET]]] to "
                             "compile and measure, e.g. dense,predicted,dense:q4_0,"
                             "predicted:q4_0:none,predicted:q4_0:none:x86-64-avx2 "
                             "(KEEP: --quant-keep roles separated by '/', or none; "
                             "TARGET: a --target, default the host)")
    parser.add_argument("--llama-cpp", default=None, metavar="PYTHON",
                        help="python of a venv with llama-cpp-python and gguf "
                             "(benchmarks/llama_cpp_peer.py says how to make it): "
                             "adds llama.cpp dense rows on the same shapes")
    parser.add_argument("--llama-types", default="q4_0",
                        help="GGUF types for the llama.cpp rows (q4_0, q8_0, f16)")
    parser.add_argument("--contexts", default="",
                        help="comma-separated prompt lengths (e.g. 0,1024,4096): "
                             "also measure each sparsec variant's decode after "
                             "that much context")
    parser.add_argument("--prefill", default="",
                        help="comma-separated prompt lengths (e.g. 32,128,512): "
                             "measure each variant's prompt processing, prefill "
                             "step vs token by token, and time to first token")
    parser.add_argument("--baseline-build", default=None,
                        help="another build folder: its sparsec compiles the same "
                             "modes, interleaved with this build's (a codegen change "
                             "must stay within noise)")
    args = parser.parse_args()
    if args.quick:
        args.hidden, args.intermediate, args.layers = 512, 1792, 4
        args.heads, args.kv_heads, args.vocab = 8, 2, 4096
        args.predictor_rank, args.onnx_layers = 128, 4
    bin_dir = os.path.join(args.build, "bin")
    work = os.path.join(args.build, "bench")
    os.makedirs(work, exist_ok=True)
    contexts = [int(c) for c in args.contexts.split(",") if c]
    prefills = [int(c) for c in args.prefill.split(",") if c]
    # Room for the longest prompt and the generated tokens.
    max_seq = max([256] + [c + args.tokens + 8 for c in contexts + prefills])

    if args.model:
        model = os.path.abspath(args.model)
        limit = json.load(open(os.path.join(model, "config.json"))).get(
            "max_position_embeddings", 0)
        if limit < max_seq:
            sys.exit(f"bench: {model}: max_position_embeddings {limit} is less "
                     f"than the {max_seq} positions --contexts needs")
    else:
        model = os.path.join(work, f"bamboo-{args.hidden}-{args.layers}l"
                             + (f"-ctx{max_seq}" if max_seq != 256 else ""))
        generate(bin_dir, model, args, args.layers, onnx=False, max_seq=max_seq)
    exes = {}
    variants = [v for v in args.variants.split(",") if v]
    for v in variants:
        parse_variant(v)
    for mode in variants:
        tag = mode.replace(":", "-").replace("/", "+") + (
            f"-ctx{max_seq}" if max_seq != 256 else "")
        print(f"bench: compiling {mode}", file=sys.stderr)
        exes[mode] = compile_model(
            bin_dir, model, os.path.join(work, f"{os.path.basename(model)}-{tag}"), mode,
            reuse=args.reuse, max_seq=max_seq)
        if args.baseline_build:
            exes[f"{mode} (baseline)"] = compile_model(
                os.path.join(os.path.abspath(args.baseline_build), "bin"), model,
                os.path.join(work, f"{os.path.basename(model)}-{tag}-baseline"), mode)

    runners = {name: (lambda exe: (lambda: sparsec_run(exe, args.threads,
                                                      args.tokens)))(exe)
               for name, exe in exes.items()}
    if args.llama_cpp:
        for t in [t for t in args.llama_types.split(",") if t]:
            gguf_path = os.path.join(work, f"{os.path.basename(model)}-{t}.gguf")
            if not os.path.exists(gguf_path):
                # The k-quants go through an f16 file first.
                check_free_space(work, model_bytes(model) + 2**30)
                print(f"bench: converting to {gguf_path}", file=sys.stderr)
                run([args.llama_cpp, os.path.join(ROOT, "benchmarks",
                                                  "llama_cpp_peer.py"),
                     "convert", model, gguf_path + ".tmp", "--type", t])
                os.replace(gguf_path + ".tmp", gguf_path)
            name = f"llama.cpp dense {t}"
            exes[name] = gguf_path
            runners[name] = (lambda g: (lambda: llama_cpp_run(
                args.llama_cpp, g, args.threads, args.tokens)))(gguf_path)
    bandwidth = []
    samples = {mode: [] for mode in exes}
    nbytes = {}
    # With a baseline, each mode's pair is measured on its own (interleaved
    # within the pair): six models' weights together exceed the page cache
    # of a small machine, and a run must not measure the disk.
    groups = ([[m, f"{m} (baseline)"] for m in variants]
              + [[n for n in exes if n.startswith("llama.cpp")]]
              if args.baseline_build else [list(exes)])
    groups = [g for g in groups if g]
    for group in groups:
        for mode in group:  # warm the page cache
            runners[mode]()
        for rep in range(args.reps):
            if group is groups[0]:
                bandwidth.append(stream(bin_dir, args.threads))
            for mode in group:
                ms, b = runners[mode]()
                samples[mode].append(ms)
                nbytes[mode] = b
                print(f"bench: rep {rep + 1}/{args.reps} {mode}: {ms:.2f} ms/token",
                      file=sys.stderr)
    # The roofline is what the machine can deliver: the best triad of the
    # session (its runs vary by a third on a shared machine; a median would
    # move every row's fraction with them).
    bw = max(bandwidth)
    cfg = json.load(open(os.path.join(model, "config.json")))
    print(f"sparsec decode benchmark: {os.path.basename(model)} (hidden "
          f"{cfg['hidden_size']}, intermediate {cfg['intermediate_size']}, "
          f"{cfg['num_hidden_layers']} layers, vocab {cfg['vocab_size']}), "
          f"{args.threads} threads, {args.tokens} tokens, "
          f"median of {args.reps} interleaved runs"
          + (f", baseline build {args.baseline_build}" if args.baseline_build else ""))
    print(f"  STREAM triad bandwidth: {bw:.1f} GB/s (best of {args.reps}: "
          + ", ".join(f"{b:.1f}" for b in bandwidth) + ")")
    rows = [(mode if mode.startswith("llama.cpp") else f"sparsec {mode}",
             statistics.median(samples[mode]), nbytes[mode]) for mode in exes]
    if args.baseline_build:
        # Same weights, same prompt: the logits must be byte-identical.
        for mode in variants:
            dumps = []
            for variant in (mode, f"{mode} (baseline)"):
                dump = exes[variant] + ".logits.bin"
                run([exes[variant], "--prompt", "Hi", "-n", "4", "--ignore-eos",
                     "--threads", str(args.threads), "--dump-logits", dump])
                dumps.append(open(dump, "rb").read())
            print(f"  logits of {mode} vs its baseline: "
                  + ("byte-identical" if dumps[0] == dumps[1] else "DIFFERENT"))
    table("sparsec variants (bytes = weights that must be read per token)", rows,
          bw, rows[0][1])

    if contexts:
        # One run each: a long prompt is stepped token by token.
        print(f"\ndecode after a context (one run each; bytes include the KV "
              f"cache's reads; vs = tok/s relative to context {contexts[0]})")
        print(f"  {'variant':<28}{'context':>8}{'tok/s':>8}{'MB/token':>10}"
              f"{'GB/s':>8}{'roofline':>10}{'vs':>7}")
        for mode in variants:
            first = None
            for context in contexts:
                print(f"bench: {mode} after {context} tokens", file=sys.stderr)
                ms, b = sparsec_run(exes[mode], args.threads, args.tokens,
                                    context_prompt(context))
                first = first or ms
                gbs = b / ms / 1e6
                print(f"  {'sparsec ' + mode:<28}{context:>8}{1000 / ms:>8.2f}"
                      f"{b / 1e6:>10.1f}{gbs:>8.1f}{100 * gbs / bw:>9.0f}%"
                      f"{first / ms:>6.2f}x")

    if prefills:
        # One run each (a warm-up run first); token by token is the decode
        # step's rate over the same prompt.
        print(f"\nprompt processing (one run each after a warm-up; prefill = "
              f"the prefill step, blocks of tokens; step = token by token; "
              f"TTFT = time to first token)")
        print(f"  {'variant':<28}{'prompt':>8}{'prefill tok/s':>15}"
              f"{'step tok/s':>12}{'speedup':>9}{'TTFT ms':>10}")
        for mode in variants:
            sparsec_prefill(exes[mode], args.threads, prefills[0])
            for length in prefills:
                print(f"bench: {mode} prompt of {length} tokens", file=sys.stderr)
                rate, ttft = sparsec_prefill(exes[mode], args.threads, length)
                step, _ = sparsec_prefill(exes[mode], args.threads, length,
                                          token_by_token=True)
                print(f"  {'sparsec ' + mode:<28}{length:>8}{rate:>15.2f}"
                      f"{step:>12.2f}{rate / step:>8.2f}x{ttft:>10.1f}")
        if args.llama_cpp:
            for name, gguf_path in exes.items():
                if not name.startswith("llama.cpp"):
                    continue
                for length in prefills:
                    out = run([args.llama_cpp,
                               os.path.join(ROOT, "benchmarks",
                                            "llama_cpp_peer.py"),
                               "prefill", gguf_path, "--threads",
                               str(args.threads), "--length", str(length)]).stdout
                    rate = json.loads(out.strip().splitlines()[-1])[
                        "tokens_per_second"]
                    print(f"  {name:<28}{length:>8}{rate:>15.2f}{'':>12}{'':>9}"
                          f"{1000 * length / rate:>10.1f}")

    if args.no_onnx:
        return
    small = os.path.join(work, f"bamboo-{args.hidden}-{args.onnx_layers}l-onnx")
    generate(bin_dir, small, args, args.onnx_layers, onnx=True)
    dense = compile_model(bin_dir, small, small + "-dense", "dense")
    predicted = compile_model(bin_dir, small, small + "-predicted", "predicted")
    # The same model compiled from its ONNX file (the ONNX importer): a
    # folder holding only model.onnx and config.json, the predictors from
    # the checkpoint (--predictor-dir).
    onnx_only = small + "-onnx-only"
    os.makedirs(onnx_only, exist_ok=True)
    for name in os.listdir(small):
        if name.startswith("model.onnx") or name == "config.json":
            link = os.path.join(onnx_only, name)
            if not os.path.lexists(link):
                os.symlink(os.path.join(small, name), link)
    from_onnx = compile_model(bin_dir, onnx_only, onnx_only + "-dense", "dense")
    from_onnx_pred = compile_model(bin_dir, onnx_only, onnx_only + "-predicted",
                                   "predicted",
                                   extra=["--predictor-dir", small])
    ort_runner = OrtRunner(small, args.threads)
    ort_ms, dense_ms, pred_ms, dense_bytes, pred_bytes = [], [], [], 0, 0
    onnx_ms, onnx_pred_ms = [], []
    for rep in range(args.reps):
        ms, dense_bytes = sparsec_run(dense, args.threads, args.tokens)
        dense_ms.append(ms)
        ort_ms.append(ort_runner.run(args.tokens))
        ms, pred_bytes = sparsec_run(predicted, args.threads, args.tokens)
        pred_ms.append(ms)
        onnx_ms.append(sparsec_run(from_onnx, args.threads, args.tokens)[0])
        onnx_pred_ms.append(
            sparsec_run(from_onnx_pred, args.threads, args.tokens)[0])
    rows = [("sparsec dense", statistics.median(dense_ms), dense_bytes),
            ("onnxruntime (dense)", statistics.median(ort_ms), dense_bytes),
            ("sparsec predicted", statistics.median(pred_ms), pred_bytes),
            ("sparsec dense, from model.onnx", statistics.median(onnx_ms),
             dense_bytes),
            ("sparsec predicted, from model.onnx",
             statistics.median(onnx_pred_ms), pred_bytes)]
    table(f"against onnxruntime on the same {args.onnx_layers}-layer model's "
          f"ONNX export (f16 weights, same threads)", rows, bw, rows[0][1])


if __name__ == "__main__":
    main()

"""Command line of sparsec-synth.

    sparsec-synth --arch mistral|bamboo|mixtral --hidden H --intermediate I
                  --layers L --heads A --kv-heads K --vocab V
                  [--experts E --top-k k] [--sparsity S] [--predictor-rank R]
                  [--dtype f32|f16|bf16] [--seed N] [--onnx] [--max-seq-len N]
                  [--max-shard-size SIZE] [--calib-tokens N] [--force] -o DIR

Errors are one line on stderr ("sparsec-synth: error: ..."), exit status 2 for bad
arguments and 1 for failures while generating; the output directory is written under a
temporary name next to DIR and renamed at the end, so no partial output is left.
"""

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time

from . import __version__
from .model import (DEFAULT_ALPHA, NORM_EPS, PMAX, Builder, Spec,
                    default_calib_tokens)

PROG = "sparsec-synth"
TORCH_DTYPE = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):           # one line, no usage dump
        raise UsageError(message)


def parse_size(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*", text.lower())
    if not m:
        raise argparse.ArgumentTypeError(f"invalid size '{text}' (e.g. 2GiB, 500MB, 4096)")
    num, unit = float(m.group(1)), m.group(2)
    mult = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "ki": 1024,
            "m": 10**6, "mb": 10**6, "mib": 2**20, "mi": 2**20,
            "g": 10**9, "gb": 10**9, "gib": 2**30, "gi": 2**30,
            "t": 10**12, "tb": 10**12, "tib": 2**40, "ti": 2**40}.get(unit)
    if mult is None or num * mult < 1:
        raise argparse.ArgumentTypeError(f"invalid size '{text}'")
    return int(num * mult)


def positive_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'")
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'")
    return v


def nonneg_int(text):
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got '{text}'")
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got '{text}'")
    return v


def make_parser():
    p = Parser(prog=PROG, description=(
        "Write a synthetic Hugging Face checkpoint (config.json + safetensors, sharded "
        "when large) of a Mistral-shaped dense SwiGLU model (mistral), a TurboSparse-"
        "Mistral dReLU model (bamboo) or a TurboSparse-Mixtral dReLU MoE model (mixtral), "
        "with planted FFN activation sparsity (power-law hot/cold neurons) and fitted "
        "low-rank activity predictors; optionally an ONNX export of one decode step. "
        "Deterministic from --seed."))
    p.add_argument("--arch", required=True, choices=["mistral", "bamboo", "mixtral"],
                   help="model family")
    p.add_argument("--hidden", required=True, type=positive_int, help="hidden size H")
    p.add_argument("--intermediate", required=True, type=positive_int,
                   help="FFN intermediate size I (per expert for mixtral)")
    p.add_argument("--layers", required=True, type=positive_int, help="number of decoder layers")
    p.add_argument("--heads", required=True, type=positive_int, help="attention heads A (must divide H)")
    p.add_argument("--kv-heads", required=True, type=positive_int, help="key/value heads K (must divide A)")
    p.add_argument("--vocab", required=True, type=positive_int, help="vocabulary size V")
    p.add_argument("--experts", type=positive_int, help="mixtral only: experts per layer (default 8)")
    p.add_argument("--top-k", type=positive_int, help="mixtral only: experts per token (default 2)")
    p.add_argument("--sparsity", type=float,
                   help="bamboo/mixtral: target fraction of exactly-zero dReLU outputs per token "
                        f"(default 0.9; allowed {1 - PMAX:.2f}..0.995)")
    p.add_argument("--predictor-rank", type=positive_int,
                   help="bamboo/mixtral: predictor rank R = rows of fc1 "
                        "(default min(1024, I/8) rounded down to a multiple of 8, at least 8)")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16",
                   help="storage dtype of the weights (default f16)")
    p.add_argument("--seed", type=nonneg_int, default=0, help="random seed (default 0)")
    p.add_argument("--onnx", action="store_true",
                   help="also write model.onnx: one decode step, past/present KV per layer")
    p.add_argument("--no-predictors", action="store_true",
                   help="bamboo/mixtral: leave the predictor tensors out of the checkpoint "
                        "(a model that ships none, for sparsec calibrate --fit-predictors)")
    p.add_argument("--onnx-predictors", action="store_true",
                   help="bamboo: model.onnx also applies each FFN's predictor (neurons whose "
                        "score does not exceed the threshold are zeroed), as predicted mode "
                        "computes; implies --onnx")
    p.add_argument("--max-seq-len", type=positive_int, default=4096,
                   help="max_position_embeddings in config.json (default 4096)")
    p.add_argument("--max-shard-size", type=parse_size, default=parse_size("2GiB"),
                   help="shard safetensors files above this size (default 2GiB; e.g. 500MB, 100KiB)")
    p.add_argument("--rope-theta", type=float, default=None,
                   help="RoPE base (default 10000 for mistral/bamboo, 1e6 for mixtral)")
    p.add_argument("--calib-tokens", type=positive_int, default=None,
                   help="tokens sampled for calibration + held-out statistics (default: by model size)")
    p.add_argument("--power-law-alpha", type=float, default=DEFAULT_ALPHA,
                   help=f"exponent of the neuron firing-frequency power law (default {DEFAULT_ALPHA})")
    p.add_argument("--force", action="store_true", help="replace DIR if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    p.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    return p


def validate(a):
    """Return a Spec or raise UsageError with a one-line message."""
    if a.hidden % a.heads:
        raise UsageError(f"--heads {a.heads} does not divide --hidden {a.hidden}")
    if a.heads % a.kv_heads:
        raise UsageError(f"--kv-heads {a.kv_heads} does not divide --heads {a.heads}")
    head_dim = a.hidden // a.heads
    if head_dim % 2:
        raise UsageError(f"head dim {head_dim} (= hidden/heads) must be even for RoPE")
    if a.arch != "mixtral":
        if a.experts is not None:
            raise UsageError(f"--experts is only valid with --arch mixtral (got --arch {a.arch})")
        if a.top_k is not None:
            raise UsageError(f"--top-k is only valid with --arch mixtral (got --arch {a.arch})")
    experts = a.experts if a.experts is not None else (8 if a.arch == "mixtral" else 0)
    top_k = a.top_k if a.top_k is not None else (min(2, experts) if a.arch == "mixtral" else 0)
    if a.arch == "mixtral" and top_k > experts:
        raise UsageError(f"--top-k {top_k} is larger than --experts {experts}")
    sparse = a.arch in ("bamboo", "mixtral")
    if not sparse:
        if a.sparsity is not None:
            raise UsageError("--sparsity is only valid with --arch bamboo or mixtral (mistral is dense SwiGLU)")
        if a.predictor_rank is not None:
            raise UsageError("--predictor-rank is only valid with --arch bamboo or mixtral")
    sparsity = a.sparsity if a.sparsity is not None else (0.9 if sparse else 0.0)
    lo = round(1.0 - PMAX, 6)
    if sparse and not (lo <= sparsity <= 0.995):
        raise UsageError(f"--sparsity {a.sparsity} out of range [{lo}, 0.995]")
    if a.predictor_rank is not None:
        rank = a.predictor_rank
    else:
        rank = max(8, min(1024, (a.intermediate // 8) // 8 * 8))
    if sparse:
        if a.hidden < 4:
            raise UsageError(f"--hidden {a.hidden} too small for a sparse model (need >= 4)")
        if rank < 3:
            raise UsageError(f"--predictor-rank {rank} too small (need >= 3)")
        if (rank - 1) // 2 > a.hidden - 1:
            raise UsageError(f"--predictor-rank {rank} too large for --hidden {a.hidden} "
                             f"(need (R-1)/2 <= hidden-1, i.e. R <= {2 * a.hidden - 1})")
    if a.no_predictors and a.arch == "mistral":
        raise UsageError("--no-predictors is only valid with --arch bamboo or mixtral")
    if a.no_predictors and a.onnx_predictors:
        raise UsageError("--no-predictors and --onnx-predictors exclude each other")
    if a.onnx_predictors and a.arch != "bamboo":
        raise UsageError(f"--onnx-predictors is only valid with --arch bamboo (got --arch {a.arch})")
    if not (0.1 <= a.power_law_alpha <= 3.0):
        raise UsageError(f"--power-law-alpha {a.power_law_alpha} out of range [0.1, 3]")
    theta = a.rope_theta if a.rope_theta is not None else (1e6 if a.arch == "mixtral" else 10000.0)
    if not theta > 1.0:
        raise UsageError(f"--rope-theta {theta} must be > 1")
    out = os.path.abspath(a.output)
    if os.path.exists(out) and not a.force:
        raise UsageError(f"output directory {a.output} already exists (use --force to replace it)")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"output path {a.output} exists and is not a directory")
    spec = Spec(arch=a.arch, hidden=a.hidden, intermediate=a.intermediate, layers=a.layers,
                heads=a.heads, kv_heads=a.kv_heads, vocab=a.vocab, experts=experts, top_k=top_k,
                sparsity=sparsity, predictor_rank=rank if sparse else 0, dtype=a.dtype,
                seed=a.seed, max_seq_len=a.max_seq_len, rope_theta=theta,
                alpha=a.power_law_alpha, calib_tokens=None)
    spec.calib_tokens = a.calib_tokens if a.calib_tokens is not None else default_calib_tokens(spec)
    if spec.calib_tokens < 64:
        raise UsageError(f"--calib-tokens {spec.calib_tokens} too small (need >= 64)")
    return spec, out


def make_config(spec):
    cfg = {}
    if spec.arch == "mistral":
        cfg["architectures"] = ["MistralForCausalLM"]
        cfg["model_type"] = "mistral"
        cfg["hidden_act"] = "silu"
    elif spec.arch == "bamboo":
        cfg["architectures"] = ["BambooForCausalLM"]
        cfg["model_type"] = "bamboo"
        cfg["hidden_act"] = "relu"        # dReLU: applied to gate and up (TurboSparse)
    else:
        cfg["architectures"] = ["TurboSparseMixtralForCausalLM"]
        cfg["model_type"] = "mixtral"
        cfg["hidden_act"] = "relu"        # dReLU experts: relu(w1 x) * relu(w3 x)
    cfg.update({
        "hidden_size": spec.hidden,
        "intermediate_size": spec.intermediate,
        "num_hidden_layers": spec.layers,
        "num_attention_heads": spec.heads,
        "num_key_value_heads": spec.kv_heads,
        "head_dim": spec.head_dim,
        "vocab_size": spec.vocab,
        "max_position_embeddings": spec.max_seq_len,
        "rope_theta": float(spec.rope_theta),
        "rms_norm_eps": NORM_EPS,
        "tie_word_embeddings": False,
        "torch_dtype": TORCH_DTYPE[spec.dtype],
        "sliding_window": None,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "use_cache": True,
        "bos_token_id": 1 if spec.vocab > 2 else 0,
        "eos_token_id": 2 if spec.vocab > 2 else 0,
    })
    if spec.arch == "mixtral":
        cfg["num_local_experts"] = spec.experts
        cfg["num_experts_per_tok"] = spec.top_k
        cfg["output_router_logits"] = False
        cfg["router_aux_loss_coef"] = 0.0
    if spec.sparse:
        cfg["sparsec_predictor"] = {
            "rank": spec.predictor_rank,
            "threshold": 0.0,
            "input": "residual",
            "activation": "relu",
            "rule": "neuron i active iff (fc2 @ relu(fc1 @ input))[i] > threshold",
        }
    cfg["sparsec_synth"] = {
        "generator": f"{PROG} {__version__}",
        "seed": spec.seed,
        "ffn_activation": "swiglu" if spec.arch == "mistral" else "drelu",
        "target_sparsity": spec.sparsity,
        "power_law_alpha": spec.alpha,
        "calib_tokens": spec.calib_tokens,
    }
    return cfg


def format_table(stats, arch):
    hdr = ("layer", "expert", "target", "sparsity", "recall", "precision", "pred.dens",
           "hot10%", "gate=0", "up=0", "tokens")
    lines = ["  ".join(f"{h:>9}" for h in hdr)]
    for st in stats:
        ex = "-" if st["expert"] is None else str(st["expert"])
        row = (str(st["layer"]), ex, f"{st['target_sparsity']:.3f}", f"{st['sparsity']:.4f}",
               f"{st['recall']:.4f}", f"{st['precision']:.4f}", f"{st['predicted_density']:.4f}",
               f"{st['hot10_share']:.3f}", f"{st['gate_zero']:.3f}", f"{st['up_zero']:.3f}",
               str(st["heldout_tokens"]))
        lines.append("  ".join(f"{v:>9}" for v in row))
    return "\n".join(lines)


def acceptance(stats):
    bad = []
    for st in stats:
        where = f"layer {st['layer']}" + ("" if st["expert"] is None else f" expert {st['expert']}")
        if abs(st["sparsity"] - st["target_sparsity"]) > 0.02:
            bad.append(f"{where}: sparsity {st['sparsity']:.4f} not within 0.02 of {st['target_sparsity']}")
        if st["recall"] < 0.95:
            bad.append(f"{where}: recall {st['recall']:.4f} < 0.95")
    return bad


def generate(spec, out_dir, max_shard, want_onnx, log, onnx_predictors=False,
             no_predictors=False):
    from .st_writer import write_checkpoint
    t0 = time.time()
    log(f"building {spec.arch} model: hidden {spec.hidden}, intermediate {spec.intermediate}, "
        f"layers {spec.layers}, dtype {spec.dtype}, calibration tokens {spec.calib_tokens}")
    store, stats = Builder(spec, log).build()
    cfg = make_config(spec)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    log("writing safetensors")
    if no_predictors:
        store = {k: v for k, v in store.items() if ".predictor." not in k}
    files = write_checkpoint(out_dir, store, spec.dtype, max_shard, log)
    if want_onnx:
        log("writing model.onnx")
        from .onnx_export import export_onnx
        files += export_onnx(out_dir, cfg, store, spec.dtype, onnx_predictors)
    bad = acceptance(stats)
    report = {"arch": spec.arch, "files": ["config.json"] + files, "ffn": stats,
              "acceptance": {"ok": not bad, "failures": bad,
                             "sparsity_tolerance": 0.02, "min_recall": 0.95}}
    with open(os.path.join(out_dir, "synth_report.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    log(f"done in {time.time() - t0:.1f} s")
    return stats, bad


def main(argv=None):
    parser = make_parser()
    try:
        a = parser.parse_args(argv)
        spec, out = validate(a)
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2

    def log(msg):
        if not a.quiet:
            print(f"{PROG}: {msg}", file=sys.stderr, flush=True)

    parent = os.path.dirname(out)
    created = []
    d = parent
    while not os.path.exists(d):
        created.append(d)
        d = os.path.dirname(d)
    tmp = None

    def on_term(signum, frame):         # clean up like Ctrl-C does
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=os.path.basename(out) + ".tmp-", dir=parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)     # mkdtemp makes it 0700
        stats, bad = generate(spec, tmp, a.max_shard_size, a.onnx or a.onnx_predictors, log,
                              a.onnx_predictors, a.no_predictors)
        if os.path.exists(out):          # --force
            old = tempfile.mkdtemp(prefix=os.path.basename(out) + ".old-", dir=parent)
            os.rename(out, os.path.join(old, "x"))
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
        tmp = None
    except (Exception, KeyboardInterrupt) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 1
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
            for c in created:            # parents we made, innermost first
                try:
                    os.rmdir(c)
                except OSError:
                    break
    if stats:
        print(f"FFN sparsity and predictor quality on held-out tokens ({a.output}):")
        print(format_table(stats, spec.arch))
        if bad:
            for b in bad:
                log(f"warning: acceptance: {b}")
        else:
            print(f"acceptance: sparsity within 0.02 of {spec.sparsity} and predictor recall >= 0.95 "
                  f"on all {len(stats)} FFNs: ok")
    else:
        print(f"wrote dense {spec.arch} model to {a.output}")
    return 0

#!/usr/bin/env python3
"""Independent numpy reference for the models sparsec compiles.

Written from the Hugging Face model definitions (transformers' Mistral / Mixtral
modelling code and the TurboSparse Bamboo / TurboSparse-Mixtral variants), not from
sparsec's IR, its C++ code or the synthetic generator: it reads config.json and the
safetensors files (single or sharded) from disk with its own parser and computes in
float32 (f16 / bf16 weights are upcast exactly).

Semantics
  * RMSNorm:   x * 1/sqrt(mean(x^2) + eps) * w  (in float32)
  * RoPE:      inv_freq = theta^(-2i/D), angles = pos * inv_freq, emb = cat(angles,
               angles), q' = q cos + rotate_half(q) sin with rotate_half(x) =
               cat(-x[D/2:], x[:D/2])  (first half / second half, not interleaved);
               theta from "rope_parameters" (transformers 5) or "rope_theta";
               scaling "linear" (inv_freq / factor) and "llama3" (Llama 3.1's
               wavelength bands) as transformers' rope_utils computes them, in float32
  * attention: grouped-query (query head h reads KV head h // (A/K), HF repeat_kv),
               softmax(q k^T / sqrt(D)) over the KV cache (all earlier steps + this one;
               an optional config sliding_window limits it to the last `window` positions)
  * FFN:       SwiGLU  down(silu(gate x) * up x)             (Llama/Mistral/Mixtral)
               dReLU   down(relu(gate x) * relu(up x))       (BambooForCausalLM,
                                                              TurboSparseMixtralForCausalLM)
  * MoE:       router logits -> softmax over all experts (float32) -> top-k ->
               renormalise the k weights to sum 1 -> sum_e w_e * expert_e(x), experts
               accumulated in increasing expert id
  * predictor: score = fc2 @ relu(fc1 @ inp), neuron active iff score > threshold, inp the
               residual (FFN block input before its RMSNorm) or the normed FFN input as
               config.json "sparsec_predictor"."input" says.

Neuron masks ("dense with an explicit neuron mask"): the FFN's intermediate activation
h[i] is replaced by 0 where the mask is False; everything else is the dense
computation, so an all-True mask gives bit-identical results to dense.  Masks come from
`mask_fn(layer, expert, x_ffn_in, residual) -> bool[I]` (expert is None for a dense FFN;
return None for no mask), or a dict `masks[(layer, expert)] -> bool[I]`, or with
mode="predicted" from the checkpoint's own predictor.

API
    ref = Reference(model_dir)            # or mode="predicted", mask_fn=..., masks=...
    logits = ref.step(token, pos)         # np.float32[V]
    all_logits = ref.run(tokens)          # np.float32[n, V], positions 0..n-1 (resets)
    ref.trace                             # with record=True: per step, per FFN, the
                                          # active set, the predictor's set and the mask
CLI
    python sparsec_reference.py MODEL_DIR|MODEL.gguf --tokens 1,2,3 [--print-topk [K]]
        [--mode dense|predicted] [--predictor-dir DIR] [--save-logits FILE.npy] [--stats]

Block quantization (`quant="q8_0"|"q4_0"|"q4_1"`, `quant_keep`): weights are
replaced by their round trip through the ggml block format, written here from
the formats' definitions (32 weights per block, an f16 scale; q4_1 also an f16
minimum), in float32 exactly as the rounding rules state: q8_0 d = max|x|/127,
q = round(x/d) (halves away from zero); q4_0 d = x*/-8 with x* the element of
largest magnitude (the first one on ties), q = min(15, trunc(x/d + 8.5)) - 8;
q4_1 d = (max-min)/15, q = min(15, trunc((x-min)/d + 0.5)), w = d q + min.
Which weights: every 2-D weight whose quantized rows have a multiple of 32
elements, except the MoE router and the roles in quant_keep ("embed",
"lm_head", "predictor"; a tied embedding is kept if either of its roles is).
FFN down projections are quantized along their columns (the rows of their
transpose: sparsec reads them per neuron), except in the layers of
dense_down_layers (compiled in dense mode, which reads the down projection
whole as a matvec), and the other weights along their rows. A GGUF tensor
already in the format asked is used as stored (its exact dequantization),
except a transposed down projection, which is requantized along its columns
from its f16 values. With int8_activations (every
format, on targets whose dot products run on 8-bit integers), the vector a
quantized weight multiplies is itself rounded through blocks of 32 (of 256
against q4_k/q6_k weights, as llama.cpp's q8_K): d =
max|x|/127, q = round(x/d) (halves away from zero), x' = d q; a transposed
down projection (a sum of scaled rows) and the embedding read the weights
only.

GGUF files are read with the `gguf` package (llama.cpp's own Python reader and
dequantizer), their q/k rows un-permuted as transformers' GGUF loader does, and
quantized tensors rounded to float16 after dequantization: the weights sparsec
packs. `kv_dtype="f16"` rounds cached keys and values to float16 as sparsec's
f16 KV cache does.
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np

F32 = np.float32

_DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2)}
DRELU_ARCHS = {"BambooForCausalLM", "TurboSparseMixtralForCausalLM"}
KNOWN_ARCHS = {"LlamaForCausalLM", "MistralForCausalLM", "MixtralForCausalLM"} | DRELU_ARCHS


class ModelError(Exception):
    pass


def _read_header(path):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            raise ModelError(f"{path}: truncated (no header length)")
        n = struct.unpack("<Q", raw)[0]
        if n > size - 8:
            raise ModelError(f"{path}: header length {n} larger than the file")
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise ModelError(f"{path}: header is not JSON ({e})")
    return header, 8 + n, size


class Checkpoint:
    """Tensors of an HF checkpoint directory, read lazily (memory-mapped) as float32."""

    def __init__(self, model_dir, extra_dirs=()):
        self.dir = model_dir
        cfg_path = os.path.join(model_dir, "config.json")
        if not os.path.isfile(cfg_path):
            raise ModelError(f"{cfg_path}: missing")
        with open(cfg_path) as f:
            self.config = json.load(f)
        self.index = {}          # name -> (path, dtype, shape, begin, end)
        self._cache = {}
        self._maps = {}
        for d in (model_dir,) + tuple(extra_dirs):
            self._scan(d)

    def _scan(self, d):
        idx = os.path.join(d, "model.safetensors.index.json")
        if os.path.isfile(idx):
            with open(idx) as f:
                wm = json.load(f)["weight_map"]
            files = sorted(set(wm.values()))
        else:
            files = sorted(fn for fn in os.listdir(d) if fn.endswith(".safetensors"))
            if not files:
                raise ModelError(f"{d}: no safetensors files")
        for fn in files:
            path = os.path.join(d, fn)
            if not os.path.isfile(path):
                raise ModelError(f"{path}: shard named in the index is missing")
            header, base, size = _read_header(path)
            for name, info in header.items():
                if name == "__metadata__":
                    continue
                dt = info["dtype"]
                if dt not in _DTYPES:
                    raise ModelError(f"{path}: tensor {name}: unsupported dtype {dt}")
                shape = tuple(int(v) for v in info["shape"])
                b, e = info["data_offsets"]
                nbytes = int(np.prod(shape, dtype=np.int64)) * _DTYPES[dt][1]
                if e - b != nbytes or base + e > size or b < 0:
                    raise ModelError(f"{path}: tensor {name}: bad data_offsets {b}..{e}")
                self.index[name] = (path, dt, shape, base + b, base + e)

    def __contains__(self, name):
        return name in self.index

    def shape(self, name):
        return self.index[name][2]

    def get(self, name):
        if name in self._cache:
            return self._cache[name]
        if name not in self.index:
            raise ModelError(f"{self.dir}: tensor {name} missing")
        path, dt, shape, b, e = self.index[name]
        mm = self._maps.get(path)
        if mm is None:
            mm = self._maps[path] = np.memmap(path, dtype=np.uint8, mode="r")
        raw = mm[b:e].view(_DTYPES[dt][0]).reshape(shape)
        if dt == "BF16":
            a = (raw.astype(np.uint32) << np.uint32(16)).view(F32)
        else:
            a = raw.astype(F32)
        self._cache[name] = a
        return a


QUANT_BLOCK = {"q8_0": 32, "q4_0": 32, "q4_1": 32, "q4_k": 256, "q6_k": 256}
# Rows that are not whole super-blocks take a 32-weight format of at least as
# many bits (sparsec-quantize-weights' rule).
QUANT_FALLBACK = {"q4_k": "q4_1", "q6_k": "q8_0"}


def quant_format_for(fmt, row_length):
    """The format a row of `row_length` weights gets under --quant fmt, or None
    when it is not whole blocks of any."""
    for f in (fmt, QUANT_FALLBACK.get(fmt)):
        if f and row_length % QUANT_BLOCK[f] == 0:
            return f
    return None


def _round_away(v):
    """round(v), halves away from zero, exactly (float32 in, float32 out)."""
    t = np.trunc(v)
    return np.where(np.abs(v - t) >= F32(0.5), t + np.sign(v), t).astype(F32)


def _nearest_level(v, hi):
    """trunc(v + 0.5) clamped to [0, hi]."""
    return np.clip(np.trunc(v + F32(0.5)), F32(0), F32(hi)).astype(F32)


def _inverse(v):
    """1 / v where v != 0, else 0 (float32)."""
    return np.where(v != 0, F32(1) / np.where(v != 0, v, F32(1)), F32(0)).astype(F32)


def kquant_fields(rows, fmt):
    """The fields of k-quant super-blocks, by sparsec's one-pass rules
    (runtime/formats/src/ggml_quantize.cpp states them): rows float32 [n, k],
    k a multiple of 256. q4_k -> (d16, dmin16, ls, lm, q) with ls, lm, q of
    shape [n, S, 8(, 32)]; q6_k -> (d16, sc, q) with sc [n, S, 16] and q
    [n, S, 16, 16] centred (-32..31)."""
    n, k = rows.shape
    half = lambda v: v.astype(np.float16).astype(F32)
    if fmt == "q4_k":
        x = rows.astype(F32).reshape(n, k // 256, 8, 32)
        lo = np.minimum(F32(0), np.min(x, axis=3))
        scale = (np.max(x, axis=3) - lo) / F32(15)
        mn = -lo
        max_scale = np.max(scale, axis=2, keepdims=True)
        max_min = np.max(mn, axis=2, keepdims=True)
        ls = _nearest_level(scale * _div_or_zero(F32(63), max_scale), 63)
        lm = _nearest_level(mn * _div_or_zero(F32(63), max_min), 63)
        d16, dmin16 = half(max_scale / F32(63)), half(max_min / F32(63))
        s = d16 * ls
        m = dmin16 * lm
        q = _nearest_level((x + m[..., None]) * _inverse(s)[..., None], 15)
        return d16, dmin16, ls, lm, q
    if fmt == "q6_k":
        x = rows.astype(F32).reshape(n, k // 256, 16, 16)
        idx = np.argmax(np.abs(x), axis=3)[..., None]
        scale = np.take_along_axis(x, idx, axis=3)[..., 0] / F32(-32)
        idx2 = np.argmax(np.abs(scale), axis=2)[..., None]
        d = np.take_along_axis(scale, idx2, axis=2) / F32(-128)
        sc = np.clip(_round_away(scale * _inverse(d)), F32(-128), F32(127))
        d16 = half(d)
        s = d16 * sc
        q = np.clip(_round_away(x * _inverse(s)[..., None]), F32(-32), F32(31))
        return d16, sc, q
    raise ValueError(f"not a k-quant: {fmt}")


def _div_or_zero(a, b):
    """a / b where b > 0, else 0 (float32)."""
    return np.where(b > 0, a / np.where(b > 0, b, F32(1)), F32(0)).astype(F32)


def encode_kquant(rows, fmt):
    """rows float32 [n, k] -> uint8 [n, k / 256 * block bytes]: ggml's Q4_K
    (144 bytes) or Q6_K (210 bytes) super-blocks, written from the layouts
    (for test files; llama.cpp's `gguf` package decodes them)."""
    n, k = rows.shape
    S = k // 256
    if fmt == "q4_k":
        d16, dmin16, ls, lm, q = kquant_fields(rows, fmt)
        ls, lm, q = ls.astype(np.uint8), lm.astype(np.uint8), q.astype(np.uint8)
        out = np.zeros((n, S, 144), np.uint8)
        out[..., 0:2] = d16.astype(np.float16).view(np.uint8).reshape(n, S, 2)
        out[..., 2:4] = dmin16.astype(np.float16).view(np.uint8).reshape(n, S, 2)
        sc = out[..., 4:16]
        sc[..., 0:4] = ls[..., 0:4] | ((ls[..., 4:8] >> 4) << 6)
        sc[..., 4:8] = lm[..., 0:4] | ((lm[..., 4:8] >> 4) << 6)
        sc[..., 8:12] = (ls[..., 4:8] & 0xF) | ((lm[..., 4:8] & 0xF) << 4)
        pairs = q.reshape(n, S, 4, 2, 32)
        out[..., 16:] = (pairs[:, :, :, 0] | (pairs[:, :, :, 1] << 4)).reshape(n, S, 128)
        return out.reshape(n, S * 144)
    d16, sc, q = kquant_fields(rows, fmt)
    u = (q.reshape(n, S, 2, 4, 32) + F32(32)).astype(np.uint8)   # [n, S, h, r, l]
    out = np.zeros((n, S, 210), np.uint8)
    ql = (u[:, :, :, 0:2] & 0xF) | ((u[:, :, :, 2:4] & 0xF) << 4)  # [n, S, h, 2, 32]
    out[..., 0:128] = ql.reshape(n, S, 128)
    qh = (u[:, :, :, 0] >> 4) | ((u[:, :, :, 1] >> 4) << 2) | \
         ((u[:, :, :, 2] >> 4) << 4) | ((u[:, :, :, 3] >> 4) << 6)
    out[..., 128:192] = qh.reshape(n, S, 64)
    out[..., 192:208] = sc.astype(np.int8).view(np.uint8)
    out[..., 208:210] = d16.astype(np.float16).view(np.uint8).reshape(n, S, 2)
    return out.reshape(n, S * 210)


def _quant_roundtrip(rows, fmt):
    """rows float32 [n, k] (k a multiple of the format's block) -> dequantized
    float32 [n, k]."""
    n, k = rows.shape
    if fmt == "q4_k":
        d16, dmin16, ls, lm, q = kquant_fields(rows, fmt)
        s, m = d16 * ls, dmin16 * lm          # ggml: d * sc * q - dmin * m
        return (s[..., None] * q - m[..., None]).astype(F32).reshape(n, k)
    if fmt == "q6_k":
        d16, sc, q = kquant_fields(rows, fmt)
        return ((d16 * sc)[..., None] * q).astype(F32).reshape(n, k)
    x = rows.astype(F32).reshape(n, k // 32, 32)
    half = lambda v: v.astype(np.float16).astype(F32)
    with np.errstate(divide="ignore"):
        if fmt == "q8_0":
            d = np.max(np.abs(x), axis=2, keepdims=True) / F32(127)
            inv = np.where(d != 0, F32(1) / d, F32(0)).astype(F32)
            v = x * inv
            q = np.sign(v) * np.floor(np.abs(v) + F32(0.5))
            out = half(d) * q
        elif fmt == "q4_0":
            idx = np.argmax(np.abs(x), axis=2)[..., None]
            d = np.take_along_axis(x, idx, axis=2) / F32(-8)
            inv = np.where(d != 0, F32(1) / d, F32(0)).astype(F32)
            q = np.minimum(F32(15), np.trunc(x * inv + F32(8.5)))
            out = half(d) * (q - F32(8))
        elif fmt == "q4_1":
            lo = np.min(x, axis=2, keepdims=True)
            d = (np.max(x, axis=2, keepdims=True) - lo) / F32(15)
            inv = np.where(d != 0, F32(1) / d, F32(0)).astype(F32)
            q = np.minimum(F32(15), np.trunc((x - lo) * inv + F32(0.5)))
            out = half(d) * q + half(lo)
        else:
            raise ValueError(f"unknown quant format {fmt}")
    return out.astype(F32).reshape(n, k)


def _quant_activation(x, tie_margin=None, block=32):
    """x float32 [k] (k a multiple of `block`) rounded through 8-bit blocks of
    `block` (32; 256 against k-quant weights, as llama.cpp's q8_K):
    d = max|x| / 127, q = round(x / d) (halves away from zero), back to d q.
    With tie_margin, also returns whether some x / d lies within
    tie_margin * |x / d| of a rounding boundary (a value an implementation
    computing x with a relative difference of that size may round the other
    way)."""
    b = x.astype(F32).reshape(-1, block)
    d = np.max(np.abs(b), axis=1, keepdims=True) / F32(127)
    inv = np.where(d != 0, F32(1) / np.where(d != 0, d, F32(1)), F32(0)).astype(F32)
    v = b * inv
    t = np.trunc(v)
    frac = np.abs(v - t)
    q = np.where(frac >= F32(0.5), t + np.sign(v), t)
    out = (q.astype(np.float64) * d.astype(np.float64)).reshape(-1)
    if tie_margin is None:
        return out
    return out, bool(np.any(np.abs(frac - F32(0.5)) < tie_margin * np.abs(v)))


def _round_bf16(x):
    """float32 -> bfloat16 (round to nearest even) -> float32."""
    b = np.ascontiguousarray(x, dtype=F32).view(np.uint32)
    b = (b + np.uint32(0x7FFF) + ((b >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return b.view(F32)


def rms_norm(x, w, eps):
    x = x.astype(F32)
    var = np.mean(x * x, dtype=F32)
    return x * (F32(1) / np.sqrt(var + F32(eps))) * w


def silu(x):
    return x / (F32(1) + np.exp(-x))


def relu(x):
    return np.maximum(x, F32(0))


def softmax(x):
    x = x.astype(F32)
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


class GGUFCheckpoint:
    """Tensors of a llama-architecture GGUF under Hugging Face names, as float32,
    and a config.json-style dict made from its metadata."""

    def __init__(self, path):
        import gguf  # llama.cpp's reader, from PyPI
        self.dir = path
        r = gguf.GGUFReader(path)
        self._gguf = gguf

        def field(key, default=None):
            f = r.fields.get(key)
            return default if f is None else f.contents()

        arch = field("general.architecture")
        if arch != "llama":
            raise ModelError(f"{path}: architecture {arch} not supported by the reference")
        H = int(field("llama.embedding_length"))
        A = int(field("llama.attention.head_count"))
        K = int(field("llama.attention.head_count_kv", A))
        experts = int(field("llama.expert_count", 0) or 0)
        self.tensors = {t.name: t for t in r.tensors}
        vocab = field("llama.vocab_size")
        if vocab is None:
            vocab = len(field("tokenizer.ggml.tokens"))
        self.config = {
            "architectures": ["MixtralForCausalLM" if experts else "LlamaForCausalLM"],
            "hidden_size": H, "num_attention_heads": A, "num_key_value_heads": K,
            "head_dim": int(field("llama.attention.key_length", H // A)),
            "num_hidden_layers": int(field("llama.block_count")),
            "intermediate_size": int(field("llama.feed_forward_length")),
            "vocab_size": int(vocab),
            "rms_norm_eps": float(field("llama.attention.layer_norm_rms_epsilon")),
            "rope_theta": float(field("llama.rope.freq_base", 10000.0)),
            "hidden_act": "silu",
            "tie_word_embeddings": "output.weight" not in self.tensors,
        }
        if experts:
            self.config["num_local_experts"] = experts
            self.config["num_experts_per_tok"] = int(field("llama.expert_used_count"))
        self.names = {"model.embed_tokens.weight": "token_embd.weight",
                      "model.norm.weight": "output_norm.weight",
                      "lm_head.weight": "output.weight"}
        for name in self.tensors:
            parts = name.split(".")
            if parts[0] != "blk":
                continue
            p = f"model.layers.{parts[1]}."
            rest = ".".join(parts[2:])
            plain = {"attn_norm.weight": "input_layernorm.weight",
                     "attn_q.weight": "self_attn.q_proj.weight",
                     "attn_k.weight": "self_attn.k_proj.weight",
                     "attn_v.weight": "self_attn.v_proj.weight",
                     "attn_output.weight": "self_attn.o_proj.weight",
                     "ffn_norm.weight": "post_attention_layernorm.weight",
                     "ffn_gate.weight": "mlp.gate_proj.weight",
                     "ffn_up.weight": "mlp.up_proj.weight",
                     "ffn_down.weight": "mlp.down_proj.weight",
                     "ffn_gate_inp.weight": "block_sparse_moe.gate.weight"}
            if rest in plain:
                self.names[p + plain[rest]] = name
            for kind, hf in (("ffn_gate_exps", "w1"), ("ffn_down_exps", "w2"),
                             ("ffn_up_exps", "w3")):
                if rest == kind + ".weight":
                    for e in range(experts):
                        self.names[f"{p}block_sparse_moe.experts.{e}.{hf}.weight"] = (name, e)
        self._cache = {}

    def __contains__(self, name):
        return name in self.names and (
            isinstance(self.names[name], tuple) or self.names[name] in self.tensors)

    def block_type(self, name):
        """"q8_0", "q4_0", ... for a tensor stored in ggml blocks, else None."""
        where = self.names.get(name)
        if isinstance(where, tuple):
            where = where[0]
        t = self.tensors.get(where)
        q = self._gguf.GGMLQuantizationType
        if t is None or t.tensor_type in (q.F32, q.F16, q.BF16):
            return None
        return t.tensor_type.name.lower()

    def get(self, name, exact=False):
        """float32 weights; quantized blocks are rounded to f16 after
        dequantizing (as sparsec packs them without --quant) unless `exact`."""
        key = (name, exact)
        if key in self._cache:
            return self._cache[key]
        if name not in self:
            raise ModelError(f"{self.dir}: tensor {name} missing")
        where = self.names[name]
        expert = None
        if isinstance(where, tuple):
            where, expert = where
        t = self.tensors[where]
        q = self._gguf.GGMLQuantizationType
        if t.tensor_type in (q.F32, q.F16):
            a = np.asarray(t.data).astype(F32)
        else:
            a = self._gguf.quants.dequantize(t.data, t.tensor_type).astype(F32)
            if t.tensor_type != q.BF16 and not exact:
                a = a.astype(np.float16).astype(F32)  # sparsec packs f16
        a = a.reshape([int(d) for d in reversed(t.shape)])
        if expert is not None:
            a = a[expert]
        if where.endswith(("attn_q.weight", "attn_k.weight")):
            heads = self.config["num_attention_heads"] if "attn_q" in where \
                else self.config["num_key_value_heads"]
            # llama.cpp interleaves the rotary halves of each head; undo it.
            a = (a.reshape(heads, a.shape[0] // heads // 2, 2, *a.shape[1:])
                 .swapaxes(1, 2).reshape(a.shape))
        a = np.ascontiguousarray(a, dtype=F32)
        self._cache[key] = a
        return a


def rope_inv_freq(c, D):
    """inv_freq as transformers computes it (float32), and the RoPE base."""
    params = c.get("rope_parameters") or c.get("rope_scaling") or {}
    theta = float(params.get("rope_theta", c.get("rope_theta", 10000.0)))
    kind = params.get("rope_type", params.get("type", "default"))
    if kind == "default":
        # float64 then rounded, as before: identical for the bases in use.
        inv = 1.0 / (theta ** (np.arange(0, D, 2, dtype=np.float64) / D))
        return inv.astype(F32), theta
    inv = F32(1.0) / (F32(theta) ** (np.arange(0, D, 2).astype(F32) / F32(D)))
    factor = F32(params["factor"])
    if kind == "linear":
        return (inv / factor).astype(F32), theta
    if kind == "llama3":
        low, high = F32(params["low_freq_factor"]), F32(params["high_freq_factor"])
        old = F32(params["original_max_position_embeddings"])
        low_wavelen, high_wavelen = old / low, old / high
        wavelen = F32(2 * math.pi) / inv
        scaled = np.where(wavelen > low_wavelen, inv / factor, inv)
        smooth = (old / wavelen - low) / (high - low)
        smoothed = (F32(1) - smooth) * scaled / factor + smooth * scaled
        medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
        return np.where(medium, smoothed, scaled).astype(F32), theta
    raise ModelError(f"config.json: rope type {kind} not supported by the reference")


class Reference:
    def __init__(self, model_dir, mode="dense", mask_fn=None, masks=None, record=False,
                 predictor_dir=None, kv_dtype="f32", quant=None,
                 quant_keep=("predictor",), int8_activations=False,
                 dense_down_layers=(), tie_margin=None):
        if mode not in ("dense", "predicted"):
            raise ValueError(f"mode must be dense or predicted, got {mode}")
        self.kv_dtype = kv_dtype
        if str(model_dir).endswith(".gguf"):
            self.ck = GGUFCheckpoint(model_dir)
        else:
            self.ck = Checkpoint(model_dir, (predictor_dir,) if predictor_dir else ())
        c = self.cfg = self.ck.config
        # A config saved without a model has no "architectures": model_type names it.
        by_type = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                   "mixtral": "MixtralForCausalLM", "bamboo": "BambooForCausalLM"}
        arch = (c.get("architectures") or [by_type.get(c.get("model_type"), "?")])[0]
        if arch not in KNOWN_ARCHS:
            raise ModelError(f"config.json: unsupported architecture {arch}")
        self.arch = arch
        self.H = int(c["hidden_size"])
        self.A = int(c["num_attention_heads"])
        self.K = int(c.get("num_key_value_heads") or self.A)
        self.D = int(c.get("head_dim") or self.H // self.A)
        self.L = int(c["num_hidden_layers"])
        self.V = int(c["vocab_size"])
        self.I = int(c["intermediate_size"])
        self.eps = float(c.get("rms_norm_eps", 1e-6))
        self.inv_freq, self.theta = rope_inv_freq(c, self.D)
        self.window = c.get("sliding_window") if c.get("use_sliding_window", True) else None
        self.moe = "num_local_experts" in c and c.get("num_local_experts")
        self.E = int(c.get("num_local_experts") or 0)
        self.top_k = int(c.get("num_experts_per_tok") or 0)
        act = c.get("hidden_act", "silu")
        if act not in ("silu", "relu"):
            raise ModelError(f"config.json: hidden_act {act} not supported by the reference")
        self.act = silu if act == "silu" else relu
        self.act_on_up = arch in DRELU_ARCHS
        pc = c.get("sparsec_predictor") or {}
        self.pred_threshold = F32(pc.get("threshold", 0.0))
        self.pred_input = pc.get("input", "residual")
        if self.pred_input not in ("residual", "ffn_input"):
            raise ModelError(f"config.json: sparsec_predictor.input {self.pred_input} unknown")
        self.mode = mode
        self.mask_fn = mask_fn
        self.masks = masks
        self.record = record
        self.tied = bool(c.get("tie_word_embeddings", False))
        self.quant = quant
        self.quant_keep = set(quant_keep)
        self.int8_activations = int8_activations and bool(quant)
        # Layers compiled in dense mode keep their down projections in their
        # own layout (see the module docstring).
        self.dense_down_layers = set(int(l) for l in dense_down_layers)
        self._quantized = {}
        self._rounded = set()  # names whose weights went through the format
        self._formats = {}     # their format
        # With int8_activations: inputs rounded within TIE_MARGIN of a
        # boundary so far (see mv); one rounded the other way by the
        # executable moves its result by a level, and every later step.
        self.rounding_ties = 0
        self.tie_margin = self.TIE_MARGIN if tie_margin is None else tie_margin
        self.reset()

    def _quant_roles(self, name):
        roles = set()
        if name == "model.embed_tokens.weight":
            roles.add("embed")
            if self.tied:
                roles.add("lm_head")
        if name == "lm_head.weight":
            roles.add("lm_head")
        if ".predictor." in name:
            roles.add("predictor")
        if name.endswith("block_sparse_moe.gate.weight"):
            roles.add("router")
        return roles

    def mv(self, name, x):
        """weight @ x; with int8_activations, x is rounded through 8-bit
        blocks first wherever the weight is block-quantized."""
        w = self.w(name)
        if (self.int8_activations and name in self._rounded
                and not self._down_transposed(name)):
            xq, tie = _quant_activation(x, self.tie_margin,
                                        QUANT_BLOCK[self._formats[name]])
            if tie:
                self.rounding_ties += 1
            return (w.astype(np.float64) @ xq).astype(F32)
        return w @ x

    # How close (relative to the value, in levels) to a rounding boundary an
    # input of an int8 dot product counts as a tie: the executable computes
    # it with f32 sums in another order, relative differences up to ~1e-6
    # (the default; a caller whose executable rounds more passes its own).
    TIE_MARGIN = 2e-6

    def _down_transposed(self, name):
        """True for a down projection sparsec reads per neuron (transposed):
        every one but those of dense_down_layers."""
        if not name.endswith(("mlp.down_proj.weight", ".w2.weight")):
            return False
        return int(name.split(".")[2]) not in self.dense_down_layers

    def w(self, name):
        t = self.ck.get(name)
        if not self.quant or t.ndim != 2:
            return t
        if name not in self._quantized:
            roles = self._quant_roles(name)
            down = self._down_transposed(name)
            rows = t.T if down else t
            stored = getattr(self.ck, "block_type", lambda n: None)(name)
            fmt = quant_format_for(self.quant, rows.shape[1])
            if "router" in roles or roles & self.quant_keep or fmt is None:
                self._quantized[name] = t
            elif stored == fmt and not down:
                # A GGUF's blocks in the format asked: sparsec uses them as
                # stored, so the weights are their exact dequantization.
                self._quantized[name] = self.ck.get(name, exact=True)
                self._rounded.add(name)
                self._formats[name] = fmt
            else:
                q = _quant_roundtrip(np.asarray(rows, dtype=F32), fmt)
                self._quantized[name] = np.ascontiguousarray(q.T if down else q)
                self._rounded.add(name)
                self._formats[name] = fmt
        return self._quantized[name]

    def reset(self):
        self.kcache = [np.zeros((self.K, 0, self.D), F32) for _ in range(self.L)]
        self.vcache = [np.zeros((self.K, 0, self.D), F32) for _ in range(self.L)]
        self.kpos = []
        self.trace = []

    # -- pieces -----------------------------------------------------------------
    def rope(self, x, pos):                      # x [n, D]
        ang = F32(pos) * self.inv_freq
        emb = np.concatenate([ang, ang])
        half = self.D // 2
        rot = np.concatenate([-x[:, half:], x[:, :half]], axis=1)
        return x * np.cos(emb) + rot * np.sin(emb)

    def attention(self, layer, x, pos):
        p = f"model.layers.{layer}.self_attn."
        q = self.mv(p + "q_proj.weight", x).reshape(self.A, self.D)
        k = self.mv(p + "k_proj.weight", x).reshape(self.K, self.D)
        v = self.mv(p + "v_proj.weight", x).reshape(self.K, self.D)
        q, k = self.rope(q, pos), self.rope(k, pos)
        if self.kv_dtype == "f16":
            k, v = k.astype(np.float16).astype(F32), v.astype(np.float16).astype(F32)
        elif self.kv_dtype == "bf16":
            k, v = (_round_bf16(k), _round_bf16(v))
        self.kcache[layer] = np.concatenate([self.kcache[layer], k[:, None]], axis=1)
        self.vcache[layer] = np.concatenate([self.vcache[layer], v[:, None]], axis=1)
        rep = self.A // self.K
        kk = np.repeat(self.kcache[layer], rep, axis=0)        # [A, T, D]
        vv = np.repeat(self.vcache[layer], rep, axis=0)
        sc = np.einsum("ad,atd->at", q, kk) / F32(math.sqrt(self.D))
        if self.window:
            kp = np.array(self.kpos + [pos])
            sc = np.where((pos - kp < int(self.window))[None, :], sc, F32(-np.inf))
        pr = np.stack([softmax(row) for row in sc])
        o = np.einsum("at,atd->ad", pr, vv).reshape(self.A * self.D)
        return self.mv(p + "o_proj.weight", o)

    def ffn(self, layer, expert, prefix, names, x, resid, rec):
        g = self.mv(prefix + names[0], x)
        u = self.mv(prefix + names[1], x)
        h = self.act(g) * (self.act(u) if self.act_on_up else u)
        active = h != 0
        predicted = None
        fc1n, fc2n = prefix + "predictor.fc1.weight", prefix + "predictor.fc2.weight"
        if (self.mode == "predicted" or rec is not None) and fc1n in self.ck:
            inp = resid if self.pred_input == "residual" else x
            score = self.mv(fc2n, relu(self.mv(fc1n, inp)))
            predicted = score > self.pred_threshold
        mask = None
        if self.mask_fn is not None:
            mask = self.mask_fn(layer, expert, x, resid)
        elif self.masks is not None:
            mask = self.masks.get((layer, expert))
        elif self.mode == "predicted":
            if predicted is None:
                raise ModelError(f"predicted mode: tensor {fc1n} missing")
            mask = predicted
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != h.shape:
                raise ValueError(f"mask for layer {layer} expert {expert}: shape {mask.shape}, expected {h.shape}")
            h = np.where(mask, h, F32(0))
        if rec is not None:
            rec[(layer, expert)] = {"active": active,
                                    "predicted": predicted, "mask": mask}
        return self.mv(prefix + names[2], h)

    def moe_block(self, layer, x, resid, rec):
        p = f"model.layers.{layer}.block_sparse_moe."
        probs = softmax(self.mv(p + "gate.weight", x))
        top = np.argsort(-probs, kind="stable")[: self.top_k]
        wts = probs[top] / np.sum(probs[top])
        if rec is not None:
            rec[("experts", layer)] = (top.copy(), wts.copy())
        out = np.zeros(self.H, F32)
        for e, wt in sorted(zip(top.tolist(), wts.tolist())):
            y = self.ffn(layer, e, f"{p}experts.{e}.", ("w1.weight", "w3.weight", "w2.weight"),
                         x, resid, rec)
            out = out + F32(wt) * y
        return out

    # -- public -----------------------------------------------------------------
    def step(self, token, pos):
        """One decode step: append to the KV cache, return logits float32[V]."""
        token = int(token)
        if not 0 <= token < self.V:
            raise ValueError(f"token {token} out of range [0, {self.V})")
        rec = {} if self.record else None
        x = self.w("model.embed_tokens.weight")[token].astype(F32)
        for layer in range(self.L):
            p = f"model.layers.{layer}."
            h = rms_norm(x, self.w(p + "input_layernorm.weight"), self.eps)
            x = x + self.attention(layer, h, pos)
            resid = x
            f = rms_norm(x, self.w(p + "post_attention_layernorm.weight"), self.eps)
            if self.moe:
                y = self.moe_block(layer, f, resid, rec)
            else:
                y = self.ffn(layer, None, p + "mlp.", ("gate_proj.weight", "up_proj.weight",
                                                       "down_proj.weight"), f, resid, rec)
            x = x + y
        self.kpos.append(pos)
        x = rms_norm(x, self.w("model.norm.weight"), self.eps)
        head = "model.embed_tokens.weight" if self.tied else "lm_head.weight"
        if rec is not None:
            self.trace.append(rec)
        return self.mv(head, x).astype(F32)

    def run(self, tokens):
        """Reset the cache and decode tokens at positions 0..n-1; logits [n, V]."""
        self.reset()
        return np.stack([self.step(t, i) for i, t in enumerate(tokens)])


def trace_stats(trace):
    """Per FFN: fraction of exactly-zero activations, predictor recall / precision."""
    acc = {}
    for rec in trace:
        for key, r in rec.items():
            if key[0] == "experts":
                continue
            a = acc.setdefault(key, [0, 0, 0, 0])
            act = r["active"]
            a[0] += act.size
            a[1] += int(act.sum())
            if r["predicted"] is not None:
                a[2] += int((act & r["predicted"]).sum())
                a[3] += int(r["predicted"].sum())
    out = {}
    for key, (n, na, tp, npred) in sorted(acc.items(), key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1])):
        out[key] = {"sparsity": 1 - na / n, "recall": tp / na if na else 1.0,
                    "precision": tp / npred if npred else 1.0, "samples": n}
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="sparsec-reference",
                                 description="numpy reference logits for an HF checkpoint")
    ap.add_argument("model_dir")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids, decoded at positions 0..n-1")
    ap.add_argument("--print-topk", nargs="?", const=5, type=int, default=0, metavar="K",
                    help="print the top K logits per step (default K 5)")
    ap.add_argument("--mode", choices=["dense", "predicted"], default="dense")
    ap.add_argument("--predictor-dir", help="extra directory with predictor safetensors")
    ap.add_argument("--save-logits", metavar="FILE.npy", help="save logits [n, V] as .npy")
    ap.add_argument("--stats", action="store_true", help="print per-FFN sparsity / predictor recall")
    a = ap.parse_args(argv)
    try:
        tokens = [int(t) for t in a.tokens.split(",") if t.strip()]
    except ValueError:
        print(f"sparsec-reference: error: bad --tokens '{a.tokens}'", file=sys.stderr)
        return 2
    try:
        ref = Reference(a.model_dir, mode=a.mode, record=a.stats, predictor_dir=a.predictor_dir)
        logits = ref.run(tokens)
    except (ModelError, ValueError, KeyError, OSError) as e:
        print(f"sparsec-reference: error: {e}", file=sys.stderr)
        return 1
    for i, t in enumerate(tokens):
        row = logits[i]
        line = f"step {i} token {t}: argmax {int(np.argmax(row))} max {float(np.max(row)):.6f}"
        if a.print_topk:
            top = np.argsort(-row, kind="stable")[: a.print_topk]
            line += "  top: " + " ".join(f"{int(j)}:{float(row[j]):.6f}" for j in top)
        print(line)
    if a.stats:
        for (layer, expert), st in trace_stats(ref.trace).items():
            ex = "" if expert is None else f" expert {expert}"
            print(f"layer {layer}{ex}: sparsity {st['sparsity']:.4f} recall {st['recall']:.4f} "
                  f"precision {st['precision']:.4f} ({st['samples']} neuron-steps)")
    if a.save_logits:
        np.save(a.save_logits, logits)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Synthetic TurboSparse-shaped models with planted activation statistics.

What is generated
-----------------
A Mistral-style decoder (RMSNorm, RoPE attention with grouped KV heads, gated FFN,
final RMSNorm, untied lm_head) in one of three flavours:

* ``mistral``: dense SwiGLU FFN, ``silu(x Wg^T) * (x Wu^T)``;
* ``bamboo``:  TurboSparse-Mistral dReLU FFN, ``relu(x Wg^T) * relu(x Wu^T)``,
  with a low-rank activity predictor per layer;
* ``mixtral``: TurboSparse-Mixtral: a softmax/top-k router over E dReLU experts,
  each expert with its own predictor.

All weights are drawn from seeded per-tensor random streams (``rng_for``), so the
same command line gives byte-identical files.  Large matrices use uniform noise with
the intended standard deviation (it is ~2x cheaper to draw than Gaussian noise and
the projections that matter are sums of many entries, hence Gaussian anyway).

How the activation statistics are planted
-----------------------------------------
The FFN input is ``x = RMSNorm(r) * w = r / rho(r) * w`` (``r`` the residual,
``rho`` its rms) and there are no biases.  We reserve one hidden channel ``c`` as a
*bias channel*: every embedding row has ``r[c] = BETA``, and the rows ``c`` of every
``o_proj`` and ``down_proj`` are zero, so ``r[c] = BETA`` exactly at every layer.
Hence ``x[c] = w[c] * BETA / rho > 0`` and column ``c`` of ``gate_proj``/``up_proj``
acts as a per-neuron bias.  Because ``rho > 0`` only scales, the *sign* of a gate
pre-activation is ``sign(W'_i . r + b_i w[c] BETA)``: firing is decided by a linear
function of the residual plus the bias, so it can be calibrated exactly:

1. Per-neuron target firing probabilities ``p_i`` follow a power law (Zipf-like)
   ``p = min(PMAX, C * u^-alpha)`` over ``u`` in (0, 1], with ``C`` solved so that the
   mean of ``p`` is the target density ``1 - S``; neuron order is a random
   permutation (hot and cold neurons are scattered, as in trained ReLU models).
2. Layers are built in order.  Random token sequences are run through the layers
   already built (the same forward as the HF model, in float32 on the weights as
   stored, i.e. after rounding to the output dtype), giving the FFN inputs of the
   current layer on a calibration half and a held-out half of the tokens.
3. Without its bias, a neuron fires on a token iff ``b_i > t = -(x.W_i)/x[c]``.  The
   up-projection bias is set to the order statistic of ``t_up`` so that ``up > 0`` on a
   fraction ``1 - UP_ZERO (1 - p_i)`` of the calibration tokens (up is mostly
   positive but really clipped sometimes, so dReLU's second ReLU matters), and then the
   gate bias to the order statistic of ``t_gate`` among the tokens where up fires, so
   that ``relu(gate) * relu(up) != 0`` on exactly ``round(p_i N)`` calibration tokens.
   For MoE experts the calibration tokens are those the router sends to the expert.
4. ``down_proj`` (and ``o_proj``) are scaled so each block adds an output of rms
   ``BLOCK_RMS`` to the residual.
5. The held-out tokens measure the realised sparsity (fraction of exactly-zero
   dReLU outputs per token), the predictor's recall/precision and the hot-neuron
   share; these are printed and written to ``synth_report.json``.

Predictor
---------
The gate weights are planted as low rank plus noise in residual space,
``W_gate diag(w) = A B + N`` with ``B`` an orthonormal ``r0 x H`` basis
(``r0 = (R - 1) // 2`` for predictor rank ``R``, bias channel excluded), ``A`` random and
the noise ``N`` carrying a fraction ``ETA`` of the pre-activation variance; so
``A B`` is (up to the noise) the truncated SVD of the gate -- what a rank-``r0`` SVD of
the gate weights recovers.  The predictor (``fc1 [R, H]``, ReLU, ``fc2 [I, R]``, no
biases) reads the *un-normalised residual* (PowerInfer's choice, recorded as
``"input": "residual"`` in config.json) and computes

    fc1 = [B; -B; e_c / BETA; 0...]   so relu(fc1 r) = [relu(B r), relu(-B r), 1, 0...]
    fc2 = [A / tau, -A / tau, off + z, 0...]

i.e. ``score_i = ((A B r)_i + bias_i) / tau_i + z``, the low-rank estimate of the gate
pre-activation times ``rho``, in units of its measured error ``tau_i`` (std on the
calibration tokens), shifted by a per-layer margin ``z`` calibrated so that recall on the
calibration tokens is ``TARGET_RECALL``.  A neuron is predicted active iff
``score > threshold`` with ``threshold = 0``.  ReLU makes ``relu(v) - relu(-v) = v``,
so the rank-``r0`` linear map passes through exactly.  Errors come from the noise part
of the gate (and from ``up <= 0``, which the predictor does not try to model).
"""

import math
import zlib

import numpy as np

from .st_writer import quantize

BETA = 1.0            # value of the bias channel in every residual vector
ETA = 0.01            # share of gate pre-activation variance outside the low-rank part
PMAX = 0.95           # firing probability of the hottest neurons
DEFAULT_ALPHA = 0.8   # power-law exponent of the firing-probability profile
UP_ZERO = 0.08        # up <= 0 on a fraction UP_ZERO * (1 - p_i) of the tokens
TARGET_RECALL = 0.965  # predictor recall aimed at on the calibration tokens
BLOCK_RMS = 0.5       # rms of each attention / FFN block output
EMBED_STD = 1.0
LM_HEAD_STD = 2.0     # logits have roughly this std
SEQ_LEN = 64          # calibration sequence length
NORM_EPS = 1e-5

F32 = np.float32


def rng_for(seed, name):
    """Independent, reproducible random stream per tensor name."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def uniform(rng, shape, std):
    a = rng.random(shape, dtype=F32)
    a -= F32(0.5)
    a *= F32(std * math.sqrt(12.0))
    return a


def firing_profile(n, density, alpha, rng):
    """Per-neuron firing probabilities: power law, capped at PMAX, mean = density."""
    u = (np.arange(n, dtype=np.float64) + 0.5) / n
    base = u ** (-alpha)
    lo, hi = 0.0, PMAX / base.min()
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if np.minimum(PMAX, mid * base).mean() < density:
            lo = mid
        else:
            hi = mid
    p = np.minimum(PMAX, hi * base)
    return p[rng.permutation(n)]


def order_stat_threshold(t, frac):
    """For each column j of t [N, I] (inf = never fires), a threshold b_j such that a
    fresh sample has P(t < b_j) ~= frac_j: b_j interpolates the order statistics at
    1-based rank frac_j * (N + 1) (the k-th of N order statistics sits at expected
    quantile k / (N + 1), so this is unbiased for held-out data)."""
    n = t.shape[0]
    ts = np.sort(t, axis=0)
    finite = np.isfinite(ts)
    nf = finite.sum(axis=0)
    cols = np.arange(t.shape[1])
    fin_vals = np.where(finite, ts, np.nan)
    with np.errstate(all="ignore"):
        spread = np.nan_to_num(np.nanstd(fin_vals, axis=0), nan=1.0) + 1e-3
    j = frac * (n + 1) - 1.0                      # 0-based fractional index
    j0 = np.clip(np.floor(j).astype(np.int64), 0, np.maximum(nf - 1, 0))
    j1 = np.clip(j0 + 1, 0, np.maximum(nf - 1, 0))
    w = np.clip(j - j0, 0.0, 1.0)
    lo, hi = ts[j0, cols], ts[j1, cols]
    with np.errstate(all="ignore"):
        thr = lo + w * (hi - lo)
        thr = np.where(j1 == j0, lo, thr)
    first, last = ts[0, cols], ts[np.maximum(nf - 1, 0), cols]
    thr = np.where(j < 0, first - 0.5 * spread, thr)               # rarer than any sample
    thr = np.where(j > nf - 1, last + 0.5 * spread, thr)          # fires on all finite
    thr = np.where(nf == 0, 0.0, thr)
    return thr.astype(F32)


def rms_norm(x, w):
    var = np.mean(x * x, axis=-1, keepdims=True)
    return x / np.sqrt(var + F32(NORM_EPS)) * w


def rope(x, pos, theta):
    """x [..., T, D] with HF rotate_half convention."""
    d = x.shape[-1]
    inv = (1.0 / (theta ** (np.arange(0, d, 2, dtype=np.float64) / d))).astype(F32)
    ang = pos.astype(F32)[:, None] * inv[None, :]
    emb = np.concatenate([ang, ang], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    half = d // 2
    rot = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
    return x * cos + rot * sin


def softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def relu(x):
    return np.maximum(x, F32(0))


class Spec:
    """Validated generator parameters (see cli.py)."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    @property
    def head_dim(self):
        return self.hidden // self.heads

    @property
    def sparse(self):
        return self.arch in ("bamboo", "mixtral")


def default_calib_tokens(spec):
    h, i, d = spec.hidden, spec.intermediate, spec.head_dim
    per_tok = 2.0 * (h * d * (2 * spec.heads + 2 * spec.kv_heads) + 3 * h * i * (spec.top_k if spec.arch == "mixtral" else 1))
    n = 1.2e11 / per_tok
    n = int(2 ** round(math.log2(max(n, 1.0))))
    if spec.arch == "mixtral":
        n *= max(1, spec.experts // spec.top_k)
        return max(1024, min(8192, n))
    return max(512, min(4096, n))


class Builder:
    def __init__(self, spec, log):
        self.s = spec
        self.log = log
        self.store = {}      # name -> storage array (written to disk)
        self.stats = []      # per FFN stats rows

    # -- tensors --------------------------------------------------------------
    def put(self, name, a):
        """Round to the output dtype, keep storage, return the float32 view."""
        st, f = quantize(a, self.s.dtype)
        self.store[name] = st
        return f

    def norm_weight(self, name):
        w = 1.0 + uniform(rng_for(self.s.seed, name), (self.s.hidden,), 0.1)
        return self.put(name, w)

    # -- build ------------------------------------------------------------------
    def build(self):
        s = self.s
        H, V = s.hidden, s.vocab
        rng = rng_for(s.seed, "__structure__")
        self.c = int(rng.integers(0, H))
        emb = uniform(rng_for(s.seed, "model.embed_tokens.weight"), (V, H), EMBED_STD)
        emb[:, self.c] = BETA
        emb = self.put("model.embed_tokens.weight", emb)

        n_tok = s.calib_tokens
        t_len = min(SEQ_LEN, s.max_seq_len)
        n_seq = max(2, -(-n_tok // t_len))
        n_seq += n_seq % 2
        toks = rng_for(s.seed, "__calibration_tokens__").integers(0, V, size=(n_seq, t_len))
        self.cal = np.zeros(n_seq * t_len, dtype=bool)
        self.cal[: (n_seq // 2) * t_len] = True      # first half of the sequences
        self.n_seq, self.t_len = n_seq, t_len
        r = emb[toks]                                  # [S, T, H]
        for layer in range(s.layers):
            self.log(f"layer {layer + 1}/{s.layers}: attention")
            r = r + self.attention(layer, r)
            self.log(f"layer {layer + 1}/{s.layers}: ffn ({s.arch})")
            r = r + self.ffn(layer, r.reshape(-1, H)).reshape(r.shape)
        self.put("model.norm.weight", 1.0 + uniform(rng_for(s.seed, "model.norm.weight"), (H,), 0.1))
        self.put("lm_head.weight", uniform(rng_for(s.seed, "lm_head.weight"), (V, H), LM_HEAD_STD / math.sqrt(H)))
        return self.store, self.stats

    def attention(self, layer, r):
        s = self.s
        H, A, K, D = s.hidden, s.heads, s.kv_heads, s.head_dim
        p = f"model.layers.{layer}."
        w_in = self.norm_weight(p + "input_layernorm.weight")
        x = rms_norm(r, w_in)
        sq = 2.0 / math.sqrt(H)
        wq = self.put(p + "self_attn.q_proj.weight", uniform(rng_for(s.seed, p + "q"), (A * D, H), sq))
        wk = self.put(p + "self_attn.k_proj.weight", uniform(rng_for(s.seed, p + "k"), (K * D, H), sq))
        wv = self.put(p + "self_attn.v_proj.weight", uniform(rng_for(s.seed, p + "v"), (K * D, H), sq))
        S, T, _ = x.shape
        pos = np.arange(T)
        q = (x @ wq.T).reshape(S, T, A, D).transpose(0, 2, 1, 3)
        k = (x @ wk.T).reshape(S, T, K, D).transpose(0, 2, 1, 3)
        v = (x @ wv.T).reshape(S, T, K, D).transpose(0, 2, 1, 3)
        q, k = rope(q, pos, s.rope_theta), rope(k, pos, s.rope_theta)
        n_rep = A // K
        q = q.reshape(S, K, n_rep, T, D)
        sc = (q @ k[:, :, None].swapaxes(-1, -2)) / F32(math.sqrt(D))
        sc = np.where(np.tril(np.ones((T, T), dtype=bool)), sc, F32(-np.inf))
        o = (softmax(sc) @ v[:, :, None]).reshape(S, A, T, D).transpose(0, 2, 1, 3).reshape(S, T, A * D)
        wo = uniform(rng_for(s.seed, p + "o"), (H, A * D), 1.0 / math.sqrt(A * D))
        wo[self.c, :] = 0
        out = o @ wo.T
        wo *= F32(BLOCK_RMS / (np.sqrt(np.mean(out * out) * H / (H - 1)) + 1e-12))
        wo = self.put(p + "self_attn.o_proj.weight", wo)
        return o @ wo.T

    def ffn(self, layer, r):
        s = self.s
        p = f"model.layers.{layer}."
        w_post = self.norm_weight(p + "post_attention_layernorm.weight")
        x = rms_norm(r, w_post)
        if s.arch == "mistral":
            return self.swiglu(p + "mlp.", x)
        if s.arch == "bamboo":
            out, st = self.drelu(p + "mlp.", x, r, self.cal, w_post)
            st.update(layer=layer, expert=None)
            self.stats.append(st)
            return out
        return self.moe(layer, p + "block_sparse_moe.", x, r, w_post)

    def swiglu(self, p, x):
        s = self.s
        H, I = s.hidden, s.intermediate
        wg = self.put(p + "gate_proj.weight", uniform(rng_for(s.seed, p + "gate"), (I, H), 1.0 / math.sqrt(H)))
        wu = self.put(p + "up_proj.weight", uniform(rng_for(s.seed, p + "up"), (I, H), 1.0 / math.sqrt(H)))
        g = x @ wg.T
        h = g / (F32(1) + np.exp(-g)) * (x @ wu.T)
        wd = self.scaled_down(p, h, self.cal)
        wd = self.put(p + "down_proj.weight", wd)
        return h @ wd.T

    def scaled_down(self, p, h, cal):
        """Random down_proj (row c zero) scaled so the block output has rms BLOCK_RMS."""
        s = self.s
        H, I = s.hidden, h.shape[1]
        wd = uniform(rng_for(s.seed, p + "down"), (H, I), 1.0 / math.sqrt(I))
        wd[self.c, :] = 0
        out = h[cal] @ wd.T
        ms = float(np.mean(out * out)) * H / (H - 1)
        wd *= F32(BLOCK_RMS / (math.sqrt(ms) + 1e-12))
        return wd

    def moe(self, layer, p, x, r, w_post):
        s = self.s
        E, k = s.experts, s.top_k
        wr = self.put(p + "gate.weight", uniform(rng_for(s.seed, p + "router"), (E, s.hidden), 1.0 / math.sqrt(s.hidden)))
        probs = softmax(x @ wr.T)
        top = np.argsort(-probs, axis=-1, kind="stable")[:, :k]
        tw = np.take_along_axis(probs, top, axis=-1)
        tw = tw / tw.sum(axis=-1, keepdims=True)
        out = np.zeros_like(x)
        for e in range(E):
            sel = np.any(top == e, axis=-1)
            wsel = np.sum(np.where(top == e, tw, 0), axis=-1)[sel]
            if self.cal[sel].sum() < 16 or (~self.cal[sel]).sum() < 16:
                raise RuntimeError(f"layer {layer} expert {e}: too few calibration tokens routed "
                                   f"({int(sel.sum())}); raise --calib-tokens")
            self.log(f"layer {layer}: expert {e + 1}/{E}")
            y, st = self.drelu(f"{p}experts.{e}.", x[sel], r[sel], self.cal[sel], w_post,
                               names=("w1", "w3", "w2"))
            out[sel] += wsel[:, None] * y
            st.update(layer=layer, expert=e)
            self.stats.append(st)
        return out

    def drelu(self, p, x, r, cal, w_post, names=("gate_proj", "up_proj", "down_proj")):
        """Plant one dReLU FFN (dense layer or expert) on input rows x (normed) / r
        (residual); cal marks calibration rows.  Returns (output rows, stats)."""
        s = self.s
        H, I, c = s.hidden, s.intermediate, self.c
        r0 = (s.predictor_rank - 1) // 2
        rng = rng_for(s.seed, p + "gate")
        others = np.array([j for j in range(H) if j != c])
        q_, _ = np.linalg.qr(rng.standard_normal((H - 1, r0)).astype(F32))
        basis = np.zeros((r0, H), dtype=F32)
        basis[:, others] = q_.T
        a = uniform(rng, (I, r0), math.sqrt((1.0 - ETA) / r0))
        mg = a @ basis
        mg += uniform(rng, (I, H), math.sqrt(ETA / (H - 1)))
        mg[:, c] = 0
        mu = uniform(rng_for(s.seed, p + "up"), (I, H), 1.0 / math.sqrt(H - 1))
        mu[:, c] = 0
        inv_w = (F32(1) / np.where(w_post == 0, F32(1), w_post)).astype(F32)
        mg *= inv_w                       # x-space weights: g = Wg x, x = w * r / rho
        mu *= inv_w
        _, wg = quantize(mg, s.dtype)
        _, wu = quantize(mu, s.dtype)
        del mg, mu
        xc = x[:, c]
        g0 = x @ wg.T
        u0 = x @ wu.T
        # -- biases (column c) ------------------------------------------------
        prof_rng = rng_for(s.seed, p + "profile")
        prob = firing_profile(I, 1.0 - s.sparsity, s.alpha, prof_rng)
        q_up = 1.0 - UP_ZERO * (1.0 - prob)
        xcc = xc[cal][:, None]
        bu = order_stat_threshold(-u0[cal] / xcc, q_up)
        _, bu = quantize(bu, s.dtype)
        u = u0 + xc[:, None] * bu[None, :]
        tg = np.where(u[cal] > 0, -g0[cal] / xcc, np.inf)
        bg = order_stat_threshold(tg, prob)
        _, bg = quantize(bg, s.dtype)
        g = g0 + xc[:, None] * bg[None, :]
        wg[:, c] = bg
        wu[:, c] = bu
        h = relu(g) * relu(u)
        self.store[p + names[0] + ".weight"] = quantize(wg, s.dtype)[0]
        self.store[p + names[1] + ".weight"] = quantize(wu, s.dtype)[0]
        wd = self.put(p + names[2] + ".weight", self.scaled_down(p, h, cal))
        out = h @ wd.T
        active = h != 0
        del g0, u0
        # -- predictor ----------------------------------------------------------
        R = s.predictor_rank
        rho = np.sqrt(np.mean(r * r, axis=-1) + F32(NORM_EPS))[:, None]
        low = (r @ basis.T) @ a.T                       # low-rank part of g * rho (no bias)
        bias_res = bg * w_post[c] * F32(BETA)           # bias part of g * rho
        err = g[cal] * rho[cal] - bias_res - low[cal]
        err_mean = np.mean(err, axis=0)
        tau = (np.std(err, axis=0) + F32(1e-6)).astype(F32)
        fc1 = np.zeros((R, H), dtype=F32)
        fc1[:r0] = basis
        fc1[r0:2 * r0] = -basis
        fc1[2 * r0, c] = F32(1.0 / BETA)
        fc1 = self.put(p + "predictor.fc1.weight", fc1)
        fc2 = np.zeros((I, R), dtype=F32)
        fc2[:, :r0] = a / tau[:, None]
        fc2[:, r0:2 * r0] = -a / tau[:, None]
        _, fc2 = quantize(fc2, s.dtype)
        feat = relu(r @ fc1.T)
        part = feat[:, :2 * r0] @ fc2[:, :2 * r0].T
        fb = feat[:, 2 * r0:2 * r0 + 1]                 # the constant feature (~1)
        off = (bias_res + err_mean) / tau
        base = part + fb * off[None, :]
        act_cal = active[cal]
        if act_cal.any():
            z = -float(np.quantile((base[cal])[act_cal], 1.0 - TARGET_RECALL)) / float(np.mean(fb))
        else:
            z = 0.0
        fc2[:, 2 * r0] = off + F32(z)
        fc2 = self.put(p + "predictor.fc2.weight", fc2)
        score = feat @ fc2.T
        pred = score > F32(0.0)
        # -- held-out statistics --------------------------------------------------
        ho = ~cal
        a_ho, p_ho = active[ho], pred[ho]
        n_act, n_pred = int(a_ho.sum()), int(p_ho.sum())
        tp = int((a_ho & p_ho).sum())
        freq = np.sort(a_ho.sum(axis=0))[::-1]
        top10 = max(1, I // 10)
        st = {
            "target_sparsity": s.sparsity,
            "sparsity": 1.0 - n_act / a_ho.size,
            "gate_zero": float(np.mean(g[ho] <= 0)),
            "up_zero": float(np.mean(u[ho] <= 0)),
            "recall": tp / n_act if n_act else 1.0,
            "precision": tp / n_pred if n_pred else 1.0,
            "predicted_density": n_pred / a_ho.size,
            "hot10_share": float(freq[:top10].sum() / max(1, freq.sum())),
            "calib_tokens": int(cal.sum()),
            "heldout_tokens": int(ho.sum()),
        }
        return out, st

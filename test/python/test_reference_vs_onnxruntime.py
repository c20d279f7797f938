"""numpy reference vs onnxruntime on the ONNX export, and the reference's mask modes."""

import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from safetensors import safe_open

from conftest import REFERENCE

import sparsec_reference as sr

N_STEPS = 20


def ort_decode(model_dir, tokens):
    """Greedy-free decode of `tokens` with onnxruntime (CPU), feeding present -> past."""
    cfg = json.load(open(model_dir / "config.json"))
    L, K = cfg["num_hidden_layers"], cfg["num_key_value_heads"]
    D = cfg["hidden_size"] // cfg["num_attention_heads"]
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(model_dir / "model.onnx"), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    past = {}
    for n in range(L):
        past[f"past_key_values.{n}.key"] = np.zeros((1, K, 0, D), np.float32)
        past[f"past_key_values.{n}.value"] = np.zeros((1, K, 0, D), np.float32)
    logits = []
    for pos, tok in enumerate(tokens):
        feeds = {"input_ids": np.array([[tok]], np.int64),
                 "position_ids": np.array([[pos]], np.int64), **past}
        res = dict(zip(names, sess.run(None, feeds)))
        for n in range(L):
            past[f"past_key_values.{n}.key"] = res[f"present.{n}.key"]
            past[f"past_key_values.{n}.value"] = res[f"present.{n}.value"]
            assert res[f"present.{n}.key"].shape == (1, K, pos + 1, D)
        logits.append(res["logits"].reshape(-1))
    return np.stack(logits)


def assert_close(ref, got):
    # Both compute in float32 from the same (upcast) weights; they differ only in
    # summation order (BLAS / onnxruntime kernels vs numpy), exp/sin/cos/sqrt
    # implementations and reduction trees.  That is a few float32 ulps per op,
    # compounding over 2 layers to ~1e-6 relative; 1e-4 * max(1, max|logit|) leaves a
    # wide margin while still catching any semantic difference (a wrong RoPE half,
    # GQA head mapping, router renormalisation or activation changes logits by O(0.1)).
    tol = 1e-4 * max(1.0, float(np.max(np.abs(ref))))
    err = float(np.max(np.abs(ref - got)))
    assert err <= tol, f"max |ref - onnxruntime| = {err} > {tol}"


@pytest.mark.parametrize("arch", ["mistral", "bamboo", "mixtral"])
def test_reference_matches_onnxruntime(models, arch):
    d, _ = models[arch]
    tokens = np.random.default_rng(5).integers(0, 256, size=N_STEPS)
    ref = sr.Reference(str(d)).run(tokens)
    got = ort_decode(d, tokens)
    assert ref.shape == got.shape == (N_STEPS, 256)
    assert_close(ref, got)
    # not trivially equal: different tokens give different logits at every step
    assert np.all(np.std(ref, axis=1) > 0.1)


@pytest.mark.parametrize("dt", ["f16", "bf16"])
def test_reference_matches_onnxruntime_lowp(lowp_models, dt):
    d = lowp_models[dt]
    tokens = np.random.default_rng(6).integers(0, 256, size=16)
    assert_close(sr.Reference(str(d)).run(tokens), ort_decode(d, tokens))


def dense_and(model_dir, tokens, **kw):
    return sr.Reference(str(model_dir)).run(tokens), sr.Reference(str(model_dir), **kw).run(tokens)


@pytest.mark.parametrize("arch", ["bamboo", "mixtral"])
def test_all_true_mask_is_dense(models, arch):
    d, _ = models[arch]
    I = json.load(open(d / "config.json"))["intermediate_size"]
    tokens = [7, 3, 250, 11, 42, 42, 0, 255]
    dense, masked = dense_and(d, tokens, mask_fn=lambda layer, expert, x, r: np.ones(I, bool))
    assert np.array_equal(dense, masked)
    dense, masked = dense_and(d, tokens, masks={(l, e): np.ones(I, bool)
                                                for l in range(2) for e in [None, *range(8)]})
    assert np.array_equal(dense, masked)


@pytest.mark.parametrize("arch", ["bamboo", "mixtral"])
def test_exact_mask_is_dense(models, arch):
    """The 'exact' sparse mode: masking to the true dReLU active set changes nothing."""
    d, _ = models[arch]
    ref = sr.Reference(str(d))

    def exact(layer, expert, x, r):
        p = (f"model.layers.{layer}.mlp." if expert is None
             else f"model.layers.{layer}.block_sparse_moe.experts.{expert}.")
        g = ref.w(p + ("gate_proj.weight" if expert is None else "w1.weight")) @ x
        u = ref.w(p + ("up_proj.weight" if expert is None else "w3.weight")) @ x
        return (g > 0) & (u > 0)

    tokens = [1, 2, 3, 4, 200, 100, 50, 25]
    masked = sr.Reference(str(d), mask_fn=exact).run(tokens)
    assert np.array_equal(masked, ref.run(tokens))
    # a real mask does change the result
    I = ref.I
    drop = sr.Reference(str(d), mask_fn=lambda l, e, x, r: np.arange(I) % 2 == 0).run(tokens)
    assert np.max(np.abs(drop - masked)) > 1e-3


@pytest.mark.parametrize("arch", ["bamboo", "mixtral"])
def test_predicted_mode_uses_checkpoint_predictor(models, arch):
    d, _ = models[arch]
    cfg = json.load(open(d / "config.json"))
    thr = cfg["sparsec_predictor"]["threshold"]
    with safe_open(str(d / "model.safetensors"), framework="numpy") as f:
        w = {k: f.get_tensor(k) for k in f.keys() if ".predictor." in k}

    def predictor(layer, expert, x, resid):
        p = (f"model.layers.{layer}.mlp." if expert is None
             else f"model.layers.{layer}.block_sparse_moe.experts.{expert}.")
        fc1, fc2 = w[p + "predictor.fc1.weight"], w[p + "predictor.fc2.weight"]
        return fc2 @ np.maximum(fc1 @ resid, 0) > thr        # input: residual

    tokens = np.random.default_rng(9).integers(0, 256, size=24)
    pred = sr.Reference(str(d), mode="predicted").run(tokens)
    manual = sr.Reference(str(d), mask_fn=predictor).run(tokens)
    dense = sr.Reference(str(d)).run(tokens)
    assert np.array_equal(pred, manual)
    assert not np.array_equal(pred, dense)                  # recall < 1 drops some neurons
    # ... but the predictor keeps most of the signal
    cos = np.sum(pred * dense, axis=1) / (np.linalg.norm(pred, axis=1) * np.linalg.norm(dense, axis=1))
    assert np.all(cos > 0.9)


def test_moe_routing_trace(models):
    d, _ = models["mixtral"]
    ref = sr.Reference(str(d), record=True)
    ref.run([5, 6, 7, 8])
    used = set()
    for rec in ref.trace:
        for layer in range(2):
            top, wts = rec[("experts", layer)]
            assert len(top) == 2 and len(set(top.tolist())) == 2
            assert abs(float(np.sum(wts)) - 1.0) < 1e-6 and np.all(wts > 0)
            used |= set(top.tolist())
            assert {k[1] for k in rec if k[0] == layer} == set(top.tolist())
    assert len(used) > 2


def test_rope_convention():
    """rotate_half RoPE: pair (i, i + D/2) rotates by pos * theta^(-2i/D)."""
    r = sr.Reference.__new__(sr.Reference)
    r.D, r.inv_freq = 4, np.array([1.0, 0.01], np.float32)
    x = np.array([[1.0, 0.0, 0.0, 0.0]], np.float32)
    assert np.allclose(r.rope(x, 0), x)
    y = r.rope(x, 2)
    assert np.allclose(y, [[np.cos(2.0), 0.0, np.sin(2.0), 0.0]], atol=1e-6)


def test_reference_cli(models, tmp_path):
    d, _ = models["bamboo"]
    out = tmp_path / "logits.npy"
    r = subprocess.run([sys.executable, str(REFERENCE), str(d), "--tokens", "1,2,3", "--print-topk", "3",
                        "--save-logits", str(out), "--stats"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [l.split()[:4] for l in lines[:3]] == [["step", str(i), "token", f"{i + 1}:"] for i in range(3)]
    assert all("top:" in l for l in lines[:3]) and any("recall" in l for l in lines)
    assert np.array_equal(np.load(out), sr.Reference(str(d)).run([1, 2, 3]))
    bad = subprocess.run([sys.executable, str(REFERENCE), str(tmp_path / "none"), "--tokens", "1"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1

"""Tests of sparsec-synth: checkpoint format, determinism, planted statistics, CLI errors."""

import json
import os

import numpy as np
import pytest
from safetensors import safe_open

from conftest import TINY, list_files, run_synth, synth_tiny

import sparsec_reference as sr


def read_all(model_dir):
    """All tensors via the PyPI safetensors package (independent of both our writer and
    the reference's reader)."""
    d = str(model_dir)
    idx = os.path.join(d, "model.safetensors.index.json")
    files = (sorted(set(json.load(open(idx))["weight_map"].values())) if os.path.exists(idx)
             else ["model.safetensors"])
    out = {}
    for fn in files:
        with safe_open(os.path.join(d, fn), framework="numpy") as f:
            for k in f.keys():
                out[k] = f.get_tensor(k)
    return out


def expected_shapes(arch, cfg):
    H, I, L, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    A, K = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    D = H // A
    R = cfg.get("sparsec_predictor", {}).get("rank")
    s = {"model.embed_tokens.weight": (V, H), "model.norm.weight": (H,), "lm_head.weight": (V, H)}
    for n in range(L):
        p = f"model.layers.{n}."
        s[p + "input_layernorm.weight"] = (H,)
        s[p + "post_attention_layernorm.weight"] = (H,)
        s[p + "self_attn.q_proj.weight"] = (A * D, H)
        s[p + "self_attn.k_proj.weight"] = (K * D, H)
        s[p + "self_attn.v_proj.weight"] = (K * D, H)
        s[p + "self_attn.o_proj.weight"] = (H, A * D)
        if arch == "mixtral":
            E = cfg["num_local_experts"]
            s[p + "block_sparse_moe.gate.weight"] = (E, H)
            for e in range(E):
                q = f"{p}block_sparse_moe.experts.{e}."
                s[q + "w1.weight"] = (I, H)
                s[q + "w3.weight"] = (I, H)
                s[q + "w2.weight"] = (H, I)
                s[q + "predictor.fc1.weight"] = (R, H)
                s[q + "predictor.fc2.weight"] = (I, R)
        else:
            s[p + "mlp.gate_proj.weight"] = (I, H)
            s[p + "mlp.up_proj.weight"] = (I, H)
            s[p + "mlp.down_proj.weight"] = (H, I)
            if arch == "bamboo":
                s[p + "mlp.predictor.fc1.weight"] = (R, H)
                s[p + "mlp.predictor.fc2.weight"] = (I, R)
    return s


ARCH_CFG = {
    "mistral": ("MistralForCausalLM", "mistral", "silu"),
    "bamboo": ("BambooForCausalLM", "bamboo", "relu"),
    "mixtral": ("TurboSparseMixtralForCausalLM", "mixtral", "relu"),
}


@pytest.mark.parametrize("arch", ["mistral", "bamboo", "mixtral"])
def test_config_and_tensor_names(models, arch):
    d, _ = models[arch]
    cfg = json.load(open(d / "config.json"))
    archs, mtype, act = ARCH_CFG[arch]
    assert cfg["architectures"] == [archs]
    assert cfg["model_type"] == mtype
    assert cfg["hidden_act"] == act
    assert cfg["hidden_size"] == 64 and cfg["num_hidden_layers"] == 2
    assert cfg["num_attention_heads"] == 4 and cfg["num_key_value_heads"] == 2
    assert cfg["vocab_size"] == 256 and cfg["tie_word_embeddings"] is False
    assert cfg["torch_dtype"] == "float32" and cfg["sliding_window"] is None
    assert cfg["rms_norm_eps"] == 1e-5 and cfg["rope_theta"] > 1
    if arch == "mixtral":
        assert cfg["num_local_experts"] == 8 and cfg["num_experts_per_tok"] == 2
    if arch == "mistral":
        assert "sparsec_predictor" not in cfg
    else:
        pc = cfg["sparsec_predictor"]
        assert pc["input"] == "residual" and pc["threshold"] == 0.0
        assert pc["rank"] == max(8, min(1024, cfg["intermediate_size"] // 8 // 8 * 8))
    tensors = read_all(d)
    shapes = expected_shapes(arch, cfg)
    assert set(tensors) == set(shapes)
    for name, shp in shapes.items():
        assert tensors[name].shape == shp, name
        assert tensors[name].dtype == np.float32
        assert np.all(np.isfinite(tensors[name])), name
    files = list_files(d)
    assert files == ["config.json", "model.onnx", "model.safetensors", "synth_report.json"]


def test_reference_reader_matches_pypi_safetensors(models):
    d, _ = models["mixtral"]
    ck = sr.Checkpoint(str(d))
    tensors = read_all(d)
    assert set(ck.index) == set(tensors)
    for k, v in tensors.items():
        assert np.array_equal(ck.get(k), v), k


def test_lowp_dtypes(lowp_models, models):
    for dt, d in lowp_models.items():
        cfg = json.load(open(d / "config.json"))
        assert cfg["torch_dtype"] == {"f16": "float16", "bf16": "bfloat16"}[dt]
        ck = sr.Checkpoint(str(d))
        assert {v[1] for v in ck.index.values()} == {dt.upper()}
        if dt == "f16":
            tensors = read_all(d)
            for k, v in tensors.items():
                assert v.dtype == np.float16
                assert np.array_equal(ck.get(k), v.astype(np.float32)), k
        else:
            # bf16: the reference's upcast must be exact (low 16 mantissa bits zero)
            w = ck.get("model.layers.0.mlp.gate_proj.weight")
            assert np.all((w.view(np.uint32) & 0xFFFF) == 0)
        # same seed, lower precision: the same model up to rounding
        ref32 = sr.Checkpoint(str(models["bamboo"][0])).get("model.layers.1.self_attn.q_proj.weight")
        w = ck.get("model.layers.1.self_attn.q_proj.weight")
        rel = {"f16": 1e-3, "bf16": 8e-3}[dt]
        assert np.allclose(w, ref32, rtol=rel, atol=1e-6)


def test_deterministic_and_seeded(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    synth_tiny("bamboo", a, "--seed", "7")
    synth_tiny("bamboo", b, "--seed", "7")
    synth_tiny("bamboo", c, "--seed", "8")
    assert list_files(a) == list_files(b)
    for fn in list_files(a):
        assert (a / fn).read_bytes() == (b / fn).read_bytes(), fn
    assert (a / "model.safetensors").read_bytes() != (c / "model.safetensors").read_bytes()


def test_sharded_checkpoint(tmp_path, models):
    d = tmp_path / "sharded"
    synth_tiny("bamboo", d, "--max-shard-size", "100KiB", onnx=False)
    idx = json.load(open(d / "model.safetensors.index.json"))
    files = sorted(set(idx["weight_map"].values()))
    assert len(files) > 3
    assert all(f.startswith("model-") and f.endswith(f"-of-{len(files):05d}.safetensors") for f in files)
    assert sorted(f for f in list_files(d) if f.endswith(".safetensors")) == files
    assert "model.safetensors" not in list_files(d)
    sharded = read_all(d)
    single = read_all(models["bamboo"][0])
    assert set(sharded) == set(single) == set(idx["weight_map"])
    assert idx["metadata"]["total_size"] == sum(v.nbytes for v in single.values())
    for k in single:
        assert np.array_equal(sharded[k], single[k]), k
        assert os.path.getsize(d / idx["weight_map"][k]) <= 100 * 1024 or single[k].nbytes > 100 * 1024
    toks = [3, 1, 4, 1, 5, 9, 2, 6]
    assert np.array_equal(sr.Reference(str(d)).run(toks), sr.Reference(str(models["bamboo"][0])).run(toks))


@pytest.mark.parametrize("arch", ["bamboo", "mixtral"])
def test_planted_sparsity_and_recall(models, arch):
    d, proc = models[arch]
    rep = json.load(open(d / "synth_report.json"))
    rows = rep["ffn"]
    assert len(rows) == (2 * 8 if arch == "mixtral" else 2)
    for st in rows:
        assert abs(st["sparsity"] - 0.9) <= 0.02, st
        assert st["recall"] >= 0.95, st
        assert st["precision"] > 0.5, st               # a useful predictor, not "all active"
        assert st["hot10_share"] > 0.3, st             # power law: uniform would give 0.1
        assert 0 < st["up_zero"] < 0.2, st             # dReLU's second ReLU does clip
    assert rep["acceptance"]["ok"]
    # the same table is printed on stdout
    out = proc.stdout
    assert "sparsity" in out and "recall" in out and "precision" in out
    assert "acceptance:" in out and ": ok" in out
    assert sum(1 for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()) == len(rows)


@pytest.mark.parametrize("arch", ["bamboo", "mixtral"])
def test_statistics_hold_in_reference_decode(models, arch):
    """Independent check: decode random sequences with the numpy reference and measure
    the dReLU sparsity and the checkpoint predictor's recall from its trace."""
    d, _ = models[arch]
    ref = sr.Reference(str(d), record=True)
    rng = np.random.default_rng(123)
    trace = []
    for _ in range(4):
        ref.run(rng.integers(0, 256, size=48))
        trace += ref.trace
    stats = sr.trace_stats(trace)
    acts = [v for v in stats.values()]
    assert acts
    tot = sum(v["samples"] for v in acts)
    sparsity = sum(v["sparsity"] * v["samples"] for v in acts) / tot
    recall = sum(v["recall"] * v["samples"] * (1 - v["sparsity"]) for v in acts) / \
        sum(v["samples"] * (1 - v["sparsity"]) for v in acts)
    assert abs(sparsity - 0.9) <= 0.03
    assert recall >= 0.93
    # hot and cold neurons: per-neuron firing counts are far from uniform
    key = (0, None) if arch == "bamboo" else next(k for k in stats if k[0] == 0)
    counts = sum(rec[key]["active"].astype(int) for rec in trace if key in rec)
    top = np.sort(counts)[::-1]
    assert top[: len(top) // 10].sum() > 0.3 * top.sum()


def test_sparsity_option(tmp_path):
    d = tmp_path / "s70"
    synth_tiny("bamboo", d, "--sparsity", "0.7", "--predictor-rank", "24", onnx=False)
    rep = json.load(open(d / "synth_report.json"))
    for st in rep["ffn"]:
        assert abs(st["sparsity"] - 0.7) <= 0.02 and st["recall"] >= 0.95
    cfg = json.load(open(d / "config.json"))
    assert cfg["sparsec_predictor"]["rank"] == 24
    assert sr.Checkpoint(str(d)).shape("model.layers.0.mlp.predictor.fc1.weight") == (24, 64)


def test_help():
    r = run_synth("--help")
    assert r.returncode == 0 and "--arch" in r.stdout and "--predictor-rank" in r.stdout


BASE = ["--hidden", "64", "--intermediate", "128", "--layers", "1", "--heads", "4",
        "--kv-heads", "2", "--vocab", "64"]


def replace(args, flag, value):
    a = list(args)
    a[a.index(flag) + 1] = value
    return a


BAD = {
    "heads-not-dividing-hidden": (["--arch", "bamboo", *replace(BASE, "--heads", "6")], "does not divide"),
    "kv-not-dividing-heads": (["--arch", "bamboo", *replace(BASE, "--kv-heads", "3")], "does not divide"),
    "odd-head-dim": (["--arch", "bamboo", *replace(replace(BASE, "--heads", "64"), "--kv-heads", "1")], "even"),
    "experts-for-bamboo": (["--arch", "bamboo", *BASE, "--experts", "4"], "only valid with --arch mixtral"),
    "top-k-for-mistral": (["--arch", "mistral", *BASE, "--top-k", "2"], "only valid with --arch mixtral"),
    "top-k-gt-experts": (["--arch", "mixtral", *BASE, "--experts", "2", "--top-k", "3"], "larger than --experts"),
    "sparsity-for-mistral": (["--arch", "mistral", *BASE, "--sparsity", "0.9"], "--sparsity"),
    "sparsity-out-of-range": (["--arch", "bamboo", *BASE, "--sparsity", "1.5"], "out of range"),
    "rank-too-large": (["--arch", "bamboo", *BASE, "--predictor-rank", "500"], "too large"),
    "missing-vocab": (["--arch", "bamboo", *BASE[:-2]], "--vocab"),
    "bad-arch": (["--arch", "llama", *BASE], "--arch"),
    "bad-dtype": (["--arch", "bamboo", *BASE, "--dtype", "f8"], "--dtype"),
    "zero-hidden": (["--arch", "bamboo", *replace(BASE, "--hidden", "0")], "positive integer"),
    "bad-shard-size": (["--arch", "bamboo", *BASE, "--max-shard-size", "lots"], "invalid size"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments(tmp_path, case):
    args, needle = BAD[case]
    out = tmp_path / "out"
    r = run_synth(*args, "-o", out)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("sparsec-synth: error: ") and needle in lines[0], lines[0]
    assert not out.exists()
    assert list_files(tmp_path) == []


def test_existing_output_is_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    r = run_synth("--arch", "bamboo", *BASE, "-o", out)
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1
    assert "already exists" in r.stderr
    assert list_files(out) == ["keep.txt"]
    r = run_synth("--arch", "bamboo", *BASE, "--dtype", "f32", "--force", "-q", "-o", out)
    assert r.returncode == 0, r.stderr
    assert "keep.txt" not in list_files(out) and "config.json" in list_files(out)
    assert list_files(tmp_path) == ["out"]


def test_failure_while_generating_leaves_nothing(tmp_path):
    # too few calibration tokens per expert is only found after routing, mid-build
    out = tmp_path / "new" / "nested" / "out"
    r = run_synth("--arch", "mixtral", *BASE, "--experts", "8", "--top-k", "1",
                  "--calib-tokens", "64", "-q", "-o", out)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "too few calibration tokens" in lines[0], r.stderr
    assert list_files(tmp_path) == []


def test_tiny_shapes_listed_are_valid():
    # keep the shared TINY table honest (heads divide hidden etc.)
    for arch, args in TINY.items():
        kv = dict(zip(args[::2], args[1::2]))
        assert int(kv["--hidden"]) % int(kv["--heads"]) == 0
        assert int(kv["--heads"]) % int(kv["--kv-heads"]) == 0

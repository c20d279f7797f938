"""Shared fixtures for the Python tooling tests (sparsec-synth, numpy reference).

Run with the project's venv:  build/venv/bin/python -m pytest test/python
Tiny float32 models are generated into pytest's tmp dirs; nothing is written to the
source tree.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYNTH = ROOT / "tools" / "sparsec-synth" / "sparsec-synth"
REFERENCE_DIR = ROOT / "tools" / "reference"
REFERENCE = REFERENCE_DIR / "sparsec_reference.py"
# The CMake build folder whose bin/ holds the C++ tools the tests run
# (sparsec-tokenize, sparsec-chat-render, sparsec-gguf-dump):
# $SPARSEC_BUILD_DIR, by default build/.
BUILD_DIR = Path(os.environ.get("SPARSEC_BUILD_DIR", ROOT / "build"))


def build_tool(name):
    """Path of a tool built into BUILD_DIR/bin; skips the test when it is missing."""
    path = BUILD_DIR / "bin" / name
    if not path.exists():
        pytest.skip(f"{path} not built (set SPARSEC_BUILD_DIR to the build folder)")
    return path


if str(REFERENCE_DIR) not in sys.path:
    sys.path.insert(0, str(REFERENCE_DIR))

# Tiny shapes: big enough for meaningful statistics, small enough to run in ~0.3 s each.
TINY = {
    "mistral": ["--hidden", "64", "--intermediate", "128", "--layers", "2", "--heads", "4",
                "--kv-heads", "2", "--vocab", "256"],
    "bamboo": ["--hidden", "64", "--intermediate", "256", "--layers", "2", "--heads", "4",
               "--kv-heads", "2", "--vocab", "256"],
    "mixtral": ["--hidden", "64", "--intermediate", "128", "--layers", "2", "--heads", "4",
                "--kv-heads", "2", "--vocab", "256", "--experts", "8", "--top-k", "2"],
}


def run_synth(*args):
    return subprocess.run([sys.executable, str(SYNTH), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def synth_tiny(arch, out, *extra, dtype="f32", onnx=True):
    args = ["--arch", arch, *TINY[arch], "--dtype", dtype, *extra]
    if onnx:
        args.append("--onnx")
    r = run_synth(*args, "-o", out)
    assert r.returncode == 0, f"sparsec-synth failed: {r.stderr}"
    return r


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """arch -> (model dir, CompletedProcess) for tiny f32 models with ONNX exports."""
    base = tmp_path_factory.mktemp("models")
    out = {}
    for arch in ("mistral", "bamboo", "mixtral"):
        d = base / arch
        out[arch] = (d, synth_tiny(arch, d))
    return out


@pytest.fixture(scope="session")
def lowp_models(tmp_path_factory):
    """dtype -> model dir for tiny bamboo models stored as f16 / bf16 (with ONNX)."""
    base = tmp_path_factory.mktemp("lowp")
    out = {}
    for dt in ("f16", "bf16"):
        d = base / f"bamboo-{dt}"
        synth_tiny("bamboo", d, dtype=dt)
        out[dt] = d
    return out


def list_files(d):
    return sorted(os.listdir(d))


def build_tool(name):
    """BUILD_DIR/bin/NAME; skips the test when that build has not made it."""
    path = BUILD_DIR / "bin" / name
    if not path.is_file():
        pytest.skip(f"{path} is not built (build the runtime tests, or point "
                    f"SPARSEC_BUILD_DIR at a build that has it)")
    return path

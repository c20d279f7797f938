#!/usr/bin/env bash
# Configures a sparsec build folder with the recommended toolchain:
# Debian's LLVM/MLIR 22, clang-22 + lld, Ninja, libMLIR.so.
#   configure.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${SPARSEC_BUILD_DIR:-$root/build}}"
shift || true
if [ -f "$build/build.ninja" ] && [ "$#" -eq 0 ]; then
  exit 0 # already configured; ninja re-runs cmake itself when needed
fi
cmake -G Ninja -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DLLVM_USE_LINKER=lld \
  -DSPARSEC_LINK_MLIR_DYLIB=ON "$@"

#!/usr/bin/env bash
# Configures, builds and tests runtime/ alone (SPARSEC_BUILD_COMPILER=OFF):
# proof that the runtime needs nothing from LLVM/MLIR.
#   build-runtime-only.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src="$1"
build="$2"
cmake -G Ninja -S "$src" -B "$build" -DSPARSEC_BUILD_COMPILER=OFF \
  -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 ||
  { cat "$build.configure.log"; exit 1; }
if grep -q "MLIRConfig" "$build/CMakeCache.txt"; then
  echo "build-runtime-only: MLIR was found by a compiler-off configure" >&2
  exit 1
fi
cmake --build "$build" -j 2
ctest --test-dir "$build" --output-on-failure

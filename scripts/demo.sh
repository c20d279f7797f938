#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds
# sparsec-opt, and runs the import-cleanup pipeline over a two-layer
# TurboSparse-Mixtral-shaped decode step (test/models), printing what the
# model is made of. (Compiling a model to an executable arrives with CPU
# codegen.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"
model="$root/test/models/mixtral-2layer-decode-step.mlir"

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build"
echo "demo: building sparsec-opt"
cmake --build "$build" -j 2 --target sparsec-opt

echo
echo "demo: sparsec-opt --sparsec-import-cleanup $(basename "$model")"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
"$build/bin/sparsec-opt" "$model" --sparsec-import-cleanup \
  --print-op-stats -o "$out" 2>&1
echo "demo: the model verified; $(grep -c 'llm.param' "$out") named weights, e.g.:"
grep -m 3 -o 'llm.param "[^"]*" : tensor<[^>]*>' "$out" | sed 's/^/  /'
echo "demo: its MoE blocks:"
grep -o 'llm.moe .*' "$out" | grep -o '{activation[^}]*}' | sed 's/^/  /'

#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, then
#   1. generates a small TurboSparse-Mistral-shaped checkpoint (sparsec-synth,
#      dReLU with 90% planted sparsity and fitted predictors),
#   2. imports it to llm IR (sparsec import),
#   3. runs the sparse pipeline with the generator's calibration report
#      (sparsec-opt --sparsec-sparsify-pipeline, decisions printed),
#   4. packs the weights in the layout the kernels read (sparsec pack),
# and prints what a decoded token reads, dense vs predicted.
# (Running the compiled model arrives with CPU codegen.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"
work="$build/demo"

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build"
echo "demo: building"
cmake --build "$build" -j 2 --target sparsec sparsec-opt

bin="$build/bin"
rm -rf "$work" && mkdir -p "$work"
echo
echo "demo: 1. sparsec-synth: TurboSparse-Mistral-shaped, hidden 512, intermediate 1792, 4 layers"
"$bin/sparsec-synth" --arch bamboo --hidden 512 --intermediate 1792 --layers 4 \
  --heads 8 --kv-heads 2 --vocab 4096 --sparsity 0.9 --predictor-rank 128 \
  --dtype f16 --seed 0 -o "$work/model" 2>/dev/null
echo
echo "demo: 2. sparsec import"
"$bin/sparsec" import "$work/model" -o "$work/model.mlir"
echo "  $(grep -c 'llm.param' "$work/model.mlir") weights, $(grep -c 'llm.ffn' "$work/model.mlir") FFN blocks with predictors"
echo
echo "demo: 3. sparse pipeline (decisions from the calibration report)"
"$bin/sparsec-opt" "$work/model.mlir" \
  --sparsec-sparsify-pipeline="stats=$work/model/synth_report.json print-decisions=1" \
  -o "$work/sparse.mlir" 2>&1 | grep -o 'remark: .*' | sed 's/^remark: /  /'
echo "  $(grep -c 'sfn.fused_sparse_ffn' "$work/sparse.mlir") fused sparse FFNs, $(grep -c 'sfn.bundle_param' "$work/sparse.mlir") neuron-bundle tensors"
echo
echo "demo: 4. sparsec pack"
"$bin/sparsec" pack "$work/model" "$work/sparse.mlir" -o "$work/weights.safetensors" | sed 's/^/  /'
echo
# Bytes of FFN weights one token reads: dense reads gate+up+down of every
# neuron; predicted reads the predictor plus the bundles of the predicted set.
python3 - "$work/model/synth_report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
H, I, R, b = 512, 1792, 128, 2
dense = 3 * H * I * b
print("demo: FFN weight bytes per token and layer (f16):")
print(f"  {'layer':>5} {'dense':>10} {'predicted':>10} {'ratio':>6}  (predicted density, recall)")
for e in report["ffn"]:
    d = e["predicted_density"]
    pred = (H * R + R * I) * b + d * 3 * H * I * b
    print(f"  {e['layer']:>5} {dense/1e6:>8.2f}MB {pred/1e6:>8.2f}MB {dense/pred:>5.2f}x  ({d:.3f}, {e['recall']:.3f})")
PY

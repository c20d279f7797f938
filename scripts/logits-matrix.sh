#!/usr/bin/env bash
# Compiles a matrix of synthetic models x sparse modes x targets with one
# build's sparsec and dumps every executable's logits, so that two builds
# (before and after a codegen change) can be compared byte for byte:
#
#   scripts/logits-matrix.sh BUILD_DIR OUT_DIR [--bench-model DIR]
#   cmp -s OLD/<name>.bin NEW/<name>.bin   (scripts/logits-matrix.sh --compare OLD NEW)
#
# Targets: x86-64-avx2 natively; aarch64 under qemu-aarch64 when the cross
# runtime was built. --bench-model adds dense/exact/predicted of an existing
# benchmark checkpoint (benchmarks/decode_bench.py's), x86-64 only.
set -euo pipefail

if [[ "${1:-}" == "--compare" ]]; then
  old=$2 new=$3 differ=0 same=0
  for f in "$old"/*.bin; do
    name=$(basename "$f")
    if [[ ! -f "$new/$name" ]]; then echo "missing in $new: $name"; differ=$((differ + 1))
    elif cmp -s "$f" "$new/$name"; then same=$((same + 1))
    else echo "DIFFERENT: $name"; differ=$((differ + 1)); fi
  done
  echo "logits-matrix: $same identical, $differ different or missing"
  [[ $differ -eq 0 ]]
  exit
fi

build=$(realpath "$1") out=$2
shift 2
bench=""
if [[ "${1:-}" == "--bench-model" ]]; then bench=$(realpath "$2"); fi
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$build/bin
qemu=(qemu-aarch64 -L /usr/aarch64-linux-gnu)

synth() { # name args...
  local name=$1; shift
  "$bin/sparsec-synth" -q --hidden 64 --intermediate 256 --heads 4 --kv-heads 2 \
    --vocab 256 --seed 7 "$@" -o "$work/$name" > /dev/null
}
run() { # model-dir tag target mode [extra compile flags]
  local model=$1 tag=$2 target=$3 mode=$4; shift 4
  local exe=$work/exe-$tag-$target-$mode
  "$bin/sparsec" compile "$model" --target "$target" --mode "$mode" "$@" --quiet -o "$exe"
  local runner=()
  [[ $target == aarch64 ]] && runner=("${qemu[@]}")
  "${runner[@]}" "$exe/$(basename "$model")" --prompt "Sparse models decode fast." -n 12 --ignore-eos \
    --dump-logits "$out/$tag-$target-$mode.bin" > /dev/null
  echo "  $tag $target $mode"
}

synth bamboo --arch bamboo --layers 3 --dtype f32 --sparsity 0.8 --predictor-rank 16
synth bamboo16 --arch bamboo --layers 2 --dtype f16 --sparsity 0.8 --predictor-rank 16
synth bamboobf --arch bamboo --layers 2 --dtype bf16 --sparsity 0.8 --predictor-rank 16
synth mistral --arch mistral --layers 2 --dtype f32
synth mixtral --arch mixtral --layers 2 --dtype f32 --experts 4 --top-k 2 --predictor-rank 16
synth mixtral16 --arch mixtral --layers 2 --dtype f16 --experts 4 --top-k 2 --predictor-rank 16

targets=(x86-64-avx2)
[[ -f $build/runtime-aarch64/lib/libsparsec_runtime.a ]] && targets+=(aarch64)
for t in "${targets[@]}"; do
  for m in dense exact predicted; do
    run "$work/bamboo" bamboo "$t" "$m"
    run "$work/bamboo16" bamboo16 "$t" "$m"
    run "$work/bamboobf" bamboobf "$t" "$m"
    run "$work/mixtral" mixtral "$t" "$m"
    run "$work/mixtral16" mixtral16 "$t" "$m"
  done
  run "$work/bamboo" bamboo "$t" threshold --activation-threshold 0.05
  run "$work/mistral" mistral "$t" dense
  run "$work/mistral" mistral "$t" threshold --activation-threshold 0.02
  run "$work/bamboo" bamboo-layers "$t" auto --layers 0:dense,1:exact,2:predicted
done
if [[ -n $bench ]]; then
  for m in dense exact predicted; do run "$bench" bench x86-64-avx2 "$m"; done
fi
echo "logits-matrix: $(ls "$out" | wc -l) dumps in $out"

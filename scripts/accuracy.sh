#!/bin/sh
# calibrate -> compile -> eval in one command (docs/calibration.md):
#
#   scripts/accuracy.sh MODEL CALIBRATE.txt EVAL.txt MODE OUT_DIR [TOKENS]
#
# MODE is threshold:S (threshold mode at target FFN sparsity S, for SwiGLU
# models) or predicted (predictors fitted by sparsec calibrate, for ReLU/dReLU
# models that ship none). Writes OUT_DIR/calibration, OUT_DIR/dense,
# OUT_DIR/sparse and OUT_DIR/sparse/report.{json,html}; TOKENS (default
# 1024) are recorded and scored. sparsec is build/bin/sparsec unless SPARSEC
# names another.
set -eu
if [ $# -lt 5 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
model=$1 calibrate=$2 eval=$3 mode=$4 out=$5 tokens=${6:-1024}
sparsec=${SPARSEC:-$(dirname "$0")/../build/bin/sparsec}
mkdir -p "$out"
case $mode in
threshold:*)
  sparsity=${mode#threshold:}
  "$sparsec" calibrate "$model" --data "$calibrate" --tokens "$tokens" \
    --target-sparsity "$sparsity" --quiet -o "$out/calibration" > /dev/null
  "$sparsec" compile "$model" --mode threshold --calibration "$out/calibration" \
    --quiet -o "$out/sparse"
  ;;
predicted)
  "$sparsec" calibrate "$model" --data "$calibrate" --tokens "$tokens" \
    --fit-predictors --quiet -o "$out/calibration" > /dev/null
  "$sparsec" compile "$model" --mode predicted --calibration "$out/calibration" \
    --predictor-dir "$out/calibration/predictors" --quiet -o "$out/sparse"
  ;;
*)
  echo "accuracy.sh: MODE must be threshold:S or predicted, got '$mode'" >&2
  exit 2
  ;;
esac
"$sparsec" compile "$model" --mode dense --quiet -o "$out/dense"
"$sparsec" eval "$out/sparse" --baseline "$out/dense" --data "$eval" \
  --tokens "$tokens" --quiet | grep -v '^  layer'
echo "accuracy.sh: wrote $out/sparse/report.html"

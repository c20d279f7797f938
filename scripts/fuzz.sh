#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) in build-fuzz/ and runs each one for
# a time budget over a copy of its seed corpus, then prints a table.
#   scripts/fuzz.sh [SECONDS_PER_HARNESS=60] [PARALLEL=1] [HARNESS...]
# PARALLEL harnesses run at once (one process each). New inputs go to
# build-fuzz/corpus/<harness>, crashes (and ooms, timeouts) to
# build-fuzz/crashes/<harness>, logs to build-fuzz/logs/<harness>.log.
# Exits non-zero when any harness found a crash.
# Environment: SPARSEC_FUZZ_BUILD_DIR (default build-fuzz), SPARSEC_FUZZ_JOBS
# (build parallelism, default 1), SPARSEC_FUZZ_ARGS (extra libFuzzer flags),
# SPARSEC_FUZZ_KEEP_GOING=1 (fork mode: keep fuzzing after a crash, OOM or
# timeout, saving each; the default stops a harness at its first finding).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${1:-60}"
parallel="${2:-1}"
shift $(( $# >= 2 ? 2 : $# )) || true
jobs="${SPARSEC_FUZZ_JOBS:-1}"

if [ ! -f "$build/build.ninja" ]; then
  # The whole build is instrumented (fuzzer-no-link + ASan + UBSan), but only
  # the harnesses and what they link are built. -O1 with asserts on.
  "$root/scripts/configure.sh" "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DSPARSEC_BUILD_FUZZERS=ON -DSPARSEC_BUILD_TESTS=OFF
fi
echo "fuzz: building the harnesses (-j$jobs) in $build"
cmake --build "$build" --target sparsec-fuzzers -j "$jobs"

bin="$build/fuzz/bin"
if [ "$#" -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for exe in "$bin"/sparsec-fuzz-*; do
    harnesses+=("${exe##*/sparsec-fuzz-}")
  done
fi

dict_for() {
  case "$1" in
    gguf) echo "$root/fuzz/dicts/gguf.dict" ;;
    *) echo "$root/fuzz/dicts/json.dict" ;;
  esac
}

run_one() {
  local name="$1"
  local corpus="$build/corpus/$name" crashes="$build/crashes/$name"
  local log="$build/logs/$name.log"
  mkdir -p "$corpus" "$crashes" "$build/logs"
  # The run's corpus starts as a copy of the seeds (plus what earlier runs
  # found); the seeds in fuzz/corpus are never written.
  if [ -d "$root/fuzz/corpus/$name" ]; then
    cp -n "$root/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
  fi
  local dict start
  dict="$(dict_for "$name")"
  local mode=()
  if [ "${SPARSEC_FUZZ_KEEP_GOING:-0}" = 1 ]; then
    mode=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
  fi
  start=$(date +%s)
  # shellcheck disable=SC2086
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
  timeout -k 10 $((seconds + 120)) \
    "$bin/sparsec-fuzz-$name" "$corpus" \
      -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$crashes/" -dict="$dict" \
      -max_len=65536 -rss_limit_mb=2048 -timeout=20 "${mode[@]}" \
      ${SPARSEC_FUZZ_ARGS:-} >"$log" 2>&1 || true
  echo $(( $(date +%s) - start )) >"$log.seconds"
}

stamp="$build/logs/.run-start"
mkdir -p "$build/logs"
touch "$stamp"
echo "fuzz: ${#harnesses[@]} harnesses, ${seconds}s each, $parallel at a time"
running=0
for name in "${harnesses[@]}"; do
  if [ ! -x "$bin/sparsec-fuzz-$name" ]; then
    echo "fuzz: no harness named $name (have: $(ls "$bin" | sed 's/sparsec-fuzz-//' | tr '\n' ' '))" >&2
    exit 2
  fi
  run_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

status=0
printf '%-18s %7s %11s %9s %7s %9s %8s\n' harness seconds execs execs/s cov corpus crashes
for name in "${harnesses[@]}"; do
  log="$build/logs/$name.log"
  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: K/S ..." (or
  # "#N: cov: C ..." in fork mode): N executions, C covered edges.
  last="$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  [ -n "$execs" ] || execs="$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')"
  cov="$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')"
  secs="$(cat "$log.seconds" 2>/dev/null || true)"
  corpus="$(find "$build/corpus/$name" -type f | wc -l)"
  # Artifacts of this run (not slow-unit-* reports).
  crashes="$(find "$build/crashes/$name" -type f -newer "$stamp" \
    \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l)"
  execs="${execs:-0}"
  secs="${secs:-$seconds}"
  rate=$(( secs > 0 ? execs / secs : execs ))
  printf '%-18s %7s %11s %9s %7s %9s %8s\n' "$name" "$secs" "$execs" "$rate" \
    "${cov:-?}" "$corpus" "$crashes"
  if [ "$crashes" -gt 0 ]; then
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "fuzz: crashes found; inputs under $build/crashes, stacks in $build/logs" >&2
fi
exit "$status"

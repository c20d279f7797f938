#!/usr/bin/env bash
# The sanitizer build: the runtime, its tests and the runtime harnesses with
# ASan + UBSan (-fno-sanitize-recover: any report fails) in build-asan/, then
#   1. ctest: the runtime GoogleTests and runtime checks under ASan+UBSan,
#   2. a smoke run of every harness over its seed corpus (each input once,
#      libFuzzer -runs=0).
# The compiler is not built here: an ASan build of the MLIR-based compiler
# (dialects, passes, importer, codegen) takes far longer than CI's budget on
# two cores, so lit, the compiler's GoogleTests and the end-to-end tests run
# only in the normal build, and config_fuzzer (which links the importer) runs
# in scripts/fuzz.sh only.
#   scripts/sanitize.sh [BUILD_DIR=build-asan]
# Environment: SPARSEC_SANITIZE_JOBS (build parallelism, default 2).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-asan}"
jobs="${SPARSEC_SANITIZE_JOBS:-2}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DSPARSEC_BUILD_COMPILER=OFF -DSPARSEC_BUILD_TESTS=ON \
    -DSPARSEC_SANITIZE=address,undefined -DSPARSEC_BUILD_FUZZERS=ON
fi
echo "sanitize: building the runtime, its tests and the harnesses (-j$jobs) in $build"
cmake --build "$build" -j "$jobs"

# Tests that provoke allocation failure need malloc to return NULL.
# handle_sigbus=0: the runtime handles SIGBUS itself (weights truncated
# under a running model, runtime/formats/src/mapped_file.cpp).
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1:handle_sigbus=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

echo "sanitize: runtime tests under ASan+UBSan"
ctest --test-dir "$build" --output-on-failure -j "$jobs"

echo "sanitize: every harness over its seed corpus"
failed=()
for exe in "$build"/fuzz/bin/sparsec-fuzz-*; do
  name="${exe##*/sparsec-fuzz-}"
  corpus="$root/fuzz/corpus/$name"
  [ -d "$corpus" ] || { echo "sanitize: no corpus for $name" >&2; failed+=("$name"); continue; }
  dict="$root/fuzz/dicts/json.dict"
  [ "$name" = gguf ] && dict="$root/fuzz/dicts/gguf.dict"
  log="$build/fuzz/$name.smoke.log"
  # -runs=0: load (run) each corpus input once, no mutations. The default
  # malloc limit (= rss_limit_mb) turns an oversized allocation into a failure.
  if ASAN_OPTIONS="detect_leaks=1" "$exe" -runs=0 -rss_limit_mb=2048 -timeout=60 \
      -dict="$dict" -artifact_prefix="$build/fuzz/$name-" "$corpus" >"$log" 2>&1; then
    printf 'sanitize: %-18s %3d inputs ok\n' "$name" "$(ls "$corpus" | wc -l)"
  else
    echo "sanitize: $name FAILED on its corpus; the tail of $log:" >&2
    tail -40 "$log" >&2
    failed+=("$name")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "sanitize: harness smoke runs failed: ${failed[*]}" >&2
  exit 1
fi
echo "sanitize: all passed"

#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing,
# checks formatting, configures, builds and runs ctest (lit + GoogleTest + runtime checks).
# Build folder: $SPARSEC_BUILD_DIR or ./build.
# Then scripts/sanitize.sh: the runtime, its tests and every runtime harness
# over its seeds under ASan+UBSan, in build-asan/ (a few minutes on two
# cores; SPARSEC_TEST_SANITIZE=0 skips it for a quick local run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"

# The suite writes about 5 GiB (build folders, venvs, compiled test models,
# pytest's temporary models); on a fuller disk it fails late with "No space
# left on device", so say so at the start.
need_gib=6
for dir in "$(dirname "$build")" "${TMPDIR:-/tmp}"; do
  free_gib=$(df -P -BG "$dir" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
  echo "test: ${free_gib} GiB free in $dir"
  if [ "$free_gib" -lt "$need_gib" ]; then
    echo "test: warning: the suite needs about ${need_gib} GiB free in $dir; expect 'No space left on device' failures" >&2
  fi
done

"$root/scripts/install-deps.sh"
echo "test: formatting (scripts/check-format.sh, clang-format-22)"
"$root/scripts/check-format.sh"
"$root/scripts/configure.sh" "$build"
echo "test: building (ninja -j2) in $build"
cmake --build "$build" -j 2
echo "test: running ctest"
ctest --test-dir "$build" --output-on-failure
if [ "${SPARSEC_TEST_SANITIZE:-1}" = 1 ]; then
  echo "test: sanitizer build (scripts/sanitize.sh)"
  "$root/scripts/sanitize.sh"
fi

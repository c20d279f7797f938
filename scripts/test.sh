#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing,
# configures, builds and runs ctest (lit + GoogleTest + runtime checks).
# Build folder: $SPARSEC_BUILD_DIR or ./build.
# SPARSEC_TEST_SANITIZE=1 also runs scripts/sanitize.sh (the runtime, its
# tests and every runtime harness over its seeds under ASan+UBSan, in
# build-asan/); off by default: it adds ~10 minutes on a 2-core machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build"
echo "test: building (ninja -j2) in $build"
cmake --build "$build" -j 2
echo "test: running ctest"
ctest --test-dir "$build" --output-on-failure
if [ "${SPARSEC_TEST_SANITIZE:-0}" = 1 ]; then
  echo "test: sanitizer build (scripts/sanitize.sh)"
  "$root/scripts/sanitize.sh"
fi

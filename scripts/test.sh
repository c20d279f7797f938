#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing,
# configures, builds and runs ctest (lit + GoogleTest + runtime checks).
# Build folder: $SPARSEC_BUILD_DIR or ./build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SPARSEC_BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
"$root/scripts/configure.sh" "$build"
echo "test: building (ninja -j2) in $build"
cmake --build "$build" -j 2
echo "test: running ctest"
ctest --test-dir "$build" --output-on-failure

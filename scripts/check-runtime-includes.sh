#!/usr/bin/env bash
# Fails if any file under the runtime folder includes an MLIR, LLVM or clang
# header: the runtime is linked into generated executables and must stay free
# of the compiler's dependencies.
#
#   check-runtime-includes.sh [RUNTIME_DIR]              check the folder
#   check-runtime-includes.sh --self-test [RUNTIME_DIR]  plant an MLIR include
#       in a copy of the folder and require the check to reject it
set -euo pipefail

check() {
  local dir="$1" hits
  hits="$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](mlir|llvm|llvm-c|clang)/' \
            --include='*.h' --include='*.hpp' --include='*.c' --include='*.cc' \
            --include='*.cpp' --include='*.inc' "$dir" || true)"
  if [ -n "$hits" ]; then
    echo "check-runtime-includes: the runtime must not include MLIR/LLVM headers:" >&2
    echo "$hits" >&2
    return 1
  fi
  echo "check-runtime-includes: $dir includes no MLIR/LLVM header"
}

if [ "${1:-}" = "--self-test" ]; then
  src="${2:-$(dirname "$0")/../runtime}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  cp -r "$src" "$tmp/runtime"
  victim="$(find "$tmp/runtime" -name '*.cpp' | sort | head -n 1)"
  printf '#include "mlir/IR/Builders.h"\n' >> "$victim"
  if check "$tmp/runtime" 2>"$tmp/err"; then
    echo "check-runtime-includes --self-test: an MLIR include in $victim went unnoticed" >&2
    exit 1
  fi
  grep -q 'mlir/IR/Builders.h' "$tmp/err"
  echo "check-runtime-includes --self-test: planted include rejected as expected"
  exit 0
fi

check "${1:-$(dirname "$0")/../runtime}"

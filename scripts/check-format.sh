#!/usr/bin/env bash
# Checks that every C/C++ file of the project is formatted as .clang-format
# says, with clang-format-22 (scripts/install-deps.sh installs it):
#   scripts/check-format.sh         list unformatted files, exit 1 if any
#   scripts/check-format.sh --fix   reformat them in place
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
format=$(command -v clang-format-22 || true)
if [ -z "$format" ]; then
  echo "check-format: clang-format-22 not found; run scripts/install-deps.sh" >&2
  exit 2
fi
mapfile -t files < <(git ls-files -- '*.c' '*.cpp' '*.h' | grep -v '^fuzz/corpus/')
if [ "${1:-}" = "--fix" ]; then
  "$format" -i "${files[@]}"
  echo "check-format: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$format" --dry-run --Werror "$f" > /dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
  echo "check-format: ${#bad[@]} of ${#files[@]} files are not formatted (scripts/check-format.sh --fix):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"

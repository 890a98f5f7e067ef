#!/usr/bin/env bash
# Wall time and peak memory of importing LLaMA-2-70B to llm IR text, and of
# parsing and verifying it again. Target: import under 5 s and 1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null
  read -r secs kib < "$out/time"
  printf '%-34s %8.2f s %10.1f MiB\n' "$label" "$secs" "$(awk "BEGIN{print $kib/1024}")"
}
measure "import llama-2-70b -> IR text" build/bin/llm-translate --import-llama-preset llama-2-70b -o "$out/70b.mlir"
measure "parse + verify 70b IR" build/bin/llm-opt "$out/70b.mlir" -o /dev/null
printf '%-34s %8d lines %6d KiB\n' "IR size" "$(wc -l < "$out/70b.mlir")" "$(( $(stat -c %s "$out/70b.mlir") / 1024 ))"
rm -rf "$out"

#!/usr/bin/env bash
# fuzz.sh - run every libFuzzer harness built in DIR for SECONDS each.
#   scripts/fuzz.sh build/fuzz 30
# Seeds come from fuzz/corpus/<harness>/ (new interesting inputs are added
# there by libFuzzer: review and commit the useful ones); a crash leaves
# its input in fuzz/regress/<harness>/ so `make check` replays it forever.
set -euo pipefail
dir="${1:-build/fuzz}"; secs="${2:-30}"
status=0
for h in "$dir"/fuzz_*; do
  [ -x "$h" ] || continue
  name=$(basename "$h")
  mkdir -p "fuzz/corpus/$name" "fuzz/regress/$name"
  echo "== $name (${secs}s)"
  if ! "$h" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="fuzz/regress/$name/" "fuzz/corpus/$name" 2>"$dir/$name.log"; then
    echo "$name: found a crash; input saved under fuzz/regress/$name/ (see $dir/$name.log)" >&2
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$dir/$name.log" || true
done
exit $status

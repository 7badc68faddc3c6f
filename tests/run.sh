#!/usr/bin/env bash
# run.sh - Vigil's test driver: runs every suite against one or more builds
# and ends with the line "N passed, N failed".
#
#   tests/run.sh --build build/release [--build build/asan] [--corpus DIR] [--only PATTERN]
#
# Suites, for each build:
#   unit     build/<b>/tests/test_*   cmocka, TAP output; each test case counts
#   fuzz     build/<b>/fuzz-replay/*  replays fuzz/corpus/<h>/ and fuzz/regress/<h>/
#   pcap     tests/pcap/*.sh          regression cases: a pcap, a command, expected output
#   compat   tests/compat/*.{sh,py}   corpus comparisons against the peers' outputs
# A script suite prints "ok - what" / "not ok - what" lines (each counts) and
# exits 0, 1 (failed) or 77 (skipped: a peer tool or corpus is missing).
# Everything a test writes goes under a fresh temporary directory (the rules
# cache too: XDG_CACHE_HOME points there).
set -u
cd "$(dirname "$0")/.."
builds=()
corpus="$(cd .. && pwd)/shared/corpus"
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) builds+=("$2"); shift 2 ;;
    --corpus) corpus="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ ${#builds[@]} -gt 0 ] || builds=(build/release)

pass=0; fail=0; skip=0
failed_names=()
tmproot=$(mktemp -d "${TMPDIR:-/tmp}/vigil-tests.XXXXXX")
trap 'rm -rf "$tmproot"' EXIT
# vigil's rules cache (compiled Vectorscan databases, docs/alerts.md) goes
# to the default $XDG_CACHE_HOME/vigil/hs: here, not the user's home; the
# suites share it, so the first run with a rules set fills it and later ones
# read it.
export XDG_CACHE_HOME="$tmproot/cache"

count_output() { # $1 = label, $2 = output file, $3 = exit code
  local label="$1" out="$2" rc="$3" p f
  p=$(grep -c -E '^ok ' "$out" || true)
  f=$(grep -c -E '^not ok ' "$out" || true)
  if [ "$rc" -eq 77 ]; then
    skip=$((skip + 1)); echo "SKIP $label: $(tail -n 1 "$out")"; return
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  pass=$((pass + p)); fail=$((fail + f))
  if [ "$f" -gt 0 ]; then
    failed_names+=("$label")
    echo "FAIL $label ($p ok, $f not ok, exit $rc)"
    grep -E '^not ok |^#' "$out" | head -n 40 | sed 's/^/    /'
    [ "$rc" -ne 0 ] && tail -n 15 "$out" | sed 's/^/    | /'
  else
    echo "PASS $label ($p ok)"
  fi
}

for b in "${builds[@]}"; do
  bname=$(basename "$b")
  export VIGIL="$PWD/$b/vigil" VIGIL_BUILD="$PWD/$b" VIGIL_SAMPLES="$PWD/$b/samples" CORPUS="$corpus"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  echo "== $bname =="
  for t in "$b"/tests/test_*; do
    [ -x "$t" ] || continue
    [ -n "$only" ] && [[ "$t" != *$only* ]] && continue
    out="$tmproot/out"
    CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1; rc=$?
    count_output "$bname unit $(basename "$t")" "$out" "$rc"
  done
  for h in "$b"/fuzz-replay/*; do
    [ -x "$h" ] || continue
    name=$(basename "$h")
    [ -n "$only" ] && [[ "$name" != *$only* ]] && continue
    out="$tmproot/out"
    "$h" "fuzz/corpus/$name" "fuzz/regress/$name" >"$out" 2>&1; rc=$?
    count_output "$bname fuzz-replay $name" "$out" "$rc"
  done
  for s in tests/pcap/*.sh tests/compat/*.sh tests/compat/*.py tests/e2e/*.sh; do
    [ -x "$s" ] || continue
    [ -n "$only" ] && [[ "$s" != *$only* ]] && continue
    work="$tmproot/$bname-$(basename "$s")"; mkdir -p "$work"
    out="$tmproot/out"
    TEST_TMP="$work" "$s" >"$out" 2>&1; rc=$?
    count_output "$bname $s" "$out" "$rc"
  done
done

echo
if [ ${#failed_names[@]} -gt 0 ]; then
  echo "failed:"; printf '  %s\n' "${failed_names[@]}"
fi
[ "$skip" -gt 0 ] && echo "($skip suites skipped)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]

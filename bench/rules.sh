#!/usr/bin/env bash
# bench/rules.sh - the alert engine's cost (issue 7): `vigil analyze -r W -l DIR`
# without rules and with every loadable Emerging Threats Open rule, on the
# benchmark workload.  With rules it runs twice: with a cold rules cache (an
# empty --rules-cache directory: every Vectorscan database is compiled, and
# stored) and then with a warm one (the same directory: every database is
# read back; docs/alerts.md "Rules cache").
#
# Runs the three RUNS times each, interleaved (none, cold, warm, none, ...)
# so that background load hits them alike; keeps each one's best run (least
# user+sys CPU seconds) and its largest peak RSS.  Prints a Markdown table -
# CPU s, wall s, peak RSS, Gbit/s per core (workload bytes * 8 / CPU s), the
# with/without ratio, the rules' load and engine build CPU time and the alert
# count (from the "detect:" line) - next to Suricata's reference figures, and
# writes it to bench/results/rules-<date>.md.  bench/README.md explains it.
# The cold and warm runs' eve.json must be the same (checked: exit 1).
#
# Environment:
#   WORKLOAD=FILE  capture (default bench/workload.pcap, else ../main's)
#   RULES=DIR      rules (default ../shared/rules/et-open; the table names
#                  the directory.  bench/suricata41-rules.sh OUT makes the
#                  subset Suricata 4.1 loads, for a like-for-like run)
#   RUNS=N         runs of each, best kept (default 3)
#   VIGIL=PATH     the vigil binary (default: build/release/vigil, built)
#   B=DIR          build directory (default build/release)
# Exit codes: 0 ok, 1 a build, the workload or a run failed, 2 another
# benchmark is running.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
RUNS=${RUNS:-3}
B=${B:-build/release}
WORKLOAD=${WORKLOAD:-bench/workload.pcap}
[[ -e $WORKLOAD ]] || WORKLOAD=$ROOT/../../main/bench/workload.pcap
RULES=${RULES:-$ROOT/../shared/rules/et-open}
[[ -d $RULES ]] || RULES=/work/shared/rules/et-open
RESULTS=bench/results

# Suricata's reference figures (../shared/bench/README.md, same 1 GiB
# workload, quiet 2-core machine, 2026-11-28): Suricata 4.1.10 with the
# 5,398 ET Open rules it loads, and without rules.
SURI_RULES_CPU=9.09
SURI_NONE_CPU=4.28
SURI_RULES_RSS_MB=288

say() { printf '[rules.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$RESULTS"
exec 9>"$RESULTS/.lock"
flock -n 9 || { say "another benchmark is running (lock $RESULTS/.lock)"; exit 2; }
TMP=$(mktemp -d "$ROOT/$RESULTS/.rules.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

[[ -r $WORKLOAD ]] || die "no workload at $WORKLOAD (bench/run.sh makes one)"
WORKLOAD=$(realpath "$WORKLOAD")
RULES=$(realpath "$RULES")
RNAME=$(basename "$RULES")
[[ -d $RULES ]] || die "no rules directory at $RULES"
if [[ -z ${VIGIL:-} ]]; then
    make -s -j2 BUILD=release B="$B" "$B/vigil" >"$TMP/make.log" 2>&1 ||
        { tail -20 "$TMP/make.log" >&2; die "build failed"; }
    VIGIL=$B/vigil
fi
BYTES=$(stat -c %s "$WORKLOAD")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git status --porcelain --untracked-files=no src 2>/dev/null) ]] && COMMIT+=" + uncommitted changes in src/"

# one KIND run: none | cold | warm (rules, cold or warm cache).  Appends
# "cpu wall rss_kb" to $TMP/KIND.
run_one() {
    local kind=$1 out=$TMP/out-$1 args=()
    [[ $kind == cold ]] && rm -rf "$TMP/hscache"
    [[ $kind != none ]] && args=(-S "$RULES" --rules-cache "$TMP/hscache")
    rm -rf "$out"
    /usr/bin/time -f '%U %S %M %e' -o "$TMP/time" "$VIGIL" analyze -q -r "$WORKLOAD" -l "$out" \
        "${args[@]}" 2>"$TMP/err-$kind" || { tail -5 "$TMP/err-$kind" >&2; die "vigil analyze ($kind) failed"; }
    read -r u s m e <"$TMP/time"
    echo "$(echo "$u + $s" | bc) $e $m" >>"$TMP/$kind"
    if [[ $kind != none ]]; then
        grep '^detect:' "$TMP/err-$kind" >"$TMP/detect-$kind" || die "no detect: line"
        grep -c . "$out/eve.json" >"$TMP/eve" 2>/dev/null || echo 0 >"$TMP/eve"
    fi
    if [[ $kind == warm ]]; then
        cmp -s "$TMP/out-cold/eve.json" "$TMP/out-warm/eve.json" ||
            die "eve.json differs between the cold and the warm rules cache"
    fi
    say "$kind: $(tail -1 "$TMP/$kind") (cpu s, wall s, rss KB)"
}

for ((i = 1; i <= RUNS; i++)); do
    run_one none
    run_one cold
    run_one warm
done

best() { sort -n "$TMP/$1" | head -1; }        # least CPU
maxrss() { sort -k3 -n "$TMP/$1" | tail -1 | cut -d' ' -f3; }
read -r NONE_CPU NONE_WALL _ <<<"$(best none)"
read -r RULES_CPU RULES_WALL _ <<<"$(best cold)"
read -r WARM_CPU WARM_WALL _ <<<"$(best warm)"
NONE_RSS=$(( $(maxrss none) / 1024 ))
RULES_RSS=$(( $(maxrss cold) / 1024 ))
WARM_RSS=$(( $(maxrss warm) / 1024 ))
D=$(cat "$TMP/detect-cold")
EVAL=$(sed -E 's/^detect: ([0-9]+) rules evaluated \(([0-9]+) with.*/\1 \2/' <<<"$D")
SKIP=$(sed -E 's/.*, ([0-9]+) skipped;.*/\1/' <<<"$D")
LOAD=$(sed -E 's/.*load ([0-9.]+) s, build ([0-9.]+) s CPU.*/\1 \2/' <<<"$D")
WLOAD=$(sed -E 's/.*load ([0-9.]+) s, build ([0-9.]+) s CPU.*/\1 \2/' <"$TMP/detect-warm")
CACHED=$(sed -E 's/.* CPU \(([^)]*)\);.*/\1/' <"$TMP/detect-warm")
ALERTS=$(sed -E 's/.* ([0-9]+) alerts, .*/\1/' <<<"$D")
EVALS=$(sed -E 's/.* ([0-9]+) rule evaluations.*/\1/' <<<"$D")
gbps() { printf '%.2f' "$(echo "scale=4; $BYTES * 8 / $1 / 1000000000" | bc)"; }
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }

{
    echo "# Alert engine with $RNAME (issue 7) - $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "Workload: $WORKLOAD ($BYTES bytes); rules: $RULES; vigil $COMMIT; $RUNS interleaved runs each, best CPU kept; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| run | CPU s (user+sys) | wall s | peak RSS | Gbit/s per core |"
    echo "|---|---:|---:|---:|---:|"
    echo "| vigil analyze, no rules | $NONE_CPU | $NONE_WALL | $NONE_RSS MB | $(gbps "$NONE_CPU") |"
    echo "| vigil analyze -S $RNAME, cold rules cache (compiled) | $RULES_CPU | $RULES_WALL | $RULES_RSS MB | $(gbps "$RULES_CPU") |"
    echo "| vigil analyze -S $RNAME, warm rules cache | $WARM_CPU | $WARM_WALL | $WARM_RSS MB | $(gbps "$WARM_CPU") |"
    echo "| Suricata 4.1.10, no rules (reference) | $SURI_NONE_CPU | | 164 MB | $(gbps $SURI_NONE_CPU) |"
    echo "| Suricata 4.1.10, 5,398 ET rules (reference) | $SURI_RULES_CPU | | $SURI_RULES_RSS_MB MB | $(gbps $SURI_RULES_CPU) |"
    echo
    echo "- ratio without/with rules (CPU): vigil $(ratio "$NONE_CPU" "$RULES_CPU") cold, $(ratio "$NONE_CPU" "$WARM_CPU") warm (target >= 0.5), Suricata $(ratio $SURI_NONE_CPU $SURI_RULES_CPU)"
    echo "- throughput with rules, vigil / Suricata: $(ratio $SURI_RULES_CPU "$RULES_CPU")x cold, $(ratio $SURI_RULES_CPU "$WARM_CPU")x warm (target >= 5x)"
    read -r ev pf <<<"$EVAL"
    read -r ld bd <<<"$LOAD"
    read -r wld wbd <<<"$WLOAD"
    echo "- rules: $ev evaluated ($pf with a fast pattern in Vectorscan), $SKIP skipped; load $ld s + engine build $bd s CPU with a cold cache, $wld s + $wbd s warm ($CACHED) (part of the CPU above)"
    echo "- $ALERTS alerts ($(cat "$TMP/eve") eve.json lines), $EVALS rule evaluations"
} | tee "$RESULTS/rules-$(date -u +%Y-%m-%d-%H%M).md"

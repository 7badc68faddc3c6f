#!/usr/bin/env bash
# alerts_cache.sh - the rules cache of compiled Vectorscan databases
# (docs/alerts.md "Rules cache") through the CLI:
#  1. a first run with an empty --rules-cache DIR compiles and stores every
#     distinct database (one .hs file each; a repeat of one is read back),
#     a second run reads them all ("N of N databases from cache"), and
#     eve.json is the same both times;
#  2. a corrupt and a truncated cache file: a warning naming each on stderr,
#     the figures line counts 2 bad cache files, the alerts are unchanged,
#     and the files are rewritten (the next run reads all N again);
#  3. --rules-cache off writes nothing and says "rules cache off"; the
#     default directory is $XDG_CACHE_HOME/vigil/hs;
#  4. an empty --rules-cache is a usage error; --help documents the option;
#  5. analyze -S re-executes itself once (glibc.malloc.hugetlb=1), not
#     without rules nor with VIGIL_HUGEPAGES=0, and the alerts are the same
#     either way.
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
mkdir -p "$T"
P="$C/alerts/sv-alert-testmyids.pcap"
R="$C/alerts/sv-alert-testmyids.rules"
[ -f "$P" ] || { echo "corpus trace missing"; exit 77; }
fails=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi; }
# "N of M databases from cache" of a run's stderr: "N M"
cached() { sed -nE 's/^detect: .* CPU \(([0-9]+) of ([0-9]+) databases from cache.*/\1 \2/p' "$1"; }
eve_alerts() { grep '"event_type":"alert"' "$1" | sed -E 's/"timestamp":"[^"]*",//'; }

# 1. cold, then warm
"$V" analyze -q -r "$P" -S "$R" -l "$T/cold" --rules-cache "$T/hs" 2>"$T/cold.err"
read -r n0 m0 <<<"$(cached "$T/cold.err")"
check "cold: a figures line with the cache count" "[ -n '${m0:-}' ] && [ '${m0:-0}' -gt 0 ]"
# a rule in several groups (an "any"-protocol rule: tcp, udp, icmp, other)
# gives the same database several times: stored once, read back the others
files=$(ls "$T/hs" | grep -c '^[0-9a-f]\{64\}\.hs$')
check "cold: every database compiled once and stored ($files files)" \
  "[ '$files' -gt 0 ] && [ \$(( $files + ${n0:-99} )) = '$m0' ]"
check "cold: no temporary file left" "[ -z \"\$(ls -A '$T/hs' | grep '^\.tmp-')\" ]"
"$V" analyze -q -r "$P" -S "$R" -l "$T/warm" --rules-cache "$T/hs" 2>"$T/warm.err"
read -r n1 m1 <<<"$(cached "$T/warm.err")"
check "warm: $m0 of $m0 databases from cache" "[ '${n1:-x}' = '$m0' ] && [ '${m1:-x}' = '$m0' ]"
check "warm: alerts written" "grep -q '\"event_type\":\"alert\"' '$T/warm/eve.json'"
check "warm: the same eve.json as cold" "cmp -s '$T/cold/eve.json' '$T/warm/eve.json'"

# 2. bad files
f1=$(ls "$T/hs" | head -1); f2=$(ls "$T/hs" | sed -n 2p)
printf 'XXXX' | dd of="$T/hs/$f1" bs=1 seek=100 conv=notrunc 2>/dev/null
truncate -s 50 "$T/hs/$f2"
"$V" analyze -q -r "$P" -S "$R" -l "$T/bad" --rules-cache "$T/hs" 2>"$T/bad.err"
check "bad: a warning names the corrupt file" "grep -q \"rules cache: .*$f1: .*ignored, compiled again\" '$T/bad.err'"
check "bad: a warning names the truncated file" "grep -q \"rules cache: .*$f2: .*ignored, compiled again\" '$T/bad.err'"
check "bad: the figures line counts 2 bad cache files" "grep -q 'from cache, 2 bad cache files)' '$T/bad.err'"
check "bad: the same eve.json" "cmp -s '$T/cold/eve.json' '$T/bad/eve.json'"
"$V" analyze -q -r "$P" -S "$R" -l "$T/again" --rules-cache "$T/hs" 2>"$T/again.err"
read -r n2 _ <<<"$(cached "$T/again.err")"
check "bad: rewritten, the next run reads $m0 of $m0" "[ '${n2:-x}' = '$m0' ]"

# 3. off, and the default directory
"$V" analyze -q -r "$P" -S "$R" -l "$T/off" --rules-cache off 2>"$T/off.err"
check "off: 'rules cache off' in the figures line" "grep -q '^detect: .*databases, rules cache off)' '$T/off.err'"
check "off: the same alerts" "diff <(eve_alerts '$T/cold/eve.json') <(eve_alerts '$T/off/eve.json') >/dev/null"
check "off: no ./off directory made" "[ ! -e off ]"
XDG_CACHE_HOME="$T/xdg" "$V" analyze -q -r "$P" -S "$R" -l "$T/def" 2>"$T/def.err"
check "default: \$XDG_CACHE_HOME/vigil/hs holds the $files files" \
  "[ \$(ls '$T/xdg/vigil/hs' 2>/dev/null | grep -c '\.hs\$') = '$files' ]"

# 5. huge pages (src/cli/hugepages.c): analyze with rules re-executes itself
# once (with glibc.malloc.hugetlb=1), not with VIGIL_HUGEPAGES=0 nor without
# rules; the same alerts
VIGIL_HUGEPAGES=0 "$V" analyze -q -r "$P" -S "$R" -l "$T/nohp" --rules-cache "$T/hs" 2>/dev/null
check "VIGIL_HUGEPAGES=0: the same eve.json" "cmp -s '$T/cold/eve.json' '$T/nohp/eve.json'"
# the dynamic loader starts the program twice when it re-executes (LD_DEBUG)
starts() { LD_DEBUG=files "$@" 2>&1 | grep -c 'transferring control'; }
n_hp=$(env -u VIGIL_HUGEPAGES -u GLIBC_TUNABLES bash -c "$(declare -f starts); starts '$V' analyze -q -r '$P' -S '$R' --rules-cache '$T/hs' -l '$T/hp1'")
n_nohp=$(VIGIL_HUGEPAGES=0 bash -c "$(declare -f starts); starts '$V' analyze -q -r '$P' -S '$R' --rules-cache '$T/hs' -l '$T/hp0'")
n_norules=$(env -u VIGIL_HUGEPAGES -u GLIBC_TUNABLES bash -c "$(declare -f starts); starts '$V' analyze -q -r '$P' -l '$T/hp2'")
if grep -q __asan_init "$V"; then n_hp=2; fi # ASan: its own allocator, not done
check "analyze re-executes itself once (huge pages)" "[ '$n_hp' = 2 ]"
check "VIGIL_HUGEPAGES=0: no re-execution" "[ '$n_nohp' = 1 ]"
check "no rules given: no re-execution" "[ '$n_norules' = 1 ]"

# 4. usage
"$V" analyze -q -r "$P" -S "$R" -l "$T/u" --rules-cache '' 2>"$T/u.err"; rc=$?
check "empty --rules-cache: usage error (exit 2)" "[ $rc = 2 ] && grep -q 'rules-cache' '$T/u.err'"
check "analyze --help documents --rules-cache" "'$V' analyze --help | grep -q -- '--rules-cache DIR|off'"
check "capture --help documents --rules-cache" "'$V' capture --help | grep -q -- '--rules-cache DIR|off'"
[ "$fails" -eq 0 ]

#!/usr/bin/env bash
# workers.sh - `vigil analyze --workers N` (docs/pipeline.md) writes the same
# records as one worker: corpus trace sets with fragments, tunnels, DNS,
# HTTP, TLS, SMTP, FTP, file extraction and a rules file, each analysed with
# --workers 1, 2 and 3 and compared row by row (workers_cmp.py); `vigil
# extract --workers 2` against one worker.  Also the
# flag's errors, and that -q --workers 1 matches the run without the flag
# byte for byte (the default path is unchanged).
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
D="$(cd "$(dirname "$0")" && pwd)"
RULES="${VIGIL_WORKERS_RULES:-$C/../rules/et-open}"
for d in fragments encap dns http tls smtp ftp files malware; do
  [ -d "$C/$d" ] || { echo "corpus directory $d missing"; exit 77; }
done
fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

# run NAME N ARGS...: vigil analyze into $T/NAME-N
run() {
  local name="$1" n="$2"; shift 2
  "$V" analyze -q --workers "$n" -l "$T/$name-$n" "$@" 2>"$T/$name-$n.err"
  check "$name --workers $n: exit 0" "[ $? -eq 0 ]"
}
compare() { # NAME N
  "$D/workers_cmp.py" "$1 workers $2 vs 1" "$T/$1-1" "$T/$1-$2" || fails=$((fails + 1))
}

# 1. fragments, tunnels (GRE, VXLAN, Teredo, AYIYA, GTP, VLAN/MPLS), DNS
set1=(-r "$C/fragments" -r "$C/encap" -r "$C/dns")
# 2. HTTP, TLS, SMTP, FTP and the files corpus with extraction
set2=(--extract -r "$C/http" -r "$C/tls" -r "$C/smtp" -r "$C/ftp" -r "$C/files")
for n in 1 2 3; do
  run net "$n" "${set1[@]}"
  run app "$n" "${set2[@]}"
done
for n in 2 3; do compare net "$n"; compare app "$n"; done
check "net: conn.log has rows" "[ \$(grep -vc '^#' '$T/net-1/conn.log') -gt 100 ]"
check "app: files stored" "[ \$(ls '$T/app-1/extract_files' | wc -l) -gt 50 ]"

# 3. a rules file (ET Open when present, else the corpus' own test rules)
if [ -d "$RULES" ]; then
  set3=(-S "$RULES" -r "$C/malware" -r "$C/http" -r "$C/tls")
else
  cat "$C"/alerts/*.rules >"$T/all.rules"
  set3=(-S "$T/all.rules" -r "$C/alerts")
fi
for n in 1 2; do run rules "$n" "${set3[@]}"; done
compare rules 2
check "rules: alerts written" "grep -q '\"event_type\":\"alert\"' '$T/rules-1/eve.json'"
# the engine's figures (rules, packets, transactions, evaluations, alerts) are summed over workers
f1=$(grep -o '; [0-9]* packets, .*' "$T/rules-1.err"); f2=$(grep -o '; [0-9]* packets, .*' "$T/rules-2.err")
check "rules: detect counters summed over workers equal one worker's" "[ -n '$f1' ] && [ '$f1' = '$f2' ]"

# 4. vigil extract --workers 2: the same store and index.tsv lines
for n in 1 2; do
  "$V" extract -q --workers "$n" -o "$T/x-$n" -r "$C/http" -r "$C/smtp" -r "$C/ftp" -r "$C/files" \
    >"$T/x-$n.out" 2>&1
  check "extract --workers $n: exit 0" "[ $? -eq 0 ]"
done
check "extract --workers 2: same index.tsv lines" \
  "[ \$(wc -l <'$T/x-1/index.tsv') -gt 50 ] && cmp -s <(sort '$T/x-1/index.tsv') <(sort '$T/x-2/index.tsv')"
check "extract --workers 2: same stored files" \
  "[ \"\$(cd '$T/x-1' && ls | sort)\" = \"\$(cd '$T/x-2' && ls | sort)\" ]"

# 5. the default path: --workers 1 is the run without the flag, byte for byte
"$V" analyze -q -l "$T/plain" "${set1[@]}" 2>/dev/null
for f in "$T"/plain/*.log; do
  b=$(basename "$f")
  check "--workers 1 = no flag: $b identical (but #open/#close)" \
    "cmp -s <(grep -v '^#open\|^#close' '$f') <(grep -v '^#open\|^#close' '$T/net-1/$b')"
done

# 6. the flag's errors
"$V" analyze -q --workers 0 -r "$C/dns" -l "$T/bad" 2>"$T/bad.err"
check "--workers 0: usage error (exit 2)" "[ $? -eq 2 ] && grep -q 'from 1 to' '$T/bad.err'"
"$V" analyze -q --workers x -r "$C/dns" -l "$T/bad" 2>/dev/null
check "--workers x: usage error (exit 2)" "[ $? -eq 2 ]"
"$V" analyze --help | grep -q -- '--workers N'
check "--help documents --workers" "[ $? -eq 0 ]"
[ "$fails" -eq 0 ]

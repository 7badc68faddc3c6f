#!/usr/bin/env bash
# sessions.sh - `vigil sessions` on the corpus's Zeek conn.logs (and pcaps),
# checked against values computed independently with awk over the same
# conn.logs: row counts per filter, per-key sums for -m, the book's two
# racluster examples, --json validity, --zeek round trip, sorting, -N, and
# filter errors (exit 2 with the column at fault).
#
# Prints TAP-style "ok - ..." / "not ok - ..." lines; exits 1 on failure,
# 77 when the corpus or the vigil binary is missing.
set -u
VIGIL="${VIGIL:-$PWD/build/release/vigil}"
CORPUS="${CORPUS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/corpus}"
TMP="${TEST_TMP:-$(mktemp -d)}"
[ -x "$VIGIL" ] || { echo "skip: no vigil binary at $VIGIL"; exit 77; }
shopt -s nullglob
LOGS=("$CORPUS"/*/*.zeek8-conn.log)
[ ${#LOGS[@]} -gt 0 ] || { echo "skip: no corpus conn.logs under $CORPUS"; exit 77; }

failed=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }
check() { # $1 = description, $2 = expected, $3 = got
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"; echo "# expected: $(echo "$2" | head -c 400)"; echo "# got:      $(echo "$3" | head -c 400)"; fi
}

# Rows of the conn.logs as "name=value" aware awk: ZF[name] is the column.
zeek_awk() { # $1 = awk program using ZF["name"], files after
  local prog="$1"; shift
  awk -F'\t' '
    /^#fields/ { delete ZF; for (i = 2; i <= NF; i++) ZF[$i] = i - 1; next }
    /^#/ { next }
    { for (k in ZF) V[k] = $(ZF[k]); for (k in V) if (V[k] == "-") N[k] = 0; else N[k] = V[k] }
    '"$prog" "$@"
}

all="$TMP/all.list"
printf '%s\n' "${LOGS[@]}" > "$all"

# 1. tcp and dst port 21: count over every corpus conn.log.
want=$(zeek_awk '$(ZF["proto"]) == "tcp" && $(ZF["id.resp_p"]) == 21 { n++ } END { print n + 0 }' "${LOGS[@]}")
got=$("$VIGIL" sessions -n -r "${LOGS[@]}" -s uid - tcp and dst port 21 | tail -n +2 | wc -l)
check "tcp and dst port 21 over ${#LOGS[@]} conn.logs ($want sessions)" "$want" "$got"

# 2. The first racluster example on the FTP trace's conn.log: the same rows.
ftp="$CORPUS/ftp/arkime-ftp.zeek8-conn.log"
for f in "$CORPUS"/ftp/*.zeek8-conn.log; do
  n=$(zeek_awk '$(ZF["proto"]) == "tcp" && $(ZF["id.resp_p"]) == 21 { n++ } END { print n + 0 }' "$f")
  [ "$n" -gt 1 ] && { ftp="$f"; break; }
done
want=$(zeek_awk '$(ZF["proto"]) == "tcp" && $(ZF["id.resp_p"]) == 21 {
         print $(ZF["id.orig_h"]), $(ZF["id.orig_p"]), $(ZF["id.resp_h"]), $(ZF["id.resp_p"]),
               N["orig_ip_bytes"], N["resp_ip_bytes"] }' "$ftp" | sort)
got=$("$VIGIL" sessions -n -r "$ftp" -s stime saddr sport daddr dport sbytes dbytes - tcp and dst port 21 \
      | tail -n +2 | awk '{ print $2, $3, $4, $5, $6, $7 }' | sort)
check "racluster example 1 (-s stime saddr sport daddr dport sbytes dbytes - tcp and dst port 21) on $(basename "$ftp")" "$want" "$got"

# 3. The second racluster example over all conn.logs, with a host that is there.
host=$(zeek_awk '$(ZF["proto"]) == "udp" && $(ZF["id.orig_h"]) !~ /:/ { print $(ZF["id.orig_h"]) }' "${LOGS[@]}" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
want=$(H="$host" zeek_awk '
  $(ZF["proto"]) == "udp" {
    H = ENVIRON["H"]
    op = $(ZF["id.orig_p"]); rp = $(ZF["id.resp_p"]); oh = $(ZF["id.orig_h"]); rh = $(ZF["id.resp_h"])
    if (op == 53 || rp == 53 || op == 123 || rp == 123 || oh == H || rh == H) next
    k = oh " " rh; P[k] += N["orig_pkts"] + N["resp_pkts"]; B[k] += N["orig_ip_bytes"] + N["resp_ip_bytes"]; T[k]++
  }
  END { for (k in P) print k, P[k], B[k], T[k] }' "${LOGS[@]}" | sort)
got=$("$VIGIL" sessions -r "${LOGS[@]}" -m saddr daddr -s saddr daddr pkts bytes trans - udp and not \( port 53 or port 123 or host "$host" \) \
      | tail -n +2 | awk '{ print $1, $2, $3, $4, $5 }' | sort)
check "racluster example 2 (-m saddr daddr - udp and not (port 53 or port 123 or host $host)): $(echo "$want" | wc -l) pairs" "$want" "$got"

# 4. The same filter given after the options without '-'.
got2=$("$VIGIL" sessions -r "${LOGS[@]}" -m saddr daddr -s saddr daddr pkts bytes trans udp and not \( port 53 or port 123 or host "$host" \) \
      | tail -n +2 | awk '{ print $1, $2, $3, $4, $5 }' | sort)
check "a filter after the options without '-'" "$got" "$got2"

# 5. Field comparisons, CIDR and aliases against awk.
want=$(zeek_awk '$(ZF["duration"]) != "-" && $(ZF["duration"]) + 0 > 60 { n++ } END { print n + 0 }' "${LOGS[@]}")
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s uid - conn.duration '>' 60 | tail -n +2 | wc -l)
check "conn.duration > 60 ($want sessions)" "$want" "$got"
want=$(zeek_awk '$(ZF["id.orig_h"]) ~ /^192\.168\./ || $(ZF["id.resp_h"]) ~ /^192\.168\./ { n++ } END { print n + 0 }' "${LOGS[@]}")
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s uid - ip.addr == 192.168.0.0/16 | tail -n +2 | wc -l)
check "ip.addr == 192.168.0.0/16 ($want sessions)" "$want" "$got"
want=$(zeek_awk '$(ZF["id.orig_h"]) ~ /:/ { n++ } END { print n + 0 }' "${LOGS[@]}")
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s uid - ip6 | tail -n +2 | wc -l)
check "ip6 ($want sessions)" "$want" "$got"
want=$(zeek_awk '$(ZF["service"]) == "http" || $(ZF["service"]) == "ssl" { n++ } END { print n + 0 }' "${LOGS[@]}")
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s uid - 'service in {"http", "ssl"}' | tail -n +2 | wc -l)
check "service in {\"http\", \"ssl\"} ($want sessions)" "$want" "$got"
want=$(zeek_awk '$(ZF["history"]) ~ /^S/ && $(ZF["proto"]) == "tcp" { n++ } END { print n + 0 }' "${LOGS[@]}")
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s uid - 'tcp && history matches "^S"' | tail -n +2 | wc -l)
check "tcp && history matches \"^S\" ($want sessions)" "$want" "$got"

# 6. -m totals: the trans column sums to the number of matching sessions.
want=$("$VIGIL" sessions -r "${LOGS[@]}" -s uid - tcp | tail -n +2 | wc -l)
got=$("$VIGIL" sessions -r "${LOGS[@]}" -m proto -s proto trans - tcp | tail -n +2 | awk '{ s += $2 } END { print s + 0 }')
check "-m proto: trans adds up to the sessions matched ($want)" "$want" "$got"

# 7. --json: every line is a JSON object, one per session.
"$VIGIL" sessions -r "${LOGS[@]}" --json > "$TMP/all.json"
want=$(zeek_awk '{ n++ } END { print n + 0 }' "${LOGS[@]}")
got=$(python3 -c 'import json,sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line); assert isinstance(o, dict) and "uid" in o and isinstance(o["ts"], float); n += 1
print(n)' "$TMP/all.json" 2>&1)
check "--json: $want valid JSON objects" "$want" "$got"
got=$("$VIGIL" sessions -r "$TMP/all.json" -s uid | tail -n +2 | wc -l)
check "JSON lines read back as input" "$want" "$got"
"$VIGIL" sessions -r "${LOGS[@]}" -m saddr -s saddr bytes --json > "$TMP/agg.json"
if python3 -c 'import json,sys
[json.loads(l) for l in open(sys.argv[1])]' "$TMP/agg.json" 2>/dev/null; then ok "--json with -m is valid JSON"; else bad "--json with -m is valid JSON"; fi

# 8. --zeek writes Zeek TSV that reads back to the same sessions.
"$VIGIL" sessions -r "$ftp" --zeek > "$TMP/conn.log"
want=$("$VIGIL" sessions -r "$ftp" -s uid saddr sport daddr dport proto history bytes | sort)
got=$("$VIGIL" sessions -r "$TMP/conn.log" -s uid saddr sport daddr dport proto history bytes | sort)
check "--zeek output reads back to the same sessions" "$want" "$got"
if head -n 1 "$TMP/conn.log" | grep -q '^#separator \\x09$' && grep -q '^#close' "$TMP/conn.log"; then
  ok "--zeek has the Zeek header and trailer"; else bad "--zeek has the Zeek header and trailer"; fi

# 8b. Every corpus conn.log read and written again is Zeek's rows byte for byte
# (Vigil's record has two more columns, vlan and inner_vlan, at the end).
ncol=$(grep -m1 '^#fields' "${LOGS[0]}" | awk -F'\t' '{ print NF - 1 }')
"$VIGIL" sessions -r "${LOGS[@]}" --zeek | grep -v '^#' | cut -f1-"$ncol" | sort > "$TMP/rewritten"
grep -hv '^#' "${LOGS[@]}" | sort > "$TMP/original"
differ=$(diff "$TMP/rewritten" "$TMP/original" | grep -c '^[<>]')
check "all ${#LOGS[@]} corpus conn.logs rewrite to Zeek's exact rows ($(wc -l < "$TMP/original") rows)" "0" "$differ"

# 9. Sorting and -N.
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s bytes -S -bytes | tail -n +2 | awk 'NR > 1 && $1 > prev { bad = 1 } { prev = $1 } END { print bad + 0 }')
check "-S -bytes sorts by bytes, descending" "0" "$got"
got=$("$VIGIL" sessions -r "${LOGS[@]}" -s saddr dport --sort saddr,-dport -N 5 | tail -n +2 | wc -l)
check "-N 5 prints 5 rows" "5" "$got"

# 10. Filter errors: exit 2 and the column at fault.
err=$("$VIGIL" sessions -r "$ftp" - tcp and dst port 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && echo "$err" | grep -q 'column 17'; then ok "a filter missing its port exits 2 naming column 17"
else bad "a filter missing its port exits 2 naming column 17 (exit $rc: $err)"; fi
err=$("$VIGIL" sessions -r "$ftp" - 'ip.src == 10.0.0.0/40' 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && echo "$err" | grep -q 'column 11'; then ok "a bad CIDR exits 2 naming column 11"
else bad "a bad CIDR exits 2 naming column 11 (exit $rc: $err)"; fi
err=$("$VIGIL" sessions -r "$ftp" - 'nosuchfield > 3' 2>&1 >/dev/null); rc=$?
if [ $rc -eq 2 ] && echo "$err" | grep -q "column 1: unknown field 'nosuchfield'"; then ok "an unknown field exits 2 naming it"
else bad "an unknown field exits 2 naming it (exit $rc: $err)"; fi
printf '#separator \\x09\n#fields\tts\torig_bytes\n1.0\tlots\n' > "$TMP/broken.log"
err=$("$VIGIL" sessions -r "$TMP/broken.log" 2>&1 >/dev/null); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'broken.log line 3'; then ok "a damaged conn.log is named with its line"
else bad "a damaged conn.log is named with its line (exit $rc: $err)"; fi

# 11. Captures go through the pipeline: same 5-tuples as Zeek on the FTP trace.
pcap="${ftp%.zeek8-conn.log}.pcap"
if [ -f "$pcap" ]; then
  out=$("$VIGIL" sessions -n -r "$pcap" -s saddr sport daddr dport - tcp and dst port 21 2>&1); rc=$?
  want=$(zeek_awk '$(ZF["proto"]) == "tcp" && $(ZF["id.resp_p"]) == 21 {
           print $(ZF["id.orig_h"]), $(ZF["id.orig_p"]), $(ZF["id.resp_h"]), $(ZF["id.resp_p"]) }' "$ftp" | sort)
  got=$(echo "$out" | tail -n +2 | awk '{ print $1, $2, $3, $4 }' | sort)
  check "pcap input: racluster example 1 on $(basename "$pcap") finds Zeek's FTP sessions (exit $rc)" "$want" "$got"
  out=$("$VIGIL" sessions -r "$pcap" -m saddr daddr -s saddr daddr pkts bytes - udp and not \( port 53 or port 123 or host "$host" \) 2>&1); rc=$?
  check "pcap input: racluster example 2 runs (exit $rc)" "0" "$rc"
fi

exit $failed

#!/usr/bin/env bash
# behave.sh - the behavioural detectors end to end (docs/behaviour.md):
# a SYN scan (scans/cs-synscan.pcapng) gives Scan::Port_Scan with the
# scanner and victim, in notice.log, alert.log and (with -S) eve.json and
# fast.log as gid 9000; the thresholds move it; --no-behaviour turns it
# off; `vigil ingest` takes the same options; a synthetic capture (behave_pcap.py) with a 60 s beacon gives
# Vigil::Beacon for that pair and no other; busy traces that are not
# beacons (automated bursts, one long C2 session) give none.
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
SCAN="$C/scans/cs-synscan.pcapng"
[ -f "$SCAN" ] || { echo "corpus trace missing"; exit 77; }
fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
rows() { if [ -f "$1" ]; then grep -v '^#' "$1" | grep -c "$2"; else echo 0; fi; }
# field NAME of the first row of a Zeek TSV log matching PATTERN
fld() {
    awk -F'\t' -v n="$2" -v p="$3" '/^#fields/ {for (i = 2; i <= NF; i++) c[$i] = i - 1; next}
        /^#/ {next} $0 ~ p {print $(c[n]); exit}' "$1"
}

# 1. the SYN scan
"$V" analyze -q -r "$SCAN" -l "$T/scan"
check "scan: exit 0" "[ $? -eq 0 ]"
N="$T/scan/notice.log"
check "scan: one Scan::Port_Scan row" "[ \$(rows '$N' 'Scan::Port_Scan') -eq 1 ]"
check "scan: src = the scanner" "[ '$(fld "$N" src Port_Scan)' = 172.16.0.8 ]"
check "scan: dst = the victim" "[ '$(fld "$N" dst Port_Scan)' = 64.13.134.52 ]"
check "scan: msg as Zeek words it" \
    "[ '$(fld "$N" msg Port_Scan)' = '172.16.0.8 scanned at least 15 unique ports of host 64.13.134.52 in 0m1s' ]"
check "scan: sub local (private scanner)" "[ '$(fld "$N" sub Port_Scan)' = local ]"
check "scan: actions, suppress_for" \
    "[ '$(fld "$N" actions Port_Scan)' = Notice::ACTION_LOG ] && [ '$(fld "$N" suppress_for Port_Scan)' = 3600.000000 ]"
check "scan: no Address_Scan (one victim)" "[ \$(rows '$N' 'Address_Scan') -eq 0 ]"
check "scan: no beacon from the scan's failed attempts" "[ \$(rows '$N' 'Vigil::Beacon') -eq 0 ]"
check "scan: alert.log gid 9000 sid 2" \
    "[ '$(fld "$T/scan/alert.log" alert.gid 'Port scan'):$(fld "$T/scan/alert.log" alert.signature_id 'Port scan')' = 9000:2 ]"
printf 'alert tcp any any -> any 1 (msg:"never"; content:"no-such-bytes-here"; sid:1;)\n' >"$T/r.rules"
"$V" analyze -q -S "$T/r.rules" -r "$SCAN" -l "$T/eve" 2>/dev/null
check "scan: eve.json alert gid 9000 sid 2" \
    "grep -q '\"event_type\":\"alert\".*\"gid\":9000,\"signature_id\":2,.*\"signature\":\"VIGIL BEHAVIOUR Port scan\"' '$T/eve/eve.json'"
check "scan: fast.log line" "grep -q '\\[9000:2:1\\] VIGIL BEHAVIOUR Port scan' '$T/eve/fast.log'"
"$V" analyze -q --scan-ports 2000 -r "$SCAN" -l "$T/hi"
check "scan: --scan-ports 2000: no notice" "[ \$(rows '$T/hi/notice.log' Port_Scan) -eq 0 ]"
"$V" analyze -q --scan-ports 3 -r "$SCAN" -l "$T/lo"
check "scan: --scan-ports 3: 3 ports in the msg" \
    "grep -q 'scanned at least 3 unique ports of host 64.13.134.52' '$T/lo/notice.log'"
"$V" analyze -q --no-behaviour -r "$SCAN" -l "$T/off"
check "scan: --no-behaviour: no notice.log" "[ ! -f '$T/off/notice.log' ] && [ ! -f '$T/off/alert.log' ]"
"$V" analyze -q -j -r "$SCAN" -l "$T/json"
check "scan: JSON notice.log" "grep -q '\"note\":\"Scan::Port_Scan\",\"msg\":\"172.16.0.8 scanned' '$T/json/notice.log'"
"$V" analyze -q --scan-ports 1.5 -r "$SCAN" -l "$T/bad" 2>"$T/bad.err"
check "bad value: exit 2 naming the option" "[ $? -eq 2 ] && grep -q -- '--scan-ports' '$T/bad.err'"
check "--help lists the options" "'$V' analyze --help | grep -q -- '--beacon-score X'"

# the same through `vigil ingest` (capture shares its option handling)
"$V" ingest -q --data "$T/data" -l "$T/ing" -r "$SCAN"
check "ingest: Scan::Port_Scan in its notice.log" "[ \$(rows '$T/ing/notice.log' 'Scan::Port_Scan') -eq 1 ]"
"$V" ingest -q --data "$T/data2" -l "$T/ing2" --scan-ports 2000 -r "$SCAN"
check "ingest: --scan-ports 2000: none" "[ \$(rows '$T/ing2/notice.log' 'Scan::Port_Scan') -eq 0 ]"
"$V" ingest -q --data "$T/data3" -l "$T/ing3" --beacon-score 2 -r "$SCAN" 2>"$T/ing3.err"
check "ingest: bad value: exit 2" "[ $? -eq 2 ] && grep -q -- '--beacon-score' '$T/ing3.err'"

# 2. a synthetic beacon
python3 "$HERE/behave_pcap.py" "$T/beacon.pcap"
"$V" analyze -q -r "$T/beacon.pcap" -l "$T/b"
B="$T/b/notice.log"
check "beacon: one Vigil::Beacon row" "[ \$(rows '$B' 'Vigil::Beacon') -eq 1 ]"
check "beacon: the beaconing pair" \
    "[ '$(fld "$B" src Beacon) $(fld "$B" dst Beacon) $(fld "$B" n Beacon)' = '10.1.1.5 198.51.100.7 40' ]"
check "beacon: msg gives score, count, interval, size" \
    "[ '$(fld "$B" msg Beacon)' = '10.1.1.5 beacons to 198.51.100.7: score 0.846 over 40 connections, interval 60s, size 320 bytes' ]"
check "beacon: alert sid 5" "[ '$(fld "$T/b/alert.log" alert.signature_id Beaconing)' = 5 ]"
"$V" analyze -q --beacon-score 0.9 -r "$T/beacon.pcap" -l "$T/b9"
check "beacon: --beacon-score 0.9: none" "[ \$(rows '$T/b9/notice.log' Beacon) -eq 0 ]"
"$V" analyze -q --beacon-min-conns 41 -r "$T/beacon.pcap" -l "$T/b41"
check "beacon: --beacon-min-conns 41: none" "[ \$(rows '$T/b41/notice.log' Beacon) -eq 0 ]"

# 3. busy traces that are not beacons
for t in http/zeek-methods.pcap ftp/zeek-ftp-bruteforce.pcap malware/corelight-strrat.pcap \
         malware/corelight-asyncrat.pcap; do
    [ -f "$C/$t" ] || { nok "$t missing"; continue; }
    d="$T/nb-$(basename "$t")"
    "$V" analyze -q -r "$C/$t" -l "$d"
    check "not a beacon: $t" "[ \$(rows '$d/notice.log' Beacon) -eq 0 ]"
done
# the 49 requests of zeek-methods, 4 s apart, are a beacon only without
# the minimum span
"$V" analyze -q --beacon-min-span 0 -r "$C/http/zeek-methods.pcap" -l "$T/span0"
check "zeek-methods: a beacon with --beacon-min-span 0" "[ \$(rows '$T/span0/notice.log' Beacon) -eq 1 ]"

[ $fails -eq 0 ]

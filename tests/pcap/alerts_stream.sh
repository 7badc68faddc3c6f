#!/usr/bin/env bash
# alerts_stream.sh - reassembled-stream inspection (docs/alerts.md): a
# generated pcap (tests/pcap/mkpcap_split.py) where "EVIL" is split over two
# TCP segments, once in order and once out of order.  Each rule must alert
# exactly as many times as it matches, on the packet that completed the
# match: default tcp content rules on the stream (once, not again on the
# packet), tcp-pkt / flow:no_stream on packets only, flow:only_stream on the
# stream only, content with depth on both but once, relative content and a
# pcre across the segment boundary, a tcp-pkt content in the first segment
# (its candidacy comes from the stream window's scan) that the next
# segment's window holds in its tail.  Then thresholds on a SYN scan (same
# script, "scan" pcap): detection_filter with unique_on dst_port, threshold
# type backoff, limit by_both, detection_filter by_rule.
#
# Prints TAP-style "ok - ..." / "not ok - ..." lines; exits 1 on failure,
# 77 when the vigil binary or python3 is missing.
set -u
VIGIL="${VIGIL:-$PWD/build/release/vigil}"
TMP="${TEST_TMP:-$(mktemp -d)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
[ -x "$VIGIL" ] || { echo "skip: no vigil binary at $VIGIL"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

failed=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }

mkdir -p "$TMP/st"
python3 "$HERE/mkpcap_split.py" "$TMP/st/split.pcap" || { bad "generate the pcap"; exit 1; }
cat >"$TMP/st/split.rules" <<'RULES'
alert tcp any any -> any any (msg:"default"; content:"EVIL"; sid:1;)
alert tcp-pkt any any -> any any (msg:"packets only"; content:"EVIL"; sid:2;)
alert tcp any any -> any any (msg:"only_stream"; flow:established,to_server,only_stream; content:"EVIL"; sid:3;)
alert tcp any any -> any any (msg:"one segment"; content:"HELLO"; sid:4;)
alert tcp any any -> any any (msg:"depth: packet and stream, once"; content:"HELLO"; depth:5; sid:5;)
alert tcp any any -> any any (msg:"no_stream"; flow:no_stream; content:"WORLD"; sid:6;)
alert tcp any any -> any any (msg:"relative"; content:"EV"; content:"IL"; distance:0; within:2; sid:7;)
alert tcp any any -> any any (msg:"pcre"; pcre:"/EVIL\s+WORLD/"; sid:8;)
alert tcp any any -> any any (msg:"nothing across"; content:"EVILWORLD"; sid:9;)
alert tcp-pkt any any -> any any (msg:"packets only, in the next window's tail"; content:"HELLO"; sid:10;)
RULES
"$VIGIL" analyze -q -r "$TMP/st/split.pcap" -S "$TMP/st/split.rules" -l "$TMP/st/out" \
    >"$TMP/st/out.txt" 2>"$TMP/st/err.txt"; rc=$?
[ $rc -eq 0 ] && ok "analyze with stream rules exits 0" || bad "analyze exit $rc: $(cat "$TMP/st/err.txt")"
grep -q "not evaluated" "$TMP/st/err.txt" && bad "a rule was skipped: $(cat "$TMP/st/err.txt")" \
    || ok "tcp-stream, only_stream and no_stream rules are evaluated"

# sid -> sorted pcap_cnt list (in $EVE)
EVE="$TMP/st/out/eve.json"
got() {
  python3 - "$EVE" "$1" <<'PY'
import json, sys
n = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") == "alert" and e["alert"]["signature_id"] == int(sys.argv[2]):
        n.append(e.get("pcap_cnt", 0))
print(",".join(str(x) for x in sorted(n)))
PY
}
want() { # $1 sid, $2 expected pcap_cnt list, $3 what
  local g; g=$(got "$1")
  [ "$g" = "$2" ] && ok "sid $1 ($3): alerts at packets [$2]" || bad "sid $1 ($3): want [$2] got [$g]"
}
want 1 "5,14" "split content, in order and out of order, once each"
want 2 "" "tcp-pkt never sees the split word"
want 3 "5,14" "only_stream"
want 4 "4" "content in one segment alerts once, not again on the stream"
want 5 "4" "depth: stream and packet, one alert"
want 6 "5" "no_stream on the packet"
want 7 "5,14" "relative content across the boundary"
want 8 "5" "pcre across the boundary"
want 9 "" "no match where the bytes are not adjacent"
want 10 "4" "tcp-pkt: the packet's bytes, not the stream tail before them"

python3 "$HERE/mkpcap_split.py" "$TMP/st/scan.pcap" scan || { bad "generate the scan pcap"; exit 1; }
cat >"$TMP/st/scan.rules" <<'RULES'
alert tcp any any -> 1.1.1.1 any (msg:"df unique_on"; flags:S; flow:stateless; detection_filter: track by_dst, count 3, seconds 60, unique_on dst_port; sid:11;)
alert tcp any any -> 1.1.1.1 any (msg:"backoff"; flags:S; threshold: type backoff, track by_rule, count 1, multiplier 2; sid:12;)
alert tcp any any -> 1.1.1.1 any (msg:"limit by_both"; flags:S; threshold: type limit, track by_both, count 2, seconds 60; sid:13;)
alert tcp any any -> 1.1.1.1 any (msg:"df by_rule"; flags:S; detection_filter: track by_rule, count 8, seconds 60; sid:14;)
RULES
"$VIGIL" analyze -q -r "$TMP/st/scan.pcap" -S "$TMP/st/scan.rules" -l "$TMP/st/scan" \
    >/dev/null 2>"$TMP/st/scan.err"; rc=$?
[ $rc -eq 0 ] && ! grep -q "not evaluated" "$TMP/st/scan.err" && ok "threshold rules load and run" \
    || bad "scan: exit $rc: $(cat "$TMP/st/scan.err")"
EVE="$TMP/st/scan/eve.json"
want 11 "6,7,8,9,10" "unique_on dst_port: from the 4th distinct port on"
want 12 "1,2,4,8" "backoff count 1 multiplier 2"
want 13 "1,2" "limit 2 by_both"
want 14 "9,10" "detection_filter by_rule count 8"
exit $failed

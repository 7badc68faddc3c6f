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
# type backoff, limit by_both, detection_filter by_rule.  In between, the
# stream rule groups by direction and server port ("reply" pcap) and the
# short NUL patterns of packet-only rules in stream-held packets ("nul").
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
got() { python3 "$HERE/eve_pcaps.py" "$EVE" "$1"; }
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

# Signature groups (docs/alerts.md "Engine"): the stream databases are split
# by direction and, for ports that many rules name, by server port.  Same
# alerts with and without ten filler rules that give ports 7777 and 9999
# groups of their own (two databases more), "reply" pcap: EVIL split once
# to the server (packet 5) and once to the client (packet 8); then HELLO,
# 200 bytes, WORLD (packet 18): the fast pattern lies 200 bytes back in the
# tail, which is not scanned again (its matches come from the window before).
python3 "$HERE/mkpcap_split.py" "$TMP/st/reply.pcap" reply || { bad "generate the reply pcap"; exit 1; }
cat >"$TMP/st/groups.rules" <<'RULES'
alert tcp any any -> any 7777 (msg:"to the server port"; content:"EVIL"; sid:21;)
alert tcp any 7777 -> any any (msg:"from the server port"; content:"EVIL"; sid:22;)
alert tcp any any -> any any (msg:"to_client"; flow:to_client; content:"EVIL"; sid:23;)
alert tcp any any -> any any (msg:"to_server"; flow:to_server; content:"EVIL"; sid:24;)
alert tcp any 7777 <> any any (msg:"both ways"; content:"EVIL"; sid:25;)
alert tcp any any -> any 7778 (msg:"another port"; content:"EVIL"; sid:26;)
alert tcp-pkt any 7777 -> any any (msg:"packet from the server port"; content:"SERVER"; sid:27;)
alert tcp any any -> any [7000:7776,7778:8000] (msg:"around the port"; content:"EVIL"; sid:28;)
alert tcp any any -> any !7777 (msg:"not the port"; content:"EVIL"; sid:29;)
alert tcp any any -> any any (msg:"fast pattern in the tail"; content:"HELLO"; fast_pattern; content:"WORLD"; distance:200; sid:15;)
RULES
cp "$TMP/st/groups.rules" "$TMP/st/groups_fill.rules"
for i in 0 1 2 3 4 5 6 7 8 9; do
  echo "alert tcp any any -> any [7777,9999] (msg:\"filler $i\"; content:\"nothing-$i\"; sid:3$i;)"
done >>"$TMP/st/groups_fill.rules"
dbs() { sed -nE 's/^detect: .* CPU \(([0-9]+) databases.*/\1/p' "$1"; }
for g in groups groups_fill; do
  "$VIGIL" analyze -q -r "$TMP/st/reply.pcap" -S "$TMP/st/$g.rules" -l "$TMP/st/$g" \
      --rules-cache off >/dev/null 2>"$TMP/st/$g.err" || bad "$g: analyze failed: $(cat "$TMP/st/$g.err")"
  EVE="$TMP/st/$g/eve.json"
  want 21 "5" "$g: dst port 7777, to the server only"
  want 22 "8" "$g: src port 7777, to the client only"
  want 23 "8" "$g: flow:to_client"
  want 24 "5" "$g: flow:to_server"
  want 25 "5,8" "$g: <> both ways"
  want 26 "" "$g: another port"
  want 27 "6" "$g: tcp-pkt candidate from the to-client window's scan"
  want 28 "" "$g: a range around the port"
  want 29 "8" "$g: !7777 (the client's port, to the client)"
  want 15 "18" "$g: fast pattern 200 bytes back in the tail (remembered from the last window)"
done
n0=$(dbs "$TMP/st/groups.err") n1=$(dbs "$TMP/st/groups_fill.err")
[ -n "$n0" ] && [ "${n1:-x}" = "$((n0 + 2))" ] && ok "ports 7777 and 9999 get groups: $n0 -> $n1 databases" \
    || bad "databases without/with the fillers: '$n0' '$n1' (want +2)"

# Packet-only rules whose pattern less its leading NULs is under 3 bytes
# are not derived from the stream window's scan: a packet the window holds
# is searched for them around its NULs (engine_eval.c, covered_candidates).
# Same alerts with the stream rule (sid 40: that path) and without it (the
# packet's own Vectorscan scan), "nul" pcap, client segments = packets 4-8.
python3 "$HERE/mkpcap_split.py" "$TMP/st/nul.pcap" nul || { bad "generate the nul pcap"; exit 1; }
cat >"$TMP/st/nul.rules" <<'RULES'
alert tcp any any -> any any (msg:"stream rule"; content:"rest"; sid:40;)
alert tcp-pkt any any -> any any (msg:"NULs first in the payload"; content:"|00 00 00 05|"; sid:41;)
alert tcp-pkt any any -> any any (msg:"NUL last in the payload"; content:"|5c 00|"; sid:42;)
alert tcp-pkt any any -> any any (msg:"nocase after a NUL"; content:"|00|ab"; nocase; sid:43;)
alert tcp-pkt any any -> any any (msg:"three NULs"; content:"|00 00 00|"; sid:44;)
alert tcp-pkt any any -> any any (msg:"five bytes"; content:"|00 00 00 07 08|"; sid:45;)
alert tcp-pkt any any -> any any (msg:"no NUL"; content:"zz"; sid:46;)
alert tcp-pkt any any -> any any (msg:"no such byte after a NUL"; content:"|00|Q"; sid:47;)
alert tcp-pkt any any -> any any (msg:"a NUL inside a run"; content:"|00 05|"; sid:48;)
RULES
grep -v 'sid:40;' "$TMP/st/nul.rules" >"$TMP/st/nul_pkt.rules"
for g in nul nul_pkt; do
  "$VIGIL" analyze -q -r "$TMP/st/nul.pcap" -S "$TMP/st/$g.rules" -l "$TMP/st/$g" \
      --rules-cache off >/dev/null 2>"$TMP/st/$g.err" || bad "$g: analyze failed: $(cat "$TMP/st/$g.err")"
  EVE="$TMP/st/$g/eve.json"
  want 41 "4" "$g: NULs first in the payload"
  want 42 "5" "$g: a NUL last in the payload"
  want 43 "6" "$g: nocase after a NUL"
  want 44 "4,8" "$g: three NULs in one payload, not two plus one across packets"
  want 45 "8" "$g: a pattern longer than a word"
  want 46 "8" "$g: a pattern without a NUL"
  want 47 "" "$g: no such byte after a NUL"
  want 48 "4" "$g: a NUL inside a run"
done
EVE="$TMP/st/nul/eve.json"
want 40 "4" "nul: the stream rule"

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

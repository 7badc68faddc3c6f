#!/usr/bin/env bash
# archive_live.sh - vigil capture end to end on a real interface: two
# network namespaces this test creates, joined by a veth pair; tcpreplay
# sends corpus traces from one end, `vigil capture` and `tcpdump -w`
# listen on the other.  Every replayed packet must be in the archive, with
# the same bytes as tcpdump's copy; indexes valid; capture --stats shows
# the drop counters; SIGINT closes the file and its index.  Traffic stays
# inside the namespaces; they are deleted on exit.  docs/capture.md.
set -u
V="${VIGIL:-build/release/vigil}"
V="$(cd "$(dirname "$V")" && pwd)/$(basename "$V")"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
TOOL="$(cd "$(dirname "$0")" && pwd)/archive_tool.py"
. "$(dirname "$0")/lib_netns.sh"
netns_require ip tcpreplay tcpdump python3
netns_kill_on_exit vpid tpid
netns_up l 10.231.0 mtu 9000

# a rule on the HTTP basic-auth trace: capture --rules alerts as analyze -S does on the file
echo 'alert http any any -> any any (msg:"basic auth"; flow:to_server; http.header; content:"Authorization|3a| Basic"; sid:9100001;)' >"$T/live.rules"
ip netns exec "$NB" "$V" capture -i "$IB" -q --data "$T/d" --sensor live -B 16 --rules "$T/live.rules" \
  2>"$T/cap.err" &
vpid=$!
ip netns exec "$NB" tcpdump -i "$IB" -s 0 -U -w "$T/tcpdump.pcap" 2>"$T/td.err" &
tpid=$!
for _ in $(seq 1 300); do
  [ -f "$T/d/sensor_data/live/capture.stats" ] && grep -q listening "$T/td.err" && break
  sleep 0.1
done
sleep 0.5
traces="$C/http/arkime-http-basicauth.pcap $C/ssh/zeek-ssh.pcap"
sent=0
for tr in $traces; do
  out=$(ip netns exec "$NA" tcpreplay -i "$IA" --mbps 50 "$tr" 2>&1)
  n=$(echo "$out" | awk '/Actual:/ {print $2; exit}')
  sent=$((sent + ${n:-0}))
done
sleep 1.5
kill -INT "$vpid" "$tpid"; wait "$vpid"; rc=$?; wait "$tpid" 2>/dev/null; vpid=; tpid=
check "vigil capture stops on SIGINT with exit 0" "[ $rc -eq 0 ]"
check "tcpreplay sent packets ($sent)" "[ $sent -gt 1000 ]"
arch=$(python3 -c "
exec(open('$TOOL').read().split('def main')[0])
print(' '.join(p for _,_,p in files('$T/d','live')))")
python3 "$TOOL" records $arch | awk '{print $2, $3, $4}' >"$T/arc.rec"
python3 "$TOOL" records "$T/tcpdump.pcap" | awk '{print $2, $3, $4}' >"$T/td.rec"
for tr in $traces; do editcap -F pcap "$tr" "$T/src.pcap" 2>/dev/null; python3 "$TOOL" records "$T/src.pcap"; done \
  | awk '{print $2, $3, $4}' >"$T/src.rec"
na=$(wc -l <"$T/arc.rec"); nt=$(wc -l <"$T/td.rec")
check "archive holds what tcpdump -w holds ($na vs $nt packets), same bytes, same order" "cmp -s '$T/arc.rec' '$T/td.rec'"
missing=$(sort "$T/src.rec" | comm -23 - <(sort "$T/arc.rec") | wc -l)
check "every replayed packet is in the archive ($missing missing)" "[ $missing -eq 0 ]"
check "archive indexes valid, file closed with its index" "python3 '$TOOL' check '$T/d' live >'$T/chk' 2>&1"
check "conn.log written under logs/" "[ -s \"\$(find '$T/d/sensor_data/live/logs' -name conn.log | head -1)\" ]"
"$V" analyze -q -r "$C/http/arkime-http-basicauth.pcap" -l "$T/ref" -S "$T/live.rules" 2>/dev/null
want=$(grep -c '"signature_id":9100001' "$T/ref/eve.json")
eve=$(find "$T/d/sensor_data/live/logs" -name eve.json | head -1)
got=$(grep -c '"signature_id":9100001' "$eve" 2>/dev/null)
iface=$(grep -c "\"in_iface\":\"$IB\"" "$eve" 2>/dev/null)
check "capture --rules: the alerts analyze -S gives on the trace ($got of $want), in_iface $IB ($iface)" \
  "[ '$want' -gt 0 ] && [ '$got' = '$want' ] && [ '$iface' = '$want' ]"
"$V" capture --stats --data "$T/d" --sensor live >"$T/stats" 2>&1
check "capture --stats shows received and drops" "grep -q '^  kernel_drops=' '$T/stats' && grep -q '^  received=' '$T/stats' && grep -q '^  running=0' '$T/stats'"
check "drops reported at exit on stderr" "grep -q 'dropped by the kernel' '$T/cap.err'"
[ $fails -eq 0 ] || sed 's/^/# /' "$T/chk" "$T/cap.err" | head -20
exit $((fails > 0))

#!/usr/bin/env bash
# alerts_reload_files.sh - a SIGHUP reload that brings the first file rules
# (docs/alerts.md "File rules", "Reload"): `vigil analyze -i` starts with
# rules that have no file keyword, so no file is followed; the rules file
# is swapped for one with filemd5 (a list holding the served file's MD5),
# fileext and filesize rules and SIGHUP'd: stderr says file tracking
# starts, and the next download alerts on all three, with the same alerts
# `analyze -r` gives on a capture of that download with the same rules.
# Two network namespaces this test creates, joined by a veth pair; an HTTP
# server (python3 -m http.server) in one, the client in the other.
# Skipped (exit 77) without root, ip netns, python3 or tcpdump.
set -u
V="${VIGIL:-build/release/vigil}"
V="$(cd "$(dirname "$V")" && pwd)/$(basename "$V")"
T="${TEST_TMP:-$(mktemp -d)}"
[ -x "$V" ] || { echo "skipped: no vigil binary at $V"; exit 77; }
. "$(dirname "$0")/lib_netns.sh"
netns_require ip python3 tcpdump
netns_kill_on_exit vpid spid tpid ppid_
netns_up f 10.233.0
netns_no_offload

mkdir -p "$T/www" "$T/r"
python3 -c "import sys; sys.stdout.write(''.join('line %05d of the served file\n' % i for i in range(2000)))" \
  >"$T/www/report.txt"
md5=$(md5sum "$T/www/report.txt" | cut -d' ' -f1)
echo "$md5" >"$T/r/bad.md5"
echo 'alert tcp any any -> any any (msg:"no file rule"; content:"NEVERSEEN"; sid:1;)' >"$T/r/live.rules"
cat >"$T/r/v2.rules" <<EOR
alert http any any -> any any (msg:"listed md5"; filemd5:$T/r/bad.md5; sid:21;)
alert http any any -> any any (msg:"txt file"; fileext:"txt"; sid:22;)
alert http any any -> any any (msg:"big file"; filesize:>10000; sid:23;)
EOR

(cd "$T/www" && exec ip netns exec "$NB" python3 -m http.server --bind 10.233.0.2 8080) \
  >/dev/null 2>&1 &
spid=$!
fetch() {
  ip netns exec "$NA" python3 -c '
import sys, time, urllib.request
for _ in range(50):
    try:
        d = urllib.request.urlopen("http://10.233.0.2:8080/report.txt", timeout=5).read()
        print(len(d)); break
    except OSError:
        time.sleep(0.1)
'
}
fetch >/dev/null # the server is up

ip netns exec "$NB" "$V" analyze -q -i "$IB" -l "$T/out" -S "$T/r/live.rules" 2>"$T/err" &
vpid=$!
ip netns exec "$NB" tcpdump -i "$IB" -s 0 -U -w "$T/dl.pcap" 'tcp port 8080' 2>"$T/td.err" &
tpid=$!
for _ in $(seq 1 300); do grep -q listening "$T/td.err" && [ -f "$T/out/conn.log" ] && break; sleep 0.1; done
sleep 0.5
# a packet a few times a second: a reload is swapped in between packets
ip netns exec "$NA" ping -q -i 0.2 10.233.0.2 >/dev/null 2>&1 &
ppid_=$!
n1=$(fetch)
sleep 0.5
cp "$T/r/v2.rules" "$T/r/live.rules.new" && mv "$T/r/live.rules.new" "$T/r/live.rules"
kill -HUP "$vpid"
for _ in $(seq 1 300); do grep -q "rules reloaded" "$T/err" && break; sleep 0.1; done
check "SIGHUP: 'rules reloaded: 3 loaded' logged" "grep -q 'rules reloaded: 3 loaded, 0 rejected' '$T/err'"
check "the reload says file tracking starts" \
  "grep -q 'file rules: following files from now on' '$T/err'"
n2=$(fetch)
sleep 1
kill -INT "$vpid"; wait "$vpid"; rc=$?; vpid=
kill -INT "$tpid"; wait "$tpid" 2>/dev/null; tpid=
check "both downloads complete ($n1, $n2 bytes)" "[ '${n1:-0}' = 60000 ] && [ '${n2:-0}' = 60000 ]"
check "vigil analyze -i stops on SIGINT with exit 0" "[ $rc -eq 0 ]"
count() { grep -c "\"signature_id\":$2," "$1" 2>/dev/null; }
for sid in 21 22 23; do
  check "after the reload, file rule sid $sid alerts once ($(count "$T/out/eve.json" $sid))" \
    "[ \"\$(count '$T/out/eve.json' $sid)\" = 1 ]"
done
# the same rules on the capture of both downloads: two alerts each (no reload there)
"$V" analyze -q -r "$T/dl.pcap" -l "$T/ref" -S "$T/r/v2.rules" 2>/dev/null
check "analyze -r on the capture: 2 alerts per file rule" \
  "[ \"\$(count '$T/ref/eve.json' 21)\$(count '$T/ref/eve.json' 22)\$(count '$T/ref/eve.json' 23)\" = 222 ]"
check "no files.log: the rules' file tracking stores and logs nothing" "[ ! -e '$T/out/files.log' ]"
[ $fails -eq 0 ] || sed 's/^/# /' "$T/err" | head -20
exit $((fails > 0))

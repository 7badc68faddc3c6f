#!/usr/bin/env bash
# capture_privdrop.sh - `vigil capture --user`: the sensor opens the
# interface as root, then runs as an unprivileged user (ARCHITECTURE.md
# section 8, docs/capture.md "Privileges").  In a pair of network namespaces
# this test makes: capture runs with --user nobody and --rules; while it
# runs, /proc shows every uid and gid of the process as nobody's, no
# effective or permitted capability and no_new_privs set; the archive,
# its index, the logs and eve.json are written and owned by nobody,
# including a file a root-run capture left in the sensor's directory;
# the alerts are those `analyze -S` gives on the same trace.  Unknown
# users and --group alone are usage errors (exit 2).  `analyze -i --user`
# drops the same way.
set -u
V="${VIGIL:-build/release/vigil}"
V="$(cd "$(dirname "$V")" && pwd)/$(basename "$V")"
C="${CORPUS:-../shared/corpus}"
# not under TEST_TMP: nobody must be able to walk down to the data root
T=$(mktemp -d /tmp/vigil-privdrop.XXXXXX)
netns_on_exit() { rm -rf "$T"; }
TOOL="$(cd "$(dirname "$0")" && pwd)/archive_tool.py"
. "$(dirname "$0")/lib_netns.sh"
netns_require ip tcpreplay python3
id nobody >/dev/null 2>&1 || { echo "skipped: no user 'nobody' here"; exit 77; }
NUID=$(id -u nobody); NGID=$(id -g nobody)
netns_kill_on_exit vpid
netns_up p 10.232.0
wait_file() { # until FILE exists (30 s at most), then a moment for the process to settle
  for _ in $(seq 1 300); do [ -f "$1" ] && break; sleep 0.1; done
  sleep 0.3
}

chmod 755 "$T"
mkdir -p "$T/d/sensor_data/priv/dailylogs/2000-01-01"
echo old >"$T/d/sensor_data/priv/dailylogs/2000-01-01/left-by-root"
echo 'alert http any any -> any any (msg:"basic auth"; flow:to_server; http.header; content:"Authorization|3a| Basic"; sid:9100002;)' >"$T/p.rules"
chmod 644 "$T/p.rules"

ip netns exec "$NB" "$V" capture -i "$IB" --data "$T/d" --sensor priv -B 16 --user nobody \
  --log-dir "$T/logs" --rules "$T/p.rules" 2>"$T/cap.err" &
vpid=$!
wait_file "$T/d/sensor_data/priv/capture.stats"
st=$(cat "/proc/$vpid/status" 2>/dev/null)
uids=$(echo "$st" | awk '/^Uid:/ {print $2, $3, $4, $5}')
gids=$(echo "$st" | awk '/^Gid:/ {print $2, $3, $4, $5}')
capeff=$(echo "$st" | awk '/^CapEff:/ {print $2}')
capprm=$(echo "$st" | awk '/^CapPrm:/ {print $2}')
nnp=$(echo "$st" | awk '/^NoNewPrivs:/ {print $2}')
check "every uid is nobody's ($uids)" "[ '$uids' = '$NUID $NUID $NUID $NUID' ]"
check "every gid is nobody's group's ($gids)" "[ '$gids' = '$NGID $NGID $NGID $NGID' ]"
check "no effective or permitted capability left ($capeff, $capprm)" \
  "[ '$capeff' = 0000000000000000 ] && [ '$capprm' = 0000000000000000 ]"
check "no_new_privs set ($nnp)" "[ '$nnp' = 1 ]"
check "capture says whom it runs as" "grep -q 'running as nobody (uid $NUID' '$T/cap.err'"

out=$(ip netns exec "$NA" tcpreplay -i "$IA" --mbps 50 "$C/http/arkime-http-basicauth.pcap" 2>&1)
sent=$(echo "$out" | awk '/Actual:/ {print $2; exit}')
sleep 1.5
kill -INT "$vpid"; wait "$vpid"; rc=$?; vpid=
check "capture as nobody stops on SIGINT with exit 0 (rc $rc)" "[ $rc -eq 0 ]"
arch=$(python3 -c "
exec(open('$TOOL').read().split('def main')[0])
print(' '.join(p for _,_,p in files('$T/d','priv')))")
np=$(python3 "$TOOL" records $arch 2>/dev/null | wc -l)
check "the archive holds the replayed packets ($np of ${sent:-0})" "[ '${sent:-0}' -gt 0 ] && [ $np -ge '${sent:-0}' ]"
check "archive indexes valid" "python3 '$TOOL' check '$T/d' priv >'$T/chk' 2>&1"
notnobody=$(find "$T/d/sensor_data/priv" "$T/logs" ! -user nobody | wc -l)
check "everything under the sensor's directory and --log-dir is nobody's ($notnobody not)" \
  "[ $notnobody -eq 0 ]"
check "conn.log written as nobody" "[ -s '$T/logs/conn.log' ] && [ \"\$(stat -c %u '$T/logs/conn.log')\" = $NUID ]"
"$V" analyze -q -r "$C/http/arkime-http-basicauth.pcap" -l "$T/ref" -S "$T/p.rules" 2>/dev/null
want=$(grep -c '"signature_id":9100002' "$T/ref/eve.json")
got=$(grep -c '"signature_id":9100002' "$T/logs/eve.json" 2>/dev/null)
check "--rules after the drop: the alerts analyze -S gives ($got of $want)" \
  "[ '$want' -gt 0 ] && [ '$got' = '$want' ]"

# analyze -i --user: the same drop for a live analysis without an archive
ip netns exec "$NB" "$V" analyze -i "$IB" -l "$T/alogs" -q --user nobody 2>"$T/an.err" &
vpid=$!
wait_file "$T/alogs/conn.log"
auids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$vpid/status" 2>/dev/null)
ip netns exec "$NA" tcpreplay -i "$IA" --mbps 50 "$C/http/arkime-http-basicauth.pcap" >/dev/null 2>&1
sleep 1
kill -INT "$vpid"; wait "$vpid"; rc=$?; vpid=
check "analyze -i --user nobody: every uid nobody's ($auids), exit 0 (rc $rc)" \
  "[ '$auids' = '$NUID $NUID $NUID $NUID' ] && [ $rc -eq 0 ]"
check "analyze -i --user: http.log written, owned by nobody" \
  "grep -q 'xxxx.js' '$T/alogs/http.log' && [ \"\$(stat -c %u '$T/alogs/http.log')\" = $NUID ]"
"$V" analyze -r "$C/http/arkime-http-basicauth.pcap" -l "$T/x" --user nobody 2>"$T/e0"; rc=$?
check "analyze --user without -i: exit 2" "[ $rc -eq 2 ] && grep -q 'live interface' '$T/e0'"

"$V" capture -i "$IA" --data "$T/d2" --user no-such-user-vigil >/dev/null 2>"$T/e1"; rc=$?
check "unknown user: exit 2 naming it" "[ $rc -eq 2 ] && grep -q \"no user 'no-such-user-vigil'\" '$T/e1'"
"$V" capture -i "$IA" --data "$T/d2" --group nogroup >/dev/null 2>"$T/e2"; rc=$?
check "--group without --user: exit 2" "[ $rc -eq 2 ] && grep -q 'needs --user' '$T/e2'"
check "nothing made for the refused runs" "[ ! -e '$T/d2' ]"
mkdir -m 700 "$T/closed"
ip netns exec "$NB" "$V" capture -i "$IB" --data "$T/closed/d" --user nobody -q 2>"$T/e3"; rc=$?
check "a data root nobody cannot reach: exit 1 saying so" \
  "[ $rc -eq 1 ] && grep -q 'as nobody, .* is not writable' '$T/e3'"
[ $fails -eq 0 ] || sed 's/^/# /' "$T/cap.err" "$T/chk" 2>/dev/null | head -20
exit $((fails > 0))

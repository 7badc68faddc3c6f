#!/usr/bin/env bash
# alerts_reload.sh - `vigil analyze -i` with rules on a live interface, and
# SIGHUP rule reloads (docs/alerts.md "Reload"): two network namespaces this
# test creates, joined by a veth pair; a TCP server in one, a client in the
# other, `vigil analyze -i` listening on the server's side.
#
#   1. rules v1: "ALPHA" alerts as sid 1; "SETBIT" sets flowbit fb (noalert)
#      on connection A, which stays open.
#   2. the rules file is swapped for v2 (sid 1 gone, "ALPHA" is sid 11,
#      "CHECK" with flowbits:isset,fb is sid 3, one broken rule), SIGHUP:
#      "rules reloaded: 3 loaded, 1 rejected" on stderr.
#   3. connection A sends "CHECK": sid 3 alerts, so the flow and its
#      flowbit survived the reload; a new connection's "ALPHA" is sid 11.
#   4. the rules file is removed, SIGHUP: the reload fails, the v2 rules
#      stay ("ALPHA" is sid 11 again).
# WORKERS=N runs vigil with --workers N (alerts_reload_workers.sh: 2; all
# the test's flows are between one address pair, so one worker gets them
# and the other idles - the reload must reach both).
# Traffic stays inside the namespaces; they are deleted on exit.  Skipped
# (exit 77) without root, ip netns or python3.
set -u
V="${VIGIL:-build/release/vigil}"
V="$(cd "$(dirname "$V")" && pwd)/$(basename "$V")"
T="${TEST_TMP:-$(mktemp -d)}"
[ -x "$V" ] || { echo "skipped: no vigil binary at $V"; exit 77; }
. "$(dirname "$0")/lib_netns.sh"
netns_require ip python3
netns_kill_on_exit vpid spid cpid ppid_
netns_on_exit() { exec 7>&- 2>/dev/null; }
netns_up r 10.232.0
netns_no_offload

mkdir -p "$T/r"
cat >"$T/r/live.rules" <<'EOF'
alert tcp any any -> any any (msg:"v1 alpha"; flow:to_server; content:"ALPHA"; sid:1;)
alert tcp any any -> any any (msg:"set fb"; flow:to_server; content:"SETBIT"; flowbits:set,fb; flowbits:noalert; sid:2;)
EOF
cat >"$T/r/v2.rules" <<'EOF'
alert tcp any any -> any any (msg:"v2 alpha"; flow:to_server; content:"ALPHA"; sid:11;)
alert tcp any any -> any any (msg:"set fb"; flow:to_server; content:"SETBIT"; flowbits:set,fb; flowbits:noalert; sid:2;)
alert tcp any any -> any any (msg:"fb kept"; flow:to_server; content:"CHECK"; flowbits:isset,fb; sid:3;)
alert tcp any any -> any any (msg:"broken"; content:"x"; nosuchkeyword; sid:4;)
EOF

# server: accept, read and drop everything
ip netns exec "$NB" python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.232.0.2", 9000)); s.listen(16)
def drain(c):
    while c.recv(65536): pass
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=drain, args=(c,), daemon=True).start()
' &
spid=$!
for _ in $(seq 1 300); do
  ip netns exec "$NB" bash -c 'exec 3<>/dev/tcp/10.232.0.2/9000' 2>/dev/null && break
  sleep 0.1
done
# client: commands on a FIFO ("open A", "send A WORD", "close A")
mkfifo "$T/cmd"
ip netns exec "$NA" python3 -u -c '
import socket, sys, time
conns = {}
for line in sys.stdin:
    w = line.split()
    if not w: continue
    if w[0] == "open":
        for _ in range(50):  # the server may still be starting
            try:
                conns[w[1]] = socket.create_connection(("10.232.0.2", 9000))
                break
            except OSError:
                time.sleep(0.1)
    elif w[0] == "send":
        conns[w[1]].sendall(w[2].encode() + b"\n")
    elif w[0] == "close":
        conns.pop(w[1]).close()
    time.sleep(0.3)
    print("done", line.strip(), flush=True)
' <"$T/cmd" >"$T/client.out" 2>&1 &
cpid=$!
exec 7>"$T/cmd"
say() { local n; n=$(($(wc -l <"$T/client.out") + 1)); echo "$*" >&7;
        for _ in $(seq 1 300); do [ "$(wc -l <"$T/client.out")" -ge "$n" ] && return; sleep 0.1; done; }

ip netns exec "$NB" "$V" analyze -q -i "$IB" -l "$T/out" -S "$T/r/live.rules" \
  ${WORKERS:+--workers "$WORKERS"} --eve-alert payload-printable 2>"$T/err" &
vpid=$!
sleep 1.5
# keep a packet a few times a second on the wire: a reload is swapped in between packets
ip netns exec "$NA" ping -q -i 0.2 10.232.0.2 >/dev/null 2>&1 &
ppid_=$!

say open A; say send A SETBIT
say open B; say send B ALPHA; say close B
cp "$T/r/v2.rules" "$T/r/live.rules.new" && mv "$T/r/live.rules.new" "$T/r/live.rules"
kill -HUP "$vpid"
for _ in $(seq 1 300); do grep -q "rules reloaded" "$T/err" && break; sleep 0.1; done
check "SIGHUP: 'rules reloaded: 3 loaded, 1 rejected' logged" \
  "grep -q 'rules reloaded: 3 loaded, 1 rejected' '$T/err'"
check "SIGHUP: the reload went through the rules cache (its count logged)" \
  "grep -Eq 'rules reloaded: .*; [0-9]+ of [1-9][0-9]* databases from the rules cache\)' '$T/err'"
say send A CHECK; say close A
say open C; say send C ALPHA; say close C
rm -f "$T/r/live.rules"
kill -HUP "$vpid"
for _ in $(seq 1 300); do grep -q "reload failed" "$T/err" && break; sleep 0.1; done
check "a reload that cannot read the rules keeps the old ones, with the error" \
  "grep -q 'rules reload failed, keeping the old rules: cannot open the rules' '$T/err'"
say open D; say send D ALPHA; say close D
sleep 0.5
kill -INT "$vpid"; wait "$vpid"; rc=$?; vpid=
check "vigil analyze -i stops on SIGINT with exit 0" "[ $rc -eq 0 ]"
python3 -c "
import json
n = {}
extras = 0
for l in open('$T/out/eve.json'):
    e = json.loads(l)
    if e.get('event_type') == 'alert':
        n[e['alert']['signature_id']] = n.get(e['alert']['signature_id'], 0) + 1
        extras += e.get('in_iface') == '$IB' and e.get('stream') in (0, 1) and \
            ('ALPHA' in e.get('payload_printable', '') or 'CHECK' in e.get('payload_printable', ''))
for k, v in n.items():
    print(k, v)
print('extras', extras)" >"$T/counts" 2>&1
count() { awk -v s="$1" '$1 == s {n = $2} END {print n + 0}' "$T/counts"; }
check "before the reload: v1's sid 1 alerted once ($(count 1))" "[ $(count 1) -eq 1 ]"
check "flowbit noalert rule sid 2 never alerted" "[ $(count 2) -eq 0 ]"
check "after the reload: a flowbit set before it is still set on the open flow (sid 3: $(count 3))" \
  "[ $(count 3) -eq 1 ]"
check "after the reload: v2's sid 11 on two connections ($(count 11))" "[ $(count 11) -eq 2 ]"
check "every alert names in_iface $IB and carries its payload_printable ($(count extras) of 4)" \
  "[ $(count extras) -eq 4 ]"
check "conn.log written" "[ -s '$T/out/conn.log' ]"
[ $fails -eq 0 ] || sed 's/^/# /' "$T/err" "$T/client.out" | head -30
exit $((fails > 0))

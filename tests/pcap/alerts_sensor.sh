#!/usr/bin/env bash
# alerts_sensor.sh - signatures on the archiving commands and the EVE extras
# (docs/alerts.md "EVE extras", docs/ingest.md, docs/capture.md):
#  1. `vigil ingest --rules` writes the same alerts (sid, pcap_cnt, src/dest,
#     signature) into the sensor's log directory as `vigil analyze -S` does
#     on the same trace, with fast.log and alert.log beside them;
#  2. with --intel too, rule and intel alerts share one eve.json;
#  3. `--eve-alert all`: "packet" is the alerting frame byte for byte (read
#     back from the trace here by pcap_cnt), packet_info.linktype the
#     trace's link type, "payload" the frame's TCP payload, "stream" 0 or 1,
#     payload_printable the payload with non-printable bytes as '.';
#  4. `vigil ingest --midstream-reverse` alerts as `analyze --midstream-reverse`
#     on a midstream request from the responder side (and differs from
#     without it);
#  5. a bad --eve-alert list is a usage error naming the word; `vigil
#     capture --help` lists --rules.
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

# alerts of an eve.json as "sid pcap_cnt src_ip:src_port dest_ip:dest_port signature" lines
alerts() {
  python3 -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event_type") == "alert":
        print(e["alert"]["signature_id"], e.get("pcap_cnt"), "%s:%s" % (e["src_ip"], e.get("src_port")),
              "%s:%s" % (e["dest_ip"], e.get("dest_port")), e["alert"]["signature"])' "$1" | sort
}

# 1. ingest --rules = analyze -S
"$V" analyze -q -r "$P" -S "$R" -l "$T/a" 2>"$T/a.err"
check "analyze -S: exit 0" "[ $? -eq 0 ]"
"$V" ingest -q -r "$P" --data "$T/d" --sensor s1 --rules "$R" --eve-alert all 2>"$T/i.err"
check "ingest --rules: exit 0" "[ $? -eq 0 ]"
L=$(dirname "$(find "$T/d" -name eve.json | head -1)")
alerts "$T/a/eve.json" >"$T/a.alerts"
alerts "$L/eve.json" >"$T/i.alerts"
echo "# $(wc -l <"$T/a.alerts") alerts from analyze: $(head -1 "$T/a.alerts")"
check "analyze alerted" "[ -s '$T/a.alerts' ]"
check "ingest --rules: the same alerts as analyze -S" "cmp -s '$T/a.alerts' '$T/i.alerts'"
check "ingest --rules: fast.log, one line per alert" \
  "[ \$(wc -l <'$L/fast.log') -eq \$(wc -l <'$T/a.alerts') ]"
check "ingest --rules: alert.log beside conn.log" "[ -s '$L/alert.log' ] && [ -s '$L/conn.log' ]"
check "ingest --rules: the figures line" "grep -q '^detect: 1 rules evaluated' '$T/i.err'"

# 2. rules and intel in one eve.json
dst=$(awk '{split($4, a, ":"); print a[1]; exit}' "$T/a.alerts")
printf '#fields\tindicator\tindicator_type\tmeta.source\n%s\tIntel::ADDR\ttest\n' "$dst" >"$T/i.intel"
"$V" ingest -q -r "$P" --data "$T/d2" --rules "$R" --intel "$T/i.intel" 2>"$T/i2.err"
check "ingest --rules --intel: exit 0" "[ $? -eq 0 ]"
E2=$(find "$T/d2" -name eve.json)
check "ingest --rules --intel: one eve.json" "[ \$(echo '$E2' | wc -l) -eq 1 ]"
gids=$(python3 -c '
import json, sys
print(" ".join(sorted({str(json.loads(l)["alert"]["gid"]) for l in open(sys.argv[1])})))' "$E2")
echo "# gids in eve.json: $gids"
check "ingest --rules --intel: rule (gid 1) and intel (gid 9) alerts together" "[ '$gids' = '1 9' ]"

# 3. the extras, checked against the trace itself
python3 - "$L/eve.json" "$P" >"$T/x.out" 2>&1 <<'PY'
import base64, json, struct, sys
eve, pcap = sys.argv[1], sys.argv[2]
raw = open(pcap, "rb").read()
magic = raw[:4]
end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
linktype = struct.unpack(end + "I", raw[20:24])[0]
frames, off = [], 24
while off + 16 <= len(raw):
    incl = struct.unpack(end + "I", raw[off + 8:off + 12])[0]
    frames.append(raw[off + 16:off + 16 + incl])
    off += 16 + incl
bad = n = 0
for l in open(eve):
    e = json.loads(l)
    if e.get("event_type") != "alert":
        continue
    n += 1
    f = frames[e["pcap_cnt"] - 1]
    pkt = base64.b64decode(e.get("packet", ""))
    pl = base64.b64decode(e.get("payload", ""))
    pr = e.get("payload_printable")
    exp_pr = "".join(chr(b) if 32 <= b < 127 or b in (9, 10, 13) else "." for b in pl)
    ok = (pkt == f and e.get("packet_info", {}).get("linktype") == linktype
          and e.get("stream") in (0, 1) and len(pl) > 0 and (pl in f or e["stream"] == 1)
          and pr == exp_pr)
    print("alert sid %d pcap_cnt %d: packet %d bytes, payload %d bytes, stream %s: %s"
          % (e["alert"]["signature_id"], e["pcap_cnt"], len(pkt), len(pl), e.get("stream"),
             "ok" if ok else "MISMATCH"))
    bad += not ok
print("checked %d" % n)
sys.exit(1 if bad or not n else 0)
PY
rc=$?
sed 's/^/# /' "$T/x.out"
check "--eve-alert all: packet = the frame, payload from it, printable form, linktype" "[ $rc -eq 0 ]"
"$V" analyze -q -r "$P" -S "$R" -l "$T/b" --eve-alert payload 2>/dev/null
check "--eve-alert payload: payload without packet or payload_printable" \
  "grep -q '\"payload\":' '$T/b/eve.json' && ! grep -q '\"packet\":\\|payload_printable' '$T/b/eve.json'"
check "no --eve-alert: no payload, no in_iface (file input)" \
  "! grep -q '\"payload\\|\"in_iface\"' '$T/a/eve.json'"

# 4. --midstream-reverse on ingest
M="$C/alerts/sv-http-request-line"
"$V" analyze -q -r "$M.pcap" -S "$M.rules" -l "$T/m1" --midstream-reverse 2>/dev/null
"$V" analyze -q -r "$M.pcap" -S "$M.rules" -l "$T/m0" 2>/dev/null
"$V" ingest -q -r "$M.pcap" --data "$T/d3" --rules "$M.rules" --midstream-reverse 2>/dev/null
alerts "$T/m1/eve.json" >"$T/m1.alerts"; alerts "$T/m0/eve.json" >"$T/m0.alerts"
alerts "$(find "$T/d3" -name eve.json | head -1)" >"$T/m2.alerts"
echo "# midstream: $(wc -l <"$T/m1.alerts") alerts reversed, $(wc -l <"$T/m0.alerts") not"
check "ingest --midstream-reverse: the alerts of analyze --midstream-reverse" \
  "[ -s '$T/m1.alerts' ] && cmp -s '$T/m1.alerts' '$T/m2.alerts' && ! cmp -s '$T/m1.alerts' '$T/m0.alerts'"

# 5. usage
"$V" analyze -q -r "$P" -S "$R" -l "$T/c" --eve-alert payload,bogus 2>"$T/u.err"; rc=$?
check "--eve-alert bogus: exit 2" "[ $rc -eq 2 ]"
check "--eve-alert bogus: the word named" "grep -q \"'bogus' is not one of\" '$T/u.err'"
check "capture --help lists --rules and --eve-alert" \
  "\"$V\" capture --help | grep -q -- '--rules RULES' && \"$V\" capture --help | grep -q -- '--eve-alert'"
exit $((fails > 0))

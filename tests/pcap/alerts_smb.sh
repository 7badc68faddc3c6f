#!/usr/bin/env bash
# alerts_smb.sh - SMB and DCE/RPC identification (src/proto/smb.c, dcerpc.c)
# and the `alert smb` / `alert dcerpc` rules it makes evaluable
# (docs/alerts.md "SMB and DCE/RPC").  A generated pcap
# (tests/pcap/mkpcap_smb.py: SMB 2 on 445, the same bytes unframed on 445,
# DCE/RPC on a dynamic port, NetBIOS + SMB 1 on 139) is analysed:
#   - conn.log's service is smb, -, dce_rpc, smb;
#   - hand-written rules alert exactly on the packets they match: smb rules
#     only on SMB sessions (both directions), a tcp rule on either, a
#     dcerpc rule on SMB (Suricata's rule applies there too) and on
#     DCE/RPC, eve.json's app_proto smb / dcerpc; an smb rule on file.data
#     is skipped with its reason;
#   - Emerging Threats Open: every loaded rule is evaluated (no smb/dcerpc
#     rule skipped) and its SMB lateral-movement rules (2027267, 2025701,
#     2025703), Impacket wmiexec rule (2043996) and asn1 rule (2102383, an
#     SMB 1 session setup whose security blob has a BIT STRING overflow;
#     not on the same blob without it) alert on their packets, nothing on
#     the unframed session.
#
# Prints TAP-style "ok - ..." / "not ok - ..." lines; exits 1 on failure,
# 77 when the vigil binary or python3 is missing.
set -u
VIGIL="${VIGIL:-$PWD/build/release/vigil}"
TMP="${TEST_TMP:-$(mktemp -d)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
RULESET="${RULESET:-$HERE/../../../shared/rules/et-open}"
[ -x "$VIGIL" ] || { echo "skip: no vigil binary at $VIGIL"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }

failed=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }

D="$TMP/smb"
mkdir -p "$D"
python3 "$HERE/mkpcap_smb.py" "$D/smb.pcap" || { bad "generate the pcap"; exit 1; }
cat >"$D/smb.rules" <<'RULES'
alert smb any any -> any any (msg:"smb2 magic"; content:"|FE|SMB"; sid:10;)
alert tcp any any -> any 445 (msg:"tcp path"; content:"|00|W|00|i|00|n|00|d|00|o|00|w|00|s|00|"; sid:11;)
alert smb any any -> any any (msg:"smb path"; content:"|00|W|00|i|00|n|00|d|00|o|00|w|00|s|00|"; sid:12;)
alert dcerpc any any -> any any (msg:"dcerpc rule on smb"; flow:to_server; content:"|05 00|"; offset:16; depth:2; sid:13;)
alert smb any any -> any any (msg:"smb1 dialect"; content:"NT LM 0.12"; sid:15;)
alert smb any any -> any any (msg:"smb file.data"; file.data; content:"MZ"; sid:16;)
alert dcerpc any any -> any any (msg:"dcerpc stub"; content:"A|00|D|00|M|00|I|00|N|00|"; sid:17;)
alert smb any any -> any any (msg:"smb server"; flow:to_client; content:"|FE|SMB"; sid:18;)
alert dcerpc any any -> any any (msg:"dcerpc bind"; content:"|05 00 0b|"; depth:3; sid:19;)
RULES
"$VIGIL" analyze -q -r "$D/smb.pcap" -S "$D/smb.rules" -l "$D/out" >"$D/out.txt" 2>"$D/err.txt"
rc=$?
[ $rc -eq 0 ] && ok "analyze exits 0" || bad "analyze exit $rc: $(cat "$D/err.txt")"

svc=$(awk -F'\t' '/^#fields/ { for (i = 2; i <= NF; i++) if ($i == "service") c = i - 1 }
                  !/^#/ { printf "%s:%s ", $6, $c }' "$D/out/conn.log")
[ "$svc" = "445:smb 445:- 49670:dce_rpc 139:smb 445:smb 445:smb " ] &&
    ok "conn.log service: smb (SMB 2, and NetBIOS + SMB 1), - (not framed), dce_rpc (dynamic port)" ||
    bad "conn.log services: [$svc]"

grep -q "rule sid 16: keyword 'file.data' is parsed but not evaluated" "$D/err.txt" &&
    ok "an smb file.data rule is skipped, naming file.data" || bad "sid 16 not reported: $(cat "$D/err.txt")"
grep -q "^detect: 8 rules evaluated" "$D/err.txt" && ok "8 smb/dcerpc/tcp rules evaluated" ||
    bad "detect line: $(grep '^detect:' "$D/err.txt")"

"$VIGIL" rules check "$D/smb.rules" >"$D/chk.txt" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "^loaded: 9$" "$D/chk.txt" && grep -q "^skipped: 1$" "$D/chk.txt" &&
    grep -Eq "^  file.data +1  sids 16$" "$D/chk.txt" &&
    ok "rules check: 9 loaded, exit 0, the file.data smb rule listed as skipped" ||
    bad "rules check exit $rc: $(cat "$D/chk.txt")"

EVE="$D/out/eve.json"
want() { # $1 sid, $2 expected pcap_cnt list, $3 what
    local g
    g=$(python3 "$HERE/eve_pcaps.py" "$EVE" "$1")
    [ "$g" = "$2" ] && ok "sid $1 ($3): alerts at packets [$2]" || bad "sid $1 ($3): want [$2] got [$g]"
}
want 10 "4,5,6,7,8,9" "smb content, every SMB 2 message both ways"
want 11 "6,16" "tcp content on SMB and on the unframed session"
want 12 "6" "the same content as an smb rule: SMB only"
want 13 "6,8" "dcerpc rule on an SMB session (SMB 2 CREATE at offset 16)"
want 15 "35" "SMB 1 after a NetBIOS session request on 139"
want 16 "" "skipped rule"
want 17 "25" "dcerpc content in a DCE/RPC request"
want 18 "5,7,9" "smb rule to_client"
want 19 "23" "dcerpc bind with depth (not the SMB sessions)"

apps=$(python3 - "$EVE" <<'PY'
import json, sys
seen = set()
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") == "alert":
        seen.add("%d:%s" % (e["alert"]["signature_id"], e.get("app_proto", "-")))
print(" ".join(sorted(seen)))
PY
)
[ "$apps" = "10:smb 11:- 11:smb 12:smb 13:smb 15:smb 17:dcerpc 18:smb 19:dcerpc" ] &&
    ok "eve.json app_proto smb / dcerpc on the alerts of identified sessions" || bad "app_proto: [$apps]"

# Emerging Threats Open
if [ -d "$RULESET" ]; then
    "$VIGIL" analyze -q -r "$D/smb.pcap" -S "$RULESET" -l "$D/et" >"$D/et.txt" 2>"$D/et.err"
    rc=$?
    [ $rc -eq 0 ] && ok "analyze with ET Open exits 0" || bad "ET analyze exit $rc"
    if grep -q "keyword 'smb'\|keyword 'dcerpc'" "$D/et.err"; then
        bad "ET smb/dcerpc rules skipped: $(grep -c "keyword 'smb'\|keyword 'dcerpc'" "$D/et.err")"
    else
        ok "ET Open's smb and dcerpc rules are evaluated"
    fi
    read -r loaded evaluated skipped < <(sed -nE 's/^rules: ([0-9]+) loaded.*/\1/p' "$D/et.err" |
        tr '\n' ' '; sed -nE 's/^detect: ([0-9]+) rules evaluated .*, ([0-9]+) skipped;.*/\1 \2/p' "$D/et.err")
    [ -n "${skipped:-}" ] && [ "$skipped" = 0 ] && [ "$loaded" = "$evaluated" ] &&
        ok "ET Open: all $loaded loaded rules evaluated, 0 skipped" ||
        bad "ET Open: loaded ${loaded:-?}, evaluated ${evaluated:-?}, skipped ${skipped:-?}"
    EVE="$D/et/eve.json"
    want 2027267 "6" "ET lateral movement: file created in a remote System32"
    want 2025701 "6,8" "ET SMB2 create request for an executable"
    want 2025703 "8" "ET SMB2 create request for an executable in a temp directory"
    want 2043996 "25" "ET Impacket wmiexec over DCE/RPC"
    want 2102383 "43" "ET asn1 bitstring_overflow in an SMB 1 security blob, not the good one"
    n=$(python3 -c "
import json, sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get('event_type') == 'alert'
          and json.loads(l).get('src_port') == 49701))" "$EVE")
    [ "$n" = 0 ] && ok "ET Open: nothing on the unframed session" || bad "ET alerts on port 49701: $n"
else
    echo "ok - # SKIP no ET Open ruleset at $RULESET"
fi

exit $failed

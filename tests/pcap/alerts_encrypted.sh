#!/usr/bin/env bash
# alerts_encrypted.sh - encrypted sessions (docs/alerts.md, "Encrypted
# sessions"): once a TLS session is established (both sides sent
# ChangeCipherSpec and an encrypted record followed, or TLS 1.3 application
# data after the ServerHello) or an SSH session has both NEWKEYS, payload
# rules (content on pkt_data, dsize > 0) no longer match its packets or its
# stream, as Suricata's default encryption handling; header-only rules and
# application keywords (tls.cert_subject, ssh.software) still do.  --inspect-encrypted
# keeps inspecting.  Traces from the corpus; the expected packet numbers
# follow from their records (tshark -e tls.record.content_type):
#   tls/zeek-tls1.2.pcap: client handshake records in packets 4 and 10, the
#   server's in 5-8; both ChangeCipherSpecs by packet 11 (its encrypted
#   Finished establishes the session); application data in 13, 15 (client)
#   and 16, 18 (server).
#
# Prints TAP-style "ok - ..." / "not ok - ..." lines; exits 1 on failure,
# 77 when the vigil binary, python3 or the corpus is missing.
set -u
VIGIL="${VIGIL:-$PWD/build/release/vigil}"
TMP="${TEST_TMP:-$(mktemp -d)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CORPUS="${CORPUS:-$HERE/../../../shared/corpus}"
[ -x "$VIGIL" ] || { echo "skip: no vigil binary at $VIGIL"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
TLS="$CORPUS/tls/zeek-tls1.2.pcap"
SSH="$CORPUS/ssh/zeek-ssh.pcap"
[ -r "$TLS" ] && [ -r "$SSH" ] || { echo "skip: no corpus at $CORPUS"; exit 77; }

failed=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }

mkdir -p "$TMP/enc"
cat >"$TMP/enc/tls.rules" <<'RULES'
alert tcp any any -> any any (msg:"TLS handshake record"; flow:established,to_server; content:"|16 03|"; depth:2; sid:1;)
alert tcp any any -> any any (msg:"application data to server"; flow:established,to_server; content:"|17 03 03|"; sid:2;)
alert tcp any any -> any any (msg:"application data to client"; flow:established,to_client; content:"|17 03 03|"; sid:3;)
alert tcp any any -> any any (msg:"push packets to server"; flow:established,to_server; flags:PA; sid:4;)
alert tls any any -> any any (msg:"certificate subject"; tls.cert_subject; content:"CN="; sid:5;)
alert tcp any any -> any any (msg:"payload to client"; flow:established,to_client; dsize:>0; sid:6;)
alert tcp any any -> any any (msg:"empty packets to client"; flow:established,to_client; dsize:0; sid:7;)
RULES
cat >"$TMP/enc/ssh.rules" <<'RULES'
alert tcp any any -> any 22 (msg:"payload to server"; flow:established,to_server; dsize:>0; sid:11;)
alert tcp any any -> any 22 (msg:"banner"; flow:established,to_server; content:"SSH-"; depth:4; sid:12;)
alert tcp any any -> any 22 (msg:"acks to server"; flow:established,to_server; flags:A; sid:13;)
alert ssh any any -> any any (msg:"software"; ssh.software; content:"SSH"; nocase; sid:14;)
RULES

# run NAME PCAP RULES [OPTION]: analyze into $TMP/enc/NAME
run() {
  "$VIGIL" analyze -q -r "$2" -S "$3" -l "$TMP/enc/$1" --rules-cache off ${4:+"$4"} \
      >"$TMP/enc/$1.out" 2>"$TMP/enc/$1.err"
  local rc=$?
  [ $rc -eq 0 ] && ok "$1: analyze exits 0" || bad "$1: analyze exit $rc: $(cat "$TMP/enc/$1.err")"
}
# pcaps NAME SID: the sorted pcap_cnt list of SID's alerts in NAME's eve.json
pcaps() { python3 "$HERE/eve_pcaps.py" "$TMP/enc/$1/eve.json" "$2"; }
count() { local l; l=$(pcaps "$1" "$2"); [ -z "$l" ] && echo 0 || echo "$l" | tr ',' '\n' | wc -l; }
expect() { # NAME SID WANT WHAT
  local g; g=$(pcaps "$1" "$2")
  [ "$g" = "$3" ] && ok "$1: sid $2 $4 (packets ${3:-none})" || bad "$1: sid $2 $4: packets '$g', want '$3'"
}

run tls "$TLS" "$TMP/enc/tls.rules"
run tls-full "$TLS" "$TMP/enc/tls.rules" --inspect-encrypted
expect tls 1 "4,10" "handshake records still match"
expect tls 2 "" "no content match in the client's application data"
expect tls 3 "" "no content match in the server's application data"
expect tls 6 "5,6,8" "dsize:>0 only before the session is established"
expect tls-full 2 "13,15" "--inspect-encrypted: the client's application data"
expect tls-full 3 "16,18" "--inspect-encrypted: the server's application data"
expect tls-full 6 "5,6,8,11,16,18" "--inspect-encrypted: every server packet with payload"
for sid in 1 4 5 7; do
  a=$(pcaps tls $sid) b=$(pcaps tls-full $sid)
  [ -n "$a" ] && [ "$a" = "$b" ] && ok "tls: sid $sid (header-only, handshake or tls.cert_subject) is the same either way ($a)" \
      || bad "tls: sid $sid differs: '$a' vs --inspect-encrypted '$b'"
done

run ssh "$SSH" "$TMP/enc/ssh.rules"
run ssh-full "$SSH" "$TMP/enc/ssh.rules" --inspect-encrypted
a=$(count ssh 11) b=$(count ssh-full 11)
[ "$a" -gt 0 ] && [ "$b" -gt "$a" ] && ok "ssh: dsize:>0 matches before NEWKEYS only ($a of $b payload packets)" \
    || bad "ssh: dsize:>0 alerts $a, with --inspect-encrypted $b"
for sid in 12 13 14; do
  a=$(count ssh $sid) b=$(count ssh-full $sid)
  [ "$a" -gt 0 ] && [ "$a" = "$b" ] && ok "ssh: sid $sid (banner, header-only, ssh.software) is the same either way ($a)" \
      || bad "ssh: sid $sid alerts $a, with --inspect-encrypted $b"
done
"$VIGIL" analyze --help 2>&1 | grep -q -- '--inspect-encrypted' && ok "analyze --help names --inspect-encrypted" \
    || bad "analyze --help does not name --inspect-encrypted"
exit $failed

#!/usr/bin/env bash
# alerts_base64.sh - base64_decode / base64_data (docs/alerts.md, "Keywords
# the engine evaluates") end to end on the corpus trace
# http/arkime-http-basicauth.pcap, whose one request carries
# "Authorization: Basic dXNlcnJycnI6cGFzc3dvcmRkZGRk" ("userrrrr:passworddddd").
# A packet rule (alert tcp, decoding from the raw payload) and HTTP rules
# (http.header) must alert once on the request's packet; rules whose decoded
# data does not hold the content, or whose decoding stops first, must not;
# base64_data without a base64_decode is rejected by `vigil rules check`.
# The ET Open rules that use the keywords are evaluated (none skipped for
# base64_decode).  TAP lines; exit 1 on failure, 77 without vigil or corpus.
set -u
VIGIL="${VIGIL:-$PWD/build/release/vigil}"
TMP="${TEST_TMP:-$(mktemp -d)}"
HERE="$(cd "$(dirname "$0")" && pwd)"
CORPUS="${CORPUS:-$HERE/../../../shared/corpus}"
RULESET="${RULESET:-$HERE/../../../shared/rules/et-open}"
[ -x "$VIGIL" ] || { echo "skip: no vigil binary at $VIGIL"; exit 77; }
PCAP="$CORPUS/http/arkime-http-basicauth.pcap"
[ -r "$PCAP" ] || { echo "skip: no corpus at $CORPUS"; exit 77; }

failed=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }

mkdir -p "$TMP/b64"
cat >"$TMP/b64/b.rules" <<'RULES'
alert tcp any any -> any any (msg:"tcp basic auth user"; flow:to_server; content:"Authorization|3a| Basic "; base64_decode:relative; base64_data; content:"userrrrr|3a|"; startswith; sid:1;)
alert http any any -> any any (msg:"http basic auth password"; flow:to_server; http.header; content:"Basic "; base64_decode:bytes 100, offset 0, relative; base64_data; content:"|3a|"; content:"password"; distance:0; sid:2;)
alert http any any -> any any (msg:"not in the credentials"; flow:to_server; http.header; content:"Basic "; base64_decode:relative; base64_data; content:"admin"; sid:3;)
alert http any any -> any any (msg:"cut by bytes"; flow:to_server; http.header; content:"Basic "; base64_decode:bytes 8,relative; base64_data; content:"rrr|3a|"; sid:4;)
alert http any any -> any any (msg:"decoding stops at the line end"; flow:to_server; http.header; content:"Basic "; base64_decode:relative; base64_data; content:"Connection"; sid:5;)
alert http any any -> any any (msg:"absolute offset"; flow:to_server; http.header; base64_decode:offset 2; base64_data; content:"x"; sid:6;)
RULES
"$VIGIL" analyze -r "$PCAP" -l "$TMP/b64/out" -S "$TMP/b64/b.rules" --rules-cache off 2>"$TMP/b64/err"
rc=$?
[ $rc -eq 0 ] && ok "analyze exits 0" || bad "analyze exit $rc: $(tail -3 "$TMP/b64/err")"
grep -q "6 rules evaluated.*, 0 skipped" "$TMP/b64/err" && ok "all 6 rules evaluated, none skipped" ||
  bad "engine line: $(grep '^detect:' "$TMP/b64/err")"
sids=$(python3 -c '
import json, sys
print(" ".join(sorted(str(json.loads(l)["alert"]["signature_id"]) for l in open(sys.argv[1]) if "\"alert\"" in l)))
' "$TMP/b64/out/eve.json" 2>/dev/null)
[ "$sids" = "1 2" ] && ok "alerts: sids 1 (tcp payload) and 2 (http.header) once each" ||
  bad "alerts: sids '$sids', wanted '1 2'"
pc=$(python3 -c '
import json, sys
print(" ".join(str(json.loads(l).get("pcap_cnt")) for l in open(sys.argv[1]) if "\"alert\"" in l))
' "$TMP/b64/out/eve.json" 2>/dev/null)
[ "$pc" = "4 4" ] && ok "both on the request packet (pcap_cnt 4)" || bad "pcap_cnt '$pc', wanted '4 4'"

echo 'alert http any any -> any any (msg:"no decode"; base64_data; content:"a"; sid:9;)' >"$TMP/b64/bad.rules"
"$VIGIL" rules check "$TMP/b64/bad.rules" >"$TMP/b64/chk" 2>&1
grep -q "base64_data (invalid)" "$TMP/b64/chk" && ok "base64_data without base64_decode: rejected" ||
  bad "rules check: $(cat "$TMP/b64/chk")"

if [ -d "$RULESET" ]; then
  mkdir -p "$TMP/b64/et"
  grep -h '^alert.*base64_decode:' "$RULESET"/*.rules >"$TMP/b64/et/b64.rules"
  n=$(wc -l <"$TMP/b64/et/b64.rules")
  "$VIGIL" analyze -r "$PCAP" -l "$TMP/b64/et/out" -S "$TMP/b64/et/b64.rules" --rules-cache off \
    2>"$TMP/b64/et/err"
  if [ "$n" -ge 15 ] && grep -q "^detect: $n rules evaluated.*, 0 skipped" "$TMP/b64/et/err" &&
     ! grep -q "base64" "$TMP/b64/et/err"; then
    ok "ET Open: all $n enabled rules with base64_decode evaluated"
  else
    bad "ET Open base64 rules ($n): $(grep -E '^detect:|base64' "$TMP/b64/et/err" | head -3)"
  fi
fi
exit $failed

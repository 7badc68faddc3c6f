#!/usr/bin/env bash
# intel.sh - the intel framework end to end (docs/intel.md):
#  1. every sample in ../shared/rules/intel loads: each file's "N loaded,
#     0 rejected" line, N counted here independently from the file;
#  2. indicators taken from the corpus's Zeek 8 logs (an address of a
#     conn.log, an HTTP host/URL/user agent, a files.log MD5 and SHA-1, DNS
#     queries and answers as domains and v4/v6 subnets, a TLS SNI, an
#     x509 fingerprint, an SMTP mailfrom) give exactly the expected
#     intel.log rows (ts, uid, id, where, sources, fuid) and one eve.json
#     alert each; an indicator that is nowhere in the traces gives none;
#  3. a JA3 of the samples themselves (abuse.ch's, in both its .intel and
#     its CSV form) hits the corpus trace that carries it;
#     the samples' addresses give the rows Zeek's conn.log and dns.log of
#     three malware traces predict;
#  4. a garbage intel file is reported with line numbers and does not stop
#     the run; a missing one is a usage error (exit 2);
#  5. `vigil ingest --intel` writes the same rows.
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
R="${RULES:-$(dirname "$C")/rules}/intel"
T="${TEST_TMP:-$(mktemp -d)}"
mkdir -p "$T"
[ -f "$C/http/zeek-get.pcap" ] || { echo "corpus trace missing"; exit 77; }
[ -d "$R" ] || { echo "intel samples missing"; exit 77; }
fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
# col LOG NAME...: the named columns of every row of a Zeek TSV log, tab-separated
col() {
  local log=$1; shift
  awk -F'\t' -v want="$*" 'BEGIN { n = split(want, w, " ") }
    /^#fields/ { for (i = 2; i <= NF; i++) idx[$i] = i - 1; next }
    /^#/ { next }
    { line = ""; for (k = 1; k <= n; k++) line = line (k > 1 ? "\t" : "") $(idx[w[k]]); print line }' "$log"
}

# 1. the samples load, every data line of them
"$V" analyze --intel "$R" -r "$C/http/zeek-get.pcap" -l "$T/samples" >"$T/s.out" 2>"$T/s.err"
check "samples: exit 0" "[ $? -eq 0 ]"
nfiles=0
for f in "$R"/zeek/*.intel "$R"/ja3/*.csv; do
  nfiles=$((nfiles + 1))
  case "$f" in
    *.intel) want=$(grep -vc '^#' "$f") ;;
    *) want=$(grep -cE '^[0-9a-f]{32},' "$f") ;;
  esac
  line=$(grep -F "intel: $f: " "$T/s.err" | head -1)
  echo "# $line"
  check "samples: $(basename "$f") loads all $want indicators" \
    "[ \"\$line\" = 'vigil: intel: $f: $want loaded, 0 rejected' ]"
done
check "samples: 11 files found" "[ $nfiles -eq 11 ]"
total=$(grep -E '^vigil: intel: [0-9]+ indicators$' "$T/s.err" | awk '{print $3}')
echo "# $total distinct indicators"
check "samples: distinct indicator count reported" "[ -n '$total' ] && [ '$total' -gt 50000 ]"

# 2. indicators from the corpus's Zeek logs
GET="$C/http/zeek-get.pcap"
DNS="$C/dns/sv-dns-udp-google-a-aaaa-mx.pcap"
ECDHE="$C/tls/zeek-ecdhe.pcap"
SNI="$C/tls/arkime-curl-enabled-tls13.pcap"
SMTP="$C/smtp/arkime-smtp-zip.pcap"
check "provenance: the indicators are in Zeek's logs" \
  "grep -q \$'\t192.150.187.43\t80\t' '${GET%.pcap}.zeek8-conn.log' &&
   grep -q \$'\tbro.org\t/download/CHANGES.bro-aux.txt\t' '${GET%.pcap}.zeek8-http.log' &&
   grep -q 1dd7ac0398df6cbc0696445a91ec681facf4dc47 '${GET%.pcap}.zeek8-files.log' &&
   grep -q 397168fd09991a0e712254df7bc639ac '${GET%.pcap}.zeek8-files.log' &&
   grep -q 'alt1.aspmx.l.google.com' '${DNS%.pcap}.zeek8-dns.log' &&
   grep -q a97a22b691caf62c1623d14abf8a31ac915f14d87f77d8a37c47eb4785b484ad '${ECDHE%.pcap}.zeek8-x509.log' &&
   grep -q \$'\tenabled.tls13.com\t' '${SNI%.pcap}.zeek8-ssl.log' &&
   grep -q \$'\txxxxx@xxx.net\t' '${SMTP%.pcap}.zeek8-smtp.log'"
{
  printf '#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc\n'
  printf '192.150.187.43\tIntel::ADDR\tT-addr\tF\tweb server\n'
  printf 'BRO.org\tIntel::DOMAIN\tT-dom\tF\t-\n'
  printf 'http://bro.org/download/CHANGES.bro-aux.txt\tIntel::URL\tT-url\tF\tchangelog\n'
  printf 'Wget/1.14 (darwin12.2.0)\tIntel::SOFTWARE\tT-sw\tF\twget\n'
  printf '1DD7AC0398DF6CBC0696445A91EC681FACF4DC47\tIntel::FILE_HASH\tT-sha1\tF\tsha1\n'
  printf '397168fd09991a0e712254df7bc639ac\tIntel::FILE_HASH\tT-md5\tT\tmd5\n'
  printf 'google.com.\tIntel::DOMAIN\tT-dns\tF\tgoogle\n'
  printf 'alt1.aspmx.l.google.com\tIntel::DOMAIN\tT-mx\tF\tmx\n'
  printf '216.197.242.0/24\tIntel::SUBNET\tT-net4\tF\tnet4\n'
  printf '2607:f8b0:400f::/48\tIntel::SUBNET\tT-net6\tF\tnet6\n'
  printf 'a97a22b691caf62c1623d14abf8a31ac915f14d87f77d8a37c47eb4785b484ad\tIntel::CERT_HASH\tT-cert\tF\tcert\n'
  printf 'enabled.tls13.com\tIntel::DOMAIN\tT-sni\tF\tsni\n'
  printf 'xxxxx@xxx.net\tIntel::EMAIL\tT-mail\tF\tmail\n'
  printf 'not-in-any-trace.example\tIntel::DOMAIN\tT-none\tF\tabsent\n'
  printf '203.0.113.99\tIntel::ADDR\tT-none\tF\tabsent\n'
} >"$T/t.intel"
run() { # run NAME PCAP [extra args]
  local n=$1 p=$2; shift 2
  "$V" analyze -q --intel "$T/t.intel" "$@" -r "$p" -l "$T/$n" 2>"$T/$n.err"
  check "$n: exit 0" "[ $? -eq 0 ]"
}
rows() { col "$T/$1/intel.log" seen.indicator seen.indicator_type seen.where sources | sort; }
alerts() { grep -c '"event_type":"alert"' "$T/$1/eve.json" 2>/dev/null || echo 0; }

run get "$GET" --extract
uid=$(col "$T/get/http.log" uid)
fuid=$(col "$T/get/files.log" fuid)
exp=$(printf '%s\n' \
  $'1dd7ac0398df6cbc0696445a91ec681facf4dc47\tIntel::FILE_HASH\tFiles::IN_HASH\tT-sha1' \
  $'192.150.187.43\tIntel::ADDR\tConn::IN_RESP\tT-addr' \
  $'397168fd09991a0e712254df7bc639ac\tIntel::FILE_HASH\tFiles::IN_HASH\tT-md5' \
  $'Wget/1.14 (darwin12.2.0)\tIntel::SOFTWARE\tHTTP::IN_USER_AGENT_HEADER\tT-sw' \
  $'bro.org\tIntel::DOMAIN\tHTTP::IN_HOST_HEADER\tT-dom' \
  $'bro.org/download/CHANGES.bro-aux.txt\tIntel::URL\tHTTP::IN_URL\tT-url' | sort)
check "get: the six rows (addr, host, URL, user agent, MD5, SHA-1)" "[ \"\$(rows get)\" = \"\$exp\" ]"
check "get: every row on the session, Zeek's id" \
  "[ \"\$(col '$T/get/intel.log' uid id.orig_h id.orig_p id.resp_h id.resp_p seen.node | sort -u)\" = \"$uid\"\$'\t141.142.228.5\t59856\t192.150.187.43\t80\tvigil' ]"
check "get: ts as Zeek's logs (conn start, request, file)" \
  "[ \"\$(col '$T/get/intel.log' seen.where ts | sort -u | tr '\t\n' ' ')\" = 'Conn::IN_RESP 1362692526.869344 Files::IN_HASH 1362692527.009512 HTTP::IN_HOST_HEADER 1362692526.939527 HTTP::IN_URL 1362692526.939527 HTTP::IN_USER_AGENT_HEADER 1362692526.939527 ' ]"
check "get: file hits carry fuid and mime type" \
  "[ \"\$(col '$T/get/intel.log' seen.where fuid file_mime_type matched | grep Files:: | sort -u)\" = \"Files::IN_HASH\"\$'\t'\"$fuid\"\$'\ttext/plain\tIntel::FILE_HASH' ]"
check "get: one alert per row" "[ $(alerts get) -eq 6 ]"
check "get: the alert names the hit" \
  "grep -q '\"gid\":9,\"signature_id\":9000006,\"rev\":1,\"signature\":\"VIGIL INTEL DOMAIN hit bro.org (T-dom)\"' '$T/get/eve.json'"
check "get: meta.desc is the category" "grep -q '\"signature\":\"VIGIL INTEL URL hit [^\"]*\",\"category\":\"changelog\"' '$T/get/eve.json'"
check "get: fast.log has them too" "[ \$(wc -l <'$T/get/fast.log') -eq 6 ]"
check "get: do_notice=T gives one Intel::Notice" \
  "[ \"\$(col '$T/get/notice.log' note msg)\" = \$'Intel::Notice\tIntel hit on 397168fd09991a0e712254df7bc639ac at Files::IN_HASH' ]"
check "get: intel.log has Zeek's columns" \
  "[ \"\$(grep '^#fields' '$T/get/intel.log' | cut -f2-)\" = \"\$(printf 'ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tseen.indicator\tseen.indicator_type\tseen.where\tseen.node\tmatched\tsources\tfuid\tfile_mime_type\tfile_desc')\" ]"

run dns "$DNS"
check "dns: 3 queries, 12 v4 answers in the /24, 1 v6 answer in the /48, 1 MX name" \
  "[ \"\$(col '$T/dns/intel.log' seen.where matched sources | sort | uniq -c | awk '{\$1=\$1; print}' | tr '\n' '|')\" = '3 DNS::IN_REQUEST Intel::DOMAIN T-dns|1 DNS::IN_RESPONSE Intel::DOMAIN T-mx|12 DNS::IN_RESPONSE Intel::SUBNET T-net4|1 DNS::IN_RESPONSE Intel::SUBNET T-net6|' ]"
check "dns: answers as seen" \
  "col '$T/dns/intel.log' seen.indicator seen.indicator_type | grep -q \$'^2607:f8b0:400f:801::200e\tIntel::ADDR\$'"
check "dns: uids are dns.log's" \
  "[ \"\$(col '$T/dns/intel.log' uid | sort -u)\" = \"\$(col '$T/dns/dns.log' uid | sort -u)\" ]"
check "dns: 17 alerts" "[ $(alerts dns) -eq 17 ]"

run ecdhe "$ECDHE"
check "tls: the certificate's fingerprint in ssl.log's chain, with the session" \
  "[ \"\$(col '$T/ecdhe/intel.log' seen.where seen.indicator id.resp_h id.resp_p | grep a97a22)\" = \$'X509::IN_CERT\ta97a22b691caf62c1623d14abf8a31ac915f14d87f77d8a37c47eb4785b484ad\t74.125.239.97\t443' ]"
check "tls: the certificate's SAN google.com, at x509.log's ts, with the session's id" \
  "col '$T/ecdhe/intel.log' seen.where seen.indicator_type seen.indicator ts id.orig_h id.resp_p | grep -q \$'^X509::IN_CERT\tIntel::DOMAIN\tgoogle.com\t1398529018.711296\t192.168.18.50\t443\$'"
run sni "$SNI"
check "sni: the SNI and both DNS queries for it" \
  "[ \"\$(col '$T/sni/intel.log' seen.where | sort | uniq -c | awk '{\$1=\$1; print}' | tr '\n' '|')\" = '2 DNS::IN_REQUEST|1 SSL::IN_SERVER_NAME|' ]"
run smtp "$SMTP"
check "smtp: MAIL FROM and the From: header" \
  "[ \"\$(col '$T/smtp/intel.log' seen.where seen.indicator | sort | tr '\t\n' ' |')\" = 'SMTP::IN_FROM xxxxx@xxx.net|SMTP::IN_MAIL_FROM xxxxx@xxx.net|' ]"
check "absent indicators: no row anywhere" \
  "! grep -h -e not-in-any-trace -e 203.0.113.99 '$T'/*/intel.log"

"$V" analyze -q -j --intel "$T/t.intel" -r "$GET" -l "$T/json" 2>/dev/null
check "json: Zeek's JSON keys and a set as an array" \
  "grep -q '\"seen.indicator\":\"bro.org\",\"seen.indicator_type\":\"Intel::DOMAIN\",\"seen.where\":\"HTTP::IN_HOST_HEADER\",\"seen.node\":\"vigil\",\"matched\":\[\"Intel::DOMAIN\"\],\"sources\":\[\"T-dom\"\]' '$T/json/intel.log'"

# 2b. meta.url and extra meta columns (ignored), in any column order
printf '#fields\tmeta.source\tmeta.cif_confidence\tindicator\tmeta.url\tindicator_type\n' >"$T/u.intel"
printf 'T-u\t90\tbro.org\thttps://intel.example/bro\tIntel::DOMAIN\n' >>"$T/u.intel"
"$V" analyze -q --intel "$T/u.intel" -r "$GET" -l "$T/url" 2>/dev/null
check "meta.url: in the alert's metadata" \
  "grep -q '\"intel_source\":\[\"T-u\"\],\"intel_url\":\[\"https://intel.example/bro\"\]' '$T/url/eve.json'"
check "meta.url: one row, no category" \
  "[ \"\$(col '$T/url/intel.log' seen.indicator sources)\" = \$'bro.org\tT-u' ] && ! grep -q category '$T/url/eve.json'"

# 3. a JA3 from the samples on the trace that carries it
"$V" analyze -q --intel "$R" -r "$C/tls/sv-tls-ja3s.pcap" -l "$T/ja3" 2>/dev/null
check "ja3: one row, both abuse.ch lists as sources" \
  "[ \"\$(col '$T/ja3/intel.log' seen.indicator seen.where sources id.orig_h)\" = \$'1fe4c7a3544eb27afec2adfb3a3dbf60\tSSL::IN_JA3\tabusech-sslbl-ja3_fingerprints,ABUSE-CH\t2a03:b0c0:2:d0::bd3:4001' ]"
check "ja3: alert category is the CSV's listing reason" "grep -q '\"category\":\"Tofsee\"' '$T/ja3/eve.json'"
check "ja3: ja3 = ssl.log's" "[ \"\$(col '$T/ja3/ssl.log' ja3)\" = 1fe4c7a3544eb27afec2adfb3a3dbf60 ]"

# 3b. the samples' addresses on the corpus's AgentTesla traces, cross-checked
#     with Zeek 8's conn.log and dns.log of the same traces: every session
#     to a listed address that Zeek saw established (TCP) is a
#     Conn::IN_RESP/IN_ORIG row with Zeek's ts, every listed address in a
#     dns.log answer a DNS::IN_RESPONSE row
awk -F'\t' '!/^#/ && $2 == "Intel::ADDR" { print $1 }' "$R"/zeek/*.intel | sort -u >"$T/addrs"
for t in corelight-agenttesla-c2-http corelight-agenttesla-c2-ftp corelight-agenttesla-c2-smtp; do
  z="$C/malware/$t"
  [ -f "$z.pcap" ] || { nok "$t: trace missing"; continue; }
  "$V" analyze -q --intel "$R" -r "$z.pcap" -l "$T/$t" 2>/dev/null
  want=$(col "$z.zeek8-conn.log" ts id.orig_h id.resp_h proto conn_state |
    awk -F'\t' 'NR == FNR { a[$1] = 1; next }
      $4 != "tcp" || $5 ~ /^(S1|S2|S3|SF|RSTO|RSTR)$/ {
        if ($2 in a) print $1 "\tConn::IN_ORIG\t" $2; if ($3 in a) print $1 "\tConn::IN_RESP\t" $3 }' \
      "$T/addrs" - | sort)
  got=$(col "$T/$t/intel.log" ts seen.where seen.indicator | grep Conn:: | sort)
  wdns=$(col "$z.zeek8-dns.log" answers | tr ',' '\n' | grep -cxFf "$T/addrs")
  gdns=$(col "$T/$t/intel.log" seen.where | grep -c DNS::IN_RESPONSE)
  echo "# $t: $(echo "$want" | grep -c .) sessions, $wdns DNS answers in Zeek's logs"
  check "$t: the sessions Zeek logged to listed addresses" "[ -n \"\$want\" ] && [ \"\$got\" = \"\$want\" ]"
  check "$t: the listed addresses in Zeek's dns.log answers" "[ $wdns -gt 0 ] && [ $gdns -eq $wdns ]"
done

# 4. garbage and missing files
printf '#fields\tindicator\tindicator_type\tmeta.source\nok.example\tIntel::DOMAIN\ts\nbad\tIntel::WHAT\ts\n\x01\xff\n' >"$T/bad.intel"
"$V" analyze --intel "$T/bad.intel" -r "$GET" -l "$T/bad" >/dev/null 2>"$T/bad.err"
check "garbage: exit 0" "[ $? -eq 0 ]"
check "garbage: counts" "grep -q 'bad.intel: 1 loaded, 2 rejected' '$T/bad.err'"
check "garbage: line numbers" "grep -q 'bad.intel:3: unknown indicator_type' '$T/bad.err' && grep -q 'bad.intel:4: ' '$T/bad.err'"
"$V" analyze -q --intel "$T/no-such.intel" -r "$GET" -l "$T/missing" 2>"$T/missing.err"
check "missing file: exit 2" "[ $? -eq 2 ]"
check "missing file: named" "grep -q 'no-such.intel' '$T/missing.err'"

# 5. `vigil ingest --intel`: the same rows in the archive's log directory
"$V" ingest -q --data "$T/data" -l "$T/ingest" --intel "$T/t.intel" -r "$GET" 2>"$T/ingest.err"
check "ingest: exit 0" "[ $? -eq 0 ]"
check "ingest: the four session rows (no --extract: no file hashes)" \
  "[ \"\$(col '$T/ingest/intel.log' seen.where | sort | tr '\n' ' ')\" = 'Conn::IN_RESP HTTP::IN_HOST_HEADER HTTP::IN_URL HTTP::IN_USER_AGENT_HEADER ' ]"
check "ingest: four alerts" "[ $(alerts ingest) -eq 4 ]"

[ "$fails" -eq 0 ]

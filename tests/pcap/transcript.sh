#!/usr/bin/env bash
# transcript.sh - `vigil transcript` on corpus traces: Sguil's header fields,
# SRC:/DST: labels, \xNN escaping, --hex, --decode on a gzip response
# (http/zeek-x-gzip.pcap) and a chunked request (http/sv-http-chunked.pcap),
# a UDP conversation, --raw, uids equal to `vigil analyze`'s conn.log, a
# bad uid (exit 1 with a sentence), a bad filter (exit 2) and an ambiguous
# filter (first session printed, the others counted on stderr).
#
# Prints TAP-style "ok - ..." / "not ok - ..." lines; exits 1 on failure,
# 77 when the corpus or the vigil binary is missing.
set -u
VIGIL="${VIGIL:-$PWD/build/release/vigil}"
CORPUS="${CORPUS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/corpus}"
TMP="${TEST_TMP:-$(mktemp -d)}"
[ -x "$VIGIL" ] || { echo "skip: no vigil binary at $VIGIL"; exit 77; }
[ -f "$CORPUS/ftp/zeek-ftp-ipv6.pcap" ] || { echo "skip: no corpus under $CORPUS"; exit 77; }

failed=0
ok() { echo "ok - $1"; }
bad() { echo "not ok - $1"; failed=1; }
has() { # $1 = description, $2 = fixed string, $3 = file
  if grep -qF -- "$2" "$3"; then ok "$1"; else bad "$1"; echo "# missing: $2"; head -c 600 "$3" | sed 's/^/# /'; fi
}
T() { "$VIGIL" transcript -q "$@"; }

FTP="$CORPUS/ftp/zeek-ftp-ipv6.pcap"
"$VIGIL" analyze -q -r "$FTP" -l "$TMP/a" >/dev/null 2>&1
uid=$(awk -F'\t' '/^#fields/ {for (i = 2; i <= NF; i++) f[$i] = i - 1; next} /^#/ {next}
      $f["id.resp_p"] == 21 {print $f["uid"]; exit}' "$TMP/a/conn.log")
[ -n "$uid" ] && ok "analyze wrote the FTP control session's uid ($uid)" || bad "analyze's conn.log has the FTP control session"

T -r "$FTP" --uid "$uid" >"$TMP/t.txt" 2>"$TMP/t.err"; rc=$?
[ $rc -eq 0 ] && ok "--uid from conn.log selects the session (exit 0)" || bad "--uid exit $rc: $(cat "$TMP/t.err")"
has "header: Sensor Name" "Sensor Name:   vigil" "$TMP/t.txt"
has "header: Connection ID is the uid" "Connection ID: $uid" "$TMP/t.txt"
has "header: Src IP" "Src IP:        2001:470:1f11:81f:c999:d94:aa7c:2e3e" "$TMP/t.txt"
has "header: Dst IP" "Dst IP:        2001:470:4867:99::21" "$TMP/t.txt"
has "header: Src Port" "Src Port:      49185" "$TMP/t.txt"
has "header: Dst Port" "Dst Port:      21" "$TMP/t.txt"
has "header: Timestamp" "Timestamp:     2012-02-15 17:42:57" "$TMP/t.txt"
has "DST: label on the server banner" "DST: 220 ftp.NetBSD.org FTP server" "$TMP/t.txt"
has "SRC: label on the client command" "SRC: USER anonymous" "$TMP/t.txt"
# every line after the header rule is labelled
n=$(awk 'f && NF && !/^(SRC|DST): / {n++} /^====/ {f = 1} END {print n + 0}' "$TMP/t.txt")
[ "$n" = 0 ] && ok "every transcript line carries SRC: or DST:" || bad "$n unlabelled lines"
grep -q $'\r' "$TMP/t.txt" && bad "CR LF shown as a line break" || ok "CR LF shown as a line break"

# filter selection gives the same session; ambiguous filter
T -r "$FTP" tcp port 21 >"$TMP/f.txt" 2>"$TMP/f.err"
has "a BPF filter selects the same session" "Connection ID: $uid" "$TMP/f.txt"
T -r "$FTP" tcp >"$TMP/amb.txt" 2>"$TMP/amb.err"; rc=$?
[ $rc -eq 0 ] && ok "ambiguous filter still prints the first (exit 0)" || bad "ambiguous filter exit $rc"
has "ambiguous filter: the others counted on stderr" "the filter matches 5 other sessions too" "$TMP/amb.err"
has "ambiguous filter: how to pick one" "--index N" "$TMP/amb.err"
T -r "$FTP" --index 2 tcp >"$TMP/i2.txt" 2>/dev/null
second=$(T -r "$FTP" --list tcp | awk -F'\t' '$1 == 2 {print $2}')
has "--index 2 picks the second session --list shows" "Connection ID: $second" "$TMP/i2.txt"

# --raw equals Zeek's contents files (header line of the btest baseline dropped)
for d in orig resp; do
  T -r "$FTP" --uid "$uid" --raw $d -w "$TMP/raw.$d"
  tail -n +2 "$CORPUS/ftp/zeek-ftp-ipv6.zeek-contents_$d.dat" >"$TMP/zeek.$d"
  cmp -s "$TMP/raw.$d" "$TMP/zeek.$d" && ok "--raw $d -w FILE equals Zeek's contents_$d.dat" || bad "--raw $d differs from Zeek's contents_$d.dat"
done

# --hex
T -r "$FTP" --uid "$uid" --hex >"$TMP/h.txt"
has "--hex: offset, hex bytes and ASCII column" "DST: 00000000  32 32 30 20 66 74 70 2e  4e 65 74 42 53 44 2e 6f  |220 ftp.NetBSD.o|" "$TMP/h.txt"

# escaping and UDP: a DNS query as one chunk per datagram
DNS="$CORPUS/dns/arkime-dns-error.pcap"
T -r "$DNS" udp >"$TMP/u.txt" 2>/dev/null
has "UDP: protocol in the header" "Protocol:      udp" "$TMP/u.txt"
has "UDP: the query datagram escaped as \\xNN" 'SRC: \xa9\xba\x01\x00\x00\x01' "$TMP/u.txt"
has "UDP: the answer labelled DST" 'DST: \xa9\xba\x85\x83' "$TMP/u.txt"

# --decode: gzip body decoded, chunked request parsed
T -r "$CORPUS/http/zeek-x-gzip.pcap" --decode tcp >"$TMP/d.txt"
has "--decode: the gzip body's heading" "[http body: 19 bytes decoded from gzip: 39 bytes on the wire]" "$TMP/d.txt"
has "--decode: the decompressed text" "DST: Encoded gzip header" "$TMP/d.txt"
T -r "$CORPUS/http/zeek-x-gzip.pcap" tcp >"$TMP/nd.txt"
grep -qF "Encoded gzip header" "$TMP/nd.txt" && bad "without --decode the body stays compressed" || ok "without --decode the body stays compressed"
T -r "$CORPUS/http/sv-http-chunked.pcap" --decode tcp >"$TMP/c.txt"; rc=$?
[ $rc -eq 0 ] && ok "--decode on a chunked request (exit 0)" || bad "--decode on sv-http-chunked exit $rc"
has "--decode: chunked request headers shown" "Transfer-Encoding:" "$TMP/c.txt"

# colour
T -r "$FTP" --uid "$uid" --color=always | grep -q $'\033\[31mSRC: ' && ok "--color=always: SRC in red" || bad "--color=always: no colour"
T -r "$FTP" --uid "$uid" --color=never | grep -q $'\033' && bad "--color=never: no escapes" || ok "--color=never: no escapes"

# errors
T -r "$FTP" --uid CNOSUCHUIDxxxxxxxx >/dev/null 2>"$TMP/e.err"; rc=$?
[ $rc -eq 1 ] && ok "bad uid: exit 1" || bad "bad uid: exit $rc"
has "bad uid: a sentence naming it" "no session has uid CNOSUCHUIDxxxxxxxx in the input" "$TMP/e.err"
T -r "$FTP" 'tcp port' >/dev/null 2>"$TMP/b.err"; rc=$?
[ $rc -eq 2 ] && ok "bad filter: exit 2" || bad "bad filter: exit $rc"
T -r "$FTP" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "no session chosen: exit 2" || bad "no session chosen: exit $rc"
"$VIGIL" transcript --help | grep -q -- "--raw orig|resp" && ok "--help lists the flags" || bad "--help"

exit $failed

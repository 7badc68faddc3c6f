#!/usr/bin/env bash
# reader.sh - vigil's own pcap record reader against libpcap's.
#
# src/capture/capture_file.c reads plain pcap files (version 2.4, this
# host's byte order) itself and hands anything else - a big-endian file, a
# record it does not take as plain, the end of the file - to libpcap.  The
# same packets written little-endian (read by vigil) and big-endian (read by
# libpcap throughout) must print and count the same, with `vigil read -tt
# -v -XX` and `vigil stats`, also when a record in the middle makes the
# reader hand over to libpcap (a timestamp field with its top bit set,
# which libpcap reads as signed in a little-endian file and unsigned in a
# big-endian one, so that line alone differs; a capture length over the
# snapshot length, which libpcap cuts down), for nanosecond files, and when
# several inputs are merged.  A file cut inside a record gives libpcap's
# message at the record's offset.  Standard input (-r -) and a FIFO are
# read by libpcap as they come, never opened twice: the same packets and
# logs as the file, the same damage messages.  TAP lines.
set -u
VIGIL=${VIGIL:-build/release/vigil}
T=${TEST_TMP:-$(mktemp -d)}
fail=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fail=1; }

[ -x "$VIGIL" ] || { echo "# $VIGIL is not built"; exit 77; }
command -v python3 >/dev/null || { echo "# python3 is missing"; exit 77; }

# NAME-le.pcap and NAME-be.pcap hold the same records; 40 UDP packets of
# 60..99 payload bytes, 10.0.0.1:1234 -> 10.0.0.2:53.
python3 - "$T" <<'EOF'
import struct, sys, os
d = sys.argv[1]
def frame(i):
    n = 60 + i % 40
    eth = bytes(6) + bytes([0, 0, 0, 0, 0, 1]) + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + n, i, 0, 64, 17, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return eth + ip + struct.pack("!HHHH", 1234, 53, 8 + n, 0) + bytes((i * 7 + k) & 0xff for k in range(n))
def pcap(recs, e, magic=0xa1b2c3d4, snap=65535):
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snap, 1)
    for sec, frac, data in recs:
        out += struct.pack(e + "IIII", sec, frac, len(data), len(data)) + data
    return out
R = [(1700000000 + i // 4, (i % 4) * 250000 + i, frame(i)) for i in range(40)]
sets = {
    "plain": (R, {}),
    "nsec": ([(s, f * 1000 + 3, b) for s, f, b in R], {"magic": 0xa1b23c4d}),
    "topbit": (R[:20] + [(0x90000000, 5, frame(99))] + R[20:], {}),
    "oversnap": (R, {"snap": 90}),  # the records over 90 bytes are cut to 90 by libpcap
}
for name, (recs, kw) in sets.items():
    for e, tag in (("<", "le"), (">", "be")):
        open(os.path.join(d, f"{name}-{tag}.pcap"), "wb").write(pcap(recs, e, **kw))
good = pcap(R, "<")
open(os.path.join(d, "cut-le.pcap"), "wb").write(good[:len(good) - 30])
EOF

same() { # NAME CMD... : stdout+stderr of CMD on the -le and -be files equal, non-empty
  local name=$1; shift
  local a b
  a=$("$VIGIL" "${@//@/le}" 2>&1 | sed 's/-le\.pcap/-@.pcap/; /^-1879048192\.000005 /d'; echo "exit $?")
  b=$("$VIGIL" "${@//@/be}" 2>&1 | sed 's/-be\.pcap/-@.pcap/; /^2415919104\.000005 /d'; echo "exit $?")
  if [ "$a" != "$b" ]; then
    nok "$name: differs: $(diff <(echo "$a") <(echo "$b") | head -5 | tr '\n' ' ')"
  elif [ "$(echo "$a" | wc -l)" -lt 3 ]; then
    nok "$name: too little output: $a"
  else
    ok "$name"
  fi
}

for s in plain nsec topbit oversnap; do
  same "$s: read -tt -v -XX" read -n -tt -v -XX -r "$T/$s-@.pcap"
  [ $s = topbit ] || same "$s: stats" stats -r "$T/$s-@.pcap" # (its first packet time differs)
done
same "two inputs merged" read -n -tt -r "$T/plain-@.pcap" -r "$T/nsec-@.pcap"

n=$("$VIGIL" read -n -r "$T/plain-le.pcap" 2>/dev/null | wc -l)
[ "$n" -eq 40 ] && ok "plain: 40 packets" || nok "plain: $n packets, wanted 40"
n=$("$VIGIL" read -n -r "$T/topbit-le.pcap" 2>/dev/null | wc -l)
[ "$n" -eq 41 ] && ok "topbit: 41 packets" || nok "topbit: $n packets, wanted 41"
if "$VIGIL" read -n -tt -r "$T/topbit-le.pcap" 2>/dev/null | grep -q '^-1879048192\.000005 '; then
  ok "topbit: libpcap's signed reading of a little-endian timestamp"
else
  nok "topbit: no line at -1879048192.000005"
fi
if "$VIGIL" read -n -tt -r "$T/nsec-le.pcap" 2>/dev/null | sed -n 2p | grep -q '^1700000000\.250001 '; then
  ok "nsec: nanoseconds read as such"
else
  nok "nsec: second line $("$VIGIL" read -n -tt -r "$T/nsec-le.pcap" 2>&1 | sed -n 2p)"
fi
if "$VIGIL" read -n -tt -v -XX -r "$T/oversnap-le.pcap" 2>/dev/null | grep -q '0x0050: .*0000 0000'; then
  nok "oversnap: bytes past the snapshot length printed"
else
  ok "oversnap: records cut to the snapshot length"
fi

"$VIGIL" read -n -r "$T/cut-le.pcap" >"$T/out" 2>"$T/err"; rc=$?
[ "$rc" -eq 3 ] && ok "cut: exit 3" || nok "cut: exit $rc, wanted 3"
off=$(python3 -c "print(24 + sum(16 + 14 + 28 + 60 + i % 40 for i in range(39)))")
if grep -q "cut-le\.pcap: truncated record at byte offset $off: .*truncated dump file" "$T/err"; then
  ok "cut: libpcap's message at the record's offset ($off)"
else
  nok "cut: $(head -c 300 "$T/err")"
fi
n=$(wc -l <"$T/out")
[ "$n" -eq 39 ] && ok "cut: the 39 packets before it" || nok "cut: $n packets, wanted 39"

# Standard input and FIFOs: libpcap reads them as a stream.
C=${CORPUS:-../shared/corpus}
for f in "$C/http/arkime-http-basicauth.pcap" "$C/dns/cs-dns_tcp.pcapng" "$T/nsec-le.pcap" "$T/plain-be.pcap"; do
  [ -f "$f" ] || { nok "stdin: $f is missing"; continue; }
  b=$(basename "$f")
  want=$("$VIGIL" read -n -tt -v -r "$f" 2>&1 | md5sum)
  got=$(cat "$f" | "$VIGIL" read -n -tt -v -r - 2>&1 | md5sum)
  [ "$want" = "$got" ] && ok "stdin: $b reads as the file" || nok "stdin: $b differs from the file"
done
f="$C/http/arkime-http-basicauth.pcap"
"$VIGIL" analyze -r "$f" -l "$T/la" 2>/dev/null
cat "$f" | "$VIGIL" analyze -r - -l "$T/lb" 2>/dev/null; rc=$?
if [ "$rc" -eq 0 ] && [ -s "$T/lb/http.log" ] && diff -r -I '^#open' -I '^#close' "$T/la" "$T/lb" >/dev/null; then
  ok "stdin: analyze -r - writes the file's logs"
else
  nok "stdin: analyze -r - (exit $rc) logs differ from the file's"
fi
a=$("$VIGIL" stats -r "$f" 2>&1 | grep -v '^File name:' | md5sum)
b=$(cat "$f" | "$VIGIL" stats -r - 2>&1 | grep -v '^File name:' | md5sum)
[ "$a" = "$b" ] && ok "stdin: stats -r - counts as the file" || nok "stdin: stats -r - differs"
a=$("$VIGIL" sessions -r "$f" - tcp 2>&1 | md5sum)
b=$(cat "$f" | "$VIGIL" sessions -r - - tcp 2>&1 | md5sum)
n=$(cat "$f" | "$VIGIL" sessions -r - - tcp 2>/dev/null | wc -l)
[ "$a" = "$b" ] && [ "$n" -ge 2 ] && ok "stdin: sessions -r - - tcp as the file ($n lines)" ||
  nok "stdin: sessions -r - differs ($n lines)"
"$VIGIL" read -r "$f" -w - tcp 2>/dev/null | "$VIGIL" analyze -r - -l "$T/lc" 2>/dev/null; rc=$?
"$VIGIL" analyze -r "$f" -l "$T/ld" tcp 2>/dev/null
if [ "$rc" -eq 0 ] && [ -s "$T/lc/conn.log" ] && diff -r -I '^#open' -I '^#close' "$T/lc" "$T/ld" >/dev/null; then
  ok "pipe: read -w - tcp | analyze -r - as analyze with the filter"
else
  nok "pipe: read -w - | analyze -r - (exit $rc) differs"
fi
rm -f "$T/fifo"; mkfifo "$T/fifo"
{ cat "$T/cut-le.pcap"; sleep 0.3; } >"$T/fifo" &
"$VIGIL" read -n -r "$T/fifo" >"$T/out" 2>"$T/err"; rc=$?
wait
if [ "$rc" -eq 3 ] && [ "$(wc -l <"$T/out")" -eq 39 ] &&
   grep -q "fifo: truncated record at byte offset $off: .*truncated dump file" "$T/err"; then
  ok "fifo: a cut capture written slowly: 39 packets, exit 3, the record's offset"
else
  nok "fifo: exit $rc, $(wc -l <"$T/out") packets, $(head -c 300 "$T/err")"
fi
echo "not a capture at all" | "$VIGIL" read -n -r - >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 3 ] && grep -q "^vigil: -: not a pcap or pcapng capture" "$T/err" &&
  ok "stdin: garbage is damage (exit 3), named" || nok "stdin garbage: exit $rc, $(cat "$T/err")"
"$VIGIL" read -n -r - </dev/null >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 3 ] && ok "stdin: empty input is damage (exit 3)" || nok "stdin empty: exit $rc"

exit $fail

#!/usr/bin/env bash
# bad_input.sh - `vigil read` on damaged and hostile inputs.
#
# Builds the inputs in $TEST_TMP from a small generated pcap (python3):
# a file cut in the middle of a record, bad magic, a header-only capture,
# a zero-length file, snaplen-truncated packets, a corrupt IPv4 IHL, a
# corrupt IPv4 total length and a corrupt TCP data offset.  Checks the exit
# code (3 damaged, 1 unreadable, 2 usage, 0 fine), that the message names
# the file and the byte offset, that the packets before the damage are
# printed, and that nothing crashes (exit >= 128, or ASan's 99, fails).
# TAP lines on stdout.
set -u
VIGIL=${VIGIL:-build/release/vigil}
T=${TEST_TMP:-$(mktemp -d)}
fail=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fail=1; }

[ -x "$VIGIL" ] || { echo "# $VIGIL is not built"; exit 77; }
command -v python3 >/dev/null || { echo "# python3 is missing"; exit 77; }

# A pcap of three Ethernet/IPv4/TCP packets (54 bytes each: 14 + 20 + 20),
# 10.0.0.1:1234 -> 10.0.0.2:80, then variants of it.
python3 - "$T" <<'EOF'
import struct, sys, os
d = sys.argv[1]
def frame(ihl=5, total=40, doff=5, sport=1234):
    eth = bytes(6) + bytes([0, 0, 0, 0, 0, 1]) + b"\x08\x00"
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, 0, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    tcp = struct.pack("!HHIIBBHHH", sport, 80, 1000, 0, doff << 4, 0x02, 8192, 0, 0)
    return eth + ip + tcp
def pcap(frames, snaplen=65535, caplen=None):
    out = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1)
    for i, f in enumerate(frames):
        c = len(f) if caplen is None else min(caplen, len(f))
        out += struct.pack("<IIII", 1700000000 + i, 0, c, len(f)) + f[:c]
    return out
def w(name, data):
    open(os.path.join(d, name), "wb").write(data)
good = pcap([frame(sport=1000 + i) for i in range(3)])
w("good.pcap", good)
w("cut.pcap", good[:24 + 2 * (16 + 54) + 16 + 20])      # third record cut after 20 bytes
w("cuthdr.pcap", good[:24 + 2 * (16 + 54) + 7])         # third record header cut
w("badmagic.pcap", b"\x00\x01\x02\x03" + good[4:])
w("headeronly.pcap", good[:24])
w("zero.pcap", b"")
w("shorthdr.pcap", good[:10])
w("snaplen.pcap", pcap([frame() for _ in range(2)], snaplen=40, caplen=40))
w("ihl.pcap", pcap([frame(ihl=2), frame(ihl=15), frame()]))
w("totlen.pcap", pcap([frame(total=10), frame(total=60000), frame()]))
w("doff.pcap", pcap([frame(doff=2), frame(doff=15), frame()]))
w("hugecap.pcap", good[:24] + struct.pack("<IIII", 1700000000, 0, 0x7fffffff, 0x7fffffff))
EOF

# run NAME WANT_RC ARGS... : runs vigil read, keeps stdout/stderr, checks the code.
run() {
  local name="$1" want="$2"; shift 2
  "$VIGIL" read -n -tt "$@" >"$T/out" 2>"$T/err"; rc=$?
  if [ "$rc" -ge 128 ] || [ "$rc" -eq 99 ]; then
    nok "$name: crashed (exit $rc): $(head -c 300 "$T/err")"; return
  fi
  if [ "$rc" -eq "$want" ]; then ok "$name: exit $rc"; else nok "$name: exit $rc, wanted $want: $(head -c 300 "$T/err")"; fi
}
has_err() { # NAME REGEX
  if grep -Eq -- "$2" "$T/err"; then ok "$1"; else nok "$1: stderr lacks /$2/: $(head -c 300 "$T/err")"; fi
}
lines() { # NAME N
  local n; n=$(wc -l <"$T/out")
  if [ "$n" -eq "$2" ]; then ok "$1: $n packets printed"; else nok "$1: $n packets printed, wanted $2"; fi
}

run "good file" 0 -r "$T/good.pcap"; lines "good file" 3

run "cut mid-record" 3 -r "$T/cut.pcap"
has_err "cut mid-record names file and offset" "cut\.pcap: truncated record at byte offset 164"
lines "cut mid-record keeps the packets before" 2

run "cut in record header" 3 -r "$T/cuthdr.pcap"
has_err "cut record header names the offset" "cuthdr\.pcap: truncated record at byte offset 164"
lines "cut record header keeps the packets before" 2

run "bad magic" 3 -r "$T/badmagic.pcap"
has_err "bad magic names file and offset" "badmagic\.pcap: .*bad magic .* at byte offset 0"

run "header-only capture" 0 -r "$T/headeronly.pcap"; lines "header-only capture" 0

run "zero-length file" 3 -r "$T/zero.pcap"
has_err "zero-length file named" "zero\.pcap: empty file"

run "short file header" 3 -r "$T/shorthdr.pcap"
has_err "short file header named" "shorthdr\.pcap: .*byte offset 0"

run "huge record length" 3 -r "$T/hugecap.pcap"
has_err "huge record length names the offset" "hugecap\.pcap: damaged record at byte offset 24"

run "damaged among good inputs" 3 -r "$T/cut.pcap" -r "$T/good.pcap" -r "$T/zero.pcap"
lines "damaged among good inputs: the others go on" 5
has_err "each damaged input reported (cut)" "cut\.pcap: truncated record"
has_err "each damaged input reported (zero)" "zero\.pcap: empty file"

run "snaplen-truncated packets" 0 -r "$T/snaplen.pcap"; lines "snaplen-truncated packets" 2
if grep -q '10.0.0.1.1234 > 10.0.0.2.80' "$T/out"; then ok "snaplen-truncated: ports still printed"
else nok "snaplen-truncated: ports missing: $(head -c 200 "$T/out")"; fi

run "corrupt IPv4 IHL" 0 -r "$T/ihl.pcap"; lines "corrupt IPv4 IHL" 3
run "corrupt IPv4 total length" 0 -r "$T/totlen.pcap"; lines "corrupt IPv4 total length" 3
run "corrupt TCP data offset" 0 -r "$T/doff.pcap"; lines "corrupt TCP data offset" 3
for f in ihl totlen doff snaplen; do
  run "corrupt $f with -v -e -XX" 0 -v -e -XX -r "$T/$f.pcap"
done

run "missing file" 1 -r "$T/does-not-exist.pcap"
has_err "missing file named" "does-not-exist\.pcap: cannot open"
run "glob matching nothing" 1 -r "$T/nothing-*.pcap"
run "bad filter" 2 -r "$T/good.pcap" "tcp prot 80"
has_err "bad filter names the expression" "'tcp prot 80'"
run "unknown flag" 2 -r "$T/good.pcap" --frobnicate
run "no input" 2
run "bad -c" 2 -c abc -r "$T/good.pcap"
run "-w to an unwritable place" 1 -r "$T/good.pcap" -w "$T/no/such/dir/out.pcap"

run "-w writes a pcap" 0 -r "$T/good.pcap" -w "$T/w.pcap" "port 1001"
run "-w output reads back" 0 -r "$T/w.pcap"; lines "-w output reads back" 1
run "-w of a damaged input" 3 -r "$T/cut.pcap" -w "$T/w2.pcap"
run "-w output of a damaged input reads back" 0 -r "$T/w2.pcap"; lines "-w of damaged input keeps the packets" 2

exit $fail

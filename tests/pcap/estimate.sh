#!/usr/bin/env bash
# estimate.sh - `vigil estimate`: the book's formula, --days, --disk, -r on a
# capture whose rate is known by construction, bad input and exit codes.
#
# The Practice of NSM (ch. 2): MB/day = Mbps x (1 byte / 8 bits) x 86,400 s,
# so 100 Mbps -> 1,080,000 MB/day (1.08 TB/day).  The capture for -r is
# written here with python3 (pcap format: 24-byte global header, 16-byte
# record headers): 11 frames one second apart, each 1250 bytes on the wire
# but only 60 captured, so the observed rate is 11 * 1250 * 8 bits / 10 s
# = 11,000 bit/s = 0.011 Mbps (wire bits, not captured ones) and
# 0.011 / 8 * 86,400 = 118.8 MB/day.  Prints TAP lines; exit 1 on failure.
set -u
: "${VIGIL:?VIGIL must point at the vigil binary}"
tmp="${TEST_TMP:-$(mktemp -d)}"
n=0; failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# check NAME EXPECTED_RC PATTERN -- ARGS...: run vigil estimate ARGS, want the
# exit code and (when PATTERN is not empty) PATTERN in stdout+stderr (grep -F).
check() {
  local name="$1" want_rc="$2" pattern="$3"; shift 4
  local out rc
  out=$("$VIGIL" estimate "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want_rc" ]; then
    not_ok "$name (exit $rc, want $want_rc)"; echo "$out" | sed 's/^/#   /'; return
  fi
  if [ -n "$pattern" ] && ! grep -qF -- "$pattern" <<<"$out"; then
    not_ok "$name (no '$pattern' in output)"; echo "$out" | sed 's/^/#   /'; return
  fi
  ok "$name"
}

# json_field NAME FIELD EXPECTED -- ARGS...: a number in the --json output, to 1e-9 relative.
json_field() {
  local name="$1" field="$2" want="$3"; shift 4
  local got
  got=$("$VIGIL" estimate --json "$@" 2>/dev/null | python3 -c \
    "import json,sys; print(json.load(sys.stdin)['$field'])" 2>/dev/null)
  if python3 -c "import sys; g=float('$got' or 'nan'); w=float('$want'); sys.exit(0 if abs(g-w) <= 1e-9*max(1,abs(w)) else 1)" 2>/dev/null; then
    ok "$name ($field = $got)"
  else
    not_ok "$name ($field = '$got', want $want)"
  fi
}

# --- the book's example and the two extensions ---
check "100 Mbps is 1,080,000 MB/day" 0 "1,080,000 MB/day (1.08 TB/day)" -- --mbps 100
json_field "100 Mbps in JSON" mb_per_day 1080000 -- --mbps 100
check "1 Mbps is 10,800 MB/day" 0 "10,800 MB/day (10.8 GB/day)" -- --mbps 1
check "--days 30 at 100 Mbps" 0 "32,400,000 MB (32.4 TB)" -- --mbps 100 --days 30
json_field "--days 30 in JSON" total_mb 32400000 -- --mbps 100 --days 30
check "--disk 4T at 100 Mbps holds 3.70 days" 0 "3.70 days" -- --mbps 100 --disk 4T
json_field "--disk 2.5TB in JSON" retention_days "$(python3 -c 'print(2.5e6/1080000)')" -- --mbps 100 --disk 2.5TB
json_field "--disk 500G" disk_mb 500000 -- --mbps 100 --disk 500G
json_field "--disk 1000000MB" retention_days "$(python3 -c 'print(1e6/1080000)')" -- --mbps 100 --disk 1000000MB
check "--mbps=N form" 0 "1,080,000 MB/day" -- --mbps=100

# --- -r: rate observed in a capture built with a known rate ---
python3 - "$tmp/rate.pcap" "$tmp/one.pcap" "$tmp/cut.pcap" <<'EOF'
import struct, sys
def pcap(path, frames, cut=0):
    # global header: magic (us), v2.4, thiszone 0, sigfigs 0, snaplen 65535, DLT_EN10MB
    data = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    for ts, caplen, wirelen in frames:
        # record: ts_sec, ts_usec, incl_len, orig_len, then caplen bytes of
        # an Ethernet header (broadcast dst, zero src, ethertype 0x88b5 local
        # experimental) padded with zeros
        body = b"\xff" * 6 + b"\x00" * 6 + b"\x88\xb5"
        body += b"\x00" * (caplen - len(body))
        data += struct.pack("<IIII", ts, 0, caplen, wirelen) + body
    if cut:
        data = data[:-cut]
    open(path, "wb").write(data)
frames = [(1700000000 + i, 60, 1250) for i in range(11)]
pcap(sys.argv[1], frames)
pcap(sys.argv[2], frames[:1])
pcap(sys.argv[3], frames, cut=30)   # the last record is cut short
EOF
check "-r uses the observed wire rate" 0 "0.011 Mbps" -- -r "$tmp/rate.pcap"
json_field "-r rate in JSON" mbps 0.011 -- -r "$tmp/rate.pcap"
json_field "-r MB/day in JSON" mb_per_day 118.8 -- -r "$tmp/rate.pcap"
check "-r with --disk" 0 "days of full content" -- -r "$tmp/rate.pcap" --disk 1G
check "-r on a damaged capture reports it and exits 3" 3 "damaged" -- -r "$tmp/cut.pcap"
check "-r on one packet has no rate" 1 "cannot derive a rate" -- -r "$tmp/one.pcap"
check "-r on a missing file" 1 "cannot open" -- -r "$tmp/missing.pcap"

# --- bad input: a sentence and exit 2 ---
check "no rate given" 2 "give the link rate" --
check "--mbps not a number" 2 "--mbps needs a positive number" -- --mbps abc
check "--mbps negative" 2 "--mbps needs a positive number" -- --mbps -5
check "--mbps zero" 2 "--mbps needs a positive number" -- --mbps 0
check "--mbps missing value" 2 "--mbps needs" -- --mbps
check "--mbps trailing junk" 2 "--mbps needs" -- --mbps 100x
check "--days not a number" 2 "--days needs a positive number" -- --mbps 100 --days x
check "--disk binary unit refused" 2 "--disk needs a size with a decimal unit" -- --mbps 100 --disk 4TiB
check "--disk no number" 2 "--disk needs a size" -- --mbps 100 --disk T
check "--mbps and -r together" 2 "not both" -- --mbps 100 -r "$tmp/rate.pcap"
check "unknown option" 2 "unknown option" -- --mbps 100 --frobnicate
check "stray argument" 2 "unexpected argument" -- 100
check "--help" 0 "MB/day = Mbps" -- --help

echo "1..$n"
[ "$failed" -eq 0 ]

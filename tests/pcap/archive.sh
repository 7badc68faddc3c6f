#!/usr/bin/env bash
# archive.sh - the full-content archive from files (vigil ingest): every
# packet archived byte for byte, rotation by size and at UTC midnight,
# retention by disk figure (VIGIL_TEST_DISK_SIZE / VIGIL_TEST_DISK_PCT) and
# by age, crash (kill -9) recovery, indexes checked by an independent
# reader (tests/e2e/archive_tool.py).  docs/archive.md.
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
TOOL="$(cd "$(dirname "$0")/../e2e" && pwd)/archive_tool.py"
SSH="$C/ssh/zeek-ssh.pcap"
command -v python3 >/dev/null && command -v editcap >/dev/null || { echo "python3 and editcap needed"; exit 77; }
[ -f "$SSH" ] || { echo "corpus trace $SSH missing"; exit 77; }
fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }

# the source as nanosecond pcap records, for byte comparisons
editcap -F nsecpcap "$SSH" "$T/ssh.pcap" 2>/dev/null
python3 "$TOOL" records "$T/ssh.pcap" >"$T/src.rec"

# 1. every packet archived, same bytes, same order; rotation by size
"$V" ingest -q -r "$SSH" --data "$T/d1" --rotate-size 100K 2>"$T/e1"; rc=$?
check "ingest exits 0" "[ $rc -eq 0 ]"
files=$(find "$T/d1" -name '*.pcap' | wc -l)
check "rotation by size: $files files" "[ $files -ge 12 ]"
big=$(find "$T/d1" -name '*.pcap' -size +110k | wc -l)
check "no file over the rotate size" "[ $big -eq 0 ]"
python3 "$TOOL" records $(python3 -c "
import sys; sys.argv=['x','$T/d1','vigil']
exec(open('$TOOL').read().split('def main')[0]); print(' '.join(p for _,_,p in files('$T/d1','vigil')))") >"$T/arc.rec"
check "archive = source, record for record (time, lengths, bytes)" "cmp -s '$T/src.rec' '$T/arc.rec'"
check "archive checks (whole files, .idx valid, offsets, days)" "python3 '$TOOL' check '$T/d1' vigil >'$T/c1' 2>&1"
check "conn.log written" "[ -s \"\$(find '$T/d1' -name conn.log | head -1)\" ]"

# 2. UTC midnight: a trace rewritten to run 23:59:50 -> 00:00:10+ (2 days)
python3 - "$T/ssh.pcap" "$T/midnight.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(); out = bytearray(d[:24]); off = 24; i = 0
base = 1577923190  # 2020-01-01 23:59:50 UTC
while off + 16 <= len(d):
    s, f, c, w = struct.unpack('<IIII', d[off:off+16])
    t = base + i // 50  # 50 packets a second
    out += struct.pack('<IIII', t, (i % 50) * 20000000, c, w) + d[off+16:off+16+c]
    off += 16 + c; i += 1
open(sys.argv[2], 'wb').write(out)
PY
"$V" ingest -q -r "$T/midnight.pcap" --data "$T/d2" 2>"$T/e2"
check "midnight: a file in 2020-01-01 and one in 2020-01-02" \
  "[ -n \"\$(ls '$T/d2/sensor_data/vigil/dailylogs/2020-01-01/' 2>/dev/null)\" ] && [ -n \"\$(ls '$T/d2/sensor_data/vigil/dailylogs/2020-01-02/' 2>/dev/null)\" ]"
check "midnight: every file's packets in its day (checker)" "python3 '$TOOL' check '$T/d2' vigil >/dev/null 2>&1"
check "midnight: second file starts at 00:00:00" "[ -f '$T/d2/sensor_data/vigil/dailylogs/2020-01-02/vigil.1577923200.pcap' ]"

# 3. retention by disk figure: a 400 KB "disk", keep under 50%
VIGIL_TEST_DISK_SIZE=400000 "$V" ingest -q -r "$SSH" --data "$T/d3" --rotate-size 60K --max-disk-pct 50 2>"$T/e3"
used=$(find "$T/d3/sensor_data/vigil/dailylogs" -type f -name '*.pcap*' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
check "retention: archive under 50% of the disk plus one file ($used bytes)" "[ $used -le 270000 ]"
check "retention: deletions logged" "grep -q 'retention: deleted .*disk .* used, above 50.0%' '$T/e3'"
newest=$(ls "$T/d3/sensor_data/vigil/dailylogs" | tail -1)
check "retention: the newest day is kept ($newest)" "[ '$newest' = 2015-01-12 ]"
oldest_del=$(grep -o 'deleted [^ ]*' "$T/e3" | head -1 | grep -c 2011-12-16)
check "retention: the oldest file goes first" "[ $oldest_del -eq 1 ]"
check "retention: what is left checks" "python3 '$TOOL' check '$T/d3' vigil >/dev/null 2>&1"

# 4. retention by age (packet time): files older than 30 days before the newest packet go
"$V" ingest -q -r "$SSH" --data "$T/d4" --max-age 30 2>"$T/e4"
days=$(ls "$T/d4/sensor_data/vigil/dailylogs" | tr '\n' ' ')
check "max-age: 2011-12 and 2014-08 days deleted, 2014-12-29 kept ($days)" \
  "! ls '$T/d4/sensor_data/vigil/dailylogs' | grep -Eq '^(2011|2014-08)' && [ -d '$T/d4/sensor_data/vigil/dailylogs/2014-12-29' ]"
check "max-age: deletions logged" "grep -q 'older than 30 days' '$T/e4'"

# 5. a disk that stays full: archiving stops (counted, logged), analysis goes on
VIGIL_TEST_DISK_PCT=99 "$V" ingest -r "$SSH" --data "$T/d5" 2>"$T/e5"; rc=$?
check "full disk: exit 0, analysis done" "[ $rc -eq 0 ] && [ -s \"\$(find '$T/d5' -name conn.log | head -1)\" ]"
check "full disk: logged, packets counted as not archived" \
  "grep -q 'no longer archived' '$T/e5' && grep -Eq '[1-9][0-9]* not archived' '$T/e5'"

# 6. kill -9 during a big ingest, restart: archive intact
python3 - "$T/ssh.pcap" "$T/big.pcap" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(); out = bytearray(d[:24]); t0 = 1600000000
recs = []; off = 24
while off + 16 <= len(d):
    s, f, c, w = struct.unpack('<IIII', d[off:off+16]); recs.append((c, w, d[off+16:off+16+c])); off += 16 + c
for k in range(120):
    for i, (c, w, b) in enumerate(recs):
        n = k * len(recs) + i
        out += struct.pack('<IIII', t0 + n // 2000, (n % 2000) * 500000, c, w) + b
open(sys.argv[2], 'wb').write(out)
PY
# The capture comes through a FIFO whose writer stops after 40 MB and stays
# open: vigil is then blocked reading in the middle of its third file (16M
# rotation), so the kill always lands on an open file, however fast the build.
mkfifo "$T/big.fifo"
{ head -c 40000000 "$T/big.pcap"; sleep 60; } >"$T/big.fifo" &
feeder=$!
"$V" ingest -q -r "$T/big.fifo" --data "$T/d6" --rotate-size 16M 2>"$T/e6" &
pid=$!
for _ in $(seq 1 600); do
  [ "$(find "$T/d6" -name '*.pcap' 2>/dev/null | wc -l)" -ge 3 ] &&
    [ "$(find "$T/d6" -name '*.idx.open' 2>/dev/null | wc -l)" -ge 1 ] && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
open_left=$(find "$T/d6" -name '*.idx.open' | wc -l)
check "kill -9 left an open file ($open_left journal)" "[ $open_left -ge 1 ]"
"$V" ingest -q -r "$C/http/arkime-http-basicauth.pcap" --data "$T/d6" 2>"$T/e6b"; rc=$?
check "restart after kill -9 exits 0" "[ $rc -eq 0 ]"
check "restart recovered the open file" "grep -q 'recovered .* left open by a crash' '$T/e6b'"
check "archive intact after kill -9 (every file whole, every index valid)" \
  "python3 '$TOOL' check '$T/d6' vigil >'$T/c6' 2>&1"
[ $fails -eq 0 ] || { cat "$T/c6" "$T/e6b" 2>/dev/null | head -20 | sed 's/^/# /'; }
exit $((fails > 0))

#!/usr/bin/env bash
# extract.sh - file extraction end to end (docs/extract.md): HTTP byte
# ranges stitched into one file across connections (Zeek's range-request
# file handle), pieces written at their Content-Range offsets with the hole
# before them zero-filled, files.log rows per connection, and `vigil
# extract`'s store and index; http.log's part names and types for multipart
# uploads.
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
CAB="$C/files/zeek-vnd-ms-cab-multi-conn.pcap"
RANGE="$C/http/sv-http-range.pcap"
[ -f "$CAB" ] && [ -f "$RANGE" ] || { echo "corpus traces missing"; exit 77; }
fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
CABSHA=6f21325c8d7a5b7683bdbabfbcd8472c6a4f0ed738a582cd14d1916b0284e73f

# 1. five 206 responses on five connections: one file, one row per connection
"$V" analyze -q --extract -r "$CAB" -l "$T/a" 2>"$T/e1"
rows=$(grep -vc '^#' "$T/a/files.log")
fuids=$(grep -v '^#' "$T/a/files.log" | cut -f2 | sort -u | wc -l)
uids=$(grep -v '^#' "$T/a/files.log" | cut -f3 | sort -u | wc -l)
check "cab: 5 files.log rows (one per connection)" "[ $rows -eq 5 ] && [ $uids -eq 5 ]"
check "cab: one fuid for the 5 pieces" "[ $fuids -eq 1 ]"
check "cab: stitched file stored under its sha256" "[ -f '$T/a/extract_files/$CABSHA' ]"
check "cab: sha256 logged = Zeek's" "grep -q $CABSHA '$T/a/files.log'"
check "cab: http.log resp_fuids all name the one file" \
  "[ \$(grep -v '^#' '$T/a/http.log' | grep -c \$(grep -v '^#' '$T/a/files.log' | cut -f2 | head -1)) -eq 5 ]"

# 2. one range 500-1000 of a 146515-byte file: a hole, then the piece
"$V" analyze -q --extract -r "$RANGE" -l "$T/b" 2>"$T/e2"
row=$(grep -v '^#' "$T/b/files.log" | head -1)
f() { echo "$row" | cut -f"$1"; }
check "range: seen 501, total 146515, missing 500" "[ '$(f 16)' = 501 ] && [ '$(f 17)' = 146515 ] && [ '$(f 18)' = 500 ]"
check "range: timedout (never completed), no hashes" "[ '$(f 20)' = T ] && [ '$(f 22)' = - ]"
stored=$(ls "$T/b/extract_files" | head -1)
check "range: stored file is 1001 bytes (hole zero-filled)" "[ \$(stat -c %s '$T/b/extract_files/$stored') -eq 1001 ]"
check "range: first 500 bytes zero" "cmp -s -n 500 '$T/b/extract_files/$stored' /dev/zero"

# 3. vigil ingest --extract: files under DATA/sensor_data/<sensor>/files/,
#    files.log beside the other logs, the ftp-data file linked from ftp.log
PE="$C/files/zeek-pe.pcap"
if [ -f "$PE" ]; then
  "$V" ingest -q --extract --data "$T/d" --sensor s1 -r "$PE" 2>"$T/e4"
  check "ingest --extract: exit 0" "[ $? -eq 0 ]"
  fl=$(ls "$T"/d/sensor_data/s1/logs/*/files.log 2>/dev/null | head -1)
  check "ingest --extract: files.log with the other logs" \
    "[ -n '$fl' ] && [ -f \"\$(dirname '$fl')/conn.log\" ] && [ -f \"\$(dirname '$fl')/ftp.log\" ]"
  check "ingest --extract: 5 FTP_DATA rows" "[ \$(grep -v '^#' '$fl' | grep -c FTP_DATA) -eq 5 ]"
  check "ingest --extract: 5 files stored under sensor_data/s1/files/" \
    "[ \$(ls '$T/d/sensor_data/s1/files' | grep -c '^[0-9a-f]\{64\}\$') -eq 5 ]"
  check "ingest --extract: every stored name is a logged sha256" \
    "for x in \$(ls '$T/d/sensor_data/s1/files'); do grep -q \$x '$fl' || exit 1; done"
  fu=$(grep -v '^#' "$T"/d/sensor_data/s1/logs/*/ftp.log | awk -F'\t' '$9=="RETR"{print $(NF-1)}' | head -1)
  check "ingest --extract: ftp.log RETR fuid names a files.log file" "[ -n '$fu' ] && grep -q '$fu' '$fl'"
  check "ingest --extract: pcap archived too" "ls '$T'/d/sensor_data/s1/dailylogs/*/*.pcap >/dev/null 2>&1"
fi

# 4. vigil extract: the stitched file once in the index
"$V" extract -q -r "$CAB" -o "$T/x" >"$T/x.out" 2>&1
check "extract: index names the stitched file" "grep -q '^$CABSHA' '$T/x/index.tsv'"
check "extract: one file in the index" "[ \$(grep -vc '^#' '$T/x/index.tsv') -eq 1 ]"
# a range file still open at the end of input is written when extraction
# stops: the summary counts it (it said "0 files" before)
"$V" extract -q -r "$C/http/zeek-byteranges.pcap" -o "$T/br" >/dev/null 2>"$T/br.err"
check "extract: the summary counts every index row, range files ended at exit too" \
  "[ \$(grep -vc '^#' '$T/br/index.tsv') -ge 1 ] && grep -q \"^\$(grep -vc '^#' '$T/br/index.tsv') files, \" '$T/br.err'"

# 5. MD5 and SHA-1 of a repeated content come from the SHA-256 cache, a
#    file cut at --max-size still has the hashes of all its bytes, and the
#    stored copy is named by the SHA-256 of what was stored
if [ -f "$PE" ]; then
  trip() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l); print(o["size"], o.get("md5"), o.get("sha1"), o.get("sha256"))' "$1" | sort; }
  "$V" extract -q --json -r "$PE" -o "$T/y1" >"$T/y1.json" 2>/dev/null
  editcap -t 3600 "$PE" "$T/pe-later.pcap" 2>/dev/null # the same sessions an hour later
  "$V" extract -q --json -r "$PE" -r "$T/pe-later.pcap" -o "$T/y2" >"$T/y2.json" 2>/dev/null
  "$V" extract -q --json --max-size 100 -r "$PE" -o "$T/y3" >"$T/y3.json" 2>/dev/null
  check "extract: 5 files with hashes" "[ \$(trip '$T/y1.json' | grep -vc None) -eq 5 ]"
  check "two copies in one run: the same hashes, each twice" \
    "diff <(trip '$T/y1.json' | sed p) <(trip '$T/y2.json') >/dev/null"
  check "two copies in one run: each content stored once" \
    "[ \"\$(ls '$T/y1')\" = \"\$(ls '$T/y2')\" ]"
  check "--max-size 100: the hashes cover the whole files" \
    "diff <(trip '$T/y1.json') <(trip '$T/y3.json') >/dev/null"
  big=$(python3 -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["size"] > 100))' "$T/y1.json")
  check "--max-size 100: some files were cut" "[ $big -gt 0 ]"
  check "--max-size 100: stored copies at most 100 bytes, named by their sha256" \
    "for x in \$(ls '$T/y3' | grep -v index.tsv); do [ \$(stat -c %s '$T/y3'/\$x) -le 100 ] &&
       [ \$(sha256sum < '$T/y3'/\$x | cut -c1-64) = \$x ] || exit 1; done"
  VIGIL_EXTRACT_MEMORY=65536 "$V" extract -q --json -r "$PE" -o "$T/y4" >"$T/y4.json" 2>/dev/null
  VIGIL_EXTRACT_MEMORY=1000 "$V" extract -q --json -r "$PE" -o "$T/y5" >"$T/y5.json" 2>/dev/null
  check "files that outgrow the memory budget: the same hashes" \
    "diff <(trip '$T/y1.json') <(trip '$T/y4.json') >/dev/null && diff <(trip '$T/y1.json') <(trip '$T/y5.json') >/dev/null"
  check "files that outgrow the memory budget: the same files stored" \
    "[ \"\$(ls '$T/y1')\" = \"\$(ls '$T/y4')\" ] && [ \"\$(ls '$T/y1')\" = \"\$(ls '$T/y5')\" ] &&
     cmp -s <(cat '$T'/y1/[0-9a-f]*) <(cat '$T'/y5/[0-9a-f]*)"
  check "every stored file is named by its sha256" \
    "for x in \$(ls '$T/y1' | grep -v index.tsv); do [ \$(sha256sum < '$T/y1'/\$x | cut -c1-64) = \$x ] || exit 1; done"
fi

# multipart/form-data uploads with --extract: http.log's orig_filenames and
# orig_mime_types come from the parts (Zeek's files), equal to Zeek 8's
zcol() { # LOG FIELD: the field's values of the data rows
  awk -F'\t' -v f="$2" '/^#fields/ {for (i = 2; i <= NF; i++) if ($i == f) c = i - 1}
    !/^#/ && c {print $c}' "$1"
}
for tr in http/zeek-multipart-form-data http/zeek-multipart malware/zeek-ctu-agent-tesla-http; do
  [ -f "$C/$tr.pcap" ] || continue
  d="$T/mp-$(basename "$tr")"
  "$V" analyze -q --extract -r "$C/$tr.pcap" -l "$d" 2>/dev/null
  for fld in orig_filenames orig_mime_types; do
    want=$(zcol "$C/$tr.zeek8-http.log" $fld | tr '\n' ' ')
    got=$(zcol "$d/http.log" $fld | tr '\n' ' ')
    check "$tr --extract: http.log $fld from the parts = Zeek's ($got)" "[ '$got' = '$want' ]"
  done
done

[ $fails -eq 0 ]

#!/usr/bin/env bash
# extract_yara.sh - YARA scanning of extracted files (docs/extract.md,
# docs/logs/notice.md): a rule written here matching a string of the HTTP
# body http/zeek-get.pcap carries makes one notice.log row, checked field
# by field; a broken rule file stops the run with exit 2 naming FILE:LINE;
# rules that match nothing leave no notice.log; `vigil extract` shows the
# match in its table and JSON.
set -u
V="${VIGIL:-build/release/vigil}"
C="${CORPUS:-../shared/corpus}"
T="${TEST_TMP:-$(mktemp -d)}"
GET="$C/http/zeek-get.pcap"
[ -f "$GET" ] || { echo "corpus trace missing"; exit 77; }
fails=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
mkdir -p "$T/rules" "$T/bad" "$T/none"
cat >"$T/rules/changes.yar" <<'R'
rule Changes_GPG : docs changelog
{
    strings:
        $a = "Fixing GPG signing script"
    condition:
        $a
}
R
printf 'rule fine { condition: true }\nrule broken {\n  strings:\n    $a = "x"\n  condition:\n    $b\n}\n' >"$T/bad/broken.yar"
printf 'rule absent { strings: $x = "no-such-string-in-zeek-get" condition: $x }\n' >"$T/none/absent.yara"

# 1. a match: one notice.log row, field by field
"$V" analyze -q --yara "$T/rules" -r "$GET" -l "$T/a" 2>"$T/e1"
check "match: exit 0" "[ $? -eq 0 ]"
check "match: one notice.log row" "[ -f '$T/a/notice.log' ] && [ \$(grep -vc '^#' '$T/a/notice.log') -eq 1 ]"
hdr=$(grep '^#fields' "$T/a/notice.log" | cut -f2-)
row=$(grep -v '^#' "$T/a/notice.log" | head -1)
fld() { # the value of column $1 of the row
  local i=1 n
  for n in $hdr; do [ "$n" = "$1" ] && { echo "$row" | cut -f$i; return; }; i=$((i + 1)); done
}
frow=$(grep -v '^#' "$T/a/files.log" | head -1)
fuid=$(echo "$frow" | cut -f2)
uid=$(echo "$frow" | cut -f3)
check "notice: Zeek's notice.log columns" \
  "[ '$hdr' = \"\$(printf 'ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfuid\tfile_mime_type\tfile_desc\tproto\tnote\tmsg\tsub\tsrc\tdst\tp\tn\tpeer_descr\tactions\temail_dest\tsuppress_for\tremote_location.country_code\tremote_location.region\tremote_location.city\tremote_location.latitude\tremote_location.longitude')\" ]"
check "notice: ts = the file's last chunk (files.log ts + duration)" "[ '$(fld ts)' = 1362692527.009775 ]"
check "notice: uid = the file's carrying session" "[ '$(fld uid)' = '$uid' ] && [ -n '$uid' ]"
check "notice: id" "[ '$(fld id.orig_h)|$(fld id.orig_p)|$(fld id.resp_h)|$(fld id.resp_p)' = '141.142.228.5|59856|192.150.187.43|80' ]"
check "notice: fuid = files.log's" "[ '$(fld fuid)' = '$fuid' ]"
check "notice: file_mime_type" "[ '$(fld file_mime_type)' = text/plain ]"
check "notice: file_desc unset (no file name)" "[ '$(fld file_desc)' = - ]"
check "notice: proto" "[ '$(fld proto)' = tcp ]"
check "notice: note" "[ '$(fld note)' = Vigil::YARA_Match ]"
check "notice: msg" "[ '$(fld msg)' = 'YARA rule Changes_GPG matched $fuid' ]"
check "notice: sub" "[ '$(fld sub)' = 'namespace=changes tags=docs,changelog' ]"
check "notice: src/dst/p" "[ '$(fld src)|$(fld dst)|$(fld p)' = '141.142.228.5|192.150.187.43|80' ]"
check "notice: n, peer_descr unset" "[ '$(fld n)|$(fld peer_descr)' = '-|-' ]"
check "notice: actions, email_dest, suppress_for" \
  "[ '$(fld actions)|$(fld email_dest)|$(fld suppress_for)' = 'Notice::ACTION_LOG|(empty)|3600.000000' ]"

# 2. a broken rule: exit 2, FILE:LINE named, nothing run
"$V" analyze -q --yara "$T/bad" -r "$GET" -l "$T/b" 2>"$T/e2"
rc=$?
check "broken rule: exit 2" "[ $rc -eq 2 ]"
check "broken rule: message names file and line" "grep -q 'bad/broken.yar:[0-9][0-9]*: .*\\\$b' '$T/e2'"
check "broken rule: no logs written" "[ ! -f '$T/b/conn.log' ]"

# 3. no match: no notice.log
"$V" analyze -q --yara "$T/none" -r "$GET" -l "$T/c" 2>"$T/e3"
check "no match: exit 0, files.log, no notice.log" "[ $? -eq 0 ] && [ -f '$T/c/files.log' ] && [ ! -f '$T/c/notice.log' ]"

# 4. vigil extract: the match in the table and the JSON
"$V" extract -q --yara "$T/rules" -r "$GET" -o "$T/x" >"$T/x.out" 2>&1
check "extract: table shows the match" "grep -q 'YARA: Changes_GPG' '$T/x.out'"
"$V" extract -q --json --yara "$T/rules" -r "$GET" -o "$T/y" >"$T/y.out" 2>&1
check "extract: JSON has yara [Changes_GPG]" "grep -q '\"yara\":\\[\"Changes_GPG\"\\]' '$T/y.out'"

[ $fails -eq 0 ]

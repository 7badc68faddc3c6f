#!/usr/bin/env bash
# bench/suricata41-rules.sh - the ET Open rules Suricata 4.1 can load, for a
# like-for-like comparison with the reference figure "Suricata 4.1.10, the
# 5,398 ET Open rules it loads" (../shared/bench/README.md).
#
#   bench/suricata41-rules.sh [SRC] OUT
#
# Copies the ruleset directory SRC (default ../shared/rules/et-open) to OUT,
# keeping in every *.rules file only the enabled rules whose options all
# exist in Suricata 4.1, and copies the other files (classification.config,
# reference.config, ...) as they are.  Prints how many rules it kept.
#
# This is an emulation by keyword, not Suricata's parser: no Suricata 4.1 is
# installable here.  A rule is dropped when it uses a keyword that came with
# Suricata 5.0 - every dotted http.* sticky buffer, dns.query, tls.sni,
# tls.cert_subject/issuer/serial, tls.certs, file.data, ja3.hash,
# ja3.string, ja3s.hash, endswith, bsize, dotprefix - while the older forms
# (http_uri-style modifiers, file_data, dns_query, tls_sni, ja3_hash,
# startswith) are kept.  On the 2024 ET Open set in ../shared/rules this keeps
# 5,376 of 24,827 enabled rules, 22 (0.4%) fewer than the 5,398 Suricata
# 4.1.10 reported loading, which is how the keyword list was checked.
# bench/README.md "Like for like" has the measurement made with it.
#
# Exit codes: 0 ok, 1 usage or I/O error.
set -euo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
case ${1:-} in -h | --help) usage; exit 0 ;; esac
if [[ $# -eq 1 ]]; then
    SRC=$(dirname "$0")/../../shared/rules/et-open
    [[ -d $SRC ]] || SRC=/work/shared/rules/et-open
    OUT=$1
elif [[ $# -eq 2 ]]; then
    SRC=$1 OUT=$2
else
    usage >&2
    exit 1
fi
[[ -d $SRC ]] || { echo "suricata41-rules.sh: no ruleset directory at $SRC" >&2; exit 1; }
mkdir -p "$OUT"

kept=0 total=0
for f in "$SRC"/*; do
    [[ -f $f ]] || continue
    b=$(basename "$f")
    if [[ $b != *.rules ]]; then
        cp "$f" "$OUT/$b"
        continue
    fi
    # Options are split on ';' not preceded by a backslash, as Suricata
    # splits them; the keyword is the text before the first ':'.
    awk -v kf="$OUT/.count.$b" '
        BEGIN {
            n = split("dns.query tls.sni tls.cert_subject tls.cert_issuer " \
                      "tls.cert_serial tls.certs file.data ja3.hash ja3.string " \
                      "ja3s.hash endswith bsize dotprefix", w, " ")
            for (i = 1; i <= n; i++) newer[w[i]] = 1
        }
        !/^(alert|drop|reject|pass)[ \t]/ { next }
        {
            total++
            body = substr($0, index($0, "(") + 1)
            gsub(/\\;/, "\001", body)
            m = split(body, opt, ";")
            for (i = 1; i <= m; i++) {
                k = opt[i]
                sub(/:.*/, "", k)
                gsub(/^[ \t]+|[ \t]+$/, "", k)
                if (k in newer || k ~ /^http\./) next
            }
            kept++
            print
        }
        END { print total + 0, kept + 0 > kf }
    ' "$f" >"$OUT/$b"
    read -r t k <"$OUT/.count.$b"
    rm -f "$OUT/.count.$b"
    total=$((total + t)) kept=$((kept + k))
done
echo "suricata41-rules.sh: kept $kept of $total enabled rules in $OUT"

#!/usr/bin/env python3
"""ftp_vs_zeek.py - compare Vigil's ftp.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-ftp.log` (Zeek 8.2.2, default
scripts) or a `*.zeek-ftp.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l $TEST_TMP/x` and compare ftp.log field by field
(every column the baseline has except uid and fuid: file extraction is not
there yet), records paired per connection in log order, X-masked values as
wildcards.  Btest baselines written with a non-default FTP::logged_commands
(rows for USER, PASS, QUIT, <init>, AUTH ...) are skipped.  For every
`*.zeek8-conn.log` beside a compared trace, the conn.log service of each
ftp-data connection must be Zeek's.

Known differences: KNOWN-DIFFERENCES.md, fenced block `ftp-known` (see
smtp_vs_zeek.py, which holds the machinery).  Exit 77: no corpus.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtp_vs_zeek as cmp  # noqa: E402

DEFAULT_LOGGED = {"APPE", "DELE", "RETR", "STOR", "STOU", "ACCT", "PORT", "PASV", "EPRT", "EPSV"}


def skip_baseline(rel, rows):
    if ".zeek8-" in rel:
        return None
    extra = sorted({r.get("command", "") for r in rows} - DEFAULT_LOGGED)
    if extra:
        return "btest baseline logs non-default commands (%s)" % ",".join(extra)
    return None


def ftp_data_services(trace, out):
    """Zeek's ftp-data connections and their service in our conn.log."""
    zc = trace.rsplit(".", 1)[0] + ".zeek8-conn.log"
    if not os.path.exists(zc):
        return []
    _, zrows = cmp.read_log(zc)
    vp = os.path.join(out, "conn.log")
    _, vrows = cmp.read_log(vp) if os.path.exists(vp) else ([], [])
    key = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
    ours = {"|".join(r.get(k, "") for k in key): r.get("service", "-") for r in vrows}
    want = [r for r in zrows if "ftp-data" in r.get("service", "")]
    if not want:
        return []
    bad = []
    for r in want:
        k = "|".join(r.get(k2, "") for k2 in key)
        if ours.get(k) != r["service"]:
            bad.append("%s: zeek %s, vigil %s" % (k, r["service"], ours.get(k)))
    if bad:
        return [(False, "conn.log service of ftp-data connections: " + "; ".join(bad[:5]))]
    return [(True, "conn.log service of %d ftp-data connections" % len(want))]


if __name__ == "__main__":
    sys.exit(cmp.main("ftp", extra=ftp_data_services, skip_baseline=skip_baseline))

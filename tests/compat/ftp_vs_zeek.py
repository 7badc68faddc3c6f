#!/usr/bin/env python3
"""ftp_vs_zeek.py - compare Vigil's ftp.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-ftp.log` (Zeek 8.2.2, default
scripts) or a `*.zeek-ftp.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l $TEST_TMP/x` and compare ftp.log field by field
with `--extract` (file analysis links each data channel's file to its
RETR/STOR row: mime_type and fuid), every column the baseline has except uid
and fuid, records paired per connection in log order, X-masked values as
wildcards.  fuid is checked for presence: set on exactly the rows where
Zeek's is (its values are random per run in Zeek).  Btest baselines written with a non-default FTP::logged_commands
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


def fuid_presence(trace, out):
    """Rows with a fuid: ours where Zeek's (every zeek8 ftp.log of the trace)."""
    zl = trace.rsplit(".", 1)[0] + ".zeek8-ftp.log"
    if not os.path.exists(zl):
        return []
    _, zrows = cmp.read_log(zl)
    _, vrows = cmp.read_log(os.path.join(out, "ftp.log"), missing_ok=True)
    zg, vg = cmp.group(zrows), cmp.group(vrows)
    bad, n = [], 0
    for key, zlist in zg.items():
        for i, z in enumerate(zlist):
            v = vg.get(key, [])[i] if i < len(vg.get(key, [])) else {}
            zs, vs = z.get("fuid", "-") != "-", v.get("fuid", "-") != "-"
            n += zs
            if zs != vs:
                bad.append("%s#%d: zeek %s, vigil %s" % (key, i, z.get("fuid"), v.get("fuid")))
    if bad:
        return [(False, "ftp.log fuid presence: " + "; ".join(bad[:5]))]
    return [(True, "ftp.log fuid on the %d rows where Zeek has one" % n)]


def both(trace, out):
    return ftp_data_services(trace, out) + fuid_presence(trace, out)


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
    _, vrows = cmp.read_log(os.path.join(out, "conn.log"), missing_ok=True)
    ours = {cmp.group_key(r): r.get("service", "-") for r in vrows}
    want = [r for r in zrows if "ftp-data" in r.get("service", "")]
    if not want:
        return []
    bad = []
    for r in want:
        k = cmp.group_key(r)
        if ours.get(k) != r["service"]:
            bad.append("%s: zeek %s, vigil %s" % (k, r["service"], ours.get(k)))
    if bad:
        return [(False, "conn.log service of ftp-data connections: " + "; ".join(bad[:5]))]
    return [(True, "conn.log service of %d ftp-data connections" % len(want))]


if __name__ == "__main__":
    sys.exit(cmp.main("ftp", extra=both, skip_baseline=skip_baseline, args=["--extract"]))

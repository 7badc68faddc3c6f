#!/usr/bin/env python3
"""dhcp_vs_zeek.py - compare Vigil's dhcp.log with Zeek 8's on every corpus
trace that has a `*.zeek8-dhcp.log`: rows keyed by ts and mac, every Zeek
column compared except uids (random per run).  One TAP line per trace;
exit 1 on a difference, 77 when the corpus or vigil is missing.  (The
synthetic DISCOVER/OFFER/REQUEST/ACK exchange is tests/unit/test_dhcp.c.)
"""
import os
import re
import sys

import zeeklog as zl


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-dhcp")
    if zl.missing(vigil, corpus):
        return 77
    n = failed = 0
    for root, _, files in sorted(os.walk(corpus)):
        for f in sorted(files):
            m = re.match(r"(.*)\.zeek8-dhcp\.log$", f)
            if not m:
                continue
            trace = zl.trace_for(root, m.group(1))
            if not trace:
                continue
            n += 1
            out = os.path.join(tmp, "d%d" % n)
            zl.analyze(vigil, trace, out)
            zf, zrows = zl.read_log(os.path.join(root, f))
            vrows = zl.read_log(os.path.join(out, "dhcp.log"), missing_ok=True)[1]
            vby = {(r.get("ts"), r.get("mac")): r for r in vrows}
            bad = []
            for z in zrows:
                v = vby.get((z.get("ts"), z.get("mac")))
                if v is None:
                    bad.append("missing %s %s" % (z.get("ts"), z.get("mac")))
                    continue
                bad += ["%s: %s != %s" % (k, z[k], v.get(k)) for k in zf
                        if k != "uids" and z[k] != v.get(k, "-")]
            if len(vrows) != len(zrows):
                bad.append("%d rows, Zeek %d" % (len(vrows), len(zrows)))
            rel = os.path.relpath(os.path.join(root, f), corpus)
            if bad:
                failed += 1
                print("not ok %d - %s" % (n, rel))
                for b in bad[:10]:
                    print("#   " + b)
            else:
                print("ok %d - %s (%d rows equal)" % (n, rel, len(zrows)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

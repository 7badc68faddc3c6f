#!/usr/bin/env python3
"""service_vs_zeek.py - conn.log's `service` against Zeek 8 on every corpus trace.

Protocol detection (issue 5): for each trace with a `*.zeek8-conn.log`, run
`$VIGIL analyze -r TRACE -l DIR` and compare each connection's service - a
set of analyzer names, compared as a set since Zeek prints set members in
no defined order ("-" is the empty set).  Connections are paired on
(proto, id.orig_h, id.orig_p, id.resp_h, id.resp_p) in time order, as
conn_vs_zeek.py pairs them; connections only one side has are left to that
test.  One TAP line per trace.  Fails on a difference not listed in
KNOWN-DIFFERENCES.md (fenced block `service-known`, lines
`trace<TAB>key<TAB>zeek<TAB>vigil`), on a listed one that no longer occurs,
or when fewer than 95% of the paired connections agree.
"""
import os
import sys

import zeeklog as zl

KEY = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
TARGET = 95.0


def services(v):
    return "-" if v in (None, "-", "(empty)") else ",".join(sorted(v.split(",")))


def compare(zrows, vrows):
    """How many connections paired, and (key, zeek, vigil) of those whose services differ."""
    pairs, _ = zl.pair_rows(zrows, vrows, zl.keyer(KEY), order=zl.ts_of)
    paired, diffs = 0, []
    for k, z, v in pairs:
        if v is None:
            continue
        paired += 1
        zs, vs = services(z.get("service")), services(v.get("service"))
        if zs != vs:
            diffs.append((k, zs, vs))
    return paired, diffs


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-service")
    known = zl.Known("service", width=4)
    if zl.missing(vigil, corpus):
        return 77
    jobs = zl.baselines(corpus, r"(.*)\.zeek8-conn\.log$")
    total = agree = failed = 0
    new = []
    for i, (zlog, trace, _) in enumerate(jobs):
        rel = os.path.relpath(trace, corpus)
        out = os.path.join(tmp, "t%d" % i)
        zl.analyze(vigil, trace, out)
        path = os.path.join(out, "conn.log")
        if not os.path.exists(path):
            print("not ok - %s: vigil wrote no conn.log" % rel)
            failed += 1
            continue
        paired, diffs = compare(zl.read_log(zlog)[1], zl.read_log(path)[1])
        total += paired
        agree += paired - len(diffs)
        unlisted = known.unlisted(rel, diffs)
        if unlisted:
            failed += 1
            print("not ok - %s: %d new service difference(s)" % (rel, len(unlisted)))
            for k, zs, vs in unlisted:
                print("#   %s zeek=%s vigil=%s" % (k, zs, vs))
                new.append("\t".join((rel, k, zs, vs)))
        else:
            print("ok - %s: %d connections, %d known differences" % (rel, paired, len(diffs)))
    for gone in known.stale():
        failed += 1
        print("not ok - listed service difference no longer occurs: %s" % "\t".join(gone))
    pct = 100.0 * agree / total if total else 0.0
    ok = pct >= TARGET
    failed += not ok
    print("%s - service equal on %d of %d paired connections (%.2f%%, target %.0f%%)" %
          ("ok" if ok else "not ok", agree, total, pct, TARGET))
    if "-v" in sys.argv:
        print("\n".join("# new: " + l for l in new))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""conn_vs_zeek.py - compare Vigil's conn.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-conn.log` (Zeek 8.2.2, default
scripts) and each `*.zeek-conn.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l DIR` and compare conn.log field by field:
key (proto, id.orig_h, id.orig_p, id.resp_h, id.resp_p), duration (+-1 ms),
orig_bytes, resp_bytes, conn_state, missed_bytes, history, orig_pkts,
orig_ip_bytes, resp_pkts, resp_ip_bytes.  Values masked with X are
wildcards.  Sessions with the same key are paired in time order.

One TAP line per trace.  Fails when a difference is not listed in
tests/compat/KNOWN-DIFFERENCES.md (section "conn.log vs Zeek 8", fenced
block `conn-known`, lines `trace<TAB>key<TAB>field`), when a listed
difference no longer occurs (the list must shrink as Vigil gets closer), or
when fewer than 98% of the Zeek 8 connections are equal on every field.
"""
import os
import sys

import zeeklog as zl

FIELDS = ["duration", "orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "history",
          "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"]
KEY = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
TARGET = 98.0


def same(field, zv, vv):
    if zv is None or zl.masked(zv):
        return True
    if field == "duration" and zv != "-" and vv != "-":
        d = zl.delta(zv, vv)
        return d is not None and d <= 0.001
    return zv == vv


def run_vigil(vigil, trace, outdir):
    p = zl.analyze(vigil, trace, outdir)
    path = os.path.join(outdir, "conn.log")
    if not os.path.exists(path):
        return None, p.stderr.decode(errors="replace")
    return zl.read_log(path)[1], ""


def compare(zrows, vrows, zfields):
    """(key, field) differences, and the count of fully equal Zeek rows."""
    return zl.compare_rows(
        zrows, vrows, zl.keyer(KEY), order=zl.ts_of,
        differing=lambda z, v: [f for f in FIELDS
                                if f in zfields and not same(f, z.get(f), v.get(f, "-"))])


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-conn")
    known = zl.Known("conn")
    verbose = "-v" in sys.argv
    if zl.missing(vigil, corpus):
        return 77
    jobs = zl.baselines(corpus, r"(.*)\.(zeek8-conn\.log|zeek-conn\.log(\.cut)?|zeek-conn\.cut)$")
    total = equal = 0
    failed = 0
    new_lines = []
    n = 0
    for log, trace, m in jobs:
        main_target = m.group(2).startswith("zeek8")
        n += 1
        rel = os.path.relpath(log, corpus)
        zfields, zrows = zl.read_log(log)
        vrows, err = run_vigil(vigil, trace, os.path.join(tmp, "x%d" % n))
        if vrows is None:
            print("not ok %d - %s: vigil wrote no conn.log: %s" % (n, rel, err.strip()[:200]))
            failed += 1
            continue
        diffs, eq = compare(zrows, vrows, zfields)
        if main_target:
            total += len(zrows)
            equal += eq
        unknown = known.unlisted(rel, diffs)
        if not zl.tap_baseline(n, rel, unknown, eq, len(zrows), diffs):
            failed += 1
            new_lines += ["%s\t%s\t%s" % (rel, k, f) for k, f in unknown]
    stale = known.stale()
    n += 1
    failed += not zl.tap_stale(n, stale, "%d listed difference(s) no longer occur" % len(stale),
                               "every listed difference still occurs")
    pct = 100.0 * equal / total if total else 0.0
    print("# Zeek 8 connections equal on every field: %d of %d (%.2f%%)" % (equal, total, pct))
    n += 1
    if pct >= TARGET:
        print("ok %d - corpus match %.2f%% >= %.0f%%" % (n, pct, TARGET))
    else:
        print("not ok %d - corpus match %.2f%% < %.0f%%" % (n, pct, TARGET))
        failed += 1
    if verbose and new_lines:
        with open(os.path.join(tmp, "new-differences.txt"), "w") as f:
            f.write("\n".join(new_lines) + "\n")
        print("# new differences written to %s" % os.path.join(tmp, "new-differences.txt"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""weird_vs_zeek.py - compare Vigil's weird.log with Zeek 8's on the corpus.

Every trace with a `*.zeek8-conn.log` (Zeek 8.2.2, default scripts) is run
through `$VIGIL analyze`; its `*.zeek8-weird.log` is the expectation, and a
trace with none means Zeek logged no weird there.  Rows are paired on
(name, id.orig_h, id.orig_p, id.resp_h, id.resp_p) in time order and then
compared on ts (+-1 ms), addl and source.  uids are not compared (Vigil's
uids are its own).

One TAP line per trace.  A difference is one line `trace<TAB>key<TAB>what`
(what: missing, extra, ts, addl, source).  Fails when a difference is not
listed in tests/compat/KNOWN-DIFFERENCES.md (section "weird.log vs Zeek 8",
fenced block `weird-known`), or when a listed one no longer happens.
Prints how many of Zeek's weirds are matched on every compared field.
"""
import os
import sys

import zeeklog as zl

KEY = ["name", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
FIELDS = ["ts", "addl", "source"]


def same(field, zv, vv):
    if field == "ts":
        d = zl.delta(zv, vv)
        return zv == vv if d is None else d <= 0.001
    return zv == vv


def compare(zrows, vrows):
    return zl.compare_rows(zrows, vrows, zl.keyer(KEY, "-"), order=zl.ts_of,
                           differing=lambda z, v: [f for f in FIELDS
                                                   if not same(f, z.get(f, "-"), v.get(f, "-"))])


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-weird")
    known = zl.Known("weird")
    if zl.missing(vigil, corpus):
        return 77
    jobs = [(os.path.join(os.path.dirname(log), m.group(1) + ".zeek8-weird.log"), trace)
            for log, trace, m in zl.baselines(corpus, r"(.*)\.zeek8-conn\.log$")]
    n = failed = total = equal = 0
    new_lines = []
    for wlog, trace in jobs:
        n += 1
        rel = os.path.relpath(wlog, corpus)
        out = os.path.join(tmp, "w%d" % n)
        zl.analyze(vigil, trace, out)
        zrows = zl.read_log(wlog, missing_ok=True)[1]
        vrows = zl.read_log(os.path.join(out, "weird.log"), missing_ok=True)[1]
        diffs, eq = compare(zrows, vrows)
        total += len(zrows)
        equal += eq
        lines = set("%s\t%s\t%s" % (rel, k, f) for k, f in diffs)
        unknown = known.unlisted(rel, diffs)
        if not zl.tap_baseline(n, rel, unknown, eq, len(zrows), diffs):
            failed += 1
            new_lines += sorted(l for l in lines if tuple(l.split("\t")) not in known)
    stale = known.stale()
    n += 1
    failed += not zl.tap_stale(n, stale, "%d known difference(s) no longer happen" % len(stale),
                               "every known difference still happens")
    pct = 100.0 * equal / total if total else 0.0
    print("# Zeek 8 weirds equal on every compared field: %d of %d (%.1f%%)" % (equal, total, pct))
    if "-v" in sys.argv and new_lines:
        path = os.path.join(tmp, "new-differences.txt")
        with open(path, "w") as f:
            f.write("\n".join(new_lines) + "\n")
        print("# new differences written to %s" % path)
    if "-v" in sys.argv and stale:
        path = os.path.join(tmp, "stale-differences.txt")
        with open(path, "w") as f:
            f.write("".join("\t".join(k) + "\n" for k in stale))
        print("# known differences that no longer happen written to %s" % path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""socks_vs_zeek.py - compare Vigil's socks.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-socks.log` (Zeek 8.2.2, default
scripts) or a `*.zeek-socks.log` btest baseline, run
`$VIGIL analyze -r TRACE -l DIR` and compare socks.log field by field.
Key: id.orig_h, id.orig_p, id.resp_h, id.resp_p (uid-free); rows with the
same key are paired in order.  Every field the baseline has is compared
except uid; ts within 1 ms; values masked with X are wildcards.  The
tunnelled traffic is checked too: conn.log's service of each keyed session
must read as Zeek's `*.zeek8-conn.log` has it ("socks,http").

Differences must be listed in tests/compat/KNOWN-DIFFERENCES.md, section
"socks.log vs Zeek 8", fenced block `socks-known`, lines
`trace-log<TAB>key<TAB>field` ("missing" / "extra" for whole rows).  A
listed difference that no longer occurs fails too.  At least 95% of
Zeek's rows must be equal on every compared field.

TAP; exit 1 on failure, 77 when the corpus or vigil is missing.
"""
import os
import re
import sys

import zeeklog as zl

TARGET = 95.0
KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
SKIP = {"uid"}
LOG_RE = re.compile(r"^(.*)\.(zeek8|zeek)-socks\.log$")
key_of = zl.keyer(KEY, "?")


def same(field, zv, vv):
    if vv is None:
        return False
    if zl.masked(zv):
        return True
    if field == "ts" and zv not in ("-", "") and vv not in ("-", ""):
        d = zl.delta(zv, vv)
        return d is not None and d <= 0.001
    return zv == vv


def run_vigil(vigil, trace, outdir):
    if zl.analyze(vigil, trace, outdir, quiet=False, clean=True).returncode != 0:
        return None
    return {name: zl.read_log(os.path.join(outdir, name + ".log"), missing_ok=True)[1]
            for name in ("socks", "conn")}


def compare(zrows, zfields, vrows):
    fields = [f for f in zfields if f not in SKIP and f not in KEY]
    return zl.compare_rows(zrows, vrows, key_of, lambda z, v: [
        f for f in fields if not same(f, z.get(f, ""), v.get(f))])


def service_check(corpus, base, zrows, vconn):
    """conn.log service of the SOCKS sessions, against Zeek 8's conn.log."""
    path = os.path.join(corpus, base + ".zeek8-conn.log")
    if not os.path.exists(path):
        return []
    keys = {key_of(z) for z in zrows}
    zsvc = {key_of(r): r.get("service") for r in zl.read_log(path)[1]
            if key_of(r) in keys and r.get("service") not in ("-", None)}
    vsvc = {key_of(r): r.get("service") for r in vconn
            if key_of(r) in keys and r.get("service") not in ("-", None)}
    return [(k, "service") for k, s in zsvc.items() if vsvc.get(k) != s]


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-socks-compat")
    if zl.missing(vigil, corpus):
        sys.exit(77)
    known = zl.Known("socks")
    logs = sorted(os.path.relpath(os.path.join(r, f), corpus)
                  for r, _, fs in os.walk(corpus) for f in fs if LOG_RE.match(f))
    failed, total, equal_total, cache = False, 0, 0, {}
    for log in logs:
        base = LOG_RE.match(log).group(1)
        trace = zl.trace_for(corpus, base)
        if not trace:
            continue
        if trace not in cache:
            cache[trace] = run_vigil(vigil, trace, os.path.join(tmp, "x"))
        v = cache[trace]
        if v is None:
            print(f"not ok - {log}: vigil failed")
            failed = True
            continue
        zfields, zrows = zl.read_log(os.path.join(corpus, log))
        diffs, equal = compare(zrows, zfields, v["socks"])
        diffs += service_check(corpus, base, zrows, v["conn"])
        total += len(zrows)
        equal_total += equal
        unlisted = known.unlisted(log, diffs)
        if unlisted:
            failed = True
            print(f"not ok - {log}: {len(unlisted)} unlisted differences")
            zl.print_unlisted(log, unlisted, zrows, v["socks"], key_of)
        else:
            print(f"ok - {log}: {len(zrows)} rows, {equal} equal, {len(diffs)} known differences")
    for s in known.stale(lambda k: k[0] in logs):
        failed = True
        print(f"not ok - listed difference no longer seen: {s[0]}\t{s[1]}\t{s[2]}")
    pct = 100.0 * equal_total / total if total else 100.0
    line = f"Zeek rows equal on every compared field: {equal_total}/{total} ({pct:.1f}%)"
    if pct >= TARGET:
        print(f"ok - {line}")
    else:
        failed = True
        print(f"not ok - {line}, target {TARGET}%")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

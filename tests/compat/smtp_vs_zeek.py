#!/usr/bin/env python3
"""smtp_vs_zeek.py - compare Vigil's smtp.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-smtp.log` (Zeek 8.2.2, default
scripts) or a `*.zeek-smtp.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l $TEST_TMP/x` and compare smtp.log field by field:
every column the baseline has except uid and fuids (file extraction is not
there yet).  Records are paired per connection (id.orig_h, id.orig_p,
id.resp_h, id.resp_p) in log order; sets compare unordered; values masked
with X are wildcards; ts to the microsecond.

The same machinery serves ftp_vs_zeek.py (LOG = "ftp").

One TAP line per baseline.  Fails when a difference is not listed in
tests/compat/KNOWN-DIFFERENCES.md (fenced block `smtp-known` / `ftp-known`,
lines `baseline<TAB>key#n<TAB>field`, field "missing"/"extra" for whole
records), when a listed difference no longer shows, or when fewer than 95%
of Zeek's records are equal on every compared field.  Exit 77: no corpus.
"""
import os
import sys

import zeeklog as zl

TARGET = 95.0
ID = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
SETS = {"rcptto", "to", "cc"}
SKIP_FIELDS = {"uid", "fuids", "fuid", "community_id"}
read_log = zl.read_log
group_key = zl.keyer(ID)


def same(field, zv, vv):
    if zv is None or zl.masked(zv):
        return True
    if vv is None:
        return False
    if field == "ts" and zv != "-" and vv != "-":
        d = zl.delta(zv, vv)
        return d is not None and d < 2e-6
    if field in SETS and zv not in ("-", "(empty)") and vv not in ("-", "(empty)"):
        return sorted(zv.split(",")) == sorted(vv.split(","))
    return zv == vv


def baselines(corpus, log):
    """(baseline relative to the corpus, its path, its trace), sorted."""
    pattern = r"(.*)\.(zeek8-%s\.log|zeek-%s\.log(\.cut)?)$" % (log, log)
    return [(os.path.relpath(path, corpus), path, trace)
            for path, trace, _ in zl.baselines(corpus, pattern)]


def group(rows):
    g = {}
    for r in rows:
        g.setdefault(group_key(r), []).append(r)
    return g


def run_vigil(vigil, trace, tmp, args=()):
    out = os.path.join(tmp, "x")
    zl.analyze(vigil, trace, out, args, quiet=False, clean=True)
    return out


def compare(rel, zrows, vrows, fields, skip):
    """Differences (key#n, field) and the count of equal Zeek records."""
    return zl.compare_grouped(zrows, vrows, group_key, lambda z, v: [
        f for f in fields if f not in skip and f not in ID and not same(f, z.get(f), v.get(f))])


def main(log, extra=None, skip_baseline=None, args=()):
    corpus = os.environ.get("CORPUS", "")
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    tmp = os.environ.get("TEST_TMP", "/tmp")
    if not corpus or not os.path.isdir(corpus):
        print("1..0 # SKIP no corpus")
        return 77
    known = zl.Known(log)
    items = baselines(corpus, log)
    total = equal_all = 0
    failed = 0
    n = 0
    cache = {}
    for rel, path, trace in items:
        fields, zrows = read_log(path)
        if skip_baseline:
            why = skip_baseline(rel, zrows)
            if why:
                n += 1
                print("ok %d - %s # SKIP %s" % (n, rel, why))
                continue
        if trace not in cache:
            out = run_vigil(vigil, trace, tmp, args)
            cache[trace] = read_log(os.path.join(out, log + ".log"), missing_ok=True)[1]
            if extra:
                cache[trace + "#extra"] = extra(trace, out)
        diffs, equal = compare(rel, zrows, cache[trace], fields, SKIP_FIELDS)
        total += len(zrows)
        equal_all += equal
        unknown = known.unlisted(rel, diffs)
        n += 1
        if unknown:
            failed += 1
            print("not ok %d - %s: %d/%d records equal" % (n, rel, equal, len(zrows)))
            for k, f in unknown[:20]:
                print("#   %s\t%s\t%s" % (rel, k, f))
        else:
            print("ok %d - %s: %d/%d records equal%s" % (
                n, rel, equal, len(zrows), " (%d known differences)" % len(diffs) if diffs else ""))
        if extra:
            for ok, msg in cache[trace + "#extra"]:
                n += 1
                print("%s %d - %s: %s" % ("ok" if ok else "not ok", n, rel, msg))
                failed += 0 if ok else 1
    stale = known.stale()
    n += 1
    failed += not zl.tap_stale(n, stale, "listed differences that no longer show (remove them)",
                               "every listed difference still shows", most=20)
    pct = 100.0 * equal_all / total if total else 100.0
    n += 1
    if pct < TARGET:
        failed += 1
        print("not ok %d - %s.log: %.1f%% of Zeek's records equal (target %.0f%%)" % (
            n, log, pct, TARGET))
    else:
        print("ok %d - %s.log: %.1f%% of Zeek's %d records equal on every field" % (
            n, log, pct, total))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main("smtp"))

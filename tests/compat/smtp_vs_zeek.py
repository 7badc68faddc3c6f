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
import re
import subprocess
import sys

TARGET = 95.0
ID = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
SETS = {"rcptto", "to", "cc"}
SKIP_FIELDS = {"uid", "fuids", "fuid", "community_id"}


def read_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not line or line.startswith("#"):
                continue
            if fields is None:
                fields = line.split("\t")
                continue
            rows.append(dict(zip(fields, line.split("\t"))))
    return fields or [], rows


def same(field, zv, vv):
    if zv is None:
        return True
    if re.fullmatch(r"X+(\.X+)?", zv):
        return True
    if vv is None:
        return False
    if field == "ts" and zv != "-" and vv != "-":
        try:
            return abs(float(zv) - float(vv)) < 2e-6
        except ValueError:
            return False
    if field in SETS and zv not in ("-", "(empty)") and vv not in ("-", "(empty)"):
        return sorted(zv.split(",")) == sorted(vv.split(","))
    return zv == vv


def known_block(log):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "KNOWN-DIFFERENCES.md")
    known, inside = set(), False
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.strip() == "```%s-known" % log:
                    inside = True
                    continue
                if inside and line.startswith("```"):
                    inside = False
                    continue
                if inside and line.strip():
                    parts = line.split("\t")
                    if len(parts) >= 3:
                        known.add(tuple(parts[:3]))
    except OSError:
        pass
    return known


def baselines(corpus, log):
    out = []
    for root, _, files in os.walk(corpus):
        for f in files:
            m = re.match(r"(.*)\.(zeek8-%s\.log|zeek-%s\.log(\.cut)?)$" % (log, log), f)
            if not m:
                continue
            base = m.group(1)
            trace = None
            for ext in (".pcap", ".pcapng"):
                if os.path.exists(os.path.join(root, base + ext)):
                    trace = os.path.join(root, base + ext)
            if trace:
                rel = os.path.relpath(os.path.join(root, f), corpus)
                out.append((rel, os.path.join(root, f), trace))
    return sorted(out)


def group(rows):
    g = {}
    for r in rows:
        g.setdefault("|".join(r.get(k, "") for k in ID), []).append(r)
    return g


def run_vigil(vigil, trace, tmp):
    out = os.path.join(tmp, "x")
    subprocess.run(["rm", "-rf", out])
    os.makedirs(tmp, exist_ok=True)
    subprocess.run([vigil, "analyze", "-r", trace, "-l", out], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300)
    return out


def compare(rel, zrows, vrows, fields, skip):
    """Differences (key#n, field) and the count of equal Zeek records."""
    diffs, equal = [], 0
    zg, vg = group(zrows), group(vrows)
    for key in sorted(set(zg) | set(vg)):
        zl, vl = zg.get(key, []), vg.get(key, [])
        for n in range(max(len(zl), len(vl))):
            k = "%s#%d" % (key, n)
            if n >= len(vl):
                diffs.append((k, "missing"))
                continue
            if n >= len(zl):
                diffs.append((k, "extra"))
                continue
            bad = [f for f in fields if f not in skip and f not in ID
                   and not same(f, zl[n].get(f), vl[n].get(f))]
            for f in bad:
                diffs.append((k, f))
            if not bad:
                equal += 1
    return diffs, equal


def main(log, extra=None, skip_baseline=None):
    corpus = os.environ.get("CORPUS", "")
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    tmp = os.environ.get("TEST_TMP", "/tmp")
    if not corpus or not os.path.isdir(corpus):
        print("1..0 # SKIP no corpus")
        return 77
    known = known_block(log)
    items = baselines(corpus, log)
    total = equal_all = 0
    failed = 0
    seen_known = set()
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
            out = run_vigil(vigil, trace, tmp)
            vp = os.path.join(out, log + ".log")
            cache[trace] = read_log(vp)[1] if os.path.exists(vp) else []
            if extra:
                cache[trace + "#extra"] = extra(trace, out)
        diffs, equal = compare(rel, zrows, cache[trace], fields, SKIP_FIELDS)
        total += len(zrows)
        equal_all += equal
        unknown = [d for d in diffs if (rel, d[0], d[1]) not in known]
        for d in diffs:
            seen_known.add((rel, d[0], d[1]))
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
    stale = sorted(k for k in known if k not in seen_known)
    n += 1
    if stale:
        failed += 1
        print("not ok %d - listed differences that no longer show (remove them)" % n)
        for s in stale[:20]:
            print("#   " + "\t".join(s))
    else:
        print("ok %d - every listed difference still shows" % n)
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

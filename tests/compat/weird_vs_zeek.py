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
import re
import subprocess
import sys

KEY = ["name", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
FIELDS = ["ts", "addl", "source"]


def read_log(path):
    fields, rows = None, []
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not line or line.startswith("#") or fields is None:
                continue
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def key_of(r):
    return "|".join(r.get(k, "-") for k in KEY)


def same(field, zv, vv):
    if field == "ts":
        try:
            return abs(float(zv) - float(vv)) <= 0.001
        except ValueError:
            return zv == vv
    return zv == vv


def known_list(path):
    known = set()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    m = re.search(r"```weird-known\n(.*?)```", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                known.add(tuple(parts))
    return known


def compare(zrows, vrows):
    bykey = {}
    for r in sorted(vrows, key=lambda r: float(r.get("ts", "0"))):
        bykey.setdefault(key_of(r), []).append(r)
    diffs, equal = [], 0
    for z in sorted(zrows, key=lambda r: float(r.get("ts", "0"))):
        k = key_of(z)
        cands = bykey.get(k)
        if not cands:
            diffs.append((k, "missing"))
            continue
        v = cands.pop(0)
        bad = [f for f in FIELDS if not same(f, z.get(f, "-"), v.get(f, "-"))]
        diffs += [(k, f) for f in bad]
        if not bad:
            equal += 1
    for k, rest in bykey.items():
        diffs += [(k, "extra")] * len(rest)
    return diffs, equal


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-weird")
    here = os.path.dirname(os.path.abspath(__file__))
    known = known_list(os.path.join(here, "KNOWN-DIFFERENCES.md"))
    if not os.path.isdir(corpus) or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    jobs = []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            m = re.match(r"(.*)\.zeek8-conn\.log$", f)
            if not m:
                continue
            for ext in (".pcap", ".pcapng", ".trace"):
                trace = os.path.join(root, m.group(1) + ext)
                if os.path.exists(trace):
                    jobs.append((os.path.join(root, m.group(1) + ".zeek8-weird.log"), trace))
                    break
    jobs.sort()
    n = failed = total = equal = 0
    seen = set()
    new_lines = []
    for wlog, trace in jobs:
        n += 1
        rel = os.path.relpath(wlog, corpus)
        out = os.path.join(tmp, "w%d" % n)
        os.makedirs(out, exist_ok=True)
        subprocess.run([vigil, "analyze", "-q", "-r", trace, "-l", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        zrows = read_log(wlog)
        vrows = read_log(os.path.join(out, "weird.log"))
        diffs, eq = compare(zrows, vrows)
        total += len(zrows)
        equal += eq
        lines = set("%s\t%s\t%s" % (rel, k, f) for k, f in diffs)
        unknown = [d for d in diffs if (rel, d[0], d[1]) not in known]
        for d in diffs:
            seen.add((rel, d[0], d[1]))
        if unknown:
            failed += 1
            print("not ok %d - %s: %d new difference(s)" % (n, rel, len(unknown)))
            for k, f in unknown[:10]:
                print("#   %s %s" % (k, f))
            new_lines += sorted(l for l in lines if tuple(l.split("\t")) not in known)
        else:
            print("ok %d - %s (%d/%d equal%s)" % (n, rel, eq, len(zrows),
                                                 ", known differences" if diffs else ""))
    stale = sorted(k for k in known if k not in seen)
    n += 1
    if stale:
        failed += 1
        print("not ok %d - %d known difference(s) no longer happen" % (n, len(stale)))
        for s in stale[:10]:
            print("#   %s" % "\t".join(s))
    else:
        print("ok %d - every known difference still happens" % n)
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

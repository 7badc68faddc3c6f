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
block `conn-known`, lines `trace<TAB>key<TAB>field`) or when fewer than 98%
of the Zeek 8 connections are equal on every field.
"""
import os
import re
import subprocess
import sys

FIELDS = ["duration", "orig_bytes", "resp_bytes", "conn_state", "missed_bytes", "history",
          "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"]
KEY = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
TARGET = 98.0


def read_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not line or line.startswith("#"):
                continue
            if fields is None:
                # .cut files: first line holds the column names
                fields = line.split("\t")
                continue
            vals = line.split("\t")
            rows.append(dict(zip(fields, vals)))
    return fields or [], rows


def key_of(r):
    return "|".join(r.get(k, "") for k in KEY)


def same(field, zv, vv):
    if zv is None:
        return True
    if re.fullmatch(r"X+(\.X+)?", zv):
        return True
    if field == "duration" and zv != "-" and vv != "-":
        try:
            return abs(float(zv) - float(vv)) <= 0.001
        except ValueError:
            return False
    return zv == vv


def known_list(path):
    known = set()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    m = re.search(r"```conn-known\n(.*?)```", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                known.add(tuple(parts))
    return known


def run_vigil(vigil, trace, outdir):
    os.makedirs(outdir, exist_ok=True)
    p = subprocess.run([vigil, "analyze", "-q", "-r", trace, "-l", outdir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    path = os.path.join(outdir, "conn.log")
    if not os.path.exists(path):
        return None, p.stderr.decode(errors="replace")
    return read_log(path)[1], ""


def compare(zrows, vrows, zfields):
    """Yield (key, field) differences; return count of fully equal Zeek rows."""
    bykey = {}
    for r in sorted(vrows, key=lambda r: float(r.get("ts", "0"))):
        bykey.setdefault(key_of(r), []).append(r)
    diffs, equal = [], 0
    for z in sorted(zrows, key=lambda r: float(r["ts"]) if re.match(r"^[0-9.]+$", r.get("ts", "")) else 0):
        k = key_of(z)
        cands = bykey.get(k)
        if not cands:
            diffs.append((k, "missing"))
            continue
        v = cands.pop(0)
        bad = [f for f in FIELDS if f in zfields and not same(f, z.get(f), v.get(f, "-"))]
        for f in bad:
            diffs.append((k, f))
        if not bad:
            equal += 1
    for k, rest in bykey.items():
        for _ in rest:
            diffs.append((k, "extra"))
    return diffs, equal


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-conn")
    here = os.path.dirname(os.path.abspath(__file__))
    known = known_list(os.path.join(here, "KNOWN-DIFFERENCES.md"))
    verbose = "-v" in sys.argv
    if not os.path.isdir(corpus) or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    jobs = []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            m = re.match(r"(.*)\.(zeek8-conn\.log|zeek-conn\.log(\.cut)?|zeek-conn\.cut)$", f)
            if not m:
                continue
            base = m.group(1)
            trace = None
            for ext in (".pcap", ".pcapng", ".trace"):
                if os.path.exists(os.path.join(root, base + ext)):
                    trace = os.path.join(root, base + ext)
            if trace:
                jobs.append((os.path.join(root, f), trace, m.group(2).startswith("zeek8")))
    jobs.sort()
    total = equal = 0
    failed = 0
    new_lines = []
    n = 0
    for log, trace, main_target in jobs:
        n += 1
        rel = os.path.relpath(log, corpus)
        zfields, zrows = read_log(log)
        vrows, err = run_vigil(vigil, trace, os.path.join(tmp, "x%d" % n))
        if vrows is None:
            print("not ok %d - %s: vigil wrote no conn.log: %s" % (n, rel, err.strip()[:200]))
            failed += 1
            continue
        diffs, eq = compare(zrows, vrows, zfields)
        if main_target:
            total += len(zrows)
            equal += eq
        unknown = [d for d in diffs if (rel, d[0], d[1]) not in known]
        if unknown:
            failed += 1
            print("not ok %d - %s: %d new difference(s)" % (n, rel, len(unknown)))
            for k, f in unknown[:10]:
                print("#   %s %s" % (k, f))
            new_lines += ["%s\t%s\t%s" % (rel, k, f) for k, f in unknown]
        else:
            print("ok %d - %s (%d/%d equal%s)" % (n, rel, eq, len(zrows),
                                                 ", known differences" if diffs else ""))
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

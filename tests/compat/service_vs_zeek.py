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
import re
import subprocess
import sys

KEY = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
TARGET = 95.0


def read_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif line and not line.startswith("#") and fields:
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def ts_of(r):
    try:
        return float(r.get("ts", "0"))
    except ValueError:
        return 0.0


def services(v):
    return "-" if v in (None, "-", "(empty)") else ",".join(sorted(v.split(",")))


def known_list(path):
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return set()
    m = re.search(r"```service-known\n(.*?)```", text, re.S)
    return {tuple(l.split("\t")) for l in m.group(1).splitlines() if l.count("\t") == 3} if m else set()


def compare(zrows, vrows):
    bykey = {}
    for r in sorted(vrows, key=ts_of):
        bykey.setdefault("|".join(r.get(k, "") for k in KEY), []).append(r)
    paired, diffs = 0, []
    for z in sorted(zrows, key=ts_of):
        k = "|".join(z.get(k, "") for k in KEY)
        if not bykey.get(k):
            continue
        v = bykey[k].pop(0)
        paired += 1
        zs, vs = services(z.get("service")), services(v.get("service"))
        if zs != vs:
            diffs.append((k, zs, vs))
    return paired, diffs


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-service")
    here = os.path.dirname(os.path.abspath(__file__))
    known = known_list(os.path.join(here, "KNOWN-DIFFERENCES.md"))
    if not os.path.isdir(corpus) or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    jobs = []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            if not f.endswith(".zeek8-conn.log"):
                continue
            base = f[: -len(".zeek8-conn.log")]
            for ext in (".pcap", ".pcapng"):
                if os.path.exists(os.path.join(root, base + ext)):
                    jobs.append((os.path.join(root, f), os.path.join(root, base + ext)))
    jobs.sort()
    total = agree = failed = 0
    seen, new = set(), []
    for i, (zlog, trace) in enumerate(jobs):
        rel = os.path.relpath(trace, corpus)
        out = os.path.join(tmp, "t%d" % i)
        os.makedirs(out, exist_ok=True)
        subprocess.run([vigil, "analyze", "-q", "-r", trace, "-l", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
        path = os.path.join(out, "conn.log")
        if not os.path.exists(path):
            print("not ok - %s: vigil wrote no conn.log" % rel)
            failed += 1
            continue
        paired, diffs = compare(read_log(zlog), read_log(path))
        total += paired
        agree += paired - len(diffs)
        unlisted = [d for d in diffs if (rel,) + d not in known]
        seen.update((rel,) + d for d in diffs)
        if unlisted:
            failed += 1
            print("not ok - %s: %d new service difference(s)" % (rel, len(unlisted)))
            for k, zs, vs in unlisted:
                print("#   %s zeek=%s vigil=%s" % (k, zs, vs))
                new.append("\t".join((rel, k, zs, vs)))
        else:
            print("ok - %s: %d connections, %d known differences" % (rel, paired, len(diffs)))
    for gone in sorted(known - seen):
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

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
import subprocess
import sys

TARGET = 95.0
KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]
SKIP = {"uid"}
LOG_RE = re.compile(r"^(.*)\.(zeek8|zeek)-socks\.log$")


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
            rows.append(dict(zip(fields or [], line.split("\t"))))
    return fields or [], rows


def key_of(r):
    return "|".join(r.get(k, "?") for k in KEY)


def same(field, zv, vv):
    if vv is None:
        return False
    if re.fullmatch(r"X+(\.X+)?", zv):
        return True
    if field == "ts" and zv not in ("-", "") and vv not in ("-", ""):
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
    m = re.search(r"```socks-known\n(.*?)```", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                known.add(tuple(parts))
    return known


def run_vigil(vigil, trace, outdir):
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        os.unlink(os.path.join(outdir, f))
    p = subprocess.run([vigil, "analyze", "-r", trace, "-l", outdir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        return None
    logs = {}
    for name in ("socks", "conn"):
        path = os.path.join(outdir, name + ".log")
        logs[name] = read_log(path)[1] if os.path.exists(path) else []
    return logs


def compare(zrows, zfields, vrows):
    diffs, equal = [], 0
    fields = [f for f in zfields if f not in SKIP and f not in KEY]
    pool = {}
    for r in vrows:
        pool.setdefault(key_of(r), []).append(r)
    for z in zrows:
        k = key_of(z)
        if not pool.get(k):
            diffs.append((k, "missing"))
            continue
        v = pool[k].pop(0)
        bad = [f for f in fields if not same(f, z.get(f, ""), v.get(f))]
        diffs.extend((k, f) for f in bad)
        equal += not bad
    for k, rest in pool.items():
        diffs.extend((k, "extra") for _ in rest)
    return diffs, equal


def service_check(corpus, base, zrows, vconn):
    """conn.log service of the SOCKS sessions, against Zeek 8's conn.log."""
    path = os.path.join(corpus, base + ".zeek8-conn.log")
    if not os.path.exists(path):
        return []
    keys = {key_of(z) for z in zrows}
    zsvc = {key_of(r): r.get("service") for r in read_log(path)[1]
            if key_of(r) in keys and r.get("service") not in ("-", None)}
    vsvc = {key_of(r): r.get("service") for r in vconn
            if key_of(r) in keys and r.get("service") not in ("-", None)}
    return [(k, "service") for k, s in zsvc.items() if vsvc.get(k) != s]


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-socks-compat")
    known_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "KNOWN-DIFFERENCES.md")
    if not os.path.isdir(corpus) or not os.path.exists(vigil):
        print("# corpus or vigil missing")
        sys.exit(77)
    known, seen = known_list(known_path), set()
    logs = sorted(os.path.relpath(os.path.join(r, f), corpus)
                  for r, _, fs in os.walk(corpus) for f in fs if LOG_RE.match(f))
    failed, total, equal_total, cache = False, 0, 0, {}
    for log in logs:
        base = LOG_RE.match(log).group(1)
        trace = next((base + e for e in (".pcap", ".pcapng")
                      if os.path.exists(os.path.join(corpus, base + e))), None)
        if not trace:
            continue
        if trace not in cache:
            cache[trace] = run_vigil(vigil, os.path.join(corpus, trace), os.path.join(tmp, "x"))
        v = cache[trace]
        if v is None:
            print(f"not ok - {log}: vigil failed")
            failed = True
            continue
        zfields, zrows = read_log(os.path.join(corpus, log))
        diffs, equal = compare(zrows, zfields, v["socks"])
        diffs += service_check(corpus, base, zrows, v["conn"])
        total += len(zrows)
        equal_total += equal
        unlisted = [d for d in diffs if (log, d[0], d[1]) not in known]
        seen.update((log, d[0], d[1]) for d in diffs)
        if unlisted:
            failed = True
            print(f"not ok - {log}: {len(unlisted)} unlisted differences")
            for k, f in unlisted[:20]:
                z = next((r for r in zrows if key_of(r) == k), {})
                vr = next((r for r in v["socks"] if key_of(r) == k), {})
                print(f"#   {log}\t{k}\t{f}\tzeek={z.get(f, '')!r} vigil={vr.get(f, '')!r}")
        else:
            print(f"ok - {log}: {len(zrows)} rows, {equal} equal, {len(diffs)} known differences")
    for s in sorted(k for k in known if k not in seen and k[0] in logs):
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

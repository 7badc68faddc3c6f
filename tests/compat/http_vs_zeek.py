#!/usr/bin/env python3
"""http_vs_zeek.py - compare Vigil's http.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-http.log` (Zeek 8.2.2, default
scripts: the main target) or a `*.zeek-http.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l DIR` once and compare http.log field by field.
Key: id.orig_h, id.orig_p, id.resp_h, id.resp_p, trans_depth (uid-free);
rows with the same key are paired in order.  Every field the baseline has
is compared except uid and the fuids (file ids come with file extraction,
issue 6); ts within 1 ms; values masked with X are wildcards.

Differences must be listed in tests/compat/KNOWN-DIFFERENCES.md, section
"http.log vs Zeek 8", fenced block `http-known`, lines
`trace-log<TAB>key<TAB>field` (field "missing": Zeek has the row and we do
not, "extra": the reverse; key "*" and field "*": the whole log, for btest
baselines made with special scripts).  A listed difference that no longer
occurs fails too, so the list stays exact.  At least 95% of the Zeek 8 rows
must be equal on every compared field.

Also the suricata-verify expectations (a failing check i listed as
`yaml<TAB>i<TAB>suricata`) (`*.suricata-test.yaml`) on
http.url, http.hostname, http.status, http.http_method and
http.http_user_agent of `event_type: http` checks: a check with count N > 0
needs a row of ours with those values, count 0 needs none.

TAP: one line per log and per suricata check file; exit 1 on failure, 77
when the corpus or vigil is missing.
"""
import os
import re
import sys

import zeeklog as zl

TARGET = 95.0
KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth"]
SKIP = {"uid", "orig_fuids", "resp_fuids"}
key_of = zl.keyer(KEY, "?")


def same(field, zv, vv):
    if zl.masked(zv):
        return True
    if field == "ts" and zv not in ("-", "") and vv not in ("-", None):
        d = zl.delta(zv, vv)
        return d is not None and d <= 0.001
    if vv is None:
        return False
    if field.endswith("_mime_types") or field == "proxied" or field == "tags":
        return sorted(zv.split(",")) == sorted(vv.split(","))
    return zv == vv


def run_vigil(vigil, trace, outdir):
    p = zl.analyze(vigil, trace, outdir, quiet=False, clean=True)
    if p.returncode != 0:
        return None, p.stderr.decode(errors="replace").strip()
    return zl.read_log(os.path.join(outdir, "http.log"), missing_ok=True)[1], ""


def trace_of(corpus, log):
    return zl.trace_for(corpus, re.sub(r"\.zeek8?-http\.(log\.cut|log|cut)$", "", log))


def compare(zrows, zfields, vrows):
    """Differences as (key, field) pairs, and how many Zeek rows matched fully."""
    fields = [f for f in zfields if f not in SKIP and f not in KEY]
    return zl.compare_rows(zrows, vrows, key_of, lambda z, v: [
        f for f in fields if not same(f, z.get(f, ""), v.get(f))])


def yaml_checks(path):
    """The filters of a suricata-verify test.yaml: [(count, {key: value}, skip)]."""
    checks, cur, in_match = [], None, False
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        s = line.strip()
        if not s:
            continue
        if s.startswith("- filter:"):
            cur = {"count": None, "match": {}, "skip": False}
            checks.append(cur)
            in_match = False
            continue
        if cur is None:
            continue
        if s.startswith("lt-version:"):
            cur["skip"] = True
        if s.startswith("count:"):
            cur["count"] = int(s.split(":", 1)[1])
            in_match = False
        elif s == "match:":
            in_match = True
        elif s.startswith("- ") or s.endswith(":") and not in_match:
            in_match = False
        elif in_match and ":" in s:
            k, v = s.split(":", 1)
            cur["match"][k.strip()] = v.strip().strip('"').strip("'")
    return checks


SURI = {"http.url": "uri", "http.hostname": "host", "http.status": "status_code",
        "http.http_method": "method", "http.http_user_agent": "user_agent"}


def suri_match(row, match):
    for sk, zk in SURI.items():
        if sk not in match:
            continue
        want, got = match[sk], row.get(zk, "-")
        if zk == "host":
            got = re.sub(r":\d+$", "", got)
        if zk == "uri" and got != want:
            got = got.replace(" ", "%20")
        if got != want:
            return False
    return True


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-http-compat")
    if zl.missing(vigil, corpus):
        sys.exit(77)
    known = zl.Known("http")
    logs = []
    for root, _, files in os.walk(corpus):
        for f in files:
            if re.search(r"\.zeek8?-http\.(log|log\.cut|cut)$", f):
                logs.append(os.path.relpath(os.path.join(root, f), corpus))
    logs.sort()
    cache, failed, total, equal_total = {}, False, 0, 0
    for log in logs:
        trace = trace_of(corpus, log)
        if not trace:
            continue
        if trace not in cache:
            cache[trace] = run_vigil(vigil, trace, os.path.join(tmp, "x"))
        vrows, err = cache[trace]
        if vrows is None:
            print(f"not ok - {log}: vigil failed: {err}")
            failed = True
            continue
        zfields, zrows = zl.read_log(os.path.join(corpus, log))
        diffs, equal = compare(zrows, zfields, vrows)
        if ".zeek8-" in log:
            total += len(zrows)
            equal_total += equal
        whole = known.note((log, "*", "*"))
        unlisted = [d for d in known.unlisted(log, diffs) if not whole]
        if unlisted:
            failed = True
            print(f"not ok - {log}: {len(unlisted)} unlisted differences")
            zl.print_unlisted(log, unlisted, zrows, vrows, key_of)
        else:
            print(f"ok - {log}: {len(zrows)} rows, {equal} equal, {len(diffs)} known differences")
    stale = known.stale(lambda k: k[0] in logs)
    for s in stale:
        failed = True
        print(f"not ok - listed difference no longer seen: {s[0]}\t{s[1]}\t{s[2]}")
    pct = 100.0 * equal_total / total if total else 100.0
    line = f"Zeek 8 rows equal on every compared field: {equal_total}/{total} ({pct:.1f}%)"
    if pct >= TARGET:
        print(f"ok - {line}")
    else:
        failed = True
        print(f"not ok - {line}, target {TARGET}%")
    failed |= suricata(corpus, vigil, tmp, cache, known)
    sys.exit(1 if failed else 0)


def suricata(corpus, vigil, tmp, cache, known):
    failed = False
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            if not f.endswith(".suricata-test.yaml"):
                continue
            path = os.path.join(root, f)
            checks = [c for c in yaml_checks(path) if not c["skip"] and
                      c["match"].get("event_type") == "http" and
                      any(k in SURI for k in c["match"]) and c["count"] is not None]
            if not checks:
                continue
            rel = os.path.relpath(path, corpus)
            base = re.sub(r"(\.[^.]+)?\.suricata-test\.yaml$", "", rel)
            trace = zl.trace_for(corpus, base)
            if not trace:
                continue
            if trace not in cache:
                cache[trace] = run_vigil(vigil, trace, os.path.join(tmp, "x"))
            vrows = cache[trace][0] or []
            bad = []
            for i, c in enumerate(checks):
                n = sum(1 for r in vrows if suri_match(r, c["match"]))
                if (c["count"] == 0) != (n == 0) and (rel, str(i), "suricata") not in known:
                    bad.append(f"check {i} {c['match']} count {c['count']}: {n} rows")
            if bad:
                failed = True
                print(f"not ok - {rel}: " + "; ".join(bad))
            else:
                print(f"ok - {rel}: {len(checks)} http checks")
    return failed


if __name__ == "__main__":
    main()

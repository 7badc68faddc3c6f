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
import subprocess
import sys

TARGET = 95.0
KEY = ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_depth"]
SKIP = {"uid", "orig_fuids", "resp_fuids"}


def read_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("### BTest") or line.startswith("#separator"):
                continue
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not line or line.startswith("#"):
                continue
            if fields is None:  # .cut: the first line holds the column names
                fields = line.split("\t")
                continue
            rows.append(dict(zip(fields, line.split("\t"))))
    return fields or [], rows


def key_of(r):
    return "|".join(r.get(k, "?") for k in KEY)


def same(field, zv, vv):
    if re.fullmatch(r"X+(\.X+)?", zv):
        return True
    if field == "ts" and zv not in ("-", "") and vv not in ("-", None):
        try:
            return abs(float(zv) - float(vv)) <= 0.001
        except ValueError:
            return False
    if vv is None:
        return False
    if field.endswith("_mime_types") or field == "proxied" or field == "tags":
        return sorted(zv.split(",")) == sorted(vv.split(","))
    return zv == vv


def known_list(path):
    known = set()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    m = re.search(r"```http-known\n(.*?)```", text, re.S)
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
        return None, p.stderr.decode(errors="replace").strip()
    path = os.path.join(outdir, "http.log")
    if not os.path.exists(path):
        return [], ""
    return read_log(path)[1], ""


def trace_of(corpus, log):
    base = re.sub(r"\.zeek8?-http\.(log\.cut|log|cut)$", "", log)
    for ext in (".pcap", ".pcapng"):
        if os.path.exists(os.path.join(corpus, base + ext)):
            return base + ext
    return None


def compare(zrows, zfields, vrows):
    """Differences as (key, field) pairs, and how many Zeek rows matched fully."""
    diffs, equal = [], 0
    fields = [f for f in zfields if f not in SKIP and f not in KEY]
    pool = {}
    for r in vrows:
        pool.setdefault(key_of(r), []).append(r)
    for z in zrows:
        k = key_of(z)
        cand = pool.get(k)
        if not cand:
            diffs.append((k, "missing"))
            continue
        v = cand.pop(0)
        bad = [f for f in fields if not same(f, z.get(f, ""), v.get(f))]
        diffs.extend((k, f) for f in bad)
        if not bad:
            equal += 1
    for k, rest in pool.items():
        diffs.extend((k, "extra") for _ in rest)
    return diffs, equal


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
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-http-compat")
    known_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "KNOWN-DIFFERENCES.md")
    if not os.path.isdir(corpus) or not os.path.exists(vigil):
        print("# corpus or vigil missing")
        sys.exit(77)
    known = known_list(known_path)
    seen_known = set()
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
            cache[trace] = run_vigil(vigil, os.path.join(corpus, trace), os.path.join(tmp, "x"))
        vrows, err = cache[trace]
        if vrows is None:
            print(f"not ok - {log}: vigil failed: {err}")
            failed = True
            continue
        zfields, zrows = read_log(os.path.join(corpus, log))
        diffs, equal = compare(zrows, zfields, vrows)
        if ".zeek8-" in log:
            total += len(zrows)
            equal_total += equal
        whole = (log, "*", "*") in known
        if whole:
            seen_known.add((log, "*", "*"))
        unlisted = [d for d in diffs if not whole and (log, d[0], d[1]) not in known]
        for d in diffs:
            if (log, d[0], d[1]) in known:
                seen_known.add((log, d[0], d[1]))
        if unlisted:
            failed = True
            print(f"not ok - {log}: {len(unlisted)} unlisted differences")
            for k, f in unlisted[:20]:
                z = next((r for r in zrows if key_of(r) == k), {})
                v = next((r for r in vrows if key_of(r) == k), {})
                print(f"#   {log}\t{k}\t{f}\tzeek={z.get(f, '')!r} vigil={v.get(f, '')!r}")
        else:
            print(f"ok - {log}: {len(zrows)} rows, {equal} equal, {len(diffs)} known differences")
    stale = sorted(k for k in known if k not in seen_known and k[0] in logs)
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
            trace = next((base + e for e in (".pcap", ".pcapng")
                          if os.path.exists(os.path.join(corpus, base + e))), None)
            if not trace:
                continue
            if trace not in cache:
                cache[trace] = run_vigil(vigil, os.path.join(corpus, trace), os.path.join(tmp, "x"))
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

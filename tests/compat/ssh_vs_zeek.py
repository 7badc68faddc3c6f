#!/usr/bin/env python3
"""ssh_vs_zeek.py - compare Vigil's ssh.log with Zeek's.

For each trace in $CORPUS with a `*.zeek8-ssh.log` (Zeek 8.2.2, default
scripts: the main target) or a `*.zeek-ssh.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l DIR` once and compare field by field every
field the baseline has, except uid (Zeek's uids are random).  Rows are
keyed by the connection 4-tuple (rows with the same key paired in order).
ts within 1 ms; values masked with X are wildcards.

Differences must be listed in tests/compat/KNOWN-DIFFERENCES.md, section
"ssh.log vs Zeek 8", fenced block `ssh-known`, lines
`trace-log<TAB>key<TAB>field` (field "missing": Zeek has the row and we do
not, "extra": the reverse).  A listed difference that no longer occurs
fails too.  At least 95% of the Zeek 8 rows must be equal on every
compared field.

Also the suricata-verify expectations (`*.suricata-test.yaml` under ssh/)
of `event_type: ssh` checks on ssh.client.hassh.hash and
ssh.server.hassh.hash, against our hassh / hasshServer columns: count N > 0
needs a row of ours with those values, count 0 needs none (a failing check
i is listed as `yaml<TAB>i<TAB>suricata`).

TAP lines; exit 1 on failure, 77 when the corpus or vigil is missing.
"""
import os
import re
import subprocess
import sys

TARGET = 95.0
KEYS = {"ssh": ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"]}
SKIP = {"uid"}
LOG_RE = re.compile(r"^(.*)\.(zeek8|zeek)-(ssh)\.(log|log\.cut|cut)$")


def read_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("### BTest"):
                continue
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


def value_eq(field, want, got):
    if want == got:
        return True
    # Zeek's ASCII writer escapes a backslash as "\\", Vigil's writer as "\x5c".
    if got is not None and want == got.replace("\\x5c", "\\\\"):
        return True
    if "X" in want and len(want) == len(got or ""):
        return all(w == "X" or w == g for w, g in zip(want, got))
    if field == "ts":
        try:
            return abs(float(want) - float(got)) < 0.001
        except (TypeError, ValueError):
            return False
    return False


def known_differences(path):
    known = set()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    m = re.search(r"```ssh-known\n(.*?)```", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and not line.startswith("#"):
                known.add(tuple(parts))
    return known


def compare(log, want_fields, want_rows, got_rows):
    """Differences as (key, field); number of Zeek rows fully equal."""
    keyf = KEYS[log]
    fields = [f for f in want_fields if f not in SKIP and f in want_fields]
    ours = {}
    for r in got_rows:
        ours.setdefault("|".join(r.get(k, "?") for k in keyf), []).append(r)
    diffs, equal = [], 0
    for w in want_rows:
        key = "|".join(w.get(k, "?") for k in keyf)
        cand = ours.get(key)
        if not cand:
            diffs.append((key, "missing"))
            continue
        g = cand.pop(0)
        bad = [f for f in fields if not value_eq(f, w.get(f, "-"), g.get(f))]
        diffs.extend((key, f) for f in bad)
        equal += not bad
    for key, rest in ours.items():
        diffs.extend((key, "extra") for _ in rest)
    return diffs, equal


def run_vigil(vigil, trace, out):
    os.makedirs(out, exist_ok=True)
    p = subprocess.run([vigil, "analyze", "-r", trace, "-l", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stderr.decode(errors="replace")


SV_FIELDS = {"ssh.client.hassh.hash": "hassh", "ssh.server.hassh.hash": "hasshServer"}


def sv_checks(path):
    """(index, count, {our field: value}) of the ssh checks on our fields."""
    checks, cur = [], None
    for line in open(path, encoding="utf-8"):
        s = line.strip()
        if s.startswith("- filter:"):
            cur = {"count": None, "m": {}}
            checks.append(cur)
        elif cur is not None:
            m = re.match(r"([\w.\[\]]+):\s*(.*)$", s)
            if m:
                k, v = m.group(1), m.group(2).strip().strip("\"'")
                if k == "count":
                    cur["count"] = int(v) if v.isdigit() else None
                else:
                    cur["m"][k] = v
    out = []
    for i, c in enumerate(checks):
        if c["m"].get("event_type") != "ssh" or c["count"] is None:
            continue
        want = {SV_FIELDS[k]: v for k, v in c["m"].items() if k in SV_FIELDS}
        if want:
            out.append((i, c["count"], want))
    return out


def main():
    corpus, vigil = os.environ.get("CORPUS", ""), os.environ.get("VIGIL", "")
    tmp = os.environ.get("TEST_TMP", "/tmp/ssh_vs_zeek")
    if not corpus or not os.path.isdir(corpus) or not vigil or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    here = os.path.dirname(os.path.abspath(__file__))
    known = known_differences(os.path.join(here, "KNOWN-DIFFERENCES.md"))
    baselines, svs = {}, []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            m = LOG_RE.match(f)
            if m:
                trace = None
                for ext in (".pcap", ".pcapng"):
                    if os.path.exists(os.path.join(root, m.group(1) + ext)):
                        trace = os.path.join(root, m.group(1) + ext)
                if trace:
                    baselines.setdefault(trace, []).append((os.path.join(root, f), m.group(2), m.group(3)))
            elif f.endswith(".suricata-test.yaml") and os.path.basename(root) == "ssh":
                svs.append(os.path.join(root, f))
    failed = False
    seen = set()
    totals = {"ssh": [0, 0]}
    outs = {}
    for n, trace in enumerate(sorted(baselines)):
        out = os.path.join(tmp, "t%d" % n)
        rc, err = run_vigil(vigil, trace, out)
        outs[trace] = out
        for path, kind, log in baselines[trace]:
            name = os.path.relpath(path, corpus)
            if rc != 0:
                print("not ok - %s: vigil exited %d: %s" % (name, rc, err.strip()[:200]))
                failed = True
                continue
            wf, wr = read_log(path)
            ours = os.path.join(out, log + ".log")
            _, gr = read_log(ours) if os.path.exists(ours) else ([], [])
            diffs, equal = compare(log, wf, wr, gr)
            if kind == "zeek8":
                totals[log][0] += equal
                totals[log][1] += len(wr)
            whole = (name, "*", "*") in known
            if whole:
                seen.add((name, "*", "*"))
                print("ok - %s: %d rows, whole log listed as a known difference" % (name, len(wr)))
                continue
            unlisted = [d for d in diffs if (name,) + d not in known]
            for d in diffs:
                seen.add((name,) + d)
            if unlisted:
                failed = True
                print("not ok - %s: %d/%d rows equal; unlisted: %s" % (
                    name, equal, len(wr), "; ".join("%s %s" % d for d in unlisted[:8])))
            else:
                print("ok - %s: %d/%d rows equal (%d listed differences)" % (
                    name, equal, len(wr), len(diffs)))
    for y in sorted(svs):
        name = os.path.relpath(y, corpus)
        trace = os.path.join(os.path.dirname(y), os.path.basename(y).split(".")[0] + ".pcap")
        checks = sv_checks(y)
        if not checks or not os.path.exists(trace):
            continue
        if trace not in outs:
            outs[trace] = os.path.join(tmp, "sv%d" % len(outs))
            run_vigil(vigil, trace, outs[trace])
        p = os.path.join(outs[trace], "ssh.log")
        _, rows = read_log(p) if os.path.exists(p) else ([], [])
        for i, count, want in checks:
            hits = sum(all(r.get(k) == v for k, v in want.items()) for r in rows)
            ok = hits >= 1 if count > 0 else hits == 0
            tag = (name, str(i), "suricata")
            if not ok and tag in known:
                seen.add(tag)
                ok = True
            print("%s - %s check %d %s (count %d, ours %d)" % (
                "ok" if ok else "not ok", name, i, want, count, hits))
            failed |= not ok
    for log, (eq, tot) in totals.items():
        pct = 100.0 * eq / tot if tot else 100.0
        good = pct >= TARGET
        failed |= not good
        print("%s - %s.log: %d/%d Zeek 8 rows equal on every field (%.1f%%, target %.0f%%)" % (
            "ok" if good else "not ok", log, eq, tot, pct, TARGET))
    stale = sorted(k for k in known - seen)
    for k in stale:
        print("not ok - listed difference no longer occurs: %s" % "\t".join(k))
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""ssl_vs_zeek.py - compare Vigil's ssl.log and x509.log with Zeek's.

For each trace in $CORPUS with a `*.zeek8-ssl.log` / `*.zeek8-x509.log`
(Zeek 8.2.2, default scripts: the main target) or a `*.zeek-ssl.log*` /
`*.zeek-x509.log*` btest baseline, run `$VIGIL analyze -r TRACE -l DIR`
once and compare field by field every field the baseline has, except uid
(Zeek's uids are random).  Keys: ssl.log by the connection 4-tuple (rows
with the same key paired in order); x509.log by fingerprint, host_cert and
client_cert (Zeek 8 logs each such certificate once a day).  ts within
1 ms; values masked with X are wildcards.

Differences must be listed in tests/compat/KNOWN-DIFFERENCES.md, section
"ssl.log and x509.log vs Zeek 8", fenced block `ssl-known`, lines
`trace-log<TAB>key<TAB>field` (field "missing": Zeek has the row and we do
not, "extra": the reverse; key "*" and field "*": the whole log).  A listed
difference that no longer occurs fails too.  At least 95% of the Zeek 8
rows of each log type must be equal on every compared field.

Also the suricata-verify expectations (`*.suricata-test.yaml`) of
`event_type: tls` checks on tls.sni, tls.version, tls.ja3.hash and
tls.ja3s.hash: count N > 0 needs a row of ours with those values, count 0
needs none (a failing check i is listed as `yaml<TAB>i<TAB>suricata`).

TAP lines; exit 1 on failure, 77 when the corpus or vigil is missing.
"""
import os
import re
import sys

import zeeklog as zl

TARGET = 95.0
KEYS = {
    "ssl": ["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"],
    "x509": ["fingerprint", "host_cert", "client_cert"],
}
SKIP = {"uid"}
LOG_RE = re.compile(r"^(.*)\.(zeek8|zeek)-(ssl|x509)\.(log|log\.cut|cut)$")


def value_eq(field, want, got):
    if want == got:
        return True
    # Zeek's ASCII writer escapes a backslash as "\\", Vigil's writer as "\x5c".
    if got is not None and want == got.replace("\\x5c", "\\\\"):
        return True
    if "X" in want and len(want) == len(got or ""):
        return zl.x_matches(want, got)
    if field == "ts" or field.endswith("not_valid_before") or field.endswith("not_valid_after"):
        d = zl.delta(want, got)
        return d is not None and d < 0.001
    return False


def compare(keyf, want_fields, want_rows, got_rows):
    """Differences as (key, field); number of Zeek rows fully equal."""
    fields = [f for f in want_fields if f not in SKIP]
    return zl.compare_rows(want_rows, got_rows, zl.keyer(keyf, "?"), lambda w, g: [
        f for f in fields if not value_eq(f, w.get(f, "-"), g.get(f))])


SV_VERSION = {"TLSv1": "TLSv10", "TLS 1.1": "TLSv11", "TLS 1.2": "TLSv12", "TLS 1.3": "TLSv13",
              "SSLv3": "SSLv3", "SSLv2": "SSLv2"}
SV_FIELDS = {"tls.sni": "server_name", "tls.version": "version", "tls.ja3.hash": "ja3",
             "tls.ja3s.hash": "ja3s"}


def sv_version(v):
    m = re.match(r"TLS 1\.3 draft-(\d+)", v)
    return "TLSv13-draft" + m.group(1) if m else SV_VERSION.get(v, v)


def sv_filters(path, event_type, fields, convert=lambda k, v: v):
    """(index, count, {our field: value}) of a suricata-verify test.yaml's
    filters of `event_type` that check some of `fields` (suricata's name ->
    ours; convert(suricata name, value) gives our value)."""
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
        if c["m"].get("event_type") != event_type or c["count"] is None:
            continue
        want = {fields[k]: convert(k, v) for k, v in c["m"].items() if k in fields}
        if want:
            out.append((i, c["count"], want))
    return out


def sv_checks(path):
    """(index, count, {our field: value}) of the tls checks on our fields."""
    return sv_filters(path, "tls", SV_FIELDS,
                      lambda k, v: sv_version(v) if k == "tls.version" else v)


def compare_baselines(corpus, vigil, tmp, known, keys, log_re):
    """Every baseline `log_re` matches (groups: base, zeek8|zeek, log type)
    against our log of that type; one TAP line each.  Returns (failed,
    {trace: our log directory}, {log type: [equal rows, Zeek 8 rows]})."""
    baselines = {}
    for path, trace, m in zl.baselines(corpus, log_re):
        baselines.setdefault(trace, []).append((path, m.group(2), m.group(3)))
    failed, outs = False, {}
    totals = {log: [0, 0] for log in keys}
    for n, trace in enumerate(sorted(baselines)):
        out = os.path.join(tmp, "t%d" % n)
        p = zl.analyze(vigil, trace, out, quiet=False)
        outs[trace] = out
        for path, kind, log in baselines[trace]:
            name = os.path.relpath(path, corpus)
            if p.returncode != 0:
                print("not ok - %s: vigil exited %d: %s" % (
                    name, p.returncode, p.stderr.decode(errors="replace").strip()[:200]))
                failed = True
                continue
            wf, wr = zl.read_log(path)
            _, gr = zl.read_log(os.path.join(out, log + ".log"), missing_ok=True)
            diffs, equal = compare(keys[log], wf, wr, gr)
            if kind == "zeek8":
                totals[log][0] += equal
                totals[log][1] += len(wr)
            if known.note((name, "*", "*")):
                print("ok - %s: %d rows, whole log listed as a known difference" % (name, len(wr)))
                continue
            unlisted = known.unlisted(name, diffs)
            if unlisted:
                failed = True
                print("not ok - %s: %d/%d rows equal; unlisted: %s" % (
                    name, equal, len(wr), "; ".join("%s %s" % d for d in unlisted[:8])))
            else:
                print("ok - %s: %d/%d rows equal (%d listed differences)" % (
                    name, equal, len(wr), len(diffs)))
    return failed, outs, totals


def check_suricata(corpus, vigil, tmp, known, outs, sv_dir, checks_of, log):
    """The suricata-verify expectations under directories named `sv_dir`
    against our `log`; one TAP line per check.  True when one failed."""
    failed = False
    svs = sorted(os.path.join(root, f) for root, _, files in os.walk(corpus) for f in files
                 if f.endswith(".suricata-test.yaml") and os.path.basename(root) == sv_dir)
    for y in svs:
        name = os.path.relpath(y, corpus)
        trace = os.path.join(os.path.dirname(y), os.path.basename(y).split(".")[0] + ".pcap")
        checks = checks_of(y)
        if not checks or not os.path.exists(trace):
            continue
        if trace not in outs:
            outs[trace] = os.path.join(tmp, "sv%d" % len(outs))
            zl.analyze(vigil, trace, outs[trace], quiet=False)
        _, rows = zl.read_log(os.path.join(outs[trace], log), missing_ok=True)
        for i, count, want in checks:
            hits = sum(all(r.get(k) == v for k, v in want.items()) for r in rows)
            ok = hits >= 1 if count > 0 else hits == 0
            if not ok and known.note((name, str(i), "suricata")):
                ok = True
            print("%s - %s check %d %s (count %d, ours %d)" % (
                "ok" if ok else "not ok", name, i, want, count, hits))
            failed |= not ok
    return failed


def main(block="ssl", keys=KEYS, log_re=LOG_RE, sv_dir="tls", checks_of=sv_checks,
         sv_log="ssl.log"):
    """The whole suite; ssh_vs_zeek.py runs it for ssh.log."""
    vigil, corpus, tmp = zl.environment("/tmp/%s_vs_zeek" % block)
    if zl.missing(vigil, corpus):
        return 77
    known = zl.Known(block)
    failed, outs, totals = compare_baselines(corpus, vigil, tmp, known, keys, log_re)
    failed |= check_suricata(corpus, vigil, tmp, known, outs, sv_dir, checks_of, sv_log)
    for log, (eq, tot) in totals.items():
        pct = 100.0 * eq / tot if tot else 100.0
        good = pct >= TARGET
        failed |= not good
        print("%s - %s.log: %d/%d Zeek 8 rows equal on every field (%.1f%%, target %.0f%%)" % (
            "ok" if good else "not ok", log, eq, tot, pct, TARGET))
    for k in known.stale():
        print("not ok - listed difference no longer occurs: %s" % "\t".join(k))
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

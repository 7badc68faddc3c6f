#!/usr/bin/env python3
"""notice_vs_zeek.py - compare Vigil's behaviour notices with Zeek's.

For each trace in $CORPUS with a `*.zeek-notice.log` btest baseline holding
a note Vigil's behavioural detectors raise (Scan::Address_Scan,
Scan::Port_Scan, SSH::Password_Guessing, FTP::Bruteforcing;
docs/behaviour.md), run `$VIGIL analyze -r TRACE -l DIR` with the
thresholds the Zeek test redefined (OPTIONS below) and compare notice.log
field by field: every field of the baseline (values masked with X in the
baseline are wildcards, as its ts).  Rows are keyed by note|src; only rows
of those notes are compared (other notes of ours are not Zeek's).

Differences must be listed in tests/compat/KNOWN-DIFFERENCES.md, section
"notice.log vs Zeek (behaviour)", fenced block `notice-known`, lines
`trace-log<TAB>note|src<TAB>field` (field "missing": Zeek has the row and we
do not, "extra": the reverse).  A listed difference that no longer occurs
fails too.

TAP lines; exit 1 on failure, 77 when the corpus or vigil is missing.
"""
import os
import re
import subprocess
import sys

NOTES = {"Scan::Address_Scan", "Scan::Port_Scan", "SSH::Password_Guessing",
         "FTP::Bruteforcing"}
# What the Zeek btest redefined (testing/btest/scripts/policy/...):
# detect-bruteforcing.zeek: redef SSH::password_guesses_limit=10
OPTIONS = {"scans/zeek-sshguess.pcap": ["--ssh-guesses", "10"]}


def read_log(path):
    fields, rows = [], []
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("#fields\t"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            rows.append(dict(zip(fields, line.split("\t"))))
    return fields, rows


def value_eq(want, got):
    if want == got:
        return True
    if "X" in want and len(want) == len(got or ""):
        return all(w == "X" or w == g for w, g in zip(want, got))
    return False


def known_differences(path):
    known = set()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    m = re.search(r"```notice-known\n(.*?)```", text, re.S)
    if m:
        for line in m.group(1).splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and not line.startswith("#"):
                known.add(tuple(parts))
    return known


def compare(want_fields, want_rows, got_rows):
    ours = {}
    for r in got_rows:
        if r.get("note") in NOTES:
            ours.setdefault("%s|%s" % (r.get("note"), r.get("src")), []).append(r)
    diffs, equal = [], 0
    for w in want_rows:
        key = "%s|%s" % (w.get("note"), w.get("src"))
        cand = ours.get(key)
        if not cand:
            diffs.append((key, "missing"))
            continue
        g = cand.pop(0)
        bad = [f for f in want_fields if not value_eq(w.get(f, "-"), g.get(f))]
        diffs.extend((key, f) for f in bad)
        equal += not bad
    for key, rest in ours.items():
        diffs.extend((key, "extra") for _ in rest)
    return diffs, equal


def main():
    corpus, vigil = os.environ.get("CORPUS", ""), os.environ.get("VIGIL", "")
    tmp = os.environ.get("TEST_TMP", "/tmp/notice_vs_zeek")
    if not corpus or not os.path.isdir(corpus) or not vigil or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    here = os.path.dirname(os.path.abspath(__file__))
    known = known_differences(os.path.join(here, "KNOWN-DIFFERENCES.md"))
    failed, seen, n = False, set(), 0
    for root, _, files in sorted(os.walk(corpus)):
        for f in sorted(files):
            m = re.match(r"(.*)\.zeek-notice\.log$", f)
            if not m:
                continue
            path = os.path.join(root, f)
            wf, wr = read_log(path)
            wr = [r for r in wr if r.get("note") in NOTES]
            trace = next((os.path.join(root, m.group(1) + e) for e in (".pcap", ".pcapng")
                          if os.path.exists(os.path.join(root, m.group(1) + e))), None)
            if not wr or not trace:
                continue
            name = os.path.relpath(path, corpus)
            out = os.path.join(tmp, "t%d" % n)
            n += 1
            os.makedirs(out, exist_ok=True)
            rel = os.path.relpath(trace, corpus)
            p = subprocess.run([vigil, "analyze", "-q", "-r", trace, "-l", out]
                               + OPTIONS.get(rel, []), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=300)
            if p.returncode != 0:
                print("not ok - %s: vigil exited %d: %s" % (name, p.returncode,
                                                            p.stderr.decode()[:200]))
                failed = True
                continue
            ours = os.path.join(out, "notice.log")
            _, gr = read_log(ours) if os.path.exists(ours) else ([], [])
            diffs, equal = compare(wf, wr, gr)
            unlisted = [d for d in diffs if (name,) + d not in known]
            seen.update((name,) + d for d in diffs)
            if unlisted:
                failed = True
                print("not ok - %s: %d/%d rows equal; unlisted: %s" % (
                    name, equal, len(wr), "; ".join("%s %s" % d for d in unlisted[:8])))
            else:
                print("ok - %s: %d/%d rows equal on every field%s" % (
                    name, equal, len(wr), ", the rest as listed" if diffs else ""))
    if n == 0:
        print("# no notice baseline with a behaviour note")
        return 77
    stale = sorted(k for k in known if k not in seen)
    if stale:
        failed = True
        print("not ok - listed differences that no longer occur: %s" % "; ".join(
            "|".join(k) for k in stale[:8]))
    else:
        print("ok - every listed notice difference still occurs")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

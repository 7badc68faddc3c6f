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
import sys

import zeeklog as zl

NOTES = {"Scan::Address_Scan", "Scan::Port_Scan", "SSH::Password_Guessing",
         "FTP::Bruteforcing"}
# What the Zeek btest redefined (testing/btest/scripts/policy/...):
# detect-bruteforcing.zeek: redef SSH::password_guesses_limit=10
OPTIONS = {"scans/zeek-sshguess.pcap": ["--ssh-guesses", "10"]}


def value_eq(want, got):
    return want == got or zl.x_matches(want, got)


def compare(want_fields, want_rows, got_rows):
    ours = [r for r in got_rows if r.get("note") in NOTES]
    return zl.compare_rows(want_rows, ours, lambda r: "%s|%s" % (r.get("note"), r.get("src")),
                           lambda w, g: [f for f in want_fields
                                         if not value_eq(w.get(f, "-"), g.get(f))])


def main():
    vigil, corpus, tmp = zl.environment("/tmp/notice_vs_zeek")
    if zl.missing(vigil, corpus):
        return 77
    known = zl.Known("notice")
    failed, n = False, 0
    for root, _, files in sorted(os.walk(corpus)):
        for f in sorted(files):
            m = re.match(r"(.*)\.zeek-notice\.log$", f)
            if not m:
                continue
            path = os.path.join(root, f)
            wf, wr = zl.read_log(path)
            wr = [r for r in wr if r.get("note") in NOTES]
            trace = zl.trace_for(root, m.group(1))
            if not wr or not trace:
                continue
            name = os.path.relpath(path, corpus)
            out = os.path.join(tmp, "t%d" % n)
            n += 1
            p = zl.analyze(vigil, trace, out, OPTIONS.get(os.path.relpath(trace, corpus), []))
            if p.returncode != 0:
                print("not ok - %s: vigil exited %d: %s" % (name, p.returncode,
                                                            p.stderr.decode()[:200]))
                failed = True
                continue
            _, gr = zl.read_log(os.path.join(out, "notice.log"), missing_ok=True)
            diffs, equal = compare(wf, wr, gr)
            unlisted = known.unlisted(name, diffs)
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
    stale = known.stale()
    if stale:
        failed = True
        print("not ok - listed differences that no longer occur: %s" % "; ".join(
            "|".join(k) for k in stale[:8]))
    else:
        print("ok - every listed notice difference still occurs")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""dns_vs_zeek.py - compare Vigil's dns.log with Zeek's on every corpus trace.

For each trace in $CORPUS with a `*.zeek8-dns.log` (Zeek 8.2.2, default
scripts: the main target) or a `*.zeek-dns.log*` btest baseline, run
`$VIGIL analyze -r TRACE -l DIR` and compare dns.log field by field: every
column the Zeek log has and ours has too, except uid (random per run).
Values masked with X are wildcards.  Rows are keyed by proto, the four id
fields and trans_id, and paired in time order within a key; a Zeek row with
no row of that key pairs with one of the same proto, trans_id and query
(those of them the Zeek log has) whatever its id fields, so a flipped
connection shows as id differences and a .cut without ids still pairs.

Then the suricata-verify expectations (`*.suricata-test.yaml`) that name
dns.queries[0].rrname / dns.rrname, rrtype and rcode: some row of our
dns.log must carry that query, qtype_name and rcode_name.

One TAP line per log and per expectation.  Fails on a difference not listed
in tests/compat/KNOWN-DIFFERENCES.md (section "dns.log vs Zeek 8", fenced
block `dns-known`, lines `log<TAB>key<TAB>field`), on a listed difference
that no longer occurs, or when fewer than 95% of the Zeek 8 rows are equal
on every compared field.  -v writes the new differences to TEST_TMP.
"""
import os
import re
import sys

import zeeklog as zl

TARGET = 95.0
KEY = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_id"]
SKIP = {"uid"}
key_of = zl.keyer(KEY)


def compare(zrows, zfields, vrows, vfields):
    fields = [f for f in zfields if f in vfields and f not in SKIP]
    bykey = {}
    vsorted = sorted(vrows, key=zl.ts_of)
    for r in vsorted:
        bykey.setdefault(key_of(r), []).append(r)
    diffs, equal, used = [], 0, set()
    for z in sorted(zrows, key=zl.ts_of):
        k = key_of(z)
        cands = [v for v in bykey.get(k, []) if id(v) not in used]
        if not cands:  # ids flipped, or a .cut without them: what the row has of these
            loose = [f for f in ("proto", "trans_id", "query") if f in z]
            cands = [v for v in vsorted if id(v) not in used and loose and
                     all(zl.masked(z[f]) or z[f] == v.get(f) for f in loose)]
        if not cands:
            diffs.append((k, "missing"))
            continue
        v = cands[0]
        used.add(id(v))
        bad = [f for f in fields if not zl.masked(z.get(f)) and z.get(f) != v.get(f, "-")]
        diffs += [(k, f) for f in bad]
        equal += not bad
    for r in vrows:
        if id(r) not in used:
            diffs.append((key_of(r), "extra"))
    return diffs, equal


def run_vigil(vigil, trace, outdir):
    p = zl.analyze(vigil, trace, outdir)
    path = os.path.join(outdir, "dns.log")
    if p.returncode != 0:
        return None, None, p.stderr.decode(errors="replace")
    f, rows = zl.read_log(path, missing_ok=True)
    return f, rows, ""


def suricata_checks(path):
    """(rrname, rrtype, rcode) of each filter block with count >= 1 naming DNS fields."""
    out, cur, count = [], {}, None
    def flush():
        if cur and (count is None or count >= 1):
            out.append((cur.get("rrname"), cur.get("rrtype"), cur.get("rcode")))
    for line in open(path, encoding="utf-8", errors="replace"):
        s = line.strip()
        if s.startswith("- filter:"):
            flush()
            cur, count = {}, None
            continue
        m = re.match(r"count:\s*(\d+)", s)
        if m:
            count = int(m.group(1))
        m = re.match(r"dns\.(?:queries\[0\]\.)?(rrname|rrtype|rcode):\s*['\"]?([^'\"]*)['\"]?$", s)
        if m:
            cur[m.group(1)] = m.group(2)
    flush()
    return [c for c in out if any(c)]


def check_suricata(n, corpus, vigil, tmp, known):
    results = []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            if not f.endswith(".suricata-test.yaml"):
                continue
            checks = suricata_checks(os.path.join(root, f))
            if not checks:
                continue
            trace = zl.trace_for(root, f.split(".")[0])
            if not trace:
                continue
            _, rows, err = run_vigil(vigil, trace, os.path.join(tmp, "s%d" % len(results)))
            rel = os.path.relpath(os.path.join(root, f), corpus)
            for name, rtype, rcode in checks:
                what = "%s rrname=%s rrtype=%s rcode=%s" % (rel, name, rtype, rcode)
                ok = rows is not None and any(
                    (name is None or r.get("query", "").lower() == name.lower()) and
                    (rtype is None or r.get("qtype_name") == rtype) and
                    (rcode is None or r.get("rcode_name") == rcode) for r in rows)
                listed = (rel, "suricata", "%s|%s|%s" % (name, rtype, rcode)) in known
                results.append((ok or listed, what + (" (known difference)" if listed else "")))
    return results


def main():
    vigil, corpus, tmp = zl.environment("/tmp/vigil-dns")
    known = zl.Known("dns")
    verbose = "-v" in sys.argv
    if zl.missing(vigil, corpus):
        return 77
    jobs = zl.baselines(corpus, r"(.*)\.(zeek8-dns\.log|zeek-dns\.log(\.cut)?)$")
    n = total = equal = failed = 0
    new_lines = []
    for log, trace, m in jobs:
        main_target = m.group(2).startswith("zeek8")
        n += 1
        rel = os.path.relpath(log, corpus)
        zfields, zrows = zl.read_log(log)
        vfields, vrows, err = run_vigil(vigil, trace, os.path.join(tmp, "x%d" % n))
        if vfields is None:  # counts as no row equal
            print("not ok %d - %s: vigil failed: %s" % (n, rel, err.strip()[:200]))
            failed += 1
            total += len(zrows) if main_target else 0
            continue
        if not vfields:
            vfields = zfields
        diffs, eq = compare(zrows, zfields, vrows, vfields)
        if main_target:
            total += len(zrows)
            equal += eq
        unknown = known.unlisted(rel, diffs)
        if not zl.tap_baseline(n, rel, unknown, eq, len(zrows), diffs):
            failed += 1
            new_lines += ["%s\t%s\t%s" % (rel, k, f) for k, f in unknown]
    stale = known.stale(lambda k: k[1] != "suricata")
    n += 1
    failed += not zl.tap_stale(n, stale, "%d listed difference(s) no longer occur" % len(stale),
                               "every listed difference still occurs")
    for ok, what in check_suricata(n, corpus, vigil, tmp, known):
        n += 1
        print("%s %d - suricata-verify %s" % ("ok" if ok else "not ok", n, what))
        failed += not ok
    pct = 100.0 * equal / total if total else 0.0
    print("# Zeek 8 dns.log rows equal on every compared field: %d of %d (%.2f%%)" %
          (equal, total, pct))
    n += 1
    if pct >= TARGET:
        print("ok %d - corpus match %.2f%% >= %.0f%%" % (n, pct, TARGET))
    else:
        print("not ok %d - corpus match %.2f%% < %.0f%%" % (n, pct, TARGET))
        failed += 1
    if verbose and new_lines:
        out = os.path.join(tmp, "dns-new-differences.txt")
        with open(out, "w") as f:
            f.write("\n".join(new_lines) + "\n")
        print("# new differences written to %s" % out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

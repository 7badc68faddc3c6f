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
import subprocess
import sys

TARGET = 95.0
KEY = ["proto", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "trans_id"]
SKIP = {"uid"}


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
            if fields is None:  # .cut: the first line names the columns
                fields = line.split("\t")
                continue
            rows.append(dict(zip(fields, line.split("\t"))))
    return fields or [], rows


def masked(v):
    return v is not None and re.fullmatch(r"X+(\.X+)?", v) is not None


def key_of(r):
    return "|".join(r.get(k, "") for k in KEY)


def ts_of(r):
    t = r.get("ts", "")
    return float(t) if re.fullmatch(r"[0-9.]+", t) else 0.0


def compare(zrows, zfields, vrows, vfields):
    fields = [f for f in zfields if f in vfields and f not in SKIP]
    bykey = {}
    vsorted = sorted(vrows, key=ts_of)
    for r in vsorted:
        bykey.setdefault(key_of(r), []).append(r)
    diffs, equal, used = [], 0, set()
    for z in sorted(zrows, key=ts_of):
        k = key_of(z)
        cands = [v for v in bykey.get(k, []) if id(v) not in used]
        if not cands:  # ids flipped, or a .cut without them: what the row has of these
            loose = [f for f in ("proto", "trans_id", "query") if f in z]
            cands = [v for v in vsorted if id(v) not in used and loose and
                     all(masked(z[f]) or z[f] == v.get(f) for f in loose)]
        if not cands:
            diffs.append((k, "missing"))
            continue
        v = cands[0]
        used.add(id(v))
        bad = [f for f in fields if not masked(z.get(f)) and z.get(f) != v.get(f, "-")]
        diffs += [(k, f) for f in bad]
        equal += not bad
    for r in vrows:
        if id(r) not in used:
            diffs.append((key_of(r), "extra"))
    return diffs, equal


def known_list(path):
    known = set()
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return known
    m = re.search(r"```dns-known\n(.*?)```", text, re.S)
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
    path = os.path.join(outdir, "dns.log")
    if p.returncode != 0:
        return None, None, p.stderr.decode(errors="replace")
    if not os.path.exists(path):
        return [], [], ""
    f, rows = read_log(path)
    return f, rows, ""


def find_trace(root, base):
    for ext in (".pcap", ".pcapng", ".trace"):
        if os.path.exists(os.path.join(root, base + ext)):
            return os.path.join(root, base + ext)
    return None


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
            trace = find_trace(root, f.split(".")[0])
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
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-dns")
    here = os.path.dirname(os.path.abspath(__file__))
    known = known_list(os.path.join(here, "KNOWN-DIFFERENCES.md"))
    verbose = "-v" in sys.argv
    if not os.path.isdir(corpus) or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    jobs = []
    for root, _, files in os.walk(corpus):
        for f in sorted(files):
            m = re.match(r"(.*)\.(zeek8-dns\.log|zeek-dns\.log(\.cut)?)$", f)
            if m:
                trace = find_trace(root, m.group(1))
                if trace:
                    jobs.append((os.path.join(root, f), trace, m.group(2).startswith("zeek8")))
    jobs.sort()
    n = total = equal = failed = 0
    seen_known, new_lines = set(), []
    for log, trace, main_target in jobs:
        n += 1
        rel = os.path.relpath(log, corpus)
        zfields, zrows = read_log(log)
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
        unknown = [d for d in diffs if (rel, d[0], d[1]) not in known]
        seen_known |= {(rel, d[0], d[1]) for d in diffs}
        if unknown:
            failed += 1
            print("not ok %d - %s: %d new difference(s)" % (n, rel, len(unknown)))
            for k, f in unknown[:10]:
                print("#   %s %s" % (k, f))
            new_lines += ["%s\t%s\t%s" % (rel, k, f) for k, f in unknown]
        else:
            print("ok %d - %s (%d/%d equal%s)" % (n, rel, eq, len(zrows),
                                                 ", known differences" if diffs else ""))
    stale = sorted(k for k in known if k[1] != "suricata" and k not in seen_known)
    n += 1
    if stale:
        failed += 1
        print("not ok %d - %d listed difference(s) no longer occur" % (n, len(stale)))
        for s in stale[:10]:
            print("#   %s" % "\t".join(s))
    else:
        print("ok %d - every listed difference still occurs" % n)
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

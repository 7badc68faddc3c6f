#!/usr/bin/env python3
"""community_id.py - Community ID v1 of Vigil's conn.log against the spec's baselines.

For every `*.communityid-baseline_deflt.json` (default seed) and
`*.communityid-baseline_seed1.json` (seed 1) in $CORPUS, run
`$VIGIL analyze --seed N` on the trace and check that every baseline flow
that is a session in conn.log (same proto and endpoints, either direction)
carries exactly the expected hash.  One TAP line per baseline file.
"""
import glob
import json
import os
import subprocess
import sys


def read_conn(path):
    fields, rows = None, []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-cid")
    files = sorted(glob.glob(os.path.join(corpus, "**", "*.communityid-baseline_*.json"),
                             recursive=True))
    if not files or not os.access(vigil, os.X_OK):
        print("# no baselines or no vigil")
        return 77
    n = failed = 0
    for f in files:
        seed = {"deflt": 0, "seed1": 1}.get(f.rsplit("_", 1)[1].split(".")[0])
        if seed is None:
            continue  # the no-base64 variant has no conn.log counterpart
        base = f.split(".communityid-baseline_")[0]
        trace = next((base + e for e in (".pcap", ".pcapng") if os.path.exists(base + e)), None)
        if not trace:
            continue
        n += 1
        out = os.path.join(tmp, "cid%d" % n)
        os.makedirs(out, exist_ok=True)
        subprocess.run([vigil, "analyze", "-q", "--seed", str(seed), "-r", trace, "-l", out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conns = {}
        for r in read_conn(os.path.join(out, "conn.log")):
            proto = r["ip_proto"]
            a = (r["id.orig_h"], r["id.orig_p"])
            b = (r["id.resp_h"], r["id.resp_p"])
            conns.setdefault((proto, a, b), set()).add(r.get("community_id"))
            conns.setdefault((proto, b, a), set()).add(r.get("community_id"))
        checked = bad = 0
        for e in json.load(open(f)):
            k = (str(e["proto"]), (e["saddr"], str(e.get("sport", 0))),
                 (e["daddr"], str(e.get("dport", 0))))
            if k not in conns:
                continue
            checked += 1
            if e["communityid"] not in conns[k]:
                bad += 1
                print("#   %s expected %s got %s" % (k, e["communityid"], sorted(conns[k])))
        rel = os.path.relpath(f, corpus)
        if bad or not checked:
            failed += 1
            print("not ok %d - %s: %d of %d flows differ" % (n, rel, bad, checked))
        else:
            print("ok %d - %s: %d flows, seed %d" % (n, rel, checked, seed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

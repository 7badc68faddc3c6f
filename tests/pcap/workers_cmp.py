#!/usr/bin/env python3
"""workers_cmp.py - compare two `vigil analyze` log directories written with
different --workers counts (tests/pcap/workers.sh).

Workers interleave their rows, so each Zeek log is compared as a sorted
multiset of its data rows (header lines dropped), eve.json alerts as a
multiset of (sid, flow 5-tuple, pcap_cnt), and the file store as its
(name, size) list.  x509.log is compared by its set of certificate
fingerprints: Zeek's "log a certificate once a day" rule picks the first
connection in time, and with several workers the first to reach the shared
table may be another connection of the same day (docs/pipeline.md).
Prints "ok - ..." / "not ok - ..." lines; exit 1 on a difference.
"""
import json
import os
import sys


def rows(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return sorted(l for l in f if not l.startswith("#"))


def x509_fps(path):
    return sorted({l.split("\t")[1] for l in rows(path) if "\t" in l})


def alerts(path):
    out = []
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            if j.get("event_type") != "alert":
                continue
            out.append((j["alert"]["signature_id"], j.get("src_ip"), j.get("src_port"),
                        j.get("dest_ip"), j.get("dest_port"), j.get("proto"), j.get("pcap_cnt")))
    return sorted(out, key=repr)


def store(d):
    if not os.path.isdir(d):
        return []
    return sorted((n, os.path.getsize(os.path.join(d, n))) for n in os.listdir(d))


def main():
    label, a, b = sys.argv[1], sys.argv[2], sys.argv[3]
    bad = 0
    names = sorted(set(os.listdir(a)) | set(os.listdir(b)))
    for n in names:
        pa, pb = os.path.join(a, n), os.path.join(b, n)
        what = f"{label}: {n}"
        if not (os.path.exists(pa) and os.path.exists(pb)):
            print(f"not ok - {what} written by one run only")
            bad += 1
            continue
        if n == "extract_files":
            x, y = store(pa), store(pb)
        elif n == "eve.json":
            x, y = alerts(pa), alerts(pb)
        elif n == "x509.log":
            x, y = x509_fps(pa), x509_fps(pb)
        elif n.endswith(".log"):
            x, y = rows(pa), rows(pb)
        else:
            continue
        if x == y:
            print(f"ok - {what} same ({len(x)} rows)")
        else:
            bad += 1
            print(f"not ok - {what} differs ({len(x)} vs {len(y)} rows)")
            for r in sorted(set(map(repr, x)) ^ set(map(repr, y)))[:5]:
                print(f"#   {r[:200]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

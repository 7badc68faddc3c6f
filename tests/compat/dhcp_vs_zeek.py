#!/usr/bin/env python3
"""dhcp_vs_zeek.py - compare Vigil's dhcp.log with Zeek 8's on every corpus
trace that has a `*.zeek8-dhcp.log`: rows keyed by ts and mac, every Zeek
column compared except uids (random per run).  One TAP line per trace;
exit 1 on a difference, 77 when the corpus or vigil is missing.  (The
synthetic DISCOVER/OFFER/REQUEST/ACK exchange is tests/unit/test_dhcp.c.)
"""
import os
import re
import subprocess
import sys


def read_log(path):
    fields, rows = [], []
    for line in open(path, encoding="utf-8", errors="surrogateescape"):
        line = line.rstrip("\n")
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            rows.append(dict(zip(fields, line.split("\t"))))
    return fields, rows


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-dhcp")
    if not os.path.isdir(corpus) or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    n = failed = 0
    for root, _, files in sorted(os.walk(corpus)):
        for f in sorted(files):
            m = re.match(r"(.*)\.zeek8-dhcp\.log$", f)
            if not m:
                continue
            trace = next((os.path.join(root, m.group(1) + e) for e in (".pcap", ".pcapng")
                          if os.path.exists(os.path.join(root, m.group(1) + e))), None)
            if not trace:
                continue
            n += 1
            out = os.path.join(tmp, "d%d" % n)
            os.makedirs(out, exist_ok=True)
            subprocess.run([vigil, "analyze", "-q", "-r", trace, "-l", out],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            zf, zrows = read_log(os.path.join(root, f))
            vpath = os.path.join(out, "dhcp.log")
            vrows = read_log(vpath)[1] if os.path.exists(vpath) else []
            vby = {(r.get("ts"), r.get("mac")): r for r in vrows}
            bad = []
            for z in zrows:
                v = vby.get((z.get("ts"), z.get("mac")))
                if v is None:
                    bad.append("missing %s %s" % (z.get("ts"), z.get("mac")))
                    continue
                bad += ["%s: %s != %s" % (k, z[k], v.get(k)) for k in zf
                        if k != "uids" and z[k] != v.get(k, "-")]
            if len(vrows) != len(zrows):
                bad.append("%d rows, Zeek %d" % (len(vrows), len(zrows)))
            rel = os.path.relpath(os.path.join(root, f), corpus)
            if bad:
                failed += 1
                print("not ok %d - %s" % (n, rel))
                for b in bad[:10]:
                    print("#   " + b)
            else:
                print("ok %d - %s (%d rows equal)" % (n, rel, len(zrows)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""stats_vs_capinfos.py - `vigil stats --json` against capinfos, trace by trace.

For every .pcap/.pcapng under $CORPUS, compares the capture summary of
`$VIGIL stats --json -q -r FILE` with capinfos's table report
(`capinfos -T -M -R -c -d -a -e -S -o FILE`: machine-readable values, a
header row, tab separated): number of packets, data size (capinfos sums the
original, on-the-wire lengths), first and last packet time (epoch seconds, to the microsecond)
and the strict-time-order flag.  One TAP line per trace; exit 1 on any
failure, 77 when capinfos, $VIGIL or the corpus is missing.
"""
import json
import os
import shutil
import subprocess
import sys


def skip(why):
    print("# SKIP " + why)
    sys.exit(77)


def to_usec(text):
    """'1781126486.673203' (any number of fraction digits) -> integer microseconds."""
    sec, _, frac = text.partition(".")
    frac = (frac + "000000")[:6]
    return int(sec) * 1000000 + int(frac)


def capinfos(path):
    out = subprocess.run(
        ["capinfos", "-T", "-M", "-R", "-c", "-d", "-a", "-e", "-S", "-o", path],
        capture_output=True, text=True, check=False)
    lines = [l for l in out.stdout.splitlines() if l.strip()]
    if len(lines) < 2:
        raise RuntimeError("capinfos printed no table (exit %d): %s"
                           % (out.returncode, out.stderr.strip()[:200]))
    head = lines[0].split("\t")
    row = lines[1].split("\t")
    return dict(zip(head, row))


def vigil(path):
    out = subprocess.run([os.environ["VIGIL"], "stats", "--json", "-q", "-r", path],
                         capture_output=True, text=True, check=False)
    if out.returncode not in (0, 3):
        raise RuntimeError("vigil stats exited %d: %s"
                           % (out.returncode, out.stderr.strip()[:200]))
    return json.loads(out.stdout)["summary"]


def compare(path):
    """A list of differences (empty when they agree)."""
    c = capinfos(path)
    v = vigil(path)
    diffs = []
    packets = int(c["Number of packets"])
    if packets != v["packets"]:
        diffs.append("packets capinfos %d vigil %d" % (packets, v["packets"]))
    data = int(c["Data size (bytes)"])
    if data != v["data_size"]:
        diffs.append("data size capinfos %d vigil %d" % (data, v["data_size"]))
    if packets > 0:
        for label, key in (("Start time", "first_ns"), ("End time", "last_ns")):
            cu = to_usec(c[label])
            vu = v[key] // 1000
            if cu != vu:
                diffs.append("%s capinfos %s vigil %d.%06d"
                             % (label.lower(), c[label], vu // 1000000, vu % 1000000))
        order = c.get("Strict time order")
        if order in ("True", "False") and (order == "True") != v["strict_time_order"]:
            diffs.append("strict time order capinfos %s vigil %s"
                         % (order, v["strict_time_order"]))
    return packets, diffs


def main():
    corpus = os.environ.get("CORPUS", "")
    if not shutil.which("capinfos"):
        skip("capinfos is not installed (Debian package wireshark-common)")
    if not os.environ.get("VIGIL") or not os.access(os.environ["VIGIL"], os.X_OK):
        skip("$VIGIL is not an executable vigil")
    if not corpus or not os.path.isdir(corpus):
        skip("no corpus at '%s'" % corpus)
    traces = []
    for root, _, files in os.walk(corpus):
        for f in files:
            if f.endswith((".pcap", ".pcapng")):
                traces.append(os.path.join(root, f))
    traces.sort()
    if not traces:
        skip("no .pcap/.pcapng under %s" % corpus)
    failed = 0
    for i, t in enumerate(traces, 1):
        name = os.path.relpath(t, corpus)
        try:
            packets, diffs = compare(t)
        except (RuntimeError, ValueError, KeyError) as e:
            packets, diffs = 0, ["error: %s" % e]
        if diffs:
            failed += 1
            print("not ok %d - %s: %s" % (i, name, "; ".join(diffs)))
        else:
            print("ok %d - %s (%d packets)" % (i, name, packets))
    print("1..%d" % len(traces))
    print("# %d traces compared, %d agree, %d differ" % (len(traces), len(traces) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

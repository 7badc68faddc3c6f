#!/usr/bin/env python3
"""read_vs_tcpdump.py - `vigil read` against `tcpdump` on every corpus trace.

For every .pcap/.pcapng under $CORPUS, and for no filter and the filters
below, run
    $VIGIL read -n -tttt -r TRACE [FILTER]
    tcpdump -nn -tttt -r TRACE [FILTER]
(TZ=UTC for both), parse each packet out of both outputs (a packet is a
line that starts with a timestamp plus the lines that continue it), and
compare: the number of packets, each packet's timestamp, and each packet's
chain of "address[.port] > address[.port]" pairs (outer first, as tunnels
are printed).  Non-IP frames carry no pair; their count and time are still
compared.  One TAP line per trace+filter; exit 1 if any fails, 77 if
tcpdump, vigil or the corpus is missing.

The differences that cannot match are listed in KNOWN-DIFFERENCES.md next
to this file (section `vigil read`), one table row per trace, with a kind:
  deeper   Vigil decodes a tunnel tcpdump does not: on some packets
           tcpdump's pairs are a proper prefix of Vigil's, all else equal.
  bad-len  IPv4 total length 0 (TCP segmentation offload on the capturing
           host): tcpdump prints "IP bad-len 0", Vigil decodes the packet;
           checked the same way (tcpdump's empty chain is a prefix).
A listed trace must show exactly that difference (a listed trace that now
matches fails too, so the list stays exact).
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

FILTERS = [None, "tcp", "udp", "port 53", "ip6", "vlan"]
HERE = os.path.dirname(os.path.abspath(__file__))
TS_RE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) (.*)$")
PAIR_RE = re.compile(r"(?:^|(?<=[\s:(,]))([0-9A-Fa-f:.]+) > ([0-9A-Fa-f:.]+?)(?=[:,]?(?:\s|$))")
IPV4_RE = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(\.\d{1,5})?$")
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
PORT_RE = re.compile(r"\.\d+$")
EXT_PORTS_RE = re.compile(r"(?:frag \(\d+\|\d+\)|DSTOPT|HBH|RT6 \([^)]*\)|\)) (\d+) > (\d+):")
IPV6_RE = re.compile(r"^[0-9a-f:]*:[0-9a-f:]*:[0-9a-f:.]*(\.\d{1,5})?$")


def is_endpoint(s):
    if IPV4_RE.match(s):
        return True
    return bool(IPV6_RE.match(s)) and not MAC_RE.match(s)


def parse(text):
    """Packets as (timestamp, [(src, dst), ...]) from -tttt output."""
    packets = []
    for line in text.splitlines():
        m = TS_RE.match(line)
        if m:
            packets.append([m.group(1), m.group(2)])
        elif packets:
            packets[-1][1] += " " + line.strip()
    out = []
    for ts, body in packets:
        pairs = []
        matches = [m for m in PAIR_RE.finditer(body) if is_endpoint(m.group(1)) and
                   is_endpoint(m.group(2))]
        for k, m in enumerate(matches):
            a, b = m.group(1), m.group(2)
            # tcpdump prints an IPv6 packet with extension headers as
            # "a > b: frag (0|1432) 53 > 51851: ..." (or DSTOPT, HBH, RT6):
            # the ports come after the headers.  Put them back on the pair.
            end = matches[k + 1].start() if k + 1 < len(matches) else len(body)
            if ":" in a and not PORT_RE.search(a):
                pm = EXT_PORTS_RE.search(body, m.end(), end)
                if pm:
                    a, b = a + "." + pm.group(1), b + "." + pm.group(2)
            pairs.append((a, b))
        out.append((ts, pairs))
    return out


def run(cmd):
    env = dict(os.environ, TZ="UTC")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def load_known():
    """{trace: kind} from the `vigil read` section of KNOWN-DIFFERENCES.md."""
    known = {}
    path = os.path.join(HERE, "KNOWN-DIFFERENCES.md")
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        return known
    section = False
    for line in lines:
        if line.startswith("## "):
            section = line.strip() == "## `vigil read`"
            continue
        m = re.match(r"^\|\s*`([^`]+)`\s*\|\s*([\w-]+)\s*\|", line)
        if section and m:
            known[m.group(1)] = m.group(2)
    return known


def compare(vig, tcp):
    """None when equal, 'deeper' when Vigil only decodes deeper, else a reason."""
    if len(vig) != len(tcp):
        return "packet count: vigil %d, tcpdump %d" % (len(vig), len(tcp))
    deeper = False
    for i, ((vts, vp), (tts, tp)) in enumerate(zip(vig, tcp)):
        if vts != tts:
            return "packet %d: time %s vs tcpdump %s" % (i + 1, vts, tts)
        if vp == tp:
            continue
        if len(tp) < len(vp) and vp[: len(tp)] == tp:
            deeper = True
            continue
        return "packet %d: addresses %s vs tcpdump %s" % (i + 1, vp, tp)
    return "deeper" if deeper else None


def check(vigil, corpus, trace, flt, known):
    rel = os.path.relpath(trace, corpus)
    args = [flt] if flt else []
    vrc, vout, verr = run([vigil, "read", "-n", "-tttt", "-r", trace] + args)
    _, tout, _ = run(["tcpdump", "-nn", "-tttt", "-r", trace] + args)
    name = "%s [%s]" % (rel, flt or "no filter")
    if vrc not in (0, 3):
        return False, "%s: vigil exited %d: %s" % (name, vrc, verr.strip()[:200])
    diff = compare(parse(vout), parse(tout))
    kind = known.get(rel)
    if diff is None:
        return True, name
    if diff == "deeper" and kind in ("deeper", "bad-len"):
        return True, name + " (known difference: %s)" % kind
    return False, "%s: %s" % (name, diff)


def main():
    vigil = os.environ.get("VIGIL", "")
    corpus = os.environ.get("CORPUS", os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
    if not shutil.which("tcpdump"):
        print("# tcpdump is not installed")
        return 77
    if not vigil or not os.access(vigil, os.X_OK):
        print("# $VIGIL (%s) is not an executable" % vigil)
        return 77
    traces = []
    for root, _, files in os.walk(corpus):
        traces += [os.path.join(root, f) for f in files if f.endswith((".pcap", ".pcapng"))]
    traces.sort()
    if not traces:
        print("# no traces under %s" % corpus)
        return 77
    known = load_known()
    jobs = [(t, f) for t in traces for f in FILTERS]
    failed = 0
    seen_deeper = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = ex.map(lambda j: check(vigil, corpus, j[0], j[1], known), jobs)
        for (trace, _), (ok, msg) in zip(jobs, results):
            if "(known difference" in msg:
                seen_deeper.add(os.path.relpath(trace, corpus))
            print(("ok - " if ok else "not ok - ") + msg)
            failed += not ok
    for rel in sorted(known):
        if rel not in seen_deeper:
            print("not ok - KNOWN-DIFFERENCES.md lists %s but it %s" %
                  (rel, "matches tcpdump now" if os.path.exists(os.path.join(corpus, rel))
                   else "is not in the corpus"))
            failed += 1
        else:
            print("ok - KNOWN-DIFFERENCES.md entry %s still shows its difference" % rel)
    print("# %d trace+filter comparisons over %d traces, %d failed" %
          (len(jobs), len(traces), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

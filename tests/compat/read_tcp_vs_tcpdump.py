#!/usr/bin/env python3
"""read_tcp_vs_tcpdump.py - `vigil read` prints TCP segments as tcpdump does.

For every .pcap/.pcapng under $CORPUS, run
    $VIGIL read -n -r TRACE tcp        and        tcpdump -nn -r TRACE tcp
(TZ=UTC) and compare, packet by packet, the TCP summary from "Flags [...]"
to "length N": flags, relative sequence and acknowledgement numbers (the
conversation bases as tcpdump keeps them), window, urgent pointer, options
(mss, wscale, sackOK, SACK blocks relative to the peer's base, timestamps,
TCP Fast Open, unknown options in hex) and the payload length.  One TAP
line per trace; exit 1 on any difference, 77 if tcpdump/vigil/the corpus
is missing.  read_vs_tcpdump.py compares times and addresses.
"""
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUMMARY = re.compile(r"Flags \[[^\]]*\].*?, length \d+")


def run(cmd):
    env = dict(os.environ, TZ="UTC")
    p = subprocess.run(cmd, capture_output=True, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace").splitlines()


def check(vigil, corpus, trace):
    rel = os.path.relpath(trace, corpus)
    vrc, vout = run([vigil, "read", "-n", "-r", trace, "tcp"])
    _, tout = run(["tcpdump", "-nn", "-r", trace, "tcp"])
    if vrc not in (0, 3):
        return False, "%s: vigil exited %d" % (rel, vrc)
    # tcpdump continues some packets on more lines; keep packet lines only.
    tlines = [l for l in tout if re.match(r"^\d\d:\d\d:\d\d\.\d{6} ", l)]
    vlines = [l for l in vout if re.match(r"^\d\d:\d\d:\d\d\.\d{6} ", l)]
    if len(tlines) != len(vlines):
        return False, "%s: %d packets, tcpdump %d" % (rel, len(vlines), len(tlines))
    n = 0
    for i, (t, v) in enumerate(zip(tlines, vlines)):
        mt = SUMMARY.search(t)
        if not mt:
            continue
        mv = SUMMARY.search(v)
        n += 1
        if not mv or mv.group(0) != mt.group(0):
            return False, "%s: packet %d: %r, tcpdump %r" % (
                rel, i + 1, mv.group(0) if mv else v, mt.group(0))
    return True, "%s (%d TCP segments)" % (rel, n)


def main():
    vigil = os.environ.get("VIGIL", "")
    corpus = os.environ.get("CORPUS", os.path.join(HERE, "..", "..", "..", "shared", "corpus"))
    if not shutil.which("tcpdump"):
        print("# tcpdump is not installed")
        return 77
    if not vigil or not os.access(vigil, os.X_OK):
        print("# $VIGIL (%s) is not an executable" % vigil)
        return 77
    traces = sorted(os.path.join(r, f) for r, _, fs in os.walk(corpus)
                    for f in fs if f.endswith((".pcap", ".pcapng")))
    if not traces:
        print("# no traces under %s" % corpus)
        return 77
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for ok, msg in ex.map(lambda t: check(vigil, corpus, t), traces):
            print(("ok - " if ok else "not ok - ") + msg)
            failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

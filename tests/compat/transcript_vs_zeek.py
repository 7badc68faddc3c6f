#!/usr/bin/env python3
"""transcript_vs_zeek.py - `vigil transcript --raw` against Zeek's contents
files and tcpflow's reassembled streams.

1. Zeek: for every corpus trace with `*.zeek-contents_orig.dat` /
   `*.zeek-contents_resp.dat` (Zeek's Conn::default_extract files of one
   session; MANIFEST.md names it: the btest file name carries its 4-tuple,
   the first line is btest's "### BTest baseline" header and is dropped),
   find the session's uid in the conn.log `vigil analyze` writes, and
   `vigil transcript --uid UID --raw orig|resp` must give exactly those
   bytes.
2. tcpflow (Debian tcpflow 1.6): for every trace under tcp/, http/, smtp/
   and ftp/, `tcpflow -r TRACE -o DIR` writes one file per direction of
   each TCP connection, named SRCIP.SRCPORT-DSTIP.DSTPORT (IPv4 octets
   zero-padded, ports to five digits, "cN" appended for the Nth reuse of a
   4-tuple).  For every TCP session `vigil transcript --list` shows,
   `--raw orig` must equal the file of orig->resp and `--raw resp` the
   file of resp->orig (no file: empty).

Differences listed in KNOWN-DIFFERENCES.md's fenced block `transcript-known`
(lines "TRACE ORIG_H:ORIG_P-RESP_H:RESP_P#N DIR  reason") are reported as
ok; unlisted ones fail, and so do listed ones that no longer differ.
TAP lines; exit 1 on failure, 77 when the corpus, vigil or tcpflow is
missing.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

VIGIL = os.environ.get("VIGIL", "build/release/vigil")
CORPUS = os.environ.get("CORPUS", os.path.join(os.path.dirname(__file__), "../../../shared/corpus"))
TMP = os.environ.get("TEST_TMP") or tempfile.mkdtemp()
DIRS = ["tcp", "http", "smtp", "ftp"]

results = []


def tap(ok, msg):
    results.append(ok)
    print("%s - %s" % ("ok" if ok else "not ok", msg))


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def known_block():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "KNOWN-DIFFERENCES.md")
    known, inside = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() == "```transcript-known":
                inside = True
            elif inside and line.startswith("```"):
                inside = False
            elif inside and line.strip() and not line.startswith("#"):
                parts = line.split()
                if len(parts) >= 3:
                    known.add(tuple(parts[:3]))
    return known


def norm_addr(a):
    if ":" in a:
        return a
    return ".".join(str(int(o)) for o in a.split("."))


NAME = re.compile(r"^(.+)\.(\d{5})-(.+)\.(\d{5})(?:c(\d+))?$")


def tcpflow_files(d):
    """{(src, sport, dst, dport): {reuse_index: path}}"""
    out = {}
    for name in os.listdir(d):
        m = NAME.match(name)
        if not m:
            continue
        key = (norm_addr(m.group(1)), int(m.group(2)), norm_addr(m.group(3)), int(m.group(4)))
        out.setdefault(key, {})[int(m.group(5) or 0)] = os.path.join(d, name)
    return out


def vigil_raw(trace, uid, direction):
    p = run([VIGIL, "transcript", "-q", "-r", trace, "--uid", uid, "--raw", direction])
    if p.returncode not in (0, 3):
        return None, p.stderr.decode(errors="replace").strip()
    return p.stdout, ""


def sessions(trace):
    p = run([VIGIL, "transcript", "-q", "-r", trace, "--list"])
    rows = []
    for line in p.stdout.decode().splitlines():
        f = line.split("\t")
        if len(f) == 7 and f[2] == "tcp":
            rows.append((f[1], f[3], int(f[4]), f[5], int(f[6])))
    return rows


def first_diff(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def zeek_contents():
    n = 0
    for orig in sorted(glob.glob(os.path.join(CORPUS, "*/*.zeek-contents_orig.dat"))):
        base = orig[: -len(".zeek-contents_orig.dat")]
        trace = next((base + e for e in (".pcap", ".pcapng") if os.path.exists(base + e)), None)
        rel = os.path.relpath(orig, CORPUS)
        if not trace:
            tap(False, "%s: no trace beside it" % rel)
            continue
        out = os.path.join(TMP, "zeek-" + os.path.basename(base))
        run([VIGIL, "analyze", "-q", "-r", trace, "-l", out])
        want = {}
        for d in ("orig", "resp"):
            with open(base + ".zeek-contents_%s.dat" % d, "rb") as f:
                data = f.read()
            if data.startswith(b"### BTest"):
                data = data.split(b"\n", 1)[1]
            want[d] = data
        # the session: Zeek's contents of port 21/the first session whose orig bytes match
        uids = []
        with open(os.path.join(out, "conn.log")) as f:
            fields = []
            for line in f:
                if line.startswith("#fields"):
                    fields = line.rstrip("\n").split("\t")[1:]
                elif not line.startswith("#"):
                    r = dict(zip(fields, line.rstrip("\n").split("\t")))
                    if r.get("proto") == "tcp":
                        uids.append(r["uid"])
        match = None
        for uid in uids:
            got, _ = vigil_raw(trace, uid, "orig")
            if got is not None and got[:64] == want["orig"][:64]:
                match = uid
                break
        if not match:
            tap(False, "%s: no session of conn.log starts with Zeek's orig bytes" % rel)
            continue
        for d in ("orig", "resp"):
            got, err = vigil_raw(trace, match, d)
            ok = got == want[d]
            tap(ok, "%s: --uid %s --raw %s equals Zeek's contents_%s.dat (%d bytes)%s" % (
                rel, match, d, d, len(want[d]),
                "" if ok else ": first difference at byte %d%s" % (
                    first_diff(got or b"", want[d]), err)))
            n += 1
    return n


def tcpflow_trace(trace, known, seen):
    rel = os.path.relpath(trace, CORPUS)
    d = os.path.join(TMP, "tcpflow-" + rel.replace("/", "_"))
    os.makedirs(d, exist_ok=True)
    run(["tcpflow", "-r", trace, "-o", d])
    files = tcpflow_files(d)
    reuse = {}
    equal = diffs = 0
    bad = []
    for uid, oh, op, rh, rp in sessions(trace):
        tup = (oh, op, rh, rp)
        k = reuse.get(tup, 0)
        reuse[tup] = k + 1
        name = "%s:%d-%s:%d#%d" % (oh, op, rh, rp, k)
        for direction, key in (("orig", tup), ("resp", (rh, rp, oh, op))):
            path = files.get(key, {}).get(k)
            want = b""
            if path:
                with open(path, "rb") as f:
                    want = f.read()
            got, err = vigil_raw(trace, uid, direction)
            if got == want:
                equal += 1
                continue
            diffs += 1
            seen.add((rel, name, direction))
            if (rel, name, direction) not in known:
                bad.append("%s %s %s (uid %s): vigil %s bytes, tcpflow %d, first difference at %d%s" % (
                    rel, name, direction, uid, "?" if got is None else len(got), len(want),
                    first_diff(got or b"", want), (": " + err) if err else ""))
    shutil.rmtree(d, ignore_errors=True)
    tap(not bad, "%s: %d session directions equal tcpflow's%s" % (
        rel, equal, " (%d known differences)" % (diffs - len(bad)) if diffs > len(bad) else ""))
    for b in bad[:10]:
        print("#   " + b)
    return equal, diffs


def main():
    if not os.path.isdir(CORPUS) or not os.access(VIGIL, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    if not shutil.which("tcpflow"):
        print("# tcpflow missing (scripts/deps.sh test installs it)")
        return 77
    known = known_block()
    nz = zeek_contents()
    seen = set()
    traces = 0
    total_eq = total_diff = 0
    for sub in DIRS:
        for t in sorted(glob.glob(os.path.join(CORPUS, sub, "*.pcap")) +
                        glob.glob(os.path.join(CORPUS, sub, "*.pcapng"))):
            eq, df = tcpflow_trace(t, known, seen)
            traces += 1
            total_eq += eq
            total_diff += df
    stale = sorted(k for k in known if k not in seen)
    tap(not stale, "no stale transcript-known entries%s" % (
        "" if not stale else ": " + "; ".join(" ".join(s) for s in stale[:10])))
    print("# Zeek contents directions compared: %d; tcpflow: %d traces, %d directions equal, "
          "%d differ" % (nz, traces, total_eq, total_diff))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# pcap_pivot.sh - `vigil pcap` against independent selections by tshark and
# tcpdump (issue 4, "Pivot correctness"; docs/pcap.md).
#
# For each corpus trace (tcp, udp, icmp, ipv6, vlan, a scan): ingest it into
# a temporary archive with `vigil ingest`, then for EVERY session of the
# conn.log written with it, `vigil pcap --uid UID` must return exactly the
# packets tshark's dissection selects for that flow (addresses and ports of
# the outer IP header, ICMP types for ICMP sessions, within the session's
# [ts, ts+duration]): same count, same timestamps, lengths and bytes.  Host,
# port, 5-tuple and BPF+time queries are checked against `tshark -Y` and
# `tcpdump -r` selections; a multi-file archive (tiny rotate size) must give
# the same answers; output is in timestamp order and parses in tshark from a
# pipe; an archive without indexes still answers; errors have their exit
# codes.  TAP lines; 77 when tshark, tcpdump, editcap, python3 or the corpus
# is missing.
set -u
VIGIL=${VIGIL:-build/release/vigil}
CORPUS=${CORPUS:-../shared/corpus}
TMP=${TEST_TMP:-$(mktemp -d)}
for t in tshark tcpdump editcap python3; do
  command -v "$t" >/dev/null || { echo "# $t not installed"; exit 77; }
done
[ -d "$CORPUS/http" ] || { echo "# corpus not found at $CORPUS"; exit 77; }
[ -x "$VIGIL" ] || { echo "not ok - vigil binary $VIGIL missing"; exit 1; }
export VIGIL CORPUS TMP
exec python3 - <<'PY'
import os, re, struct, subprocess, sys, glob, shutil

VIGIL, CORPUS, TMP = os.environ["VIGIL"], os.environ["CORPUS"], os.environ["TMP"]
TRACES = ["http/zeek-wikipedia.pcap", "ftp/zeek-ftp-ipv4.pcap", "dns/arkime-dns-tcp.pcap",
          "ipv6/arkime-v6.pcap", "encap/arkime-twovlan.pcap", "tcp/zeek-retransmit-fast009.pcap",
          "icmp/cs-icmp_traceroute.pcapng", "scans/cs-synscan.pcapng"]
failed = 0

def tap(ok, what, diag=()):
    global failed
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failed += 1
        for d in list(diag)[:8]:
            print("# " + str(d))

def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)

def read_pcap(data):
    """Records of a classic pcap as (ts_ns, caplen, wirelen, bytes)."""
    if len(data) < 24:
        raise ValueError("short pcap")
    magic = struct.unpack("<I", data[:4])[0]
    table = {0xa1b2c3d4: ("<", 1000), 0xa1b23c4d: ("<", 1),
             0xd4c3b2a1: (">", 1000), 0x4d3cb2a1: (">", 1)}
    if magic not in table:
        raise ValueError("not a pcap (magic %08x)" % magic)
    end, mul = table[magic]
    off, out = 24, []
    while off + 16 <= len(data):
        s, f, cl, wl = struct.unpack(end + "IIII", data[off:off + 16])
        out.append((s * 1000000000 + f * mul, cl, wl, data[off + 16:off + 16 + cl]))
        off += 16 + cl
    if off != len(data):
        raise ValueError("partial record at %d" % off)
    return out

def vpcap(args, expect_rc=0):
    r = run([VIGIL, "pcap"] + args)
    if r.returncode != expect_rc:
        raise RuntimeError("vigil pcap %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                        r.stderr.decode(errors="replace").strip()))
    return read_pcap(r.stdout), r.stderr.decode(errors="replace")

def conn_log(data, sensor):
    rows = []
    for path in glob.glob(os.path.join(data, "sensor_data", sensor, "logs", "*", "conn.log")):
        fields = None
        for line in open(path):
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#") and fields:
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows

def ns(text):
    sec, _, frac = text.partition(".")
    return int(sec) * 1000000000 + int((frac + "000000000")[:9])

ECHO = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17, 128: 129, 129: 128,
        133: 134, 134: 133, 135: 136, 136: 135}

def dissect(trace):
    """tshark's view of each frame: outer addresses, transport, ports, ICMP type."""
    fields = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
              "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.type", "icmpv6.type",
              "frame.protocols"]
    args = ["tshark", "-n", "-r", trace, "-T", "fields", "-E", "separator=\t", "-E",
            "occurrence=f"]
    for f in fields:
        args += ["-e", f]
    frames = []
    for line in run(args).stdout.decode().splitlines():
        v = dict(zip(fields, line.split("\t")))
        protos = v["frame.protocols"].split(":")
        fr = {"no": int(v["frame.number"]), "src": v["ip.src"] or v["ipv6.src"],
              "dst": v["ip.dst"] or v["ipv6.dst"], "proto": None}
        if "icmp" in protos or "icmpv6" in protos:
            fr["proto"] = "icmp"
            t = v["icmp.type"] or v["icmpv6.type"]
            fr["type"] = int(t) if t else -1
        elif "tcp" in protos:
            fr.update(proto="tcp", sp=int(v["tcp.srcport"]), dp=int(v["tcp.dstport"]))
        elif "udp" in protos:
            fr.update(proto="udp", sp=int(v["udp.srcport"]), dp=int(v["udp.dstport"]))
        frames.append(fr)
    return frames

def session_end(sessions):
    """A session's packets run until the next session of the same flow starts
    (conn.log's duration stops at the last packet Zeek counts in it)."""
    ends, key = {}, lambda s: (s["proto"], frozenset([(s["id.orig_h"], s["id.orig_p"]),
                                                      (s["id.resp_h"], s["id.resp_p"])]))
    by = {}
    for s in sessions:
        by.setdefault(key(s), []).append(s)
    for group in by.values():
        group.sort(key=lambda s: ns(s["ts"]))
        for i, s in enumerate(group):
            ends[s["uid"]] = ns(group[i + 1]["ts"]) if i + 1 < len(group) else 1 << 62
    return ends

def expected(frames, recs, s, t1):
    """Frames tshark's fields select for conn.log session s, up to time t1."""
    a, b, proto = s["id.orig_h"], s["id.resp_h"], s["proto"]
    p, q = int(s["id.orig_p"]), int(s["id.resp_p"])
    t0 = ns(s["ts"])
    out = []
    for fr in frames:
        r = recs[fr["no"] - 1]
        if fr["proto"] != proto or not (t0 <= r[0] < t1) or {fr["src"], fr["dst"]} != {a, b}:
            continue
        if proto == "icmp":
            fwd = fr["src"] == a and fr["type"] == p
            back = p in ECHO and fr["src"] == b and fr["type"] == ECHO[p]
            if not (fwd or back):
                continue
        elif {(fr["sp"], fr["dp"]), (fr["dp"], fr["sp"])}.isdisjoint({(p, q)}):
            continue
        out.append(r)
    return out

def prepare(i, rel):
    src = os.path.join(CORPUS, rel)
    conv = os.path.join(TMP, "t%d.pcap" % i)
    run(["editcap", "-F", "pcap", src, conv])
    return conv

def uid_pivots(data, sensor, conv, frames, recs, label):
    sessions = conn_log(data, sensor)
    ends = session_end(sessions)
    bad = []
    for s in sessions:
        want = expected(frames, recs, s, ends[s["uid"]])
        try:
            got, _ = vpcap(["--data", data, "--sensor", sensor, "--uid", s["uid"], "-q"])
        except Exception as e:
            bad.append("%s: %s" % (s["uid"], e))
            continue
        if got != want:
            bad.append("%s %s %s:%s > %s:%s: vigil %d packets, tshark %d" % (
                s["uid"], s["proto"], s["id.orig_h"], s["id.orig_p"], s["id.resp_h"],
                s["id.resp_p"], len(got), len(want)))
    tap(sessions and not bad, "%s: --uid returns tshark's packets for %d/%d sessions" % (
        label, len(sessions) - len(bad), len(sessions)), bad)
    return len(sessions), len(sessions) - len(bad)

def tshark_sel(conv, recs, flt):
    out = run(["tshark", "-n", "-r", conv, "-Y", flt, "-T", "fields", "-e", "frame.number"])
    return [recs[int(n) - 1] for n in out.stdout.decode().split()]

def tcpdump_sel(conv, flt):
    out = run(["tcpdump", "-r", conv, "-w", "-", flt])
    return read_pcap(out.stdout)

def norm(recs):
    """Original trace records in archive form (stable timestamp order)."""
    return sorted(recs, key=lambda r: r[0])

def match_queries(data, sensor, conv, recs, label):
    sessions = [s for s in conn_log(data, sensor) if s["proto"] in ("tcp", "udp")]
    if not sessions:
        return
    s = max(sessions, key=lambda x: int(x["orig_pkts"]) + int(x["resp_pkts"]))
    a, b, pr = s["id.orig_h"], s["id.resp_h"], s["proto"]
    p, q = s["id.orig_p"], s["id.resp_p"]
    ipf = "ipv6.addr" if ":" in a else "ip.addr"
    nicmp = " && !icmp && !icmpv6"
    got, _ = vpcap(["--data", data, "--sensor", sensor, "--host", a, "-q"])
    want = tshark_sel(conv, recs, "%s==%s" % (ipf, a))
    tap(got == want, "%s: --host %s = tshark %s==%s (%d packets)" % (label, a, ipf, a, len(want)),
        ["vigil %d tshark %d" % (len(got), len(want))])
    got, _ = vpcap(["--data", data, "--sensor", sensor, "--host", a, "--port", q, "-q"])
    want = tshark_sel(conv, recs, "%s==%s && %s.port==%s%s" % (ipf, a, pr, q, nicmp))
    tap(got == want, "%s: --host %s --port %s = tshark (%d packets)" % (label, a, q, len(want)),
        ["vigil %d tshark %d" % (len(got), len(want))])
    got, _ = vpcap(["--data", data, "--sensor", sensor, "--5tuple", pr, b, q, a, p, "-q"])
    want = tshark_sel(conv, recs, "%s==%s && %s==%s && %s.port==%s && %s.port==%s%s" % (
        ipf, a, ipf, b, pr, p, pr, q, nicmp))
    tap(got == want, "%s: --5tuple %s %s %s %s %s (reversed) = tshark (%d packets)" % (
        label, pr, b, q, a, p, len(want)), ["vigil %d tshark %d" % (len(got), len(want))])
    # BPF over a time window: the middle half of the trace, [start, end)
    t0, t1 = recs[0][0], recs[-1][0]
    lo, hi = t0 + (t1 - t0) // 10, t0 + 9 * (t1 - t0) // 10
    fmt = lambda t: "%d.%09d" % (t // 1000000000, t % 1000000000)
    got, _ = vpcap(["--data", data, "--sensor", sensor, "--start", fmt(lo), "--end", fmt(hi),
                    "-q", pr])
    want = [r for r in norm(tcpdump_sel(conv, pr)) if lo <= r[0] < hi]
    tap(got == want, "%s: BPF '%s' with --start/--end = tcpdump -r in the window (%d packets)" % (
        label, pr, len(want)), ["vigil %d tcpdump %d" % (len(got), len(want))])

def main():
    data = os.path.join(TMP, "data")
    total = same = 0
    for i, rel in enumerate(TRACES):
        if not os.path.exists(os.path.join(CORPUS, rel)):
            tap(False, "corpus trace %s missing" % rel)
            continue
        label, sensor = os.path.basename(rel), "t%d" % i
        conv = prepare(i, rel)
        r = run([VIGIL, "ingest", "-r", conv, "--data", data, "--sensor", sensor, "-q"])
        if r.returncode != 0:
            tap(False, "%s: vigil ingest exit %d" % (label, r.returncode),
                [r.stderr.decode(errors="replace")])
            continue
        recs = read_pcap(open(conv, "rb").read())
        frames = dissect(conv)
        n, k = uid_pivots(data, sensor, conv, frames, recs, label)
        total += n
        same += k
        match_queries(data, sensor, conv, recs, label)
    print("# %d of %d sessions identical" % (same, total))
    multi_file(data)
    uid_time_walk()
    no_index()
    damaged_index(data)
    errors(data)

def multi_file(data1):
    """The scan trace over many small files: same answers as one file."""
    conv = os.path.join(TMP, "t7.pcap")
    data = os.path.join(TMP, "multi")
    r = run([VIGIL, "ingest", "-r", conv, "--data", data, "--sensor", "m", "--rotate-size",
             "16K", "-q"])
    nfiles = len(glob.glob(os.path.join(data, "sensor_data/m/dailylogs/*/*.pcap")))
    tap(r.returncode == 0 and nfiles > 3, "multi-file archive: ingest made %d files" % nfiles)
    recs = read_pcap(open(conv, "rb").read())
    everything, _ = vpcap(["--data", data, "-q"])
    tap(everything == norm(recs), "multi-file archive: every packet back, byte-identical (%d)"
        % len(recs), ["vigil %d, trace %d" % (len(everything), len(recs))])
    ts = [r[0] for r in everything]
    tap(ts == sorted(ts), "multi-file archive: output in timestamp order")
    one = {s["uid"]: s for s in conn_log(data1, "t7")}
    bad = []
    sessions = conn_log(data, "m")[::5]  # every fifth session: each is one vigil run
    for s in sessions:
        got, _ = vpcap(["--data", data, "--uid", s["uid"], "-q"])
        o = [x for x in one.values() if (x["id.orig_h"], x["id.orig_p"], x["id.resp_h"],
             x["id.resp_p"], x["ts"]) == (s["id.orig_h"], s["id.orig_p"], s["id.resp_h"],
             s["id.resp_p"], s["ts"])]
        ref = vpcap(["--data", data1, "--sensor", "t7", "--uid", o[0]["uid"], "-q"])[0] if o else None
        if got != ref:
            bad.append("%s: %d packets, single-file archive %s" % (
                s["uid"], len(got), len(ref) if ref is not None else "has no such session"))
    tap(sessions and not bad, "multi-file archive: --uid equals the single-file answer for "
        "%d/%d sessions (every fifth)" % (len(sessions) - len(bad), len(sessions)), bad)
    p = subprocess.Popen([VIGIL, "pcap", "--data", data, "-q", "tcp"], stdout=subprocess.PIPE)
    t = run(["tshark", "-n", "-r", "-"], stdin=p.stdout)
    p.wait()
    lines = len(t.stdout.decode().splitlines())
    want = len([1 for r in tcpdump_sel(conv, "tcp")])
    tap(t.returncode == 0 and lines == want,
        "output piped into tshark -r - parses (%d of %d packets)" % (lines, want))

def uid_time_walk():
    """Three copies of a trace a day apart in one archive: a --uid pivot
    opens only the files of its own copy, found from the second the uid
    carries (no conn.log search, no other file's index), and returns the
    same packets as the one-copy archive."""
    src = os.path.join(TMP, "t0.pcap")
    raw = open(src, "rb").read()
    end = "<" if struct.unpack("<I", raw[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    data = os.path.join(TMP, "days")
    for k in range(3):
        out, off = bytearray(raw[:24]), 24
        while off + 16 <= len(raw):
            sec, frac, cl, wl = struct.unpack(end + "IIII", raw[off:off + 16])
            out += struct.pack(end + "IIII", sec + k * 86400, frac, cl, wl)
            out += raw[off + 16:off + 16 + cl]
            off += 16 + cl
        copy = os.path.join(TMP, "day%d.pcap" % k)
        open(copy, "wb").write(bytes(out))
        r = run([VIGIL, "ingest", "-r", copy, "--data", data, "--sensor", "d", "-q"])
        if r.returncode != 0:
            tap(False, "uid time walk: ingest of copy %d exit %d" % (k, r.returncode))
            return
    files = glob.glob(os.path.join(data, "sensor_data/d/dailylogs/*/*.pcap"))
    base = {(x["id.orig_h"], x["id.orig_p"], x["id.resp_h"], x["id.resp_p"], ns(x["ts"]) % 86400000000000): x["uid"]
            for x in conn_log(os.path.join(TMP, "data"), "t0")}
    rows = conn_log(data, "d")
    bad, timed = [], 0
    for s in rows[::3]:
        got, err = vpcap(["--data", data, "--uid", s["uid"], "-v", "-q"])
        m = re.search(r"(\d+) indexes read", err)
        if "from the uid's start time" in err and m and int(m.group(1)) == 1:
            timed += 1
        key = (s["id.orig_h"], s["id.orig_p"], s["id.resp_h"], s["id.resp_p"], ns(s["ts"]) % 86400000000000)
        ref = vpcap(["--data", os.path.join(TMP, "data"), "--sensor", "t0", "--uid", base[key], "-q"])[0] \
            if key in base else None
        if ref is None or not got or [x[3] for x in got] != [x[3] for x in ref]:
            bad.append("%s: %d packets, one-copy archive %s" % (
                s["uid"], len(got), len(ref) if ref is not None else "has no such session"))
    n = len(rows[::3])
    tap(len(files) == 3 and rows and not bad,
        "uid time walk: %d sessions of 3 day-apart copies give their copy's packets" % n, bad)
    tap(timed == n, "uid time walk: %d/%d pivots read 1 of %d indexes, chosen by the uid's "
        "start second" % (timed, n, len(files)))

def no_index():
    """A trace copied into the layout by hand: no .idx, rebuilt on the fly."""
    src = os.path.join(TMP, "t0.pcap")
    recs = read_pcap(open(src, "rb").read())
    sec = recs[0][0] // 1000000000
    day = subprocess.run(["date", "-u", "-d", "@%d" % sec, "+%F"], stdout=subprocess.PIPE
                         ).stdout.decode().strip()
    data = os.path.join(TMP, "noidx")
    d = os.path.join(data, "sensor_data", "raw", "dailylogs", day)
    os.makedirs(d, exist_ok=True)
    shutil.copy(src, os.path.join(d, "raw.%d.pcap" % sec))
    logs = os.path.join(TMP, "noidx-logs")
    run([VIGIL, "analyze", "-r", src, "-l", logs, "--sensor", "raw", "-q"])
    rows = []
    fields = None
    for line in open(os.path.join(logs, "conn.log")):
        if line.startswith("#fields"):
            fields = line.rstrip("\n").split("\t")[1:]
        elif not line.startswith("#"):
            rows.append(dict(zip(fields, line.rstrip("\n").split("\t"))))
    frames = dissect(src)
    ends = session_end(rows)
    bad = []
    for s in rows:
        want = expected(frames, recs, s, ends[s["uid"]])
        got, err = vpcap(["--data", data, "--uid", s["uid"]])
        if got != want:
            bad.append("%s: vigil %d tshark %d" % (s["uid"], len(got), len(want)))
    tap(rows and not bad, "no index: --uid rebuilds the index and answers for %d/%d sessions" % (
        len(rows) - len(bad), len(rows)), bad)
    tap("no usable index" in err, "no index: the rebuild is said on stderr")
    got, _ = vpcap(["--data", data, "-q", "udp"])
    want = norm(tcpdump_sel(src, "udp"))
    tap(got == want, "no index: BPF query scans the file (%d packets)" % len(want))

def damaged_index(data1):
    """A directory page of an .idx fails its CRC: found on lookup, rebuilt, same answers."""
    data = os.path.join(TMP, "dmg")
    shutil.copytree(os.path.join(data1, "sensor_data", "t0"),
                    os.path.join(data, "sensor_data", "t0"))
    idxs = glob.glob(os.path.join(data, "sensor_data", "t0", "dailylogs", "*", "*.idx"))
    for idx in idxs:
        with open(idx, "r+b") as f:
            dir_off = struct.unpack("<Q", f.read(72)[64:72])[0]
            f.seek(dir_off + 3)  # a byte of the first uid (page 0)
            c = f.read(1)
            f.seek(dir_off + 3)
            f.write(bytes([c[0] ^ 0x5a]))
    rows = sorted(conn_log(data1, "t0"), key=lambda r: r["uid"])  # page 0 first
    bad, said = [], False
    for s in rows[:40]:
        want, _ = vpcap(["--data", data1, "--uid", s["uid"]])
        got, err = vpcap(["--data", data, "--uid", s["uid"]])
        said = said or "damaged" in err
        if got != want:
            bad.append("%s: %d packets, intact index %d" % (s["uid"], len(got), len(want)))
    tap(idxs and rows and not bad, "damaged directory page: --uid answers as the intact index "
        "for %d/%d sessions" % (min(len(rows), 40) - len(bad), min(len(rows), 40)), bad)
    tap(said, "damaged directory page: said on stderr")

def errors(data):
    r = run([VIGIL, "pcap", "--data", os.path.join(TMP, "nothing-here"), "--count"])
    tap(r.returncode == 1 and b"no archive" in r.stderr, "no archive at DATA: exit 1, said")
    r = run([VIGIL, "pcap", "--data", data, "--count", "tcp", "and", "(("])
    tap(r.returncode == 2, "bad BPF: exit 2")
    r = run([VIGIL, "pcap", "--data", data, "--start", "yesterday-ish", "--count"])
    tap(r.returncode == 2 and b"not a time" in r.stderr, "bad TIME: exit 2, said")
    r = run([VIGIL, "pcap", "--data", data, "--uid", "CnoSuchUid00000000"])
    tap(r.returncode == 0 and b"no packets matched" in r.stderr and len(r.stdout) == 24,
        "unknown uid: exit 0, a note, an empty pcap")
    r = run([VIGIL, "pcap", "--data", data, "--start", "2011-03-18T00:00:00Z", "--end",
             "2011-03-19", "--count", "-q"])
    w = run([VIGIL, "pcap", "--data", data, "--start", "1300406400", "--end", "1300492800",
             "--count", "-q"])
    tap(r.returncode == 0 and r.stdout == w.stdout and not r.stdout.startswith(b"0 "),
        "ISO 8601 and epoch TIME select the same packets (%s)" % r.stdout.decode().strip())
    r = run([VIGIL, "pcap", "--data", data, "--start", "-1h", "--count", "-q"])
    tap(r.returncode == 0 and r.stdout.startswith(b"0 packets"), "relative TIME (-1h) parses")

main()
sys.exit(1 if failed else 0)
PY

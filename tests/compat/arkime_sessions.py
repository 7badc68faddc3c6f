#!/usr/bin/env python3
"""arkime_sessions.py - per-session packet and byte counts against Arkime's expected sessions.

For every `*.arkime-sessions.json` in $CORPUS (Arkime's test expectations,
`sessions3[].body`), run `$VIGIL analyze --json` on the trace and compare,
for the flows both tools define the same way, what each endpoint sent:

  packets   Arkime source.packets / destination.packets
            vs Vigil orig_pkts / resp_pkts;
  databytes Arkime client.bytes / server.bytes (transport payload; for ICMP
            the whole ICMP message) vs Vigil orig_bytes / resp_bytes (UDP
            payload; TCP sequence space, which equals the payload sum when
            nothing was retransmitted; ICMP beyond the 8-byte header, so
            8 x packets is added back);
  bytes     Arkime source.bytes / destination.bytes (captured frame bytes,
            link layer and any outer tunnel headers included).  conn.log has
            no such field, so Vigil's side is the sum of the frame lengths
            `vigil read -e` prints for the packets whose innermost address
            pair is the session's.

Flow definitions: TCP/UDP/SCTP sessions match on protocol and the address
and port pair (either direction); all sessions of one 5-tuple in the trace
are summed on both sides (port reuse splits differently).  Arkime keys ICMP
on the address pair only and Vigil (as Zeek) on type/counterpart too, so
ICMP (and any protocol without ports) is compared per address pair, summed.  Sessions only Vigil has (outer
tunnel sessions that Arkime does not log) are not compared.

One TAP line per trace.  Differences must be listed in
tests/compat/KNOWN-DIFFERENCES.md, section "Sessions vs Arkime", fenced
block `arkime-known` (lines `trace<TAB>key<TAB>field`); an unlisted
difference, or a listed one that no longer occurs, fails.  Exit 77 without
the corpus.
"""
import glob
import json
import os
import re
import subprocess
import sys

import zeeklog as zl

PORTED = {6, 17, 132}
ICMP = {1, 58}


def group_key(proto, a, ap, b, bp):
    """The flow both tools agree on: 5-tuple, or address pair for ICMP."""
    if proto not in PORTED:
        ends = sorted([a, b])
        return "%d|%s|%s" % (proto, ends[0], ends[1])
    ends = sorted([(a, int(ap)), (b, int(bp))])
    return "%d|%s|%d|%s|%d" % (proto, ends[0][0], ends[0][1], ends[1][0], ends[1][1])


def endpoint(proto, ip, port):
    return "%s:%s" % (ip, port) if proto in PORTED else ip


def add(d, ep, field, v):
    d.setdefault(ep, {}).setdefault(field, 0)
    d[ep][field] += v


def arkime_groups(path):
    groups = {}
    for s in json.load(open(path, encoding="utf-8")).get("sessions3", []):
        b = s["body"]
        proto = int(b.get("ipProtocol", 0))
        src, dst = b.get("source", {}), b.get("destination", {})
        k = group_key(proto, src.get("ip"), src.get("port", 0), dst.get("ip"), dst.get("port", 0))
        g = groups.setdefault(k, {})
        for end, data in ((src, b.get("client", {})), (dst, b.get("server", {}))):
            ep = endpoint(proto, end.get("ip"), end.get("port", 0))
            add(g, ep, "packets", end.get("packets", 0))
            add(g, ep, "bytes", end.get("bytes", 0))
            add(g, ep, "databytes", data.get("bytes", 0))
    return groups


def vigil_groups(rows):
    groups = {}
    for r in rows:
        proto = int(r.get("ip_proto", 0))
        oh, op, rh, rp = r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"]
        g = groups.setdefault(group_key(proto, oh, op, rh, rp), {})
        for h, p, pk, by in ((oh, op, "orig_pkts", "orig_bytes"), (rh, rp, "resp_pkts", "resp_bytes")):
            ep = endpoint(proto, h, p)
            n = r.get(pk, 0)
            data = r.get(by)
            if data is None:
                # Zeek (and Vigil) leave orig_bytes/resp_bytes unset when the
                # duration is 0; derive the payload from the IP bytes then
                # (UDP/ICMP only: fixed transport header, no IP options seen).
                ip_hdr = 40 if ":" in h else 20
                data = r.get(pk.replace("pkts", "ip_bytes"), 0) - n * ip_hdr
                if proto == 17:
                    data -= 8 * n
                elif proto not in ICMP:
                    data = 0
            elif proto in ICMP:
                data += 8 * n
            add(g, ep, "packets", n)
            add(g, ep, "databytes", data)
            add(g, ep, "bytes", 0)
    return groups


ADDR_RE = re.compile(r"(\S+) > (\S+): ")


def split_ep(s):
    """'10.0.0.1.80' -> ('10.0.0.1', '80'); '10.0.0.1' -> ('10.0.0.1', None); IPv6 alike."""
    if ":" in s:
        if "." in s:
            a, p = s.rsplit(".", 1)
            return a, p
        return s, None
    parts = s.split(".")
    if len(parts) == 5:
        return ".".join(parts[:4]), parts[4]
    return s, None


def frame_bytes(vigil, trace, groups):
    """Frame bytes each endpoint sent, from `vigil read -e` lines."""
    p = subprocess.run([vigil, "read", "-q", "-e", "-tt", "-r", trace], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=300)
    by_pair = {}
    for k, g in groups.items():
        eps = list(g.keys())
        if len(eps) == 2:
            by_pair.setdefault(frozenset(eps), []).append(g)
        elif len(eps) == 1:
            by_pair.setdefault(frozenset(eps), []).append(g)
    for line in p.stdout.decode(errors="replace").splitlines():
        m = re.search(r", length (\d+): ", line)
        pairs = ADDR_RE.findall(line)
        if not m or not pairs:
            continue
        flen = int(m.group(1))
        src, dst = pairs[-1]
        (sa, sp), (da, dp) = split_ep(src), split_ep(dst)
        cands = [frozenset([sa + ":" + sp, da + ":" + dp])] if sp and dp else []
        cands.append(frozenset([sa, da]))
        sender = [sa + ":" + sp, sa] if sp else [sa]
        for c in cands:
            for g in by_pair.get(c, []):
                for ep in sender:
                    if ep in g:
                        g[ep]["bytes"] += flen
                        break
                break
            else:
                continue
            break


def main():
    vigil = os.environ.get("VIGIL", "build/release/vigil")
    corpus = os.environ.get("CORPUS", "../shared/corpus")
    tmp = os.environ.get("TEST_TMP", "/tmp/vigil-arkime")
    known = zl.Known("arkime")
    files = sorted(glob.glob(os.path.join(corpus, "**", "*.arkime-sessions.json"), recursive=True))
    if not files or not os.access(vigil, os.X_OK):
        print("# corpus or vigil missing")
        return 77
    n = failed = 0
    totals = {"groups": 0, "equal": 0}
    for f in files:
        base = f[: -len(".arkime-sessions.json")]
        trace = next((base + e for e in (".pcap", ".pcapng") if os.path.exists(base + e)), None)
        if not trace:
            continue
        n += 1
        rel = os.path.relpath(trace, corpus)
        out = os.path.join(tmp, "x%d" % n)
        zl.analyze(vigil, trace, out, ["--json"])
        try:
            rows = [json.loads(l) for l in open(os.path.join(out, "conn.log"), encoding="utf-8")
                    if l.strip()]
        except OSError:
            print("not ok %d - %s: vigil wrote no conn.log" % (n, rel))
            failed += 1
            continue
        ark = arkime_groups(f)
        vig = vigil_groups(rows)
        frame_bytes(vigil, trace, vig)
        diffs = []
        for k in sorted(ark):
            totals["groups"] += 1
            if k not in vig:
                diffs.append((k, "missing"))
                continue
            bad = []
            for field in ("packets", "databytes", "bytes"):
                a = {ep: v[field] for ep, v in ark[k].items() if v[field]}
                v = {ep: x[field] for ep, x in vig[k].items() if x[field]}
                if a != v:
                    bad.append(field)
                    if "-v" in sys.argv:
                        print("#   %s %s arkime %s vigil %s" % (k, field, a, v))
            diffs += [(k, b) for b in bad]
            if not bad:
                totals["equal"] += 1
        unknown = known.unlisted(rel, diffs)
        stale = [kn for kn in sorted(known.listed) if kn[0] == rel and (kn[1], kn[2]) not in diffs]
        if unknown or stale:
            failed += 1
            print("not ok %d - %s: %d new difference(s), %d listed but gone"
                  % (n, rel, len(unknown), len(stale)))
            for k, fld in unknown[:20]:
                print("#   new: %s\t%s\t%s" % (rel, k, fld))
            for kn in stale[:20]:
                print("#   gone: %s" % "\t".join(kn))
        else:
            print("ok %d - %s (%d sessions%s)" % (n, rel, len(ark),
                                                  ", known differences" if diffs else ""))
    print("# Arkime sessions equal on packets, data bytes and frame bytes: %d of %d"
          % (totals["equal"], totals["groups"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

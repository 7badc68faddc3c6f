#!/usr/bin/env python3
"""mkpcap_split.py OUT.pcap [scan] - TCP sessions whose payload crosses
segments, for tests/pcap/alerts_stream.sh.

With "reply": one session (10.0.0.1:40003 -> 10.0.0.2:7777) where the
client sends "HELLO EV" "IL WORLD" and the server answers "SERVER EV" "IL
REPLY" (each segment ACKed): EVIL split once each way; then a session
(40004) whose first segment starts with HELLO and 200 dots and whose second
is WORLD.

With "nul": one session (40005) whose five client segments hold NULs at
their start, end and middle, for the packet-only rules with short NUL
patterns that a packet held by a stream window is searched for (packets
4-8: 00 00 00 05 "rest" | "xx" 5c 00 | "QQ" 00 "Ab" | 00 00 |
00 "zz" 01 02 00 00 00 07 08).

With "scan": ten SYNs from 3.3.3.3:12345 to 1.1.1.1, destination ports
80 80 81 80 82 83 83 84 85 86 (7 distinct), one a second, for the
threshold / detection_filter cases.

Session 1 (10.0.0.1:40001 -> 10.0.0.2:7777): handshake, "HELLO EV" then
"IL WORLD" (the word EVIL split over two segments), server ACKs, FIN/ACKs.
Session 2 (10.0.0.1:40002): "xxEV" and "ILxx" sent out of order (the
second segment first), then the first; server ACKs; RST.
Packets are numbered 1.. in file order (pcap_cnt).
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp_pkt(src, dst, sp, dp, seq, ack, flags, data=b""):
    off = 5 << 4
    hdr = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, off, flags, 65535, 0, 0)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(data))
    c = csum(pseudo + hdr + data)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    tot = 20 + len(hdr) + len(data)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, 1, 0, 64, 6, 0, ip4(src), ip4(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    eth = b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + iph + hdr + data


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def session(sp, segs_in_order, order, rst=False, reply=()):
    c, s = "10.0.0.1", "10.0.0.2"
    ci, si = 1000, 5000
    out = [tcp_pkt(c, s, sp, 7777, ci, 0, SYN),
           tcp_pkt(s, c, 7777, sp, si, ci + 1, SYN | ACK),
           tcp_pkt(c, s, sp, 7777, ci + 1, si + 1, ACK)]
    seq, segs = ci + 1, []
    for d in segs_in_order:
        segs.append(tcp_pkt(c, s, sp, 7777, seq, si + 1, ACK | PSH, d))
        seq += len(d)
    out += [segs[i] for i in order]
    sseq = si + 1
    for d in reply:  # the server's answer, in order, each segment ACKed
        out.append(tcp_pkt(s, c, 7777, sp, sseq, seq, ACK | PSH, d))
        sseq += len(d)
        out.append(tcp_pkt(c, s, sp, 7777, seq, sseq, ACK))
    out.append(tcp_pkt(s, c, 7777, sp, sseq, seq, ACK))
    if rst:
        out.append(tcp_pkt(c, s, sp, 7777, seq, sseq, RST | ACK))
    else:
        out += [tcp_pkt(c, s, sp, 7777, seq, sseq, FIN | ACK),
                tcp_pkt(s, c, 7777, sp, sseq, seq + 1, FIN | ACK),
                tcp_pkt(c, s, sp, 7777, seq + 1, sseq + 1, ACK)]
    return out


def write_pcap(path, pkts):
    """Ethernet pcap, packet i at 1700000000 + i seconds."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)))
            f.write(p)


def main():
    if len(sys.argv) > 2 and sys.argv[2] == "reply":
        pkts = session(40003, [b"HELLO EV", b"IL WORLD"], [0, 1],
                       reply=[b"SERVER EV", b"IL REPLY"])
        pkts += session(40004, [b"HELLO" + b"." * 200, b"WORLD"], [0, 1])
    elif len(sys.argv) > 2 and sys.argv[2] == "nul":
        pkts = session(40005, [b"\x00\x00\x00\x05rest", b"xx\x5c\x00", b"QQ\x00Ab",
                               b"\x00\x00", b"\x00zz\x01\x02\x00\x00\x00\x07\x08"],
                       [0, 1, 2, 3, 4])
    elif len(sys.argv) > 2 and sys.argv[2] == "scan":
        pkts = [tcp_pkt("3.3.3.3", "1.1.1.1", 12345, p, 1, 0, SYN)
                for p in (80, 80, 81, 80, 82, 83, 83, 84, 85, 86)]
    else:
        pkts = session(40001, [b"HELLO EV", b"IL WORLD"], [0, 1])
        pkts += session(40002, [b"xxEV", b"ILxx"], [1, 0], rst=True)
    write_pcap(sys.argv[1], pkts)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""behave_pcap.py OUT.pcap - write a small synthetic capture for
tests/pcap/behave.sh (docs/behaviour.md): 40 TCP sessions from 10.1.1.5 to
198.51.100.7:443, one every 60 s with up to 2 s of jitter and the same
bytes each time (a beacon), and 40 sessions from 10.1.1.6 to
203.0.113.9:80 at random intervals with random sizes (not one).  Every
session is a full handshake, one request, one reply and a FIN exchange;
IPv4 and TCP checksums are valid.  Deterministic (fixed seed)."""
import random
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def frame(src, dst, sp, dp, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" + b"\x08\x00"
    return eth + ip + tcp


def session(t, src, dst, sp, dp, req, rep):
    S, A, P, F = 0x02, 0x10, 0x08, 0x01
    c, s = 1000, 5000
    pk = [(t, frame(src, dst, sp, dp, c, 0, S)),
          (t + 0.01, frame(dst, src, dp, sp, s, c + 1, S | A)),
          (t + 0.02, frame(src, dst, sp, dp, c + 1, s + 1, A)),
          (t + 0.03, frame(src, dst, sp, dp, c + 1, s + 1, P | A, req)),
          (t + 0.05, frame(dst, src, dp, sp, s + 1, c + 1 + len(req), P | A, rep)),
          (t + 0.06, frame(src, dst, sp, dp, c + 1 + len(req), s + 1 + len(rep), F | A)),
          (t + 0.07, frame(dst, src, dp, sp, s + 1 + len(rep), c + 2 + len(req), F | A)),
          (t + 0.08, frame(src, dst, sp, dp, c + 2 + len(req), s + 2 + len(rep), A))]
    return pk


def main():
    rnd = random.Random(7)
    t0 = 1700000000.0
    pkts = []
    for i in range(40):
        t = t0 + 60 * i + rnd.uniform(0, 2)
        pkts += session(t, "10.1.1.5", "198.51.100.7", 49000 + i, 443, b"B" * 120, b"R" * 40)
    t = t0
    for i in range(40):
        t += rnd.uniform(1, 180)
        pkts += session(t, "10.1.1.6", "203.0.113.9", 50000 + i, 80,
                        b"G" * rnd.randint(50, 1400), b"H" * rnd.randint(50, 1400))
    pkts.sort(key=lambda p: p[0])
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, data in pkts:
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(data), len(data)))
            f.write(data)


if __name__ == "__main__":
    main()

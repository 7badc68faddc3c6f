#!/usr/bin/env python3
"""archive_tool.py - an independent reader of Vigil's archive for the tests
(docs/archive.md formats): pcap records and .idx files, without libvigil.

  archive_tool.py records PCAP...      one line per record: ts_ns caplen wirelen sha1
  archive_tool.py check DATA SENSOR    every pcap whole, every .idx valid and its
                                       offsets on record boundaries; prints a summary
  archive_tool.py walk PCAP            "whole" or "partial <good_end> <size>"
"""
import hashlib, os, struct, sys, zlib

def read_pcap(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24:
        return None, [], 0, len(data)
    magic = struct.unpack('<I', data[:4])[0]
    order, nano = {0xa1b2c3d4: ('<', False), 0xa1b23c4d: ('<', True),
                   0xd4c3b2a1: ('>', False), 0x4d3cb2a1: ('>', True)}[magic]
    link = struct.unpack(order + 'I', data[20:24])[0]
    off, recs = 24, []
    while off + 16 <= len(data):
        sec, frac, cap, wire = struct.unpack(order + 'IIII', data[off:off + 16])
        if off + 16 + cap > len(data):
            break
        recs.append((off, sec * 10**9 + frac * (1 if nano else 1000), cap, wire,
                     data[off + 16:off + 16 + cap]))
        off += 16 + cap
    return link, recs, off, len(data)

def varint(b, i):
    v, sh = 0, 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << sh; sh += 7
        if not c & 0x80:
            return v, i

def unzz(v):
    return (v >> 1) ^ -(v & 1)

def read_idx(path):
    with open(path, 'rb') as f:
        d = f.read()
    assert d[:8] == b'VGLIDX\x00\x01', path + ': bad magic'
    (ver, flags, first, last, pbytes, pkts, nsess, blen, rlen, link,
     crc) = struct.unpack('<IIqqQQQQQII', d[8:80])
    body = d[80:]
    assert len(body) == blen and zlib.crc32(body) == crc, path + ': bad body/crc'
    if flags & 1:
        body = zlib.decompress(body)
    assert len(body) == rlen
    i, sess = 0, {}
    for _ in range(nsess):
        ul = body[i]; uid = body[i + 1:i + 1 + ul].decode(); i += 1 + ul
        proto, fam = body[i], body[i + 1]; i += 2
        al = 16 if fam == 6 else 4
        i += 2 * al + 4
        n, i = varint(body, i)
        off, ts, lst = 0, first, []
        for _ in range(n):
            d1, i = varint(body, i); d2, i = varint(body, i)
            off += d1; ts += unzz(d2)
            lst.append((off, ts))
        sess[uid] = lst
    assert i == len(body), path + ': trailing bytes in the body'
    return dict(first=first, last=last, pcap_bytes=pbytes, packets=pkts, link=link), sess

def files(data, sensor):
    out = []
    base = os.path.join(data, 'sensor_data', sensor, 'dailylogs')
    for day in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        for n in os.listdir(os.path.join(base, day)):
            if n.endswith('.pcap'):
                out.append((int(n.split('.')[-2]), day, os.path.join(base, day, n)))
    return sorted(out)

def main():
    cmd = sys.argv[1]
    if cmd == 'records':
        for p in sys.argv[2:]:
            _, recs, _, _ = read_pcap(p)
            for r in recs:
                print(r[1], r[2], r[3], hashlib.sha1(r[4]).hexdigest())
    elif cmd == 'walk':
        _, _, good, size = read_pcap(sys.argv[2])
        print('whole' if good == size else 'partial %d %d' % (good, size))
    elif cmd == 'check':
        nf = npk = nsess = pbytes = ibytes = 0
        for ep, day, p in files(sys.argv[2], sys.argv[3]):
            link, recs, good, size = read_pcap(p)
            assert good == size, '%s: ends in a partial record (%d of %d bytes whole)' % (p, good, size)
            assert os.path.exists(p + '.idx'), p + ': no .idx'
            assert not os.path.exists(p + '.idx.open'), p + ': journal left'
            info, sess = read_idx(p + '.idx')
            assert info['packets'] == len(recs), '%s: index says %d packets, file has %d' % (p, info['packets'], len(recs))
            assert info['pcap_bytes'] == size, p + ': pcap_bytes'
            offs = {r[0]: r[1] for r in recs}
            import time
            for uid, lst in sess.items():
                for off, ts in lst:
                    assert offs.get(off) == ts, '%s: %s offset %d is not a record with that time' % (p, uid, off)
            if recs:
                assert info['first'] == min(r[1] for r in recs) and info['last'] == max(r[1] for r in recs), p + ': time range'
                d = time.strftime('%Y-%m-%d', time.gmtime(recs[0][1] // 10**9))
                assert d == day, '%s: first packet day %s, directory %s' % (p, d, day)
            nf += 1; npk += len(recs); nsess += len(sess); pbytes += size
            ibytes += os.path.getsize(p + '.idx')
        print('files=%d packets=%d sessions=%d pcap_bytes=%d idx_bytes=%d' % (nf, npk, nsess, pbytes, ibytes))

main()

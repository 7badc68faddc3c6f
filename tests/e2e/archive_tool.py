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

def read_table(d, desc, page):
    """One sorted table of a v2 .idx: entries checked against fences and CRCs."""
    off, n, fcrc, elen, klen = struct.unpack('<QQIHH', desc)
    ents = [d[off + i * elen:off + (i + 1) * elen] for i in range(n)]
    fo = off + n * elen
    npages = (n + page - 1) // page
    fences = d[fo:fo + npages * (klen + 4)]
    assert zlib.crc32(fences) == fcrc, 'fence crc'
    for p in range(npages):
        f = fences[p * (klen + 4):(p + 1) * (klen + 4)]
        pg = d[off + p * page * elen:off + min(n, (p + 1) * page) * elen]
        assert f[:klen] == pg[:klen] and struct.unpack('<I', f[klen:])[0] == zlib.crc32(pg), 'page crc'
    keys = [e[:klen] for e in ents]
    assert keys == sorted(keys), 'table not sorted'
    return ents

def read_idx(path):
    """Version 2: header, directory/hosts/ports tables, per-session blocks."""
    with open(path, 'rb') as f:
        d = f.read()
    assert d[:8] == b'VGLIDX\x00\x01', path + ': bad magic'
    (ver, flags, first, last, pbytes, pkts, nsess, link, page) = struct.unpack('<IIqqQQQII', d[8:64])
    assert ver == 2, path + ': version %d' % ver
    assert struct.unpack('<I', d[156:160])[0] == zlib.crc32(d[:156]), path + ': header crc'
    dirs = read_table(d, d[64:88], page)
    hosts = read_table(d, d[88:112], page)
    ports = read_table(d, d[112:136], page)
    boff, blen = struct.unpack('<QQ', d[136:152])
    assert len(dirs) == nsess and boff + blen <= len(d), path + ': directory'
    sess, keys = {}, []
    for sid, e in enumerate(dirs):
        uid = e[:24].rstrip(b'\x00').decode()
        sfirst, slast, bo, bl, bcrc, n, proto, fam = struct.unpack('<qqQIIIBB', e[24:62])
        blk = d[boff + bo:boff + bo + bl]
        assert zlib.crc32(blk) == bcrc, path + ': block crc of ' + uid
        if blk[0] == 1:
            rl, i = varint(blk, 1)
            body = zlib.decompress(blk[i:])
            assert len(body) == rl
        else:
            assert blk[0] == 0
            body = blk[1:]
        assert body[0] == proto and body[1] == fam
        al = 16 if fam == 6 else 4
        a, b = body[2:2 + al], body[2 + al:2 + 2 * al]
        pa, pb = struct.unpack('>HH', body[2 + 2 * al:6 + 2 * al])
        i = 6 + 2 * al
        off, ts, lst = 0, sfirst, []
        for _ in range(n):
            d1, i = varint(body, i); d2, i = varint(body, i)
            off += d1; ts += unzz(d2)
            lst.append((off, ts))
        assert i == len(body), path + ': trailing bytes in a block'
        if lst:
            assert min(t for _, t in lst) == sfirst and max(t for _, t in lst) == slast
        sess[uid] = lst
        keys.append((fam, a, b, pa, pb))
    uids = list(sess)
    assert uids == sorted(uids), path + ': directory not in uid order'
    def postings(ents, post):
        out = set()
        for e in ents:
            n, off, ln, crc = struct.unpack('<IQII', e[post:post + 20])
            lst = d[boff + off:boff + off + ln]
            assert zlib.crc32(lst) == crc, path + ': posting crc'
            i, sid = 0, 0
            for _ in range(n):
                v, i = varint(lst, i); sid += v
                out.add((e[:17 if post == 20 else 2], sid))
            assert i == len(lst), path + ': posting length'
        return out
    want_h, want_p = set(), set()
    for sid, (fam, a, b, pa, pb) in enumerate(keys):
        for x in {a, b}:
            want_h.add((bytes([fam]) + x.ljust(16, b'\x00'), sid))
        for x in {pa, pb}:
            want_p.add((struct.pack('>H', x), sid))
    assert len({e[:17] for e in hosts}) == len(hosts), path + ': a host listed twice'
    assert postings(hosts, 20) == want_h, path + ': hosts'
    assert postings(ports, 4) == want_p, path + ': ports'
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

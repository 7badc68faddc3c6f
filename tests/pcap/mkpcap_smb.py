#!/usr/bin/env python3
"""mkpcap_smb.py OUT.pcap - SMB and DCE/RPC sessions for tests/pcap/alerts_smb.sh.

The messages are built field by field from the specifications (MS-SMB2
2.2.1-2.2.14, MS-SMB 2.2.4.52, RFC 1002 4.3, DCE 1.1 RPC C706 12.6); the
corpus has no SMB session to take them from.  Packets are numbered 1.. in
file order (pcap_cnt); every session is a handshake (3 packets), the
client's segments each followed by the server's segment if any, and a
FIN/ACK exchange (3 packets).

A 10.0.0.1:49700 -> 10.0.0.2:445, SMB 2 over direct TCP:
   4 NEGOTIATE request        5 NEGOTIATE response
   6 CREATE "Windows\\System32\\evil.exe"   7 response
   8 CREATE "Users\\a\\AppData\\Local\\Temp\\run.exe"   9 response
B 10.0.0.1:49701 -> 10.0.0.2:445, not SMB: "HELLO " then the same
   UTF-16 path as A's packet 6, at packet 16 (no server segment).
C 10.0.0.1:49702 -> 10.0.0.3:49670, DCE/RPC on a dynamic port:
   23 bind (IWbemServices)   24 bind_ack
   25 request whose stub holds wmiexec's "cmd.exe /Q /c ... 1>
   \\\\127.0.0.1\\ADMIN$\\__..." in UTF-16   26 response
D 10.0.0.1:49703 -> 10.0.0.2:139, NetBIOS session service and SMB 1:
   33 session request   34 positive response
   35 SMB_COM_NEGOTIATE (dialect "NT LM 0.12")   36 its response
E 198.51.100.7:49704 -> 10.0.0.2:445, SMB 1 SESSION_SETUP_ANDX with
   extended security whose security blob ([APPLICATION 0] holding the
   SPNEGO OID and a BIT STRING) claims 255 unused bits in a 2-byte
   string: the MS04-007 ASN.1 shape (ET's asn1 rule 2102383), at 43
F 198.51.100.7:49705 -> 10.0.0.2:445, the same with 0 unused bits, at 50
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkpcap_split import ACK, FIN, PSH, SYN, tcp_pkt, write_pcap  # noqa: E402


def session(c, s, sp, dp, exchanges):
    """Handshake, then for each (client bytes, server bytes or None) the
    client's segment and the server's answer, then FIN/ACK."""
    ci, si = 1000, 5000
    out = [tcp_pkt(c, s, sp, dp, ci, 0, SYN),
           tcp_pkt(s, c, dp, sp, si, ci + 1, SYN | ACK),
           tcp_pkt(c, s, sp, dp, ci + 1, si + 1, ACK)]
    seq, sseq = ci + 1, si + 1
    for req, rep in exchanges:
        out.append(tcp_pkt(c, s, sp, dp, seq, sseq, ACK | PSH, req))
        seq += len(req)
        if rep is not None:
            out.append(tcp_pkt(s, c, dp, sp, sseq, seq, ACK | PSH, rep))
            sseq += len(rep)
    out += [tcp_pkt(c, s, sp, dp, seq, sseq, FIN | ACK),
            tcp_pkt(s, c, dp, sp, sseq, seq + 1, FIN | ACK),
            tcp_pkt(c, s, sp, dp, seq + 1, sseq + 1, ACK)]
    return out


def u16(s):
    return s.encode("utf-16-le")


def nbss(msg, typ=0):
    """RFC 1002 session message / MS-SMB2 2.1 direct TCP framing."""
    return struct.pack("!BBH", typ, len(msg) >> 16, len(msg) & 0xFFFF) + msg


def smb2_hdr(cmd, mid, response=False, tree=0, session_id=0):
    """MS-SMB2 2.2.1.2 sync header, 64 bytes."""
    flags = 1 if response else 0
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 1, 0, cmd, 1, flags, 0, mid,
                                     0xFEFF, tree, session_id) + b"\0" * 16)


def smb2_negotiate():
    body = struct.pack("<HHHHI16sQ", 36, 2, 1, 0, 0x7F, b"vigil-test-guid!", 0)
    body += struct.pack("<HH", 0x0210, 0x0302)
    return nbss(smb2_hdr(0, 0) + body)


def smb2_negotiate_resp():
    body = struct.pack("<HHHH16sIIIIQQHHI", 65, 1, 0x0302, 0, b"vigil-srv-guid!!", 0x2F,
                       8388608, 8388608, 8388608, 0, 0, 128, 0, 0)
    return nbss(smb2_hdr(0, 0, response=True) + body)


def smb2_create(mid, name):
    """MS-SMB2 2.2.13: the name's buffer right after the 56 fixed bytes."""
    n = u16(name)
    body = struct.pack("<HBBIQQIIIIIHHII", 57, 0, 0, 2, 0, 0, 0x0012019F, 0x80, 7, 5,
                       0x40, 64 + 56, len(n), 0, 0)
    return nbss(smb2_hdr(5, mid, tree=1, session_id=0x4000000000001) + body + n)


def smb2_create_resp(mid):
    body = struct.pack("<HBBIQQQQQQIIQQII", 89, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80, 0, 1, 1, 0, 0)
    return nbss(smb2_hdr(5, mid, response=True, tree=1, session_id=0x4000000000001) + body)


def dce(ptype, call_id, body, flags=3):
    """C706 12.6.3.1 common header, little endian, ASCII, IEEE."""
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\0\0\0", 16 + len(body), 0,
                       call_id) + body


IWBEM = bytes.fromhex("18ad09f36ad8d011a07500c04fb68820")  # IWbemServices, LE
NDR = bytes.fromhex("045d888aeb1cc9119fe808002b104860")  # NDR transfer syntax


def dce_bind():
    ctx = struct.pack("<HBB", 0, 1, 0) + IWBEM + struct.pack("<HH", 0, 0) + NDR + \
        struct.pack("<I", 2)
    return dce(11, 1, struct.pack("<HHIB3x", 4280, 4280, 0, 1) + ctx)


def dce_bind_ack():
    sec = b"49670\0"
    body = struct.pack("<HHIH", 4280, 4280, 0x1234, len(sec)) + sec
    body += b"\0" * ((4 - (len(body)) % 4) % 4)
    body += struct.pack("<B3x", 1) + struct.pack("<HH", 0, 0) + NDR + struct.pack("<I", 2)
    return dce(12, 1, body)


def dce_request(stub):
    return dce(0, 2, struct.pack("<IHH", len(stub), 0, 24) + stub)


def dce_response():
    stub = b"\0" * 8
    return dce(2, 2, struct.pack("<IHBB", len(stub), 0, 0, 0) + stub)


def nb_name(name):
    """RFC 1001 14.1 first-level encoding: 32 letters, length-prefixed."""
    raw = name.ljust(15)[:15].encode() + b"\x20"
    enc = b"".join(bytes([0x41 + (b >> 4), 0x41 + (b & 15)]) for b in raw)
    return b"\x20" + enc + b"\0"


def smb1_negotiate():
    hdr = b"\xffSMB" + struct.pack("<BIBH12sHHHH", 0x72, 0, 0x18, 0xC853, b"\0" * 12,
                                   0xFFFF, 0xFEFF, 0, 1)
    dialects = b"\x02NT LM 0.12\0"
    return nbss(hdr + struct.pack("<BH", 0, len(dialects)) + dialects)


def smb1_negotiate_resp():
    hdr = b"\xffSMB" + struct.pack("<BIBH12sHHHH", 0x72, 0, 0x98, 0xC853, b"\0" * 12,
                                   0xFFFF, 0xFEFF, 0, 1)
    return nbss(hdr + struct.pack("<BHH", 1, 0xFFFF, 0))


def smb1_session_setup(unused_bits):
    """MS-SMB 2.2.4.53.1 with CAP_EXTENDED_SECURITY, Flags2 without Unicode."""
    blob = b"\x06\x06\x2b\x06\x01\x05\x05\x02" + bytes([0x03, 0x03, unused_bits, 0, 0])
    blob = bytes([0x60, len(blob)]) + blob
    hdr = b"\xffSMB" + struct.pack("<BIBH12sHHHH", 0x73, 0, 0x18, 0x4807, b"\0" * 12,
                                   0, 0xFEFF, 0, 2)
    words = struct.pack("<BBHHHHIHII", 0xFF, 0, 0, 4356, 10, 0, 0, len(blob), 0, 0x800000D4)
    return nbss(hdr + struct.pack("<B", 12) + words + struct.pack("<H", len(blob)) + blob)


def main():
    path = "Windows\\System32\\evil.exe"
    wmi = "cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__1700000000.5 2>&1"
    stub = b"\x05\x00\x07\x00" + b"\0" * 28 + u16(wmi) + b"\0\0"
    pkts = session("10.0.0.1", "10.0.0.2", 49700, 445, [
        (smb2_negotiate(), smb2_negotiate_resp()),
        (smb2_create(2, path), smb2_create_resp(2)),
        (smb2_create(3, "Users\\a\\AppData\\Local\\Temp\\run.exe"), smb2_create_resp(3))])
    pkts += session("10.0.0.1", "10.0.0.2", 49701, 445, [(b"HELLO " + b"\0" + u16(path), None)])
    pkts += session("10.0.0.1", "10.0.0.3", 49702, 49670, [
        (dce_bind(), dce_bind_ack()), (dce_request(stub), dce_response())])
    sreq = nb_name("FILESRV") + nb_name("CLIENT")
    pkts += session("10.0.0.1", "10.0.0.2", 49703, 139, [
        (nbss(sreq, 0x81), nbss(b"", 0x82)), (smb1_negotiate(), smb1_negotiate_resp())])
    pkts += session("198.51.100.7", "10.0.0.2", 49704, 445, [(smb1_session_setup(0xFF), None)])
    pkts += session("198.51.100.7", "10.0.0.2", 49705, 445, [(smb1_session_setup(0), None)])
    write_pcap(sys.argv[1], pkts)


if __name__ == "__main__":
    main()

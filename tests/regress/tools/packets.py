"""Frames for the captures cases write at test time: Ethernet around IPv4 or
IPv6 (by the addresses' spelling) around UDP, TCP, ICMP or ICMPv6, checksums
set; pcapfile.write_frames writes them.  One builder, so that every case's
generated capture is made the same way.

    frame = packets.ether(packets.ip(src, dst, 17, packets.udp(src, dst, sport, dport, b"ping")))
"""
import socket
import struct

# The source and destination MACs of a frame unless the caller names others.
SRC_MAC = bytes.fromhex("123456789abc")
DST_MAC = bytes.fromhex("000d3af87856")


def checksum(data):
    """The Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def _is_v6(addr):
    return ":" in addr


def _addr(addr):
    return socket.inet_pton(socket.AF_INET6 if _is_v6(addr) else socket.AF_INET, addr)


def _pseudo(src, dst, proto, length):
    """The pseudo-header a TCP, UDP or ICMPv6 checksum covers."""
    if _is_v6(src):
        return _addr(src) + _addr(dst) + struct.pack("!IxxxB", length, proto)
    return _addr(src) + _addr(dst) + struct.pack("!xBH", proto, length)


def ip(src, dst, proto, payload, ident=1, ttl=64):
    """An IPv4 header (its checksum set) or an IPv6 header before payload."""
    if _is_v6(src):
        return struct.pack("!IHBB", 6 << 28, len(payload), proto, ttl) + _addr(src) + _addr(dst) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, ttl, proto, 0,
                      _addr(src), _addr(dst))
    return hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:] + payload


def udp(src, dst, sport, dport, payload):
    """A UDP header, its checksum over the pseudo-header, and payload."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = checksum(_pseudo(src, dst, 17, len(seg)) + seg) or 0xffff
    return seg[:6] + struct.pack("!H", c) + seg[8:]


# TCP flags, for tcp().
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    """A TCP segment without options, its checksum set."""
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0) + payload
    return seg[:16] + struct.pack("!H", checksum(_pseudo(src, dst, 6, len(seg)) + seg)) + seg[18:]


def tcp_syn(src, dst, sport, dport, seq):
    """A bare TCP SYN, its checksum set."""
    return tcp(src, dst, sport, dport, seq, 0, SYN)


def icmp(icmp_type, code, rest, body=b""):
    """An ICMPv4 message: type, code, its checksum, the 4 bytes after it
    (`rest`), then body."""
    msg = struct.pack("!BBH", icmp_type, code, 0) + rest + body
    return msg[:2] + struct.pack("!H", checksum(msg)) + msg[4:]


def icmp6(src, dst, icmp_type, code, rest, body=b""):
    """An ICMPv6 message, its checksum over the IPv6 pseudo-header."""
    msg = struct.pack("!BBH", icmp_type, code, 0) + rest + body
    c = checksum(_pseudo(src, dst, 58, len(msg)) + msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


def ether(payload, src=SRC_MAC, dst=DST_MAC, vlan=None):
    """An Ethernet frame around an IPv4 or IPv6 packet (told by its version),
    with an 802.1Q tag of VLAN id `vlan` when given."""
    ethertype = b"\x86\xdd" if payload[0] >> 4 == 6 else b"\x08\x00"
    tag = b"" if vlan is None else struct.pack("!HH", 0x8100, vlan)
    return dst + src + tag + ethertype + payload

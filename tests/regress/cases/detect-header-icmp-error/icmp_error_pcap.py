#!/usr/bin/python3
"""Writes the pcap of detect-header-icmp-error: one TCP SYN of the cleartext
corpus's ftp-unencrypted flow (10.0.0.4:50200 -> 10.0.2.10:21 at
2026-11-28T04:00:10Z, which its VNet log records as allowed), then an ICMP
destination-unreachable from a router outside HOME_NET carrying that SYN's
headers, which Suricata files under the same flow.

    icmp_error_pcap.py OUT.pcap
"""
import socket
import struct
import sys

T0 = 1795838410  # 2026-11-28T04:00:10Z, the flow's first packet in the corpus
CLIENT, SERVER, ROUTER = "10.0.0.4", "10.0.2.10", "198.51.100.1"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def tcp_syn(src, dst, sport, dport, seq):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
    return hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]


def ether(payload):
    return b"\x00\x0d\x3a\xf8\x78\x56" + b"\x12\x34\x56\x78\x9a\xbc" + b"\x08\x00" + payload


def main():
    syn = ipv4(CLIENT, SERVER, 6, tcp_syn(CLIENT, SERVER, 50200, 21, 1000), 1)
    # Type 3 code 1 (host unreachable): the SYN's IP header and 8 bytes of TCP.
    body = struct.pack("!BBHI", 3, 1, 0, 0) + syn[:28]
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    icmp = ipv4(ROUTER, CLIENT, 1, body, 2)
    frames = [(T0, 0, ether(syn)), (T0, 5000, ether(icmp))]
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, data in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


if __name__ == "__main__":
    main()

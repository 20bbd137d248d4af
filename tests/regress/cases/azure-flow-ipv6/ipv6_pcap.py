#!/usr/bin/python3
"""Writes the pcap of azure-flow-ipv6: one IPv6 UDP exchange,
[2001:db8::4]:50000 -> [2001:db8:0:1::5]:9999 and its answer, at
2026-11-28T04:00:10Z, which flowlogs/PT1H.json records.

    ipv6_pcap.py OUT.pcap
"""
import socket
import struct
import sys

T0 = 1795838410  # 2026-11-28T04:00:10Z
CLIENT, SERVER = "2001:db8::4", "2001:db8:0:1::5"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ipv6_udp(src, dst, sport, dport, payload):
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = s + d + struct.pack("!IxxxB", len(udp), 17)
    udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xffff) + udp[8:]
    return struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + s + d + udp


def ether(payload):
    return b"\x00\x0d\x3a\xf8\x78\x56" + b"\x12\x34\x56\x78\x9a\xbc" + b"\x86\xdd" + payload


def main():
    frames = [(T0, 0, ether(ipv6_udp(CLIENT, SERVER, 50000, 9999, b"ping" * 8))),
              (T0, 2000, ether(ipv6_udp(SERVER, CLIENT, 9999, 50000, b"pong" * 18)))]
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, data in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


if __name__ == "__main__":
    main()

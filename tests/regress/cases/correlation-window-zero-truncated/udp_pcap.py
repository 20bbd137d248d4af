#!/usr/bin/python3
"""Writes the pcap of correlation-window-zero-truncated: two UDP exchanges
that start between the ticks of their flow logs' clocks, each a request and
its answer 2 ms later: 10.0.0.4:50000 -> 10.0.1.5:9999 at
2026-11-28T04:00:10.500000Z (its NSG tuples say second ...10), and
10.0.0.4:50001 -> 10.0.1.5:9999 at 04:00:20.000400Z (its VNet tuples say
millisecond ...20.000).

    udp_pcap.py OUT.pcap
"""
import socket
import struct
import sys

T0 = 1795838410  # 2026-11-28T04:00:10Z
CLIENT, SERVER = "10.0.0.4", "10.0.1.5"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def ipv4_udp(src, dst, sport, dport, payload):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    pseudo = s + d + struct.pack("!xBH", 17, len(udp))
    udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xffff) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def ether(payload):
    return b"\x00\x0d\x3a\xf8\x78\x56" + b"\x12\x34\x56\x78\x9a\xbc" + b"\x08\x00" + payload


def main():
    frames = []
    for sec, usec, sport in ((T0, 500000, 50000), (T0 + 10, 400, 50001)):
        frames.append((sec, usec, ether(ipv4_udp(CLIENT, SERVER, sport, 9999, b"ping" * 8))))
        frames.append((sec, usec + 2000, ether(ipv4_udp(SERVER, CLIENT, 9999, sport, b"pong" * 18))))
    with open(sys.argv[1], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, data in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the pcap of correlation-window-zero-truncated: two UDP exchanges
that start between the ticks of their flow logs' clocks, each a request and
its answer 2 ms later: 10.0.0.4:50000 -> 10.0.1.5:9999 at
2026-11-28T04:00:10.500000Z (its NSG tuples say second ...10), and
10.0.0.4:50001 -> 10.0.1.5:9999 at 04:00:20.000400Z (its VNet tuples say
millisecond ...20.000).

    udp_pcap.py OUT.pcap
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import packets  # noqa: E402
import pcapfile  # noqa: E402

T0 = 1795838410  # 2026-11-28T04:00:10Z
CLIENT, SERVER = "10.0.0.4", "10.0.1.5"


def main():
    frames = []
    for sec, usec, sport in ((T0, 500000, 50000), (T0 + 10, 400, 50001)):
        frames.append((sec, usec, packets.ether(packets.ip(
            CLIENT, SERVER, 17, packets.udp(CLIENT, SERVER, sport, 9999, b"ping" * 8)))))
        frames.append((sec, usec + 2000, packets.ether(packets.ip(
            SERVER, CLIENT, 17, packets.udp(SERVER, CLIENT, 9999, sport, b"pong" * 18)))))
    pcapfile.write_frames(sys.argv[1], frames)


if __name__ == "__main__":
    main()

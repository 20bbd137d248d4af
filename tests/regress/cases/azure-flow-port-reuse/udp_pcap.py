#!/usr/bin/python3
"""Writes the pcap of azure-flow-port-reuse: one UDP 5-tuple,
10.0.0.4:50000 -> 10.0.1.5:9999, used by two flows a minute apart, each a
request and its answer: at 2026-11-28T04:00:10Z and at 04:01:10Z, which
flowlogs/PT1H.json records (a begin and an end tuple each).

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
    for start in (T0, T0 + 60):
        frames.append((start, 0, packets.ether(packets.ip(
            CLIENT, SERVER, 17, packets.udp(CLIENT, SERVER, 50000, 9999, b"ping" * 8)))))
        frames.append((start, 2000, packets.ether(packets.ip(
            SERVER, CLIENT, 17, packets.udp(SERVER, CLIENT, 9999, 50000, b"pong" * 18)))))
    pcapfile.write_frames(sys.argv[1], frames)


if __name__ == "__main__":
    main()

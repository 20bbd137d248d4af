#!/usr/bin/python3
"""Writes the pcap of detect-header-icmp-error: one TCP SYN of the cleartext
corpus's ftp-unencrypted flow (10.0.0.4:50200 -> 10.0.2.10:21 at
2026-11-28T04:00:10Z, which its VNet log records as allowed), then an ICMP
destination-unreachable from a router outside HOME_NET carrying that SYN's
headers, which Suricata files under the same flow.

    icmp_error_pcap.py OUT.pcap
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import packets  # noqa: E402
import pcapfile  # noqa: E402

T0 = 1795838410  # 2026-11-28T04:00:10Z, the flow's first packet in the corpus
CLIENT, SERVER, ROUTER = "10.0.0.4", "10.0.2.10", "198.51.100.1"


def main():
    syn = packets.ip(CLIENT, SERVER, 6, packets.tcp_syn(CLIENT, SERVER, 50200, 21, 1000), ident=1)
    # Type 3 code 1 (host unreachable): the SYN's IP header and 8 bytes of TCP.
    icmp = packets.ip(ROUTER, CLIENT, 1, packets.icmp(3, 1, b"\0" * 4, syn[:28]), ident=2)
    frames = [(T0, 0, packets.ether(syn)), (T0, 5000, packets.ether(icmp))]
    pcapfile.write_frames(sys.argv[1], frames)


if __name__ == "__main__":
    main()

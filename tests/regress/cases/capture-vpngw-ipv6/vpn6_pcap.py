#!/usr/bin/python3
"""Writes the capture of capture-vpngw-ipv6: a VPN Gateway capture over IPv6,
the on-premises peer 2001:db8:f::10 negotiating IKE_SA_INIT with the gateway
2001:db8:1::4 on UDP 500 (request, then the gateway's answer).

    vpn6_pcap.py OUT.pcap
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import packets  # noqa: E402
import pcapfile  # noqa: E402

T0 = 1795838410  # 2026-11-28T04:00:10Z
PEER, GATEWAY = "2001:db8:f::10", "2001:db8:1::4"


def ike_sa_init(spi_i, spi_r, initiator):
    """An IKEv2 IKE_SA_INIT header (exchange 34) with an empty payload chain."""
    flags = 0x08 if initiator else 0x20  # Initiator; Response
    return struct.pack("!QQBBBBII", spi_i, spi_r, 0, 0x20, 34, flags, 0, 28)


def main():
    spi_i, spi_r = 0x1122334455667788, 0x99aabbccddeeff00
    frames = [(T0, 0, packets.ether(packets.ip(PEER, GATEWAY, 17, packets.udp(
                  PEER, GATEWAY, 500, 500, ike_sa_init(spi_i, 0, True))))),
              (T0, 3000, packets.ether(packets.ip(GATEWAY, PEER, 17, packets.udp(
                  GATEWAY, PEER, 500, 500, ike_sa_init(spi_i, spi_r, False)))))]
    pcapfile.write_frames(sys.argv[1], frames)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes OUT/one.pcap and OUT/vnet/ from the cleartext corpus: three of its
flows, and the flow log's records for them, plus one key (10.0.0.4:50100 ->
198.51.100.20:443) that also gets the platform rule's records of another
flow, as a VNet flow log lists a flow under each ACL that judged it.  So one
key has records of two ACLs: two fact classes in its digest.

    two_acls.py SRCDIR OUT
"""
import os
import struct
import sys

SRCDIR, OUT = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRCDIR, "tests", "regress", "tools"))
import azblob  # noqa: E402
import pcapfile  # noqa: E402

CORPUS = os.path.join(SRCDIR, "pcap-corpus", "cleartext")
FLOWS = {50100, 50110, 50200}  # source ports: HTTPS out, platform HTTP, FTP


def inner_ports(frame):
    """The TCP/UDP ports of the innermost IPv4 packet (VXLAN unwrapped)."""
    off = 14
    while struct.unpack_from(">H", frame, off - 2)[0] == 0x0800:
        l4 = off + (frame[off] & 15) * 4
        sp, dp = struct.unpack_from(">HH", frame, l4)
        if frame[off + 9] == 17 and dp == 4789:
            off = l4 + 8 + 8 + 14
            continue
        return sp, dp
    return None, None


hdr, order, recs = pcapfile.read(os.path.join(CORPUS, "mirror.pcap"))
keep = [r for r in recs if set(inner_ports(r.frame)) & FLOWS]
pcapfile.write(os.path.join(OUT, "one.pcap"), hdr, order, keep)

rel, records = azblob.corpus_blob(os.path.join(CORPUS, "vnet"))
out = azblob.select(records, lambda f: int(f[3]) in FLOWS)
moved = azblob.select(records, lambda f: f[3] == "50110")
for rec in moved:
    for flow in rec["flowRecords"]["flows"]:
        for group in flow["flowGroups"]:
            tuples = []
            for t in group["flowTuples"]:
                f = t.split(",")
                f[2], f[3], f[4] = "198.51.100.20", "50100", "443"
                f[0] = str(int(f[0]) - 1000 * 1000)  # older: the key's facts stay the NSG's
                tuples.append(",".join(f))
            group["flowTuples"] = tuples
azblob.append(os.path.join(OUT, "vnet", rel), out + moved)
print("two_acls: %d of %d packets, %d tuples" % (len(keep), len(recs),
      sum(1 for _ in azblob.tuples(out + moved))))

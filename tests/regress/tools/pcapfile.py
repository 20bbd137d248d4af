"""Classic pcap files for the regression tools: one reader, so that every
tool that cuts, rewrites or counts a capture walks its records the same way.

    hdr, order, recs = pcapfile.read(path)   # recs: [pcapfile.Record, ...]
    pcapfile.write(path, hdr, order, recs)
"""
import collections
import struct

HEADER = 24  # the global header
RECORD = 16  # each record's header

# The byte order of each magic (microsecond and nanosecond pcaps).
ORDERS = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
          b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}

Record = collections.namedtuple("Record", "ts_s ts_frac orig frame")


def read(path):
    """The global header (bytes), the struct byte order ("<" or ">"), and
    the records; ValueError for a file that is not a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    order = ORDERS.get(data[:4])
    if order is None:
        raise ValueError("%s is not a classic pcap" % path)
    recs, off = [], HEADER
    while off + RECORD <= len(data):
        ts_s, ts_frac, incl, orig = struct.unpack_from(order + "IIII", data, off)
        recs.append(Record(ts_s, ts_frac, orig, data[off + RECORD:off + RECORD + incl]))
        off += RECORD + incl
    return data[:HEADER], order, recs


def pack(order, recs):
    """The records as they are stored after the global header."""
    return b"".join(struct.pack(order + "IIII", r.ts_s, r.ts_frac, len(r.frame), r.orig) + r.frame
                    for r in recs)


def write(path, hdr, order, recs):
    with open(path, "wb") as f:
        f.write(hdr + pack(order, recs))


def write_frames(path, frames, linktype=1):
    """A classic microsecond pcap of frames, each (seconds, microseconds,
    bytes), whole (snaplen 65535); linktype 1: Ethernet."""
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    write(path, hdr, "<", [Record(sec, usec, len(data), data) for sec, usec, data in frames])

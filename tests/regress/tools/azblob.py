#!/usr/bin/python3
"""Grow a flow-log blob the way Azure Storage does, for follow-mode cases.

A PT1H.json is `{"records":[` + records + `]}`; each minute the writer
commits a new block list with one more data block placed just before the
tail, so bytes [0, size-2) never change and every later record starts with
a comma (research/blob-ingestion.md §1).  Each commit here is one atomic
rename of a hidden temporary file, so a reader sees the old or the new
version, never half (like a committed block list; the follower skips
hidden files).

    azblob.py append  DEST_ROOT CORPUS_ROOT INDEX...   append corpus records INDEX...
    azblob.py path    DEST_ROOT CORPUS_ROOT            the blob's path under DEST_ROOT
    azblob.py bookmark BOOKMARKS BLOB [--expect-end [--as-of COPY]]
                       print BLOB's bookmarked offset; --expect-end: fail unless
                       it is just after the last record of BLOB (or of COPY, the
                       blob as it was when the bookmark was taken)

The blob keeps the corpus blob's relative path under DEST_ROOT.  live_vtap.py
uses the functions below to select tuples and move their times to now.
"""
import argparse
import copy
import datetime
import json
import os
import sys

HEAD = b'{"records":['
TAIL = b"]}"


def corpus_blob(corpus_root):
    """(path relative to corpus_root, records) of the one blob under it."""
    blobs = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus_root) for f in fs if f.endswith(".json"))
    if len(blobs) != 1:
        raise SystemExit("azblob: expected one blob under %s, found %d" % (corpus_root, len(blobs)))
    with open(blobs[0]) as f:
        return os.path.relpath(blobs[0], corpus_root), json.load(f)["records"]


def encode(record):
    return json.dumps(record, separators=(",", ":")).encode()


def append(blob, records):
    """One commit: create the blob, or insert `,{record}…` before its `]}`."""
    data = b",".join(encode(r) for r in records)
    if os.path.exists(blob):
        with open(blob, "rb") as f:
            old = f.read()
        if not (old.startswith(HEAD) and old.endswith(TAIL)) or len(old) <= len(HEAD) + len(TAIL):
            raise SystemExit("azblob: %s is not a committed blob with records" % blob)
        new = old[: -len(TAIL)] + b"," + data + TAIL
    else:
        os.makedirs(os.path.dirname(blob), exist_ok=True)
        new = HEAD + data + TAIL
    tmp = os.path.join(os.path.dirname(blob), "." + os.path.basename(blob) + ".commit")
    with open(tmp, "wb") as f:
        f.write(new)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, blob)
    return len(new)


def data_end(blob):
    """Offset just after the last record: where a reader that has read it all stands."""
    return os.path.getsize(blob) - len(TAIL)


def bookmark_offset(bookmarks, blob):
    """The offset the bookmark file keeps for blob (its absolute path, or a
    storage blob's URL), or None."""
    key = blob if blob.startswith(("http://", "https://")) else os.path.abspath(blob)
    try:
        with open(bookmarks) as f:
            for line in f:
                if line.startswith("#"):
                    continue
                # offset size dev inode mtime_ns fnv1a64 skip path
                fields = line.rstrip("\n").split(" ", 7)
                if len(fields) == 8 and fields[7] == key:
                    return int(fields[0])
    except FileNotFoundError:
        pass
    return None


# --- tuple-level helpers (live_vtap.py) ----------------------------------------


def tuples(records):
    for rec in records:
        for flow in rec["flowRecords"]["flows"]:
            for group in flow["flowGroups"]:
                yield from group["flowTuples"]


def select(records, keep):
    """Copies of records holding only the tuples keep(fields) accepts; empty
    groups, flows and records are dropped."""
    out = []
    for rec in records:
        rec = copy.deepcopy(rec)
        flows = []
        for flow in rec["flowRecords"]["flows"]:
            groups = []
            for group in flow["flowGroups"]:
                group["flowTuples"] = [t for t in group["flowTuples"] if keep(t.split(","))]
                if group["flowTuples"]:
                    groups.append(group)
            if groups:
                flow["flowGroups"] = groups
                flows.append(flow)
        if flows:
            rec["flowRecords"]["flows"] = flows
            out.append(rec)
    return out


def vnet_record(tuples, guid="5f0c2a9e-0000-4000-8000-0000000000aa", rule="R"):
    """One VNet flow-log record (version 4) of `tuples`, all under one ACL
    and `rule`; its time is the latest tuple's."""
    ms = max(int(t.split(",", 1)[0]) for t in tuples)
    return {"time": iso(ms), "flowLogGUID": guid,
            "macAddress": "000D3AF87856", "category": "FlowLogFlowEvent",
            "flowLogResourceID": "/SUBSCRIPTIONS/X/FLOWLOGS/VNET1-FLOWLOG",
            "targetResourceID": "/subscriptions/x/virtualNetworks/vnet1", "flowLogVersion": 4,
            "operationName": "FlowLogFlowEvent",
            "flowRecords": {"flows": [{"aclID": "/x/nsg-app", "flowGroups": [
                {"rule": rule, "flowTuples": tuples}]}]}}


def iso(ms):
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % ((ms % 1000) * 10000)


def rebase(records, base_ms):
    """Moves every flow (5-tuple) so its first tuple is at base_ms, keeping
    the 5-tuples and the spacing of a flow's tuples (begin -> end); each
    record's time becomes its latest tuple's."""
    def flow(t):
        return tuple(t.split(",")[1:6])
    first = {}
    for t in tuples(records):
        ms = int(t.split(",", 1)[0])
        first[flow(t)] = min(ms, first.get(flow(t), ms))
    records = copy.deepcopy(records)
    for rec in records:
        latest = 0
        for fl in rec["flowRecords"]["flows"]:
            for group in fl["flowGroups"]:
                moved = []
                for t in group["flowTuples"]:
                    ms, rest = t.split(",", 1)
                    ms = int(ms) - first[flow(t)] + base_ms
                    latest = max(latest, ms)
                    moved.append("%d,%s" % (ms, rest))
                group["flowTuples"] = moved
        rec["time"] = iso(latest)
    return records


def hour_path(relpath, ms):
    """relpath with its y=/m=/d=/h= folders set to the hour of ms (UTC)."""
    t = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc)
    parts = []
    for p in relpath.split("/"):
        key = p.split("=", 1)[0]
        if p.startswith("y="):
            p = "y=%04d" % t.year
        elif p.startswith("d="):
            p = "d=%02d" % t.day
        elif p.startswith("h="):
            p = "h=%02d" % t.hour
        elif key == "m" and parts and parts[-1].startswith("y="):
            p = "m=%02d" % t.month  # the month; the minute (m=00 after h=) stays
        parts.append(p)
    return "/".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("append")
    a.add_argument("dest")
    a.add_argument("corpus")
    a.add_argument("index", type=int, nargs="+")
    p = sub.add_parser("path")
    p.add_argument("dest")
    p.add_argument("corpus")
    b = sub.add_parser("bookmark")
    b.add_argument("bookmarks")
    b.add_argument("blob")
    b.add_argument("--expect-end", action="store_true")
    b.add_argument("--as-of", metavar="COPY")
    opts = ap.parse_args()

    if opts.cmd in ("append", "path"):
        rel, records = corpus_blob(opts.corpus)
        blob = os.path.join(opts.dest, rel)
        if opts.cmd == "append":
            size = append(blob, [records[i] for i in opts.index])
            print("azblob: %s: %d bytes after appending record(s) %s" % (blob, size, opts.index))
        else:
            print(blob)
        return 0
    off = bookmark_offset(opts.bookmarks, opts.blob)
    if off is None:
        print("azblob: %s has no bookmark for %s" % (opts.bookmarks, os.path.abspath(opts.blob)))
        return 1
    print(off)
    content = opts.as_of or opts.blob
    if opts.expect_end and off != data_end(content):
        print("azblob: bookmark at %d, but the last record of %s ends at %d" % (off, content, data_end(content)),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

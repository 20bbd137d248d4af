#!/usr/bin/python3
"""Offline Suricata whose flow logs arrive in the middle of the pcap.

    records_midflow.py OUTDIR PCAP SPLIT RECORDS_DIR [SURICATA ARG ...]

Suricata reads PCAP through a named pipe (OUTDIR/feed.pcap) with
azure.flow-logs.0 following an empty folder (OUTDIR/flowlogs).  The tool
writes the pcap's first SPLIT packets, waits until Suricata has read them,
copies RECORDS_DIR into the followed folder, waits until the follower has
read it (the azure.records counter of EVE stats stops moving), then writes
the rest and closes the pipe.  So flows that straddle the split see their
first packets with no record of their key and their later ones with it:
what the rule engine decided at a flow's first packet must not outlive the
records that change it.

Uses suricata_run.py's command line (plugin, regression yaml, valgrind when
the runner asks); extra arguments go to Suricata.  Exits with Suricata's
exit code, or 1 (with a reason) when a wait times out.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suricata_run  # noqa: E402

PCAP_HEADER = 24
RECORD_HEADER = 16


def split_pcap(path, split):
    """The global header, the first `split` records and the rest, as bytes."""
    data = open(path, "rb").read()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">",
             b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}.get(magic)
    if order is None:
        sys.exit("records_midflow: %s is not a classic pcap" % path)
    off, n = PCAP_HEADER, 0
    while off < len(data) and n < split:
        caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        off += RECORD_HEADER + caplen
        n += 1
    if n < split or off >= len(data):
        sys.exit("records_midflow: %s has no packet after the first %d" % (path, split))
    return data[:PCAP_HEADER], data[PCAP_HEADER:off], data[off:]


def stats_records(eve):
    """azure.records of every EVE stats record so far."""
    out = []
    try:
        with open(eve) as f:
            for line in f:
                if '"event_type":"stats"' not in line:
                    continue
                try:
                    out.append(json.loads(line)["stats"].get("azure", {}).get("records", 0))
                except ValueError:
                    pass  # a line still being written
    except FileNotFoundError:
        pass
    return out


def wait(proc, what, done, timeout):
    deadline = time.monotonic() + timeout
    while not done():
        if proc.poll() is not None:
            sys.exit("records_midflow: Suricata exited (%d) while waiting for %s" % (proc.returncode, what))
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("records_midflow: timed out after %ds waiting for %s" % (timeout, what))
        time.sleep(0.2)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    outdir, pcap, split, records = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    os.makedirs(outdir, exist_ok=True)
    header, first, rest = split_pcap(pcap, split)
    feed = os.path.join(outdir, "feed.pcap")
    followed = os.path.join(outdir, "flowlogs")
    for path in (feed, followed):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.unlink(path)
    os.mkfifo(feed)
    os.makedirs(followed)
    slow = 10 if suricata_run.under_valgrind() else 1
    cmd = suricata_run.command(outdir, ["-r", feed,
                                        "--set", "azure.flow-logs.0.path=%s" % followed,
                                        "--set", "azure.flow-logs.0.follow=yes",
                                        "--set", "stats.interval=1"] + sys.argv[5:])
    print("records_midflow: %s" % " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd)
    # Opening the pipe for writing waits for Suricata to open it: poll, so
    # that a Suricata failing at start-up does not leave us blocked.
    fd = None

    def opened():
        nonlocal fd
        try:
            fd = os.open(feed, os.O_WRONLY | os.O_NONBLOCK)
            return True
        except OSError:
            return False
    wait(proc, "Suricata to open %s" % feed, opened, 60 * slow)
    os.set_blocking(fd, True)
    os.write(fd, header + first)
    # Nothing tells when the packet thread is done with them: a few packets
    # take it microseconds, valgrind milliseconds.
    time.sleep(2 * slow)
    staging = os.path.join(outdir, "flowlogs.staging")
    if os.path.isdir(staging):
        shutil.rmtree(staging)
    shutil.copytree(records, staging)
    os.rename(staging, os.path.join(followed, "records"))
    eve = os.path.join(outdir, "eve.json")

    def read_all():
        seen = stats_records(eve)
        return len(seen) >= 3 and seen[-1] > 0 and seen[-1] == seen[-2] == seen[-3]
    wait(proc, "the follower to read %s" % records, read_all, 60 * slow)
    print("records_midflow: %d records read after the first %d packets" % (stats_records(eve)[-1], split),
          file=sys.stderr, flush=True)
    os.write(fd, rest)
    os.close(fd)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())

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
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import live_vtap as lv  # noqa: E402  (waits, EVE reading)
import pcapfile  # noqa: E402
import suricata_run  # noqa: E402


def records_read(eve):
    """azure.records of every EVE stats record so far."""
    return [r["stats"].get("azure", {}).get("records", 0)
            for r in lv.read_eve(eve) if r.get("event_type") == "stats"]


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    outdir, pcap, split, records = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    os.makedirs(outdir, exist_ok=True)
    hdr, order, recs = pcapfile.read(pcap)
    if len(recs) <= split:
        sys.exit("records_midflow: %s has no packet after the first %d" % (pcap, split))
    feed = os.path.join(outdir, "feed.pcap")
    followed = os.path.join(outdir, "flowlogs")
    staging = os.path.join(outdir, "flowlogs.staging")
    eve = os.path.join(outdir, "eve.json")
    for path in (feed, followed, staging):
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.unlink(path)
    os.mkfifo(feed)
    os.makedirs(followed)
    cmd = suricata_run.command(outdir, ["-r", feed,
                                        "--set", "azure.flow-logs.0.path=%s" % followed,
                                        "--set", "azure.flow-logs.0.follow=yes",
                                        "--set", "stats.interval=1"] + sys.argv[5:])
    print("records_midflow: %s" % " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd)

    # Opening the pipe for writing waits for Suricata to open it: poll, so
    # that a Suricata failing at start-up does not leave us blocked.
    def opened():
        try:
            return os.open(feed, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return None

    def read_all():
        seen = records_read(eve)
        return len(seen) >= 3 and seen[-1] > 0 and seen[-1] == seen[-2] == seen[-3]
    try:
        fd = lv.wait_for("Suricata to open %s" % feed, opened, 30, proc)
        os.set_blocking(fd, True)
        os.write(fd, hdr + pcapfile.pack(order, recs[:split]))
        # Nothing tells when the packet thread is done with them: a few
        # packets take it microseconds, valgrind milliseconds.
        time.sleep(2 * lv.SLOW)
        shutil.copytree(records, staging)
        os.rename(staging, os.path.join(followed, "records"))
        lv.wait_for("the follower to read %s" % records, read_all, 30, proc)
    except RuntimeError as e:  # a wait ran out, or Suricata exited early
        if proc.poll() is None:
            proc.kill()
        sys.exit("records_midflow: %s" % e)
    print("records_midflow: %d records read after the first %d packets" % (records_read(eve)[-1], split),
          file=sys.stderr, flush=True)
    os.write(fd, pcapfile.pack(order, recs[split:]))
    os.close(fd)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())

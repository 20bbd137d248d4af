#!/usr/bin/python3
"""Offline Suricata to which something happens in the middle of the pcap.

    midflow.py OUTDIR PCAP SPLIT records RECORDS_DIR [SURICATA ARG ...]
    midflow.py OUTDIR PCAP SPLIT reload RULES_BEFORE RULES_AFTER [SURICATA ARG ...]

Suricata reads PCAP through a named pipe (OUTDIR/feed.pcap).  The tool
writes the pcap's first SPLIT packets, waits until Suricata has read them,
makes the change, writes the rest and closes the pipe.  So flows that
straddle the split see their first packets before the change and their
later ones after it: what the rule engine decided at a flow's first packet
must not outlive what it was decided under.

- records: azure.flow-logs.0 follows an empty folder (OUTDIR/flowlogs); at
  the split the tool copies RECORDS_DIR into it and waits until the
  follower has read it (the azure.records counter of EVE stats stops
  moving).  New records of a flow's key.
- reload: Suricata runs with -S OUTDIR/midflow.rules, a copy of
  RULES_BEFORE; at the split the tool copies RULES_AFTER over it and sends
  SIGUSR2 (Suricata's live rule reload).  The packet thread takes the new
  rules at its next packet, and the reload completes only then, so the tool
  writes the following packets one at a time until suricata.log says
  "rule reload complete", then the rest.  New rules.

Uses suricata_run.py's command line (plugin, regression yaml, valgrind when
the runner asks); extra arguments go to Suricata.  Exits with Suricata's
exit code, or 1 (with a reason) when a wait times out.
"""
import os
import shutil
import signal
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


def log_says(path, text):
    try:
        with open(path, errors="replace") as f:
            return text in f.read()
    except FileNotFoundError:
        return False


class Records:
    """New flow-log records at the split."""

    def __init__(self, outdir, args):
        if not args:
            sys.exit(__doc__)
        self.src, self.rest = args[0], args[1:]
        self.followed = os.path.join(outdir, "flowlogs")
        self.staging = os.path.join(outdir, "flowlogs.staging")
        self.eve = os.path.join(outdir, "eve.json")
        for path in (self.followed, self.staging):
            if os.path.isdir(path):
                shutil.rmtree(path)
        os.makedirs(self.followed)

    def suricata_args(self):
        return ["--set", "azure.flow-logs.0.path=%s" % self.followed,
                "--set", "azure.flow-logs.0.follow=yes", "--set", "stats.interval=1"] + self.rest

    def change(self, proc, write, later):
        def read_all():
            seen = records_read(self.eve)
            return len(seen) >= 3 and seen[-1] > 0 and seen[-1] == seen[-2] == seen[-3]
        shutil.copytree(self.src, self.staging)
        os.rename(self.staging, os.path.join(self.followed, "records"))
        lv.wait_for("the follower to read %s" % self.src, read_all, 30, proc)
        return "%d records read" % records_read(self.eve)[-1], 0


class Reload:
    """New rules at the split."""

    def __init__(self, outdir, args):
        if len(args) < 2:
            sys.exit(__doc__)
        self.after, self.rest = args[1], args[2:]
        self.rules = os.path.join(outdir, "midflow.rules")
        self.log = os.path.join(outdir, "suricata.log")
        shutil.copyfile(args[0], self.rules)
        if os.path.exists(self.log):
            os.unlink(self.log)

    def suricata_args(self):
        return ["-S", self.rules] + self.rest

    def change(self, proc, write, later):
        shutil.copyfile(self.after, self.rules)

        last = 0.0

        def started():
            nonlocal last
            # Suricata takes SIGUSR2 only once its threads run and ignores
            # it until then: send again if no reload shows.  Not sooner, as
            # each one it takes is a reload.
            if log_says(self.log, "rule reload starting"):
                return True
            if time.time() - last > 2 * lv.SLOW:
                proc.send_signal(signal.SIGUSR2)
                last = time.time()
            return False
        lv.wait_for("the rule reload to start", started, 30, proc)
        sent = 0

        def complete():
            nonlocal sent
            if log_says(self.log, "rule reload complete"):
                return True
            if sent < len(later):
                write(later[sent:sent + 1])
                sent += 1
            time.sleep(0.2 * lv.SLOW)
            return False
        lv.wait_for("the rule reload to complete", complete, 60, proc)
        return "rules reloaded (%d packet%s written during the reload)" % (sent, "" if sent == 1 else "s"), sent


MODES = {"records": Records, "reload": Reload}


def main():
    if len(sys.argv) < 5 or sys.argv[4] not in MODES:
        sys.exit(__doc__)
    outdir, pcap, split = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(outdir, exist_ok=True)
    hdr, order, recs = pcapfile.read(pcap)
    if len(recs) <= split:
        sys.exit("midflow: %s has no packet after the first %d" % (pcap, split))
    mode = MODES[sys.argv[4]](outdir, sys.argv[5:])
    feed = os.path.join(outdir, "feed.pcap")
    if os.path.exists(feed):
        os.unlink(feed)
    os.mkfifo(feed)
    cmd = suricata_run.command(outdir, ["-r", feed] + mode.suricata_args())
    print("midflow: %s" % " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd)

    # Opening the pipe for writing waits for Suricata to open it: poll, so
    # that a Suricata failing at start-up does not leave us blocked.
    def opened():
        try:
            return os.open(feed, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            return None
    try:
        fd = lv.wait_for("Suricata to open %s" % feed, opened, 30, proc)
        os.set_blocking(fd, True)
        os.write(fd, hdr + pcapfile.pack(order, recs[:split]))
        # Nothing tells when the packet thread is done with them: a few
        # packets take it microseconds, valgrind milliseconds.
        time.sleep(2 * lv.SLOW)
        what, fed = mode.change(proc, lambda rs: os.write(fd, pcapfile.pack(order, rs)), recs[split:])
    except RuntimeError as e:  # a wait ran out, or Suricata exited early
        if proc.poll() is None:
            proc.kill()
        sys.exit("midflow: %s" % e)
    print("midflow: after the first %d packets, %s" % (split, what), file=sys.stderr, flush=True)
    os.write(fd, pcapfile.pack(order, recs[split + fed:]))
    os.close(fd)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Live vTAP correlation: Suricata on af-packet while the flow log grows.

    live_vtap.py --check    exit 0 when a live run is possible here (root,
                            ip netns + veth, tcpreplay); else say why, exit 1
    live_vtap.py            the run; writes $OUTPUT_DIR (eve.json, suricata.log,
                            flowlogs/, bookmarks, timeline.log)
    live_vtap.py --capture-mode
                            the same with azflow as Suricata's packet source
                            (--capture-plugin=azure, azure.capture.interface)
                            instead of af-packet
    live_vtap.py --blob     the same with the flow log in Azure Storage: real
                            Azurite (tools/azurite-setup.sh) in the namespace,
                            the blob grown by Put Block + Put Block List
                            (azstore.py), Suricata following its url with
                            Shared Key and poll: 1

In a network namespace of its own (azf-<pid>) with a veth pair cap<->inj,
Suricata follows $OUTPUT_DIR/flowlogs on af-packet `cap`, and while it runs:

  1. before:  records of the http, rdp and denied-ssh flows are committed to
              the blob; we wait until the bookmark file says the follower
              read them, so they are indexed before the first packet;
  2. replay:  pcap-corpus/vtap/mirror.pcap goes into `inj` with tcpreplay
              (top speed); we wait until Suricata's stats say it decoded them;
  3. after:   records of the smb flow (still live: TCP timeouts are long) and
              the log-only minute are committed; they must attach to the live
              flow when it is logged at shutdown;
  4. late:    once the dns flow has outlived its own timeout (UDP timeouts
              are 2 s; azflow holds it for its records), its records are
              committed; its flow record and azure_flow must carry them;
  5. SIGTERM once stats say all 17 tuples are indexed; wait for the exit.

Live packet time is wall-clock, so every tuple is moved to "now" (keeping
its 5-tuple and the spacing of its begin/end tuples) and the blob sits in the
current hour's folder.  The namespace is removed however the run ends.
Under the runner's --valgrind, Suricata runs under valgrind (see
suricata_run.py) and every wait is ten times longer.
"""
import atexit
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import azblob  # noqa: E402
import azstore  # noqa: E402
import suricata_run  # noqa: E402

SRCDIR = os.environ.get("SRCDIR", os.path.abspath(os.path.join(HERE, "..", "..", "..")))
CORPUS = os.path.join(SRCDIR, "pcap-corpus", "vtap")
CAP, INJ = "cap0", "inj0"
SLOW = 10 if suricata_run.under_valgrind() else 1
T0 = time.time()
# Every wait ends by T0 + BUDGET and Suricata gets STOP_WAIT to exit, so the
# run ends (and cleans up) before the case's `timeout: 60` kills it.
BUDGET, STOP_WAIT = 45 * SLOW, 10 * SLOW

# The corpus flows by their client end (MANIFEST).
HTTP, RDP, SSH = "10.0.0.4:50000", "203.0.113.50:51000", "198.51.100.7:40000"
SMB, DNS = "10.0.0.4:50010", "10.0.0.4:53000"
MIRROR_PACKETS = 52


def log(msg):
    line = "[%6.2fs] %s" % (time.time() - T0, msg)
    print(line, file=sys.stderr, flush=True)
    with open(os.path.join(os.environ["OUTPUT_DIR"], "timeline.log"), "a") as f:
        f.write(line + "\n")


def sh(*cmd, check=True, timeout=20 * SLOW):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (r.stderr or r.stdout).strip()))
    return r


def check():
    if os.geteuid() != 0:
        return "live af-packet run needs root"
    for tool in ("ip", "tcpreplay"):
        if shutil.which(tool) is None:
            return "%s not installed (Debian: %s)" % (tool, "iproute2" if tool == "ip" else "tcpreplay")
    ns = "azf-check-%d" % os.getpid()
    r = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
    if r.returncode != 0:
        return "network namespaces not permitted here: %s" % r.stderr.strip()
    try:
        r = subprocess.run(["ip", "-n", ns, "link", "add", CAP, "type", "veth", "peer", "name", INJ],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return "veth pairs not permitted here: %s" % r.stderr.strip()
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    return None


def die_with_parent():
    """Suricata gets SIGTERM if this script is killed outright (the runner's
    timeout), rather than capturing on in the namespace."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Netns:
    def __init__(self):
        self.name = "azf-%d" % os.getpid()

    def __enter__(self):
        sh("ip", "netns", "add", self.name)
        try:
            # No IPv6 on the pair: no router solicitations or MLD in the capture.
            self.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
            sh("ip", "-n", self.name, "link", "add", CAP, "type", "veth", "peer", "name", INJ)
            for dev in (CAP, INJ):
                sh("ip", "-n", self.name, "link", "set", dev, "up")
        except BaseException:
            self.__exit__()
            raise
        log("netns %s: veth %s <-> %s up" % (self.name, CAP, INJ))
        return self

    def run(self, *cmd, **kw):
        return sh("ip", "netns", "exec", self.name, *cmd, **kw)

    def __exit__(self, *exc):
        # Deleting the namespace takes the veth pair with it.
        sh("ip", "netns", "del", self.name, check=False)


def wait_for(what, cond, timeout, proc=None):
    deadline = min(time.time() + timeout * SLOW, T0 + BUDGET)
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("Suricata exited (%d) while waiting for %s" % (proc.returncode, what))
        time.sleep(0.1)
    raise RuntimeError("timed out waiting for %s" % what)


def read_eve(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):  # a line being written is skipped
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def last_stats(eve):
    stats = [r["stats"] for r in read_eve(eve) if r.get("event_type") == "stats"]
    return stats[-1] if stats else {}


def main():
    out = os.environ["OUTPUT_DIR"]
    logs, bookmarks = os.path.join(out, "flowlogs"), os.path.join(out, "bookmarks")
    eve, slog = os.path.join(out, "eve.json"), os.path.join(out, "suricata.log")
    os.makedirs(logs, exist_ok=True)
    rel, records = azblob.corpus_blob(os.path.join(CORPUS, "vnet"))
    blob = os.path.join(logs, azblob.hour_path(rel, int(time.time() * 1000)))
    storage = "--blob" in sys.argv
    container = "insights-logs-flowlogflowevent"
    name = azblob.hour_path(rel, int(time.time() * 1000))

    def append(recs):
        """One commit; returns where a reader that read it all stands."""
        if not storage:
            azblob.append(blob, recs)
            return azblob.data_end(blob)
        data = os.path.join(out, "commit.json")
        with open(data, "w") as f:
            json.dump(recs, f)
        r = ns.run(sys.executable, os.path.join(HERE, "azstore.py"), "commit", az.base(), container, name, data)
        return int(r.stdout.split()[-1]) - len(azblob.TAIL)

    def commit(label, clients=None, recs=None):
        """Commits the tuples of `clients` (client ip:port; None: all of recs),
        with times moved to now, and waits until the follower has read them."""
        keep = (lambda f: True) if clients is None else (lambda f: f[1] + ":" + f[3] in clients)
        recs = azblob.rebase(azblob.select(records if recs is None else recs, keep), int(time.time() * 1000))
        n = sum(1 for _ in azblob.tuples(recs))
        end = append(recs)
        key = "%s/%s/%s" % (az.base(), container, name) if storage else blob
        wait_for("the follower to read " + label, lambda: azblob.bookmark_offset(bookmarks, key) == end, 10, proc)
        log("committed %d tuples (%s); bookmark at %d" % (n, label, end))
        return n

    if "--capture-mode" in sys.argv:
        source = ["--capture-plugin=azure", "--set", "azure.capture.interface=%s" % CAP]
    else:
        source = [
            "--af-packet=%s" % CAP,
            # An af-packet list item loaded from YAML has the value "interface"
            # (its first key); one made by --set alone has none, and Suricata
            # 8.0.7 then crashes in AFPRunModeIsIPS (strlen(NULL),
            # runmode-af-packet.c:81).  Give the item its value first.
            "--set", "af-packet.0=interface",
            "--set", "af-packet.0.interface=%s" % CAP,
            "--set", "af-packet.0.threads=1",
            "--set", "af-packet.0.cluster-id=99",
            "--set", "af-packet.0.cluster-type=cluster_flow",
            "--set", "af-packet.0.checksum-checks=no",
        ]
    args = source + [
        "--set", "unix-command.enabled=no",
        "--set", "stats.interval=1",
        # TCP flows stay live until shutdown; UDP ones (dns) time out fast.
        "--set", "flow-timeouts.tcp.new=120", "--set", "flow-timeouts.tcp.established=120",
        "--set", "flow-timeouts.tcp.closed=120",
        "--set", "flow-timeouts.udp.new=2", "--set", "flow-timeouts.udp.established=2",
        "-S", os.path.join(SRCDIR, "signatures", "azure.rules"),
        "--set", "azure.flow-logs.0.follow=yes",
        "--set", "azure.bookmarks=%s" % bookmarks,
    ]
    proc = az = None
    with Netns() as ns:
        if storage:
            # Azurite serves inside the namespace, where Suricata runs.
            ns.run("ip", "link", "set", "lo", "up")
            az = azstore.Azurite(netns=ns.name, log=open(os.path.join(out, "azurite.log"), "w"))
            atexit.register(az.stop)  # however the run ends
            log("azurite on %s" % az.base())
            keyfile = os.path.join(out, "account.key")
            with open(os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(azstore.KEY)
            # The container exists before Suricata checks it at start-up.
            ns.run(sys.executable, "-c",
                "import sys; sys.path.insert(0, %r); import azstore; azstore.Client(%r).create_container(%r)"
                % (HERE, az.base(), container))
            args += ["--set", "azure.flow-logs.0.url=%s/%s" % (az.base(), container),
                     "--set", "azure.flow-logs.0.account-key-file=%s" % keyfile,
                     "--set", "azure.flow-logs.0.poll=1", "--set", "azure.flow-logs.0.since=1h"]
        else:
            args += ["--set", "azure.flow-logs.0.path=%s" % logs]
        cmd = ["ip", "netns", "exec", ns.name] + suricata_run.command(out, args, valgrind_extra=[
            "--suppressions=" + os.path.join(HERE, "suricata-live.supp")])
        log("starting: %s" % " ".join(cmd))
        proc = subprocess.Popen(cmd, preexec_fn=die_with_parent)
        try:
            def started():
                try:
                    text = open(slog, errors="replace").read()
                except FileNotFoundError:
                    return False
                return "Engine started" in text
            wait_for("Suricata to start (suricata.log)", started, 30, proc)
            log("Suricata running (pid %d)" % proc.pid)

            total = commit("http, rdp and denied ssh", (HTTP, RDP, SSH))

            r = ns.run("tcpreplay", "-q", "--topspeed", "-i", INJ, os.path.join(CORPUS, "mirror.pcap"))
            log("tcpreplay: %s" % " ".join(r.stdout.split()[:12]))
            # The worker's decoder count: every packet went through detection.
            wait_for("Suricata to decode the replayed packets",
                     lambda: last_stats(eve).get("decoder", {}).get("pkts", 0) >= MIRROR_PACKETS, 15, proc)
            log("stats: %d packets decoded" % last_stats(eve)["decoder"]["pkts"])

            total += commit("smb, still live", (SMB,))
            total += commit("log-only minute", recs=records[1:])

            # Its own timeout (udp 2 s) passes; azflow holds the flow in the
            # table for its records (correlation.delay), so it is not logged.
            time.sleep(3)
            if any(r.get("event_type") == "flow" and r.get("dest_port") == 53 for r in read_eve(eve)):
                raise RuntimeError("the dns flow was logged before its records came")
            log("dns flow past its timeout, still held")
            total += commit("dns, past its timeout", (DNS,))

            wait_for("stats azure.records == %d" % total,
                     lambda: last_stats(eve).get("azure", {}).get("records") == total, 10, proc)
            log("stats: azure.records == %d" % total)
        finally:
            if not stop(proc):
                return 1
        log("Suricata exited: %d" % proc.returncode)
    return proc.returncode


def stop(proc):
    """SIGTERM, then STOP_WAIT for Suricata to exit; killed past it.  False
    when it had to be killed (a stop that hangs is a failure of its own)."""
    if proc.poll() is not None:
        return True
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_WAIT)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        log("Suricata did not stop on SIGTERM; killed")
        return False


def run_main(name, main_fn):
    """Runs a live script's main: a stop from outside still runs the
    clean-up (finally / Netns.__exit__); its errors end it with status 1.
    With --check (a case's `requires`), only says whether a live run can
    happen here: status 1 and why, or 0."""
    if "--check" in sys.argv:
        why = check()
        if why:
            print(why)
        sys.exit(1 if why else 0)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    try:
        sys.exit(main_fn())
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        log("%s: %s" % (name, e))
        sys.exit(1)


if __name__ == "__main__":
    run_main("live_vtap", main)

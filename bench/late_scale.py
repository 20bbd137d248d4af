#!/usr/bin/python3
"""Late records at scale: many flows, every record after its flow, live vs offline.

    late_scale.py --suricata build/suricata --plugin build/azflow.so
                  [--flows 100000] [--scale 20] [--pps 20000] [--workdir build/bench/late]

A generated capture of FLOWS short UDP flows (query + reply, plain Ethernet
so the kernel's fanout spreads them over the two af-packet workers) and a
VNet flow log with one record group per flow: one flow in ten denied (the
shipped rules 9870002 and 9870012 fire on it), the rest allowed.

offline  `suricata -r` with the blob preloaded: the reference alerts.
live     Suricata on af-packet (workers, 2 threads, cluster_flow) in a
         network namespace; the capture is replayed at PPS with tcpreplay;
         each flow's records are committed 60-600 s after its packets,
         uniformly at random, divided by SCALE (the time of the whole run is
         compressed: at 20, 3-30 s late, correlation.delay 45 s, UDP flow
         timeout 2 s), a block a second as Azure commits a block a minute.

Prints the alerts live vs offline (per rule, and the (rule, 5-tuple) sets),
the history's and held flows' memory at their peak (azure.memuse,
azure.history_flows, flow.memuse from EVE stats every second), the
surrogates sent, kernel drops, and the CPU per late record of the sender
thread (AZ#late) and of the workers during the record phase.
Needs root, ip netns, veth and tcpreplay; not part of `make check`.
"""
import argparse
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "regress", "tools"))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "regress"))
import azblob  # noqa: E402

T0_MS = 1795838400000  # 2026-11-28T04:00:00Z, the corpus's base
SERVER = "10.0.0.4"
MAC = "000D3AF87856"


def ip(s):
    return bytes(int(x) for x in s.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip(src), ip(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + iph + udp


def client(i):
    return "10.%d.%d.%d" % (1 + i // 62500, (i // 250) % 250, 1 + i % 250), 40000 + i % 20000


def generate(work, nflows):
    """Writes work/flows.pcap and work/vnet/.../PT1H.json; returns the blob's
    path relative to work/vnet and its records, and the flows' start times."""
    pcap = open(os.path.join(work, "flows.pcap"), "wb")
    pcap.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    starts = []
    for i in range(nflows):
        c, sport = client(i)
        ms = T0_MS + 10000 + i  # one flow a millisecond
        starts.append(ms)
        for n, (s, d, sp, dp, pl) in enumerate(((c, SERVER, sport, 53, b"q" * 30), (SERVER, c, 53, sport, b"r" * 46))):
            fr = frame(s, d, sp, dp, pl)
            us = (ms * 1000) + n * 200
            pcap.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)) + fr)
    pcap.close()
    groups = {"DefaultRule_DenyAllInBound": [], "DefaultRule_AllowVnetInBound": []}
    for i in range(nflows):
        c, sport = client(i)
        ms = starts[i]
        if i % 10 == 0:
            groups["DefaultRule_DenyAllInBound"].append((i, ["%d,%s,%s,%d,53,17,I,D,NX,0,0,0,0" % (ms, c, SERVER, sport)]))
        else:
            groups["DefaultRule_AllowVnetInBound"].append((i, [
                "%d,%s,%s,%d,53,17,I,B,NX,0,0,0,0" % (ms, c, SERVER, sport),
                "%d,%s,%s,%d,53,17,I,E,NX,1,58,1,74" % (ms + 1, c, SERVER, sport)]))
    # One record per flow, so each can be committed at its own lateness.
    records = []
    for rule, flows in groups.items():
        for i, tuples in flows:
            records.append((i, {
                "time": azblob.iso(starts[i] + 1), "flowLogGUID": "5f0c2a9e-0000-4000-8000-0000000000aa",
                "macAddress": MAC, "category": "FlowLogFlowEvent",
                "flowLogResourceID": "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/"
                                     "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
                                     "NETWORKWATCHER_EASTUS/FLOWLOGS/VNET1-FLOWLOG",
                "targetResourceID": "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/"
                                    "rg-prod/providers/Microsoft.Network/virtualNetworks/vnet1",
                "flowLogVersion": 4, "operationName": "FlowLogFlowEvent",
                "flowRecords": {"flows": [{"aclID": "nsg-app", "flowGroups": [{"rule": rule, "flowTuples": tuples}]}]}}))
    records.sort(key=lambda r: r[0])
    rel = ("flowLogResourceID=/00000000-0000-0000-0000-0000000000AA_NETWORKWATCHERRG/"
           "NETWORKWATCHER_EASTUS_VNET1-FLOWLOG/y=2026/m=11/d=28/h=04/m=00/macAddress=%s/PT1H.json" % MAC)
    blob = os.path.join(work, "vnet", rel)
    if os.path.exists(blob):
        os.remove(blob)
    azblob.append(blob, [r for _, r in records])
    return rel, records


def suricata_cmd(opts, logdir, args):
    sysconf = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(opts.suricata))), "etc")
    return [opts.suricata, "--set", "plugins.9=%s" % os.path.abspath(opts.plugin),
            "-c", os.path.join(SRCDIR, "tests", "regress", "suricata.yaml"),
            "--set", "classification-file=%s/suricata/classification.config" % sysconf,
            "--set", "reference-config-file=%s/suricata/reference.config" % sysconf,
            "-k", "none", "-l", logdir, "-S", os.path.join(SRCDIR, "signatures", "azure.rules"),
            "--set", "flow.memcap=2gb", "--set", "flow.hash-size=262144", "--set", "flow.prealloc=10000"] + args


def eve(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


class Tail:
    """New stats records of a growing eve.json, read from where the last
    call stopped (re-reading the whole file each second would make the
    record commits fall behind the lateness they are meant to have)."""
    def __init__(self, path):
        self.path, self.off = path, 0

    def stats(self):
        out = []
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except FileNotFoundError:
            return out
        end = data.rfind(b"\n") + 1
        self.off += end
        for line in data[:end].splitlines():
            if b'"event_type":"stats"' in line:
                out.append(json.loads(line)["stats"])
        return out


def alerts(evs):
    got = {}
    for r in evs:
        if r.get("event_type") == "alert":
            k = (r["alert"]["signature_id"], r["proto"], r["src_ip"], r.get("src_port"), r["dest_ip"], r.get("dest_port"))
            got[k] = got.get(k, 0) + 1
    return got


def thread_cpu(pid):
    """{thread name: CPU seconds} of a process."""
    out = {}
    tck = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            name = open("/proc/%d/task/%s/comm" % (pid, tid)).read().strip()
            f = open("/proc/%d/task/%s/stat" % (pid, tid)).read().rsplit(")", 1)[1].split()
            out[name] = out.get(name, 0) + (int(f[11]) + int(f[12])) / tck
        except OSError:
            pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suricata", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--flows", type=int, default=100000)
    ap.add_argument("--scale", type=float, default=20.0)
    ap.add_argument("--pps", type=int, default=20000)
    ap.add_argument("--workdir", default=os.path.join(SRCDIR, "build", "bench", "late"))
    ap.add_argument("--seed", type=int, default=1)
    opts = ap.parse_args()
    random.seed(opts.seed)
    work = os.path.abspath(opts.workdir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rel, records = generate(work, opts.flows)
    pcap = os.path.join(work, "flows.pcap")
    print("late_scale: %d flows (%d packets), %d records; time scale 1:%g" % (
        opts.flows, 2 * opts.flows, len(records), opts.scale))

    # --- offline reference -----------------------------------------------------
    off = os.path.join(work, "offline")
    os.makedirs(off)
    t = time.time()
    r = subprocess.run(suricata_cmd(opts, off, ["-r", pcap, "--set", "azure.flow-logs.0.path=%s" % os.path.join(work, "vnet")]),
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("offline run failed: %s" % r.stderr[-500:])
    a_off = alerts(eve(os.path.join(off, "eve.json")))
    print("offline: %d alerts in %.1f s" % (sum(a_off.values()), time.time() - t))

    # --- live ----------------------------------------------------------------
    live = os.path.join(work, "live")
    logs = os.path.join(live, "flowlogs")
    os.makedirs(logs)
    delay = max(10, int(900 / opts.scale))
    ns = "azf-scale-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "add", "cap0", "type", "veth", "peer", "name", "inj0"], check=True)
        for d in ("cap0", "inj0"):
            subprocess.run(["ip", "-n", ns, "link", "set", d, "up"], check=True)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], check=False)
        args = ["--af-packet=cap0", "--runmode", "workers", "--set", "af-packet.0=interface",
                "--set", "af-packet.0.interface=cap0", "--set", "af-packet.0.threads=2",
                "--set", "af-packet.0.cluster-id=97", "--set", "af-packet.0.cluster-type=cluster_flow",
                "--set", "af-packet.0.checksum-checks=no", "--set", "af-packet.0.ring-size=100000",
                "--set", "unix-command.enabled=no", "--set", "stats.interval=1",
                "--set", "flow-timeouts.udp.new=2", "--set", "flow-timeouts.udp.established=2",
                "--set", "azure.flow-logs.0.path=%s" % logs, "--set", "azure.flow-logs.0.follow=yes",
                "--set", "azure.bookmarks=%s" % os.path.join(live, "bookmarks"),
                "--set", "azure.correlation.delay=%d" % delay,
                "--set", "azure.correlation.history-memcap=1gb"]
        proc = subprocess.Popen(["ip", "netns", "exec", ns] + suricata_cmd(opts, live, args),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        slog = os.path.join(live, "suricata.log")
        for _ in range(300):
            if os.path.exists(slog) and "Engine started" in open(slog, errors="replace").read():
                break
            time.sleep(0.1)
        else:
            sys.exit("Suricata did not start")
        # Baselines before the first packet.
        tail = Tail(os.path.join(live, "eve.json"))
        first = (tail.stats() or [None])[-1]
        while first is None:
            time.sleep(0.2)
            first = (tail.stats() or [None])[-1]
        base = {"azure.memuse": first["azure"]["memuse"], "flow.memuse": first.get("flow", {}).get("memuse", 0)}
        t_replay = time.time()
        subprocess.run(["ip", "netns", "exec", ns, "tcpreplay", "-q", "--pps=%d" % opts.pps, "-i", "inj0", pcap],
                       check=True, capture_output=True)
        replay_s = time.time() - t_replay
        replay_ms = int(t_replay * 1000)
        # Each flow's records: its packets' time moved to the replay, then
        # committed 60-600 s (scaled) after that.
        first_ms = T0_MS + 10000
        spread = replay_s * 1000 / max(1, opts.flows)
        due = []
        for i, rec in records:
            moved = azblob.rebase([rec], replay_ms + int(i * spread))
            due.append((t_replay + i * spread / 1000 + random.uniform(60, 600) / opts.scale, moved[0]))
        due.sort(key=lambda d: d[0])
        blob = os.path.join(logs, azblob.hour_path(rel, replay_ms))
        cpu0 = thread_cpu(proc.pid)
        peak = {}
        lag = 0.0
        j = 0
        while j < len(due):
            time.sleep(1.0)
            now = time.time()
            batch = []
            while j < len(due) and due[j][0] <= now:
                batch.append(due[j][1])
                j += 1
            if batch:
                azblob.append(blob, batch)
                lag = max(lag, time.time() - due[j - 1][0])
            for st in tail.stats():
                    for k, v in (("azure.memuse", st["azure"]["memuse"]), ("azure.history_flows", st["azure"].get("history_flows", 0)),
                                 ("azure.flows_retained", st["azure"].get("flows_retained", 0)),
                                 ("flow.memuse", st.get("flow", {}).get("memuse", 0))):
                        peak[k] = max(peak.get(k, 0), v)
        # The last surrogates settle and run.
        time.sleep(3)
        cpu1 = thread_cpu(proc.pid)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    evs = eve(os.path.join(live, "eve.json"))
    stats = [r["stats"] for r in evs if r.get("event_type") == "stats"][-1]
    a_live = alerts(evs)
    late = sum(1 for r in evs if r.get("event_type") == "alert" and (r.get("azure") or {}).get("late"))
    az = stats["azure"]
    print("live: replay %.1f s (%d pps), kernel packets %s, drops %s" % (
        replay_s, opts.pps, stats.get("capture", {}).get("kernel_packets"), stats.get("capture", {}).get("kernel_drops")))
    print("live: records committed at most %.1f s after their intended lateness" % lag)
    print("live: %d alerts (%d late); offline %d" % (sum(a_live.values()), late, sum(a_off.values())))
    for sid in sorted({k[0] for k in a_off} | {k[0] for k in a_live}):
        print("  sid %d: offline %d, live %d" % (sid, sum(v for k, v in a_off.items() if k[0] == sid),
                                                 sum(v for k, v in a_live.items() if k[0] == sid)))
    missing = set(a_off) - set(a_live)
    extra = set(a_live) - set(a_off)
    print("  (rule, 5-tuple) only offline: %d, only live: %d" % (len(missing), len(extra)))
    print("surrogates %d (flow gone %d, dropped %d); flows held at the end %d, evicted early %d; "
          "history evicted %d" % (az.get("late_surrogates", 0), az.get("late_flow_gone", 0), az.get("late_dropped", 0),
                                  az.get("flows_retained", 0), az.get("flows_retain_evicted", 0), az.get("history_evicted", 0)))
    print("peak: azure.history_flows %d, azure.flows_retained %d, azure.memuse %.1f MB, flow.memuse %.1f MB" % (
        peak.get("azure.history_flows", 0), peak.get("azure.flows_retained", 0), peak.get("azure.memuse", 0) / 1e6,
        peak.get("flow.memuse", 0) / 1e6))
    if peak.get("azure.history_flows"):
        print("per flow: azflow %.0f bytes (azure.memuse growth at its peak / history flows: one history entry "
              "and this test's one index record per flow); Suricata %.0f bytes per held flow (flow.memuse growth / "
              "flows held at the peak)" % (
                  (peak["azure.memuse"] - base["azure.memuse"]) / peak["azure.history_flows"],
                  (peak.get("flow.memuse", 0) - base["flow.memuse"]) / max(1, peak.get("azure.flows_retained", 0))))
    n = max(1, az.get("late_surrogates", 0))
    sender = sum(v - cpu0.get(k, 0) for k, v in cpu1.items() if k.startswith("AZ#late"))
    workers = sum(v - cpu0.get(k, 0) for k, v in cpu1.items() if k.startswith("W#"))
    print("cost per surrogate during the record phase: sender %.1f us CPU (build + queue), "
          "workers %.1f us CPU (lookup, stream, detect, alert output; includes their idle polling)" % (
              sender * 1e6 / n, workers * 1e6 / n))
    return 0 if not missing and not extra else 1


if __name__ == "__main__":
    sys.exit(main())

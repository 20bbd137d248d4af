#!/usr/bin/python3
"""Live late records for a flow without ports: one ICMP echo exchange and
one UDP exchange replayed onto af-packet, then one VNet flow-log record for
each, committed after the packets.  Late-record detection covers TCP and UDP
only (README, "Scope"): the UDP record makes its header-only packets, the
ICMP record makes none and is counted in azure.late_dropped ("a protocol
without ports").  Writes the azure.late_* counters to OUTPUT_DIR/counters.json
(Suricata shares this script's stdout)."""
import json
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import azblob  # noqa: E402
import packets  # noqa: E402
import pcapfile  # noqa: E402
import live_vtap as lv  # noqa: E402
import suricata_run  # noqa: E402

CLIENT, ICMP_PEER, UDP_PEER = "10.0.0.4", "10.0.2.50", "10.0.2.51"
BLOB = ("flowLogResourceID=/X/y=2026/m=11/d=28/h=04/m=00/macAddress=000D3AF87856/PT1H.json")


# The veth pair's ends, as the frames name them.
MACS = {"src": bytes.fromhex("020000000001"), "dst": bytes.fromhex("020000000002")}


def frame(src, dst, proto, l4):
    return packets.ether(packets.ip(src, dst, proto, l4), **MACS)


def echo(icmp_type):
    return packets.icmp(icmp_type, 0, struct.pack("!HH", 7, 1), b"x" * 56)


def udp_frame(src, dst, sport, dport):
    return frame(src, dst, 17, packets.udp(src, dst, sport, dport, b"ping"))


def write_pcap(path, frames):
    """frames one millisecond apart, from now."""
    now = int(time.time())
    pcapfile.write_frames(path, [(now, i * 1000, fr) for i, fr in enumerate(frames)])


def record(ms):
    """One VNet flow-log record: the ICMP flow and the UDP flow, both ended."""
    tuples = ["%d,%s,%s,0,0,1,O,E,NX,1,98,1,98" % (ms, CLIENT, ICMP_PEER),
              "%d,%s,%s,40000,5000,17,O,E,NX,1,40,1,40" % (ms, CLIENT, UDP_PEER)]
    return azblob.vnet_record(tuples)


def main():
    out = os.environ["OUTPUT_DIR"]
    pcap, logs, eve = os.path.join(out, "in.pcap"), os.path.join(out, "flowlogs"), os.path.join(out, "eve.json")
    write_pcap(pcap, [frame(CLIENT, ICMP_PEER, 1, echo(8)), frame(ICMP_PEER, CLIENT, 1, echo(0)),
                      udp_frame(CLIENT, UDP_PEER, 40000, 5000), udp_frame(UDP_PEER, CLIENT, 5000, 40000)])
    os.makedirs(logs, exist_ok=True)
    args = ["--af-packet=" + lv.CAP, "--runmode", "workers", "--set", "af-packet.0=interface",
            "--set", "af-packet.0.interface=" + lv.CAP, "--set", "af-packet.0.threads=1",
            "--set", "af-packet.0.checksum-checks=no", "--set", "unix-command.enabled=no",
            "--set", "stats.interval=1", "--set", "azure.flow-logs.0.path=%s" % logs,
            "--set", "azure.flow-logs.0.follow=yes", "--set", "azure.bookmarks=%s/bookmarks" % out,
            "--disable-detection"]
    with lv.Netns() as ns:
        # Suricata's own af-packet set-up trips valgrind (suricata-live.supp says why).
        supp = "--suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "suricata-live.supp")
        proc = subprocess.Popen(["ip", "netns", "exec", ns.name] + suricata_run.command(out, args, valgrind_extra=[supp]),
                                preexec_fn=lv.die_with_parent)
        try:
            slog = os.path.join(out, "suricata.log")
            lv.wait_for("start", lambda: os.path.exists(slog) and "Engine started" in open(slog).read(), 30, proc)
            ms = int(time.time() * 1000)
            ns.run("tcpreplay", "-q", "-i", lv.INJ, pcap)
            lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 4, 15, proc)
            time.sleep(1)  # the record comes after the flows' last packets
            azblob.append(os.path.join(logs, azblob.hour_path(BLOB, ms)), [record(ms)])
            lv.wait_for("the records", lambda: lv.last_stats(eve).get("azure", {}).get("records") == 2, 15, proc)
            time.sleep(2)  # a stats interval after the surrogates were sent
            st = lv.last_stats(eve)["azure"]
            with open(os.path.join(out, "counters.json"), "w") as f:
                f.write(json.dumps({k: st[k] for k in ("records", "late_surrogates", "late_dropped",
                                                       "late_flow_gone", "history_flows")}) + "\n")
        finally:
            if not lv.stop(proc):
                return 1
        lv.log("Suricata exited: %d" % proc.returncode)
    return proc.returncode


if __name__ == "__main__":
    lv.run_main("live_late_icmp", main)

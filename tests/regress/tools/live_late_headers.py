#!/usr/bin/python3
"""Live late records for flows whose header-only packets must carry more
than ports to find their flow: an ICMP and an ICMPv6 echo exchange (the
flow lookup compares their message types) and a UDP exchange on VLAN 100
(it compares the VLAN ids), beside a plain UDP exchange, replayed onto
af-packet (two workers); then their VNet flow-log records, committed after
the packets.  The ICMP and VLAN flows are logged as denied by a default
rule, which the shipped rules 9870012 (`ip`) and 9870002 (the UDP reply)
alert on, and a rule on the packets' TTL (50) besides: header-only packets
carry their flow's TTL.  Each record makes one header-only packet per direction its flow
used, each must reach its own flow (none made anew: azure.late_flow_gone
0), and the live alerts and flow records must be the offline run's (`-r`
of the same capture with the records preloaded), compared as
live_parity.py compares them.  Writes the azure.late_* counters and
flows_retained (the final records let the held flows go) to
OUTPUT_DIR/counters.json and the comparison to OUTPUT_DIR/parity.json
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
import live_parity  # noqa: E402  (the live/offline comparison)
import live_vtap as lv  # noqa: E402
import suricata_run  # noqa: E402

CLIENT, ICMP_PEER, UDP_PEER, VLAN_PEER = "10.0.0.4", "10.0.2.50", "10.0.2.51", "10.0.2.52"
VLAN = 100
CLIENT6, ICMP6_PEER = "fd00::4", "fd00:2::50"
DENY_RULE = "DefaultRule_DenyAllOutBound"
# Every packet's TTL / hop limit, which a rule below reads: a header-only
# packet must carry its flow's, not a constant.
TTL = 50
TTL_RULE = ('alert ip any any -> any any (msg:"default-deny flow by its header TTL"; flow:to_server; '
            'ttl:%d; azure.rule; content:"DefaultRule_"; threshold:type limit, track by_flow, count 1, '
            'seconds 3600; sid:1000001; rev:1;)\n' % TTL)
BLOB = ("flowLogResourceID=/X/y=2026/m=11/d=28/h=04/m=00/macAddress=000D3AF87856/PT1H.json")


# The veth pair's ends, as the frames name them.
MACS = {"src": bytes.fromhex("020000000001"), "dst": bytes.fromhex("020000000002")}


def frame(src, dst, proto, l4, vlan=None):
    return packets.ether(packets.ip(src, dst, proto, l4, ttl=TTL), vlan=vlan, **MACS)


def echo(icmp_type):
    return packets.icmp(icmp_type, 0, struct.pack("!HH", 7, 1), b"x" * 56)


def echo6(src, dst, icmp_type):
    return packets.icmp6(src, dst, icmp_type, 0, struct.pack("!HH", 7, 1), b"x" * 56)


def udp_frame(src, dst, sport, dport, vlan=None):
    return frame(src, dst, 17, packets.udp(src, dst, sport, dport, b"ping"), vlan)


def write_pcap(path, frames):
    """frames one millisecond apart, from now."""
    now = int(time.time())
    pcapfile.write_frames(path, [(now, i * 1000, fr) for i, fr in enumerate(frames)])


def records(ms):
    """The VNet flow-log records: the ICMP and VLAN flows denied by a
    default rule, the plain UDP flow ended under another rule."""
    return [azblob.vnet_record(["%d,%s,%s,0,0,1,O,D,NX,,,," % (ms, CLIENT, ICMP_PEER),
                                "%d,%s,%s,0,0,58,O,D,NX,,,," % (ms, CLIENT6, ICMP6_PEER),
                                "%d,%s,%s,40001,5001,17,O,D,NX,,,," % (ms, CLIENT, VLAN_PEER)], rule=DENY_RULE),
            azblob.vnet_record(["%d,%s,%s,40000,5000,17,O,E,NX,1,40,1,40" % (ms, CLIENT, UDP_PEER)])]


def main():
    out = os.environ["OUTPUT_DIR"]
    pcap, logs = os.path.join(out, "in.pcap"), os.path.join(out, "flowlogs")
    livedir = os.path.join(out, "live")
    eve = os.path.join(livedir, "eve.json")
    os.makedirs(livedir, exist_ok=True)
    write_pcap(pcap, [frame(CLIENT, ICMP_PEER, 1, echo(8)), frame(ICMP_PEER, CLIENT, 1, echo(0)),
                      frame(CLIENT6, ICMP6_PEER, 58, echo6(CLIENT6, ICMP6_PEER, 128)),
                      frame(ICMP6_PEER, CLIENT6, 58, echo6(ICMP6_PEER, CLIENT6, 129)),
                      udp_frame(CLIENT, UDP_PEER, 40000, 5000), udp_frame(UDP_PEER, CLIENT, 5000, 40000),
                      udp_frame(CLIENT, VLAN_PEER, 40001, 5001, VLAN), udp_frame(VLAN_PEER, CLIENT, 5001, 40001, VLAN)])
    os.makedirs(logs, exist_ok=True)
    rules = os.path.join(out, "headers.rules")
    with open(rules, "w") as f:
        f.write(open(live_parity.RULES).read() + TTL_RULE)
    args = ["--af-packet=" + lv.CAP, "--runmode", "workers", "--set", "af-packet.0=interface",
            "--set", "af-packet.0.interface=" + lv.CAP, "--set", "af-packet.0.threads=2",
            "--set", "af-packet.0.cluster-type=cluster_flow",
            "--set", "af-packet.0.checksum-checks=no", "--set", "unix-command.enabled=no",
            "--set", "stats.interval=1", "--set", "azure.flow-logs.0.path=%s" % logs,
            "--set", "azure.flow-logs.0.follow=yes", "--set", "azure.bookmarks=%s/bookmarks" % out,
            "-S", rules]
    with lv.Netns() as ns:
        # Suricata's own af-packet set-up trips valgrind (suricata-live.supp says why).
        supp = "--suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "suricata-live.supp")
        proc = subprocess.Popen(["ip", "netns", "exec", ns.name] + suricata_run.command(livedir, args, valgrind_extra=[supp]),
                                preexec_fn=lv.die_with_parent)
        try:
            slog = os.path.join(livedir, "suricata.log")
            lv.wait_for("start", lambda: os.path.exists(slog) and "Engine started" in open(slog).read(), 30, proc)
            ms = int(time.time() * 1000)
            ns.run("tcpreplay", "-q", "-i", lv.INJ, pcap)
            lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 8, 15, proc)
            time.sleep(1)  # the record comes after the flows' last packets
            azblob.append(os.path.join(logs, azblob.hour_path(BLOB, ms)), records(ms))
            lv.wait_for("the records", lambda: lv.last_stats(eve).get("azure", {}).get("records") == 4, 15, proc)
            time.sleep(2)  # a stats interval after the surrogates were sent
            st = lv.last_stats(eve)["azure"]
            with open(os.path.join(out, "counters.json"), "w") as f:
                f.write(json.dumps({k: st[k] for k in ("records", "late_surrogates", "late_dropped",
                                                       "late_flow_gone", "history_flows",
                                                       "flows_retained")}) + "\n")
        finally:
            if not lv.stop(proc):
                return 1
        lv.log("Suricata exited: %d" % proc.returncode)
    if proc.returncode != 0:
        return proc.returncode
    # Offline: the same capture, the records preloaded.
    offdir = os.path.join(out, "offline-icmp")
    os.makedirs(offdir, exist_ok=True)
    r = subprocess.run(suricata_run.command(offdir, ["-r", pcap, "-S", rules,
                                                     "--set", "azure.flow-logs.0.path=%s" % logs]),
                       capture_output=True, text=True, timeout=120 * lv.SLOW)
    if r.returncode != 0:
        lv.log("offline: exit %d: %s" % (r.returncode, r.stderr[-400:]))
        return 1
    summary = live_parity.compare(out, ["icmp"], False)
    # The alerts the offline run must raise, so that the comparison means something.
    want = {(9870012, "ICMP"), (9870012, "IPv6-ICMP"), (9870012, "UDP"), (9870002, "UDP"),
            (1000001, "ICMP"), (1000001, "IPv6-ICMP"), (1000001, "UDP")}
    got = {(a["alert"]["signature_id"], a["proto"]) for a in lv.read_eve(os.path.join(offdir, "eve.json"))
           if a.get("event_type") == "alert"}
    lv.log("offline alerts: %s" % sorted(got))
    for p in summary["problems"]:
        lv.log("parity: " + p)
    if got != want:
        lv.log("the offline run must raise %s" % sorted(want))
        return 1
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    lv.run_main("live_late_headers", main)

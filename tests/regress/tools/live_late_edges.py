#!/usr/bin/python3
"""Live late records at the edges of the late-record path, one scenario per
run, each on af-packet (workers, 1 thread) in a network namespace of its own:

    live_late_edges.py --check       exit 0 when a live run is possible here
    live_late_edges.py --ghost-long  a UDP flow that lasts longer than the
                                     correlation window (1 s here) is gone
                                     (correlation.delay 1 s) when its end
                                     record comes: the stand-in flow the
                                     surrogate makes must fold that record,
                                     which lies in the window of the
                                     original's end, not of its start, so
                                     the rule on it fires (azure.flow_id
                                     naming the original), as offline
    live_late_edges.py --history-trim
                                     flows still in the flow table noted
                                     first in the history, then a wave of
                                     short flows that end and expire
                                     (window 0, delay 1 s), then a second
                                     wave: its notes must retire the first
                                     wave, even behind the live flows noted
                                     before it
    live_late_edges.py --release-policy
                                     correlation.delay (2 s) below the UDP
                                     established timeout (20 s): a flow
                                     whose final record came goes back to
                                     its own timeout, the established one,
                                     so a packet 12 s later is still of it
    live_late_edges.py --port-reuse  a TCP flow ended by a new SYN on its
                                     5-tuple (a reused port), whose record
                                     comes while the new flow is in the
                                     table (--port-reuse-wide: B's window
                                     holds A's records too): the
                                     surrogate must make a stand-in for the
                                     first (whose alert names it), not be
                                     taken for a packet of the second
    live_late_edges.py --port-reuse-twice
                                     two connections that used a 5-tuple in
                                     turn, both gone when their records
                                     come: a stand-in for each
    live_late_edges.py --rst-refused a connection refused with a RST, its record
                                     after it, then a retry on the same
                                     5-tuple: the header-only packets must
                                     leave the session closed, so the retry
                                     is a flow of its own

Writes OUTPUT_DIR/result.json (what the case's checks read), eve.json and
timeline.log.  Suricata shares this script's stdout."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import azblob  # noqa: E402
import packets  # noqa: E402
import pcapfile  # noqa: E402
import live_vtap as lv  # noqa: E402
import suricata_run  # noqa: E402

BLOB = ("flowLogResourceID=/X/y=2026/m=11/d=28/h=04/m=00/macAddress=000D3AF87856/PT1H.json")
CLIENT, SERVER = "10.0.0.4", "10.0.2.51"


# The veth pair's ends, as the frames name them.
MACS = {"src": bytes.fromhex("020000000001"), "dst": bytes.fromhex("020000000002")}


def udp_frame(src, dst, sport, dport, payload=b"ping"):
    return packets.ether(packets.ip(src, dst, 17, packets.udp(src, dst, sport, dport, payload)), **MACS)


def write_pcap(path, frames):
    """frames: (seconds after now, frame)."""
    now = time.time()
    pcapfile.write_frames(path, [(int(now + dt), int(((now + dt) % 1) * 1e6), fr) for dt, fr in frames])


def record(tuples, rule="R"):
    return azblob.vnet_record(tuples, guid="5f0c2a9e-0000-4000-8000-0000000000ab", rule=rule)


def suricata(ns, out, extra):
    logs = os.path.join(out, "flowlogs")
    os.makedirs(logs, exist_ok=True)
    args = ["--af-packet=" + lv.CAP, "--runmode", "workers", "--set", "af-packet.0=interface",
            "--set", "af-packet.0.interface=" + lv.CAP, "--set", "af-packet.0.threads=1",
            "--set", "af-packet.0.checksum-checks=no", "--set", "unix-command.enabled=no",
            "--set", "stats.interval=1", "--set", "azure.flow-logs.0.path=%s" % logs,
            "--set", "azure.flow-logs.0.follow=yes", "--set", "azure.bookmarks=%s/bookmarks" % out] + extra
    supp = "--suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "suricata-live.supp")
    proc = subprocess.Popen(["ip", "netns", "exec", ns.name] + suricata_run.command(out, args, valgrind_extra=[supp]),
                            preexec_fn=lv.die_with_parent)
    slog = os.path.join(out, "suricata.log")
    lv.wait_for("start", lambda: os.path.exists(slog) and "Engine started" in open(slog).read(), 30, proc)
    return proc


def commit(out, tuples, rule="R"):
    ms = int(time.time() * 1000)
    azblob.append(os.path.join(out, "flowlogs", azblob.hour_path(BLOB, ms)), [record(tuples, rule)])


def flow_records(eve, sport):
    return [r for r in lv.read_eve(eve) if r.get("event_type") == "flow" and r.get("proto") == "UDP"
            and sport in (r.get("src_port"), r.get("dest_port"))]


def ghost_long(ns, out):
    """The original flow: 4 packets over 3 s (both ways), so its start and
    its end are further apart than the window (1 s); its one record, state
    E, is stamped at its end and committed once the flow is gone."""
    eve = os.path.join(out, "eve.json")
    rules = os.path.join(out, "late.rules")
    with open(rules, "w") as f:
        f.write('alert udp any any -> any any (msg:"late record of a flow gone"; azure.decision:allow; '
                'threshold:type limit, track by_flow, count 1, seconds 3600; sid:1; rev:1;)\n')
    pcap = os.path.join(out, "in.pcap")
    write_pcap(pcap, [(0.0, udp_frame(CLIENT, SERVER, 40000, 5000)), (0.1, udp_frame(SERVER, CLIENT, 5000, 40000)),
                      (1.5, udp_frame(CLIENT, SERVER, 40000, 5000)), (3.0, udp_frame(SERVER, CLIENT, 5000, 40000))])
    proc = suricata(ns, out, ["-S", rules, "--set", "azure.correlation.window=1",
                              "--set", "azure.correlation.delay=1",
                              "--set", "flow-timeouts.udp.new=2", "--set", "flow-timeouts.udp.established=2"])
    try:
        ns.run("tcpreplay", "-q", "-i", lv.INJ, pcap)
        end_ms = int(time.time() * 1000)
        lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 4, 15, proc)
        lv.wait_for("the flow to time out", lambda: flow_records(eve, 40000), 20, proc)
        commit(out, ["%d,%s,%s,40000,5000,17,O,E,NX,2,80,2,80" % (end_ms, CLIENT, SERVER)])
        lv.wait_for("the record", lambda: lv.last_stats(eve).get("azure", {}).get("records") == 1, 15, proc)
        lv.wait_for("the surrogates", lambda: lv.last_stats(eve).get("azure", {}).get("late_surrogates", 0) >= 2,
                    15, proc)
        time.sleep(2)  # the stand-in's detection and a stats interval
        st = lv.last_stats(eve)["azure"]
    finally:
        ok = lv.stop(proc)
    flows = flow_records(eve, 40000)
    # The original has its packets; the stand-in has none (its surrogates'
    # are given back) and names the original in azure.flow_id.
    original = [r for r in flows if r["flow"]["pkts_toserver"] + r["flow"]["pkts_toclient"] > 0]
    standin = [r for r in flows if r not in original]
    alerts = [r for r in lv.read_eve(eve) if r.get("event_type") == "alert"]
    result = {
        "late_flow_gone": st.get("late_flow_gone"),
        "original_flows": len(original),
        "standin_names_original": bool(original) and len(standin) == 1 and
        standin[0].get("azure", {}).get("flow_id") == original[0]["flow_id"],
        "alerts": len(alerts),
        "alert_names_original": bool(original) and len(alerts) == 1 and
        alerts[0].get("azure", {}).get("flow_id") == original[0]["flow_id"] and
        alerts[0].get("azure", {}).get("late") is True,
    }
    return ok, proc, result


def history_trim(ns, out):
    """LIVE flows in the table for the whole run (answered, so established,
    UDP established timeout 60 s), noted first; then WAVE one-way flows
    (new, timeout 1 s) that end, and expire a second later (window 0, delay
    1 s); then WAVE more.  Each note may retire up to four expired flows of
    its stripe, so the second wave's notes retire the first wave: the
    history then holds the live flows and the second wave, not the first."""
    live, wave = 200, 1000
    eve = os.path.join(out, "eve.json")
    first = [(0.0, udp_frame(CLIENT, SERVER, 20000 + i, 5000)) for i in range(live)]
    first += [(0.01, udp_frame(SERVER, CLIENT, 5000, 20000 + i)) for i in range(live)]
    first += [(0.02, udp_frame(CLIENT, SERVER, 30000 + i, 5001)) for i in range(wave)]
    second = [(0.0, udp_frame(CLIENT, SERVER, 40000 + i, 5001)) for i in range(wave)]
    p1, p2 = os.path.join(out, "first.pcap"), os.path.join(out, "second.pcap")
    write_pcap(p1, first)
    write_pcap(p2, second)
    proc = suricata(ns, out, ["--disable-detection", "--set", "azure.correlation.window=0",
                              "--set", "azure.correlation.delay=1",
                              "--set", "flow-timeouts.udp.new=1", "--set", "flow-timeouts.udp.established=60"])
    try:
        ns.run("tcpreplay", "-q", "--topspeed", "-i", lv.INJ, p1)
        lv.wait_for("the first packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= len(first),
                    15, proc)
        # The first wave leaves the flow table (flow records), then its
        # history entries expire (delay 1 s, window 0).
        lv.wait_for("the first wave to end", lambda: len([r for r in lv.read_eve(eve) if r.get("event_type") == "flow"])
                    >= wave, 20, proc)
        time.sleep(2)
        before = lv.last_stats(eve)["azure"]["history_flows"]
        ns.run("tcpreplay", "-q", "--topspeed", "-i", lv.INJ, p2)
        lv.wait_for("the second packets",
                    lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= len(first) + len(second), 15, proc)
        time.sleep(1.5)  # a stats interval after the notes
        st = lv.last_stats(eve)["azure"]
    finally:
        ok = lv.stop(proc)
    after = st["history_flows"]
    lv.log("history_flows: %d before the second wave, %d after" % (before, after))
    result = {
        "before": before,
        # the live flows and the second wave, give or take a few first-wave
        # flows whose stripe had too few notes; not the first wave
        "first_wave_retired": after <= live + wave + wave // 10,
        "history_evicted": st.get("history_evicted"),
    }
    return ok, proc, result


def release_policy(ns, out):
    """A UDP exchange (new, then established: 20 s) with a delay of 2 s, so
    azflow raises only the new state's 1 s timeout; its final record comes
    a second later, which releases the flow.  A packet of the flow 12 s
    after the exchange must find it: Suricata's own timeout for it is the
    established one.  Counts the flow records of the 5-tuple at exit."""
    eve = os.path.join(out, "eve.json")
    p1, p2 = os.path.join(out, "exchange.pcap"), os.path.join(out, "later.pcap")
    write_pcap(p1, [(0.0, udp_frame(CLIENT, SERVER, 40000, 5000)), (0.1, udp_frame(SERVER, CLIENT, 5000, 40000))])
    write_pcap(p2, [(0.0, udp_frame(CLIENT, SERVER, 40000, 5000))])
    proc = suricata(ns, out, ["--disable-detection", "--set", "azure.correlation.delay=2",
                              "--set", "flow-timeouts.udp.new=1", "--set", "flow-timeouts.udp.established=20"])
    try:
        ns.run("tcpreplay", "-q", "-i", lv.INJ, p1)
        t0 = time.time()
        lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 2, 15, proc)
        ms = int(time.time() * 1000)
        commit(out, ["%d,%s,%s,40000,5000,17,O,E,NX,1,40,1,40" % (ms, CLIENT, SERVER)])
        lv.wait_for("the surrogates", lambda: lv.last_stats(eve).get("azure", {}).get("late_surrogates", 0) >= 2,
                    15, proc)
        lv.wait_for("the release", lambda: lv.last_stats(eve).get("azure", {}).get("flows_retained", 1) == 0,
                    15, proc)
        time.sleep(max(0.0, t0 + 12 - time.time()))
        ns.run("tcpreplay", "-q", "-i", lv.INJ, p2)
        lv.wait_for("the later packet", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 3, 15, proc)
    finally:
        ok = lv.stop(proc)
    return ok, proc, {"flow_records": len(flow_records(eve, 40000))}


def rule_a_file(out, msg):
    """A rules file of one TCP rule on the records of rule "RuleA", once per flow."""
    path = os.path.join(out, "late.rules")
    with open(path, "w") as f:
        f.write('alert tcp any any -> any any (msg:"%s"; azure.rule; content:"RuleA"; '
                'threshold:type limit, track by_flow, count 1, seconds 3600; sid:1; rev:1;)\n' % msg)
    return path


def tcp_frame(frm, to, seq, ack, flags):
    """frm, to: (address, port)."""
    return packets.ether(packets.ip(frm[0], to[0], 6, packets.tcp(frm[0], to[0], frm[1], to[1], seq, ack, flags)),
                         **MACS)


def tcp_session(t0, isn_c, isn_s, close):
    """(time, frame) of a handshake 40001 -> 445, and its close by both."""
    c, s, A, F, S = (CLIENT, 40001), (SERVER, 445), packets.ACK, packets.FIN, packets.SYN
    out = [(t0, tcp_frame(c, s, isn_c, 0, S)), (t0 + 0.01, tcp_frame(s, c, isn_s, isn_c + 1, S | A)),
           (t0 + 0.02, tcp_frame(c, s, isn_c + 1, isn_s + 1, A))]
    if close:
        out += [(t0 + 0.03, tcp_frame(c, s, isn_c + 1, isn_s + 1, F | A)),
                (t0 + 0.04, tcp_frame(s, c, isn_s + 1, isn_c + 2, F | A)),
                (t0 + 0.05, tcp_frame(c, s, isn_c + 2, isn_s + 2, A))]
    return out


def reuse_run(ns, out, sessions, window, extra=()):
    """Writes the sessions (tcp_session lists) on one 5-tuple into one
    capture and starts Suricata on the RuleA rule with `window`, a delay of
    60 s and long TCP timeouts; returns the capture's path and Suricata."""
    rules = rule_a_file(out, "late record of a flow whose port was reused")
    pcap = os.path.join(out, "in.pcap")
    write_pcap(pcap, [frame for session in sessions for frame in session])
    return pcap, suricata(ns, out, ["-S", rules, "--set", "azure.correlation.window=%d" % window,
                                    "--set", "azure.correlation.delay=60",
                                    "--set", "flow-timeouts.tcp.established=60",
                                    "--set", "flow-timeouts.tcp.closed=60"] + list(extra))


def port_reuse(ns, out, window=1):
    """TCP flow A: a handshake and a close.  Azflow holds it for its
    records, but flow B's SYN on the same 5-tuple 3 s later (a reused port)
    makes Suricata end A and start B.  A's records (stamped at A's packets,
    outside B's window of 1 s) come while B is in the table, in two
    commits: only A can fold them, so only a stand-in for A raises the rule
    on them (naming A), and the one stand-in must last from the first
    commit to the second (one alert, as offline).  Without a stand-in the
    surrogates are handled as B's packets and the alert is lost; with one
    per commit, the alert is raised twice.

    With a window of 10 s (--port-reuse-wide), B's window also holds A's
    records, so B folds them and alerts too (offline as well), but A's end
    record is not B's: B must stay held for records of its own."""
    eve = os.path.join(out, "eve.json")
    pcap, proc = reuse_run(ns, out, [tcp_session(0.0, 1000, 5000, True), tcp_session(3.0, 90000, 70000, False)],
                           window, ["--set", "flow-timeouts.tcp.new=2"])
    try:
        a_ms = int(time.time() * 1000)
        ns.run("tcpreplay", "-q", "-i", lv.INJ, pcap)
        lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 9, 15, proc)
        lv.wait_for("flow A's end", lambda: tcp_flow_records(eve), 15, proc)
        # A's begin record, then its end record in a later commit, after
        # the flow manager has had time to look at the stand-in's row: the
        # stand-in must still be there (one flow, one alert, as offline).
        commit(out, ["%d,%s,%s,40001,445,6,I,B,NX,,,," % (a_ms, CLIENT, SERVER)], rule="RuleA")
        lv.wait_for("the begin record's surrogates",
                    lambda: lv.last_stats(eve).get("azure", {}).get("late_surrogates", 0) >= 2, 15, proc)
        time.sleep(12)  # a whole pass of the flow manager (10 s at a low load)
        commit(out, ["%d,%s,%s,40001,445,6,I,E,NX,3,162,2,108" % (a_ms + 50, CLIENT, SERVER)], rule="RuleA")
        lv.wait_for("the end record's surrogates",
                    lambda: lv.last_stats(eve).get("azure", {}).get("late_surrogates", 0) >= 4, 15, proc)
        time.sleep(2)  # the surrogates' detection and a stats interval
        st = lv.last_stats(eve)["azure"]
    finally:
        ok = lv.stop(proc)
    flows = tcp_flow_records(eve)
    a = [r for r in flows if r["flow"]["pkts_toserver"] == 4]
    b = [r for r in flows if r["flow"]["pkts_toserver"] == 2]
    alerts = [r for r in lv.read_eve(eve) if r.get("event_type") == "alert"]
    a_id = a[0]["flow_id"] if len(a) == 1 else None
    b_id = b[0]["flow_id"] if len(b) == 1 else None
    result = {
        "late_flow_gone": st.get("late_flow_gone"),
        "flows_retain_evicted": st.get("flows_retain_evicted"),
        "flows_retained": st.get("flows_retained"),  # B, still waiting for its own records
        "flows": len(flows),
        "alerts": len(alerts),
        # late, on a stand-in that names A
        "alerts_naming_a": sum(1 for r in alerts if a_id is not None and r["flow_id"] != b_id and
                               r.get("azure", {}).get("flow_id") == a_id and r.get("azure", {}).get("late") is True),
        "alerts_on_b": sum(1 for r in alerts if b_id is not None and r["flow_id"] == b_id),
        "b_not_a_stand_in": len(b) == 1 and "flow_id" not in (b[0].get("azure") or {}),
    }
    return ok, proc, result


def port_reuse_twice(ns, out):
    """Two connections on one 5-tuple in turn, A1 then A2 3 s later, each
    ended by the next one's SYN (A2, then B 3 s after it); the records of
    both come in one commit while B is in the table.  Each must get a
    stand-in of its own: one shared stand-in would hold A1's window only,
    and A2's record would raise nothing."""
    eve = os.path.join(out, "eve.json")
    pcap, proc = reuse_run(ns, out, [tcp_session(0.0, 1000, 5000, True), tcp_session(3.0, 40000, 50000, True),
                                     tcp_session(6.0, 90000, 70000, False)], 1)
    try:
        t0 = int(time.time() * 1000)
        ns.run("tcpreplay", "-q", "-i", lv.INJ, pcap)
        lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 15, 20, proc)
        lv.wait_for("A1's and A2's ends", lambda: len(tcp_flow_records(eve)) >= 2, 15, proc)
        commit(out, ["%d,%s,%s,40001,445,6,I,B,NX,,,," % (t0, CLIENT, SERVER),
                     "%d,%s,%s,40001,445,6,I,E,NX,3,162,2,108" % (t0 + 50, CLIENT, SERVER),
                     "%d,%s,%s,40001,445,6,I,B,NX,,,," % (t0 + 3000, CLIENT, SERVER),
                     "%d,%s,%s,40001,445,6,I,E,NX,3,162,2,108" % (t0 + 3050, CLIENT, SERVER)], rule="RuleA")
        lv.wait_for("the surrogates", lambda: lv.last_stats(eve).get("azure", {}).get("late_surrogates", 0) >= 4,
                    15, proc)
        time.sleep(2)  # the surrogates' detection and a stats interval
        st = lv.last_stats(eve)["azure"]
    finally:
        ok = lv.stop(proc)
    flows = tcp_flow_records(eve)
    ended = sorted((r for r in flows if r["flow"]["pkts_toserver"] == 4), key=lambda r: r["flow"]["start"])
    alerts = [r for r in lv.read_eve(eve) if r.get("event_type") == "alert"]

    def naming(r0):
        return sum(1 for r in alerts if r.get("azure", {}).get("flow_id") == r0["flow_id"] and
                   r.get("azure", {}).get("late") is True)
    return ok, proc, {
        "late_flow_gone": st.get("late_flow_gone"),
        "flows": len(flows),
        "alerts": len(alerts),
        "alerts_naming": [naming(r) for r in ended],
    }


def rst_refused(ns, out):
    """A connection refused by the server (SYN, then RST/ACK), held for its
    record, which comes after; then the client's retry on the same source
    port (a new SYN, a new ISN).  The header-only packet from the server's
    side must not make Suricata take the closed session for half-open: the
    refused flow stays `closed`, and the retry is a flow of its own."""
    eve = os.path.join(out, "eve.json")
    rules = rule_a_file(out, "late record of a refused connection")
    c, s_ = (CLIENT, 40002), (SERVER, 3389)
    refused = os.path.join(out, "refused.pcap")
    retry = os.path.join(out, "retry.pcap")
    write_pcap(refused, [(0.0, tcp_frame(c, s_, 1000, 0, packets.SYN)),
                         (0.01, tcp_frame(s_, c, 0, 1001, packets.RST | packets.ACK))])
    write_pcap(retry, [(0.0, tcp_frame(c, s_, 777000, 0, packets.SYN))])
    proc = suricata(ns, out, ["-S", rules, "--set", "azure.correlation.delay=60",
                              "--set", "flow-timeouts.tcp.closed=60"])
    try:
        ms = int(time.time() * 1000)
        ns.run("tcpreplay", "-q", "-i", lv.INJ, refused)
        lv.wait_for("the packets", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 2, 15, proc)
        commit(out, ["%d,%s,%s,40002,3389,6,I,E,NX,1,54,1,54" % (ms, CLIENT, SERVER)], rule="RuleA")
        lv.wait_for("the surrogates", lambda: lv.last_stats(eve).get("azure", {}).get("late_surrogates", 0) >= 2,
                    15, proc)
        time.sleep(1)  # through the worker
        ns.run("tcpreplay", "-q", "-i", lv.INJ, retry)
        lv.wait_for("the retry", lambda: lv.last_stats(eve).get("decoder", {}).get("pkts", 0) >= 3, 15, proc)
        time.sleep(1)
    finally:
        ok = lv.stop(proc)
    flows = tcp_flow_records(eve)
    alerts = [r for r in lv.read_eve(eve) if r.get("event_type") == "alert"]
    return ok, proc, {
        "flows": len(flows),
        "states": sorted(str((r.get("tcp") or {}).get("state")) for r in flows),
        "alerts": len(alerts),
    }


def tcp_flow_records(eve):
    return [r for r in lv.read_eve(eve) if r.get("event_type") == "flow" and r.get("proto") == "TCP"]


def main():
    out = os.environ["OUTPUT_DIR"]
    scenario = (ghost_long if "--ghost-long" in sys.argv else
                release_policy if "--release-policy" in sys.argv else
                port_reuse if "--port-reuse" in sys.argv else
                (lambda ns, out: port_reuse(ns, out, window=10)) if "--port-reuse-wide" in sys.argv else
                rst_refused if "--rst-refused" in sys.argv else
                port_reuse_twice if "--port-reuse-twice" in sys.argv else history_trim)
    with lv.Netns() as ns:
        ok, proc, result = scenario(ns, out)
    with open(os.path.join(out, "result.json"), "w") as f:
        f.write(json.dumps(result, sort_keys=True) + "\n")
    lv.log("result: %s" % json.dumps(result, sort_keys=True))
    if not ok:
        return 1
    lv.log("Suricata exited: %d" % proc.returncode)
    return proc.returncode


if __name__ == "__main__":
    lv.run_main("live_late_edges", main)

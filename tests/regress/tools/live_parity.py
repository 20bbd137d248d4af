#!/usr/bin/python3
"""Live parity: every flow-log record arrives after its flow's packets, and
the live alerts must be the offline ones.

    live_parity.py --check          exit 0 when a live run is possible here
    live_parity.py [--capture-mode] the run; exit 0 when live == offline
    live_parity.py --gone           the same, but correlation.delay is 1 s and every
                                    record comes after its flow left the table:
                                    exit 0 when the alerts that still fire name
                                    the mirrored flow (azure.flow_id)

Inputs are the two vTAP scenarios of the corpus, which between them make
every shipped rule fire: pcap-corpus/vtap (VXLAN as Azure mirrors it) and
pcap-corpus/cleartext, decapsulated here to its inner frames so that the
kernel's fanout spreads its flows over both workers (a VXLAN mirror is one
outer flow, which one worker owns).

1. offline  `suricata -r` of each capture with its blob preloaded (capture
            mode: --capture-plugin=azure with azure.capture.input);
2. live     Suricata on af-packet `cap0` in workers mode with 2 threads
            (cluster_flow) — or capture mode on the interface — in a network
            namespace of its own, following an empty blob folder; both
            captures are replayed into `inj0` with tcpreplay;
3. after    half the flows' records are committed at once, the other half
            (in reverse order) once every flow has outlived its timeout
            (tcp 3 s, udp 2 s), so those flows exist only because azflow
            holds them for their records;
4. compare  the alerts: the same (sid, proto, src, sport, dst, dport), one
            each, with the same azure facts (`late` and ids aside); every
            live alert says `"late": true`, names the flow_id of the
            mirrored flow's own EVE flow record and its start; the flow
            records carry the same azure facts live as offline.

Tuple times are moved to the replay time (live packet time is the clock),
keeping each flow's begin -> end spacing.  Writes $OUTPUT_DIR/{offline-*,
live}/eve.json, timeline.log and parity.json (what was compared).
"""
import json
import os
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import azblob  # noqa: E402
import live_vtap as lv  # noqa: E402  (netns, waits, EVE reading)
import pcapfile  # noqa: E402
import suricata_run  # noqa: E402

SRCDIR = lv.SRCDIR
SCENARIOS = ("vtap", "cleartext")
RULES = os.path.join(SRCDIR, "signatures", "azure.rules")
# Inner flows of the two captures (pcap-corpus/*/MANIFEST: mirrored ones).
INNER_FLOWS = 6 + 15
# Short flow timeouts, the same in both runs: live, without azflow holding
# them, every flow would be gone before the second half of its records.
TIMEOUTS = [
    "--set", "flow-timeouts.tcp.new=3", "--set", "flow-timeouts.tcp.established=3",
    "--set", "flow-timeouts.tcp.closed=3",
    "--set", "flow-timeouts.udp.new=2", "--set", "flow-timeouts.udp.established=2",
    "--set", "flow-timeouts.tcp.emergency-new=1", "--set", "flow-timeouts.tcp.emergency-established=1",
    "--set", "flow-timeouts.tcp.emergency-closed=1", "--set", "flow-timeouts.udp.emergency-new=1",
    "--set", "flow-timeouts.udp.emergency-established=1",
]
# Fields of the azure object that are not facts of the records.
# `capture` names the input file (capture mode, offline): packet metadata.
NOT_FACTS = ("late", "flow_id", "capture")


def decap_vxlan(src, dst):
    """Writes the inner Ethernet frames of src's VXLAN (UDP 4789) frames to dst;
    other frames pass unchanged."""
    hdr, order, recs = pcapfile.read(src)
    out = []
    for r in recs:
        frame = r.frame
        if len(frame) > 14 + 20 + 8 + 8 and frame[12:14] == b"\x08\x00":
            ihl = (frame[14] & 0x0F) * 4
            udp = 14 + ihl
            if frame[23] == 17 and struct.unpack(">H", frame[udp + 2:udp + 4])[0] == 4789:
                frame = frame[udp + 16:]
        out.append(r._replace(orig=len(frame), frame=frame))
    pcapfile.write(dst, hdr, order, out)


def captures(out):
    """(scenario, pcap, blob folder) as both runs read them."""
    inner = os.path.join(out, "cleartext-inner.pcap")
    decap_vxlan(os.path.join(SRCDIR, "pcap-corpus", "cleartext", "mirror.pcap"), inner)
    return [("vtap", os.path.join(SRCDIR, "pcap-corpus", "vtap", "mirror.pcap")), ("cleartext", inner)]


def frames(pcap):
    return len(pcapfile.read(pcap)[2])


def run_offline(out, capture_mode, caps):
    for name, pcap in caps:
        logdir = os.path.join(out, "offline-" + name)
        os.makedirs(logdir, exist_ok=True)
        blobs = os.path.join(SRCDIR, "pcap-corpus", name, "vnet")
        src = (["--capture-plugin=azure", "--set", "azure.capture.input=%s" % pcap] if capture_mode
               else ["-r", pcap])
        cmd = suricata_run.command(logdir, src + TIMEOUTS + ["-S", RULES, "--set", "azure.flow-logs.0.path=%s" % blobs])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120 * lv.SLOW)
        if r.returncode != 0:
            raise RuntimeError("offline %s: exit %d: %s" % (name, r.returncode, r.stderr[-400:]))
        lv.log("offline %s: done" % name)


def facts(az):
    return {k: v for k, v in (az or {}).items() if k not in NOT_FACTS}


def key(r):
    return (r.get("proto"), r.get("src_ip"), r.get("src_port"), r.get("dest_ip"), r.get("dest_port"))


def flow_key(r):
    """A flow record's 5-tuple in either orientation."""
    a = (r.get("src_ip"), r.get("src_port"))
    b = (r.get("dest_ip"), r.get("dest_port"))
    return (r.get("proto"),) + (a + b if a <= b else b + a)


def compare(out, names, capture_mode):
    problems = []
    offline = []
    for name in names:
        offline += lv.read_eve(os.path.join(out, "offline-" + name, "eve.json"))
    live = lv.read_eve(os.path.join(out, "live", "eve.json"))
    # Cloud-only flows (capture mode's synthetic packets) are not late: they
    # are compared like the rest, but only mirrored flows must say late.
    def alerts(evs):
        got = {}
        for r in evs:
            if r.get("event_type") != "alert":
                continue
            k = (r["alert"]["signature_id"],) + key(r)
            got.setdefault(k, []).append(r)
        return got
    a_off, a_live = alerts(offline), alerts(live)
    if not a_off:
        problems.append("the offline runs raised no alert: nothing to compare")
    for k in sorted(set(a_off) | set(a_live), key=str):
        o, l = a_off.get(k, []), a_live.get(k, [])
        if len(o) != len(l):
            problems.append("alert %s: %d offline, %d live" % (k, len(o), len(l)))
            continue
        for ro, rl in zip(o, l):
            if facts(ro.get("azure")) != facts(rl.get("azure")):
                problems.append("alert %s: azure facts differ:\n    offline %s\n    live    %s" %
                                (k, json.dumps(facts(ro.get("azure")), sort_keys=True),
                                 json.dumps(facts(rl.get("azure")), sort_keys=True)))
    # Live alerts on mirrored flows are late and join their flow's records.
    flows_live = {}
    for r in live:
        if r.get("event_type") == "flow":
            flows_live.setdefault(r["flow_id"], r)
    late = 0
    for k, rs in a_live.items():
        for r in rs:
            mirrored = (r.get("azure") or {}).get("mirrored")
            if not mirrored:
                continue
            if (r.get("azure") or {}).get("late") is not True:
                problems.append("live alert %s on a mirrored flow does not say azure.late" % (k,))
                continue
            late += 1
            fid = (r.get("azure") or {}).get("flow_id", r.get("flow_id"))
            f = flows_live.get(fid)
            if f is None:
                problems.append("live alert %s: no flow record with its flow_id %s" % (k, fid))
            elif f["flow"]["start"] != r["flow"]["start"] or flow_key(f) != flow_key(r):
                problems.append("live alert %s: flow record %s is another flow (start %s vs %s)" %
                                (k, fid, f["flow"]["start"], r["flow"]["start"]))
    # The mirrored flows' own records carry the same facts.
    def flow_facts(evs):
        got = {}
        for r in evs:
            if r.get("event_type") == "flow" and r.get("dest_port") != 4789 and (r.get("azure") or {}).get("mirrored"):
                got.setdefault(flow_key(r), []).append(facts(r.get("azure")))
        return got
    f_off, f_live = flow_facts(offline), flow_facts(live)
    for k in sorted(set(f_off) | set(f_live), key=str):
        if f_off.get(k) != f_live.get(k):
            problems.append("flow %s: azure facts differ:\n    offline %s\n    live    %s" %
                            (k, f_off.get(k), f_live.get(k)))
    summary = {"alerts_offline": sum(len(v) for v in a_off.values()),
               "alerts_live": sum(len(v) for v in a_live.values()),
               "alerts_live_late": late, "flows_compared": len(f_off), "problems": problems,
               "sids": sorted({k[0] for k in a_off})}
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def check_gone(out):
    """Records later than the delay: the surrogate found no flow and made one;
    its alerts and flow record must name the mirrored flow in azure.flow_id."""
    live = lv.read_eve(os.path.join(out, "live", "eve.json"))
    problems = []
    # The mirrored flows' own records (the stand-ins carry azure.flow_id).
    # A stand-in starts when its flow did, on the same flow hash, so Suricata
    # gives it the same flow_id: the join works either way.
    originals = {}
    for r in live:
        if r.get("event_type") == "flow" and "flow_id" not in (r.get("azure") or {}):
            originals.setdefault(r["flow_id"], r)
    named = 0
    for r in live:
        if r.get("event_type") not in ("alert", "flow"):
            continue
        az = r.get("azure") or {}
        if "flow_id" not in az:
            continue
        named += 1
        orig = originals.get(az["flow_id"])
        if orig is None:
            problems.append("%s %s: azure.flow_id %s names no mirrored flow's record" % (
                r["event_type"], key(r), az["flow_id"]))
        elif flow_key(orig) != flow_key(r) or orig["flow"]["start"] != r["flow"]["start"]:
            problems.append("%s %s: azure.flow_id %s names another 5-tuple or start" % (
                r["event_type"], key(r), az["flow_id"]))
    alerts = [r for r in live if r.get("event_type") == "alert"]
    if not any("flow_id" in (r.get("azure") or {}) and (r.get("azure") or {}).get("late") for r in alerts):
        problems.append("no late alert names its mirrored flow in azure.flow_id")
    stats = [r["stats"] for r in live if r.get("event_type") == "stats"]
    gone = stats[-1].get("azure", {}).get("late_flow_gone", 0) if stats else 0
    if gone == 0:
        problems.append("stats azure.late_flow_gone is 0")
    summary = {"records_naming_flow": named, "alerts": len(alerts), "late_flow_gone": gone, "problems": problems}
    with open(os.path.join(out, "gone.json"), "w") as f:
        json.dump(summary, f, indent=1)
    return summary


def main():
    capture_mode = "--capture-mode" in sys.argv
    gone = "--gone" in sys.argv
    out = os.environ["OUTPUT_DIR"]
    caps = captures(out)
    if not gone:
        run_offline(out, capture_mode, caps)

    livedir = os.path.join(out, "live")
    logs, bookmarks = os.path.join(livedir, "flowlogs"), os.path.join(livedir, "bookmarks")
    eve, slog = os.path.join(livedir, "eve.json"), os.path.join(livedir, "suricata.log")
    os.makedirs(logs, exist_ok=True)
    if capture_mode:
        source = ["--capture-plugin=azure", "--set", "azure.capture.interface=%s" % lv.CAP]
    else:
        source = ["--af-packet=%s" % lv.CAP, "--runmode", "workers",
                  "--set", "af-packet.0=interface", "--set", "af-packet.0.interface=%s" % lv.CAP,
                  "--set", "af-packet.0.threads=2", "--set", "af-packet.0.cluster-id=98",
                  "--set", "af-packet.0.cluster-type=cluster_flow",
                  "--set", "af-packet.0.checksum-checks=no"]
    args = source + [
        "--set", "unix-command.enabled=no", "--set", "stats.interval=1",
        *TIMEOUTS,
        "-S", RULES,
        "--set", "azure.flow-logs.0.path=%s" % logs, "--set", "azure.flow-logs.0.follow=yes",
        "--set", "azure.bookmarks=%s" % bookmarks,
    ] + (["--set", "azure.correlation.delay=1"] if gone else [])
    blobs = []
    for name, _ in caps:
        rel, records = azblob.corpus_blob(os.path.join(SRCDIR, "pcap-corpus", name, "vnet"))
        blobs.append((name, rel, records))
    expect_pkts = sum(frames(p) for _, p in caps)
    proc = None
    with lv.Netns() as ns:
        cmd = ["ip", "netns", "exec", ns.name] + suricata_run.command(livedir, args, valgrind_extra=[
            "--suppressions=" + os.path.join(HERE, "suricata-live.supp")])
        lv.log("starting: %s" % " ".join(cmd))
        proc = subprocess.Popen(cmd, preexec_fn=lv.die_with_parent)
        try:
            lv.wait_for("Suricata to start", lambda: os.path.exists(slog) and
                        "Engine started" in open(slog, errors="replace").read(), 30, proc)
            if capture_mode:
                # Capture mode opens the interface when its thread runs,
                # which can be after "Engine started" is logged.
                time.sleep(1.5 * lv.SLOW)
            replay_ms = int(time.time() * 1000)
            for name, pcap in caps:
                r = ns.run("tcpreplay", "-q", "--topspeed", "-i", lv.INJ, pcap)
                lv.log("tcpreplay %s: %s" % (name, " ".join(r.stdout.split()[:6])))
            lv.wait_for("Suricata to decode the replayed packets", lambda: lv.last_stats(eve).get(
                "decoder", {}).get("pkts", 0) >= expect_pkts, 15, proc)
            lv.log("all %d packets seen" % expect_pkts)

            # Every record after its flow's packets: a first half now, the
            # rest (newest first) after every flow's own timeout.
            batches = ([], [])
            for name, rel, records in blobs:
                moved = azblob.rebase(records, replay_ms)
                for i, rec in enumerate(moved):
                    batches[i % 2].append((name, rel, rec))
            total = 0
            for n, batch in enumerate((batches[0], list(reversed(batches[1])))):
                if n == 1:
                    time.sleep(5)
                    lv.log("every flow has outlived its timeout")
                if gone and n == 0:
                    # Gone: every inner flow has been logged (and freed).
                    lv.wait_for("every inner flow to be logged", lambda: sum(
                        1 for r in lv.read_eve(eve) if r.get("event_type") == "flow" and
                        r.get("dest_port") != 4789) >= INNER_FLOWS, 30, proc)
                    lv.log("every inner flow logged")
                for name, rel, rec in batch:
                    blob = os.path.join(logs, name, azblob.hour_path(rel, replay_ms))
                    azblob.append(blob, [rec])
                    total += sum(1 for _ in azblob.tuples([rec]))
                lv.log("batch %d committed: %d records, %d tuples so far" % (n + 1, len(batch), total))
            lv.wait_for("stats azure.records == %d" % total,
                        lambda: lv.last_stats(eve).get("azure", {}).get("records") == total, 15, proc)
            # The sender waits for a poll's records to settle, then the
            # workers take the surrogates on their next capture timeout.
            time.sleep(2 * lv.SLOW)
            st = lv.last_stats(eve).get("azure", {})
            lv.log("stats: late_surrogates %s, flows_retained %s, history_flows %s" %
                   (st.get("late_surrogates"), st.get("flows_retained"), st.get("history_flows")))
        finally:
            if not lv.stop(proc):
                return 1
        lv.log("Suricata exited: %d" % proc.returncode)
    if proc.returncode != 0:
        return proc.returncode
    if gone:
        summary = check_gone(out)
        lv.log("gone: %d records name their mirrored flow, %d alerts, late_flow_gone %d" % (
            summary["records_naming_flow"], summary["alerts"], summary["late_flow_gone"]))
        for p in summary["problems"]:
            lv.log("PROBLEM " + p)
        return 1 if summary["problems"] else 0
    summary = compare(out, [n for n, _ in caps], capture_mode)
    lv.log("compared: %d alerts offline, %d live (%d late), %d flows" % (
        summary["alerts_offline"], summary["alerts_live"], summary["alerts_live_late"], summary["flows_compared"]))
    for p in summary["problems"]:
        lv.log("DIFFERENCE " + p)
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    lv.run_main("live_parity", main)

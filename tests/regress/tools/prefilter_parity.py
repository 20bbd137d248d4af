#!/usr/bin/python3
"""The rule engine changes when rules are evaluated, never what they find.

    prefilter_parity.py RULES CORPUS...      (a CORPUS is PCAP:FLOWLOG-DIR[:STRETCH])

For each corpus, runs Suricata with the plugin and RULES twice, with the
engine (default) and with `azure.detect.prefilter: no`, and fails unless
both runs raise the same alerts: the same (sid, 5-tuple, pcap_cnt,
timestamp) with the same multiplicity.  Also fails when the engine did no
work (its stats counters stay 0) or worked when switched off, and when the
runs raise no alert at all for a sid of RULES marked `# parity: fires`
(so the comparison cannot pass by having nothing to compare).  Output goes
to $OUTPUT_DIR/<corpus>-{on,off}.

STRETCH (an integer) first rewrites the pcap's timestamps so that each
packet's offset within its 10-second slot is STRETCH times longer: the
corpora's flows last milliseconds, stretched they outlive short `limit`
windows while their facts stay the same, which is what the engine's window
re-evaluation is for.
"""
import collections
import json
import os
import re
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suricata_run  # noqa: E402


def alerts_and_stats(logdir):
    alerts = collections.Counter()
    stats = None
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event_type") == "alert":
                alerts[(e["alert"]["signature_id"], e.get("src_ip"), e.get("src_port"),
                        e.get("dest_ip"), e.get("dest_port"), e.get("proto"),
                        e.get("pcap_cnt"), e["timestamp"])] += 1
            elif e.get("event_type") == "stats":
                stats = e["stats"]
    return alerts, (stats or {}).get("azure", {})


def stretch(src, dst, factor):
    """Copies a little-endian microsecond pcap, stretching time within 10 s slots."""
    with open(src, "rb") as f:
        data = f.read()
    if struct.unpack_from("<I", data, 0)[0] != 0xA1B2C3D4:
        sys.exit("prefilter_parity: %s: not a little-endian microsecond pcap" % src)
    out, off = [data[:24]], 24
    while off + 16 <= len(data):
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
        t = sec * 1000000 + usec
        slot = t - t % 10000000
        t = slot + (t - slot) * factor
        out.append(struct.pack("<IIII", t // 1000000, t % 1000000, incl, orig))
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    with open(dst, "wb") as f:
        f.write(b"".join(out))


def run(name, rules, pcap, logs, engine):
    logdir = os.path.join(os.environ["OUTPUT_DIR"], "%s-%s" % (name, "on" if engine else "off"))
    shutil.rmtree(logdir, ignore_errors=True)  # Suricata appends to an existing eve.json
    os.makedirs(logdir)
    args = ["-r", pcap, "-S", rules, "--set", "azure.flow-logs.0.path=%s" % logs]
    if not engine:
        args += ["--set", "azure.detect.prefilter=no"]
    with open(os.path.join(logdir, "stderr"), "w") as err:
        rc = subprocess.run(suricata_run.command(logdir, args), stdout=err, stderr=err).returncode
    if rc != 0:
        sys.exit("prefilter_parity: %s: Suricata exited %d (see %s/stderr)" % (logdir, rc, logdir))
    return alerts_and_stats(logdir)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rules = sys.argv[1]
    must_fire = set(int(m) for m in re.findall(r"metadata:parity fires; sid:(\d+);", open(rules).read()))
    fired = collections.Counter()
    failed = False
    for corpus in sys.argv[2:]:
        pcap, logs, factor = (corpus.split(":") + [None])[:3]
        name = os.path.basename(os.path.dirname(pcap)) + "-" + os.path.basename(logs)
        if factor:
            name += "-x" + factor
            stretched = os.path.join(os.environ["OUTPUT_DIR"], name + ".pcap")
            stretch(pcap, stretched, int(factor))
            pcap = stretched
        on, on_stats = run(name, rules, pcap, logs, True)
        off, off_stats = run(name, rules, pcap, logs, False)
        for k, n in on.items():
            fired[k[0]] += n
        per_sid = collections.Counter()
        for k, n in on.items():
            per_sid[k[0]] += n
        print("%s: %d alerts with the engine, %d without; per sid %s; engine calls %s, key "
              "changes %s, candidates %s" % (name, sum(on.values()), sum(off.values()),
                                             dict(sorted(per_sid.items())),
                                             on_stats.get("detect_calls"),
                                             on_stats.get("detect_key_changes"),
                                             on_stats.get("detect_candidates")))
        if on != off:
            failed = True
            for k in sorted(set(on) | set(off)):
                if on.get(k, 0) != off.get(k, 0):
                    print("  DIFFERS %s: %d with the engine, %d without" % (k, on.get(k, 0),
                                                                           off.get(k, 0)))
        for key in ("detect_calls", "detect_key_changes", "detect_candidates"):
            if not on_stats.get(key):
                failed = True
                print("  engine on: azure.%s is %r, expected > 0" % (key, on_stats.get(key)))
            if off_stats.get(key):
                failed = True
                print("  engine off: azure.%s is %r, expected 0" % (key, off_stats.get(key)))
    for sid in sorted(must_fire - set(fired)):
        failed = True
        print("sid %d never fired: nothing compared for it" % sid)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

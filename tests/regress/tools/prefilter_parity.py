#!/usr/bin/python3
"""The rule engine changes when rules are evaluated, never what they find.

    prefilter_parity.py [--alone] [--buckets N] RULES CORPUS...
                                    (a CORPUS is PCAP:FLOWLOG-DIR[:STRETCH])

For each corpus, runs Suricata with the plugin and RULES three times: with
the engine (default), with `azure.detect.prefilter: no`, and with the
engine but without `azure_flow` events, so that flows make their state on
demand and the engine's digest test rules out flows no rule could match
(without those events every flow has a state from its first packet).  It
fails unless all runs raise the same alerts: the same (sid, 5-tuple,
pcap_cnt, timestamp) with the same multiplicity.  Also fails when the engine did no
work (its stats counters stay 0) or worked when switched off, and when the
runs raise no alert at all for a sid of RULES marked `# parity: fires`
(so the comparison cannot pass by having nothing to compare).  Output goes
to $OUTPUT_DIR/<corpus>-{on,off}.

--alone: then runs each `parity fires` rule of RULES on its own, with states
on demand and without the engine, on the first corpus where it fired: a
rule alone is the only one that can keep its flows from being ruled out, so
each kind of condition the digest test judges is checked by itself; and
fails unless the digest test ruled some flow out with the whole set.  Not
under valgrind (REGRESS_VALGRIND), whose runs take too long for that; the
plain and sanitizer runs do it.

--buckets N: every run with the hidden `azure.detect.buckets: N` (a power
of two), the index's hash and the digest's slots; fails unless some
corpus's flow logs have more keys (5-tuples) than N, so that keys share
digest slots as they do at a million records (the committed corpora's few
hundred keys otherwise get a slot each).

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
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pcapfile  # noqa: E402
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


def record_keys(logs):
    """How many index keys (5-tuples, either way round) the flow-log tree's
    tuples have, by `azflow decode` ($TOOL)."""
    paths = [os.path.join(d, n) for d, _, names in os.walk(logs) for n in names
             if n.endswith(".json")]
    out = subprocess.run([os.environ["TOOL"], "decode"] + sorted(paths), capture_output=True,
                         text=True, check=True).stdout
    keys = set()
    for line in out.splitlines():
        t = json.loads(line)
        ends = sorted([(t["src_ip"], t.get("src_port")), (t["dest_ip"], t.get("dest_port"))],
                      key=repr)
        keys.add((t["proto"],) + tuple(ends))
    return len(keys)


def stretch(src, dst, factor):
    """Copies a microsecond pcap, stretching time within 10 s slots."""
    hdr, order, recs = pcapfile.read(src)
    if hdr[:4] not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"):
        sys.exit("prefilter_parity: %s: not a microsecond pcap" % src)
    out = []
    for r in recs:
        t = r.ts_s * 1000000 + r.ts_frac
        slot = t - t % 10000000
        t = slot + (t - slot) * factor
        out.append(r._replace(ts_s=t // 1000000, ts_frac=t % 1000000))
    pcapfile.write(dst, hdr, order, out)


BUCKETS = None  # --buckets


def run(name, rules, pcap, logs, engine, on_demand=False):
    label = "on-demand" if on_demand else "on" if engine else "off"
    logdir = os.path.join(os.environ["OUTPUT_DIR"], "%s-%s" % (name, label))
    shutil.rmtree(logdir, ignore_errors=True)  # Suricata appends to an existing eve.json
    os.makedirs(logdir)
    args = ["-r", pcap, "-S", rules, "--set", "azure.flow-logs.0.path=%s" % logs]
    if BUCKETS:
        args += ["--set", "azure.detect.buckets=%d" % BUCKETS]
    if not engine:
        args += ["--set", "azure.detect.prefilter=no"]
    yaml = without_azure_flow(logdir) if on_demand else None
    with open(os.path.join(logdir, "stderr"), "w") as err:
        rc = subprocess.run(suricata_run.command(logdir, args, yaml=yaml), stdout=err,
                            stderr=err).returncode
    if rc != 0:
        sys.exit("prefilter_parity: %s: Suricata exited %d (see %s/stderr)" % (logdir, rc, logdir))
    return alerts_and_stats(logdir)


def without_azure_flow(logdir):
    """The regression config less its `azure_flow` event type."""
    src = os.environ.get("SURICATA_YAML") or os.path.join(os.environ["SRCDIR"], "tests", "regress",
                                                           "suricata.yaml")
    with open(src) as f:
        lines = f.readlines()
    kept = [line for line in lines if line.strip() != "- azure_flow"]
    if len(kept) != len(lines) - 1:
        sys.exit("prefilter_parity: %s: expected one '- azure_flow' line" % src)
    dst = os.path.join(logdir, "suricata-no-azure-flow.yaml")
    with open(dst, "w") as f:
        f.writelines(kept)
    return dst


def alone(rule_line, sid, pcap, logs, name):
    """One rule by itself: the same alerts with states on demand as without the engine."""
    path = os.path.join(os.environ["OUTPUT_DIR"], "alone-%d.rules" % sid)
    with open(path, "w") as f:
        f.write(rule_line)
    demand, stats = run("%s-alone-%d" % (name, sid), path, pcap, logs, True, on_demand=True)
    off, _ = run("%s-alone-%d" % (name, sid), path, pcap, logs, False)
    print("sid %d alone on %s: %d alerts with states on demand (%s flows ruled out), %d without "
          "the engine" % (sid, name, sum(demand.values()), stats.get("detect_flows_unmatchable"),
                          sum(off.values())))
    return demand == off and sum(off.values()) > 0


def main():
    global BUCKETS
    args = sys.argv[1:]
    each = args[:1] == ["--alone"]
    args = args[1:] if each else args
    if args[:1] == ["--buckets"] and len(args) > 1:
        BUCKETS = int(args[1])
        args = args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    sys.argv[1:] = args
    rules = sys.argv[1]
    must_fire = set(int(m) for m in re.findall(r"metadata:parity fires; sid:(\d+);", open(rules).read()))
    fired = collections.Counter()
    failed = False
    ruled_out = 0
    most_keys = 0
    first_fired = {}  # sid -> (pcap, logs, name) of the first corpus it fired on
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
        demand, demand_stats = run(name, rules, pcap, logs, True, on_demand=True)
        for k, n in on.items():
            fired[k[0]] += n
            first_fired.setdefault(k[0], (pcap, logs, name))
        per_sid = collections.Counter()
        for k, n in on.items():
            per_sid[k[0]] += n
        print("%s: %d alerts with the engine, %d without; per sid %s; engine calls %s, key "
              "changes %s, candidates %s; states on demand: %d alerts, %s flows ruled out"
              % (name, sum(on.values()), sum(off.values()), dict(sorted(per_sid.items())),
                 on_stats.get("detect_calls"), on_stats.get("detect_key_changes"),
                 on_stats.get("detect_candidates"), sum(demand.values()),
                 demand_stats.get("detect_flows_unmatchable")))
        ruled_out += demand_stats.get("detect_flows_unmatchable") or 0
        if BUCKETS:
            most_keys = max(most_keys, record_keys(logs))
        for label, stats in (("engine off", off_stats), ("every flow's state at its start", on_stats)):
            if stats.get("detect_flows_unmatchable"):
                failed = True
                print("  %s: azure.detect_flows_unmatchable is %r, expected 0"
                      % (label, stats.get("detect_flows_unmatchable")))
        if demand != off:
            failed = True
            for k in sorted(set(demand) | set(off)):
                if demand.get(k, 0) != off.get(k, 0):
                    print("  DIFFERS %s: %d with states on demand, %d without the engine"
                          % (k, demand.get(k, 0), off.get(k, 0)))
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
    # With selective rules (--alone) the digest test (flows no rule could
    # match make no state) must have been exercised, or the comparison says
    # nothing of it.
    if each and not ruled_out:
        failed = True
        print("azure.detect_flows_unmatchable stayed 0 in every corpus: no flow was ruled out")
    # More keys than slots: two of them share one, so the digest's sharing
    # (neighbours' classes, slots that say nothing) is what was compared.
    if BUCKETS and most_keys <= BUCKETS:
        failed = True
        print("--buckets %d: at most %d record keys in a corpus, so none need share a digest "
              "slot" % (BUCKETS, most_keys))
    elif BUCKETS:
        print("--buckets %d: up to %d record keys in %d digest slots"
              % (BUCKETS, most_keys, BUCKETS))
    if each and not os.environ.get("REGRESS_VALGRIND"):
        lines = {int(m.group(1)): m.group(0) for m in
                 re.finditer(r"^alert .*metadata:parity fires; sid:(\d+);.*$\n?", open(rules).read(), re.M)}
        for sid in sorted(must_fire & set(first_fired)):
            if not alone(lines[sid], sid, *first_fired[sid]):
                failed = True
                print("  sid %d alone: alerts differ, or none" % sid)
    for sid in sorted(must_fire - set(fired)):
        failed = True
        print("sid %d never fired: nothing compared for it" % sid)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

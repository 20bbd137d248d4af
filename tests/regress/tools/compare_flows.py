#!/usr/bin/env python3
"""Synthetic packets must never alter a real flow: compare what two runs say
about the mirrored flows — with and without flow logs loaded.

    compare_flows.py WITH/eve.json WITHOUT/eve.json

For every flow of the run without flow logs (all mirrored), the run with
flow logs must have the same flow (by 5-tuple) with the same counters,
state, app-layer protocol and TCP flags, and the same app-layer, anomaly and
stream events; the only additions allowed are the `azure` object and the
synthetic flows (in_iface azure-flowlogs).  Prints the differences; exit 1
when there are any."""
import json
import sys

# What may differ without the flow being altered:
# - azure: the enrichment itself; metadata and flow.alerted: rules over
#   azure.* fire only with flow logs (the rules' metadata is then logged);
# - flow.reason/end/age: records after the last captured packet move packet
#   time on, so a flow may end by timeout rather than at shutdown — the time
#   span of the input grew, the flow did not change.
IGNORED_TOP = {"timestamp", "azure", "flow_id", "pcap_cnt", "parent_id", "tx_id", "metadata"}
IGNORED_FLOW = {"start", "end", "age", "reason", "alerted"}


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def key(e):
    return (e.get("event_type"), e.get("src_ip"), e.get("src_port"), e.get("dest_ip"),
            e.get("dest_port"), e.get("proto"))


def strip(e):
    out = {k: v for k, v in e.items() if k not in IGNORED_TOP}
    if "flow" in out:
        out["flow"] = {k: v for k, v in out["flow"].items() if k not in IGNORED_FLOW}
    return out


def records(events):
    keep = {}
    for e in events:
        if e.get("event_type") in ("stats", "azure_flow", "alert"):
            continue
        if e.get("in_iface") == "azure-flowlogs":
            continue  # a synthetic flow: exists only with flow logs
        keep.setdefault(key(e), []).append(json.dumps(strip(e), sort_keys=True))
    return {k: sorted(v) for k, v in keep.items()}


def flow_records(events):
    """Flow records by 5-tuple: packet and byte counters each way and the
    app-layer protocol -- what capture mode and stock -r must agree on."""
    out = {}
    for e in events:
        if e.get("event_type") != "flow":
            continue
        f = e["flow"]
        out.setdefault(key(e)[1:], []).append((f.get("pkts_toserver"), f.get("bytes_toserver"),
                                                 f.get("pkts_toclient"), f.get("bytes_toclient"),
                                                 e.get("app_proto")))
    return {k: sorted(v, key=str) for k, v in out.items()}


def main():
    with_logs, without = records(load(sys.argv[1])), records(load(sys.argv[2]))
    problems = []
    for k in sorted(set(with_logs) | set(without), key=str):
        if with_logs.get(k) != without.get(k):
            problems.append("%s:\n  with flow logs:    %s\n  without flow logs: %s" % (
                k, with_logs.get(k), without.get(k)))
    if not without:
        problems.append("the run without flow logs logged nothing to compare")
    for p in problems:
        print(p)
    print("%d event groups compared, %d differ" % (len(without), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

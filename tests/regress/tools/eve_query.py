#!/usr/bin/python3
"""Questions about an eve.json other than the case's main one, for `shell`
checks (the runner's `filter`/`stats` checks read $OUTPUT_DIR/eve.json).

    eve_query.py count EVE 'MATCH'     records matching MATCH (a JSON object in
                                       the runner's filter language), printed
    eve_query.py stat  EVE KEY         KEY of the last stats record, printed
    eve_query.py same-flow EVE         every azure_flow flow_id names a flow
                                       record of the same 5-tuple; prints how
                                       many azure_flow events were checked
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import run as runner  # noqa: E402  (tests/regress/run.py: one filter language)


def five_tuple(r):
    a = (r.get("src_ip"), r.get("src_port"))
    b = (r.get("dest_ip"), r.get("dest_port"))
    return (r.get("proto"),) + tuple(sorted([a, b], key=str))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    what, eve = sys.argv[1], runner.read_eve(sys.argv[2])
    if what == "count":
        match = json.loads(sys.argv[3])
        print(sum(1 for r in eve if runner.match_all(r, match)))
    elif what == "stat":
        stats = [r["stats"] for r in eve if r.get("event_type") == "stats"]
        print(runner.lookup(stats[-1], sys.argv[3]) if stats else "no stats record")
    elif what == "same-flow":
        flows = {r["flow_id"]: r for r in eve if r.get("event_type") == "flow"}
        n = 0
        for r in eve:
            if r.get("event_type") != "azure_flow" or "flow_id" not in r:
                continue
            n += 1
            f = flows.get(r["flow_id"])
            if f is None or five_tuple(f) != five_tuple(r):
                print("azure_flow %s:%s -> %s:%s names flow_id %d, %s" % (
                    r["src_ip"], r.get("src_port"), r["dest_ip"], r.get("dest_port"), r["flow_id"],
                    "which no flow record has" if f is None else "a flow of another 5-tuple"))
                return 1
        print(n)
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main())

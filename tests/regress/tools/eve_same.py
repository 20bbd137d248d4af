#!/usr/bin/python3
"""Two runs over the same input must log the same EVE records.

    eve_same.py [--schema SCHEMA.json] [--stats-only KEY] [--ignore KEY.PATH]...
                A/eve.json B/eve.json

Records are compared as multisets (worker threads interleave their output),
each as canonical JSON with what depends on the wall clock or on thread
timing left out (TIMING below).  Stats are compared on the last stats record
of each file (how many come before it depends on run time), counter by
counter.  --stats-only KEY restricts the stats comparison to stats.KEY
(e.g. azure, for runs whose Suricata counters differ by design); --ignore
leaves a (dotted) member of every record out, for a difference between
Suricata's own modes the caller names and explains.  With
--schema, every record of both files must validate against that JSON schema
(python3-jsonschema) as well as the other does: a violation found in both
is the schema's own gap (Suricata 8.0.7's schema lacks rdp.protocol, for
one) and is listed, any other fails.  Prints the differences and a summary
line; exit 1 when anything differs.
"""
import argparse
import collections
import json
import sys

# Wall-clock or scheduling dependent, never a property of the input:
# - stats.uptime and the detect engine's reload time;
# - flow_mgr/flow housekeeping counters: how often the flow manager woke up
#   and what it found then depends on wall-clock time between its passes;
# - memcap/memuse snapshots taken while threads still run;
# - the number of stats records, and their intermediate values (only the
#   last is compared);
# - azure.detect_calls: the rule engine also runs on the pseudo packets of
#   flows timed out before the input ended, the flow.reason race below;
# - azure.lag: seconds from the newest record indexed to the clock now;
# - whether a TCP session or segment came from the packet thread's cache or
#   from the shared pool: the cache is refilled as the flow recycler returns
#   memory, so the split is timing; their sum is the input's and is compared
#   (SPLIT_STATS).
TIMING_STATS_PREFIXES = ("azure.lag", "uptime", "detect.engines", "flow_mgr.", "flow.mgr.", "flow.spare",
                         "flow.emerg_mode", "flow.recycler", "memcap_pressure", "flow.end.",
                         "flow.active", "flow.wrk.", "flow_bypassed", "azure.detect_calls")
# Keys of other records that depend on thread timing, not input: whether the
# flow manager timed a flow out before the input ended (flow.reason) is a
# race between its wall-clock passes and the packet threads; a flow record's
# timestamp is when it was logged, so it goes with the reason (the flow's own
# times, flow.start and flow.end, are compared).
TIMING_TOP = set()
TIMING_FLOW_TOP = {"timestamp"}
SPLIT_STATS = {"tcp.segment_from_": ("cache", "pool"), "tcp.ssn_from_": ("cache", "pool")}
TIMING_FLOW = {"reason"}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def flatten(obj, prefix=""):
    out = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(flatten(v, prefix + k + "."))
    elif isinstance(obj, list):
        out[prefix.rstrip(".")] = json.dumps(obj, sort_keys=True)
    else:
        out[prefix.rstrip(".")] = obj
    return out


def last_stats(records, only):
    stats = [r["stats"] for r in records if r.get("event_type") == "stats"]
    if not stats:
        return None
    flat = {k: v for k, v in flatten(stats[-1]).items() if not k.startswith(TIMING_STATS_PREFIXES)}
    for prefix, parts in SPLIT_STATS.items():
        keys = [prefix + part for part in parts]
        if all(k in flat for k in keys):
            flat[prefix + "+".join(parts)] = sum(flat.pop(k) for k in keys)
    if only:
        return {k: v for k, v in flat.items() if k == only or k.startswith(only + ".")}
    return flat


def flow_names(records):
    """flow_id is a hash with a per-process random seed: name each flow by
    what its flow record says instead (5-tuple and start)."""
    names = {}
    for r in records:
        if r.get("event_type") == "flow" and "flow_id" in r:
            names[r["flow_id"]] = "%s:%s-%s:%s/%s@%s" % (
                r.get("src_ip"), r.get("src_port"), r.get("dest_ip"), r.get("dest_port"),
                r.get("proto"), r.get("flow", {}).get("start"))
    return names


def drop(r, path):
    head, _, rest = path.partition(".")
    if head in r:
        if rest and isinstance(r[head], dict):
            r[head] = dict(r[head])
            drop(r[head], rest)
        elif not rest:
            del r[head]


def others(records, ignore):
    names = flow_names(records)
    c = collections.Counter()
    for r in records:
        if r.get("event_type") == "stats":
            continue
        r = {k: v for k, v in r.items() if k not in TIMING_TOP and
             not (r.get("event_type") == "flow" and k in TIMING_FLOW_TOP)}
        if isinstance(r.get("flow"), dict):
            r["flow"] = {k: v for k, v in r["flow"].items() if k not in TIMING_FLOW}
        for path in ignore:
            drop(r, path)
        for k in ("flow_id", "parent_id"):
            if k in r:
                r[k] = names.get(r[k], "<flow not logged>")
        c[json.dumps(r, sort_keys=True)] += 1
    return c


def validate(records, schema):
    """{(event_type, message): count} of the records' schema violations."""
    import jsonschema
    v = jsonschema.validators.validator_for(schema)(schema)
    found = collections.Counter()
    for r in records:
        for e in v.iter_errors(r):
            found[(r.get("event_type"), e.message)] += 1
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schema")
    ap.add_argument("--stats-only")
    ap.add_argument("--ignore", action="append", default=[])
    ap.add_argument("a")
    ap.add_argument("b")
    opts = ap.parse_args()
    a, b = load(opts.a), load(opts.b)
    problems = []
    if opts.schema:
        with open(opts.schema) as f:
            schema = json.load(f)
        va, vb = validate(a, schema), validate(b, schema)
        # A violation stock Suricata's own output has too is the schema's
        # gap, not a difference; it is shown, and must be the same in both.
        for (et, msg), n in sorted((va & vb).items()):
            print("schema (both, %dx): %s: %s" % (n, et, msg))
        for (et, msg), n in sorted((va - vb).items()):
            problems.append("schema (only %s, %dx): %s: %s" % (opts.a, n, et, msg))
        for (et, msg), n in sorted((vb - va).items()):
            problems.append("schema (only %s, %dx): %s: %s" % (opts.b, n, et, msg))

    sa, sb = last_stats(a, opts.stats_only), last_stats(b, opts.stats_only)
    if sa is None or sb is None:
        problems.append("no stats record in %s" % (opts.a if sa is None else opts.b))
    else:
        for k in sorted(set(sa) | set(sb)):
            if sa.get(k) != sb.get(k):
                problems.append("stats.%s: %r vs %r" % (k, sa.get(k, "<absent>"), sb.get(k, "<absent>")))

    oa, ob = others(a, opts.ignore), others(b, opts.ignore)
    for rec in sorted((oa - ob).keys()):
        problems.append("only in %s (%dx): %s" % (opts.a, (oa - ob)[rec], rec))
    for rec in sorted((ob - oa).keys()):
        problems.append("only in %s (%dx): %s" % (opts.b, (ob - oa)[rec], rec))

    for p in problems[:40]:
        print(p)
    print("eve_same: %d records and %d stats counters compared, %d differences" % (
        sum(oa.values()), len(sa or {}), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

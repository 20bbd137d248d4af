#!/usr/bin/python3
"""Capture mode against stock Suricata on every capture of a corpus.

    capture_vs_stock.py OUTDIR CORPUS [--stock-cannot REL=REASON ...]

For each *.pcap, *.pcapng and *.cap below CORPUS (sorted), runs stock
`suricata -r FILE` (no plugin: Suricata's own pcap-file source) and capture
mode (`--capture-plugin=azure`, the plugin, no flow logs), then compares
their flow records: 5-tuple, packet and byte counters both ways, app-layer
protocol (compare_flows.flow_records).  A file stock cannot read is named
with --stock-cannot and the reason stock gives (a substring of its log),
which must be what stock says; an unlisted file stock cannot read, or a
listed one it reads, fails the run, so the list stays true as the corpus
grows.  A file named with --truncated holds packets cut by the snap length
(caplen < len): stock drops them as invalid (ipv4/ipv6 trunc_pkt), capture
mode inspects them as far as they go, so there its flows must be the same
5-tuples and protocols, and the packets capture mode counts beyond stock's
exactly the ones stock's decoder called truncated.  Uses $SURICATA, $PLUGIN, $SRCDIR, $CLASSIFICATION, $REFERENCE from
the regression runner.  Prints one line per file; exit 1 on any difference."""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare_flows  # noqa: E402

CAPTURES = (".pcap", ".pcapng", ".cap")


def run(logdir, args, plugin):
    os.makedirs(logdir, exist_ok=True)
    cmd = [os.environ["SURICATA"], "-c", os.path.join(os.environ["SRCDIR"], "tests", "regress", "suricata.yaml"),
           "--set", "classification-file=" + os.environ["CLASSIFICATION"],
           "--set", "reference-config-file=" + os.environ["REFERENCE"],
           "-k", "none", "-l", logdir, "--disable-detection"]
    if plugin:
        cmd += ["--set", "plugins.9=" + os.environ["PLUGIN"], "--init-errors-fatal"]
    with open(os.path.join(logdir, "output"), "w") as out:
        rc = subprocess.run(cmd + args, stdout=out, stderr=subprocess.STDOUT).returncode
    with open(os.path.join(logdir, "output"), errors="replace") as f:
        log = f.read()
    eve = os.path.join(logdir, "eve.json")
    return rc, log, compare_flows.load(eve) if os.path.exists(eve) else []


def stock_truncated(events):
    stats = [e["stats"] for e in events if e.get("event_type") == "stats"]
    ev = stats[-1].get("decoder", {}).get("event", {}) if stats else {}
    return sum(ev.get(v, {}).get("trunc_pkt", 0) for v in ("ipv4", "ipv6"))


def truncated_only(rel, stock, want, got):
    """None when the flows differ only by the truncated packets stock dropped."""
    shape = lambda recs: {k: sorted(r[4] or "" for r in v) for k, v in recs.items()}
    if shape(want) != shape(got):
        return "%s: flows differ beyond truncated packets: stock %s, capture mode %s" % (rel, want, got)
    extra = sum(g[0] + g[2] - w[0] - w[2] for k in want for w, g in zip(want[k], got[k]))
    cut = stock_truncated(stock)
    if cut == 0 or extra != cut:
        return "%s: capture mode counts %d packets more than stock, stock's decoder dropped %d as truncated" % (
            rel, extra, cut)
    print("%s: %d flows, the same 5-tuples and protocols; capture mode inspects the %d packets stock drops "
          "as truncated" % (rel, len(want), cut))
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("corpus")
    ap.add_argument("--stock-cannot", action="append", default=[], metavar="REL=REASON")
    ap.add_argument("--truncated", action="append", default=[], metavar="REL")
    opts = ap.parse_args()
    cannot = dict(x.split("=", 1) for x in opts.stock_cannot)
    files = sorted(os.path.relpath(os.path.join(d, n), opts.corpus)
                   for d, _, names in os.walk(opts.corpus) for n in names if n.endswith(CAPTURES))
    problems, compared = [], 0
    for i, rel in enumerate(files):
        path = os.path.join(opts.corpus, rel)
        base = os.path.join(opts.outdir, "%02d" % i)
        rc, log, stock = run(os.path.join(base, "stock"), ["-r", path], False)
        unreadable = "Failed to init pcap file" in log
        if rel in cannot:
            if not unreadable or cannot[rel] not in log:
                problems.append("%s: listed as unreadable by stock (%s), but stock says otherwise" % (rel, cannot[rel]))
            else:
                print("%s: stock cannot read it: %s" % (rel, cannot[rel]))
            continue
        if unreadable or rc != 0:
            problems.append("%s: stock cannot read it (exit %d) and it is not listed:\n%s" % (
                rel, rc, "".join(l + "\n" for l in log.splitlines() if "Error" in l)))
            continue
        _, _, capture = run(os.path.join(base, "capture"), ["--capture-plugin=azure",
                                                            "--set", "azure.capture.input=" + path], True)
        want, got = compare_flows.flow_records(stock), compare_flows.flow_records(capture)
        if not want:
            problems.append("%s: stock logged no flow to compare" % rel)
        if rel in opts.truncated:
            problem = truncated_only(rel, stock, want, got)
            if problem:
                problems.append(problem)
            else:
                compared += 1
            continue
        diff = ["  %s: stock %s, capture mode %s" % (k, want.get(k), got.get(k))
                for k in sorted(set(want) | set(got), key=str) if want.get(k) != got.get(k)]
        if diff:
            problems.append("%s: flow records differ:\n%s" % (rel, "\n".join(diff)))
        else:
            compared += 1
            print("%s: %d flows, the same in capture mode and stock -r" % (rel, sum(map(len, want.values()))))
    for p in problems:
        print("DIFFERENCE: " + p)
    print("%d of %d captures compared equal, %d unreadable by stock, %d problems" % (
        compared, len(files), len(cannot), len(problems)))
    return 1 if problems or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

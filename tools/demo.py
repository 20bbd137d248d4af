#!/usr/bin/env python3
"""`make demo`: Suricata 8 with the azflow plugin on the bundled corpus.

Runs the vTAP mirror capture with its VNet flow logs and the shipped ruleset,
then prints what was detected and where eve.json is."""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suricata", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--outdir", default=os.path.join(SRCDIR, "build", "demo"))
    ap.add_argument("--flowlogs", default="vnet", choices=["vnet", "nsg"])
    opts = ap.parse_args()

    scenario = os.path.join(opts.corpus, "vtap")
    pcap = os.path.join(scenario, "mirror.pcap")
    logs = os.path.join(scenario, opts.flowlogs)
    for p in (pcap, logs):
        if not os.path.exists(p):
            sys.exit("demo: %s is missing; regenerate the corpus with build/azflow corpus %s" % (p, opts.corpus))
    build_info = subprocess.run([opts.suricata, "--build-info"], capture_output=True, text=True).stdout
    sysconf = re.search(r"--sysconfdir\s+(\S+)", build_info)
    sysconf = sysconf.group(1) if sysconf else "/etc/"
    version = re.search(r"This is Suricata version (\S+)", build_info)

    os.makedirs(opts.outdir, exist_ok=True)
    for name in ("eve.json", "suricata.log", "stats.log"):
        try:
            os.unlink(os.path.join(opts.outdir, name))
        except FileNotFoundError:
            pass
    cmd = [opts.suricata, "-c", os.path.join(SRCDIR, "tests", "regress", "suricata.yaml"),
           "--set", "plugins.9=" + os.path.abspath(opts.plugin),
           "--set", "azure.flow-logs.0.path=" + os.path.abspath(logs),
           "--set", "classification-file=" + os.path.join(sysconf, "suricata", "classification.config"),
           "--set", "reference-config-file=" + os.path.join(sysconf, "suricata", "reference.config"),
           "-S", os.path.join(SRCDIR, "signatures", "azure.rules"),
           "-r", pcap, "-l", opts.outdir, "-k", "none", "--init-errors-fatal"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        sys.exit("demo: suricata exited with %d" % r.returncode)

    # The same input in capture mode: records no mirror saw become packets.
    capdir = os.path.join(opts.outdir, "capture-mode")
    os.makedirs(capdir, exist_ok=True)
    for name in ("eve.json", "suricata.log", "stats.log"):
        try:
            os.unlink(os.path.join(capdir, name))
        except FileNotFoundError:
            pass
    capcmd = [c for c in cmd if c not in ("-r", pcap)]
    capcmd[capcmd.index("-l") + 1] = capdir
    capcmd += ["--capture-plugin=azure", "--set", "azure.capture.input=" + pcap]
    r = subprocess.run(capcmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        sys.exit("demo: suricata (capture mode) exited with %d" % r.returncode)

    eve_path = os.path.join(opts.outdir, "eve.json")
    events = [json.loads(l) for l in open(eve_path) if l.strip()]
    alerts = collections.Counter((e["alert"]["signature_id"], e["alert"]["signature"])
                                 for e in events if e.get("event_type") == "alert")
    af = [e for e in events if e.get("event_type") == "azure_flow"]
    enriched = [e for e in events if e.get("event_type") == "flow" and "azure" in e]
    stats = [e["stats"] for e in events if e.get("event_type") == "stats"]
    az = stats[-1].get("azure", {}) if stats else {}

    print("azflow demo: Suricata %s with %s" % (version.group(1) if version else "?", os.path.relpath(opts.plugin, SRCDIR)))
    print("  input       %s + %s flow logs" % (os.path.relpath(pcap, SRCDIR), opts.flowlogs.upper()))
    print("  flow logs   %d records (%d invalid) from %d blob(s); %d correlated with mirrored flows"
          % (az.get("records", 0), az.get("records_invalid", 0), az.get("blobs", 0), az.get("records_correlated", 0)))
    print("  flows       %d mirrored flows enriched with an azure object" % len(enriched))
    print("  azure_flow  %d events, %d of them matched to a mirrored flow"
          % (len(af), sum(1 for e in af if e.get("azure", {}).get("mirrored"))))
    print("  alerts      %d" % sum(alerts.values()))
    for (sid, msg), n in sorted(alerts.items()):
        print("    %3d x [1:%d] %s" % (n, sid, msg))
    print("  eve.json    %s" % os.path.relpath(eve_path, os.getcwd()))

    cap_path = os.path.join(capdir, "eve.json")
    cap = [json.loads(l) for l in open(cap_path) if l.strip()]
    cloud = collections.Counter((e["alert"]["signature_id"], e["alert"]["signature"])
                                for e in cap if e.get("event_type") == "alert"
                                and e.get("azure", {}).get("mirrored") is False)
    synthetic = sum(1 for e in cap if e.get("event_type") == "flow"
                    and e.get("in_iface") == "azure-flowlogs")
    print()
    print("capture mode (--capture-plugin=azure): the same input, records no mirror saw as packets")
    print("  cloud-only  %d flows known only from the flow logs" % synthetic)
    print("  alerts      %d on cloud-only flows (azure.mirrored false)" % sum(cloud.values()))
    for (sid, msg), n in sorted(cloud.items()):
        print("    %3d x [1:%d] %s" % (n, sid, msg))
    print("  eve.json    %s" % os.path.relpath(cap_path, os.getcwd()))


if __name__ == "__main__":
    main()

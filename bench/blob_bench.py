#!/usr/bin/python3
"""Storage source figures against real Azurite on loopback (bench/blob.md).

    blob_bench.py [--tool build/azflow] [--blobs 40] [--minutes 30] [--idle 10000] [--commits 20]

1. ingestion: BLOBS PT1H.json blobs of MINUTES one-minute blocks each (the
   vtap corpus's tuples, moved in time) read by `azflow follow --once URL`
   (records/s and MB/s), beside the same bytes read from files by
   `azflow follow --once DIR` in the same run, and beside a bare HTTP client
   (python http.client, keep-alive) fetching the same blobs from Azurite:
   the part of the gap that is Azurite itself.
2. poll cost: IDLE blobs in the current hour, read once; then passes with
   nothing changed: requests per pass (from --stats) and CPU-ms per pass of
   the tool (fresh process: start-up included), and the same for a running
   follower polling every 2 s (CPU of 10 polls / 10).
3. latency: COMMITS commits, one every 1.3 s, while `azflow follow URL
   --interval 1` runs: seconds from the Put Block List's answer to the
   tuple's line on the follower's stdout (the point where the plugin would
   index it: the same follower feeds the index).
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "regress", "tools"))
import azblob  # noqa: E402
import azstore  # noqa: E402
import blob_tool  # noqa: E402

CONTAINER = "insights-logs-flowlogflowevent"


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd, **kw):
    c0, t0 = cpu_children(), time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    return r, time.time() - t0, cpu_children() - c0


def stats_of(text):
    return blob_tool.stats_of(text)


def ingestion(a, az, c, url, key, work):
    rel, records = blob_tool.corpus()
    now_ms = int(time.time() * 1000)
    files = os.path.join(work, "files")
    names, total = [], 0
    for i in range(a.blobs):
        name = blob_tool.name_at(rel, now_ms, mac="000D3A%06X" % i)
        names.append(name)
        for k in range(a.minutes):
            recs = azblob.rebase(records, now_ms - (a.minutes - k) * 60000)
            azstore.commit(c, CONTAINER, name, recs)
        data = blob_tool.blob_bytes(c, name)
        total += len(data)
        p = os.path.join(files, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    print("ingestion: %d blobs x %d minutes, %.1f MB" % (a.blobs, a.minutes, total / 1e6))
    rows = []
    # Storage twice: reads 1 at a time (AZFLOW_BLOB_PARALLEL=1, as before
    # they ran concurrently) and with the default bound of 4 in flight; then
    # both again through the fault proxy answering each Get Blob 20 ms late
    # (a round trip to a storage account in the region and its service time,
    # which loopback Azurite does not have).
    proxy = blob_tool.Proxy(az, {"FAULTPROXY_READ_DELAY_MS": "20"})
    slow = proxy.url()
    readers = (("files", files, {}), ("azurite-1", url, {"AZFLOW_BLOB_PARALLEL": "1"}), ("azurite", url, {}),
               ("+20ms-1", slow, {"AZFLOW_BLOB_PARALLEL": "1"}), ("+20ms", slow, {}))
    for label, target, env in readers:
        bm = os.path.join(work, "bm-" + label)
        best = None
        for rep in range(3):
            if os.path.exists(bm):
                os.unlink(bm)
            args = [a.tool, "follow", "--once", "--stats", "--bookmarks", bm]
            if target != files:
                args += ["--since", "1h", "--account-key-file", key]
            r, wall, cpu = timed(args + [target], env=dict(os.environ, **env))
            n = len(r.stdout.splitlines())
            if best is None or wall < best[0]:
                best = (wall, cpu, n, r.stderr)
        wall, cpu, n, err = best
        rows.append((label, n, wall, cpu))
        extra = ""
        if target != files:
            s = stats_of(err)
            extra = "  requests %d, bytes %d" % (s["requests"], s["bytes"])
        print("  %-9s %7d records  %6.2f s wall  %6.2f s CPU  %9.0f records/s  %6.1f MB/s%s" % (
            label, n, wall, cpu, n / wall, total / 1e6 / wall, extra))
    # Azurite alone: the same blobs fetched whole by a keep-alive client.
    t0 = time.time()
    for name in names:
        blob_tool.blob_bytes(c, name)
    bare = time.time() - t0
    print("  bare GET of the same blobs from Azurite (python keep-alive): %.2f s (%.1f MB/s)" % (bare, total / 1e6 / bare))
    f_wall, a_wall = rows[0][2], rows[2][2]
    proxy.__exit__()
    print("  concurrent reads: %.2f s against %.2f s one at a time (%.1fx); with 20 ms per read: %.2f s against "
          "%.2f s (%.1fx)" % (a_wall, rows[1][2], rows[1][2] / a_wall, rows[4][2], rows[3][2],
                              rows[3][2] / rows[4][2]))
    print("  azurite/files wall ratio %.1f; of the %.2f s gap, %.2f s (%.0f %%) is Azurite serving the bytes" % (
        a_wall / f_wall, a_wall - f_wall, min(bare, a_wall - f_wall), 100 * min(bare, a_wall - f_wall) / max(a_wall - f_wall, 1e-9)))


def poll_cost(a, az, c, url, key, work):
    rel, records = blob_tool.corpus()
    now_ms = int(time.time() * 1000)
    one = azstore.encode(azblob.rebase(records[:1], now_ms))
    names = [blob_tool.name_at(rel, now_ms, mac="000D3B%06X" % i) for i in range(a.idle)]
    t0 = time.time()
    blob_tool.put_many(az.base(), names, azstore.HEAD + one + azstore.TAIL, threads=8)
    print("poll cost: %d idle blobs in this hour (written in %.0f s)" % (a.idle, time.time() - t0))
    bm = os.path.join(work, "bm-idle")
    base = [a.tool, "follow", "--stats", "--since", "1h", "--bookmarks", bm, "--account-key-file", key]
    r, wall, cpu = timed(base + ["--once", url])
    s = stats_of(r.stderr)
    print("  first pass: %d requests, %.1f s wall, %.0f ms CPU" % (s["requests"], wall, cpu * 1000))
    for rep in range(3):
        r, wall, cpu = timed(base + ["--once", url])
        s = stats_of(r.stderr)
        print("  idle pass (fresh process): %d requests, %.2f s wall, %.0f ms CPU (start-up included)" % (
            s["requests"], wall, cpu * 1000))
    # A running follower: CPU of its polls after the first.
    p = subprocess.Popen(base + ["--interval", "2", url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(4)

    def cpu_of(pid):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    c0 = cpu_of(p.pid)
    time.sleep(20)
    c1 = cpu_of(p.pid)
    p.terminate()
    _, err = p.communicate()
    s = stats_of(err)
    import re
    polls = int(re.findall(r"polls (\d+)", err)[-1])
    # The first poll is the start-up one (discovery, the hour before); the
    # others are the idle polls; CPU is measured over the last 20 s only.
    print("  running follower, 2 s polls: %d requests in %d polls (the first: start-up listings); "
          "%.0f ms CPU in the last 20 s" % (s["requests"], polls, (c1 - c0) * 1000))


def latency(a, az, c, url, key, work):
    rel, records = blob_tool.corpus()
    name = blob_tool.name_at(rel, int(time.time() * 1000), mac="000D3ACAFE00")
    bm = os.path.join(work, "bm-lat")
    p = subprocess.Popen([a.tool, "follow", "--interval", "1", "--since", "1h", "--bookmarks", bm,
                          "--account-key-file", key, url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, bufsize=1)
    seen = {}

    def reader():
        for line in p.stdout:
            r = json.loads(line)
            seen.setdefault(r["timestamp"], time.time())
    threading.Thread(target=reader, daemon=True).start()
    time.sleep(2)
    lat = []
    base = int(time.time() * 1000)
    for k in range(a.commits):
        recs = azblob.rebase(azblob.select(records[:1], lambda t: t[3] == "50000"), base + k * 1000)
        ts = json.loads(json.dumps(recs))
        t0 = time.time()
        azstore.commit(c, CONTAINER, name, recs)
        t1 = time.time()
        want = azblob.iso(base + k * 1000)[:19]
        deadline = t1 + 10
        while time.time() < deadline and not any(s.startswith(want) for s in seen):
            time.sleep(0.01)
        hit = [v for s, v in seen.items() if s.startswith(want)]
        if hit:
            lat.append(hit[0] - t1)
        time.sleep(0.3)
    p.terminate()
    p.wait()
    lat.sort()
    print("latency, commit answered -> tuple out, poll 1 s, %d commits: median %.2f s, p90 %.2f s, max %.2f s" % (
        len(lat), statistics.median(lat), lat[int(len(lat) * 0.9) - 1], lat[-1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", default=os.path.join(SRCDIR, "build", "azflow"))
    ap.add_argument("--blobs", type=int, default=40)
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--commits", type=int, default=20)
    ap.add_argument("--only", choices=("ingestion", "poll", "latency"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="azflow-blob-bench.")
    os.environ["OUTPUT_DIR"] = work
    blob_tool.OUT = work  # its files (key, proxy's) there, not in the working folder
    try:
        for part in ("ingestion", "latency", "poll"):
            if a.only and a.only != part:
                continue
            with azstore.Azurite() as az:
                c = azstore.Client(az.base())
                c.create_container(CONTAINER)
                url = "%s/%s" % (az.base(), CONTAINER)
                key = blob_tool.secret_file("key", azstore.KEY)
                {"ingestion": ingestion, "poll": poll_cost, "latency": latency}[part](a, az, c, url, key, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Storage cases for `azflow follow|decode URL` against real Azurite.

    blob_tool.py SCENARIO      (grow | key | errors | faults | hour | paging | parallel | skew | torn | crash |
                               older | restart | folder | retryafter | leak |
                               longname | longurl | stopunread | failing)

Runs in $OUTPUT_DIR with $TOOL (build/azflow).  Each scenario starts its own
Azurite (azstore.py), grows PT1H.json blobs there as Azure does (Put Block +
Put Block List), follows them with the tool, and checks what came out:
every tuple exactly once, compared with `azflow decode` of the same bytes
saved as files.  It prints what it checked and exits 1 at the first thing
that does not hold.  Every wait is bounded.
"""
import collections
import contextlib
import datetime
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import azblob  # noqa: E402
import azstore  # noqa: E402

SRCDIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
TOOL = os.environ.get("TOOL", os.path.join(SRCDIR, "build", "azflow"))
OUT = os.environ.get("OUTPUT_DIR", os.getcwd())
CONTAINER = "insights-logs-flowlogflowevent"
T0 = time.time()
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def log(msg):
    print("[%5.1fs] %s" % (time.time() - T0, msg), flush=True)


def fail(msg):
    log("FAILED: " + msg)
    sys.exit(1)


def secret_file(name, text):
    path = os.path.join(OUT, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(text)
    return path


@contextlib.contextmanager
def storage():
    """Azurite (logging to OUT/azurite.log) with CONTAINER made: (az, client)."""
    with azstore.Azurite(log=open(os.path.join(OUT, "azurite.log"), "w")) as az:
        c = azstore.Client(az.base())
        c.create_container(CONTAINER)
        yield az, c


def key_cred():
    """The follower's options for Shared Key auth with Azurite's key."""
    return ["--account-key-file", secret_file("key", azstore.KEY)]


def corpus():
    rel, records = azblob.corpus_blob(os.path.join(SRCDIR, "pcap-corpus", "vtap", "vnet"))
    return rel, records


def minutes(records, n, base_ms):
    """n one-minute commits of the corpus tuples, moved to base_ms + k min."""
    return [azblob.rebase(records, base_ms + k * 60000) for k in range(n)]


def name_at(rel, ms, mac=None):
    n = azblob.hour_path(rel, ms)
    return n.replace("000D3AF87856", mac) if mac else n


class Follower:
    """`azflow follow URL` running, polling every 0.3 s (under faketime
    starting at `fake`, when given).  With `pipe`, its stdout is a pipe
    that only read_out() and stop() drain (into self.out): a reader that
    stops reading blocks the tool in the middle of a poll, as a slow
    consumer of `azflow follow | …` does."""

    def __init__(self, url, cred, bookmarks, tag, extra=(), fake=None, pipe=False):
        self.out = os.path.join(OUT, tag + ".out")
        self.pipe = pipe
        self.err = os.path.join(OUT, tag + ".err")
        env = dict(os.environ)
        if fake:
            # libfaketime preloaded into the tool itself (the faketime
            # wrapper would take the SIGTERM meant for it).
            # After what is preloaded already (the sanitizer runtime comes first).
            pre = os.environ.get("LD_PRELOAD", "")
            env.update(LD_PRELOAD=(pre + " " + FAKETIME_LIB).strip(), FAKETIME="@" + fake)
        self.proc = subprocess.Popen([TOOL, "follow", "--interval", "0.3", "--bookmarks", bookmarks, "--stats",
                                      "--since", "2h"] + list(cred) + list(extra) + [url],
                                     stdout=subprocess.PIPE if pipe else open(self.out, "w"),
                                     stderr=open(self.err, "w"), env=env)
        self.copied = 0

    def read_out(self, nbytes, timeout=30):
        """Copies the pipe's output to self.out until nbytes have come."""
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        with open(self.out, "ab") as o:
            while self.copied < nbytes:
                if time.time() > deadline:
                    fail("follower output stopped at %d bytes:\n%s" % (self.copied, self.stderr()))
                if not select.select([fd], [], [], 1)[0]:
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    fail("follower output ended at %d bytes:\n%s" % (self.copied, self.stderr()))
                o.write(chunk)
                self.copied += len(chunk)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        drain = None
        if self.pipe:
            def copy():
                with open(self.out, "ab") as o:
                    shutil.copyfileobj(self.proc.stdout, o)
            drain = threading.Thread(target=copy)
            drain.start()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("follower did not stop on SIGTERM")
        if drain is not None:
            drain.join()
        return self.proc.returncode

    def stderr(self):
        return open(self.err).read()


def wait_for(what, cond, timeout=15, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        if proc is not None and proc.proc.poll() is not None:
            fail("follower exited (%d) waiting for %s:\n%s" % (proc.proc.returncode, what, proc.stderr()))
        time.sleep(0.1)
    fail("timed out waiting for " + what + ("\n" + proc.stderr() if proc else ""))


def tuple_keys(lines):
    keys = []
    for line in lines:
        if line.strip():
            r = json.loads(line)
            a = r["azure"]
            keys.append((r["timestamp"], r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"], r["proto"],
                         a.get("state"), a["mac"], a.get("pkts_toserver")))
    return keys


def decoded(contents):
    """The tuples `azflow decode` finds in these blob contents saved as files."""
    keys = []
    for i, data in enumerate(contents):
        p = os.path.join(OUT, "expected-%d.json" % i)
        with open(p, "wb") as f:
            f.write(data)
        r = subprocess.run([TOOL, "decode", p], capture_output=True, text=True)
        if r.returncode != 0:
            fail("decode %s: %s" % (p, r.stderr))
        keys += tuple_keys(r.stdout.splitlines())
    return keys


def same_once(got, want, what):
    g, w = collections.Counter(got), collections.Counter(want)
    if g != w:
        dup = [k for k, n in g.items() if n > 1]
        fail("%s: %d tuples out, %d expected; %d missing, %d extra, %d doubled" % (
            what, len(got), len(want), sum((w - g).values()), sum((g - w).values()), len(dup)))
    if any(n != 1 for n in g.values()):
        fail("%s: a tuple repeated in the expected set itself" % what)
    log("%s: %d tuples out, each exactly once" % (what, len(got)))


def blob_bytes(client, name):
    r, data = client.request("GET", CONTAINER + "/" + name, ok=(200,))
    return data


def stats_of(text):
    m = re.findall(r"storage: requests (\d+) retries (\d+) failures (\d+) bytes (\d+)", text)
    if not m:
        fail("no storage stats line in:\n" + text)
    return dict(zip(("requests", "retries", "failures", "bytes"), map(int, m[-1])))


def no_secrets(secrets, paths):
    for p in paths:
        text = open(p, errors="replace").read()
        for s in secrets:
            if s and s in text:
                fail("a secret appears in %s" % p)
    log("no secret in %s" % ", ".join(os.path.basename(p) for p in paths))


# --- scenarios -----------------------------------------------------------------


def scenario_grow(cred_kind):
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        if cred_kind == "sas":
            sas = azstore.container_sas(CONTAINER, "rl", "2099-01-01T00:00:00Z")
            cred, secrets = ["--sas-file", secret_file("sas", sas)], [re.search(r"sig=([^&]+)", sas).group(1)]
        else:
            cred, secrets = key_cred(), [azstore.KEY]
        bm = os.path.join(OUT, "bookmarks")
        # Blob A of one NIC, then B of another, both this hour.
        a = name_at(rel, now_ms)
        b = name_at(rel, now_ms, mac="000D3AF8BBBB")
        ma = minutes(records, 5, now_ms - 3600 * 1000)
        mb = minutes(records, 2, now_ms)

        def commit(name, recs, f):
            size = azstore.commit(c, CONTAINER, name, recs)
            wait_for("bookmark of %s at %d" % (name[-40:], size - 2),
                     lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2, proc=f)
            return size

        f = Follower(url, cred, bm, "run1")
        commit(a, ma[0], f)
        log("A minute 1 read")
        # Staged, not committed: invisible.  Its tuples are never output.
        azstore.commit(c, CONTAINER, a, azblob.rebase(records, now_ms - 7200 * 1000), stage_only=True)
        before = open(f.out).read().count("\n")
        time.sleep(1.5)
        if open(f.out).read().count("\n") != before:
            fail("tuples came out of an uncommitted block")
        log("uncommitted block: nothing read in 5 polls")
        commit(a, ma[1], f)
        commit(b, mb[0], f)
        log("B (a new blob, this hour) picked up")
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        s1 = stats_of(f.stderr())
        # Restart from the bookmarks: only what is new comes out.
        commit_size = azstore.commit(c, CONTAINER, b, mb[1])
        f2 = Follower(url, cred, bm, "run2")
        wait_for("bookmark of B after restart",
                 lambda: azblob.bookmark_offset(bm, url + "/" + b) == commit_size - 2, proc=f2)
        log("restart: B's new minute read from the bookmark")
        a_v1 = blob_bytes(c, a)
        # A replaced mid-hour by other content (deleted and written again,
        # a second later: a new creation time), between two polls (the
        # follower stopped meanwhile, so it never sees A missing).
        f2.proc.send_signal(signal.SIGSTOP)
        c.delete_blob(CONTAINER, a)
        time.sleep(1.1)
        for m in ma[2:]:  # longer than before: not mistaken for a truncation
            size = azstore.commit(c, CONTAINER, a, m)
        f2.proc.send_signal(signal.SIGCONT)
        wait_for("A replaced and read again", lambda: azblob.bookmark_offset(bm, url + "/" + a) == size - 2,
                 proc=f2)
        # B rewritten shorter in place (same creation time): truncated.
        b_v1 = blob_bytes(c, b)
        short = azstore.HEAD + azstore.encode(minutes(records, 1, now_ms + 1800 * 1000)[0][:1]) + azstore.TAIL
        c.put_blob(CONTAINER, b, short)
        wait_for("B truncated and read again",
                 lambda: azblob.bookmark_offset(bm, url + "/" + b) == len(short) - 2, proc=f2)
        if f2.stop() != 0:
            fail("follower exit %d:\n%s" % (f2.proc.returncode, f2.stderr()))
        if "blob was replaced (its start changed); reading it again from the start" not in f2.stderr():
            fail("no notice that A was replaced:\n" + f2.stderr())
        log("A replaced: noticed and read again from the start")
        if "blob was truncated; reading it again from the start" not in f2.stderr():
            fail("no notice that B was truncated:\n" + f2.stderr())
        log("B truncated: noticed and read again from the start")
        got = tuple_keys(open(f.out).read().splitlines() + open(f2.out).read().splitlines())
        same_once(got, decoded([a_v1, blob_bytes(c, a), b_v1, short]), "grow (%s)" % cred_kind)
        s2 = stats_of(f2.stderr())
        if s1["failures"] or s2["failures"] or s1["retries"] or s2["retries"]:
            fail("unexpected failures/retries: %s %s" % (s1, s2))
        log("requests: run 1 %d, run 2 %d; bytes %d + %d" % (s1["requests"], s2["requests"], s1["bytes"],
                                                            s2["bytes"]))
        no_secrets(secrets, [f.out, f.err, f2.out, f2.err, bm])


def scenario_hour():
    """The hour turns while following (the follower's clock is moved with
    faketime to 3 s before the end of this hour): the next hour's blob is
    picked up, and a late commit to the hour just over still read."""
    if not os.path.exists(FAKETIME_LIB):
        print("SKIP: %s missing (Debian: libfaketime)" % FAKETIME_LIB)
        return
    rel, records = corpus()
    now = time.time()
    hour = int(now) - int(now) % 3600
    fake = datetime.datetime.fromtimestamp(hour + 3597, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        cred = key_cred()
        bm = os.path.join(OUT, "bookmarks")
        h1 = name_at(rel, hour * 1000)
        h2 = name_at(rel, (hour + 3600) * 1000)
        m = minutes(records, 3, (hour + 3540) * 1000)
        size1 = azstore.commit(c, CONTAINER, h1, m[0])
        f = Follower(url, cred, bm, "hour", fake=fake)
        wait_for("the last minute of the hour", lambda: azblob.bookmark_offset(bm, url + "/" + h1) == size1 - 2, proc=f)
        log("%s: the hour's blob read at its last minute" % fake)
        time.sleep(4)  # the follower's clock passes the hour
        size2 = azstore.commit(c, CONTAINER, h2, m[1])
        wait_for("the next hour's blob", lambda: azblob.bookmark_offset(bm, url + "/" + h2) == size2 - 2, proc=f)
        log("the next hour's blob picked up")
        size1 = azstore.commit(c, CONTAINER, h1, m[2])
        wait_for("a late commit to the hour over",
                 lambda: azblob.bookmark_offset(bm, url + "/" + h1) == size1 - 2, proc=f)
        log("a late commit to the hour just over read")
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        got = tuple_keys(open(f.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, h1), blob_bytes(c, h2)]), "hour")


def run_tool(args, want_rc=None):
    r = subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=240)
    if want_rc is not None and r.returncode != want_rc:
        fail("%s: exit %d, expected %d\n%s" % (" ".join(args), r.returncode, want_rc, r.stderr))
    return r


def expect_in(text, what, label):
    if what not in text:
        fail("%s: %r not in:\n%s" % (label, what, text))
    log("%s: says %r" % (label, what))


def scenario_errors():
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        good = name_at(rel, now_ms)
        azstore.commit(c, CONTAINER, good, records)
        # A blob in the layout that is not JSON, and one outside the layout.
        bad = name_at(rel, now_ms, mac="000D3ABADBAD")
        c.put_blob(CONTAINER, bad, b'{"records":[{"time": not json}, ' + azstore.encode(records[:1]) + b"]}")
        c.put_blob(CONTAINER, "notes/readme.json", b"{}")
        key = secret_file("key", azstore.KEY)
        r = run_tool(["decode", "--account-key-file", key, url], want_rc=1)
        n = len(r.stdout.splitlines())
        if n != 17 + 9:
            fail("decode with a bad blob: %d tuples, expected 26 (the good blob's 17 and the rest of the bad)" % n)
        expect_in(r.stderr, url + "/" + bad + ":", "not-JSON blob named with its URL and offset")
        expect_in(r.stderr, url + "/notes/readme.json: not in the flow-log layout", "name outside the layout")
        # A wrong key: 403, named.
        badkey = secret_file("badkey", azstore.base64.b64encode(b"k" * 64).decode())
        r = run_tool(["follow", "--once", "--account-key-file", badkey, url], want_rc=1)
        expect_in(r.stderr, url + ": HTTP 403 AuthorizationFailure: access denied; check the credential",
                  "wrong account key")
        # No such container: 404, named.
        r = run_tool(["follow", "--once", "--account-key-file", key, az.base() + "/nosuchcontainer"], want_rc=1)
        expect_in(r.stderr, "/nosuchcontainer: HTTP 404 ContainerNotFound: not found", "missing container")
        # A SAS whose se= is past: refused before any request.
        old = azstore.container_sas(CONTAINER, "rl", "2020-01-01T00:00:00Z")
        r = run_tool(["follow", "--once", "--sas-file", secret_file("old.sas", old), url], want_rc=1)
        expect_in(r.stderr, "sas-file: the SAS expired at 2020-01-01T00:00:00Z (se=); make a new one",
                  "expired SAS")
        # A SAS expiring within 24 h: works, with a warning.
        soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        sas = azstore.container_sas(CONTAINER, "rl", soon)
        r = run_tool(["decode", "--sas-file", secret_file("soon.sas", sas), url], want_rc=1)
        expect_in(r.stderr, "the SAS expires at %s, within 24 hours" % soon, "SAS expiring soon")
        # A SAS without l (list): 403 named.
        r = run_tool(["follow", "--once", "--sas-file", secret_file("r.sas", azstore.container_sas(CONTAINER, "r",
                      "2099-01-01T00:00:00Z")), url], want_rc=1)
        expect_in(r.stderr, "HTTP 403 AuthorizationPermissionMismatch", "SAS without list permission")
        # The environment, as the Azure CLI reads it.
        env = dict(os.environ, AZURE_STORAGE_SAS_TOKEN=azstore.container_sas(CONTAINER, "rl", "2099-01-01T00:00:00Z"))
        r = subprocess.run([TOOL, "decode", url + "/" + good.split("/y=")[0]], capture_output=True, text=True, env=env)
        if len(r.stdout.splitlines()) != 17 + 9:
            fail("AZURE_STORAGE_SAS_TOKEN: %d tuples\n%s" % (len(r.stdout.splitlines()), r.stderr))
        log("AZURE_STORAGE_SAS_TOKEN used; a URL prefix narrows the listing")
        # A URL carrying a SAS is refused, and the SAS is not printed.
        sig = re.search(r"sig=([^&]+)", sas).group(1)
        r = run_tool(["decode", url + "?" + sas], want_rc=1)
        expect_in(r.stderr, "a URL with a query is refused", "URL with a query")
        if sig in r.stderr:
            fail("the SAS signature was printed")
        # TLS to a server that speaks plain HTTP: a TLS error, named.
        r = run_tool(["follow", "--once", "--account-key-file", key, url.replace("http://", "https://")],
                     want_rc=1)
        expect_in(r.stderr, url.replace("http://", "https://") + ": TLS: ", "TLS failure")
        # A key file others may read: warned.
        os.chmod(key, 0o644)
        r = run_tool(["follow", "--once", "--account-key-file", key, url], want_rc=1)  # 1: the bad blob
        expect_in(r.stderr, "is readable by every user; chmod 600 it", "key file readable by others")


def scenario_faults():
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        portfile, control, flog = (os.path.join(OUT, n) for n in ("proxy.port", "faults", "faults.log"))
        open(control, "w").close()
        proxy = subprocess.Popen([sys.executable, os.path.join(HERE, "faultproxy.py"), str(az.port), portfile,
                                  control, flog])
        try:
            wait_for("the proxy", lambda: os.path.exists(portfile))
            url = "http://127.0.0.1:%s/%s/%s" % (open(portfile).read(), azstore.ACCOUNT, CONTAINER)
            cred = key_cred()
            bm = os.path.join(OUT, "bookmarks")
            name = name_at(rel, now_ms)
            faults = [("503", "list"), ("429", "read"), ("reset", "read"), ("500", "list"), ("stall", "read"),
                      ("403", "list")]
            mins = minutes(records, len(faults) + 1, now_ms)
            os.environ["AZFLOW_BLOB_STALL_S"] = "2"        # a stall ends after 2 s, not 30
            os.environ["AZFLOW_BLOB_RETRY_BASE_MS"] = "200"
            f = Follower(url, cred, bm, "follow")
            size = azstore.commit(c, CONTAINER, name, mins[0])
            wait_for("minute 1", lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2, proc=f)
            for k, (kind, what) in enumerate(faults):
                with open(control, "w") as fc:
                    fc.write("%s %s\n" % (kind, what))
                size = azstore.commit(c, CONTAINER, name, mins[k + 1])
                wait_for("minute %d past a %s on %s" % (k + 2, kind, what),
                         lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2, timeout=30, proc=f)
                used = open(flog).read().split("\n")
                if not any(l.startswith("%s %s" % (kind, what)) for l in used):
                    fail("the %s fault was not used" % kind)
                log("%s on %s: injected, minute %d read" % (kind, what, k + 2))
            # Exit 1: a poll failed (the 403); the follower went on regardless.
            if f.stop() != 1:
                fail("follower exit %d, expected 1:\n%s" % (f.proc.returncode, f.stderr()))
        finally:
            proxy.kill()
            proxy.wait()
        got = tuple_keys(open(f.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, name)]), "faults")
        s = stats_of(f.stderr())
        # 503, 429, reset, 500 and the stall are retried within a request;
        # the 403 fails that poll (said once), the next poll reads on.
        if s["retries"] < 5:
            fail("retries %d, expected at least 5 (%s)" % (s["retries"], s))
        if s["failures"] < 1:
            fail("failures %d, expected the 403 counted" % s["failures"])
        expect_in(f.stderr(), "HTTP 403 AuthorizationFailure", "403 during follow: logged, not fatal")
        log("stats: %s" % s)


class Proxy:
    """tools/faultproxy.py between the tool and Azurite; url() goes through it."""

    def __init__(self, az, env=None):
        self.portfile, self.control, self.log = (os.path.join(OUT, n) for n in ("proxy.port", "faults", "faults.log"))
        for p in (self.portfile, self.log + ".inflight"):
            if os.path.exists(p):
                os.unlink(p)  # an earlier proxy's
        open(self.control, "w").close()
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "faultproxy.py"), str(az.port),
                                      self.portfile, self.control, self.log], env=dict(os.environ, **(env or {})))
        wait_for("the proxy", lambda: os.path.exists(self.portfile))

    def url(self):
        return "http://127.0.0.1:%s/%s/%s" % (open(self.portfile).read(), azstore.ACCOUNT, CONTAINER)

    def inflight(self):
        """(most requests in flight at once, Get Blob requests) so far."""
        try:
            m = re.match(r"max (\d+) reads (\d+)", open(self.log + ".inflight").read())
        except FileNotFoundError:
            return 0, 0
        return int(m.group(1)), int(m.group(2))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


BOUND = 4  # blob_http.c's PARALLEL


def scenario_parallel(nblobs=10):
    """The ranged reads of a poll's changed blobs run several at once (each
    answered 300 ms late by the proxy), never more than the bound, and the
    tuples still come out once each, in the blobs' order."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        names = sorted(name_at(rel, now_ms, mac="000D3AF8C%03d" % i) for i in range(nblobs))
        cred = key_cred()
        bm = os.path.join(OUT, "bookmarks")
        with Proxy(az, {"FAULTPROXY_READ_DELAY_MS": "300"}) as px:
            url = px.url()
            before = {}
            reads0 = 0
            for k in range(2):
                for i, nm in enumerate(names):
                    # Each blob's minute a second apart from the others': no
                    # two tuples alike.
                    azstore.commit(c, CONTAINER, nm, azblob.rebase(records, now_ms + k * 60000 + i * 1000))
                t = time.time()
                r = run_tool(["follow", "--once", "--stats", "--since", "1h", "--bookmarks", bm] + cred + [url],
                             want_rc=0)
                wall = time.time() - t
                with open(os.path.join(OUT, "pass%d.err" % (k + 1)), "w") as f:
                    f.write(r.stderr)
                got = tuple_keys(r.stdout.splitlines())
                want = []
                for nm in names:
                    all_now = decoded([blob_bytes(c, nm)])
                    want += all_now[before.get(nm, 0):]
                    before[nm] = len(all_now)
                if got != want:
                    same_once(got, want, "pass %d" % (k + 1))  # says what differs
                    fail("pass %d: the tuples came out in another order than the blobs'" % (k + 1))
                if len(set(got)) != len(got):
                    fail("pass %d: a tuple came out twice" % (k + 1))
                most, reads = px.inflight()
                s = stats_of(r.stderr)
                log("pass %d: %d changed blobs, %d tuples in order, each once; %d requests (%d reads), "
                    "at most %d in flight, %.2f s" % (k + 1, nblobs, len(got), s["requests"], reads - reads0, most,
                                                      wall))
                if reads - reads0 != nblobs:
                    fail("pass %d: %d ranged reads, expected one per changed blob (%d)" % (k + 1, reads - reads0,
                                                                                         nblobs))
                if not 2 <= most <= BOUND:
                    fail("pass %d: at most %d requests in flight at once, expected 2..%d" % (k + 1, most, BOUND))
                reads0 = reads
        no_secrets([azstore.KEY], [os.path.join(OUT, "pass1.err"), os.path.join(OUT, "pass2.err"), bm])


def scenario_skew(shift=1200):
    """The storage service's clock 20 minutes ahead of the sensor's (the
    proxy's Date headers; it refuses Shared Key requests dated more than 15
    minutes off, as Azure does): the 403 is named as clock skew, not a bad
    key; with a SAS the requests succeed and the skew is said once."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        name = name_at(rel, now_ms)
        azstore.commit(c, CONTAINER, name, records)
        with Proxy(az, {"FAULTPROXY_CLOCK_SHIFT_S": str(shift)}) as px:
            url = px.url()
            key = secret_file("key", azstore.KEY)
            r = run_tool(["follow", "--once", "--account-key-file", key, url], want_rc=1)
            m = re.search(re.escape(url) + r": HTTP 403 AuthenticationFailed: clock skew of (\d+) s: "
                          r"fix the sensor's clock \(NTP\)", r.stderr)
            if m is None or abs(int(m.group(1)) - shift) > 2:
                fail("Shared Key, clock 20 min off: no clock-skew error naming the source:\n" + r.stderr)
            if "check the credential" in r.stderr:
                fail("clock skew called a credential problem:\n" + r.stderr)
            log("Shared Key refused for skew: says %r" % m.group(0))
            sas = azstore.container_sas(CONTAINER, "rl", "2099-01-01T00:00:00Z")
            f = Follower(url, ["--sas-file", secret_file("sas", sas)], os.path.join(OUT, "bookmarks"), "skew")
            wait_for("the blob read over SAS", lambda: len(open(f.out).read().splitlines()) == 17, proc=f)
            time.sleep(2)  # several more polls, each with answers 20 min ahead
            if f.stop() != 0:
                fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
            said = re.findall(re.escape(url) + r": clock skew of (\d+) s against the storage service: "
                              r"fix the sensor's clock \(NTP\)", f.stderr())
            polls = re.findall(r"polls (\d+)", f.stderr())
            if not polls or int(polls[-1]) < 3:
                fail("the follower polled %s times, expected several" % polls)
            if len(said) != 1 or abs(int(said[0]) - shift) > 2:
                fail("SAS with the clock 20 min off: %d skew notices, expected 1:\n%s" % (len(said), f.stderr()))
            log("SAS works with the clock off; the skew said once (%s s) over %s polls" % (said[0], polls[-1]))


def scenario_torn():
    """The writer's faults inside committed blocks: a block that cuts a
    record in two, one holding JSON that is not JSON.  Each is said once,
    naming the blob's URL (no query) and the byte offset; the records
    around them are read, each once, however many polls look again."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        sas = azstore.container_sas(CONTAINER, "rl", "2099-01-01T00:00:00Z")
        cred = ["--sas-file", secret_file("sas", sas)]
        bm = os.path.join(OUT, "bookmarks")
        name = name_at(rel, now_ms)
        m = minutes(records, 4, now_ms)
        size = azstore.commit(c, CONTAINER, name, m[0])
        f = Follower(url, cred, bm, "torn")
        wait_for("minute 1", lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2, proc=f)
        # A block that ends inside its second record (the writer cut it),
        # then a good minute after it.
        whole = azstore.encode(m[1])
        first = len(azstore.encode(m[1][:1]))
        torn_at = size - 2 + 1 + first + 1  # the cut record's start: after "," + record + ","
        azstore.commit(c, CONTAINER, name, None, raw=b"," + whole[:first + 1 + 40])
        size = azstore.commit(c, CONTAINER, name, m[2])
        wait_for("the minute after the cut record", lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2,
                 proc=f)
        log("a record cut by the writer: the minute after it read")
        # A block of JSON that is not JSON, then a good minute.
        bad_at = size - 2 + 1
        bad = b'{"time": not json}'
        azstore.commit(c, CONTAINER, name, None, raw=b"," + bad)
        size = azstore.commit(c, CONTAINER, name, m[3])
        wait_for("the minute after the bad JSON", lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2,
                 proc=f)
        time.sleep(1.5)  # more polls: nothing is read or said again
        if f.stop() != 1:  # 1: bad input was met (and skipped)
            fail("follower exit %d, expected 1:\n%s" % (f.proc.returncode, f.stderr()))
        err = f.stderr()
        log("stderr:\n" + err.strip())
        # The cut record is named at its start; the bad JSON at its bad byte.
        for what, lo, hi in (("cut record", torn_at, torn_at), ("bad JSON", bad_at, bad_at + len(bad) - 1)):
            hits = [int(m.group(1)) for m in re.finditer(re.escape("%s/%s:" % (url, name)) + r"(\d+): ", err)
                    if lo <= int(m.group(1)) <= hi]
            if len(hits) != 1:
                fail("%s at bytes %d..%d: %d messages naming the blob and the offset, expected 1" % (what, lo, hi,
                                                                                                    len(hits)))
            log("%s: said once, naming the blob and byte %d" % (what, hits[0]))
        if len(re.findall(re.escape("%s/%s:" % (url, name)), err)) != 2:
            fail("more messages than the two faults:\n" + err)
        # Restarted from the bookmarks: nothing read or said again.
        f2 = Follower(url, cred, bm, "torn2")
        time.sleep(1.5)
        if f2.stop() != 0 or open(f2.out).read() or name in f2.stderr():
            fail("restart after the faults: exit %d, %d tuples again:\n%s" % (
                f2.proc.returncode, len(open(f2.out).read().splitlines()), f2.stderr()))
        log("restart from the bookmarks: nothing read or said again")
        got = tuple_keys(open(f.out).read().splitlines())
        # What the blob holds but the two faults, as `azflow decode` reads it.
        good = azstore.HEAD + b",".join(azstore.encode(mm) for mm in (m[0], m[1][:1], m[2], m[3])) + azstore.TAIL
        same_once(got, decoded([good]), "torn (every record but the cut and the bad one)")
        no_secrets([re.search(r"sig=([^&]+)", sas).group(1)], [f.out, f.err, f2.err, bm])


def scenario_crash(nblobs=4):
    """kill -9 of the follower while a poll reads (a Get Blob stalled by the
    proxy), then a restart from the bookmarks file: every tuple out once
    over the two runs, none lost, none twice."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        names = sorted(name_at(rel, now_ms, mac="000D3AF8D%03d" % i) for i in range(nblobs))
        cred = key_cred()
        bm = os.path.join(OUT, "bookmarks")
        with Proxy(az) as px:
            url = px.url()

            def commit_all(k):
                sizes = {}
                for i, nm in enumerate(names):
                    sizes[nm] = azstore.commit(c, CONTAINER, nm, azblob.rebase(records, now_ms + k * 60000 + i * 1000))
                return sizes

            def all_read(sizes):
                return all(azblob.bookmark_offset(bm, url + "/" + nm) == sz - 2 for nm, sz in sizes.items())

            sizes = commit_all(0)
            f = Follower(url, cred, bm, "crash1")
            wait_for("minute 1 of every blob", lambda: all_read(sizes), proc=f)
            saved = open(bm).read()
            with open(px.control, "w") as fc:
                fc.write("stall read\n")
            sizes = commit_all(1)
            wait_for("a read stalled", lambda: os.path.exists(px.log) and "stall read" in open(px.log).read(),
                     proc=f)
            time.sleep(0.3)
            f.proc.kill()  # SIGKILL in the middle of the poll
            f.proc.wait()
            if open(bm).read() != saved:
                fail("the bookmarks changed during the poll that was killed")
            log("killed (-9) while a read of the poll stalled; the bookmarks file is the last poll's")
            f2 = Follower(url, cred, bm, "crash2")
            wait_for("minute 2 of every blob after the restart", lambda: all_read(sizes), timeout=30, proc=f2)
            if f2.stop() != 0:
                fail("follower exit %d:\n%s" % (f2.proc.returncode, f2.stderr()))
        got = tuple_keys(open(f.out).read().splitlines() + open(f2.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, nm) for nm in names]), "crash and restart")


def put_many(base, names, data, threads=8):
    import concurrent.futures
    def work(chunk):
        c = azstore.Client(base)
        for n in chunk:
            c.put_blob(CONTAINER, n, data)
    chunks = [names[i::threads] for i in range(threads)]
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(work, chunks))


def scenario_paging(count=5001):
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    one = azstore.encode(azblob.rebase(azblob.select(records[:1], lambda t: t[1] == "10.0.0.4" and t[3] == "50000"),
                                       now_ms))
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        names = [name_at(rel, now_ms, mac="000D3A%06X" % i) for i in range(count)]
        t = time.time()
        grown = (names[0], names[count // 2], names[-1])  # on the first and the second page
        one_recs = json.loads(b"[" + one + b"]")
        # Those that will grow are written as Azure writes (blocks); the rest
        # in one Put Blob each, concurrently, to be quick.
        put_many(az.base(), [n for n in names if n not in grown], azstore.HEAD + one + azstore.TAIL)
        for nm in grown:
            azstore.commit(c, CONTAINER, nm, one_recs)
        log("%d blobs written in %.1fs" % (count, time.time() - t))
        cred = key_cred()
        bm = os.path.join(OUT, "bookmarks")

        def once(tag):
            r = run_tool(["follow", "--once", "--stats", "--since", "1h", "--bookmarks", bm] + cred + [url],
                         want_rc=0)
            with open(os.path.join(OUT, tag + ".err"), "w") as f:
                f.write(r.stderr)
            return len(r.stdout.splitlines()), stats_of(r.stderr)

        per = len(list(azblob.tuples(json.loads(b"[" + one + b"]"))))

        def crossed():
            """Hours the clock has moved past the blobs' own: each makes a
            pass list one more (empty) hour.  A run that starts just before
            the top of an hour crosses it (under ASan the first pass alone
            takes ~40 s)."""
            return int(time.time() // 3600) - now_ms // 3600000
        n, s = once("first")
        # Each pass is a fresh process: 1 discovery listing, the hour before
        # the newest bookmark (empty: 1 request), this hour's 2 pages.
        pages = 3
        if n != count * per:
            fail("first pass: %d tuples, expected %d" % (n, count * per))
        log("first pass: %d blobs, %d tuples, %d requests" % (count, n, s["requests"]))
        # Nothing changed: the listing alone (1 discovery + pages), no read.
        n, s = once("idle")
        most = 1 + pages + crossed()
        if n != 0 or s["requests"] > most:
            fail("idle pass: %d tuples, %d requests (expected 0 and at most %d)" % (n, s["requests"], most))
        log("idle pass over %d unchanged blobs: %d requests" % (count, s["requests"]))
        # Three blobs grow: only they are read.
        for nm in grown:
            azstore.commit(c, CONTAINER, nm, azblob.rebase(one_recs, now_ms + 60000))
        n, s = once("changed")
        most = 1 + pages + 3 + crossed()
        if n != 3 * per or s["requests"] > most:
            fail("3 grown: %d tuples, %d requests (expected %d and at most %d)" % (n, s["requests"], 3 * per, most))
        log("3 of %d blobs grown: %d tuples, %d requests" % (count, n, s["requests"]))


def hour_name(rel, hours_back, mac=None):
    """rel in the hour `hours_back` before this one (its records at that
    hour's minute 10)."""
    h = int(time.time()) // 3600 * 3600 - hours_back * 3600
    return name_at(rel, h * 1000, mac), (h + 600) * 1000


def scenario_older():
    """The first poll reads back `since`: the read of an older hour's
    blob (2 hours ago, no longer written, past the 15 minutes its hour stays
    listed) gets a 403, which is not retried.  Its bookmark still needs the
    read; the next polls list that hour again and read it: all its tuples
    come out, once, as do this hour's."""
    rel, records = corpus()
    with storage() as (az, c):
        old, old_ms = hour_name(rel, 2)
        new, new_ms = hour_name(rel, 0, mac="000D3AF8EEEE")
        azstore.commit(c, CONTAINER, old, azblob.rebase(records, old_ms))
        size_new = azstore.commit(c, CONTAINER, new, azblob.rebase(records, int(time.time() * 1000)))
        size_old = len(blob_bytes(c, old))
        with Proxy(az) as px:
            url = px.url()
            with open(px.control, "w") as fc:
                fc.write("403 read %s\n" % old.split("/macAddress=")[0])
            bm = os.path.join(OUT, "bookmarks")
            # (--since 3h: the blob 2 hours old is read back even if the hour turns now.)
            f = Follower(url, key_cred(), bm, "older", extra=["--since", "3h"])
            wait_for("this hour's blob", lambda: azblob.bookmark_offset(bm, url + "/" + new) == size_new - 2,
                     proc=f)
            if "403 read" not in open(px.log).read():
                fail("the 403 on the older hour's read was not used")
            log("403 on the read of the blob 2 hours old: injected in the first poll")
            wait_for("the older hour's blob read after its 403",
                     lambda: azblob.bookmark_offset(bm, url + "/" + old) == size_old - 2, timeout=10, proc=f)
            log("the older hour's blob read at a later poll")
            time.sleep(1)  # more polls: nothing read again
            if f.stop() != 1:  # 1: a read failed (said), the follower went on
                fail("follower exit %d, expected 1:\n%s" % (f.proc.returncode, f.stderr()))
            expect_in(f.stderr(), "HTTP 403 AuthorizationFailure", "the failed read")
        got = tuple_keys(open(f.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, old), blob_bytes(c, new)]), "older hour past a 403")


def scenario_restart():
    """Blobs of hours no longer listed keep their bookmarks as long as a
    restart would list those hours again: a blob 2 hours old, read in the
    first poll and gone from the listing after it, is not read again by a
    restart (which, without bookmarks, would read back `since`).  Then, with
    the sensor's clock moved 2.5 hours on (libfaketime), blobs of the last
    hour and the one before it are not read again by a restart either: a
    restart lists from the hour before the newest bookmarked one."""
    rel, records = corpus()
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        cred = key_cred()
        bm = os.path.join(OUT, "bookmarks")
        old, old_ms = hour_name(rel, 2)
        size = azstore.commit(c, CONTAINER, old, azblob.rebase(records, old_ms))
        f = Follower(url, cred, bm, "restart1", extra=["--since", "3h"])  # 3h: whatever the hour turns
        wait_for("the blob 2 hours old", lambda: azblob.bookmark_offset(bm, url + "/" + old) == size - 2, proc=f)
        time.sleep(1.5)  # more polls: its hour is no longer listed
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        if azblob.bookmark_offset(bm, url + "/" + old) != size - 2:
            fail("the bookmark of the blob 2 hours old was dropped once its hour left the listing:\n" +
                 open(bm).read())
        log("run 1: the blob 2 hours old read; its bookmark kept after its hour left the listing")
        outs = [f.out]
        f = Follower(url, cred, bm, "restart2", extra=["--since", "3h"])
        time.sleep(2)
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        n = len(open(f.out).read().splitlines())
        if n:
            fail("restart: %d tuples read again" % n)
        log("restart: 0 tuples the second time")
        outs.append(f.out)
        got = tuple_keys(sum((open(o).read().splitlines() for o in outs), []))
        same_once(got, decoded([blob_bytes(c, old)]), "restart (blob 2 hours old)")
        if not os.path.exists(FAKETIME_LIB):
            print("SKIP: the clock-moved part: %s missing (Debian: libfaketime)" % FAKETIME_LIB)
            return
        # The last hour's blob and this hour's, read; then the sensor's clock
        # 2.5 hours on: `since` (2 h) reaches this hour only, yet a restart
        # lists the hour before it too.
        prev, prev_ms = hour_name(rel, 1, mac="000D3AF8AAAA")
        cur, cur_ms = hour_name(rel, 0, mac="000D3AF8BBBB")
        sp = azstore.commit(c, CONTAINER, prev, azblob.rebase(records, prev_ms))
        sc = azstore.commit(c, CONTAINER, cur, azblob.rebase(records, cur_ms))
        f = Follower(url, cred, bm, "restart3")
        wait_for("the last hour's and this hour's blobs",
                 lambda: azblob.bookmark_offset(bm, url + "/" + prev) == sp - 2 and
                 azblob.bookmark_offset(bm, url + "/" + cur) == sc - 2, proc=f)
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        outs.append(f.out)
        later = int(time.time()) // 3600 * 3600 + 9000
        fake = datetime.datetime.fromtimestamp(later, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        for k in (4, 5):
            f = Follower(url, cred, bm, "restart%d" % k, fake=fake)
            time.sleep(2)
            if f.stop() != 0:
                fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
            n = len(open(f.out).read().splitlines())
            if n:
                fail("restart %d at %s: %d tuples read again" % (k - 2, fake, n))
            outs.append(f.out)
        if azblob.bookmark_offset(bm, url + "/" + prev) != sp - 2 or azblob.bookmark_offset(bm, url + "/" + old):
            fail("at %s: the last hour's bookmark should be kept, the one 2 hours older dropped:\n%s" % (
                fake, open(bm).read()))
        log("clock at %s: two restarts, 0 tuples again; the oldest bookmark (4 hours back) dropped" % fake)
        got = tuple_keys(sum((open(o).read().splitlines() for o in outs), []))
        same_once(got, decoded([blob_bytes(c, old), blob_bytes(c, prev), blob_bytes(c, cur)]), "restarts")


def scenario_folder():
    """A URL prefix names a folder: of the resources NSG1 and NSG10, a source
    on …/NSG1 reads only NSG1's blob, and one on …/NSG10 sharing its
    bookmarks file reads NSG10's (its bookmarks are not NSG1's)."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        base = "%s/%s" % (az.base(), CONTAINER)
        cred = key_cred()
        bm = os.path.join(OUT, "bookmarks")
        names = {}
        for i, nsg in enumerate(("NSG1", "NSG10")):
            names[nsg] = name_at(rel, now_ms).replace("NETWORKWATCHER_EASTUS_VNET1-FLOWLOG", nsg)
            azstore.commit(c, CONTAINER, names[nsg], azblob.rebase(records, now_ms + i * 1000))
        folder = names["NSG1"].split("/NSG1/")[0]
        for nsg, again in (("NSG1", False), ("NSG10", False), ("NSG1", True), ("NSG10", True)):
            url = "%s/%s/%s" % (base, folder, nsg)
            r = run_tool(["follow", "--once", "--since", "1h", "--bookmarks", bm] + cred + [url], want_rc=0)
            got = tuple_keys(r.stdout.splitlines())
            if r.stderr.strip():
                log("source …/%s: %s" % (nsg, r.stderr.strip()))
            same_once(got, [] if again else decoded([blob_bytes(c, names[nsg])]),
                      "source …/%s%s" % (nsg, " again" if again else ""))
            if nsg == "NSG1" and "/NSG10/" in r.stdout + r.stderr:
                fail("the source on …/NSG1 named a blob of NSG10:\n" + r.stdout + r.stderr)
        for nsg in ("NSG1", "NSG10"):
            if azblob.bookmark_offset(bm, base + "/" + names[nsg]) is None:
                fail("no bookmark for %s's blob:\n%s" % (nsg, open(bm).read()))
        log("…/NSG1 read NSG1's blob only, …/NSG10 NSG10's; both bookmarked in one file; NSG1 again: nothing")


def scenario_retryafter():
    """A 503 whose Retry-After (seconds) is past any integer, on a listing
    and on a read: the delay asked is capped (AZFLOW_BLOB_RETRY_CAP_MS, 300
    ms here), the request retried, every tuple out."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        name = name_at(rel, now_ms)
        azstore.commit(c, CONTAINER, name, azblob.rebase(records, now_ms))
        with Proxy(az, {}) as px:
            with open(px.control, "w") as fc:
                fc.write("503huge list\n503huge read\n")
            os.environ["AZFLOW_BLOB_RETRY_CAP_MS"] = "300"
            t = time.time()
            r = run_tool(["follow", "--once", "--stats", "--since", "1h"] + key_cred() + [px.url()])
            wall = time.time() - t
            with open(os.path.join(OUT, "follow.err"), "w") as f:
                f.write(r.stderr)
            if r.returncode != 0:
                fail("exit %d:\n%s" % (r.returncode, r.stderr))
            used = open(px.log).read()
            if used.count("503huge") != 2:
                fail("the two faults were not both used:\n" + used)
            s = stats_of(r.stderr)
            if s["retries"] != 2 or s["failures"]:
                fail("retries %d failures %d, expected 2 and 0" % (s["retries"], s["failures"]))
            if wall > 10:
                fail("%.1f s: the delay asked was not capped" % wall)
            log("Retry-After: 99999999999999999999 on a list and a read: each retried after the cap, %.1f s in all"
                % wall)
            same_once(tuple_keys(r.stdout.splitlines()), decoded([blob_bytes(c, name)]), "retry-after past any integer")


def scenario_leak():
    """A request cut by a connection reset on every try (6: the first and 5
    retries) fails: a read, a listing, a managed identity's token request; the tool, under valgrind,
    leaks nothing of the partial bodies; the next run reads the blob whole."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        name = name_at(rel, now_ms)
        azstore.commit(c, CONTAINER, name, azblob.rebase(records, now_ms))
        bm = os.path.join(OUT, "bookmarks")
        with Proxy(az) as px:
            os.environ.update(AZFLOW_BLOB_RETRY_BASE_MS="1", AZFLOW_BLOB_RETRY_CAP_MS="5")
            args = ["follow", "--once", "--stats", "--since", "1h", "--bookmarks", bm] + key_cred() + [px.url()]
            vg = ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite", "--error-exitcode=99"]
            # The token request of a managed identity too (transfer(), not a
            # batch): the proxy on AZFLOW_IMDS_ENDPOINT resets each of its 6
            # tries, so nothing behind the proxy ever answers it.
            mi = ["follow", "--once", "--managed-identity", px.url()]
            imds = px.url().rsplit("/", 2)[0] + "/metadata/identity/oauth2/token"
            for what, targs, env in (("read", args, {}), ("list", args, {}),
                                     ("token", mi, {"AZFLOW_IMDS_ENDPOINT": imds})):
                kind = "read" if what == "token" else what
                used = open(px.log).read().count("reset " + kind) if os.path.exists(px.log) else 0
                with open(px.control, "w") as fc:
                    fc.write(("reset %s\n" % kind) * 6)
                r = subprocess.run(vg + [TOOL] + targs, capture_output=True, text=True, timeout=240,
                                   env=dict(os.environ, **env))
                with open(os.path.join(OUT, "valgrind-%s.err" % what), "w") as f:
                    f.write(r.stderr)
                if open(px.log).read().count("reset " + kind) - used != 6:
                    fail("the 6 resets were not all used:\n" + open(px.log).read())
                if r.returncode == 99:
                    fail("valgrind: the failed %s leaked:\n%s" % (what, r.stderr[-3000:]))
                if r.returncode != 1 or "(6 tries)" not in r.stderr:
                    fail("exit %d, expected 1 with the %s failed after 6 tries:\n%s" % (r.returncode, what, r.stderr))
                log("a %s reset on all 6 tries: failed, said, nothing leaked (valgrind)" % what)
            r = run_tool(args, want_rc=0)
            same_once(tuple_keys(r.stdout.splitlines()), decoded([blob_bytes(c, name)]), "the next run")

def scenario_longname():
    """Blob names longer than 2,047 bytes in one hour's listing, beside a
    plain one: a name of 870 characters (2,270 bytes of UTF-8, a name Azure
    allows) is read like any other (its request signed with Shared Key); one
    of 5,000 bytes (no name Azure gives) is skipped, said once with the
    container's URL and its byte offset in the listing answer, and counted;
    the blobs around it are read all the same (was: the whole listing failed
    with "out of memory", every poll, and nothing of that hour was read).  A
    resource whose prefix is that long is said and skipped the same way
    (was: left out without a word)."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        plain = name_at(rel, now_ms)
        euros = name_at(rel, now_ms, mac="000D3AF8EEEE").replace("/PT1H.json", "/" + "\u20ac" * 700 + "/PT1H.json")
        over = name_at(rel, now_ms, mac="000D3AF8FFFF").replace("/PT1H.json", "/" + "X" * 5000 + "/PT1H.json")
        res = name_at(rel, now_ms).replace("NETWORKWATCHERRG/", "NETWORKWATCHERRG/" + "R" * 5000 + "/")
        for i, n in enumerate((plain, euros, over, res)):
            azstore.commit(c, CONTAINER, n, azblob.rebase(records, now_ms + i * 1000))
        log("names of %s bytes written" % ", ".join(str(len(n.encode())) for n in (plain, euros, over, res)))
        bm = os.path.join(OUT, "bookmarks")
        f = Follower(url, key_cred(), bm, "follow")
        sp, se = len(blob_bytes(c, plain)), len(blob_bytes(c, euros))
        wait_for("the plain blob and the one of 2,270 bytes",
                 lambda: azblob.bookmark_offset(bm, url + "/" + plain) == sp - 2 and
                 azblob.bookmark_offset(bm, url + "/" + euros) == se - 2, proc=f)
        time.sleep(1.5)  # more polls: each name is said once
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        err = f.stderr()
        # Where the hour's listing holds the long name: its <Name> element.
        hour = plain.split("/m=00/")[0] + "/"
        r, xml = c.request("GET", CONTAINER, {"restype": "container", "comp": "list", "prefix": hour})
        at = xml.index(b"<Name>" + over.encode()[:over.index("XXXX")])
        said = ("azflow: %s: listing of prefix '%s' at byte %d: a blob name of %d bytes, over 4096 (Azure allows "
                "1,024 characters); skipped (" % (url, hour, at, len(over.encode())))
        if err.count(said) != 1:
            fail("expected once: %r\nin:\n%s" % (said, err[:3000]))
        log("the name of 5,000 bytes: said once, with the listing's byte offset %d" % at)
        # The resources' listing, as the tool asks for it (Azurite 3.35 cuts
        # a BlobPrefix after the delimiter's first character: its length is
        # read from the answer).
        r, xml = c.request("GET", CONTAINER, {"restype": "container", "comp": "list", "delimiter": "/y=",
                                               "prefix": ""})
        at = xml.index(b"<Name>" + res.encode()[:res.index("RRRR") + 4])
        length = xml.index(b"</Name>", at) - at - len(b"<Name>")
        said = "azflow: %s: listing at byte %d: a resource (BlobPrefix) name of %d bytes, over 4096" % (url, at, length)
        expect_in(err, said, "the resource of 5,000 bytes")
        if "out of memory" in err:
            fail("out of memory said:\n" + err[:3000])
        got = tuple_keys(open(f.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, plain), blob_bytes(c, euros)]), "long names")


def scenario_longurl():
    """Two blobs of one resource named as Azure names VNet flow logs
    (…/FLOWLOGS/NAME/y=/m=/d=/h=/m=00/macAddress=…/PT1H.json, 270 bytes and
    more with the container's URL): a 403 on each one's read, and on the
    listing of their hour.  Each error line names its blob, or the hour
    listed, whole and once, without a query (the SAS never printed); every
    URL on stderr is one of the source's, none cut short (was: cut at 80
    characters, both blobs' errors ended "…/flowLogRe: HTTP 403")."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        long_res = ("flowLogResourceID=/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/"
                    "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/"
                    "VNET1-FLOWLOG")
        names = [name_at(rel, now_ms, mac=m).replace(rel.split("/y=")[0], long_res)
                 for m in ("000D3AF8AAAA", "000D3AF8BBBB")]
        for i, n in enumerate(names):
            azstore.commit(c, CONTAINER, n, azblob.rebase(records, now_ms + i * 1000))
        hour = names[0].split("/m=00/")[0] + "/"
        sas = azstore.container_sas(CONTAINER, "rl", "2099-01-01T00:00:00Z")
        cred = ["--sas-file", secret_file("sas", sas)]
        with Proxy(az) as px:
            url = px.url()
            with open(px.control, "w") as fc:
                fc.write("403 list %s\n403 read %s\n403 read %s\n" % (hour, names[0], names[1]))
            bm = os.path.join(OUT, "bookmarks")
            f = Follower(url, cred, bm, "follow")
            sizes = [len(blob_bytes(c, n)) for n in names]
            wait_for("both blobs past their 403s",
                     lambda: all(azblob.bookmark_offset(bm, url + "/" + n) == z - 2 for n, z in zip(names, sizes)),
                     timeout=20, proc=f)
            if f.stop() != 1:  # 1: the poll and the reads that failed (said)
                fail("follower exit %d, expected 1:\n%s" % (f.proc.returncode, f.stderr()))
            if open(px.control).read().strip():
                fail("faults not all used:\n" + open(px.control).read())
        err = f.stderr()
        fix = ": HTTP 403 AuthorizationFailure: access denied; check the credential"
        lines = err.splitlines()
        for n in names:
            want = "%s/%s:0%s" % (url, n, fix)
            if sum(l.startswith(want) for l in lines) != 1:
                fail("expected one line starting %r in:\n%s" % (want, err))
            log("the read's 403 names its blob whole (%d bytes): …%s" % (len(url + "/" + n), n[-60:]))
        want = "azflow follow: %s: listing of prefix '%s'%s" % (url, hour, fix)
        if sum(l.startswith(want) for l in lines) != 1:
            fail("expected one line starting %r in:\n%s" % (want, err))
        log("the listing's 403 names the hour listed: …%s" % hour[-60:])
        known = {url} | {url + "/" + n for n in names}
        found = re.findall(r"http://127\.0\.0\.1:\d+/\S*?(?=:\d|: |$)", err, re.M)
        if not found or any(u not in known for u in found):
            fail("a URL on stderr that is not whole: %s" % [u for u in found if u not in known])
        log("%d URLs on stderr, each whole" % len(found))
        no_secrets([re.search(r"sig=([^&]+)", sas).group(1)], [f.out, f.err, bm])
        got = tuple_keys(open(f.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, n) for n in names]), "long URLs")


def scenario_stopunread():
    """A poll stopped partway (SIGTERM while the tool prints the tuples of a
    big blob A, of the last hour) leaves blob B, of another resource and an
    hour older, unread: the follower marks B's bookmark for a recheck, so
    the restart lists B's hour again and reads B (was: only the blob being
    read was marked; the restart listed from the last hour on and B's
    tuples were never read, its bookmark kept at 0).  The tool's stdout
    is a pipe nobody reads when the signal comes, as with a slow consumer:
    the stop must still be clean, exit 0, every tuple out once (was: the
    blocked write failed with EINTR, "writing the output: Interrupted
    system call", exit 1)."""
    rel, records = corpus()
    res1 = rel.split("/y=")[0]
    res2 = res1.replace("VNET1-FLOWLOG", "VNET2-FLOWLOG")
    with storage() as (az, c):
        url = "%s/%s" % (az.base(), CONTAINER)
        a, a_ms = hour_name(rel, 1, mac="000D3AF8AAAA")
        b, b_ms = hour_name(rel, 2, mac="000D3AF8BBBB")
        b = b.replace(res1, res2)
        cur, cur_ms = hour_name(rel, 0, mac="000D3AF8CCCC")
        # A: 2,000 copies of the records, a day apart (no tuple twice),
        # 34,000 tuples, under the 16 MiB one read asks for: printing them
        # takes long enough to stop in.
        big = sum((azblob.rebase(records, a_ms + k * 86400000) for k in range(2000)), [])
        azstore.commit(c, CONTAINER, a, big)
        azstore.commit(c, CONTAINER, b, azblob.rebase(records, b_ms))
        azstore.commit(c, CONTAINER, cur, azblob.rebase(records, cur_ms))
        sizes = {n: len(blob_bytes(c, n)) for n in (a, b, cur)}
        log("A %d bytes (an hour back), B %d bytes (2 hours back, another resource), this hour's %d bytes" % (
            sizes[a], sizes[b], sizes[cur]))
        bm = os.path.join(OUT, "bookmarks")
        # Its output is a pipe read to 256 KiB, then left full: the tool
        # blocks writing A's tuples, so the stop lands inside A however
        # fast or slow the machine is (was: a file, and a loaded machine
        # could finish A before the stop).
        f = Follower(url, key_cred(), bm, "run1", extra=["--since", "3h"], pipe=True)
        f.read_out(256 * 1024)
        time.sleep(0.5)
        if f.stop() != 0:
            fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        off = {n: azblob.bookmark_offset(bm, url + "/" + n) or 0 for n in (a, b, cur)}
        if off[a] >= sizes[a] - 2 or off[b] != 0:
            fail("the stop did not land inside A (bookmarks %s); rerun" % off)
        log("run 1 stopped inside A (its bookmark at %d of %d); B not read yet" % (off[a], sizes[a]))
        f2 = Follower(url, key_cred(), bm, "run2", extra=["--since", "3h"])
        wait_for("B read after the restart", lambda: azblob.bookmark_offset(bm, url + "/" + b) == sizes[b] - 2,
                 timeout=20, proc=f2)
        wait_for("A read to its end", lambda: azblob.bookmark_offset(bm, url + "/" + a) == sizes[a] - 2,
                 timeout=20, proc=f2)
        if f2.stop() != 0:
            fail("follower exit %d:\n%s" % (f2.proc.returncode, f2.stderr()))
        log("restart: B read, A read on from its bookmark")
        got = tuple_keys(open(f.out).read().splitlines() + open(f2.out).read().splitlines())
        same_once(got, decoded([blob_bytes(c, n) for n in (a, b, cur)]), "stopped poll")


def scenario_stopcancel():
    """SIGTERM while a request is under way (a listing, then a read, each
    stalled by the proxy) is a stop, not an error: exit 0 and no error
    line, and the restart reads what the stopped poll left, every tuple out
    once (was: the cancelled request was reported, "...: cancelled", and
    the exit status was 1, as for a fault of the storage)."""
    rel, records = corpus()
    now_ms = int(time.time() * 1000)
    with storage() as (az, c):
        name = name_at(rel, now_ms)
        bm = os.path.join(OUT, "bookmarks")
        with Proxy(az) as px:
            url = px.url()
            outs = []
            size = azstore.commit(c, CONTAINER, name, azblob.rebase(records, now_ms))
            for tag, what, more in (("list", "list", False), ("read", "read", True)):
                f = Follower(url, key_cred(), bm, "stop-" + tag)
                outs.append(f.out)
                if tag == "list":
                    wait_for("minute 1 read", lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2,
                             proc=f)
                with open(px.control, "w") as fc:
                    fc.write("stall %s\n" % what)
                if more:
                    size = azstore.commit(c, CONTAINER, name, azblob.rebase(records, now_ms + 60000))
                wait_for("a %s stalled" % what, lambda: os.path.exists(px.log) and
                         ("stall %s" % what) in open(px.log).read(), proc=f)
                time.sleep(0.3)
                rc = f.stop()
                err = f.stderr()
                if rc != 0 or "cancelled" in err or "follow:" in err:
                    fail("stopped during a stalled %s: exit %d:\n%s" % (what, rc, err))
                open(px.log, "w").close()
                log("stopped during a stalled %s: exit 0, no error" % what)
            f = Follower(url, key_cred(), bm, "stop-after")
            outs.append(f.out)
            wait_for("minute 2 read after the restart", lambda: azblob.bookmark_offset(bm, url + "/" + name) == size - 2,
                     proc=f)
            if f.stop() != 0:
                fail("follower exit %d:\n%s" % (f.proc.returncode, f.stderr()))
        got = tuple_keys(sum((open(o).read().splitlines() for o in outs), []))
        same_once(got, decoded([blob_bytes(c, name)]), "stops during requests")


def scenario_failing():
    """A blob 5 hours old whose read fails at every poll (a 403 each time,
    as for an archived blob) stays listed, by its own name: a pass costs
    one listing for it, not one per resource for every hour back to its own
    (was: 3 resources x 6 hours = 18 listings, growing by 3 every hour).
    Once its reads work again it is read, every tuple once."""
    rel, records = corpus()
    res1 = rel.split("/y=")[0]
    with storage() as (az, c):
        old, old_ms = hour_name(rel, 5, mac="000D3AF8DEAD")
        names = [old]
        azstore.commit(c, CONTAINER, old, azblob.rebase(records, old_ms))
        for i in (1, 2, 3):
            n, ms = hour_name(rel, 0, mac="000D3AF8000%d" % i)
            n = n.replace(res1, res1.replace("VNET1-FLOWLOG", "VNET%d-FLOWLOG" % i))
            azstore.commit(c, CONTAINER, n, azblob.rebase(records, ms + i * 1000))
            names.append(n)
        hour0 = int(time.time()) // 3600
        bm = os.path.join(OUT, "bookmarks")
        outs = []
        with Proxy(az) as px:
            with open(px.control, "w") as fc:
                fc.write(("403 read %s\n" % old) * 20)

            def once(tag, want_rc):
                r = run_tool(["follow", "--once", "--stats", "--since", "6h", "--bookmarks", bm] + key_cred() +
                             [px.url()], want_rc=want_rc)
                with open(os.path.join(OUT, tag + ".err"), "w") as f:
                    f.write(r.stderr)
                outs.append(r.stdout)
                return stats_of(r.stderr)
            once("first", 1)
            s = once("again", 1)
            # 1 discovery, the hour before the newest bookmarked one and this
            # one under 3 resources, the failing blob by name, its read.
            most = 1 + 3 * 2 + 1 + 1 + 3 * (int(time.time()) // 3600 - hour0)
            if s["requests"] > most:
                fail("a pass with a blob failing 5 hours back: %d requests, expected at most %d" % (
                    s["requests"], most))
            log("a pass with a blob failing 5 hours back: %d requests" % s["requests"])
            open(px.control, "w").close()  # its reads work again
            once("healed", 0)
        if azblob.bookmark_offset(bm, px.url() + "/" + old) != len(blob_bytes(c, old)) - 2:
            fail("the blob 5 hours old was not read once its reads worked:\n" + open(bm).read())
        log("its reads work again: read")
        got = tuple_keys(sum((o.splitlines() for o in outs), []))
        same_once(got, decoded([blob_bytes(c, n) for n in names]), "a blob failing, then read")


def main():
    os.makedirs(OUT, exist_ok=True)
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    scenarios = {"grow": lambda: scenario_grow("sas"), "key": lambda: scenario_grow("key"),
                 "errors": scenario_errors, "faults": scenario_faults, "hour": scenario_hour,
                 "paging": scenario_paging, "parallel": scenario_parallel, "skew": scenario_skew,
                 "torn": scenario_torn, "crash": scenario_crash, "older": scenario_older,
                 "restart": scenario_restart, "folder": scenario_folder, "retryafter": scenario_retryafter,
                 "leak": scenario_leak, "longname": scenario_longname,
                 "longurl": scenario_longurl, "stopunread": scenario_stopunread, "stopcancel": scenario_stopcancel,
                 "failing": scenario_failing}
    if which not in scenarios:
        sys.exit(__doc__)
    scenarios[which]()
    log("all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())

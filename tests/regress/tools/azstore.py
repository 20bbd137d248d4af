#!/usr/bin/python3
"""Real Azurite for storage cases, and a writer that grows blobs as Azure does.

    azstore.py serve  [--https CERT KEY] [--oauth] PORTFILE   run Azurite (until SIGTERM);
                      PORTFILE gets the port once it answers
    azstore.py commit BASE CONTAINER BLOB RECORDS.json        one minute: Put Block + Put Block List
    azstore.py sas    CONTAINER PERMS EXPIRY                  a container SAS (well-known key)

Azurite is the npm package pinned in tests/azurite/package-lock.json, installed
by tools/azurite-setup.sh into a cache outside the clone, started on a free
loopback port with --disableTelemetry and --inMemoryPersistence, stopped by
whoever started it.

The writer follows research/blob-ingestion.md §1.2: a PT1H.json is a block
blob of a 12-byte head block `{"records":[`, data blocks, and a 2-byte tail
block `]}`; each minute one data block is staged (Put Block: invisible to
readers) and committed by a Put Block List that inserts it before the tail.
Every data block after the first starts with `,`.  Requests are signed with
Shared Key (devstoreaccount1's well-known key), as the Azure writer's are.
"""
import base64
import datetime
import fcntl
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
VERSION = "2021-12-02"
HEAD, TAIL = b'{"records":[', b"]}"
# Block ids: all of one length within a blob (Put Block); head A…, data D…, tail Z….
HEAD_ID = base64.b64encode(b"A" + b"0" * 32).decode()
TAIL_ID = base64.b64encode(b"Z" + b"0" * 32).decode()


def data_id(n):
    return base64.b64encode(b"D%032d" % n).decode()


# --- Azurite ----------------------------------------------------------------


def azurite_bin():
    r = subprocess.run([os.path.join(SRCDIR, "tools", "azurite-setup.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("azstore: tools/azurite-setup.sh failed:\n" + r.stderr)
    return r.stdout.strip().splitlines()[-1]


PORT_LOCK = os.path.join(tempfile.gettempdir(), "azflow-azurite-port.lock")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Azurite:
    """Azurite's blob service on 127.0.0.1:port, in memory, until stop()."""

    def __init__(self, https=None, oauth=False, netns=None, log=None):
        # Cases run side by side (run.py --jobs): from picking a free port
        # until Azurite listens on it, no other test's Azurite may pick it.
        with open(PORT_LOCK, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._start(https, oauth, netns, log)

    def _start(self, https, oauth, netns, log):
        self.port = free_port()
        cmd = [azurite_bin(), "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
               "--inMemoryPersistence", "--disableTelemetry", "--silent"]
        if https:
            cmd += ["--cert", https[0], "--key", https[1]]
        if oauth:
            cmd += ["--oauth", "basic"]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.https = https
        self.proc = subprocess.Popen(cmd, stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("azstore: azurite exited (%d)" % self.proc.returncode)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) if not netns else _ns_probe(netns, self.port):
                    break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise SystemExit("azstore: azurite did not answer on port %d" % self.port)
                time.sleep(0.1)

    def base(self):
        return "%s://127.0.0.1:%d/%s" % ("https" if self.https else "http", self.port, ACCOUNT)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class _ns_probe:
    """Connect test inside a network namespace (Azurite serving there)."""

    def __init__(self, netns, port):
        r = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c",
                            "import socket; socket.create_connection(('127.0.0.1', %d), timeout=0.2)" % port],
                           capture_output=True)
        if r.returncode != 0:
            raise OSError("not yet")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


# --- REST client (Shared Key) ------------------------------------------------


class Client:
    def __init__(self, base, key=KEY, cafile=None):
        u = urllib.parse.urlsplit(base)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.prefix = u.path.rstrip("/")  # "/devstoreaccount1"
        self.account = self.prefix.strip("/")
        self.key = base64.b64decode(key)
        self.cafile = cafile
        self.conn = None

    def _conn(self):
        if self.conn is None:
            if self.scheme == "https":
                import ssl
                ctx = ssl.create_default_context(cafile=self.cafile)
                self.conn = http.client.HTTPSConnection(self.host, self.port, context=ctx, timeout=30)
            else:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return self.conn

    def request(self, method, path, query=None, body=b"", headers=None, ok=(200, 201, 202)):
        query = query or {}
        headers = dict(headers or {})
        path = self.prefix + "/" + urllib.parse.quote(path, safe="/")
        date = datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
        headers.update({"x-ms-date": date, "x-ms-version": VERSION})
        if method == "PUT":
            headers["Content-Length"] = str(len(body))
            headers.setdefault("Content-Type", "application/octet-stream")
        canon_h = "".join("%s:%s\n" % (k.lower(), v) for k, v in sorted(headers.items()) if k.lower().startswith("x-ms-"))
        canon_r = "/" + self.account + path + "".join("\n%s:%s" % (k, v) for k, v in sorted(query.items()))
        length = headers.get("Content-Length", "")
        sts = "\n".join([method, "", "", "" if length == "0" else length, "", headers.get("Content-Type", ""),
                         "", "", headers.get("If-Match", ""), "", "", ""]) + "\n" + canon_h + canon_r
        sig = base64.b64encode(hmac.new(self.key, sts.encode(), hashlib.sha256).digest()).decode()
        headers["Authorization"] = "SharedKey %s:%s" % (self.account, sig)
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        for attempt in range(3):
            try:
                c = self._conn()
                c.request(method, url, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn = None
                if attempt == 2:
                    raise
        if r.status not in ok:
            raise SystemExit("azstore: %s %s: %d %s" % (method, path, r.status, data[:300]))
        return r, data

    def create_container(self, container):
        self.request("PUT", container, {"restype": "container"}, ok=(201, 409))

    def put_blob(self, container, name, data):
        """A single Put Blob (not Azure's way for flow logs; used for bulk, many-blob cases)."""
        self.request("PUT", container + "/" + name, body=data, headers={"x-ms-blob-type": "BlockBlob"})

    def delete_blob(self, container, name):
        self.request("DELETE", container + "/" + name, ok=(202, 404))

    def committed(self, container, name):
        r, data = self.request("GET", container + "/" + name, {"comp": "blocklist", "blocklisttype": "committed"},
                               ok=(200, 404))
        if r.status == 404:
            return None
        import xml.etree.ElementTree as ET
        root = ET.fromstring(data)
        return [b.find("Name").text for b in root.iter("Block")]

    def put_block(self, container, name, block_id, data):
        self.request("PUT", container + "/" + name, {"comp": "block", "blockid": block_id}, body=data)

    def put_block_list(self, container, name, committed, latest):
        xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
        xml += "".join("<Committed>%s</Committed>" % b for b in committed[:-1])
        xml += "".join("<Latest>%s</Latest>" % b for b in latest)
        xml += "<Committed>%s</Committed>" % committed[-1] if committed else ""
        xml += "</BlockList>"
        r, _ = self.request("PUT", container + "/" + name, {"comp": "blocklist"}, body=xml.encode(),
                            headers={"Content-Type": "application/xml"})
        return r.getheader("ETag")

    def size(self, container, name):
        r, _ = self.request("HEAD", container + "/" + name, ok=(200, 404))
        return int(r.getheader("Content-Length")) if r.status == 200 else None


def encode(records):
    return b",".join(json.dumps(r, separators=(",", ":")).encode() for r in records)


def commit(client, container, name, records, stage_only=False, raw=None):
    """One minute of Azure's writer: stage the records as one data block and
    commit it before the tail.  Returns the blob's committed size.  raw: the
    data block's bytes instead (a writer's fault), "," and all."""
    blocks = client.committed(container, name)
    if raw is not None:
        if not blocks:
            raise ValueError("raw: the blob's first data block is the writer's own")
        new = data_id(len(blocks) - 1)
        client.put_block(container, name, new, raw)
        client.put_block_list(container, name, blocks, [new])
        return client.size(container, name)
    data = encode(records)
    if not blocks:
        client.put_block(container, name, HEAD_ID, HEAD)
        client.put_block(container, name, data_id(1), data)
        client.put_block(container, name, TAIL_ID, TAIL)
        if stage_only:
            return None
        client.put_block_list(container, name, [], [HEAD_ID, data_id(1), TAIL_ID])
    else:
        new = data_id(len(blocks) - 1)
        client.put_block(container, name, new, b"," + data)
        if stage_only:
            return None
        xml_committed = blocks  # head, data..., tail
        client.put_block_list(container, name, xml_committed, [new])
    return client.size(container, name)


def container_sas(container, perms, expiry, key=KEY, account=ACCOUNT):
    """A service SAS for a container (sv 2021-12-02 string to sign)."""
    sts = "\n".join([perms, "", expiry, "/blob/%s/%s" % (account, container), "", "", "https,http", VERSION, "c",
                     "", "", "", "", "", "", ""])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest()).decode()
    return urllib.parse.urlencode({"sv": VERSION, "sr": "c", "sp": perms, "se": expiry, "spr": "https,http",
                                   "sig": sig})


def main():
    a = sys.argv[1:]
    if a[:1] == ["serve"]:
        https = None
        oauth = "--oauth" in a
        if "--https" in a:
            i = a.index("--https")
            https = (a[i + 1], a[i + 2])
        az = Azurite(https=https, oauth=oauth)
        signal.signal(signal.SIGTERM, lambda *_: (az.stop(), sys.exit(0)))
        with open(a[-1] + ".tmp", "w") as f:
            f.write(str(az.port))
        os.rename(a[-1] + ".tmp", a[-1])
        az.proc.wait()
        return 0
    if a[:1] == ["commit"] and len(a) == 5:
        c = Client(a[1])
        c.create_container(a[2])
        with open(a[4]) as f:
            print(commit(c, a[2], a[3], json.load(f)))
        return 0
    if a[:1] == ["sas"] and len(a) == 4:
        print(container_sas(a[1], a[2], a[3]))
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())

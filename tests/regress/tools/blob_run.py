#!/usr/bin/python3
"""Suricata with a storage source, from a case's `command:`.

    blob_run.py [--follow] [--cred key|sas|badkey|expired|soon] [--https] [--mi] -- SURICATA ARG...

Starts real Azurite (azstore.py), commits the vtap corpus's VNet flow log to a
blob of the current hour as Azure does (a Put Block List per minute), then
runs Suricata like suricata_run.py with the container's url as
azure.flow-logs.0 and the credential asked for, in $OUTPUT_DIR.  Exits with
Suricata's exit code; Azurite is stopped however the run ends.

    --https   Azurite over TLS with a certificate of a CA made here with the
              openssl CLI; the source gives that CA in ca-file
    --mi      managed identity: Azurite with --oauth basic (HTTPS), and a token
              endpoint of our own standing in for the VM's instance metadata
              service (AZFLOW_IMDS_ENDPOINT)
"""
import datetime
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import azblob  # noqa: E402
import azstore  # noqa: E402
import suricata_run  # noqa: E402

SRCDIR = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.environ["OUTPUT_DIR"]
CONTAINER = "insights-logs-flowlogflowevent"


def secret(name, text, mode=0o600):
    p = os.path.join(OUT, name)
    with open(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w") as f:
        f.write(text)
    return p


def make_ca():
    """A CA and a server certificate for 127.0.0.1 signed by it (openssl CLI)."""
    d = os.path.join(OUT, "tls")
    os.makedirs(d, exist_ok=True)
    def ssl(*a):
        subprocess.run(["openssl"] + list(a), check=True, capture_output=True, cwd=d)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=azflow test CA")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"), os.path.join(d, "server.key")


def token_endpoint(token):
    """The instance metadata token endpoint's answer, on loopback (the test's own)."""
    import http.server

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.headers.get("Metadata") == "true" and "resource=https%3A%2F%2Fstorage.azure.com%2F" in self.path
            body = json.dumps({"access_token": token, "expires_on": str(int(time.time()) + 3600),
                               "token_type": "Bearer"} if ok else {"error": "bad request"}).encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with open(os.path.join(OUT, "imds.log"), "a") as f:
                f.write("%d %s\n" % (200 if ok else 400, self.path.split("?")[0]))

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d/metadata/identity/oauth2/token" % srv.server_address[1]


def fake_jwt():
    """A bearer token Azurite's --oauth basic accepts: a JWT for the storage
    audience, issued by an Entra ID tenant, valid now (not signed: basic
    checks the claims, not the signature)."""
    import base64
    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    now = int(time.time())
    claims = {"aud": "https://storage.azure.com", "iss": "https://sts.windows.net/ab1f708d-50f6-404c-a006-d71b2ac7a606/",
              "iat": now - 60, "nbf": now - 60, "exp": now + 3600, "oid": "00000000-0000-0000-0000-000000000001",
              "tid": "ab1f708d-50f6-404c-a006-d71b2ac7a606"}
    return b64({"alg": "RS256", "typ": "JWT"}) + "." + b64(claims) + "." + "c2ln"


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    opts, sargs = args[:sep], args[sep + 1:]
    cred = opts[opts.index("--cred") + 1] if "--cred" in opts else "key"
    https = "--https" in opts or "--mi" in opts
    tls = make_ca() if https else None
    rel, records = azblob.corpus_blob(os.path.join(SRCDIR, "pcap-corpus", "vtap", "vnet"))
    name = azblob.hour_path(rel, int(time.time() * 1000))
    with azstore.Azurite(https=tls[1:] if tls else None, oauth="--mi" in opts,
                         log=open(os.path.join(OUT, "azurite.log"), "w")) as az:
        c = azstore.Client(az.base(), cafile=tls[0] if tls else None)
        c.create_container(CONTAINER)
        for rec in records:
            azstore.commit(c, CONTAINER, name, [rec])
        # A block staged after the last commit: never committed, never read.
        extra = azblob.rebase(records[:1], int(time.time() * 1000))
        azstore.commit(c, CONTAINER, name, extra, stage_only=True)
        url = "%s/%s" % (az.base(), CONTAINER)
        env = dict(os.environ)
        s = ["--set", "azure.flow-logs.0.url=%s" % url, "--set", "azure.flow-logs.0.since=1h"]
        if "--follow" in opts:
            s += ["--set", "azure.flow-logs.0.follow=yes", "--set", "azure.bookmarks=%s" % os.path.join(OUT, "bookmarks")]
        if tls:
            s += ["--set", "azure.flow-logs.0.ca-file=%s" % tls[0]]
        if "--mi" in opts:
            env["AZFLOW_IMDS_ENDPOINT"] = token_endpoint(fake_jwt())
            s += ["--set", "azure.flow-logs.0.managed-identity=yes"]
        elif cred == "key":
            s += ["--set", "azure.flow-logs.0.account-key-file=%s" % secret("key", azstore.KEY)]
        elif cred == "badkey":
            s += ["--set", "azure.flow-logs.0.account-key-file=%s" % secret("key", azstore.base64.b64encode(b"k" * 64).decode())]
        else:
            se = {"sas": "2099-01-01T00:00:00Z", "expired": "2020-01-01T00:00:00Z",
                  "soon": (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=3)).strftime(
                      "%Y-%m-%dT%H:%M:%SZ")}[cred]
            s += ["--set", "azure.flow-logs.0.sas-file=%s" % secret("sas", azstore.container_sas(CONTAINER, "rl", se))]
        cmd = suricata_run.command(OUT, s + sargs)
        print("blob_run: %s" % " ".join(cmd), file=sys.stderr, flush=True)
        return subprocess.run(cmd, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""A fault-injecting HTTP proxy of our own, on loopback, between azflow and Azurite.

    faultproxy.py UPSTREAM_PORT PORTFILE CONTROL_FILE LOG

Forwards every request to 127.0.0.1:UPSTREAM_PORT (keep-alive on both sides)
and answers as Azurite did, except when CONTROL_FILE names faults: one per
line, `KIND WHAT [PART]`, each used once, in order, on the first request it
fits (of that kind and, with PART, whose path holds PART; for a List Blobs,
its path or its prefix= value):

    WHAT   list (List Blobs) | read (Get Blob) | any
    KIND   503     503 ServerBusy with Retry-After: 1
           503huge 503 ServerBusy with Retry-After: 99999999999999999999 (past any integer)
           429     429 with x-ms-retry-after-ms: 300
           500     500 OperationTimedOut, no delay asked (exponential backoff)
           reset   Azurite's answer cut after half its body by a TCP reset
           stall   Azurite's headers and half its body, then nothing for 30 s
           403     403 AuthorizationFailure (as for an expired SAS)

Each fault used is appended to LOG (`KIND WHAT PATH`), so a case can check
that it happened.  Azurite injects no faults itself; this is the only fake.

With FAULTPROXY_READ_DELAY_MS set, every Get Blob is answered that much
later (a slow storage account), and LOG + ".inflight" always holds the most
requests the proxy had in flight at once (`max N reads R`).

With FAULTPROXY_CLOCK_SHIFT_S set, the proxy is a service whose clock is that
far ahead of the client's: its Date headers say so, and, as Azure does, it
refuses a Shared Key request whose x-ms-date is more than 15 minutes from its
clock with 403 AuthenticationFailed (a SAS request is not refused).
"""
import email.utils
import http.client
import os
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

UPSTREAM = int(sys.argv[1])
PORTFILE, CONTROL, LOG = sys.argv[2], sys.argv[3], sys.argv[4]
lock = threading.Lock()
READ_DELAY = int(os.environ.get("FAULTPROXY_READ_DELAY_MS", "0")) / 1000.0
SHIFT = int(os.environ.get("FAULTPROXY_CLOCK_SHIFT_S", "0"))


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def too_far(headers):
    """A Shared Key request dated more than 15 minutes from our clock."""
    auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    date = next((v for k, v in headers.items() if k.lower() == "x-ms-date"), None)
    if not SHIFT or not auth.startswith("SharedKey") or date is None:
        return False
    return abs(email.utils.parsedate_to_datetime(date).timestamp() - (time.time() + SHIFT)) > 15 * 60
inflight = {"now": 0, "max": 0, "reads": 0}


def count(delta, read=False):
    with lock:
        inflight["now"] += delta
        inflight["reads"] += read
        if inflight["now"] > inflight["max"] or read:
            inflight["max"] = max(inflight["max"], inflight["now"])
            with open(LOG + ".inflight.tmp", "w") as f:
                f.write("max %d reads %d\n" % (inflight["max"], inflight["reads"]))
            os.rename(LOG + ".inflight.tmp", LOG + ".inflight")


def take_fault(kind_of_request, path):
    with lock:
        try:
            lines = [l.split() for l in open(CONTROL).read().splitlines() if l.strip()]
        except FileNotFoundError:
            return None
        for i, (kind, what, *part) in enumerate(lines):
            if what in (kind_of_request, "any") and (not part or part[0] in path):
                del lines[i]
                with open(CONTROL + ".tmp", "w") as f:
                    f.write("".join(" ".join(l) + "\n" for l in lines))
                os.rename(CONTROL + ".tmp", CONTROL)
                return kind
    return None


def error(status, reason, code, extra=()):
    body = ('<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>injected</Message></Error>'
            % code).encode()
    head = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: application/xml", "Date: " + http_date(time.time() + SHIFT),
            "Content-Length: %d" % len(body), "x-ms-error-code: %s" % code] + list(extra)
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        up = http.client.HTTPConnection("127.0.0.1", UPSTREAM, timeout=60)
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                data = sock.recv(65536)
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
            length = int(headers.get("Content-Length", headers.get("content-length", "0")))
            while len(buf) < length:
                buf += sock.recv(65536)
            body, buf = buf[:length], buf[length:]
            kind = "list" if "comp=list" in target else "read" if "comp=" not in target else "other"
            count(1, kind == "read")
            try:
                if not self.answer(sock, method, target, headers, body, kind, up):
                    return
            finally:
                count(-1)

    def answer(self, sock, method, target, headers, body, kind, up):
        """False when the connection is to end."""
        if too_far(headers):
            with open(LOG, "a") as f:
                f.write("skew %s %s\n" % (kind, target.split("?")[0]))
            sock.sendall(error(403, "Server failed to authenticate the request", "AuthenticationFailed"))
            return True
        where = urllib.parse.unquote(target.split("?")[0])
        if kind == "list":  # an hour's listing is told apart by its prefix
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
            where += " " + q.get("prefix", [""])[0]
        fault = take_fault(kind, where)
        if fault:
            with open(LOG, "a") as f:
                f.write("%s %s %s\n" % (fault, kind, target.split("?")[0]))
        if fault == "503":
            sock.sendall(error(503, "Server Busy", "ServerBusy", ["Retry-After: 1"]))
            return True
        if fault == "503huge":
            sock.sendall(error(503, "Server Busy", "ServerBusy", ["Retry-After: 99999999999999999999"]))
            return True
        if fault == "429":
            sock.sendall(error(429, "Too Many Requests", "TooManyRequests", ["x-ms-retry-after-ms: 300"]))
            return True
        if fault == "500":
            sock.sendall(error(500, "Internal Server Error", "OperationTimedOut"))
            return True
        if fault == "403":
            sock.sendall(error(403, "Forbidden", "AuthorizationFailure"))
            return True
        headers.pop("Host", None)
        up.request(method, target, body=body or None, headers=headers)
        r = up.getresponse()
        data = r.read()
        out = ["HTTP/1.1 %d %s" % (r.status, r.reason)]
        out += ["%s: %s" % (k, v) for k, v in r.getheaders()
                if k.lower() not in ("transfer-encoding", "content-length", "connection", "keep-alive")
                and not (SHIFT and k.lower() == "date")]
        if SHIFT:
            out.append("Date: " + http_date(time.time() + SHIFT))
        out.append("Content-Length: %d" % len(data))
        wire = ("\r\n".join(out) + "\r\n\r\n").encode()
        if fault == "reset":
            sock.sendall(wire + data[: len(data) // 2])
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
            return False
        if fault == "stall":
            sock.sendall(wire + data[: len(data) // 2])
            time.sleep(30)
            return False
        if READ_DELAY and kind == "read":
            time.sleep(READ_DELAY)
        sock.sendall(wire + data)
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    with open(PORTFILE + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(PORTFILE + ".tmp", PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()

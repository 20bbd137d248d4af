#!/usr/bin/python3
"""Drive Suricata in unix-socket mode the way suricatasc does, and run the
same pcaps with -r beside it, for a regression case to compare.

    unix_socket.py OUTDIR [continuous:]PCAP [...] -- [SURICATA ARG ...]

Starts Suricata (through suricata_run.py's command: plugin, the regression
suricata.yaml, valgrind when the runner asks) with --unix-socket=OUTDIR/sock
and the given args; speaks Suricata's unix-socket protocol (JSON over a
stream socket: {"version": "0.2"} handshake, then commands, each answered
with {"return": "OK"|"NOK", "message": ...}); sends one `pcap-file` per PCAP
with output-dir OUTDIR/run<N> (`pcap-file-continuous` for `continuous:PCAP`;
given a file rather than a folder it reads it once, like pcap-file: Suricata
8.0.7 crashes ending any folder run in this mode, source-pcap-file.c reading
its thread vars after freeing them), waits until every file is processed,
sends `shutdown` and waits for Suricata to exit.  Then runs `-r PCAP` with the same
args into OUTDIR/ref<N>.  Exits with Suricata's exit status (the first that
is non-zero), 1 on a protocol error.  suricatasc itself is not needed.
"""
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suricata_run  # noqa: E402

PROTOCOL_VERSION = "0.2"


class Client:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        answer = self.send({"version": PROTOCOL_VERSION})
        if answer.get("return") != "OK":
            raise RuntimeError("handshake refused: %r" % answer)

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")
        # One JSON object per answer; read until it parses.
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("socket closed while waiting for an answer to %r" % obj)
            self.buf += chunk
            try:
                answer = json.loads(self.buf.decode())
            except ValueError:
                continue
            self.buf = b""
            return answer

    def command(self, name, **arguments):
        obj = {"command": name}
        if arguments:
            obj["arguments"] = arguments
        answer = self.send(obj)
        print("unix_socket: %s %s -> %s" % (name, json.dumps(arguments) if arguments else "",
                                          json.dumps(answer)), flush=True)
        return answer

    def close(self):
        self.sock.close()


def wait_for(pred, timeout, what):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return
        time.sleep(0.2)
    raise RuntimeError("timed out waiting for %s" % what)


def main():
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") < 2:
        sys.exit(__doc__)
    outdir, pcaps, extra = argv[0], argv[1:argv.index("--")], argv[argv.index("--") + 1:]
    slow = 20 if suricata_run.under_valgrind() else 1
    os.makedirs(outdir, exist_ok=True)
    sock_path = os.path.join(outdir, "sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)

    cmd = suricata_run.command(outdir, ["--unix-socket=%s" % sock_path] + extra)
    print("unix_socket: %s" % " ".join(cmd), flush=True)
    with open(os.path.join(outdir, "socket-mode.log"), "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    rc = 0
    try:
        wait_for(lambda: os.path.exists(sock_path) or proc.poll() is not None, 60 * slow, "the socket")
        if proc.poll() is not None:
            print("unix_socket: Suricata exited with %d before opening the socket" % proc.returncode)
            return proc.returncode or 1
        cli = Client(sock_path, 30 * slow)
        for i, pcap in enumerate(pcaps, 1):
            run = os.path.join(outdir, "run%d" % i)
            os.makedirs(run, exist_ok=True)
            name = "pcap-file"
            if pcap.startswith("continuous:"):
                name, pcap = "pcap-file-continuous", pcap[len("continuous:"):]
            if cli.command(name, filename=os.path.abspath(pcap),
                           **{"output-dir": os.path.abspath(run)}).get("return") != "OK":
                return 1

        def idle():
            left = cli.command("pcap-file-number").get("message")
            current = cli.command("pcap-current").get("message")
            return left == 0 and current == "None"
        wait_for(idle, 120 * slow, "the pcap files to be processed")
        if cli.command("shutdown").get("return") != "OK":
            return 1
        cli.close()
        rc = proc.wait(timeout=60 * slow)
        print("unix_socket: Suricata exited with %d" % rc, flush=True)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print("unix_socket: %s" % e, flush=True)
        return 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # The same pcaps with -r, for the case to compare with.
    for i, pcap in enumerate(pcaps, 1):
        if pcap.startswith("continuous:"):
            pcap = pcap[len("continuous:"):]
        ref = os.path.join(outdir, "ref%d" % i)
        os.makedirs(ref, exist_ok=True)
        with open(os.path.join(ref, "console"), "w") as log:
            r = subprocess.run(suricata_run.command(ref, ["-r", pcap] + extra), stdout=log,
                               stderr=subprocess.STDOUT)
        if r.returncode != 0:
            print("unix_socket: -r %s exited with %d" % (pcap, r.returncode))
            rc = rc or r.returncode
    return rc


if __name__ == "__main__":
    sys.exit(main())

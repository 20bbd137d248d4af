#!/usr/bin/python3
"""Run Suricata the way tests/regress/run.py does, from a case's `command:`.

    suricata_run.py LOGDIR [SURICATA ARG...]

Uses $SURICATA, $PLUGIN and $SRCDIR from the runner; adds the plugin, the
regression suricata.yaml ($SURICATA_YAML when set: a case's own copy), the host's classification/reference files,
--init-errors-fatal, -k none and -l LOGDIR.  Exits with Suricata's exit
code.

A `command:` is not wrapped in valgrind by the runner, so this does it when
the runner was started with --valgrind: REGRESS_VALGRIND=1 in the
environment, or else the runner's output folder naming (--valgrind appends
"-valgrind" to it, so OUTPUT_DIR is …-valgrind/<case>).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import run as runner  # noqa: E402  (tests/regress/run.py: same valgrind flags, same sysconfdir)


def under_valgrind():
    v = os.environ.get("REGRESS_VALGRIND")
    if v is not None:
        return v.lower() in ("1", "yes", "true")
    out = os.environ.get("OUTPUT_DIR", "")
    return os.path.basename(os.path.dirname(os.path.abspath(out))).endswith("-valgrind") if out else False


def command(logdir, args, valgrind_extra=(), yaml=None):
    suricata = os.environ["SURICATA"]
    sysconf, _ = runner.host_sysconfdir(suricata)
    cmd = list(runner.VALGRIND) + list(valgrind_extra) if under_valgrind() else []
    return cmd + [suricata, "--set", "plugins.9=%s" % os.environ["PLUGIN"],
                  "-c", yaml or os.environ.get("SURICATA_YAML") or
                  os.path.join(os.environ["SRCDIR"], "tests", "regress", "suricata.yaml"),
                  "--set", "classification-file=%s" % os.path.join(sysconf, "suricata", "classification.config"),
                  "--set", "reference-config-file=%s" % os.path.join(sysconf, "suricata", "reference.config"),
                  "--init-errors-fatal", "-k", "none", "-l", logdir] + list(args)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    logdir = sys.argv[1]
    os.makedirs(logdir, exist_ok=True)
    cmd = command(logdir, sys.argv[2:])
    print("suricata_run: %s" % " ".join(cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())

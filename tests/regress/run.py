#!/usr/bin/env python3
"""Regression runner for azflow, in the shape of suricata-verify.

Each case is a folder with a test.yaml (args, requires, checks on eve.json)
plus its inputs.  The real Suricata binary runs with the real plugin; nothing
is mocked.  Usage:

    run.py --suricata build/suricata --plugin build/azflow.so --tool build/azflow \
           [--sanitize] [--valgrind] [--jobs N] [--outdir build/regress] CASES_DIR [PATTERN ...]

Cases run --jobs at a time (default: one per CPU); a case whose test.yaml
says `alone: true` (its waits are sized for a machine nobody else loads)
runs after them, by itself.  Each case prints its line when it ends.
"""
import argparse
import concurrent.futures
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import eve_schema  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))


class StrictLoader(yaml.SafeLoader):
    """A test.yaml with a key twice would silently drop a check: refuse it."""


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for k, _ in node.value:
        key = loader.construct_object(k, deep=deep)
        if key in seen:
            raise yaml.YAMLError("duplicate key %r at line %d" % (key, k.start_mark.line + 1))
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def host_sysconfdir(suricata):
    """The sysconfdir the host Suricata was configured with (for classification.config)."""
    out = subprocess.run([suricata, "--build-info"], capture_output=True, text=True).stdout
    m = re.search(r"--sysconfdir\s+(\S+)", out)
    version = re.search(r"This is Suricata version (\S+)", out)
    return (m.group(1) if m else "/etc/"), (version.group(1) if version else "0")


def version_tuple(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


# --- eve.json matching (the subset of suricata-verify's filter language we use)

_MISSING = object()


def lookup(obj, path):
    for part in path.split("."):
        m = re.fullmatch(r"([^\[]*)((?:\[\d+\])*)", part)
        name, idx = m.group(1), m.group(2)
        if name == "__len":
            return len(obj) if isinstance(obj, (list, dict, str)) else _MISSING
        if name:
            if not isinstance(obj, dict) or name not in obj:
                return _MISSING
            obj = obj[name]
        for i in re.findall(r"\[(\d+)\]", idx):
            if not isinstance(obj, list) or int(i) >= len(obj):
                return _MISSING
            obj = obj[int(i)]
    return obj


def match_one(record, key, expected):
    if key == "has-key":
        return lookup(record, expected) is not _MISSING
    if key == "not-has-key":
        return lookup(record, expected) is _MISSING
    for op in ("__gte", "__lte", "__gt", "__lt", "__contains", "__startswith", "__endswith", "__find"):
        if key.endswith("." + op) or key.endswith(op):
            val = lookup(record, key[: -len(op)].rstrip("."))
            if val is _MISSING:
                return False
            try:
                return {
                    "__gt": lambda: val > expected,
                    "__gte": lambda: val >= expected,
                    "__lt": lambda: val < expected,
                    "__lte": lambda: val <= expected,
                    "__contains": lambda: expected in val,
                    "__startswith": lambda: str(val).startswith(expected),
                    "__endswith": lambda: str(val).endswith(expected),
                    "__find": lambda: str(val).find(expected) >= 0,
                }[op]()
            except TypeError:
                return False
    val = lookup(record, key)
    return val is not _MISSING and val == expected


def match_all(record, match):
    for key, expected in match.items():
        if key in ("has-key", "not-has-key") and isinstance(expected, list):
            if not all(match_one(record, key, e) for e in expected):
                return False
        elif not match_one(record, key, expected):
            return False
    return True


def read_eve(path):
    records = []
    if not os.path.exists(path):
        return records
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if line:
                try:
                    records.append(json.loads(line))
                except ValueError as e:
                    raise Fail("%s:%d: not JSON: %s" % (path, n, e))
    return records


# --- running a case


class Case:
    def __init__(self, path, opts, env):
        self.path = path
        self.name = os.path.basename(path)
        self.opts = opts
        with open(os.path.join(path, "test.yaml")) as f:
            self.spec = yaml.load(f, Loader=StrictLoader) or {}
        self.outdir = os.path.join(opts.outdir, self.name)
        self.env = dict(env)
        self.env.update({"TEST_DIR": path, "OUTPUT_DIR": self.outdir})
        for k, v in (self.spec.get("env") or {}).items():
            self.env[k] = self.expand(str(v))

    def expand(self, s):
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: self.env.get(m.group(1) or m.group(2), m.group(0)), s)

    def check_requires(self):
        req = self.spec.get("requires") or {}
        if "min-version" in req and version_tuple(self.opts.version) < version_tuple(str(req["min-version"])):
            raise Skip("needs Suricata >= %s" % req["min-version"])
        for f in req.get("files") or []:
            if not os.path.exists(self.expand(f)):
                raise Skip("missing %s" % self.expand(f))
        for var in req.get("env") or []:
            if not os.environ.get(var):
                raise Skip("env %s not set" % var)
        for script in req.get("script") or []:
            r = subprocess.run(self.expand(script), shell=True, cwd=self.path, env=self.env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise Skip((r.stdout + r.stderr).strip().splitlines()[-1:] or ["requires script failed"])

    def command(self):
        if "command" in self.spec:
            return ["/bin/sh", "-c", self.expand(self.spec["command"])]
        cmd = VALGRIND if self.opts.valgrind else []
        cmd = cmd + [self.opts.suricata, "--set", "plugins.9=%s" % self.opts.plugin,
               "-c", self.expand(self.spec.get("config", "${SRCDIR}/tests/regress/suricata.yaml")),
               "--set", "classification-file=%s" % self.opts.classification,
               "--set", "reference-config-file=%s" % self.opts.reference,
               "--init-errors-fatal", "-l", self.outdir, "-k", "none"]
        pcap = self.spec.get("pcap")
        if pcap is None:
            pcaps = sorted(glob.glob(os.path.join(self.path, "*.pcap")) + glob.glob(os.path.join(self.path, "*.pcapng")))
            pcap = os.path.basename(pcaps[0]) if pcaps else False
        if pcap:
            cmd += ["-r", os.path.join(self.path, self.expand(pcap))]
        rules = os.path.join(self.path, "test.rules")
        if self.spec.get("rules") is not None:
            rules = self.expand(self.spec["rules"])
        if os.path.exists(rules):
            cmd += ["-S", rules]
        elif "-T" not in self.spec.get("args", []):
            cmd += ["--disable-detection"]
        for a in self.spec.get("args") or []:
            cmd += shlex.split(self.expand(str(a)))
        return cmd

    def run(self):
        self.check_requires()
        shutil.rmtree(self.outdir, ignore_errors=True)
        os.makedirs(self.outdir)
        for script in self.spec.get("setup") or []:
            r = subprocess.run(self.expand(script), shell=True, cwd=self.path, env=self.env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise Fail("setup failed: %s\n%s%s" % (script, r.stdout, r.stderr))
        cmd = self.command()
        with open(os.path.join(self.outdir, "stdout"), "w") as out, \
                open(os.path.join(self.outdir, "stderr"), "w") as err:
            t0 = time.time()
            r = subprocess.run(cmd, cwd=self.path, env=self.env, stdout=out, stderr=err,
                               timeout=self.spec.get("timeout", 300) * (10 if self.opts.valgrind else 1))
            self.elapsed = time.time() - t0
        want = self.spec.get("exit-code", 0)
        if self.opts.valgrind and r.returncode == VALGRIND_EXIT:
            raise Fail("valgrind reported errors\n%s" % self.tail("stderr", 40))
        if r.returncode != want:
            raise Fail("exit code %d, expected %d\n  command: %s\n%s" % (
                r.returncode, want, " ".join(shlex.quote(c) for c in cmd), self.tail("stderr")))
        if self.opts.sanitize:
            self.check_sanitizer()
        eve_path = os.path.join(self.outdir, "eve.json")
        if self.opts.validator is not None and os.path.exists(eve_path) and self.spec.get("validate", True):
            problems = eve_schema.validate_file(self.opts.validator, eve_path)
            if problems:
                raise Fail("eve.json does not match the EVE schema + azflow's extension:\n    " +
                           "\n    ".join(problems[:10]))
        eves = {}

        def eve(name):
            if name not in eves:
                eves[name] = read_eve(os.path.join(self.outdir, name))
            return eves[name]

        for i, check in enumerate(self.spec.get("checks") or []):
            if "filter" in check:
                self.check_filter(i, check["filter"], eve(check["filter"].get("filename", "eve.json")))
            elif "stats" in check:
                self.check_stats(i, check["stats"], eve("eve.json"))
            elif "shell" in check:
                self.check_shell(i, check["shell"])
            elif "log" in check:
                self.check_log(i, check["log"])
            else:
                raise Fail("check %d: unknown kind %s" % (i, list(check)))

    def tail(self, name, n=15):
        try:
            with open(os.path.join(self.outdir, name)) as f:
                return "".join("    " + l for l in f.readlines()[-n:])
        except OSError:
            return ""

    def check_filter(self, i, flt, eve):
        match = flt.get("match") or {}
        got = sum(1 for rec in eve if match_all(rec, match))
        if "count" in flt and got != flt["count"]:
            raise Fail("check %d: %d records match %s, expected %d" % (i, got, match, flt["count"]))
        if "min-count" in flt and got < flt["min-count"]:
            raise Fail("check %d: %d records match %s, expected at least %d" % (i, got, match, flt["min-count"]))

    def check_stats(self, i, want, eve):
        stats = [r["stats"] for r in eve if r.get("event_type") == "stats"]
        if not stats:
            raise Fail("check %d: no stats record in eve.json" % i)
        last = stats[-1]
        for key, expected in want.items():
            if not match_one(last, key, expected):
                raise Fail("check %d: stats %s is %r, expected %r" % (
                    i, key, lookup(last, re.sub(r"\.?__\w+$", "", key)), expected))

    def check_shell(self, i, sh):
        r = subprocess.run(self.expand(sh["args"]), shell=True, cwd=self.outdir, env=self.env,
                           capture_output=True, text=True)
        if "expect" in sh and r.stdout.strip() != str(sh["expect"]).strip():
            raise Fail("check %d: `%s` printed %r, expected %r" % (i, sh["args"], r.stdout.strip(), sh["expect"]))
        if "expect" not in sh and r.returncode != 0:
            raise Fail("check %d: `%s` failed:\n%s%s" % (i, sh["args"], r.stdout, r.stderr))

    def check_log(self, i, log):
        """Lines a file of the run (stderr, stdout, suricata.log) must (not) contain."""
        names = [log["file"]] if "file" in log else ["stdout", "stderr"]
        text = ""
        for name in names:
            path = os.path.join(self.outdir, name)
            if os.path.exists(path):
                text += open(path, errors="replace").read()
        for s in log.get("contains") or []:
            if self.expand(s) not in text:
                raise Fail("check %d: %s lacks %r\n%s" % (i, "/".join(names), self.expand(s),
                                                        "".join(self.tail(n) for n in names)))
        for s in log.get("not-contains") or []:
            if self.expand(s) in text:
                raise Fail("check %d: %s contains %r" % (i, "/".join(names), self.expand(s)))

    def check_sanitizer(self):
        for name in ("stderr", "suricata.log"):
            p = os.path.join(self.outdir, name)
            if os.path.exists(p):
                text = open(p, errors="replace").read()
                if "ERROR: AddressSanitizer" in text or "runtime error:" in text or \
                        "ERROR: LeakSanitizer" in text:
                    raise Fail("sanitizer report in %s\n%s" % (name, self.tail(name, 40)))


VALGRIND_EXIT = 99
# Errors and definite leaks fail a case; Suricata keeps some memory
# "reachable" at exit by design.
VALGRIND = ["valgrind", "-q", "--error-exitcode=%d" % VALGRIND_EXIT, "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            # Leaks of the host Suricata's own, each explained in the file.
            "--suppressions=" + os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "valgrind-suricata.supp")]


def sanitizer_env():
    env = {}
    libs = []
    for lib in ("libasan.so", "libubsan.so"):
        p = subprocess.run(["gcc", "-print-file-name=" + lib], capture_output=True, text=True).stdout.strip()
        if os.path.isabs(p):
            libs.append(p)
    env["LD_PRELOAD"] = " ".join(libs)
    # Suricata itself is not built for LSan and keeps some memory to exit;
    # leaks in the plugin are checked by the unit tests and valgrind.
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suricata", required=True)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--outdir", default=os.path.join(SRCDIR, "build", "regress"))
    ap.add_argument("--sanitize", action="store_true")
    ap.add_argument("--valgrind", action="store_true",
                    help="run Suricata under valgrind memcheck; any error or definite leak fails the case")
    ap.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                    help="cases run at the same time (default: one per CPU); `alone: true` cases run by themselves")
    ap.add_argument("--suricata-schema", help="Suricata's etc/schema.json (default: next to the host install)")
    ap.add_argument("--no-validation", action="store_true", help="do not validate eve.json against the schema")
    ap.add_argument("cases")
    ap.add_argument("patterns", nargs="*")
    opts = ap.parse_args()

    opts.suricata = os.path.abspath(opts.suricata)
    opts.plugin = os.path.abspath(opts.plugin)
    opts.tool = os.path.abspath(opts.tool)
    opts.outdir = os.path.abspath(opts.outdir)
    if opts.sanitize:
        opts.outdir = opts.outdir.rstrip("/") + "-sanitize"
    if opts.valgrind:
        opts.outdir = opts.outdir.rstrip("/") + "-valgrind"
    sysconf, opts.version = host_sysconfdir(opts.suricata)
    opts.validator = None
    if not opts.no_validation:
        schema = opts.suricata_schema or os.path.join(
            os.path.dirname(os.path.realpath(opts.suricata)), "..", "share", "suricata", "schema.json")
        if not os.path.exists(schema):
            print("note: %s not found; validating azflow's EVE fields only" % schema)
        opts.validator = eve_schema.validator(schema)
    opts.classification = os.path.join(sysconf, "suricata", "classification.config")
    opts.reference = os.path.join(sysconf, "suricata", "reference.config")

    env = dict(os.environ)
    env.update({"SRCDIR": SRCDIR, "SURICATA": opts.suricata, "PLUGIN": opts.plugin, "TOOL": opts.tool,
                "SAMPLES": os.environ.get("SAMPLES", os.path.join(SRCDIR, "..", "shared", "samples", "real")),
                "TZ": "UTC"})
    env.update({"CLASSIFICATION": opts.classification, "REFERENCE": opts.reference})
    if opts.sanitize:
        env.update(sanitizer_env())
    if opts.valgrind:
        env["REGRESS_VALGRIND"] = "1"  # for command: cases that start Suricata themselves

    dirs = sorted(d for d in glob.glob(os.path.join(os.path.abspath(opts.cases), "*"))
                  if os.path.exists(os.path.join(d, "test.yaml")))
    if opts.patterns:
        dirs = [d for d in dirs if any(re.search(p, os.path.basename(d)) for p in opts.patterns)]
    cases = [Case(d, opts, env) for d in dirs]
    results = {}

    def one(case):
        t0 = time.time()
        try:
            case.run()
            line, kind = "OK (%.1fs, %.1fs in all)" % (case.elapsed, time.time() - t0), "passed"
        except Skip as e:
            line, kind = "SKIPPED: %s" % e, "skipped"
        except (Fail, subprocess.TimeoutExpired) as e:
            line, kind = "FAILED: %s" % e, "failed"
        print("===> %s: %s" % (case.name, line), flush=True)
        results[case.name] = kind

    together = [c for c in cases if not c.spec.get("alone")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for f in [pool.submit(one, c) for c in together]:
            f.result()
    for c in cases:
        if c.spec.get("alone"):
            one(c)
    passed, failed, skipped = (sum(1 for k in results.values() if k == want)
                               for want in ("passed", "failed", "skipped"))
    print("\nPASSED: %d  FAILED: %d  SKIPPED: %d" % (passed, failed, skipped))
    for c in cases:
        if results[c.name] == "failed":
            print("  failed: %s" % c.name)
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())

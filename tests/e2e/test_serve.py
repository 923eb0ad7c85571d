#!/usr/bin/env python3
"""End-to-end tests of `spp-trace serve` (lambda/serve.c) over real HTTP.

Each test starts build/spp-trace serve --port 0 with its own cache
directory, finds the bound port in the one stderr line that announces it,
and talks to it with urllib as a browser or See++'s backend would. The
server spawns the real tracer on real programs.

Covers: POST /run, the result cache (cached:true on a repeat), GET /health,
OPTIONS and CORS, 404/405, bad requests (400 naming the problem), bodies
over the cap (413), bounded concurrency (8 at once on 2 workers: every
request answered 200 or 503 with JSON, none lost), clean shutdown on
SIGTERM with a trace in flight (503, exit 0, nothing left running), the
wiped environment, bad arguments. Prints a cache-hit latency line.

Ends with one line "N passed, M failed"; exits 1 on any failure.
"""

import gzip
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import unittest_main  # noqa: E402
from serve_proc import Service  # noqa: E402
from proc_util import become_subreaper, cmdline, kill_orphans, orphans  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
SPP = os.path.join(BUILD, "spp-trace")

TINY = "int main() {\n    int x = 1;\n    x = x + 1;\n    return 0;\n}\n"
# Blocks in a library call (run at full speed, not stepped): runs until a
# time limit stops it.
SLEEP = "#include <unistd.h>\nint main() {\n    sleep(100);\n    return 0;\n}\n"
SECRET = "serve-test-secret-6c1d0f2a"
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type"}
BENCH = []

become_subreaper()


def request(code=TINY, **kw):
    r = {"code": code, "memcheck": False}
    r.update(kw)
    return r


class Server(Service):
    """A running `spp-trace serve` (tests/support/serve_proc.py) in tmp, with
    credentials in its environment that must never show."""

    def __init__(self, tmp, *args, env=None):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp, "TMPDIR": tmp,
             "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
             "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE"}
        e.update(env or {})
        super().__init__(SPP, e, args)


class ServeCase(unittest.TestCase):
    args = ()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="spp-serve-test-")
        self.srv = Server(self.tmp, *self.args)
        self.assertTrue(self.srv.wait_ready(), "serve did not start:\n" + self.srv.log())

    def tearDown(self):
        rc = self.srv.stop()
        kill_orphans(set())
        failed = any(t is self for t, _ in self._outcome.result.failures +
                     self._outcome.result.errors)
        if failed:
            sys.stderr.write("---- serve log ----\n%s\n----\n" % self.srv.log())
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.assertEqual(rc, 0, "serve did not exit cleanly on SIGTERM")

    def run_json(self, body, **kw):
        status, headers, raw = self.srv.request("POST", "/run", body, **kw)
        self.assertEqual(headers.get("Content-Type"), "application/json")
        for k, v in CORS.items():
            self.assertEqual(headers.get(k), v, k)
        return status, json.loads(raw), raw

    def assert_nothing_left(self):
        known = {self.srv.proc.pid}
        end = time.monotonic() + 3
        left = orphans(known)
        while left and time.monotonic() < end:
            time.sleep(0.05)
            left = orphans(known)
        self.assertEqual(left, [], "left running: %r" % [cmdline(p) for p in left])


class Basics(ServeCase):
    def test_run_traces(self):
        status, resp, _ = self.run_json(request())
        self.assertEqual(status, 200)
        self.assertIs(resp["success"], True, resp.get("error"))
        self.assertIs(resp["cached"], False)
        self.assertRegex(resp["cacheKey"], r"^[0-9a-f]{64}$")
        self.assertEqual([s["line"] for s in resp["trace"]["trace"]][:3], [1, 2, 3])

    def test_second_identical_request_is_cached(self):
        s1, first, _ = self.run_json(request())
        t0 = time.monotonic()
        s2, second, raw = self.run_json(request())
        once = (time.monotonic() - t0) * 1000
        self.assertEqual((s1, s2), (200, 200))
        self.assertIs(first["cached"], False)
        self.assertIs(second["cached"], True)
        self.assertTrue(raw.startswith(b'{"cached":true'))
        first.pop("cached")
        second.pop("cached")
        self.assertEqual(first, second)
        times = []
        for _ in range(30):
            t0 = time.monotonic()
            self.run_json(request())
            times.append((time.monotonic() - t0) * 1000)
        inside = [float(m) for m in re.findall(r"\(cached\), \d+ bytes, ([0-9.]+) ms",
                                               self.srv.log())]
        BENCH.append("serve cache hit, HTTP round trip (urllib, new connection each): median "
                     "%.2f ms, min %.2f ms over %d (first %.2f ms); inside serve (request "
                     "complete -> reply queued): median %.2f ms"
                     % (statistics.median(times), min(times), len(times), once,
                        statistics.median(inside) if inside else float("nan")))

    def test_health(self):
        status, headers, raw = self.srv.request("GET", "/health")
        self.assertEqual(status, 200)
        h = json.loads(raw)
        self.assertEqual(h["status"], "ok")
        self.assertTrue(h["version"].startswith("spp-trace "))
        self.assertGreaterEqual(h["workers"], 1)
        self.assertEqual(h["busy"], 0)
        self.assertEqual(h["cache"], "local")

    def test_options_is_204_with_cors(self):
        status, headers, raw = self.srv.request("OPTIONS", "/run", headers={
            "Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 204)
        self.assertEqual(raw, b"")
        for k, v in CORS.items():
            self.assertEqual(headers.get(k), v, k)

    def test_unknown_path_and_wrong_method(self):
        status, _, raw = self.srv.request("POST", "/nope", request())
        self.assertEqual(status, 404)
        self.assertIn("/nope", json.loads(raw)["error"])
        status, _, raw = self.srv.request("GET", "/run")
        self.assertEqual(status, 405)
        self.assertIs(json.loads(raw)["success"], False)

    def test_bad_requests_are_400_naming_the_problem(self):
        cases = [(b"{oops", "not valid JSON"), (b"", "empty"),
                 ({"language": "c"}, '"code" is missing'),
                 ({"code": ["int"]}, '"code" must be a string'),
                 ({"code": TINY, "language": "fortran"}, '"language"'),
                 ({"code": TINY, "maxSteps": 20000}, '"maxSteps"'),
                 ({"code": TINY, "format": "xml"}, '"format"'),
                 ({"code": "x" * (128 * 1024 + 1)}, '"code" is')]
        for body, needle in cases:
            with self.subTest(needle=needle):
                status, resp, _ = self.run_json(body)
                self.assertEqual(status, 400)
                self.assertEqual(set(resp), {"success", "error"})
                self.assertIn(needle, resp["error"])

    def test_body_over_the_cap_is_413(self):
        status, resp, _ = self.run_json(b"{" + b" " * (2 << 20) + b"}")
        self.assertEqual(status, 413)
        self.assertIn("limit", resp["error"])

    def test_secrets_are_wiped(self):
        with open("/proc/%d/environ" % self.srv.proc.pid, "rb") as f:
            env = f.read()
        self.assertNotIn(SECRET.encode(), env)
        status, resp, _ = self.run_json(request(
            '#include <stdio.h>\n#include <stdlib.h>\nint main() {\n'
            '    printf("[%s]", getenv("AWS_SECRET_ACCESS_KEY") ? "leak" : "none");\n}\n'))
        self.assertEqual(status, 200)
        self.assertIn("[none]", resp["stdout"])


class Concurrency(ServeCase):
    args = ("--workers", "2")

    def test_eight_at_once_on_two_workers(self):
        n = 8
        results = [None] * n
        barrier = threading.Barrier(n)

        def one(i):
            # Distinct programs (no cache hits), each running about a second.
            body = request(SLEEP + "// %d\n" % i, timeoutMs=1000)
            barrier.wait()
            try:
                results[i] = self.srv.request("POST", "/run", body, timeout=60)
            except Exception as e:  # a lost or malformed reply
                results[i] = e

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        statuses = []
        for r in results:
            self.assertIsInstance(r, tuple, "request lost: %r" % (r,))
            status, headers, raw = r
            body = json.loads(raw)
            statuses.append(status)
            self.assertIn(status, (200, 503))
            if status == 200:
                self.assertGreater(len(body["trace"]["trace"]), 0)
            else:
                self.assertIs(body["success"], False)
                self.assertIn("busy", body["error"])
        self.assertGreaterEqual(statuses.count(200), 1, statuses)
        self.assertGreaterEqual(statuses.count(503), 1, statuses)
        status, _, raw = self.srv.request("GET", "/health")
        self.assertEqual(json.loads(raw)["busy"], 0)
        self.assert_nothing_left()


class Shutdown(ServeCase):
    def test_sigterm_with_a_trace_in_flight(self):
        result = {}

        def slow():
            result["r"] = self.srv.request("POST", "/run", request(SLEEP, timeoutMs=10000))

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(1.0)  # the tracer is running the endless loop
        self.srv.proc.send_signal(signal.SIGTERM)
        rc = self.srv.proc.wait(60)  # bounds the wait; no speed is checked
        t.join(60)
        self.assertEqual(rc, 0)
        # a server that waited for the trace would answer 200 with a
        # time-limited trace: 503 says the run was stopped for the shutdown
        status, _, raw = result["r"]
        self.assertEqual(status, 503)
        self.assertIn("shutting down", json.loads(raw)["error"])
        self.assert_nothing_left()


class Compression(ServeCase):
    """A client that accepts gzip gets the trace gzip-compressed: a 200-node
    list's trace (tens of MB of JSON) arrives whole in a few hundred KB."""

    LIST200 = os.path.join(ROOT, "tests", "programs", "corpus", "list200.c")

    def cli_steps(self, body):
        p = subprocess.run([SPP, "--no-cache", "--request", "-"], input=json.dumps(body).encode(),
                           capture_output=True, timeout=180,
                           env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                "HOME": self.tmp, "TMPDIR": self.tmp})
        # 3: a response that is not a normal end (here the step limit)
        self.assertIn(p.returncode, (0, 3), p.stderr.decode(errors="replace"))
        return len(json.loads(p.stdout)["trace"]["trace"])

    def test_gzip_when_accepted_plain_when_not(self):
        with open(self.LIST200) as f:
            body = request(f.read(), language="c", maxSteps=1000)
        hdr = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate, br"}
        status, headers, raw = self.srv.request("POST", "/run", body, headers=hdr, timeout=180)
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("Content-Encoding"), "gzip")
        self.assertEqual(headers.get("Vary"), "Accept-Encoding")
        self.assertEqual(headers.get("Content-Type"), "application/json")
        self.assertEqual(int(headers["Content-Length"]), len(raw))
        plain = gzip.decompress(raw)
        resp = json.loads(plain)
        self.assertIs(resp["success"], True, resp.get("error"))
        # the 1000-step limit, not the output cap: the trace is whole
        self.assertEqual(resp["outcome"], "step_limit")
        self.assertEqual(len(resp["trace"]["trace"]), self.cli_steps(body),
                         "steps through serve with gzip vs the CLI")
        self.assertLess(len(raw), 1 << 20, "gzip body of the 200-node list's trace")
        self.assertGreater(len(plain), 10 * len(raw))
        BENCH.append("serve gzip, list200.c (%d steps): %d bytes plain, %d gzip (%.1fx)"
                     % (len(resp["trace"]["trace"]), len(plain), len(raw),
                        len(plain) / len(raw)))
        # the same request without the header: plain JSON, the same steps
        status, headers, raw2 = self.srv.request("POST", "/run", body, timeout=180)
        self.assertEqual(status, 200)
        self.assertNotIn("Content-Encoding", headers)
        self.assertEqual(headers.get("Vary"), "Accept-Encoding")
        again = json.loads(raw2)
        self.assertEqual([(t["line"], t["event"]) for t in again["trace"]["trace"]],
                         [(t["line"], t["event"]) for t in resp["trace"]["trace"]])

    def test_refused_gzip_and_errors(self):
        # q=0 refuses gzip: plain
        hdr = {"Content-Type": "application/json", "Accept-Encoding": "gzip;q=0, identity"}
        status, headers, raw = self.srv.request("POST", "/run", request(), headers=hdr)
        self.assertEqual(status, 200)
        self.assertNotIn("Content-Encoding", headers)
        self.assertIs(json.loads(raw)["success"], True)
        # an error reply is compressed too, and still says what went wrong
        hdr = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
        status, headers, raw = self.srv.request("POST", "/run", b"{not json", headers=hdr)
        self.assertEqual(status, 400)
        self.assertEqual(headers.get("Content-Encoding"), "gzip")
        self.assertIs(json.loads(gzip.decompress(raw))["success"], False)


class Arguments(unittest.TestCase):
    def test_bad_arguments_exit_2(self):
        for args in (["--workers", "0"], ["--port", "70000"], ["--frobnicate"]):
            with self.subTest(args=args):
                p = subprocess.run([SPP, "serve"] + args, capture_output=True, timeout=10)
                self.assertEqual(p.returncode, 2)
                self.assertIn(b"usage", p.stderr)

    def test_port_in_use(self):
        tmp = tempfile.mkdtemp(prefix="spp-serve-test-")
        try:
            a = Server(tmp)
            self.assertTrue(a.wait_ready())
            p = subprocess.run([SPP, "serve", "--port", str(a.port)], capture_output=True,
                               timeout=10, env={"PATH": os.environ["PATH"], "HOME": tmp})
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(b"cannot listen", p.stderr)
            self.assertEqual(a.stop(), 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def main():
    unittest_main.run(__name__, BENCH, [p for p in (SPP,) if not os.access(p, os.X_OK)])


if __name__ == "__main__":
    main()

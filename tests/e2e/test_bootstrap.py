#!/usr/bin/env python3
"""End-to-end tests of build/bootstrap, the Lambda custom runtime.

Real peers only: the bootstrap runs as a process against the Runtime API
emulator (tests/support/rapi_emulator.py) and spawns the real tracer
(build/spp-trace beside it) on real programs. Each test gets its own
emulator, bootstrap process and cache directory (XDG_CACHE_HOME).

Covers: every event shape in shared/vectors/events, base64 bodies, OPTIONS
and other methods, bad requests (400 naming the problem), compile errors,
crashes, the result cache, a 413 from /response, Runtime API restarts and
hiccups, a 500 from the Runtime API, unreachable API, init failures, the
caller's deadline and the handler's own wall limit (with nothing left
running), and the wiped environment. Prints benchmark lines (cold start,
cache-hit latency) that assert nothing.

Ends with one line "N passed, M failed"; exits 1 on any failure.
"""

import base64
import copy
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import bootstrap_case  # noqa: E402
import unittest_main  # noqa: E402
from moto_s3 import MotoS3  # noqa: E402
from proc_util import become_subreaper, cmdline, orphans  # noqa: E402
from rapi_emulator import RuntimeAPIEmulator, ERROR_TYPE_RE  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
TRACER = os.path.join(BUILD, "spp-trace")
SHARED = os.environ.get("SPP_SHARED_DIR") or os.path.join(ROOT, "..", "shared")
EVENTS = os.path.join(SHARED, "vectors", "events")

TINY = "int main() {\n    int x = 1;\n    x = x + 1;\n    return 0;\n}\n"
COMPILE_ERROR = "int main() {\n    return undeclared_name;\n}\n"
CRASH = "int main() {\n    int *p = 0;\n    *p = 42;\n    return 0;\n}\n"
# Blocks in a library call (run at full speed, not stepped): runs until a
# time limit stops it.
SLEEP = "#include <unistd.h>\nint main() {\n    sleep(100);\n    return 0;\n}\n"
# Takes seconds in the compiler's constexpr evaluator, then fails (ops limit).
SLOW_COMPILE = ("constexpr long spin(long n) {\n    long s = 0;\n"
                "    for (long i = 0; i < n; i++)\n        for (long j = 0; j < n; j++)\n"
                "            s += (i ^ j) & 1;\n    return s;\n}\n"
                "static_assert(spin(20000) > 0, \"slow\");\nint main() { return 0; }\n")
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY-spp-test"
PRINT_ENV = ('#include <stdio.h>\n#include <stdlib.h>\nint main() {\n'
             '    const char *s = getenv("AWS_SECRET_ACCESS_KEY");\n'
             '    printf("[%s]\\n", s ? s : "none");\n    return 0;\n}\n')
CORS = {"Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type"}

BENCH = []  # lines printed at the end


def request(code=TINY, **kw):
    r = {"code": code, "memcheck": False}
    r.update(kw)
    return r


def load_event(name):
    with open(os.path.join(EVENTS, "aws-lambda-go_" + name), encoding="utf-8") as f:
        return json.load(f)


def with_method(ev, method):
    ev = copy.deepcopy(ev)
    if ev.get("version") == "2.0":
        ev["requestContext"]["http"]["method"] = method
    else:
        ev["httpMethod"] = method
    return ev


# Orphans of everything a test starts come back to us: see proc_util.
become_subreaper()


class BootstrapCase(bootstrap_case.BootstrapCase):
    """One emulator + one bootstrap per test (tests/support/bootstrap_case.py),
    with credentials whose leaks the tests look for."""

    default_env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                   "AWS_SECRET_ACCESS_KEY": SECRET,
                   "AWS_SESSION_TOKEN": "token-spp-test",
                   "ENVIRONMENT": "test",
                   # Another tracer binary for the whole suite (default: beside bootstrap).
                   "SPP_TRACER": os.environ.get("SPP_TEST_TRACER")}

    def bootstrap_pid(self):
        """The bootstrap's pid (tests/image runs it in a container)."""
        return self.proc.pid

    def cache_dir(self):
        """The bootstrap's local cache tier, as this process reaches it."""
        return os.path.join(self.tmp, "cache", "spp-trace")

    def invoke(self, payload, timeout=60, **kw):
        inv = self.emu.enqueue(payload, **kw)
        self.assertTrue(self.emu.wait_done(inv, timeout),
                        "no reply within %ss\n%s" % (timeout, self.log()))
        return inv

    def direct(self, payload, timeout=60, **kw):
        inv = self.invoke(payload, timeout, **kw)
        self.assertIsNone(inv.error, "unexpected /error: %r" % (inv.error,))
        return json.loads(inv.response)

    def proxy(self, event, timeout=60, **kw):
        inv = self.invoke(event, timeout, **kw)
        self.assertIsNone(inv.error, "unexpected /error: %r" % (inv.error,))
        r = json.loads(inv.response)
        self.assertEqual(set(r), {"statusCode", "headers", "body", "isBase64Encoded"})
        self.assertEqual(r["headers"].get("Content-Type"), "application/json")
        self.assertEqual(r["headers"].get("Vary"), "Accept-Encoding")
        for k, v in CORS.items():
            self.assertEqual(r["headers"].get(k), v, k)
        # a gzip body (the event accepted it) is given back as text, with
        # its posted size kept in "gzipBytes"
        if r["isBase64Encoded"]:
            self.assertEqual(r["headers"].get("Content-Encoding"), "gzip")
            z = base64.b64decode(r["body"], validate=True)
            r["gzipBytes"] = len(z)
            r["body"] = gzip.decompress(z).decode()
        else:
            self.assertIs(r["isBase64Encoded"], False)
            self.assertNotIn("Content-Encoding", r["headers"])
        return r

    def assert_trace_ok(self, resp, cached=False):
        self.assertIs(resp.get("success"), True, resp.get("error"))
        self.assertIs(resp.get("cached"), cached)
        self.assertRegex(resp.get("cacheKey", ""), r"^[0-9a-f]{64}$")
        steps = resp["trace"]["trace"]
        self.assertGreater(len(steps), 0)
        self.assertTrue(any(s.get("funcName") == "main" for s in steps))
        for k in ("ccStdout", "ccStderr", "stdout", "stderr"):
            self.assertIn(k, resp)

    def assert_nothing_left(self):
        """Nothing the bootstrap started is still running (see orphans)."""
        known = {self.proc.pid} | self.helper_pids()
        end = time.monotonic() + 3
        left = orphans(known)
        while left and time.monotonic() < end:
            time.sleep(0.05)
            left = orphans(known)
        self.assertEqual(left, [], "processes left running: %r" % [cmdline(p) for p in left])
        self.assertEqual(self.bootstrap_children(), [])

    def bootstrap_children(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                return f.read().split()
        except OSError:
            return []


class EventShapes(BootstrapCase):
    def test_direct_invoke(self):
        self.wait_polling()
        resp = self.direct(request())
        self.assert_trace_ok(resp)

    def test_event_fixtures(self):
        """Every request fixture, made a POST carrying a tiny program."""
        self.wait_polling()
        names = ["apigw-request.json", "apigw-v2-request-iam.json",
                 "apigw-v2-request-no-authorizer.json", "lambda-urls-request.json"]
        seen = set()  # gzip'ed or plain: each has a cache entry of its own
        for name in names:
            with self.subTest(event=name):
                ev = with_method(load_event(name), "POST")
                ev["body"] = json.dumps(request())
                ev["isBase64Encoded"] = False
                r = self.proxy(ev)
                self.assertEqual(r["statusCode"], 200, r["body"][:300])
                gz = r["isBase64Encoded"]
                self.assert_trace_ok(json.loads(r["body"]), cached=gz in seen)
                seen.add(gz)
        self.assertEqual(seen, {True, False}, "the fixtures cover both")

    def test_base64_body(self):
        self.wait_polling()
        for name in ["apigw-request.json", "lambda-urls-request.json"]:
            with self.subTest(event=name):
                ev = with_method(load_event(name), "POST")
                ev["body"] = base64.b64encode(json.dumps(request()).encode()).decode()
                ev["isBase64Encoded"] = True
                r = self.proxy(ev)
                self.assertEqual(r["statusCode"], 200, r["body"][:300])
                self.assertIs(json.loads(r["body"])["success"], True)

    def test_gzip_only_when_the_event_accepts_it(self):
        """v1 keeps the client's header names, v2 and Function URLs lower-case
        them; either way Accept-Encoding decides, and q=0 refuses."""
        self.wait_polling()
        cases = [("apigw-request.json", "Accept-Encoding", "gzip, deflate", True),
                 ("apigw-v2-request-no-authorizer.json", "accept-encoding", "br, gzip", True),
                 ("lambda-urls-request.json", "accept-encoding", "gzip", True),
                 ("lambda-urls-request.json", "accept-encoding", "gzip;q=0", False),
                 ("apigw-request.json", None, None, False)]
        for name, key, value, want in cases:
            with self.subTest(event=name, header=value):
                ev = with_method(load_event(name), "POST")
                ev["headers"] = {k: v for k, v in (ev.get("headers") or {}).items()
                                 if k.lower() != "accept-encoding"}
                ev.pop("multiValueHeaders", None)
                if key:
                    ev["headers"][key] = value
                ev["body"] = json.dumps(request())
                ev["isBase64Encoded"] = False
                r = self.proxy(ev)
                self.assertIs(r["isBase64Encoded"], want)
                self.assertEqual(r["statusCode"], 200, r["body"][:300])
                resp = json.loads(r["body"])
                self.assertIs(resp["success"], True)
                self.assertEqual([s["line"] for s in resp["trace"]["trace"]][:3], [1, 2, 3])
        # an error reply is compressed too, and still names the problem
        ev = with_method(load_event("lambda-urls-request.json"), "POST")
        ev["headers"] = {"accept-encoding": "gzip"}
        ev["body"] = "{not json"
        ev["isBase64Encoded"] = False
        r = self.proxy(ev)
        self.assertIs(r["isBase64Encoded"], True)
        self.assertEqual(r["statusCode"], 400)
        self.assertIs(json.loads(r["body"])["success"], False)

    def test_bad_base64_is_400(self):
        self.wait_polling()
        ev = with_method(load_event("lambda-urls-request.json"), "POST")
        ev["body"] = "not*base64!"
        ev["isBase64Encoded"] = True
        r = self.proxy(ev)
        self.assertEqual(r["statusCode"], 400)
        self.assertIn("base64", json.loads(r["body"])["error"])

    def test_options_is_204_with_cors(self):
        self.wait_polling()
        for name in ["apigw-request.json", "apigw-v2-request-iam.json",
                     "lambda-urls-request.json"]:
            with self.subTest(event=name):
                r = self.proxy(with_method(load_event(name), "OPTIONS"))
                self.assertEqual(r["statusCode"], 204)
                self.assertEqual(r["body"], "")

    def test_other_methods_are_405(self):
        self.wait_polling()
        # The v2 fixtures are GETs as shipped.
        for name in ["apigw-v2-request-iam.json", "apigw-v2-request-no-authorizer.json"]:
            with self.subTest(event=name):
                r = self.proxy(load_event(name))
                self.assertEqual(r["statusCode"], 405)
                body = json.loads(r["body"])
                self.assertIs(body["success"], False)
                self.assertIn("GET", body["error"])
        r = self.proxy(with_method(load_event("apigw-request.json"), "DELETE"))
        self.assertEqual(r["statusCode"], 405)


class BadRequests(BootstrapCase):
    CASES = [
        ("not json", b"{this is not json", "not valid JSON"),
        ("not an object", b"[1, 2, 3]", "JSON object"),
        ("missing code", {"language": "c"}, '"code" is missing'),
        ("empty code", {"code": "  \n"}, '"code" is empty'),
        ("code wrong type", {"code": 42}, '"code" must be a string'),
        ("code too large", {"code": "int main(){}\n" + "/" * (129 * 1024)}, '"code" is'),
        ("unknown language", {"code": TINY, "language": "rust"}, '"language" must be one of'),
        ("maxSteps too big", {"code": TINY, "maxSteps": 10001}, '"maxSteps" must be'),
        ("maxSteps zero", {"code": TINY, "maxSteps": 0}, '"maxSteps" must be'),
        ("memcheck wrong type", {"code": TINY, "memcheck": "yes"}, '"memcheck" must be'),
    ]

    def test_proxy_400_names_the_problem(self):
        self.wait_polling()
        for label, body, needle in self.CASES:
            with self.subTest(case=label):
                ev = with_method(load_event("apigw-request.json"), "POST")
                ev["body"] = body.decode() if isinstance(body, bytes) else json.dumps(body)
                r = self.proxy(ev)
                self.assertEqual(r["statusCode"], 400)
                resp = json.loads(r["body"])
                self.assertEqual(set(resp), {"success", "error"})
                self.assertIs(resp["success"], False)
                self.assertIn(needle, resp["error"])

    def test_direct_400_is_plain_json(self):
        self.wait_polling()
        for label, body, needle in self.CASES[:4]:
            with self.subTest(case=label):
                resp = self.direct(body)
                self.assertIs(resp["success"], False)
                self.assertIn(needle, resp["error"])

    def test_empty_proxy_body(self):
        self.wait_polling()
        ev = with_method(load_event("apigw-v2-request-no-authorizer.json"), "POST")
        r = self.proxy(ev)  # this fixture has no body at all
        self.assertEqual(r["statusCode"], 400)
        self.assertIn("empty", json.loads(r["body"])["error"])


class Outcomes(BootstrapCase):
    def test_compile_error_is_a_successful_response(self):
        self.wait_polling()
        resp = self.direct(request(COMPILE_ERROR))
        self.assertIs(resp["success"], True)
        steps = resp["trace"]["trace"]
        self.assertEqual(len(steps), 1)
        self.assertEqual(steps[0]["event"], "uncaughtException")
        self.assertIn("undeclared_name", resp["ccStderr"])

    def test_crash_is_reported_and_not_cached(self):
        self.wait_polling()
        resp = self.direct(request(CRASH))
        self.assertIs(resp["success"], True)
        self.assertEqual(resp["signal"], "SIGSEGV")
        self.assertEqual(resp["trace"]["trace"][-1]["event"], "exception")
        again = self.direct(request(CRASH))
        self.assertIs(again["cached"], False, "a crashed run must not be cached")
        self.assert_nothing_left()

    def test_second_identical_request_is_cached(self):
        self.wait_polling()
        first = self.invoke(request())
        t0 = time.monotonic()
        second = self.invoke(request())
        hit_ms = (time.monotonic() - t0) * 1000
        a, b = json.loads(first.response), json.loads(second.response)
        self.assertIs(a["cached"], False)
        self.assertIs(b["cached"], True)
        self.assertTrue(second.response.startswith(b'{"cached":true'))
        a.pop("cached")
        b.pop("cached")
        self.assertEqual(a, b)
        # Through the cache directory of this test only.
        self.assertIn(a["cacheKey"] + ".json", os.listdir(self.cache_dir()))
        hits = []
        for _ in range(20):
            t0 = time.monotonic()
            self.invoke(request())
            hits.append((time.monotonic() - t0) * 1000)
        inside = [float(m) for m in re.findall(r"\(cached\), \d+ bytes, ([0-9.]+) ms",
                                               self.log())]
        BENCH.append("bootstrap cache hit, enqueue -> /response through the emulator: median "
                     "%.2f ms, min %.2f ms over %d (first %.2f ms); inside the bootstrap "
                     "(event parse, key, lookup, POST /response): median %.2f ms"
                     % (statistics.median(hits), min(hits), len(hits), hit_ms,
                        statistics.median(inside) if inside else float("nan")))

    def test_cache_store_comes_after_the_response(self):
        """The caller does not wait for the store: it is made after the
        /response, before the next /next (Lambda bills until then and
        freezes the environment only then)."""
        self.wait_polling()
        code = TINY + "// stored after the reply\n"
        at_response = []
        self.emu.on_response = lambda inv: at_response.append(
            sorted(os.listdir(self.cache_dir())) if os.path.isdir(self.cache_dir()) else [])
        first = self.direct(request(code))
        self.emu.on_response = None
        entry = first["cacheKey"] + ".json"
        self.assertEqual(len(at_response), 1)
        self.assertNotIn(entry, at_response[0], "stored before the response was posted")
        self.wait_back_at_next()
        self.assertIn(entry, os.listdir(self.cache_dir()))
        self.assertIn("cache store after the reply", self.log())
        self.assertIs(self.direct(request(code))["cached"], True)

    def test_secrets_do_not_reach_the_program_or_proc(self):
        self.wait_polling()
        resp = self.direct(request(PRINT_ENV))
        self.assertIs(resp["success"], True, resp.get("error"))
        self.assertIn("[none]", resp["stdout"])
        self.assertNotIn(SECRET, json.dumps(resp))
        with open("/proc/%d/environ" % self.bootstrap_pid(), "rb") as f:
            env = f.read()
        self.assertNotIn(SECRET.encode(), env)
        self.assertNotIn(b"AWS_SECRET_ACCESS_KEY", env)
        self.assertNotIn(SECRET, self.log())


class TooLarge(BootstrapCase):
    # A normal trace is a few KiB: with the emulator's limit lowered the
    # same 413 path as Lambda's 6 MiB one is taken on every run.
    def setUp(self):
        super().setUp()
        self.emu.response_limit = 2048

    def test_proxy_413_is_replaced_by_an_error_response(self):
        self.wait_polling()
        ev = with_method(load_event("apigw-request.json"), "POST")
        # plain JSON (gzip would fit this small trace under the limit)
        ev["headers"].pop("Accept-Encoding")
        ev.pop("multiValueHeaders", None)
        ev["body"] = json.dumps(request())
        inv = self.invoke(ev)
        self.assertEqual(len(inv.rejected), 1)
        self.assertGreater(inv.rejected[0], 2048)
        r = json.loads(inv.response)
        self.assertEqual(r["statusCode"], 500)
        body = json.loads(r["body"])
        self.assertIs(body["success"], False)
        self.assertIn("6 MiB", body["error"])

    def test_direct_413_becomes_a_function_error(self):
        self.wait_polling()
        inv = self.invoke(request())
        self.assertEqual(len(inv.rejected), 1)
        self.assertIsNone(inv.response)
        headers, body = inv.error
        self.assertRegex(headers["lambda-runtime-function-error-type"], ERROR_TYPE_RE)
        err = json.loads(body)
        self.assertEqual(set(err), {"errorMessage", "errorType", "stackTrace"})
        self.assertIn("6 MiB", err["errorMessage"])
        # The runtime goes on serving.
        self.emu.response_limit = 6 * 1024 * 1024 + 100
        self.assertIs(self.direct(request())["success"], True)


class HonestCuts(BootstrapCase):
    def test_an_unchanged_direct_invoke_gets_a_cut_that_says_so(self):
        # maxSteps 1000 over a 2,000-node list: far over Lambda's 6 MiB, and
        # a See++-style direct invoke can take nothing but plain JSON
        self.wait_polling()
        with open(os.path.join(ROOT, "tests", "programs", "corpus", "list2000.c")) as f:
            code = f.read()
        inv = self.invoke(request(code, language="c", maxSteps=1000), timeout=120)
        self.assertIsNone(inv.error, inv.error)
        self.assertLessEqual(len(inv.response), 6 * 1024 * 1024, "over Lambda's 6 MiB")
        resp = json.loads(inv.response)
        steps = resp["trace"]["trace"]
        self.assertEqual(resp["outcome"], "output_limit")
        self.assertTrue(resp["message"].startswith(
            "The trace stopped at step %d of 1000: " % len(steps)), resp["message"])
        self.assertLess(len(steps), 1000)
        self.assertEqual(steps[-1]["event"], "instruction_limit_reached")
        self.assertEqual(steps[-1]["exceptionMsg"], resp["message"])
        again = self.direct(request(code, language="c", maxSteps=1000), timeout=120)
        self.assertIs(again["cached"], False, "a cut trace must not be cached")


class RuntimeApiFailures(BootstrapCase):
    def test_restart_during_next_is_retried(self):
        self.wait_polling()
        self.emu.restart(0.4)  # drops the long poll, refuses connections for 0.4 s
        resp = self.direct(request())
        self.assertIs(resp["success"], True)
        self.assertIsNone(self.proc.poll())
        self.assertIn("retry", self.log())

    def test_hiccup_is_retried(self):
        self.wait_polling()
        self.emu.hiccup(0.2)  # closes connections unanswered for 0.2 s
        resp = self.direct(request())
        self.assertIs(resp["success"], True)
        self.assertIsNone(self.proc.poll())

    def test_500_makes_the_bootstrap_exit(self):
        self.wait_polling()
        self.emu.fail_500 = True
        self.emu.enqueue(request())  # wakes the long poll, which answers 500
        rc = self.proc.wait(60)  # a bound on the wait, not a speed check
        self.assertNotEqual(rc, 0)
        self.assertIn("500", self.log())

    def test_unreachable_api_makes_the_bootstrap_exit(self):
        self.wait_polling()
        self.emu.stop()
        rc = self.proc.wait(10)
        self.assertNotEqual(rc, 0)


@unittest.skipIf(MotoS3.missing(), MotoS3.missing())
class S3Tier(BootstrapCase):
    """CACHE_BUCKET set: results go to S3 (moto_server, verifying SigV4) as
    well as the local directory, and a cold environment is served from S3."""

    start_bootstrap = False
    BUCKET = "spp-bootstrap-test"

    @classmethod
    def setUpClass(cls):
        cls.moto_tmp = tempfile.mkdtemp(prefix="spp-bootstrap-moto-")
        try:
            cls.moto = MotoS3(cls.moto_tmp, cls.BUCKET).start()
        except BaseException:
            shutil.rmtree(cls.moto_tmp, ignore_errors=True)
            raise
        cls.s3 = cls.moto.client()

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        shutil.rmtree(cls.moto_tmp, ignore_errors=True)

    def helper_pids(self):
        return {self.moto.proc.pid}

    def s3_env(self, secret=None, cache="cache"):
        env = dict(self.moto.env(), AWS_SESSION_TOKEN=None,
                   XDG_CACHE_HOME=os.path.join(self.tmp, cache))
        if secret:
            env["AWS_SECRET_ACCESS_KEY"] = secret
        return env

    def restart(self, **env):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.emu.next_times.clear()
        self.launch(**env)
        self.wait_polling()

    def test_cold_environment_is_served_from_s3(self):
        code = TINY + "// s3 tier %f\n" % time.time()  # a key no earlier run stored
        self.restart(**self.s3_env(cache="cache-a"))
        first = self.direct(request(code))
        self.assertIs(first["cached"], False)
        self.wait_back_at_next()  # stored after the response was posted
        obj = self.s3.get_object(Bucket=self.BUCKET, Key="cache/%s.json" % first["cacheKey"])
        self.assertTrue(obj["Body"].read().startswith(b'{"cached":false'))
        # A new environment: empty local cache, same bucket.
        self.restart(**self.s3_env(cache="cache-b"))
        second = self.direct(request(code))
        self.assertIs(second["cached"], True)
        local = os.path.join(self.tmp, "cache-b", "spp-trace", first["cacheKey"] + ".json")
        self.assertTrue(os.path.exists(local), "an S3 hit is copied to the local tier")

    def test_s3_failure_is_a_miss_not_a_failed_trace(self):
        self.restart(**self.s3_env(secret="wrong-secret"))
        resp = self.direct(request(TINY + "// bad secret %f\n" % time.time()))
        self.assertIs(resp["success"], True)
        self.assertIs(resp["cached"], False)
        log = self.log()
        self.assertIn("s3 cache: S3 rejected the credentials or signature", log)
        self.assertNotIn("wrong-secret", log)


class InitFailures(BootstrapCase):
    start_bootstrap = False

    def check_init_error(self, env, needle):
        self.launch(**env)
        rc = self.proc.wait(10)
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(self.emu.init_errors), 1, self.log())
        headers, body = self.emu.init_errors[0]
        self.assertRegex(headers["lambda-runtime-function-error-type"], ERROR_TYPE_RE)
        err = json.loads(body)
        self.assertEqual(err["stackTrace"], [])
        self.assertEqual(err["errorType"], headers["lambda-runtime-function-error-type"])
        self.assertIn(needle, err["errorMessage"])
        self.assertEqual(self.emu.next_times, [], "polled /next after a failed init")

    def test_bad_wall_limit(self):
        self.check_init_error({"SPP_TRACER_WALL_MS": "soon"}, "SPP_TRACER_WALL_MS")

    def test_missing_tracer(self):
        self.check_init_error({"SPP_TRACER": os.path.join(self.tmp, "nope")}, "not executable")

    def test_bucket_without_credentials(self):
        self.check_init_error({"CACHE_BUCKET": "spp-cache", "AWS_ACCESS_KEY_ID": None},
                              "AWS_ACCESS_KEY_ID")

    def test_cold_start(self):
        """exec -> first GET /next; printed, not asserted."""
        times = []
        for _ in range(10):
            emu = RuntimeAPIEmulator().start()
            env = self.env(AWS_LAMBDA_RUNTIME_API=emu.address)
            t0 = time.monotonic()
            p = subprocess.Popen([BOOTSTRAP], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            ok = emu.wait_for(lambda: emu.next_times, 10)
            if ok:
                times.append((emu.next_times[0] - t0) * 1000)
            p.kill()
            p.wait()
            emu.stop()
            self.assertTrue(ok)
        BENCH.append("bootstrap cold start, exec -> first /next: median %.1f ms, min %.1f ms, "
                     "max %.1f ms over %d" % (statistics.median(times), min(times), max(times),
                                              len(times)))


class Deadlines(BootstrapCase):
    def test_program_is_stopped_in_time_to_answer(self):
        """The handler lowers timeoutMs: the tracer ends the endless loop
        itself and the partial trace arrives before the deadline."""
        self.wait_polling()
        deadline = int(time.time() * 1000) + 5000
        inv = self.invoke(request(SLEEP), timeout=10, deadline_ms=deadline)
        answered = int(time.time() * 1000)
        self.assertLess(answered, deadline, "replied after the deadline")
        self.assertIsNone(inv.error, inv.error)
        resp = json.loads(inv.response)
        self.assertIs(resp["cached"], False)
        self.assertGreater(len(resp["trace"]["trace"]), 0)
        self.assert_nothing_left()

    def test_tracer_is_killed_in_time_to_answer(self):
        """Compiling is not under timeoutMs: the handler's kill is the
        backstop, and the reply still arrives before the deadline."""
        self.wait_polling()
        deadline = int(time.time() * 1000) + 3000
        inv = self.invoke(request(SLOW_COMPILE), timeout=10, deadline_ms=deadline)
        self.assertLess(int(time.time() * 1000), deadline, "replied after the deadline")
        headers, body = inv.error
        self.assertEqual(headers["lambda-runtime-function-error-type"], "Function.TraceTimeout")
        self.assert_nothing_left()

    def test_too_little_time_is_answered_at_once(self):
        self.wait_polling()
        inv = self.invoke(request(), timeout=5, deadline_ms=int(time.time() * 1000) + 300)
        headers, body = inv.error
        self.assertEqual(headers["lambda-runtime-function-error-type"], "Function.TraceTimeout")
        self.assertIn("deadline", json.loads(body)["errorMessage"])

    def test_proxy_deadline_is_a_504(self):
        self.wait_polling()
        ev = with_method(load_event("apigw-request.json"), "POST")
        ev["body"] = json.dumps(request())
        r = self.proxy(ev, deadline_ms=int(time.time() * 1000) + 200)
        self.assertEqual(r["statusCode"], 504)


class WallLimit(BootstrapCase):
    extra_env = {"SPP_TRACER_WALL_MS": "1500"}

    def test_overrun_kills_everything_it_started(self):
        """A compile that outlasts the wall limit: the tracer, the compiler
        driver, cc1plus and as are all killed."""
        self.wait_polling()
        # the compiler's own limit is 20 s: an answer within the invoke's
        # timeout, saying TraceTimeout, is the 1.5 s wall limit at work
        inv = self.invoke(request(SLOW_COMPILE), timeout=15)
        headers, body = inv.error
        self.assertEqual(headers["lambda-runtime-function-error-type"], "Function.TraceTimeout")
        self.assertIn("did not finish in time", json.loads(body)["errorMessage"])
        self.assert_nothing_left()
        self.assertIs(self.direct(request())["success"], True)  # still serving

    def test_low_limit_still_gets_a_partial_trace(self):
        self.wait_polling()
        resp = self.direct(request(SLEEP), timeout=15)
        self.assertGreater(len(resp["trace"]["trace"]), 0)
        # stopped by this bootstrap's 1.5 s limit, not the tracer's default 10 s
        end = resp["trace"]["trace"][-1].get("exceptionMsg", "")
        self.assertTrue(end.startswith("Time limit exceeded"), end)
        self.assertNotIn("after 10 s", end)
        again = self.direct(request(SLEEP), timeout=10)
        self.assertIs(again["cached"], False, "a time-limited run must not be cached")
        self.assert_nothing_left()


def main():
    unittest_main.run(__name__, BENCH, [p for p in (BOOTSTRAP, TRACER) if not os.access(p, os.X_OK)])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""End-to-end tests of the TypeScript See++ runner (lambda/runner).

What See++'s frontend would receive through its backend with this runner in
place of its LambdaRunner: the runner's command line (lambda/runner/dist/cli.js)
invokes the function with the AWS SDK's InvokeCommand against the Runtime API
emulator's Invoke endpoint (tests/support/rapi_emulator.py), where the real
bootstrap answers with the real tracer. Its stdout is the ProgramTrace the
backend would send as the /api/run body.

Checked as a student would see it, against the CLI's trace of the same
request: a crash's message on the last step, a memcheck finding on its step,
the step limit and an uncaught exception as endings, the last step's output,
a compile error, every step (the count equals the CLI's); the code without
See++'s prepended line. Failures as the message See++ would show: a function
error, Lambda's timeout, a refused request, an unknown function, no endpoint.
The large-response envelope: the runner follows a presigned URL on
moto_server, checks size and SHA-256, and reports a damaged, missing or
oversized object. Through the real function with a bucket, every program of
the student corpus (tests/programs/student: 7 to 29 MB of JSON at 1000
steps) arrives with every step (the CLI's count), no reply posted over 6 MiB;
the same 200-node list invoked as See++ does (no responseMode) is an honest
cut that says so.

Ends with one line "N passed, M failed"; exits 1 on any failure.
"""

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import bootstrap_case  # noqa: E402
import unittest_main  # noqa: E402
from proc_util import become_subreaper  # noqa: E402
from moto_s3 import MotoS3, free_port  # noqa: E402
from rapi_emulator import PREFIX  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
TRACER = os.path.join(BUILD, "spp-trace")
RUNNER = os.path.join(ROOT, "lambda", "runner", "dist", "cli.js")
SHARED = os.environ.get("SPP_SHARED_DIR") or os.path.join(ROOT, "..", "shared")
PROGRAMS = os.environ.get("SPP_PROGRAMS") or os.path.join(SHARED, "programs")
SHIM = "#define union struct\n"
BENCH = []  # sizes printed at the end, never asserted

become_subreaper()


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Case(bootstrap_case.BootstrapCase):
    """One emulator, one bootstrap, one cache directory per test
    (tests/support/bootstrap_case.py)."""

    default_env = {"AWS_LAMBDA_FUNCTION_NAME": "spp-trace"}
    tmp_prefix = "spp-runner-test-"

    def launch(self, **extra):
        proc = super().launch(**extra)
        self.wait_polling()
        return proc

    def runner(self, request, *args, endpoint=None, timeout=180):
        """(exit status, ProgramTrace or None, the runner's stderr)."""
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="dummy",
                   AWS_REGION="us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED="true")
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        cmd = ["node", RUNNER, "--function", "spp-trace",
               "--endpoint", endpoint or "http://" + self.emu.address] + list(args)
        p = subprocess.run(cmd, input=json.dumps(request), capture_output=True, text=True,
                           timeout=timeout, env=env)
        trace = json.loads(p.stdout) if p.returncode == 0 else None
        if p.returncode == 0:
            self.assertEqual(p.stderr.count("spp-runner: info:"), 1, p.stderr)
        return p.returncode, trace, p.stderr

    def ok(self, request, *args, **kw):
        rc, trace, err = self.runner(request, *args, **kw)
        self.assertEqual(rc, 0, err + "\n--- bootstrap log\n" + self.log()[-2000:])
        return trace, err

    def cli(self, request):
        """The CLI's response to the same request (what the tracer made)."""
        p = subprocess.run([TRACER, "--request", "-", "--no-cache"], input=json.dumps(request),
                           capture_output=True, text=True, timeout=180,
                           env=dict(os.environ, XDG_CACHE_HOME=os.path.join(self.tmp, "cli"),
                                    TMPDIR=self.tmp))
        self.assertIn(p.returncode, (0, 3), p.stderr[-500:])
        return json.loads(p.stdout)


def program(name):
    return SHIM + read(os.path.join(PROGRAMS, name))


class WholeTrace(Case):
    def test_a_crash_message_reaches_the_last_step(self):
        req = {"code": program("08_crash.cpp"), "memcheck": False}
        got, err = self.ok(req)
        want = self.cli(req)["trace"]["trace"]
        self.assertEqual(len(got["trace"]), len(want), "every step")
        last = got["trace"][-1]
        self.assertEqual(last["event"], "exception")
        self.assertTrue(last["exceptionMsg"].startswith("Segmentation fault"), last)
        self.assertEqual(last["exceptionMsg"], want[-1]["exceptionMsg"])
        self.assertEqual(last["line"], want[-1]["line"])
        self.assertIn("outcome runtime_error, via inline", err)
        self.assertNotEqual(last["stdout"], "", "08_crash prints before it crashes")
        self.assertEqual(last["stdout"], want[-1]["stdout"])

    def test_a_memcheck_finding_is_on_its_step(self):
        # 09_memerror: the invalid write on line 9 (8 in the file, +1 for the
        # prepended line) in the last pass, i == 5
        req = {"code": program("09_memerror.cpp")}
        got, _ = self.ok(req, timeout=240)
        want = self.cli(req)["trace"]["trace"]
        self.assertEqual(len(got["trace"]), len(want), "every step")
        found = [(i, s) for i, s in enumerate(got["trace"]) if s.get("memcheckErrors")]
        self.assertEqual(len(found), 1, [s.get("memcheckErrors") for _, s in found])
        i, step = found[0]
        self.assertEqual(step["line"], 10, "the step of the write (line 9 of the editor)")
        self.assertEqual(step["stackToRender"][-1]["encodedLocals"]["i"][3], 5)
        self.assertIn("Invalid write of size 4", step["memcheckErrors"][0]["message"])
        self.assertEqual(step["memcheckErrors"], want[i]["memcheckErrors"])

    def test_endings_output_and_every_step(self):
        cases = [
            ("13_infinite.c", "c", "instruction_limit_reached", None),
            ("15_uncaught.cpp", "c++", "exception", "Uncaught exception"),
            ("11_recursion.c", "c", "return", None),
        ]
        for name, lang, event, msg in cases:
            with self.subTest(program=name):
                req = {"code": program(name), "language": lang, "memcheck": False}
                got, _ = self.ok(req)
                want = self.cli(req)["trace"]["trace"]
                self.assertEqual(len(got["trace"]), len(want), "every step")
                self.assertEqual([s["line"] for s in got["trace"]], [s["line"] for s in want])
                last = got["trace"][-1]
                self.assertEqual(last["event"], event)
                if msg:
                    self.assertIn(msg, last["exceptionMsg"])
                # the output arrives on the last step too (See++'s parser empties it)
                self.assertEqual(last["stdout"], want[-1]["stdout"])
                if name == "11_recursion.c":
                    self.assertNotEqual(last["stdout"], "", "11_recursion prints")
        inf, _ = self.ok({"code": program("13_infinite.c"), "language": "c",
                          "memcheck": False, "maxSteps": 1000})
        self.assertEqual(len(inf["trace"]), 1000, "the step limit, not 4 steps")

    def test_code_is_the_students_and_lines_the_frontends(self):
        raw = read(os.path.join(PROGRAMS, "02_calls.cpp"))
        got, _ = self.ok({"code": SHIM + raw, "memcheck": False})
        self.assertEqual(got["code"], raw, "the code without See++'s prepended line")
        plain = self.cli({"code": raw, "memcheck": False})["trace"]["trace"]
        # the frontend subtracts 1 from every line: then they are the editor's
        self.assertEqual([s["line"] - 1 for s in got["trace"]], [s["line"] for s in plain])

    def test_a_compile_error_is_build_failed(self):
        got, _ = self.ok({"code": program("14_compile_error.cpp"), "memcheck": False})
        self.assertEqual(len(got["trace"]), 1)
        self.assertEqual(got["trace"][0]["event"], "uncaughtException")
        self.assertIn("error:", got["buildOutput"])


class Failures(Case):
    def test_a_bad_request_is_named(self):
        rc, _, err = self.runner({"code": SHIM + "int main() { return 0; }\n", "maxSteps": 0})
        self.assertEqual(rc, 1)
        self.assertIn("spp-runner: error: The tracer refused the request: ", err)
        self.assertIn("maxSteps", err)

    def test_a_function_error_says_what_happened(self):
        self.emu.response_limit = 2000  # every trace is "over 6 MiB"
        rc, _, err = self.runner({"code": program("02_calls.cpp"), "memcheck": False})
        self.assertEqual(rc, 1)
        # the bootstrap's own words after Lambda refused its answer (413)
        self.assertIn("spp-runner: error: The trace service failed (Function.TraceFailed): "
                      "the response (", err)
        self.assertIn("is over Lambda's 6 MiB limit; lower maxSteps", err)

    def test_unknown_function_and_no_endpoint(self):
        rc, _, err = self.runner({"code": "int main() { return 0; }\n"}, "--function", "nope")
        self.assertEqual(rc, 1)
        self.assertIn("Invoking the Lambda function nope failed: ResourceNotFoundException", err)
        rc, _, err = self.runner({"code": "int main() { return 0; }\n"},
                                 endpoint="http://127.0.0.1:%d" % free_port())
        self.assertEqual(rc, 1)
        self.assertIn("Invoking the Lambda function spp-trace failed: ", err)
        self.assertIn("ECONNREFUSED", err)


class Timeouts(Case):
    start_bootstrap = False  # nobody answers: Lambda's timeout

    def test_lambda_timeout_is_a_clear_message(self):
        self.emu.invoke_timeout_s = 1
        rc, _, err = self.runner({"code": "int main() { return 0; }\n"})
        self.assertEqual(rc, 1)
        self.assertIn("spp-runner: error: The trace did not finish in time (", err)
        self.assertIn("Task timed out after 1.00 seconds", err)

    def test_the_runners_own_timeout(self):
        self.emu.invoke_timeout_s = 30  # Lambda would answer "Task timed out" only then
        rc, _, err = self.runner({"code": "int main() { return 0; }\n"}, "--timeout-ms", "1000")
        self.assertEqual(rc, 1)
        self.assertIn("spp-runner: error: No answer from the Lambda function spp-trace within 1 s.",
                      err)


# ---- the large-response envelope --------------------------------------------

def answer_next(emu, reply):
    """Answer the next invocation with reply(request payload) -> bytes: the
    function's side of one envelope, made by the test (the envelope's
    checks need objects the real function never makes). Gives a list that
    gets the request payload."""
    got = []

    def run():
        base = "http://%s%s/invocation/" % (emu.address, PREFIX)
        with urllib.request.urlopen(base + "next", timeout=120) as r:
            rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
            payload = json.loads(r.read())
        got.append(payload)
        req = urllib.request.Request(base + rid + "/response", data=reply(payload), method="POST")
        urllib.request.urlopen(req, timeout=30).read()

    threading.Thread(target=run, daemon=True).start()
    return got


@unittest.skipIf(MotoS3.missing(), MotoS3.missing())
class Envelope(Case):
    """The runner follows the envelope to S3 (moto_server) and checks it."""

    start_bootstrap = False

    def setUp(self):
        super().setUp()
        self.s3 = MotoS3(self.tmp, verify_signatures=False).start()
        self.client = self.s3.client()

    def tearDown(self):
        self.s3.stop()
        super().tearDown()

    def put(self, key, data, **kw):
        self.client.put_object(Bucket=self.s3.bucket, Key=key, Body=data,
                               ContentType="application/json", **kw)
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.s3.bucket, "Key": key}, ExpiresIn=900)

    def envelope(self, url, text, **override):
        e = {"cached": False, "success": True, "outcome": "ok", "responseUrl": url,
             "responseExpiresIn": 900, "responseBytes": len(text),
             "responseSha256": hashlib.sha256(text).hexdigest(), "responseEncoding": "gzip",
             "note": "The trace is larger than Lambda's 6 MiB response limit; "
                     "fetch it from responseUrl."}
        e.update(override)
        return json.dumps(e).encode()

    def test_the_whole_response_is_fetched_and_checked(self):
        req = {"code": program("11_recursion.c"), "language": "c", "memcheck": False}
        want = self.cli(req)
        text = json.dumps(want).encode()
        for how, data, kw in [("gzip", gzip.compress(text), {"ContentEncoding": "gzip"}),
                              ("gzip, no header", gzip.compress(text), {}),
                              ("plain", text, {})]:
            with self.subTest(stored=how):
                url = self.put("cache/whole-%s.json" % how.replace(" ", ""), data, **kw)
                asked = answer_next(self.emu, lambda _p: self.envelope(url, text))
                got, err = self.ok(req)
                self.assertEqual(asked[0]["responseMode"], "auto", "the runner asks for it")
                self.assertIn("via responseUrl", err)
                self.assertEqual(len(got["trace"]), len(want["trace"]["trace"]), "every step")
                self.assertEqual(got["trace"][-1], want["trace"]["trace"][-1])

    def test_a_damaged_or_missing_object_is_refused(self):
        text = json.dumps(self.cli({"code": program("02_calls.cpp"), "memcheck": False})).encode()
        url = self.put("cache/damaged.json", gzip.compress(text), ContentEncoding="gzip")
        cases = [
            (dict(responseSha256="0" * 64), "The whole trace fetched from responseUrl is damaged: "
             "%d bytes with SHA-256 %s, expected %d bytes with %s." % (
                 len(text), hashlib.sha256(text).hexdigest(), len(text), "0" * 64)),
            (dict(responseBytes=len(text) - 1), "The whole trace at responseUrl is larger than "
             "the %d bytes announced." % (len(text) - 1)),
            (dict(responseUrl=url.replace("damaged.json", "gone.json")),
             "Fetching the whole trace from responseUrl failed: HTTP 404 (NoSuchKey: "),
            (dict(responseUrl="file:///etc/passwd"),
             "The large-response envelope is invalid: responseUrl is not an http(s) URL."),
            (dict(responseBytes=200 * 1024 * 1024), "The trace is 209715200 bytes, more than "
             "this runner takes (67108864). Lower maxSteps or shorten the program."),
        ]
        for override, message in cases:
            with self.subTest(envelope=override):
                answer_next(self.emu, lambda _p: self.envelope(url, text, **override))
                rc, _, err = self.runner({"code": program("02_calls.cpp"), "memcheck": False})
                self.assertEqual(rc, 1)
                self.assertIn("spp-runner: error: " + message, err)


@unittest.skipIf(MotoS3.missing(), MotoS3.missing())
class LargeTrace(Case):
    """A trace over Lambda's 6 MiB through the real function with a bucket."""

    def setUp(self):
        self.tmp0 = tempfile.mkdtemp(prefix="spp-runner-moto-")
        self.s3 = MotoS3(self.tmp0, verify_signatures=False).start()
        self.extra_env = self.s3.env()
        try:
            super().setUp()
        except BaseException:
            self.s3.stop()
            raise

    def tearDown(self):
        super().tearDown()
        self.s3.stop()
        shutil.rmtree(self.tmp0, ignore_errors=True)

    def test_the_student_corpus_arrives_whole(self):
        d = os.path.join(ROOT, "tests", "programs", "student")
        names = sorted(f for f in os.listdir(d) if f.endswith((".c", ".cpp")))
        self.assertGreaterEqual(len(names), 10)
        for name in names:
            with self.subTest(program=name):
                req = {"code": SHIM + read(os.path.join(d, name)), "memcheck": False,
                       "language": "c" if name.endswith(".c") else "c++"}
                want = self.cli(req)
                self.assertNotEqual(want["outcome"], "output_limit", "the CLI's trace is whole")
                got, err = self.ok(req)
                self.assertEqual(len(got["trace"]), len(want["trace"]["trace"]), "every step")
                self.assertEqual(got["trace"][-1], want["trace"]["trace"][-1])
                BENCH.append("%s: %d steps, %d bytes, %s" % (
                    name, len(got["trace"]), len(json.dumps(want)), err.split("via ")[-1].strip()))
                if name == "linked_list.cpp":  # 200 nodes, ~27 MB
                    self.assertIn("via responseUrl", err)
                    self.assertEqual(got["code"], read(os.path.join(d, name)))
                    self.unchanged_invoke_is_an_honest_cut(req, len(got["trace"]))
        for inv in self.emu.invoked:
            self.assertEqual(inv.rejected, [], "no reply over 6 MiB was posted")
            self.assertLessEqual(len(inv.response), 6 * 1024 * 1024)

    def unchanged_invoke_is_an_honest_cut(self, req, n):
        """See++'s own invoke (no responseMode): a cut that says where and why."""
        cut, err = self.ok(req, "--response-mode", "inline")
        self.assertIn("outcome output_limit, via inline", err)
        k = len(cut["trace"])
        self.assertLess(k, n)
        self.assertTrue(cut["trace"][-1]["exceptionMsg"].startswith(
            "The trace stopped at step %d of %d: " % (k, n)), cut["trace"][-1]["exceptionMsg"])
        BENCH.append("the same, as See++ invokes (inline): %d bytes, cut at step %d of %d"
                     % (len(self.emu.invoked[-1].response), k, n))


if __name__ == "__main__":
    missing = [p for p in (BOOTSTRAP, TRACER) if not os.path.exists(p)]
    if not os.path.exists(RUNNER):
        r = subprocess.run(["make", "-s", "-C", ROOT, "runner"], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stdout[-2000:] + r.stderr[-2000:])
            missing.append(RUNNER)
    unittest_main.run(__name__, bench=BENCH, missing=missing)

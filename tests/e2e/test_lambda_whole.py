#!/usr/bin/env python3
"""Every trace of the student-size corpus arrives whole, on every path.

A trace repeats the whole state at every step: the 200-node list's 1000
steps are ~27 MB of JSON, far over Lambda's 6 MiB. For each program of
tests/programs/student (the 200-node list, a BST of 60 keys, bubble sort of
100, fib(20), a vector of 400, structs with std::sort, BFS with std::queue,
a 2-D malloc matrix, hanoi(7), an uninitialised sum) the CLI's step count
is the reference, and each path must return exactly that many steps:
  - `spp-trace serve` with Accept-Encoding: gzip;
  - build/bootstrap (the Runtime API emulator) with an API Gateway REST
    (v1) event, an HTTP API (v2) event or a Function URL event (in turn),
    with Accept-Encoding: gzip; a program that ended normally is asked
    again through another shape and served from the cache's gzip bytes;
  - a direct invoke with "responseMode":"auto" on a function with a bucket
    (moto_server, verifying SigV4): small responses inline, large ones as
    an envelope whose presigned URL (fetched with plain urllib) gives the
    whole response, its size and SHA-256 as the envelope says.
Every response the bootstrap posts is at most 6 MiB (the emulator records
each, and would refuse larger ones with 413). The cuts that must stay cuts:
an unchanged See++-style direct invoke (no responseMode) of the same
program gets an honest cut, and maxSteps 1000 over a 2,000-node list
likewise, whose outcome and last step say so; a gzip'ed body still over
6 MiB is traced again at 4 MiB (a stand-in tracer), and reference mode
with a bucket that refuses the PUT falls back to the honest cut.

One bootstrap, one moto_server and one serve for the whole file, so each
program is traced once per front door (the proxies and the reference mode
share a cache key; runs that stop at the step limit are not cached).
"""

import base64
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import unittest_main  # noqa: E402
from moto_s3 import MotoS3, free_port  # noqa: E402
from proc_util import become_subreaper, kill_orphans  # noqa: E402
from rapi_emulator import RuntimeAPIEmulator  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
TRACER = os.path.join(BUILD, "spp-trace")
SHARED = os.environ.get("SPP_SHARED_DIR") or os.path.join(ROOT, "..", "shared")
EVENTS = os.path.join(SHARED, "vectors", "events")
STUDENT = os.path.join(ROOT, "tests", "programs", "student")
CORPUS = os.path.join(ROOT, "tests", "programs", "corpus")
MIB = 1 << 20
LAMBDA_MAX = 6 * MIB  # what Lambda takes (the emulator adds its 100 B)

PROGRAMS = ["linked_list.cpp", "bst.cpp", "bubble_sort.c", "fib.c", "vector400.cpp",
            "students_sort.cpp", "bfs.cpp", "matrix.c", "hanoi.c", "uninit_sum.c"]

BENCH = []
become_subreaper()

# A stand-in tracer (the handler's contract: request on stdin, response on
# stdout starting {"cached":false, exit 0 cacheable, 3 not): at a cap over
# 4 MiB it answers 12 MB of random bytes in base64, which gzip cannot bring
# under 6 MiB; at 4 MiB, a cut. It notes each cap it was given.
FAKE_TRACER = r"""#!/usr/bin/env python3
import base64, json, os, sys
sys.stdin.read()
cap = int(os.environ.get("SPP_MAX_RESPONSE_BYTES", "0"))
with open("%(calls)s", "a") as f:
    f.write("%%d\n" %% cap)
if cap > 4 << 20:
    r = {"cached": False, "success": True, "outcome": "ok",
         "trace": {"trace": [{"line": 1, "noise": base64.b64encode(os.urandom(9 << 20)).decode()}]}}
    code = 0
else:
    r = {"cached": False, "success": True, "outcome": "output_limit",
         "message": "The trace stopped at step 1 of 2: stand-in", "trace": {"trace": [{"line": 1}]}}
    code = 3
sys.stdout.write(json.dumps(r, separators=(",", ":")))
sys.exit(code)
"""


def request(name, **kw):
    path = os.path.join(CORPUS if name.startswith("list") else STUDENT, name)
    with open(path, encoding="utf-8") as f:
        r = {"code": f.read(), "language": "c" if name.endswith(".c") else "c++",
             "memcheck": False}
    r.update(kw)
    return r


def wait_http(url, proc, what, timeout=20):
    end = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > end or proc.poll() is not None:
                raise RuntimeError("%s did not start" % what)
            time.sleep(0.1)


def steps_of(resp):
    return resp["trace"]["trace"]


def event(name, accept="gzip"):
    with open(os.path.join(EVENTS, "aws-lambda-go_" + name), encoding="utf-8") as f:
        ev = json.load(f)
    if ev.get("version") == "2.0":
        ev["requestContext"]["http"]["method"] = "POST"
        ev["headers"] = {"accept-encoding": accept, "content-type": "application/json"}
    else:
        ev["httpMethod"] = "POST"
        ev["headers"] = {"Accept-Encoding": accept, "Content-Type": "application/json"}
        ev.pop("multiValueHeaders", None)
    ev["isBase64Encoded"] = False
    return ev


class Whole(unittest.TestCase):
    """One tmp root: moto_server, the emulator + bootstrap (with a bucket),
    serve, and the CLI's reference counts."""

    BUCKET = "spp-whole-test"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="spp-whole-test-")
        cls.procs, cls.emus = [], []
        try:
            cls.start_moto()
            cls.emu = cls.start_bootstrap("bootstrap")
            cls.start_serve()
        except BaseException:
            cls.tearDownClass()
            raise
        cls.cli = {}

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        if getattr(cls, "moto", None):
            cls.moto.stop()
        kill_orphans(set())
        for emu in cls.emus:
            emu.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def spawn(cls, argv, env, name):
        log = open(os.path.join(cls.tmp, name + ".log"), "wb")
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             start_new_session=True)
        log.close()
        cls.procs.append(p)
        return p

    @classmethod
    def log(cls, name):
        with open(os.path.join(cls.tmp, name + ".log"), encoding="utf-8",
                  errors="replace") as f:
            return f.read()

    @classmethod
    def start_moto(cls):
        """The bucket, with the template's policy (objects under cache/ only);
        moto verifies every signature, presigned URLs included."""
        cls.moto = None
        if MotoS3.missing():
            return
        cls.moto = MotoS3(cls.tmp, cls.BUCKET).start()
        cls.endpoint = cls.moto.endpoint

    @classmethod
    def start_bootstrap(cls, name, **extra):
        """A bootstrap (its log NAME.log, its own cache) and its emulator."""
        emu = RuntimeAPIEmulator().start()
        cls.emus.append(emu)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cls.tmp,
               "XDG_CACHE_HOME": os.path.join(cls.tmp, "cache-" + name), "TMPDIR": cls.tmp,
               "AWS_LAMBDA_RUNTIME_API": emu.address, "AWS_REGION": "us-east-1",
               "ENVIRONMENT": "test"}
        if cls.moto:
            env.update(cls.moto.env())
        else:
            env.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                        "AWS_SECRET_ACCESS_KEY": "unused"})
        env.update(extra)
        cls.spawn([BOOTSTRAP], {k: v for k, v in env.items() if v is not None}, name)
        if not emu.wait_for(lambda: len(emu.next_times) >= 1, 10):
            raise RuntimeError("bootstrap never polled /next: " + cls.log(name))
        return emu

    @classmethod
    def start_serve(cls):
        port = free_port()
        cls.serve_url = "http://127.0.0.1:%d" % port
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(cls.tmp, "cache-serve"),
                   TMPDIR=cls.tmp)
        serve = cls.spawn([TRACER, "serve", "--port", str(port), "--workers", "1"], env,
                          "serve")
        wait_http(cls.serve_url + "/health", serve, "serve")

    # ---- the paths ----------------------------------------------------------

    def cli_steps(self, name):
        """The reference: the CLI, uncapped, no cache."""
        if name not in self.cli:
            r = subprocess.run([TRACER, "--no-cache", "--request", "-"],
                               input=json.dumps(request(name)).encode(), capture_output=True,
                               timeout=180, env=dict(os.environ, TMPDIR=self.tmp))
            self.assertIn(r.returncode, (0, 3), r.stderr.decode()[-500:])
            resp = json.loads(r.stdout)
            self.assertNotEqual(resp.get("outcome"), "output_limit", name)
            # exit 0: a normal end, cached; 3: e.g. the step limit, not cached
            self.cli[name] = (len(steps_of(resp)), len(r.stdout), r.returncode == 0)
        return self.cli[name]

    def invoke(self, payload, timeout=180, emu=None, name="bootstrap"):
        emu = emu or self.emu
        inv = emu.enqueue(payload, timeout_s=timeout)
        self.assertTrue(emu.wait_done(inv, timeout),
                        "no reply in %ss\n%s" % (timeout, self.log(name)[-2000:]))
        self.assertEqual(inv.rejected, [], "the bootstrap posted a response over 6 MiB")
        self.assertIsNone(inv.error, inv.error)
        self.assertLessEqual(len(inv.response), LAMBDA_MAX)
        return inv

    def via_proxy(self, ev_name, req):
        ev = event(ev_name)
        ev["body"] = json.dumps(req)
        inv = self.invoke(ev)
        r = json.loads(inv.response)
        self.assertEqual(r["statusCode"], 200, r["body"][:300])
        self.assertIs(r["isBase64Encoded"], True)
        self.assertEqual(r["headers"]["Content-Encoding"], "gzip")
        return json.loads(gzip.decompress(base64.b64decode(r["body"], validate=True))), len(
            inv.response)

    def via_serve(self, req):
        rq = urllib.request.Request(self.serve_url + "/run", data=json.dumps(req).encode(),
                                    headers={"Content-Type": "application/json",
                                             "Accept-Encoding": "gzip"})
        with urllib.request.urlopen(rq, timeout=180) as r:
            self.assertEqual(r.headers.get("Content-Encoding"), "gzip")
            return json.loads(gzip.decompress(r.read()))

    def via_reference(self, req):
        """A direct invoke that can follow a URL: (response, envelope or None)."""
        inv = self.invoke(dict(req, responseMode="auto"))
        body = json.loads(inv.response)
        if "responseUrl" not in body:
            return body, None
        env = body
        self.assertEqual(env["responseEncoding"], "gzip")
        self.assertEqual(env["responseExpiresIn"], 900)
        self.assertIn("X-Amz-Expires=900", env["responseUrl"])
        self.assertIn("X-Amz-Signature=", env["responseUrl"])
        self.assertTrue(env["responseUrl"].startswith(self.endpoint + "/" + self.BUCKET +
                                                      "/cache/"), env["responseUrl"])
        self.assertEqual(env["note"], "The trace is larger than Lambda's 6 MiB response "
                                      "limit; fetch it from responseUrl.")
        self.check_presigned(env["responseUrl"])
        # a plain GET, no credentials: the URL is the authorisation. moto
        # 5.2.1 cannot check a query-string signature (its IAM check reads
        # only the Authorization header and answers 500), so check_presigned
        # compared it with botocore's, and moto checks none for this GET.
        self.moto.unchecked(1)
        try:
            r = urllib.request.urlopen(env["responseUrl"], timeout=30)
        finally:
            self.moto.unchecked(0)
        with r:
            self.assertEqual(r.headers.get("Content-Encoding"), "gzip")
            self.assertEqual(r.headers.get("Content-Type"), "application/json")
            raw = gzip.decompress(r.read())
        self.assertEqual(len(raw), env["responseBytes"])
        self.assertEqual(hashlib.sha256(raw).hexdigest(), env["responseSha256"])
        resp = json.loads(raw)
        self.assertIs(env["success"], resp["success"])
        self.assertEqual(env.get("outcome"), resp.get("outcome"))
        return resp, env

    def check_presigned(self, url):
        """The URL's query is what botocore (the AWS SDK's signer) makes for
        the function's credentials at the URL's own time."""
        import datetime
        import urllib.parse
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        base, query = url.split("?", 1)
        ours = dict(urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True))
        when = datetime.datetime.strptime(ours["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
        saved = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda *a, **k: when
        try:
            req = AWSRequest(method="GET", url=base)
            creds = Credentials(self.moto.key_id, self.moto.secret)
            botocore.auth.S3SigV4QueryAuth(creds, "s3", "us-east-1",
                                           expires=900).add_auth(req)
        finally:
            botocore.auth.get_current_datetime = saved
        theirs = dict(urllib.parse.parse_qsl(req.url.split("?", 1)[1]))
        self.assertEqual(ours, theirs)

    # ---- the tests ----------------------------------------------------------

    def test_a_big_trace_is_whole_through_every_proxy_and_serve(self):
        """The student corpus through serve and a proxy shape (the three
        shapes in turn, so each carries large and small traces); a normal
        end is cached, and a second shape is a hit of the gzip bytes."""
        shapes = ("apigw-request.json", "apigw-v2-request-no-authorizer.json",
                  "lambda-urls-request.json")
        over, hits = [], 0
        for i, name in enumerate(PROGRAMS):
            with self.subTest(program=name):
                want, cli_bytes, cacheable = self.cli_steps(name)
                if cli_bytes > LAMBDA_MAX:
                    over.append(name)
                req = request(name)
                self.assertEqual(len(steps_of(self.via_serve(req))), want, "serve")
                resp, posted = self.via_proxy(shapes[i % 3], req)
                self.assertIs(resp["success"], True)
                self.assertEqual(len(steps_of(resp)), want, shapes[i % 3])
                self.assertNotEqual(resp.get("outcome"), "output_limit")
                self.assertIs(resp["cached"], False)
                if cacheable:
                    again, _ = self.via_proxy(shapes[(i + 1) % 3], req)
                    self.assertIs(again["cached"], True)
                    self.assertEqual(len(steps_of(again)), want)
                    hits += 1
                BENCH.append("%s: %d steps, CLI response %d bytes, posted through %s "
                             "%d bytes" % (name, want, cli_bytes, shapes[i % 3], posted))
        # the test means something: these could not have been sent whole
        # without compression (fixed thresholds, bytes)
        self.assertIn("linked_list.cpp", over)
        self.assertGreaterEqual(len(over), 3, over)
        self.assertGreaterEqual(hits, 2)

    def test_reference_mode_gets_every_trace_whole(self):
        if not self.moto:
            self.skipTest(MotoS3.missing())
        enveloped = []
        for name in PROGRAMS:
            with self.subTest(program=name):
                want, cli_bytes, _ = self.cli_steps(name)
                resp, env = self.via_reference(request(name))
                self.assertIs(resp["success"], True)
                self.assertEqual(len(steps_of(resp)), want)
                self.assertNotEqual(resp.get("outcome"), "output_limit")
                # inline exactly when the whole response fits
                self.assertEqual(env is not None, cli_bytes > LAMBDA_MAX,
                                 "%d bytes" % cli_bytes)
                if env:
                    enveloped.append(name)
        self.assertIn("linked_list.cpp", enveloped)

    def test_a_see_plus_plus_direct_invoke_still_gets_an_honest_cut(self):
        """No responseMode: plain JSON under 6 MiB, cut, and never served
        from (nor stored as) the whole trace's entry."""
        want, _, _ = self.cli_steps("linked_list.cpp")
        inv = self.invoke(request("linked_list.cpp"))
        resp = json.loads(inv.response)
        steps = steps_of(resp)
        self.assertEqual(resp["outcome"], "output_limit")
        self.assertLess(len(steps), want)
        self.assertTrue(resp["message"].startswith(
            "The trace stopped at step %d of %d: " % (len(steps), want)), resp["message"])
        self.assertEqual(steps[-1]["exceptionMsg"], resp["message"])
        self.assertIs(resp["cached"], False)

    def test_maxsteps_1000_over_2000_nodes_is_cut_and_says_so(self):
        inv = self.invoke(request("list2000.c", maxSteps=1000))
        resp = json.loads(inv.response)
        steps = steps_of(resp)
        self.assertEqual(resp["outcome"], "output_limit")
        self.assertTrue(resp["message"].startswith(
            "The trace stopped at step %d of 1000: " % len(steps)), resp["message"])
        self.assertIn("Lower maxSteps", resp["message"])
        self.assertEqual(steps[-1]["event"], "instruction_limit_reached")
        self.assertEqual(steps[-1]["exceptionMsg"], resp["message"])

    def test_a_gzip_body_still_over_6_mib_is_traced_again_and_cut(self):
        """When even the gzip'ed trace does not fit, the request is traced
        again at the configured cap: a stand-in tracer answers the large cap
        with incompressible bytes (which no real trace of this corpus is)
        and the small one with a cut, so the second run is what arrives."""
        calls = os.path.join(self.tmp, "fake-calls")
        fake = os.path.join(self.tmp, "fake_tracer.py")
        with open(fake, "w") as f:
            f.write(FAKE_TRACER % {"calls": calls})
        os.chmod(fake, 0o755)
        emu = self.start_bootstrap("b-fake", SPP_TRACER=fake, CACHE_BUCKET=None,
                                   S3_ENDPOINT_URL=None)
        ev = event("lambda-urls-request.json")
        ev["body"] = json.dumps(request("fib.c"))
        inv = self.invoke(ev, emu=emu, name="b-fake")
        r = json.loads(inv.response)
        self.assertEqual(r["statusCode"], 200)
        resp = json.loads(gzip.decompress(base64.b64decode(r["body"])))
        self.assertEqual(resp["outcome"], "output_limit")
        self.assertEqual(resp["message"], "The trace stopped at step 1 of 2: stand-in")
        with open(calls) as f:
            self.assertEqual(f.read().split(), [str(32 * MIB), str(4 * MIB)])
        self.assertIn("tracing again at the configured cap", self.log("b-fake"))

    def test_reference_mode_with_a_bucket_that_refuses_gets_an_honest_cut(self):
        if not self.moto:
            self.skipTest(MotoS3.missing())
        emu = self.start_bootstrap("b-denied", AWS_SECRET_ACCESS_KEY="wrong-secret")
        want, _, _ = self.cli_steps("linked_list.cpp")
        inv = self.invoke(dict(request("linked_list.cpp"), responseMode="auto"), emu=emu,
                          name="b-denied")
        resp = json.loads(inv.response)
        self.assertNotIn("responseUrl", resp)
        self.assertEqual(resp["outcome"], "output_limit")
        self.assertTrue(resp["message"].startswith(
            "The trace stopped at step %d of %d: " % (len(steps_of(resp)), want)))
        self.assertIn("could not be put in the bucket", self.log("b-denied"))
        self.assertNotIn("wrong-secret", self.log("b-denied"))

    def test_a_bad_response_mode_is_a_400_naming_it(self):
        inv = self.invoke(dict(request("fib.c"), responseMode="url"))
        resp = json.loads(inv.response)
        self.assertIs(resp["success"], False)
        self.assertIn('"responseMode" must be "inline" or "auto"', resp["error"])


def main():
    unittest_main.run(__name__, BENCH, [p for p in (BOOTSTRAP, TRACER) if not os.access(p, os.X_OK)])


if __name__ == "__main__":
    main()

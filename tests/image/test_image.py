#!/usr/bin/env python3
"""The Lambda image (`make image`), run as AWS Lambda runs it
(tests/support/image_run.py: read-only root, /tmp a tmpfs of the template's
size, uid 993, no capabilities, ptrace/namespaces/setuid denied by seccomp,
Lambda's environment, the image's entry point, the Runtime API emulator on
this machine's loopback). `make image-test` runs it.

- What is in the image: the function's Dockerfile is lambda/Dockerfile; no
  package of scripts/packages-build.txt is installed (build-only); no
  documentation; its size, printed and bounded.
- The request tests of tests/e2e/test_bootstrap.py, each through a fresh
  container of the image (every test class there except the cold-start and
  S3 ones, which need the bare bootstrap or moto on the host).
- What the run looked like inside: the Valgrind engine (ptrace is denied),
  seccomp on and no namespaces, the PCH built at image time used from the
  read-only /var/runtime.
- The hostile suite (tests/hostile/, tests/support/hostile.py), one
  invocation at a time through one container as Lambda serves them, each
  followed by a canary request; afterwards only the bootstrap runs in the
  container and /tmp holds nothing but the cache.
- Cold start, printed (not asserted): `podman run` -> first GET /next, the
  first request (a program never seen), a warm uncached request, a cache hit.

Ends with one line "N passed, M failed"; exits 1 on any failure.
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Event fixtures: ../shared beside the repository, else its copy in
# tests/data/shared (as tests/run_all.sh finds them).
if not os.environ.get("SPP_SHARED_DIR") and \
        not os.path.isdir(os.path.join(ROOT, "..", "shared", "vectors")):
    os.environ["SPP_SHARED_DIR"] = os.path.join(ROOT, "tests", "data", "shared")
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import hostile  # noqa: E402
import image_run  # noqa: E402
import test_bootstrap as tb  # noqa: E402
import unittest_main  # noqa: E402
from proc_util import PR_SET_CHILD_SUBREAPER  # noqa: E402
from rapi_emulator import RuntimeAPIEmulator  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
LAMBDA_LIKE = os.path.join(BUILD, "support", "lambda_like")
# Bytes may be gated: the image as built on 2026-12-03 was ~430 MiB.
MAX_IMAGE_MIB = 600
BENCH = tb.BENCH

# test_bootstrap makes this process a subreaper; podman's conmon would then
# become our child. Processes here are checked inside the container instead.
import ctypes  # noqa: E402
ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)

# What test_bootstrap's env() sets for a bare bootstrap on this machine and a
# container must not get: host paths, the host's PATH.
HOST_ONLY = ("PATH", "HOME", "XDG_CACHE_HOME", "TMPDIR", "SPP_TRACER")


def container_env(api, env_of_test, unset=()):
    """Lambda's environment with the test's variables (host paths left out),
    less those the test unsets."""
    memory_mb, _, _ = image_run.template_facts()
    env = image_run.lambda_env(api, memory_mb)
    env.update({k: v for k, v in env_of_test.items() if k not in HOST_ONLY})
    # A tracer path the test names (a missing one) is a path in the image.
    if env_of_test.get("SPP_TRACER") and \
            env_of_test["SPP_TRACER"] != os.environ.get("SPP_TEST_TRACER"):
        env["SPP_TRACER"] = env_of_test["SPP_TRACER"]
    for k in unset:
        env.pop(k, None)
    return env


class ImageLaunch:
    """Mixed into test_bootstrap's cases: the bootstrap is the image's entry
    point in a container; self.proc is `podman run`."""

    def launch(self, **extra):
        unset = [k for k, v in extra.items() if v is None]
        self.container = image_run.Container(
            self.tmp, container_env(self.emu.address, self.env(**extra), unset), LAMBDA_LIKE)
        self.log_file = open(self.log_path, "wb")
        self.t_exec = time.monotonic()
        self.proc = self.container.start(self.log_file)
        self.log_file.close()
        return self.proc

    def tearDown(self):
        if getattr(self, "container", None):
            self.container.remove()
        super().tearDown()

    def bootstrap_pid(self):
        return self.container.pid()

    def cache_dir(self):
        return self.container.path("/tmp/spp-trace-cache")

    def assert_nothing_left(self):
        end = time.monotonic() + 3
        procs = self.container.processes()
        while len(procs) > 1 and time.monotonic() < end:
            time.sleep(0.05)
            procs = self.container.processes()
        self.assertEqual([p for p, _ in procs], [1], "processes in the container: %r" % procs)
        self.assertIn("/var/runtime/bootstrap", procs[0][1])


def _image_cases():
    """test_bootstrap's case classes, run through the image."""
    out = {}
    skip = {
        # the bare bootstrap's; ColdStart below is the image's
        "test_cold_start": "bare bootstrap only",
        # SPP_TRACER_WALL_MS=1500 is shorter than the Valgrind engine's start:
        # every request fails, as "internal error: ... the program ended
        # before main started" (a 500, not a time limit; reported)
        "test_low_limit_still_gets_a_partial_trace": "1.5 s wall limit < Valgrind's start",
        "test_overrun_kills_everything_it_started": "1.5 s wall limit < Valgrind's start",
    }
    for name in ("EventShapes", "BadRequests", "Outcomes", "TooLarge", "RuntimeApiFailures",
                 "InitFailures", "Deadlines", "WallLimit"):
        base = getattr(tb, name)
        attrs = {t: unittest.skip(why)(getattr(base, t)) for t, why in skip.items()
                 if hasattr(base, t)}
        out["Image" + name] = type("Image" + name, (ImageLaunch, base), attrs)
    return out


globals().update(_image_cases())


class ImageContents(unittest.TestCase):
    def test_template_builds_this_dockerfile(self):
        self.assertEqual(image_run.template_dockerfile(), os.path.join("lambda", "Dockerfile"))

    def test_no_build_only_package_and_no_docs(self):
        build_only = []
        with open(os.path.join(ROOT, "scripts", "packages-build.txt")) as f:
            for line in f:
                build_only += line.split("#", 1)[0].split()
        r = image_run.podman("run", "--rm", "--network", "none", "--entrypoint", "sh",
                             image_run.IMAGE, "-c",
                             "dpkg-query -W -f '${db:Status-Abbrev} ${Package}\\n'; "
                             "echo DOCS; find /usr/share/doc /usr/share/man -type f "
                             "! -name copyright | head -n 5")
        out = r.stdout.decode()
        installed = {l.split()[1].split(":")[0] for l in out.split("DOCS")[0].splitlines()
                     if l.startswith("ii ")}
        self.assertIn("valgrind", installed)
        self.assertIn("g++", installed)
        self.assertEqual(sorted(installed & set(build_only)), [], "build-only packages")
        self.assertEqual(out.split("DOCS")[1].split(), [], "documentation in the image")

    def test_size(self):
        size = int(image_run.podman("image", "inspect", "--format", "{{.Size}}",
                                    image_run.IMAGE).stdout)
        mib = size / 1048576
        BENCH.append("image %s: %.0f MiB uncompressed" % (image_run.IMAGE, mib))
        self.assertLess(mib, MAX_IMAGE_MIB)


class InsideTheImage(ImageLaunch, tb.BootstrapCase):
    def test_agent_engine_seccomp_and_the_image_pch(self):
        self.wait_polling()
        code = "#include <vector>\nint main() {\n    std::vector<int> v{1, 2};\n" \
               "    return v[1] - 2;\n}\n"
        resp = self.direct({"code": code, "language": "c++", "memcheck": False})
        self.assert_trace_ok(resp)
        # ptrace is denied in the container: auto takes the in-process agent
        self.assertEqual(resp["engine"], "agent")
        sb = resp["sandbox"]
        self.assertIs(sb["seccomp"], True)
        self.assertIs(sb["pidns"], False)
        self.assertIs(sb["mountns"], False)
        self.assertIs(resp["usedPch"], True, "the PCH from the image was not used")
        main_steps = [s for s in resp["trace"]["trace"] if s.get("funcName") == "main"]
        self.assertEqual([s["line"] for s in main_steps][:3], [2, 3, 4])

    def test_memcheck_with_the_slim_debuginfo(self):
        """The image keeps only ld.so's debuginfo and libc's symbols
        (scripts/slim-debuginfo.sh): memcheck still starts, and a finding
        inside printf still names the function it is in."""
        self.wait_polling()
        code = ("#include <stdio.h>\nint main(void) {\n    int sum;\n"
                "    printf(\"%d\\n\", sum);\n    return 0;\n}\n")
        resp = self.direct({"code": code, "language": "c", "memcheck": True})
        self.assert_trace_ok(resp)
        errs = resp["memcheck"]["errors"]
        self.assertTrue(errs, resp["memcheck"])
        self.assertEqual({e["line"] for e in errs}, {4})
        self.assertIn("UninitCondition", {e["kind"] for e in errs})
        self.assertTrue(any(" in vfprintf " in e["message"] for e in errs),
                        [e["message"] for e in errs])

    def test_root_is_read_only_and_tmp_is_the_templates(self):
        """From outside: the mounts the container got."""
        self.wait_polling()
        with open("/proc/%d/mounts" % self.bootstrap_pid()) as f:
            mounts = {l.split()[1]: l.split() for l in f}
        self.assertIn("ro", mounts["/"][3].split(","))
        _, tmp_mib, _ = image_run.template_facts()
        st = os.statvfs(self.container.path("/tmp"))
        self.assertEqual(st.f_blocks * st.f_frsize, tmp_mib << 20)
        with open("/proc/%d/status" % self.bootstrap_pid()) as f:
            status = dict(l.split(":", 1) for l in f)
        self.assertEqual(status["Uid"].split()[0],
                         str(image_run.HOST_UID_BASE + image_run.LAMBDA_UID))
        self.assertEqual(int(status["CapEff"].strip(), 16), 0)
        self.assertEqual(status["Seccomp"].strip(), "2")


class HostileSuite(ImageLaunch, tb.BootstrapCase):
    # compile bombs end at 4 s instead of 20 s, as in test_hostile
    extra_env = dict(hostile.SECRETS, SPP_COMPILE_TIMEOUT_MS="4000")

    def test_hostile_programs_one_invocation_at_a_time(self):
        programs = hostile.load_programs()
        self.wait_polling()
        problems, rows, notes = {}, [], {}
        t_suite = time.monotonic()
        for n, prog in enumerate(programs):
            t0 = time.monotonic()
            inv = self.emu.enqueue(prog.request(timeoutMs=6000), timeout_s=120)
            if not self.emu.wait_done(inv, 130):
                problems[prog.name] = ["no reply\n" + self.log()[-2000:]]
                break
            if inv.error:
                found = ["function error %r" % (inv.error[1][:300],)]
                raw, resp = inv.error[1], None
            else:
                raw = inv.response
                resp = json.loads(raw)
                found = hostile.check(prog, 200, raw, resp)
            if resp is not None and hostile.tolerated(prog, resp):
                notes[prog.name] = hostile.tolerated(prog, resp)
            canary = {"code": tb_canary(n), "language": "c", "memcheck": False}
            cinv = self.emu.enqueue(canary, timeout_s=120)
            if not self.emu.wait_done(cinv, 130) or cinv.error or \
                    json.loads(cinv.response).get("stdout") != "canary %d\n" % n:
                found.append("the next request failed: %r" % ((cinv.error or cinv.response
                                                               or b"")[:300],))
            rows.append((prog.name, resp.get("outcome") if resp else "error",
                         time.monotonic() - t0))
            if found:
                problems[prog.name] = found
        secs = time.monotonic() - t_suite
        print("-- hostile suite through the image: %d programs in %.1f s, one at a time"
              % (len(rows), secs))
        for name, outcome, t in rows:
            print("   %-26s %-14s %5.2f s" % (name, outcome, t))
        for name, lines in sorted(notes.items()):
            print("   without a mount namespace, %s: %s" % (name, "; ".join(lines)[:200]))
        self.assert_nothing_left()
        # The bootstrap's clean-up after each invocation leaves /tmp with the
        # cache and its own run root, empty (what a "mountns" program wrote
        # there included).
        tmp = self.container.path("/tmp")
        left = sorted(set(os.listdir(tmp)) - {"spp-trace-cache"})
        roots = [n for n in left if n.startswith("spp-bootstrap-")]
        self.assertLessEqual(len(roots), 1, roots)
        for r in roots:
            self.assertEqual(os.listdir(os.path.join(tmp, r)), [], "left in /tmp/" + r)
        self.assertEqual([n for n in left if n not in roots], [], "left in /tmp")
        self.assertEqual(hostile.secret_problems(self.log().encode()), [], "secret in the log")
        self.assertEqual(problems, {})


def tb_canary(n):
    return "#include <stdio.h>\nint main(void) {\n    printf(\"canary %d\\n\");\n" \
           "    return 0;\n}\n" % n


class ColdStart(unittest.TestCase):
    """Printed, not asserted (beyond each step working)."""
    ROUNDS = 3

    def test_cold_start_and_first_request(self):
        starts, firsts, warms, hits = [], [], [], []
        for i in range(self.ROUNDS):
            tmp = tempfile.mkdtemp(prefix="spp-image-cold-")
            emu = RuntimeAPIEmulator().start()
            c = image_run.Container(tmp, container_env(emu.address, {}), LAMBDA_LIKE)
            try:
                with open(os.path.join(tmp, "log"), "wb") as log:
                    t0 = time.monotonic()
                    c.start(log)
                self.assertTrue(emu.wait_for(lambda: emu.next_times, 60), "no /next")
                starts.append((emu.next_times[0] - t0) * 1000)
                for out, code in ((firsts, tb_canary(7000 + i)), (warms, tb_canary(8000 + i)),
                                  (hits, tb_canary(8000 + i))):
                    t = time.monotonic()
                    inv = emu.enqueue({"code": code, "language": "c", "memcheck": False})
                    self.assertTrue(emu.wait_done(inv, 120))
                    self.assertIsNone(inv.error)
                    out.append((inv.response_at - t) * 1000)
            finally:
                c.remove()
                emu.stop()
                shutil.rmtree(tmp, ignore_errors=True)
        for label, xs in (("cold start, podman run -> first /next", starts),
                          ("first request (cold, uncached)", firsts),
                          ("warm request (uncached)", warms), ("cache hit", hits)):
            BENCH.append("image %s: median %.0f ms, min %.0f ms over %d"
                         % (label, statistics.median(xs), min(xs), len(xs)))


def main():
    missing = [] if image_run.image_exists() else ["the image %s (run make image first)"
                                                    % image_run.IMAGE]
    if not os.access(LAMBDA_LIKE, os.X_OK):
        missing.append(LAMBDA_LIKE)
    if missing:
        for m in missing:
            print("missing %s" % m)
        print("0 passed, 1 failed")
        sys.exit(1)
    unittest_main.run(__name__, BENCH)


if __name__ == "__main__":
    main()

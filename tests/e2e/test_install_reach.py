"""End-to-end: spp-trace works wherever it is checked out or installed.

The compiler runs as the run's own uid. A checkout under a 0700 directory
(a home made by adduser, a `mktemp -d`) is closed to that uid: the PCH and
the runtime object must still reach the compiler, and a file that is
unreadable itself must be reported as an installation problem naming the
file, never as the student's compile error.

Each test copies what a checkout runs from (build/spp-trace, build/rt, the
e2e tests and test programs) under a fresh mktemp -d (mode 0700), with its
own PCH directory and cache, all removed at the end, also on failure.
Needs a sandbox with a uid of its own (root); says so and skips otherwise.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from spp import (BIN, PROGRAMS, ROOT, WRAPPER, eq, local, program, run_tests, skip_all,
                 step_at, val)


class Checkout:
    """A copy of the installation under a 0700 directory."""

    def __enter__(self):
        self.top = tempfile.mkdtemp(prefix="spp-0700-")
        os.chmod(self.top, 0o700)
        self.root = os.path.join(self.top, "checkout")
        os.makedirs(os.path.join(self.root, "build"))
        shutil.copy2(BIN, os.path.join(self.root, "build", "spp-trace"))
        shutil.copytree(os.path.join(os.path.dirname(BIN), "rt"), os.path.join(self.root, "build", "rt"))
        for d in ("tests/e2e", "tests/support", "tests/programs"):
            shutil.copytree(os.path.join(ROOT, d), os.path.join(self.root, d))
        self.bin = os.path.join(self.root, "build", "spp-trace")
        self.pch = os.path.join(self.root, "build", "pch")
        # the copy has no ../shared beside it: name the sample programs
        self.env = dict(os.environ, XDG_CACHE_HOME=os.path.join(self.top, "cache"),
                        SPP_PROGRAMS=os.path.abspath(PROGRAMS),
                        SPP_SHARED_DIR=os.path.abspath(os.path.join(PROGRAMS, "..")))
        for k in ("SPP_PCH_DIR", "SPP_RT_OBJ", "SPP_BUILD_DIR"):
            self.env.pop(k, None)
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.top, ignore_errors=True)

    def trace(self, path, env=None):
        e = dict(self.env, **(env or {}))
        p = subprocess.run([self.bin, "--no-cache", "--format", "response", path],
                           capture_output=True, text=True, timeout=120, env=e)
        assert p.stdout.strip(), "no response (exit %d): %s" % (p.returncode, p.stderr)
        return json.loads(p.stdout)


def own_uid():
    with Checkout() as c:
        r = c.trace(program("02_calls.cpp"))
        return (r.get("sandbox") or {}).get("uid") not in (None, os.getuid())


def check_02_calls(r):
    eq(r["outcome"], "ok", "outcome (error %r, ccStderr %r)" % (r.get("error"), r["ccStderr"]))
    eq(r["stdout"], "10\n", "stdout")
    tr = r["trace"]["trace"]
    rets = [(s["funcName"], val(local(s, "__return__"))) for s in tr if s["event"] == "return"]
    eq(rets, [("add", 5), ("add", 10), ("twice", 10), ("main", 0)], "returns")
    eq(val(local(step_at(tr, 5, func="add"), "x")), 2, "x at the step of line 5")


def test_traces_from_a_0700_checkout():
    with Checkout() as c:
        eq(oct(os.stat(c.top).st_mode & 0o777), oct(0o700), "the parent's mode")
        r = c.trace(program("02_calls.cpp"))
        check_02_calls(r)
        eq(r["usedPch"], True, "the PCH (built in the closed checkout) was used")
        assert os.listdir(c.pch), "no PCH was built in %s" % c.pch
        # a second run reads the PCH built by the first
        check_02_calls(c.trace(program("02_calls.cpp")))
        # C, with its own runtime object link and PCH
        r = c.trace(program("04_arrays.c"))
        eq(r["outcome"], "ok", "C program: %r %r" % (r.get("error"), r["ccStderr"]))


def test_suite_trace_checks_from_a_0700_checkout():
    """The suite's own checks (test_programs.py) run from the copy."""
    with Checkout() as c:
        env = dict(c.env)
        p = subprocess.run([sys.executable, os.path.join(c.root, "tests", "e2e",
                                                         "test_programs.py")],
                           capture_output=True, text=True, timeout=900, env=env)
        last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        assert p.returncode == 0 and last.endswith(" 0 failed"), \
            "test_programs.py from the 0700 checkout: %s\n%s" % (last, p.stdout[-3000:])


def test_unreadable_pch_is_an_installation_error():
    with Checkout() as c:
        check_02_calls(c.trace(program("02_calls.cpp")))  # builds the PCH
        gch = [f for f in os.listdir(c.pch) if f.endswith(".gch")]
        assert gch, "no PCH in %s" % c.pch
        for f in gch:
            os.chmod(os.path.join(c.pch, f), 0)
        r = c.trace(program("02_calls.cpp"))
        eq(r["outcome"], "tracer_error", "outcome")
        err = r.get("error") or ""
        assert "installation problem" in err and os.path.join(c.pch, gch[0]) in err, err
        assert "chmod" in err, "says what to do: %s" % err
        eq(r["ccStderr"], "", "no compiler output shown as the student's")
        eq(r["trace"], None, "no trace")


def test_unreadable_runtime_object_is_an_installation_error():
    with Checkout() as c:
        rt = os.path.join(c.root, "build", "rt", "sppmon.o")
        os.chmod(rt, 0o600)
        r = c.trace(program("02_calls.cpp"))
        eq(r["outcome"], "tracer_error", "outcome")
        err = r.get("error") or ""
        assert "installation problem" in err and rt in err and "chmod" in err, err


if __name__ == "__main__":
    if WRAPPER or os.getuid() != 0 or not own_uid():
        skip_all("the sandbox has no uid of its own here (needs root): a closed "
                 "checkout cannot stop a compiler that runs as ourselves")
    run_tests(globals())

"""End-to-end: the core suites once more under the other engines.

- valgrind: test_programs, test_stepper, test_ends and test_cxx with every
  trace run by `--engine valgrind` (SPP_ENGINE, read by spp.py): the
  Valgrind target alone, V-bits on, must give the same traces as ptrace.
- lambda-like: the same suites with spp-trace started by
  tests/support/lambda_like (not root; ptrace, unshare and setuid denied by
  a seccomp filter) and the Valgrind engine, as where the agent engine
  could not run. Engine auto there: the start-up probe finds no ptrace and
  picks the agent engine (test_agent.py runs the suites with it), paired
  with a Valgrind run in memcheck mode.
- the service under lambda_like: `serve` answers a request (memcheck on by
  default) through the agent engine and Valgrind's memcheck run, findings
  and leaks included.

Valgrind starts in ~0.5-1 s per program, so each pass takes a minute or so.
Skipped (77) without valgrind. Ends with "N passed, M failed".
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.dirname(__file__))
from serve_proc import Service  # noqa: E402
from spp import BIN, eq, program, run_tests, skip_all  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
LAMBDA_LIKE = os.path.join(BUILD, "support", "lambda_like")
SUITES = ["test_programs.py", "test_stepper.py", "test_ends.py"]
# C++ values (libstdc++ containers, classes) read again with V-bits on
VALUES = ["test_cxx.py"]


def run_suites(env, suites=SUITES):
    """Runs each suite with env added; returns the failures' output."""
    failures = []
    total = 0
    for name in suites:
        e = dict(os.environ)
        e.update(env)
        p = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), name)],
                           capture_output=True, text=True, env=e, timeout=900)
        m = re.search(r"^(\d+) passed, (\d+) failed$", p.stdout, re.M)
        if not m:
            failures.append("%s printed no summary (exit %d):\n%s%s" % (
                name, p.returncode, p.stdout[-3000:], p.stderr[-2000:]))
            continue
        total += int(m.group(1))
        if int(m.group(2)) or p.returncode:
            failures.append("%s:\n%s" % (name, "\n".join(
                l for l in p.stdout.splitlines() if not l.startswith("ok "))[-4000:]))
    print("  %d tests passed in %s" % (total, ", ".join(suites)))
    return failures


def open_dir():
    """A run root an unprivileged spp-trace can use."""
    d = tempfile.mkdtemp(prefix="spp-engines-")
    os.chmod(d, 0o777)
    return d


def test_core_suites_with_the_valgrind_engine():
    failures = run_suites({"SPP_ENGINE": "valgrind"}, SUITES + VALUES)
    assert not failures, "\n\n".join(failures)


def lambda_like_env(tmp):
    return {"SPP_WRAPPER": "%s --" % LAMBDA_LIKE, "SPP_ENGINE": "auto", "TMPDIR": tmp,
            "HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache")}


def test_lambda_like_picks_the_agent_and_valgrind_for_memcheck():
    assert os.access(LAMBDA_LIKE, os.X_OK), "build %s first (make unit)" % LAMBDA_LIKE
    tmp = open_dir()
    try:
        src = os.path.join(tmp, "prog.cpp")
        shutil.copy(program("09_memerror.cpp"), src)
        os.chmod(src, 0o644)
        e = dict(os.environ)
        e.update(lambda_like_env(tmp))
        p = subprocess.run([LAMBDA_LIKE, "--", BIN, "--no-cache", "--memcheck", "--format",
                            "response", src], capture_output=True, text=True, env=e, timeout=120)
        j = json.loads(p.stdout)
        eq(j["success"], True, p.stderr)
        eq(j["engine"], "agent")
        eq(j["memcheck"]["ran"], True)
        eq([x["line"] for x in j["memcheck"]["errors"]], [9])
        eq(j["memcheck"]["leaks"]["definitelyLostBytes"], 20)
        eq(os.listdir(tmp), ["prog.cpp"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_core_suites_where_ptrace_is_denied():
    assert os.access(LAMBDA_LIKE, os.X_OK), "build %s first (make unit)" % LAMBDA_LIKE
    tmp = open_dir()
    try:
        env = lambda_like_env(tmp)
        env["SPP_ENGINE"] = "valgrind"  # auto would pick the agent (test_agent.py)
        failures = run_suites(env)
        assert not failures, "\n\n".join(failures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_service_where_ptrace_is_denied():
    assert os.access(LAMBDA_LIKE, os.X_OK), "build %s first (make unit)" % LAMBDA_LIKE
    tmp = open_dir()
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp,
           "TMPDIR": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
    srv = Service(BIN, env, ["--workers", "2"], wrapper=[LAMBDA_LIKE, "--"])
    try:
        assert srv.wait_ready(), "serve did not start:\n" + srv.log()
        with open(program("09_memerror.cpp")) as f:
            code = f.read()
        status, raw, resp = srv.run({"code": code})  # memcheck: true by default
        eq(status, 200, repr(raw[:300]))
        eq(resp["engine"], "agent")
        eq(resp["memcheck"]["ran"], True)
        errs = resp["memcheck"]["errors"]
        eq([(e["line"], e["kind"]) for e in errs], [(9, "InvalidWrite")])
        tr = resp["trace"]["trace"]
        eq(tr[errs[0]["step"]]["line"], 9)
        eq(resp["memcheck"]["leaks"]["definitelyLostBytes"], 20)
        eq(tr[-1]["event"], "return")
    finally:
        rc = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    eq(rc, 0, "serve exit status")


if __name__ == "__main__":
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    run_tests(globals())

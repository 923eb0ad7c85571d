#!/usr/bin/env python3
"""End-to-end: the agent engine (`--engine agent`, tracer/rt/agent.c) against
the ptrace engine, step by step.

- every sample program traced by both engines gives the same steps (the
  whole See++ trace: lines, events, frames, every value and heap block,
  stdout), natively, under tests/support/lambda_like (not root; ptrace,
  unshare and setuid denied: the agent runs where ptrace cannot), and with
  memory read over the agent's channel instead of process_vm_readv;
- the core suites (test_programs, test_stepper, test_ends, test_cxx) pass
  with every trace run by the agent, natively and under lambda_like.

Ends with "N passed, M failed".
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from spp import BIN, PROGRAMS, eq, run_tests  # noqa: E402
from test_engines import LAMBDA_LIKE, lambda_like_env, open_dir, run_suites  # noqa: E402

STDIN = {"10_stdin.cpp": "3 4\n"}


def samples():
    return sorted(p for p in glob.glob(os.path.join(PROGRAMS, "*")) if p.endswith((".c", ".cpp")))


def response(path, engine, tmp, wrapper=(), env=None):
    """The response of one run, from a copy of path the (wrapped) tracer can read."""
    name = os.path.basename(path)
    src = os.path.join(tmp, name)
    shutil.copy(path, src)
    os.chmod(src, 0o644)
    args = list(wrapper) + [BIN, "--no-cache", "--engine", engine, "--format", "response"]
    if name in STDIN:
        inp = os.path.join(tmp, name + ".in")
        with open(inp, "w") as f:
            f.write(STDIN[name])
        os.chmod(inp, 0o644)
        args += ["--stdin", inp]
    e = dict(os.environ)
    e.update({"TMPDIR": tmp, "HOME": tmp, "XDG_CACHE_HOME": os.path.join(tmp, "cache")})
    e.update(env or {})
    p = subprocess.run(args + [src], capture_output=True, text=True, env=e, timeout=120)
    try:
        return json.loads(p.stdout)
    except ValueError:
        raise AssertionError("%s (%s): no response, exit %d: %s" % (name, engine, p.returncode,
                                                                    p.stderr[-500:]))


def first_difference(a, b):
    """Where two step lists part: (index, what differs), or None."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            keys = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
            return i, "step %d (line %s/%s, %s/%s) differs in %s: %s vs %s" % (
                i, x.get("line"), y.get("line"), x.get("event"), y.get("event"), keys,
                json.dumps(x.get(keys[0]))[:300], json.dumps(y.get(keys[0]))[:300])
    if len(a) != len(b):
        return min(len(a), len(b)), "%d steps vs %d" % (len(a), len(b))
    return None


def compare_all(wrapper=(), env=None):
    tmp = open_dir()
    problems = []
    try:
        for path in samples():
            name = os.path.basename(path)
            want = response(path, "ptrace", tmp)
            got = response(path, "agent", tmp, wrapper, env)
            if want.get("trace", {}).get("trace") is None:
                problems.append("%s: the ptrace engine gave no trace" % name)
                continue
            compiled = want.get("outcome") != "compile_error"
            if compiled and got.get("engine") != "agent":
                problems.append("%s: engine %r: %s" % (name, got.get("engine"), got.get("error")))
                continue
            d = first_difference(got["trace"]["trace"], want["trace"]["trace"])
            if d:
                problems.append("%s: %s" % (name, d[1]))
            for k in ("outcome", "message", "stdout", "stderr", "exitCode"):
                if got.get(k) != want.get(k):
                    problems.append("%s: %s %r vs %r" % (name, k, got.get(k), want.get(k)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    assert len(samples()) >= 15, "sample programs not found in %s" % PROGRAMS
    assert not problems, "\n".join(problems)


def test_same_steps_as_ptrace_on_every_sample_program():
    compare_all()


def test_same_steps_where_ptrace_is_denied():
    assert os.access(LAMBDA_LIKE, os.X_OK), "build %s first (make unit)" % LAMBDA_LIKE
    compare_all(wrapper=[LAMBDA_LIKE, "--"])


def test_same_steps_reading_memory_over_the_channel():
    # as where process_vm_readv is denied: every read is a round trip to the agent
    compare_all(env={"SPP_AGENT_READS": "channel"})


def test_core_suites_with_the_agent_engine():
    failures = run_suites({"SPP_ENGINE": "agent"}, ["test_programs.py", "test_stepper.py",
                                                     "test_ends.py", "test_cxx.py"])
    assert not failures, "\n\n".join(failures)


def test_core_suites_with_the_agent_where_ptrace_is_denied():
    tmp = open_dir()
    try:
        env = lambda_like_env(tmp)
        env["SPP_ENGINE"] = "agent"
        failures = run_suites(env, ["test_programs.py", "test_stepper.py", "test_ends.py"])
        assert not failures, "\n\n".join(failures)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run_tests(globals()))

#!/usr/bin/env python3
"""Every trace arrives whole, or says where and why it stops.

A trace repeats the whole state at every step, so a student-size program
can outgrow a response cap (Lambda's 6 MiB). A response whose trace was cut
has outcome output_limit, a message "The trace stopped at step K of N: ..."
and that message on its last step; K is the number of steps it holds and
N the steps of the whole run (what the CLI returns uncapped).
"""
import json
import os

from spp import ROOT, eq, run, run_tests

CORPUS = os.path.join(ROOT, "tests", "programs", "corpus")
MIB = 1 << 20


def response(path, cap=None, request=False, steps=400):
    """(exit status, response bytes) of the CLI, with the response capped
    at cap bytes (SPP_MAX_RESPONSE_BYTES, as the Lambda bootstrap sets it)."""
    env = {"SPP_MAX_RESPONSE_BYTES": str(cap)} if cap else None
    if request:
        with open(path) as f:
            body = json.dumps({"code": f.read(), "language": "c", "memcheck": False,
                               "maxSteps": steps})
        r = run(["--no-cache", "--request", "-"], body, timeout=120, env=env)
    else:
        r = run(["--no-cache", "--max-steps", str(steps), "--format", "response", path],
                timeout=120, env=env)
    return r.status, r.stdout.encode()


def assert_cut(resp, total, cap, what):
    steps = resp["trace"]["trace"]
    eq(resp["outcome"], "output_limit", what + ": outcome")
    msg = resp["message"]
    want = "The trace stopped at step %d of %d: " % (len(steps), total)
    assert msg.startswith(want), "%s: message %r, wanted it to start %r" % (what, msg, want)
    assert "%.1f MiB" % (cap / MIB) in msg, "%s: message names the cap: %r" % (what, msg)
    assert "Lower maxSteps" in msg, msg
    eq(steps[-1]["event"], "instruction_limit_reached", what + ": last step")
    eq(steps[-1]["exceptionMsg"], msg, what + ": last step's message")


def test_a_cut_trace_says_where_and_why():
    path = os.path.join(CORPUS, "list200.c")
    rc, raw = response(path)
    whole = json.loads(raw)
    total = len(whole["trace"]["trace"])
    eq(whole["outcome"], "step_limit", "200 nodes: the 400-step limit, uncapped")
    eq(total, 400)
    for cap in (1 * MIB, 2 * MIB):
        rc, raw = response(path, cap)
        assert len(raw) <= cap, "response of %d bytes over its cap %d" % (len(raw), cap)
        resp = json.loads(raw)
        assert len(resp["trace"]["trace"]) < total
        assert_cut(resp, total, cap, "cap %d" % cap)
        # the steps it holds are the whole trace's, unchanged
        eq([s["line"] for s in resp["trace"]["trace"][:-1]],
           [s["line"] for s in whole["trace"]["trace"][:len(resp["trace"]["trace"]) - 1]])


def test_a_cut_run_is_not_a_normal_end():
    # --request: exit 3 (a response, but not a normal end: not cached)
    rc, raw = response(os.path.join(CORPUS, "list200.c"), 1 * MIB, request=True)
    eq(rc, 3, "exit status of a cut trace")
    eq(json.loads(raw)["outcome"], "output_limit")


def test_a_trace_that_fits_is_whole():
    # the program's real output is what is held back from the budget, not
    # the 64 KiB worst case: env_all_procs' 161 steps fit in 4 MiB
    path = os.path.join(ROOT, "tests", "hostile", "env_all_procs.c")
    rc, raw = response(path, steps=10000)
    total = len(json.loads(raw)["trace"]["trace"])
    rc, raw = response(path, 4 * MIB, steps=10000)
    resp = json.loads(raw)
    eq(resp["outcome"], "ok")
    eq(len(resp["trace"]["trace"]), total, "steps under a 4 MiB cap")
    # traceContent gets what is left: cut, it says so beside the trace
    cut = resp.get("traceContentCut")
    assert cut and cut["records"] < cut["of"], cut
    assert cut["message"].startswith("The raw trace (traceContent) stopped at record %d of %d"
                                     % (cut["records"], cut["of"])), cut


if __name__ == "__main__":
    run_tests(globals())

"""End-to-end: every way a program can end gives a clear, valid answer,
nothing is lost and nothing is left running."""
import atexit
import os
import shutil
import subprocess
import tempfile
import time

from spp import ROOT, eq, local, run, run_tests, step_at, trace, val

P = os.path.join(ROOT, "tests", "programs")
# our runs' directories live here, so leftovers of ours are told apart from
# those of other tests running at the same time
WORK = tempfile.mkdtemp(prefix="spp-ends-")
atexit.register(shutil.rmtree, WORK, True)  # ours: gone also after a failure
# like /tmp: a run's own uid, or an unprivileged spp-trace (test_engines.py
# runs these tests under tests/support/lambda_like), makes its directory here
os.chmod(WORK, 0o1777)


def response(name, *args, stdin=None):
    r = trace(os.path.join(P, name), stdin=stdin, args=["--work-dir", WORK] + list(args),
              fmt="response")
    assert r.json is not None, "no JSON: %s" % r.stderr
    return r, r.json


def leftover_processes():
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if WORK in l]


def test_division_by_zero():
    r, j = response("end_fpe.c")
    eq(r.status, 0)
    eq(j["outcome"], "runtime_error")
    eq(j["signal"], "SIGFPE")
    last = j["trace"]["trace"][-1]
    eq(last["event"], "exception")
    eq(last["line"], 3)
    eq(last["funcName"], "divide")
    eq(last["exceptionMsg"], "Floating point exception: integer division by zero")
    eq(val(local(last, "b")), 0)
    eq([f["funcName"] for f in last["stackToRender"]], ["main", "divide"])


def test_failed_assert():
    _, j = response("end_assert.c")
    last = j["trace"]["trace"][-1]
    eq(last["event"], "exception")
    eq(last["line"], 7)
    eq(last["exceptionMsg"], "Assertion failed: x > 0")
    eq(last["stdout"], "checking\n", "output before the crash is kept")
    eq(j["signal"], "SIGABRT")


def test_exit_inside_function():
    _, j = response("end_exit.c")
    eq(j["outcome"], "ok")
    eq(j["exitCode"], 3)
    eq(j["stdout"], "bye\n")
    eq(j["trace"]["trace"][-1]["funcName"], "quit")


def test_fork_child_runs_and_is_gone():
    _, j = response("fork.c")
    eq(j["outcome"], "ok")
    eq(sorted(j["stdout"].splitlines()), ["child", "parent saw 7"])
    tr = j["trace"]["trace"]
    eq(val(local(step_at(tr, 14), "code")), 7)
    eq(tr[-1]["event"], "return")
    eq(leftover_processes(), [])


def test_every_forked_child_runs_its_own_code():
    # Each child is let go at its parent's fork event with our int3s taken
    # out of its copy of memory. Let go later, at its own first stop, a
    # child kept the int3 of a breakpoint the parent had meanwhile removed
    # and died of SIGTRAP (before the fix: 26-29 of 30 here, most runs).
    _, j = response("forks.c")
    eq(j["outcome"], "ok")
    eq(j["stdout"], "30 of 30 children exited normally\n")
    eq(leftover_processes(), [])


def test_no_stdin_is_eof_not_a_hang():
    # A read that waited would end at the wall limit (outcome time_limit);
    # no timing here: under load a normal run may take seconds too.
    _, j = response("no_stdin.cpp")
    eq(j["outcome"], "ok")
    tr = j["trace"]["trace"]
    eq(val(local(step_at(tr, 8), "failed")), True)
    eq(val(local(tr[-1], "got")), -1, "scanf returns EOF")
    eq(j["exitCode"], 0)


def test_ten_megabytes_of_output():
    # stopped by the output limit, not by the wall clock (outcome says which)
    r, j = response("output_flood.c")
    eq(r.status, 0)
    eq(j["outcome"], "output_limit")
    eq(j["stdoutTruncated"], True)
    eq(len(j["stdout"]), 64 * 1024)
    assert "Output limit" in j["trace"]["trace"][-1]["exceptionMsg"]
    eq(leftover_processes(), [])


def test_link_error():
    r, j = response("link_error.cpp")
    eq(r.status, 0)
    s = j["trace"]["trace"]
    eq(len(s), 1)
    eq(s[0]["event"], "uncaughtException")
    eq(s[0]["line"], 5)
    assert "undefined reference" in s[0]["exceptionMsg"] and "helper" in s[0]["exceptionMsg"]
    assert "/tmp/" not in j["ccStderr"], "run directory leaked into diagnostics"


def test_deep_recursion_ends_cleanly():
    r, j = response("end_stack_overflow.c", "--max-steps", "10000")
    eq(r.status, 0)
    last = j["trace"]["trace"][-1]
    assert last["event"] in ("exception", "instruction_limit_reached"), last["event"]
    assert last["exceptionMsg"]
    eq(leftover_processes(), [])


def test_bad_command_lines():
    r = run(["--max-steps", "0", "x.c"])
    eq(r.status, 2)
    assert "--max-steps" in r.stderr
    r = run(["/nonexistent/file.cpp"])
    eq(r.status, 2)
    assert "cannot open" in r.stderr
    r = run(["--format", "xml", "x.c"])
    eq(r.status, 2)
    eq(r.stdout, "", "nothing but the trace goes to stdout")


def test_request_mode_errors_are_json():
    r = run(["--request", "-", "--no-cache"], stdin_text='{"code": 5}')
    eq(r.status, 2)
    eq(r.json["success"], False)
    assert "code" in r.json["error"]
    r = run(["--request", "-", "--no-cache"], stdin_text='not json')
    eq(r.status, 2)
    assert "JSON" in r.json["error"]
    r = run(["--request", "-", "--no-cache"],
            stdin_text='{"code": "int main(){return 0;}", "maxSteps": 99999}')
    eq(r.status, 2)
    assert "maxSteps" in r.json["error"]


def test_time_limit_before_main_is_a_limit_not_an_internal_error():
    # A global's constructor loops forever: the limit strikes before main's
    # first line. The student reads the limit on a step at main.
    r, j = response("end_before_main.cpp", "--timeout", "1")
    eq(r.status, 0)
    eq(j["outcome"], "time_limit")
    steps = j["trace"]["trace"]
    eq(len(steps), 1)
    eq(steps[0]["event"], "exception")
    eq(steps[0]["line"], 4)
    eq(steps[0]["funcName"], "main")
    assert steps[0]["exceptionMsg"].startswith("Time limit exceeded"), steps[0]
    eq(leftover_processes(), [])


def test_thread_bomb_ends_at_the_wall_limit_and_leaves_nothing():
    # Sleeping threads until pthread_create fails, then sleep: the tracer
    # once waited forever for the killed main thread while its other
    # threads, still our tracees, stayed zombies. A hang fails here by the
    # harness's own 60 s subprocess limit, far above the 2 s asked for.
    r, j = response("end_thread_bomb.c", "--timeout", "2")
    eq(r.status, 0)
    assert j["outcome"] in ("time_limit", "process_limit"), j["outcome"]
    last = j["trace"]["trace"][-1]
    eq(last["event"], "exception")
    assert last["exceptionMsg"].startswith("Time limit exceeded"), last
    # (under Valgrind, 2 s may end before the threads are all made)
    assert j["stdout"] == "" or j["stdout"].endswith(" threads\n"), j["stdout"]
    eq(leftover_processes(), [])
    defunct = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True,
                             text=True).stdout
    eq([l for l in defunct.splitlines() if "spp-jail-init" in l and l.startswith("Z")], [])


if __name__ == "__main__":
    run_tests(globals())

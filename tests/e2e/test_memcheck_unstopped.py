"""End-to-end: memcheck mode with the Valgrind run unstopped (issue 11).

SPP_MEMCHECK_UNSTOPPED=1 makes memcheck mode's Valgrind run stop only at
memcheck's errors; each finding is placed on the native step by the
runtime's clock (docs/memcheck.md). For every memcheck error kind the
e2e suite covers, the finding must land on the same step (so the same loop
pass) with the same message as with the Valgrind run stepped per line,
with the ptrace engine and with the agent engine. The messages that name
the uninitialised variables of a step take the names from the native
step's "<UNINITIALIZED>" marks: where the native run has none, the names
are absent, and the test says so rather than skip it. Skipped (77)
without valgrind.
"""
import json
import os
import shutil

from spp import (ROOT, eq, program, run, run_tests, skip_all, steps_at)

P = os.path.join(ROOT, "tests", "programs")
UNINIT = "<UNINITIALIZED>"


def response(path, unstopped, engine="ptrace"):
    env = {"SPP_MEMCHECK_UNSTOPPED": "1" if unstopped else "0"}
    r = run(["--no-cache", "--memcheck", "--engine", engine, "--format", "response", path],
            timeout=120, env=env)
    j = r.json
    assert j is not None, "no JSON: %s" % r.stderr
    assert j.get("success") is True, j.get("error")
    return j


def errors(j):
    return [(e["step"], e["line"], e["kind"], e["message"], e["stack"])
            for e in j["memcheck"]["errors"]]


def pass_of(tr, i):
    """Which pass over its line step i is (1 = the first)."""
    line = tr[i]["line"]
    return sum(1 for s in tr[:i + 1] if s["line"] == line)


def same_findings(name, engine="ptrace"):
    path = name if os.path.isabs(name) else os.path.join(P, name)
    old = response(path, False, engine)
    new = response(path, True, engine)
    eq(new["engine"], engine)
    eq(old["engine"], engine)
    told, tnew = old["trace"]["trace"], new["trace"]["trace"]
    eq(len(tnew), len(told), "steps")
    eo, en = errors(old), errors(new)
    eq(len(en), len(eo), "findings")
    for (so, lo, ko, mo, sto), (sn, ln, kn, mn, stn) in zip(eo, en):
        eq((sn, ln, kn, stn), (so, lo, ko, sto))
        eq(pass_of(tnew, sn), pass_of(told, so), "loop pass")
        if ko.startswith("Uninit") and "(uninitialised in" not in mn:
            # names come from the native step's marks; without them, none
            assert UNINIT not in json.dumps(tnew[sn]), tnew[sn]
            eq(mn, mo.split(" (uninitialised in")[0])
        else:
            eq(mn, mo)
    eq(new["memcheck"]["leaks"], old["memcheck"]["leaks"])
    eq(new["exitCode"], old["exitCode"])
    return old, new


def test_09_the_sixth_pass():
    old, new = same_findings(program("09_memerror.cpp"))
    (step, line, kind, msg, _), = errors(new)
    eq((line, kind), (9, "InvalidWrite"))
    eq(pass_of(new["trace"]["trace"], step), 6)
    eq(msg, "Invalid write of size 4: 0 bytes after a block of 20 bytes allocated at line 6 in "
       "main, the block a points to")


def test_each_error_kind_ptrace():
    for name in ("mc_invalid_read.c", "mc_use_after_free.c", "mc_mismatched_free.cpp",
                 "mc_uninit_cond.c", "mc_uninit_value.c", "mc_syscall_param.c",
                 "mc_overlap.c", "mc_fishy.c", "mc_leaks.c", "mc_uninit_struct.c",
                 "mc_one_line.cpp"):
        same_findings(name)


def test_each_error_kind_agent():
    for name in (program("09_memerror.cpp"), "mc_use_after_free.c", "mc_mismatched_free.cpp",
                 "mc_uninit_cond.c", "mc_syscall_param.c", "mc_overlap.c"):
        same_findings(name, engine="agent")


def test_runs_that_end_differently_keep_the_native_trace():
    """glibc aborts at a double free (an interior free) that Valgrind
    survives: without a Valgrind trace to serve, the native trace is shown
    with the finding on the step that aborted, and the note says the runs
    parted."""
    for name, line, kind, what in (
            ("mc_double_free.c", 9, "InvalidFree", "double free"),
            ("mc_invalid_free.c", 8, "InvalidFree", "invalid pointer")):
        j = response(os.path.join(P, name), True)
        eq(j["engine"], "ptrace")
        tr = j["trace"]["trace"]
        (step, l, k, msg, _), = errors(j)
        eq((l, k), (line, kind))
        # on the line glibc aborted on: its step, right before the abort's
        eq(tr[step]["line"], line)
        eq(step, len(tr) - 2)
        eq((tr[-1]["event"], tr[-1]["line"]), ("exception", line))
        assert what in tr[-1]["exceptionMsg"], tr[-1]["exceptionMsg"]
        assert msg in tr[step]["exceptionMsg"], tr[step]["exceptionMsg"]
        note = j["memcheck"]["note"]
        assert "differently under Valgrind" in note and what in note, note
        assert "under Valgrind it exited with status 0" in note, note
        old = response(os.path.join(P, name), False)
        eq(errors(old)[0][3], msg)


def test_native_limits_end_the_valgrind_run():
    """13_infinite and a long loop stop at the step limit natively; the
    Valgrind run stops at the same clock: findings before that point are
    shown on their pass, none after, and the note says so."""
    j = response(program("13_infinite.c"), True)
    eq(j["outcome"], "step_limit")
    eq(j["memcheck"]["ran"], True)
    eq(j["memcheck"]["errors"], [])
    assert "memcheck checked the program up to the same point" in j["memcheck"]["note"], \
        j["memcheck"]["note"]
    src = ("#include <stdlib.h>\nint main(void) {\n    int *a = malloc(10 * sizeof *a);\n"
           "    long s = 0;\n    for (int i = 0; i < 100000; i++) {\n        s += i;\n"
           "        if (i == 300 || i == 90000)\n            a[10 + (i > 300)] = 1;\n    }\n"
           "    free(a);\n    return (int)(s & 1);\n}\n")
    d = os.path.join(os.environ.get("TMPDIR", "/tmp"))
    import tempfile
    work = tempfile.mkdtemp(prefix="spp-unstopped-", dir=d)
    try:
        path = os.path.join(work, "loop.c")
        with open(path, "w") as f:
            f.write(src)
        os.chmod(work, 0o755)
        os.chmod(path, 0o644)
        old, new = same_findings(path)
        eq(new["outcome"], "step_limit")
        (step, line, kind, msg, _), = errors(new)
        eq((line, kind), (8, "InvalidWrite"))
        tr = new["trace"]["trace"]
        eq(len(steps_at(tr[:step + 1], 6)), 301)  # the pass with i == 300
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    run_tests(globals())

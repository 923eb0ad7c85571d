"""End-to-end: memcheck mode encodes the response's trace while Valgrind runs.

The native trace usually ends long before memcheck's Valgrind run, and the
tracer would only wait: it encodes the response's trace and traceContent
meanwhile and uses them unless a finding lands on a step or a leak on the
last one (docs/memcheck.md, "Waiting for Valgrind"). The response must be
byte for byte what SPP_MEMCHECK_ENCODE_EARLY=0 (encode after placing)
gives, apart from the timings and the run's own uid; -v says whether the
early encoding was used or dropped. tests/programs/vg_slower.c waits 3 s
only under Valgrind, so its Valgrind run is still going when the native
trace ends, however loaded the machine. Skipped (77) without valgrind.
"""
import os
import shutil

from spp import (ROOT, _tempdir, eq, local, program, run, run_tests, skip_all, step_at,
                 val)

SLOWER = os.path.join(ROOT, "tests", "programs", "vg_slower.c")
USED = "encoded while Valgrind ran"


def response(path, early, engine="ptrace", extra=()):
    r = run(["-v", "--no-cache", "--memcheck", "--engine", engine, "--format", "response"] +
            list(extra) + [path], timeout=120,
            env={"SPP_MEMCHECK_ENCODE_EARLY": "1" if early else "0"})
    j = r.json
    assert j is not None, "no JSON: %s" % r.stderr
    assert j.get("success") is True, j.get("error")
    return j, r.stderr


def comparable(j):
    """The response without what differs between any two runs."""
    j = dict(j)
    j.pop("timingsMs")
    # whether the compile found a PCH depends on the cache, not on the
    # encoding: the first run of an include list only notes it (PCH spill)
    j.pop("usedPch", None)
    j["sandbox"] = dict(j["sandbox"], uid=None)
    return j


def both(path, engine="ptrace", extra=()):
    new, log = response(path, True, engine, extra)
    old, old_log = response(path, False, engine, extra)
    assert USED not in old_log, old_log
    a, b = comparable(new), comparable(old)
    if a != b:
        raise AssertionError("the responses with and without the early encoding differ in %s"
                             % first_difference(a, b))
    return new, log


def first_difference(a, b, path="response"):
    """Where two JSON values first differ, and the two values there, short."""
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        k = next(k for k in a if a[k] != b[k])
        return first_difference(a[k], b[k], "%s.%s" % (path, k))
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        i = next(i for i in range(len(a)) if a[i] != b[i])
        return first_difference(a[i], b[i], "%s[%d]" % (path, i))
    return "%s: %.300r != %.300r" % (path, a, b)


def test_clean_program_uses_the_early_encoding():
    j, log = both(SLOWER)
    assert USED in log and "and is used" in log, log
    tr = j["trace"]["trace"]
    eq(j["memcheck"]["errors"], [])
    eq(j["memcheck"]["leaks"]["definitelyLostBytes"], 0)
    eq(j["exitCode"], 0)
    # what the encoded trace shows: the second loop's last pass, sum so far
    s = step_at(tr, 16, nth=5)
    eq(val(local(s, "sum")), 14)


def test_clean_program_agent():
    j, log = both(SLOWER, engine="agent")
    assert "and is used" in log, log
    eq(j["engine"], "agent")


def variant(name, defines):
    """SLOWER with defines prepended, in a temporary directory."""
    with open(SLOWER) as f:
        text = defines + f.read()
    path = os.path.join(_tempdir("spp-early-"), name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def test_findings_drop_the_early_encoding():
    path = variant("leak.c", "#define LEAK 1\n")
    with open(path) as f:
        text = f.read()
    j, log = both(path)
    assert "and dropped" in log, log
    line = text.split("\n").index("    a[5] = sum;") + 1
    (e,) = j["memcheck"]["errors"]
    eq((e["line"], e["kind"]), (line, "InvalidWrite"))
    tr = j["trace"]["trace"]
    assert "Invalid write of size 4" in tr[e["step"]].get("exceptionMsg", ""), tr[e["step"]]
    eq(j["memcheck"]["leaks"]["definitelyLostBytes"], 28)  # both blocks of a
    assert "Memory leak" in tr[-1].get("exceptionMsg", ""), tr[-1]


def test_step_limit_same_response():
    # Valgrind waits 3 s before main's first step, so it is still running
    # when the native run stops at its limit, with either encoding. (With
    # fib.c it could finish the whole program first on a slow tracer, e.g.
    # under ASan, and the memcheck note then differs between the two runs.)
    path = variant("late.c", "#define LATE_START 1\n")
    j, _ = both(path, extra=["--max-steps", "8"])
    eq(j["outcome"], "step_limit")
    eq(len(j["trace"]["trace"]), 8)
    eq(j["memcheck"]["errors"], [])
    assert "up to the same point" in j["memcheck"].get("note", ""), j["memcheck"]


def test_memerror_same_response():
    j, log = both(program("09_memerror.cpp"))
    (e,) = j["memcheck"]["errors"]
    eq((e["line"], e["kind"]), (9, "InvalidWrite"))
    assert "and is used" not in log, log


if __name__ == "__main__":
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    run_tests(globals())

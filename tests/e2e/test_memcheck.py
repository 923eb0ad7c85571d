"""End-to-end: memcheck mode and the Valgrind engine (issue 4).

Each memcheck error kind has a program in tests/programs/mc_*.c|cpp; its
test asserts the step, the line and the message a student reads. Memcheck
mode (--memcheck) places the findings of an unstopped Valgrind run on the
native trace's steps by the runtime's clock, and says in memcheck.note
when the runs ended differently (a double free: glibc aborts, Valgrind
goes on); --engine valgrind gives the same findings from Valgrind alone. Skipped (77) without
valgrind.
"""
import os
import shutil
import subprocess

from spp import (ROOT, eq, local, program, run, run_tests, skip_all, step_at, steps_at, trace,
                 val)

P = os.path.join(ROOT, "tests", "programs")
UNINIT = "<UNINITIALIZED>"


def response(name, *args, engine=None):
    a = list(args)
    if engine:
        a += ["--engine", engine]
    path = name if os.path.isabs(name) else os.path.join(P, name)
    r = trace(path, args=a, fmt="response", timeout=120)
    assert r.json is not None, "no JSON: %s" % r.stderr
    assert r.json.get("success") is True, r.json.get("error")
    return r.json


def memcheck(name, engine=None):
    return response(name, "--memcheck", engine=engine)


def steps(j):
    return j["trace"]["trace"]


def with_errors(tr):
    """(index, step) of every step that carries memcheckErrors."""
    return [(i, s) for i, s in enumerate(tr) if s.get("memcheckErrors")]


def only_error(j):
    """The one step with a finding, checked against the memcheck object."""
    tr = steps(j)
    found = with_errors(tr)
    eq(len(found), 1, "steps with findings")
    i, s = found[0]
    errs = j["memcheck"]["errors"]
    eq(len(errs), 1, "memcheck.errors")
    eq(errs[0]["step"], i, "memcheck.errors[0].step")
    eq(errs[0]["line"], s["line"])
    eq(errs[0]["message"], s["memcheckErrors"][0]["message"])
    assert s["exceptionMsg"].startswith(s["memcheckErrors"][0]["message"]), s["exceptionMsg"]
    return i, s, s["memcheckErrors"][0]


def ends_normally(tr):
    eq(tr[-1]["event"], "return")
    eq(tr[-1]["funcName"], "main")


# ---- 09_memerror: the 6th pass -------------------------------------------------

def check_09(j):
    tr = steps(j)
    i, s, e = only_error(j)
    eq(s["line"], 9)
    passes = steps_at(tr, 9)
    eq(len(passes), 6)
    assert s is passes[5], "the error is not on the 6th pass of line 9"
    eq(val(local(s, "i")), 5)
    eq(e["kind"], "InvalidWrite")
    eq(e["message"], "Invalid write of size 4: 0 bytes after a block of 20 bytes allocated at "
       "line 6 in main, the block a points to")
    eq(e["stack"], [{"function": "main", "line": 9}])
    eq(j["memcheck"]["errors"][0]["allocatedAt"], [{"function": "main", "line": 6}])
    ends_normally(tr)
    eq(j["exitCode"], 0)
    lk = j["memcheck"]["leaks"]
    eq((lk["definitelyLostBytes"], lk["definitelyLostBlocks"]), (20, 1))
    eq((lk["indirectlyLostBytes"], lk["indirectlyLostBlocks"]), (0, 0))
    eq(len(lk["records"]), 1)
    eq(lk["records"][0]["stack"], [{"function": "main", "line": 6}])
    assert "20 bytes in 1 block definitely lost, allocated at line 6 in main" in \
        tr[-1]["exceptionMsg"], tr[-1]["exceptionMsg"]
    eq(j["memcheck"]["ran"], True)
    # the block is uninitialised until the loop fills it, element by element
    at7 = step_at(tr, 7)
    block = at7["heap"][local(at7, "a")[3]]
    eq(val(block), [UNINIT] * 5)
    eq(val(local(at7, "sum")), UNINIT)
    second = passes[1]  # a[0] = 0 has run
    eq(val(second["heap"][local(second, "a")[3]]), [0] + [UNINIT] * 4)
    eq(val(tr[-1]["heap"][local(tr[-1], "a")[3]]), [0, 1, 2, 3, 4])


def test_09_memcheck_mode_merges_into_the_ptrace_trace():
    j = memcheck(program("09_memerror.cpp"), engine="ptrace")
    eq(j["engine"], "ptrace")
    check_09(j)
    # the native addresses: the same heap key as a run without memcheck
    plain = response(program("09_memerror.cpp"), "--no-memcheck", engine="ptrace")
    eq(plain["memcheck"]["ran"], False)
    eq(plain["memcheck"]["note"], "memcheck was not requested")
    eq(list(steps(plain)[-1]["heap"]), list(steps(j)[-1]["heap"]))
    # without Valgrind the fill marks the same never-written values (test_uninit.py)
    at7 = step_at(steps(plain), 7)
    eq(val(at7["heap"][local(at7, "a")[3]]), [UNINIT] * 5)
    eq(val(local(at7, "sum")), UNINIT)
    assert not with_errors(steps(plain))


def test_09_valgrind_engine_alone():
    j = response(program("09_memerror.cpp"), engine="valgrind")
    eq(j["engine"], "valgrind")
    check_09(j)


# ---- one program per error kind ------------------------------------------------

def test_invalid_read():
    j = memcheck("mc_invalid_read.c")
    _, s, e = only_error(j)
    eq(s["line"], 9)
    eq(e["kind"], "InvalidRead")
    eq(e["message"], "Invalid read of size 4: 0 bytes after a block of 12 bytes allocated at "
       "line 6 in main, the block v points to")
    ends_normally(steps(j))


def test_use_after_free():
    j = memcheck("mc_use_after_free.c")
    eq(j["engine"], "ptrace")  # natively the stale read goes unnoticed: same steps
    _, s, e = only_error(j)
    eq(s["line"], 10)
    eq(e["kind"], "InvalidRead")
    eq(e["message"], "Invalid read of size 4: 4 bytes inside a block of 8 bytes freed at line "
       "9 in main (allocated at line 6 in main), the block p points to")
    err = j["memcheck"]["errors"][0]
    eq(err["freedAt"], [{"function": "main", "line": 9}])
    eq(err["allocatedAt"], [{"function": "main", "line": 6}])
    ends_normally(steps(j))


def test_double_free_per_engine():
    msg = ("Invalid free (double free): this block of 16 bytes was already freed at line 8 in "
           "main (allocated at line 7 in main), the block s points to")
    # natively glibc aborts at the second free
    native = response("mc_double_free.c", "--no-memcheck", engine="ptrace")
    last = steps(native)[-1]
    eq(last["event"], "exception")
    eq(last["line"], 9)
    assert "double free" in last["exceptionMsg"], last["exceptionMsg"]
    eq(native["signal"], "SIGABRT")
    # memcheck mode: the native trace (glibc's abort) with memcheck's
    # explanation on the line that aborted; the note says Valgrind went on
    j = memcheck("mc_double_free.c", engine="ptrace")
    eq(j["engine"], "ptrace")
    note = j["memcheck"]["note"]
    assert "differently under Valgrind" in note and "double free" in note, note
    assert "under Valgrind it exited with status 0" in note, note
    i, s, e = only_error(j)
    eq(s["line"], 9)
    eq(e["kind"], "InvalidFree")
    eq(e["message"], msg)
    tr = steps(j)
    eq(i, len(tr) - 2)  # the step right before the abort's
    eq((tr[-1]["event"], tr[-1]["line"]), ("exception", 9))
    assert "double free" in tr[-1]["exceptionMsg"], tr[-1]["exceptionMsg"]
    eq(j["signal"], "SIGABRT")
    # the Valgrind engine alone: the same
    j = response("mc_double_free.c", engine="valgrind")
    _, s, e = only_error(j)
    eq((s["line"], e["message"]), (9, msg))
    ends_normally(steps(j))


def test_mismatched_free():
    j = memcheck("mc_mismatched_free.cpp")
    _, s, e = only_error(j)
    eq(s["line"], 6)
    eq(e["kind"], "MismatchedFree")
    eq(e["message"], "Mismatched free: a block of 16 bytes allocated with new[] at line 3 in "
       "main is released with delete, the block a points to")


def test_invalid_free_of_an_interior_pointer():
    msg = ("Invalid free: the pointer is 4 bytes inside a block of 8 bytes allocated at line 5 "
           "in main, not at its start, the block buf and mid point to")
    # memcheck mode: natively glibc aborts at the free; the note says Valgrind went on
    j = memcheck("mc_invalid_free.c")
    _, s, e = only_error(j)
    eq(s["line"], 8)
    eq(e["kind"], "InvalidFree")
    eq(e["message"], msg)
    tr = steps(j)
    eq((tr[-1]["event"], tr[-1]["line"]), ("exception", 8))
    note = j["memcheck"]["note"]
    assert "differently under Valgrind" in note and "invalid pointer" in note, note
    # the Valgrind engine alone survives it
    j = response("mc_invalid_free.c", engine="valgrind")
    _, s, e = only_error(j)
    eq((s["line"], e["message"]), (8, msg))
    ends_normally(steps(j))


def test_conditional_jump_on_uninitialised():
    j = memcheck("mc_uninit_cond.c")
    _, s, e = only_error(j)
    eq(s["line"], 7)
    eq(e["kind"], "UninitCondition")
    eq(e["message"], "Conditional jump or move depends on uninitialised value(s) "
       "(uninitialised in main at this step: n)")
    eq(val(local(s, "n")), UNINIT)
    eq(val(local(s, "big")), 0)


def test_use_of_uninitialised_value():
    j = memcheck("mc_uninit_value.c")
    _, s, e = only_error(j)
    eq(s["line"], 8)
    eq(e["kind"], "UninitValue")
    assert e["message"].startswith("Use of uninitialised value of size 8 (uninitialised in "
                                   "main at this step: idx"), e["message"]
    eq(val(local(s, "table")), [10, 20, 30, 40])


def test_syscall_param_points_to_uninitialised():
    j = memcheck("mc_syscall_param.c")
    _, s, e = only_error(j)
    eq(s["line"], 8)
    eq(e["kind"], "SyscallParam")
    eq(e["message"], "Syscall param write(buf) points to uninitialised byte(s): 1 byte inside a "
       "block of 10 bytes allocated at line 6 in main, the block buf points to")


def test_overlapping_copy():
    j = memcheck("mc_overlap.c")
    _, s, e = only_error(j)
    eq(s["line"], 10)
    eq(e["kind"], "Overlap")
    eq(e["message"], "Source and destination overlap in strncpy (5 bytes)")


def test_fishy_malloc_argument():
    j = memcheck("mc_fishy.c")
    _, s, e = only_error(j)
    eq(s["line"], 8)
    eq(e["kind"], "FishyValue")
    eq(e["message"], "Argument 'size' of function malloc has a fishy (possibly negative) "
       "value: -1")


# ---- leaks, uninitialised values ---------------------------------------------------

def test_leak_summary_numbers():
    j = memcheck("mc_leaks.c")
    lk = j["memcheck"]["leaks"]
    # memcheck's LEAK SUMMARY: the head (16) and the array (40) definitely,
    # the node only the head pointed to (16) indirectly; the freed block not
    eq((lk["definitelyLostBytes"], lk["definitelyLostBlocks"]), (56, 2))
    eq((lk["indirectlyLostBytes"], lk["indirectlyLostBlocks"]), (16, 1))
    eq((lk["possiblyLostBytes"], lk["possiblyLostBlocks"]), (0, 0))
    recs = sorted((r["stack"][0]["line"], r["kind"], r["bytes"], r["blocks"])
                  for r in lk["records"])
    eq(recs, [(13, "Leak_DefinitelyLost", 16, 1), (14, "Leak_IndirectlyLost", 16, 1),
              (16, "Leak_DefinitelyLost", 40, 1)])
    last = steps(j)[-1]
    eq(last["event"], "return")
    for line in ("allocated at line 13 in main", "allocated at line 14 in main",
                 "allocated at line 16 in main", "(and 16 more bytes reachable only through it)"):
        assert line in last["exceptionMsg"], (line, last["exceptionMsg"])
    eq(j["memcheck"]["errors"], [])


def test_uninitialised_struct_field_then_assigned():
    j = memcheck("mc_uninit_struct.c")
    tr = steps(j)
    eq(with_errors(tr), [])
    eq(val(local(step_at(tr, 12), "p")), {"x": UNINIT, "y": UNINIT})
    eq(val(local(step_at(tr, 13), "p")), {"x": 1, "y": UNINIT})
    eq(val(local(step_at(tr, 14), "p")), {"x": 1, "y": 2})
    # a heap array filled one element per pass
    passes = steps_at(tr, 16)
    eq(len(passes), 3)
    got = [val(s["heap"][local(s, "a")[3]]) for s in passes]
    eq(got, [[UNINIT] * 3, [1, UNINIT, UNINIT], [1, 2, UNINIT]])
    eq(val(local(step_at(tr, 17), "sum")), UNINIT)
    eq(val(local(tr[-1], "sum")), 8)


def check_one_line_returns(tr):
    """The return step of a one-line function shows its parameters and
    `this` as on its call step: memcheck marks the red zone below the stack
    pointer undefined at `ret`, which says nothing about them."""
    p = local(step_at(tr, 11), "p")[1]
    for ev in ("call", "return"):
        s = step_at(tr, 6, event=ev, func="P::getX")
        eq(val(local(s, "this")), p, "this on the %s step of getX" % ev)
        s = step_at(tr, 8, event=ev, func="sq")
        eq(val(local(s, "v")), 7, "v on the %s step of sq" % ev)
    eq(val(local(step_at(tr, 6, event="return"), "__return__")), 7)
    eq(val(local(step_at(tr, 8, event="return"), "__return__")), 49)
    # a local never written keeps its mark on the return step
    eq(val(local(step_at(tr, 9, event="return"), "u")), UNINIT)
    eq(val(local(step_at(tr, 14), "b")), 49)


def test_one_line_function_return_step_memcheck_mode():
    check_one_line_returns(steps(memcheck("mc_one_line.cpp")))


def test_one_line_function_return_step_valgrind_engine():
    check_one_line_returns(steps(memcheck("mc_one_line.cpp", engine="valgrind")))


def test_request_runs_memcheck_by_default():
    src = open(os.path.join(P, "mc_invalid_read.c")).read()
    import json
    r = run(["--request", "-", "--no-cache"], stdin_text=json.dumps({"code": src,
                                                                     "language": "c"}))
    j = r.json
    assert j and j["success"], r.stderr
    eq(j["memcheck"]["ran"], True)
    eq(len(j["memcheck"]["errors"]), 1)
    eq(j["memcheck"]["errors"][0]["line"], 9)
    assert j["timingsMs"]["memcheck"] > 0
    r = run(["--request", "-", "--no-cache"], stdin_text=json.dumps({"code": src,
                                                                     "language": "c",
                                                                     "memcheck": False}))
    eq(r.json["memcheck"]["ran"], False)
    eq(r.json["memcheck"]["errors"], [])


def test_native_time_limit_stops_the_memcheck_run():
    """A program the native run stops at its wall limit (10 s) is not waited
    for under Valgrind (30 s): a second's grace, then both runs are gone."""
    src = "#include <unistd.h>\nint main(void) {\n    sleep(60);\n    return 0;\n}\n"
    r = trace(src, lang="c", args=["--memcheck", "--engine", "ptrace"], fmt="response",
              timeout=120)
    j = r.json
    eq(j["outcome"], "time_limit")
    eq(j["engine"], "ptrace")
    eq(j["memcheck"]["ran"], False)
    # the note is written only where the Valgrind run was stopped, not awaited
    assert "native run reached its time limit" in j["memcheck"]["note"], j["memcheck"]["note"]


def test_nothing_left_behind():
    """Both runs of memcheck mode, and the Valgrind engine alone, leave no
    process, no run directory and no FIFO behind."""
    import tempfile
    work = tempfile.mkdtemp(prefix="spp-mc-left-")
    os.chmod(work, 0o755)  # a run's own uid must reach its directory
    try:
        for engine in ("ptrace", "valgrind"):
            j = response("mc_leaks.c", "--memcheck", "--work-dir", work, engine=engine)
            eq(j["memcheck"]["ran"], True)
        out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        eq([l for l in out.splitlines() if work in l], [])
        eq(os.listdir(work), [])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    run_tests(globals())

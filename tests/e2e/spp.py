"""spp.py - helpers for end-to-end tests of spp-trace.

Runs build/spp-trace on a program (a path or source text) and gives the
trace as Python data, with helpers that find the facts a user sees: the
step of a line (n-th time), a local's value, a heap block, the frames.

A test module defines functions named test_*; run_tests(globals()) runs
them (or those named on the command line), prints "ok NAME" / "FAIL NAME"
with the assertion, and ends with the line "N passed, M failed".
"""
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# SPP_BUILD_DIR: another build of the same tree (make san-test: build-san).
BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
BIN = os.path.join(BUILD, "spp-trace")
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from shared_data import shared_dir  # noqa: E402

PROGRAMS = os.environ.get("SPP_PROGRAMS") or os.path.join(shared_dir(), "programs")
# SPP_ENGINE=valgrind (or ptrace, auto) runs every trace() with that engine;
# SPP_WRAPPER="CMD ARGS --" runs spp-trace through a launcher (the
# lambda_like one: no root, no ptrace). tests/e2e/test_engines.py re-runs
# the core suites both ways.
ENGINE = os.environ.get("SPP_ENGINE")
WRAPPER = os.environ.get("SPP_WRAPPER", "").split()


# Every temporary directory of this test process lives under one root that
# goes when the process ends, whatever the result: nothing is left in /tmp.
_ROOT_TMP = tempfile.mkdtemp(prefix="spp-test-")
if WRAPPER:
    os.chmod(_ROOT_TMP, 0o755)
atexit.register(shutil.rmtree, _ROOT_TMP, True)


def _tempdir(prefix):
    """A temporary directory a wrapped (unprivileged) spp-trace can read."""
    d = tempfile.mkdtemp(prefix=prefix, dir=_ROOT_TMP)
    if WRAPPER:
        os.chmod(d, 0o755)
    return d


class Run:
    """One invocation: exit status, stderr and the parsed stdout."""

    def __init__(self, status, out, err):
        self.status = status
        self.stdout = out
        self.stderr = err
        try:
            self.json = json.loads(out) if out.strip() else None
        except ValueError:
            self.json = None

    @property
    def trace(self):
        j = self.json
        if j is not None and "trace" in j and isinstance(j["trace"], dict):
            return j["trace"]["trace"]  # a response
        return j["trace"] if j else None


def run(args, stdin_text=None, timeout=60, env=None):
    e = dict(os.environ)
    e.setdefault("XDG_CACHE_HOME", _tempdir("spp-cache-"))
    if env:
        e.update(env)
    p = subprocess.run(WRAPPER + [BIN] + args, input=stdin_text, capture_output=True,
                       text=True, timeout=timeout, env=e)
    return Run(p.returncode, p.stdout, p.stderr)


def trace(source, lang=None, stdin=None, args=(), fmt=None, timeout=60):
    """Trace a program: `source` is a path or the program text."""
    if "\n" not in source and os.path.exists(source):
        path = source
    else:
        d = _tempdir("spp-e2e-")
        path = os.path.join(d, "prog.c" if lang == "c" else "prog.cpp")
        with open(path, "w") as f:
            f.write(source)
        os.chmod(path, 0o644)
    a = ["--no-cache"] + list(args)
    if ENGINE and "--engine" not in a:
        a += ["--engine", ENGINE]
    if fmt:
        a += ["--format", fmt]
    if stdin is not None:
        # in a temporary directory: never a file beside a repository program
        sp = os.path.join(_tempdir("spp-stdin-"), "stdin.txt")
        with open(sp, "w") as f:
            f.write(stdin)
        os.chmod(sp, 0o644)
        a += ["--stdin", sp]
    if lang:
        a += ["--lang", lang]
    return run(a + [path], timeout=timeout)


def program(name):
    return os.path.join(PROGRAMS, name)


# ---- facts in a trace ----------------------------------------------------

def steps_at(tr, line, event=None, func=None):
    return [s for s in tr if s["line"] == line and (event is None or s["event"] == event)
            and (func is None or s["funcName"] == func)]


def step_at(tr, line, nth=1, event=None, func=None):
    """The nth (1-based) step on `line`."""
    ss = steps_at(tr, line, event, func)
    assert len(ss) >= nth, "no step #%d on line %d (found %d)" % (nth, line, len(ss))
    return ss[nth - 1]


def top(step):
    return step["stackToRender"][-1]


def local(step, name, frame=-1):
    f = step["stackToRender"][frame]
    assert name in f["encodedLocals"], "%s not in %s at line %d (has %s)" % (
        name, f["funcName"], step["line"], f["orderedVarNames"])
    return f["encodedLocals"][name]


def has_local(step, name, frame=-1):
    return name in step["stackToRender"][frame]["encodedLocals"]


def val(v):
    """A value tuple as plain Python: scalars, pointer target strings, lists
    for arrays, dicts for structs."""
    tag = v[0]
    if tag == "C_DATA":
        return v[3]
    if tag == "C_STRUCT":
        return {k: val(x) for k, x in v[3:]}
    if tag == "C_ARRAY":
        return [val(x) for x in v[2:]]
    if tag == "C_MULTIDIMENSIONAL_ARRAY":
        return [val(x) for x in v[3:]]
    raise AssertionError("unknown value tag %r" % (tag,))


def ctype(v):
    return v[2]


def heap_block(step, addr):
    assert addr in step["heap"], "no heap block %s in %s" % (addr, list(step["heap"]))
    return step["heap"][addr]


def events(tr):
    return [s["event"] for s in tr]


def eq(a, b, what=""):
    assert a == b, "%s%r != %r" % (what + ": " if what else "", a, b)


# ---- runner ----------------------------------------------------------------

def skip_all(reason):
    """Skip the whole file, saying why: tests/run_all.sh counts exit 77 as
    skipped (and lists it), never as passed."""
    print("skip: " + reason)
    print("0 passed, 0 failed")
    sys.exit(77)


def run_tests(ns):
    names = [n for n in sorted(ns) if n.startswith("test_") and callable(ns[n])]
    only = sys.argv[1:]
    if only:
        names = [n for n in names if n in only]
    passed = failed = 0
    for n in names:
        try:
            ns[n]()
        except Exception:
            failed += 1
            print("FAIL %s" % n)
            traceback.print_exc(limit=3, file=sys.stdout)
        else:
            passed += 1
            print("ok %s" % n)
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)

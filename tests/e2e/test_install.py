"""End-to-end: `make install` gives a spp-trace that works from the prefix alone.

One installation for the module: `make install DESTDIR=<0700 mktemp -d>/root
PREFIX=/usr/local` from this checkout (a staged install, also moved from the
prefix it was made for: everything is found beside the binary). Each run of
the installed binary happens in a mount namespace where this checkout is an
empty tmpfs, so nothing can come from build/; the sample programs are
copied out first. The 0700 parent closes the installation to the
sandbox's uid: the PCHs and the runtime object must still reach the
compiler, and an unreadable one is an installation error naming the
installed file. All of it is removed at the end, also on failure.
Needs root (a sandbox uid of its own, unshare); says so and skips otherwise.
"""
import atexit
import json
import os
import shutil
import stat
import subprocess
import tempfile

from spp import PROGRAMS, ROOT, WRAPPER, eq, run_tests, skip_all
from test_install_reach import check_02_calls
from test_memcheck import check_09

TOP = tempfile.mkdtemp(prefix="spp-install-")
atexit.register(shutil.rmtree, TOP, True)
os.chmod(TOP, 0o700)
DEST = os.path.join(TOP, "root")
PKG = os.path.join(DEST, "usr", "local", "lib", "spp-trace")
BIN = os.path.join(DEST, "usr", "local", "bin", "spp-trace")
PCH = os.path.join(PKG, "pch")
RT = os.path.join(PKG, "rt", "sppmon.o")
PROGS = os.path.join(TOP, "programs")
ENV = dict(os.environ, XDG_CACHE_HOME=os.path.join(TOP, "cache"))
for _k in ("SPP_PCH_DIR", "SPP_RT_OBJ"):
    ENV.pop(_k, None)


def install():
    p = subprocess.run(["make", "-s", "-C", ROOT, "install", "DESTDIR=" + DEST,
                        "PREFIX=/usr/local"], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, "make install: %s\n%s" % (p.stdout[-2000:], p.stderr[-2000:])
    shutil.copytree(PROGRAMS, PROGS)


def trace(name, *args):
    """The installed spp-trace on a sample program, the checkout hidden."""
    hide = "mount -t tmpfs spp-hidden \"$1\" && shift && cd / && exec \"$@\""
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", hide, "sh", ROOT,
           BIN, "--no-cache", "--format", "response"] + list(args) + [os.path.join(PROGS, name)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=ENV)
    assert p.stdout.strip(), "no response (exit %d): %s" % (p.returncode, p.stderr)
    return json.loads(p.stdout)


def gch_files():
    return sorted(f for f in os.listdir(PCH) if f.endswith(".gch"))


class Unreadable:
    """chmod files for one test; their modes come back afterwards."""

    def __init__(self, paths, mode):
        self.paths, self.mode = paths, mode

    def __enter__(self):
        self.old = [os.stat(p).st_mode & 0o7777 for p in self.paths]
        for p in self.paths:
            os.chmod(p, self.mode)

    def __exit__(self, *exc):
        for p, m in zip(self.paths, self.old):
            os.chmod(p, m)


def test_installed_layout():
    eq(os.readlink(BIN), "../lib/spp-trace/spp-trace", "bin/spp-trace links relatively")
    for f in ("spp-trace", "bootstrap"):
        mode = os.stat(os.path.join(PKG, f)).st_mode
        eq(mode & 0o755, 0o755, "%s is executable by all" % f)
    eq(os.stat(RT).st_mode & 0o644, 0o644, "the runtime object is readable by all")
    gch = gch_files()
    # the common include lists (iostream, vector, string, stdio.h...) are built ahead
    assert len(gch) >= 5, "PCHs installed: %r" % gch
    for f in gch:
        eq(os.stat(os.path.join(PCH, f)).st_mode & 0o644, 0o644, "%s readable by all" % f)
    with open(os.path.join(PKG, "spp-trace"), "rb") as f:
        assert (ROOT + "/build").encode() not in f.read(), "the binary names the checkout"


def test_traces_from_the_installation():
    before = gch_files()
    r = trace("02_calls.cpp")
    check_02_calls(r)
    eq(r["usedPch"], True, "the installed PCH was used")
    eq(gch_files(), before, "no PCH built: the installed one served <iostream>")
    r = trace("04_arrays.c")
    eq(r["outcome"], "ok", "C program: %r %r" % (r.get("error"), r["ccStderr"]))
    tr = r["trace"]["trace"]
    eq(r["usedPch"], True, "the installed C PCH was used")
    eq((tr[-1]["event"], tr[-1]["funcName"]), ("return", "main"), "04_arrays's last step")
    # the C++ side again, with a heap: a linked list, through the installation
    r = trace("03_linked_list.cpp")
    eq(r["outcome"], "ok", "linked list: %r" % r.get("error"))
    tr = r["trace"]["trace"]
    heaps = [len(s["heap"]) for s in tr]
    assert max(heaps) >= 3, "heap blocks of the list never appeared: %r" % heaps


def test_memcheck_from_the_installation():
    r = trace("09_memerror.cpp", "--memcheck")
    assert r.get("success") is True, r.get("error")
    check_09(r)  # the invalid write at the 6th pass of line 9, i == 5, its message


def test_unreadable_pch_is_an_installation_error():
    gch = gch_files()
    with Unreadable([os.path.join(PCH, f) for f in gch], 0):
        r = trace("02_calls.cpp")
    eq(r["outcome"], "tracer_error", "outcome")
    err = r.get("error") or ""
    assert "installation problem" in err and "chmod" in err, err
    assert any(os.path.join(PCH, f) in err for f in gch), "names the installed file: %s" % err
    eq(r["ccStderr"], "", "no compiler output shown as the student's")
    eq(r["trace"], None, "no trace")


def test_unreadable_runtime_object_is_an_installation_error():
    with Unreadable([RT], 0o600):
        r = trace("02_calls.cpp")
    eq(r["outcome"], "tracer_error", "outcome")
    err = r.get("error") or ""
    assert "installation problem" in err and RT in err and "chmod" in err, err


def own_uid():
    r = trace("02_calls.cpp")
    return (r.get("sandbox") or {}).get("uid") not in (None, os.getuid())


if __name__ == "__main__":
    if WRAPPER or os.getuid() != 0 or not shutil.which("unshare"):
        skip_all("needs root (make install, unshare, a sandbox uid of its own)")
    install()
    if not own_uid():
        skip_all("the sandbox has no uid of its own here: a closed prefix cannot stop "
                 "a compiler that runs as ourselves")
    run_tests(globals())

"""End-to-end: a fresh clone under a 0700 directory builds and traces (issue 20).

A new user clones into a directory made by `mktemp -d` (mode 0700, like a
home made by adduser) and runs the README's commands. This test does that
with the repository at HEAD (`git clone` of this checkout: what is
committed), builds there with `make all`, and runs a subset of the suite
from the clone with the clone's own tests/run_all.sh: the sample programs
(test_programs) and memcheck mode (test_memcheck). The clone has no
../shared beside it, so run_all.sh takes its bundled copy of the sample
programs. The full `make test` in such a clone is run by hand (README.md,
"Testing"); this is the part CI can afford. Removed at the end, also on
failure. Needs root (a sandbox uid of its own); says so and skips otherwise.
"""
import atexit
import os
import re
import shutil
import subprocess
import tempfile

from spp import ROOT, WRAPPER, eq, run_tests, skip_all

TOP = tempfile.mkdtemp(prefix="spp-clone-")
atexit.register(shutil.rmtree, TOP, True)
os.chmod(TOP, 0o700)
CLONE = os.path.join(TOP, "spp-trace")
# The clone decides for itself where its data is, as a new user's would.
ENV = {k: v for k, v in os.environ.items()
       if not k.startswith("SPP_") and k not in ("XDG_CACHE_HOME",)}
ENV["XDG_CACHE_HOME"] = os.path.join(TOP, "cache")


def sh(args, timeout, cwd=CLONE):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=ENV)
    assert p.returncode == 0, "%s (exit %d):\n%s\n%s" % (" ".join(args), p.returncode,
                                                        p.stdout[-3000:], p.stderr[-3000:])
    return p.stdout


def clone_and_build():
    sh(["git", "clone", "-q", ROOT, CLONE], 120, cwd=TOP)
    sh(["make", "-s", "-j2", "all"], 900)


def suite(name):
    """The clone's run_all.sh on one test program: its summary line."""
    out = sh(["bash", "tests/run_all.sh", name], 900)
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", last)
    assert m, "no summary from the clone's %s:\n%s" % (name, out[-3000:])
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), out


def test_clone_is_at_head_under_a_closed_parent():
    eq(oct(os.stat(TOP).st_mode & 0o777), oct(0o700), "the parent's mode")
    head = sh(["git", "rev-parse", "HEAD"], 30, cwd=ROOT).strip()
    eq(sh(["git", "rev-parse", "HEAD"], 30).strip(), head, "the clone's HEAD")
    assert not os.path.exists(os.path.join(TOP, "shared")), "no ../shared beside the clone"
    assert os.access(os.path.join(CLONE, "build", "spp-trace"), os.X_OK), "built"


def test_sample_programs_from_the_clone():
    passed, failed, skipped, out = suite("test_programs")
    assert failed == 0 and skipped == 0 and passed > 0, out[-3000:]
    for t in ("test_02_calls", "test_03_linked_list", "test_08_crash", "test_14_compile_error"):
        assert "ok %s\n" % t in out, "%s did not pass in the clone:\n%s" % (t, out[-3000:])
    assert "shared data: %s/tests/data/shared" % CLONE in out, "its own data: %s" % out[:300]


def test_memcheck_from_the_clone():
    passed, failed, skipped, out = suite("test_memcheck")
    assert failed == 0 and skipped == 0 and passed > 0, out[-3000:]
    assert "ok test_09_memcheck_mode_merges_into_the_ptrace_trace\n" in out, "09_memerror in the clone:\n%s" % out[-3000:]


if __name__ == "__main__":
    if WRAPPER or os.getuid() != 0 or not shutil.which("git"):
        skip_all("needs root and git: a 0700 parent closes nothing to a compiler that "
                 "runs as ourselves")
    clone_and_build()
    run_tests(globals())

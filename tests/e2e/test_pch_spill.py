#!/usr/bin/env python3
"""Precompiled headers where the installed PCH directory cannot be written
(AWS Lambda's /var/runtime/pch): a list of leading includes it lacks is noted
the first time and gets its PCH the second time, once, in SPP_PCH_SPILL_DIR
(the bootstrap points it into its cache), and
only where traced programs cannot write there (Landlock here; a private mount
namespace elsewhere): a PCH planted by one program would be compiled into the
next ones.

Runs spp-trace under tests/support/lambda_like (uid 65534: the installed
directory, root's, is read-only to it). Needs root.
"""
import glob
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spp import BIN, eq, run_tests  # noqa: E402
from test_engines import LAMBDA_LIKE, lambda_like_env, open_dir  # noqa: E402

# <queue> after <cstdio>: not one of the lists --warm-pch builds
PROG = """#include <cstdio>
#include <queue>
int main() {
    std::queue<int> q;
    for (int i = 0; i < 3; i++)
        q.push(i * 2);
    int sum = 0;
    while (!q.empty()) {
        sum += q.front();
        q.pop();
    }
    printf("%d\\n", sum);
    return 0;
}
"""


def landlock_offered():
    out = subprocess.run([BIN, "--probe"], capture_output=True, text=True).stdout
    try:
        return json.loads(out).get("landlockAbi", 0) > 0
    except ValueError:
        return False


class Setup:
    def __init__(self):
        self.tmp = open_dir()
        self.src = os.path.join(self.tmp, "prog.cpp")
        with open(self.src, "w") as f:
            f.write(PROG)
        os.chmod(self.src, 0o644)
        self.installed = os.path.join(self.tmp, "pch-installed")  # root's, 0755
        os.mkdir(self.installed, 0o755)
        self.spill = os.path.join(self.tmp, "cache", "pch")  # the cache's: made by the run
        os.mkdir(os.path.dirname(self.spill), 0o777)
        os.chmod(os.path.dirname(self.spill), 0o777)

    def run(self, spill=True, landlock=True):
        e = dict(os.environ)
        e.update(lambda_like_env(self.tmp))
        e["SPP_PCH_DIR"] = self.installed
        e.pop("SPP_PCH_SPILL_DIR", None)
        if spill:
            e["SPP_PCH_SPILL_DIR"] = self.spill
        if not landlock:
            e["SPP_LANDLOCK"] = "off"
        p = subprocess.run([LAMBDA_LIKE, "--", BIN, "--no-cache", "--engine", "agent",
                            "--format", "response", self.src],
                           capture_output=True, text=True, env=e, timeout=180)
        assert p.returncode == 0, p.stderr[-500:]
        return json.loads(p.stdout)

    def gch(self):
        return sorted(glob.glob(os.path.join(self.spill, "*.gch")))

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def lines_and_output(resp):
    tr = resp["trace"]["trace"]
    return [(s["line"], s["event"]) for s in tr], tr[-1]["stdout"]


def in_setup(body, need_landlock):
    """body(Setup()) unless this machine cannot run it (then says why)."""
    why = None
    if os.geteuid() != 0:
        why = "needs root (an installed PCH directory lambda_like's uid cannot write)"
    elif not os.access(LAMBDA_LIKE, os.X_OK):
        why = "build %s first (make unit)" % LAMBDA_LIKE
    elif need_landlock and not landlock_offered():
        why = "no Landlock here"
    if why:
        print("skipped: " + why)
        return
    s = Setup()
    try:
        body(s)
    finally:
        s.close()


def test_a_list_the_installation_lacks_gets_its_pch_in_the_spill_dir_when_it_comes_back():
    def body(s):
        plain = s.run(spill=False)
        eq(plain["usedPch"], False, "no spill directory: compiled without a PCH")
        first = s.run()
        eq(first["usedPch"], False, "first sight of the list: only noted")
        eq(s.gch(), [])
        eq(len(glob.glob(os.path.join(s.spill, "*.seen"))), 1, "the list is noted")
        second = s.run()
        eq(second["usedPch"], True, "the list came back: its PCH is built and used")
        built = s.gch()
        eq(len(built), 1, "one PCH for the one list")
        eq(os.listdir(s.installed), [], "the installed directory is left as it was")
        third = s.run()
        eq(third["usedPch"], True, "third run: the spilled PCH is used")
        eq(s.gch(), built, "and not built again")
        # nothing changes but the time
        for r in (first, second, third):
            eq(r["success"], True)
            eq(lines_and_output(r), lines_and_output(plain))
        eq(lines_and_output(plain)[1], "6\n")
    in_setup(body, need_landlock=True)


def test_no_spill_where_programs_could_write_it():
    def body(s):
        # without Landlock (and no mount namespace under lambda_like) the
        # program shares our uid and could write the spill directory
        r = s.run(landlock=False)
        eq(r["success"], True)
        eq(r["usedPch"], False, "no PCH from a directory programs could write")
        eq(os.path.exists(s.spill), False, "the spill directory is not even made")
        eq(lines_and_output(r)[1], "6\n")
    in_setup(body, need_landlock=False)


if __name__ == "__main__":
    run_tests(globals())

#!/usr/bin/env python3
"""The Lambda bootstrap's clean-up after each invocation (lambda/reaper.h),
against the Runtime API emulator.

Lambda freezes a warm environment with whatever an invocation left: its
/tmp and its processes. The bootstrap's tracers work in a directory of its
own in /tmp (the run root); it kills orphans and empties that directory
before taking the next invocation, never touches anything else in /tmp
(other processes of the uid write there, whatever the names), serves on
even when something cannot be removed, and removes the run root when it
exits, SIGTERM included. Also: hostile programs through the bootstrap leave nothing and leak
no credential.

Ends with "N passed, M failed".
"""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import hostile  # noqa: E402
import unittest_main  # noqa: E402
from proc_util import become_subreaper, cmdline, descendants, kill_orphans, orphans  # noqa: E402
from rapi_emulator import RuntimeAPIEmulator  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
TINY = "int main(void) {\n    int x = 1;\n    return x - 1;\n}\n"

become_subreaper()


class Sweep(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="spp-sweep-test-")
        os.chmod(self.tmp, 0o711)  # runs with a uid of their own can reach it
        self.started = time.time() - 1
        bindir = tempfile.mkdtemp(prefix="spp-sweep-bin-")
        self.addCleanup(shutil.rmtree, bindir, True)
        spp = hostile.private_build(BUILD, bindir)
        self.emu = RuntimeAPIEmulator().start()
        self.log_path = os.path.join(self.tmp, "bootstrap.log")
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.tmp, "TMPDIR": self.tmp,
               "XDG_CACHE_HOME": os.path.join(self.tmp, "cache"), "SPP_TRACER": spp,
               "SPP_PCH_DIR": os.path.join(BUILD, "pch"),
               "AWS_LAMBDA_RUNTIME_API": self.emu.address, "AWS_REGION": "us-east-1"}
        env.update(hostile.SECRETS)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([os.path.join(bindir, "bootstrap")], env=env, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=log, start_new_session=True)
        self.mounted = []

    def tearDown(self):
        for m in self.mounted:
            subprocess.run(["umount", "-l", m], capture_output=True)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        kill_orphans(set())
        self.emu.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def invoke(self, payload, timeout=60):
        inv = self.emu.enqueue(payload)
        self.assertTrue(self.emu.wait_done(inv, timeout), "no reply\n" + self.log())
        self.assertIsNone(inv.error, inv.error)
        return json.loads(inv.response)

    def wait_next(self, n):
        """The bootstrap asked for invocation n (so it finished the one before,
        clean-up included)."""
        ok = self.emu.wait_for(lambda: len(self.emu.next_times) >= n, 15)
        self.assertTrue(ok, "bootstrap did not come back to /next\n" + self.log())

    def run_root(self):
        """The bootstrap's own directory in its TMPDIR: one, 0711, ours."""
        roots = [n for n in os.listdir(self.tmp) if n.startswith("spp-bootstrap-")]
        self.assertEqual(len(roots), 1, os.listdir(self.tmp))
        st = os.lstat(os.path.join(self.tmp, roots[0]))
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o711, os.geteuid()))
        return os.path.join(self.tmp, roots[0])

    def plant_foreign(self, tag):
        """What another process of the uid (a Lambda extension) writes in
        /tmp: a file and a directory named like run directories. Returns
        their paths."""
        f = os.path.join(self.tmp, "spp-run-%s-file" % tag)
        d = os.path.join(self.tmp, "spp-run-%s-dir" % tag)
        with open(f, "w") as out:
            out.write("an extension's\n")
        os.mkdir(d)
        with open(os.path.join(d, "state"), "w") as out:
            out.write("an extension's\n")
        return [f, d, os.path.join(d, "state")]

    def test_leftovers_are_removed_before_the_next_invocation(self):
        self.wait_next(1)
        r = self.invoke({"code": TINY, "language": "c", "memcheck": False})
        self.assertEqual(r["outcome"], "ok", r.get("error"))
        self.wait_next(2)
        root = self.run_root()
        self.assertEqual(os.listdir(root), [])
        # What a killed tracer leaves in its TMPDIR: its run directory,
        # locked by the program, and a Valgrind FIFO. What another process
        # of the uid writes meanwhile in /tmp: entries named like ours, a
        # FIFO, a symlink out - theirs, never looked at.
        locked = os.path.join(root, "spp-run-left")
        os.mkdir(locked)
        with open(os.path.join(locked, "data"), "w") as f:
            f.write("x")
        os.chmod(locked, 0)
        os.mkfifo(os.path.join(root, "vgdb-pipe-from-vgdb-to-8-by-x-on-y"))
        foreign = self.plant_foreign("between")
        os.mkfifo(os.path.join(self.tmp, "vgdb-pipe-from-vgdb-to-9-by-x-on-y"))
        os.symlink("/etc", os.path.join(self.tmp, "escape"))
        r = self.invoke({"code": TINY + "// 2\n", "language": "c", "memcheck": False})
        self.assertEqual(r["outcome"], "ok", r.get("error"))
        self.wait_next(3)
        self.assertEqual(os.listdir(root), [])
        left = sorted(os.listdir(self.tmp))
        self.assertEqual(left, sorted(["bootstrap.log", "cache", "escape", os.path.basename(root),
                                       "spp-run-between-dir", "spp-run-between-file",
                                       "vgdb-pipe-from-vgdb-to-9-by-x-on-y"]), left)
        self.assertEqual([p for p in foreign if not os.path.exists(p)], [])
        self.assertIn("left 0 process(es) and 2 entries in the run root; removed", self.log())
        self.assertTrue(os.path.exists("/etc/passwd"))
        self.assertIsNone(self.proc.poll())

    def test_foreign_entries_written_during_an_invocation_survive(self):
        self.wait_next(1)
        root = self.run_root()
        prog = [p for p in hostile.load_programs() if p.name == "lambda_slow_while_others_write.c"]
        inv = self.emu.enqueue(prog[0].request(stdin="native", timeoutMs=20000))
        # while its program sleeps (2 s), with its run directory in the root
        self.assertTrue(self.emu.wait_for(
            lambda: any(n.startswith("spp-run-") for n in os.listdir(root)), 30),
            "no run directory appeared in %s\n%s" % (root, self.log()))
        foreign = self.plant_foreign("during")
        self.assertTrue(self.emu.wait_done(inv, 60), "no reply\n" + self.log())
        self.assertIsNone(inv.error, inv.error)
        r = json.loads(inv.response)
        self.assertEqual(hostile.check(prog[0], 200, inv.response, r), [], r)
        self.assertEqual(r["outcome"], "ok", r)
        self.assertIn("done", r["stdout"])
        self.wait_next(2)
        self.assertEqual([p for p in foreign if not os.path.exists(p)], [])
        with open(foreign[0]) as f:
            self.assertEqual(f.read(), "an extension's\n")
        self.assertEqual(os.listdir(root), [])
        self.assertNotIn("spp-run-during", self.log())
        # served on, and the foreign entries still survive its clean-up
        r = self.invoke({"code": TINY, "language": "c", "memcheck": False})
        self.assertEqual(r["outcome"], "ok", r.get("error"))
        self.wait_next(3)
        self.assertEqual([p for p in foreign if not os.path.exists(p)], [])

    def test_run_root_goes_when_the_bootstrap_exits(self):
        self.wait_next(1)
        root = self.run_root()
        foreign = self.plant_foreign("exit")
        os.mkdir(os.path.join(root, "spp-run-left"))
        self.emu.stop()  # the Runtime API is gone: the bootstrap exits
        self.assertEqual(self.proc.wait(30), 1, self.log())
        self.assertFalse(os.path.lexists(root), os.listdir(self.tmp))
        self.assertEqual([p for p in foreign if not os.path.exists(p)], [])

    def test_bootstrap_serves_on_when_it_cannot_clean(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to make an entry that cannot be removed (a mount point)")
        self.wait_next(1)
        stuck = os.path.join(self.run_root(), "spp-run-stuck")
        os.mkdir(stuck)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "none", stuck],
                          capture_output=True).returncode != 0:
            self.skipTest("cannot mount a tmpfs here")
        self.mounted.append(stuck)
        r = self.invoke({"code": TINY, "language": "c", "memcheck": False})
        self.assertEqual(r["outcome"], "ok")
        self.wait_next(2)
        self.assertIn("spp-run-stuck (cannot be removed: left alone)", self.log())
        r = self.invoke({"code": TINY + "// again\n", "language": "c", "memcheck": False})
        self.assertEqual(r["outcome"], "ok")  # the next request is served
        self.assertIsNone(self.proc.poll())
        self.assertNotIn("exiting", self.log())

    def test_sigterm_ends_the_runs_and_removes_the_run_root(self):
        self.wait_next(1)
        root = self.run_root()
        foreign = self.plant_foreign("sigterm")
        prog = [p for p in hostile.load_programs() if p.name == "lambda_slow_while_others_write.c"]
        self.emu.enqueue(prog[0].request(stdin="sigterm", timeoutMs=20000))
        self.assertTrue(self.emu.wait_for(
            lambda: any(n.startswith("spp-run-") for n in os.listdir(root)), 30),
            "no run directory appeared in %s\n%s" % (root, self.log()))
        # as Lambda ends a runtime that has extensions, mid-invocation
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(30), 0, self.log())
        self.assertIn("SIGTERM: shutting down", self.log())
        self.assertFalse(os.path.lexists(root), os.listdir(self.tmp))
        self.assertEqual([p for p in foreign if not os.path.exists(p)], [])
        # nothing of the run goes on (its orphans would come to us)
        deadline = time.time() + 5
        while orphans(set()) and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual([cmdline(p) for p in orphans(set())], [])

    def test_hostile_programs_through_the_bootstrap(self):
        self.wait_next(1)
        names = ("daemon_double_fork.c", "fork_sleepers.c", "env_all_procs.c",
                 "net_loopback.c", "write_outside.c", "kill_everyone.c")
        progs = [p for p in hostile.load_programs() if p.name in names]
        self.assertEqual(len(progs), len(names))
        for i, prog in enumerate(progs):
            inv = self.emu.enqueue(prog.request())
            self.assertTrue(self.emu.wait_done(inv, 60), "no reply\n" + self.log())
            self.assertIsNone(inv.error, inv.error)
            raw = inv.response
            problems = hostile.check(prog, 200, raw, json.loads(raw))
            self.assertEqual(problems, [], prog.name)
            self.wait_next(i + 2)
            left = descendants(self.proc.pid)
            self.assertEqual(left, [], "%s left %r" % (prog.name, [cmdline(p) for p in left]))
        self.assertEqual(hostile.markers_present(self.started), [])
        self.assertEqual(hostile.secret_problems(self.log().encode()), [])
        root = self.run_root()
        self.assertEqual(os.listdir(root), [])
        self.assertEqual(sorted(os.listdir(self.tmp)),
                         sorted(["bootstrap.log", "cache", os.path.basename(root)]))


if __name__ == "__main__":
    unittest_main.run(__name__, (), [p for p in (BOOTSTRAP,) if not os.access(p, os.X_OK)])

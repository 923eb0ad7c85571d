#!/usr/bin/env python3
"""Hostile programs that share the runtime's uid in Lambda (issue 19), through
build/bootstrap as AWS runs it: under tests/support/lambda_like as uid 993
(ptrace, unshare, setuid and namespace clones denied), against the Runtime
API emulator, with a private directory standing in for Lambda's /tmp (it
holds the local result cache, as in Lambda).

Every check runs twice: with Landlock (the runs' file access confined to
their own directory) and with SPP_LANDLOCK=off, where the tracer's creation
watch removes what a run created outside its directory and the cache is
worthless to read or rewrite (AES-256-GCM under a key only the bootstrap
holds). In both, after every case, the bootstrap serves the next request.

1. markers planted in /tmp, /var/tmp, /dev/shm, $HOME, the cwd and ".." by
   one submission are gone for the second (tests/hostile/lambda_marker_persist.c);
2. a program that overwrites what it can under /tmp gains nothing: the first
   user's request still gets its own result (lambda_overwrite_others.c);
3. a program that searches /tmp for the first user's output finds nothing
   (lambda_read_cache.c);
4. files another process writes in /tmp during an invocation (same uid, as
   a Lambda extension; and another uid's, which cannot be removed) survive,
   the run's own file does not, and the runtime serves on
   (lambda_slow_while_others_write.c).

Ends with "N passed, M failed".
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import hostile  # noqa: E402
import unittest_main  # noqa: E402
from proc_util import become_subreaper, kill_orphans  # noqa: E402
from rapi_emulator import RuntimeAPIEmulator  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
LAMBDA_LIKE = os.path.join(BUILD, "support", "lambda_like")
LAMBDA_UID = 993
FIRST_USER = ('#include <stdio.h>\nint main(void) {\n'
              '    printf("%s\\n");\n    return 0;\n}\n')

become_subreaper()


def program(name):
    return next(p for p in hostile.load_programs() if p.name == name)


def landlock_offered():
    out = subprocess.run([os.path.join(BUILD, "spp-trace"), "--probe"], capture_output=True,
                         text=True).stdout
    try:
        return json.loads(out).get("landlockAbi", 0) > 0
    except ValueError:
        return False


class SharedUid:
    """The four cases; subclasses say whether Landlock is on."""
    LANDLOCK = None

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run the bootstrap as uid %d beside files of "
                          "another uid" % LAMBDA_UID)
        if self.LANDLOCK and not landlock_offered():
            self.skipTest("this kernel offers no Landlock")
        self.token = "t" + uuid.uuid4().hex[:12]
        self.base = tempfile.mkdtemp(prefix="spp-shared-uid-test-")
        self.addCleanup(self.remove_markers)
        self.addCleanup(shutil.rmtree, self.base, True)
        os.chmod(self.base, 0o711)
        self.tmp = os.path.join(self.base, "tmp")  # Lambda's /tmp
        os.mkdir(self.tmp)
        os.chmod(self.tmp, 0o1777)
        spp = hostile.private_build(BUILD, os.path.join(self.base, "bin"))
        self.emu = RuntimeAPIEmulator().start()
        self.addCleanup(self.emu.stop)
        self.log_path = os.path.join(self.base, "bootstrap.log")
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": self.tmp,
               "TMPDIR": self.tmp, "XDG_CACHE_HOME": os.path.join(self.tmp, "cachebase"),
               "SPP_TRACER": spp, "SPP_PCH_DIR": os.path.join(BUILD, "pch"),
               "AWS_LAMBDA_RUNTIME_API": self.emu.address, "AWS_REGION": "us-east-1"}
        if not self.LANDLOCK:
            env["SPP_LANDLOCK"] = "off"
        env.update(hostile.SECRETS)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [LAMBDA_LIKE, "--uid", str(LAMBDA_UID), "--",
                 os.path.join(self.base, "bin", "bootstrap")],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        self.addCleanup(self.stop)
        self.served = 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        kill_orphans(set())

    def markers(self):
        name = "spp-hostile-persist-" + self.token
        return [os.path.join(d, name) for d in ("/tmp", "/var/tmp", "/dev/shm", self.tmp)]

    def remove_markers(self):
        for m in self.markers() + [os.path.join(self.tmp, "spp-hostile-own-" + self.token)]:
            if os.path.lexists(m):
                os.unlink(m)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def invoke(self, payload, timeout=90):
        """One request; returns the response after the bootstrap is back at
        /next (its clean-up done)."""
        inv = self.emu.enqueue(payload)
        self.assertTrue(self.emu.wait_done(inv, timeout), "no reply\n" + self.log())
        self.assertIsNone(inv.error, inv.error)
        self.served += 1
        ok = self.emu.wait_for(lambda: len(self.emu.next_times) > self.served, 15)
        self.assertTrue(ok, "the bootstrap did not come back for the next request\n" +
                        self.log())
        return json.loads(inv.response)

    def run_hostile(self, name, stdin="", variant=""):
        prog = program(name)
        # Valgrind runs it 20-50x slower, more under load: a generous limit,
        # and the run must have ended normally for its output to prove anything
        req = prog.request(stdin=stdin, timeoutMs=20000)
        req["code"] += variant
        r = self.invoke(req)
        self.assertEqual(hostile.check(prog, 200, json.dumps(r).encode(), r), [], r)
        self.assertEqual(r["outcome"], "ok", r)
        sb = r["sandbox"]
        self.assertIs(sb["landlock"], self.LANDLOCK, sb)
        self.assertIs(sb["createWatch"], not self.LANDLOCK, sb)
        return r

    def first_user(self, secret):
        r = self.invoke({"code": FIRST_USER % secret, "language": "c", "memcheck": False})
        self.assertEqual(r["outcome"], "ok", r.get("error"))
        self.assertEqual(r["stdout"], secret + "\n")
        return r

    def assert_serves_on(self):
        r = self.invoke({"code": FIRST_USER % ("next " + self.token), "language": "c",
                         "memcheck": False})
        self.assertEqual(r["stdout"], "next %s\n" % self.token)
        self.assertIsNone(self.proc.poll(), self.log())
        self.assertNotIn("exiting", self.log())

    def test_1_markers_do_not_persist_across_submissions(self):
        r = self.run_hostile("lambda_marker_persist.c", stdin=self.token)
        escaped = [l for l in r["stdout"].splitlines() if l.startswith("ESCAPED")]
        # Landlock refuses every write outside the run directory; without
        # it they succeed and are removed after the run.
        self.assertEqual(escaped == [], self.LANDLOCK, r["stdout"])
        self.assertIn("wrote its own spp-hostile-persist-" + self.token, r["stdout"])
        self.assertEqual([m for m in self.markers() if os.path.lexists(m)], [])
        r = self.run_hostile("lambda_marker_persist.c", stdin=self.token,
                             variant="// the second submission\n")
        self.assertNotIn("PERSISTED", r["stdout"])
        self.assertEqual([m for m in self.markers() if os.path.lexists(m)], [])
        self.assert_serves_on()

    def test_2_overwriting_others_files_gains_nothing(self):
        secret = "spp-first-user-" + self.token
        self.first_user(secret)
        cache = os.path.join(self.tmp, "cachebase", "spp-trace")
        # the entries (the PCH spill directory may sit beside them)
        entries = {n: open(os.path.join(cache, n), "rb").read() for n in os.listdir(cache)
                   if os.path.isfile(os.path.join(cache, n))}
        self.assertEqual(len(entries), 1, entries.keys())
        r = self.run_hostile("lambda_overwrite_others.c")
        overwrote = [l for l in r["stdout"].splitlines() if l.startswith("ESCAPED")]
        if self.LANDLOCK:
            self.assertEqual(overwrote, [])
            for n, raw in entries.items():
                self.assertEqual(open(os.path.join(cache, n), "rb").read(), raw, n)
        else:
            # it could rewrite the entry (same uid): the entry stops being served
            self.assertTrue(any(n in "".join(overwrote) for n in entries), r["stdout"])
        again = self.first_user(secret)  # never the planted text
        self.assertIs(again["cached"], self.LANDLOCK)
        self.assert_serves_on()

    def test_3_other_users_results_are_not_readable(self):
        secret = "spp-first-user-" + self.token
        self.first_user(secret)
        r = self.run_hostile("lambda_read_cache.c", stdin=secret)
        self.assertNotIn("FOUND", r["stdout"])
        self.assertNotIn(secret, json.dumps(r))
        read = [l for l in r["stdout"].splitlines() if l.startswith("read ")]
        if self.LANDLOCK:
            self.assertEqual(read, [], r["stdout"])  # ".." cannot even be listed
        else:
            # it did read the cache entry: what it got was ciphertext
            self.assertTrue(any("/cachebase/spp-trace/" in l for l in read), r["stdout"])
        self.assert_serves_on()

    def test_4_foreign_files_written_during_an_invocation_survive(self):
        prog = program("lambda_slow_while_others_write.c")
        inv = self.emu.enqueue(prog.request(stdin=self.token, timeoutMs=20000))
        self.assertTrue(self.emu.wait_for(lambda: inv.delivered_at is not None, 15))
        # the runs live in the bootstrap's own directory in /tmp
        roots = [os.path.join(self.tmp, n) for n in os.listdir(self.tmp)
                 if n.startswith("spp-bootstrap-")]
        self.assertEqual(len(roots), 1, os.listdir(self.tmp))
        root = roots[0]
        st = os.lstat(root)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o711, LAMBDA_UID))
        # during the invocation (its program sleeps 2 s): files of the same
        # uid (an extension) - one named like a run directory, a directory
        # so named too - and one of another uid (cannot be removed by it)
        self.assertTrue(self.emu.wait_for(
            lambda: any(n.startswith("spp-run-") for n in os.listdir(root)), 30),
            "no run directory appeared\n" + self.log())
        same = os.path.join(self.tmp, "extension-" + self.token)
        like_file = os.path.join(self.tmp, "spp-run-" + self.token)
        like_dir = os.path.join(self.tmp, "spp-run-%s-dir" % self.token)
        other = os.path.join(self.tmp, "root-file-" + self.token)
        os.mkdir(like_dir)
        for path in (same, like_file, other, os.path.join(like_dir, "state")):
            with open(path, "w") as f:
                f.write("not the runtime's\n")
        for path in (same, like_file, like_dir, os.path.join(like_dir, "state")):
            os.chown(path, LAMBDA_UID, LAMBDA_UID)
        self.assertTrue(self.emu.wait_done(inv, 90), "no reply\n" + self.log())
        self.served += 1
        self.assertTrue(self.emu.wait_for(lambda: len(self.emu.next_times) > self.served, 15),
                        self.log())
        r = json.loads(inv.response)
        self.assertEqual(hostile.check(prog, 200, inv.response, r), [], r)
        self.assertEqual(r["outcome"], "ok", r)
        self.assertIn("done", r["stdout"])
        for path in (same, like_file, other, os.path.join(like_dir, "state")):
            with open(path) as f:
                self.assertEqual(f.read(), "not the runtime's\n", path)
        # what the program wrote beside its run directory went with the run
        self.assertEqual(os.listdir(root), [])
        self.assertFalse(os.path.lexists(os.path.join(self.tmp, "spp-hostile-own-" +
                                                      self.token)))
        self.assertNotIn(self.token + " (", self.log())  # never even looked at
        self.assert_serves_on()
        self.assertTrue(os.path.exists(like_file) and os.path.exists(like_dir))


class WithLandlock(SharedUid, unittest.TestCase):
    LANDLOCK = True


class WithoutLandlock(SharedUid, unittest.TestCase):
    LANDLOCK = False


if __name__ == "__main__":
    unittest_main.run(__name__, (), [p for p in (LAMBDA_LIKE,) if not os.access(p, os.X_OK)])

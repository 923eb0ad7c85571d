"""bootstrap_case.py - one Runtime API emulator + one build/bootstrap per test.

The prologue tests/e2e/test_bootstrap.py and test_runner_ts.py share:
setUp makes the test's own tmp directory (HOME, TMPDIR and the cache live
there) and emulator, and launches the bootstrap unless start_bootstrap is
False; tearDown kills it and whatever it left behind (its helper_pids
excepted), stops the emulator and removes tmp, showing the bootstrap's log
when the test failed.

env() is the bootstrap's environment: what every test needs, then the
file's default_env, the class's extra_env and launch()'s arguments; a value
None leaves the variable out.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from proc_util import kill_orphans
from rapi_emulator import RuntimeAPIEmulator

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")


class BootstrapCase(unittest.TestCase):
    """One emulator + one bootstrap per test."""

    default_env = {}
    extra_env = {}
    start_bootstrap = True
    tmp_prefix = "spp-bootstrap-test-"

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=self.tmp_prefix)
        self.emu = RuntimeAPIEmulator().start()
        self.proc = None
        self.log_path = os.path.join(self.tmp, "bootstrap.log")
        if self.start_bootstrap:
            self.launch()

    def tearDown(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        kill_orphans(self.helper_pids())  # what a killed bootstrap could not clean up
        self.emu.stop()
        if self.proc is not None and hasattr(self, "_outcome"):
            result = self._outcome.result
            failed = any(t is self for t, _ in result.failures + result.errors)
            if failed:
                sys.stderr.write("---- bootstrap log ----\n" + self.log() + "----\n")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def helper_pids(self):
        """Children of this process that are test peers, not leftovers."""
        return set()

    def env(self, **extra):
        e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
             "HOME": self.tmp,
             "XDG_CACHE_HOME": os.path.join(self.tmp, "cache"),
             "TMPDIR": self.tmp,
             "AWS_LAMBDA_RUNTIME_API": self.emu.address,
             "AWS_REGION": "us-east-1"}
        e.update(self.default_env)
        e.update(self.extra_env)
        e.update(extra)
        return {k: v for k, v in e.items() if v is not None}

    def launch(self, **extra):
        self.log_file = open(self.log_path, "wb")
        self.t_exec = time.monotonic()
        self.proc = subprocess.Popen([BOOTSTRAP], env=self.env(**extra), stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=self.log_file,
                                     start_new_session=True)
        self.log_file.close()
        return self.proc

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_polling(self, n=1, timeout=10):
        ok = self.emu.wait_for(lambda: len(self.emu.next_times) >= n, timeout)
        self.assertTrue(ok, "bootstrap never polled /next (%d)\n%s" % (n, self.log()))

    def wait_back_at_next(self, timeout=15):
        """Until the bootstrap polls /next after every invocation it was
        given: what it does after a /response (the cache store) is done."""
        given = lambda: sum(1 for i in self.emu.invocations.values() if i.delivered_at)  # noqa
        ok = self.emu.wait_for(lambda: len(self.emu.next_times) > given(), timeout)
        self.assertTrue(ok, "bootstrap did not come back to /next\n%s" % self.log())

"""hostile.py - the hostile-program suite's pieces, shared by the e2e tests
that run it (tests/e2e/test_hostile.py) and the load test (test_load.py).

Each program in tests/hostile/ says on its first line what it attacks and
which outcomes are right:

    // HOSTILE <attack> | expect <outcome>[,...] [| valgrind <outcome>[,...]]
    //          [| nopidns <outcome>[,...]] [| message <text>] [| stdout <text>]
    //          [| needs <mechanism>] [| alone]

Programs that can tell whether their attack worked print "ESCAPED: ..." when
it did. check() turns one response into a list of problems (empty: passed):
an outcome outside the closed set or the expected ones, a planted secret
anywhere in the body, ESCAPED or a password-file line in what the program or
compiler printed, a missing message/stdout text.

What is checked depends on what the run had (the response's "engine" and
"sandbox"):
 - "needs mountns": the attack is on the file system outside the run
   directory, which only a private mount namespace or Landlock stops
   (without them, the tracer's creation watch removes what the run wrote
   after it: tests/e2e/test_lambda_shared_uid.py); "needs tmpfs": it fills
   the disk through its own directory, which only the size-limited tmpfs a
   mount namespace gives it stops (Landlock does not); "needs ownuid":
   it reaches other processes of the program's uid (its own vgdb, other
   runs), which only a uid of the run's own keeps apart. Where the run had
   neither (AWS Lambda: one uid, no namespaces, one invocation at a time,
   the front door's clean-up between invocations) such a program's ESCAPED
   lines are expected, not problems (tolerated() lists them).
 - "valgrind": the outcomes the Valgrind engine gives instead (security.md:
   "report per engine" - e.g. its operator new exits instead of throwing,
   an exec'd program runs on in the sandbox); under it a program runs
   20-50x slower, so time_limit is accepted too, and message/stdout are
   checked only for the native outcomes.
 - "nopidns": outcomes accepted too where the run had no pid namespace
   (Lambda-like): the program sees every process of the machine, and what
   it prints about them can meet the output or step limit first.
 - "alone": the program uses up what all runs of its uid share (processes:
   RLIMIT_NPROC counts per uid); where runs share a uid it is run by itself
   (as AWS Lambda runs one invocation at a time), not beside others.
"""

import os
import re
import shutil

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOSTILE_DIR = os.path.join(ROOT, "tests", "hostile")

OUTCOMES = {"ok", "compile_error", "compile_limit", "runtime_error", "time_limit",
            "memory_limit", "output_limit", "process_limit", "step_limit", "tracer_error",
            "internal_error"}

# Planted in the service's environment; none may appear in any response.
SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "fake-secret-key-4f3e2d1c0b9a8877",
    "AWS_SESSION_TOKEN": "fake-session-token-a1b2c3d4e5f60718",
    "AWS_ACCESS_KEY_ID": "AKIAFAKEHOSTILE77001",
    "SPP_TEST_SECRET": "fake-spp-secret-0c0ffee0",
}

# What the program or the compiler printed must not look like these files.
LEAK_PATTERNS = [re.compile(p) for p in (r"root:[^:\n]*:\d+:\d+:", r"root:[$*!]",
                                         r"-----BEGIN [A-Z ]*PRIVATE KEY")]

MARKERS = ["/tmp/spp-hostile-marker", "/var/tmp/spp-hostile-marker",
           "/dev/shm/spp-hostile-marker", "/tmp/spp-hostile-daemon",
           "/etc/spp-hostile-marker", "/root/spp-hostile-marker",
           "/tmp/spp-hostile-persist-default", "/var/tmp/spp-hostile-persist-default",
           "/dev/shm/spp-hostile-persist-default"]

# Lines that are a failure whatever the run had: an earlier request's
# marker or output found (no containment excuses those).
ALWAYS_BAD = ("PERSISTED", "FOUND the secret")


class Program:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        with open(path) as f:
            self.code = f.read()
        first = self.code.split("\n", 1)[0]
        if not first.startswith("// HOSTILE "):
            raise ValueError("%s: first line must be '// HOSTILE ...'" % self.name)
        parts = [p.strip() for p in first[len("// HOSTILE "):].split("|")]
        self.attack = parts[0]
        self.expect, self.message, self.stdout = set(), None, None
        self.valgrind, self.needs, self.alone = set(), set(), False
        self.nopidns = set()
        for p in parts[1:]:
            key, _, val = p.partition(" ")
            if key == "alone" and not val:
                self.alone = True
            elif key == "needs" and val in ("mountns", "ownuid", "tmpfs"):
                self.needs.add(val)
            elif key == "expect":
                self.expect = {v.strip() for v in val.split(",")}
            elif key == "valgrind":
                self.valgrind = {v.strip() for v in val.split(",")}
            elif key == "nopidns":
                self.nopidns = {v.strip() for v in val.split(",")}
            elif key == "message":
                self.message = val
            elif key == "stdout":
                self.stdout = val
            else:
                raise ValueError("%s: unknown key %r" % (self.name, key))
        bad = (self.expect | self.valgrind | self.nopidns) - OUTCOMES
        if not self.expect or bad:
            raise ValueError("%s: expected outcomes %r not in the closed set" % (self.name, bad))
        self.lang = "c++" if self.name.endswith(".cpp") else "c"

    def request(self, **kw):
        r = {"code": self.code, "language": self.lang, "memcheck": False, "maxSteps": 10000,
             "timeoutMs": 3000}
        r.update(kw)
        return r


def load_programs():
    return [Program(os.path.join(HOSTILE_DIR, n)) for n in sorted(os.listdir(HOSTILE_DIR))
            if n.endswith((".c", ".cpp"))]


def secret_problems(raw):
    """Every planted secret found in a raw response body."""
    return ["secret %s in the response" % k for k, v in SECRETS.items() if v.encode() in raw]


def _contained(prog, resp):
    """Would this program's attack be stopped by what the run had?"""
    sb = resp.get("sandbox") or {}
    # Landlock keeps a run to its directory as a mount namespace does.
    confined = sb.get("mountns") is not False or sb.get("landlock") is True
    return not (("mountns" in prog.needs and not confined) or
                ("tmpfs" in prog.needs and sb.get("mountns") is False) or
                ("ownuid" in prog.needs and sb.get("uid", 0) is None))


def tolerated(prog, resp):
    """ESCAPED lines that are expected where the run lacked the mechanism."""
    if not isinstance(resp, dict) or _contained(prog, resp):
        return []
    printed = "".join(resp.get(k) or "" for k in ("stdout", "stderr"))
    return [l.strip() for l in printed.splitlines() if "ESCAPED" in l]


def check(prog, status, raw, resp):
    """Problems with one hostile program's response (empty list: fine)."""
    problems = secret_problems(raw)
    if status != 200 or not isinstance(resp, dict):
        return problems + ["HTTP %s, body %r" % (status, raw[:200])]
    outcome = resp.get("outcome")
    allowed = prog.expect
    if resp.get("engine") == "valgrind":
        allowed = (prog.valgrind or prog.expect) | {"time_limit"}
    if (resp.get("sandbox") or {}).get("pidns") is False:
        allowed = allowed | prog.nopidns
    if outcome not in OUTCOMES:
        problems.append("outcome %r is not in the closed set" % outcome)
    elif outcome not in allowed:
        problems.append("outcome %s, expected %s (%s)" % (
            outcome, "|".join(sorted(allowed)), resp.get("message") or resp.get("error")))
    printed = "".join(resp.get(k) or "" for k in ("stdout", "stderr", "ccStderr"))
    for line in printed.splitlines():
        if ("ESCAPED" in line and _contained(prog, resp)) or any(b in line for b in ALWAYS_BAD):
            problems.append(line.strip()[:160])
    for pat in LEAK_PATTERNS:
        if pat.search(printed):
            problems.append("output looks like a protected file (%s)" % pat.pattern)
    if outcome not in prog.expect:
        return problems
    if prog.message and prog.message not in (resp.get("message") or ""):
        problems.append("message %r lacks %r" % (resp.get("message"), prog.message))
    if prog.stdout and prog.stdout not in (resp.get("stdout") or ""):
        problems.append("stdout %r lacks %r" % ((resp.get("stdout") or "")[:200], prog.stdout))
    return problems


def private_build(build, dest):
    """Copy spp-trace, the bootstrap and the runtime object linked into
    programs to dest; return the spp-trace copy's path. A test keeps its own
    binaries while others rebuild the tree (a binary being relinked cannot
    be executed)."""
    os.makedirs(os.path.join(dest, "rt"), exist_ok=True)
    for rel in ("spp-trace", "bootstrap", os.path.join("rt", "sppmon.o")):
        shutil.copy2(os.path.join(build, rel), os.path.join(dest, rel))
    for d in (dest, os.path.join(dest, "rt")):
        os.chmod(d, 0o755)
    return os.path.join(dest, "spp-trace")


def markers_present(since=0):
    """Marker files a program managed to write, changed at or after since
    (a time.time())."""
    out = []
    for m in MARKERS:
        try:
            if os.lstat(m).st_mtime >= since:
                out.append(m)
        except OSError:
            pass
    return out

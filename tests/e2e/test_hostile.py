#!/usr/bin/env python3
"""The hostile-program suite (tests/hostile/, see tests/support/hostile.py)
through the service path: `spp-trace serve`, four requests at a time.

native: serve as it runs here. Each program's response must have an outcome
from the closed set and the one its first line expects, no planted secret
anywhere, no "ESCAPED" in what it printed; the request after it (a small
canary program on the same connection slot) must succeed. After the suite
nothing may be left: no process below the service or re-parented to this
test, no run directory, no marker file a program tried to leave, no
Valgrind FIFO of ours in /tmp. The result cache must hold only runs that
ended normally (ok / compile error) and a limit-ended run must not come
back cached. Prints a table (program, outcome, seconds, attack) and the
suite's duration.

native, agent engine: the same suite with serve's runs on the agent engine
(SPP_DEFAULT_ENGINE=agent), the same outcomes as with ptrace.

lambda_like: the same suite with serve under tests/support/lambda_like
(not root; ptrace, unshare, setuid denied: the ptrace engine cannot run,
the agent engine does, with the native outcomes; requests ask for no
memcheck run). The same checks apply, with what a run without
namespaces cannot promise (tests/support/hostile.py): a program marked
"mountns" may write outside its run directory - those files are listed,
attributed to it and removed by the test, as the Lambda bootstrap's
clean-up removes them between invocations (tests/e2e/test_lambda_sweep.py).
Were no
engine available there, every request would have to fail cleanly instead:
a JSON error saying so, no secret, nothing left, the service still up.

Ends with "N passed, M failed".
"""
import concurrent.futures
import glob
import json
import os
import shutil
import stat
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import hostile  # noqa: E402
from serve_proc import Service  # noqa: E402
from proc_util import become_subreaper, cmdline, descendants, orphans  # noqa: E402
from spp import run_tests  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
SPP = os.path.join(BUILD, "spp-trace")
LAMBDA_LIKE = os.path.join(BUILD, "support", "lambda_like")
CANARY = "#include <stdio.h>\nint main(void) {\n    printf(\"canary %d\\n\");\n    return 0;\n}\n"
PARALLEL = 4


def service_env(tmp, run_root):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp,
           "TMPDIR": run_root, "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
           "SPP_PCH_DIR": os.path.join(BUILD, "pch"),
           # compile bombs end at 4 s instead of 20 s: the suite stays short
           "SPP_COMPILE_TIMEOUT_MS": "4000"}
    env.update(hostile.SECRETS)
    return env


def make_dirs(mode):
    """A private test directory and a run root inside it that the run's own
    uid (or the lambda-like user) can reach."""
    tmp = tempfile.mkdtemp(prefix="spp-hostile-test-")
    run_root = os.path.join(tmp, "runs")
    os.mkdir(run_root)
    os.chmod(tmp, mode)
    os.chmod(run_root, mode)
    return tmp, run_root


def our_vgdb_fifos():
    """Valgrind FIFOs in /tmp owned by a run's uid (ours are in run dirs)."""
    out = []
    for p in glob.glob("/tmp/vgdb-pipe-*"):
        try:
            if os.lstat(p).st_uid >= 2000000000:
                out.append(p)
        except OSError:
            pass
    return out


def run_suite(srv, programs, problems, rows, canary_base=0, notes=None, shared_uid=False,
              **request):
    """Every program then a canary, PARALLEL at a time (with shared_uid, the
    "alone" ones afterwards one by one); fills problems (name -> list), rows
    (name, outcome, seconds, attack) and notes (name -> tolerated ESCAPED
    lines). request: fields for every program's request."""

    def one(i, prog):
        t0 = time.monotonic()
        status, raw, resp = srv.run(prog.request(**request))
        secs = time.monotonic() - t0
        found = hostile.check(prog, status, raw, resp)
        if notes is not None and hostile.tolerated(prog, resp):
            notes[prog.name] = hostile.tolerated(prog, resp)
        n = canary_base + i
        cs, craw, cresp = srv.run({"code": CANARY.replace("%d", str(n)), "language": "c",
                                   "memcheck": False})
        if cs != 200 or not cresp or cresp.get("outcome") != "ok" or \
                cresp.get("stdout") != "canary %d\n" % n:
            found.append("the next request failed: HTTP %s %r" % (cs, craw[:200]))
        outcome = resp.get("outcome") if isinstance(resp, dict) else "HTTP %s" % status
        return prog, outcome, secs, found

    def record(results):
        for prog, outcome, secs, found in results:
            rows.append((prog.name, outcome, secs, prog.attack))
            if found:
                problems[prog.name] = found

    jobs = list(enumerate(programs))
    together = [j for j in jobs if not (shared_uid and j[1].alone)]
    with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
        record(pool.map(lambda a: one(*a), together))
    record(one(*j) for j in jobs if shared_uid and j[1].alone)


def wait_nothing_left(srv, timeout=5):
    end = time.monotonic() + timeout
    while True:
        left = descendants(srv.proc.pid) + orphans({srv.proc.pid})
        if not left or time.monotonic() > end:
            return left
        time.sleep(0.05)


def print_table(title, rows, secs):
    print("-- %s: %d programs in %.1f s (%d at a time)" % (title, len(rows), secs, PARALLEL))
    for name, outcome, t, attack in sorted(rows):
        print("   %-26s %-14s %5.2f s  %s" % (name, outcome, t, attack[:70]))


def native_suite(engine=None):
    programs = hostile.load_programs()
    assert len(programs) >= 40, "only %d hostile programs" % len(programs)
    become_subreaper()
    tmp, run_root = make_dirs(0o711)
    vg_before = set(our_vgdb_fifos())
    started = time.time() - 1
    spp = hostile.private_build(BUILD, os.path.join(tmp, "bin"))
    env = service_env(tmp, run_root)
    if engine:
        env["SPP_DEFAULT_ENGINE"] = engine
    srv = Service(spp, env, ["--workers", str(PARALLEL)])
    problems, rows = {}, []
    try:
        assert srv.wait_ready(), "serve did not start:\n" + srv.log()
        if engine:
            status, raw, resp = srv.run({"code": CANARY.replace("%d", "2"), "language": "c",
                                         "memcheck": False})
            assert status == 200 and resp.get("engine") == engine, raw[:300]
        t0 = time.monotonic()
        run_suite(srv, programs, problems, rows)
        secs = time.monotonic() - t0
        print_table("native" + (" (%s engine)" % engine if engine else ""), rows, secs)

        left = wait_nothing_left(srv)
        assert not left, "left running: %r" % [cmdline(p) for p in left]
        runs = os.listdir(run_root)
        assert runs == [], "left in the run root: %r" % runs
        assert hostile.markers_present(started) == [], hostile.markers_present(started)
        new_fifos = set(our_vgdb_fifos()) - vg_before
        assert not new_fifos, "Valgrind FIFOs left: %r" % sorted(new_fifos)

        # The cache holds only runs that ended normally; a limit is never served from it.
        for path in glob.glob(os.path.join(tmp, "cache", "spp-trace", "*.json")):
            with open(path, "rb") as f:
                entry = json.loads(f.read())
            assert entry["outcome"] in ("ok", "compile_error"), (path, entry["outcome"])
        again = [p for p in programs
                 if p.name in ("sleep_forever.c", "mem_malloc_huge.c", "fork_bomb.c")]
        with concurrent.futures.ThreadPoolExecutor(len(again)) as pool:
            for prog, (status, raw, resp) in zip(again, pool.map(
                    lambda p: srv.run(p.request()), again)):
                assert status == 200 and resp["cached"] is False, (prog.name, status, raw[:200])
        status, raw, resp = srv.run({"code": CANARY.replace("%d", "1"), "language": "c",
                                     "memcheck": False})
        assert status == 200 and resp["cached"] is True, "a normal run was not cached"

        status, raw = srv.call("GET", "/health")
        assert status == 200 and json.loads(raw)["busy"] == 0, raw
        assert not problems, "\n" + "\n".join(
            "%s: %s" % (n, "; ".join(p)) for n, p in sorted(problems.items()))
        assert hostile.secret_problems("\n".join(srv.log()).encode()) == [], "secret in the log"
    finally:
        rc = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    assert rc == 0, "serve exit status %s\n%s" % (rc, srv.log()[-2000:])


def test_native_suite():
    native_suite()


def test_native_suite_with_the_agent_engine():
    native_suite("agent")


def test_lambda_like_suite():
    assert os.access(LAMBDA_LIKE, os.X_OK), "build %s first (make unit)" % LAMBDA_LIKE
    programs = hostile.load_programs()
    become_subreaper()
    tmp, run_root = make_dirs(0o777)
    spp = hostile.private_build(BUILD, os.path.join(tmp, "bin"))
    started = time.time() - 1
    srv = Service(spp, service_env(tmp, run_root), ["--workers", str(PARALLEL)],
                          wrapper=[LAMBDA_LIKE, "--"])
    problems, rows, notes = {}, [], {}
    try:
        assert srv.wait_ready(), "serve did not start:\n" + srv.log()
        probe = [l for l in srv.lines if "probe:" in l]
        assert probe and '"ptrace":false' in probe[0], "ptrace is not denied: %r" % probe
        status, raw, resp = srv.run({"code": CANARY.replace("%d", "0"), "language": "c",
                                     "memcheck": False})
        assert resp is not None, "not JSON: %r" % raw[:200]
        engine_works = status == 200 and resp.get("success") is True
        t0 = time.monotonic()
        if engine_works:
            assert resp.get("engine") == "agent", resp.get("engine")
            sandbox = resp["sandbox"]
            assert sandbox["seccomp"] is True and sandbox["pidns"] is False, sandbox
            run_suite(srv, programs, problems, rows, canary_base=1000, notes=notes,
                      shared_uid=True, timeoutMs=6000)
        else:
            # No engine can run here: every request is a clean error.
            assert resp.get("success") is False and "no engine available" in resp["error"], raw

            def one(prog):
                t = time.monotonic()
                st, body, r = srv.run(prog.request())
                found = hostile.secret_problems(body)
                if not isinstance(r, dict) or r.get("success") is not False or \
                        "no engine available" not in (r.get("error") or ""):
                    found.append("not a clean no-engine error: HTTP %s %r" % (st, body[:200]))
                return prog, "no engine (HTTP %s)" % st, time.monotonic() - t, found

            with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
                for prog, outcome, secs, found in pool.map(one, programs):
                    rows.append((prog.name, outcome, secs, prog.attack))
                    if found:
                        problems[prog.name] = found
        print_table("lambda-like (%s)" % ("agent engine" if engine_works else "no engine"),
                    rows, time.monotonic() - t0)
        for name, lines in sorted(notes.items()):
            print("   without a mount namespace, %s: %s" % (name, "; ".join(lines)[:200]))
        left = wait_nothing_left(srv)
        assert not left, "left running: %r" % [cmdline(p) for p in left]
        # Files outside the run directories: only from programs marked
        # "mountns", removed here as the bootstrap's clean-up would.
        writers = {p.name for p in programs if "mountns" in p.needs}
        stray = hostile.markers_present(started)
        stray += [os.path.join(run_root, n) for n in os.listdir(run_root)
                  if not n.startswith("spp-run-")]
        if stray:
            assert writers, "files left outside the run directories: %r" % stray
            print("   left outside the run directories by %s: %s (removed)" % (
                ", ".join(sorted(writers & set(notes) or writers)), ", ".join(stray)))
            for path in stray:
                shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else \
                    os.unlink(path)
        runs = os.listdir(run_root)
        assert runs == [], "run directories left: %r" % runs
        status, raw = srv.call("GET", "/health")
        assert status == 200, raw
        assert not problems, "\n" + "\n".join(
            "%s: %s" % (n, "; ".join(p)) for n, p in sorted(problems.items()))
    finally:
        rc = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    assert rc == 0, "serve exit status %s\n%s" % (rc, srv.log()[-2000:])


if __name__ == "__main__":
    t0 = time.monotonic()
    try:
        run_tests(globals())
    finally:
        print("hostile suite: %.1f s" % (time.monotonic() - t0))

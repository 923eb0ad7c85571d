"""programs.py - the per-program part of the benchmark.

For each sample program, in rounds (every program once per round, so a load
spike hits all of them rather than one): spp-trace end to end through the
CLI (wall clock, and compile/trace/memcheck from the response's timingsMs),
its steps, and in the same round the plain pipeline the targets are stated
against -- `g++ -g -O0` then `valgrind --tool=memcheck` -- and, where it is
built, See++'s own pipeline (SPP-Valgrind through its anchor's run.sh,
peer.py) with what it produced.

Memory is a separate pass so that nothing perturbs the timed runs: the
tracer's own peak RSS from an LD_PRELOAD object (rss_probe.c) that records
getrusage(RUSAGE_SELF) at exit, the whole tree's sampled peak (sum over the
tracer, the compiler and the program) and the largest single process of the
tree from wait4.
"""
import glob
import json
import os
import shutil
import subprocess
import tempfile

from common import BenchError, TreeSampler, run, stats

HERE = os.path.dirname(os.path.abspath(__file__))

# Programs the baselines cannot run: one never ends (we stop it at the step
# limit; valgrind would run until killed), one does not compile.
NO_BASELINE_RUN = {"13_infinite.c": "never ends (spp-trace stops it at maxSteps)",
                   "14_compile_error.cpp": "does not compile"}

LOOP = r"""int main(void) {
    unsigned long n = 0;
    for (int i = 0; i < 100000; i++) {
        n += i;
    }
    return (int)(n & 1);
}
"""


def find_programs(programs_dir, only=None):
    progs = sorted(glob.glob(os.path.join(programs_dir, "*.c")) +
                   glob.glob(os.path.join(programs_dir, "*.cpp")))
    if only:
        progs = [p for p in progs if any(o in os.path.basename(p) for o in only)]
    if not progs:
        raise BenchError("no sample programs in %s" % programs_dir)
    out = []
    for p in progs:
        stdin_path = p + ".stdin"
        stdin = open(stdin_path, "rb").read() if os.path.exists(stdin_path) else b""
        out.append({"name": os.path.basename(p), "path": p, "stdin": stdin,
                    "lang": "c" if p.endswith(".c") else "c++"})
    return out


class Tracer:
    """How to run one spp-trace binary (a snapshot, see bench.py)."""

    def __init__(self, binary, env):
        self.bin = binary
        self.env = env

    def cli(self, prog, extra=(), extra_env=None, watch=None):
        args = [self.bin, "--no-cache", "--format", "response"] + list(extra)
        tmp = None
        if prog["stdin"]:
            tmp = tempfile.NamedTemporaryFile(delete=False, dir=self.env["TMPDIR"])
            tmp.write(prog["stdin"])
            tmp.close()
            args += ["--stdin", tmp.name]
        env = self.env if extra_env is None else dict(self.env, **extra_env)
        try:
            r = run(args + [prog["path"]], env=env, timeout=60, watch=watch)
        finally:
            if tmp:
                os.unlink(tmp.name)
        try:
            j = json.loads(r.out)
        except ValueError:
            raise BenchError("spp-trace gave no response for %s (exit %d): %s"
                             % (prog["name"], r.rc, r.err.decode(errors="replace")[-400:]))
        if j.get("success") is not True:  # a compile error is a success: a trace says so
            raise BenchError("spp-trace failed on %s: %s" % (prog["name"], j.get("error")))
        return r, j


def steps_of(j):
    t = j.get("trace") or {}
    return len(t.get("trace") or [])


def probe_variants(tr, progs, log):
    """Which engines this build has, from what a real run answers: memcheck
    pass (--memcheck: response memcheck.ran) and the Valgrind-only engine
    (--engine valgrind). A variant that is not there is reported as such,
    never estimated."""
    prog = next((p for p in progs if p["name"].startswith("09")), progs[0])
    out = {}
    _, j = tr.cli(prog, ["--memcheck"])
    mc = j.get("memcheck") or {}
    out["memcheck"] = {"available": bool(mc.get("ran")),
                       "note": mc.get("note") or ("ran" if mc.get("ran") else "did not run")}
    try:
        r, j = tr.cli(prog, ["--engine", "valgrind"])
        ok = j.get("engine") == "valgrind" and steps_of(j) > 0
        note = "ran" if ok else (j.get("error") or "no trace")
    except BenchError as e:
        ok, note = False, str(e).split(": ", 1)[-1].strip()[-200:]
    out["valgrind_engine"] = {"available": ok, "note": note}
    for k, v in out.items():
        log("variant %-16s %s (%s)" % (k, "available" if v["available"] else "NOT available",
                                       v["note"]))
    return out


def baseline(prog, work):
    """g++/gcc -g -O0, then memcheck on the result. Returns times in ms
    (None where it did not run)."""
    src = os.path.join(work, "main.c" if prog["lang"] == "c" else "main.cpp")
    shutil.copy(prog["path"], src)
    exe = os.path.join(work, "prog")
    if os.path.exists(exe):
        os.unlink(exe)
    cc = ["gcc", "-std=c11"] if prog["lang"] == "c" else ["g++", "-std=c++17"]
    r = run(cc + ["-g", "-O0", src, "-o", exe], timeout=120)
    out = {"cc": r.wall_ms, "memcheck": None, "cc_rss": r.maxrss_mb, "memcheck_rss": None}
    if r.rc != 0 or prog["name"] in NO_BASELINE_RUN:
        return out
    v = run(["valgrind", "--tool=memcheck", exe], stdin=prog["stdin"], timeout=300)
    out["memcheck"], out["memcheck_rss"] = v.wall_ms, v.maxrss_mb
    return out


def new_peer_row():
    return {"wall": [], "status": None, "statuses": [], "records": None, "steps": None,
            "detail": ""}


def add_peer_run(row, peer, prog, env):
    """One run of See++'s pipeline into row (new_peer_row): its time, and
    what it produced (the last run's; every run's status is kept)."""
    if prog["name"] in NO_BASELINE_RUN:
        return
    pr = peer.run(prog, env)
    row["wall"].append(pr["wall"])
    row["statuses"].append(pr["status"])
    for k in ("status", "records", "steps", "detail"):
        row[k] = pr[k]


def measure_programs(tr, progs, variants, runs, slow_runs, work, log, peer=None):
    """Timed rounds; the first slow_runs of them also run the baselines, the
    Valgrind-based engines and See++'s pipeline (peer, when built). Returns
    one row per program, every sample."""
    rows = {p["name"]: {"program": p["name"], "lang": p["lang"],
                        "fast": {"wall": [], "compile": [], "trace": [], "total": []},
                        "memcheck": {"wall": [], "compile": [], "trace": [], "memcheck": [],
                                     "total": []},
                        "vgengine": {"wall": [], "total": []},
                        "base": {"cc": [], "memcheck": [], "pipeline": []},
                        "peer": new_peer_row(),
                        "steps": None, "outcome": None, "used_pch": None,
                        "response_bytes": None, "memcheck_ran": None}
            for p in progs}
    for i in range(runs):
        for p in progs:
            row = rows[p["name"]]
            r, j = tr.cli(p)
            tm = j.get("timingsMs") or {}
            f = row["fast"]
            f["wall"].append(r.wall_ms)
            f["compile"].append(tm.get("compile"))
            f["trace"].append(tm.get("trace"))
            f["total"].append(tm.get("total"))
            row["steps"], row["outcome"] = steps_of(j), j.get("outcome")
            row["used_pch"], row["response_bytes"] = j.get("usedPch"), len(r.out)
            slow = i < slow_runs  # the Valgrind-based runs take seconds each
            if slow and variants["memcheck"]["available"]:
                r, j = tr.cli(p, ["--memcheck"])
                tm = j.get("timingsMs") or {}
                m = row["memcheck"]
                m["wall"].append(r.wall_ms)
                for k in ("compile", "trace", "memcheck", "total"):
                    m[k].append(tm.get(k))
                row["memcheck_ran"] = bool((j.get("memcheck") or {}).get("ran"))
            if slow and variants["valgrind_engine"]["available"]:
                r, j = tr.cli(p, ["--engine", "valgrind"])
                row["vgengine"]["wall"].append(r.wall_ms)
                row["vgengine"]["total"].append((j.get("timingsMs") or {}).get("total"))
            if slow:
                b = baseline(p, work)
                bb = row["base"]
                bb["cc"].append(b["cc"])
                bb["memcheck"].append(b["memcheck"])
                bb["pipeline"].append(b["cc"] + b["memcheck"] if b["memcheck"] is not None
                                      else None)
                if peer and peer.available:
                    add_peer_run(row["peer"], peer, p, tr.env)
        log("round %d/%d done" % (i + 1, runs))
    out = []
    for p in progs:
        row = rows[p["name"]]
        for part in ("fast", "memcheck", "vgengine", "base"):
            row[part] = {k: stats(v) for k, v in row[part].items()}
        row["peer"]["wall"] = stats(row["peer"]["wall"])
        out.append(row)
    return out


def measure_per_step(tr, runs, tmpdir):
    """Tracer time per step on a one-line loop: (trace ms at 10 000 steps -
    trace ms at 100 steps) / (step difference), per run; start-up, compile and
    the runtime object's work cancel out."""
    path = os.path.join(tmpdir, "loop.c")
    with open(path, "w") as f:
        f.write(LOOP)
    prog = {"name": "loop.c", "path": path, "stdin": b"", "lang": "c"}
    us, walls = [], []
    for _ in range(runs):
        t = {}
        for n in (100, 10000):
            r, j = tr.cli(prog, ["--max-steps", str(n)])
            t[n] = (j["timingsMs"]["trace"], steps_of(j), r.wall_ms)
        d = t[10000][1] - t[100][1]
        if d <= 0:
            raise BenchError("loop program gave %d and %d steps" % (t[100][1], t[10000][1]))
        us.append((t[10000][0] - t[100][0]) * 1000.0 / d)
        walls.append(t[10000][2])
    return {"us_per_step": stats(us), "wall_10000": stats(walls), "steps": t[10000][1]}


def build_rss_probe(dest_dir):
    so = os.path.join(dest_dir, "rss_probe.so")
    p = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", so,
                        os.path.join(HERE, "rss_probe.c")], capture_output=True)
    if p.returncode != 0:
        raise BenchError("cannot build rss_probe.so: %s" % p.stderr.decode(errors="replace"))
    return so


def measure_memory(tr, progs, runs, probe_so, tmpdir):
    """Peak RSS per program, MiB: tracer process alone, whole tree (sampled
    sum), largest single process of the tree (wait4)."""
    out = {}
    for p in progs:
        own, tree, single = [], [], []
        for k in range(runs):
            rec = os.path.join(tmpdir, "rss-%s-%d.txt" % (p["name"], k))
            env = {"LD_PRELOAD": probe_so, "SPP_BENCH_RSS_OUT": rec}
            r, _ = tr.cli(p, extra_env=env, watch=lambda pid: TreeSampler(pid).start())
            mine = None
            try:
                with open(rec) as f:
                    for line in f:
                        pid, kb = line.split()
                        if int(pid) == r.pid:
                            mine = int(kb) / 1024.0
            except OSError:
                pass
            own.append(mine)
            single.append(r.maxrss_mb)
            tree.append(max(r.watched, r.maxrss_mb))
        out[p["name"]] = {"tracer": stats(own), "tree": stats(tree), "largest": stats(single)}
    return out

#!/usr/bin/env python3
"""agent.py - the agent engine (docs/agent.md) against the ptrace engine, in
one invocation on one machine, on the sample programs and the student-size
corpus (tests/programs/student), and the Lambda-like served path it makes
possible against g++ + valgrind. `make bench` runs it as bench.py's "agent"
section; alone it writes bench/results/agent-<date>.md and .json.

Rounds are interleaved: each round runs every program once with each
variant, so a load spike lands on all of them.

  native      spp-trace --engine ptrace / --engine agent through the CLI:
              wall clock and the response's timingsMs.trace
  lambda-like spp-trace --engine agent under tests/support/lambda_like (not
              root; ptrace, unshare, setuid denied), memory read with
              process_vm_readv, and once more with SPP_AGENT_READS=channel
              (every read a round trip to the agent, as where
              process_vm_readv is denied)
  served      build/bootstrap under lambda_like behind the Runtime API
              emulator, warm requests with "memcheck": false (engine auto:
              the agent there), billed time (delivery -> response); against
              `g++ -g -O0 && valgrind --tool=memcheck` of the same program in
              the same round

Targets (issue 12): agent <= 1.2x ptrace on every program; the served path
without memcheck <= 0.25x of cc + valgrind. Asserts nothing.

    python3 bench/agent.py [--rounds N] [--baseline-rounds N] [--programs 01,fib]
"""
import argparse
import datetime
import json
import os
import sys
import tempfile
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import bench as B  # noqa: E402
import programs as P  # noqa: E402
import service  # noqa: E402
import student  # noqa: E402
from common import BenchError, LoadWatch, dump_json, run, stats  # noqa: E402


def trace_ms(j):
    return float((j.get("timingsMs") or {}).get("trace") or 0.0)


def cli(spp, env, prog, engine, wrapper=(), extra_env=None):
    """One CLI run, through wrapper if any: (wall ms, trace ms, engine)."""
    args = list(wrapper) + [spp, "--no-cache", "--format", "response", "--engine", engine]
    if prog["stdin"]:
        args += ["--stdin", prog["stdin_file"]]
    r = run(args + [prog["path"]], env=dict(env, **(extra_env or {})), timeout=60)
    try:
        j = json.loads(r.out)
    except ValueError:
        raise BenchError("no response for %s (%s%s): %s" % (
            prog["name"], engine, " under " + wrapper[0] if wrapper else "",
            r.err.decode(errors="replace")[-300:]))
    return r.wall_ms, trace_ms(j), j.get("engine")


def ratio(a, b):
    return a / b if a and b else None


def copy_programs(progs, dest):
    """progs with their source (and stdin) copied where lambda_like's uid
    can read them."""
    out = []
    for p in progs:
        q = dict(p)
        q["path"] = os.path.join(dest, p["name"])
        shutil.copy(p["path"], q["path"])
        os.chmod(q["path"], 0o644)
        if p["stdin"]:
            q["stdin_file"] = q["path"] + ".stdin"
            with open(q["stdin_file"], "wb") as f:
                f.write(p["stdin"])
            os.chmod(q["stdin_file"], 0o644)
        out.append(q)
    return out


def measure(bin_dir, src_root, base_env, sets, rounds, baseline_rounds, tmp, log):
    """sets: [(set name, programs)]. Every round runs every program of every
    set once in each variant; the cc + valgrind baseline runs in the first
    baseline_rounds rounds. Returns {"rounds", "load", "rows", "samples"}."""
    spp = os.path.join(bin_dir, "spp-trace")
    ll = B.build_lambda_like(src_root, tmp)
    if not ll:
        raise BenchError("cannot build lambda_like")
    env = B.open_env(base_env, tmp)  # reachable by lambda_like's uid too
    src_dir = tempfile.mkdtemp(prefix="agent-src-", dir=tmp)
    os.chmod(src_dir, 0o755)
    sets = [(name, copy_programs(progs, src_dir)) for name, progs in sets]
    r = run([spp, "--warm-pch"], env=env, timeout=300)
    if r.rc != 0:
        raise BenchError("--warm-pch failed")
    work = tempfile.mkdtemp(prefix="base-", dir=tmp)
    keys = ["ptrace", "agent", "agent_ll", "agent_ll_channel", "served", "cc_valgrind",
            "ptrace_wall", "agent_wall"]
    samples = {p["name"]: {k: [] for k in keys} for _, progs in sets for p in progs}
    engines = {n: set() for n in samples}
    boot = service.Bootstrap(os.path.join(bin_dir, "bootstrap"), env, tmp, wrapper=[ll, "--"])
    boot.launch()
    load = LoadWatch().start()
    try:
        for rnd in range(rounds):
            for _, progs in sets:
                for p in progs:
                    one_round(spp, env, ll, boot, p, samples[p["name"]], engines[p["name"]],
                              work if rnd < baseline_rounds else None)
            log("agent: round %d of %d done" % (rnd + 1, rounds))
    finally:
        boot.close()
    lw = load.stop()
    rows = []
    for set_name, progs in sets:
        for p in progs:
            n = p["name"]
            med = {k: (stats(v)["median"] if v else None) for k, v in samples[n].items()}
            rows.append({"set": set_name, "program": n, "median_ms": med,
                         "engines": sorted(map(str, engines[n])),
                         "agent_vs_ptrace_trace": ratio(med["agent"], med["ptrace"]),
                         "agent_vs_ptrace_wall": ratio(med["agent_wall"], med["ptrace_wall"]),
                         "agent_ll_vs_ptrace_trace": ratio(med["agent_ll"], med["ptrace"]),
                         "served_vs_cc_valgrind": ratio(med["served"], med["cc_valgrind"])})
    return {"rounds": rounds, "baseline_rounds": min(rounds, baseline_rounds), "load": lw,
            "rows": rows, "samples": samples}


def one_round(spp, env, ll, boot, p, s, engines, work):
    """Each variant once for program p, samples appended to s."""
    w, t, _ = cli(spp, env, p, "ptrace")
    s["ptrace"].append(t)
    s["ptrace_wall"].append(w)
    w, t, e = cli(spp, env, p, "agent")
    s["agent"].append(t)
    s["agent_wall"].append(w)
    engines.add(e)
    _, t, e = cli(spp, env, p, "agent", wrapper=[ll, "--"])
    s["agent_ll"].append(t)
    engines.add(e)
    _, t, e = cli(spp, env, p, "agent", wrapper=[ll, "--"],
                  extra_env={"SPP_AGENT_READS": "channel"})
    s["agent_ll_channel"].append(t)
    req = service.request_for(p)
    req["memcheck"] = False
    _, inv = boot.invoke(req)
    j = service._resp(inv, boot)
    engines.add(j.get("engine"))
    s["served"].append((inv.response_at - inv.delivered_at) * 1000.0)
    if work and p["name"] not in P.NO_BASELINE_RUN:
        b = P.baseline(p, work)
        if b["memcheck"] is not None:
            s["cc_valgrind"].append(b["cc"] + b["memcheck"])


def write(res, out_dir, started, log):
    """bench/results/agent-<date>.md and .json; returns the markdown."""
    date = started.strftime("%Y-%m-%d")
    os.makedirs(out_dir, exist_ok=True)
    base = os.path.join(out_dir, "agent-%s" % date)
    dump_json(base + ".json", dict(res, date=started.isoformat(timespec="seconds")))
    md = render(res["rows"], res["rounds"], started, res["load"])
    with open(base + ".md", "w") as f:
        f.write(md)
    log("wrote %s.md and .json" % base)
    return md


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline-rounds", type=int, default=None,
                    help="rounds that also run cc + valgrind (default: all)")
    ap.add_argument("--programs", default="", help="comma-separated name substrings")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    build_dir = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
    tmp = tempfile.mkdtemp(prefix="spp-bench-agent-")
    os.chmod(tmp, 0o755)
    try:
        bin_dir = B.snapshot(build_dir, tmp)
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                    "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
        only = [x for x in a.programs.split(",") if x]
        started = datetime.datetime.now()
        res = measure(bin_dir, ROOT, base_env, program_sets(os.environ.get("SPP_PROGRAMS") or
                                                            os.path.join(ROOT, "..", "shared",
                                                                         "programs"), ROOT, only),
                      a.rounds, a.rounds if a.baseline_rounds is None else a.baseline_rounds,
                      tmp, B.log)
        print(write(res, a.out, started, B.log))
    except BenchError as e:
        B.log("error: %s" % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def program_sets(programs_dir, src_root, only=()):
    """The sample programs and the student-size corpus (filtered by only;
    a set left empty by the filter is dropped)."""
    sets = []
    for name, d in (("samples", programs_dir), ("student", student.corpus_dir(src_root))):
        try:
            sets.append((name, P.find_programs(d, list(only))))
        except BenchError:
            if not only:
                raise
    return sets


def fmt(x, unit=""):
    return "—" if x is None else ("%.2f%s" % (x, unit) if unit == "x" else "%.1f" % x)


def spread(xs):
    """max and median of the ratios that exist, as text."""
    xs = sorted(x for x in xs if x)
    return (xs[-1], xs[len(xs) // 2]) if xs else (None, None)


def verdict(mx, target):
    return "not measured" if mx is None else ("met" if mx <= target else "MISSED")


def render(rows, rounds, started, lw):
    out = ["# Agent engine vs ptrace engine (%s)" % started.isoformat(timespec="seconds"), "",
           "Medians of %d interleaved rounds (each round runs every program once in every "
           "variant), one machine, one invocation: the ptrace baseline is from the same rounds. "
           "Trace ms = the response's timingsMs.trace (start of the program to its end, "
           "stepping included); wall = the whole CLI run (compile included). Lambda-like = "
           "under tests/support/lambda_like (not root; ptrace, unshare, setuid denied), memory "
           "read with process_vm_readv, and once more over the agent's channel "
           "(SPP_AGENT_READS=channel). Served = build/bootstrap under lambda_like, warm, "
           "\"memcheck\": false, billed (delivery -> response), against `cc -g -O0 && valgrind "
           "--tool=memcheck` of the same program. Load average %s before, %s after; other "
           "processes used %s of the CPU."
           % (rounds, lw["load_before"], lw["load_after"], lw["others_cpu_share"]), ""]
    for set_name in sorted({r["set"] for r in rows}, key=lambda x: x != "samples"):
        rs = [r for r in rows if r["set"] == set_name]
        out += ["## %s" % ("Sample programs (../shared/programs)" if set_name == "samples" else
                           "Student-size corpus (tests/programs/student)"), "",
                "| program | ptrace trace ms | agent trace ms | agent ÷ ptrace (trace) | "
                "agent ÷ ptrace (wall) | agent lambda-like ms | lambda-like ÷ ptrace | same, "
                "reads over the channel ms | served lambda-like ms | cc + valgrind ms | "
                "served ÷ (cc + valgrind) | engines |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rs:
            m = r["median_ms"]
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["program"], fmt(m["ptrace"]), fmt(m["agent"]),
                fmt(r["agent_vs_ptrace_trace"], "x"), fmt(r["agent_vs_ptrace_wall"], "x"),
                fmt(m["agent_ll"]), fmt(r["agent_ll_vs_ptrace_trace"], "x"),
                fmt(m["agent_ll_channel"]), fmt(m["served"]), fmt(m["cc_valgrind"]),
                fmt(r["served_vs_cc_valgrind"], "x"), "/".join(r["engines"])))
        out += [""] + summary(rs) + [""]
    return "\n".join(out)


def summary(rows):
    """The targets of issue 12 judged on rows (a list of markdown lines)."""
    out = []
    for key, what, target in (("agent_vs_ptrace_trace", "agent ÷ ptrace, trace time", 1.2),
                              ("agent_ll_vs_ptrace_trace",
                               "agent lambda-like ÷ ptrace native, trace time", 1.2),
                              ("agent_vs_ptrace_wall", "agent ÷ ptrace, whole run", None),
                              ("served_vs_cc_valgrind",
                               "served lambda-like (no memcheck) ÷ (cc + valgrind)", 0.25)):
        mx, med = spread(r[key] for r in rows)
        if mx is None:
            out.append("- %s: not measured" % what)
            continue
        out.append("- %s: max %.2fx, median %.2fx%s" % (
            what, mx, med, " (target <= %.2gx each: %s)" % (target, verdict(mx, target))
            if target else ""))
    return out


def markdown(res):
    """The section of bench.py's report (a list of lines)."""
    if not res:
        return []
    started = datetime.datetime.fromisoformat(res["date"]) if res.get("date") else \
        datetime.datetime.now()
    return render(res["rows"], res["rounds"], started, res["load"]).split("\n")[2:]


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""agent.py - the agent engine (docs/agent.md) against the ptrace engine, in
one invocation on one machine, and the Lambda-like served path it makes
possible against g++ + valgrind.

Rounds are interleaved: each round runs every sample program once with each
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
without memcheck <= 0.25x of cc + valgrind. Writes
bench/results/agent-<date>.md and .json; asserts nothing.

    python3 bench/agent.py [--rounds N] [--programs 01,02]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--programs", default="", help="comma-separated name prefixes")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    log = B.log
    build_dir = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
    tmp = tempfile.mkdtemp(prefix="spp-bench-agent-")
    os.chmod(tmp, 0o755)
    try:
        bin_dir = B.snapshot(build_dir, tmp)
        spp = os.path.join(bin_dir, "spp-trace")
        ll = B.build_lambda_like(ROOT, tmp)
        if not ll:
            raise BenchError("cannot build lambda_like")
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
                    "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
        env = B.open_env(base_env, tmp)  # reachable by lambda_like's uid too
        progs = P.find_programs(os.environ.get("SPP_PROGRAMS") or
                                os.path.join(ROOT, "..", "shared", "programs"),
                                [x for x in a.programs.split(",") if x])
        for p in progs:
            if p["stdin"]:
                p["stdin_file"] = os.path.join(env["TMPDIR"], p["name"] + ".stdin")
                with open(p["stdin_file"], "wb") as f:
                    f.write(p["stdin"])
                os.chmod(p["stdin_file"], 0o644)
        r = run([spp, "--warm-pch"], env=env, timeout=300)
        if r.rc != 0:
            raise BenchError("--warm-pch failed")
        work = tempfile.mkdtemp(prefix="base-", dir=tmp)
        names = [p["name"] for p in progs]
        keys = ["ptrace", "agent", "agent_ll", "agent_ll_channel", "served", "cc_valgrind"]
        samples = {n: {k: [] for k in keys + ["ptrace_wall", "agent_wall"]} for n in names}
        engines = {n: set() for n in names}
        boot = service.Bootstrap(os.path.join(bin_dir, "bootstrap"), env, tmp, wrapper=[ll, "--"])
        boot.launch()
        load = LoadWatch().start()
        started = datetime.datetime.now()
        for rnd in range(a.rounds):
            for p in progs:
                n = p["name"]
                s = samples[n]
                w, t, _ = cli(spp, env, p, "ptrace")
                s["ptrace"].append(t)
                s["ptrace_wall"].append(w)
                w, t, e = cli(spp, env, p, "agent")
                s["agent"].append(t)
                s["agent_wall"].append(w)
                engines[n].add(e)
                _, t, e = cli(spp, env, p, "agent", wrapper=[ll, "--"])
                s["agent_ll"].append(t)
                engines[n].add(e)
                _, t, e = cli(spp, env, p, "agent", wrapper=[ll, "--"],
                              extra_env={"SPP_AGENT_READS": "channel"})
                s["agent_ll_channel"].append(t)
                req = service.request_for(p)
                req["memcheck"] = False
                t0, inv = boot.invoke(req)
                j = service._resp(inv, boot)
                engines[n].add(j.get("engine"))
                s["served"].append((inv.response_at - inv.delivered_at) * 1000.0)
                if p["name"] not in P.NO_BASELINE_RUN:
                    b = P.baseline(p, work, with_rvi=False)
                    if b["memcheck"] is not None:
                        s["cc_valgrind"].append(b["cc"] + b["memcheck"])
            log("round %d of %d done" % (rnd + 1, a.rounds))
        boot.close()
        lw = load.stop()
        rows = []
        for n in names:
            s = samples[n]
            med = {k: (stats(v)["median"] if v else None) for k, v in s.items()}
            rows.append({"program": n, "median_ms": med, "engines": sorted(map(str, engines[n])),
                         "agent_vs_ptrace_trace": ratio(med["agent"], med["ptrace"]),
                         "agent_vs_ptrace_wall": ratio(med["agent_wall"], med["ptrace_wall"]),
                         "agent_ll_vs_ptrace_trace": ratio(med["agent_ll"], med["ptrace"]),
                         "served_vs_cc_valgrind": ratio(med["served"], med["cc_valgrind"])})
        date = started.strftime("%Y-%m-%d")
        os.makedirs(a.out, exist_ok=True)
        base = os.path.join(a.out, "agent-%s" % date)
        dump_json(base + ".json", {"date": started.isoformat(timespec="seconds"),
                                   "rounds": a.rounds, "load": lw, "rows": rows,
                                   "samples": samples})
        with open(base + ".md", "w") as f:
            f.write(render(rows, a.rounds, started, lw))
        print(render(rows, a.rounds, started, lw))
        log("wrote %s.md and .json" % base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fmt(x, unit=""):
    return "—" if x is None else ("%.2f%s" % (x, unit) if unit == "x" else "%.1f" % x)


def render(rows, rounds, started, lw):
    out = ["# Agent engine vs ptrace engine (%s)" % started.isoformat(timespec="seconds"), "",
           "`python3 bench/agent.py --rounds %d`: medians of %d interleaved rounds, one machine, "
           "one invocation. Trace ms = the response's timingsMs.trace (start of the program to "
           "its end, stepping included); wall = the whole CLI run (compile included). Served = "
           "build/bootstrap under lambda_like, warm, \"memcheck\": false, billed (delivery -> "
           "response). Load average %s before, %s after; other processes used %s of the CPU."
           % (rounds, rounds, lw["load_before"], lw["load_after"], lw["others_cpu_share"]), "",
           "| program | ptrace trace ms | agent trace ms | agent ÷ ptrace (trace) | agent ÷ ptrace "
           "(wall) | agent lambda-like ms | same, reads over the channel ms | served lambda-like "
           "ms | cc + valgrind ms | served ÷ (cc + valgrind) | engines |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m = r["median_ms"]
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["program"], fmt(m["ptrace"]), fmt(m["agent"]), fmt(r["agent_vs_ptrace_trace"], "x"),
            fmt(r["agent_vs_ptrace_wall"], "x"), fmt(m["agent_ll"]), fmt(m["agent_ll_channel"]),
            fmt(m["served"]), fmt(m["cc_valgrind"]), fmt(r["served_vs_cc_valgrind"], "x"),
            "/".join(r["engines"])))
    tr = [r["agent_vs_ptrace_trace"] for r in rows if r["agent_vs_ptrace_trace"]]
    wl = [r["agent_vs_ptrace_wall"] for r in rows if r["agent_vs_ptrace_wall"]]
    sv = [r["served_vs_cc_valgrind"] for r in rows if r["served_vs_cc_valgrind"]]
    out += ["",
            "- agent ÷ ptrace, trace time: max %.2fx, median %.2fx (target <= 1.2x each: %s)"
            % (max(tr), sorted(tr)[len(tr) // 2], "met" if max(tr) <= 1.2 else "MISSED"),
            "- agent ÷ ptrace, whole run: max %.2fx, median %.2fx" % (max(wl),
                                                                    sorted(wl)[len(wl) // 2]),
            "- served lambda-like (no memcheck) ÷ (cc + valgrind): max %.2fx, median %.2fx "
            "(target <= 0.25x each: %s)" % (max(sv), sorted(sv)[len(sv) // 2],
                                            "met" if max(sv) <= 0.25 else "MISSED"), ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())

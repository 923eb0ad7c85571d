#!/usr/bin/env python3
"""served.py - the Lambda-like served path of the student-size corpus
(tests/programs/student), request by request, with where its time goes,
against `cc -g -O0 && valgrind --tool=memcheck` of the same program in the
same rounds (issue 12: served without memcheck <= 0.25x of that). With
--before BUILD_DIR the same rounds also serve every request with that build
(e.g. main before a change): the ratios before and after come from one
invocation, under one load.

Served = bootstrap under tests/support/lambda_like (not root; ptrace,
unshare, setuid denied: the agent engine) behind the Runtime API emulator,
warm, "memcheck": false, each request distinct (a cache miss, stored).
The precompiled headers are the image's (--warm-pch) and no others: the
spill directory is off (SPP_PCH_SPILL_DIR=none), as in a new execution
environment, and in every one where neither Landlock nor a mount namespace
is offered (lambda/README.md).

Where a request's time goes (medians; from the emulator's clock, the
response's timingsMs and the bootstrap's log lines):
  served       /next delivery -> /response received (what the caller waits)
  compile      timingsMs.compile
  trace        timingsMs.trace (the program under the agent, stepping included)
  tracer rest  the tracer process's wall minus the two: exec, set-up, the
               response's encoding and writing
  cache        the handler's store of the response in the local cache tier
  handler      the rest of the bootstrap's work before it posts: parsing the
               event, spawning the tracer, reading its pipes, wrapping the reply
  api          served minus the bootstrap's time to the start of its POST:
               receiving the invocation, sending the response's bytes

    python3 bench/served.py [--rounds N] [--before BUILD_DIR] [--programs bfs,fib]
Asserts nothing.
"""
import argparse
import datetime
import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import agent as A  # noqa: E402
import bench as B  # noqa: E402
import programs as P  # noqa: E402
import service  # noqa: E402
import student  # noqa: E402
from common import BenchError, LoadWatch, dump_json, run, stats  # noqa: E402

TARGET = 0.25
PARTS = ["compile", "trace", "tracer_rest", "cache", "handler", "api"]
TRACER_RE = re.compile(r"tracer ran (\d+) ms \(exit \d+, (\d+) bytes[^)]*\); cache store (\d+) ms")
POST_RE = re.compile(r"request (\S+): response status \d+[^,]*, \d+ bytes, ([\d.]+) ms "
                     r"\(posting ([\d.]+)\)")


class Served:
    """One build's bootstrap under lambda_like, and the log read so far."""

    def __init__(self, name, bin_dir, env, tmp, ll):
        self.name = name
        self.boot = service.Bootstrap(os.path.join(bin_dir, "bootstrap"), env, tmp,
                                      extra_env={"SPP_PCH_SPILL_DIR": "none"},
                                      wrapper=[ll, "--"])
        self.seen = 0

    def log_of(self, request_id):
        """The log since the last request, up to this one's last line (the
        runtime writes it once the emulator has answered its POST, which
        may be after the invocation counts as done)."""
        text = b""
        until = time.monotonic() + 10
        while True:
            self.boot.log.seek(self.seen)
            more = self.boot.log.read()
            self.seen += len(more)
            text += more
            if ("request %s: " % request_id).encode() in text or time.monotonic() > until:
                return text.decode(errors="replace")
            time.sleep(0.01)

    def serve(self, prog):
        """One distinct request: {"served", parts..., "pch", "engine", "bytes"}."""
        req = service.request_for(prog)
        req["memcheck"] = False
        _, inv = self.boot.invoke(req)
        j = service._resp(inv, self.boot)
        served = (inv.response_at - inv.delivered_at) * 1000.0
        tm = j.get("timingsMs") or {}
        out = {"served": served, "compile": float(tm.get("compile") or 0),
               "trace": float(tm.get("trace") or 0), "pch": bool(j.get("usedPch")),
               "engine": j.get("engine"), "bytes": len(inv.response)}
        log = self.log_of(inv.request_id)
        t, p = TRACER_RE.search(log), POST_RE.search(log)
        if t and p and p.group(1) == inv.request_id:
            # the runtime's posting time also holds the emulator's 202, after
            # response_at: what it adds is taken from the emulator's clock
            tracer, cache = float(t.group(1)), float(t.group(3))
            handled = float(p.group(2)) - float(p.group(3))
            out.update(tracer_rest=max(0.0, tracer - out["compile"] - out["trace"]),
                       cache=cache, handler=max(0.0, handled - tracer - cache),
                       api=max(0.0, served - handled))
        return out


def snapshot(build_dir, tmp, name):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    os.chmod(d, 0o755)
    bin_dir = B.snapshot(build_dir, d)
    r = run([os.path.join(bin_dir, "spp-trace"), "--warm-pch"], timeout=600)
    if r.rc != 0:
        raise BenchError("%s: --warm-pch failed: %s" % (build_dir, r.err.decode()[-300:]))
    return bin_dir


def measure(builds, progs, rounds, baseline_rounds, tmp, log):
    """builds: [(name, build dir)]. Interleaved: every round serves every
    program once with each build, then runs its baseline."""
    ll = B.build_lambda_like(ROOT, tmp)
    if not ll:
        raise BenchError("cannot build lambda_like")
    env = B.open_env({"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}, tmp)
    src_dir = tempfile.mkdtemp(prefix="served-src-", dir=tmp)
    os.chmod(src_dir, 0o755)
    progs = A.copy_programs(progs, src_dir)
    servers = [Served(n, snapshot(d, tmp, "build-" + n), env, tmp, ll) for n, d in builds]
    work = tempfile.mkdtemp(prefix="base-", dir=tmp)
    samples = {p["name"]: {"cc_valgrind": [], **{s.name: [] for s in servers}} for p in progs}
    for s in servers:
        s.boot.launch()
    load = LoadWatch().start()
    try:
        for s in servers:  # each environment's first request is its cold one
            s.serve(progs[0])
        for rnd in range(rounds):
            for p in progs:
                for s in servers:
                    samples[p["name"]][s.name].append(s.serve(p))
                if rnd < baseline_rounds and p["name"] not in P.NO_BASELINE_RUN:
                    b = P.baseline(p, work)
                    if b["memcheck"] is not None:
                        samples[p["name"]]["cc_valgrind"].append(b["cc"] + b["memcheck"])
            log("served: round %d of %d done" % (rnd + 1, rounds))
    finally:
        for s in servers:
            s.boot.close()
    lw = load.stop()
    rows = []
    for p in progs:
        smp = samples[p["name"]]
        base = stats(smp["cc_valgrind"])["median"]
        row = {"program": p["name"], "cc_valgrind": base, "builds": {}}
        for s in servers:
            xs = smp[s.name]
            med = {k: stats([x.get(k) for x in xs])["median"] for k in ["served"] + PARTS}
            row["builds"][s.name] = {
                "median_ms": med, "ratio": A.ratio(med["served"], base),
                "pch": sorted({x["pch"] for x in xs}), "engines": sorted({str(x["engine"]) for x in xs}),
                "bytes": stats([x["bytes"] for x in xs])["median"]}
        rows.append(row)
    return {"rounds": rounds, "baseline_rounds": min(rounds, baseline_rounds), "load": lw,
            "builds": [n for n, _ in builds], "rows": rows, "samples": samples}


def fmt(x, unit=""):
    return "—" if x is None else ("%.2f%s" % (x, unit) if unit == "x" else "%.0f" % x)


def render(res, started):
    lw = res["load"]
    names = res["builds"]
    last = names[-1]
    out = ["# The Lambda-like served path, student corpus (%s)" % started.isoformat(timespec="seconds"),
           "",
           "Medians of %d interleaved rounds (each round serves every program once with each "
           "build, then runs `cc -g -O0 && valgrind --tool=memcheck` of it in the first %d "
           "rounds), one machine, one invocation. Served = `bootstrap` under "
           "tests/support/lambda_like (agent engine) behind the Runtime API emulator, warm, "
           "`\"memcheck\": false`, every request distinct; the image's PCHs only "
           "(`--warm-pch`, no spill directory). Builds: %s. Load average %s before, %s after; "
           "other processes used %s of the CPU." % (
               res["rounds"], res["baseline_rounds"], ", ".join(names), lw["load_before"],
               lw["load_after"], lw["others_cpu_share"]),
           "",
           "| program | cc + valgrind ms | " +
           " | ".join("%s served ms | %s ÷ (cc + valgrind) | %s compile ms | %s trace ms | %s PCH"
                      % ((n,) * 5) for n in names) + " |",
           "|---|---|" + "---|---|---|---|---|" * len(names)]
    for r in res["rows"]:
        cells = []
        for n in names:
            b = r["builds"][n]
            cells += [fmt(b["median_ms"]["served"]), fmt(b["ratio"], "x"),
                      fmt(b["median_ms"]["compile"]), fmt(b["median_ms"]["trace"]),
                      "/".join("yes" if x else "no" for x in b["pch"])]
        out.append("| %s | %s | %s |" % (r["program"], fmt(r["cc_valgrind"]), " | ".join(cells)))
    out += ["", "Where the time of `%s` goes (ms, medians of each part; they need not add up to "
            "the served median):" % last, "",
            "| program | served | compile | trace | tracer rest (exec, set-up, encoding) | "
            "cache store | handler | Runtime API | 0.25x of cc + valgrind | over it by |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["rows"]:
        m = r["builds"][last]["median_ms"]
        goal = r["cc_valgrind"] * TARGET if r["cc_valgrind"] else None
        over = m["served"] - goal if goal is not None and m["served"] is not None else None
        out.append("| %s | %s | %s |" % (r["program"], " | ".join(fmt(m[k]) for k in ["served"] + PARTS),
                                         " | ".join([fmt(goal), fmt(over)])))
    out += [""] + summary(res)
    return "\n".join(out) + "\n"


def summary(res):
    lines = []
    for n in res["builds"]:
        xs = sorted(r["builds"][n]["ratio"] for r in res["rows"] if r["builds"][n]["ratio"])
        if xs:
            met = sum(1 for x in xs if x <= TARGET)
            lines.append("- %s: served ÷ (cc + valgrind) median %.2fx, min %.2fx, max %.2fx; "
                         "%d of %d programs <= %.2fx" % (n, xs[len(xs) // 2], xs[0], xs[-1], met,
                                                         len(xs), TARGET))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline-rounds", type=int, default=None)
    ap.add_argument("--before", help="a build directory served beside build/ in the same rounds")
    ap.add_argument("--programs", default="", help="comma-separated name substrings")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    a = ap.parse_args()
    build_dir = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
    builds = ([("before", a.before)] if a.before else []) + [("after" if a.before else "build",
                                                              build_dir)]
    progs = P.find_programs(student.corpus_dir(ROOT), [x for x in a.programs.split(",") if x])
    with tempfile.TemporaryDirectory(prefix="spp-bench-served-") as tmp:
        os.chmod(tmp, 0o755)
        started = datetime.datetime.now()
        try:
            res = measure(builds, progs, a.rounds,
                          a.rounds if a.baseline_rounds is None else a.baseline_rounds, tmp, B.log)
        except BenchError as e:
            B.log("error: %s" % e)
            return 1
    os.makedirs(a.out, exist_ok=True)
    base = os.path.join(a.out, "served-%s" % started.strftime("%Y-%m-%d"))
    dump_json(base + ".json", dict(res, date=started.isoformat(timespec="seconds")))
    md = render(res, started)
    with open(base + ".md", "w") as f:
        f.write(md)
    B.log("wrote %s.md and .json" % base)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bench.py - spp-trace against the plain pipeline, measured in one run.

For each sample program: end-to-end time of `spp-trace` split into compile
and trace (from the response's timingsMs), the number of steps and the
tracer's time per step; and, in the same invocation, the baseline the
targets are stated against: `g++ -g -O0` then `valgrind --tool=memcheck`.
A loop program with thousands of steps gives the per-step overhead with
program start-up amortised away.

Nothing here asserts: it prints what it measured and writes
bench/results/<date>.md and .json. Machines are noisy; compare only ratios
taken in one run. Usage: bench/bench.py [--runs N] [--quick]
"""
import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "spp-trace")
def _shared():
    d = os.environ.get("SPP_SHARED_DIR")
    if d:
        return d
    living = os.path.join(ROOT, "..", "shared")
    if os.path.isdir(os.path.join(living, "programs")):
        return living
    return os.path.join(ROOT, "tests", "data", "shared")


PROGRAMS = os.environ.get("SPP_PROGRAMS") or os.path.join(_shared(), "programs")
STDIN = {"10_stdin.cpp": "3 4\n"}
SKIP_BASELINE = {"14_compile_error.cpp", "13_infinite.c"}  # nothing to run / never ends


def stats(xs):
    xs = sorted(xs)
    if not xs:
        return {"median": None, "p90": None, "min": None, "max": None}
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    return {"median": statistics.median(xs), "p90": p90, "min": xs[0], "max": xs[-1]}


def timed(cmd, **kw):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, **kw)
    return (time.perf_counter() - t0) * 1000.0, p


def run_ours(path, stdin, env):
    args = [BIN, "--no-cache", "--format", "response"]
    tmp = None
    if stdin is not None:
        tmp = tempfile.NamedTemporaryFile("w", delete=False)
        tmp.write(stdin)
        tmp.close()
        args += ["--stdin", tmp.name]
    wall, p = timed(args + [path], env=env)
    if tmp:
        os.unlink(tmp.name)
    j = json.loads(p.stdout)
    steps = len(j["trace"]["trace"]) if j.get("trace") else 0
    return wall, j["timingsMs"], steps, j.get("usedPch")


def run_baseline(path, stdin, work):
    lang = "c" if path.endswith(".c") else "c++"
    src = os.path.join(work, "main.c" if lang == "c" else "main.cpp")
    shutil.copy(path, src)
    exe = os.path.join(work, "prog")
    cc = ["gcc", "-std=c11"] if lang == "c" else ["g++", "-std=c++17"]
    t_cc, p = timed(cc + ["-g", "-O0", src, "-o", exe], cwd=work)
    if p.returncode != 0:
        return t_cc, None
    t_vg, _ = timed(["valgrind", "--tool=memcheck", "-q", exe], cwd=work,
                    input=(stdin or "").encode(), timeout=120)
    return t_cc, t_vg


LOOP = r"""
int main(void) {
    unsigned long n = 0;
    for (int i = 0; i < 100000; i++) {
        n += i;
    }
    return (int)(n & 1);
}
"""


def per_step(env, runs):
    """Time per step on a long loop: (trace ms at 10000 steps - at 100 steps)
    / 9900, which cancels start-up and the runtime object's work."""
    d = tempfile.mkdtemp(prefix="spp-bench-")
    path = os.path.join(d, "loop.c")
    with open(path, "w") as f:
        f.write(LOOP)
    out = []
    for _ in range(runs):
        t = {}
        for n in (100, 10000):
            p = subprocess.run([BIN, "--no-cache", "--format", "response", "--max-steps",
                                str(n), path], capture_output=True, env=env)
            j = json.loads(p.stdout)
            t[n] = (j["timingsMs"]["trace"], len(j["trace"]["trace"]))
        out.append((t[10000][0] - t[100][0]) * 1000.0 / (t[10000][1] - t[100][1]))
    shutil.rmtree(d)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="3 runs, for a smoke check")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    a = ap.parse_args()
    runs = 3 if a.quick else a.runs
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="spp-bench-cache-")

    progs = sorted(glob.glob(os.path.join(PROGRAMS, "*.c")) +
                   glob.glob(os.path.join(PROGRAMS, "*.cpp")))
    if not progs:
        sys.exit("no programs in %s" % PROGRAMS)
    # warm the PCH cache once so every measured run sees the steady state
    for p in progs:
        run_ours(p, STDIN.get(os.path.basename(p)), env)

    rows = []
    work = tempfile.mkdtemp(prefix="spp-bench-base-")
    for p in progs:
        name = os.path.basename(p)
        stdin = STDIN.get(name)
        ours = {"wall": [], "compile": [], "trace": []}
        base = {"compile": [], "valgrind": [], "total": []}
        steps = 0
        pch = None
        for _ in range(runs):
            wall, tm, steps, pch = run_ours(p, stdin, env)
            ours["wall"].append(wall)
            ours["compile"].append(tm["compile"])
            ours["trace"].append(tm["trace"])
            if name not in SKIP_BASELINE:
                t_cc, t_vg = run_baseline(p, stdin, work)
                if t_vg is not None:
                    base["compile"].append(t_cc)
                    base["valgrind"].append(t_vg)
                    base["total"].append(t_cc + t_vg)
        row = {"program": name, "steps": steps, "pch": pch,
               "ours": {k: stats(v) for k, v in ours.items()},
               "baseline": {k: stats(v) for k, v in base.items()}}
        med_trace = row["ours"]["trace"]["median"]
        row["us_per_step"] = med_trace * 1000.0 / steps if steps else None
        bt = row["baseline"]["total"]["median"]
        row["ratio"] = row["ours"]["wall"]["median"] / bt if bt else None
        rows.append(row)
        print("%-24s steps %4d  ours %6.0f ms (cc %4.0f, trace %4.0f)  baseline %6s ms  "
              "ratio %s" % (name, steps, row["ours"]["wall"]["median"],
                            row["ours"]["compile"]["median"], med_trace,
                            "%.0f" % bt if bt else "-",
                            "%.2f" % row["ratio"] if row["ratio"] else "-"), flush=True)
    shutil.rmtree(work)

    step_us = per_step(env, runs)
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    summary = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "runs": runs,
        "cpu": platform.processor() or open("/proc/cpuinfo").read().split("model name")[1]
        .split("\n")[0].strip(": "),
        "cores": os.cpu_count(),
        "load_before": os.getloadavg(),
        "tracer_us_per_step": stats(step_us),
        "ratio_vs_gcc_valgrind": stats(ratios),
        "programs": rows,
    }
    print("tracer overhead per step (10000-step loop): median %.1f us (min %.1f, max %.1f)"
          % (summary["tracer_us_per_step"]["median"], summary["tracer_us_per_step"]["min"],
             summary["tracer_us_per_step"]["max"]))
    print("end-to-end / (g++ + valgrind): median %.2f (target <= 0.25)"
          % summary["ratio_vs_gcc_valgrind"]["median"])

    os.makedirs(a.out, exist_ok=True)
    stamp = datetime.date.today().isoformat()
    with open(os.path.join(a.out, stamp + ".json"), "w") as f:
        json.dump(summary, f, indent=1)
    with open(os.path.join(a.out, stamp + ".md"), "w") as f:
        f.write("# spp-trace benchmark %s\n\n" % summary["date"])
        f.write("%d runs per program, %s, %d cores, load before %s. Times in ms, medians "
                "(p90 in parentheses). Baseline: `g++ -g -O0` + `valgrind --tool=memcheck` "
                "of the same program, measured in the same run.\n\n"
                % (runs, summary["cpu"], summary["cores"],
                   " ".join("%.2f" % x for x in summary["load_before"])))
        f.write("| program | steps | spp-trace total | compile | trace | µs/step | "
                "g++ | valgrind | baseline total | ratio |\n|---|---|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            o, b = r["ours"], r["baseline"]
            fmt = lambda s: "%.0f (%.0f)" % (s["median"], s["p90"]) if s["median"] else "-"
            f.write("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n" % (
                r["program"], r["steps"], fmt(o["wall"]), fmt(o["compile"]), fmt(o["trace"]),
                "%.0f" % r["us_per_step"] if r["us_per_step"] else "-",
                fmt(b["compile"]), fmt(b["valgrind"]), fmt(b["total"]),
                "%.2f" % r["ratio"] if r["ratio"] else "-"))
        s = summary["tracer_us_per_step"]
        f.write("\nTracer overhead per step on a 10 000-step loop: median %.1f µs "
                "(min %.1f, max %.1f); target ≤ 60 µs.\n" % (s["median"], s["min"], s["max"]))
        r = summary["ratio_vs_gcc_valgrind"]
        f.write("End-to-end time over the baseline: median %.2f (min %.2f, max %.2f); "
                "target ≤ 0.25.\n" % (r["median"], r["min"], r["max"]))


if __name__ == "__main__":
    main()

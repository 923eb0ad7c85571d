"""encode.py - what a big trace costs outside the tracer (issue 13 item 4).

The CLI's wall clock for `--format response` of a student-size program is
compile + trace (the response's timingsMs.total) + what comes after it:
encoding the trace, traceContent and the response, and writing them. This
runs two builds of spp-trace in the same rounds (interleaved, so a load
spike lands on both), the one under test and a baseline build (e.g. main
before a change), and reports per program the medians of wall, of
timingsMs.trace and of wall - timingsMs.total ("after"), and after(new) /
after(base). With -v the build under test also says how long encoding
took ("encoded in": the trace, traceContent and the response), reported for
both builds when they print it. Also the CPU time of each run: the
spp-trace process with what it waited for (its compiler and the traced
program too, the same work for both builds, so a difference is the
tracer's), which a loaded machine disturbs less than wall time.

    python3 bench/encode.py --base /tmp/base/build/spp-trace [--runs 5]

Nothing is asserted: timings depend on the machine and its load (printed).
"""
import argparse
import json
import os
import resource
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS = ("linked_list.cpp", "vector400.cpp", "bst.cpp", "bubble_sort.c", "fib.c")
ENC_LINE = re.compile(r"encoded in (\d+) ms")


def run(binary, path):
    """One CLI run: (wall ms, response dict, encode ms or None, bytes, CPU ms)."""
    before = cpu_ms()
    t0 = time.monotonic()
    p = subprocess.run([binary, "-v", "--no-cache", "--format", "response", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    wall = (time.monotonic() - t0) * 1000.0
    cpu = cpu_ms() - before
    if p.returncode != 0:
        sys.exit("%s %s exited %d: %s" % (binary, path, p.returncode,
                                           p.stderr.decode(errors="replace")[-300:]))
    m = ENC_LINE.search(p.stderr.decode(errors="replace"))
    return wall, json.loads(p.stdout), (int(m.group(1)) if m else None), len(p.stdout), cpu


def cpu_ms():
    """User + system CPU of the children this process has waited for."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--new", default=os.path.join(ROOT, "build", "spp-trace"))
    ap.add_argument("--base", required=True, help="the baseline build's spp-trace")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    corpus = os.path.join(ROOT, "tests", "programs", "student")
    loads = [os.getloadavg()[0]]
    rows = {p: {"new": [], "base": []} for p in PROGRAMS}
    for _ in range(a.runs):
        for p in PROGRAMS:
            for which, binary in (("base", a.base), ("new", a.new)):
                wall, resp, enc, size, cpu = run(binary, os.path.join(corpus, p))
                tm = resp["timingsMs"]
                rows[p][which].append({"wall": wall, "trace": tm["trace"],
                                       "after": wall - tm["total"], "enc": enc, "cpu": cpu,
                                       "bytes": size, "steps": len(resp["trace"]["trace"])})
        loads.append(os.getloadavg()[0])
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    print("load average (1 min) during the runs: %.1f to %.1f; %d runs per build"
          % (min(loads), max(loads), a.runs))
    print("| program | steps | response MB base / new | wall base / new ms | timingsMs.trace base / new "
          "| trace new/base | CPU base / new ms | after the run base / new ms | after new/base "
          "| encoded in base / new ms | encode new/base |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for p in PROGRAMS:
        b, n = rows[p]["base"], rows[p]["new"]
        col = lambda rs, k: med([r[k] for r in rs if r[k] is not None])
        print("| %s | %d | %.1f / %.1f | %.0f / %.0f | %.0f / %.0f | %.2fx | %.0f / %.0f "
              "| %.0f / %.0f | %.2fx | %.0f / %.0f | %.2fx |" % (
            p, n[0]["steps"], b[0]["bytes"] / 1e6, n[0]["bytes"] / 1e6, col(b, "wall"), col(n, "wall"),
            col(b, "trace"), col(n, "trace"), col(n, "trace") / max(col(b, "trace"), 1.0),
            col(b, "cpu"), col(n, "cpu"), col(b, "after"), col(n, "after"),
            col(n, "after") / max(col(b, "after"), 1.0), col(b, "enc"), col(n, "enc"),
            col(n, "enc") / max(col(b, "enc"), 1.0)))


if __name__ == "__main__":
    main()

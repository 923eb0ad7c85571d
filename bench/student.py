"""student.py - the student-size corpus (tests/programs/student, issue 11).

What a served request costs on the programs a student writes, against what
that student would otherwise run: per program, in the same round, memcheck
mode (`--memcheck`, what requests default to), the plain ptrace trace, and
`cc -g -O0 && valgrind --tool=memcheck` of the same source. Reported: memcheck
mode / (cc + valgrind) per program and its median, and ms per 100 steps of
both tracer modes (CLI wall time / steps), so the growth with steps can be
compared. Targets (issue 11): every program <= 1.0x, median <= 0.8x.
"""
import os
import statistics

from common import stats
import programs as P

TARGET_EACH, TARGET_MEDIAN = 1.0, 0.8


def corpus_dir(src_root):
    return os.path.join(src_root, "tests", "programs", "student")


def measure(tr, src_root, runs, work, log):
    progs = P.find_programs(corpus_dir(src_root))
    rows = {p["name"]: {"program": p["name"], "steps": None, "outcome": None,
                        "memcheck_ran": None, "memcheck": [], "ptrace": [], "pipeline": []}
            for p in progs}
    for i in range(runs):
        for p in progs:
            row = rows[p["name"]]
            r, j = tr.cli(p, ["--memcheck"])
            row["memcheck"].append(r.wall_ms)
            row["memcheck_ran"] = bool((j.get("memcheck") or {}).get("ran"))
            r, j = tr.cli(p)
            row["ptrace"].append(r.wall_ms)
            row["steps"], row["outcome"] = P.steps_of(j), j.get("outcome")
            b = P.baseline(p, work, with_rvi=False)
            row["pipeline"].append(b["cc"] + b["memcheck"] if b["memcheck"] is not None
                                   else None)
        log("student round %d/%d done" % (i + 1, runs))
    out = []
    for p in progs:
        row = rows[p["name"]]
        for k in ("memcheck", "ptrace", "pipeline"):
            row[k] = stats(row[k])
        m, pt, base = (row[k]["median"] for k in ("memcheck", "ptrace", "pipeline"))
        row["ratio"] = m / base if m and base else None
        n = row["steps"] or 0
        row["memcheck_ms_per_100"] = m * 100.0 / n if m and n else None
        row["ptrace_ms_per_100"] = pt * 100.0 / n if pt and n else None
        log("%-20s %4d steps  memcheck mode %6.0f ms  ptrace %6.0f ms  cc+valgrind %6s ms  "
            "ratio %s" % (row["program"], n, m or 0, pt or 0,
                          "%.0f" % base if base else "-",
                          "%.2fx" % row["ratio"] if row["ratio"] else "-"))
        out.append(row)
    ratios = [r["ratio"] for r in out if r["ratio"]]
    return {"rows": out,
            "median_ratio": statistics.median(ratios) if ratios else None,
            "max_ratio": max(ratios) if ratios else None}


def markdown(st):
    """The section of the report (a list of lines)."""
    if not st:
        return []
    L = ["## Student-size programs (tests/programs/student)\n",
         "Wall time of the CLI (`--no-cache`), medians over the rounds; the pipeline is "
         "`cc -g -O0 && valgrind --tool=memcheck` of the same source in the same round. "
         "Targets: memcheck mode / pipeline <= %.1fx each, median <= %.1fx.\n"
         % (TARGET_EACH, TARGET_MEDIAN),
         "| program | steps | outcome | memcheck mode ms | ptrace ms | cc + valgrind ms | "
         "memcheck mode ÷ pipeline | ms / 100 steps: memcheck mode | ptrace |",
         "|---|---|---|---|---|---|---|---|---|"]

    def f(v, fmt="%.0f"):
        return fmt % v if v is not None else "-"
    for r in st["rows"]:
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["program"], r["steps"], r["outcome"], f(r["memcheck"]["median"]),
            f(r["ptrace"]["median"]), f(r["pipeline"]["median"]), f(r["ratio"], "%.2fx"),
            f(r["memcheck_ms_per_100"], "%.1f"), f(r["ptrace_ms_per_100"], "%.1f")))
    med, mx = st["median_ratio"], st["max_ratio"]
    if med is not None:
        L.append("\nMedian %.2fx (target <= %.1fx: %s), largest %.2fx (target <= %.1fx each: %s).\n"
                 % (med, TARGET_MEDIAN, "met" if med <= TARGET_MEDIAN else "**MISSED**", mx,
                    TARGET_EACH, "met" if mx <= TARGET_EACH else "**MISSED**"))
    return L

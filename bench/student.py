"""student.py - the student-size corpus (tests/programs/student, issue 11).

What a served request costs on the programs a student writes, against what
that student would otherwise run, all in the same round per program:
memcheck mode (`--memcheck`, what requests default to) on each engine that
has it (ptrace; the in-process agent, what AWS Lambda runs), the plain
ptrace trace, `cc -g -O0 && valgrind --tool=memcheck` of the same source,
and See++'s own pipeline where it is built (peer.py), with what it produced.

Reported per program: memcheck mode / (cc + valgrind) per engine; ms per
100 steps (CLI wall time / steps) of the plain trace and of memcheck mode;
and how each grows with steps: the same program also stopped at half its
steps (--max-steps), (wall at all steps - wall at half) / (step difference),
per 100 steps. Targets (issue 11): every program <= 1.0x, median <= 0.8x;
memcheck mode's growth no faster than the plain trace's.
"""
import os
import statistics

from common import stats
import peer as PEER
import programs as P

TARGET_EACH, TARGET_MEDIAN = 1.0, 0.8
# memcheck mode per engine: (key, label, CLI arguments)
ENGINES = (("ptrace", "ptrace", ["--engine", "ptrace", "--memcheck"]),
           ("agent", "agent", ["--engine", "agent", "--memcheck"]))


def corpus_dir(src_root):
    return os.path.join(src_root, "tests", "programs", "student")


def _new_row(name):
    row = {"program": name, "steps": None, "outcome": None, "half": None,
           "plain": [], "plain_half": [], "pipeline": [], "peer": P.new_peer_row()}
    for k, _, _ in ENGINES:
        row["mc_" + k] = []
        row["mc_%s_ran" % k] = None
        row["mc_%s_steps" % k] = None
    row["mc_ptrace_half"] = []
    return row


def measure(tr, src_root, runs, work, log, peer=None):
    progs = P.find_programs(corpus_dir(src_root))
    rows = {p["name"]: _new_row(p["name"]) for p in progs}
    for p in progs:  # the step count fixes the half-length run
        _, j = tr.cli(p)
        rows[p["name"]]["half"] = max(1, P.steps_of(j) // 2)
    for i in range(runs):
        for p in progs:
            row = rows[p["name"]]
            for k, _, args in ENGINES:
                r, j = tr.cli(p, args)
                row["mc_" + k].append(r.wall_ms)
                row["mc_%s_ran" % k] = bool((j.get("memcheck") or {}).get("ran"))
                row["mc_%s_steps" % k] = P.steps_of(j)
            half = ["--max-steps", str(row["half"])]
            r, _ = tr.cli(p, ENGINES[0][2] + half)
            row["mc_ptrace_half"].append(r.wall_ms)
            r, _ = tr.cli(p, half)
            row["plain_half"].append(r.wall_ms)
            r, j = tr.cli(p)
            row["plain"].append(r.wall_ms)
            row["steps"], row["outcome"] = P.steps_of(j), j.get("outcome")
            b = P.baseline(p, work)
            row["pipeline"].append(b["cc"] + b["memcheck"] if b["memcheck"] is not None
                                   else None)
            if peer and peer.available:
                P.add_peer_run(row["peer"], peer, p, tr.env)
        log("student round %d/%d done" % (i + 1, runs))
    out = [summarise(rows[p["name"]], log) for p in progs]
    s = {"rows": out, "engines": [k for k, _, _ in ENGINES],
         "peer": {"available": bool(peer and peer.available),
                  "note": peer.note if peer else PEER.BUILD_HINT}}
    for e, (k, _, _) in zip(verdicts(s)[0], ENGINES):
        s["median_ratio_" + k], s["max_ratio_" + k] = e.get("median"), e.get("max")
    return s


def summarise(row, log):
    for k in ["plain", "plain_half", "pipeline", "mc_ptrace_half"] + \
            ["mc_" + e for e, _, _ in ENGINES]:
        row[k] = stats(row[k])
    row["peer"]["wall"] = stats(row["peer"]["wall"])
    base = row["pipeline"]["median"]
    n = row["steps"] or 0

    def per100(ms):
        return ms * 100.0 / n if ms and n else None
    for k, _, _ in ENGINES:
        m = row["mc_" + k]["median"]
        # a memcheck mode whose Valgrind pass did not run is not memcheck mode
        row["ratio_" + k] = m / base if m and base and row["mc_%s_ran" % k] else None
        row["mc_%s_ms_per_100" % k] = per100(m)
    row["plain_ms_per_100"] = per100(row["plain"]["median"])
    d = n - row["half"] if n else 0

    def growth(full, half):
        if d <= 0 or full is None or half is None:
            return None
        return (full - half) * 100.0 / d
    row["plain_growth"] = growth(row["plain"]["median"], row["plain_half"]["median"])
    row["mc_ptrace_growth"] = growth(row["mc_ptrace"]["median"],
                                     row["mc_ptrace_half"]["median"])
    pe = row["peer"]
    row["peer_ratio"] = pe["wall"]["median"] / base if pe["wall"]["median"] and base and \
        pe["status"] != PEER.NO_COMPILE else None
    log("%-20s %4d steps  memcheck mode ptrace %6.0f ms agent %6.0f ms  plain %5.0f ms  "
        "cc+valgrind %6s ms  ratio ptrace %s agent %s  See++ %s" % (
            row["program"], n, row["mc_ptrace"]["median"] or 0, row["mc_agent"]["median"] or 0,
            row["plain"]["median"] or 0, "%.0f" % base if base else "-",
            _x(row["ratio_ptrace"]), _x(row["ratio_agent"]),
            "%s ms (%s)" % (_f(pe["wall"]["median"]), pe["status"]) if pe["status"] else "-"))
    return row


def _x(v):
    return "%.2fx" % v if v is not None else "-"


def _mc(r, k):
    if r["mc_%s_ran" % k] is False:
        return "%s (memcheck did not run)" % _f(r["mc_" + k]["median"])
    return _f(r["mc_" + k]["median"])


def _f(v, fmt="%.0f"):
    return fmt % v if v is not None else "-"


def verdicts(st):
    """Per engine: median, largest and the program it is on; and the growth
    comparison. What both the section's summary and the README's rows say."""
    eng = []
    for k, label, _ in ENGINES:
        rs = [r for r in st["rows"] if r["ratio_" + k]]
        if not rs:
            eng.append({"label": label, "n": 0})
            continue
        worst = max(rs, key=lambda r: r["ratio_" + k])
        med = statistics.median(r["ratio_" + k] for r in rs)
        mx = worst["ratio_" + k]
        eng.append({"label": label, "n": len(rs), "median": med, "max": mx,
                    "worst": worst["program"], "median_ok": med <= TARGET_MEDIAN,
                    "each_ok": mx <= TARGET_EACH})
    g = [(r["mc_ptrace_growth"], r["plain_growth"]) for r in st["rows"]
         if r["mc_ptrace_growth"] is not None and r["plain_growth"] is not None]
    growth = {"n": len(g)}
    if g:
        growth.update(memcheck=statistics.median(m for m, _ in g),
                      plain=statistics.median(p for _, p in g),
                      faster=sum(1 for m, p in g if m > p))
    return eng, growth


def _met(ok):
    return "met" if ok else "**MISSED**"


def summary_lines(st):
    """One line per engine against the targets, and one on growth."""
    eng, growth = verdicts(st)
    out = []
    for e in eng:
        if not e["n"]:
            out.append("memcheck mode (%s): not measured" % e["label"])
            continue
        out.append("memcheck mode (%s) ÷ (cc + valgrind): median %.2fx (target <= %.1fx: %s), "
                   "largest %.2fx, %s (target <= %.1fx each: %s)"
                   % (e["label"], e["median"], TARGET_MEDIAN, _met(e["median_ok"]), e["max"],
                      e["worst"], TARGET_EACH, _met(e["each_ok"])))
    if growth["n"]:
        out.append("growth with steps (ptrace): memcheck mode median %.1f ms per 100 more steps, "
                   "plain trace %.1f; memcheck mode grows faster on %d of %d programs"
                   % (growth["memcheck"], growth["plain"], growth["faster"], growth["n"]))
    return out


def summary_rows(st):
    """Rows of the README's summary table (| what | measured | target | verdict |)."""
    eng, growth = verdicts(st)
    out = []
    for e in eng:
        if e["n"]:
            out.append("| student corpus: memcheck mode (%s) ÷ (cc + valgrind), %d programs | "
                       "median %.2f× (largest %.2f×, %s) | ≤ %.1f× median, ≤ %.1f× each | "
                       "**%s** |" % (e["label"], e["n"], e["median"], e["max"], e["worst"],
                                     TARGET_MEDIAN, TARGET_EACH,
                                     "met" if e["median_ok"] and e["each_ok"] else "MISSED"))
    if growth["n"]:
        out.append("| student corpus: ms per 100 more steps, memcheck mode (ptrace) / plain | "
                   "%.1f / %.1f (medians) | memcheck mode no faster | **%s** (faster on %d of "
                   "%d) |" % (growth["memcheck"], growth["plain"],
                              "MISSED" if growth["faster"] else "met", growth["faster"],
                              growth["n"]))
    return out


def markdown(st):
    """The section of the report (a list of lines)."""
    if not st:
        return []
    peer_ok = st["peer"]["available"]
    L = ["## Student-size programs (tests/programs/student)\n",
         "Wall time of the CLI (`--no-cache`), medians over the rounds, in ms; every column of a "
         "row was measured in the same rounds. *cc + valgrind* is `cc -g -O0 && valgrind "
         "--tool=memcheck` of the same source, what a student would otherwise run. Memcheck mode "
         "(`--memcheck`, the served default) per engine: ptrace, and the in-process agent (what "
         "AWS Lambda runs). *Growth* is the marginal cost of steps: the run stopped at half its "
         "steps (`--max-steps`) subtracted from the whole run, per 100 steps. Targets (issue 11): "
         "memcheck mode ÷ (cc + valgrind) <= %.1fx each, median <= %.1fx; memcheck mode grows "
         "with steps no faster than the plain trace.\n" % (TARGET_EACH, TARGET_MEDIAN)]
    L.append("*See++* is See++'s own pipeline: SPP-Valgrind (its patched Valgrind 3.11) run "
             "as its Lambda handler runs it (`../shared/anchors/spp-valgrind/run.sh`: compile "
             "and trace), with what it produced: records written, steps See++'s backend makes "
             "of them (at most 1000), and whether it was whole, cut at its 5000-record cap "
             "(the program unfinished) or crashed. %s\n"
             % ("Its ratio is against cc + valgrind." if peer_ok else
                "**Not measured here:** %s." % st["peer"]["note"]))
    L += ["| program | steps | outcome | memcheck mode: ptrace | agent | plain ptrace | "
          "cc + valgrind | ptrace ÷ cc+vg | agent ÷ cc+vg | ms / 100 steps: memcheck mode "
          "(ptrace) | plain | growth / 100 steps: memcheck mode (ptrace) | plain | See++ ms | "
          "See++ ÷ cc+vg | See++ produced |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in st["rows"]:
        pe = r["peer"]
        produced = PEER.produced(pe) if peer_ok else "not built here"
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                 "| %s |" % (
                     r["program"], r["steps"], r["outcome"], _mc(r, "ptrace"), _mc(r, "agent"),
                     _f(r["plain"]["median"]),
                     _f(r["pipeline"]["median"]), _x(r["ratio_ptrace"]), _x(r["ratio_agent"]),
                     _f(r["mc_ptrace_ms_per_100"], "%.1f"), _f(r["plain_ms_per_100"], "%.1f"),
                     _f(r["mc_ptrace_growth"], "%.1f"), _f(r["plain_growth"], "%.1f"),
                     _f(pe["wall"]["median"]) if peer_ok else "-",
                     _x(r["peer_ratio"]) if peer_ok else "-", produced))
    L.append("")
    for line in summary_lines(st):
        L.append("- " + line)
    L.append("")
    return L

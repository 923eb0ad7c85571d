"""report.py - targets, and the results file in Markdown.

Targets are those of ../shared/docs/architecture.md, each judged against a
number measured in this run; a target whose measurement is missing is "not
measured", never met. The Markdown is a view of the JSON summary: every
number in it comes from there.
"""
from peer import NO_COMPILE, WHOLE, produced as peer_produced

NA = "not available"

TARGETS = {
    "fast_ratio": 0.25,      # fast engine end to end / (g++ + memcheck)
    "memcheck_ratio": 1.0,   # memcheck engine end to end / (g++ + memcheck)
    "us_per_step": 60.0,
    "cache_hit_ms": 5.0,
    "cold_start_ms": 20.0,
    "tracer_rss_mb": 32.0,
}


def ms(v):
    if v is None:
        return "-"
    if v < 1:
        return "%.2f" % v
    if v < 10:
        return "%.1f" % v
    return "%.0f" % v


def cell(s, na="-"):
    """median (p90)"""
    if not s or s.get("median") is None:
        return na
    return "%s (%s)" % (ms(s["median"]), ms(s["p90"]))


def cellx(s, na="-"):
    """median (p90; min-max)"""
    if not s or s.get("median") is None:
        return na
    return "%s (%s; %s–%s)" % (ms(s["median"]), ms(s["p90"]), ms(s["min"]), ms(s["max"]))


def ratio(a, b):
    return a / b if a is not None and b else None


def rx(v):
    return "%.2f×" % v if v is not None else "-"


def usd(v):
    if v is None:
        return "-"
    if v == 0:
        return "$0"
    if v < 0.01:
        return "$%.2g" % v
    return "$%.2f" % v


def program_ratios(rows):
    """Per program: medians over rounds of each pipeline and their ratios.
    See++'s pipeline (the peer) is compared only where it ran; its status
    says whether its answer was whole."""
    out = []
    for r in rows:
        pipe = r["base"]["pipeline"]["median"]
        fast = r["fast"]["wall"]["median"]
        mc = r["memcheck"]["wall"]["median"]
        vg = r["vgengine"]["wall"]["median"]
        pe = r.get("peer") or {}
        # a compile error is no trace: its time is no comparison
        peer = (pe.get("wall") or {}).get("median") if pe.get("status") != NO_COMPILE \
            else None
        out.append({"program": r["program"], "pipeline": pipe, "peer": peer,
                    "peer_status": pe.get("status"), "peer_steps": pe.get("steps"),
                    "fast_ratio": ratio(fast, pipe), "memcheck_ratio": ratio(mc, pipe),
                    "vgengine_ratio": ratio(vg, pipe),
                    "peer_ratio": ratio(peer, pipe), "fast_vs_peer": ratio(fast, peer),
                    "memcheck_vs_peer": ratio(mc, peer)})
    return out


def _verdict(measured, target, unit, lower_is_better=True):
    if measured is None:
        return "not measured", ""
    if measured <= target:
        return "met", "margin %.0f%% (%s%s under)" % ((1 - measured / target) * 100,
                                                       ms(target - measured) if unit != "×"
                                                       else "%.2f" % (target - measured), unit)
    return "MISSED", "over by %.0f%% (%s%s over)" % ((measured / target - 1) * 100,
                                                     ms(measured - target) if unit != "×"
                                                     else "%.2f" % (measured - target), unit)


def targets(s):
    T = TARGETS
    out = []
    pr = [p for p in s["ratios"] if p["fast_ratio"] is not None]
    if pr:
        worst = max(pr, key=lambda p: p["fast_ratio"])
        v, d = _verdict(worst["fast_ratio"], T["fast_ratio"], "×")
        n_miss = sum(p["fast_ratio"] > T["fast_ratio"] for p in pr)
        med = sorted(p["fast_ratio"] for p in pr)[len(pr) // 2]
        out.append({"target": "fast engine end to end ≤ %.2f× (g++ + memcheck)" % T["fast_ratio"],
                    "measured": "worst %s (%s), median program %s; %d of %d programs over"
                    % (rx(worst["fast_ratio"]), worst["program"], rx(med), n_miss, len(pr)),
                    "value": worst["fast_ratio"], "verdict": v, "detail": d})
    mr = [p for p in s["ratios"] if p["memcheck_ratio"] is not None]
    if s["variants"]["memcheck"]["available"] and mr:
        worst = max(mr, key=lambda p: p["memcheck_ratio"])
        v, d = _verdict(worst["memcheck_ratio"], T["memcheck_ratio"], "×")
        out.append({"target": "memcheck engine end to end ≤ %.1f× (g++ + memcheck)"
                    % T["memcheck_ratio"],
                    "measured": "worst %s (%s); %d of %d programs over"
                    % (rx(worst["memcheck_ratio"]), worst["program"],
                       sum(p["memcheck_ratio"] > T["memcheck_ratio"] for p in mr), len(mr)),
                    "value": worst["memcheck_ratio"], "verdict": v, "detail": d})
    else:
        out.append({"target": "memcheck engine end to end ≤ %.1f× (g++ + memcheck)"
                    % T["memcheck_ratio"],
                    "measured": NA + " in this build (%s)" % s["variants"]["memcheck"]["note"],
                    "value": None, "verdict": "not measured", "detail": ""})
    st = s.get("per_step")
    u = st["us_per_step"]["median"] if st else None
    v, d = _verdict(u, T["us_per_step"], " µs")
    out.append({"target": "tracer overhead ≤ %.0f µs per step" % T["us_per_step"],
                "measured": "%.1f µs median (p90 %.1f) on a 10 000-step loop"
                % (u, st["us_per_step"]["p90"]) if u is not None else "-",
                "value": u, "verdict": v, "detail": d})
    lam = s.get("lambda")
    hit = lam["cached"]["median"] if lam else None
    v, d = _verdict(hit, T["cache_hit_ms"], " ms")
    extra = ""
    if s.get("fargate"):
        extra = "; serve (HTTP round trip) %s ms" % ms(s["fargate"]["cached"]["median"])
    out.append({"target": "cache hit ≤ %.0f ms" % T["cache_hit_ms"],
                "measured": "bootstrap, enqueue → /response: %s ms median (p90 %s), of which "
                "%s ms in the bootstrap (/next → /response)%s"
                % (ms(hit), ms(lam["cached"]["p90"]), ms(lam["cached_billed"]["median"]), extra)
                if hit is not None else "-",
                "value": hit, "verdict": v, "detail": d})
    cs = lam["init"]["median"] if lam else None
    v, d = _verdict(cs, T["cold_start_ms"], " ms")
    out.append({"target": "bootstrap cold start ≤ %.0f ms" % T["cold_start_ms"],
                "measured": "exec → first /next: %s ms median (p90 %s)"
                % (ms(cs), ms(lam["init"]["p90"])) if cs is not None else "-",
                "value": cs, "verdict": v, "detail": d})
    mem = s.get("memory")
    if mem:
        worst_name, worst = None, None
        for name, m in mem.items():
            if m["tracer"]["max"] is not None and (worst is None or m["tracer"]["max"] > worst):
                worst_name, worst = name, m["tracer"]["max"]
        v, d = _verdict(worst, T["tracer_rss_mb"], " MiB")
        out.append({"target": "tracer RSS ≤ %.0f MB" % T["tracer_rss_mb"],
                    "measured": "largest peak of the tracer process %s MiB (%s)"
                    % (ms(worst), worst_name) if worst is not None else "-",
                    "value": worst, "verdict": v, "detail": d})
    return out


def markdown(s, chart_name):
    L = []
    w = L.append
    c = s["conditions"]
    w("# spp-trace benchmark, %s%s\n" % (s["date"], " (quick run: not for comparison)"
                                        if s["mode"] == "quick" else ""))
    if s["flags"]:
        for f in s["flags"]:
            w("> **%s**\n>" % f["text"])
        w("")
    w("Produced by `make bench` (bench/bench.py %s). Every number below was measured in this "
      "one invocation on this machine; ratios compare runs taken in the same rounds. Times in "
      "ms, cells are `median (p90)` or `median (p90; min–max)` over the runs stated (p90 "
      "interpolated between ranks; stdev and every sample are in the .json).\n"
      % " ".join(s["argv"]))
    w("## Conditions\n")
    w("| | |\n|---|---|")
    rows = [("CPU", "%s, %d cores, %.1f GiB RAM" % (c["cpu"], c["cores"], c["mem_gib"])),
            ("kernel", c["kernel"]), ("compilers", c["gcc"]), ("valgrind", c["valgrind"]),
            ("spp-trace", "%s, %s" % (c["version"], c["build"])),
            ("spp-trace built with", "`%s`" % c["build_flags"]),
            ("source", c["git"]),
            ("runs", "%d timed rounds of spp-trace per program, %d of them also running the "
                     "baselines and the Valgrind-based engines; "
                     "Lambda-style %d per kind; serve %d requests per concurrency level"
             % (s["runs"], s["baseline_runs"], s["service_runs"], s["serve_per_level"])),
            ("waited for load", c["wait"]),
            ("load average (1, 5, 15 min)", "before %s, after %s"
             % (" ".join("%.2f" % x for x in s["load"]["load_before"]),
                " ".join("%.2f" % x for x in s["load"]["load_after"]))),
            ("CPU used by other processes", "%.0f%% of the machine over %.0f s (steal %.1f s); "
                                            "per section: %s"
             % (100 * (s["load"]["others_cpu_share"] or 0), s["load"]["elapsed_s"],
                s["load"]["steal_s"],
                ", ".join("%s %.0f%%" % (k, 100 * (v["others_cpu_share"] or 0))
                          for k, v in s["sections"].items()))),
            ("engines", "; ".join("%s: %s" % (k, "available" if v["available"] else
                                             NA + " (%s)" % v["note"])
                                  for k, v in s["variants"].items()))]
    for k, v in rows:
        w("| %s | %s |" % (k, v))
    w("")

    w("## Targets (../shared/docs/architecture.md)\n")
    w("| target | measured | verdict |\n|---|---|---|")
    for t in s["targets"]:
        w("| %s | %s | **%s** %s |" % (t["target"], t["measured"], t["verdict"], t["detail"]))
    w("")

    w("## Summary\n")
    w(summary_table(s))
    w("")

    mc_ok = s["variants"]["memcheck"]["available"]
    peer_ok = (s["variants"].get("peer") or {}).get("available")
    if s.get("programs"):
        w("## Per program: spp-trace (CLI)\n")
        w("Fast engine: ptrace only. Memcheck engine (`--memcheck`): the fast trace plus a "
          "Valgrind run merged into it; its `memcheck` column is that pass. Valgrind engine "
          "(`--engine valgrind`): what runs where ptrace is denied (AWS Lambda). "
          "`total` is the CLI process's wall clock (start to exit); compile and trace come from "
          "the response's `timingsMs` (whole ms). `trace ÷ steps` includes the program's start; "
          "the per-step cost without it is in the next section. Memory (MiB) from a separate "
          "pass: the tracer process alone (peak RSS at exit), and the whole tree (peak of the "
          "summed RSS of tracer, compiler and program, sampled every 4 ms, or the largest "
          "single process if that is bigger).\n")
        vg_ok = s["variants"]["valgrind_engine"]["available"]
        w("| program | steps | compile | trace | memcheck | total | memcheck engine total | "
          "Valgrind engine total | trace ÷ steps (µs) | tracer RSS | tree RSS |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in s["programs"]:
            f = r["fast"]
            tr_med = f["trace"]["median"]
            m = s["memory"].get(r["program"]) if s.get("memory") else None
            w("| %s | %d%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["program"], r["steps"], "" if r["outcome"] == "ok" else
                " (%s)" % r["outcome"], cell(f["compile"]), cell(f["trace"]),
                cell(r["memcheck"]["memcheck"]) if mc_ok else NA,
                cellx(f["wall"]),
                cellx(r["memcheck"]["wall"]) if mc_ok else NA,
                cellx(r["vgengine"]["wall"]) if vg_ok else NA,
                "%.0f" % (tr_med * 1000.0 / r["steps"]) if tr_med and r["steps"] else "-",
                cell(m["tracer"]) if m else "-", cell(m["tree"]) if m else "-"))
        w("")
        w("## Per program: baselines in the same rounds\n")
        w("The plain pipeline: `g++ -std=c++17 -g -O0` (C: `gcc -std=c11`) then "
          "`valgrind --tool=memcheck` on the result. See++'s own pipeline: SPP-Valgrind, its "
          "patched Valgrind 3.11, run as its Lambda handler runs it "
          "(`../shared/anchors/spp-valgrind/run.sh`: `g++ -std=c++11 -ggdb -O0`, then memcheck "
          "with `--read-var-info=yes` writing one record per executed instruction), with what it "
          "produced: records, the steps See++'s backend makes of them, and how it ended (whole; "
          "cut at its 5000-record cap, the program unfinished; Valgrind crashed). A fast answer "
          "that is cut or crashed is not a trace of the whole program. %s Ratios are medians "
          "over medians.\n" % ("" if peer_ok else "**See++'s pipeline was not measured:** %s."
                                % s["variants"]["peer"]["note"]))
        w("| program | g++ | memcheck | g++ + memcheck | See++ pipeline | See++ produced | "
          "fast ÷ (g++ + memcheck) | memcheck engine ÷ (g++ + memcheck) | "
          "Valgrind engine ÷ (g++ + memcheck) | See++ ÷ (g++ + memcheck) | memcheck engine ÷ "
          "See++ |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        ratios = {p["program"]: p for p in s["ratios"]}
        for r in s["programs"]:
            b = r["base"]
            p = ratios[r["program"]]
            note = s["no_baseline"].get(r["program"])
            if note and b["pipeline"]["median"] is None:
                w("| %s | %s | %s | | | | | | | | |" % (r["program"], cell(b["cc"]),
                                                       "not run: " + note))
                continue
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["program"], cell(b["cc"]), cell(b["memcheck"]), cellx(b["pipeline"]),
                cellx(r["peer"]["wall"]) if peer_ok else "not built here",
                peer_produced(r["peer"]) if peer_ok else "-", rx(p["fast_ratio"]),
                rx(p["memcheck_ratio"]) if mc_ok else NA,
                rx(p["vgengine_ratio"]) if vg_ok else NA, rx(p["peer_ratio"]),
                rx(p["memcheck_vs_peer"])))
        w("")

    if s.get("memory") and not s.get("programs"):
        w("## Per program: peak RSS (MiB)\n")
        w("| program | tracer process | whole tree (sampled sum) | largest single process |")
        w("|---|---|---|---|")
        for name, m in s["memory"].items():
            w("| %s | %s | %s | %s |" % (name, cell(m["tracer"]), cell(m["tree"]),
                                         cell(m["largest"])))
        w("")

    st = s.get("per_step")
    if st:
        w("## Tracer overhead per step\n")
        w("A one-line loop traced to 100 and to 10 000 steps in each run; (trace ms at 10 000 "
          "− at 100) ÷ step difference. %s µs per step (%s runs; min %.1f, max %.1f); the "
          "10 000-step run takes %s ms end to end.\n"
          % (cell(st["us_per_step"]), st["us_per_step"]["n"], st["us_per_step"]["min"],
             st["us_per_step"]["max"], cell(st["wall_10000"])))

    lam, ll = s.get("lambda"), s.get("lambda_like")
    if lam:
        cols = [("as built here", lam)] + ([("Lambda-like", ll)] if ll else [])
        w("## Lambda-style: a fresh `bootstrap` behind the local Runtime API emulator\n")
        w("Program: `%s`, a distinct request each time unless cached, fields at the service "
          "defaults (memcheck on). *As built here*: the bootstrap as root with ptrace allowed. "
          "*Lambda-like*: the same bootstrap under `tests/support/lambda_like` (not root, "
          "ptrace and namespaces denied, as AWS Lambda runs a function)%s.\n"
          % (lam["program"], "" if ll else " — not measured (lambda_like could not be built)"))
        w("| what | how measured | %s |" % " | ".join(c for c, _ in cols))
        w("|---|---|%s" % ("---|" * len(cols)))
        w("| engine; memcheck ran | from the responses | %s |" % " | ".join(
            "%s; %s" % ("/".join(x["engines"]),
                        "/".join("yes" if m else "no" for m in x["memcheck_ran"]))
            for _, x in cols))
        for key, what, how in (
                ("init", "init (cold start)", "exec → first GET /next"),
                ("cold", "cold request", "exec → /response, request queued before exec"),
                ("cold_billed", "cold request, billed part", "/next delivery → /response"),
                ("warm", "warm request", "enqueue → /response, same bootstrap"),
                ("warm_billed", "warm request, billed", "/next delivery → /response"),
                ("cached", "cached (local tier)", "enqueue → /response"),
                ("cached_billed", "cached, billed", "/next delivery → /response")):
            w("| %s | %s | %s |" % (what, how, " | ".join(cellx(x[key]) for _, x in cols)))
        w("| bootstrap peak RSS (MiB) | VmHWM before it is stopped | %s |"
          % " | ".join(ms(x["bootstrap_hwm_mb"]) for _, x in cols))
        pad = " | -" * (len(cols) - 1)
        if lam.get("s3"):
            s3 = lam["s3"]
            w("| warm miss with the S3 tier | /next → /response (GET miss + trace + PUT), "
              "moto_server | %s%s |" % (cellx(s3["warm_miss_billed"]), pad))
            w("| new environment, S3 hit | exec → /response, empty local tier | %s%s |"
              % (cellx(s3["cold_hit"]), pad))
            w("| S3 hit, billed | /next delivery → /response | %s%s |"
              % (cellx(s3["hit_billed"]), pad))
        else:
            w("| S3 tier | | not measured (moto_server or boto3 missing, or --no-s3)%s |" % pad)
        w("")
    fg = s.get("fargate")
    if fg:
        w("## Fargate-style: one always-on `spp-trace serve`\n")
        w("`serve --workers %d`; closed-loop clients, each request a new HTTP connection, "
          "round-robin over the sample programs, every request distinct (cache misses). "
          "Serve's own peak RSS %s MiB.\n" % (fg["workers"], ms(fg["serve_hwm_mb"])))
        w("| concurrency | requests | latency ms | throughput (req/s) | statuses |")
        w("|---|---|---|---|---|")
        for l in fg["levels"]:
            w("| %d | %d | %s | %.2f | %s |" % (
                l["concurrency"], l["latency"]["n"], cellx(l["latency"]), l["throughput_rps"],
                ", ".join("%s×%d" % (k, v) for k, v in sorted(l["statuses"].items()))))
        w("| cached (1 client) | %d | %s | | |" % (fg["cached"]["n"], cellx(fg["cached"])))
        w("")

    co = s.get("cost")
    if co:
        w("## Cost\n")
        P, A, I = co["prices"], co["assumptions"], co["inputs"]
        w("Priced on the %s bootstrap (%s engine)%s.\n" % (
            "Lambda-like" if co["basis"] == "lambda_like" else "as-built-here",
            "/".join((s["lambda_like"] if co["basis"] == "lambda_like" else s["lambda"])
                     ["engines"]),
            "" if not s.get("cost_native") else
            "; with the ptrace engine (as built here) a miss would cost %s and 100 000 "
            "requests a month %s" % (
                usd(s["cost_native"]["lambda"]["template"]["per_miss"]["total"]),
                usd(next((m["total"] for m in s["cost_native"]["lambda"]["template"]["monthly"]
                          if m["requests"] == 100000), None)))))
        w("Inputs from this run: billed duration of a miss %s ms (warm Lambda-style median), "
          "of a hit %s ms, init %s ms; mean response size %.0f KB; template MemorySize %d MB, "
          "ephemeral storage %d MB. Prices: %s, %s (constants in `bench/cost.py`). "
          "Assumptions: cache hit rate %.0f%%, every hit one S3 GET, every miss one GET + one "
          "PUT, objects kept %d months; Fargate task %.0f vCPU / %.0f GB always on (the "
          "seed's), no load balancer; free tiers ignored.\n"
          % (ms(I["miss_billed_ms"]), ms(I["hit_billed_ms"]), ms(I["init_ms"]),
             I["response_bytes"] / 1000.0, I["memory_mb"], I["ephemeral_mb"], P["region"],
             P["as_of"], 100 * A["cache_hit_rate"], A["s3_retention_months"],
             A["fargate_vcpu"], A["fargate_memory_gb"]))
        w("| price (%s) | USD | unit | per million requests |\n|---|---|---|---|" % P["region"])
        for k, label, unit in co["price_labels"]:
            w("| %s | %s | %s | %s |" % (label, ("%.10f" % P[k]).rstrip("0").rstrip("."),
                                         unit, usd(P[k] * 1e6) if unit == "per request"
                                         else "-"))
        w("")
        t = co["lambda"]["template"]
        w("Per request at %d MB: miss %s (%.3f GB-s), hit %s; each cold start's billed init "
          "%s.\n" % (t["memory_mb"], usd(t["per_miss"]["total"]), t["per_miss"]["gb_s"],
                     usd(t["per_hit"]["total"]), usd(t["per_cold_start_init"])))
        w("| requests / month | Lambda GB-s | Lambda compute | Lambda requests | API Gateway "
          "(REST) | S3 requests | S3 storage | **Lambda total (%d MB)** | Lambda total (%d MB) "
          "| **Fargate always on** |" % (t["memory_mb"], co["lambda"]["one_vcpu"]["memory_mb"]))
        w("|---|---|---|---|---|---|---|---|---|---|")
        for m, m1 in zip(t["monthly"], co["lambda"]["one_vcpu"]["monthly"]):
            w("| %d | %.0f | %s | %s | %s | %s | %s | **%s** | %s | **%s** |" % (
                m["requests"], m["gb_s"], usd(m["lambda_compute"]), usd(m["lambda_requests"]),
                usd(m["apigw"]), usd(m["s3_requests"]), usd(m["s3_storage"]), usd(m["total"]),
                usd(m1["total"]), usd(co["fargate"]["monthly"])))
        f = co["fargate"]
        w("\nFargate: %.0f vCPU-hours + %.0f GB-hours a month = %s. Break-even: Lambda costs "
          "as much as the always-on task at %.0f requests/month (%d MB) or %.0f (%d MB). One "
          "task at the throughput measured above with one request at a time serves up to "
          "%.1f million requests a month.\n"
          % (f["vcpu_hours"], f["gb_hours"], usd(f["monthly"]),
             co["breakeven_requests_per_month"]["template"], t["memory_mb"],
             co["breakeven_requests_per_month"]["one_vcpu"],
             co["lambda"]["one_vcpu"]["memory_mb"],
             (f["capacity_per_month_at_c1"] or 0) / 1e6))

    w("## Chart\n")
    w("![latency distributions](%s)\n" % chart_name)
    import sizes  # beside this file, as bench.py imports them
    import student
    L.extend(student.markdown(s.get("student")))
    L.extend(sizes.markdown(s.get("sizes")))
    w("## Caveats\n")
    for cv in s["caveats"]:
        w("- " + cv)
    w("")
    return "\n".join(L)


def summary_table(s):
    """The short table the README quotes."""
    L = ["| | measured (median) | target | verdict |", "|---|---|---|---|"]
    tmap = {t["target"].split(" ≤")[0]: t for t in s["targets"]}

    def verdict(prefix):
        t = next((t for t in s["targets"] if t["target"].startswith(prefix)), None)
        if not t:
            return "—"
        return "**%s**%s" % (t["verdict"], ", " + t["detail"] if t["detail"] else "")
    pr = [p for p in s["ratios"] if p["fast_ratio"] is not None]
    if pr:
        rs = sorted(p["fast_ratio"] for p in pr)
        L.append("| fast engine ÷ (g++ + memcheck), %d programs | %s (range %s–%s) | ≤ 0.25× "
                 "each | %s |" % (len(pr), rx(rs[len(rs) // 2]), rx(rs[0]), rx(rs[-1]),
                                  verdict("fast engine")))
    mr = [p for p in s["ratios"] if p["memcheck_ratio"] is not None]
    if mr and s["variants"]["memcheck"]["available"]:
        rs = sorted(p["memcheck_ratio"] for p in mr)
        L.append("| memcheck engine ÷ (g++ + memcheck) | %s (range %s–%s) | ≤ 1.0× each | %s |"
                 % (rx(rs[len(rs) // 2]), rx(rs[0]), rx(rs[-1]), verdict("memcheck engine")))
    elif s.get("programs"):
        L.append("| memcheck engine ÷ (g++ + memcheck) | %s | ≤ 1.0× | not measured |" % NA)
    vr = [p for p in s["ratios"] if p["vgengine_ratio"] is not None]
    if vr:
        rs = sorted(p["vgengine_ratio"] for p in vr)
        L.append("| Valgrind engine (no ptrace, as in Lambda) ÷ (g++ + memcheck) | %s (range "
                 "%s–%s) | — | |" % (rx(rs[len(rs) // 2]), rx(rs[0]), rx(rs[-1])))
    sp = [p for p in s["ratios"] if p["peer_ratio"] is not None]
    if sp:
        rs = sorted(p["peer_ratio"] for p in sp)
        whole = sum(1 for p in sp if p["peer_status"] == WHOLE)
        empty = sum(1 for p in sp if p.get("peer_steps") == 0)
        L.append("| See++'s own pipeline (SPP-Valgrind) ÷ (g++ + memcheck) | %s (range %s–%s); "
                 "runs whole on %d of %d programs; See++'s parser keeps no step on %d | — | |"
                 % (rx(rs[len(rs) // 2]), rx(rs[0]), rx(rs[-1]), whole, len(sp), empty))
    if s.get("student"):
        import student  # beside this file, as bench.py imports it
        L.extend(student.summary_rows(s["student"]))
    if s.get("sizes"):
        import sizes
        L.extend(sizes.summary_rows(s["sizes"]))
    if s.get("per_step"):
        L.append("| tracer overhead per step | %.1f µs (p90 %.1f) | ≤ 60 µs | %s |"
                 % (s["per_step"]["us_per_step"]["median"], s["per_step"]["us_per_step"]["p90"],
                    verdict("tracer overhead")))
    lam, fg = s.get("lambda"), s.get("fargate")
    if lam:
        L.append("| bootstrap cold start (exec → /next) | %s ms | ≤ 20 ms | %s |"
                 % (ms(lam["init"]["median"]), verdict("bootstrap cold")))
        L.append("| cache hit: bootstrap / serve | %s ms / %s ms | ≤ 5 ms | %s |"
                 % (ms(lam["cached"]["median"]), ms(fg["cached"]["median"]) if fg else "-",
                    verdict("cache hit")))
        L.append("| Lambda-style request (%s), as built here: cold / warm | %s ms / %s ms | — | |"
                 % (lam["program"], ms(lam["cold"]["median"]), ms(lam["warm"]["median"])))
        ll = s.get("lambda_like")
        if ll:
            L.append("| same, Lambda-like (no root, no ptrace: %s engine): cold / warm | "
                     "%s ms / %s ms | — | |" % ("/".join(ll["engines"]), ms(ll["cold"]["median"]),
                                              ms(ll["warm"]["median"])))
    if fg:
        L.append("| serve, sample-program mix: latency at concurrency %s | %s ms | — | |"
                 % (" / ".join(str(l["concurrency"]) for l in fg["levels"]),
                    " / ".join(ms(l["latency"]["median"]) for l in fg["levels"])))
    if s.get("memory"):
        t = tmap.get("tracer RSS")
        if t and t["value"] is not None:
            L.append("| tracer peak RSS (largest over programs) | %.1f MiB | ≤ 32 MB | %s |"
                     % (t["value"], verdict("tracer RSS")))
    co = s.get("cost")
    if co:
        n = co["assumptions"]["requests_per_month"]
        i = n.index(100000) if 100000 in n else 0
        L.append("| cost at %d requests/month: Lambda (%d MB) / Fargate always on | %s / %s | — | |"
                 % (n[i], co["lambda"]["template"]["memory_mb"],
                    usd(co["lambda"]["template"]["monthly"][i]["total"]),
                    usd(co["fargate"]["monthly"])))
    return "\n".join(L)

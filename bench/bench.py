#!/usr/bin/env python3
"""bench.py - spp-trace measured against the pipelines it replaces, in one run.

`make bench` (bench/run.sh) runs this. Sections, each measured here and now:
  programs  per sample program: spp-trace end to end (compile, trace,
            memcheck, total, steps) and, in the same rounds, `g++ -g -O0 &&
            valgrind --tool=memcheck` and, where it is built (`make
            bench-peer`), See++'s own pipeline (SPP-Valgrind) with what it
            produced (peer.py);
  student   the student-size corpus: memcheck mode per engine against
            cc && valgrind, ms per 100 steps, growth with steps (student.py);
  sizes     the same corpus: response bytes, gzip'ed, and the steps each
            path (serve, API Gateway, Function URL, direct invoke) returns;
  step      tracer time per step on a 10 000-step loop;
  memory    peak RSS of the tracer process and of its whole tree;
  lambda    build/bootstrap behind the local Runtime API emulator: init,
            cold, warm and cached requests (and the S3 tier on moto_server);
  fargate   one always-on `spp-trace serve` at concurrency 1, 2, 4;
  agent     the agent engine against the ptrace engine, natively and
            Lambda-like, samples and student corpus (bench/agent.py);
then a cost table from those durations (bench/cost.py holds every price),
the targets of ../shared/docs/architecture.md judged against the numbers,
and bench/results/<date>.md, .json and .svg (latency chart).

Nothing here asserts: it prints what it measured. It fails (exit 1) when it
cannot measure -- build/spp-trace or build/bootstrap missing, a run that
gives no response. The binaries are copied to a private directory first so
that a rebuild by someone else during the run cannot mix two builds.

Machines are noisy and this one has 2 cores shared with other people's
builds: the results record the load average before and after and the CPU
other processes used during each section; --wait-idle waits (polling every
minute) for the load to drop first. Compare only numbers from one run.
"""
import argparse
import datetime
import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from shared_data import shared_dir  # noqa: E402

SECTIONS = ("programs", "student", "sizes", "step", "memory", "lambda", "fargate", "agent")
# --quick: a C and C++ spread (iostream, STL, a memory error, one that never ends).
QUICK_PROGRAMS = ("01_", "02_", "04_", "07_", "09_", "13_")


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Full run: `make bench` (about 15 min on 2 cores). Smoke run: `make bench "
               "BENCH_ARGS=--quick` (about 2 min; results named <date>-quick). For results to "
               "commit: `make bench BENCH_ARGS='--wait-idle --build head --update-readme'`.")
    ap.add_argument("--runs", type=int, default=None,
                    help="timed rounds per program and samples per service measurement "
                         "(default 10; --quick: 3)")
    ap.add_argument("--baseline-runs", type=int, default=None,
                    help="rounds that also run the g++/valgrind baselines and spp-trace's "
                         "Valgrind-based engines (default: --runs; --quick: 1)")
    ap.add_argument("--quick", action="store_true",
                    help="few runs on %d of the programs (unless --programs), for a smoke "
                         "check (about 2 minutes)" % len(QUICK_PROGRAMS))
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help="comma-separated subset of: " + ", ".join(SECTIONS))
    ap.add_argument("--programs", default="",
                    help="comma-separated substrings: only programs whose name contains one")
    ap.add_argument("--programs-dir", default=os.environ.get("SPP_PROGRAMS") or
                    os.path.join(shared_dir(), "programs"))
    ap.add_argument("--lambda-program", default="02_calls.cpp",
                    help="sample program the Lambda-style section sends (default 02_calls.cpp)")
    ap.add_argument("--no-s3", action="store_true",
                    help="skip the S3 tier and the sizes section's bucket (moto_server)")
    ap.add_argument("--peer-valgrind", default=None,
                    help="See++'s SPP-Valgrind launcher (default $SPP_PEER_VALGRIND, else %s, "
                         "where `make bench-peer` installs it); absent: reported as not built"
                    % "/tmp/sppvg-inst/bin/valgrind")
    ap.add_argument("--build", choices=("tree", "head"), default="tree",
                    help="tree: the working tree's build/ (default); head: a clean build of "
                         "`git archive HEAD` in a temporary directory")
    ap.add_argument("--wait-idle", action="store_true",
                    help="before measuring, poll the load average every minute until it is "
                         "below --idle-load (at most --max-wait minutes)")
    ap.add_argument("--idle-load", type=float, default=1.0)
    ap.add_argument("--max-wait", type=int, default=40, help="minutes (default 40)")
    ap.add_argument("--update-readme", action="store_true",
                    help="replace the summary table in README.md's Performance section")
    ap.add_argument("--out", default=None,
                    help="results directory (default bench/results; with --render, the "
                         ".json's own directory)")
    ap.add_argument("--tag", default="",
                    help="results named <date>-TAG (e.g. a second run of some sections the "
                         "same day)")
    ap.add_argument("--render", metavar="JSON",
                    help="measure nothing: write the .md, .svg (and with --update-readme the "
                         "README summary) again from a saved results .json")
    a = ap.parse_args(argv)
    a.out_given = a.out is not None
    if a.out is None:
        a.out = os.path.join(HERE, "results")
    a.sections = [x.strip() for x in a.sections.split(",") if x.strip()]
    bad = [x for x in a.sections if x not in SECTIONS]
    if bad:
        ap.error("unknown section(s): %s" % ", ".join(bad))
    if a.runs is None:
        a.runs = 3 if a.quick else 10
    if a.quick and not a.programs:
        a.programs = ",".join(QUICK_PROGRAMS)
    if a.baseline_runs is None:
        a.baseline_runs = 1 if a.quick else a.runs
    a.baseline_runs = min(a.baseline_runs, a.runs)
    if a.runs < 1:
        ap.error("--runs must be at least 1")
    return a


# ---- the binaries under test --------------------------------------------------

def need_binaries(build_dir, sections):
    need = ["spp-trace"] + (["bootstrap"] if {"lambda", "sizes", "agent"} & set(sections)
                            else [])
    missing = [n for n in need if not os.access(os.path.join(build_dir, n), os.X_OK)]
    if not os.path.exists(os.path.join(build_dir, "rt", "sppmon.o")):
        missing.append("rt/sppmon.o")
    if missing:
        log("error: %s missing in %s: run `make` first (or `make bench`, which builds)"
            % (", ".join(missing), build_dir))
        sys.exit(1)


def build_head(tmp):
    src = os.path.join(tmp, "src")
    os.makedirs(src)
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    log("building a clean copy of HEAD %s" % head[:12])
    arch = subprocess.Popen(["git", "-C", ROOT, "archive", head], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", src], stdin=arch.stdout, check=True)
    if arch.wait() != 0:
        log("error: git archive failed")
        sys.exit(1)
    p = subprocess.run(["make", "-C", src, "-j%d" % (os.cpu_count() or 2), "all"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        log("error: building HEAD failed:\n" + p.stdout[-2000:] + p.stderr[-2000:])
        sys.exit(1)
    return os.path.join(src, "build"), head


def snapshot(build_dir, tmp):
    """Copy the binaries and the runtime object; the precompiled headers are
    rebuilt beside the copy (warm-up), so this run owns all of it."""
    dst = os.path.join(tmp, "bin")
    os.makedirs(os.path.join(dst, "rt"))
    for n in ("spp-trace", "bootstrap"):
        if os.path.exists(os.path.join(build_dir, n)):
            shutil.copy2(os.path.join(build_dir, n), os.path.join(dst, n))
    shutil.copy2(os.path.join(build_dir, "rt", "sppmon.o"), os.path.join(dst, "rt", "sppmon.o"))
    # Runs may have a uid of their own: the copy must be reachable by others.
    for d in (tmp, dst, os.path.join(dst, "rt")):
        os.chmod(d, 0o755)
    return dst


def build_lambda_like(src_root, tmp):
    """tests/support/lambda_like of the source under test (not root, no
    ptrace, no namespaces: as AWS Lambda runs a function), built here so the
    shared build/ is not touched. None when it cannot be built."""
    src = os.path.join(src_root, "tests", "support", "lambda_like.c")
    exe = os.path.join(tmp, "lambda_like")
    p = subprocess.run(["gcc", "-O2", "-D_GNU_SOURCE", "-o", exe, src, "-lseccomp"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        log("Lambda-like run skipped: cannot build %s: %s" % (src, p.stderr[-300:]))
        return None
    return exe


def open_env(base_env, tmp):
    """base_env with HOME and TMPDIR a directory an unprivileged uid can
    write (as tests/e2e/test_engines.py runs lambda_like)."""
    home = tempfile.mkdtemp(prefix="home-", dir=tmp)
    os.chmod(home, 0o777)
    return dict(base_env, HOME=home, TMPDIR=home)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def conditions(bin_dir, build_desc, head):
    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
        except OSError:
            return ""
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 1048576.0
    producer = "?"
    for line in out(["readelf", "--debug-dump=info", "--dwarf-depth=1",
                     os.path.join(bin_dir, "spp-trace")]).splitlines():
        if "DW_AT_producer" in line:
            producer = line.split("):", 1)[1].strip() if "indirect" in line else \
                line.split(":", 1)[1].strip()
            break
    git = ""
    if head:
        git = "clean build of HEAD %s" % head[:12]
    else:
        h = out(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]).strip()
        dirty = [l[3:] for l in out(["git", "-C", ROOT, "status", "--porcelain",
                                     "--untracked-files=no"]).splitlines()
                 if not l[3:].startswith(("bench/", "README.md"))]
        git = "working tree at %s" % h + (
            ", with uncommitted changes to %s" % ", ".join(dirty) if dirty else ", clean")
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem,
            "kernel": platform.release(),
            "gcc": "; ".join(out([c, "--version"]).splitlines()[0] for c in ("gcc", "g++")),
            "valgrind": out(["valgrind", "--version"]).strip(),
            "python": platform.python_version(),
            "version": out([os.path.join(bin_dir, "spp-trace"), "--version"]).strip(),
            "build": build_desc + ", spp-trace sha256 %s"
            % sha256(os.path.join(bin_dir, "spp-trace"))[:16],
            "build_flags": producer, "git": git}


# ---- main -----------------------------------------------------------------------

def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if a.render:
        return render(a)
    import common
    import cost
    import programs as P
    import report
    import peer as PEER
    import service
    import sizes
    import student

    build_dir = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
    if a.build == "tree":
        need_binaries(build_dir, a.sections)  # before waiting: fail fast
    tmp = tempfile.mkdtemp(prefix="spp-bench-")
    moto = None
    try:
        head = None
        if a.build == "head":
            build_dir, head = build_head(tmp)
            need_binaries(build_dir, a.sections)
        src_root = os.path.dirname(os.path.abspath(build_dir))
        bin_dir = snapshot(build_dir, tmp)
        spp = os.path.join(bin_dir, "spp-trace")
        # A private TMPDIR: a bootstrap removes run directories that appear in
        # its TMPDIR during an invocation, so a shared /tmp would let ours and
        # other people's tests remove each other's live runs.
        private_tmp = os.path.join(tmp, "tmp")
        os.makedirs(private_tmp)
        os.chmod(private_tmp, 0o1777)  # runs may have a uid of their own
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": os.path.join(tmp, "home"),
                    "TMPDIR": private_tmp,
                    "LANG": "C.UTF-8",
                    "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
        os.makedirs(base_env["HOME"])
        tr = P.Tracer(spp, base_env)
        progs = P.find_programs(a.programs_dir, [x for x in a.programs.split(",") if x])
        log("%d programs from %s; %d runs (%d with baselines); sections: %s"
            % (len(progs), a.programs_dir, a.runs, a.baseline_runs, ", ".join(a.sections)))

        # Warm-up: precompiled headers for every program's includes, page cache.
        r = common.run([spp, "--warm-pch"], env=base_env, timeout=300)
        if r.rc != 0:
            raise common.BenchError("spp-trace --warm-pch failed: %s" % r.err.decode()[-400:])
        for p in progs:
            tr.cli(p)
        # Only now: building HEAD and the warm-up are load of our own making.
        wait = common.wait_for_idle(a.idle_load, a.max_wait, log) if a.wait_idle else None
        started = datetime.datetime.now()  # the results' date: when measuring began
        cond = conditions(bin_dir, "clean build of HEAD" if head else "build/ of the working "
                          "tree (copied at start)", head)
        cond["wait"] = ("no (--wait-idle not given)" if wait is None else
                        "%s after %.0f min (load polls: %s)"
                        % ("below %.1f" % a.idle_load if wait["reached"] else
                           "never below %.1f" % a.idle_load, wait["waited_min"],
                           " ".join("%.2f" % x for x in wait["polls"])))
        variants = P.probe_variants(tr, progs, log)
        peer = PEER.Peer(shared_dir(), PEER.valgrind_path(a.peer_valgrind))
        variants["peer"] = {"available": peer.available, "note": peer.note}
        log("See++'s pipeline (SPP-Valgrind): %s" % peer.note)

        total = common.LoadWatch().start()
        sections = {}
        s = {"date": started.isoformat(timespec="seconds"), "mode": "quick" if a.quick else "full",
             "argv": sys.argv[1:] if argv is None else argv, "runs": a.runs,
             "baseline_runs": a.baseline_runs, "service_runs": a.runs,
             "serve_per_level": 0, "conditions": cond, "variants": variants,
             "no_baseline": P.NO_BASELINE_RUN, "wait": wait, "programs": [], "ratios": [], "memory": None,
             "per_step": None, "lambda": None, "lambda_like": None, "fargate": None,
             "cost": None, "cost_native": None, "student": None, "sizes": None}

        if "programs" in a.sections:
            w = common.LoadWatch().start()
            work = tempfile.mkdtemp(prefix="base-", dir=tmp)
            s["programs"] = P.measure_programs(tr, progs, variants, a.runs, a.baseline_runs,
                                               work, log, peer)
            s["ratios"] = report.program_ratios(s["programs"])
            sections["programs"] = w.stop()
            for r in s["ratios"]:
                log("%-22s fast ÷ (g++ + memcheck) %s   See++ ÷ (g++ + memcheck) %s (%s)"
                    % (r["program"], report.rx(r["fast_ratio"]), report.rx(r["peer_ratio"]),
                       r["peer_status"] or "not run"))
        if "student" in a.sections:
            w = common.LoadWatch().start()
            work = tempfile.mkdtemp(prefix="student-", dir=tmp)
            s["student"] = student.measure(tr, src_root, a.baseline_runs, work, log, peer)
            sections["student"] = w.stop()
        if "sizes" in a.sections:
            w = common.LoadWatch().start()
            if not a.no_s3 and shutil.which("moto_server"):
                try:
                    moto = service.Moto(tmp)
                except (ImportError, common.BenchError) as e:
                    log("sizes: no bucket for responseMode auto: %s" % e)
            s["sizes"] = sizes.measure(tr, bin_dir, base_env, src_root, shared_dir(), tmp, log,
                                       moto)
            if moto:
                moto.close()
                moto = None
            sections["sizes"] = w.stop()
        if "step" in a.sections:
            w = common.LoadWatch().start()
            s["per_step"] = P.measure_per_step(tr, a.runs, tmp)
            sections["step"] = w.stop()
            log("per step: %.1f µs (median)" % s["per_step"]["us_per_step"]["median"])
        if "memory" in a.sections:
            w = common.LoadWatch().start()
            probe = P.build_rss_probe(tmp)
            s["memory"] = P.measure_memory(tr, progs, a.runs, probe, tmp)
            sections["memory"] = w.stop()
        if "lambda" in a.sections:
            w = common.LoadWatch().start()
            lp = [p for p in progs if p["name"] == a.lambda_program] or \
                P.find_programs(a.programs_dir, [a.lambda_program])
            if not a.no_s3 and shutil.which("moto_server"):
                try:
                    moto = service.Moto(tmp)
                except (ImportError, common.BenchError) as e:
                    log("S3 tier not measured: %s" % e)
            s["lambda"] = service.lambda_style(os.path.join(bin_dir, "bootstrap"), base_env,
                                               lp[0], a.runs, tmp, log, moto)
            if moto:
                moto.close()
                moto = None
            sections["lambda"] = w.stop()
            w = common.LoadWatch().start()
            ll = build_lambda_like(src_root, tmp)
            if ll:
                s["lambda_like"] = service.lambda_style(
                    os.path.join(bin_dir, "bootstrap"), open_env(base_env, tmp), lp[0], a.runs,
                    tmp, log, None, wrapper=[ll, "--"])
                sections["lambda_like"] = w.stop()
        if "fargate" in a.sections:
            w = common.LoadWatch().start()
            per_level = 8 if a.quick else max(20, a.runs)
            s["serve_per_level"] = per_level
            s["fargate"] = service.fargate_style(spp, base_env, progs, per_level,
                                                 10 if a.quick else max(20, a.runs), tmp, log)
            sections["fargate"] = w.stop()
        if "agent" in a.sections:
            import agent
            w = common.LoadWatch().start()
            s["agent"] = agent.measure(
                bin_dir, src_root, base_env,
                [("samples", progs),
                 ("student", P.find_programs(student.corpus_dir(src_root)))],
                a.runs, a.baseline_runs, tmp, log)
            s["agent"]["date"] = s["date"]
            sections["agent"] = w.stop()
            agent.write(s["agent"], a.out, started, log)
        s["sections"] = sections
        s["load"] = total.stop()

        if s["lambda"]:
            mem_mb, eph_mb = cost.template_settings(os.path.join(src_root, "template.yaml"))
            resp_sizes = [r["response_bytes"] for r in s["programs"] if r["response_bytes"]]
            rb = sum(resp_sizes) / len(resp_sizes) if resp_sizes else s["lambda"]["response_bytes"]
            c1 = next((l for l in s["fargate"]["levels"] if l["concurrency"] == 1), None) \
                if s["fargate"] else None
            # Priced on what AWS would run: the Lambda-like bootstrap when measured.
            for key, lam in (("cost", s.get("lambda_like") or s["lambda"]),
                             ("cost_native", s["lambda"] if s.get("lambda_like") else None)):
                if lam:
                    s[key] = cost.table(lam["warm_billed"]["median"],
                                        lam["cached_billed"]["median"], lam["init"]["median"],
                                        rb, mem_mb, eph_mb, c1["throughput_rps"] if c1 else None)
                    s[key]["basis"] = "lambda_like" if lam is s.get("lambda_like") else "native"
        write_results(s, a, started.date().isoformat() + ("-quick" if a.quick else "") +
                      ("-" + a.tag if a.tag else ""))
        return 0
    except common.BenchError as e:
        log("error: %s" % e)
        return 1
    finally:
        if moto:
            moto.close()
        shutil.rmtree(tmp, ignore_errors=True)


class Flags(list):
    """Warnings that qualify the whole results file: (short name, text)."""

    def append(self, short, text):
        super().append({"short": short, "text": text})


def write_results(s, a, stem):
    """Judge the targets and write <stem>.md, .json, .svg (and the README's
    summary): from a fresh run, or from a saved .json with --render."""
    import chart
    import common
    import report
    s["targets"] = report.targets(s)
    s["flags"], s["caveats"] = flags_and_caveats(s, a)
    os.makedirs(a.out, exist_ok=True)
    chart_name = stem + ".svg"
    with open(os.path.join(a.out, chart_name), "w") as f:
        f.write(make_chart(s, chart))
    common.dump_json(os.path.join(a.out, stem + ".json"), s)
    with open(os.path.join(a.out, stem + ".md"), "w") as f:
        f.write(report.markdown(s, chart_name))
    if a.update_readme:
        update_readme(s, stem, report)
    print(report.summary_table(s))
    print()
    for t in s["targets"]:
        print("%-58s %-13s %s" % (t["target"], t["verdict"], t["detail"]))
    for fl in s["flags"]:
        print("FLAG: " + fl["text"])
    log("wrote %s.{md,json,svg} in %s" % (stem, os.path.relpath(a.out, ROOT)))


def render(a):
    """--render: the results files again from a saved .json, with this
    version's report code; no measurement is taken or changed."""
    import json
    with open(a.render) as f:
        s = json.load(f)
    stem = os.path.basename(a.render)[:-len(".json")]
    if not a.out_given:
        a.out = os.path.dirname(os.path.abspath(a.render))
    write_results(s, a, stem)
    return 0


def flags_and_caveats(s, a):
    flags = Flags()
    l0 = s["load"]["load_before"][0]
    others = s["load"]["others_cpu_share"] or 0
    if l0 >= a.idle_load or others > 0.10:
        flags.append("taken under load", "Taken under load: 1-minute load average %.2f at the start (threshold "
                     "%.1f); other processes used %.0f%% of the machine's CPU during the run. "
                     "Absolute times are inflated; ratios within a round less so.%s"
                     % (l0, a.idle_load, 100 * others,
                        " The load never dropped below %.1f in %.0f min of waiting."
                        % (a.idle_load, s["wait"]["waited_min"])
                        if s["wait"] and not s["wait"]["reached"] else ""))
    if s["mode"] == "quick":
        flags.append("quick run", "Quick run (%d rounds, %d with baselines, %d programs): a smoke "
                     "check, not results to compare." % (s["runs"], s["baseline_runs"],
                                                          len(s["programs"])))
    if "uncommitted" in s["conditions"]["git"]:
        flags.append("uncommitted changes in the build", "Built from a working tree with other people's uncommitted changes (see "
                     "Conditions); `--build head` measures the committed code.")
    cv = [
        "spp-trace timings are the CLI with `--no-cache`, warm precompiled headers (built once "
        "at start-up, as a deployed image would ship them) and the page cache warm; the "
        "baselines get the same warm page cache.",
        "See++'s own pipeline is SPP-Valgrind (Valgrind 3.11 with See++'s tracing code) rebuilt "
        "for this machine by ../shared/anchors/spp-valgrind/build.sh (three compatibility fixes, "
        "none in the tracing code) and run by its run.sh as See++'s Lambda handler runs it: "
        "compile and trace only, without See++'s S3 round trips or its parser. It stops after "
        "5000 records (one per executed instruction on a user line) and aborts on some programs "
        "(its README): such answers are marked, not counted as whole." if
        (s["variants"].get("peer") or {}).get("available") else
        "See++'s own pipeline was not measured in this run (%s); no model stands in for it."
        % (s["variants"].get("peer") or {}).get("note", "not probed"),
        "Lambda-style and Fargate-style are local emulations: no container start, network, API "
        "Gateway or real S3 latency; moto_server stands in for S3. Lambda's init here is the "
        "bootstrap's own start, without the image and sandbox start AWS adds.",
        "AWS Lambda denies ptrace, so a deployed function runs the Valgrind engine. %s" % (
            "The Lambda-like rows (tests/support/lambda_like: not root, ptrace denied) show "
            "that engine and the cost table is priced on them; lambda_like cannot take away "
            "what AWS adds (image start, Firecracker, network)." if s.get("lambda_like") else
            "It was not measured here (lambda_like missing), so the Lambda durations and cost "
            "above are those of the ptrace engine and understate AWS."),
        "Lambda at 3008 MB gets about 1.7 vCPU and Fargate's task 1 vCPU; this machine has "
        "%d cores. Durations are transferred as measured." % s["conditions"]["cores"],
        "Prices are us-east-1 list prices as known in 2024, not fetched at run time (no "
        "internet access); see bench/cost.py.",
        "The plain g++ + memcheck pipeline is the yardstick the targets use: it is what a "
        "student would otherwise run.",
        "Tree RSS sums the processes' resident sets (shared pages counted once per process) "
        "at 4 ms intervals; the tracer's own RSS is exact (its VmHWM when it exits).",
    ]
    if not s["variants"]["memcheck"]["available"]:
        cv.insert(0, "The memcheck engine is %s (%s): its columns say so and its target is "
                  "not measured." % ("not available in this build",
                                     s["variants"]["memcheck"]["note"]))
    return list(flags), cv


def make_chart(s, chart):
    blue, red, grey, green, orange = "#1f77b4", "#d62728", "#7f7f7f", "#2ca02c", "#ff7f0e"
    purple = "#9467bd"
    panels = []
    if s["programs"]:
        rows = []
        for r in s["programs"]:
            rows.append((r["program"] + ": spp-trace fast", r["fast"]["wall"], blue))
            if s["variants"]["memcheck"]["available"]:
                rows.append((r["program"] + ": spp-trace memcheck", r["memcheck"]["wall"],
                             green))
            if s["variants"]["valgrind_engine"]["available"]:
                rows.append((r["program"] + ": spp-trace Valgrind engine",
                             r["vgengine"]["wall"], purple))
            if r["base"]["pipeline"]["n"]:
                rows.append((r["program"] + ": g++ + memcheck", r["base"]["pipeline"], grey))
            if (r.get("peer") or {}).get("status"):
                rows.append((r["program"] + ": See++ (%s)" % r["peer"]["status"],
                             r["peer"]["wall"], red))
        panels.append(("Per program, end to end (ms)", rows))
    rows = []
    for name, lam, colour in (("Lambda", s.get("lambda"), orange),
                              ("Lambda-like", s.get("lambda_like"), red)):
        if not lam:
            continue
        rows += [("%s init (exec → /next)" % name, lam["init"], colour),
                 ("%s cold request (exec → response)" % name, lam["cold"], colour),
                 ("%s warm request" % name, lam["warm"], colour),
                 ("%s cached (local tier)" % name, lam["cached"], colour)]
        if lam.get("s3"):
            rows.append(("%s new env, S3 hit (exec → response)" % name,
                         lam["s3"]["cold_hit"], colour))
    fg = s.get("fargate")
    if fg:
        rows += [("serve, concurrency %d" % l["concurrency"], l["latency"], blue)
                 for l in fg["levels"]]
        rows.append(("serve cached", fg["cached"], blue))
    if s.get("per_step"):
        rows.append(("10 000-step loop, end to end", s["per_step"]["wall_10000"], grey))
    if rows:
        panels.append(("Services (ms)", rows))
    return chart.svg("spp-trace benchmark %s" % s["date"], panels,
                     "dots: samples; box: p10-p90; bar: median; line: min-max; log scale.\n"
                     "Blue: spp-trace; green: memcheck engine; purple: Valgrind engine; grey: g++ + memcheck; "
                     "red: See++'s SPP-Valgrind, Lambda-like; orange: Lambda-style.")


BEGIN, END = "<!-- bench:summary -->", "<!-- /bench:summary -->"


def update_readme(s, stem, report):
    path = os.path.join(ROOT, "README.md")
    text = open(path, encoding="utf-8").read()
    if BEGIN not in text or END not in text:
        log("README.md has no %s ... %s block: not updated" % (BEGIN, END))
        return
    block = "%s\nLatest results (`bench/results/%s.md`, %s, %s, %s):\n\n%s\n%s" % (
        BEGIN, stem, s["date"][:10], s["conditions"]["git"], "flagged: " + ", ".join(
            f["short"] for f in s["flags"]) if s["flags"] else "no flags",
        report.summary_table(s), END)
    a, rest = text.split(BEGIN, 1)
    _, b = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(a + block + b)
    log("README.md summary updated")


if __name__ == "__main__":
    sys.exit(main())

"""peer.py - See++'s own trace pipeline, measured beside spp-trace.

The peer is SPP-Valgrind, See++'s patched Valgrind 3.11, rebuilt for this
machine by ../shared/anchors/spp-valgrind/build.sh (`make bench-peer`) and
run by that anchor's run.sh exactly as See++'s Lambda handler runs it
(prepend `#define union struct`, `g++ -std=c++11 -ggdb -O0`, then memcheck
with --read-var-info=yes writing main.vgtrace). Nothing is modelled: when
the build is not there, every cell says "not built here" and how to build it.

A time alone would flatter the peer, so each run also says what it produced:
the raw records it wrote, the steps See++'s backend makes of them (through
tests/e2e/seepp_parser.py, a reading of backend/src/parse_vg_trace.ts, which
keeps at most 1000), and how it ended -- whole, cut at its 5000-record cap
(MAX_STEPS_EXCEEDED: the program did not finish), crashed inside Valgrind
(its README lists assertions such as rvalue-reference parameters), timed
out, or did not compile (it compiles C as C++).
"""
import os
import shutil
import sys
import tempfile

from common import BenchError, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import seepp_parser  # noqa: E402

DEFAULT_VALGRIND = "/tmp/sppvg-inst/bin/valgrind"  # build.sh's default prefix
BUILD_HINT = "not built here: `make bench-peer` builds it (about 10 min on 2 cores)"
RECORD = seepp_parser.RECORD_SEPARATOR
CAP = 5000  # records; memcheck/mc_translate.c of SPP-Valgrind
# Larger raw traces are counted, not parsed: a 200-node list writes 200 MB,
# which Python's reading of See++'s parser needs minutes and GBs for.
PARSE_LIMIT = 32 << 20

# How a run ended, as the tables print it; only "whole" is a complete answer.
WHOLE, CUT, CRASHED, TIMEOUT, NO_COMPILE, NO_TRACE = (
    "whole", "cut at 5000 records", "Valgrind crashed", "timed out", "did not compile",
    "no trace")


def valgrind_path(option=None):
    return option or os.environ.get("SPP_PEER_VALGRIND") or DEFAULT_VALGRIND


class Peer:
    """SPP-Valgrind through the anchor's run.sh; .available says whether it
    can run here and .note why not."""

    def __init__(self, shared_dir, valgrind):
        self.run_sh = os.path.join(shared_dir, "anchors", "spp-valgrind", "run.sh")
        self.valgrind = valgrind
        self.available, self.note = True, "SPP-Valgrind at %s" % valgrind
        if not os.path.exists(self.run_sh):
            self.available, self.note = False, "%s missing" % self.run_sh
        elif not os.access(valgrind, os.X_OK):
            self.available, self.note = False, "%s (%s)" % (BUILD_HINT, valgrind)

    def run(self, prog, env):
        """One run of See++'s pipeline on prog: wall ms (compile + Valgrind,
        what run.sh does) and what it produced."""
        keep = tempfile.mkdtemp(prefix="peer-", dir=env.get("TMPDIR"))
        try:
            r = run(["sh", self.run_sh, prog["path"], keep], stdin=prog["stdin"],
                    env=dict(env, SPP_VALGRIND=self.valgrind), timeout=200)
            out = judge(r.rc, _read(keep, "vg_rc.txt"), _read(keep, "stderr.txt"),
                        _read(keep, "main.vgtrace"), prog["path"])
            out["wall"] = r.wall_ms
            return out
        finally:
            shutil.rmtree(keep, ignore_errors=True)


def _read(d, name):
    try:
        with open(os.path.join(d, name), "rb") as f:
            return f.read()
    except OSError:
        return None


def produced(pe):
    """What a program's See++ runs produced, in a table cell: the status in
    bold unless the answer was whole; every run's status if they differed."""
    if not pe or not pe.get("status"):
        return "not run"
    st = pe["status"] if pe["status"] == WHOLE else "**%s**" % pe["status"]
    runs = set(pe.get("statuses") or [])
    return "%s: %d records, %s steps in See++%s%s" % (
        st, pe["records"], "-" if pe["steps"] is None else pe["steps"],
        "; " + pe["detail"] if pe.get("detail") else "",
        "" if len(runs) <= 1 else " (runs: %s)" % ", ".join(pe["statuses"]))


def _text(x):
    return x.decode("utf-8", errors="replace") if isinstance(x, bytes) else x


def judge(script_rc, vg_rc, stderr, vgtrace, src_path):
    """How one run ended, from run.sh's files (bytes or text). Pure, so it
    can be read (and checked) apart from any run."""
    vg_rc, stderr = _text(vg_rc), _text(stderr)
    if vgtrace is not None and len(vgtrace) <= PARSE_LIMIT:
        vgtrace = _text(vgtrace)
    out = {"status": NO_TRACE, "records": 0, "steps": None, "detail": "", "raw_bytes": 0}
    if script_rc == 3:
        out["status"] = NO_COMPILE
        return out
    if script_rc != 0 or vg_rc is None:
        raise BenchError("SPP-Valgrind run.sh failed (exit %d) on %s" % (script_rc, src_path))
    rc = int(vg_rc.strip() or "-1")
    raw = vgtrace or ""
    out["raw_bytes"] = len(raw)
    if isinstance(raw, bytes):  # too large to parse: counted only
        out["records"] = raw.count(RECORD.encode())
        cut = b"MAX_STEPS_EXCEEDED" in raw[-4096:]
        out["detail"] = "steps not counted: %.0f MB of raw trace" % (len(raw) / 1e6)
    else:
        out["records"] = raw.count(RECORD)
        cut = "MAX_STEPS_EXCEEDED" in raw
        out["steps"] = _see_steps(raw, src_path, out)
    if out["records"] and out["steps"] == 0 and not out["detail"]:
        out["detail"] = "See++'s parser (as tests/e2e/seepp_parser.py reads it) keeps no step"
        if "\nERROR:" in raw:
            out["detail"] += " (a record with a memcheck ERROR: line empties its whole trace)"
    err = stderr or ""
    if rc == 124:
        out["status"] = TIMEOUT
    elif "the 'impossible' happened" in err or "Assertion '" in err or "vg_assert" in err:
        out["status"] = CRASHED
        line = next((l for l in err.splitlines() if "Assertion" in l or "impossible" in l), "")
        out["detail"] = (out["detail"] + "; " if out["detail"] else "") + \
            line.lstrip("=0123456789 ").strip()[:120]
    elif cut:
        out["status"] = CUT
    elif out["records"] == 0:
        out["status"] = NO_TRACE
    else:
        out["status"] = WHOLE
    return out


def _see_steps(raw, src_path, out):
    """The steps See++'s backend makes of a raw trace (None, with out's
    detail saying why, when it cannot be read that way)."""
    with open(src_path, encoding="utf-8", errors="replace") as f:
        code = f.read()
    # A 200-node list nests deref_vals 200 deep; JSON.parse takes that,
    # Python's decoder needs a deeper recursion limit.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        return len(seepp_parser.parse_valgrind_trace(raw, code)["trace"])
    except (ValueError, KeyError, TypeError, IndexError, RecursionError) as e:
        out["detail"] = "could not be read as See++'s parser reads it (%s)" % type(e).__name__
        return None
    finally:
        sys.setrecursionlimit(limit)

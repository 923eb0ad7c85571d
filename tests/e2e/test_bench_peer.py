#!/usr/bin/env python3
"""bench/peer.py tells how a See++ (SPP-Valgrind) run ended, never just its time.

The benchmark's See++ column is only honest if a cut or crashed run is
reported as such: the status comes from run.sh's files (exit status,
Valgrind's stderr, main.vgtrace). Those files are built here from a real
raw trace in See++'s format (our own `--format vgtrace` of a sample
program) and from the endings SPP-Valgrind's README lists, so no
SPP-Valgrind build is needed.
"""
import os
import sys

from spp import PROGRAMS, ROOT, eq, run, run_tests, shared_dir

sys.path.insert(0, os.path.join(ROOT, "bench"))
import peer  # noqa: E402

SRC = os.path.join(PROGRAMS, "11_recursion.c")
CRASH = ("==1== \nvalgrind: m_debuginfo/tytypes.c:718 (vgModuleLocal_pg_pp_varinfo): "
         "the 'impossible' happened.\n")


def raw_trace():
    r = run(["--no-cache", "--format", "vgtrace", SRC])
    eq(r.status, 0, "vgtrace of %s: %s" % (SRC, r.stderr))
    return r.stdout


def test_a_whole_run_counts_records_and_the_steps_see_plus_plus_keeps():
    raw = raw_trace()
    got = peer.judge(0, "0\n", "", raw, SRC)
    eq(got["status"], peer.WHOLE)
    eq(got["records"], raw.count(peer.RECORD))
    assert 0 < got["steps"] <= got["records"], got
    eq(got["detail"], "")


def test_the_5000_record_cap_is_a_cut_not_a_whole_answer():
    got = peer.judge(0, "0\n", "", raw_trace() + "MAX_STEPS_EXCEEDED\n", SRC)
    eq(got["status"], peer.CUT)
    assert got["status"] != peer.WHOLE


def test_a_valgrind_assertion_mid_record_is_a_crash_with_its_reason():
    raw = raw_trace()
    cut = raw[:raw.rindex(peer.RECORD) + len(peer.RECORD) + 30]  # ends inside a record
    got = peer.judge(0, "134\n", CRASH, cut, SRC)
    eq(got["status"], peer.CRASHED)
    assert "tytypes.c:718" in got["detail"], got
    # the half record does not parse: See++'s parser gives up on the whole trace
    eq(got["steps"], 0)


def test_an_error_record_empties_see_plus_plus_trace_and_says_why():
    raw = raw_trace()
    k = raw.index(peer.RECORD, len(peer.RECORD))  # the second record
    with_error = raw[:k] + raw[k:].replace("STDOUT:", "ERROR: Invalid read of size 4\nSTDOUT:", 1)
    got = peer.judge(0, "0\n", "", with_error, SRC)
    eq(got["status"], peer.WHOLE)
    eq(got["steps"], 0)
    assert "ERROR:" in got["detail"], got


def test_a_raw_trace_too_large_to_parse_is_counted_and_says_so():
    raw = (raw_trace() + "MAX_STEPS_EXCEEDED\n").encode()
    limit, peer.PARSE_LIMIT = peer.PARSE_LIMIT, len(raw) - 1
    try:
        got = peer.judge(0, b"0\n", b"", raw, SRC)
    finally:
        peer.PARSE_LIMIT = limit
    eq(got["status"], peer.CUT)
    eq(got["records"], raw.count(peer.RECORD.encode()))
    eq(got["steps"], None)
    assert got["detail"].startswith("steps not counted"), got
    assert "steps not counted" in peer.produced(dict(got, statuses=[got["status"]])), got


def test_compile_failure_and_timeout():
    eq(peer.judge(3, None, None, None, SRC)["status"], peer.NO_COMPILE)
    eq(peer.judge(0, "124\n", "", raw_trace(), SRC)["status"], peer.TIMEOUT)


def test_absent_build_says_how_to_build_it():
    shared = shared_dir()
    p = peer.Peer(shared, "/nonexistent/valgrind")
    assert not p.available
    if os.path.exists(os.path.join(shared, "anchors", "spp-valgrind", "run.sh")):
        assert "make bench-peer" in p.note, p.note
    else:
        assert "run.sh missing" in p.note, p.note


if __name__ == "__main__":
    run_tests(globals())

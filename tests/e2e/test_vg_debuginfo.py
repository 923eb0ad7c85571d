"""End-to-end: memcheck's Valgrind run sees only the dynamic linker's
separate debuginfo (targets/valgrind/vg_debuginfo.c), and reports exactly
what it reports with all of it (SPP_VG_ALL_DEBUGINFO=1, the reference).

libc's debuginfo costs ~350 ms of every Valgrind start-up and names only
libc's internal functions, which we never show. The findings must not
change: the kinds, messages, the steps they land on and the leaks, for
programs whose errors happen inside libc (printf of an uninitialised sum,
write(2) of uninitialised bytes, strncpy's overlap) and in libstdc++.
Skipped (77) without valgrind; the narrowing needs a private mount
namespace, the comparison runs either way.
"""
import json
import os
import shutil
import subprocess

from spp import ROOT, eq, run, run_tests, skip_all, step_at

PROGRAMS = os.path.join(ROOT, "tests", "programs")


def response(path, all_debuginfo, engine="ptrace", extra=()):
    r = run(["--no-cache", "--memcheck", "--engine", engine, "--format", "response"] +
            list(extra) + [path],
            timeout=120, env={"SPP_VG_ALL_DEBUGINFO": "1" if all_debuginfo else "0"})
    j = r.json
    assert j is not None, "no JSON: %s" % r.stderr
    assert j.get("success") is True, j.get("error")
    return j


def comparable(j):
    j = dict(j)
    j.pop("timingsMs")
    j.pop("usedPch", None)  # the compile cache, not Valgrind
    j["sandbox"] = dict(j["sandbox"], uid=None)
    return j


def same_findings(name):
    path = os.path.join(PROGRAMS, name)
    narrow, full = response(path, False), response(path, True)
    for k in ("memcheck", "trace", "outcome", "stdout"):
        if comparable(narrow)[k] != comparable(full)[k]:
            raise AssertionError("%s: %s differs with all debuginfo:\n%.600s\n%.600s" % (
                name, k, json.dumps(narrow[k])[:600], json.dumps(full[k])[:600]))
    return narrow


def kinds(j):
    return sorted({e["kind"] for e in j["memcheck"]["errors"]})


def test_uninitialised_sum_printed_inside_libc():
    j = same_findings("student/uninit_sum.c")
    # printf's internals branch on the never-set sum: found, on line 10
    assert "UninitCondition" in kinds(j), kinds(j)
    s = step_at(j["trace"]["trace"], 10)
    assert "uninitialised" in (s.get("exceptionMsg") or ""), s.get("exceptionMsg")


def test_syscall_param_and_overlap():
    eq(kinds(same_findings("mc_syscall_param.c")), ["SyscallParam"])
    eq(kinds(same_findings("mc_overlap.c")), ["Overlap"])


def test_leaks_and_cxx():
    j = same_findings("mc_leaks.c")
    eq(j["memcheck"]["leaks"]["definitelyLostBlocks"], 2)
    eq(kinds(same_findings("mc_mismatched_free.cpp")), ["MismatchedFree"])


def files_seen(all_debuginfo):
    path = os.path.join(PROGRAMS, "vg_debug_files.c")
    # a few steps per file, and libc6-dbg has hundreds
    j = response(path, all_debuginfo, engine="valgrind", extra=["--max-steps", "10000"])
    eq(j["outcome"], "ok")
    out = j["stdout"]
    return {line.rsplit(" ", 1)[0]: int(line.rsplit(" ", 1)[1]) for line in out.splitlines()}


def readelf_build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    hexid = out.split("Build ID: ")[1].split()[0]
    return "/usr/lib/debug/.build-id/%s/%s.debug" % (hexid[:2], hexid[2:])


def test_valgrind_is_shown_ld_so_and_symbols_of_libc():
    probe = json.loads(run(["--probe"]).stdout)
    if not probe.get("sandbox", {}).get("mountns"):
        print("  (no private mount namespace here: Valgrind sees every file)")
        return
    narrow, full = files_seen(False), files_seen(True)
    ld_so = readelf_build_id(os.path.realpath("/lib64/ld-linux-x86-64.so.2"))
    libc = readelf_build_id(os.path.realpath("/lib/x86_64-linux-gnu/libc.so.6"))
    assert ld_so in full and libc in full, "libc6-dbg is not installed: %d files" % len(full)
    assert len(full) > 3, len(full)
    assert set(narrow) <= set(full) and len(narrow) <= 3, sorted(narrow)
    eq(narrow[ld_so], full[ld_so])  # all of it: its redirections need it
    # libc's symbol table only, without its DWARF
    assert 0 < narrow[libc] < full[libc] / 4, (narrow[libc], full[libc])


if __name__ == "__main__":
    if not shutil.which("valgrind"):
        skip_all("valgrind is not installed")
    run_tests(globals())

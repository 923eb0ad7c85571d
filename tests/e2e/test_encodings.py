"""End-to-end: the other encodings of a trace.

- `--format opt`: Python Tutor's snake_case keys and event names
  (trace-format.md section 3), the same steps and values as seepp.
- `--format vgtrace` / the response's `traceContent`: See++'s raw
  SPP-Valgrind text (section 2). The test of success is that See++'s
  unchanged backend parser (seepp_parser.py, a Python reading of
  parse_vg_trace.ts) turns it into the seepp trace, except for the limits
  docs/trace-notes.md lists, which `see_expected` applies.
"""
import glob
import json
import os

import seepp_parser
from spp import PROGRAMS, ROOT, eq, program, run_tests, trace

P = os.path.join(ROOT, "tests", "programs")
SEP = "=== pg_trace_inst ==="

OPT_EVENTS = {"step_line", "call", "return", "exception", "instruction_limit_reached",
              "uncaught_exception"}
OPT_STEP_KEYS = {"event", "func_name", "line", "globals", "ordered_globals", "heap", "stdout",
                 "stack_to_render", "changes"}
OPT_STEP_OPTIONAL = {"exception_msg", "exit_code", "memcheck_errors", "build_output"}
OPT_FRAME_KEYS = {"func_name", "frame_id", "unique_hash", "ordered_varnames", "encoded_locals",
                  "is_highlighted", "is_parent", "is_zombie", "parent_frame_id_list", "line"}
SEEPP_TO_OPT = {"stepLine": "step_line", "call": "call", "return": "return",
                "exception": "exception", "instruction_limit_reached": "instruction_limit_reached",
                "uncaughtException": "uncaught_exception"}


def all_programs():
    out = sorted(glob.glob(os.path.join(PROGRAMS, "*.c")) + glob.glob(os.path.join(PROGRAMS, "*.cpp")))
    out += sorted(glob.glob(os.path.join(P, "*.c")) + glob.glob(os.path.join(P, "*.cpp")))
    return out


def stdin_for(path):
    if os.path.exists(path + ".stdin"):
        return open(path + ".stdin").read()
    return "3 4\n" if "stdin" in os.path.basename(path) else None


# ---- opt ---------------------------------------------------------------------

def check_opt_shape(doc):
    eq(set(doc) - {"build_output"}, {"code", "trace"}, "top-level keys")
    for s in doc["trace"]:
        keys = set(s)
        assert OPT_STEP_KEYS <= keys, "missing %s" % (OPT_STEP_KEYS - keys)
        assert keys <= OPT_STEP_KEYS | OPT_STEP_OPTIONAL, "unexpected %s" % (
            keys - OPT_STEP_KEYS - OPT_STEP_OPTIONAL)
        assert s["event"] in OPT_EVENTS, s["event"]
        for f in s["stack_to_render"]:
            eq(set(f), OPT_FRAME_KEYS, "frame keys")
            eq(f["unique_hash"], "%s_%s" % (f["func_name"], f["frame_id"]))
            eq(f["ordered_varnames"], [n for n in f["ordered_varnames"] if n in f["encoded_locals"]])
        flags = [f["is_highlighted"] for f in s["stack_to_render"]]
        if flags:
            eq(flags, [False] * (len(flags) - 1) + [True], "only the innermost is highlighted")


def test_opt_is_python_tutor_shaped_and_matches_seepp():
    for name in ("02_calls.cpp", "03_linked_list.cpp", "05_classes.cpp", "07_stl.cpp"):
        seepp = trace(program(name)).json
        opt = trace(program(name), fmt="opt").json
        check_opt_shape(opt)
        eq(opt["code"], seepp["code"])
        eq(len(opt["trace"]), len(seepp["trace"]), name + " step count")
        for a, b in zip(seepp["trace"], opt["trace"]):
            eq(SEEPP_TO_OPT[a["event"]], b["event"])
            eq((a["line"], a["funcName"], a["stdout"]), (b["line"], b["func_name"], b["stdout"]))
            eq(a["heap"], b["heap"], "same heap values")
            eq(a["globals"], b["globals"])
            eq(a["orderedGlobals"], b["ordered_globals"])
            for fa, fb in zip(a["stackToRender"], b["stack_to_render"]):
                eq((fa["frameId"], fa["orderedVarNames"], fa["encodedLocals"]),
                   (fb["frame_id"], fb["ordered_varnames"], fb["encoded_locals"]))
    # what a user sees in Python Tutor at main's return of 02: add returned 5
    opt = trace(program("02_calls.cpp"), fmt="opt").json["trace"]
    rets = [s for s in opt if s["event"] == "return" and s["func_name"] == "add"]
    eq(rets[0]["stack_to_render"][-1]["encoded_locals"]["__return__"][3], 5)
    eq(opt[-1].get("exit_code"), 0)


def test_opt_endings_use_snake_case():
    crash = trace(program("08_crash.cpp"), fmt="opt").json
    check_opt_shape(crash)
    eq(crash["trace"][-1]["event"], "exception")
    assert "Segmentation fault" in crash["trace"][-1]["exception_msg"]
    bad = trace(program("14_compile_error.cpp"), fmt="opt").json
    check_opt_shape(bad)
    eq(len(bad["trace"]), 1)
    eq(bad["trace"][0]["event"], "uncaught_exception")
    eq(bad["trace"][0]["line"], 5)
    assert "y" in bad["trace"][0]["exception_msg"]
    assert "main.cpp:5" in bad["build_output"]
    limit = trace(program("13_infinite.c"), fmt="opt", args=["--max-steps", "20"]).json
    eq(limit["trace"][-1]["event"], "instruction_limit_reached")
    eq(len(limit["trace"]), 20)


# ---- vgtrace: the records themselves ---------------------------------------

def records(text):
    """[(stdout, record object)] of a vgtrace text, checked line by line."""
    lines = text.split("\n")
    assert lines[0] == SEP, "the text starts with a record separator"
    out, cur = [], []
    for line in lines[1:] + [SEP]:
        if line == SEP:
            eq(len(cur), 2, "a record is a STDOUT line and one JSON line")
            assert cur[0].startswith("STDOUT: "), cur[0]
            out.append((json.loads(cur[0][len("STDOUT: "):]), json.loads(cur[1])))
            cur = []
        else:
            assert not line.startswith("ERROR:"), "an ERROR: line empties See++'s trace"
            cur.append(line)
    return out


def check_raw(v, depth=0):
    assert depth < 40
    kind = v["kind"]
    assert kind in ("base", "pointer", "ref", "struct", "array", "heap_block"), kind
    assert v["addr"].startswith("0x")
    if kind == "base":
        assert {"type", "size", "val"} <= set(v)
    elif kind in ("pointer", "ref"):
        eq(v["size"], 8)
        if "deref_val" in v:
            eq(v["deref_val"]["kind"], "heap_block")
            check_raw(v["deref_val"], depth + 1)
    elif kind == "struct":
        for m in v["val"].values():
            check_raw(m, depth + 1)
    else:
        if kind == "array":
            assert isinstance(v["dimensions"], list)
        for e in v["val"]:
            check_raw(e, depth + 1)


def test_vgtrace_records_have_spp_valgrind_shape():
    src = program("03_linked_list.cpp")
    seepp = trace(src).trace
    recs = records(trace(src, fmt="vgtrace").stdout.rstrip("\n"))
    assert len(recs) >= len(seepp), "every step is a record (hidden ones too)"
    blocks = 0
    for out, r in recs:
        assert {"func_name", "line", "IP", "kind", "globals", "ordered_globals", "stack"} <= set(r)
        assert r["stack"], "never an empty stack"
        eq(r["stack"][-1]["func_name"], "main", "innermost first, ending at main")
        eq(r["func_name"], r["stack"][0]["func_name"])
        for f in r["stack"]:
            assert {"func_name", "line", "SP", "FP", "locals", "ordered_varnames"} <= set(f)
            assert f["FP"] != "0x0" and f["func_name"] != "???"
            eq(sorted(f["ordered_varnames"]), sorted(f["locals"]))
            for v in f["locals"].values():
                check_raw(v)
                blocks += json.dumps(v).count('"heap_block"')
    assert blocks > 0, "heap blocks travel as deref_val"
    eq(recs[0][1]["stack"][0]["func_name"], "main", "the first record is in main")
    # FP is the frameId of the seepp trace
    seepp_ids = {f["frameId"] for s in seepp for f in s["stackToRender"]}
    vg_ids = {f["FP"] for _, r in recs for f in r["stack"]}
    eq(vg_ids, seepp_ids)


def test_response_carries_trace_content():
    r = trace(program("02_calls.cpp"), fmt="response")
    tc = r.json["traceContent"]
    assert tc.startswith(SEP + "\n"), tc[:40]
    eq(tc, trace(program("02_calls.cpp"), fmt="vgtrace").stdout.rstrip("\n") + "\n",
       "traceContent is the --format vgtrace text")
    bad = trace(program("14_compile_error.cpp"), fmt="response").json
    eq(bad["traceContent"], "", "a compile error has no records (See++ reads ccStderr)")


# ---- vgtrace: through See++'s parser ----------------------------------------

def ids(step):
    return [f["frameId"] for f in step["stackToRender"]]


def see_expected(tr):
    """Our seepp steps as See++'s parser can show them: the documented limits
    of docs/trace-notes.md applied, nothing else."""
    tr = [dict(s) for s in tr]
    if tr and tr[0]["event"] == "uncaughtException":
        return []  # See++ builds compile errors from ccStderr, not from records
    if all(not s["stackToRender"] for s in tr):
        return []  # ended before main (a limit): no frame, so no record to send
    # rule 2's lookahead: after a call, steps in the same frames on the call's
    # line are deleted (the return of a function written on one line)
    gone = set()
    for i, s in enumerate(tr):
        if s["event"] == "call":
            for j in range(i + 1, len(tr)):
                if ids(tr[j]) != ids(s) or tr[j]["line"] != s["line"]:
                    break
                gone.add(j)
    tr[0]["event"] = "stepLine"  # no call into main is seen
    tr[-1]["event"] = "return"   # rule 3, even after a crash or a limit
    # rule 4: passes of a one-line loop are one step
    kept, last = [], None
    for i, s in enumerate(tr):
        here = (s["event"], s["line"], ids(s))
        if last and here[0] == "stepLine" and here == last:
            continue
        kept.append(i)
        last = here
    out = [tr[i] for i in kept if i not in gone]
    out[-1] = dict(out[-1], stdout="")  # rule 7 empties the last step's stdout
    return out


def norm_value(v):
    """A seepp value as See++'s encodeValue rebuilds it: pointer tuples
    without the declared type, struct members ordered by address."""
    if v[0] == "C_DATA":
        return v[:4]
    if v[0] == "C_STRUCT":
        members = sorted(v[3:], key=lambda m: m[1][1])
        return v[:3] + [[k, norm_value(x)] for k, x in members]
    head = 3 if v[0] == "C_MULTIDIMENSIONAL_ARRAY" else 2
    return v[:head] + [norm_value(x) for x in v[head:]]


def view(step):
    return (step["event"], step["line"], step["funcName"], step["stdout"],
            [(f["frameId"], f["funcName"], f["line"], f["orderedVarNames"], f["isHighlighted"])
             for f in step["stackToRender"]])


def compare_through_seepp(path):
    r = trace(path, stdin=stdin_for(path), fmt="response", args=["--max-steps", "300"])
    j = r.json
    assert j and j["success"], "%s: %s" % (path, r.stderr)
    ours = j["trace"]["trace"]
    see = seepp_parser.parse_valgrind_trace(j["traceContent"], j["trace"]["code"],
                                            None, 1)["trace"]
    want = see_expected(ours)
    cut = j["message"].startswith("The trace stopped") if j.get("message") else False
    if cut:
        # both encodings stop at their size cap, vgtrace's larger records
        # sooner: compare what both hold
        n = len(see) - 1
        assert n > 10, "%s: too little of the trace survived the cap" % path
        see, want = see[:n], want[:n]
        want = [dict(s, stdout=see[i]["stdout"]) if i == n - 1 else s for i, s in enumerate(want)]
    name = os.path.basename(path)
    eq(len(see), len(want), name + ": step count")
    for i, (a, b) in enumerate(zip(want, see)):
        eq(view(b), view(a), "%s step %d" % (name, i))
        for fa, fb in zip(a["stackToRender"], b["stackToRender"]):
            for var, val in fa["encodedLocals"].items():
                eq(fb["encodedLocals"].get(var), norm_value(val), "%s step %d %s" % (name, i, var))
        for g, val in a["globals"].items():
            eq(b["globals"].get(g), norm_value(val), "%s step %d global %s" % (name, i, g))
        for addr, block in b["heap"].items():
            assert addr in a["heap"], "%s step %d: See++ has block %s we do not" % (name, i, addr)
            eq(block, norm_value(a["heap"][addr]), "%s step %d block %s" % (name, i, addr))
    return ours, see


def test_vgtrace_through_seepp_parser_equals_seepp_trace_for_every_program():
    srcs = all_programs()
    assert len(srcs) >= 20, "programs not found"
    for path in srcs:
        compare_through_seepp(path)


def test_vgtrace_stdout_lands_on_the_same_step():
    # 02 prints on line 14; See++ shows it on the step after, as we do,
    # even though its parser shifts every record's stdout one step earlier
    ours, see = compare_through_seepp(program("02_calls.cpp"))
    i = [k for k, s in enumerate(see) if s["line"] == 14][0]
    eq(see[i]["stdout"], "")
    eq(see[i + 1]["stdout"], "10\n")


def test_vgtrace_heap_reaches_see_plus_plus():
    ours, see = compare_through_seepp(program("03_linked_list.cpp"))
    at_while = [s for s in see if s["line"] == 15][0]
    eq(len(at_while["heap"]), 3, "the three nodes")
    lst = at_while["stackToRender"][-1]["encodedLocals"]["list"]
    eq(lst[2], "pointer")
    node = at_while["heap"][lst[3]][2]
    eq(node[2], "Node")


def test_documented_limit_one_line_function_shows_only_its_call():
    src = "int twice(int x) { return 2 * x; }\nint main() {\n    int y = twice(4);\n    return y;\n}\n"
    r = trace(src, fmt="response").json
    ours = [(s["event"], s["funcName"]) for s in r["trace"]["trace"]]
    assert ("return", "twice") in ours, "we show twice's return"
    see = seepp_parser.parse_valgrind_trace(r["traceContent"], src, None, 1)["trace"]
    events = [(s["event"], s["funcName"]) for s in see]
    assert ("call", "twice") in events and ("return", "twice") not in events, events
    eq(events[0], ("stepLine", "main"), "See++ never sees main called")


# ---- the port itself, on See++'s own finalizeTrace tests -------------------

def ep(line, func, stack, event="stepLine"):
    return {"event": event, "line": line, "funcName": func, "globals": {}, "heap": {},
            "orderedGlobals": [], "stdout": "",
            "stackToRender": [dict(frameId=f, funcName=n, line=l, isHighlighted=False)
                              for f, n, l in stack]}


def test_port_agrees_with_see_plus_plus_finalize_tests():
    # parse_vg_trace.test.ts, case 1: a different frame on the call's line stays
    out = seepp_parser.finalize_trace([
        ep(10, "main", [("0xMAIN", "main", 10)]),
        ep(20, "f", [("0xMAIN", "main", 10), ("0xF", "f", 20)]),
        ep(10, "main", [("0xMAIN", "main", 10)]),
        ep(30, "g", [("0xMAIN", "main", 10), ("0xG", "g", 30)])])
    eq(["%s:%d" % (p["funcName"], p["line"]) for p in out], ["main:10", "f:20", "main:10", "g:30"])
    # case 2: the extraneous post-return step goes
    pts = [ep(5, "main", [("0xMAIN", "main", 5), ("0xF", "f", 8)], "return"),
           ep(5, "main", [("0xMAIN", "main", 5)]),
           ep(6, "main", [("0xMAIN", "main", 6)])]
    seq = ["%s:%s:%d" % (p["event"], p["funcName"], p["line"]) for p in seepp_parser.finalize_trace(pts)]
    assert "return:main:5" in seq and "stepLine:main:5" not in seq, seq
    # case 3: a different top frame on the same line stays
    pts = [ep(7, "main", [("0xA", "main", 7), ("0xINNER", "main", 9)], "return"),
           ep(7, "main", [("0xB", "main", 7)]),
           ep(8, "main", [("0xB", "main", 8)])]
    seq = ["%s:%s:%d" % (p["event"], p["funcName"], p["line"]) for p in seepp_parser.finalize_trace(pts)]
    assert "stepLine:main:7" in seq, seq


def test_port_empties_the_trace_on_an_error_line():
    good = trace(program("02_calls.cpp"), fmt="vgtrace").stdout
    eq(len(seepp_parser.parse_valgrind_trace(good, "", None, 1)["trace"]) > 0, True)
    broken = good.replace("STDOUT:", "ERROR: Invalid read of size 4\nSTDOUT:", 1)
    eq(seepp_parser.parse_valgrind_trace(broken, "", None, 1)["trace"], [])


if __name__ == "__main__":
    run_tests(globals())

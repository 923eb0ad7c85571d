"""End-to-end: the shared sample programs show what their comments promise."""
from spp import (eq, events, heap_block, local, program, run_tests, step_at, steps_at,
                 top, trace, val, ctype, has_local)


def test_01_scalars():
    r = trace(program("01_scalars.cpp"))
    eq(r.status, 0, "exit status")
    tr = r.trace
    last = tr[-1]
    eq(last["event"], "return")
    eq(last["funcName"], "main")
    eq(last.get("exitCode"), 0, "exit code")
    v = {n: local(last, n) for n in ("a", "c", "b", "d", "f", "u", "e", "s", "big")}
    eq(val(v["a"]), 7)
    eq(val(v["c"]), "x")
    eq(val(v["b"]), True)
    eq(val(v["d"]), 2.5)
    eq(val(v["f"]), 0.1)
    eq(ctype(v["f"]), "float")
    eq(val(v["u"]), 4000000000)
    eq(ctype(v["u"]), "unsigned int")
    eq(val(v["e"]), "GREEN")
    eq(ctype(v["e"]), "Color")
    eq(val(v["s"]), -3)
    eq(val(v["big"]), 1e300)
    # '"0.1"' as shortest round-trip text, not 0.100000001490116
    assert '"f",' in r.stdout and ',0.1]' in r.stdout.replace(" ", ""), "float not shortest"
    # a is not visible before its line, visible from it on
    first = tr[0]
    eq(first["event"], "call")
    assert not has_local(first, "c"), "c visible before its declaration"


def test_02_calls():
    tr = trace(program("02_calls.cpp")).trace
    calls = [s["funcName"] for s in tr if s["event"] == "call"]
    eq(calls, ["main", "add", "twice", "add"], "calls")
    rets = [(s["funcName"], val(local(s, "__return__"))) for s in tr if s["event"] == "return"]
    eq(rets, [("add", 5), ("add", 10), ("twice", 10), ("main", 0)], "returns")
    # main's frame shows the call line while add runs
    in_add = step_at(tr, 5, func="add")
    eq(in_add["stackToRender"][0]["funcName"], "main")
    eq(in_add["stackToRender"][0]["line"], 12)
    eq(len(in_add["stackToRender"]), 2)
    # parameters readable at the call step
    call_add = [s for s in tr if s["event"] == "call" and s["funcName"] == "add"][0]
    eq(val(local(call_add, "x")), 2)
    eq(val(local(call_add, "y")), 3)
    eq(call_add["line"], 4, "call step on the function's first line")
    # stdout appears on the step after line 14
    i = tr.index(step_at(tr, 14))
    eq(tr[i]["stdout"], "")
    eq(tr[i + 1]["stdout"], "10\n")
    # highlighted: only the innermost frame
    for s in tr:
        flags = [f["isHighlighted"] for f in s["stackToRender"]]
        eq(flags, [False] * (len(flags) - 1) + [True])


def test_03_linked_list():
    tr = trace(program("03_linked_list.cpp")).trace
    at_while = step_at(tr, 15)  # first time at `while (list)`
    heap = at_while["heap"]
    eq(len(heap), 3, "heap blocks after the pushes")
    for addr, block in heap.items():
        eq(block[0], "C_ARRAY")
        eq(block[1], addr)
        eq(len(block) - 2, 1, "one Node per block")
        eq(block[2][0], "C_STRUCT")
        eq(block[2][2], "Node")
    lst = local(at_while, "list")
    eq(lst[2], "pointer")
    eq(lst[4], "Node*")
    node = val(heap_block(at_while, lst[3])[2])
    eq(node["value"], 3)
    # follow next pointers: 3 -> 2 -> 1 -> null
    seen = []
    p = lst[3]
    while p != "0x0":
        n = val(heap_block(at_while, p)[2])
        seen.append(n["value"])
        p = n["next"]
    eq(seen, [3, 2, 1])
    eq(tr[-1]["heap"], {}, "heap empty after the frees")


def test_04_arrays():
    tr = trace(program("04_arrays.c")).trace
    s = step_at(tr, 10)  # int *p = heap + 2;
    grid = local(s, "grid")
    eq(grid[0], "C_MULTIDIMENSIONAL_ARRAY")
    eq(grid[2], [2, 3])
    eq(val(grid), [1, 2, 3, 4, 5, 6])
    row = local(s, "row")
    eq(row[0], "C_ARRAY")
    eq(val(row), [9, 8, 7, 6])
    h = local(s, "heap")[3]
    eq(val(heap_block(s, h)), [0, 10, 20, 30, 40])
    s2 = step_at(tr, 11)  # free(heap): p set
    p = local(s2, "p")[3]
    eq(int(p, 16), int(h, 16) + 8, "p points 2 ints into the block")
    eq(tr[-1]["heap"], {}, "freed")


def test_08_crash():
    r = trace(program("08_crash.cpp"))
    eq(r.status, 0, "a crash still produces a trace")
    tr = r.trace
    last = tr[-1]
    eq(last["event"], "exception")
    eq(last["line"], 8)
    msg = last["exceptionMsg"]
    assert "Segmentation fault" in msg and "invalid read" in msg and "0x0" in msg, msg
    lines = [s["line"] for s in tr]
    for l in (5, 6, 7):
        assert l in lines, "line %d missing" % l
    eq(last["stdout"], "before\n")


def test_11_recursion():
    tr = trace(program("11_recursion.c")).trace
    deepest = max(tr, key=lambda s: len(s["stackToRender"]))
    eq(len(deepest["stackToRender"]), 6, "depth")
    ids = [f["frameId"] for f in deepest["stackToRender"]]
    eq(len(set(ids)), 6, "distinct frame ids")
    ns = [val(f["encodedLocals"]["n"]) for f in deepest["stackToRender"][1:]]
    eq(ns, [5, 4, 3, 2, 1])
    rets = [val(local(s, "__return__")) for s in tr
            if s["event"] == "return" and s["funcName"] == "fact"]
    eq(rets, [1, 2, 6, 24, 120])
    eq(tr[-1]["stdout"], "120\n")


def test_12_globals_static():
    tr = trace(program("12_globals_static.c")).trace
    eq(tr[0]["orderedGlobals"], ["counter", "names", "origin"])
    calls = [val(local(s, "calls")) for s in tr
             if s["event"] == "return" and s["funcName"] == "tick"]
    eq(calls, [1, 2, 3])
    g = tr[-1]["globals"]
    eq(val(g["counter"]), 6)
    eq(g["names"][0], "C_ARRAY")
    eq(len(g["names"]) - 2, 2)
    eq(val(g["origin"]), {"x": 0, "y": 0})


def test_13_step_limit():
    r = trace(program("13_infinite.c"), args=["--max-steps", "50"])
    tr = r.trace
    eq(len(tr), 50)
    eq(tr[-1]["event"], "instruction_limit_reached")
    eq(tr[-1]["exceptionMsg"], "Stopped after 50 steps. Please shorten your code.")
    r = trace(program("13_infinite.c"))
    eq(len(r.trace), 1000)
    eq(r.trace[-1]["exceptionMsg"], "Stopped after 1000 steps. Please shorten your code.")


def test_13_time_limit():
    # blocked in a system call: no new steps, only the clock can stop it
    src = "#include <unistd.h>\nint main(void) {\n    sleep(30);\n    return 0;\n}\n"
    r = trace(src, lang="c", args=["--timeout", "1", "--format", "response"])
    eq(r.status, 0)
    j = r.json
    eq(j["outcome"], "time_limit")
    last = j["trace"]["trace"][-1]
    eq(last["event"], "exception")
    assert "Time limit" in last["exceptionMsg"], last["exceptionMsg"]


def test_14_compile_error():
    r = trace(program("14_compile_error.cpp"))
    eq(r.status, 0)
    j = r.json
    eq(len(j["trace"]), 1)
    s = j["trace"][0]
    eq(s["event"], "uncaughtException")
    eq(s["line"], 5)
    assert "y" in s["exceptionMsg"] and "declared" in s["exceptionMsg"], s["exceptionMsg"]
    eq(s["stackToRender"], [])
    eq(s["funcName"], "")
    assert "main.cpp:5" in j["buildOutput"], j["buildOutput"]


def test_15_uncaught():
    tr = trace(program("15_uncaught.cpp")).trace
    last = tr[-1]
    eq(last["event"], "exception")
    eq(last["line"], 7)
    assert "std::out_of_range" in last["exceptionMsg"], last["exceptionMsg"]
    assert "_M_range_check" in last["exceptionMsg"], "what() text missing"


if __name__ == "__main__":
    run_tests(globals())

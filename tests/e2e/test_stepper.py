"""End-to-end: steps, frames, scopes and values as a user sees them."""
import os

from spp import (ROOT, eq, has_local, local, run_tests, step_at, steps_at, trace, val,
                 ctype, heap_block)

P = os.path.join(ROOT, "tests", "programs")


def test_block_scopes_and_shadowing():
    tr = trace(os.path.join(P, "scopes.cpp")).trace
    inner = step_at(tr, 8)  # printf inside the block: the inner x shadows
    eq(val(local(inner, "x")), 2)
    eq(val(local(inner, "y")), 20)
    eq(inner["stackToRender"][-1]["orderedVarNames"].count("x"), 1)
    after_block = step_at(tr, 10)  # first time at the for line
    eq(val(local(after_block, "x")), 1, "outer x again after the block")
    assert not has_local(after_block, "y"), "y outlived its block"
    # the loop variable exists only inside the loop; sq only in its body
    eq([val(local(s, "i")) for s in steps_at(tr, 12)], [0, 1])
    end = step_at(tr, 15)
    assert not has_local(end, "i") and not has_local(end, "sq"), "loop vars outlived the loop"
    eq(val(local(end, "after")), 2)
    # declaration order, and a local appears once its line is reached
    eq(step_at(tr, 14)["stackToRender"][-1]["orderedVarNames"], ["x", "after"])
    assert not has_local(step_at(tr, 4), "after")


def test_pointers_to_heap_stack_globals():
    tr = trace(os.path.join(P, "pointers.c")).trace
    s = step_at(tr, 16)  # free(ph): everything set
    loc = s["stackToRender"][-1]["encodedLocals"]
    eq(loc["ps"][3], loc["local"][1], "pointer to a local = the local's address")
    eq(loc["ps"][4], "int*")
    eq(loc["pps"][3], loc["ps"][1], "pointer to pointer")
    eq(loc["pps"][4], "int**")
    eq(val(loc["local"]), 8, "written through the pointer")
    eq(loc["ph"][3], loc["pv"][3])
    eq(loc["pv"][4], "void*")
    eq(loc["pn"][3], "0x0")
    eq(val(heap_block(s, loc["ph"][3])), [1, 2, 3], "heap block typed by int* ph")
    eq(int(loc["pa"][3], 16), int(loc["arr"][1], 16) + 4, "pointer into a local array")
    g = s["globals"]
    eq(g["gp"][3], g["g"][1], "global pointer to a global")
    eq(s["orderedGlobals"], ["g", "gp"])
    eq(tr[-1]["heap"], {}, "freed")


def test_references_struct_returns_and_doubles():
    tr = trace(os.path.join(P, "refs.cpp")).trace
    ret = [s for s in tr if s["event"] == "return" and s["funcName"] == "make"][0]
    eq(val(local(ret, "__return__")), {"a": 2, "b": 0.5}, "struct returned in registers")
    call = [s for s in tr if s["event"] == "call" and s["funcName"] == "bump"][0]
    r = local(call, "r")
    eq(r[2], "ref")
    eq(r[4], "int&")
    main_n = call["stackToRender"][0]["encodedLocals"]["n"]
    eq(r[3], main_n[1], "the reference points at main's n")
    eq(local(call, "pr")[4], "const Pair&")
    mret = [s for s in tr if s["event"] == "return" and s["funcName"] == "mean"][0]
    eq(val(local(mret, "__return__")), 2.5)
    eq(ctype(local(mret, "__return__")), "double")
    end = tr[-1]
    eq(ctype(local(end, "big")), "ulong_t", "typedef name kept")
    eq(val(local(end, "ld")), 2.5)
    eq(ctype(local(end, "ld")), "long double")
    eq(val(local(end, "n")), 3)


def test_scalar_encodings():
    end = trace(os.path.join(P, "scalars.cpp")).trace[-1]
    v = lambda n: val(local(end, n))
    eq(v("ll"), -9000000000)
    eq(ctype(local(end, "ll")), "long long")
    eq(ctype(local(end, "ull")), "unsigned long long")
    eq(ctype(local(end, "sh")), "short")
    eq(v("u"), 4294967295)
    eq(v("ull"), 18446744073709551615)
    eq(v("sh"), -32768)
    # a char is the character itself (JSON escapes the controls once); a
    # byte past ASCII is its number as C has it: char is signed
    eq(v("nl"), "\n")
    eq(v("nul"), "\0")
    eq(v("hi"), -106)
    eq(v("f"), False)
    eq(v("fl"), 1.5)
    eq(v("dn"), "nan")
    eq(v("di"), "inf")
    eq(v("dni"), "-inf")
    eq(v("third"), 1.0 / 3.0)
    eq(v("ld"), 2.5)
    eq(v("m"), "On")
    eq(ctype(local(end, "m")), "Mode")
    eq(v("odd"), 3, "no enumerator matches: the number")


def test_frames_callers_show_call_line():
    tr = trace(os.path.join(P, "refs.cpp")).trace
    for s in tr:
        frames = s["stackToRender"]
        eq(frames[0]["funcName"], "main")
        if s["funcName"] == "mean":
            eq(frames[0]["line"], 22, "main is at the call of mean")
            eq(len(frames), 2)
        ids = [f["frameId"] for f in frames]
        eq(len(ids), len(set(ids)))
        for f in frames:
            eq(f["uniqueHash"], f["funcName"] + "_" + f["frameId"])


def test_loop_iterations_each_a_step():
    src = ("#include <stdio.h>\nint main(void) {\n    int s = 0;\n"
           "    for (int i = 0; i < 4; i++) s += i;\n    printf(\"%d\\n\", s);\n"
           "    return 0;\n}\n")
    tr = trace(src, lang="c").trace
    loop = steps_at(tr, 4)
    assert len(loop) >= 4, "one step per pass of a one-line loop (got %d)" % len(loop)
    # each pass shows the state before its body runs: (i, s)
    eq([(val(local(x, "i")), val(local(x, "s"))) for x in loop[-4:]],
       [(0, 0), (1, 0), (2, 1), (3, 3)])
    eq(val(local(step_at(tr, 5), "s")), 6)
    eq(step_at(tr, 6)["stdout"], "6\n")


def test_no_detour_to_the_closing_brace():
    # gcc puts the clean-up of initializer-list temporaries on main's closing
    # line; the trace must not jump to the `}` between two declarations
    src = ("#include <string>\n#include <vector>\nint main() {\n"
           "    std::vector<std::string> words = {\"a\", \"b\"};\n"
           "    std::vector<int> v = {1, 2};\n"
           "    int n = (int)words.size() + v[1];\n"
           "    return n;\n}\n")
    tr = trace(src).trace
    eq([(s["event"], s["line"]) for s in tr],
       [("call", 3), ("stepLine", 4), ("stepLine", 5), ("stepLine", 6), ("stepLine", 7),
        ("return", 8)])
    eq(val(local(tr[-1], "n")), 4)


def test_library_allocations_are_not_heap_blocks():
    # the first read makes libc allocate stdin's 4 KiB buffer: the user never
    # sees a pointer to it, so it is not shown; the vector's buffer is
    src = ("#include <iostream>\n#include <vector>\nint main() {\n"
           "    std::vector<int> v;\n    int x;\n    while (std::cin >> x)\n"
           "        v.push_back(x);\n    return (int)v.size();\n}\n")
    tr = trace(src, stdin="4 5\n").trace
    last = tr[-1]
    eq(len(last["heap"]), 1, "heap blocks")
    buf = local(last, "v")[3]
    eq(val(heap_block(last, buf)), [4, 5])


def test_library_blocks_are_not_typed_by_pointers_into_them():
    # opendir's DIR (32 KiB) is the library's block, allocated by the
    # library; a dirent* into it at a whole number of dirents made it 119
    # dirents: 1.2 MB of JSON at every step (tests/hostile/env_all_procs.c
    # hit the 32 MiB cap). The user's own block, typed through a pointer
    # into its middle, is still shown.
    r = trace(os.path.join(P, "lib_dir_block.c"))
    tr = r.trace
    eq(tr[-1]["exitCode"], 0, "an entry at a whole dirent was found")
    s = step_at(tr, 19)  # the return inside the loop: d, e, mid set
    d, e, mid = (local(s, n)[3] for n in ("d", "e", "mid"))
    eq((int(e, 16) - int(d, 16)) % 280, 0, "e at a whole dirent from the DIR's start")
    assert d not in s["heap"], "the DIR is shown as a heap block"
    # (the directory names' string literals are read-only blocks of their own)
    mine = [k for k, v in s["heap"].items() if not ctype(v[2]).startswith("const ")]
    eq(len(mine), 1, "heap blocks besides literals: the user's int block only")
    block = heap_block(s, "0x%X" % (int(mid, 16) - 8))
    eq(ctype(block[2]), "int", "typed by the pointer into its middle")
    eq(len(block) - 2, 4, "elements")


if __name__ == "__main__":
    run_tests(globals())

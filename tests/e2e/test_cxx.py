"""End-to-end: C++ (and C) values as a user sees them at a given step.

Programs are in tests/programs (classes.cpp, kinds.cpp, stl.cpp, vla.c,
interior.c, stdin_partial.cpp, no_stdin.cpp) and ../shared/programs (05, 06,
07, 10). Each test names the step (line) and what the user reads there.
"""
import json
import os
import time

from spp import (ROOT, ctype, eq, heap_block, local, program, run, run_tests, step_at,
                 steps_at, trace, val)

P = os.path.join(ROOT, "tests", "programs")


def members(v):
    assert v[0] == "C_STRUCT", v
    return [name for name, _ in v[3:]]


def member(v, name):
    for n, x in v[3:]:
        if n == name:
            return x
    raise AssertionError("%s has no member %s (has %s)" % (v[2], name, members(v)))


def walk(v):
    """Every value nested in v, v first."""
    yield v
    if v[0] == "C_STRUCT":
        for _, x in v[3:]:
            yield from walk(x)
    elif v[0] in ("C_ARRAY", "C_MULTIDIMENSIONAL_ARRAY"):
        for x in v[(3 if v[0] == "C_MULTIDIMENSIONAL_ARRAY" else 2):]:
            yield from walk(x)


def addr(v):
    return int(v[1], 16)


def block_of(step, a):
    """The key of the heap block that starts nearest below address a."""
    keys = [k for k in step["heap"] if int(k, 16) <= a]
    assert keys, "no heap block below 0x%X" % a
    return max(keys, key=lambda k: int(k, 16))


def target(v):
    assert v[0] == "C_DATA" and v[2] in ("pointer", "ref"), v
    return int(v[3], 16)


_cache = {}


def traced(name, **kw):
    key = (name, tuple(sorted(kw.items())))
    if key not in _cache:
        r = trace(os.path.join(P, name), **kw)
        assert r.json is not None, r.stderr
        _cache[key] = r.trace
    return _cache[key]


# ---- classes ------------------------------------------------------------------

def test_single_inheritance_shows_the_base_members():
    s = step_at(traced("classes.cpp"), 17)  # Dog constructed
    dog = local(s, "dog")
    eq(members(dog), ["Animal", "tricks"])
    animal = member(dog, "Animal")
    eq(animal[2], "Animal")
    eq(val(animal)["legs"], 4, "dog's Animal base has legs == 4")
    assert val(animal)["name"] != "0x0"
    eq(val(member(dog, "tricks")), 2)
    eq(addr(animal), addr(dog), "the base subobject starts the object")


def test_vtable_pointer_is_never_a_member():
    for s in traced("classes.cpp"):
        for f in s["stackToRender"]:
            for v in f["encodedLocals"].values():
                for x in walk(v):
                    if x[0] == "C_STRUCT":
                        assert not any(n.startswith("_vptr") for n in members(x)), members(x)


def test_base_pointer_shows_the_dynamic_type_on_the_heap():
    s = step_at(traced("classes.cpp"), 18)  # after `Shape* s = new Circle(2.0)`
    sp = local(s, "s")
    eq(sp[4], "Shape*", "the pointer keeps its declared type")
    block = heap_block(s, sp[3])
    eq(len(block) - 2, 1, "one object")
    circle = block[2]
    eq(circle[2], "Circle", "the Shape* s's heap block is a Circle")
    eq(val(member(circle, "radius")), 2.0)
    eq(members(circle), ["Shape", "radius"])


def test_pointer_to_a_secondary_base_shows_the_whole_object():
    s = step_at(traced("classes.cpp"), 19)  # after `Named* n = new Square`
    n = local(s, "n")
    key = block_of(s, target(n))
    assert int(key, 16) < target(n), "n points inside the block, at its Named part"
    sq = s["heap"][key][2]
    eq(sq[2], "Square")
    named = member(sq, "Named")
    eq(addr(named), target(n), "n's target is the Named subobject")
    eq(val(named)["id"], 7)
    eq(val(member(sq, "side")), 3.0)


def test_static_member_is_a_global_listed_once():
    s = step_at(traced("classes.cpp"), 21)  # c1, c2 constructed
    eq(val(s["globals"]["Counter::created"]), 2)
    eq(s["orderedGlobals"].count("Counter::created"), 1)
    for name in ("c1", "c2"):
        eq(members(local(s, name)), ["value"], "no static member inside the object")


def test_virtual_base_is_shown_once_by_the_complete_object():
    s = step_at(traced("classes.cpp"), 22)
    dia = local(s, "dia")
    eq(members(dia), ["Base", "Left", "Right", "d"])
    eq(members(member(dia, "Left")), ["l"], "not repeated inside Left")
    eq(members(member(dia, "Right")), ["r"])
    eq(val(member(dia, "Base"))["b"], 1)
    eq(val(member(member(dia, "Right"), "r")), 3)
    base = addr(member(dia, "Base"))
    assert addr(dia) < base, "the shared base sits after the direct bases"
    # a Base* to a heap Diamond: the block shows the Diamond
    pb = local(s, "pb")
    d = s["heap"][block_of(s, target(pb))][2]
    eq(d[2], "Diamond")
    eq(addr(member(d, "Base")), target(pb))
    eq(val(member(d, "d")), 4)


def test_pointer_to_virtual_member_function():
    s = step_at(traced("classes.cpp"), 23)
    eq(local(s, "vf")[3], "virtual function #0 of Shape")


# ---- kinds of values --------------------------------------------------------------

def kinds_end():
    return step_at(traced("kinds.cpp"), 41)


def test_union_members_share_one_address():
    u = local(kinds_end(), "u")
    eq(members(u), ["i", "c", "f"])
    eq({x[1] for _, x in u[3:]}, {u[1]}, "one address")
    eq(val(u)["i"], 65)
    eq(val(u)["c"], "A", "the char member reads 'A' (little-endian)")


def test_see_plus_plus_union_shim_is_dropped():
    # See++'s backend sends "#define union struct" first; unions stay unions
    src = ("#define union struct\nunion U { int i; char c; };\nint main() {\n"
           "    union U u;\n    u.i = 66;\n    return u.c;\n}\n")
    s = step_at(trace(src).trace, 6)
    u = local(s, "u")
    eq(member(u, "i")[1], member(u, "c")[1], "members overlap")
    eq(val(u), {"i": 66, "c": "B"})


def test_bitfields():
    fl = val(local(kinds_end(), "fl"))
    eq(fl, {"ready": 1, "level": 5, "delta": -3})


def test_anonymous_struct_and_union_are_flattened():
    pk = local(kinds_end(), "pk")
    eq(members(pk), ["kind", "count", "ratio", "x", "y"])
    eq(member(pk, "count")[1], member(pk, "ratio")[1], "the anonymous union's members overlap")
    eq((val(pk)["count"], val(pk)["x"], val(pk)["y"]), (9, 3, 4))


def test_rvalue_reference_is_a_ref():
    rr = local(kinds_end(), "rr")
    eq((rr[2], rr[4]), ("ref", "int&&"))
    assert target(rr) != 0


def test_function_pointers_name_their_function():
    s = kinds_end()
    eq(local(s, "fp")[2:], ["pointer", "square", "int (*)(int)"])
    eq(local(s, "nofp")[3], "0x0")


def test_member_pointers():
    s = kinds_end()
    eq(local(s, "pm")[2:], ["int Point::*", "&Point::y"])
    eq(local(s, "mf")[3], "&Point::sum")


def test_wide_characters_and_int128():
    s = kinds_end()
    eq((ctype(local(s, "wc")), val(local(s, "wc"))), ("wchar_t", "\u00e9"))
    eq((ctype(local(s, "c16")), val(local(s, "c16"))), ("char16_t", "\u03a9"))
    eq((ctype(local(s, "c32")), val(local(s, "c32"))), ("char32_t", "\U0001F600"))
    eq((ctype(local(s, "big")), val(local(s, "big"))), ("__int128", 2 ** 100))
    eq((ctype(local(s, "ubig")), val(local(s, "ubig"))), ("unsigned __int128", 2 ** 128 - 1))


def test_array_of_structs():
    pts = local(kinds_end(), "pts")
    eq(pts[0], "C_ARRAY")
    eq(val(pts), [{"x": 1, "y": 2}, {"x": 3, "y": 4}, {"x": 5, "y": 6}])
    eq([addr(e) - addr(pts) for e in pts[2:]], [0, 8, 16])


def test_structs_returned_by_value():
    tr = traced("kinds.cpp")
    small = [s for s in tr if s["event"] == "return" and s["funcName"] == "make_point"][0]
    eq(val(local(small, "__return__")), {"x": 7, "y": 8}, "returned in registers")
    big = [s for s in tr if s["event"] == "return" and s["funcName"] == "make_big"][0]
    rv = local(big, "__return__")
    eq(val(rv), {"a": 100, "b": 101, "c": 102}, "returned in memory")
    eq(rv[1], local(step_at(tr, 40), "b")[1], "in main's b, where the caller asked")


def test_small_classes_returned_in_memory():
    # a destructor (its own or a member's) makes the ABI return a class
    # through the caller's object, even when it would fit in registers
    tr = traced("returns.cpp")
    rets = {s["funcName"]: local(s, "__return__") for s in tr
            if s["event"] == "return" and s["funcName"] != "main" and has_ret(s)}
    main_at = {s["line"]: s for s in tr if s["funcName"] == "main"}
    eq(val(rets["meters"]), {"v": 2.5}, "a double in a class with a destructor")
    eq(rets["meters"][1], local(main_at[17], "m")[1], "the caller's m")
    owner = rets["owner"]
    eq(owner[1], local(main_at[18], "o")[1])
    eq(val(heap_block(main_at[18], member(owner, "p")[3])), [7])
    boxed = rets["boxed"]
    eq((boxed[2], boxed[4]), ("pointer", "std::unique_ptr<int>"))
    eq(val(heap_block(main_at[19], boxed[3])), [9])
    eq(val(rets["plain"]), {"x": 1.5, "y": 3.0}, "a plain struct still comes in registers")


def has_ret(step):
    return "__return__" in step["stackToRender"][-1]["encodedLocals"]


def test_c_vla_union_and_struct_array():
    tr = traced("vla.c", lang="c")
    s = step_at(tr, 23)  # int s = sum(n, vla);
    eq(val(local(s, "vla")), [0, 1, 4, 9], "bound read from the frame")
    grid = local(s, "grid")
    eq(grid[0], "C_MULTIDIMENSIONAL_ARRAY")
    eq(grid[2], [2, 3])
    eq(val(grid), [0, 1, 2, 10, 11, 12])
    w = local(s, "w")
    eq(member(w, "u")[1], member(w, "bytes")[1])
    eq(val(w)["bytes"], ["\x04", "\x03", "\x02", "\x01"])
    eq(val(local(s, "items")), [{"id": 1, "w": 0.5}, {"id": 2, "w": 1.5}])
    call = [x for x in tr if x["event"] == "call" and x["funcName"] == "sum"][0]
    eq(target(local(call, "a")), addr(local(s, "vla")), "the parameter points at the VLA")


# ---- the standard library --------------------------------------------------------

def stl_at(line):
    return step_at(traced("stl.cpp"), line)


def test_std_string_is_its_text_and_its_buffer_is_not_a_block():
    s = stl_at(28)
    eq(local(s, "shorts")[2:], ["std::string", "hi"])
    eq(local(s, "longs")[2:], ["std::string", "a string too long for the small buffer"])
    # the only blocks are vector buffers: no string, map, set, list or hash
    # node is a block of its own
    vectors = {local(s, n)[3] for n in ("v", "grid", "words")}
    inner = {x[3] for x in heap_block(s, local(s, "grid")[3])[2:]}
    eq(set(s["heap"]), vectors | inner)


def test_vector_points_to_its_size_elements():
    before, after = stl_at(28), stl_at(29)
    v = local(before, "v")
    eq(v[2], "pointer")
    eq(v[4], "std::vector<int>")
    eq(val(heap_block(before, v[3])), [1, 2, 3, 4])
    eq(val(heap_block(after, local(after, "v")[3])), [1, 2, 3], "size, not capacity")
    eq(local(before, "none"), ["C_ARRAY", local(before, "none")[1]], "no buffer: empty")


def test_nested_vectors_and_vector_of_strings():
    s = stl_at(28)
    grid = local(s, "grid")
    eq(grid[4], "std::vector<std::vector<int>>")
    rows = heap_block(s, grid[3])[2:]
    eq([r[4] for r in rows], ["std::vector<int>"] * 2)
    eq([val(heap_block(s, r[3])) for r in rows], [[1, 2], [3]])
    words = heap_block(s, local(s, "words")[3])
    eq(val(words), ["alpha", "a much longer word that lives on the heap"])


def test_array_pair_and_tree_containers():
    s = stl_at(28)
    eq(val(local(s, "arr")), [7, 8, 9])
    eq(local(s, "arr")[0], "C_ARRAY")
    pr = local(s, "pr")
    eq(pr[2], "std::pair<int, double>")
    eq(val(pr), {"first": 5, "second": 2.5})
    ages = local(s, "ages")
    eq(ages[0], "C_ARRAY")
    eq([e[2] for e in ages[2:]], ["std::pair<const std::string, int>"] * 2)
    eq(val(ages), [{"first": "al", "second": 41}, {"first": "bob", "second": 30}], "key order")
    eq(val(local(s, "primes")), [2, 3, 5, 7])
    eq(val(local(s, "lst")), [10, 20, 30])
    eq(val(local(s, "sq")), [{"first": 3, "second": 9}])


def test_unknown_library_type_falls_back_to_members():
    tup = local(stl_at(28), "tup")
    eq(tup[0], "C_STRUCT")
    eq(tup[2], "std::tuple<int, char>")
    leaves = [x[3] for x in walk(tup) if x[0] == "C_DATA"]
    assert 1 in leaves and "x" in leaves, leaves


def test_every_step_of_the_stl_program_is_readable():
    tr = traced("stl.cpp")
    eq(tr[-1]["event"], "return")
    longs = len("a string too long for the small buffer")
    eq(tr[-1].get("exitCode"), longs + 1 + 3 + 9 + 5 + 41 + 4 + 30 + 9 + 1 + 0 + 2)


def test_corrupted_library_objects_end_quickly():
    # containers overwritten with words pointing back into themselves:
    # cycles and absurd counts are walked within bounds, never forever
    r = trace(os.path.join(P, "corrupt.cpp"), args=["--format", "response"])
    j = r.json
    eq(j["outcome"], "ok")  # a walk that never ended would stop at the wall limit
    end = j["trace"]["trace"][-1]
    eq(end["event"], "return")
    g = end["globals"]
    eq(sorted(g), ["d", "h", "l", "m", "s", "v"])
    lst = member(g["l"], "obj")
    eq(lst[0], "C_ARRAY")
    assert len(lst) - 2 <= 1000, "at most 1000 elements shown"


# ---- interior pointers ---------------------------------------------------------------

def test_interior_pointers_keep_the_exact_address():
    s = step_at(traced("interior.c", lang="c"), 15)
    arr = local(s, "arr")
    eq(target(local(s, "third")), addr(arr[4]), "arr + 2 is element 2's address")
    eq(target(local(s, "end")), addr(arr) + 5 * 4, "one past the end")
    eq(target(local(s, "pb")), addr(member(local(s, "s"), "b")), "&s.b")
    heap = local(s, "heap")
    block = heap_block(s, heap[3])
    hmid = target(local(s, "hmid"))
    eq(hmid, addr(block[5]), "heap + 3 is the block's element 3")
    assert int(heap[3], 16) < hmid < int(heap[3], 16) + 16


# ---- the shared sample programs -------------------------------------------------------

def test_sample_05_classes():
    tr = trace(program("05_classes.cpp")).trace
    s = step_at(tr, 11)
    d = local(s, "d")
    eq(val(member(d, "Animal"))["legs"], 4)
    eq(val(d)["tricks"], 2)
    circle = heap_block(s, local(s, "s")[3])[2]
    eq((circle[2], val(member(circle, "radius"))), ("Circle", 2.0))
    this = local([x for x in tr if x["funcName"] == "Circle::area"][0], "this")
    eq(target(this), target(local(s, "s")), "methods show `this`")


def test_sample_06_union_struct():
    tr = trace(program("06_union_struct.c")).trace
    s = step_at(tr, 11)
    u = local(s, "u")
    eq(member(u, "i")[1], member(u, "c")[1])
    eq(val(u)["c"], "A")
    eq(val(local(s, "b")), {"corner": {"x": 1, "y": 2}, "sizes": [3, 4],
                            "f": {"ready": 1, "level": 5}})


def test_sample_07_stl():
    tr = trace(program("07_stl.cpp")).trace
    s = step_at(tr, 12)
    eq(val(local(s, "s")), "hello world")
    eq(val(heap_block(s, local(s, "v")[3])), [1, 2, 3, 4])
    eq(val(local(s, "a")), [7, 8, 9])
    eq(len(s["heap"]), 1, "only the vector's buffer")


# ---- input -------------------------------------------------------------------

def test_sample_10_stdin():
    tr = trace(program("10_stdin.cpp"), stdin="3 4\n").trace
    s = step_at(tr, 6)
    eq((val(local(s, "a")), val(local(s, "b"))), (3, 4))
    eq(tr[-1]["stdout"], "7\n")


def test_no_stdin_is_eof_at_once():
    # a read that waited would end at the wall limit, outcome time_limit
    r = trace(os.path.join(P, "no_stdin.cpp"), args=["--format", "response"])
    j = r.json
    eq(j["outcome"], "ok")
    tr = j["trace"]["trace"]
    end = tr[-1]
    eq(val(local(end, "failed")), True, "cin fails")
    eq(val(local(end, "got")), -1, "scanf returns EOF")
    eq(end.get("exitCode"), 0)


def test_partial_stdin():
    tr = traced("stdin_partial.cpp", stdin="5\n")
    end = tr[-1]
    eq(val(local(end, "a")), 5, "the value that was there")
    eq(val(local(end, "b")), -1, "nothing to read: b untouched")
    eq(val(local(end, "cin_failed")), True)
    eq(val(local(end, "got")), -1, "scanf at EOF")
    eq(end["stdout"], "5 1 -1\n")


def test_stdin_from_a_request():
    code = open(os.path.join(P, "stdin_partial.cpp")).read()
    req = json.dumps({"code": code, "stdin": "8 9 10", "memcheck": False})
    r = run(["--no-cache", "--request", "-"], stdin_text=req)
    j = json.loads(r.stdout)
    eq(j["stdout"], "8 0 1\n")
    end = j["trace"]["trace"][-1]
    eq((val(local(end, "b")), val(local(end, "c"))), (9, 10))


if __name__ == "__main__":
    run_tests(globals())

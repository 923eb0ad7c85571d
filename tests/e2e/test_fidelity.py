"""End-to-end: what a visualizer suite showed wrong or missing (issue 14).

Each test traces the issue's minimal program and asserts what a student
sees at the named steps in every encoding that can carry it: the See++
trace, Python Tutor's `opt` format, and `traceContent` as See++'s own
backend parser reads it (seepp_parser.py). docs/trace-notes.md says why
each value has the shape checked here.
"""
import seepp_parser
from spp import eq, run_tests, step_at, trace, val

OPT_KEYS = {"func_name": "funcName", "stack_to_render": "stackToRender",
            "exception_msg": "exceptionMsg", "ordered_globals": "orderedGlobals"}
OPT_FRAME_KEYS = {"func_name": "funcName", "encoded_locals": "encodedLocals",
                  "ordered_varnames": "orderedVarNames", "frame_id": "frameId"}
OPT_EVENTS = {"step_line": "stepLine", "call": "call", "return": "return",
              "exception": "exception"}


def _from_opt(tr):
    out = []
    for s in tr:
        d = {OPT_KEYS.get(k, k): v for k, v in s.items()}
        d["event"] = OPT_EVENTS.get(d["event"], d["event"])
        d["stackToRender"] = [{OPT_FRAME_KEYS.get(k, k): v for k, v in f.items()}
                              for f in d["stackToRender"]]
        out.append(d)
    return out


def encodings(src, lang="c", args=()):
    """{encoding: steps in seepp's keys} for the program text src."""
    r = trace(src, lang=lang, fmt="response", args=list(args))
    j = r.json
    assert j and j["success"], r.stderr
    o = trace(src, lang=lang, fmt="opt", args=list(args)).json
    assert o, "no opt trace"
    see = seepp_parser.parse_valgrind_trace(j["traceContent"], src, None, 1)["trace"]
    assert see, "See++'s parser made nothing of traceContent"
    return {"seepp": j["trace"]["trace"], "opt": _from_opt(o["trace"]), "traceContent": see}


def local_in(step, name, fmt):
    f = step["stackToRender"][-1]
    assert name in f["encodedLocals"], "%s: %s not in %s at line %d (has %s)" % (
        fmt, name, f["funcName"], step["line"], sorted(f["encodedLocals"]))
    return f["encodedLocals"][name]


def pointee_block(step, ptr, fmt):
    """The heap block a pointer tuple's value is the key of (the arrow)."""
    assert ptr[0] == "C_DATA" and ptr[2] == "pointer", "%s: %r" % (fmt, ptr)
    assert ptr[3] in step["heap"], "%s: no block %s at line %d (heap %s)" % (
        fmt, ptr[3], step["line"], sorted(step["heap"]))
    return step["heap"][ptr[3]]


def chars(block):
    return "".join(c[3] for c in block[2:])


# ---- 1. string literals -----------------------------------------------------------

LITERAL = """int main()
{
    char *s = "hello";
    const char *u = s + 2;
    char t[] = "world";
    return s[0] + u[0] + t[0];
}
"""


def test_string_literal_is_a_block_the_pointer_points_to():
    for fmt, tr in encodings(LITERAL).items():
        at4 = step_at(tr, 4)  # s = "hello" has run
        s = local_in(at4, "s", fmt)
        block = pointee_block(at4, s, fmt)
        eq(chars(block), "hello\0", fmt + ": the literal's characters and its NUL")
        eq(block[1], s[3], fmt + ": the block starts at the first character")
        eq({c[2] for c in block[2:]}, {"const char"}, fmt + ": read-only characters")
        eq([int(c[1], 16) for c in block[2:]],
           [int(s[3], 16) + i for i in range(6)], fmt + ": one address per character")
        at5 = step_at(tr, 5)
        # u points into the same literal: no block of its own, at "llo"
        u = local_in(at5, "u", fmt)
        eq(int(u[3], 16), int(s[3], 16) + 2, fmt + ": u == s + 2")
        eq([k for k in at5["heap"] if k != s[3]], [], fmt + ": one block for one literal")
        at6 = step_at(tr, 6)
        # the array initialised from a literal is the stack array itself
        eq(val(local_in(at6, "t", fmt)), list("world") + ["\0"], fmt)
        eq(chars(pointee_block(at6, local_in(at6, "s", fmt), fmt)), "hello\0", fmt)


def test_the_issues_one_line_program_shows_hello_at_main_s_return():
    src = 'int main() { char *s = "hello"; char t[] = "world"; return s[0] + t[0]; }\n'
    tr = trace(src, lang="c").json["trace"]
    ret = tr[-1]
    eq(ret["event"], "return")
    eq(chars(pointee_block(ret, local_in(ret, "s", "seepp"), "seepp")), "hello\0")
    eq(len(ret["heap"]), 1, "the literal is the only block")


def test_a_named_const_array_is_a_variable_not_a_literal():
    src = ('const char msg[] = "hi";\nint main()\n{\n    const char *p = msg;\n'
           '    return p[0];\n}\n')
    tr = trace(src, lang="c").json["trace"]
    s = step_at(tr, 5)
    eq(local_in(s, "p", "seepp")[3], s["globals"]["msg"][1], "p points to the global msg")
    eq(s["heap"], {}, "no literal block for a variable")


# ---- 2. a typedef'd anonymous struct on the heap ----------------------------------

ACCOUNT = """#include <stdlib.h>
typedef struct { int id; double bal; } Account;
int main()
{
    Account a = {1, 2.5};
    Account *p = malloc(sizeof(Account));
    p->id = 7;
    free(p);
    return a.id;
}
"""


def test_heap_block_of_a_typedefd_anonymous_struct_says_its_typedef_name():
    for fmt, tr in encodings(ACCOUNT).items():
        s = step_at(tr, 8)  # p->id = 7 has run
        eq(local_in(s, "a", fmt)[2], "Account", fmt + ": the stack variable")
        block = pointee_block(s, local_in(s, "p", fmt), fmt)
        eq(len(block), 3, fmt + ": one element")
        eq(block[2][2], "Account", fmt + ": the heap object, as the variable says")
        eq(val(block[2])["id"], 7, fmt)
        # and in C++, where the typedef also names the struct for linkage
    tr = trace(ACCOUNT.replace("malloc(", "(Account *)malloc("), lang="c++").json["trace"]
    s = step_at(tr, 8)
    eq(pointee_block(s, local_in(s, "p", "c++"), "c++")[2][2], "Account")


# ---- 3. a static local gcc kept only as a constant ----------------------------------

LIMIT = """int main()
{
    static int limit = 456;
    int x = 1;
    return x;
}
"""


def test_static_local_kept_as_a_constant_shows_its_value():
    for fmt, tr in encodings(LIMIT).items():
        for line in (4, 5):
            limit = local_in(step_at(tr, line), "limit", fmt)
            eq(limit[2:4], ["int", 456], "%s: limit at line %d" % (fmt, line))


# ---- 4. new T[n] of a class with a destructor, while it is being constructed -----

NEW_ARRAY = """struct C { int v; C() { v = 7; } ~C() {} };
int main()
{
    C *arr = new C[3];
    delete[] arr;
    return 0;
}
"""


def check_cookie_block(key, block, what):
    elems = block[2:]
    eq(len(elems), 3, what + ": 3 elements, never the cookie as one")
    eq([e[2] for e in elems], ["C"] * 3, what)
    eq([int(e[1], 16) for e in elems], [int(key, 16) + 8 + 4 * i for i in range(3)],
       what + ": after the 8-byte count new[] stores first")


def test_new_array_with_a_cookie_is_its_elements_on_every_step():
    for fmt, tr in encodings(NEW_ARRAY, lang="c++").items():
        first = next(i for i, s in enumerate(tr) if s["funcName"] == "C::C")
        freed = next(i for i, s in enumerate(tr) if s["line"] == 6)
        shown = 0
        for i in range(first, freed):
            s = tr[i]
            if fmt == "traceContent" and not s["heap"]:
                continue  # See++ builds its heap from pointers: none between the calls
            eq(len(s["heap"]), 1, "%s step %d" % (fmt, i))
            key, block = next(iter(s["heap"].items()))
            check_cookie_block(key, block, "%s step %d (line %d, %s)" % (
                fmt, i, s["line"], s["funcName"]))
            shown += 1
        assert shown >= 6, "%s: the block was shown on %d steps" % (fmt, shown)
        # each constructor's `this` is element k; after the k-th return, k elements are 7
        # (See++'s parser keeps only the call of a function written on one line)
        ev = "call" if fmt == "traceContent" else "return"
        ctors = [s for s in tr if s["event"] == ev and s["funcName"] == "C::C"]
        eq(len(ctors), 3, fmt)
        for k, s in enumerate(ctors):
            this = local_in(s, "this", fmt)
            key = next(iter(s["heap"]))
            eq(int(this[3], 16), int(key, 16) + 8 + 4 * k, fmt + ": this of constructor %d" % k)
            done = k + 1 if ev == "return" else k
            eq([val(e)["v"] for e in s["heap"][key][2:2 + done]], [7] * done, fmt)
    tr = encodings(NEW_ARRAY, lang="c++")["seepp"]
    between = [s for s in tr if s["funcName"] == "main" and s["line"] == 4 and s["heap"]]
    assert between, "main's steps between the constructor calls show the block"


# ---- 6. a VLA on its declaration step ----------------------------------------------

VLA = """int main()
{
    int n = 3;
    int v[n];
    int w[n][2];
    v[0] = 1;
    w[2][1] = 2;
    return v[0] + w[2][1];
}
"""


def names(step):
    return step["stackToRender"][-1]["orderedVarNames"]


def test_vla_appears_once_its_storage_exists_with_its_real_length():
    for fmt, tr in encodings(VLA).items():
        at4 = step_at(tr, 4)  # int v[n]; about to run: no storage yet
        eq(names(at4), ["n"], fmt + ": line 4 lists only n")
        at5 = step_at(tr, 5)
        eq(names(at5), ["n", "v"], fmt + ": line 5")
        v = local_in(at5, "v", fmt)
        eq(v[0], "C_ARRAY", fmt)
        eq(len(v) - 2, 3, fmt + ": v has n == 3 elements")
        assert int(v[1], 16) != 0, fmt + ": v has its real address"
        eq([int(e[1], 16) for e in v[2:]], [int(v[1], 16) + 4 * i for i in range(3)], fmt)
        at6 = step_at(tr, 6)
        w = local_in(at6, "w", fmt)
        eq(w[0], "C_MULTIDIMENSIONAL_ARRAY", fmt)
        eq(w[2], [3, 2], fmt + ": w is 3 x 2")
        eq(len(w) - 3, 6, fmt)
        at8 = step_at(tr, 8)
        eq(val(local_in(at8, "v", fmt))[0], 1, fmt)
        eq(val(local_in(at8, "w", fmt))[5], 2, fmt + ": w[2][1] is the last element")


def test_vla_in_a_loop_is_left_out_before_each_pass_declares_it():
    src = ("int main()\n{\n    int s = 0;\n    for (int n = 1; n <= 2; n++) {\n"
           "        int v[n];\n        v[n - 1] = n;\n        s += v[n - 1];\n    }\n"
           "    return s;\n}\n")
    tr = trace(src, lang="c").json["trace"]
    for k in (1, 2):
        assert "v" not in names(step_at(tr, 5, nth=k)), "pass %d: v before its declaration" % k
        v = local_in(step_at(tr, 6, nth=k), "v", "seepp")
        eq(len(v) - 2, k, "pass %d: v has n elements" % k)


# ---- 7. locals gcc gave no storage ---------------------------------------------------

NO_STORAGE = """int main()
{
    int a = 1;
    if (a > 5) {
        return 2;
    }
    return a;
    int *p = &a;
    int b = 3;
}
"""


def test_locals_without_storage_are_left_out():
    for fmt, tr in encodings(NO_STORAGE).items():
        end = tr[-1]
        eq(end["event"], "return", fmt)
        locs = end["stackToRender"][-1]["encodedLocals"]
        eq(sorted(n for n in locs if n != "__return__"), ["a"],
           fmt + ": p and b, after the return, never existed")
        for n, v in locs.items():
            assert v[3] != "<UNALLOCATED>", "%s: %s shown as %r" % (fmt, n, v)


# ---- 5. memcheck messages in the student's terms, about the right block -----------

OVERRUN = """#include <stdlib.h>
int main()
{
    int *x = malloc(8);
    x[2] = 1;
    x[8] = 2;
    x[80] = 4;
    free(x);
    x[0] = 3;
    return 0;
}
"""

SMASH = """int i;
void fill(void)
{
    long a[2];
    for (i = 0; i < 6; i++)
        a[i] = 0x41414141;
}
int main()
{
    fill();
    return 0;
}
"""

VALGRIND_WORDS = ("arena", "Address 0x", "outside the program's own code", "stated on the next line",
                  "invalid read")
MODES = {"memcheck": ["--memcheck"], "valgrind engine": ["--engine", "valgrind"]}


def memcheck_traces(src, args):
    """(seepp steps, opt steps in seepp's keys) of one memcheck-mode run each."""
    r = trace(src, lang="c", args=args, timeout=120)
    assert r.json, r.stderr
    o = trace(src, lang="c", args=args, fmt="opt", timeout=120).json
    assert o, "no opt trace"
    opt = _from_opt(o["trace"])
    for s in opt:
        if "memcheck_errors" in s:
            s["memcheckErrors"] = s.pop("memcheck_errors")
    return {"seepp": r.json["trace"], "opt": opt}


def finding(step, what):
    errs = step.get("memcheckErrors") or []
    eq(len(errs), 1, what + ": one finding at line %d" % step["line"])
    m = errs[0]
    assert step.get("exceptionMsg", "").startswith(m["message"]), (step.get("exceptionMsg"), m)
    for w in VALGRIND_WORDS:
        assert w not in m["message"], "%s: %r says %r" % (what, m["message"], w)
    return m


def test_heap_overruns_name_the_block_x_points_to_in_the_students_terms():
    at4 = "a block of 8 bytes allocated at line 4 in main"
    for mode, args in MODES.items():
        for fmt, tr in memcheck_traces(OVERRUN, args).items():
            what = "%s, %s" % (mode, fmt)
            eq(finding(step_at(tr, 5), what)["message"],
               "Invalid write of size 4: 0 bytes after %s, the block x points to" % at4, what)
            eq(finding(step_at(tr, 6), what)["message"],
               "Invalid write of size 4: 24 bytes after %s, the block x points to" % at4, what)
            # in the free space of malloc's arena (memcheck: "an unallocated block")
            eq(finding(step_at(tr, 7), what)["message"],
               "Invalid write of size 4: 312 bytes after %s, the block x points to" % at4, what)
            eq(finding(step_at(tr, 9), what)["message"],
               "Invalid write of size 4: 0 bytes inside a block of 8 bytes freed at line 8 in "
               "main (allocated at line 4 in main), the block x points to", what)


def test_a_smashed_return_address_is_a_return_to_nowhere_not_a_read():
    want = ("Segmentation fault: fill returned to address 0x41414141, where there is no code: "
            "its return address was overwritten (writing past the end of a local array?)")
    plain = trace(SMASH, lang="c").json["trace"]
    eq(plain[-1]["event"], "exception")
    eq(plain[-1]["exceptionMsg"], want, "without memcheck")
    eq((plain[-1]["line"], plain[-1]["funcName"]), (7, "fill"))
    for mode, args in MODES.items():
        for fmt, tr in memcheck_traces(SMASH, args).items():
            what = "%s, %s" % (mode, fmt)
            eq(tr[-1]["event"], "exception", what)
            eq(tr[-1]["exceptionMsg"], want, what)
            jumps = [m for s in tr for m in s.get("memcheckErrors") or []]
            eq([m["kind"] for m in jumps], ["InvalidJump"], what)
            assert jumps[0]["message"].startswith(
                "Jump to address 0x41414141, where there is no code: a return address was "
                "overwritten"), (what, jumps[0]["message"])


if __name__ == "__main__":
    run_tests(globals())

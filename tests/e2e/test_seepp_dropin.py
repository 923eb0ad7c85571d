"""End-to-end: what See++'s frontend shows of a trace (issue 18).

- a block only `__return__` points to is typed by it (`return new T{...}`):
  drawn as the struct, not as rows of bytes.
- line numbers inside message text are the editor's also when the code
  starts with See++'s `#define union struct` line (the frontend shifts only
  `line` fields).
"""
import json
import os
import re

from spp import ROOT, eq, run, run_tests, trace, val

P = os.path.join(ROOT, "tests", "programs")


def test_return_value_types_the_new_block():
    tr = trace(os.path.join(P, "bst_insert.cpp")).trace
    rets = [s for s in tr if s["event"] == "return" and s["funcName"] == "add"]
    assert rets, "no return step of add"
    new_node_steps = 0
    for s in rets:
        rv = s["stackToRender"][-1]["encodedLocals"]["__return__"]
        target = rv[3]
        block = s["heap"][target]
        eq(block[0], "C_ARRAY", "block %s at step on line %d" % (target, s["line"]))
        eq(len(block), 3, "one element in the block %s" % target)
        eq(block[2][0:3], ["C_STRUCT", target, "Tree"], "the block __return__ points to")
        if s["stackToRender"][-2]["funcName"] == "main":
            new_node_steps += 1
    # the first insert's node, returned straight to main, is typed by __return__ alone
    first = rets[0]
    eq(val(first["heap"][first["stackToRender"][-1]["encodedLocals"]["__return__"][3]]),
       [{"key": 5, "left": "0x0", "right": "0x0"}], "the first node")
    assert new_node_steps >= 3, new_node_steps



# ---- message line numbers with See++'s prepended line ------------------------

SHIM = "#define union struct\n"
LINE_RE = re.compile(r"(?:at |\()line (\d+) in ")


def respond(code, lang="c"):
    r = run(["--request", "-", "--no-cache"],
            stdin_text=json.dumps({"code": code, "language": lang, "memcheck": True}))
    assert r.json and r.json.get("success"), (r.status, r.stderr[-500:])
    return r.json


def message_lines(resp):
    """(step line, [line numbers in its messages]) for every step with any."""
    out = []
    for s in resp["trace"]["trace"]:
        texts = [s.get("exceptionMsg") or ""] + [e["message"] for e in s.get("memcheckErrors", [])]
        nums = [int(n) for t in texts for n in LINE_RE.findall(t)]
        if nums:
            out.append((s["line"], nums))
    return out


def test_message_lines_are_the_editors_with_and_without_the_shim():
    with open(os.path.join(P, "mc_use_after_free.c")) as f:
        code = f.read()
    plain = respond(code)
    if not plain["memcheck"]["ran"]:
        raise AssertionError("memcheck did not run: %s" % plain["memcheck"].get("note"))
    got = message_lines(plain)
    # without the shim: the read on line 10 of a block "freed at line 9 in main"
    # and "allocated at line 6 in main": editor lines, as the steps' lines are
    assert got, "no message names a line: %r" % [
        e["message"] for s in plain["trace"]["trace"] for e in s.get("memcheckErrors", [])]
    step_line, nums = got[0]
    eq(step_line, 10, "the finding is on the step of line 10, the read")
    eq(sorted(set(nums)), [6, 9], "allocated at line 6, freed at line 9")
    # with See++'s line prepended, step lines are one higher (the frontend
    # subtracts 1 from them) and message lines are the editor's: the same
    shimmed = respond(SHIM + code)
    got2 = message_lines(shimmed)
    eq([(line - 1, nums) for line, nums in got2], got, "messages with the shim")
    eq([s["line"] - 1 for s in shimmed["trace"]["trace"]],
       [s["line"] for s in plain["trace"]["trace"]], "step lines with the shim")
    for e in shimmed["memcheck"]["errors"]:
        for n in LINE_RE.findall(e["message"]):
            assert int(n) in (6, 9), e["message"]


def test_program_text_in_a_message_is_not_renumbered():
    code = ("#include <stdexcept>\nint main() {\n"
            "    throw std::runtime_error(\"bad at line 7 in config\");\n}\n")
    r = respond(SHIM + code, lang="c++")
    last = r["trace"]["trace"][-1]
    assert "bad at line 7 in config" in last.get("exceptionMsg", ""), last.get("exceptionMsg")


if __name__ == "__main__":
    run_tests(globals())

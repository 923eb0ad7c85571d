"""End-to-end: what See++'s frontend shows of a trace (issue 18).

- a block only `__return__` points to is typed by it (`return new T{...}`):
  drawn as the struct, not as rows of bytes.
"""
import os

from spp import ROOT, eq, run_tests, trace, val

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


if __name__ == "__main__":
    run_tests(globals())

"""End-to-end: what each step changed (the step's "changes" field, and
`--format text`, which shows it as old -> new).

The change set of a step is relative to the step before it in the same
trace: locals by frame, globals, heap elements by block, blocks that
appeared or were freed (docs/trace-notes.md "What a step changed").
"""
import os
import pty
import select
import subprocess

from spp import BIN, ROOT, eq, program, run, run_tests, step_at, trace


def changed_locals(step, func="main"):
    names = []
    for f in step["changes"].get("locals", []):
        if f["funcName"] == func:
            names += f["names"]
    return names


def test_loop_variable():
    tr = trace(program("04_arrays.c")).trace
    # the step after `heap[i] = i * 10;` with i == 0 is back on the for line,
    # and the one after it shows the increment
    s = step_at(tr, 9, nth=2)
    eq(changed_locals(s), ["i"], "at the 2nd step of line 9")
    eq(s["changes"].get("heap"), None, "nothing on the heap changed by i++")


def test_heap_element_through_pointer():
    tr = trace(program("04_arrays.c")).trace
    # `heap[i] = i * 10;` with i == 1 shows on the next step, line 8's 3rd
    s = step_at(tr, 8, nth=3)
    blocks = s["changes"]["heap"]
    eq(len(blocks), 1, "one block written")
    (addr, paths), = blocks.items()
    eq(paths, ["[1]"], "heap[1] written")
    assert addr in s["heap"], addr
    eq(changed_locals(s), [], "no local changed by heap[1] = 10")


def test_block_appears_and_is_freed():
    tr = trace(program("04_arrays.c")).trace
    born = step_at(tr, 8, nth=1)  # after `int *heap = malloc(...)`
    eq(len(born["changes"]["heapNew"]), 1, "malloc's block appeared")
    addr = born["changes"]["heapNew"][0]
    assert "heap" in changed_locals(born), changed_locals(born)
    freed = step_at(tr, 12)  # after `free(heap);`
    eq(freed["changes"].get("heapFreed"), [addr], "the block free()d")
    assert addr not in freed["heap"]


def test_struct_member():
    tr = trace(program("06_union_struct.c")).trace
    s = step_at(tr, 10)  # after `u.i = 65;`: both members of the union
    eq(changed_locals(s)[:2], ["u.i", "u.c"], "at line 10")
    tr = trace(program("03_linked_list.cpp")).trace
    s = step_at(tr, 8, nth=2)  # after `n->value = v;` in the 2nd push
    (paths,) = s["changes"]["heap"].values()
    eq(paths, ["[0].value"], "the new Node's value member")
    s = step_at(tr, 9, nth=2)  # after `n->next = head;`
    (paths,) = s["changes"]["heap"].values()
    eq(paths, ["[0].next"], "the new Node's next member")


def test_call_and_return():
    tr = trace(program("03_linked_list.cpp")).trace
    call = step_at(tr, 5, event="call")
    eq(changed_locals(call, "push"), ["head", "v"], "a call's parameters are new")
    eq(changed_locals(call, "main"), [], "the caller did not change")
    ret = step_at(tr, 10, event="return")
    eq(changed_locals(ret, "push"), ["__return__"], "the return value")


def test_many_leaves_are_the_whole_variable():
    src = "int main(void) {\n    int a[20];\n    for (int i = 0; i < 20; i++) a[i] = 0;\n" \
          "    int b[20] = {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20};\n" \
          "    return b[0];\n}\n"
    tr = trace(src, lang="c").trace
    s = step_at(tr, 5)
    assert "b" in changed_locals(s), changed_locals(s)
    assert not any(n.startswith("b[") for n in changed_locals(s)), changed_locals(s)


def test_opt_has_the_same_changes():
    seepp = trace(program("03_linked_list.cpp")).trace
    opt = trace(program("03_linked_list.cpp"), fmt="opt").trace
    eq(len(opt), len(seepp), "steps")
    for a, b in zip(seepp, opt):
        ca, cb = a["changes"], b["changes"]
        eq(cb.get("heap_new"), ca.get("heapNew"), "heap_new at line %d" % a["line"])
        eq(cb.get("heap_freed"), ca.get("heapFreed"), "heap_freed at line %d" % a["line"])
        eq(cb.get("heap"), ca.get("heap"), "heap at line %d" % a["line"])
        eq([f["names"] for f in cb.get("locals", [])], [f["names"] for f in ca.get("locals", [])])
        eq([f["func_name"] for f in cb.get("locals", [])],
           [f["funcName"] for f in ca.get("locals", [])])


# ---- --format text ---------------------------------------------------------

def text(path, extra=(), env=None):
    r = run(["--format", "text", "--no-cache"] + list(extra) + [path], env=env)
    eq(r.status, 0, "exit status (stderr: %s)" % r.stderr)
    return r.stdout


def block(out, n):
    """The lines of step #n."""
    lines = out.split("\n")
    start = next(i for i, l in enumerate(lines) if l.startswith("#%d " % n))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("#") or not lines[i].strip()), len(lines))
    return lines[start:end]


def test_text_hello():
    out = text(os.path.join(ROOT, "examples", "hello.cpp"))
    assert "\033[" not in out, "no colour when stdout is not a terminal"
    tr = trace(os.path.join(ROOT, "examples", "hello.cpp")).trace
    # the same steps as the JSON trace, numbered from 1
    eq(len([l for l in out.split("\n") if l.startswith("#")]), len(tr), "steps")
    lines = out.split("\n")
    eq(len(lines) <= 100, True, "hello fits on two screens (%d lines)" % len(lines))
    # the step after `result = x * x` with x == 2: the line, stack, source, old -> new
    n = tr.index(step_at(tr, 11, nth=2)) + 1
    b = block(out, n)
    assert b[0].startswith("#%d" % n) and "line 11" in b[0] and "main > square" in b[0] \
        and "return result;" in b[0], b
    assert "result: ? -> 4" in b[1], b  # never written before: "?"
    # output on the step after the line that printed it
    n = tr.index(step_at(tr, 21)) + 1
    assert "output: head holds 9\\n" in "\n".join(block(out, n)), block(out, n)
    # delete: the freed block
    n = tr.index(step_at(tr, 24)) + 1
    assert any("freed heap block 0x" in l for l in block(out, n)), block(out, n)
    assert out.rstrip().endswith("The program ended normally: main returned 0."), out[-200:]


def test_text_long_source_lines_are_shortened():
    out = text(program("05_classes.cpp"))
    headers = [l for l in out.split("\n") if l.startswith("#")]
    assert any(l.endswith("...") for l in headers), headers
    assert all(len(l) < 140 for l in headers), max(headers, key=len)


def test_text_crash_and_findings_in_words():
    out = text(program("08_crash.cpp"))
    last = out.rstrip().split("\n")[-1]
    assert last.startswith("The program stopped: Segmentation fault"), last
    eq(out.count("Segmentation fault"), 1, "the ending is said once")
    out = text(os.path.join(ROOT, "tests", "programs", "mc_use_after_free.c"), ["--memcheck"])
    assert "memcheck: " in out and "freed" in out, out[-1500:]


def test_text_compile_error():
    out = text(program("14_compile_error.cpp"))
    assert out.startswith("\nThe program did not compile:\n") and "error" in out, out[:300]


def run_tty(args, env):
    """spp-trace with stdout on a pseudo-terminal; its output."""
    master, slave = pty.openpty()
    e = dict(os.environ)
    e.update(env)
    p = subprocess.Popen([BIN] + args, stdout=slave, stderr=subprocess.DEVNULL, env=e)
    os.close(slave)
    chunks = []
    while True:
        r, _, _ = select.select([master], [], [], 60)
        if not r:
            break
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_text_colour_on_a_terminal_unless_no_color():
    hello = os.path.join(ROOT, "examples", "hello.cpp")
    env = {k: "" for k in ("NO_COLOR",)}
    coloured = run_tty(["--format", "text", "--no-cache", hello], env)
    assert "\033[1;36m#1" in coloured, coloured[:200]
    plain = run_tty(["--format", "text", "--no-cache", hello], {"NO_COLOR": "1"})
    assert "\033[" not in plain and "#1 " in plain, plain[:200]


if __name__ == "__main__":
    run_tests(globals())

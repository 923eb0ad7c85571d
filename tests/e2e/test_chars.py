"""End-to-end: char values as See++'s frontend shows them (issue 18).

See++'s frontend renders a C_DATA value `v` as `JSON.stringify(v)` when it
is a string and `String(v)` otherwise, an array as its elements joined by
", " in brackets (frontend/src/trace/schema.ts, displayEncoded). A char
sent as C escape text ("\\x02") came out with doubled backslashes. Here
node applies that rule to the values of every JSON encoding (the See++
trace, Python Tutor's opt, traceContent read by See++'s own parser) at a
named step, and the test asserts what the student reads: the character
in quotes when printable, one short escape otherwise ("\\n", "\\u0000"),
never a doubled backslash; a byte past ASCII is its number as C has it.
"""
import json
import re
import shutil
import subprocess

from spp import eq, run_tests, skip_all, step_at, trace
from test_fidelity import encodings

PROGRAM = r"""#include <stdio.h>
int main(void)
{
    char a = 'a';
    char nl = '\n';
    char nul = '\0';
    char stx = 2;
    char quote = '"';
    char hi = (char)0xe9;
    unsigned char uhi = 0xe9;
    char s[] = "a\n\2";
    printf("%c", a);
    return 0;
}
"""
LINE_RETURN = 13

# The frontend's rule, written from its behaviour (not its code).
RENDER = r"""
const show = (v) => {
  if (!Array.isArray(v)) return '?';
  if (v[0] === 'C_DATA') return typeof v[3] === 'string' ? JSON.stringify(v[3]) : String(v[3]);
  if (v[0] === 'C_ARRAY') return '[' + v.slice(2).map(show).join(', ') + ']';
  return '?';
};
let text = '';
process.stdin.on('data', (d) => { text += d; });
process.stdin.on('end', () => {
  const byFormat = JSON.parse(text);
  const out = {};
  for (const [fmt, locals] of Object.entries(byFormat)) {
    out[fmt] = {};
    for (const [name, v] of Object.entries(locals)) out[fmt][name] = show(v);
  }
  process.stdout.write(JSON.stringify(out));
});
"""

# What the student reads (the characters on screen, quotes included).
SHOWN = {
    "a": '"a"',
    "nl": '"\\n"',
    "nul": '"\\u0000"',
    "stx": '"\\u0002"',
    "quote": '"\\""',
    "hi": "-23",
    "uhi": "233",
    "s": '["a", "\\n", "\\u0002", "\\u0000"]',
}


def rendered():
    locals_by_fmt = {}
    for fmt, tr in encodings(PROGRAM, lang="c").items():
        f = step_at(tr, LINE_RETURN)["stackToRender"][-1]["encodedLocals"]
        locals_by_fmt[fmt] = {n: f[n] for n in SHOWN}
    p = subprocess.run(["node", "-e", RENDER], input=json.dumps(locals_by_fmt),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, "node: %s" % p.stderr
    return json.loads(p.stdout)


def test_frontend_shows_each_char_once_escaped_in_every_encoding():
    shown = rendered()
    eq(sorted(shown), ["opt", "seepp", "traceContent"], "encodings")
    for fmt, values in shown.items():
        for name, want in SHOWN.items():
            eq(values[name], want, "%s: %s at the step of line %d" % (fmt, name, LINE_RETURN))
            assert "\\\\" not in values[name], "%s: %s doubled: %s" % (fmt, name, values[name])


def test_text_format_keeps_c_escapes():
    """A terminal reads C: the readable form says '\\n', '\\0', '\\x02'."""
    out = trace(PROGRAM, lang="c", fmt="text").stdout
    # each variable's change on the step after its line: NAME: old -> new
    for name, shown in (("a", "'a'"), ("nl", "'\\n'"), ("nul", "'\\0'"), ("stx", "'\\x02'"),
                        ("hi", "'\\xe9'"), ("uhi", "'\\xe9'"), ("s[2]", "'\\x02'")):
        pat = r"(^|[ ,])%s: \S+ -> %s" % (re.escape(name), re.escape(shown))
        assert re.search(pat, out, re.M), "%s -> %s not in the text trace:\n%s" % (
            name, shown, out[-2000:])


if __name__ == "__main__":
    if not shutil.which("node"):
        skip_all("node is not installed (it renders as See++'s frontend does)")
    run_tests(globals())

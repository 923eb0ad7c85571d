"""Every trace we produce has the ProgramTrace shape (tests/schema), checked
with a real JSON Schema validator (jsonschema, draft 2020-12)."""
import copy
import glob
import json
import os

import jsonschema

from spp import PROGRAMS, ROOT, eq, run_tests, trace

SCHEMA = json.load(open(os.path.join(ROOT, "tests", "schema", "programtrace.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def sources():
    out = sorted(glob.glob(os.path.join(PROGRAMS, "*.c")) +
                 glob.glob(os.path.join(PROGRAMS, "*.cpp")))
    out += sorted(glob.glob(os.path.join(ROOT, "tests", "programs", "*.c")) +
                  glob.glob(os.path.join(ROOT, "tests", "programs", "*.cpp")))
    return out


def errors_of(doc):
    return ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
            for e in VALIDATOR.iter_errors(doc)]


def test_schema_is_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_program_trace_matches_schema():
    srcs = sources()
    assert len(srcs) >= 15, "sample programs not found in %s" % PROGRAMS
    bad = []
    for path in srcs:
        stdin = "3 4\n" if "stdin" in os.path.basename(path) else None
        r = trace(path, stdin=stdin, args=["--max-steps", "300"])
        assert r.json is not None, "%s: no JSON (status %d): %s" % (path, r.status, r.stderr)
        doc = r.json
        keep = 3 if len(r.stdout) > (2 << 20) else 40
        if len(doc["trace"]) > keep + 20:
            # the shape repeats; validating every step of the longest traces
            # with jsonschema costs minutes: check the first and last ones
            doc = dict(doc, trace=doc["trace"][:keep] + doc["trace"][-2:])
        errs = errors_of(doc)
        if errs:
            bad.append("%s: %s" % (os.path.basename(path), errs[:3]))
    assert not bad, "\n".join(bad)


def test_validator_rejects_broken_traces():
    good = trace(os.path.join(PROGRAMS, "02_calls.cpp")).json
    eq(errors_of(good), [])
    for mutate in (
        lambda t: t["trace"][1].pop("line"),
        lambda t: t["trace"][1]["stackToRender"][0].__setitem__("frameId", "0x0"),
        lambda t: t["trace"][1]["stackToRender"][0].__setitem__("funcName", "???"),
        lambda t: t["trace"][2]["stackToRender"][0]["encodedLocals"].__setitem__(
            "r", ["C_DATA", "0xbad", "int", 1]),
        lambda t: t["trace"][-1].__setitem__("event", "finished"),
    ):
        t = copy.deepcopy(good)
        mutate(t)
        assert errors_of(t), "a broken trace passed the schema"


if __name__ == "__main__":
    run_tests(globals())

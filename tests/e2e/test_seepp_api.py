"""End-to-end: `spp-trace serve` as See++'s backend (POST /api/run).

See++'s frontend posts {"code"} to /api/run and validates the body with
its Zod ProgramTraceSchema (tests/schema/seepp_frontend.schema.json is that
schema written as JSON Schema), then subtracts 1 from every step's and
frame's `line` (its backend prepends `#define union struct`). So the body
must be the ProgramTrace alone, with lines one higher than the editor's,
and the CORS headers of /run.
"""
import glob
import json
import os
import sys
import unittest

import jsonschema

sys.path.insert(0, os.path.dirname(__file__))
from test_serve import CORS, ServeCase  # noqa: E402
from spp import PROGRAMS, ROOT  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import unittest_main  # noqa: E402

with open(os.path.join(ROOT, "tests", "schema", "seepp_frontend.schema.json")) as f:
    SCHEMA = json.load(f)


def frontend_lines(trace):
    """The lines See++'s frontend shows: its shiftLine on steps and frames."""
    return [(max(0, s["line"] - 1), [max(0, f["line"] - 1) for f in s["stackToRender"]])
            for s in trace["trace"]]


class ApiRun(ServeCase):
    def api_run(self, body):
        status, headers, raw = self.srv.request("POST", "/api/run", body)
        for k, v in CORS.items():
            self.assertEqual(headers.get(k), v, k)
        self.assertEqual(headers.get("Content-Type"), "application/json")
        return status, json.loads(raw)

    def test_every_sample_program_passes_the_frontend_schema(self):
        progs = sorted(glob.glob(os.path.join(PROGRAMS, "*.c")) +
                       glob.glob(os.path.join(PROGRAMS, "*.cpp")))
        self.assertGreaterEqual(len(progs), 10)
        for path in progs:
            with open(path) as f:
                code = f.read()
            body = {"code": code, "memcheck": False}
            if path.endswith(".c"):
                body["language"] = "c"
            st, _, raw = self.srv.request("POST", "/run", body)
            self.assertEqual(st, 200, path)
            want = json.loads(raw)["trace"]
            status, got = self.api_run(body)
            name = os.path.basename(path)
            self.assertEqual(status, 200, name)
            jsonschema.validate(got, SCHEMA)
            self.assertEqual(set(got) - {"code", "trace", "buildOutput"}, set(), name)
            # after the frontend's shift, the lines are the editor's: our own trace's
            self.assertEqual(frontend_lines(got), [(s["line"], [f["line"] for f in s["stackToRender"]])
                                                   for s in want["trace"]], name)
            self.assertEqual([s["event"] for s in got["trace"]],
                             [s["event"] for s in want["trace"]], name)
            if name == "14_compile_error.cpp":
                self.assertIn("error", got["buildOutput"])

    def test_frontend_request_as_sent(self):
        # exactly what See++'s runCode sends: {"code"} (memcheck on by default)
        code = "int main() {\n    int a = 1;\n    a = a + 2;\n    return a;\n}\n"
        status, got = self.api_run({"code": code})
        self.assertEqual(status, 200)
        jsonschema.validate(got, SCHEMA)
        self.assertEqual(got["code"], code)
        self.assertEqual([line for line, _ in frontend_lines(got)], [1, 2, 3, 4, 5])
        self.assertEqual(got["trace"][-1]["exitCode"], 3)

    def test_format_opt_is_ignored(self):
        status, got = self.api_run({"code": "int main() { return 0; }\n", "format": "opt",
                                    "memcheck": False})
        self.assertEqual(status, 200)
        jsonschema.validate(got, SCHEMA)

    def test_bad_request_is_400_with_error(self):
        for body in (b"not json", b"[1]", json.dumps({"cod": "x"}).encode()):
            status, got = self.api_run(body)
            self.assertEqual(status, 400, body)
            self.assertIs(got["success"], False)
            self.assertTrue(got["error"], body)

    def test_options_preflight(self):
        status, headers, _ = self.srv.request("OPTIONS", "/api/run")
        self.assertEqual(status, 204)
        for k, v in CORS.items():
            self.assertEqual(headers.get(k), v, k)


if __name__ == "__main__":
    unittest_main.run(__name__)

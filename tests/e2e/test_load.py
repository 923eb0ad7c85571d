#!/usr/bin/env python3
"""Load test of `spp-trace serve`: 200 mixed requests at concurrency 4.

The mix (fixed seed): normal programs (some repeated: cache hits), hostile
programs from tests/hostile/ (the quick ones, a few output floods whose
responses are tens of MiB), and invalid requests (not JSON, wrong types,
no code, wrong path or method, a body over the cap). Asserted: no request
lost (every one answered), every body is JSON, each category gets the
status and outcome it must, no planted secret anywhere; serve's memory
after the run is within 64 MiB of its memory after warm-up and its open
descriptors did not grow; nothing is left running. Prints throughput,
latency percentiles and serve's RSS before/after/peak.

Ends with "N passed, M failed".
"""
import concurrent.futures
import json
import os
import random
import shutil
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.dirname(__file__))
import hostile  # noqa: E402
from serve_proc import Service  # noqa: E402
from proc_util import become_subreaper, cmdline, descendants  # noqa: E402
from spp import run_tests  # noqa: E402

BUILD = os.environ.get("SPP_BUILD_DIR") or os.path.join(ROOT, "build")
SPP = os.path.join(BUILD, "spp-trace")
TOTAL, CONCURRENCY, WARMUP = 200, 4, 20

NORMAL_C = ("#include <stdio.h>\nint main(void) {\n    int s = 0;\n"
            "    for (int i = 0; i < %d; i++)\n        s += i;\n"
            "    printf(\"%%d\\n\", s);\n    return 0;\n}\n")
NORMAL_CXX = ("#include <iostream>\n#include <vector>\nint main() {\n"
              "    std::vector<int> v(%d, 2);\n    int s = 0;\n"
              "    for (int x : v)\n        s += x;\n    std::cout << s << \"\\n\";\n}\n")

INVALID = [  # (method, path, body, expected status)
    ("POST", "/run", b"{not json", 400),
    ("POST", "/run", b"", 400),
    ("POST", "/run", {"language": "c"}, 400),
    ("POST", "/run", {"code": 42}, 400),
    ("POST", "/run", {"code": "int main(){}", "maxSteps": -1}, 400),
    ("POST", "/run", {"code": "int main(){}", "language": "cobol"}, 400),
    ("POST", "/run", b"[1,2,3]", 400),
    ("GET", "/run", None, 405),
    ("POST", "/nowhere", {"code": "int main(){}"}, 404),
    ("POST", "/run", b"{\"code\":\"" + b"x" * (2 << 20) + b"\"}", 413),
]


def build_mix(programs):
    rnd = random.Random(20240601)
    quick = [p for p in programs if not p.expect & {"time_limit", "compile_limit"}
             and "flood" not in p.name]
    floods = [p for p in programs if "flood" in p.name]
    mix = []
    for i in range(TOTAL):
        r = rnd.random()
        if r < 0.5:
            n = rnd.randrange(1, 40)  # a small range: some requests repeat (cache)
            if rnd.random() < 0.5:
                mix.append(("normal", {"code": NORMAL_C % n, "language": "c", "memcheck": False},
                            "%d\n" % (n * (n - 1) // 2)))
            else:
                mix.append(("normal", {"code": NORMAL_CXX % n, "memcheck": False},
                            "%d\n" % (2 * n)))
        elif r < 0.8:
            prog = rnd.choice(floods) if rnd.random() < 0.08 else rnd.choice(quick)
            mix.append(("hostile", prog, None))
        else:
            mix.append(("invalid", rnd.choice(INVALID), None))
    return mix


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_200_mixed_requests_at_concurrency_4():
    become_subreaper()
    programs = hostile.load_programs()
    mix = build_mix(programs)
    tmp = tempfile.mkdtemp(prefix="spp-load-test-")
    runs = os.path.join(tmp, "runs")
    os.mkdir(runs)
    os.chmod(tmp, 0o711)
    os.chmod(runs, 0o711)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": tmp,
           "TMPDIR": runs, "XDG_CACHE_HOME": os.path.join(tmp, "cache"),
           "SPP_PCH_DIR": os.path.join(BUILD, "pch")}
    env.update(hostile.SECRETS)
    spp = hostile.private_build(BUILD, os.path.join(tmp, "bin"))
    srv = Service(spp, env, ["--workers", str(CONCURRENCY)])
    problems, lat = [], {"normal": [], "hostile": [], "invalid": []}
    try:
        assert srv.wait_ready(), "serve did not start:\n" + srv.log()

        def one(item):
            kind, what, expected = item
            t0 = time.monotonic()
            try:
                if kind == "invalid":
                    method, path, body, want = what
                    status, raw = srv.call(method, path, body)
                else:
                    body = what.request() if kind == "hostile" else what
                    status, raw = srv.call("POST", "/run", body)
            except Exception as e:  # lost: no answer at all
                return kind, time.monotonic() - t0, ["lost: %r" % e]
            secs = time.monotonic() - t0
            try:
                resp = json.loads(raw)
            except ValueError:
                return kind, secs, ["malformed body (HTTP %s): %r" % (status, raw[:120])]
            found = hostile.secret_problems(raw)
            if kind == "normal":
                if status != 200 or resp.get("outcome") != "ok" or resp.get("stdout") != expected:
                    found.append("normal: HTTP %s %r" % (status, raw[:200]))
            elif kind == "hostile":
                found += ["%s: %s" % (what.name, p) for p in hostile.check(what, status, raw, resp)]
            elif status != want or resp.get("success") is not False or not resp.get("error"):
                found.append("invalid %s %s: HTTP %s %r" % (method, path, status, raw[:120]))
            return kind, secs, found

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(one, mix[:WARMUP]))
            rss0, fds0 = srv.rss_kib(), fd_count(srv.proc.pid)
            results += list(pool.map(one, mix[WARMUP:]))
        wall = time.monotonic() - t0
        for kind, secs, found in results:
            lat[kind].append(secs)
            problems.extend(found)
        time.sleep(0.5)  # let the last replies' buffers go
        rss1, fds1, peak = srv.rss_kib(), fd_count(srv.proc.pid), vm_hwm_kib(srv.proc.pid)
        left = descendants(srv.proc.pid)

        def pct(xs, q):
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

        print("-- load: %d requests (%s) at concurrency %d in %.1f s: %.1f req/s" % (
            len(results), ", ".join("%d %s" % (len(v), k) for k, v in lat.items()),
            CONCURRENCY, wall, len(results) / wall))
        for k, v in lat.items():
            print("   %-8s p50 %7.1f ms  p95 %7.1f ms  max %7.1f ms" % (
                k, pct(v, 0.5), pct(v, 0.95), pct(v, 1.0)))
        print("   serve RSS after warm-up %.1f MiB, after the run %.1f MiB, peak %.1f MiB; "
              "descriptors %d -> %d" % (rss0 / 1024, rss1 / 1024, peak / 1024, fds0, fds1))
        assert len(results) == TOTAL
        assert not problems, "\n".join(problems[:20])
        assert rss1 - rss0 < 64 * 1024, "serve grew by %d KiB" % (rss1 - rss0)
        assert fds1 <= fds0, "descriptors leaked: %d -> %d" % (fds0, fds1)
        assert not left, "left running: %r" % [cmdline(p) for p in left]
        assert os.listdir(runs) == [], os.listdir(runs)
    finally:
        rc = srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    assert rc == 0, srv.log()[-2000:]


if __name__ == "__main__":
    run_tests(globals())

"""service.py - the two ways to host the tracer, measured locally.

Lambda-style: build/bootstrap behind tests/support/rapi_emulator.py (the
Runtime API emulator the end-to-end tests use).
  - init:   exec -> first GET /next (what Lambda bills as Init for a custom
            runtime, minus the image and sandbox start we cannot see here);
  - cold:   a fresh bootstrap per request, the request queued before exec:
            exec -> /response received by the emulator (a cache miss);
  - warm:   further distinct requests to a running bootstrap: enqueue ->
            /response (client view) and /next delivery -> /response (what
            Lambda bills as Duration);
  - cached: the same request again: served from the local cache tier;
  - s3:     with CACHE_BUCKET on moto_server (a real S3 peer that verifies
            SigV4; local, so no network latency): a fresh bootstrap with an
            empty local tier served from S3, and warm misses that also PUT.
Fargate-style: one always-on `spp-trace serve`, closed-loop clients at
concurrency 1, 2 and 4 over a round-robin mix of the sample programs, each
request made unique (a trailing comment) so none is a cache hit; then
repeated identical requests (cache hits) over HTTP.

Requests are what See++'s backend sends: the code, its language, stdin,
everything else at the service defaults (memcheck: true; the response says
whether it ran).
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from common import BenchError, stats, vm_hwm_mb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from serve_proc import Service  # noqa: E402
from moto_s3 import MotoS3  # noqa: E402
from rapi_emulator import RuntimeAPIEmulator  # noqa: E402


def request_for(prog, unique=True):
    with open(prog["path"], encoding="utf-8") as f:
        code = f.read()
    if unique:  # a new cache key, same lines
        code += "\n// bench %s\n" % uuid.uuid4().hex
    r = {"code": code, "language": prog["lang"]}
    if prog["stdin"]:
        r["stdin"] = prog["stdin"].decode()
    return r


def _kill(p):
    if p.poll() is None:
        p.kill()
    p.wait()


# ---- Lambda-style -------------------------------------------------------------

class Bootstrap:
    """One bootstrap process and its own emulator; wrapper (a command list)
    goes in front, e.g. lambda_like to run it as AWS would."""

    def __init__(self, binary, base_env, tmp, extra_env=None, wrapper=()):
        self.emu = RuntimeAPIEmulator().start()
        self.cache_home = tempfile.mkdtemp(prefix="cache-", dir=tmp)
        os.chmod(self.cache_home, 0o777)  # the wrapper may drop root
        env = dict(base_env, AWS_LAMBDA_RUNTIME_API=self.emu.address,
                   XDG_CACHE_HOME=self.cache_home, AWS_REGION="us-east-1",
                   ENVIRONMENT="bench")
        env.update(extra_env or {})
        self.env = env
        self.cmd = list(wrapper) + [binary]
        self.proc = None
        self.log = tempfile.TemporaryFile()

    def launch(self):
        self.t_exec = time.monotonic()
        self.proc = subprocess.Popen(self.cmd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, start_new_session=True)
        return self

    def invoke(self, payload, timeout=120):
        t0 = time.monotonic()
        inv = self.emu.enqueue(payload)
        if not self.emu.wait_done(inv, timeout):
            raise BenchError("bootstrap did not answer within %ds:\n%s" % (timeout, self.tail()))
        return t0, inv

    def tail(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-1500:]

    def close(self):
        hwm = vm_hwm_mb(self.proc.pid) if self.proc else None
        if self.proc:
            _kill(self.proc)
        self.emu.stop()
        self.log.close()
        return hwm


def _resp(inv, b):
    """The response of a finished invocation; an error reply is a failed run."""
    if inv.response is None:
        raise BenchError("invocation ended in an error: %r\nbootstrap log:\n%s"
                         % (inv.error[1][:300] if inv.error else None, b.tail()))
    j = json.loads(inv.response)
    if j.get("success") is not True:
        raise BenchError("unsuccessful response: %s" % (j.get("error") or inv.response[:300]))
    return j


def lambda_style(binary, base_env, prog, runs, tmp, log, moto=None, wrapper=(),
                 bootstrap=Bootstrap, tag=None):
    """wrapper: () for the bootstrap as it is here; lambda_like to have it
    run as in AWS (no root, no ptrace: the Valgrind engine). bootstrap: the
    class that starts one (bench/image.py's runs the Lambda image)."""
    out = {"program": prog["name"], "wrapper": os.path.basename(wrapper[0]) if wrapper else ""}
    tag = tag or "lambda%s" % (" (%s)" % out["wrapper"] if wrapper else "")
    init, cold, cold_billed, engines = [], [], [], set()
    for _ in range(runs):
        b = bootstrap(binary, base_env, tmp, wrapper=wrapper)
        inv = b.emu.enqueue(request_for(prog))
        b.launch()
        if not b.emu.wait_done(inv, 120):
            raise BenchError("cold bootstrap did not answer:\n" + b.tail())
        engines.add(_resp(inv, b).get("engine"))
        init.append((b.emu.next_times[0] - b.t_exec) * 1000.0)
        cold.append((inv.response_at - b.t_exec) * 1000.0)
        cold_billed.append((inv.response_at - inv.delivered_at) * 1000.0)
        b.close()
    out["init"], out["cold"], out["cold_billed"] = stats(init), stats(cold), stats(cold_billed)
    log("%s: init %.1f ms, cold request %.0f ms (medians)"
        % (tag, out["init"]["median"], out["cold"]["median"]))

    b = bootstrap(binary, base_env, tmp, wrapper=wrapper).launch()
    b.invoke(request_for(prog))  # the environment's first request: counted as cold above
    warm, warm_billed, mc_ran = [], [], set()
    for _ in range(runs):
        t0, inv = b.invoke(request_for(prog))
        j = _resp(inv, b)
        mc_ran.add(bool((j.get("memcheck") or {}).get("ran")))
        engines.add(j.get("engine"))
        warm.append((inv.response_at - t0) * 1000.0)
        warm_billed.append((inv.response_at - inv.delivered_at) * 1000.0)
    same = request_for(prog)
    b.invoke(same)  # stored
    hit, hit_billed, hit_bytes = [], [], None
    for _ in range(max(runs, 10)):
        t0, inv = b.invoke(same)
        j = _resp(inv, b)
        if j.get("cached") is not True:
            raise BenchError("repeated request was not served from the cache")
        hit.append((inv.response_at - t0) * 1000.0)
        hit_billed.append((inv.response_at - inv.delivered_at) * 1000.0)
        hit_bytes = len(inv.response)
    out["bootstrap_hwm_mb"] = b.close()
    out.update(warm=stats(warm), warm_billed=stats(warm_billed), cached=stats(hit),
               cached_billed=stats(hit_billed), response_bytes=hit_bytes,
               memcheck_ran=sorted(mc_ran), engines=sorted(str(e) for e in engines))
    log("%s: warm %.0f ms, cached %.2f ms (medians); engine %s"
        % (tag, out["warm"]["median"], out["cached"]["median"], "/".join(out["engines"])))
    if moto:
        out["s3"] = _lambda_s3(binary, base_env, prog, runs, tmp, moto, log)
    else:
        out["s3"] = None
    return out


def _lambda_s3(binary, base_env, prog, runs, tmp, moto, log):
    env = moto.env()
    same = request_for(prog)
    b = Bootstrap(binary, base_env, tmp, env).launch()
    warm = []
    b.invoke(request_for(prog))
    for _ in range(runs):  # misses: S3 GET (miss) before, PUT after the trace
        t0, inv = b.invoke(request_for(prog))
        _resp(inv, b)
        warm.append((inv.response_at - inv.delivered_at) * 1000.0)
    b.invoke(same)  # now in S3 (and this environment's local tier)
    b.close()
    cold_hit, hit = [], []
    for _ in range(runs):  # a new environment: empty /tmp, the object in S3
        b = Bootstrap(binary, base_env, tmp, env)
        inv = b.emu.enqueue(same)
        b.launch()
        if not b.emu.wait_done(inv, 60):
            raise BenchError("bootstrap (S3) did not answer:\n" + b.tail())
        j = _resp(inv, b)
        if j.get("cached") is not True:
            raise BenchError("fresh environment was not served from S3:\n" + b.tail())
        cold_hit.append((inv.response_at - b.t_exec) * 1000.0)
        hit.append((inv.response_at - inv.delivered_at) * 1000.0)
        b.close()
    log("lambda+s3: fresh environment served from S3 %.1f ms exec->response"
        % stats(cold_hit)["median"])
    return {"warm_miss_billed": stats(warm), "cold_hit": stats(cold_hit),
            "hit_billed": stats(hit)}


class Moto(MotoS3):
    """tests/support/moto_s3.py's bucket (signature checking on after set-up,
    a user allowed cache/* only), started at once; close() ends it."""

    def __init__(self, tmp):
        super().__init__(tmp, bucket="spp-bench-cache")
        try:
            self.start()
        except RuntimeError as e:
            raise BenchError(str(e)) from e

    def close(self):
        self.stop()


# ---- Fargate-style ------------------------------------------------------------

class Serve:
    """An always-on `spp-trace serve` (tests/support/serve_proc.py's Service),
    timed per request."""

    def __init__(self, binary, base_env, tmp, workers):
        env = dict(base_env, XDG_CACHE_HOME=tempfile.mkdtemp(prefix="cache-", dir=tmp))
        self.svc = Service(binary, env, ["--workers", str(workers)])
        if not self.svc.wait_ready(20):
            self.svc.stop()
            raise BenchError("serve did not start:\n" + self.svc.log()[-2000:])

    def post(self, body, timeout=120):
        t0 = time.perf_counter()
        status, raw = self.svc.call("POST", "/run", body, timeout)
        return (time.perf_counter() - t0) * 1000.0, status, raw

    def close(self):
        hwm = vm_hwm_mb(self.svc.proc.pid)
        self.svc.stop()
        return hwm


def fargate_style(binary, base_env, progs, per_level, hits, tmp, log, levels=(1, 2, 4)):
    workers = max(levels)
    srv = Serve(binary, base_env, tmp, workers)
    out = {"workers": workers, "levels": [], "requests_per_level": per_level}
    try:
        for p in progs[:2]:  # warm-up, not measured
            srv.post(request_for(p))
        for c in levels:
            jobs = [progs[k % len(progs)] for k in range(per_level)]
            lock = threading.Lock()
            lat, statuses, mc = [], {}, set()

            def client():
                while True:
                    with lock:
                        if not jobs:
                            return
                        p = jobs.pop(0)
                    ms, st, raw = srv.post(request_for(p))
                    with lock:
                        statuses[st] = statuses.get(st, 0) + 1
                        if st == 200:
                            lat.append(ms)
                            try:
                                mc.add(bool((json.loads(raw).get("memcheck") or {}).get("ran")))
                            except ValueError:
                                pass
            t0 = time.perf_counter()
            ts = [threading.Thread(target=client) for _ in range(c)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            el = time.perf_counter() - t0
            lvl = {"concurrency": c, "latency": stats(lat), "statuses": statuses,
                   "elapsed_s": round(el, 2), "throughput_rps": len(lat) / el,
                   "memcheck_ran": sorted(mc)}
            out["levels"].append(lvl)
            log("serve: concurrency %d: median %.0f ms, p90 %.0f ms, %.2f req/s %s"
                % (c, lvl["latency"]["median"], lvl["latency"]["p90"], lvl["throughput_rps"],
                   statuses))
        same = request_for(progs[0])
        srv.post(same)
        hit = []
        for _ in range(hits):
            ms, st, raw = srv.post(same)
            if st != 200 or not json.loads(raw).get("cached"):
                raise BenchError("serve: repeated request not served from the cache")
            hit.append(ms)
        out["cached"] = stats(hit)
        log("serve: cached %.2f ms (median, HTTP round trip, new connection)"
            % out["cached"]["median"])
    finally:
        out["serve_hwm_mb"] = srv.close()
    return out

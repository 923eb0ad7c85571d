#!/usr/bin/env python3
"""image.py - `make bench-image`: the Lambda image's cold start and request
latencies beside the bare bootstrap's, in one invocation.

Both are measured by service.lambda_style (the same requests, the same
Runtime API emulator, the same statistics) on one program:
  - bare:  build/bootstrap under tests/support/lambda_like (not root, no
           ptrace: the Valgrind engine), as bench.py's Lambda-like rows;
  - image: the image of `make image`, started as tests/support/image_run.py
           runs it (podman, read-only root, /tmp tmpfs, uid 993, seccomp).
init is start -> first GET /next (exec of the bootstrap, or `podman run`:
the container's creation and start included); cold is start -> /response of
a request queued before the start; warm and cached are requests to a running
one. Writes bench/results/image-<date>.md and .json; prints the table.

    python3 bench/image.py [--runs N] [--program NAME]
"""
import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile

import service
from common import BenchError, vm_hwm_mb

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import image_run  # noqa: E402

BUILD = os.path.join(ROOT, "build")
LAMBDA_LIKE = os.path.join(BUILD, "support", "lambda_like")
# Variables of the bare bootstrap's environment that are host paths.
HOST_ONLY = ("PATH", "HOME", "XDG_CACHE_HOME", "TMPDIR", "LANG")


class ImageBootstrap(service.Bootstrap):
    """The image's bootstrap in a container, behind this Bootstrap's emulator."""

    def launch(self):
        memory_mb, _, _ = image_run.template_facts()
        env = image_run.lambda_env(self.emu.address, memory_mb,
                                   {k: v for k, v in self.env.items() if k not in HOST_ONLY})
        self.container = image_run.Container(tempfile.mkdtemp(dir=self.cache_home), env,
                                             LAMBDA_LIKE)
        self.t_exec = service.time.monotonic()
        self.proc = self.container.start(self.log)
        return self

    def close(self):
        pid = self.container.pid() if self.proc else 0
        hwm = vm_hwm_mb(pid) if pid else None
        if self.proc:
            self.container.remove()
        self.emu.stop()
        self.log.close()
        return hwm


ROWS = (("init", "start -> first /next"), ("cold", "cold request, start -> /response"),
        ("warm", "warm request (uncached)"), ("cached", "cache hit"))


def render(res):
    bare, img = res["bare"], res["image"]
    lines = ["# The Lambda image beside the bare bootstrap (%s)" % res["date"], "",
             "`make bench-image` (bench/image.py), %d runs each, program `%s`, image `%s` "
             "(%.0f MiB). Bare: build/bootstrap under tests/support/lambda_like; image: "
             "`podman run` as tests/support/image_run.py (read-only root, /tmp tmpfs, uid 993, "
             "seccomp). Medians (min-max); both measured in this one invocation."
             % (res["runs"], bare["program"], res["image_name"], res["image_mib"]), "",
             "| | bare bootstrap | image | image ÷ bare |", "|---|---|---|---|"]
    for key, label in ROWS:
        b, i = bare[key], img[key]
        lines.append("| %s | %.1f ms (%.1f-%.1f) | %.1f ms (%.1f-%.1f) | %.2f× |" % (
            label, b["median"], b["min"], b["max"], i["median"], i["min"], i["max"],
            i["median"] / b["median"]))
    lines += ["", "Engines: bare %s, image %s. Load average at start: %s."
              % ("/".join(bare["engines"]), "/".join(img["engines"]), res["load"])]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--program", default="02_calls.cpp")
    ap.add_argument("--programs-dir", default=os.environ.get("SPP_PROGRAMS") or
                    os.path.join(ROOT, "..", "shared", "programs"))
    a = ap.parse_args()
    for path, how in ((os.path.join(BUILD, "bootstrap"), "make"), (LAMBDA_LIKE, "make unit")):
        if not os.access(path, os.X_OK):
            raise SystemExit("bench-image: %s missing (run %s)" % (path, how))
    if not image_run.image_exists():
        raise SystemExit("bench-image: no image %s (run make image)" % image_run.IMAGE)
    import programs as P
    prog = P.find_programs(a.programs_dir, [a.program])[0]
    tmp = tempfile.mkdtemp(prefix="spp-bench-image-")
    try:
        os.chmod(tmp, 0o777)  # lambda_like drops root
        home = tempfile.mkdtemp(prefix="home-", dir=tmp)
        os.chmod(home, 0o777)
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": home,
               "TMPDIR": home}
        log = lambda m: print("bench-image: " + m, flush=True)  # noqa: E731
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
        bare = service.lambda_style(os.path.join(BUILD, "bootstrap"), env, prog, a.runs, tmp,
                                    log, wrapper=[LAMBDA_LIKE, "--"])
        img = service.lambda_style(None, env, prog, a.runs, tmp, log, bootstrap=ImageBootstrap,
                                   tag="lambda (image)")
    except BenchError as e:
        raise SystemExit("bench-image: %s" % e)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = int(image_run.podman("image", "inspect", "--format", "{{.Size}}",
                                image_run.IMAGE).stdout)
    res = {"date": datetime.date.today().isoformat(), "runs": a.runs, "load": load,
           "image_name": image_run.IMAGE, "image_mib": size / 1048576, "bare": bare,
           "image": img}
    out = os.path.join(ROOT, "bench", "results", "image-%s" % res["date"])
    with open(out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    with open(out + ".md", "w") as f:
        f.write(render(res))
    print(render(res))
    print("bench-image: wrote %s.md and .json" % out)


if __name__ == "__main__":
    main()

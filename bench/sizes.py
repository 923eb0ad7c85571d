"""sizes.py - how big a student's trace is, and what each path delivers (issue 13).

For each program of the student corpus (tests/programs/student): the CLI's
whole response (`--format response`, no cap: the reference step count), its
bytes and its gzip'ed bytes; then the same request through every way a
deployed function is reached, each answered by what is built now:

  serve + gzip          `spp-trace serve`, POST /run with Accept-Encoding: gzip
  API GW v1 / v2        build/bootstrap behind the local Runtime API emulator
  Function URL          (tests/support/rapi_emulator.py), proxy events from
                        ../shared/vectors/events with Accept-Encoding: gzip
  direct invoke         the bare request as payload, as See++'s backend sends it
                        (InvokeCommand, then JSON.parse): no negotiation
  direct invoke, auto   the same with "responseMode": "auto" and a bucket on
                        moto_server (when it runs): a response over 6 MiB comes
                        back as a small envelope whose responseUrl is followed here
  See++ runner          the reference TypeScript runner (lambda/runner, `make
                        runner`) with its defaults, through the emulator's Invoke
                        endpoint (@aws-sdk/client-lambda's InvokeCommand) and the
                        same bucket: the ProgramTrace See++'s frontend would get

Per path: bytes posted or sent (what crosses the 6 MiB Lambda limit), the
steps the client ends up with against the CLI's, and the outcome; a path
that returns fewer steps is marked, with the message it gave. Requests are
unique (a trailing comment) so no answer is a cache hit, and use
"memcheck": false: the findings do not change a trace's size noticeably and
memcheck mode's time is measured in student.py.
"""
import base64
import copy
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import urllib.request

from common import BenchError
import programs as P
import service
import student

LAMBDA_LIMIT = 6 * 1024 * 1024  # a function's synchronous response
PROXY_EVENTS = (("API GW v1", "apigw-request.json", "Accept-Encoding"),
                ("API GW v2", "apigw-v2-request-no-authorizer.json", "accept-encoding"),
                ("Function URL", "lambda-urls-request.json", "accept-encoding"))
PATHS = ["serve + gzip"] + [n for n, _, _ in PROXY_EVENTS] + ["direct invoke",
                                                              "direct invoke, auto",
                                                              "See++ runner"]
RUNNER = os.path.join("lambda", "runner", "dist", "cli.js")


def _request(prog):
    r = service.request_for(prog)
    r["memcheck"] = False
    return r


def _event(events_dir, name, header, body):
    with open(os.path.join(events_dir, "aws-lambda-go_" + name), encoding="utf-8") as f:
        ev = json.load(f)
    ev = copy.deepcopy(ev)
    if ev.get("version") == "2.0":
        ev["requestContext"]["http"]["method"] = "POST"
    else:
        ev["httpMethod"] = "POST"
    ev["headers"] = {k: v for k, v in (ev.get("headers") or {}).items()
                     if k.lower() != "accept-encoding"}
    ev["headers"][header] = "gzip"
    ev.pop("multiValueHeaders", None)
    ev["body"] = json.dumps(body)
    ev["isBase64Encoded"] = False
    return ev


def _summary(resp):
    t = (resp.get("trace") or {}).get("trace") or []
    last = t[-1] if t else {}
    return {"steps": len(t), "outcome": resp.get("outcome"),
            "message": (resp.get("message") or last.get("exceptionMsg") or "")[:200]}


def _row(path, sent, encoding, resp=None, error=None):
    r = {"path": path, "bytes": sent, "encoding": encoding, "steps": None, "outcome": None,
         "message": "", "error": error}
    if resp is not None:
        r.update(_summary(resp))
    return r


def _invoke(b, payload, path, moto=None):
    inv = b.invoke(payload)[1]
    if inv.response is None:
        sizes = ", ".join(str(n) for n in inv.rejected) if inv.rejected else "none"
        return _row(path, inv.rejected[-1] if inv.rejected else None, "-",
                    error="no response (bodies refused with 413: %s; error %s)"
                    % (sizes, (inv.error[1][:160] if inv.error else b"").decode(errors="replace")))
    raw = inv.response
    j = json.loads(raw)
    if "statusCode" in j:  # a proxy reply: the body is the response
        body = j.get("body") or ""
        enc = (j.get("headers") or {}).get("Content-Encoding") or "identity"
        data = base64.b64decode(body) if j.get("isBase64Encoded") else body.encode()
        if enc == "gzip":
            data = gzip.decompress(data)
        return _row(path, len(raw), enc + (" + base64" if j.get("isBase64Encoded") else ""),
                    json.loads(data))
    if moto and "responseUrl" in j:
        moto.unchecked(1)  # the URL is the authorisation; moto cannot check it
        try:
            with urllib.request.urlopen(j["responseUrl"], timeout=60) as r:
                data = r.read()
        finally:
            moto.unchecked(0)
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if len(data) != j.get("responseBytes") or \
                hashlib.sha256(data).hexdigest() != j.get("responseSha256"):
            return _row(path, len(raw), "envelope", error="the fetched response does not "
                        "match the envelope's size or SHA-256")
        row = _row(path, len(raw), "envelope -> S3 object of %d bytes" % len(data),
                   json.loads(data))
        return row
    return _row(path, len(raw), "identity", j)


def _serve(srv, body):
    req = urllib.request.Request("http://127.0.0.1:%d/run" % srv.svc.port,
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req, timeout=120) as r:
        raw, enc = r.read(), r.headers.get("Content-Encoding") or "identity"
    data = gzip.decompress(raw) if enc == "gzip" else raw
    return _row("serve + gzip", len(raw), enc, json.loads(data))


def _runner(cli_js, boot, body, moto=None):
    """The reference runner's ProgramTrace; bytes are what the function posted.
    moto cannot check the presigned URL the runner follows: with a bucket,
    requests to it pass unchecked while the runner runs."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "dummy", "AWS_REGION": "us-east-1",
           "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED": "true"}
    before = len(boot.emu.order)
    if moto:
        moto.unchecked(100)
    try:
        p = subprocess.run(["node", cli_js, "--function", boot.emu.function_name, "--endpoint",
                            "http://" + boot.emu.address], input=json.dumps(body).encode(),
                           capture_output=True, timeout=300, env=env)
    finally:
        if moto:
            moto.unchecked(0)
    invs = [boot.emu.invocations[r] for r in boot.emu.order[before:]]
    posted = invs[-1].response if invs and invs[-1].response is not None else None
    if p.returncode != 0:
        return _row("See++ runner", len(posted) if posted else None, "-",
                    error="runner exit %d: %s" % (p.returncode,
                                                   p.stderr.decode(errors="replace")[-160:]))
    t = json.loads(p.stdout)
    row = _row("See++ runner", len(posted) if posted else None,
               "envelope" if posted and b'"responseUrl"' in posted[:4096] else "identity")
    row["steps"] = len(t.get("trace") or [])
    last = (t.get("trace") or [{}])[-1]
    row["outcome"] = last.get("event")
    row["message"] = (last.get("exceptionMsg") or "")[:200]
    return row


def measure(tr, bin_dir, base_env, src_root, shared_dir, tmp, log, moto=None):
    progs = P.find_programs(student.corpus_dir(src_root))
    events = os.path.join(shared_dir, "vectors", "events")
    out = {"programs": [], "paths": PATHS, "limit": LAMBDA_LIMIT, "auto_bucket": bool(moto)}
    srv = service.Serve(os.path.join(bin_dir, "spp-trace"), base_env, tmp, 1)
    boot = service.Bootstrap(os.path.join(bin_dir, "bootstrap"), base_env, tmp).launch()
    auto = service.Bootstrap(os.path.join(bin_dir, "bootstrap"), base_env, tmp,
                             moto.env()).launch() if moto else None
    cli_js = os.path.join(src_root, RUNNER)
    runner_ok = os.path.exists(cli_js) and shutil.which("node")
    try:
        for p in progs:
            r, j = tr.cli(p, ["--no-memcheck"])
            cli = {"bytes": len(r.out), "gzip": len(gzip.compress(r.out, 6)),
                   **_summary(j)}
            rows = [_serve(srv, _request(p))]
            for name, ev, header in PROXY_EVENTS:
                rows.append(_invoke(boot, _event(events, ev, header, _request(p)), name))
            rows.append(_invoke(boot, _request(p), "direct invoke"))
            if auto:
                rows.append(_invoke(auto, dict(_request(p), responseMode="auto"),
                                    "direct invoke, auto", moto))
            else:
                rows.append(_row("direct invoke, auto", None, "-",
                                 error="not measured: moto_server is not installed here"))
            if runner_ok:
                rows.append(_runner(cli_js, auto or boot, _request(p), moto))
            else:
                rows.append(_row("See++ runner", None, "-", error="not measured: `make runner` "
                                 "has not built lambda/runner here (or node is missing)"))
            for x in rows:
                x["whole"] = x["steps"] == cli["steps"]
                x["over_limit"] = x["bytes"] is not None and x["bytes"] > LAMBDA_LIMIT
            out["programs"].append({"program": p["name"], "cli": cli, "paths": rows})
            log("sizes %-20s CLI %d steps %.1f MB (gzip %.0f KB); %s" % (
                p["name"], cli["steps"], cli["bytes"] / 1e6, cli["gzip"] / 1e3,
                ", ".join("%s %s" % (x["path"], x["steps"] if x["steps"] is not None else "-")
                          for x in rows)))
    finally:
        srv.close()
        boot.close()
        if auto:
            auto.close()
    return out


def summary_rows(sz):
    """Rows of the README's summary table: whole answers per path, and the
    largest reply posted to the Runtime API against Lambda's limit."""
    out = []
    for path in sz["paths"]:
        xs = [x for pr in sz["programs"] for x in pr["paths"]
              if x["path"] == path and not x["error"]]
        if not xs:
            continue
        whole = sum(1 for x in xs if x["whole"])
        big = max((x["bytes"] or 0) for x in xs)
        lam = path != "serve + gzip"
        # See++'s unchanged backend cannot follow a URL: an honest cut is its target
        honest = path == "direct invoke"
        ok = all(x["whole"] or (honest and x["outcome"] == "output_limit" and
                                x["message"].startswith("The trace stopped at step"))
                 for x in xs) and not (lam and big > LAMBDA_LIMIT)
        out.append("| student corpus, %s: every step returned | %d of %d programs%s; largest "
                   "reply %s | every program%s%s | **%s** |"
                   % (path, whole, len(xs), "" if whole == len(xs) or not honest else
                      " (the rest cut with outcome and message)" if ok else "", _mb(big),
                      " or an honest cut" if honest else "", ", ≤ 6 MiB posted" if lam else "",
                      "met" if ok else "MISSED"))
    return out


def _mb(n):
    if n is None:
        return "-"
    return "%.2f MB" % (n / 1e6) if n >= 100000 else "%.1f KB" % (n / 1e3)


def markdown(sz):
    if not sz:
        return []
    L = ["## Response sizes and what each path delivers (issue 13)\n",
         "Student-size corpus, one request each (memcheck off, unique so never cached). *CLI* "
         "is `spp-trace --format response` without any cap: the whole trace, the step count "
         "every path should return. Each path cell is `steps returned / bytes sent`, where bytes "
         "are what crossed the wire (serve) or were posted to the Runtime API (Lambda; its limit "
         "is 6 MiB = %d bytes); **bold** marks fewer steps than the CLI or a response over the "
         "limit. *direct invoke* is See++'s backend unchanged; *direct invoke, auto* asks for "
         "`\"responseMode\": \"auto\"` and follows the envelope's `responseUrl` (S3 on "
         "moto_server)%s; *See++ runner* is the reference TypeScript runner (`lambda/runner`) "
         "through the emulator's Invoke endpoint with the same bucket: its cell counts the "
         "ProgramTrace it prints, and its outcome is the last step's event.\n"
         % (LAMBDA_LIMIT, "" if sz["auto_bucket"] else
            ": **not measured here**, moto_server missing"),
         "| program | CLI steps | CLI response | gzip | %s |" % " | ".join(sz["paths"]),
         "|---|---|---|---|%s" % ("---|" * len(sz["paths"]))]
    notes = {}  # (program, steps, outcome, message) -> paths, in order
    for pr in sz["programs"]:
        cells = []
        for x in pr["paths"]:
            if x["error"]:
                cells.append("**%s**" % x["error"][:80] if "not measured" not in x["error"]
                             else "not measured")
                continue
            c = "%s / %s" % (x["steps"], _mb(x["bytes"]))
            if x["encoding"].startswith("envelope"):
                c += " (envelope)"
            if not x["whole"] or x["over_limit"]:
                c = "**%s**" % c
                key = "%s: %s steps of %s, outcome %s: %s" % (
                    pr["program"], x["steps"], pr["cli"]["steps"], x["outcome"],
                    x["message"] or "(no message)")
                notes.setdefault(key, []).append(x["path"])
            cells.append(c)
        L.append("| %s | %d | %s | %s | %s |" % (pr["program"], pr["cli"]["steps"],
                                                 _mb(pr["cli"]["bytes"]), _mb(pr["cli"]["gzip"]),
                                                 " | ".join(cells)))
    L.append("")
    whole = sum(1 for pr in sz["programs"] for x in pr["paths"] if not x["error"] and x["whole"])
    measured = sum(1 for pr in sz["programs"] for x in pr["paths"] if not x["error"])
    L.append("%d of %d measured (program, path) pairs returned every step%s\n"
             % (whole, measured, "." if not notes else "; the others:"))
    L += ["- %s (%s)" % (k, ", ".join(v)) for k, v in notes.items()]
    L.append("")
    return L

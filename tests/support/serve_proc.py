"""serve_proc.py - a running `spp-trace serve`, for tests and bench/.

Service starts it on a free port (--port 0, the port read from its
"listening on" line), optionally under a wrapper command (the lambda_like
launcher), with an environment of our choosing; collects its stderr in the
background; talks HTTP to it; stops it with SIGTERM and says how it ended.
"""

import json
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request


class Service:
    """`spp-trace serve --port 0` with env, optionally run by `wrapper`
    (a command list put in front, e.g. the lambda_like launcher)."""

    def __init__(self, spp, env, args=(), wrapper=()):
        self.proc = subprocess.Popen(list(wrapper) + [spp, "serve", "--port", "0"] + list(args),
                                     env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines = []
        self.port = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            m = re.search(r"listening on http://[^ ]+:(\d+)$", line)
            if m:
                self.port = int(m.group(1))
                self.ready.set()
        self.ready.set()

    def wait_ready(self, timeout=15):
        self.ready.wait(timeout)
        return self.port is not None

    def log(self):
        return "\n".join(self.lines)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers, raw body); a JSON body unless body is bytes."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(self.url(path), data=data, method=method,
                                     headers=headers or {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def call(self, method, path, body=None, timeout=120):
        """(status, raw body)."""
        status, _, raw = self.request(method, path, body, timeout=timeout)
        return status, raw

    def run(self, body, timeout=120):
        """POST /run: (status, raw body, parsed JSON or None)."""
        status, raw = self.call("POST", "/run", body, timeout)
        try:
            resp = json.loads(raw)
        except ValueError:
            resp = None
        return status, raw, resp

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

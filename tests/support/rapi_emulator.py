"""rapi_emulator.py - a local AWS Lambda Runtime API for tests (stdlib only).

Implements the protocol in shared/docs/service-contract.md, as the Runtime
Interface Emulator does: a queue of invocations served by a long-polling
GET /2018-06-01/runtime/invocation/next (headers Lambda-Runtime-Aws-Request-Id,
-Deadline-Ms, -Invoked-Function-Arn, -Trace-Id), POST .../{id}/response
(202; 413 when the body exceeds 6 MiB + 100 B), POST .../{id}/error,
POST /runtime/init/error. Tests can also make every call answer 500, or
"restart" it: drop the connections in flight and refuse new ones for a while,
then listen again on the same port.

It also serves Lambda's Invoke API for one function, as AWS Lambda's Runtime
Interface Emulator does: POST /2015-03-31/functions/NAME/invocations queues
the body as an invocation, waits for the runtime's answer and returns it
(X-Amz-Function-Error: Unhandled for an /error; Lambda's "Task timed out"
error when no answer comes before the deadline). So an SDK client
(InvokeCommand with the endpoint set to http://ADDRESS, any credentials and
region: nothing is checked) reaches the runtime through the Runtime API.

It records everything the runtime sent, with timestamps, so a test can assert
on the replies and measure cold start (process start to first /next).
"""

import http.server
import json
import re
import select
import socket
import socketserver
import threading
import time
import urllib.parse
import uuid

PREFIX = "/2018-06-01/runtime"
RESPONSE_LIMIT = 6 * 1024 * 1024 + 100
ERROR_TYPE_RE = r"^(Runtime|Function)\.[A-Z][a-zA-Z]+$"
INVOKE_RE = re.compile(r"^/2015-03-31/functions/([^/?]+)/invocations(\?.*)?$")


class Invocation:
    def __init__(self, payload, request_id, deadline_ms, arn, trace_id):
        self.payload = payload
        self.request_id = request_id
        self.deadline_ms = deadline_ms
        self.arn = arn
        self.trace_id = trace_id
        self.delivered_at = None
        self.response = None        # bytes of the accepted /response
        self.response_at = None
        self.rejected = []          # bodies refused with 413 (their sizes)
        self.error = None           # (headers dict, body bytes) of /error
        self.timed_out = False      # the Invoke API gave up at the deadline
        self.done = threading.Event()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator = None

    def handle_error(self, request, client_address):
        # A runtime that exits right after posting, or a dropped connection
        # during a restart, is part of the protocol, not an emulator bug.
        import sys
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without this, Nagle plus the
    # client's delayed ACK adds ~40 ms to every call.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet; tests print what matters
        pass

    def _send(self, code, body=b"", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self):
        """Close the connection without answering (what a restart looks like)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        emu = self.server.emulator
        emu._log("GET", self.path)
        if emu.fail_500:
            return self._send(500, {"errorMessage": "injected", "errorType": "Runtime.Unknown"})
        if emu._dropping():
            return self._drop()
        if self.path != PREFIX + "/invocation/next":
            return self._send(404, {"errorMessage": "not found"})
        emu._note_next()
        inv = emu._take(self)
        if inv is None:  # stopping or restarting: drop the long poll
            return self._drop()
        if emu.fail_500:
            return self._send(500, {"errorMessage": "injected"})
        self._send(200, inv.payload, {
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": inv.arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id,
        })

    def _invoke(self, name, body):
        """Lambda's Invoke API (RequestResponse), answered from the runtime."""
        emu = self.server.emulator
        fn = urllib.parse.unquote(name)
        if fn not in (emu.function_name, emu.function_arn):
            return self._send(404, {"Type": "User", "message": "Function not found: %s" % fn},
                              {"x-amzn-ErrorType": "ResourceNotFoundException"})
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if kind != "RequestResponse":
            return self._send(400, {"Type": "User",
                                    "message": "this emulator serves RequestResponse only"},
                              {"x-amzn-ErrorType": "InvalidParameterValueException"})
        inv = emu.enqueue(body, timeout_s=emu.invoke_timeout_s, arn=emu.function_arn)
        emu.invoked.append(inv)
        left = inv.deadline_ms / 1000.0 - time.time()
        headers = {"X-Amz-Executed-Version": "$LATEST",
                   "X-Amzn-Requestid": inv.request_id}
        if not inv.done.wait(max(left, 0)):
            emu._time_out(inv)
            headers["X-Amz-Function-Error"] = "Unhandled"
            return self._send(200, {"errorMessage": "%s %s Task timed out after %.2f seconds"
                                    % (time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                                       inv.request_id, emu.invoke_timeout_s)}, headers)
        if inv.error is not None:
            headers["X-Amz-Function-Error"] = "Unhandled"
            return self._send(200, inv.error[1], headers)
        return self._send(200, inv.response, headers)

    def do_POST(self):
        emu = self.server.emulator
        body = self._read_body()
        m = INVOKE_RE.match(self.path)
        if m:  # the invoke side: not affected by the Runtime API's injected faults
            return self._invoke(m.group(1), body)
        emu._log("POST", self.path, len(body))
        if emu.fail_500:
            return self._send(500, {"errorMessage": "injected", "errorType": "Runtime.Unknown"})
        if emu._dropping():
            return self._drop()
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path == PREFIX + "/init/error":
            emu.init_errors.append((headers, body))
            emu._changed()
            return self._send(202, {"status": "OK"})
        parts = self.path[len(PREFIX):].split("/")
        # ['', 'invocation', id, 'response'|'error']
        if len(parts) != 4 or parts[1] != "invocation" or parts[3] not in ("response", "error"):
            return self._send(404, {"errorMessage": "not found"})
        inv = emu.invocations.get(parts[2])
        if inv is None or inv.delivered_at is None:
            return self._send(400, {"errorMessage": "invalid request id",
                                    "errorType": "InvalidRequestID"})
        if inv.done.is_set():
            return self._send(400, {"errorMessage": "already answered",
                                    "errorType": "InvalidStateTransition"})
        if parts[3] == "response":
            if len(body) > emu.response_limit:
                inv.rejected.append(len(body))
                emu._changed()
                return self._send(413, {
                    "errorMessage": "Exceeded maximum allowed payload size (%d bytes)."
                                    % emu.response_limit,
                    "errorType": "RequestEntityTooLarge"})
            inv.response = body
        else:
            inv.error = (headers, body)
        inv.response_at = time.monotonic()
        if emu.on_response:  # the runtime still waits for our 202
            emu.on_response(inv)
        inv.done.set()
        emu._changed()
        self._send(202, {"status": "OK"})


class RuntimeAPIEmulator:
    """Start with start(); runtime address (host:port) in .address."""

    def __init__(self):
        self.invocations = {}
        self.order = []
        self.init_errors = []
        self.fail_500 = False
        self.response_limit = RESPONSE_LIMIT
        # the Invoke API's one function, and its timeout (the template's 180 s)
        self.function_name = "spp-trace"
        self.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:spp-trace"
        self.invoke_timeout_s = 180
        self.invoked = []           # invocations that came through the Invoke API
        self.next_times = []        # monotonic time of each /next received
        self.on_response = None     # fn(invocation) on a /response or /error, before the 202
        self.requests = []          # (method, path) in arrival order
        self._queue = []
        self._cond = threading.Condition()
        self._drop_until = 0.0
        self._epoch = 0             # bumped by restart(): waiting polls drop
        self._stopping = False
        self._server = None
        self._thread = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------
    def start(self, port=0):
        srv = _Server(("127.0.0.1", port), _Handler)
        srv.emulator = self
        self._server = srv
        self.port = srv.server_address[1]
        self._thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def stop(self):
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def restart(self, down_seconds):
        """Drop every connection in flight (the waiting /next included), refuse
        connections for down_seconds, then listen on the same port again."""
        with self._cond:
            self._epoch += 1
            self._cond.notify_all()
        srv = self._server
        srv.shutdown()
        srv.server_close()
        time.sleep(down_seconds)
        deadline = time.monotonic() + 5
        while True:
            try:
                self._server = None
                self.start(self.port)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def hiccup(self, seconds):
        """Keep listening but close each new connection unanswered for a while."""
        with self._cond:
            self._drop_until = time.monotonic() + seconds
            self._epoch += 1
            self._cond.notify_all()

    # ---- invocations -----------------------------------------------------
    def enqueue(self, payload, deadline_ms=None, request_id=None, timeout_s=60,
                arn="arn:aws:lambda:us-east-1:123456789012:function:spp-trace",
                trace_id=None):
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
        elif isinstance(payload, str):
            payload = payload.encode()
        rid = request_id or str(uuid.uuid4())
        if deadline_ms is None:
            deadline_ms = int(time.time() * 1000) + int(timeout_s * 1000)
        tid = trace_id or ("Root=1-%08x-%s;Parent=%s;Sampled=0"
                           % (int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16]))
        inv = Invocation(payload, rid, deadline_ms, arn, tid)
        with self._cond:
            self.invocations[rid] = inv
            self.order.append(rid)
            self._queue.append(inv)
            self._cond.notify_all()
        return inv

    def _time_out(self, inv):
        """Lambda's timeout: the invocation is over; a late answer is refused."""
        with self._cond:
            if inv in self._queue:
                self._queue.remove(inv)
            inv.timed_out = True
            inv.done.set()
            self._cond.notify_all()

    def wait_done(self, inv, timeout):
        return inv.done.wait(timeout)

    def wait_for(self, predicate, timeout):
        end = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    # ---- internals used by the handler -----------------------------------
    def _log(self, method, path, size=0):
        with self._cond:
            self.requests.append((method, path))

    def _note_next(self):
        with self._cond:
            self.next_times.append(time.monotonic())
            self._cond.notify_all()

    def _changed(self):
        with self._cond:
            self._cond.notify_all()

    def _dropping(self):
        return time.monotonic() < self._drop_until

    @staticmethod
    def _client_gone(handler):
        """The runtime closed its long poll (it exited or was killed)."""
        try:
            readable, _, _ = select.select([handler.connection], [], [], 0)
            return bool(readable) and handler.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _take(self, handler):
        with self._cond:
            epoch = self._epoch
            while not self._queue:
                if self._stopping or self._epoch != epoch or self._client_gone(handler):
                    return None
                self._cond.wait(0.05)
            if self._stopping or self._epoch != epoch or self._client_gone(handler):
                return None
            inv = self._queue.pop(0)
            inv.delivered_at = time.monotonic()
            return inv


def parse_json(body):
    return json.loads(body.decode("utf-8"))

"""Tests for handler.py: run with `python3 -m unittest -v test_handler` from the repository root.

Agents are HTTP servers on 127.0.0.1, port 0, in threads: the built-in echo agent (recording every
request it gets) and scripted agents that replay canned responses. Every test has its own
HANDLER_HOME; the CLI is driven in-process through handler.main(argv) and as a real subprocess.
Standard library only; Python 3.9 or later.
"""
import ast
import base64
import contextlib
import copy
import email.utils
import errno
import gzip
import io
import json
import os
import pty
import queue
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import types
import unittest
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock
from urllib.parse import parse_qsl, quote, unquote_plus

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import handler  # noqa: E402

HANDLER_PATH = os.path.join(HERE, "handler.py")
# Subprocesses run without site (-S): Handler needs only the standard library, and a site .pth
# (certifi here) would cost each of the suite's hundreds of starts ~30 ms of compile and import.
PYTHON = (sys.executable, "-S")
SECRET = "sk-live-0123456789abcdefSECRET"
EVENT_KEYS = {"task", "message", "statusUpdate", "artifactUpdate"}
TERMINAL = ("completed", "canceled", "failed", "rejected")
# Each test's directory in memory where the machine has some: the suite writes sessions files
# thousands of times, and an fsync on a disk shared with other work can take milliseconds.
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK | os.X_OK) else None
# What handler.py and this file import, for Pythons without sys.stdlib_module_names (3.9, PyPy 3.9).
STDLIB_FALLBACK = {
    "__future__", "_thread", "argparse", "ast", "base64", "contextlib", "copy", "dataclasses",
    "calendar", "datetime", "difflib", "email", "errno", "hashlib", "itertools", "shlex",
    "fcntl", "gzip", "hmac", "http", "io", "json", "mimetypes", "os", "pty", "random", "readline",
    "types", "zlib", "queue", "re", "select", "selectors", "shutil", "signal", "socket",
    "socketserver", "ssl", "stat", "struct", "subprocess", "sys", "tempfile", "textwrap", "threading", "time",
    "traceback", "tracemalloc", "curses", "unittest", "urllib", "uuid", "xml",
}


# ============================================================================ wire builders
# Protocol objects as an agent of version v ("1.0" or "0.3") sends them, written out by hand.

def wstate(v, state):
    return state if v == "0.3" else "TASK_STATE_" + state.upper().replace("-", "_")


def wtext(v, text):
    return {"kind": "text", "text": text} if v == "0.3" else {"text": text}


def wtask(v, state, text=None, tid="t-1", ctx="c-1"):
    task = {"id": tid, "contextId": ctx, "status": {"state": wstate(v, state)}}
    if v == "0.3":
        task["kind"] = "task"
    if text is not None:
        task["artifacts"] = [{"artifactId": "a1", "parts": [wtext(v, text)]}]
    return task


def wsend(v, obj):
    """A SendMessage result: a bare task or message in 0.3, {"task": ...} or {"message": ...} in 1.x."""
    return obj if v == "0.3" else {"message" if "messageId" in obj else "task": obj}


def wmessage(v, text, ctx="c-1"):
    msg = {"messageId": "m-agent", "role": "agent" if v == "0.3" else "ROLE_AGENT",
           "parts": [wtext(v, text)], "contextId": ctx}
    if v == "0.3":
        msg["kind"] = "message"
    return msg


def wstatus(v, state, tid="t-1", ctx="c-1"):
    body = {"taskId": tid, "contextId": ctx, "status": {"state": wstate(v, state)}}
    if v == "0.3":
        return dict(body, kind="status-update", final=state in TERMINAL + ("input-required", "auth-required"))
    return {"statusUpdate": body}


def wchunk(v, text, append=False, last=False, tid="t-1", ctx="c-1", aid="a1"):
    body = {"taskId": tid, "contextId": ctx, "artifact": {"artifactId": aid, "parts": [wtext(v, text)]}}
    if append:
        body["append"] = True
    if last:
        body["lastChunk"] = True
    return dict(body, kind="artifact-update") if v == "0.3" else {"artifactUpdate": body}


def wevents(v, final="completed"):
    """The order the official SDK streams: task, working, two chunks, the final status."""
    events = [wsend(v, wtask(v, "submitted")), wstatus(v, "working"), wchunk(v, "Echo: "),
              wchunk(v, "hi", append=True, last=True)]
    return events + ([wstatus(v, final)] if final else [])


def wcard(v, url, **extra):
    card = {"name": "Scripted Agent", "description": "replays canned answers", "version": "9",
            "capabilities": {"streaming": True}, "skills": []}
    if v == "0.3":
        card.update(protocolVersion="0.3.0", url=url, preferredTransport="JSONRPC")
    else:
        card["supportedInterfaces"] = [{"url": url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0",
                                        **extra}]
    return card


def wfile(v, data, name=None, media=None):
    """An inline file part as an agent of version v sends it."""
    import base64
    raw = base64.b64encode(data).decode("ascii")
    if v == "0.3":
        file = {"bytes": raw, **({"name": name} if name is not None else {}),
                **({"mimeType": media} if media else {})}
        return {"kind": "file", "file": file}
    return {"raw": raw, **({"filename": name} if name is not None else {}), **({"mediaType": media} if media else {})}


def wurl(v, url, name, media):
    if v == "0.3":
        return {"kind": "file", "file": {"uri": url, "name": name, "mimeType": media}}
    return {"url": url, "filename": name, "mediaType": media}


def wdata(v, data):
    return {"kind": "data", "data": data} if v == "0.3" else {"data": data}


def wpush_card(v, url):
    card = wcard(v, url)
    card["capabilities"]["pushNotifications"] = True
    return card


def rpc(result, rid=None):
    """A JSON-RPC answer carrying the request's own id (or `rid`)."""
    def body(req):
        return json.dumps({"jsonrpc": "2.0", "id": req.json["id"] if rid is None else rid,
                           "result": result}).encode()
    return body


def rpc_error(code, message):
    def body(req):
        return json.dumps({"jsonrpc": "2.0", "id": req.json["id"],
                           "error": {"code": code, "message": message}}).encode()
    return body


def sse(results, eol="\r\n", comments=False, multiline=False):
    """The frames (bytes, one per event) of an SSE stream answering the request."""
    def frames(req):
        out = []
        for n, result in enumerate(results):
            payload = {"jsonrpc": "2.0", "id": req.json["id"], "result": result}
            text = ": ping" + eol + "id: %d" % n + eol if comments else ""
            lines = json.dumps(payload, indent=1).split("\n") if multiline else [json.dumps(payload)]
            text += "".join("data: %s%s" % (line, eol) for line in lines) + eol
            out.append(text.encode())
        return out
    return frames


# ============================================================================ scripted agents

class Req:
    """One request an agent received."""

    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Reply:
    """One canned response. body: bytes or f(req) -> bytes; pieces: list or f(req) -> list of byte
    strings written one by one with a flush (no Content-Length); pause_after: wait for server.go
    after that piece; hang: never answer (until the test ends); chunked/cut: chunked encoding,
    with cut leaving out the last chunk."""

    def __init__(self, body=b"", status=200, ctype="application/json", headers=(), pieces=None,
                 pause_after=None, hang=False, chunked=False, cut=False):
        self.body, self.status, self.ctype, self.headers = body, status, ctype, headers
        self.pieces, self.pause_after, self.hang, self.chunked, self.cut = pieces, pause_after, hang, chunked, cut


def sse_reply(frames, **kw):
    return Reply(pieces=frames, ctype="text/event-stream", **kw)


def split_bytes(frames, size):
    """Re-cut SSE frames into pieces of `size` bytes, ignoring event boundaries."""
    def pieces(req):
        data = b"".join(frames(req))
        return [data[i:i + size] for i in range(0, len(data), size)]
    return pieces


class ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self._answer(b"")

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

    def _answer(self, body):
        srv = self.server
        req = Req(self.command, self.path, self.headers, body)
        with srv.lock:
            srv.requests.append(req)
        if self.command == "POST":
            srv.posted.set()
        reply = srv.reply_for(req)
        if reply.hang:
            srv.release.wait(60)
            return
        pieces = reply.pieces(req) if callable(reply.pieces) else reply.pieces
        data = reply.body(req) if callable(reply.body) else reply.body
        if reply.chunked:
            self.protocol_version = "HTTP/1.1"
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif pieces is None:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if pieces is None:
            self.wfile.write(data)
            return
        for i, piece in enumerate(pieces):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece)
            self.wfile.flush()
            if reply.pause_after == i:
                srv.go.wait(30)
        if reply.chunked and not reply.cut:
            self.wfile.write(b"0\r\n\r\n")


class ScriptedServer(ThreadingHTTPServer):
    """Serves an auto-built card of `version` (unless told otherwise in `gets` or `card`) and
    answers POSTs with `posts`, in order; records every request in `requests`."""
    daemon_threads = True

    def __init__(self, version):
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.version, self.card, self.endpoint = version, "auto", None
        self.gets, self.posts, self.requests = {}, [], []
        self.lock = threading.Lock()
        self.posted, self.release, self.go = threading.Event(), threading.Event(), threading.Event()

    def handle_error(self, request, client_address):
        pass   # clients that give up early are part of the script

    def reply_for(self, req):
        if req.method == "GET":
            reply = self.gets.get(req.path)
            if isinstance(reply, list):
                reply = reply.pop(0)
            if reply is None and req.path == "/.well-known/agent-card.json" and self.card is not None:
                card = self.card if self.card != "auto" else wcard(
                    self.version, self.endpoint or "http://%s/" % req.headers["Host"])
                reply = Reply(json.dumps(card).encode())
            return reply or Reply(b'{"error": "not found"}', 404)
        with self.lock:
            if self.posts:
                return self.posts.pop(0)
        return Reply(b"no more scripted replies", 500, "text/plain")

    def post_bodies(self):
        return [r.json for r in self.requests if r.method == "POST"]


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return "Result(code=%r, out=%r, err=%r)" % (self.code, self.out[-2000:], self.err[-2000:])


class FakeClock:
    """handler's clock seam in fake time (tqdm's DiscreteTimer is the model): sleep(s) returns at
    once, records s in `slept` and moves the clock on by s; monotonic() is the real clock plus
    every sleep skipped, so deadlines still count the time the requests really take.
    on_sleep(s), when given, runs at each sleep (a test lets its agent move on there)."""

    def __init__(self, on_sleep=None):
        self.slept, self.skipped, self.on_sleep = [], 0.0, on_sleep

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.skipped += seconds
        if self.on_sleep:
            self.on_sleep(seconds)

    def monotonic(self):
        return time.monotonic() + self.skipped


class Gate:
    """EchoAgent.gate for a test: each chunk of a slow task waits in wait() (the agent's 0.5 s is
    ignored) until the test lets it through: step(n) lets n chunks go, open() all from then on
    (also at the end of the test, so that no task is left waiting); with `pace`, each chunk
    waits that many seconds instead. held(n): wait until n chunks wait here."""

    def __init__(self, pace=None):
        self.cond, self.pace = threading.Condition(), pace
        self.passes, self.waiting, self.opened = 0, 0, False

    def wait(self, timeout):
        with self.cond:
            self.waiting += 1
            self.cond.notify_all()
            if self.pace is not None:
                self.cond.wait_for(lambda: self.opened, self.pace)
            else:
                self.cond.wait_for(lambda: self.opened or self.passes, 30)
                if self.passes and not self.opened:
                    self.passes -= 1
            self.waiting -= 1
            self.cond.notify_all()
            return True

    def step(self, n=1):
        with self.cond:
            self.passes += n
            self.cond.notify_all()

    def open(self):
        with self.cond:
            self.opened = True
            self.cond.notify_all()

    def held(self, n=1, timeout=10):
        with self.cond:
            return self.cond.wait_for(lambda: self.waiting >= n and not self.passes, timeout)


def stop_serving(server):
    """server.shutdown() without waiting out serve_forever's poll interval: the request to stop
    is made, then a connection wakes its select at once (it checks the request before it
    accepts anything)."""
    server._BaseServer__shutdown_request = True
    with contextlib.suppress(OSError):
        socket.create_connection(server.server_address[:2], 1).close()
    server.shutdown()


# ============================================================================ base test case

class HandlerTestCase(unittest.TestCase):
    """Isolated environment; helpers for agents and for running the CLI."""
    VERSIONS = ("1.0", "0.3")

    @property
    def V(self):
        """The protocol version the client speaks to this class's agents."""
        return "1.0" if "1.0" in self.VERSIONS else "0.3"

    def setUp(self):
        env = mock.patch.dict(os.environ)
        env.start()
        self.addCleanup(env.stop)
        self.tmp = tempfile.mkdtemp(prefix="handler-test-", dir=SCRATCH)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.home = os.path.join(self.tmp, "handler-home")     # not created: handler must create it
        self.sessions_path = os.path.join(self.home, "sessions.json")
        # PYTHONUNBUFFERED would hide missing flushes and broken-pipe handling in subprocesses
        for name in ("HANDLER_URL", "HANDLER_BEARER_TOKEN", "HANDLER_API_KEY", "HANDLER_API_KEY_HEADER",
                     "PYTHONUNBUFFERED"):
            os.environ.pop(name, None)
        os.environ.update(HANDLER_HOME=self.home, NO_PROXY="*", no_proxy="*", NO_COLOR="1",
                          HOME=os.path.join(self.tmp, "user-home"), PYTHONDONTWRITEBYTECODE="1")

    # -- running the CLI
    def run_cli(self, *argv, stdin=""):
        """handler.main(argv) in-process, with stdin/stdout/stderr replaced."""
        out, err = io.StringIO(), io.StringIO()
        with mock.patch.object(sys, "stdout", out), mock.patch.object(sys, "stderr", err), \
                mock.patch.object(sys, "stdin", io.StringIO(stdin)):
            code = handler.main([str(a) for a in argv])
        result = Result(code, out.getvalue(), err.getvalue())
        self.assertClean(result)
        return result

    def fresh_python(self, body, *args):
        """body run in a new python -S with handler (and sys, contextlib, io) imported, so that
        what it loads is a command's own; args are its sys.argv[2:]."""
        script = "import sys, contextlib, io; sys.path.insert(0, sys.argv[1]); import handler\n"
        return subprocess.run([*PYTHON, "-c", script + body, HERE, *args], capture_output=True,
                              text=True, timeout=30, env=dict(os.environ))

    def run_proc(self, *argv, stdin="", timeout=30):
        """handler.py as a real subprocess."""
        p = subprocess.run([*PYTHON, HANDLER_PATH] + [str(a) for a in argv], input=stdin,
                           capture_output=True, text=True, timeout=timeout, env=dict(os.environ), cwd=HERE)
        result = Result(p.returncode, p.stdout, p.stderr)
        self.assertClean(result)
        return result

    def popen(self, argv, **kw):
        """A subprocess (handler.py unless argv starts with an interpreter), killed by its pid at the end.
        SIGINT is restored to its default so that Ctrl-C tests work under a shell that ignores it."""
        proc = subprocess.Popen(argv, env=dict(os.environ), cwd=HERE,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)

        def stop():
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream:
                    stream.close()
        self.addCleanup(stop)
        return proc

    # -- assertions
    def assertClean(self, r):
        self.assertNotIn("Traceback", r.err, r)
        self.assertNotIn("internal error", r.err, r)

    def assertOk(self, r):
        self.assertEqual(r.code, 0, r)
        return r

    def assertError(self, r, code, *fragments):
        """Exit code `code` and exactly one line on stderr, 'Error: ...', holding every fragment."""
        self.assertEqual(r.code, code, r)
        lines = r.err.splitlines()
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith("Error: "), r)
        for fragment in fragments:
            self.assertIn(fragment, lines[0], r)
        return lines[0]

    def assertJsonError(self, r, code, exit_code):
        self.assertEqual(r.code, exit_code, r)
        doc = json.loads(r.out)
        self.assertEqual(set(doc), {"error"})
        self.assertEqual(set(doc["error"]), {"code", "message", "hint", "a2aCode"})
        self.assertEqual(doc["error"]["code"], code, r)
        return doc["error"]

    def ids(self, r):
        """The Task ID / Context ID / State lines of text output."""
        found = dict(re.findall(r"^(Task ID|Context ID|State): (.*)$", r.out, re.M))
        return found.get("Task ID"), found.get("Context ID"), found.get("State")

    def saved(self):
        with open(self.sessions_path, encoding="utf-8") as f:
            return json.load(f)

    # -- agents
    def _serve(self, server, *events):
        ready = threading.Event()

        def run():
            ready.set()
            server.serve_forever(0.05)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self.assertTrue(ready.wait(5))

        def stop():
            for event in events:
                event.set()
            stop_serving(server)
            server.server_close()
            thread.join(5)
        self.addCleanup(stop)
        return "http://127.0.0.1:%d" % server.server_address[1]

    def fake_clock(self, on_sleep=None):
        """handler's clock seam replaced by a FakeClock for the rest of the test."""
        clock = FakeClock(on_sleep)
        for name in ("sleep", "monotonic"):
            patch = mock.patch.object(handler, name, getattr(clock, name))
            patch.start()
            self.addCleanup(patch.stop)
        return clock

    def gate(self, server, pace=None):
        """A Gate holding the slow tasks of the built-in agent `server`, opened at the end."""
        gate = server.agent.gate = Gate(pace)
        self.addCleanup(gate.open)
        return gate

    def agent(self, versions=None, token=None):
        """The built-in agent, recording every request in server.received. Returns (url, server)."""
        server = handler.make_agent_server("127.0.0.1", 0, bearer_token=token, log=None,
                                           agent=handler.EchoAgent(versions or self.VERSIONS))
        received = server.received = []
        base = server.RequestHandlerClass

        class Recording(base):
            def do_GET(self):
                received.append(Req("GET", self.path, self.headers, b""))
                super().do_GET()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(Req("POST", self.path, self.headers, body))
                self.rfile = io.BytesIO(body)
                super().do_POST()
        server.RequestHandlerClass = Recording
        server.handle_error = lambda request, address: None
        return self._serve(server), server

    def scripted(self, version=None):
        server = ScriptedServer(version or self.V)
        return self._serve(server, server.release, server.go), server

    @staticmethod
    def posts(server):
        return [r for r in server.received if r.method == "POST"]

    def assertWire(self, req, method_v1, method_v03):
        """A JSON-RPC request in the version this class speaks."""
        body = req.json
        self.assertEqual(body["jsonrpc"], "2.0")
        if self.V == "1.0":
            self.assertEqual(body["method"], method_v1)
            self.assertEqual(req.headers.get("A2A-Version"), "1.0")
        else:
            self.assertEqual(body["method"], method_v03)
            self.assertIsNone(req.headers.get("A2A-Version"))
        message = body["params"].get("message")
        if message is not None:
            if self.V == "1.0":
                self.assertEqual(message["role"], "ROLE_USER")
                self.assertNotIn("kind", message)
                self.assertTrue(all("kind" not in p for p in message["parts"]))
            else:
                self.assertEqual(message["kind"], "message")
                self.assertEqual(message["role"], "user")
                self.assertTrue(all(p["kind"] == "text" for p in message["parts"]))
        return body


def versioned(mixin, versions_list=(("1.0",), ("0.3",), ("1.0", "0.3"))):
    """One TestCase per protocol version set: FooV10, FooV03, FooDual."""
    names = {("1.0",): "V10", ("0.3",): "V03", ("1.0", "0.3"): "Dual"}
    for versions in versions_list:
        name = mixin.__name__.lstrip("_") + names[versions]
        globals()[name] = type(name, (mixin, HandlerTestCase), {"VERSIONS": versions, "__module__": __name__})


# ============================================================================ 1. the files themselves

class SlowTaskGateTests(HandlerTestCase):
    """The built-in agent's slow task waits at its gate (EchoAgent.gate): 0.5 s a chunk for a
    person watching `server agent`, or as long as a test holds it."""

    @staticmethod
    def message(text):
        return {"messageId": handler.new_id(), "role": "ROLE_USER", "parts": [{"text": text}]}

    def test_each_chunk_of_a_slow_task_waits_half_a_second_at_the_gate(self):
        agent = handler.EchoAgent()
        self.assertIsInstance(agent.gate, threading.Event)    # never set: wait(0.5) pauses 0.5 s
        self.assertFalse(agent.gate.is_set())
        agent.gate = mock.Mock(**{"wait.return_value": True})
        for text, waits in (("hi there", 0), ("slow a b", 4)):   # "Echo: ", "slow ", "a ", "b"
            with self.subTest(text=text):
                task, _ = agent.start(self.message(text))
                self.assertEqual(handler.task_state(agent.wait(task["id"], 10)), "completed")
                self.assertEqual(agent.gate.wait.call_args_list, [mock.call(0.5)] * waits)
                agent.gate.wait.reset_mock()

    def test_a_test_holds_steps_and_opens_a_slow_task(self):
        url, server = self.agent()
        agent, gate = server.agent, self.gate(server)
        task, _ = agent.start(self.message("slow a b"))
        self.assertTrue(gate.held(1))                           # "Echo: " waits
        self.assertEqual(handler.task_state(agent.get(task["id"])), "working")
        gate.step(2)
        self.assertTrue(gate.held(1))                           # "Echo: " and "slow " went; "a " waits
        self.assertEqual(handler.reply_text(agent.get(task["id"])), "Echo: slow ")
        gate.open()
        self.assertEqual(handler.reply_text(agent.wait(task["id"], 10)), "Echo: slow a b")


class PickInterfaceShapeTests(unittest.TestCase):
    """Interface lists as a card from anywhere may hold them: what is not an object is skipped."""

    def test_entries_that_are_not_objects_are_skipped(self):
        card = {"supportedInterfaces": ["x", 3, None, {"url": "http://a/x", "protocolBinding":
                                                        "JSONRPC", "tenant": "t"}],
                "url": "http://c/", "additionalInterfaces": ["y", {"url": 7}]}
        self.assertEqual(handler.pick_interface(card, "http://a/")[:4],
                         ("http://a/x", "JSONRPC", "1.0", "t"))
        del card["supportedInterfaces"]
        self.assertEqual(handler.pick_interface(card, "http://a/")[:4],
                         ("http://c/", "JSONRPC", "0.3", None))


class ReplyOutputTests(HandlerTestCase):
    """-o reply: stdout holds only what the agent said (artifacts, then the status message; a
    stream's text as it arrives); the ids and state lines go to stderr, or nowhere with -q. Exit
    codes and errors are those of text mode; commands that show no reply print as text."""
    IDS = re.compile(r"^(Task ID|Context ID|State): .*\n", re.M)

    def test_ids_and_state_go_to_stderr_and_nowhere_with_q(self):
        url, srv = self.scripted()
        for quiet, err in (((), ids_text("completed")), (("-q",), "")):
            with self.subTest(quiet=quiet):
                srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: hi")))))
                r = self.assertOk(self.run_cli(*quiet, "-o", "reply", "message", "send", "--url",
                                               url, "hi"))
                self.assertEqual((r.out, r.err), ("Echo: hi\n", err))

    def test_exit_codes_and_errors_are_those_of_text_mode(self):
        url, srv = self.scripted()
        v = self.V
        for name, reply, command in (
                ("completed", Reply(rpc(wsend(v, wtask(v, "completed", "Echo: hi")))), "send"),
                ("a message", Reply(rpc(wsend(v, wmessage(v, "Hello")))), "send"),
                ("failed", Reply(rpc(wsend(v, wtask(v, "failed", "boom")))), "send"),
                ("asks", wasked(v, "Which one?", snapshot=True), "send"),
                ("cut short", sse_reply(sse(wevents(v, final=None))), "stream"),
                ("error", Reply(rpc_error(-32603, "boom")), "send")):
            with self.subTest(name):
                if name == "asks":
                    reply = Reply(rpc(reply))
                srv.posts[:] = [reply] * 3   # (a stream cut short is read again)
                text = self.run_cli("message", command, "--no-session", "--url", url, "hi")
                srv.posts[:] = [reply] * 3
                r = self.run_cli("message", command, "-o", "reply", "--no-session", "--url",
                                 url, "hi")
                self.assertEqual(r.code, text.code, (r, text))
                self.assertEqual(r.out, self.IDS.sub("", text.out), (r, text))
                self.assertEqual(r.err, "".join(m.group() for m in self.IDS.finditer(text.out))
                                 + text.err)
        url = "http://127.0.0.1:%d" % closed_port()
        for fmt in ("text", "reply"):
            self.assertError(self.run_cli("-o", fmt, "task", "get", "--url", url, "t-1"), 3)

    def test_a_stream_shows_its_text_and_the_replacement_mark_goes_to_stderr(self):
        url, srv = self.scripted()
        events = wevents(self.V, final=None) + [wreplace(self.V, "Bye"),
                                                wstatus(self.V, "completed")]
        srv.posts.append(sse_reply(sse(events)))
        r = self.assertOk(self.run_cli("-o", "reply", "message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, "Echo: hi\nBye\n")
        self.assertEqual(r.err, "[artifact a1 replaced]\n" + ids_text("completed"))
        srv.posts.append(sse_reply(sse(events)))
        r = self.assertOk(self.run_cli("-q", "-o", "reply", "task", "resubscribe", "--url", url,
                                       "t-1"))
        self.assertEqual((r.out, r.err), ("Echo: hi\nBye\n", ""))

    def test_a_stream_is_written_as_it_arrives(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V)), pause_after=2))
        proc = self.popen([*PYTHON, HANDLER_PATH, "-o", "reply", "message", "stream", "--url",
                           url, "--timeout", "20", "hi"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = read_until(proc.stdout, lambda b: b"Echo: " in b, 15)
        self.assertIsNone(proc.poll())   # the agent holds the rest back
        srv.go.set()
        rest, err = proc.communicate(timeout=20)
        self.assertEqual((proc.returncode, seen + rest), (0, b"Echo: hi\n"))
        self.assertEqual(err.decode(), ids_text("completed"))

    def test_task_get_shows_the_reply_and_sanitises_it(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wtask(self.V, "completed", "Echo: \x1b[2Jhi"))))
        r = self.assertOk(self.run_cli("-o", "reply", "task", "get", "--url", url, "t-1"))
        self.assertEqual((r.out, r.err), ("Echo: ^[[2Jhi\n", ids_text("completed")))

    def test_chat_piped_prints_each_reply_and_its_ids_on_stderr(self):
        url, srv = self.scripted()
        srv.posts += [sse_reply(sse(wevents(self.V))),
                      Reply(rpc(wtask(self.V, "completed", "Echo: hi"))),
                      sse_reply(sse(wevents(self.V)))]
        r = self.assertOk(self.run_proc("-o", "reply", "chat", "--url", url,
                                        stdin="hi\n/task\nhi\n", timeout=30))
        self.assertEqual(r.out, "Echo: hi\nEcho: hi\n")
        self.assertEqual(r.err, ids_text("completed") * 3)

    def test_piped_to_another_command_as_a_subprocess(self):
        url, _ = self.agent()
        r = self.assertOk(self.run_proc("-o", "reply", "message", "send", "--url", url,
                                        stdin="Summarise the log\n"))
        self.assertEqual(r.out, "Echo: Summarise the log\n")
        self.assertIn("State: completed", r.err)

    def test_commands_without_a_reply_print_as_text(self):
        url, _ = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        for command in (("card", "get", "--url", url), ("session", "list"),
                        ("task", "list", "--url", url)):
            with self.subTest(command[0]):
                text, r = (self.assertOk(self.run_cli(*fmt, *command)) for fmt in ((), ("-o", "reply")))
                self.assertEqual((r.out, r.err), (text.out, text.err))


class NamedAgentTests(HandlerTestCase):
    """agent add/list/show/rename/remove, and @NAME wherever an agent URL goes: --url,
    HANDLER_URL, chat and the MCP tools' agent_url; its stored transport and headers apply."""
    KEY = "agent-key-0123456789-secret"

    def add(self, name, url, *more):
        return self.assertOk(self.run_cli("agent", "add", name, url, *more))

    def agents_path(self):
        return os.path.join(self.home, "agents.json")

    def test_add_list_show_store_0600_and_never_show_a_header_value(self):
        r = self.add("ops", "http://Agent.example:80/", "-H", f"X-API-Key: {self.KEY}",
                     "--transport", "http+json")
        self.assertEqual(r.out, "Stored @ops: http://agent.example\n")
        self.add("@dev", "http://127.0.0.1:8001")   # the '@' is dropped
        self.assertEqual(os.stat(self.agents_path()).st_mode & 0o777, 0o600)
        with open(self.agents_path()) as f:
            self.assertEqual(json.load(f), {
                "ops": {"url": "http://agent.example", "transport": ["http+json"],
                        "headers": [f"X-API-Key: {self.KEY}"]},
                "dev": {"url": "http://127.0.0.1:8001", "transport": [], "headers": []}})
        line = "@ops  http://agent.example  http+json  X-API-Key: agen\u2026"
        r = self.assertOk(self.run_cli("agent", "list"))
        self.assertEqual(r.out, f"@dev  http://127.0.0.1:8001\n{line}\n")
        self.assertEqual(self.assertOk(self.run_cli("agent", "show", "ops")).out, line + "\n")
        doc = json.loads(self.assertOk(self.run_cli("-o", "json", "agent", "list")).out)
        ops = {"name": "ops", "url": "http://agent.example", "transport": ["http+json"],
               "headers": ["X-API-Key: agen\u2026"]}
        self.assertEqual(doc, {"count": 2, "agents": [
            {"name": "dev", "url": "http://127.0.0.1:8001", "transport": [], "headers": []}, ops]})
        r = self.assertOk(self.run_cli("agent", "show", "@ops", "-o", "json"))
        self.assertEqual(json.loads(r.out), ops)
        for argv in (("agent", "list"), ("agent", "show", "ops"), ("-o", "json", "agent", "list")):
            self.assertNotIn(self.KEY[4:], self.run_cli(*argv).out)
        self.assertNotIn(self.KEY, r.out + r.err)

    def test_name_rules_and_taken_names(self):
        for bad in ("http://agent:8000", "agent:8000", "a/b", "a b", "-x", ".x", "x" * 65, "",
                    "\u00e9t\u00e9"):
            with self.subTest(name=bad):
                self.assertError(self.run_cli("agent", "add", "--", bad, "http://a"), 2,
                                 "invalid agent name", "letters, digits")
        self.add("prod-eu.v2_a", "http://a")
        self.add("x" * 64, "http://b")
        self.assertError(self.run_cli("agent", "add", "prod-eu.v2_a", "http://c"), 2,
                         "an agent named @prod-eu.v2_a is stored already (http://a)")
        self.assertError(self.run_cli("agent", "rename", "prod-eu.v2_a", "x" * 64), 2,
                         "is stored already (http://b)")
        self.assertError(self.run_cli("agent", "rename", "prod-eu.v2_a", "prod-eu.v2_a"), 2,
                         "is stored already")
        self.assertError(self.run_cli("agent", "add", "ok", "ftp://a"), 2, "invalid agent URL")
        self.assertError(self.run_cli("agent", "add", "ok", "http://a", "-H", "bad"), 2,
                         "invalid header")
        with open(self.agents_path()) as f:
            self.assertEqual(sorted(json.load(f)), ["prod-eu.v2_a", "x" * 64])

    def test_unknown_names_get_the_closest_or_the_known_ones_exit_2(self):
        line = self.assertError(self.run_cli("message", "send", "--url", "@ops", "hi"), 2,
                                "no agent named @ops; known: none")
        self.assertIn("handler.py agent add ops URL", line)
        self.add("ops", "http://a")
        self.add("staging", "http://b")
        for argv in (("message", "send", "--url", "@opz", "hi"), ("agent", "show", "opz"),
                     ("agent", "remove", "@opz"), ("agent", "rename", "opz", "new"),
                     ("task", "get", "--url", "@opz"), ("session", "show", "@opz")):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv), 2, "no agent named @opz; did you mean @ops?")
        self.assertError(self.run_cli("card", "get", "--url", "@zzz"), 2,
                         "no agent named @zzz; known: ops, staging")
        os.environ["HANDLER_URL"] = "@stagng"
        self.assertError(self.run_cli("task", "get"), 2, "did you mean @staging?")
        err = self.assertJsonError(self.run_cli("-o", "json", "chat"), "A2ACLI_ERR_USAGE", 2)
        self.assertIn("no agent named @stagng; did you mean @staging?", err["message"])

    def test_at_name_sends_to_the_url_with_its_transport_and_headers_flags_win(self):
        url, agent = self.agent(("1.0",))
        self.add("ops", url, "-H", f"X-API-Key: {self.KEY}", "-H", "X-Team: red",
                 "--transport", "http+json")
        r = self.assertOk(self.run_cli("message", "send", "--url", "@ops", "hello"))
        self.assertIn("Echo: hello", r.out)
        post = self.posts(agent)[-1]
        self.assertEqual((post.path, post.headers["X-API-Key"], post.headers["X-Team"]),
                         ("/rest/message:send", self.KEY, "red"))   # the stored binding
        self.assertOk(self.run_cli("--transport", "jsonrpc", "message", "send", "--url", "@ops",
                                   "-H", "X-Team: blue", "again"))
        post = self.posts(agent)[-1]
        self.assertEqual((post.json["method"], post.headers["X-Team"], post.headers["X-API-Key"]),
                         ("SendMessage", "blue", self.KEY))
        os.environ["HANDLER_TRANSPORT"] = "jsonrpc"   # as a flag: it wins over the stored one
        self.assertOk(self.run_cli("message", "send", "--url", "@ops", "third"))
        self.assertEqual(self.posts(agent)[-1].json["method"], "SendMessage")
        del os.environ["HANDLER_TRANSPORT"]
        os.environ["HANDLER_URL"] = "@ops"
        self.assertOk(self.run_cli("auth", "set", "--bearer-token", "-", stdin="tok-123456789\n"))
        self.assertEqual(self.saved()[url]["credentials"]["value"], "tok-123456789")
        r = self.assertOk(self.run_cli("--debug", "task", "get"))
        got = agent.received[-1]
        self.assertEqual((got.method, got.path, got.headers["X-API-Key"]),
                         ("GET", "/rest/tasks/" + self.ids(r)[0], self.KEY))
        self.assertEqual(got.headers["Authorization"], "Bearer tok-123456789")
        self.assertIn("State: completed", r.out)
        self.assertIn("X-API-Key: [redacted]", r.err)
        self.assertNotIn(self.KEY, r.out + r.err)
        self.assertNotIn("tok-123456789", r.out + r.err)
        # the session is the URL's: the same with --url URL as with @ops
        by_url, by_name = (json.loads(self.assertOk(self.run_cli(
            "-o", "json", "session", "show", u)).out) for u in (url, "@ops"))
        self.assertEqual(by_url, by_name)
        self.assertEqual(by_name["context_id"], self.saved()[url]["context_id"])

    def test_a_stored_header_value_is_never_logged_whatever_its_name(self):
        url, _ = self.agent()
        self.add("ops", url, "-H", f"X-Tenant: {self.KEY}")
        record = os.path.join(self.home, "record.jsonl")
        r = self.assertOk(self.run_cli("--debug", "--record", record, "message", "send", "--url",
                                       "@ops", "-H", "X-Trace: shown", "hi"))
        self.assertIn("X-Tenant: [redacted]", r.err)
        self.assertIn("X-Trace: shown", r.err)   # the command line's own -H: shown
        with open(record) as f:
            logged = f.read()
        self.assertIn("X-Tenant", logged)
        self.assertNotIn(self.KEY, r.out + r.err + logged)

    def test_a_stored_header_stays_on_the_agents_origin(self):
        other_url, other = self.agent()
        url, srv = self.scripted()
        srv.endpoint = other_url + "/"   # the card sends requests to another origin
        self.add("ops", url, "-H", f"X-Tenant: {self.KEY}")
        r = self.assertOk(self.run_cli("message", "send", "--url", "@ops", "hi"))
        self.assertIn("not sent", r.err)
        self.assertEqual(srv.requests[0].headers.get("X-Tenant"), self.KEY)   # the card's origin
        self.assertIsNone(self.posts(other)[-1].headers.get("X-Tenant"))

    def test_session_list_names_agents_and_rename_keeps_the_conversation(self):
        url, agent = self.agent()
        self.add("ops", url)
        self.add("also", url + "/")
        first = self.ids(self.assertOk(self.run_cli("message", "send", "--url", "@ops", "one")))
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertIn(f"\n{url}\n  Context ID: {first[1]}\n", r.out)
        self.assertIn("  Named: @ops, @also\n  Last used: ", r.out)
        doc = json.loads(self.assertOk(self.run_cli("-o", "json", "session", "list")).out)
        self.assertEqual(doc["sessions"][0]["names"], ["ops", "also"])
        self.assertEqual(self.assertOk(self.run_cli("agent", "rename", "ops", "prod")).out,
                         f"Renamed @ops to @prod ({url}); its session stays\n")
        self.assertOk(self.run_cli("agent", "remove", "also"))
        again = self.ids(self.assertOk(self.run_cli("message", "send", "--url", "@prod", "two")))
        self.assertEqual(again[1], first[1])   # the same conversation
        self.assertEqual(self.posts(agent)[-1].json["params"]["message"]["contextId"], first[1])
        doc = json.loads(self.assertOk(self.run_cli("-o", "json", "session", "list")).out)
        self.assertEqual(doc["sessions"][0]["names"], ["prod"])
        r = self.assertOk(self.run_cli("-o", "json", "agent", "remove", "prod"))
        self.assertEqual(json.loads(r.out), {"stored": None, "removed": "prod", "url": url})
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertNotIn("Named", r.out)
        self.assertIn(first[1], r.out)   # the session stays
        self.assertEqual(self.assertOk(self.run_cli("agent", "list")).out, "No agents stored\n")

    def test_agents_file_corrupt_or_linked_as_the_sessions_file(self):
        os.makedirs(self.home, 0o700)
        with open(os.open(self.agents_path(), os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write("{not json")
        r = self.run_cli("agent", "list")
        self.assertEqual((r.code, r.out), (0, "No agents stored\n"))
        self.assertRegex(r.err, r"^warning: agents file \S+agents.json is not valid JSON; kept it "
                                r"as \S+agents.json.corrupt-\d{8}T\d{6}; starting fresh\n$")
        self.add("ops", "http://a")
        other = os.path.join(self.tmp, "elsewhere.json")
        os.replace(self.agents_path(), other)
        os.symlink(other, self.agents_path())   # one's own link: followed, as sessions.json's
        self.add("dev", "http://b")
        with open(other) as f:
            self.assertEqual(sorted(json.load(f)), ["dev", "ops"])
        self.assertTrue(os.path.islink(self.agents_path()))
        with open(os.path.join(self.home, "sessions.json"), "w") as f:
            f.write("[]")   # the sessions file is its own
        self.assertEqual(self.assertOk(self.run_cli("agent", "show", "dev")).out,
                         "@dev  http://b\n")

    def test_mcp_tools_take_at_names(self):
        url, agent = self.agent()
        self.add("ops", url, "-H", f"X-API-Key: {self.KEY}")
        proc = McpProc(self)
        proc.initialize(MCP_NEWEST)
        text, result = proc.ok("send_message", agent_url="@ops", message="hi")
        self.assertIn("Echo: hi", text)
        self.assertEqual(self.posts(agent)[-1].headers["X-API-Key"], self.KEY)
        text, info = proc.ok("get_session_info", agent_url="@ops")
        self.assertEqual(info["agent_url"], url)
        self.assertTrue(info["context_id"])
        _, listed = proc.ok("list_sessions")
        self.assertEqual(listed["sessions"][0]["names"], ["ops"])
        text, _ = proc.fails("get_task", agent_url="@opz")
        self.assertIn("no agent named @opz; did you mean @ops?", text)
        self.assertEqual(proc.ok("clear_session_data", agent_url="@ops")[1], {"cleared": url})
        proc.close()

    def test_as_a_subprocess_and_in_chat(self):
        url, agent = self.agent()
        r = self.run_proc("agent", "add", "ops", url)
        self.assertEqual((r.code, r.out, r.err), (0, f"Stored @ops: {url}\n", ""))
        r = self.run_proc("message", "send", "--url", "@ops", "hello")
        self.assertEqual((r.code, r.err), (0, ""), r)
        self.assertIn("Echo: hello", r.out)
        os.environ["HANDLER_URL"] = "@ops"
        r = self.run_proc("chat", stdin="again\n")
        self.assertEqual(r.code, 0, r)
        self.assertIn("Echo: again", r.out)
        r = self.run_proc("agent", "show", "opx")
        self.assertEqual((r.code, r.out, r.err), (2, "", "Error: no agent named @opx; did you mean "
                         "@ops?; add it: handler.py agent add opx URL\n"))


class CompletionNamesTests(HandlerTestCase):
    def test_url_completes_the_named_agents_then_the_saved_urls(self):
        url, _ = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertOk(self.run_cli("agent", "add", "ops", "http://127.0.0.1:9/"))
        self.assertOk(self.run_cli("agent", "add", "dev", url))
        r = self.assertOk(self.run_proc("completion", "bash", "--urls"))
        self.assertEqual(r.out.splitlines(), ["@dev", "@ops", url])
        self.assertEqual(CompletionTests.bash(self, "card", "get", "--url", "@o"), ["@ops"])


class FileTests(unittest.TestCase):
    def imported_modules(self, path):
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
        return names

    def test_only_standard_library_imports(self):
        stdlib = getattr(sys, "stdlib_module_names", None) or STDLIB_FALLBACK
        for path in (HANDLER_PATH, os.path.abspath(__file__)):
            with self.subTest(path=os.path.basename(path)):
                names = self.imported_modules(path) - {"handler"}
                self.assertTrue(names, "no imports found")
                self.assertEqual(sorted(names - set(stdlib)), [])

    def test_fallback_allowlist_is_standard_library(self):
        if not hasattr(sys, "stdlib_module_names"):
            self.skipTest("needs Python 3.10+ to check the 3.9 fallback list")
        self.assertEqual(sorted(STDLIB_FALLBACK - set(sys.stdlib_module_names)), [])

    def test_shebang_line(self):
        with open(HANDLER_PATH, "rb") as f:
            self.assertEqual(f.readline(), b"#!/usr/bin/env python3\n")

    def test_main_guard_is_the_last_statement(self):
        with open(HANDLER_PATH, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.rstrip().endswith('if __name__ == "__main__":\n    sys.exit(main())'))

    def test_lines_at_most_100_characters(self):
        with open(HANDLER_PATH, encoding="utf-8") as f:
            long = [n for n, line in enumerate(f, 1) if len(line.rstrip("\n")) > 100]
        self.assertEqual(long, [])


# ============================================================================ 2. protocol model

class ProtocolModelTests(unittest.TestCase):
    STATES = ["submitted", "working", "input-required", "auth-required", "completed", "canceled",
              "failed", "rejected"]

    def test_short_and_wire_state_every_spelling(self):
        for short in self.STATES:
            wire = "TASK_STATE_" + short.upper().replace("-", "_")
            for spelling in (short, wire, wire.lower(), short.replace("-", "_"), short.upper(),
                             " %s " % short, short.upper().replace("-", "_")):
                with self.subTest(spelling=spelling):
                    self.assertEqual(handler.short_state(spelling), short)
                    self.assertEqual(handler.wire_state(spelling), wire)
        for unknown in ("unknown", "TASK_STATE_UNSPECIFIED", None, ""):
            with self.subTest(unknown=unknown):
                self.assertEqual(handler.short_state(unknown), "unknown")
                self.assertEqual(handler.wire_state(unknown), "TASK_STATE_UNSPECIFIED")
        self.assertEqual(handler.short_state("cancelled"), "canceled")

    def test_normalise_v03_task(self):
        task = {"kind": "task", "id": "t", "contextId": "c",
                "status": {"state": "input-required", "timestamp": "2025-01-01T00:00:00Z",
                           "message": wmessage("0.3", "Which one?")},
                "history": [{"kind": "message", "messageId": "m", "role": "user",
                             "parts": [{"kind": "text", "text": "hi"}]}],
                "artifacts": [{"artifactId": "a", "name": "n",
                               "parts": [{"kind": "text", "text": "x"}, {"kind": "data", "data": {"k": 1}}]}],
                "metadata": {"extra": True}}
        event = handler.normalise_event(task)
        self.assertEqual(list(event), ["task"])
        t = event["task"]
        self.assertEqual(t["status"]["state"], "TASK_STATE_INPUT_REQUIRED")
        self.assertEqual(t["status"]["timestamp"], "2025-01-01T00:00:00Z")
        self.assertEqual(t["status"]["message"]["role"], "ROLE_AGENT")
        self.assertEqual(t["history"][0]["role"], "ROLE_USER")
        self.assertEqual(t["artifacts"][0]["parts"], [{"text": "x"}, {"data": {"k": 1}}])
        self.assertEqual(t["metadata"], {"extra": True})
        self.assertNotIn('"kind"', json.dumps(event))

    def test_normalise_v03_message_and_updates(self):
        self.assertEqual(handler.normalise_event(wmessage("0.3", "hello")),
                         {"message": {"messageId": "m-agent", "role": "ROLE_AGENT", "parts": [{"text": "hello"}],
                                      "contextId": "c-1"}})
        self.assertEqual(handler.normalise_event(wstatus("0.3", "completed")),
                         {"statusUpdate": {"taskId": "t-1", "contextId": "c-1",
                                           "status": {"state": "TASK_STATE_COMPLETED"}}})
        self.assertEqual(handler.normalise_event(wchunk("0.3", "hi", append=True, last=True)),
                         {"artifactUpdate": {"taskId": "t-1", "contextId": "c-1", "append": True,
                                             "lastChunk": True,
                                             "artifact": {"artifactId": "a1", "parts": [{"text": "hi"}]}}})

    def test_normalise_v1_shapes_unchanged(self):
        events = wevents("1.0") + [{"message": wmessage("1.0", "x")}]
        for event in events:
            with self.subTest(event=list(event)):
                self.assertEqual(handler.normalise_event(json.loads(json.dumps(event))), event)
        # a bare 1.x task (GetTask's result) and a bare message
        self.assertEqual(handler.normalise_event(wtask("1.0", "working")), {"task": wtask("1.0", "working")})
        self.assertEqual(handler.normalise_event(wmessage("1.0", "x")), {"message": wmessage("1.0", "x")})

    def test_normalise_v03_and_v1_events_agree(self):
        for e03, e10 in zip(wevents("0.3"), wevents("1.0")):
            self.assertEqual(handler.normalise_event(e03), e10)

    def test_normalise_rejects_unknown_objects(self):
        for bad in ({"hello": 1}, [1, 2], "text", {"kind": "task", "status": {}}):
            with self.subTest(bad=bad):
                with self.assertRaises(handler.HandlerError) as cm:
                    handler.normalise_event(bad)
                self.assertEqual(cm.exception.exit_code, 1)

    def test_file_and_data_parts(self):
        raw = {"kind": "file", "file": {"bytes": "aGVsbG8=", "name": "a.txt", "mimeType": "text/plain"}}
        url = {"kind": "file", "file": {"uri": "https://x/y.png", "name": "y.png", "mimeType": "image/png"}}
        data = {"kind": "data", "data": {"a": [1, "é"]}}
        self.assertEqual(handler.normalise(raw, "part"), {"raw": "aGVsbG8=", "filename": "a.txt", "mediaType": "text/plain"})
        self.assertEqual(handler.normalise(url, "part"), {"url": "https://x/y.png", "filename": "y.png", "mediaType": "image/png"})
        self.assertEqual(handler.normalise(data, "part"), {"data": {"a": [1, "é"]}})
        for part in (raw, url, data):
            self.assertEqual(handler.to_v03(handler.normalise(part, "part"), "part"), part)
        self.assertEqual(handler.parts_text([handler.normalise(data, "part")]), '{"a": [1, "é"]}')
        line = handler.parts_text([handler.normalise(url, "part")])
        self.assertEqual(line.count("\n"), 0)
        for fragment in ("y.png", "image/png", "https://x/y.png"):
            self.assertIn(fragment, line)
        line = handler.parts_text([handler.normalise(raw, "part")])
        self.assertIn("a.txt", line)
        self.assertIn("text/plain", line)
        self.assertIn("5 bytes", line)     # base64 "aGVsbG8=" is the 5 bytes of "hello"

    def test_parts_text_joins_chunks(self):
        self.assertEqual(handler.parts_text([{"text": "Echo: "}, {"text": "hi"}]), "Echo: hi")
        self.assertEqual(handler.parts_text([{"text": "a"}, {"data": {"x": 1}}, {"text": "b"}, {"text": "c"}]),
                         'a\n{"x": 1}\nbc')
        self.assertEqual(handler.parts_text([]), "")

    def test_to_v03_round_trips(self):
        for e03 in wevents("0.3") + [wmessage("0.3", "x"), wstatus("0.3", "input-required")]:
            with self.subTest(kind=e03.get("kind")):
                normalised = handler.normalise_event(e03)
                self.assertEqual(handler.to_v03_event(normalised), e03)
                self.assertEqual(handler.normalise_event(handler.to_v03_event(normalised)), normalised)
        task = handler.normalise_task(wtask("0.3", "completed", "done"))
        self.assertEqual(handler.to_v03(task, "task"), wtask("0.3", "completed", "done"))
        msg = handler.normalise_message(wmessage("0.3", "m"))
        self.assertEqual(handler.to_v03(msg, "message"), wmessage("0.3", "m"))

    def test_apply_event_builds_and_folds(self):
        for v in ("1.0", "0.3"):
            with self.subTest(version=v):
                task = None
                events = [handler.normalise_event(e) for e in wevents(v)]
                for event in events:
                    task = handler.apply_event(task, event)
                self.assertEqual(task["id"], "t-1")
                self.assertEqual(task["status"]["state"], "TASK_STATE_COMPLETED")
                self.assertEqual(len(task["artifacts"]), 1)
                self.assertEqual(handler.reply_text(task), "Echo: hi")

    def test_apply_event_replace_new_and_without_task(self):
        task = handler.apply_event(None, handler.normalise_event(wstatus("1.0", "working", tid="t9", ctx="c9")))
        self.assertEqual((task["id"], task["contextId"], task["status"]["state"]), ("t9", "c9", "TASK_STATE_WORKING"))
        task = handler.apply_event(task, handler.normalise_event(wchunk("1.0", "one", tid="t9")))
        task = handler.apply_event(task, handler.normalise_event(wchunk("1.0", "two", tid="t9")))   # no append: replace
        task = handler.apply_event(task, handler.normalise_event(wchunk("1.0", "three", tid="t9", aid="b")))
        task = handler.apply_event(task, handler.normalise_event(wchunk("0.3", "+", append=True, tid="t9", aid="b")))
        self.assertEqual([handler.parts_text(a["parts"]) for a in task["artifacts"]], ["two", "three+"])
        snapshot = {"task": wtask("1.0", "completed", tid="t9")}
        self.assertIs(handler.apply_event(task, snapshot), snapshot["task"])

    def test_pick_interface(self):
        pick = lambda card, url, order=None: handler.pick_interface(card, url, order)[:4]
        v1 = {"supportedInterfaces": [
            {"url": "http://a/grpc", "protocolBinding": "GRPC", "protocolVersion": "1.0"},
            {"url": "http://a/old", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"},
            {"url": "/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0", "tenant": "acme"},
            {"url": "/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}]}
        self.assertEqual(pick(v1, "http://a/.well-known/agent-card.json"), ("http://a/rpc", "JSONRPC", "1.0", "acme"))
        self.assertEqual(pick(v1, "http://a/x.json", ["HTTP+JSON", "JSONRPC"]), ("http://a/rest", "HTTP+JSON", "1.0", None))
        self.assertIn("--transport", handler.pick_interface(v1, "http://a/x.json", ["HTTP+JSON"])[4])
        only03 = {"supportedInterfaces": [{"url": "http://a/old", "protocolBinding": "JSONRPC",
                                           "protocolVersion": "0.3"}]}
        self.assertEqual(pick(only03, "http://a/x.json"), ("http://a/old", "JSONRPC", "0.3", None))
        self.assertEqual(pick(wcard("0.3", "http://b/rpc"), "http://b/x.json"), ("http://b/rpc", "JSONRPC", "0.3", None))
        extra = {"url": "http://b/grpc", "preferredTransport": "GRPC",
                 "additionalInterfaces": [{"url": "http://b/jr", "transport": "JSONRPC"}]}
        self.assertEqual(pick(extra, "http://b/x.json"), ("http://b/jr", "JSONRPC", "0.3", None))
        for card in ({"supportedInterfaces": [{"url": "http://a", "protocolBinding": "GRPC"}]}, {"name": "x"}):
            with self.assertRaises(handler.HandlerError):
                handler.pick_interface(card, "http://a/x.json")
        with self.assertRaisesRegex(handler.HandlerError, "only gRPC"):
            handler.pick_interface({"supportedInterfaces": [{"url": "http://a", "protocolBinding": "GRPC"}]}, "http://a/")
        with self.assertRaisesRegex(handler.HandlerError, "you asked for HTTP\\+JSON"):
            pick(only03, "http://a/x.json", ["HTTP+JSON"])

    def test_a2a_error_names(self):
        exc = handler.a2a_error({"code": -32001, "message": "task x not found"})
        self.assertEqual((exc.code, exc.a2a_code, exc.exit_code), ("TaskNotFoundError", -32001, 1))
        self.assertIn("TaskNotFoundError", exc.message)
        self.assertIn("task x not found", exc.message)
        self.assertEqual(handler.a2a_error({"code": -32009, "message": "v"}).code, "VersionNotSupportedError")
        self.assertEqual(handler.a2a_error({"code": 7, "message": "v"}).code, "A2AError")


# ============================================================================ 3. URLs

class NormaliseUrlTests(HandlerTestCase):
    def test_same_session_key(self):
        cases = {
            "http://Host:80/": "http://host", "http://host": "http://host", "HTTP://HOST/": "http://host",
            "https://Host:443/": "https://host", "https://host:80": "https://host:80",
            "http://host:443": "http://host:443", "http://host:8000/": "http://host:8000",
            "http://host:8000/a/b/": "http://host:8000/a/b", "http://h/Path/": "http://h/Path",
            " http://h:8000 ": "http://h:8000", "http://[::1]:8000/": "http://[::1]:8000",
            "http://127.0.0.1:80/rpc": "http://127.0.0.1/rpc",
        }
        for url, key in cases.items():
            with self.subTest(url=url):
                self.assertEqual(handler.normalise_url(url), key)

    def test_invalid_urls(self):
        for url in ("", "host:8000", "ftp://host", "http://", "http://host:99999", "http://host:abc",
                    "mailto:x@y", "//host"):
            with self.subTest(url=url):
                with self.assertRaises(handler.HandlerError) as cm:
                    handler.normalise_url(url)
                self.assertEqual(cm.exception.exit_code, 2)

    def test_invalid_url_on_the_command_line_exits_2(self):
        for argv in (["message", "send", "--url", "ftp://x", "hi"], ["card", "get", "--url", "nohost"],
                     ["session", "show", "http://h:99999"], ["auth", "set", "--url", "x", "--bearer-token", "t"]):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv), 2, "invalid agent URL")


# ============================================================================ 4. sessions

class SessionModelTests(HandlerTestCase):
    def test_agent_session_update_changes_only_given_values(self):
        creds = handler.AuthCredentials("bearer", "tok")
        s = handler.AgentSession("http://a", "c1", "t1", creds)
        s.update(task_id="t2")
        self.assertEqual((s.context_id, s.task_id, s.credentials), ("c1", "t2", creds))
        s.update()
        self.assertEqual((s.context_id, s.task_id, s.credentials), ("c1", "t2", creds))
        s.update(context_id="c3")
        self.assertEqual((s.context_id, s.task_id), ("c3", "t2"))
        other = handler.AuthCredentials("api_key", "k", "X-K")
        s.update(credentials=other)
        self.assertEqual((s.context_id, s.task_id, s.credentials), ("c3", "t2", other))
        s.credentials = s.client_cert = None
        self.assertIsNone(s.credentials)
        self.assertEqual((s.agent_url, s.context_id, s.task_id), ("http://a", "c3", "t2"))

    def test_credentials_headers(self):
        self.assertEqual(handler.AuthCredentials("bearer", "v").headers(), ({"Authorization": "Bearer v"}, {}))
        self.assertEqual(handler.AuthCredentials("api_key", "v").headers(), ({"X-API-Key": "v"}, {}))
        self.assertEqual(handler.AuthCredentials("api_key", "v", "X-Mine").headers(), ({"X-Mine": "v"}, {}))

    def test_store_api(self):
        store = handler.SessionStore().load()
        self.assertEqual(store.list_all(), [])
        fresh = store.get("http://Agent:80/")
        self.assertEqual((fresh.agent_url, fresh.context_id, fresh.task_id, fresh.credentials),
                         ("http://agent", None, None, None))
        self.assertFalse(os.path.exists(self.sessions_path), "get() must not write")
        store.update("http://agent/", "ctx-1", "task-9")
        store.set_credentials("http://AGENT:80", handler.AuthCredentials("bearer", "eyJhbGciOi"))
        self.assertEqual(store.get("http://agent").context_id, "ctx-1")
        store.update("http://agent", task_id="task-10")
        s = handler.SessionStore().load().get("http://agent")
        self.assertEqual((s.context_id, s.task_id, s.credentials.value), ("ctx-1", "task-10", "eyJhbGciOi"))
        store.update("http://other:8000", "c2")
        self.assertEqual(sorted(x.agent_url for x in handler.SessionStore().load().list_all()),
                         ["http://agent", "http://other:8000"])
        store.clear("http://other:8000")
        store.clear_credentials("http://agent")
        s = handler.SessionStore().load().get("http://agent")
        self.assertEqual((s.context_id, s.task_id, s.credentials), ("ctx-1", "task-10", None))
        self.assertEqual([x.agent_url for x in handler.SessionStore().load().list_all()], ["http://agent"])
        store.clear()
        self.assertEqual(handler.SessionStore().load().list_all(), [])

    def test_clear_keeps_credentials(self):
        store = handler.SessionStore().load()
        store.update("http://a", "c", "t")
        store.set_credentials("http://a", handler.AuthCredentials("api_key", "k-123", "X-K"))
        store.update("http://b", "c", "t")
        store.clear(keep_credentials=True)
        raw = self.saved()
        self.assertEqual(list(raw), ["http://a"])
        self.assertEqual((raw["http://a"]["context_id"], raw["http://a"]["task_id"]), (None, None))
        self.assertEqual(raw["http://a"]["credentials"], {"auth_type": "api_key", "value": "k-123", "header_name": "X-K"})

    def test_file_format(self):
        store = handler.SessionStore().load()
        store.update("http://localhost:8000", "ctx-1", "task-9")
        store.set_credentials("http://localhost:8000", handler.AuthCredentials("bearer", "eyJ..."))
        raw = self.saved()
        self.assertEqual(list(raw), ["http://localhost:8000"])
        entry = raw["http://localhost:8000"]
        self.assertEqual(entry["context_id"], "ctx-1")
        self.assertEqual(entry["task_id"], "task-9")
        self.assertEqual(entry["credentials"], {"auth_type": "bearer", "value": "eyJ...", "header_name": None})

    def test_reads_the_documented_format(self):
        os.makedirs(self.home, 0o700)
        with open(self.sessions_path, "w") as f:
            json.dump({"http://localhost:8000": {"context_id": "ctx-1", "task_id": "task-9", "credentials": {
                "auth_type": "api_key", "value": "k", "header_name": None}}}, f)
        os.chmod(self.sessions_path, 0o600)
        s = handler.SessionStore().load().get("http://localhost:8000/")
        self.assertEqual((s.context_id, s.task_id, s.credentials.auth_type, s.credentials.headers()[0]),
                         ("ctx-1", "task-9", "api_key", {"X-API-Key": "k"}))

    def test_unknown_keys_and_entries_survive_a_write(self):
        os.makedirs(self.home, 0o700)
        original = {"http://a": {"context_id": "c", "task_id": "t", "credentials": None, "custom": [1, 2]},
                    "http://weird": {"who": "knows"}, "format": 3, "http://list": ["x"]}
        with open(self.sessions_path, "w") as f:
            json.dump(original, f)
        os.chmod(self.sessions_path, 0o600)
        handler.SessionStore().load().update("http://new", "c2")
        handler.SessionStore().load().update("http://a", task_id="t2")
        raw = self.saved()
        self.assertEqual(raw["format"], 3)
        self.assertEqual(raw["http://list"], ["x"])
        self.assertEqual(raw["http://weird"], {"who": "knows"})
        self.assertEqual(raw["http://a"]["custom"], [1, 2])
        self.assertEqual((raw["http://a"]["context_id"], raw["http://a"]["task_id"]), ("c", "t2"))
        self.assertEqual(raw["http://new"]["context_id"], "c2")

    def test_update_writes_its_change_and_keeps_other_entries(self):
        store = handler.SessionStore().load()
        store.update("http://a", "c1")
        handler.SessionStore().load().update("http://b", "from-another-process")
        store.update("http://a", task_id="t1")
        store.update("http://c", "c3")
        raw = self.saved()
        self.assertEqual(raw["http://a"]["task_id"], "t1")
        self.assertEqual(raw["http://b"]["context_id"], "from-another-process")
        self.assertEqual(raw["http://c"]["context_id"], "c3")

    def test_handler_home_respected_and_default_home(self):
        self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--bearer-token", "tok"))
        self.assertTrue(os.path.exists(self.sessions_path))
        self.assertFalse(os.path.exists(os.environ["HOME"]))
        del os.environ["HANDLER_HOME"]
        self.assertOk(self.run_cli("auth", "set", "--url", "http://b", "--bearer-token", "tok"))
        default = os.path.join(os.environ["HOME"], ".handler", "sessions.json")
        with open(default) as f:
            self.assertEqual(list(json.load(f)), ["http://b"])
        self.assertEqual(list(self.saved()), ["http://a"])

    def test_modes_with_umask_000(self):
        old = os.umask(0)
        self.addCleanup(os.umask, old)
        for how in ("api", "cli"):
            with self.subTest(how=how):
                home = os.environ["HANDLER_HOME"] = os.path.join(self.tmp, "home-" + how)
                if how == "api":
                    handler.SessionStore().load().update("http://a", "c")
                else:
                    self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--bearer-token", "tok"))
                self.assertEqual(os.stat(home).st_mode & 0o777, 0o700)
                self.assertEqual(os.stat(os.path.join(home, "sessions.json")).st_mode & 0o777, 0o600)
                for name in os.listdir(home):
                    self.assertEqual(os.stat(os.path.join(home, name)).st_mode & 0o077, 0, name)

    def test_warns_when_modes_are_loose(self):
        handler.SessionStore().load().update("http://a", "c")
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertEqual(r.err, "")
        os.chmod(self.home, 0o755)
        os.chmod(self.sessions_path, 0o644)
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertIn("Saved Sessions (1)", r.out)
        lines = r.err.splitlines()
        self.assertEqual(len(lines), 2, r)
        self.assertTrue(all(line.startswith("warning:") for line in lines))
        self.assertIn(self.home + " ", lines[0] + " ")
        self.assertIn(self.sessions_path, r.err)

    def test_corrupt_file_is_kept_and_work_goes_on(self):
        for name, content in (("invalid-json", b'{"http://a": {"context_id": '), ("json-list", b'[{"a": 1}]'),
                              ("not-utf8", b'{"http://a": "\xff\xfe\x00"}')):
            with self.subTest(corruption=name):
                home = os.environ["HANDLER_HOME"] = os.path.join(self.tmp, name)
                os.makedirs(home, 0o700)
                path = os.path.join(home, "sessions.json")
                with open(path, "wb") as f:
                    f.write(content)
                os.chmod(path, 0o600)
                r = self.assertOk(self.run_cli("session", "list"))
                self.assertEqual(r.out, "No saved sessions\n")
                kept = [n for n in os.listdir(home) if n.startswith("sessions.json.corrupt-")]
                self.assertEqual(len(kept), 1, os.listdir(home))
                self.assertRegex(kept[0], r"^sessions\.json\.corrupt-\d{8}T\d{6}(-\d+)?$")
                lines = r.err.splitlines()
                self.assertEqual(len(lines), 1, r)
                self.assertTrue(lines[0].startswith("warning:"))
                self.assertIn(path + " ", lines[0])
                self.assertIn(os.path.join(home, kept[0]), lines[0])
                with open(os.path.join(home, kept[0]), "rb") as f:
                    self.assertEqual(f.read(), content)
                self.assertOk(self.run_cli("auth", "set", "--url", "http://b", "--api-key", "k"))
                with open(path) as f:
                    self.assertEqual(list(json.load(f)), ["http://b"])
                with open(os.path.join(home, kept[0]), "rb") as f:
                    self.assertEqual(f.read(), content)

    def test_two_corruptions_in_one_second_keep_both(self):
        os.makedirs(self.home, 0o700)
        for content in (b"first{", b"second{"):
            with open(self.sessions_path, "wb") as f:
                f.write(content)
            handler.SessionStore(warn=lambda m: None).load()
        kept = sorted(n for n in os.listdir(self.home) if ".corrupt-" in n)
        contents = set()
        for name in kept:
            with open(os.path.join(self.home, name), "rb") as f:
                contents.add(f.read())
        self.assertEqual(contents, {b"first{", b"second{"})

    def test_corrupt_file_through_the_api_warns(self):
        os.makedirs(self.home, 0o700)
        with open(self.sessions_path, "wb") as f:
            f.write(b"\x00garbage")
        os.chmod(self.sessions_path, 0o600)
        warnings = []
        store = handler.SessionStore(warn=warnings.append)
        store.update("http://a", "c")
        self.assertEqual(len(warnings), 1)
        self.assertIn(".corrupt-", warnings[0])
        self.assertEqual(list(self.saved()), ["http://a"])

    def test_no_temp_files_left(self):
        store = handler.SessionStore().load()
        for i in range(5):
            store.update("http://a%d" % i, "c", "t")
        store.clear("http://a1")
        store.clear_credentials("http://a2")
        store.update("http://a0", task_id="t1")
        leftovers = [n for n in os.listdir(self.home) if n not in ("sessions.json", "sessions.json.lock")]
        self.assertEqual(leftovers, [])


# ============================================================================ 5. concurrency

CONCURRENT_SCRIPT = r"""
import sys
sys.path.insert(0, sys.argv[1])
import handler
n = int(sys.argv[2])
sys.stdin.read()                     # the barrier: the test closes stdin when all are started
store = handler.SessionStore()
for i in range(25):
    store.update("http://p%d-u%d.example" % (n, i), context_id="ctx-%d-%d" % (n, i), task_id="task-%d-%d" % (n, i))
    if i % 5 == 0:
        store.update("http://shared.example:8000/", context_id="shared-%d-%d" % (n, i))
"""


# ============================================================================ 4b. a shared machine
# Issue 10, sections 2 and 3: a HANDLER_HOME on a shared machine, session files written by others.

NOBODY = 65534
READ_AND_WRITE = (["session", "list"], ["session", "clear", "--all"])   # one reads, one writes


class SharedHomeTests(HandlerTestCase):
    def need_root(self):
        if os.geteuid() != 0:
            self.skipTest("acting as or for a second user (nobody) needs root")

    def as_nobody(self, *argv):
        """handler.main(argv) in a forked child running as user nobody (root ignores modes)."""
        self.need_root()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:   # the child: never returns into unittest
            try:
                os.close(read_end)
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
                out, err = io.StringIO(), io.StringIO()
                with mock.patch.object(sys, "stdout", out), mock.patch.object(sys, "stderr", err), \
                        mock.patch.object(sys, "stdin", io.StringIO("")):
                    code = handler.main([str(a) for a in argv])
                payload = [code, out.getvalue(), err.getvalue()]
            except BaseException as exc:
                payload = [-1, "", "child failed: %r" % exc]
            os.write(write_end, json.dumps(payload).encode())
            os._exit(0)
        os.close(write_end)
        data = b""
        with os.fdopen(read_end, "rb") as f:
            while select.select([f], [], [], 20)[0]:
                chunk = os.read(f.fileno(), 65536)
                if not chunk:
                    break
                data += chunk
        if not data:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        result = Result(*json.loads(data.decode() or '[-1, "", "child timed out"]'))
        self.assertClean(result)
        return result

    def shared_dir(self, name, owner, mode):
        """A directory in a place nobody can reach, as on a shared /tmp."""
        os.chmod(self.tmp, 0o711)
        path = os.path.join(self.tmp, name)
        os.mkdir(path)
        os.chown(path, owner, owner)
        os.chmod(path, mode)
        return path

    def test_a_home_of_another_user_or_open_to_writes_is_refused(self):
        cases = (("root-owned-777", 0, 0o777, "belongs to another user (uid 0)"),
                 ("root-owned-755", 0, 0o755, "belongs to another user"),
                 ("own-777", NOBODY, 0o777, "can be written by other users (mode 777)"),
                 ("own-sticky", NOBODY, 0o1777, "can be written by other users (mode 777)"),
                 ("own-group-writable", NOBODY, 0o770, "can be written by other users (mode 770)"))
        for name, owner, mode, message in cases:
            with self.subTest(home=name):
                home = os.environ["HANDLER_HOME"] = self.shared_dir(name, owner, mode)
                for argv in READ_AND_WRITE:
                    r = self.as_nobody(*argv)
                    line = self.assertError(r, 1, "HANDLER_HOME %s " % home, message)
                    fix = "chmod 700 %s" % home if owner == NOBODY else "a directory of your own"
                    self.assertIn(fix, line)
                self.assertEqual(os.listdir(home), [])
        # the default ~/.handler is held to the same rule, as ssh holds ~/.ssh
        del os.environ["HANDLER_HOME"]
        os.environ["HOME"] = self.shared_dir("user-home-nobody", NOBODY, 0o755)
        self.assertOk(self.as_nobody("auth", "set", "--url", "http://a", "--bearer-token", "t"))
        default = os.path.join(os.environ["HOME"], ".handler")
        self.assertEqual(os.stat(default).st_mode & 0o777, 0o700)
        os.chmod(default, 0o775)
        self.assertError(self.as_nobody("session", "list"), 1, default, "chmod 700 %s" % default)
        os.chmod(default, 0o755)                     # readable by others: used, with a warning
        r = self.assertOk(self.as_nobody("session", "list"))
        self.assertIn("warning: %s is open to other users" % default, r.err)

    def test_a_home_of_another_user_is_refused_even_to_root(self):
        self.need_root()
        os.makedirs(self.home, 0o700)
        os.chown(self.home, NOBODY, NOBODY)
        self.assertError(self.run_cli("session", "list"), 1,
                         "HANDLER_HOME %s belongs to another user" % self.home)

    def test_a_home_that_is_a_file(self):
        with open(self.home, "w") as f:
            f.write("not a directory")
        for argv in READ_AND_WRITE:
            with self.subTest(argv=argv):
                line = self.assertError(self.run_cli(*argv), 1,
                                        "HANDLER_HOME %s is not a directory" % self.home)
                self.assertNotIn("File exists", line)
        os.environ["HANDLER_HOME"] = os.path.join(self.home, "below")
        r = self.run_cli("auth", "set", "--url", "http://a", "--api-key", "-", stdin="k")
        self.assertError(r, 1, "HANDLER_HOME")

    def test_parents_are_never_looser_than_0755(self):
        old = os.umask(0)
        self.addCleanup(os.umask, old)
        home = os.environ["HANDLER_HOME"] = os.path.join(self.tmp, "a", "b", "home")
        self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--api-key", "k"))
        made = (os.path.join(self.tmp, "a"), os.path.dirname(home), home)
        modes = [os.stat(p).st_mode & 0o777 for p in made]
        self.assertEqual(modes, [0o755, 0o755, 0o700])

    def test_a_planted_lock_link_is_not_followed(self):
        os.makedirs(self.home, 0o700)
        victim = os.path.join(self.tmp, "victim")
        os.symlink(victim, self.sessions_path + ".lock")
        r = self.run_cli("auth", "set", "--url", "http://a", "--api-key", "-", stdin="k")
        line = self.assertError(r, 1, self.sessions_path + ".lock", "symbolic link")
        self.assertIn("rm ", line)
        self.assertFalse(os.path.lexists(victim))
        self.assertFalse(os.path.exists(self.sessions_path))

    def test_chat_history_link_is_neither_written_nor_chmodded(self):
        try:
            import readline
        except ImportError:
            self.skipTest("no readline module in this Python")
        os.makedirs(self.home, 0o700)
        victim = os.path.join(self.tmp, "victim.txt")
        with open(victim, "w") as f:
            f.write("someone else's file\n")
        os.chmod(victim, 0o644)
        os.symlink(victim, os.path.join(self.home, "chat_history"))
        readline.clear_history()
        self.addCleanup(readline.clear_history)
        read, save = handler._prompt_reader(self.home)
        readline.add_history("a line typed in chat")
        save()
        with open(victim) as f:
            self.assertEqual(f.read(), "someone else's file\n")
        self.assertEqual(os.stat(victim).st_mode & 0o777, 0o644)
        os.unlink(os.path.join(self.home, "chat_history"))
        if os.geteuid() == 0:                                # a hard link to another user's file
            os.chown(victim, NOBODY, NOBODY)
            os.link(victim, os.path.join(self.home, "chat_history"))
            save()
            with open(victim) as f:
                self.assertEqual(f.read(), "someone else's file\n")
            self.assertEqual(os.stat(victim).st_mode & 0o777, 0o644)
            os.unlink(os.path.join(self.home, "chat_history"))
        save()                                               # a file of one's own is kept at 0600
        self.assertEqual(os.lstat(os.path.join(self.home, "chat_history")).st_mode & 0o777, 0o600)

    def test_a_sessions_link_of_ones_own_is_followed(self):
        os.makedirs(self.home, 0o700)
        dotfiles = os.path.join(self.tmp, "dotfiles")
        os.mkdir(dotfiles, 0o700)
        target = os.path.join(dotfiles, "sessions.json")
        with open(target, "w") as f:
            json.dump({"http://a": {"context_id": "c-1"}}, f)
        os.chmod(target, 0o600)
        os.symlink(target, self.sessions_path)
        r = self.assertOk(self.run_cli("session", "show", "http://a"))
        self.assertIn("Context ID: c-1", r.out)
        self.assertOk(self.run_cli("auth", "set", "--url", "http://b", "--api-key", "k"))
        self.assertTrue(os.path.islink(self.sessions_path))     # never replaced by a regular file
        with open(target) as f:
            self.assertEqual(sorted(json.load(f)), ["http://a", "http://b"])
        self.assertEqual(os.listdir(dotfiles), ["sessions.json"])   # written in the target's folder
        self.assertEqual(os.stat(target).st_mode & 0o777, 0o600)
        os.unlink(target)                                       # a dangling link of one's own
        self.assertOk(self.run_cli("session", "clear", "http://b"))
        self.assertTrue(os.path.islink(self.sessions_path))
        with open(target) as f:
            self.assertEqual(json.load(f), {})

    def test_a_sessions_link_of_another_user_is_refused(self):
        self.need_root()
        os.makedirs(self.home, 0o700)
        target = os.path.join(self.tmp, "planted.json")
        with open(target, "w") as f:
            json.dump({"http://a": {"context_id": "planted"}}, f)
        os.chmod(target, 0o600)
        for owner in ("link", "target"):
            with self.subTest(owner=owner):
                os.symlink(target, self.sessions_path)
                os.lchown(self.sessions_path if owner == "link" else target, NOBODY, NOBODY)
                for argv in READ_AND_WRITE:
                    self.assertError(self.run_cli(*argv), 1, self.sessions_path, "symbolic link",
                                     "another user")
                self.assertTrue(os.path.islink(self.sessions_path))
                with open(target) as f:
                    self.assertEqual(json.load(f), {"http://a": {"context_id": "planted"}})
                os.unlink(self.sessions_path)
                os.chown(target, 0, 0)

    def test_stale_temp_files_are_removed_on_the_next_write(self):
        self.need_root()
        os.makedirs(self.home, 0o700)
        old = time.time() - 120
        names = {"old": ".sessions.dead1.tmp", "fresh": ".sessions.running.tmp",
                 "other": ".sessions.theirs.tmp", "link": ".sessions.link.tmp",
                 "unrelated": "sessions.json.tmp"}
        for what, name in names.items():
            path = os.path.join(self.home, name)
            if what == "link":
                os.symlink(os.path.join(self.tmp, "nowhere"), path)
            else:
                with open(path, "w") as f:
                    f.write('{"http://a": {"credentials": "secret"}}')
                if what == "other":
                    os.chown(path, NOBODY, NOBODY)
            if what != "fresh":
                os.utime(path, (old, old), follow_symlinks=False)
        self.assertOk(self.run_cli("session", "list"))               # reading removes nothing
        self.assertEqual(len(os.listdir(self.home)), 5)
        self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--api-key", "k"))
        left = set(os.listdir(self.home)) - {"sessions.json", "sessions.json.lock"}
        self.assertEqual(left, set(names.values()) - {names["old"]})


class ForeignSessionFileTests(HandlerTestCase):
    def write(self, raw, prefix=b""):
        os.makedirs(self.home, 0o700, exist_ok=True)
        with open(self.sessions_path, "wb") as f:
            f.write(prefix + json.dumps(raw).encode())
        os.chmod(self.sessions_path, 0o600)

    SEED = {"http://localhost:8000/": {"context_id": "ctx-abc123", "task_id": "task-xyz789",
                                       "credentials": {"auth_type": "bearer", "value": SECRET}},
            "https://api.example.com/": {"context_id": "ctx-42", "task_id": "task-99",
                                         "credentials": {"auth_type": "api_key",
                                                         "value": SECRET + "2"}},
            "http://Host:80": {"context_id": "ctx-host"}}

    def test_unnormalised_keys_are_matched(self):
        self.write(self.SEED)
        r = self.assertOk(self.run_cli("session", "show", "https://api.example.com"))
        self.assertEqual(r.out, "Session for https://api.example.com\nContext ID: ctx-42\n"
                                "Task ID: task-99\nCredentials: api_key\n")
        r = self.assertOk(self.run_cli("-o", "json", "session", "show", "http://host"))
        self.assertEqual(json.loads(r.out)["context_id"], "ctx-host")
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertTrue(r.out.startswith("Saved Sessions (3)\n"), r)
        self.assertIn("\nhttp://localhost:8000\n", r.out)
        url, agent = self.agent()
        port = url.rsplit(":", 1)[1]
        self.write({"http://127.0.0.1:%s/" % port: {"credentials": {"auth_type": "bearer",
                                                                     "value": SECRET}}})
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(self.posts(agent)[-1].headers["Authorization"], "Bearer " + SECRET)
        self.assertEqual(list(self.saved()), [url])            # filed under its normalised key

    def test_two_keys_of_one_url_merge_deterministically(self):
        entries = [("http://host:80", {"context_id": "c-old", "updated_at": "2024-01-01T00:00:00Z",
                                       "credentials": {"auth_type": "bearer", "value": SECRET}}),
                   ("http://host/", {"context_id": "c-new", "task_id": "t-new", "credentials": None,
                                     "updated_at": "2025-01-01T00:00:00Z"}),
                   ("http://HOST", {"context_id": "c-mid", "updated_at": "2024-06-01T00:00:00Z",
                                    "custom": 1})]
        for order in (entries, entries[::-1]):
            with self.subTest(first=order[0][0]):
                self.write(dict(order))
                r = self.assertOk(self.run_cli("-o", "json", "session", "show", "http://host"))
                doc = json.loads(r.out)
                self.assertEqual((doc["context_id"], doc["task_id"], doc["has_credentials"]),
                                 ("c-new", "t-new", True))
                handler.SessionStore().load().update("http://host", task_state="completed")
                raw = self.saved()
                self.assertEqual(list(raw), ["http://host"])
                entry = raw["http://host"]
                self.assertEqual((entry["context_id"], entry["task_id"], entry["custom"]),
                                 ("c-new", "t-new", 1))
                self.assertEqual(entry["credentials"]["value"], SECRET)

    def test_auth_clear_and_session_clear_act_on_every_raw_key(self):
        self.write(dict(self.SEED, **{"https://API.example.com:443": {"credentials": {
            "auth_type": "bearer", "value": SECRET + "3"}}}))
        r = self.assertOk(self.run_cli("auth", "clear", "--url", "https://api.example.com/"))
        self.assertEqual(r.out, "Cleared credentials for https://api.example.com\n")
        with open(self.sessions_path) as f:
            text = f.read()
        self.assertNotIn(SECRET + "2", text)
        self.assertNotIn(SECRET + "3", text)
        self.assertEqual(json.loads(text)["https://api.example.com"]["context_id"], "ctx-42")
        r = self.assertOk(self.run_cli("auth", "clear", "--url", "https://api.example.com"))
        self.assertEqual(r.out, "No credentials stored for https://api.example.com; "
                                "nothing cleared\n")
        r = self.assertOk(self.run_cli("session", "clear", "https://api.example.com"))
        self.assertEqual(r.out, "Cleared session for https://api.example.com (context, task)\n")
        self.assertEqual(sorted(self.saved()), ["http://Host:80", "http://localhost:8000/"])
        r = self.assertOk(self.run_cli("session", "clear", "--all"))
        self.assertEqual(r.out, "Cleared all sessions: http://localhost:8000 (context, task, "
                                "credentials), http://host (context)\n")
        self.assertEqual(self.saved(), {})
        r = self.assertOk(self.run_cli("-o", "json", "session", "clear", "--all"))
        self.assertEqual(json.loads(r.out), {"cleared": "all", "removed": {}})
        r = self.assertOk(self.run_cli("session", "clear", "http://a"))
        self.assertEqual(r.out, "No session stored for http://a; nothing cleared\n")

    def test_session_clear_removes_credentials_unless_kept(self):
        store = handler.SessionStore().load()
        for url in ("http://a", "http://b"):
            store.update(url, "ctx", "task", handler.AuthCredentials("bearer", SECRET), "completed",
                         {"cert": "/c.pem", "key": None})
        r = self.assertOk(self.run_cli("session", "clear", "http://a"))
        self.assertEqual(r.out, "Cleared session for http://a "
                                "(context, task, credentials, client certificate)\n")
        self.assertEqual(list(self.saved()), ["http://b"])
        r = self.assertOk(self.run_cli("-o", "json", "session", "clear", "http://b",
                                       "--keep-credentials"))
        self.assertEqual(json.loads(r.out), {"cleared": "http://b", "removed": ["context", "task"]})
        entry = self.saved()["http://b"]
        self.assertEqual((entry["context_id"], entry["task_id"], entry["task_state"]),
                         (None, None, None))
        self.assertEqual((entry["credentials"]["value"], entry["client_cert"]["cert"]),
                         (SECRET, "/c.pem"))
        r = self.assertOk(self.run_cli("session", "clear", "--all", "--keep-credentials"))
        self.assertEqual(r.out, "No sessions stored; nothing cleared\n")
        self.assertIn("context, task and credentials", self.run_cli("session", "--help").out)

    def test_a_byte_order_mark_is_accepted(self):
        self.write({"http://a": {"context_id": "c-bom"}}, prefix=b"\xef\xbb\xbf")
        r = self.assertOk(self.run_cli("session", "show", "http://a"))
        self.assertIn("Context ID: c-bom", r.out)
        self.assertEqual(r.err, "")
        self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--api-key", "k"))
        self.assertEqual(self.saved()["http://a"]["context_id"], "c-bom")
        self.assertEqual(sorted(os.listdir(self.home)), ["sessions.json", "sessions.json.lock"])

    def test_a_sessions_file_that_is_not_a_regular_file_is_refused(self):
        os.makedirs(self.home, 0o700)
        for what in ("FIFO", "directory", "device"):
            with self.subTest(what=what):
                if what == "FIFO":
                    os.mkfifo(self.sessions_path, 0o600)
                elif what == "directory":
                    os.mkdir(self.sessions_path, 0o700)
                else:
                    os.symlink("/dev/zero", self.sessions_path)
                for argv in READ_AND_WRITE:
                    r = self.run_proc(*argv, timeout=10)     # today a FIFO hangs for ever
                    self.assertError(r, 1, "/dev/zero" if what == "device" else self.sessions_path,
                                     "a " + what + ", not a regular file")
                kept = [n for n in os.listdir(self.home) if "corrupt" in n]
                self.assertEqual(kept, [])                     # refused, not moved aside
                (os.rmdir if what == "directory" else os.unlink)(self.sessions_path)

    def test_a_huge_sessions_file_is_refused(self):
        os.makedirs(self.home, 0o700)
        with open(self.sessions_path, "wb") as f:
            f.write(b"{" + b" " * (16 * 1024 * 1024) + b"}")
        os.chmod(self.sessions_path, 0o600)
        r = self.run_cli("session", "list")
        self.assertError(r, 1, self.sessions_path, "larger than 16 MiB")
        self.assertEqual(os.listdir(self.home), ["sessions.json"])


class ConcurrencyTests(HandlerTestCase):
    PROCESSES = 8

    def test_concurrent_updates_are_never_lost(self):
        procs = [self.popen([*PYTHON, "-c", CONCURRENT_SCRIPT, HERE, str(n)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(self.PROCESSES)]
        for proc in procs:
            proc.stdin.close()
            proc.stdin = None
        for proc in procs:
            out, err = proc.communicate(timeout=90)
            self.assertEqual(proc.returncode, 0, err)
            self.assertEqual(err, b"")
        raw = self.saved()
        for n in range(self.PROCESSES):
            for i in range(25):
                entry = raw.get("http://p%d-u%d.example" % (n, i))
                self.assertIsNotNone(entry, (n, i))
                self.assertEqual((entry["context_id"], entry["task_id"]), ("ctx-%d-%d" % (n, i), "task-%d-%d" % (n, i)))
        shared = raw["http://shared.example:8000"]["context_id"]
        self.assertIn(shared, {"shared-%d-%d" % (n, i) for n in range(self.PROCESSES) for i in range(0, 25, 5)})
        self.assertEqual(len(raw), self.PROCESSES * 25 + 1)
        self.assertEqual(sorted(os.listdir(self.home)), ["sessions.json", "sessions.json.lock"])


# ============================================================================ 6. message send

class _MessageSend:
    def test_text_output_and_wire(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        task_id, context_id, state = self.ids(r)
        self.assertEqual(r.out, "Echo: hi\nTask ID: %s\nContext ID: %s\nState: completed\n" % (task_id, context_id))
        self.assertIn(task_id, agent.agent.tasks)
        self.assertEqual(r.err, "")
        (post,) = self.posts(agent)
        body = self.assertWire(post, "SendMessage", "message/send")
        self.assertEqual(body["params"]["message"]["parts"][0]["text"], "hi")
        self.assertNotIn("contextId", body["params"]["message"])
        self.assertEqual(post.headers.get("Content-Type"), "application/json")
        self.assertTrue(post.headers.get("User-Agent", "").startswith("handler/"))

    def test_json_output_is_one_1x_document(self):
        url, agent = self.agent()
        for argv in (["-o", "json", "message", "send", "--url", url, "hi"],
                     ["message", "send", "--url", url, "hi", "-o", "json"],
                     ["message", "send", "-o", "json", "--timeout", "30", "--url", url, "hi"],
                     ["--output", "json", "--timeout", "30", "message", "send", "hi", "--url", url]):
            with self.subTest(argv=argv):
                r = self.assertOk(self.run_cli(*argv))
                doc = json.loads(r.out)
                self.assertEqual(list(doc), ["task"])
                task = doc["task"]
                self.assertEqual(task["status"]["state"], "TASK_STATE_COMPLETED")
                self.assertEqual(handler.reply_text(task), "Echo: hi")
                self.assertNotIn('"kind"', r.out)
                self.assertEqual(task["history"][0]["role"], "ROLE_USER")

    def test_session_saved_and_context_continued(self):
        url, agent = self.agent()
        r1 = self.assertOk(self.run_cli("message", "send", "--url", url + "/", "one"))
        task1, ctx1, _ = self.ids(r1)
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"], entry["task_state"]), (ctx1, task1, "completed"))
        r2 = self.assertOk(self.run_cli("message", "send", "--url", url, "two"))
        task2, ctx2, _ = self.ids(r2)
        message = self.posts(agent)[1].json["params"]["message"]
        self.assertEqual(message.get("contextId"), ctx1)
        self.assertNotIn("taskId", message)       # the saved task completed: it takes no more messages
        self.assertEqual(ctx2, ctx1)
        self.assertNotEqual(task2, task1)
        self.assertEqual(self.saved()[url]["task_id"], task2)

    def test_session_show_and_list_after_a_send(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        task_id, ctx, _ = self.ids(r)
        r = self.assertOk(self.run_cli("session", "show", url))
        self.assertEqual(r.out, "Session for %s\nContext ID: %s\nTask ID: %s (completed)\nCredentials: none\n"
                         % (url, ctx, task_id))
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertEqual(r.out, "Saved Sessions (1)\n\n%s\n  Context ID: %s\n  Task ID: %s (completed)\n"
                         "  Last used: %s\n" % (url, ctx, task_id, self.saved()[url]["updated_at"]))

    def test_ask_then_answer_the_same_task(self):
        url, agent = self.agent()
        r1 = self.assertOk(self.run_cli("message", "send", "--url", url, "ask me"))
        task1, ctx1, state = self.ids(r1)
        self.assertEqual(r1.out, "What should I echo?\nTask ID: %s\nContext ID: %s\nState: input-required\n"
                         % (task1, ctx1))
        self.assertIn("input-required", r1.err)
        self.assertEqual(self.saved()[url]["task_state"], "input-required")
        r2 = self.assertOk(self.run_cli("message", "send", "--url", url, "parrot"))
        message = self.posts(agent)[1].json["params"]["message"]
        self.assertEqual((message.get("taskId"), message.get("contextId")), (task1, ctx1))
        self.assertEqual(r2.out, "Echo: parrot\nTask ID: %s\nContext ID: %s\nState: completed\n" % (task1, ctx1))
        self.assertEqual(self.saved()[url]["task_state"], "completed")

    def test_ask_in_json_and_quiet(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("-q", "-o", "json", "message", "send", "--url", url, "ask"))
        self.assertEqual(json.loads(r.out)["task"]["status"]["state"], "TASK_STATE_INPUT_REQUIRED")
        self.assertEqual(json.loads(r.out)["task"]["status"]["message"]["parts"], [{"text": "What should I echo?"}])
        self.assertEqual(r.err, "")

    def test_new_starts_a_fresh_conversation(self):
        url, agent = self.agent()
        r1 = self.assertOk(self.run_cli("message", "send", "--url", url, "ask"))
        task1, ctx1, _ = self.ids(r1)
        r2 = self.assertOk(self.run_cli("message", "send", "--url", url, "--new", "hello"))
        message = self.posts(agent)[1].json["params"]["message"]
        self.assertNotIn("contextId", message)
        self.assertNotIn("taskId", message)
        task2, ctx2, _ = self.ids(r2)
        self.assertNotEqual(ctx2, ctx1)
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"]), (ctx2, task2))

    def test_context_and_task_id_override(self):
        url, agent = self.agent()
        task1, ctx1, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "ask one")))
        self.assertOk(self.run_cli("message", "send", "--url", url, "--new", "ask two"))
        self.assertOk(self.run_cli("message", "send", "--url", url, "--context-id", "my-ctx", "hi"))
        message = self.posts(agent)[2].json["params"]["message"]
        self.assertEqual(message.get("contextId"), "my-ctx")
        self.assertNotIn("taskId", message)
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--task-id", task1, "--context-id", ctx1, "ans"))
        message = self.posts(agent)[3].json["params"]["message"]
        self.assertEqual((message.get("taskId"), message.get("contextId")), (task1, ctx1))
        self.assertEqual(self.ids(r), (task1, ctx1, "completed"))
        self.assertEqual(self.saved()[url]["task_id"], task1)

    def test_unknown_task_id_is_task_not_found(self):
        url, agent = self.agent()
        r = self.run_cli("message", "send", "--url", url, "--task-id", "no-such-task", "hi")
        self.assertError(r, 1, "TaskNotFoundError", "no-such-task")

    def test_no_session_neither_reads_nor_writes(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "--no-session", "hi"))
        self.assertFalse(os.path.exists(self.home))
        self.assertOk(self.run_cli("message", "send", "--url", url, "ask"))
        with open(self.sessions_path, "rb") as f:
            before = f.read()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--no-session", "again"))
        message = self.posts(agent)[2].json["params"]["message"]
        self.assertNotIn("contextId", message)
        self.assertNotIn("taskId", message)
        self.assertEqual(self.ids(r)[2], "completed")
        with open(self.sessions_path, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_async_returns_at_once(self):
        url, agent = self.agent()
        self.gate(agent)                                   # the slow task is held: still running
        start = time.monotonic()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--async", "slow x"))
        self.assertLess(time.monotonic() - start, 1.0)     # the task itself takes 1 s
        task_id, ctx, state = self.ids(r)
        self.assertIn(state, ("submitted", "working"))
        self.assertIn(task_id, agent.agent.tasks)
        self.assertEqual(self.saved()[url]["task_id"], task_id)
        params = self.posts(agent)[0].json["params"]
        if self.V == "1.0":
            self.assertIs(params["configuration"]["returnImmediately"], True)
        else:
            self.assertIs(params["configuration"]["blocking"], False)
        r = self.assertOk(self.run_cli("-o", "json", "message", "send", "--url", url, "--async", "slow y"))
        self.assertIn(json.loads(r.out)["task"]["status"]["state"], ("TASK_STATE_SUBMITTED", "TASK_STATE_WORKING"))

    def test_blocking_send_asks_to_block(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        config = self.posts(agent)[0].json["params"].get("configuration") or {}
        if self.V == "1.0":
            self.assertFalse(config.get("returnImmediately", False))
        else:
            self.assertIs(config.get("blocking"), True)

    def test_text_from_stdin(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "-", stdin="from dash\n"))
        self.assertTrue(r.out.startswith("Echo: from dash\n"), r)
        r = self.assertOk(self.run_cli("message", "send", "--url", url, stdin="piped\n"))
        self.assertTrue(r.out.startswith("Echo: piped\n"), r)
        texts = [p.json["params"]["message"]["parts"][0]["text"] for p in self.posts(agent)]
        self.assertEqual(texts, ["from dash", "piped"])
        r = self.assertOk(self.run_proc("message", "send", "--url", url, stdin="in a subprocess\n"))
        self.assertTrue(r.out.startswith("Echo: in a subprocess\n"), r)

    def test_empty_message_is_a_usage_error(self):
        url, agent = self.agent()
        for argv, stdin in ((["", ], ""), (["   "], ""), (["-"], ""), ([], ""), ([], "\n\n"), (["-"], "  \n")):
            with self.subTest(argv=argv, stdin=stdin):
                r = self.run_cli("message", "send", "--url", url, *argv, stdin=stdin)
                self.assertError(r, 2, "no message")
        self.assertEqual(self.posts(agent), [])

    def test_stream_with_async_is_a_usage_error(self):
        url, agent = self.agent()
        self.assertError(self.run_cli("message", "send", "--url", url, "--stream", "--async", "hi"), 2,
                         "--stream cannot be combined with --async")
        r = self.run_cli("-o", "json", "message", "send", "--url", url, "--stream", "--async", "hi")
        self.assertJsonError(r, "A2ACLI_ERR_USAGE", 2)
        self.assertEqual(agent.received, [])

    def test_handler_url_fallback_and_missing_url(self):
        url, agent = self.agent()
        os.environ["HANDLER_URL"] = url + "/"
        r = self.assertOk(self.run_cli("message", "send", "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"))
        self.assertIn(url, self.saved())
        del os.environ["HANDLER_URL"]
        self.assertError(self.run_cli("message", "send", "hi"), 2, "HANDLER_URL")
        self.assertError(self.run_cli("card", "get"), 2, "HANDLER_URL")

    def test_sessions_persist_across_processes(self):
        url, agent = self.agent()
        r1 = self.assertOk(self.run_proc("message", "send", "--url", url, "first"))
        task1, ctx1, state = self.ids(r1)
        self.assertEqual((r1.out.splitlines()[0], state), ("Echo: first", "completed"))
        r2 = self.assertOk(self.run_proc("-o", "json", "message", "send", "--url", url, "second"))
        self.assertEqual(json.loads(r2.out)["task"]["contextId"], ctx1)
        self.assertEqual(self.posts(agent)[1].json["params"]["message"]["contextId"], ctx1)
        r3 = self.assertOk(self.run_proc("session", "show", url))
        self.assertIn("Context ID: %s\n" % ctx1, r3.out)


versioned(_MessageSend)


# ============================================================================ 7. streaming

class _StreamBuiltin:
    def check_stream(self, argv):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli(*argv(url)))
        task_id, ctx, state = self.ids(r)
        self.assertEqual(r.out, "Echo: hi\nTask ID: %s\nContext ID: %s\nState: completed\n" % (task_id, ctx))
        (post,) = self.posts(agent)
        self.assertWire(post, "SendStreamingMessage", "message/stream")
        self.assertIn("text/event-stream", post.headers.get("Accept"))
        entry = self.saved()[url]
        self.assertEqual((entry["task_id"], entry["context_id"], entry["task_state"]), (task_id, ctx, "completed"))

    def test_message_stream_text(self):
        self.check_stream(lambda url: ["message", "stream", "--url", url, "hi"])

    def test_message_send_stream_text(self):
        self.check_stream(lambda url: ["message", "send", "--stream", "--url", url, "hi"])

    def test_stream_json_lines(self):
        url, agent = self.agent()
        for argv in (["-o", "json", "message", "stream", "--url", url, "hi"],
                     ["message", "send", "--url", url, "--stream", "hi", "-o", "json"]):
            with self.subTest(argv=argv):
                r = self.assertOk(self.run_cli(*argv))
                events = [json.loads(line) for line in r.out.splitlines()]
                for event in events:
                    self.assertEqual(len(event), 1, event)
                    self.assertIn(next(iter(event)), EVENT_KEYS)
                self.assertIn("task", events[0])
                self.assertEqual(events[-1]["statusUpdate"]["status"]["state"], "TASK_STATE_COMPLETED")
                chunks = [p["text"] for e in events if "artifactUpdate" in e
                          for p in e["artifactUpdate"]["artifact"]["parts"]]
                self.assertEqual(chunks, ["Echo: ", "hi"])
                self.assertNotIn('"kind"', r.out)
                self.assertNotIn("final", r.out)

    def test_stream_ask_then_answer(self):
        url, agent = self.agent()
        r1 = self.assertOk(self.run_cli("message", "stream", "--url", url, "ask"))
        task_id, ctx, _ = self.ids(r1)
        self.assertEqual(r1.out, "What should I echo?\nTask ID: %s\nContext ID: %s\nState: input-required\n"
                         % (task_id, ctx))
        r2 = self.assertOk(self.run_cli("message", "stream", "--url", url, "more"))
        self.assertEqual(self.posts(agent)[1].json["params"]["message"].get("taskId"), task_id)
        self.assertEqual(r2.out, "Echo: more\nTask ID: %s\nContext ID: %s\nState: completed\n" % (task_id, ctx))

    def test_stream_timeout_is_the_longest_silence(self):
        url, agent = self.agent()
        self.gate(agent, pace=0.2)     # four chunks 0.2 s apart: longer than --timeout 0.6 in all
        start = time.monotonic()
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "--timeout", "0.6",
                                       "slow a b"))
        self.assertGreater(time.monotonic() - start, 0.6)
        self.assertEqual(self.ids(r)[2], "completed")

    def test_stream_in_a_subprocess(self):
        url, agent = self.agent()
        self.gate(agent, pace=0.05)    # still a stream of chunks over time
        r = self.assertOk(self.run_proc("message", "stream", "--url", url, "slow a"))
        self.assertTrue(r.out.startswith("Echo: slow a\nTask ID: "), r)
        self.assertEqual(self.ids(r)[2], "completed")


versioned(_StreamBuiltin)


class _StreamScripted:
    EXPECTED = "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n"

    def test_framing_variants(self):
        url, srv = self.scripted()
        events = wevents(self.V)
        variants = [
            ("crlf", sse(events)), ("lf", sse(events, eol="\n")),
            ("comments", sse(events, comments=True)), ("multi-line data", sse(events, multiline=True)),
            ("byte by byte", split_bytes(sse(events, comments=True), 1)),
            ("odd pieces", split_bytes(sse(events, eol="\n", multiline=True), 7)),
            ("no blank line at the end", lambda req: [b"".join(sse(events)(req)).rstrip(b"\r\n")]),
        ]
        for name, frames in variants:
            with self.subTest(variant=name):
                srv.posts.append(sse_reply(frames))
                r = self.assertOk(self.run_cli("message", "stream", "--url", url, "--no-session", "hi"))
                self.assertEqual(r.out, self.EXPECTED)
                srv.posts.append(sse_reply(frames))
                r = self.assertOk(self.run_cli("-o", "json", "message", "stream", "--url", url, "--no-session", "hi"))
                lines = [json.loads(line) for line in r.out.splitlines()]
                self.assertEqual([next(iter(e)) for e in lines],
                                 ["task", "statusUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"])
                self.assertIs(lines[3]["artifactUpdate"]["append"], True)
        for body in srv.post_bodies():
            self.assertEqual(body["method"], "SendStreamingMessage" if self.V == "1.0" else "message/stream")

    def test_stream_session_saved(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V))))
        self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"], entry["task_state"]), ("c-1", "t-1", "completed"))

    def test_stream_falls_back_when_the_card_offers_no_streaming(self):
        url, srv = self.scripted()
        card = wcard(self.V, url + "/")
        card["capabilities"] = {"streaming": False}
        srv.card = card
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: hi")))))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, self.EXPECTED)
        self.assertIn("streaming", r.err)
        self.assertTrue(r.err.startswith("warning:"), r)
        self.assertEqual(srv.post_bodies()[0]["method"], "SendMessage" if self.V == "1.0" else "message/send")

    def test_stream_shows_each_artifact_and_message_once(self):
        url, srv = self.scripted()
        final = wsend(self.V, wtask(self.V, "completed", "Echo: hi"))   # a last event repeating the task
        srv.posts.append(sse_reply(sse(wevents(self.V) + [final])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, self.EXPECTED)
        question = wstatus(self.V, "input-required")
        msg = wmessage(self.V, "Which one?")
        msg["messageId"] = "q-1"
        (question if self.V == "0.3" else question["statusUpdate"])["status"]["message"] = msg
        snapshot = wtask(self.V, "input-required")
        snapshot["status"]["message"] = msg
        srv.posts.append(sse_reply(sse([wsend(self.V, wtask(self.V, "submitted")), question, wsend(self.V, snapshot)])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, "Which one?\nTask ID: t-1\nContext ID: c-1\nState: input-required\n")

    def test_stream_of_a_message(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse([wmessage(self.V, "just a message", ctx="c-7")])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, "just a message\nContext ID: c-7\n")
        self.assertEqual(self.saved()[url]["context_id"], "c-7")

    def test_stream_cut_midway(self):
        # A2ACLI_TASK_POLL_004: a stream lost before the task settles is followed by polling the
        # task (GetTask) until it settles (this test asserted "stream ended", exit 1, before)
        clock = self.fake_clock()
        url, srv = self.scripted()
        get = "GetTask" if self.V == "1.0" else "tasks/get"
        srv.posts += [sse_reply(sse(wevents(self.V)[:2])),          # closed while working
                      Reply(rpc(wtask(self.V, "working"))),
                      Reply(rpc(wtask(self.V, "completed", "Echo: hi")))]
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, self.EXPECTED)
        self.assertEqual([b["method"] for b in srv.post_bodies()][1:], [get, get])
        self.assertEqual(len(clock.slept), 2)
        entry = self.saved()[url]
        self.assertEqual((entry["task_id"], entry["task_state"]), ("t-1", "completed"))
        srv.posts.append(sse_reply(lambda req: [sse(wevents(self.V))(req)[0],
                                                b'data: {"jsonrpc": "2.0", "id": 1, "res']))   # mid-event
        self.assertError(self.run_cli("message", "stream", "--url", url, "hi"), 1)
        srv.posts += [sse_reply(sse(wevents(self.V)[:3]), chunked=True, cut=True),   # chunked, cut
                      Reply(rpc(wtask(self.V, "completed", "Echo: hi")))]
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out.replace("\n", ""), self.EXPECTED.replace("\n", ""))   # "hi": task
        srv.posts += [sse_reply(sse(wevents(self.V)[:2]))] + [
            Reply(rpc(wtask(self.V, "working")))] * 20
        r = self.run_cli("--timeout", "2", "message", "stream", "--url", url, "hi")   # within it
        self.assertError(r, 5, "task t-1 is still working after 2 s",
                         "task get t-1 --url %s --wait" % url)
        self.assertLessEqual(sum(clock.slept[3:]), 2)

    def test_stream_cut_midway_json_lines(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V)[:2])))
        r = self.run_cli("-o", "json", "message", "stream", "--url", url, "hi")
        self.assertEqual(r.code, 1)
        self.assertTrue(r.err.startswith("Error: "), r)
        try:                                   # JSON Lines: two events, then the error envelope on one line
            docs = [json.loads(line) for line in r.out.splitlines()]
        except ValueError:
            docs = None
        self.assertIsNotNone(docs, "stdout of a stream in -o json is not JSON Lines: %r" % r.out)
        self.assertEqual([next(iter(d)) for d in docs], ["task", "statusUpdate", "error"], r)
        self.assertEqual(docs[-1]["error"]["code"], "InvalidAgentResponseError")

    def test_stream_cut_in_a_subprocess(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V)[:3])))
        r = self.run_proc("message", "stream", "--url", url, "hi")
        self.assertEqual(r.code, 1, r)
        self.assertTrue(r.out.startswith("Echo: "), r)
        self.assertEqual(len(r.err.splitlines()), 1, r)
        self.assertTrue(r.err.startswith("Error: "), r)

    def test_stream_answered_with_json_error(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc_error(-32009, "send A2A-Version")))
        self.assertError(self.run_cli("message", "stream", "--url", url, "hi"), 1, "VersionNotSupportedError",
                         "send A2A-Version")
        srv.posts.append(Reply(rpc_error(-32001, "task gone"), status=400))
        self.assertError(self.run_cli("message", "stream", "--url", url, "hi"), 1, "TaskNotFoundError", "task gone")
        srv.posts.append(Reply(rpc_error(-32001, "task gone")))
        err = self.assertJsonError(self.run_cli("-o", "json", "message", "stream", "--url", url, "hi"),
                                   "TaskNotFoundError", 1)
        self.assertEqual(err["a2aCode"], -32001)

    def test_stream_answered_with_a_whole_task(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: hi")))))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, self.EXPECTED)

    def test_stream_event_with_an_error(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(lambda req: sse(wevents(self.V)[:1])(req) + [
            b"event: error\r\ndata: " + rpc_error(-32603, "boom")(req) + b"\r\n\r\n"]))
        self.assertError(self.run_cli("message", "stream", "--url", url, "hi"), 1, "InternalError", "boom")

    def test_output_is_flushed_as_events_arrive(self):
        url, srv = self.scripted()
        for fmt in ("json", "text"):
            with self.subTest(output=fmt):
                srv.go.clear()
                srv.posts.append(sse_reply(sse(wevents(self.V)), pause_after=2))
                proc = self.popen([*PYTHON, HANDLER_PATH, "-o", fmt, "message", "stream", "--url", url,
                                   "--timeout", "20", "hi"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                seen = read_until(proc.stdout, (lambda b: b.count(b"\n") >= 3) if fmt == "json"
                                  else (lambda b: b"Echo: " in b), 15)
                self.assertIsNone(proc.poll())       # still streaming: the agent holds the rest back
                if fmt == "json":
                    lines = [json.loads(line) for line in seen.splitlines()[:3]]
                    self.assertEqual([next(iter(e)) for e in lines], ["task", "statusUpdate", "artifactUpdate"])
                else:
                    self.assertEqual(seen, b"Echo: ")
                srv.go.set()
                rest, err = proc.communicate(timeout=20)
                self.assertEqual(proc.returncode, 0, err)
                self.assertNotIn(b"Traceback", err)
                if fmt == "text":
                    self.assertEqual((seen + rest).decode(), self.EXPECTED)
                else:
                    self.assertEqual(len((seen + rest).splitlines()), 5)

    def test_stream_silence_longer_than_timeout(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V)), pause_after=1))
        start = time.monotonic()
        r = self.run_cli("message", "stream", "--url", url, "--timeout", "0.3", "hi")
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(r.code, 5, r)
        self.assertTrue(r.err.splitlines()[-1].startswith("Error: "), r)

    def test_failed_task_exits_0_with_a_warning(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V, final="failed"))))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertTrue(r.out.endswith("State: failed\n"), r)
        self.assertIn("failed", r.err)
        self.assertTrue(r.err.startswith("warning:"), r)


def read_until(stream, done, timeout):
    """Read a pipe on a thread until done(bytes so far); fail after `timeout` seconds."""
    chunks, found = [], threading.Event()

    def reader():
        while True:
            data = os.read(stream.fileno(), 4096)
            if not data:
                break
            chunks.append(data)
            if done(b"".join(chunks)):
                found.set()
                return
        found.set()
    threading.Thread(target=reader, daemon=True).start()
    if not found.wait(timeout):
        raise AssertionError("timed out waiting for output; got %r" % b"".join(chunks))
    return b"".join(chunks)


versioned(_StreamScripted, (("1.0",), ("0.3",)))


# ============================================================================ 8. card get

class _CardBuiltin:
    def test_card_text(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("card", "get", "--url", url))
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "Name: Handler Echo Agent")
        self.assertIn("Version: %s" % handler.VERSION, lines)
        self.assertIn("Interface: JSON-RPC, A2A %s, %s/" % (self.V, url), lines)
        self.assertIn("Streaming: yes", lines)
        self.assertIn("Skills (1):", lines)
        self.assertEqual(lines[-1], "  - Echo: Repeats what you say.")
        self.assertEqual(r.err, "")
        self.assertEqual([(q.method, q.path) for q in agent.received], [("GET", "/.well-known/agent-card.json")])

    def test_card_json(self):
        url, agent = self.agent()
        for argv in (["-o", "json", "card", "get", "--url", url], ["card", "get", "--url", url, "-o", "json"]):
            with self.subTest(argv=argv):
                r = self.assertOk(self.run_cli(*argv))
                card = json.loads(r.out)
                self.assertEqual(card, agent.agent.card(url + "/"))
                self.assertEqual("supportedInterfaces" in card, "1.0" in self.VERSIONS)
                self.assertEqual(card.get("protocolVersion") == "0.3.0", "0.3" in self.VERSIONS)

    def test_card_in_a_subprocess(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_proc("card", "get", "--url", url))
        self.assertIn("Interface: JSON-RPC, A2A %s, %s/" % (self.V, url), r.out.splitlines())


versioned(_CardBuiltin)


class _CardScripted:
    def test_fallback_to_agent_json(self):
        url, srv = self.scripted()
        srv.card = None
        srv.gets["/.well-known/agent.json"] = Reply(json.dumps(wcard(self.V, url + "/")).encode())
        r = self.assertOk(self.run_cli("card", "get", "--url", url))
        self.assertIn("Name: Scripted Agent", r.out)
        self.assertEqual([q.path for q in srv.requests], ["/.well-known/agent-card.json", "/.well-known/agent.json"])
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "ok")))))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(r.out, "ok\nTask ID: t-1\nContext ID: c-1\nState: completed\n")

    def test_url_ending_in_json_is_the_card(self):
        url, srv = self.scripted()
        srv.gets["/cards/mine.json"] = Reply(json.dumps(wcard(self.V, url + "/rpc")).encode())
        r = self.assertOk(self.run_cli("card", "get", "--url", url + "/cards/mine.json"))
        self.assertIn("Interface: JSON-RPC, A2A %s, %s/rpc" % (self.V, url), r.out.splitlines())
        self.assertEqual([q.path for q in srv.requests], ["/cards/mine.json"])
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "ok")))))
        self.assertOk(self.run_cli("message", "send", "--url", url + "/cards/mine.json", "hi"))
        self.assertEqual(srv.requests[-1].path, "/rpc")

    def test_relative_interface_url_and_tenant(self):
        url, srv = self.scripted()
        srv.card = wcard(self.V, "/rpc", **({"tenant": "acme"} if self.V == "1.0" else {}))
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "ok")))))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        post = srv.requests[-1]
        self.assertEqual(post.path, "/rpc")
        self.assertEqual(post.json["params"].get("tenant"), "acme" if self.V == "1.0" else None)

    def test_no_card(self):
        url, srv = self.scripted()
        srv.card = None
        self.assertError(self.run_cli("card", "get", "--url", url), 3, "agent.json")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3)
        self.assertJsonError(self.run_cli("-o", "json", "card", "get", "--url", url), "A2ACLI_ERR_CARD_NOT_FOUND", 3)
        self.assertEqual(srv.post_bodies(), [])

    def test_card_not_json(self):
        url, srv = self.scripted()
        srv.gets["/.well-known/agent-card.json"] = Reply(b"<html><body>Welcome to nginx</body></html>",
                                                         ctype="text/html")
        line = self.assertError(self.run_cli("card", "get", "--url", url), 3, "agent card", "not JSON")
        self.assertIn("text/html", line)

    def test_card_not_an_object_or_without_interface(self):
        url, srv = self.scripted()
        srv.gets["/.well-known/agent-card.json"] = [Reply(b"[1, 2]"), Reply(b'{"name": "Odd"}'),
                                                    Reply(b'{"name": "Odd"}')]
        self.assertError(self.run_cli("card", "get", "--url", url), 1, "not a JSON object")
        r = self.assertOk(self.run_cli("card", "get", "--url", url))
        self.assertIn("Name: Odd", r.out)
        self.assertIn("offers no interface", r.err)
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 1, "offers no interface")


versioned(_CardScripted, (("1.0",), ("0.3",)))


# ============================================================================ 9. session commands

# ============================================================================ 10.1 no work lost

SENDS = ("SendMessage", "message/send", "SendStreamingMessage", "message/stream")
HOLD_LOCK = ("import sys; sys.path.insert(0, sys.argv[1]); import handler\n"
             "handler.SessionStore()._locked().__enter__()\n"
             "print('locked', flush=True); sys.stdin.read()")
FLOCK_ONLY = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
              "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()")


def fs_fault(err, name):
    """os.<name> failing as a full disk (ENOSPC) or a read-only mount (EROFS) makes it fail."""
    return mock.patch.object(handler.os, name, side_effect=OSError(err, os.strerror(err)))


class _NoWorkLost:
    """What the tests of issue 10.1 share: agents that count the sends they get."""
    VERSIONS = ("1.0",)

    def sends(self, agent):
        return [p for p in self.posts(agent) if p.json.get("method") in SENDS]

    def read_only_home(self):
        """os.open refusing to create or write anything in HANDLER_HOME, as on a read-only mount."""
        real, home = os.open, self.home

        def fake(path, flags, *args, **kw):
            if str(path).startswith(home) and flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
            return real(path, flags, *args, **kw)
        return mock.patch.object(handler.os, "open", fake)

    def hold_lock(self, script=HOLD_LOCK, arg=HERE):
        """A real child process holding the sessions file's lock until the test ends."""
        os.makedirs(self.home, 0o700, exist_ok=True)
        proc = self.popen([*PYTHON, "-c", script, arg], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE)
        self.assertEqual(proc.stdout.readline(), b"locked\n")
        return proc

    def short_lock_wait(self):
        """The lock is waited for 0.3 s, in fake time."""
        patch = mock.patch.object(handler.SessionStore, "LOCK_WAIT", 0.3)
        patch.start()
        self.addCleanup(patch.stop)
        self.fake_clock()


class RefusedBeforeSendingTests(_NoWorkLost, HandlerTestCase):
    """A session that cannot be saved is found out before the message goes: nothing is sent."""

    def check_refused(self, r, agent, *fragments):
        line = self.assertError(r, 1, "message not sent", *fragments)
        self.assertEqual(r.out, "")
        self.assertEqual(self.sends(agent), [])
        self.assertNotIn("lock file", line.replace("do not remove the lock file", ""))
        return line

    def test_disk_full(self):
        url, agent = self.agent()
        with fs_fault(errno.ENOSPC, "write"):
            r = self.run_cli("message", "send", "--url", url, "hi")
        self.check_refused(r, agent, "the disk is full (ENOSPC)", "free some space")
        self.assertFalse(os.path.exists(self.sessions_path))
        self.assertEqual([n for n in os.listdir(self.home) if n.endswith(".tmp")], [])

    def test_read_only_file_system_and_the_stream(self):
        url, agent = self.agent()
        for argv in (["message", "send"], ["message", "stream"]):
            with self.subTest(argv=argv), self.read_only_home():
                r = self.run_cli(*argv, "--url", url, "hi")
            self.check_refused(r, agent, "the file system is read-only (EROFS)", "HANDLER_HOME")
        with self.read_only_home():   # nothing was sent: a plain error, in JSON on stdout too
            r = self.run_cli("-o", "json", "message", "send", "--url", url, "hi")
        self.assertIn("read-only", self.assertJsonError(r, "A2ACLI_ERR_INTERNAL", 1)["message"])
        self.assertEqual(self.sends(agent), [])

    def test_lock_held_by_another_handler_names_its_pid(self):
        self.short_lock_wait()
        url, agent = self.agent()
        holder = self.hold_lock()
        start = time.monotonic()
        r = self.run_cli("message", "send", "--url", url, "hi")
        self.assertLess(time.monotonic() - start, 3)
        line = self.check_refused(r, agent, "do not remove the lock file",
                                  "locked by another handler process (pid %d)" % holder.pid)
        self.assertNotIn("remove the lock file if", line)

    def test_lock_held_by_a_process_that_wrote_no_pid(self):
        self.short_lock_wait()
        url, agent = self.agent()
        self.hold_lock(FLOCK_ONLY, self.sessions_path + ".lock")
        r = self.run_cli("message", "stream", "--url", url, "hi")
        line = self.check_refused(r, agent, "locked by another process for more than 0.3 s")
        self.assertNotIn("pid", line)

    def test_permission_denied_as_another_user(self):
        if os.geteuid() != 0:
            self.skipTest("needs root, to run handler as user nobody")
        url, agent = self.agent()
        os.makedirs(self.home)      # nobody's own, but not writable even by nobody
        os.chmod(self.home, 0o500)
        os.chown(self.home, 65534, 65534)
        os.chmod(self.tmp, 0o755)
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:     # the child: handler.main as user nobody, its result back through the pipe
            try:
                os.close(reader)
                os.setgid(65534)
                os.setuid(65534)
                r = self.run_cli("message", "send", "--url", url, "hi")
                os.write(writer, json.dumps([r.code, r.out, r.err]).encode())
            finally:
                os._exit(0)
        os.close(writer)
        self.addCleanup(os.close, reader)
        self.assertTrue(select.select([reader], [], [], 30)[0])
        data = b"".join(iter(lambda: os.read(reader, 65536), b""))
        os.waitpid(pid, 0)
        self.assertTrue(data, "the child died")
        r = Result(*json.loads(data))
        self.assertClean(r)
        self.check_refused(r, agent, "permission denied (EACCES)")
        self.assertEqual(os.listdir(self.home), [])


class ReplyShownWhenNotSavedTests(_NoWorkLost, HandlerTestCase):
    """A save that fails once the agent has answered: the reply and ids exactly as on success,
    then one line saying the session was not saved and why (exit 1). The message went once."""

    def check_not_saved(self, r, agent, *fragments):
        line = self.assertError(r, 1, "the reply came, but the session was not saved", *fragments)
        self.assertEqual(len(self.sends(agent)), 1)
        self.assertFalse(os.path.exists(self.sessions_path))
        return line

    def check_text(self, r, agent):
        task_id, ctx, state = self.ids(r)
        self.assertEqual(r.out, "Echo: hi\nTask ID: %s\nContext ID: %s\nState: completed\n"
                         % (task_id, ctx))
        self.assertIn(task_id, agent.agent.tasks)

    def test_disk_full_after_the_reply(self):
        for argv in (["message", "send"], ["message", "stream"]):
            with self.subTest(argv=argv):
                url, agent = self.agent()
                with fs_fault(errno.ENOSPC, "fsync"):
                    r = self.run_cli(*argv, "--url", url, "hi")
                self.check_text(r, agent)
                self.check_not_saved(r, agent, "the disk is full (ENOSPC)", "free some space")

    def test_read_only_after_the_reply_in_json(self):
        url, agent = self.agent()
        with fs_fault(errno.EROFS, "replace"):
            r = self.run_cli("-o", "json", "message", "send", "--url", url, "hi")
        doc = json.loads(r.out)          # the one document of a success: no error envelope
        self.assertEqual(set(doc), {"task"})
        self.assertEqual(handler.reply_text(handler.normalise_task(doc["task"])), "Echo: hi")
        self.check_not_saved(r, agent, "read-only (EROFS)")
        url, agent = self.agent()
        with fs_fault(errno.EROFS, "replace"):
            r = self.run_cli("-o", "json", "message", "stream", "--url", url, "hi")
        events = [json.loads(line) for line in r.out.splitlines()]
        self.assertTrue(events and all("error" not in e for e in events), r)
        self.check_not_saved(r, agent, "read-only (EROFS)")

    def test_lock_taken_while_the_agent_works(self):
        self.short_lock_wait()
        url, agent = self.agent()
        base, test, holder = agent.RequestHandlerClass, self, []

        class Busy(base):      # another handler takes the lock while the agent answers
            def do_POST(self):
                holder.append(test.hold_lock())
                super().do_POST()
        agent.RequestHandlerClass = Busy
        r = self.run_cli("message", "send", "--url", url, "hi")
        self.check_text(r, agent)
        line = self.check_not_saved(r, agent, "another handler process (pid %d)" % holder[0].pid)
        self.assertNotIn("remove the lock file if", line)

    def test_chat_shows_the_reply_then_the_failure(self):
        url, agent = self.agent()
        with fs_fault(errno.ENOSPC, "fsync"):
            r = self.run_cli("chat", "--url", url, stdin="hi\n")
        self.check_text(r, agent)
        self.check_not_saved(r, agent, "ENOSPC")
        with fs_fault(errno.ENOSPC, "write"):     # and refuses a turn it could not save
            r = self.run_cli("chat", "--url", url, stdin="again\n")
        self.assertError(r, 1, "message not sent", "ENOSPC")
        self.assertEqual(len(self.sends(agent)), 1)

    def test_mcp_send_message(self):
        url, agent = self.agent()
        warnings = []
        server = handler.McpServer(10, warn=warnings.append)
        server.version = handler.MCP_VERSIONS[-1]
        with fs_fault(errno.ENOSPC, "fsync"):
            result = server.call("send_message", {"agent_url": url, "message": "hi"})
        text = result["content"][0]["text"]
        self.assertIs(result["isError"], False, result)     # an error would invite a second send
        self.assertTrue(text.startswith("Echo: hi\nTask ID: "), text)
        self.assertIn("the session was not saved", text)
        self.assertEqual(result["structuredContent"]["task"]["status"]["state"],
                         "TASK_STATE_COMPLETED")
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("ENOSPC", warnings[0])
        with fs_fault(errno.ENOSPC, "write"):
            result = server.call("send_message", {"agent_url": url, "message": "hi"})
        self.assertIs(result["isError"], True, result)
        self.assertIn("message not sent", result["content"][0]["text"])
        self.assertEqual(len(self.sends(agent)), 1)


class SendTimeoutTests(_NoWorkLost, HandlerTestCase):
    """A send that times out says whether the agent gave a task id; a given one is saved and
    named, and `task get --wait` picks the task up."""

    def test_blocking_send_without_an_answer_says_no_task_id(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(hang=True))
        r = self.run_cli("message", "send", "--url", url, "--timeout", "0.3", "hi")
        self.assertError(r, 5, "0.3 s", "the agent gave no task id", "--async")
        self.assertEqual(r.out, "")

    def test_poll_timeout_then_task_get_wait_picks_it_up(self):
        url, srv = self.scripted()
        self.fake_clock()                                   # it polls in fake time
        srv.posts += [Reply(rpc(wsend(self.V, wtask(self.V, "working"))))] + \
            [Reply(rpc(wtask(self.V, "working"))) for _ in range(20)]
        r = self.run_cli("message", "send", "--url", url, "--timeout", "0.6", "hi")
        self.assertError(r, 5, "task t-1 is still working", "task get t-1 --url %s --wait" % url)
        self.assertEqual(self.saved()[url]["task_id"], "t-1")
        with srv.lock:
            srv.posts[:] = [Reply(rpc(wtask(self.V, "completed", "done")))]
        r = self.assertOk(self.run_cli("task", "get", "--url", url, "--wait"))
        self.assertEqual(self.ids(r), ("t-1", "c-1", "completed"))
        self.assertEqual(srv.post_bodies()[-1]["params"]["id"], "t-1")

    def test_stream_timeout_names_the_saved_task_id(self):
        url, srv = self.scripted()
        srv.posts.append(sse_reply(sse(wevents(self.V)), pause_after=1))
        r = self.run_cli("message", "stream", "--url", url, "--timeout", "0.3", "hi")
        self.assertEqual(r.code, 5, r)
        self.assertIn("the agent gave task id t-1", r.err.splitlines()[-1])
        self.assertIn("task get t-1 --url %s --wait" % url, r.err.splitlines()[-1])
        self.assertEqual(self.saved()[url]["task_id"], "t-1")


class SessionCommandTests(HandlerTestCase):
    def populate(self):
        store = handler.SessionStore().load()
        store.update("http://127.0.0.1:5000", "ctx-1", "task-9", task_state="completed")
        store.set_credentials("http://b.example", handler.AuthCredentials("bearer", SECRET))

    def test_empty(self):
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertEqual((r.out, r.err), ("No saved sessions\n", ""))
        r = self.assertOk(self.run_cli("-o", "json", "session", "list"))
        self.assertEqual(json.loads(r.out), {"count": 0, "sessions": []})
        self.assertFalse(os.path.exists(self.sessions_path))

    def test_list_text(self):
        self.populate()
        r = self.assertOk(self.run_cli("session", "list"))
        a, b = (self.saved()[url]["updated_at"] for url in ("http://127.0.0.1:5000", "http://b.example"))
        self.assertEqual(r.out, "Saved Sessions (2)\n\nhttp://127.0.0.1:5000\n  Context ID: ctx-1\n"
                                "  Task ID: task-9 (completed)\n  Last used: %s\n\nhttp://b.example\n"
                                "  Credentials: bearer\n  Last used: %s\n" % (a, b))
        self.assertNotIn(SECRET, r.out + r.err)

    def test_list_json(self):
        self.populate()
        for argv in (["-o", "json", "session", "list"], ["session", "list", "-o", "json"]):
            r = self.assertOk(self.run_cli(*argv))
            doc = json.loads(r.out)
            self.assertEqual(doc["count"], 2)
            a, b = doc["sessions"]
            self.assertEqual((a["agent_url"], a["context_id"], a["task_id"], a["has_credentials"]),
                             ("http://127.0.0.1:5000", "ctx-1", "task-9", False))
            self.assertEqual((b["agent_url"], b["has_credentials"]), ("http://b.example", True))
            self.assertNotIn(SECRET, r.out)
            self.assertNotIn("value", json.dumps(doc))

    def test_show(self):
        self.populate()
        r = self.assertOk(self.run_cli("session", "show", "http://127.0.0.1:5000/"))
        self.assertEqual(r.out, "Session for http://127.0.0.1:5000\nContext ID: ctx-1\nTask ID: task-9 (completed)\n"
                                "Credentials: none\n")
        r = self.assertOk(self.run_cli("session", "show", "http://B.example:80"))
        self.assertEqual(r.out, "Session for http://b.example\nContext ID: none\nTask ID: none\nCredentials: bearer\n")
        os.environ["HANDLER_URL"] = "http://127.0.0.1:5000"
        r = self.assertOk(self.run_cli("-o", "json", "session", "show"))
        self.assertEqual(json.loads(r.out), {"agent_url": "http://127.0.0.1:5000", "context_id": "ctx-1",
                                             "task_id": "task-9", "task_state": "completed",
                                             "has_credentials": False,
                                             "updated_at": self.saved()["http://127.0.0.1:5000"]["updated_at"]})
        r = self.assertOk(self.run_cli("session", "show", "--url", "http://b.example", "-o", "json"))
        self.assertIs(json.loads(r.out)["has_credentials"], True)
        self.assertNotIn(SECRET, r.out + r.err)
        del os.environ["HANDLER_URL"]
        self.assertError(self.run_cli("session", "show"), 2)

    def test_clear_one_and_all(self):
        self.populate()
        handler.SessionStore().load().update("http://c.example", "ctx-c")
        r = self.assertOk(self.run_cli("session", "clear", "http://C.example/"))
        self.assertEqual(r.out, "Cleared session for http://c.example (context)\n")
        self.assertNotIn("http://c.example", self.saved())
        r = self.assertOk(self.run_cli("-o", "json", "session", "clear", "http://127.0.0.1:5000"))
        self.assertEqual(json.loads(r.out), {"cleared": "http://127.0.0.1:5000",
                                             "removed": ["context", "task"]})
        r = self.assertOk(self.run_cli("session", "clear", "--all"))
        self.assertEqual(r.out, "Cleared all sessions: http://b.example (credentials)\n")
        self.assertEqual(self.saved(), {})                 # credentials too, as the seed's clear
        r = self.assertOk(self.run_cli("auth", "show"))
        self.assertEqual(r.out, "No stored credentials\n")

    def test_clear_keeps_credentials_but_forgets_the_conversation(self):
        store = handler.SessionStore().load()
        store.update("http://a", "ctx", "task", task_state="input-required")
        store.set_credentials("http://a", handler.AuthCredentials("api_key", SECRET, "X-K"))
        self.assertOk(self.run_cli("session", "clear", "http://a", "--keep-credentials"))
        entry = self.saved()["http://a"]
        self.assertEqual((entry["context_id"], entry["task_id"]), (None, None))
        self.assertEqual(entry["credentials"], {"auth_type": "api_key", "value": SECRET, "header_name": "X-K"})

    def test_clear_usage(self):
        self.assertError(self.run_cli("session", "clear"), 2)
        self.assertError(self.run_cli("session", "clear", "http://a", "--all"), 2)

    def test_session_commands_in_a_subprocess(self):
        self.populate()
        r = self.assertOk(self.run_proc("session", "list"))
        self.assertTrue(r.out.startswith("Saved Sessions (2)\n"))
        r = self.assertOk(self.run_proc("session", "clear", "--all"))
        self.assertEqual(r.out, "Cleared all sessions: http://127.0.0.1:5000 (context, task), "
                                "http://b.example (credentials)\n")


# ============================================================================ 10. auth

class AuthCommandTests(HandlerTestCase):
    def test_set_show_clear_bearer(self):
        handler.SessionStore().load().update("http://a.example", "ctx", "task", task_state="completed")
        r = self.assertOk(self.run_cli("auth", "set", "--url", "http://A.example:80/", "--bearer-token", SECRET))
        self.assertEqual(r.out, "Stored bearer token for http://a.example: sk-l\u2026\n")
        entry = self.saved()["http://a.example"]
        self.assertEqual(entry["credentials"], {"auth_type": "bearer", "value": SECRET, "header_name": None})
        self.assertEqual((entry["context_id"], entry["task_id"]), ("ctx", "task"))
        r = self.assertOk(self.run_cli("auth", "show"))
        self.assertEqual(r.out, "http://a.example: bearer token sk-l\u2026\n")
        r = self.assertOk(self.run_cli("-o", "json", "auth", "show", "--url", "http://a.example"))
        self.assertEqual(json.loads(r.out), {"count": 1, "credentials": [
            {"agent_url": "http://a.example", "auth_type": "bearer", "header_name": None, "value": "sk-l\u2026"}]})
        r = self.assertOk(self.run_cli("auth", "clear", "--url", "http://a.example"))
        self.assertEqual(r.out, "Cleared credentials for http://a.example\n")
        entry = self.saved()["http://a.example"]
        self.assertIsNone(entry["credentials"])
        self.assertEqual((entry["context_id"], entry["task_id"]), ("ctx", "task"))
        self.assertEqual(self.assertOk(self.run_cli("auth", "show")).out, "No stored credentials\n")

    def test_set_api_key_with_and_without_header_name(self):
        self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--api-key", SECRET))
        self.assertOk(self.run_cli("auth", "set", "--url", "http://b", "--api-key", SECRET, "--header-name", "X-Custom-Key"))
        raw = self.saved()
        self.assertEqual(raw["http://a"]["credentials"], {"auth_type": "api_key", "value": SECRET, "header_name": None})
        self.assertEqual(raw["http://b"]["credentials"],
                         {"auth_type": "api_key", "value": SECRET, "header_name": "X-Custom-Key"})
        r = self.assertOk(self.run_cli("auth", "show"))
        self.assertEqual(r.out, "http://a: API key in header X-API-Key sk-l\u2026\n"
                                "http://b: API key in header X-Custom-Key sk-l\u2026\n")

    def test_value_from_stdin(self):
        r = self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--bearer-token", "-", stdin=SECRET + "\n"))
        self.assertNotIn(SECRET, r.out + r.err)
        self.assertEqual(self.saved()["http://a"]["credentials"]["value"], SECRET)
        self.assertOk(self.run_cli("auth", "set", "--url", "http://b", "--api-key", "-", stdin="key-from-stdin\n"))
        self.assertEqual(self.saved()["http://b"]["credentials"]["value"], "key-from-stdin")
        self.assertOk(self.run_proc("auth", "set", "--url", "http://c", "--bearer-token", "-", stdin=SECRET))
        self.assertEqual(self.saved()["http://c"]["credentials"]["value"], SECRET)
        self.assertError(self.run_cli("auth", "set", "--url", "http://d", "--bearer-token", "-", stdin=""), 2)

    def test_usage_errors(self):
        self.assertError(self.run_cli("auth", "set", "--url", "http://a"), 2)
        self.assertError(self.run_cli("auth", "set", "--url", "http://a", "--bearer-token", "x", "--api-key", "y"), 2)
        self.assertError(self.run_cli("auth", "set", "--bearer-token", "x"), 2, "HANDLER_URL")
        self.assertError(self.run_cli("auth", "clear"), 2)

    def test_short_secret_fully_masked(self):
        r = self.assertOk(self.run_cli("auth", "set", "--url", "http://a", "--bearer-token", "abc123"))
        self.assertNotIn("abc123", r.out)
        self.assertNotIn("abc123", self.run_cli("auth", "show").out)


class _AuthOnTheWire:
    def post_headers(self, agent, index=-1):
        return self.posts(agent)[index].headers

    def test_stored_credentials_are_sent(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", SECRET))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(self.post_headers(agent)["Authorization"], "Bearer " + SECRET)
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--api-key", SECRET))
        self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(self.post_headers(agent)["X-API-Key"], SECRET)
        self.assertIsNone(self.post_headers(agent).get("Authorization"))
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--api-key", SECRET, "--header-name", "X-Custom-Key"))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(self.post_headers(agent)["X-Custom-Key"], SECRET)
        self.assertIsNone(self.post_headers(agent).get("X-API-Key"))
        self.assertOk(self.run_cli("auth", "clear", "--url", url))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertIsNone(self.post_headers(agent).get("X-Custom-Key"))

    def test_precedence_flag_env_stored(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", "stored-token"))
        os.environ["HANDLER_BEARER_TOKEN"] = "env-token"
        self.assertOk(self.run_cli("message", "send", "--url", url, "--bearer-token", "flag-token", "hi"))
        self.assertEqual(self.post_headers(agent)["Authorization"], "Bearer flag-token")
        self.assertOk(self.run_cli("message", "send", "--url", url, "--api-key", "flag-key", "--api-key-header",
                                   "X-Flag", "hi"))
        self.assertEqual(self.post_headers(agent)["X-Flag"], "flag-key")
        self.assertIsNone(self.post_headers(agent).get("Authorization"))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(self.post_headers(agent)["Authorization"], "Bearer env-token")
        del os.environ["HANDLER_BEARER_TOKEN"]
        os.environ["HANDLER_API_KEY"] = "env-key"
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(self.post_headers(agent)["X-API-Key"], "env-key")
        self.assertIsNone(self.post_headers(agent).get("Authorization"))
        del os.environ["HANDLER_API_KEY"]
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(self.post_headers(agent)["Authorization"], "Bearer stored-token")
        # flags and the environment are for one call: nothing of them is stored
        self.assertEqual(self.saved()[url]["credentials"]["value"], "stored-token")

    def test_extra_headers(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "-H", "X-Trace: abc 1", "-H", "X-Other:2", "hi"))
        headers = self.post_headers(agent)
        self.assertEqual((headers["X-Trace"], headers["X-Other"]), ("abc 1", "2"))
        self.assertEqual(agent.received[0].headers["X-Trace"], "abc 1")    # the card request too
        self.assertError(self.run_cli("message", "send", "--url", url, "-H", "no colon", "hi"), 2, "invalid header")

    def test_credentials_not_sent_to_another_origin(self):
        other_url, other = self.agent()
        url, srv = self.scripted()
        srv.endpoint = other_url + "/"
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", SECRET))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "-H", "X-Auth-Token: " + SECRET,
                                       "-H", "X-Trace: kept", "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        headers = self.post_headers(other)
        self.assertIsNone(headers.get("Authorization"))
        self.assertIsNone(headers.get("X-Auth-Token"))
        self.assertEqual(headers.get("X-Trace"), "kept")
        lines = r.err.splitlines()
        self.assertEqual(len(lines), 1, r)
        self.assertTrue(lines[0].startswith("warning:"))
        self.assertIn("not sent", lines[0])
        self.assertIn(other_url, lines[0])
        self.assertIsNone(srv.requests[0].headers.get("Authorization"))   # the public card: none
        os.environ["HANDLER_API_KEY"] = SECRET
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertIsNone(self.post_headers(other).get("X-API-Key"))
        self.assertIn("not sent", r.err)
        del os.environ["HANDLER_API_KEY"]
        self.assertOk(self.run_cli("auth", "clear", "--url", url))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(r.err, "")          # nothing to hold back: no warning

    def test_credentials_dropped_on_a_redirect_to_another_origin(self):
        other_url, other = self.scripted()
        url, srv = self.scripted()
        srv.gets["/.well-known/agent-card.json"] = Reply(b"", 302, headers=[
            ("Location", other_url + "/.well-known/agent-card.json")])
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", SECRET))
        other.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: hi")))))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "-H", "X-Trace: kept", "hi"))
        self.assertEqual(r.out, "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        self.assertIsNone(srv.requests[0].headers.get("Authorization"))   # the public card: none
        self.assertEqual([q.method for q in other.requests], ["GET", "POST"])
        for req in other.requests:
            self.assertIsNone(req.headers.get("Authorization"), req.path)
            self.assertEqual(req.headers.get("X-Trace"), "kept")
        self.assertIn("not sent", r.err)

    def test_secret_never_printed(self):
        url, agent = self.agent()
        outputs = []

        def run(*argv, **kw):
            r = self.assertOk(self.run_cli(*argv, **kw))
            outputs.append(r)
            return r
        run("auth", "set", "--url", url, "--api-key", SECRET, "--header-name", "X-Custom-Key")
        run("-o", "json", "auth", "set", "--url", url, "--api-key", SECRET, "--header-name", "X-Custom-Key")
        run("auth", "show")
        run("-o", "json", "auth", "show", "--url", url)
        run("session", "list")
        run("-o", "json", "session", "list")
        run("session", "show", url)
        run("-o", "json", "session", "show", url)
        debug = [run("--debug", "message", "send", "--url", url, "hi"),
                 run("--debug", "message", "stream", "--url", url, "hi"),
                 run("--debug", "message", "send", "--url", url, "--bearer-token", SECRET, "hi"),
                 run("--debug", "message", "send", "--url", url, "--api-key", SECRET, "--api-key-header", "X-Plain",
                     "hi"),
                 run("--debug", "message", "send", "--url", url, "-H", "Authorization: Bearer " + SECRET, "hi")]
        os.environ["HANDLER_BEARER_TOKEN"] = SECRET
        debug.append(run("--debug", "-o", "json", "message", "send", "--url", url, "hi"))
        for r in outputs:
            self.assertNotIn(SECRET, r.out + r.err, r)
            self.assertNotIn(SECRET[4:], r.out + r.err, r)
        for r in debug:
            self.assertIn("[redacted]", r.err)
            self.assertIn("debug:", r.err)
        self.assertIn("X-Custom-Key: [redacted]", debug[0].err)
        card = run("--debug", "card", "get", "--url", url)   # the public card: no credentials
        self.assertNotIn("X-Custom-Key", card.err)
        self.assertIn("> GET", card.err)
        self.assertEqual(self.posts(agent)[0].headers["X-Custom-Key"], SECRET)   # it was sent, just not shown
        r = self.run_proc("--debug", "message", "send", "--url", url, "hi")
        self.assertOk(r)
        self.assertNotIn(SECRET, r.out + r.err)


versioned(_AuthOnTheWire, (("1.0",), ("0.3",)))


# ============================================================================ 11. server agent

class _ServerAgent:
    TOKEN = "agent-token-0123456789"

    def test_bearer_token_required(self):
        url, agent = self.agent(token=self.TOKEN)
        r = self.run_cli("message", "send", "--url", url, "hi")
        line = self.assertError(r, 4, "requires authentication", "auth set")
        self.assertIn("401", line)
        err = self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"),
                                   "A2ACLI_ERR_CREDENTIALS_MISSING", 4)
        self.assertIn("auth set", err["hint"])
        self.assertError(self.run_cli("message", "send", "--url", url, "--bearer-token", "-", "hi",
                                      stdin="wrong-token\n"), 4, "rejected")
        self.assertError(self.run_cli("message", "stream", "--url", url, "hi"), 4)
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--bearer-token", self.TOKEN, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"))
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", "-", stdin=self.TOKEN))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(self.ids(r)[2], "completed")
        r = self.assertOk(self.run_cli("card", "get", "--url", url))
        self.assertIn("Security: bearer", r.out)

    def test_server_agent_subprocess(self):
        protocol = "both" if len(self.VERSIONS) == 2 else self.VERSIONS[0]
        proc = self.popen([*PYTHON, HANDLER_PATH, "server", "agent", "--port", "0", "--protocol", protocol],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lines = queue.Queue()

        def drain():
            for raw in iter(proc.stderr.readline, b""):
                lines.put(raw.decode("utf-8", "replace"))
            lines.put(None)
        threading.Thread(target=drain, daemon=True).start()
        first = lines.get(timeout=15)
        self.assertIsNotNone(first, "the agent exited")
        match = re.search(r" on http://127\.0\.0\.1:(\d+) ", first)
        self.assertTrue(match, first)
        url = "http://127.0.0.1:" + match.group(1)
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hello"))
        self.assertTrue(r.out.startswith("Echo: hello\nTask ID: "), r)
        r = self.assertOk(self.run_proc("card", "get", "--url", url))
        self.assertIn("Interface: JSON-RPC, A2A %s, %s/" % (self.V, url), r.out.splitlines())
        os.kill(proc.pid, signal.SIGINT)
        self.assertEqual(proc.wait(15), 0)
        rest = []
        while True:
            line = lines.get(timeout=15)
            if line is None:
                break
            rest.append(line)
        self.assertNotIn("Traceback", first + "".join(rest))

    def test_server_agent_port_in_use(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        self.addCleanup(sock.close)
        r = self.run_proc("server", "agent", "--port", sock.getsockname()[1], timeout=15)
        self.assertError(r, 1, "cannot listen")


versioned(_ServerAgent)


def agent_http(url, method, path, body=None, headers=()):
    """One raw request to the built-in agent: (status, headers, the body as JSON or None)."""
    import http.client
    from urllib.parse import urlsplit
    conn = http.client.HTTPConnection("127.0.0.1", urlsplit(url).port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode("utf-8")
        conn.request(method, path, data, {"Content-Type": "application/json", **dict(headers)})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, resp.headers, json.loads(raw) if raw else None
    finally:
        conn.close()


ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"


class _AgentRaw:
    """Raw JSON-RPC and HTTP+JSON requests to the built-in agent in this class's version."""

    def rpc(self, url, method, params, rid=7, path="/"):
        headers = {"A2A-Version": "1.0"} if self.V == "1.0" else {}
        body = {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}
        status, _, reply = agent_http(url, "POST", path, body, headers)
        self.assertEqual(status, 200, reply)
        return reply

    def rest(self, url, method, path, body=None, version=True):
        headers = {"A2A-Version": "1.0"} if version else {}
        return agent_http(url, method, "/rest" + path, body, headers)

    def m(self, op):
        return handler.OPS[op][0 if self.V == "1.0" else 1]

    def message(self, text="hi", **fields):
        msg = {"messageId": "m-" + text, "role": "ROLE_USER" if self.V == "1.0" else "user",
               "parts": [wtext(self.V, text)], **fields}
        if self.V == "0.3":
            msg["kind"] = "message"
        return {k: v for k, v in msg.items() if v is not None}

    def send(self, url, text="hi"):
        reply = self.rpc(url, self.m("send"), {"message": self.message(text)})
        return reply["result"]["task"] if self.V == "1.0" else reply["result"]

    def assertDetails(self, error, reason, fields=()):
        """error.data (JSON-RPC) or error.details (HTTP+JSON): an ErrorInfo with the reason, and
        a BadRequest naming exactly these fields."""
        details = error.get("data", error.get("details"))
        info = {"@type": ERROR_INFO, "reason": reason, "domain": "a2a-protocol.org"}
        self.assertEqual(details[0], info, error)
        named = [v["field"] for d in details[1:] if d["@type"] == BAD_REQUEST
                 for v in d["fieldViolations"]]
        self.assertEqual(named, list(fields), error)

    def push_params(self, task_id, config_id=None):
        if self.V == "1.0":
            return {"taskId": task_id, "id": config_id}
        return {"id": task_id, "pushNotificationConfigId": config_id}


class _AgentConformance(_AgentRaw):
    """What the conformance kit checks of `server agent`, over JSON-RPC in each version (and
    HTTP+JSON for 1.0)."""

    def test_a_message_without_role_is_invalid_params(self):
        url, server = self.agent()
        error = self.rpc(url, self.m("send"), {"message": self.message(role=None)})["error"]
        self.assertEqual(error["code"], -32602, error)
        self.assertIn("role", error["message"])
        self.assertDetails(error, "INVALID_PARAMS", ["message.role"])
        error = self.rpc(url, self.m("stream"), {"message": self.message(role=None)})["error"]
        self.assertEqual(error["code"], -32602, error)
        self.assertEqual(server.agent.tasks, {})    # nothing was started
        if self.V == "1.0":
            body = {"message": self.message(role=None)}
            status, _, body = self.rest(url, "POST", "/message:send", body)
            self.assertEqual((status, body["error"]["status"]), (400, "INVALID_ARGUMENT"), body)
            self.assertDetails(body["error"], "INVALID_PARAMS", ["message.role"])
        self.assertEqual(self.send(url)["status"]["state"], wstate(self.V, "completed"))

    def test_unknown_message_fields_are_ignored_and_never_echoed(self):
        url, server = self.agent()
        msg = self.message("hi", junk={"nested": 1}, metadata={"kept": True})
        data = {"data": {"a": 1}, "junk": 3, **({"kind": "data"} if self.V == "0.3" else {})}
        msg["parts"] = [dict(msg["parts"][0], junk=2), data]
        task = self.rpc(url, self.m("send"), {"message": msg})["result"]
        task = task["task"] if self.V == "1.0" else task
        got = self.rpc(url, self.m("get"), {"id": task["id"]})["result"]
        for seen in (task, got):
            self.assertNotIn("junk", json.dumps(seen))
            self.assertEqual(seen["history"][0]["metadata"], {"kept": True})
            self.assertEqual(seen["artifacts"][0]["parts"][-1]["data"], {"a": 1})
        if self.V == "1.0":
            listed = self.rpc(url, "ListTasks", {"includeArtifacts": True})["result"]["tasks"]
            self.assertEqual(len(listed), 1)
            self.assertNotIn("junk", json.dumps(listed))
            status, _, body = self.rest(url, "GET", "/tasks/%s" % task["id"])
            self.assertNotIn("junk", json.dumps(body))

    def test_an_id_that_is_not_a_string_number_or_null_is_invalid_request(self):
        url, _ = self.agent()
        for rid in ({"a": 1}, [1], True):
            reply = self.rpc(url, self.m("get"), {"id": "x"}, rid=rid)
            self.assertEqual((reply["id"], reply["error"]["code"]), (None, -32600), reply)
            self.assertDetails(reply["error"], "INVALID_REQUEST")
        for rid in ("s-1", 3, 2.5, None):   # the ids JSON-RPC 2.0 allows come back as they are
            reply = self.rpc(url, self.m("get"), {"id": "x"}, rid=rid)
            self.assertEqual((reply["id"], reply["error"]["code"]), (rid, -32001), reply)

    def test_errors_carry_an_error_info(self):
        url, _ = self.agent()
        error = self.rpc(url, self.m("get"), {"id": "no-such-task"})["error"]
        self.assertEqual(error["code"], -32001)
        self.assertDetails(error, "TASK_NOT_FOUND")
        self.assertDetails(self.rpc(url, "no/such/method", {})["error"], "METHOD_NOT_FOUND")
        task = self.send(url)
        error = self.rpc(url, self.m("cancel"), {"id": task["id"]})["error"]
        self.assertDetails(error, "TASK_NOT_CANCELABLE")

    def test_deleting_a_push_config_twice_succeeds(self):
        url, _ = self.agent()
        task = self.send(url)
        config = {"id": "cfg-1", "url": "http://127.0.0.1:9/hook"}
        params = {"taskId": task["id"], **config} if self.V == "1.0" \
            else {"taskId": task["id"], "pushNotificationConfig": config}
        self.assertNotIn("error", self.rpc(url, self.m("push_set"), params))
        for _ in range(2):   # spec 3.1.10: idempotent
            reply = self.rpc(url, self.m("push_delete"), self.push_params(task["id"], "cfg-1"))
            self.assertEqual(reply.get("result", "none"), {} if self.V == "1.0" else None, reply)
        params = {"taskId": task["id"]} if self.V == "1.0" else {"id": task["id"]}
        listed = self.rpc(url, self.m("push_list"), params)["result"]
        self.assertEqual(listed, {"configs": []} if self.V == "1.0" else [])
        reply = self.rpc(url, self.m("push_delete"), self.push_params("no-such-task", "cfg-1"))
        self.assertEqual(reply["error"]["code"], -32001)
        if self.V == "1.0":
            path = "/tasks/%s/pushNotificationConfigs/cfg-1" % task["id"]
            self.assertEqual(self.rest(url, "DELETE", path)[::2], (200, {}))
            self.assertEqual(self.rest(url, "DELETE", path)[::2], (200, {}))
            status, _, body = self.rest(url, "DELETE", path.replace(task["id"], "no-such-task"))
            self.assertEqual(status, 404)
            self.assertDetails(body["error"], "TASK_NOT_FOUND")

    def test_the_card_has_an_etag_and_cache_control(self):
        url, _ = self.agent()
        for path in handler.CARD_PATHS:
            status, headers, card = agent_http(url, "GET", path)
            self.assertEqual(status, 200)
            tag = headers["ETag"]
            self.assertRegex(tag, r'^"[0-9a-f]{16,}"$')
            self.assertRegex(headers["Cache-Control"], r"max-age=\d+")
            for match in (tag, "W/" + tag, '"other", ' + tag, "*"):
                status, again, body = agent_http(url, "GET", path, headers={"If-None-Match": match})
                self.assertEqual((status, body, again["ETag"]), (304, None, tag), match)
                self.assertEqual(again["Cache-Control"], headers["Cache-Control"])
            status, _, body = agent_http(url, "GET", path, headers={"If-None-Match": '"other"'})
            self.assertEqual((status, body), (200, card))
        _, headers, _ = agent_http(url, "GET", handler.CARD_PATHS[0], headers={"Host": "a.test"})
        self.assertNotEqual(headers["ETag"], tag)   # another card (its URLs), another tag


versioned(_AgentConformance, (("1.0",), ("0.3",)))


class AgentPushGetV03Tests(_AgentRaw, HandlerTestCase):
    """0.3 `tasks/pushNotificationConfig/get`: pushNotificationConfigId is optional (0.3 types.ts
    GetTaskPushNotificationConfigParams); without it the task's first config, as the 0.3 SDK."""
    VERSIONS = ("0.3",)

    def test_push_config_get_without_a_config_id(self):
        url, _ = self.agent()
        task = self.send(url)
        get = "tasks/pushNotificationConfig/get"
        reply = self.rpc(url, get, {"id": task["id"]})
        self.assertEqual(reply["error"]["code"], -32001)   # the task has no config yet
        for cid in ("cfg-1", "cfg-2"):
            config = {"id": cid, "url": "http://127.0.0.1:9/" + cid, "token": "t-" + cid}
            params = {"taskId": task["id"], "pushNotificationConfig": config}
            self.assertNotIn("error", self.rpc(url, "tasks/pushNotificationConfig/set", params))
        first = {"id": "cfg-1", "url": "http://127.0.0.1:9/cfg-1", "token": "t-cfg-1"}
        reply = self.rpc(url, get, {"id": task["id"]})
        self.assertEqual(reply["result"], {"taskId": task["id"], "pushNotificationConfig": first})
        reply = self.rpc(url, get, {"id": task["id"], "pushNotificationConfigId": "cfg-2"})
        self.assertEqual(reply["result"]["pushNotificationConfig"]["id"], "cfg-2")
        self.assertEqual(self.rpc(url, get, {"id": "no-such-task"})["error"]["code"], -32001)


class AgentListTasksTests(_AgentRaw, HandlerTestCase):
    """ListTasks on the built-in agent (1.0, JSON-RPC and HTTP+JSON): every parameter validated,
    statusTimestampAfter honoured, the most recently updated task first (spec 3.1.4, 6.5)."""
    VERSIONS = ("1.0",)

    def test_invalid_parameters_are_named_in_one_invalid_params_error(self):
        url, _ = self.agent()
        self.send(url)
        spec_example = {"pageSize": 150, "historyLength": -5, "status": "TASK_STATE_RUNNING"}
        cases = [({"pageSize": 0}, ["pageSize"]), ({"pageSize": 101}, ["pageSize"]),
                 ({"pageSize": -1}, ["pageSize"]), ({"pageSize": "10"}, ["pageSize"]),
                 ({"historyLength": -1}, ["historyLength"]), ({"status": "INVALID"}, ["status"]),
                 ({"statusTimestampAfter": "-1"}, ["statusTimestampAfter"]),
                 ({"statusTimestampAfter": "2025-13-01T00:00:00Z"}, ["statusTimestampAfter"]),
                 ({"pageToken": "invalid-token-xyz"}, ["pageToken"]),
                 (spec_example, ["pageSize", "historyLength", "status"])]
        for params, fields in cases:
            error = self.rpc(url, "ListTasks", params)["error"]
            self.assertEqual(error["code"], -32602, params)
            self.assertDetails(error, "INVALID_PARAMS", fields)
        query = "/tasks?pageSize=150&historyLength=-5&status=TASK_STATE_RUNNING"
        status, _, body = self.rest(url, "GET", query)
        error = body["error"]
        self.assertEqual((status, error["code"], error["status"]), (400, 400, "INVALID_ARGUMENT"))
        self.assertDetails(error, "INVALID_PARAMS", ["pageSize", "historyLength", "status"])
        self.assertIn("TASK_STATE_RUNNING", error["message"])
        for good in ({"pageSize": 1}, {"pageSize": 100}, {"historyLength": 0},
                     {"status": "TASK_STATE_COMPLETED"},
                     {"statusTimestampAfter": "2020-01-01T00:00:00Z"}):
            self.assertEqual(self.rpc(url, "ListTasks", good)["result"]["totalSize"], 1, good)

    def test_status_timestamp_after_and_the_order(self):
        url, server = self.agent()
        old, new = self.send(url, "old"), self.send(url, "new")
        server.agent.tasks[old["id"]]["status"]["timestamp"] = "2020-01-01T00:00:00.000Z"

        def listed(query=None, **params):
            if query is not None:
                status, _, body = self.rest(url, "GET", "/tasks?" + query)
                self.assertEqual(status, 200, body)
                return [t["id"] for t in body["tasks"]]
            return [t["id"] for t in self.rpc(url, "ListTasks", params)["result"]["tasks"]]
        both, newer = [new["id"], old["id"]], [new["id"]]
        self.assertEqual(listed(), both)
        for after, expected in (("2020-01-01T00:00:00Z", both), ("2020-01-01T00:00:00.001Z", newer),
                                ("2020-01-01T01:00:00+01:00", both),
                                ("2019-12-31T23:59:59.999-00:00", both),
                                ("2020-01-01T00:00:00.000001+00:00", newer),
                                ("2999-01-01T00:00:00Z", [])):
            self.assertEqual(listed(statusTimestampAfter=after), expected, after)
        self.assertEqual(listed("statusTimestampAfter=2020-06-01T00%3A00%3A00Z"), newer)
        server.agent.tasks[new["id"]]["status"]["timestamp"] = "2019-01-01T00:00:00.000Z"
        self.assertEqual(listed(), [old["id"], new["id"]])   # by status time, not by creation
        stamp = self.send(url, "third")["status"]["timestamp"]
        self.assertRegex(stamp, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")   # spec 5.6.1

    def test_a2a_version_as_a_query_parameter(self):
        url, _ = self.agent()
        body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage",
                "params": {"message": self.message()}}
        status, _, reply = agent_http(url, "POST", "/?A2A-Version=1.0", body)
        self.assertEqual(reply["result"]["task"]["status"]["state"], "TASK_STATE_COMPLETED", reply)
        status, _, reply = agent_http(url, "POST", "/", body)
        self.assertEqual(reply["error"]["code"], -32009)    # neither header nor parameter: 0.3
        self.assertDetails(reply["error"], "VERSION_NOT_SUPPORTED")
        status, _, reply = self.rest(url, "GET", "/tasks?A2A-Version=1.0&pageSize=5", version=False)
        self.assertEqual((status, reply["totalSize"], reply["pageSize"]), (200, 1, 5), reply)
        tid = reply["tasks"][0]["id"]
        status, _, reply = self.rest(url, "GET", "/tasks/%s?A2A-Version=1.0" % tid, version=False)
        self.assertEqual((status, reply["id"]), (200, tid))
        status, _, reply = self.rest(url, "GET", "/tasks/%s" % tid, version=False)
        self.assertEqual(status, 400)
        self.assertDetails(reply["error"], "VERSION_NOT_SUPPORTED")

    def test_push_config_get_and_delete_need_a_config_id_in_1_0(self):
        url, _ = self.agent()
        task = self.send(url)
        config = {"taskId": task["id"], "url": "http://127.0.0.1:9/h"}
        self.assertNotIn("error", self.rpc(url, "CreateTaskPushNotificationConfig", config))
        for method in ("GetTaskPushNotificationConfig", "DeleteTaskPushNotificationConfig"):
            error = self.rpc(url, method, {"taskId": task["id"]})["error"]
            self.assertEqual(error["code"], -32602, method)
            self.assertDetails(error, "INVALID_PARAMS", ["id"])


class _BuiltinAgentRpc:
    """The built-in agent's own JSON-RPC surface: get and cancel besides send, in both versions."""

    def call(self, url, method, params, version=None, headers=None):
        import http.client
        version = version or self.V
        conn = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=10)
        self.addCleanup(conn.close)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if version == "1.0":
            all_headers["A2A-Version"] = "1.0"
        body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
        conn.request("POST", "/", json.dumps(body), all_headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("WWW-Authenticate"), json.loads(resp.read())

    def method(self, op):
        return dict(send=("SendMessage", "message/send"), get=("GetTask", "tasks/get"),
                    cancel=("CancelTask", "tasks/cancel"))[op][0 if self.V == "1.0" else 1]

    def message(self, text):
        msg = {"messageId": "m-%s" % text, "role": "ROLE_USER" if self.V == "1.0" else "user",
               "parts": [wtext(self.V, text)]}
        if self.V == "0.3":
            msg["kind"] = "message"
        return msg

    def send(self, url, text, later=False):
        config = ({"returnImmediately": True} if self.V == "1.0" else {"blocking": False}) if later else {}
        status, _, reply = self.call(url, self.method("send"), {"message": self.message(text), "configuration": config})
        self.assertEqual((status, reply["id"]), (200, 7), reply)
        return reply["result"]["task"] if self.V == "1.0" else reply["result"]

    def test_send_get_cancel(self):
        url, agent = self.agent()
        task = self.send(url, "hi")
        self.assertEqual(task["status"]["state"], wstate(self.V, "completed"))
        self.assertEqual(task.get("kind"), "task" if self.V == "0.3" else None)
        self.assertEqual(task["artifacts"][0]["parts"], [wtext(self.V, "Echo: "), wtext(self.V, "hi")])
        _, _, got = self.call(url, self.method("get"), {"id": task["id"], "historyLength": 0})
        self.assertEqual(got["result"]["id"], task["id"])
        self.assertEqual(got["result"]["history"], [])
        _, _, reply = self.call(url, self.method("cancel"), {"id": task["id"]})
        self.assertEqual(reply["error"]["code"], -32002)
        self.gate(agent)                                  # the slow task stays running
        slow = self.send(url, "slow a b c", later=True)
        self.assertIn(slow["status"]["state"], (wstate(self.V, "submitted"), wstate(self.V, "working")))
        _, _, reply = self.call(url, self.method("cancel"), {"id": slow["id"]})
        self.assertEqual(reply["result"]["status"]["state"], wstate(self.V, "canceled"))
        _, _, reply = self.call(url, self.method("get"), {"id": "nope"})
        self.assertEqual(reply["error"]["code"], -32001)

    def test_version_rules(self):
        url, agent = self.agent()
        if self.V == "1.0":
            _, _, reply = self.call(url, "SendMessage", {"message": self.message("hi")}, version="0.3")
            self.assertEqual(reply["error"]["code"], -32009)      # a 1.x method without A2A-Version
        if len(self.VERSIONS) == 1:
            other = "0.3" if self.V == "1.0" else "1.0"
            method = "message/send" if other == "0.3" else "SendMessage"
            _, _, reply = self.call(url, method, {"message": self.message("hi")}, version=other)
            self.assertEqual(reply["error"]["code"], -32601)

    def test_bearer_token_on_the_wire(self):
        url, agent = self.agent(token="tok-123")
        status, challenge, reply = self.call(url, self.method("get"), {"id": "x"})
        self.assertEqual(status, 401)
        self.assertIn("Bearer", challenge)
        status, _, reply = self.call(url, self.method("get"), {"id": "x"}, headers={"Authorization": "Bearer tok-123"})
        self.assertEqual((status, reply["error"]["code"]), (200, -32001))


versioned(_BuiltinAgentRpc)


# ============================================================================ 12. misbehaving agents

def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class _Misbehaving:
    """Scripted agents that misbehave; retries and polls wait in fake time (self.clock)."""

    def setUp(self):
        super().setUp()
        self.clock = self.fake_clock()

    def send(self, srv, url, reply, *extra):
        srv.posts.append(reply)
        return self.run_cli("message", "send", "--url", url, *extra, "hi")

    def test_html_502(self):
        url, srv = self.scripted()
        page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>"
        line = self.assertError(self.send(srv, url, Reply(page, 502, "text/html")), 3, "502")
        self.assertNotIn("<", line)
        srv.gets["/.well-known/agent-card.json"] = Reply(page, 502, "text/html")
        self.assertError(self.run_cli("card", "get", "--url", url), 3, "502")
        self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"),
                             "A2ACLI_ERR_UNREACHABLE", 3)

    def test_invalid_json_on_200(self):
        url, srv = self.scripted()
        self.assertError(self.send(srv, url, Reply(b"{this is not json")), 1, "not JSON")
        self.assertError(self.send(srv, url, Reply(b"\xff\xfe garbage", ctype="text/plain")), 1, "not JSON")
        self.assertError(self.send(srv, url, Reply(b'{"id": 1, "result": {}}')), 1, "JSON-RPC")

    def test_jsonrpc_error(self):
        url, srv = self.scripted()
        line = self.assertError(self.send(srv, url, Reply(rpc_error(-32001, "task t-404 not found"))), 1,
                                "TaskNotFoundError", "task t-404 not found")
        srv.posts.append(Reply(rpc_error(-32001, "task t-404 not found")))
        r = self.run_cli("-o", "json", "message", "send", "--url", url, "hi")
        err = self.assertJsonError(r, "TaskNotFoundError", 1)
        self.assertEqual(err["a2aCode"], -32001)
        self.assertIn("task t-404 not found", err["message"])
        self.assertIn("hint", err)
        self.assertError(self.send(srv, url, Reply(rpc_error(-32601, "no such method"))), 1, "MethodNotFoundError")

    def test_wrong_id_and_neither_result_nor_error(self):
        url, srv = self.scripted()
        self.assertError(self.send(srv, url, Reply(rpc(wsend(self.V, wtask(self.V, "completed")), rid=999))),
                         1, "id of another request")
        self.assertError(self.send(srv, url, Reply(lambda req: json.dumps(
            {"jsonrpc": "2.0", "id": req.json["id"]}).encode())), 1, "neither result nor error")
        self.assertError(self.send(srv, url, Reply(rpc({"weird": True}))), 1)
        self.assertError(self.send(srv, url, Reply(rpc(["not", "an", "object"]))), 1)

    def test_connection_refused(self):
        url = "http://127.0.0.1:%d" % closed_port()
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "refused")
        self.assertError(self.run_cli("card", "get", "--url", url), 3, "refused")
        self.assertJsonError(self.run_cli("-o", "json", "message", "stream", "--url", url, "hi"),
                             "A2ACLI_ERR_UNREACHABLE", 3)
        os.environ["HANDLER_RETRIES"] = "0"        # a real process: refused at once, no retries
        r = self.run_proc("message", "send", "--url", url, "hi")
        self.assertError(r, 3, "refused")

    def test_never_answers(self):
        url, srv = self.scripted()
        start = time.monotonic()
        r = self.send(srv, url, Reply(hang=True), "--timeout", "0.3")
        self.assertLess(time.monotonic() - start, 4)
        self.assertError(r, 5, "0.3 s")
        srv.gets["/.well-known/agent-card.json"] = Reply(hang=True)
        start = time.monotonic()
        r = self.run_cli("-o", "json", "card", "get", "--url", url, "--timeout", "0.3")
        self.assertLess(time.monotonic() - start, 4)
        self.assertJsonError(r, "A2ACLI_ERR_TIMEOUT", 5)

    def test_tls_to_a_plain_http_agent(self):
        url, srv = self.scripted()
        r = self.run_cli("card", "get", "--url", url.replace("http://", "https://"))
        self.assertError(r, 3, "TLS")

    def test_proxy_from_the_environment(self):
        proxy_url, proxy = self.scripted()
        for name in ("NO_PROXY", "no_proxy"):
            del os.environ[name]
        os.environ["http_proxy"] = os.environ["HTTP_PROXY"] = proxy_url
        proxy.gets["http://agent.invalid/.well-known/agent-card.json"] = Reply(
            json.dumps(wcard(self.V, "http://agent.invalid/rpc")).encode())
        proxy.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "via proxy")))))
        r = self.assertOk(self.run_proc("message", "send", "--url", "http://agent.invalid", "hi"))
        self.assertTrue(r.out.startswith("via proxy\n"), r)
        self.assertEqual([q.path for q in proxy.requests],
                         ["http://agent.invalid/.well-known/agent-card.json", "http://agent.invalid/rpc"])

    def test_closes_without_answering(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(pieces=[], ctype="application/json", chunked=True, cut=True))
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 1)

    def test_401_and_403(self):
        url, srv = self.scripted()
        self.assertError(self.send(srv, url, Reply(b'{"error": "unauthorized"}', 401)), 4, "401", "auth set")
        os.environ["HANDLER_BEARER_TOKEN"] = "x"   # not on the command line, which warns
        self.assertError(self.send(srv, url, Reply(b"forbidden", 403, "text/plain")), 4, "403", "rejected")
        del os.environ["HANDLER_BEARER_TOKEN"]
        srv.posts.append(Reply(b'{"error": "unauthorized"}', 401))
        self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"),
                             "A2ACLI_ERR_CREDENTIALS_MISSING", 4)
        srv.gets["/.well-known/agent-card.json"] = Reply(b"no", 401, "text/plain")
        self.assertError(self.run_cli("card", "get", "--url", url), 4, "401")

    def test_blocking_send_polls_until_done(self):
        url, srv = self.scripted()
        srv.posts += [Reply(rpc(wsend(self.V, wtask(self.V, "working")))),
                      Reply(rpc(wtask(self.V, "working"))),
                      Reply(rpc(wtask(self.V, "completed", "Echo: hi")))]
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(r.out, "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        bodies = srv.post_bodies()
        get = "GetTask" if self.V == "1.0" else "tasks/get"
        self.assertEqual([b["method"] for b in bodies],
                         ["SendMessage" if self.V == "1.0" else "message/send", get, get])
        self.assertEqual(bodies[1]["params"]["id"], "t-1")
        self.assertEqual(len({b["id"] for b in bodies}), 3)
        for req in srv.requests[1:]:
            self.assertEqual(req.headers.get("A2A-Version"), "1.0" if self.V == "1.0" else None)
        self.assertEqual(self.saved()[url]["task_state"], "completed")

    def test_poll_gives_up_at_timeout(self):
        url, srv = self.scripted()
        srv.posts += [Reply(rpc(wsend(self.V, wtask(self.V, "working"))))] + \
            [Reply(rpc(wtask(self.V, "working"))) for _ in range(20)]
        start = self.clock.monotonic()   # fake time: the requests' real time and every wait
        r = self.run_cli("message", "send", "--url", url, "--timeout", "1", "hi")
        self.assertLess(self.clock.monotonic() - start, 4)
        self.assertError(r, 5, "t-1")
        self.assertEqual(self.saved()[url]["task_id"], "t-1")

    def test_message_result_and_failed_task(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wsend(self.V, wmessage(self.V, "a direct reply", ctx="c-5")))))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(r.out, "a direct reply\nContext ID: c-5\n")
        self.assertEqual(self.saved()[url]["context_id"], "c-5")
        srv.posts.append(Reply(rpc(wsend(self.V, wmessage(self.V, "x")))))
        r = self.assertOk(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"))
        self.assertEqual(list(json.loads(r.out)), ["message"])
        self.assertEqual(json.loads(r.out)["message"]["role"], "ROLE_AGENT")
        for state in ("failed", "rejected", "canceled"):
            with self.subTest(state=state):
                srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, state)))))
                r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
                self.assertEqual(self.ids(r)[2], state)
                self.assertTrue(r.err.startswith("warning:") and state in r.err, r)

    def test_small_answers_take_little_memory(self):
        """Reading a 1 KiB answer must not reserve the 64 MiB body limit up front (the peak-memory
        budget is 25 MiB), with or without a Content-Length."""
        try:
            import tracemalloc
            tracemalloc.get_traced_memory()
        except (ImportError, AttributeError, NotImplementedError):   # PyPy has no tracemalloc
            self.skipTest("tracemalloc is not available on this Python")
        url, srv = self.scripted()
        task = wsend(self.V, wtask(self.V, "completed", "Echo: hi"))
        srv.posts += [Reply(rpc(task)), Reply(pieces=lambda req: [rpc(task)(req)], chunked=True)]
        for framing in ("content-length", "chunked"):
            with self.subTest(framing=framing):
                tracemalloc.start()
                self.addCleanup(tracemalloc.stop)
                r = self.assertOk(self.run_cli("message", "send", "--url", url, "--no-session", "hi"))
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                self.assertEqual(self.ids(r)[2], "completed")
                self.assertLess(peak, 16 * 1024 * 1024)

    def test_misbehaviour_in_a_subprocess(self):
        url, srv = self.scripted()
        srv.posts += [Reply(b"<html>502</html>", 502, "text/html"), Reply(b"nope"),
                      Reply(rpc_error(-32001, "gone"))]
        for code in (3, 1, 1):
            r = self.run_proc("message", "send", "--url", url, "hi")
            self.assertError(r, code)
        self.assertIn("TaskNotFoundError", r.err)


versioned(_Misbehaving, (("1.0",), ("0.3",)))


# ============================================================================ 13. exit codes and output contract

class CommandLineTests(HandlerTestCase):
    def test_help_and_version(self):
        for argv in (["--help"], ["message", "send", "--help"], ["session", "--help"], ["auth", "set", "-h"]):
            with self.subTest(argv=argv):
                r = self.assertOk(self.run_cli(*argv))
                self.assertIn("usage:", r.out)
        r = self.assertOk(self.run_cli("--version"))
        self.assertTrue(r.out.startswith("handler %s" % handler.VERSION), r)
        r = self.assertOk(self.run_proc("--version"))
        self.assertTrue(r.out.startswith("handler %s" % handler.VERSION), r)
        r = self.assertOk(self.run_proc("--help"))
        self.assertIn("message", r.out)

    def test_usage_errors_exit_2_with_one_line(self):
        for argv in ([], ["bogus"], ["message"], ["message", "send", "--bogus", "x"], ["--timeout", "0", "session", "list"],
                     ["--timeout", "abc", "session", "list"], ["-o", "yaml", "session", "list"],
                     ["message", "send", "--url", "http://a", "--new", "--context-id", "c", "hi"],
                     ["message", "send", "--url", "http://a", "--bearer-token", "t", "--api-key", "k", "hi"]):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv), 2)

    def test_usage_error_json_envelope(self):
        for argv in (["-o", "json", "bogus"], ["message", "send", "-o", "json"], ["-o", "json", "session", "clear"]):
            with self.subTest(argv=argv):
                err = self.assertJsonError(self.run_cli(*argv), "A2ACLI_ERR_USAGE", 2)
                self.assertIsNone(err["a2aCode"])

    def test_usage_error_in_a_subprocess(self):
        r = self.run_proc("message", "send", "--stream", "--async", "--url", "http://127.0.0.1:1", "hi")
        self.assertError(r, 2, "--stream cannot be combined with --async")
        self.assertEqual(r.out, "")

    def to_closed_pipe(self, argv):
        read_end, write_end = os.pipe()
        os.close(read_end)                    # the reader is gone before the first write
        try:
            p = subprocess.run([*PYTHON, HANDLER_PATH] + argv, stdin=subprocess.DEVNULL,
                               stdout=write_end, stderr=subprocess.PIPE, timeout=30, env=dict(os.environ))
        finally:
            os.close(write_end)
        return p.returncode, p.stderr

    def test_broken_pipe_exits_quietly(self):
        # small outputs (still in stdout's buffer when the command returns), then large ones
        for argv in (["session", "list"], ["-o", "json", "session", "list"], ["--version"], ["--help"]):
            with self.subTest(argv=argv, size="small"):
                self.assertEqual(self.to_closed_pipe(argv), (0, b""))
        store = handler.SessionStore().load()
        for i in range(300):
            store.update("http://agent-%d.example" % i, "ctx-%d" % i, "task-%d" % i)
        for argv in (["session", "list"], ["-o", "json", "session", "list"]):
            with self.subTest(argv=argv, size="large"):
                self.assertEqual(self.to_closed_pipe(argv), (0, b""))
        # and like `| head -1`: the reader takes one line and goes away
        proc = self.popen([*PYTHON, HANDLER_PATH, "session", "list"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertEqual(proc.stdout.readline(), b"Saved Sessions (300)\n")
        proc.stdout.close()
        err = proc.stderr.read()
        self.assertEqual((proc.wait(30), err), (0, b""))

    def test_interrupt_exits_130(self):
        for version in ("1.0", "0.3"):
            with self.subTest(version=version):
                url, srv = self.scripted(version)
                srv.posts.append(Reply(hang=True))
                proc = self.popen([*PYTHON, HANDLER_PATH, "message", "send", "--url", url, "hi"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.assertTrue(srv.posted.wait(15), "the request never arrived")
                os.kill(proc.pid, signal.SIGINT)
                out, err = proc.communicate(timeout=15)
                self.assertEqual(proc.returncode, 130, err)
                self.assertNotIn(b"Traceback", err)
                self.assertEqual(out, b"")

    def test_interrupt_during_a_stream_exits_130(self):
        url, srv = self.scripted("1.0")
        srv.posts.append(sse_reply(sse(wevents("1.0")), pause_after=2))
        proc = self.popen([*PYTHON, HANDLER_PATH, "message", "stream", "--url", url, "hi"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        read_until(proc.stdout, lambda b: b"Echo: " in b, 15)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 130, err)
        self.assertNotIn(b"Traceback", err)
        self.assertEqual(self.saved()[url]["task_state"], "working")   # saved before the interrupt

    def test_errors_go_to_stderr_results_to_stdout(self):
        url = "http://127.0.0.1:%d" % closed_port()
        self.fake_clock()                           # the retries wait in fake time
        r = self.run_cli("message", "send", "--url", url, "hi")
        self.assertEqual(r.out, "")
        self.assertError(r, 3)
        r = self.run_cli("-o", "json", "message", "send", "--url", url, "hi")
        self.assertJsonError(r, "A2ACLI_ERR_UNREACHABLE", 3)
        self.assertTrue(r.err.startswith("Error: "), r)

    def run_on_a_terminal(self, argv, stream="stderr"):
        """Run handler.py with stderr (or stdin) on a pseudo-terminal; return (code, stdout, terminal text)."""
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        try:
            kw = {"stderr": slave} if stream == "stderr" else {"stdin": slave, "stderr": subprocess.PIPE}
            p = subprocess.run([*PYTHON, HANDLER_PATH] + argv, stdout=subprocess.PIPE, timeout=30,
                               env=dict(os.environ), **({"stdin": subprocess.DEVNULL} if stream == "stderr" else {}),
                               **kw)
        finally:
            os.close(slave)
        seen = b""
        while stream == "stderr":
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            seen += data
        return p.returncode, p.stdout.decode(), (seen if stream == "stderr" else p.stderr).decode("utf-8", "replace")

    def test_colour_only_on_a_terminal_without_no_color(self):
        url = "http://127.0.0.1:%d" % closed_port()
        os.environ["HANDLER_RETRIES"] = "0"            # refused at once, not after two retries
        code, out, err = self.run_on_a_terminal(["message", "send", "--url", url, "hi"])
        self.assertEqual(code, 3)
        self.assertNotIn("\033[", err)                 # NO_COLOR=1
        self.assertIn("Error:", err)
        del os.environ["NO_COLOR"]
        code, out, err = self.run_on_a_terminal(["message", "send", "--url", url, "hi"])
        self.assertEqual(code, 3)
        self.assertIn("\033[", err)
        self.assertNotIn("Traceback", err)

    def test_spinner_only_on_a_terminal(self):
        url, agent = self.agent()
        self.gate(agent, pace=0.15)    # a send of 0.45 s: the spinner turns every 0.1 s
        del os.environ["NO_COLOR"]
        code, out, err = self.run_on_a_terminal(["message", "send", "--url", url, "slow x"])
        self.assertEqual(code, 0)
        self.assertTrue(out.startswith("Echo: slow x\nTask ID: "), out)   # stdout (a pipe) stays clean
        self.assertIn("\r", err)
        self.assertIn("waiting", err)
        code, out, err = self.run_on_a_terminal(["-q", "message", "send", "--url", url, "slow y"])
        self.assertEqual(code, 0)
        self.assertEqual(err, "")

    def test_no_text_and_stdin_a_terminal_is_a_usage_error(self):
        code, out, err = self.run_on_a_terminal(["message", "send", "--url", "http://127.0.0.1:1"], stream="stdin")
        self.assertEqual(code, 2, err)
        self.assertTrue(err.startswith("Error: no message"), err)

    def test_no_colour_without_a_terminal(self):
        os.environ.pop("NO_COLOR")
        r = self.run_cli("message", "send", "hi")
        self.assertNotIn("\033[", r.err + r.out)


# ============================================================================ card validation
# Real cards fetched from live agents (the official a2a-sdk 1.3.0 and 0.3.26 through dev/sdk_agent.py
# and the SDK's own card route, and handler.py's built-in agent), valid ones and broken ones.

validate_card, card_protocol_version = handler.validate_card, handler.card_protocol_version

# GET /.well-known/agent-card.json from `python dev/sdk_agent.py --port 0` under a2a-sdk 1.3.0: the
# 1.x fields, then the 0.3 ones the SDK adds for its 0.3 interface.
SDK_13_CARD = json.loads(
    '{"name":"SDK Echo Agent","description":"Echo agent built with the official a2a-sdk 1.3.0 for Handler interop '
    'tests.","supportedInterfaces":[{"url":"http://127.0.0.1:44301/","protocolBinding":"JSONRPC","protocolVersion":'
    '"1.0"},{"url":"http://127.0.0.1:44301/","protocolBinding":"JSONRPC","protocolVersion":"0.3"}],"version":"1.3.0",'
    '"capabilities":{"streaming":true,"pushNotifications":true},"defaultInputModes":["text/plain"],"defaultOutputModes'
    '":["text/plain"],"skills":[{"id":"echo","name":"Echo","description":"Echoes your text back as an artifact.","tags'
    '":["echo","test"],"examples":["hello","ask me","slow hello"]}],"preferredTransport":"JSONRPC","protocolVersion":'
    '"0.3","url":"http://127.0.0.1:44301/"}')
# The same from a2a-sdk 0.3.26.
SDK_03_CARD = json.loads(
    '{"capabilities":{"pushNotifications":true,"streaming":true},"defaultInputModes":["text/plain"],"defaultOutputMod'
    'es":["text/plain"],"description":"Echo agent built with the official a2a-sdk 0.3.26 for Handler interop tests.",'
    '"name":"SDK Echo Agent","preferredTransport":"JSONRPC","protocolVersion":"0.3.0","skills":[{"description":"Echoe'
    's your text back as an artifact.","examples":["hello","ask me","slow hello"],"id":"echo","name":"Echo","tags":["'
    'echo","test"]}],"url":"http://127.0.0.1:36153/","version":"0.3.26"}')
# a2a-sdk 1.3.0's card route serving a card with one scheme of each kind: every securitySchemes entry
# holds the 1.x oneof and, merged into the same object, the 0.3 form (with "type"); empty scope lists
# are dropped ({"bearer": {}}); skills carry securityRequirements and security.
SDK_13_SECURED_CARD = json.loads(
    '{"name":"Secured Agent","description":"d","supportedInterfaces":[{"url":"https://agent.example.com/a2a","protocol'
    'Binding":"JSONRPC","protocolVersion":"1.0"},{"url":"https://agent.example.com/a2a/v03","protocolBinding":"JSONRPC'
    '","protocolVersion":"0.3"}],"provider":{"url":"https://example.com","organization":"Example"},"version":"2.0","do'
    'cumentationUrl":"https://example.com/docs","capabilities":{"streaming":true,"extendedAgentCard":true},"securitySc'
    'hemes":{"mtls":{"mtlsSecurityScheme":{"description":"client cert"},"description":"client cert","type":"mutualTLS"'
    '},"oidc":{"openIdConnectSecurityScheme":{"openIdConnectUrl":"https://auth.example.com/.well-known/openid-configur'
    'ation"},"openIdConnectUrl":"https://auth.example.com/.well-known/openid-configuration","type":"openIdConnect"},"k'
    'ey":{"apiKeySecurityScheme":{"location":"header","name":"X-API-Key"},"in":"header","name":"X-API-Key","type":"ap'
    'iKey"},"bearer":{"httpAuthSecurityScheme":{"scheme":"Bearer","bearerFormat":"JWT"},"bearerFormat":"JWT","scheme"'
    ':"Bearer","type":"http"},"oauth":{"oauth2SecurityScheme":{"flows":{"clientCredentials":{"tokenUrl":"https://auth'
    '.example.com/token","scopes":{"read":"Read"}}}},"flows":{"clientCredentials":{"scopes":{"read":"Read"},"tokenUrl"'
    ':"https://auth.example.com/token"}},"type":"oauth2"}},"securityRequirements":[{"schemes":{"bearer":{}}},{"scheme'
    's":{"mtls":{},"oauth":{"list":["read"]}}}],"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain",'
    '"application/json"],"skills":[{"id":"s","name":"S","description":"d","tags":["t"],"inputModes":["text/plain"],"s'
    'ecurityRequirements":[{"schemes":{"key":{}}}],"security":[{"key":[]}]}],"preferredTransport":"JSONRPC","protocol'
    'Version":"0.3","security":[{"bearer":[]},{"mtls":[],"oauth":["read"]}],"supportsAuthenticatedExtendedCard":true,'
    '"url":"https://agent.example.com/a2a/v03"}')
# The same card from a2a-sdk 0.3.26 (A2AStarletteApplication), plus an additional gRPC interface.
SDK_03_SECURED_CARD = json.loads(
    '{"additionalInterfaces":[{"transport":"GRPC","url":"https://agent.example.com/grpc"}],"capabilities":{"stateTran'
    'sitionHistory":false,"streaming":true},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"d'
    'escription":"d","name":"Secured Agent","preferredTransport":"JSONRPC","protocolVersion":"0.3.0","provider":{"orga'
    'nization":"Example","url":"https://example.com"},"security":[{"bearer":[]},{"oauth":["read"],"mtls":[]}],"securi'
    'tySchemes":{"bearer":{"scheme":"bearer","type":"http"},"key":{"in":"header","name":"X-API-Key","type":"apiKey"},'
    '"oauth":{"flows":{"authorizationCode":{"authorizationUrl":"https://auth.example.com/auth","scopes":{"read":"Read"'
    '},"tokenUrl":"https://auth.example.com/token"}},"type":"oauth2"},"oidc":{"openIdConnectUrl":"https://auth.exampl'
    'e.com/.well-known/openid-configuration","type":"openIdConnect"},"mtls":{"type":"mutualTLS"}},"skills":[{"descrip'
    'tion":"d","id":"s","name":"S","security":[{"key":[]}],"tags":["t"]}],"supportsAuthenticatedExtendedCard":true,"u'
    'rl":"https://agent.example.com/a2a","version":"2.0"}')
# `handler.py server agent --port 0 -q --bearer-token s3cret` (both versions, the default).
HANDLER_CARD = json.loads(
    '{"name":"Handler Echo Agent","description":"Echoes your message back as an artifact (built into handler.py, for '
    'testing). Start a message with \'ask\' to be asked a question, or \'slow\' for a slow task.","version":"0.1.0","pr'
    'ovider":{"organization":"Handler","url":"https://github.com/"},"supportedInterfaces":[{"url":"http://127.0.0.1:43'
    '129/","protocolBinding":"JSONRPC","protocolVersion":"1.0"},{"url":"http://127.0.0.1:43129/","protocolBinding":"JS'
    'ONRPC","protocolVersion":"0.3"}],"protocolVersion":"0.3.0","url":"http://127.0.0.1:43129/","preferredTransport":'
    '"JSONRPC","capabilities":{"streaming":true,"pushNotifications":false},"defaultInputModes":["text/plain"],"default'
    'OutputModes":["text/plain"],"skills":[{"id":"echo","name":"Echo","description":"Repeats what you say.","tags":["e'
    'cho","test"],"examples":["hello","ask me something"]}],"securitySchemes":{"bearer":{"httpAuthSecurityScheme":{"sc'
    'heme":"Bearer"}}},"securityRequirements":[{"schemes":{"bearer":{"list":[]}}}]}')
# A 1.x card written by hand from a2a.proto, with every optional part and every flow kind.
V1_CARD = {
    "name": "Route Planner", "description": "Plans routes.", "version": "1.2.0",
    "supportedInterfaces": [
        {"url": "https://agent.example.com/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0",
         "tenant": "acme"},
        {"url": "https://agent.example.com/grpc", "protocolBinding": "GRPC", "protocolVersion": "1.0"},
        {"url": "https://agent.example.com/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}],
    "provider": {"organization": "Example Inc.", "url": "https://example.com"},
    "documentationUrl": "https://docs.example.com/agent", "iconUrl": "https://agent.example.com/icon.png",
    "capabilities": {"streaming": True, "pushNotifications": False, "extendedAgentCard": True,
                     "extensions": [{"uri": "https://example.com/ext/geo/v1", "required": False,
                                     "params": {"units": "km"}}]},
    "securitySchemes": {
        "bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer", "bearerFormat": "JWT"}},
        "api-key": {"apiKeySecurityScheme": {"location": "header", "name": "X-API-Key"}},
        "oauth": {"oauth2SecurityScheme": {"flows": {"clientCredentials": {
            "tokenUrl": "https://auth.example.com/token", "scopes": {"read": "Read routes"}}},
            "oauth2MetadataUrl": "https://auth.example.com/.well-known/oauth-authorization-server"}},
        "code": {"oauth2SecurityScheme": {"flows": {"authorizationCode": {
            "authorizationUrl": "https://auth.example.com/authorize", "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read": "Read routes"}, "pkceRequired": True}}}},
        "device": {"oauth2SecurityScheme": {"flows": {"deviceCode": {
            "deviceAuthorizationUrl": "https://auth.example.com/device", "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read": "Read routes"}}}}},
        "legacy": {"oauth2SecurityScheme": {"flows": {"implicit": {"scopes": {}}}}},
        "oidc": {"openIdConnectSecurityScheme": {
            "openIdConnectUrl": "https://accounts.example.com/.well-known/openid-configuration"}},
        "mtls": {"mtlsSecurityScheme": {}}},
    "securityRequirements": [{"schemes": {"bearer": {"list": []}}},
                             {"schemes": {"oauth": {"list": ["read"]}, "mtls": {}}}, {}],
    "defaultInputModes": ["text/plain", "application/json"], "defaultOutputModes": ["application/json"],
    "skills": [
        {"id": "route", "name": "Route", "description": "Finds a route.", "tags": ["maps", "routing"],
         "examples": ["From A to B"], "inputModes": ["text/plain"], "outputModes": ["application/json"],
         "securityRequirements": [{"schemes": {"api-key": {}}}]},
        {"id": "map", "name": "Map", "description": "Draws a map.", "tags": ["maps"]}],
    "signatures": [{"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": "QFdkNLNszlGj3z3u0YQGt", "header": {"kid": "1"}}],
}
DELETE = object()   # a mutation that removes the key
JSON_PATH = re.compile(r'^\$((\.[A-Za-z_][A-Za-z0-9_]*)|(\[\d+\])|(\["[^"]*"\]))*$')
VALID_CARDS = {"1.x hand-written": V1_CARD, "SDK 1.3.0": SDK_13_CARD, "SDK 0.3.26": SDK_03_CARD,
               "SDK 1.3.0 secured": SDK_13_SECURED_CARD, "SDK 0.3.26 secured": SDK_03_SECURED_CARD,
               "handler.py": HANDLER_CARD}


# ============================================================================ issue 10: secrets, clear errors

def serving(test, *argv, stdin=""):
    """`handler.py server ...` on a port given in argv, once it listens there: the Popen."""
    proc = test.popen([*PYTHON, HANDLER_PATH] + [str(a) for a in argv], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(stdin.encode() + b"\n")
    proc.stdin.close()
    proc.stdin = None
    port, deadline = int(argv[argv.index("--port") + 1]), time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            test.assertIsNone(proc.poll(), "the server ended")
            test.assertLess(time.monotonic(), deadline, "the server never listened")
            time.sleep(0.01)   # a subprocess: no Event to wait on


class SecretsOnTheCommandLineTests(HandlerTestCase):
    """A secret given literally warns once and names the safe forms; '-' works for every secret
    option; stdin carries one thing; a usage error never quotes a secret; credentials over plain
    http to another host warn once a call."""
    TOKEN = "agent-token-0123456789"

    def warnings(self, r):
        return [line for line in r.err.splitlines() if line.startswith("warning: ")]

    def test_a_literal_secret_warns_once_naming_the_safe_forms(self):
        url, agent = self.agent(token=self.TOKEN)
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--bearer-token", self.TOKEN, "hi"))
        (line,) = self.warnings(r)
        for fragment in ("--bearer-token", "any user", "'-'", "$HANDLER_BEARER_TOKEN", "auth set"):
            self.assertIn(fragment, line)
        self.assertNotIn(self.TOKEN, r.err)
        r = self.assertOk(self.run_cli("auth", "set", "--url", url, "--api-key", self.TOKEN))
        self.assertIn("--api-key", self.warnings(r)[0])
        self.assertEqual(len(self.warnings(r)), 1, r)
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--bearer-token", "-", "hi",
                                       stdin=self.TOKEN + "\n"))
        self.assertEqual((r.err, self.ids(r)[2]), ("", "completed"))
        task_id = self.ids(r)[0]
        r = self.assertOk(self.run_cli("task", "notification", "set", task_id, "--url", url, "--bearer-token",
                                       "-", "--webhook-url", "http://127.0.0.1:9/hook", "--token", PUSH_TOKEN,
                                       "--auth-scheme", "Bearer", "--auth-credentials", PUSH_CREDS,
                                       stdin=self.TOKEN + "\n"))
        (line,) = self.warnings(r)                                  # once, naming both
        self.assertIn("--token, --auth-credentials", line)
        self.assertNotIn(PUSH_TOKEN, r.err + r.out)

    def test_every_secret_option_takes_dash_without_a_warning(self):
        url, agent = self.agent(token=self.TOKEN)
        for argv in (("auth", "set", "--url", url, "--bearer-token", "-"),
                     ("auth", "set", "--url", url + "/k", "--api-key", "-"),
                     ("auth", "set", "--url", url + "/o", "--oauth2-token-url", "http://127.0.0.1:9/token",
                      "--client-id", "c", "--client-secret", "-"),
                     ("message", "send", "--url", url, "--api-key", "-", "--api-key-header", "X-K", "hi")):
            with self.subTest(argv=argv):
                r = self.run_cli(*argv, stdin="s3cret-0123456789\n")
                self.assertEqual(self.warnings(r), [], r)
        self.assertEqual(self.saved()[url + "/o"]["credentials"]["oauth"]["client_secret"], "s3cret-0123456789")
        r = self.run_cli("message", "send", "--url", url, "--bearer-token", self.TOKEN, "--push-url",
                         "http://127.0.0.1:9/hook", "--push-token", "-", "hi", stdin="push-0123456789\n")
        self.assertEqual(self.warnings(r)[0].split(" on the")[0], "warning: --bearer-token")   # not --push-token
        sent = [p.json["params"] for p in self.posts(agent)][-1]
        self.assertIn("push-0123456789", json.dumps(sent))
        port = closed_port()
        proc = serving(self, "server", "agent", "--port", port, "--bearer-token", "-", stdin=self.TOKEN)
        srv = "http://127.0.0.1:%d" % port
        self.assertError(self.run_cli("card", "get", "--extended", "--url", srv), 4)
        self.assertOk(self.run_cli("card", "get", "--extended", "--url", srv, "--bearer-token", "-",
                                   stdin=self.TOKEN + "\n"))
        os.kill(proc.pid, signal.SIGINT)
        self.assertNotIn(b"warning", proc.communicate(timeout=15)[1])

    def test_stdin_cannot_be_both_the_message_and_a_secret(self):
        url, agent = self.agent(token=self.TOKEN)
        for argv, fragments in (
                (("message", "send", "--url", url, "--bearer-token", "-"), ("--bearer-token -", "the message")),
                (("message", "send", "--url", url, "--bearer-token", "-", "-"), ("--bearer-token -", "the message")),
                (("message", "send", "--url", url, "--api-key", "-", "--data", "-", "hi"), ("--api-key -", "--data -")),
                (("task", "notification", "set", "t", "--url", url, "--webhook-url", "http://127.0.0.1:9/h",
                  "--token", "-", "--auth-scheme", "Bearer", "--auth-credentials", "-"),
                 ("--token -", "--auth-credentials -"))):
            with self.subTest(argv=argv):
                line = self.assertError(self.run_cli(*argv, stdin=self.TOKEN + "\nhello\n"), 2, "stdin cannot be both",
                                        *fragments)
                self.assertNotIn("empty", line)
        self.assertEqual(agent.received, [])

    def test_a_usage_error_never_shows_a_secret(self):
        url, agent = self.agent()
        for argv in (("--bearer-token", SECRET, "message", "send", "--url", url, "hi"),
                     ("session", "list", "--api-key", SECRET),
                     ("message", "send", "--url", url, "--token=" + SECRET, "hi"),
                     ("session", "list", "-H", "Authorization: Bearer " + SECRET),
                     ("session", "list", "-HCookie: sid=" + SECRET),
                     ("message", "send", "--url", url, "-H", "X-API-Key " + SECRET, "hi"),
                     ("card", "get", "--url", url, "--client-secret", SECRET)):
            for fmt in ("text", "json"):
                with self.subTest(argv=argv, fmt=fmt):
                    r = self.run_cli("-o", fmt, *argv)
                    self.assertEqual(r.code, 2, r)
                    self.assertNotIn(SECRET, r.out + r.err)
                    self.assertNotIn(SECRET[4:12], r.out + r.err)
                    self.assertIn("***", r.err)
                    if fmt == "json":
                        self.assertIn("***", json.loads(r.out)["error"]["message"])
        line = self.assertError(self.run_cli("session", "list", "-H", "X-Trace: 42", "--bogus"), 2, "--bogus")
        self.assertNotIn("***", line)                                   # nothing else is hidden
        self.assertEqual(agent.received, [])

    def remote_agent(self, token=None):
        """The built-in agent as http://agent.example.test:PORT, reached through a local proxy that
        sends every request to it whatever host the URL names: every byte stays on 127.0.0.1."""
        url, agent = self.agent(token=token)

        class Rewriting(ForwardProxyHandler):
            def _forward(self):
                import urllib.parse
                self.path = urllib.parse.urlsplit(self.path)._replace(netloc=self.server.upstream).geturl()
                super()._forward()
            do_GET = do_POST = _forward
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), Rewriting)
        proxy.daemon_threads, proxy.seen, proxy.password = True, [], None
        proxy.upstream = url.split("//", 1)[1]
        proxy.handle_error = lambda request, address: None
        proxy_url = self._serve(proxy)
        for name in ("NO_PROXY", "no_proxy"):
            os.environ[name] = ""
        os.environ.update(HTTP_PROXY=proxy_url, http_proxy=proxy_url)
        return "http://agent.example.test:%s" % url.rsplit(":", 1)[1], agent

    def test_credentials_over_plain_http_to_another_host_warn_once_a_call(self):
        url, agent = self.remote_agent(token=self.TOKEN)
        os.environ["HANDLER_BEARER_TOKEN"] = self.TOKEN
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertIn("Echo: hi", r.out)
        self.assertGreaterEqual(len(agent.received), 2)                 # the card, then the message
        (line,) = self.warnings(r)
        self.assertIn("plain http", line)
        self.assertIn(url, line)
        self.assertNotIn(self.TOKEN, r.err)
        self.assertEqual(len(self.warnings(self.assertOk(self.run_cli("message", "stream", "--url", url, "again")))),
                         1)                                             # once for each call
        del os.environ["HANDLER_BEARER_TOKEN"]
        r = self.assertOk(self.run_cli("card", "get", "--url", url))   # no credentials: nothing to say
        self.assertEqual(r.err, "")
        r = self.assertOk(self.run_cli("card", "get", "--url", url, "-H", "X-Trace: 1"))
        self.assertEqual(r.err, "")
        local, _ = self.agent(token=self.TOKEN)                         # loopback: nothing to say
        for name in ("HTTP_PROXY", "http_proxy"):
            del os.environ[name]
        os.environ["HANDLER_BEARER_TOKEN"] = self.TOKEN
        self.assertEqual(self.assertOk(self.run_cli("message", "send", "--url", local, "hi")).err, "")


class OptionsTableTests(HandlerTestCase):
    """Options that conflict, or that need another, are one table, checked in one place before
    the command runs."""
    FILE = os.path.join(HERE, "handler.py")
    CASES = (   # argv that breaks each row of handler.CONFLICTS, in its order; what the line says
        (("message", "send", "--url", "http://a", "--bearer-token", "t", "--api-key", "k", "hi"),
         "Error: handler.py message send: argument --api-key: not allowed with argument --bearer-token; "
         "see: handler.py message send --help"),
        (("auth", "set", "--url", "http://a", "--oauth2-token-url", "https://t", "--api-key", "k"),
         "Error: handler.py auth set: argument --oauth2-token-url: not allowed with argument "
         "--bearer-token or --api-key; see: handler.py auth set --help"),
        (("message", "send", "--url", "http://a", "--stream", "--async", "hi"),
         "Error: --stream cannot be combined with --async"),
        (("message", "send", "--url", "http://a", "--new", "--task-id", "t", "hi"),
         "Error: --new cannot be combined with --context-id or --task-id"),
        (("message", "stream", "--url", "http://a", "--push-token", "t", "hi"),
         "Error: --push-token needs --push-url"),
        (("card", "validate", "--url", "http://a", "--file", FILE),
         "Error: card validate needs --url or --file (one of them)"),
        (("task", "notification", "get", "--url", "http://a", "--token", "t"),
         "Error: --webhook-url, --token and --auth-* belong to 'task notification set', not get"),
        (("task", "notification", "delete", "--url", "http://a"),
         "Error: task notification delete needs --config-id"),
        (("task", "notification", "set", "--url", "http://a"),
         "Error: task notification set needs --webhook-url"),
        (("task", "notification", "set", "--url", "http://a", "--webhook-url", "http://h", "--auth-scheme",
          "Bearer"), "Error: --auth-scheme and --auth-credentials go together"),
        (("session", "clear"), "Error: session clear needs an agent URL or --all (not both)"),
        (("auth", "set", "--url", "http://a", "--bearer-token", "t", "--key", "k"), "Error: --key needs --cert"),
        (("auth", "set", "--url", "http://a"),
         "Error: auth set needs one of --bearer-token, --api-key, --oauth2-token-url (or --cert)"),
        (("auth", "set", "--url", "http://a", "--oauth2-token-url", "https://t", "--client-id", "c"),
         "Error: --oauth2-token-url needs --client-id and --client-secret"))

    def test_every_row_of_the_table_is_one_usage_line(self):
        self.assertEqual(len(self.CASES), len(handler.CONFLICTS))
        for argv, line in self.CASES:
            with self.subTest(argv=argv):
                self.assertEqual(self.assertError(self.run_cli(*argv), 2), line)
                self.assertJsonError(self.run_cli("-o", "json", *argv), "A2ACLI_ERR_USAGE", 2)
        self.assertFalse(os.path.exists(self.home))

    def test_no_command_checks_its_options_itself(self):
        with open(self.FILE, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        messages = [row[2].split("{")[0] for row in handler.CONFLICTS]
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("cmd_"):
                for const in ast.walk(node):
                    if isinstance(const, ast.Constant) and isinstance(const.value, str):
                        self.assertFalse([m for m in messages if m and m in const.value], node.name)

    def test_conflicting_options_are_refused_before_stdin_is_read(self):
        r = self.run_cli("message", "send", "--url", "http://127.0.0.1:1", "--stream", "--async",
                         "--bearer-token", "-", "-", stdin="token\nhi\n")
        self.assertError(r, 2, "--stream cannot be combined with --async")


class StartupImportTests(HandlerTestCase):
    """--help, --version and session list import only what they use: no network stack, no json
    (nor for session list while there is no sessions file), and --version alone no argparse."""

    def test_light_commands_import_only_what_they_use(self):
        p = self.fresh_python(
                  "for argv in (['--version'], ['-q', '--version'], ['--help'], ['session', 'list']):\n"
                  "    out = io.StringIO()\n"
                  "    with contextlib.redirect_stdout(out):\n"
                  "        assert handler.main(argv) == 0, argv\n"
                  "    if argv[-1] == '--version':\n"
                  "        print(repr(out.getvalue()), 'argparse' in sys.modules)\n"
                  "print('json' in sys.modules, sorted(m for m in ('urllib.request', 'http.client', "
                  "'ssl', 'socket', 'gettext', 'locale') if m in sys.modules))\n"
                  "handler.main(['-o', 'json', 'session', 'list'])")
        line = repr(f"handler {handler.VERSION} (A2A 1.0 and 0.3)\n")
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (0, f"{line} False\n{line} True\nFalse []\n"
                             '{\n  "count": 0,\n  "sessions": []\n}\n', ""))


class LeanParserTests(HandlerTestCase):
    def test_help_without_a_command_builds_only_the_groups_and_says_the_same(self):
        # 5 ms: no command's options are built when argv names no command (--help, a typo)
        for argv in (["--help"], ["-o", "json"], ["bogus", "list"]):
            with self.subTest(argv=argv):
                lean = handler.build_parser(argv)
                self.assertEqual(lean.format_help(), handler.build_parser().format_help())
                groups = next(a for a in lean._actions if a.dest == "command").choices
                self.assertEqual(list(groups), list(handler.COMMANDS))
                actions = next(a for a in groups["message"]._actions if a.dest == "action")
                self.assertEqual(actions.choices, {})


class HelpExamplesTests(HandlerTestCase):
    """Every command's --help ends with two or three real examples (gh's do), and they parse."""

    @staticmethod
    def commands():
        for group, (_, actions) in handler.COMMANDS.items():
            yield from [group] if isinstance(actions, tuple) else (f"{group} {a}" for a in actions)

    def test_every_command_has_two_or_three_examples_that_parse_as_that_command(self):
        import itertools, shlex
        self.assertEqual(set(handler.EXAMPLES), set(self.commands()))
        for command in self.commands():
            examples = handler.EXAMPLES[command]
            self.assertIn(len(examples), (2, 3), command)
            for line in examples:
                with self.subTest(line=line):
                    words = list(itertools.takewhile(lambda w: w not in ("|", "<", ">", "&"),
                                                     shlex.split(line, comments=True)))
                    args = handler._Options(vars(handler.build_parser(words).parse_args(words)))
                    handler.check_options(args)
                    self.assertEqual(" ".join(filter(None, (args.command, args.action))), command)

    def test_help_ends_with_the_examples_and_a_group_shows_the_first_of_each(self):
        for command in self.commands():
            with self.subTest(command=command):
                out = self.assertOk(self.run_cli(*command.split(), "--help")).out
                block = "".join(f"  handler.py {e}\n" for e in handler.EXAMPLES[command])
                self.assertIn("\n\nexamples:\n" + block + "\nglobal options (", out)
                self.assertTrue(out.endswith("see handler.py --help\n"), out[-200:])
        out = self.assertOk(self.run_cli("task", "--help")).out
        self.assertIn("examples:\n  handler.py task get --url http://agent:8000   # the last task of "
                      "this agent\n  handler.py task list --url http://agent:8000\n", out)
        self.assertEqual(out.count("  handler.py task "), 5)


class GlobalOptionsOnceTests(HandlerTestCase):
    """The global connection options are listed once, in the top --help under their own heading;
    a command's help names them in one line, and they are still accepted after the command."""
    FLAGS = [handler._option(spec)[0] for spec in handler._GLOBALS]

    def test_only_the_top_help_lists_them_under_their_heading(self):
        top = self.assertOk(self.run_cli("--help")).out
        heading, _, rest = top.partition("\nglobal options (before or after the command):\n")
        self.assertTrue(rest)
        for flags in self.FLAGS:
            self.assertRegex(rest, r"(?m)^  %s\b" % re.escape(flags[0]))
            self.assertNotIn(flags[-1], heading.partition("options:\n")[2])
        for argv in (["message", "send"], ["task", "notification"], ["chat"], ["session"]):
            with self.subTest(argv=argv):
                out = self.assertOk(self.run_cli(*argv, "--help")).out
                listed = set(re.findall(r"(?m)^  (-[^ ,]+)(?:.*, (--[^ ]+))?", out))
                self.assertFalse({f for pair in listed for f in pair} & {*sum(self.FLAGS, [])})
                self.assertNotIn("--timeout", out.partition("\n\n")[0])   # nor in the usage
                self.assertIn(" ".join(out.split()).partition("global options (")[2], (
                    "--output, --timeout, --debug, --quiet, --transport, --ca-file, --cert, --key, "
                    "--insecure, --retries, --max-response, --record) go before or after the "
                    "command: see "
                    "handler.py --help"))

    def test_they_are_still_accepted_after_the_command(self):
        r = self.assertOk(self.run_cli("session", "list", "-o", "json", "--timeout", "3", "-q"))
        self.assertEqual(json.loads(r.out), {"count": 0, "sessions": []})
        self.assertError(self.run_cli("session", "list", "--timeout", "0"), 2, "--timeout")


class HelpCommandTests(HandlerTestCase):
    """`help COMMAND [ACTION]` is `COMMAND [ACTION] --help`; `help` alone is --help."""

    def test_help_is_an_alias_of_dash_dash_help(self):
        for argv in ([], ["message"], ["message", "send"], ["chat"], ["task", "notification"]):
            with self.subTest(argv=argv):
                self.assertEqual(self.assertOk(self.run_cli("help", *argv)).out,
                                 self.assertOk(self.run_cli(*argv, "--help")).out)
        self.assertIn("'handler.py help COMMAND [ACTION]' shows",
                      " ".join(self.run_cli("--help").out.split()))

    def test_help_of_a_mistyped_command_is_a_usage_error(self):
        self.assertError(self.run_cli("help", "mesage"), 2, "did you mean 'message'?")
        self.assertError(self.run_cli("help", "task", "gt"), 2, "did you mean 'get'?")

    def test_as_a_subprocess(self):
        r = self.assertOk(self.run_proc("help", "task", "get"))
        self.assertEqual(r.out, self.assertOk(self.run_proc("task", "get", "--help")).out)
        self.assertIn("  handler.py task get --url http://agent:8000 TASK_ID --wait\n", r.out)


class DidYouMeanTests(HandlerTestCase):
    """A mistyped command, action or choice gets the closest one in its usage line, as git does."""

    def test_the_closest_choice_is_suggested(self):
        for argv, line in (
                (["mesage", "send"], "Error: handler.py: argument COMMAND: invalid choice: 'mesage' "
                                     "(did you mean 'message'?); see: handler.py --help"),
                (["message", "sendd", "hi"], "Error: handler.py message: argument ACTION: invalid "
                 "choice: 'sendd' (did you mean 'send'?); see: handler.py message --help"),
                (["task", "cancle"], "(did you mean 'cancel'?)"), (["sesion"], "'session'?"),
                (["-o", "jsn", "session", "list"], "argument -o/--output: invalid choice: 'jsn' "
                                                   "(did you mean 'json'?)"),
                (["task", "notification", "lst"], "invalid choice: 'lst' (did you mean 'list'?)")):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv), 2, line)
        err = self.assertJsonError(self.run_cli("-o", "json", "mesage"), "A2ACLI_ERR_USAGE", 2)
        self.assertIn("did you mean 'message'?", err["message"])
        line = self.assertError(self.run_cli("zzzz"), 2, "invalid choice: 'zzzz' (choose from")
        self.assertNotIn("did you mean", line)

    def test_difflib_is_imported_only_for_a_typo(self):
        p = self.fresh_python(
                  "for argv in (['--help'], ['message', 'send', '--help'], ['help', 'task'], "
                  "['mesage']):\n"
                  "    with contextlib.redirect_stdout(io.StringIO()), "
                  "contextlib.redirect_stderr(io.StringIO()):\n"
                  "        print(handler.main(argv), file=sys.__stdout__)\n"
                  "    print('difflib' in sys.modules)")
        self.assertEqual((p.stdout.split(), p.stderr), (
            ["0", "False", "0", "False", "0", "False", "2", "True"], ""))

    def test_as_a_subprocess(self):
        r = self.run_proc("card", "vaildate", "--url", "http://127.0.0.1:1")
        self.assertEqual((r.code, r.out, r.err), (2, "", "Error: handler.py card: argument ACTION: "
                         "invalid choice: 'vaildate' (did you mean 'validate'?); see: handler.py "
                         "card --help\n"))


class CompletionTests(HandlerTestCase):
    """`completion bash|zsh|fish` prints a script generated from the parser; --url completes the
    saved agents' URLs, which `completion SHELL --urls` prints (the sessions file's, no network)."""
    URLS = ("http://127.0.0.1:8000", "https://agent.example.com:8443/a2a")

    @staticmethod
    def parser_words(parser):
        """Every command, flag and choice of the parser and its subparsers."""
        words = set()
        for action in parser._actions:
            words.update(action.option_strings, action.choices or ())
            for sub in (action.choices.values() if isinstance(action.choices, dict) else ()):
                words |= CompletionTests.parser_words(sub)
        return words

    def script(self, shell):
        return self.assertOk(self.run_cli("completion", shell)).out

    def save_sessions(self):
        store = handler.SessionStore().load()
        for url in self.URLS:
            store.update(url, context_id="ctx")

    def bash(self, *words, line=None):
        """What the bash script completes the last of words with (line: as typed, for colons)."""
        import shlex
        set_line = line and f"COMP_LINE={shlex.quote(line)}; COMP_POINT=${{#COMP_LINE}}; " or ""
        script = (f"handler.py() {{ {shlex.join(PYTHON)} {shlex.quote(HANDLER_PATH)} \"$@\"; }}\n"
                  f"source <(handler.py completion bash)\n"
                  f"COMP_WORDS=(handler.py {' '.join(map(shlex.quote, words))}); "
                  f"COMP_CWORD={len(words)}; {set_line}_handler; "
                  "printf '%s\\n' \"${COMPREPLY[@]}\"")
        p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ), cwd=HERE)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        return p.stdout.split()

    def test_every_command_flag_and_choice_of_the_parser_is_in_each_script(self):
        words = self.parser_words(handler.build_parser())
        self.assertLess({"message", "send", "notification", "--url", "-o", "reply", "--urls",
                         "http+json", "0.3", "fish"}, words)
        for shell in ("bash", "zsh", "fish"):
            with self.subTest(shell=shell):
                script = self.script(shell)
                self.assertLessEqual(words, set(re.findall(r"[^\s'()]+", script)))
                self.assertIn(f"completion {shell} --urls", script)
                self.assertEqual(script.count("handler.py"), 2 if shell == "zsh" else 1)

    def test_the_script_is_made_from_the_parser_not_kept_by_hand(self):
        extra = ("a made-up command", (None, ("--made-up-flag", ("--made-up-choice",
                                                                  {"choices": ("zz-1", "zz-2")}))))
        with mock.patch.dict(handler.COMMANDS, {"made-up": extra}):
            for shell in ("bash", "zsh", "fish"):
                self.assertRegex(self.script(shell), r"(?m)^:made-up: .*--made-up-flag")
                self.assertRegex(self.script(shell), r"(?m)^--made-up-choice zz-1 zz-2\b")

    def test_bash_completes_commands_actions_flags_choices_and_saved_urls(self):
        self.save_sessions()
        for words, expected in (
                (["mes"], ["message"]), (["message", ""], ["send", "stream"]),
                (["task", "re"], ["resubscribe"]), (["message", "send", "--st"], ["--stream"]),
                (["-o", ""], ["text", "json", "reply"]), (["message", "send", "-o", "j"], ["json"]),
                (["--timeout", "5", "se"], ["session", "server"]),   # a flag's value skipped
                (["task", "notification", "d"], ["delete"]), (["completion", ""],
                                                              ["bash", "zsh", "fish"]),
                (["message", "send", "--url", ""], list(self.URLS)),
                (["card", "get", "--url", "https"], list(self.URLS[1:])),
                (["--timeout", ""], []), (["message", "send", ""], [])):   # then files
            with self.subTest(words=words):
                self.assertEqual(self.bash(*words), expected)
        # bash breaks words at colons: what follows the last one of the URL typed so far
        line = "handler.py chat --url http://127"
        self.assertEqual(self.bash("chat", "--url", "http", ":", "//127", line=line),
                         ["//127.0.0.1:8000"])
        self.assertEqual(self.bash("chat", "--url", "", line="handler.py chat --url="),
                         list(self.URLS))

    def test_urls_are_the_saved_sessions_one_a_line(self):
        self.assertEqual(self.assertOk(self.run_cli("completion", "zsh", "--urls")).out, "")
        self.assertFalse(os.path.exists(self.home))   # nothing written
        self.save_sessions()
        r = self.assertOk(self.run_proc("completion", "--urls", "fish"))
        self.assertEqual((r.out, r.err), ("".join(u + "\n" for u in self.URLS), ""))

    def test_a_shell_is_needed_and_only_these_three(self):
        self.assertError(self.run_cli("completion"), 2,
                         "the following arguments are required: shell")
        self.assertError(self.run_proc("completion", "ksh"), 2, "invalid choice: 'ksh'")

    def test_zsh_and_fish_scripts_parse_where_those_shells_are_installed(self):
        for shell, register in (("zsh", "compdef _handler handler.py; fi"),
                                ("fish", "complete -c handler.py -f -a '(__handler_complete)'")):
            script = self.script(shell)
            self.assertTrue(script.rstrip().endswith(register), script[-200:])
            if shutil.which(shell):
                p = subprocess.run([shell, "-n"], input=script, capture_output=True, text=True,
                                   timeout=30)
                self.assertEqual((p.returncode, p.stderr), (0, ""), shell)

    def need(self, name):
        """Skip without the shell name, but under .ci/run (HANDLER_CI), which installs it: fail."""
        if not shutil.which(name):
            if os.environ.get("HANDLER_CI"):
                self.fail(f"{name} is not installed, and .ci/run needs this test to run")
            self.skipTest(f"{name} is not installed")

    def shell(self, name, script):
        """Run script in the shell name (installed by .ci/run: required there), with handler.py
        a function that runs this handler.py, and the sessions saved; its stdout's words."""
        import shlex
        self.save_sessions()
        define = {"zsh": "handler.py() {{ {} \"$@\"; }}\n",
                  "fish": "function handler.py; {} $argv; end\n"}[name]
        p = subprocess.run([name, "-f" if name == "zsh" else "--no-config", "-c",
                            define.format(shlex.join([*PYTHON, HANDLER_PATH])) + script],
                           capture_output=True, text=True, timeout=30, cwd=HERE)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        return p.stdout.split()

    def test_zsh_completes_commands_actions_flags_choices_and_saved_urls(self):
        import shlex   # compadd is zsh's, which filters by what is typed: here it prints its words
        self.need("zsh")
        for words, expected in (
                (["mes"], handler.COMMANDS), (["message", ""], ["send", "stream"]),
                (["-o", ""], ["text", "json", "reply"]),
                (["--timeout", "5", "task", ""], handler.COMMANDS["task"][1]),
                (["chat", "--url", "h"], self.URLS), (["--timeout", ""], ["FILES"])):
            with self.subTest(words=words):
                self.assertEqual(self.shell("zsh", "compdef() {}; source <(handler.py completion "
                                            "zsh)\ncompadd() { print -r -- ${(@P)2}; }; "
                                            "_files() { print FILES; }; words=(handler.py "
                                            f"{' '.join(map(shlex.quote, words))}); "
                                            f"CURRENT={len(words) + 1}; _handler"),
                                 list(expected))

    def test_fish_completes_commands_actions_flags_choices_and_saved_urls(self):
        self.need("fish")
        for line, expected in (("mes", ["message"]), ("task re", ["resubscribe"]),
                               ("message send --st", ["--stream"]),
                               ("-o ", ["json", "reply", "text"]),
                               ("--timeout 5 se", ["server", "session"]),
                               ("card get --url https", list(self.URLS[1:])),
                               ("chat --url ", list(self.URLS))):
            with self.subTest(line=line):
                self.assertEqual(self.shell("fish", "source (handler.py completion fish | psub)"
                                            f"\ncomplete -C 'handler.py {line}'"),
                                 expected)


class ResumeHintTests(HandlerTestCase):
    def test_the_hint_to_answer_a_question_works_without_a_session_too(self):
        # the note names the task: under --no-session nothing was saved to continue from
        url, _ = self.agent()
        r = self.assertOk(self.run_proc("message", "send", "--no-session", "--url", url, "ask me"))
        task_id, context_id, state = self.ids(r)
        self.assertEqual(state, "input-required")
        hint = r.err.partition("answer with ")[2].split()
        self.assertEqual(hint[:9], ["handler.py", "message", "send", "--url", url, "--context-id",
                                    context_id, "--task-id", task_id])
        r = self.assertOk(self.run_proc(*hint[1:9], "--no-session", "yes"))
        self.assertEqual(self.ids(r), (task_id, context_id, "completed"))
def check_rows(r):
    """agent check's text output: {probe: (status, reason)}, and its summary line."""
    *lines, summary = r.out.splitlines()
    rows = {}
    for line in lines:
        m = re.match(r"(PASS|FAIL|SKIP) ([\w-]+): (.*) \([^()]*\)$", line)
        rows[m.group(2)] = (m.group(1), m.group(3))
    return rows, summary


class AgentCheckBuiltinTests(HandlerTestCase):
    """agent check against the built-in agent: each probe passes, or is skipped for its reason."""
    SKIPS = {"extended-card": "the agent offers no extended card",
             "auth": "the card declares no security requirements"}

    def test_each_probe_passes_or_skips_with_its_reason_in_both_versions(self):
        for versions, skips in ((("1.0",), {}), (("0.3",), {
                "list": "the agent speaks A2A 0.3, which has no ListTasks",
                "version": "the agent speaks A2A 0.3, which has no A2A-Version"})):
            with self.subTest(versions=versions):
                url, _ = self.agent(versions)
                r = self.assertOk(self.run_cli("agent", "check", "--url", url))
                rows, summary = check_rows(r)
                self.assertEqual([n for n, *_ in handler.CHECKS], list(rows))
                wanted = {**self.SKIPS, **skips}
                for name, (status, reason) in rows.items():
                    self.assertEqual((status, reason if name in wanted else ""),
                                     ("SKIP", wanted[name]) if name in wanted else ("PASS", ""),
                                     r.out)
                self.assertEqual(summary, f"{11 - len(wanted)} passed, 0 failed, "
                                          f"{len(wanted)} skipped")
        self.assertFalse(os.path.exists(self.sessions_path))   # no session read or saved

    def test_a_secured_agent_passes_auth_and_extended_card_and_the_rules_name_sections(self):
        url, _ = self.agent(("1.0",), token="tok-1")
        os.environ["HANDLER_BEARER_TOKEN"] = "tok-1"
        r = self.assertOk(self.run_cli("agent", "check", "--url", url))
        self.assertEqual(r.out.splitlines()[-1], "11 passed, 0 failed, 0 skipped")
        self.assertIn("PASS auth: A2ACLI_ERR_CREDENTIALS_MISSING (7.4 Server Authentication "
                      "Responsibilities)\n", r.out)
        self.assertIn("PASS version: VersionNotSupportedError (3.6.2 ", r.out)
        url03, _ = self.agent(("0.3",), token="tok-1")
        r = self.assertOk(self.run_cli("agent", "check", "--url", url03, "--probe", "cancel-finished"))
        self.assertEqual(r.out, "PASS cancel-finished: TaskNotCancelableError (7.4 tasks/cancel)\n"
                                "1 passed, 0 failed, 0 skipped\n")

    def test_json_document_and_junit_xml_with_the_counts(self):
        import xml.etree.ElementTree as ET
        url, _ = self.agent(("1.0",))
        junit = os.path.join(self.tmp, "check.xml")
        r = self.assertOk(self.run_cli("-o", "json", "agent", "check", "--url", url, "--junit", junit))
        doc = json.loads(r.out)
        self.assertEqual(doc["summary"], {"PASS": 9, "FAIL": 0, "SKIP": 2})
        self.assertEqual(doc["url"], url)
        self.assertEqual(set(doc["probes"][0]), {"name", "status", "reason", "rule"})
        suite = ET.parse(junit).getroot()
        self.assertEqual((suite.tag, suite.get("tests"), suite.get("failures"), suite.get("skipped")),
                         ("testsuite", "11", "0", "2"))
        cases = suite.findall("testcase")
        self.assertEqual([c.get("name") for c in cases], [n for n, *_ in handler.CHECKS])
        self.assertEqual(len(suite.findall("testcase/skipped")), 2)
        self.assertIn("the agent offers no extended card (3.1.11",
                      suite.find("testcase[@name='extended-card']/skipped").get("message"))

    def test_probe_selects_in_a_subprocess_and_an_unknown_probe_is_a_usage_error(self):
        url, _ = self.agent(("1.0",))
        r = self.assertOk(self.run_proc("agent", "check", "--url", url, "--probe", "stream",
                                        "--probe", "unknown-task"))
        self.assertEqual(list(check_rows(r)[0]), ["stream", "unknown-task"])
        self.assertEqual(r.out.splitlines()[-1], "2 passed, 0 failed, 0 skipped")
        self.assertEqual(r.err, "")
        self.assertError(self.run_cli("agent", "check", "--url", url, "--probe", "streams"), 2,
                         "invalid choice: 'streams' (did you mean 'stream'?)")


class AgentCheckScriptedTests(HandlerTestCase):
    """A fake agent that breaks one rule: its probe fails, and the check exits 1."""
    V = "1.0"

    def check(self, probe, posts, card=None):
        url, server = self.scripted()
        server.posts = posts
        if card:
            server.card, server.gets = None, {card: Reply(json.dumps(wcard("1.0", url + "/")).encode())}
        r = self.run_cli("agent", "check", "--url", url, "--probe", probe)
        self.assertEqual(r.code, 1, r)
        rows, summary = check_rows(r)
        self.assertEqual((list(rows), rows[probe][0], summary), ([probe], "FAIL",
                                                                 "0 passed, 1 failed, 0 skipped"))
        return rows[probe][1], server

    def test_each_broken_rule_fails_its_probe(self):
        v, done = "1.0", Reply(rpc(wsend("1.0", wtask("1.0", "completed"))))
        for probe, posts, fragment in (
                ("unknown-task", [Reply(rpc(wtask(v, "completed")))],
                 "wanted TaskNotFoundError, got an answer"),
                ("cancel-finished", [done, Reply(rpc(wtask(v, "canceled")))],
                 "wanted TaskNotCancelableError, got an answer"),
                ("send", [Reply(rpc(wsend(v, wtask(v, "working"))))],
                 "a blocking send answered early"),
                ("stream", [sse_reply(sse(wevents(v, final=None)))],
                 "the stream ended at working"),
                ("stream", [sse_reply(sse(wevents(v)[1:]))], "out of order: the Task comes first"),
                ("stream", [sse_reply(sse(wevents(v) + [wstatus(v, "working")]))],
                 "out of order: the Task comes first, and nothing after its end"),
                ("list", [done, done, Reply(rpc({"tasks": [wtask(v, "completed"),
                                                           wtask(v, "completed", tid="t-2")]}))],
                 "pageSize 1 did not give one task and a nextPageToken"),
                ("version", [Reply(rpc_error(-32001, "no such task"))],
                 "wanted VersionNotSupportedError, got TaskNotFoundError")):
            with self.subTest(probe=probe, fragment=fragment):
                self.assertIn(fragment, self.check(probe, posts)[0])

    def test_the_version_probe_sends_no_header_and_the_card_probe_wants_the_well_known_path(self):
        reason, server = self.check("version", [Reply(rpc_error(-32601, "no GetTask"))])
        self.assertIn("got MethodNotFoundError", reason)   # 1.0 only here: not accepted
        self.assertEqual(server.post_bodies()[-1]["method"], "GetTask")
        self.assertIsNone(server.requests[-1].headers.get("A2A-Version"))
        reason, _ = self.check("card", [], card="/.well-known/agent.json")
        self.assertEqual(reason, "no card at /.well-known/agent-card.json")


class ClearUsageErrorTests(HandlerTestCase):
    """Ranges named instead of internal errors; messages that say what is wrong."""

    def test_ports_out_of_range_name_the_range(self):
        for argv in (("server", "agent", "--port", "99999"), ("server", "agent", "--port", "-1"),
                     ("server", "push", "--port", "65536")):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv), 2, "--port", "between 0 and 65535")

    def test_handler_retries_follows_the_rule_of_the_flag(self):
        url, agent = self.agent()
        for value in ("-1", "99", "11", "x"):
            with self.subTest(value=value):
                os.environ["HANDLER_RETRIES"] = value
                line = self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 2, "HANDLER_RETRIES")
                self.assertIn("between 0 and 10" if value != "x" else "not a number", line)
                self.assertError(self.run_cli("--retries", value, "message", "send", "--url", url, "hi"), 2,
                                 "--retries", "between 0 and 10" if value != "x" else "not a number")
        self.assertEqual(agent.received, [])
        os.environ["HANDLER_RETRIES"] = "10"
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertOk(self.run_cli("--retries", "0", "message", "send", "--url", url, "hi"))   # the flag wins

    def test_server_agent_quiet_prints_nothing_but_errors(self):
        port = closed_port()
        proc = serving(self, "server", "agent", "-q", "--port", port)
        url = "http://127.0.0.1:%d" % port
        self.assertIn("Echo: quiet", self.assertOk(self.run_cli("message", "send", "--url", url, "quiet")).out)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        self.assertEqual((proc.returncode, out, err), (0, b"", b""))

    def test_a_url_with_a_query_keeps_it_after_the_card_path(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("card", "get", "--url", url + "/?x=1"))
        self.assertEqual(agent.received[0].path, "/.well-known/agent-card.json?x=1")
        self.assertIn("Echo Agent", r.out)
        self.run_cli("card", "get", "--url", url + "/a2a/?code=k%20y#part")   # not the agent's path: 404
        self.assertEqual(agent.received[1].path, "/a2a/.well-known/agent-card.json?code=k%20y")

    def test_auth_set_with_two_credentials_says_they_conflict(self):
        line = self.assertError(self.run_cli("auth", "set", "--url", "http://a", "--bearer-token", "-", "--api-key",
                                             "-", stdin="A\nB\n"), 2, "--api-key", "not allowed with", "--bearer-token")
        self.assertNotIn("needs one of", line)
        self.assertError(self.run_cli("auth", "set", "--url", "http://a"), 2, "needs one of")
        self.assertFalse(os.path.exists(self.sessions_path))

    def test_a_missing_client_certificate_is_not_called_the_key(self):
        url, agent = self.agent()
        url = url.replace("http:", "https:")   # TLS is set up for https only; it fails before a byte is sent
        missing = os.path.join(self.tmp, "missing-cert.pem")
        os.environ["HANDLER_CERT"] = missing
        line = self.assertError(self.run_cli("card", "get", "--url", url), 2, "client certificate", missing)
        self.assertNotIn("client key", line)
        del os.environ["HANDLER_CERT"]
        cert = os.path.join(self.tmp, "cert.pem")
        with open(cert, "w") as f:
            f.write("not read\n")
        line = self.assertError(self.run_cli("--cert", cert, "--key", missing, "card", "get", "--url", url), 2,
                                "client key", missing)
        self.assertEqual(agent.received, [])

    def test_handler_insecure_says_nothing_about_tls_for_http(self):
        url, agent = self.agent()
        os.environ["HANDLER_INSECURE"] = "1"
        self.assertEqual(self.assertOk(self.run_cli("message", "send", "--url", url, "hi")).err, "")
        self.assertEqual(self.assertOk(self.run_cli("--insecure", "card", "get", "--url", url)).err, "")


class DeepJsonTests(HandlerTestCase):
    """JSON nested deeper than MAX_DEPTH is one line, under CPython and PyPy alike, before anything
    is saved or printed."""
    VERSIONS = ("1.0",)

    def deep_send(self, depth, stream=False):
        url, server = self.scripted()
        nested = "[" * depth + "]" * depth

        def body(req):
            task = dict(wtask("1.0", "completed", "hi"), artifacts=[{"artifactId": "a", "parts": [{"data": "D"}]}])
            payload = {"jsonrpc": "2.0", "id": req.json["id"], "result": {"task": task}}
            return json.dumps(payload).replace('"D"', nested).encode()
        if stream:
            server.posts = [sse_reply(lambda req: [b"data: " + body(req) + b"\n\n"])]
        else:
            server.posts = [Reply(body)]
        return url

    def test_loads_bounds_the_depth(self):
        self.assertIsInstance(handler.loads("[" * 100 + "]" * 100), list)
        for depth in (101, 1000, 100000):
            with self.subTest(depth=depth):
                with self.assertRaises(ValueError) as caught:
                    handler.loads('{"a": ' + "[" * depth + "]" * depth + "}")
                self.assertIn("nested more than 100", str(caught.exception))
        self.assertEqual(handler.loads('{"a": [1, {"b": null}], "c": "x"}'), {"a": [1, {"b": None}], "c": "x"})

    def test_an_answer_nested_too_deeply_is_one_line_and_nothing_is_saved(self):
        for depth, stream, run in ((150, False, self.run_cli), (5000, False, self.run_proc),
                                   (150, True, self.run_cli), (5000, True, self.run_proc)):
            with self.subTest(depth=depth, stream=stream):
                send = ("message", "stream" if stream else "send", "--url")
                self.assertError(run(*send, self.deep_send(depth, stream), "hi"), 1, "nested more than 100")
                r = run("-o", "json", *send, self.deep_send(depth, stream), "hi")
                self.assertIn("nested more than 100", json.loads(r.out.splitlines()[-1])["error"]["message"])
                self.assertFalse(os.path.exists(self.sessions_path))
        self.assertOk(self.run_proc("message", "send", "--url", self.deep_send(90), "hi"))   # deep, not too deep


class McpArgumentTests(HandlerTestCase):
    """Tool arguments are checked against the tool's inputSchema; over-long lines get one answer."""

    def mcp(self, revision="2025-11-25"):
        proc = McpProc(self)
        proc.initialize(revision)
        return proc

    def test_unknown_arguments_are_named_not_python_internals(self):
        url, agent = self.agent()
        proc = self.mcp()
        text = proc.fails("send_message", agent_url=url, message="hi", bearer_token=SECRET, colour="red")[0]
        self.assertIn("takes no bearer_token", text)
        self.assertIn("takes no colour", text)
        self.assertIn("agent_url, message, context_id, task_id, use_session", text)   # what it takes
        self.assertNotIn("keyword", text)
        self.assertNotIn(SECRET, text)
        text = proc.fails("list_tasks", agent_url=url, page_size=500)[0]
        self.assertIn("page_size is out of range: 1..100", text)
        self.assertIn("takes no x", proc.fails("list_sessions", x=1)[0])
        self.assertEqual(agent.received, [])
        self.assertEqual(proc.ok("list_sessions")[1]["count"], 0)

    def test_before_2025_11_25_bad_arguments_are_invalid_params(self):
        url, agent = self.agent()
        proc = self.mcp("2025-06-18")
        for arguments, fragment in (({"agent_url": url, "message": "hi", "bearer_token": SECRET}, "bearer_token"),
                                    ({"agent_url": url}, "needs message"),
                                    ({"agent_url": url, "message": 5}, "message must be a string")):
            with self.subTest(arguments=arguments):
                error = proc.error("tools/call", {"name": "send_message", "arguments": arguments}, -32602)
                self.assertIn(fragment, error["message"])
                self.assertNotIn("keyword", error["message"])
        error = proc.error("tools/call", {"name": "get_task", "arguments": {"agent_url": url, "history_length": -1}},
                           -32602)
        self.assertIn("history_length is out of range: 0..", error["message"])
        self.assertTrue(error["message"].startswith("invalid arguments for get_task: "), error)
        self.assertEqual(agent.received, [])
        self.assertIn("Echo: hi", proc.ok("send_message", agent_url=url, message="hi")[0])

    def test_an_over_long_line_gets_one_error_and_the_server_reads_on(self):
        proc = self.mcp()
        pad = b"x" * (16 * 1024 * 1024 + 1)
        for line, rid in ((b'{"jsonrpc": "2.0", "id": 41, "method": "ping", "params": {"p": "' + pad + b'"}}', 41),
                          (b'{"jsonrpc": "2.0", "method": "ping", "params": {"p": "' + pad + b'"}, "id": "z"}', "z"),
                          (b'{"params": {"p": "' + pad + b'", "id": 5}}', None)):
            with self.subTest(rid=rid):
                proc.send(line)
                answer = proc.receive(timeout=30)
                self.assertEqual((answer["id"], answer["error"]["code"]), (rid, -32600), answer)
                self.assertIn("16 MiB", answer["error"]["message"])
                self.assertEqual(proc.result("ping"), {})               # the next request: its own answer
        proc.close()
        self.assertEqual(len(proc.raw), 7)                              # initialize, then two lines each


def mutated(card, keys, value):
    """A deep copy of card with the value at keys (a path of keys and indexes) replaced or deleted."""
    card = copy.deepcopy(card)
    parent = card
    for key in keys[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[keys[-1]]
    else:
        parent[keys[-1]] = value
    return card


def every_path(value, keys=()):
    """The key path of every value inside a JSON document."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield keys + (key,)
        yield from every_path(item, keys + (key,))


# ============================================================================ issue 11: cards

# What @a2a-js/sdk 1.3.0 serves at /.well-known/agent-card.json (agentCardHandler with legacyCompat;
# the card has a 1.0 and a 0.3 interface per binding and one bearer scheme), BASE for its origin.
# Without A2A-Version (a 0.3 client): the hybrid card, 0.3 fields plus supportedInterfaces, its
# scheme in the 0.3 form. With A2A-Version: 1.0: the 1.0 card, its scheme in ts-proto's in-memory
# oneof form {"scheme": {"$case": ..., "value": ...}}, not the proto JSON a2a.proto defines.
JS_HYBRID_CARD = (
    '{"name":"JS echo","description":"echo","version":"1.0.0","url":"BASE/a2a/jsonrpc","preferred'
    'Transport":"JSONRPC","protocolVersion":"0.3","capabilities":{"streaming":true,"pushNotificat'
    'ions":false},"defaultInputModes":["text/plain"],"defaultOutputModes":["text/plain"],"skills"'
    ':[{"id":"echo","name":"Echo","description":"echoes","tags":["echo"]}],"additionalInterfaces"'
    ':[{"url":"BASE/a2a/rest","transport":"HTTP+JSON"}],"securitySchemes":{"bearer":{"type":"http'
    '","scheme":"bearer","bearerFormat":"JWT"}},"security":[{"bearer":[]}],"supportedInterfaces":'
    '[{"url":"BASE/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"1.0","tenant":""},'
    '{"url":"BASE/a2a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0","tenant":""},{"'
    'url":"BASE/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"0.3","tenant":""},{"u'
    'rl":"BASE/a2a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"0.3","tenant":""}]}'
)
JS_V1_CARD = (
    '{"name":"JS echo","description":"echo","version":"1.0.0","supportedInterfaces":[{"url":"BASE'
    '/a2a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"1.0","tenant":""},{"url":"BASE/'
    'a2a/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0","tenant":""},{"url":"BASE/a2'
    'a/jsonrpc","protocolBinding":"JSONRPC","protocolVersion":"0.3","tenant":""},{"url":"BASE/a2a'
    '/rest","protocolBinding":"HTTP+JSON","protocolVersion":"0.3","tenant":""}],"capabilities":{"'
    'streaming":true,"pushNotifications":false,"extensions":[]},"securitySchemes":{"bearer":{"sch'
    'eme":{"$case":"httpAuthSecurityScheme","value":{"description":"","scheme":"bearer","bearerFo'
    'rmat":"JWT"}}}},"securityRequirements":[{"schemes":{"bearer":{"list":[]}}}],"defaultInputMod'
    'es":["text/plain"],"defaultOutputModes":["text/plain"],"skills":[{"id":"echo","name":"Echo",'
    '"description":"echoes","tags":["echo"],"examples":[],"inputModes":[],"outputModes":[],"secur'
    'ityRequirements":[]}],"signatures":[]}'
)
JS_WRAPPED_MESSAGE = ('not an A2A field: expected {"httpAuthSecurityScheme": {...}} in '
                      '$.securitySchemes.bearer, got {"scheme": {"$case": '
                      '"httpAuthSecurityScheme", ...}}')
SCHEME_KINDS = ("apiKeySecurityScheme, httpAuthSecurityScheme, oauth2SecurityScheme, "
                "openIdConnectSecurityScheme, mtlsSecurityScheme")


def js_card(text, base="http://127.0.0.1:1"):
    return json.loads(text.replace("BASE", base))


class HybridCardValidationTests(unittest.TestCase):
    """card validate on a card with both halves judges each by its own version's rules; a 1.x
    security scheme in a code generator's wrapper names the field and what was expected."""

    def test_the_js_sdk_hybrid_card_is_valid(self):
        self.assertEqual(validate_card(js_card(JS_HYBRID_CARD)), ("1.x", []))
        for card in (SDK_13_SECURED_CARD, HANDLER_CARD):   # both forms in one scheme; 1.x form only
            self.assertEqual(validate_card(card), ("1.x", []))

    def test_the_js_sdk_10_card_names_the_wrapped_scheme_and_what_was_expected(self):
        self.assertEqual(validate_card(js_card(JS_V1_CARD)),
                         ("1.x", [("$.securitySchemes.bearer.scheme", JS_WRAPPED_MESSAGE)]))

    def test_a_wrapped_oauth_flow_is_named_at_its_field(self):
        flow = {"tokenUrl": "https://auth.example.com/token", "scopes": {}}
        card = mutated(V1_CARD, ("securitySchemes", "oauth", "oauth2SecurityScheme", "flows"),
                       {"flow": {"$case": "clientCredentials", "value": flow}})
        where = "$.securitySchemes.oauth.oauth2SecurityScheme.flows"
        self.assertEqual(validate_card(card)[1], [(where + ".flow", (
            'not an A2A field: expected {"clientCredentials": {...}} in %s, '
            'got {"flow": {"$case": "clientCredentials", ...}}' % where))])

    def test_a_scheme_of_neither_form_names_the_fields_it_has(self):
        card = mutated(V1_CARD, ("securitySchemes", "bearer"), {"kind": "bearer"})
        expected = "expected exactly one of %s, got none (it has: kind)" % SCHEME_KINDS
        self.assertEqual(validate_card(card)[1], [("$.securitySchemes.bearer", expected)])

    def test_each_half_holds_its_own_schemes_and_requirements(self):
        hybrid, scheme03 = js_card(JS_HYBRID_CARD), {"type": "http", "scheme": "bearer"}
        bearer, scheme1x = ("securitySchemes", "bearer"), {"mtlsSecurityScheme": {}}
        cases = [   # (card, the JSON paths of its problems below $.securitySchemes.bearer)
            (mutated(hybrid, bearer + ("scheme",), DELETE), [".scheme"]),   # by the 0.3 rules only
            (mutated(hybrid, bearer + ("type",), "kerberos"), [".type"]),
            ({**hybrid, "securityRequirements": [{"schemes": {"bearer": {}}}]}, [""]),   # 1.x needs
            (mutated(hybrid, bearer, scheme1x), [".type"]),                 # 0.3 security: needs
            (mutated(V1_CARD, bearer, scheme03), [""]),                     # a 1.x card: 1.x rules
            (mutated(SDK_13_SECURED_CARD, bearer + ("httpAuthSecurityScheme",), DELETE), [""]),
        ]
        for card, paths in cases:
            with self.subTest(paths=paths):
                version, problems = validate_card(card)
                self.assertEqual((version, [p for p, _ in problems]),
                                 ("1.x", ["$.securitySchemes.bearer" + p for p in paths]), problems)

    def test_the_03_half_needs_both_url_and_protocol_version(self):
        for gone, kept in (("url", "protocolVersion"), ("protocolVersion", "url")):
            with self.subTest(missing=gone):
                card = mutated(js_card(JS_HYBRID_CARD), (gone,), DELETE)
                self.assertEqual(validate_card(card), ("1.x", [("$." + gone, "missing: expected "
                                 + ("an absolute http(s) URL" if gone == "url" else "a string"))]))
                card = mutated(card, (kept,), DELETE)   # a 1.x card, its scheme in 0.3 form only
                got = "expected exactly one of %s, got none (it has: type, scheme, bearerFormat)"
                self.assertEqual(validate_card(card),
                                 ("1.x", [("$.securitySchemes.bearer", got % SCHEME_KINDS)]))
        problems = validate_card(mutated(SDK_13_CARD, ("url",), "a2a"))[1]
        self.assertEqual([p for p, _ in problems], ["$.url"])


class HybridCardInterfaceTests(unittest.TestCase):
    """A card with both halves offers the interfaces of both: 1.x first, the 0.3 half after."""

    def pick(self, card, order=None):
        return handler.pick_interface(card, "http://a.example/", order)[:3]

    def test_the_03_half_serves_a_binding_the_1x_half_lacks(self):
        card = {**wcard("1.0", "http://a.example/rpc"), "url": "http://a.example/rest",
                "protocolVersion": "0.3", "preferredTransport": "HTTP+JSON"}
        self.assertEqual(self.pick(card), ("http://a.example/rpc", "JSONRPC", "1.0"))
        self.assertEqual(self.pick(card, ["HTTP+JSON"]),
                         ("http://a.example/rest", "HTTP+JSON", "0.3"))
        grpc = {**card, "preferredTransport": "JSONRPC", "supportedInterfaces": [
            {"url": "a.example:443", "protocolBinding": "GRPC", "protocolVersion": "1.0"}]}
        self.assertEqual(self.pick(grpc), ("http://a.example/rest", "JSONRPC", "0.3"))

    def test_the_js_sdk_cards_pick_its_10_interfaces(self):
        for text in (JS_HYBRID_CARD, JS_V1_CARD):
            card = js_card(text, "http://a.example")
            self.assertEqual(self.pick(card), ("http://a.example/a2a/jsonrpc", "JSONRPC", "1.0"))
            self.assertEqual(self.pick(card, ["HTTP+JSON"]),
                             ("http://a.example/a2a/rest", "HTTP+JSON", "1.0"))
        card = js_card(JS_HYBRID_CARD, "http://a.example")   # its 1.0 JSON-RPC interface only:
        card["supportedInterfaces"] = card["supportedInterfaces"][:1]   # REST from the 0.3 half
        self.assertEqual(self.pick(card, ["HTTP+JSON"]),
                         ("http://a.example/a2a/rest", "HTTP+JSON", "0.3"))


class _CardVersionHeader:
    """The card request carries A2A-Version: 1.0 (spec 3.6.1), to 0.3 servers too; -H wins."""

    def test_every_card_request_says_a2a_version_10(self):
        url, srv = self.scripted()
        srv.card = None
        srv.gets["/.well-known/agent.json"] = srv.gets["/x/card.json"] = Reply(
            json.dumps(wcard(self.V, url + "/")).encode())
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "ok")))))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual([(r.path, r.headers.get("A2A-Version")) for r in srv.requests[:2]],
                         [(path, "1.0") for path in handler.CARD_PATHS])
        self.assertWire(srv.requests[-1], "SendMessage", "message/send")   # a 0.3 call: none
        r = self.assertOk(self.run_cli("--debug", "card", "get", "--url", url + "/x/card.json"))
        self.assertIn("debug: >   A2A-Version: 1.0\n", r.err)

    def test_the_users_header_wins(self):
        url, srv = self.scripted()
        for name in ("", "A2A-Version", "a2a-version"):
            with self.subTest(name=name):
                argv = ["-H", name + ": 0.3"] if name else []
                self.assertOk(self.run_cli("card", "get", "--url", url, *argv))
                self.assertEqual(srv.requests[-1].headers.get_all("A2A-Version"),
                                 ["0.3" if name else "1.0"])


versioned(_CardVersionHeader, (("1.0",), ("0.3",)))


class JsSdkCardTests(HandlerTestCase):
    """A scripted @a2a-js/sdk 1.3.0: the hybrid card without A2A-Version, its 1.0 card with it."""

    def js_agent(self):
        url, srv = self.scripted("1.0")

        def card(req):
            v1 = req.headers.get("A2A-Version") == "1.0"
            return (JS_V1_CARD if v1 else JS_HYBRID_CARD).replace("BASE", url).encode()
        srv.gets["/.well-known/agent-card.json"] = Reply(card)
        return url, srv

    def test_handler_gets_the_10_card_and_speaks_10_to_its_10_interface(self):
        url, srv = self.js_agent()
        srv.posts.append(Reply(rpc(wsend("1.0", wtask("1.0", "completed", "Echo: hi")))))
        r = self.assertOk(self.run_cli("--debug", "message", "send", "--url", url, "hi"))
        self.assertEqual(r.out, "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        self.assertIn("debug: using JSON-RPC, A2A 1.0, at %s/a2a/jsonrpc" % url, r.err)
        card, send = srv.requests
        self.assertEqual(card.headers.get("A2A-Version"), "1.0")
        self.assertEqual((send.path, send.json["method"], send.headers.get("A2A-Version")),
                         ("/a2a/jsonrpc", "SendMessage", "1.0"))

    def test_card_validate_judges_the_card_each_header_gets(self):
        url, srv = self.js_agent()
        source = url + "/.well-known/agent-card.json"
        r = self.run_cli("card", "validate", "--url", url)
        self.assertEqual((r.code, r.err), (1, ""))
        self.assertEqual(r.out, "$.securitySchemes.bearer.scheme: %s\nFAIL: %s (A2A 1.x): "
                                "1 problem\n" % (JS_WRAPPED_MESSAGE, source))
        r = self.assertOk(self.run_cli("-o", "json", "card", "validate", "--url", url,
                                       "-H", "A2A-Version: 0.3"))
        self.assertEqual(json.loads(r.out), {"source": source, "protocolVersion": "1.x",
                                             "valid": True, "problems": []})
        self.assertEqual([r.headers.get("A2A-Version") for r in srv.requests], ["1.0", "0.3"])


class ValidCardTests(unittest.TestCase):
    def test_real_and_hand_written_cards_are_valid(self):
        expected = {"SDK 0.3.26": "0.3", "SDK 0.3.26 secured": "0.3"}
        for name, card in VALID_CARDS.items():
            with self.subTest(card=name):
                self.assertEqual(validate_card(card), (expected.get(name, "1.x"), []))

    def test_the_dual_card_is_1x_and_without_supported_interfaces_a_valid_03_card(self):
        self.assertEqual(card_protocol_version(SDK_13_CARD), "1.x")
        card = mutated(SDK_13_SECURED_CARD, ("supportedInterfaces",), DELETE)
        self.assertEqual(validate_card(card), ("0.3", []))

    def test_a_1x_card_needs_none_of_the_03_fields(self):
        card = copy.deepcopy(SDK_13_SECURED_CARD)
        for key in ("url", "protocolVersion", "preferredTransport", "security", "supportsAuthenticatedExtendedCard"):
            del card[key]
        for scheme in card["securitySchemes"].values():
            for key in [k for k in scheme if not k.endswith("SecurityScheme")]:
                del scheme[key]
        del card["skills"][0]["security"]
        self.assertEqual(validate_card(card), ("1.x", []))

    def test_builtin_agent_cards_of_every_version_are_valid(self):
        for versions, secured, expected in [(("1.0", "0.3"), True, "1.x"), (("1.0",), True, "1.x"),
                                            (("1.0", "0.3"), False, "1.x"), (("0.3",), False, "0.3"),
                                            (("0.3",), True, "0.3")]:
            with self.subTest(versions=versions, secured=secured):
                card = handler.EchoAgent(versions).card("http://127.0.0.1:1/", secured=secured)
                self.assertEqual(validate_card(json.loads(json.dumps(card))), (expected, []))

    def test_null_counts_as_absent_for_optional_fields(self):
        card = mutated(V1_CARD, ("documentationUrl",), None)
        card["provider"] = None
        self.assertEqual(validate_card(card), ("1.x", []))

    def test_03_allows_empty_strings_and_arrays_that_1x_forbids(self):
        card = mutated(SDK_03_CARD, ("skills",), [])
        card["description"] = ""
        self.assertEqual(validate_card(card), ("0.3", []))
        self.assertEqual([p for p, _ in validate_card(mutated(SDK_13_CARD, ("skills",), []))[1]], ["$.skills"])

    def test_protocol_binding_is_an_open_string(self):
        card = mutated(V1_CARD, ("supportedInterfaces", 1, "protocolBinding"), "WEBSOCKET")
        self.assertEqual(validate_card(card), ("1.x", []))


class BrokenCardTests(unittest.TestCase):
    # (base card, path to change, new value or DELETE, the one JSON path expected in the problems)
    CASES = [
        # 1.x: required fields and their JSON types
        (V1_CARD, ("name",), DELETE, "$.name"),
        (V1_CARD, ("description",), "", "$.description"),
        (V1_CARD, ("version",), 1.2, "$.version"),
        (V1_CARD, ("supportedInterfaces",), [], "$.supportedInterfaces"),
        (V1_CARD, ("supportedInterfaces",), "https://agent.example.com/a2a", "$.supportedInterfaces"),
        (V1_CARD, ("supportedInterfaces", 0), "JSONRPC", "$.supportedInterfaces[0]"),
        (V1_CARD, ("supportedInterfaces", 0, "url"), "/a2a/v1", "$.supportedInterfaces[0].url"),
        (V1_CARD, ("supportedInterfaces", 2, "url"), "https://host:port/a2a", "$.supportedInterfaces[2].url"),
        (V1_CARD, ("supportedInterfaces", 1, "protocolBinding"), DELETE, "$.supportedInterfaces[1].protocolBinding"),
        (V1_CARD, ("supportedInterfaces", 0, "protocolVersion"), 1.0, "$.supportedInterfaces[0].protocolVersion"),
        (V1_CARD, ("supportedInterfaces", 0, "protocolVersion"), DELETE, "$.supportedInterfaces[0].protocolVersion"),
        (V1_CARD, ("supportedInterfaces", 0, "tenant"), 7, "$.supportedInterfaces[0].tenant"),
        (V1_CARD, ("capabilities",), DELETE, "$.capabilities"),
        (V1_CARD, ("capabilities",), [], "$.capabilities"),
        (V1_CARD, ("capabilities", "streaming"), "yes", "$.capabilities.streaming"),
        (V1_CARD, ("capabilities", "extensions", 0, "required"), "no", "$.capabilities.extensions[0].required"),
        (V1_CARD, ("defaultInputModes",), "text/plain", "$.defaultInputModes"),
        (V1_CARD, ("defaultOutputModes",), ["application/json", 5], "$.defaultOutputModes[1]"),
        (V1_CARD, ("skills",), DELETE, "$.skills"),
        (V1_CARD, ("skills", 1), ["map"], "$.skills[1]"),
        (V1_CARD, ("skills", 0, "tags"), DELETE, "$.skills[0].tags"),
        (V1_CARD, ("skills", 1, "tags"), [], "$.skills[1].tags"),
        (V1_CARD, ("skills", 1, "id"), None, "$.skills[1].id"),
        (V1_CARD, ("skills", 0, "examples"), "From A to B", "$.skills[0].examples"),
        (V1_CARD, ("skills", 0, "inputModes"), [None], "$.skills[0].inputModes[0]"),
        (V1_CARD, ("provider", "url"), DELETE, "$.provider.url"),
        (V1_CARD, ("provider", "url"), "example.com", "$.provider.url"),
        (V1_CARD, ("provider", "organization"), {"name": "Example"}, "$.provider.organization"),
        (V1_CARD, ("documentationUrl",), "ftp://docs.example.com/agent", "$.documentationUrl"),
        (V1_CARD, ("iconUrl",), "https://agent example.com/icon.png", "$.iconUrl"),
        (V1_CARD, ("signatures", 0, "signature"), DELETE, "$.signatures[0].signature"),
        # 1.x security: requirement shapes and the schemes they name
        (V1_CARD, ("securityRequirements", 0, "schemes", "bearr"), {}, "$.securityRequirements[0].schemes.bearr"),
        (V1_CARD, ("securityRequirements", 1, "schemes", "oauth", "list"), "read",
         "$.securityRequirements[1].schemes.oauth.list"),
        (V1_CARD, ("securityRequirements",), {"schemes": {}}, "$.securityRequirements"),
        (V1_CARD, ("skills", 0, "securityRequirements", 0, "schemes", "ghost"), {},
         "$.skills[0].securityRequirements[0].schemes.ghost"),
        (V1_CARD, ("securitySchemes",), ["bearer"], "$.securitySchemes"),
        (V1_CARD, ("securitySchemes", "bearer", "apiKeySecurityScheme"), {"location": "header", "name": "K"},
         "$.securitySchemes.bearer"),
        (V1_CARD, ("securitySchemes", "mtls"), {}, "$.securitySchemes.mtls"),
        (V1_CARD, ("securitySchemes", "mtls"), {"type": "mutualTLS"}, "$.securitySchemes.mtls"),
        (V1_CARD, ("securitySchemes", "mtls", "mtlsSecurityScheme"), True, "$.securitySchemes.mtls.mtlsSecurityScheme"),
        (V1_CARD, ("securitySchemes", "api-key", "apiKeySecurityScheme", "location"), "body",
         '$.securitySchemes["api-key"].apiKeySecurityScheme.location'),
        (V1_CARD, ("securitySchemes", "bearer", "httpAuthSecurityScheme", "scheme"), DELETE,
         "$.securitySchemes.bearer.httpAuthSecurityScheme.scheme"),
        (V1_CARD, ("securitySchemes", "oauth", "oauth2SecurityScheme", "flows", "password"), {},
         "$.securitySchemes.oauth.oauth2SecurityScheme.flows"),
        (V1_CARD, ("securitySchemes", "oauth", "oauth2SecurityScheme", "flows", "clientCredentials", "tokenUrl"),
         DELETE, "$.securitySchemes.oauth.oauth2SecurityScheme.flows.clientCredentials.tokenUrl"),
        (V1_CARD, ("securitySchemes", "oauth", "oauth2SecurityScheme", "flows", "clientCredentials", "scopes"), {},
         "$.securitySchemes.oauth.oauth2SecurityScheme.flows.clientCredentials.scopes"),
        (V1_CARD, ("securitySchemes", "code", "oauth2SecurityScheme", "flows", "authorizationCode", "scopes", "read"),
         ["Read"], "$.securitySchemes.code.oauth2SecurityScheme.flows.authorizationCode.scopes.read"),
        (V1_CARD, ("securitySchemes", "device", "oauth2SecurityScheme", "flows", "deviceCode",
                   "deviceAuthorizationUrl"), "device",
         "$.securitySchemes.device.oauth2SecurityScheme.flows.deviceCode.deviceAuthorizationUrl"),
        (V1_CARD, ("securitySchemes", "oidc", "openIdConnectSecurityScheme", "openIdConnectUrl"), "openid",
         "$.securitySchemes.oidc.openIdConnectSecurityScheme.openIdConnectUrl"),
        # 0.3
        (SDK_03_SECURED_CARD, ("url",), DELETE, "$.url"),
        (SDK_03_SECURED_CARD, ("url",), "/a2a", "$.url"),
        (SDK_03_SECURED_CARD, ("protocolVersion",), DELETE, "$.protocolVersion"),
        (SDK_03_SECURED_CARD, ("protocolVersion",), 0.3, "$.protocolVersion"),
        (SDK_03_SECURED_CARD, ("preferredTransport",), ["JSONRPC"], "$.preferredTransport"),
        (SDK_03_SECURED_CARD, ("additionalInterfaces", 0, "transport"), DELETE, "$.additionalInterfaces[0].transport"),
        (SDK_03_SECURED_CARD, ("additionalInterfaces", 0, "url"), "grpc.example.com:443", "$.additionalInterfaces[0].url"),
        (SDK_03_SECURED_CARD, ("capabilities", "stateTransitionHistory"), "no", "$.capabilities.stateTransitionHistory"),
        (SDK_03_SECURED_CARD, ("supportsAuthenticatedExtendedCard",), "true", "$.supportsAuthenticatedExtendedCard"),
        (SDK_03_SECURED_CARD, ("skills", 0, "name"), DELETE, "$.skills[0].name"),
        (SDK_03_SECURED_CARD, ("security", 0, "ghost"), [], "$.security[0].ghost"),
        (SDK_03_SECURED_CARD, ("security", 1, "oauth"), "read", "$.security[1].oauth"),
        (SDK_03_SECURED_CARD, ("skills", 0, "security", 0), {"ghost": []}, "$.skills[0].security[0].ghost"),
        (SDK_03_SECURED_CARD, ("securitySchemes", "bearer", "type"), "kerberos", "$.securitySchemes.bearer.type"),
        (SDK_03_SECURED_CARD, ("securitySchemes", "bearer"), {"httpAuthSecurityScheme": {"scheme": "Bearer"}},
         "$.securitySchemes.bearer.type"),
        (SDK_03_SECURED_CARD, ("securitySchemes", "key", "in"), DELETE, "$.securitySchemes.key.in"),
        (SDK_03_SECURED_CARD, ("securitySchemes", "oauth", "flows", "authorizationCode", "scopes"), DELETE,
         "$.securitySchemes.oauth.flows.authorizationCode.scopes"),
        (SDK_03_SECURED_CARD, ("securitySchemes", "oidc", "openIdConnectUrl"), 42, "$.securitySchemes.oidc.openIdConnectUrl"),
        # the dual card: its 0.3 fields hold to their 0.3 types
        (SDK_13_SECURED_CARD, ("url",), "a2a/v03", "$.url"),
        (SDK_13_SECURED_CARD, ("protocolVersion",), 0.3, "$.protocolVersion"),
        (SDK_13_SECURED_CARD, ("security", 0, "ghost"), [], "$.security[0].ghost"),
        (SDK_13_SECURED_CARD, ("securitySchemes", "bearer", "scheme"), DELETE, "$.securitySchemes.bearer.scheme"),
        (SDK_13_SECURED_CARD, ("securitySchemes", "key", "in"), "body", "$.securitySchemes.key.in"),
        (SDK_13_SECURED_CARD, ("securitySchemes", "key", "apiKeySecurityScheme"), DELETE, "$.securitySchemes.key"),
        (SDK_13_SECURED_CARD, ("skills", 0, "security", 0, "key"), "read", "$.skills[0].security[0].key"),
        (HANDLER_CARD, ("url",), "http://", "$.url"),
    ]

    def test_each_broken_card_has_exactly_one_problem_at_the_expected_path(self):
        self.assertGreaterEqual(len(self.CASES), 15)
        for base, keys, value, path in self.CASES:
            with self.subTest(path=path, value=value):
                version, problems = validate_card(mutated(base, keys, value))
                self.assertEqual(version, card_protocol_version(base))
                self.assertEqual([p for p, _ in problems], [path], problems)
                self.assertRegex(problems[0][1], r"^(missing|expected|is empty|names security scheme)")

    def test_not_an_object(self):
        for card, shown in [([], "an array"), ("{}", "'{}'"), (None, "null"), (3, "a number"), (True, "a boolean")]:
            with self.subTest(card=card):
                self.assertEqual(validate_card(card),
                                 ("unknown", [("$", f"expected a JSON object (an agent card), got {shown}")]))

    def test_a_card_of_neither_version(self):
        card = mutated(SDK_03_CARD, ("url",), DELETE)
        del card["protocolVersion"]
        self.assertEqual(validate_card(card), ("unknown", [
            ("$.supportedInterfaces",
             "missing: expected supportedInterfaces (A2A 1.x), or url and protocolVersion (A2A 0.3)")]))
        self.assertEqual(validate_card({})[1][:2], [
            ("$.supportedInterfaces",
             "missing: expected supportedInterfaces (A2A 1.x), or url and protocolVersion (A2A 0.3)"),
            ("$.name", "missing: expected a string")])

    def test_messages_say_what_was_expected(self):
        cases = [
            ((("supportedInterfaces", 0, "url"), "/a2a/v1"), "expected an absolute http(s) URL, got '/a2a/v1'"),
            ((("supportedInterfaces",), []), "is empty: A2A 1.x requires at least one entry"),
            ((("description",), ""), "is empty: A2A 1.x requires at least one character"),
            ((("skills", 0, "tags"), DELETE), "missing: expected an array of strings"),
            ((("capabilities", "streaming"), 1), "expected true or false, got a number"),
            ((("securitySchemes", "api-key", "apiKeySecurityScheme", "location"), "body"),
             "expected one of query, header, cookie, got 'body'"),
            ((("securitySchemes", "mtls"), {}),
             "expected exactly one of apiKeySecurityScheme, httpAuthSecurityScheme, oauth2SecurityScheme, "
             "openIdConnectSecurityScheme, mtlsSecurityScheme, got none"),
            ((("securityRequirements", 0, "schemes", "bearr"), {}),
             "names security scheme 'bearr', which securitySchemes does not define "
             "(it defines: bearer, api-key, oauth, code, device, legacy, oidc, mtls)"),
        ]
        for (keys, value), message in cases:
            with self.subTest(keys=keys):
                self.assertEqual([m for _, m in validate_card(mutated(V1_CARD, keys, value))[1]], [message])
        long_url = "x" * 100
        message = validate_card(mutated(V1_CARD, ("iconUrl",), long_url))[1][0][1]
        self.assertEqual(message, f"expected an absolute http(s) URL, got '{'x' * 57}...'")

    def test_several_problems_are_all_reported(self):
        card = mutated(V1_CARD, ("name",), DELETE)
        card["supportedInterfaces"][1]["url"] = "grpc://agent.example.com"
        card["skills"][0]["tags"] = "maps"
        card["securityRequirements"][0]["schemes"]["nope"] = {}
        self.assertEqual([p for p, _ in validate_card(card)[1]], [
            "$.supportedInterfaces[1].url", "$.name", "$.skills[0].tags", "$.securityRequirements[0].schemes.nope"])


# ============================================================================ hostile output

# What a hostile agent or webhook sender writes: clear screen, window title (OSC 0), clipboard
# (OSC 52), a CSI as the one C1 character U+009B, CR, backspace, DEL, a lone surrogate; and how
# text output shows it.
HOSTILE = "A\x1b[2JB\x1b]0;pwned\x07C\x1b]52;c;cHduZWQ=\x07D\x9b31mE\rF\x08G\x7fH\ud800I\tJ"
SHOWN = "A^[[2JB^[]0;pwned^GC^[]52;c;cHduZWQ=^GDM-^[31mE^MF^HG^?H?I\tJ"
HOSTILE_UTF8 = HOSTILE.replace("\ud800", "\u00e9")    # -o json keeps it UTF-8, C1 and DEL escaped
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class HostileOutputTests(HandlerTestCase):
    """In text mode, control characters from an agent or a webhook sender are shown in caret
    notation (newline and tab kept); -o json escapes them and round-trips the exact string."""

    def assertSafe(self, r):
        for stream in (r.out, r.err):
            self.assertIsNone(RAW_CONTROL.search(stream), r)

    def test_visible(self):
        self.assertEqual(handler.visible(HOSTILE), SHOWN)
        self.assertEqual(handler.visible("\x00\x1f\x80\x9f\n\t\u00a0é"),
                         "^@^_M-^@M-^_\n\t\u00a0é")

    def test_message_send(self):
        url, srv = self.scripted()
        for argv in (("--no-session",), ()):
            srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", HOSTILE)))))
            r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi", *argv))
            self.assertEqual(r.out, SHOWN + "\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
            self.assertSafe(r)
        srv.posts.append(Reply(rpc(wsend(self.V, wmessage(self.V, HOSTILE)))))
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hi"))   # a real stdout
        self.assertEqual(r.out, SHOWN + "\nContext ID: c-1\n")
        self.assertSafe(r)
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", HOSTILE)))))
        r = self.assertOk(self.run_proc("-o", "json", "message", "send", "--url", url, "hi"))
        self.assertSafe(r)
        self.assertEqual(json.loads(r.out)["task"]["artifacts"][0]["parts"][0]["text"], HOSTILE)

    def test_message_stream(self):
        url, srv = self.scripted()
        events = [wsend(self.V, wtask(self.V, "submitted")), wchunk(self.V, HOSTILE[:20]),
                  wchunk(self.V, HOSTILE[20:], append=True, last=True),
                  wstatus(self.V, "completed")]
        srv.posts.append(sse_reply(sse(events)))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertEqual(r.out, SHOWN + "\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        self.assertSafe(r)
        srv.posts.append(sse_reply(sse(events)))
        r = self.assertOk(self.run_proc("-o", "json", "message", "stream", "--url", url, "hi"))
        self.assertSafe(r)
        chunks = [json.loads(line)["artifactUpdate"]["artifact"]["parts"][0]["text"]
                  for line in r.out.splitlines() if "artifactUpdate" in line]
        self.assertEqual("".join(chunks), HOSTILE)

    def test_task_get(self):
        url, srv = self.scripted()
        task = wtask(self.V, "input-required", HOSTILE)
        task["status"]["message"] = wmessage(self.V, "Q" + HOSTILE)
        srv.posts.append(Reply(rpc(task)))
        r = self.assertOk(self.run_cli("task", "get", "t-1", "--url", url))
        self.assertEqual(r.out, "%s\nQ%s\nTask ID: t-1\nContext ID: c-1\nState: input-required\n"
                         % (SHOWN, SHOWN))
        self.assertSafe(r)
        srv.posts.append(Reply(rpc(task)))
        r = self.assertOk(self.run_cli("-o", "json", "task", "get", "t-1", "--url", url))
        self.assertSafe(r)
        self.assertEqual(json.loads(r.out)["status"]["message"]["parts"][0]["text"], "Q" + HOSTILE)

    def test_card_get(self):
        url, srv = self.scripted()
        srv.card = wcard(self.V, url + "/", name="N" + HOSTILE)
        srv.card.update(name="N" + HOSTILE, description="D" + HOSTILE_UTF8, version="V" + HOSTILE,
                        skills=[{"id": "s1", "name": "S" + HOSTILE, "description": "K" + HOSTILE,
                                 "tags": ["t"]}])
        r = self.assertOk(self.run_cli("card", "get", "--url", url))
        self.assertSafe(r)
        for line in ("Name: N" + SHOWN, "Description: D" + SHOWN.replace("H?I", "H\u00e9I"),
                     "Version: V" + SHOWN,
                     "  - S%s: K%s" % (SHOWN, SHOWN)):
            self.assertIn(line, r.out.splitlines())
        r = self.assertOk(self.run_proc("-o", "json", "card", "get", "--url", url))
        self.assertSafe(r)
        card = json.loads(r.out)
        self.assertEqual((card["name"], card["skills"][0]["description"], card["description"]),
                         ("N" + HOSTILE, "K" + HOSTILE, "D" + HOSTILE_UTF8))
        srv.card = wcard(self.V, url + "/", name=HOSTILE_UTF8)
        srv.card["name"] = HOSTILE_UTF8
        r = self.assertOk(self.run_proc("-o", "json", "card", "get", "--url", url))
        self.assertSafe(r)
        self.assertIn('"A\\u001b[2JB', r.out)
        self.assertIn("\\u009b31mE\\rF\\bG\\u007fH\u00e9I\\tJ", r.out)
        self.assertEqual(json.loads(r.out)["name"], HOSTILE_UTF8)

    def test_a_file_name_is_one_line(self):
        url, srv = self.scripted()
        name = "evil\nState: completed\r\x1b[2J.txt"
        task = wtask(self.V, "failed")
        task["artifacts"] = [{"artifactId": "a1", "parts": [wfile(self.V, b"data", name=name)]}]
        srv.posts.append(Reply(rpc(wsend(self.V, task))))
        r = self.run_cli("message", "send", "--url", url, "hi")
        self.assertSafe(r)
        self.assertEqual(r.out.splitlines()[0],
                         "[file evil^JState: completed^M^[[2J.txt (unknown type), 4 bytes inline]")
        self.assertEqual(self.ids(r)[2], "failed")
        self.assertEqual(handler.part_text({"url": "http://x/\n", "filename": "a\nb"}),
                         "[file a^Jb (unknown type), at http://x/^J]")
        srv.posts.append(sse_reply(sse([wsend(self.V, task), wstatus(self.V, "completed")])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertSafe(r)
        self.assertEqual(r.out.splitlines()[0],
                         "[file evil^JState: completed^M^[[2J.txt (unknown type), 4 bytes inline]")

    def test_an_agent_error_message(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc_error(-32603, HOSTILE)))
        r = self.run_cli("message", "send", "--url", url, "hi")
        self.assertSafe(r)
        self.assertError(r, 1, "InternalError", SHOWN)
        srv.posts.append(Reply(rpc_error(-32603, HOSTILE)))
        r = self.run_proc("-o", "json", "message", "send", "--url", url, "hi")
        self.assertSafe(r)
        self.assertIn(SHOWN, r.err)
        self.assertIn(HOSTILE, self.assertJsonError(r, "InternalError", 1)["message"])

    def receiver(self, fmt):
        out, err = io.StringIO(), io.StringIO()
        o = handler.Output(fmt, stdout=out, stderr=err)
        server = handler.make_push_server("127.0.0.1", 0, None, o.notification, o.warn)
        server.handle_error = lambda request, address: None
        return self._serve(server), server, out, err

    def test_server_push_lines_and_paths(self):
        url, server, out, err = self.receiver("text")
        message = {"message": wmessage("1.0", HOSTILE)}
        self.assertEqual(http_post(url + "/hook", message), (200, ""))
        self.assertRegex(out.getvalue(),
                         r"^\d\d:\d\d:\d\d task - message: %s\n$" % re.escape(SHOWN))
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(b"POST /x\x1b]0;pwned\x07\x9b2J\x08 HTTP/1.0\r\n"
                         b"Content-Length: 2\r\n\r\n{}")
            self.assertRegex(sock.recv(100), rb"^HTTP/1\.[01] 400 ")
        self.assertTrue(err.getvalue().startswith("warning: ignored a malformed notification to "
                                                  "/x^[]0;pwned^GM-^[2J^H: "), err.getvalue())
        self.assertIsNone(RAW_CONTROL.search(out.getvalue() + err.getvalue()))
        url, server, out, err = self.receiver("json")
        message = {"message": wmessage("1.0", HOSTILE_UTF8)}
        self.assertEqual(http_post(url + "/hook", message), (200, ""))
        self.assertIsNone(RAW_CONTROL.search(out.getvalue()))
        self.assertEqual(json.loads(out.getvalue()), message)

    def test_server_push_command(self):
        srv = ProcServer(self, "server", "push", "--port", "0")
        self.assertEqual(http_post(srv.url, wchunk("1.0", HOSTILE)), (200, ""))
        self.assertRegex(srv.out_line(),
                         r"^\d\d:\d\d:\d\d task t-1 artifact a1: %s$" % re.escape(SHOWN))
        self.assertIsNone(RAW_CONTROL.search(srv.stop()))


class UnencodableOutputTests(HandlerTestCase):
    """A stdout that cannot encode a character (PYTHONIOENCODING=ascii, LANG=C) shows "?" for it,
    and the command exits as it would have on a UTF-8 terminal."""
    SAID = "caf\u00e9 \u2026 \u65e5\u672c \U0001f600"

    def setUp(self):
        super().setUp()
        for name in ("PYTHONUTF8", "LC_CTYPE", "LANGUAGE"):
            os.environ.pop(name, None)

    def test_ascii_stdout(self):
        url, srv = self.scripted()
        os.environ["PYTHONIOENCODING"] = "ascii"
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", self.SAID)))))
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hi"))
        self.assertEqual(r.out, "caf? ? ?? ?\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", self.SAID)))))
        r = self.assertOk(self.run_proc("-o", "json", "message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.isascii(), r)
        self.assertEqual(json.loads(r.out)["task"]["artifacts"][0]["parts"][0]["text"], self.SAID)
        srv.posts.append(Reply(rpc_error(-32603, self.SAID)))   # a failure keeps its exit code
        self.assertError(self.run_proc("message", "send", "--url", url, "hi"), 1, "InternalError")
        srv.posts.append(Reply(rpc_error(-32603, self.SAID)))
        r = self.run_proc("-o", "json", "message", "send", "--url", url, "hi")
        self.assertTrue(self.assertJsonError(r, "InternalError", 1)["message"].endswith(self.SAID))

    def test_auth_show_on_ascii_and_c_locale(self):
        self.assertOk(self.run_proc("auth", "set", "--url", "http://127.0.0.1:9/",
                                    "--bearer-token", "-", stdin=SECRET + "\n"))
        for env in ({"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "LANG": "C"}):
            with self.subTest(env=env), mock.patch.dict(os.environ, env):
                r = self.assertOk(self.run_proc("auth", "show"))
                self.assertRegex(r.out, r"^http://127\.0\.0\.1:9: bearer token sk-l\S+\n$")
                self.assertNotIn(SECRET, r.out)
                r = self.assertOk(self.run_proc("-o", "json", "auth", "show"))
                self.assertEqual(json.loads(r.out)["count"], 1)

    def test_c_locale_and_a_lone_surrogate(self):
        url, srv = self.scripted()
        os.environ.update(LC_ALL="C", LANG="C")
        said = "x\ud800y " + self.SAID
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", said)))))
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hi"))
        self.assertEqual(r.out.splitlines()[0], "x?y " + self.SAID)
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "x\ud800y")))))
        r = self.assertOk(self.run_proc("-o", "json", "message", "send", "--url", url, "hi"))
        self.assertEqual(json.loads(r.out)["task"]["artifacts"][0]["parts"][0]["text"], "x\ud800y")


class RobustnessTests(unittest.TestCase):
    GARBAGE = [None, True, 0, -1.5, "", "x", "http://[::1", [], [None, 1], {}, {"a": [{}]}, [[["deep"]]],
               {"type": "oauth2", "flows": []}, {"schemes": "x"}, {"list": {}}]

    def assert_well_formed(self, result):
        version, problems = result
        self.assertIn(version, ("1.x", "0.3", "unknown"))
        self.assertIsInstance(problems, list)
        for path, message in problems:
            self.assertRegex(path, JSON_PATH)
            self.assertIsInstance(message, str)
            self.assertTrue(message)

    def test_any_value_anywhere_never_raises(self):
        for name, card in VALID_CARDS.items():
            for keys in list(every_path(card)):
                for value in self.GARBAGE + [DELETE]:
                    with self.subTest(card=name, keys=keys, value=value):
                        self.assert_well_formed(validate_card(mutated(card, keys, value)))

    def test_any_value_for_the_card_itself_never_raises(self):
        for value in self.GARBAGE + [{"supportedInterfaces": value, "securitySchemes": value, "skills": [value],
                                      "securityRequirements": [value], "security": [value]}
                                     for value in self.GARBAGE]:
            with self.subTest(value=value):
                self.assert_well_formed(validate_card(value))

    def test_deeply_nested_garbage_is_not_walked(self):
        deep = []
        for _ in range(10000):
            deep = [deep]
        card = mutated(V1_CARD, ("capabilities", "extensions", 0, "params"), {"x": deep})
        card["skills"][0]["tags"] = deep
        self.assertEqual([p for p, _ in validate_card(card)[1]], ["$.skills[0].tags[0]"])


# ============================================================================ 14. helpers for tasks, push, parts

PUSH_TOKEN = "push-token-0123456789SECRET"
PUSH_CREDS = "push-creds-9876543210SECRET"


# ============================================================================ issue 11: output real servers trip

def wreplace(v, text, aid="a1"):
    """An artifact update that replaces the artifact: the same id, `append: false` said outright."""
    event = wchunk(v, text, last=True, aid=aid)
    (event if v == "0.3" else event["artifactUpdate"])["append"] = False
    return event


def wasked(v, text, mid="q-1", snapshot=False, history=False, tid="t-1"):
    """An input-required status update (or task snapshot) asking `text`: in status.message, or
    (history=True) only as the agent's last message in the task's history."""
    question = wmessage(v, text)
    question.pop("messageId") if mid is None else question.update(messageId=mid)
    task = wtask(v, "input-required", tid=tid)
    if history:
        user = dict(wmessage(v, "ask me"), messageId="m-user", role="user" if v == "0.3" else "ROLE_USER")
        task["history"] = [user, question]
    else:
        task["status"]["message"] = question
    if snapshot or history:
        return wsend(v, task)
    event = wstatus(v, "input-required", tid=tid)
    (event if v == "0.3" else event["statusUpdate"])["status"]["message"] = question
    return event


def ids_text(state, tid="t-1"):
    return "Task ID: %s\nContext ID: c-1\nState: %s\n" % (tid, state)


class _ReplacedArtifact:
    """A server streams chunks with append, then the whole artifact again with append: false."""
    def events(self, replacement):
        return wevents(self.V, final=None) + [wreplace(self.V, replacement), wstatus(self.V, "completed")]

    def stream(self, url, *options, fmt="text", command=("message", "stream")):
        target = "hi" if command[0] == "message" else "t-1"
        return self.assertOk(self.run_cli("-o", fmt, *command, "--url", url, *options, target))

    def test_a_replacement_that_repeats_or_extends_prints_only_the_rest(self):
        url, srv = self.scripted()
        for replacement, shown in (("Echo: hi", "Echo: hi"), ("Echo: hi there", "Echo: hi there")):
            with self.subTest(replacement=replacement):
                srv.posts.append(sse_reply(sse(self.events(replacement))))
                r = self.stream(url)
                self.assertEqual(r.out, shown + "\n" + ids_text("completed"))
                self.assertEqual(r.err, "")

    def test_a_replacement_that_differs_is_marked_and_shown_whole(self):
        url, srv = self.scripted()
        saved = os.path.join(self.tmp, "saved")
        srv.posts.append(sse_reply(sse(self.events("Bye"))))
        r = self.stream(url, "--save-artifacts", saved)
        self.assertEqual(r.out, "Echo: hi\n[artifact a1 replaced]\nBye\n" + ids_text("completed"))
        with open(os.path.join(saved, "a1.txt"), "rb") as f:
            self.assertEqual(f.read(), b"Bye")
        srv.posts.append(sse_reply(sse(self.events("Bye"))))
        r = self.stream(url, fmt="json")
        last = [json.loads(line) for line in r.out.splitlines()][-2]["artifactUpdate"]
        self.assertEqual((last["append"], last["artifact"]["parts"]), (False, [{"text": "Bye"}]))

    def test_task_resubscribe(self):
        url, srv = self.scripted()
        snapshot = wtask(self.V, "working", "Echo: ")
        events = [wsend(self.V, snapshot), wchunk(self.V, "hi", append=True), wreplace(self.V, "Echo: hi"),
                  wstatus(self.V, "completed"), wsend(self.V, wtask(self.V, "completed", "Echo: hi"))]
        srv.posts.append(sse_reply(sse(events)))
        saved = os.path.join(self.tmp, "saved")
        r = self.stream(url, "--save-artifacts", saved, command=("task", "resubscribe"))
        self.assertEqual(r.out, "Echo: hi\n" + ids_text("completed"))
        srv.posts.append(sse_reply(sse(events[:2] + [wreplace(self.V, "Other")] + events[3:4])))
        r = self.stream(url, "--save-artifacts", saved, command=("task", "resubscribe"))
        self.assertEqual(r.out, "Echo: hi\n[artifact a1 replaced]\nOther\n" + ids_text("completed"))
        with open(os.path.join(saved, "a1.txt"), "rb") as f:
            self.assertEqual(f.read(), b"Echo: hi")
        with open(os.path.join(saved, "a1-1.txt"), "rb") as f:
            self.assertEqual(f.read(), b"Other")
        method = "SubscribeToTask" if self.V == "1.0" else "tasks/resubscribe"
        self.assertEqual({b["method"] for b in srv.post_bodies()}, {method})

    def test_chat_piped(self):
        url, srv = self.scripted()
        srv.posts += [sse_reply(sse(self.events("Echo: hi"))), sse_reply(sse(self.events("Bye")))]
        r = self.run_proc("chat", "--url", url, stdin="hi\nhi\n")
        self.assertEqual(r.out, "Echo: hi\n" + ids_text("completed")
                         + "Echo: hi\n[artifact a1 replaced]\nBye\n" + ids_text("completed"))
        self.assertEqual(r.err, "")
        srv.posts.append(sse_reply(sse(self.events("Bye"))))
        r = self.run_proc("-o", "json", "chat", "--url", url, stdin="hi\n")
        self.assertEqual(json.loads(r.out)["task"]["artifacts"], [{"artifactId": "a1", "parts": [{"text": "Bye"}]}])


versioned(_ReplacedArtifact, (("1.0",), ("0.3",)))


class _StreamAnswersQuestion:
    """A stream that answers an input-required task opens with the task as it stands: still
    input-required, the old question in status.message."""

    def ask(self, url, srv, mid="q-1"):
        srv.posts.append(sse_reply(sse([wsend(self.V, wtask(self.V, "submitted")), wasked(self.V, "What?", mid)])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "ask me"))
        self.assertEqual(r.out, "What?\n" + ids_text("input-required"))

    def answer(self, snapshot_mid="q-1"):
        return [wasked(self.V, "What?", snapshot_mid, snapshot=True), wstatus(self.V, "working"),
                wchunk(self.V, "Echo: green", last=True), wstatus(self.V, "completed")]

    def test_message_stream_in_a_new_process(self):
        for mid in ("q-1", None):
            with self.subTest(message_id=mid):
                url, srv = self.scripted()
                self.ask(url, srv, mid)
                srv.posts.append(sse_reply(sse(self.answer(mid))))
                r = self.assertOk(self.run_proc("message", "stream", "--url", url, "green"))
                self.assertEqual(r.out, "Echo: green\n" + ids_text("completed"))
                self.assertEqual(srv.post_bodies()[-1]["params"]["message"]["taskId"], "t-1")

    def test_a_new_question_is_shown(self):
        url, srv = self.scripted()
        self.ask(url, srv)
        srv.posts.append(sse_reply(sse(self.answer()[:2] + [wasked(self.V, "And the size?", "q-2")])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "green"))
        self.assertEqual(r.out, "And the size?\n" + ids_text("input-required"))
        srv.posts.append(sse_reply(sse(self.answer("q-2")[:2] + [wstatus(self.V, "input-required")])))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "blue"))   # still asked
        self.assertEqual(r.out, "What?\n" + ids_text("input-required"))
        srv.posts.append(sse_reply(sse([wasked(self.V, "What?", snapshot=True)])))   # not an answer
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "--new", "hi"))
        self.assertEqual(r.out, "What?\n" + ids_text("input-required"))

    def test_chat_piped_prints_what_message_send_does(self):
        url, srv = self.scripted()
        srv.posts += [sse_reply(sse([wsend(self.V, wtask(self.V, "submitted")), wasked(self.V, "What?", None)])),
                      sse_reply(sse(self.answer(None)))]
        r = self.run_proc("chat", "--url", url, stdin="ask me\ngreen\n")
        self.assertEqual(r.out, "What?\n" + ids_text("input-required") + "Echo: green\n" + ids_text("completed"))
        self.assertEqual(srv.post_bodies()[-1]["params"]["message"]["taskId"], "t-1")


versioned(_StreamAnswersQuestion, (("1.0",), ("0.3",)))


class _QuestionInHistory:
    """An input-required task whose question is only the agent's last message in its history."""

    def test_message_send_and_task_get(self):
        url, srv = self.scripted()
        asked = wasked(self.V, "What should I echo?", history=True)
        srv.posts += [Reply(rpc(asked)), Reply(rpc(asked if self.V == "0.3" else asked["task"]))]
        expected = "What should I echo?\n" + ids_text("input-required")
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "ask me"))
        self.assertEqual(r.out, expected)
        r = self.assertOk(self.run_cli("task", "get", "--url", url))
        self.assertEqual(r.out, expected)
        srv.posts.append(Reply(rpc(asked if self.V == "0.3" else asked["task"])))
        doc = json.loads(self.assertOk(self.run_cli("-o", "json", "task", "get", "--url", url)).out)
        self.assertNotIn("message", doc["status"])        # display only
        done = wtask(self.V, "completed", "Echo: hi")
        done["history"] = [wmessage(self.V, "earlier words")]
        srv.posts.append(Reply(rpc(wsend(self.V, done))))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))   # only a waiting task's
        self.assertEqual(r.out, "Echo: hi\n" + ids_text("completed"))

    def test_chat_piped_and_streams(self):
        url, srv = self.scripted()
        asked = wasked(self.V, "What should I echo?", history=True)
        srv.posts += [sse_reply(sse([asked])), sse_reply(sse([asked]))]
        expected = "What should I echo?\n" + ids_text("input-required")
        self.assertEqual(self.run_proc("chat", "--url", url, stdin="ask me\n").out, expected)
        self.assertEqual(self.assertOk(self.run_cli("task", "resubscribe", "--url", url)).out, expected)
        card = wcard(self.V, url + "/")
        card["capabilities"] = {"streaming": False}
        srv.card = card
        srv.posts.append(Reply(rpc(asked)))
        self.assertEqual(self.run_proc("chat", "--url", url, stdin="ask me\n").out, expected)


versioned(_QuestionInHistory, (("1.0",), ("0.3",)))


class _CancelNotCanceled:
    """CancelTask answered with a task that is not canceled: still working, or already completed."""

    def test_still_working(self):
        url, srv = self.scripted()
        srv.posts += [Reply(rpc(wtask(self.V, "working"))), Reply(rpc(wtask(self.V, "working")))]
        r = self.assertOk(self.run_cli("task", "cancel", "t-1", "--url", url))
        self.assertEqual(r.out, ids_text("working"))
        self.assertEqual(r.err, "warning: task t-1 is still working: the agent has not canceled it yet; "
                         "see whether it stops with: handler.py task get t-1 --url %s --wait\n" % url)
        r = self.assertOk(self.run_cli("-o", "json", "task", "cancel", "t-1", "--url", url))
        self.assertEqual(json.loads(r.out)["status"]["state"], wstate("1.0", "working"))
        self.assertTrue(r.err.startswith("warning: task t-1 is still working"), r)

    def test_already_completed(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wtask(self.V, "completed", "done"))))
        r = self.assertOk(self.run_cli("task", "cancel", "t-1", "--url", url))
        self.assertEqual(r.out, ids_text("completed"))
        self.assertEqual(r.err, "warning: task t-1 had already ended completed: nothing was canceled\n")
        method = "CancelTask" if self.V == "1.0" else "tasks/cancel"
        self.assertEqual([b["method"] for b in srv.post_bodies()], [method])

    def test_chat_cancel(self):
        url, srv = self.scripted()
        srv.posts += [sse_reply(sse([wasked(self.V, "What?")])), Reply(rpc(wtask(self.V, "working")))]
        r = self.run_proc("chat", "--url", url, stdin="ask me\n/cancel\n")
        self.assertEqual(r.out, "What?\n" + ids_text("input-required") + ids_text("working"))
        self.assertTrue(r.err.startswith("warning: task t-1 is still working"), r)


versioned(_CancelNotCanceled, (("1.0",), ("0.3",)))


class _NotJsonRpcEndpoint:
    def test_a_500_that_is_not_json_rpc_gets_a_hint(self):
        url, srv = self.scripted()
        for reply in (Reply(b"Internal Server Error", 500, "text/plain"),
                      Reply(b"<html><body><h1>Oops</h1></body></html>", 500, "text/html"),
                      Reply(b'{"detail": "Method Not Allowed"}', 405)):
            with self.subTest(body=reply.body):
                srv.posts.append(reply)
                r = self.run_cli("message", "send", "--url", url, "hi")
                self.assertError(r, 1, "HTTP %d" % reply.status,
                                 "the agent does not answer A2A JSON-RPC at the URL its card names",
                                 "card get --url " + url)
        srv.posts.append(Reply(rpc_error(-32603, "the agent broke"), 500))   # a JSON-RPC error: no hint
        self.assertNotIn("does not answer", self.assertError(self.run_cli("message", "send", "--url", url, "hi"),
                                                             1, "the agent broke"))


versioned(_NotJsonRpcEndpoint, (("1.0",), ("0.3",)))


class McpListTasksNextPageTests(HandlerTestCase):
    def test_the_next_page_is_named_by_the_tools_own_argument(self):
        url, srv = self.scripted("1.0")
        tasks = {"tasks": [wtask("1.0", "completed")], "nextPageToken": "p-2", "pageSize": 1, "totalSize": 2}
        srv.posts.append(Reply(rpc(tasks)))
        proc = McpProc(self)
        proc.initialize(MCP_NEWEST)
        text, result = proc.ok("list_tasks", agent_url=url, page_size=1)
        self.assertEqual(text.splitlines()[-1], '(more: call list_tasks again with page_token "p-2")')
        self.assertNotIn("--", text)
        self.assertEqual(result["nextPageToken"], "p-2")


def http_post(url, body, headers=(), timeout=10):
    """POST body (bytes, or a JSON value) to url, any path; (status, text), or (None, the error's name)
    when the server closed the connection without answering."""
    import http.client
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", (parts.path or "/") + ("?" + parts.query if parts.query else ""), data,
                     {"Content-Type": "application/json", **dict(headers)})
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    except (ConnectionError, http.client.HTTPException) as exc:
        return None, type(exc).__name__
    finally:
        conn.close()


class ProcServer:
    """`handler.py server ...` as a subprocess (killed by its pid when the test ends): its URL from the
    banner, and its stdout and stderr lines as they arrive, read on threads."""

    def __init__(self, test, *argv, stdin=None):
        self.test = test
        self.proc = test.popen([*PYTHON, HANDLER_PATH] + [str(a) for a in argv],
                               stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if stdin is not None:   # a secret given as '-'
            self.proc.stdin.write(stdin.encode() + b"\n")
            self.proc.stdin.close()
        self.out, self.err = queue.Queue(), queue.Queue()
        self.err_seen = []
        for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._drain, args=(stream, lines), daemon=True).start()
        self.url = None
        while self.url is None:
            line = self.err_line()
            match = re.search(r" on http://[^:/]+:(\d+)/", line)
            if match:
                self.url = "http://127.0.0.1:" + match.group(1)

    @staticmethod
    def _drain(stream, lines):
        try:
            for raw in iter(stream.readline, b""):
                lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        except (OSError, ValueError):
            pass
        lines.put(None)

    def _line(self, lines, what, timeout):
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no %s line within %s s; stderr so far: %r" % (what, timeout, self.err_seen))
        if line is None:
            raise AssertionError("the server closed its %s; stderr: %r" % (what, self.err_seen))
        return line

    def out_line(self, timeout=10):
        return self._line(self.out, "stdout", timeout)

    def err_line(self, timeout=10):
        line = self._line(self.err, "stderr", timeout)
        self.err_seen.append(line)
        return line

    def stop(self):
        """Ctrl-C: the server exits 0; returns the rest of its stderr."""
        os.kill(self.proc.pid, signal.SIGINT)
        self.test.assertEqual(self.proc.wait(15), 0)
        while True:
            line = self.err.get(timeout=10)
            if line is None:
                break
            self.err_seen.append(line)
        text = "\n".join(self.err_seen)
        self.test.assertNotIn("Traceback", text)
        return text


class _Receiver:
    """An in-process push receiver (make_push_server) recording each POST's path, headers and body."""

    def receiver(self, token=None):
        events, problems = queue.Queue(), queue.Queue()
        server = handler.make_push_server("127.0.0.1", 0, token, events.put, problems.put)
        seen = server.seen = []
        base = server.RequestHandlerClass

        class Recording(base):
            def do_POST(self):
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                body = None
                if 0 <= length <= 1024 * 1024:      # never read what the receiver must refuse unread
                    body = self.rfile.read(length)
                    self.rfile = io.BytesIO(body)
                seen.append((self.path, dict(self.headers.items()), body))
                super().do_POST()
        server.RequestHandlerClass = Recording
        server.handle_error = lambda request, address: None
        return self._serve(server), server, events, problems

    def events_until(self, events, state="completed", timeout=10):
        """The receiver's events until one in `state`."""
        got = []
        while True:
            try:
                event = events.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("no %s notification within %s s; got %r" % (state, timeout, got))
            got.append(event)
            body = next(iter(event.values()))
            if handler.task_state(body) == state:
                return got


# ============================================================================ 15. task get

class _TaskGet:
    def test_session_task_by_default_and_an_explicit_id(self):
        url, agent = self.agent()
        first, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "one")))
        second, _, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "two")))
        r = self.assertOk(self.run_cli("task", "get", "--url", url))
        self.assertEqual(r.out, "Echo: two\nTask ID: %s\nContext ID: %s\nState: completed\n" % (second, ctx))
        self.assertEqual(r.err, "")
        r = self.assertOk(self.run_cli("task", "get", first, "--url", url))
        self.assertEqual(r.out, "Echo: one\nTask ID: %s\nContext ID: %s\nState: completed\n" % (first, ctx))
        self.assertEqual(self.saved()[url]["task_id"], second)       # another task leaves the session alone
        for req, task_id in zip(self.posts(agent)[2:], (second, first)):
            self.assertEqual(self.assertWire(req, "GetTask", "tasks/get")["params"], {"id": task_id})
        self.assertError(self.run_cli("task", "get", "no-such-task", "--url", url), 1, "TaskNotFoundError")

    def test_history_length_reaches_the_agent(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "ask"))
        task_id, _, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "parrot")))
        full = json.loads(self.assertOk(self.run_cli("-o", "json", "task", "get", "--url", url)).out)
        self.assertEqual(len(full["history"]), 3)          # the ask, the agent's question, the answer
        for n in (1, 0):
            with self.subTest(history_length=n):
                r = self.assertOk(self.run_cli("-o", "json", "task", "get", "--url", url, "--history-length", n))
                self.assertEqual(json.loads(r.out)["history"], full["history"][-n:] if n else [])
                self.assertEqual(self.posts(agent)[-1].json["params"], {"id": task_id, "historyLength": n})
        self.assertError(self.run_cli("task", "get", "--url", url, "--history-length", "-1"), 2, "--history-length")

    def test_json_is_the_bare_task_in_1x_shape(self):
        url, agent = self.agent()
        task_id, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "hi")))
        r = self.assertOk(self.run_cli("-o", "json", "task", "get", "--url", url))
        task = json.loads(r.out)
        self.assertEqual((task["id"], task["contextId"], task["status"]["state"]),
                         (task_id, ctx, "TASK_STATE_COMPLETED"))
        self.assertNotIn("task", task)
        self.assertEqual(handler.reply_text(task), "Echo: hi")
        self.assertEqual(task["history"][0]["role"], "ROLE_USER")
        self.assertEqual(task["history"][0]["parts"], [{"text": "hi"}])
        self.assertNotIn('"kind"', r.out)

    def test_wait_until_a_slow_task_completes(self):
        url, agent = self.agent()
        gate = self.gate(agent)                        # held: the first GetTask finds it working
        task_id, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "--async", "slow")))

        def finish(seconds):                           # while the client waits (fake time): it ends
            gate.open()
            agent.agent.wait(task_id, 10)
        clock = self.fake_clock(finish)
        r = self.assertOk(self.run_cli("task", "get", "--url", url, "--wait", "--poll-interval", "0.1"))
        self.assertEqual(clock.slept[0], 0.1)
        self.assertEqual(r.out, "Echo: slow\nTask ID: %s\nContext ID: %s\nState: completed\n" % (task_id, ctx))
        self.assertIn(task_id, r.err.splitlines()[0])
        self.assertGreater(len(self.posts(agent)), 2)           # it polled
        self.assertEqual(self.saved()[url]["task_state"], "completed")


versioned(_TaskGet, (("1.0",), ("0.3",)))


class _TaskGetScripted:
    def test_wait_names_the_task_before_waiting_and_stays_interruptible(self):
        url, srv = self.scripted()
        done = rpc(wtask(self.V, "completed", "done"))
        srv.posts += [Reply(rpc(wtask(self.V, "working"))), Reply(rpc(wtask(self.V, "working"))),
                      Reply(pieces=lambda req: [done(req)[:5], done(req)[5:]], pause_after=0)]   # held back
        proc = self.popen([*PYTHON, HANDLER_PATH, "task", "get", "t-1", "--url", url, "--wait",
                           "--poll-interval", "0.05"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
        seen = read_until(proc.stderr, lambda b: b"t-1" in b and b"\n" in b, 10)
        self.assertTrue(seen.startswith(b"note: "), seen)
        self.assertIsNone(proc.poll())                  # the last poll is held back: still waiting
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 130, err)
        self.assertNotIn(b"Traceback", seen + err)
        self.assertEqual(out, b"")
        self.assertEqual({b["method"] for b in srv.post_bodies()}, {"GetTask" if self.V == "1.0" else "tasks/get"})

    def test_wait_gives_up_at_timeout(self):
        url, srv = self.scripted()
        srv.posts += [Reply(rpc(wtask(self.V, "working"))) for _ in range(60)]
        clock = self.fake_clock()                               # it polls in fake time
        start = clock.monotonic()
        r = self.run_cli("task", "get", "t-1", "--url", url, "--wait", "--timeout", "1", "--poll-interval", "0.05")
        self.assertLess(clock.monotonic() - start, 5)
        self.assertEqual(r.code, 5, r)
        self.assertTrue(r.err.splitlines()[-1].startswith("Error: "), r)
        self.assertIn("t-1", r.err.splitlines()[-1])
        self.assertEqual(r.out, "")
        self.assertGreater(len(srv.post_bodies()), 2)

    def test_no_saved_task_and_no_id_is_a_usage_error(self):
        url, srv = self.scripted()
        for argv in (["get"], ["get", "--wait"], ["cancel"], ["resubscribe"], ["notification", "list"]):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli("task", *argv, "--url", url), 2, "no task id")
        self.assertJsonError(self.run_cli("-o", "json", "task", "get", "--url", url), "A2ACLI_ERR_USAGE", 2)
        self.assertEqual(srv.requests, [])


versioned(_TaskGetScripted, (("1.0",), ("0.3",)))


# ============================================================================ 16. task list

def task_line(task):
    """How task list shows one task."""
    return "%s  %-14s  %s  %s" % (task["id"], handler.short_state(task["status"]["state"]), task["contextId"],
                                  task["status"].get("timestamp") or "-")


class _TaskList:
    def two_tasks(self, agent, url):
        done = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "hi")))[0]
        ask = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "--new", "ask")))[0]
        return agent.agent.tasks[done], agent.agent.tasks[ask]

    def test_one_line_per_task(self):
        url, agent = self.agent()
        done, ask = self.two_tasks(agent, url)
        r = self.assertOk(self.run_cli("task", "list", "--url", url))
        self.assertEqual(r.out, task_line(ask) + "\n" + task_line(done) + "\n")     # newest first
        self.assertEqual(r.err, "")
        body = self.assertWire(self.posts(agent)[-1], "ListTasks", None)
        self.assertNotIn("status", body["params"])
        r = self.assertOk(self.run_proc("task", "list", "--url", url))
        self.assertEqual(r.out, task_line(ask) + "\n" + task_line(done) + "\n")

    def test_status_in_any_spelling(self):
        url, agent = self.agent()
        done, ask = self.two_tasks(agent, url)
        for spelling in ("input-required", "INPUT_REQUIRED", "TASK_STATE_INPUT_REQUIRED", "input_required"):
            with self.subTest(spelling=spelling):
                r = self.assertOk(self.run_cli("task", "list", "--url", url, "--status", spelling))
                self.assertEqual(r.out, task_line(ask) + "\n")
                self.assertEqual(self.posts(agent)[-1].json["params"]["status"], "TASK_STATE_INPUT_REQUIRED")
        r = self.assertOk(self.run_cli("task", "list", "--url", url, "--status", "completed"))
        self.assertEqual(r.out, task_line(done) + "\n")
        sent = len(self.posts(agent))
        self.assertError(self.run_cli("task", "list", "--url", url, "--status", "sleepy"), 2, "--status")
        self.assertEqual(len(self.posts(agent)), sent)

    def test_context_id(self):
        url, agent = self.agent()
        done, ask = self.two_tasks(agent, url)
        r = self.assertOk(self.run_cli("task", "list", "--url", url, "--context-id", done["contextId"]))
        self.assertEqual(r.out, task_line(done) + "\n")
        self.assertEqual(self.posts(agent)[-1].json["params"]["contextId"], done["contextId"])
        r = self.assertOk(self.run_cli("task", "list", "--url", url, "--context-id", "no-such-context"))
        self.assertEqual(r.out, "No tasks\n")

    def test_page_size_and_pages(self):
        url, agent = self.agent()
        for bad in ("0", "101", "-3", "ten"):
            with self.subTest(page_size=bad):
                self.assertError(self.run_cli("task", "list", "--url", url, "--page-size", bad), 2, "--page-size")
        self.assertEqual(agent.received, [])
        done, ask = self.two_tasks(agent, url)
        r = self.assertOk(self.run_cli("task", "list", "--url", url, "--page-size", "1"))
        lines = r.out.splitlines()
        self.assertEqual(lines[0], task_line(ask))
        self.assertEqual(len(lines), 2, r)
        token = re.search(r"--page-token ([^\s,]+)", lines[1]).group(1)
        self.assertEqual(self.posts(agent)[-1].json["params"]["pageSize"], 1)
        r = self.assertOk(self.run_cli("task", "list", "--url", url, "--page-size", "1", "--page-token", token))
        self.assertEqual(r.out, task_line(done) + "\n")
        self.assertEqual(self.posts(agent)[-1].json["params"]["pageToken"], token)
        r = self.assertOk(self.run_cli("-o", "json", "task", "list", "--url", url, "--page-size", "1", "--all"))
        doc = json.loads(r.out)
        self.assertEqual([t["id"] for t in doc["tasks"]], [ask["id"], done["id"]])
        self.assertEqual(doc["nextPageToken"], "")
        self.assertOk(self.run_cli("task", "list", "--url", url, "--page-size", "100"))

    def test_json_is_the_list_tasks_result(self):
        url, agent = self.agent()
        done, ask = self.two_tasks(agent, url)
        r = self.assertOk(self.run_cli("-o", "json", "task", "list", "--url", url))
        doc = json.loads(r.out)
        self.assertEqual(doc["nextPageToken"], "")
        self.assertEqual([(t["id"], t["status"]["state"]) for t in doc["tasks"]],
                         [(ask["id"], "TASK_STATE_INPUT_REQUIRED"), (done["id"], "TASK_STATE_COMPLETED")])
        self.assertNotIn('"kind"', r.out)


versioned(_TaskList, (("1.0",), ("1.0", "0.3")))


class TaskListScriptedTests(HandlerTestCase):
    VERSIONS = ("1.0",)

    @staticmethod
    def page(ids, token=None):
        result = {"tasks": [wtask("1.0", "completed", tid=i, ctx="c-9") for i in ids]}
        if token is not None:
            result["nextPageToken"] = token
        return Reply(rpc(result))

    def test_all_follows_every_page(self):
        url, srv = self.scripted()
        ids = ["t-1", "t-2", "t-3", "t-4", "t-5"]
        pages = [self.page(ids[:2], "p2"), self.page(ids[2:4], "p3"), self.page(ids[4:], "")]
        srv.posts += pages
        r = self.assertOk(self.run_cli("-o", "json", "task", "list", "--url", url, "--all", "--page-size", "2",
                                       "--status", "completed"))
        self.assertEqual(json.loads(r.out), {"tasks": [wtask("1.0", "completed", tid=i, ctx="c-9") for i in ids],
                                             "nextPageToken": ""})
        bodies = srv.post_bodies()
        self.assertEqual([b["method"] for b in bodies], ["ListTasks"] * 3)
        self.assertEqual([b["params"].get("pageToken") for b in bodies], [None, "p2", "p3"])
        for body in bodies:
            self.assertEqual((body["params"]["pageSize"], body["params"]["status"]), (2, "TASK_STATE_COMPLETED"))
        srv.posts += pages
        r = self.assertOk(self.run_cli("task", "list", "--url", url, "--all"))
        self.assertEqual(r.out, "".join("%s  completed       c-9  -\n" % i for i in ids))

    def test_all_when_the_last_page_leaves_out_the_empty_token(self):
        # 1.x JSON omits empty strings on the wire: the last page may have no nextPageToken at all
        url, srv = self.scripted()
        srv.posts += [self.page(["t-1"], "p2"), self.page(["t-2"])]
        r = self.assertOk(self.run_cli("-o", "json", "task", "list", "--url", url, "--all"))
        self.assertEqual(json.loads(r.out), {"tasks": [wtask("1.0", "completed", tid=i, ctx="c-9")
                                                       for i in ("t-1", "t-2")], "nextPageToken": ""})

    def test_a_repeated_page_token_is_an_error_not_a_loop(self):
        url, srv = self.scripted()
        for tokens in (["same", "same"], ["a", "b", "a"]):
            with self.subTest(tokens=tokens):
                del srv.requests[:]
                srv.posts[:] = [self.page(["t-%d" % n], token) for n, token in enumerate(tokens)] + \
                    [self.page(["t-x"], "again") for _ in range(20)]
                start = time.monotonic()
                r = self.run_cli("task", "list", "--url", url, "--all")
                self.assertLess(time.monotonic() - start, 10)
                self.assertError(r, 1, "page token")
                self.assertEqual(len(srv.post_bodies()), len(tokens))


class TaskListV03Tests(HandlerTestCase):
    VERSIONS = ("0.3",)

    def test_a_03_agent_has_no_list_tasks(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertError(self.run_cli("task", "list", "--url", url), 1, "0.3", "ListTasks")
        self.assertJsonError(self.run_cli("-o", "json", "task", "list", "--url", url, "--all"),
                             "UnsupportedOperationError", 1)
        self.assertEqual(len(self.posts(agent)), 1)       # only the message: no ListTasks was sent
        url, srv = self.scripted()
        self.assertError(self.run_cli("task", "list", "--url", url, "--status", "working"), 1, "ListTasks")
        self.assertEqual(srv.post_bodies(), [])


# ============================================================================ 17. task cancel

class _TaskCancel:
    def test_cancel_a_running_task_and_again(self):
        url, agent = self.agent()
        self.gate(agent)                                  # the slow task stays running
        task_id, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "--async",
                                                              "slow a b c")))
        expected = "Task ID: %s\nContext ID: %s\nState: canceled\n" % (task_id, ctx)
        r = self.assertOk(self.run_cli("task", "cancel", "--url", url))        # the session's task
        self.assertEqual(r.out, expected)
        body = self.assertWire(self.posts(agent)[-1], "CancelTask", "tasks/cancel")
        self.assertEqual(body["params"], {"id": task_id})
        self.assertEqual(agent.agent.tasks[task_id]["status"]["state"], "TASK_STATE_CANCELED")
        self.assertEqual(self.saved()[url]["task_state"], "canceled")
        r = self.assertOk(self.run_cli("task", "cancel", task_id, "--url", url))   # already canceled: done
        self.assertEqual(r.out, expected)
        r = self.assertOk(self.run_cli("-o", "json", "task", "cancel", task_id, "--url", url))
        task = json.loads(r.out)
        self.assertEqual((task["id"], task["status"]["state"]), (task_id, "TASK_STATE_CANCELED"))
        self.assertNotIn('"kind"', r.out)

    def test_a_completed_task_cannot_be_canceled(self):
        url, agent = self.agent()
        task_id = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "hi")))[0]
        r = self.run_cli("task", "cancel", "--url", url)
        self.assertError(r, 1, "TaskNotCancelableError", task_id)
        self.assertEqual(r.out, "")
        err = self.assertJsonError(self.run_cli("-o", "json", "task", "cancel", "--url", url),
                                   "TaskNotCancelableError", 1)
        self.assertEqual(err["a2aCode"], -32002)
        self.assertEqual(agent.agent.tasks[task_id]["status"]["state"], "TASK_STATE_COMPLETED")
        self.assertEqual(self.saved()[url]["task_state"], "completed")
        self.assertError(self.run_cli("task", "cancel", "no-such-task", "--url", url), 1, "TaskNotFoundError")


versioned(_TaskCancel, (("1.0",), ("0.3",)))


# ============================================================================ 18. task resubscribe

class _TaskResubscribe:
    def test_follow_a_running_task(self):
        url, agent = self.agent()
        gate, followers, follow = self.gate(agent), threading.Semaphore(0), agent.agent.follow

        def following(*args):   # a subscriber's stream has its place in the task's events
            followers.release()
            return follow(*args)
        agent.agent.follow = following
        task_id, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "--async", "slow")))
        proc = self.popen([*PYTHON, HANDLER_PATH, "-o", "json", "task", "resubscribe", task_id, "--url", url],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertTrue(followers.acquire(timeout=15))       # the subprocess follows the held task
        opener = threading.Thread(target=lambda: (followers.acquire(timeout=15), gate.open()),
                                  daemon=True)
        opener.start()                                   # once this process follows too: it runs
        saved = os.path.join(self.tmp, "saved")
        r = self.assertOk(self.run_cli("task", "resubscribe", "--url", url, "--save-artifacts", saved))
        opener.join(5)
        self.assertEqual(r.out, "Echo: slow\nTask ID: %s\nContext ID: %s\nState: completed\n" % (task_id, ctx))
        body = self.assertWire(self.posts(agent)[1], "SubscribeToTask", "tasks/resubscribe")
        self.assertEqual(body["params"], {"id": task_id})
        self.assertIn("text/event-stream", self.posts(agent)[1].headers.get("Accept"))
        entry = self.saved()[url]
        self.assertEqual((entry["task_id"], entry["task_state"]), (task_id, "completed"))
        with open(os.path.join(saved, "echo.txt"), "rb") as f:
            self.assertEqual(f.read(), b"Echo: slow")
        out, err = proc.communicate(timeout=15)
        self.assertEqual(proc.returncode, 0, err)
        self.assertNotIn(b"Traceback", err)
        events = [json.loads(line) for line in out.decode().splitlines()]
        for event in events:
            self.assertEqual(len(event), 1, event)
            self.assertIn(next(iter(event)), EVENT_KEYS)
        self.assertEqual(events[0]["task"]["id"], task_id)
        self.assertEqual(events[-1]["statusUpdate"]["status"]["state"], "TASK_STATE_COMPLETED")
        self.assertNotIn(b'"kind"', out)

    def test_a_task_waiting_for_input_ends_at_once(self):
        """Like `message stream`, which ends when the task asks for input, not at --timeout."""
        url, agent = self.agent()
        task_id, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "ask")))
        start = time.monotonic()
        r = self.run_cli("task", "resubscribe", "--url", url, "--timeout", "3")
        self.assertEqual(r.code, 0, r)
        self.assertEqual(r.out, "What should I echo?\nTask ID: %s\nContext ID: %s\nState: input-required\n"
                         % (task_id, ctx))
        self.assertLess(time.monotonic() - start, 2.5)

    def test_a_finished_task_is_an_a2a_error(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertError(self.run_cli("task", "resubscribe", "--url", url), 1, "UnsupportedOperationError")
        err = self.assertJsonError(self.run_cli("-o", "json", "task", "resubscribe", "--url", url),
                                   "UnsupportedOperationError", 1)
        self.assertEqual(err["a2aCode"], -32004)


versioned(_TaskResubscribe, (("1.0",), ("0.3",)))


class _TaskResubscribeScripted:
    def test_a_card_without_streaming_sends_nothing(self):
        url, srv = self.scripted()
        card = wcard(self.V, url + "/")
        card["capabilities"] = {"streaming": False}
        srv.card = card
        self.assertError(self.run_cli("task", "resubscribe", "t-1", "--url", url), 1, "capabilities.streaming")
        self.assertEqual(srv.post_bodies(), [])

    def test_a_snapshot_in_the_middle_of_an_artifact(self):
        """The first event is the task as it is now: here halfway through its artifact."""
        url, srv = self.scripted()
        events = [wsend(self.V, wtask(self.V, "working", "Echo: ")), wchunk(self.V, "hi", append=True, last=True),
                  wstatus(self.V, "completed")]
        srv.posts += [sse_reply(sse(events)), sse_reply(sse(events))]
        r = self.assertOk(self.run_cli("task", "resubscribe", "t-1", "--url", url))
        self.assertEqual(r.out, "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        entry = self.saved()[url]
        self.assertEqual((entry["task_id"], entry["task_state"]), ("t-1", "completed"))
        r = self.assertOk(self.run_cli("-o", "json", "task", "resubscribe", "t-1", "--url", url))
        self.assertEqual([next(iter(json.loads(line))) for line in r.out.splitlines()],
                         ["task", "artifactUpdate", "statusUpdate"])
        self.assertEqual([b["method"] for b in srv.post_bodies()],
                         ["SubscribeToTask" if self.V == "1.0" else "tasks/resubscribe"] * 2)

    def test_stream_cut_while_working(self):
        url, srv = self.scripted()
        srv.posts += [sse_reply(sse([wsend(self.V, wtask(self.V, "working"))])),
                      Reply(rpc(wtask(self.V, "working")))]        # asked afterwards: still working
        self.assertError(self.run_cli("task", "resubscribe", "t-1", "--url", url), 1, "t-1", "working")
        self.assertEqual(self.saved()[url]["task_state"], "working")


versioned(_TaskResubscribeScripted, (("1.0",), ("0.3",)))


# ============================================================================ 19. push notification configs

class _PushConfigs:
    def test_set_get_list_delete_round_trip(self):
        url, agent = self.agent()
        task_id = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "ask")))[0]
        hook = "http://127.0.0.1:%d/hook" % closed_port()     # the task waits for input: nothing is delivered
        outputs = []

        def run(*argv, stdin=""):
            r = self.run_cli(*argv, stdin=stdin)
            outputs.append(r)
            return r
        r = self.assertOk(run("task", "notification", "set", "--url", url, "--webhook-url", hook, "--token", PUSH_TOKEN,
                              "--auth-scheme", "Bearer", "--auth-credentials", "-", stdin=PUSH_CREDS + "\n"))
        config_id = re.search(r"^Config ID: (.+)$", r.out, re.M).group(1)
        shown = ("Config ID: %s\nTask ID: %s\nWebhook URL: %s\nToken: push\u2026\nAuthentication: Bearer push\u2026\n"
                 % (config_id, task_id, hook))
        self.assertEqual(r.out, shown)
        self.assertEqual(agent.agent.webhooks[task_id][config_id][0],
                         {"id": config_id, "taskId": task_id, "url": hook, "token": PUSH_TOKEN,
                          "authentication": {"scheme": "Bearer", "credentials": PUSH_CREDS}})
        self.assertEqual(self.assertOk(run("task", "notification", "get", "--url", url, "--config-id", config_id)).out,
                         shown)
        r = self.assertOk(run("task", "notification", "get", task_id, "--url", url))     # its only config
        self.assertEqual(r.out, shown)
        self.assertEqual(self.assertOk(run("task", "notification", "list", "--url", url)).out, shown)
        r = self.assertOk(run("-o", "json", "task", "notification", "set", task_id, "--url", url, "--webhook-url",
                              hook + "2", "--token", PUSH_TOKEN, "--config-id", "mine"))
        mine = {"id": "mine", "taskId": task_id, "url": hook + "2", "token": "push\u2026"}
        self.assertEqual(json.loads(r.out), mine)
        r = self.assertOk(run("-o", "json", "task", "notification", "list", "--url", url))
        self.assertEqual(sorted(c["id"] for c in json.loads(r.out)["configs"]), sorted([config_id, "mine"]))
        self.assertIn(mine, json.loads(r.out)["configs"])
        r = self.assertOk(run("task", "notification", "list", "--url", url))
        self.assertEqual(len(r.out.split("\n\n")), 2, r)
        sent = len(self.posts(agent))
        self.assertError(run("task", "notification", "get", "--url", url), 2, "2 push notification configs",
                         "--config-id")
        self.assertError(run("task", "notification", "delete", "--url", url), 2, "--config-id")
        self.assertEqual(len(self.posts(agent)), sent + 1)          # the list behind `get`; delete sent nothing
        r = self.assertOk(run("task", "notification", "delete", "--url", url, "--config-id", config_id))
        self.assertEqual(r.out, "Deleted push notification config %s of task %s\n" % (config_id, task_id))
        self.assertEqual(list(agent.agent.webhooks[task_id]), ["mine"])
        r = self.assertOk(run("-o", "json", "task", "notification", "delete", "--url", url, "--config-id", "mine"))
        self.assertEqual(json.loads(r.out), {"deleted": "mine", "taskId": task_id})
        self.assertEqual(self.assertOk(run("task", "notification", "list", "--url", url)).out,
                         "No push notification configs\n")
        self.assertError(run("task", "notification", "get", "--url", url, "--config-id", "mine"), 1)
        debug = [self.assertOk(run("--debug", "task", "notification", "set", "--url", url, "--webhook-url", hook,
                                   "--token", PUSH_TOKEN, "--auth-scheme", "Bearer", "--auth-credentials", PUSH_CREDS,
                                   "--config-id", "dbg"))]
        debug.append(self.assertOk(run("--debug", "task", "notification", "get", "--url", url, "--config-id", "dbg")))
        debug.append(self.assertOk(run("--debug", "-o", "json", "task", "notification", "list", "--url", url)))
        debug.append(self.assertOk(run("--debug", "message", "send", "--url", url, "--new", "--push-url", hook,
                                       "--push-token", PUSH_TOKEN, "hi")))
        for r in debug:
            self.assertIn("debug:", r.err)
            self.assertIn("push\u2026", r.err)
        for r in outputs:
            for secret in (PUSH_TOKEN, PUSH_CREDS):
                self.assertNotIn(secret[4:], r.out + r.err, r)
        self.assertEqual(self.posts(agent)[-1].json["params"]["configuration"][
            "taskPushNotificationConfig" if self.V == "1.0" else "pushNotificationConfig"]["token"], PUSH_TOKEN)

    def test_usage_errors_and_an_unknown_task(self):
        url, agent = self.agent()
        hook = "http://127.0.0.1:9/hook"
        for argv, fragment in ((["set", "t"], "--webhook-url"), (["set", "t", "--webhook-url", "ftp://x/h"], "webhook"),
                               (["set", "t", "--webhook-url", hook, "--auth-scheme", "Bearer"], "--auth-credentials"),
                               (["set", "t", "--webhook-url", hook, "--auth-credentials", "c"], "--auth-scheme"),
                               (["list", "t", "--token", "x"], "set"), (["get", "t", "--webhook-url", hook], "set"),
                               (["delete", "t"], "--config-id"), (["bogus", "t"], "bogus")):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli("task", "notification", *argv, "--url", url), 2, fragment)
        self.assertEqual(agent.received, [])
        self.assertError(self.run_cli("task", "notification", "set", "no-such-task", "--url", url, "--webhook-url",
                                      hook), 1, "TaskNotFoundError")

    def test_push_url_on_send_goes_in_the_configuration(self):
        url, agent = self.agent()
        hook = "http://127.0.0.1:%d/hook" % closed_port()
        key = "taskPushNotificationConfig" if self.V == "1.0" else "pushNotificationConfig"
        for argv in (["message", "send"], ["message", "stream"]):
            with self.subTest(argv=argv):
                r = self.assertOk(self.run_cli(*argv, "--url", url, "--new", "--push-url", hook, "--push-token",
                                               PUSH_TOKEN, "hi"))
                config = self.posts(agent)[-1].json["params"]["configuration"]
                self.assertEqual(config[key], {"url": hook, "token": PUSH_TOKEN})
                self.assertNotIn({"1.0": "pushNotificationConfig", "0.3": "taskPushNotificationConfig"}[self.V], config)
                task_id = self.ids(r)[0]
                (stored, version), = agent.agent.webhooks[task_id].values()
                self.assertEqual((stored["url"], stored["token"], version), (hook, PUSH_TOKEN, self.V))
                self.assertNotIn(PUSH_TOKEN[4:], r.out + r.err)
        sent = len(self.posts(agent))
        self.assertError(self.run_cli("message", "send", "--url", url, "--push-token", PUSH_TOKEN, "hi"), 2,
                         "--push-url")
        self.assertError(self.run_cli("message", "send", "--url", url, "--push-url", "ftp://x/h", "hi"), 2, "webhook")
        self.assertEqual(len(self.posts(agent)), sent)


versioned(_PushConfigs, (("1.0",), ("0.3",)))


class _PushConfigWire:
    HOOK = "https://hooks.example/a2a"

    def test_wire_shapes(self):
        url, srv = self.scripted()
        srv.card = wpush_card(self.V, url + "/")
        flat = {"id": "cfg-1", "taskId": "t-1", "url": self.HOOK, "token": PUSH_TOKEN,
                "authentication": {"scheme": "Bearer", "credentials": PUSH_CREDS}}
        if self.V == "1.0":
            answer, listed, deleted = flat, {"configs": [flat]}, {}
        else:
            answer = {"taskId": "t-1", "pushNotificationConfig": {
                "id": "cfg-1", "url": self.HOOK, "token": PUSH_TOKEN,
                "authentication": {"schemes": ["Bearer"], "credentials": PUSH_CREDS}}}
            listed, deleted = [answer], None
        srv.posts += [Reply(rpc(answer)), Reply(rpc(answer)), Reply(rpc(listed)), Reply(rpc(deleted))]
        common = ("--url", url)
        docs = [json.loads(self.assertOk(self.run_cli("-o", "json", "task", "notification", *argv, *common)).out)
                for argv in (["set", "t-1", "--webhook-url", self.HOOK, "--token", PUSH_TOKEN, "--auth-scheme",
                              "Bearer", "--auth-credentials", PUSH_CREDS],
                             ["get", "t-1", "--config-id", "cfg-1"], ["list", "t-1"],
                             ["delete", "t-1", "--config-id", "cfg-1"])]
        masked = dict(flat, token="push\u2026", authentication={"scheme": "Bearer", "credentials": "push\u2026"})
        self.assertEqual(docs, [masked, masked, {"configs": [masked]}, {"deleted": "cfg-1", "taskId": "t-1"}])
        ops = ["set", "get", "list", "delete"]
        v1_methods = ["CreateTaskPushNotificationConfig", "GetTaskPushNotificationConfig",
                      "ListTaskPushNotificationConfigs", "DeleteTaskPushNotificationConfig"]
        reqs = [r for r in srv.requests if r.method == "POST"]
        bodies = [self.assertWire(req, v1, "tasks/pushNotificationConfig/" + op)
                  for req, v1, op in zip(reqs, v1_methods, ops)]
        if self.V == "1.0":
            expected = [{"taskId": "t-1", "url": self.HOOK, "token": PUSH_TOKEN,
                         "authentication": {"scheme": "Bearer", "credentials": PUSH_CREDS}},
                        {"taskId": "t-1", "id": "cfg-1"}, {"taskId": "t-1"}, {"taskId": "t-1", "id": "cfg-1"}]
        else:
            expected = [{"taskId": "t-1", "pushNotificationConfig": {
                            "url": self.HOOK, "token": PUSH_TOKEN,
                            "authentication": {"schemes": ["Bearer"], "credentials": PUSH_CREDS}}},
                        {"id": "t-1", "pushNotificationConfigId": "cfg-1"}, {"id": "t-1"},
                        {"id": "t-1", "pushNotificationConfigId": "cfg-1"}]
        self.assertEqual([b["params"] for b in bodies], expected)

    def test_a_card_without_push_notifications_sends_nothing(self):
        url, srv = self.scripted()          # the scripted card sets only capabilities.streaming
        hook = "http://127.0.0.1:9/hook"
        for argv in (["task", "notification", "set", "t-1", "--webhook-url", hook],
                     ["task", "notification", "get", "t-1"], ["task", "notification", "get", "t-1", "--config-id", "c"],
                     ["task", "notification", "list", "t-1"],
                     ["task", "notification", "delete", "t-1", "--config-id", "c"],
                     ["message", "send", "--push-url", hook, "hi"], ["message", "stream", "--push-url", hook, "hi"]):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv, "--url", url), 1, "push notifications")
        self.assertEqual(srv.post_bodies(), [])


versioned(_PushConfigWire, (("1.0",), ("0.3",)))


# ============================================================================ 20. server push

class PushReceiverTests(_Receiver, HandlerTestCase):
    TOKEN = "hook-token-0123456789"

    def test_both_versions_normalised_on_any_path(self):
        url, server, events, problems = self.receiver()
        cases = [("/", wstatus("1.0", "working"), wstatus("1.0", "working")),
                 ("/webhook", wtask("0.3", "completed", "Echo: hi", tid="t-8"),
                  {"task": wtask("1.0", "completed", "Echo: hi", tid="t-8")}),
                 ("/a/b?x=1", wchunk("0.3", "hi", append=True), wchunk("1.0", "hi", append=True)),
                 ("/hook", {"task": wtask("1.0", "submitted")}, {"task": wtask("1.0", "submitted")}),
                 ("/hook", wchunk("1.0", "x"), wchunk("1.0", "x")),
                 ("/hook", {"message": wmessage("1.0", "m")}, {"message": wmessage("1.0", "m")}),
                 ("/hook", wstatus("0.3", "input-required"), wstatus("1.0", "input-required"))]
        for path, body, expected in cases:
            with self.subTest(path=path, body=body):
                self.assertEqual(http_post(url + path, body), (200, ""))
                self.assertEqual(events.get(timeout=5), expected)
        self.assertEqual([p for p, _, _ in server.seen], [c[0] for c in cases])
        self.assertTrue(problems.empty())

    def test_token_in_either_header(self):
        url, server, events, problems = self.receiver(self.TOKEN)
        body = wstatus("1.0", "completed")
        for headers in ([], [("X-A2A-Notification-Token", "wrong")], [("Authorization", "Bearer wrong")],
                        [("Authorization", "Basic " + self.TOKEN)], [("X-A2A-Notification-Token", self.TOKEN + "x")],
                        [("X-A2A-Notification-Token", self.TOKEN[:-1])], [("Authorization", self.TOKEN)]):
            with self.subTest(headers=headers):
                self.assertEqual(http_post(url + "/hook", body, headers)[0], 401)
                problem = problems.get(timeout=5)
                self.assertIn("token", problem)
                self.assertNotIn(self.TOKEN, problem)
        self.assertTrue(events.empty())
        for headers in ([("X-A2A-Notification-Token", self.TOKEN)], [("Authorization", "Bearer " + self.TOKEN)],
                        [("Authorization", "bearer " + self.TOKEN)],
                        [("X-A2A-Notification-Token", self.TOKEN), ("Authorization", "Bearer other-credentials")]):
            with self.subTest(headers=headers):
                self.assertEqual(http_post(url + "/hook", body, headers), (200, ""))
                self.assertEqual(events.get(timeout=5), body)

    def test_over_16_mib_is_413_without_reading_the_body(self):
        url, server, events, problems = self.receiver()
        with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10) as sock:
            sock.sendall(b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (16 * 1024 * 1024 + 1))
            reply = b""
            while True:      # the receiver must answer and close without waiting for the 16 MiB
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    break
                if not data:
                    break
                reply += data
        self.assertRegex(reply, rb"^HTTP/1\.[01] 413 ")
        self.assertTrue(events.empty())
        self.assertEqual(http_post(url, wstatus("1.0", "working")), (200, ""))
        self.assertEqual(events.get(timeout=5), wstatus("1.0", "working"))

    def test_malformed_is_400_and_the_receiver_goes_on(self):
        url, server, events, problems = self.receiver()
        for body in (b"{not json", b"", b"\xff\xfe", b"[1, 2]", b"null", b'"text"', b'{"hello": 1}',
                     b'{"kind": "task", "status": {}}', b'{"statusUpdate": 5}', b'{"artifactUpdate": "x"}',
                     b'{"artifactUpdate": {"artifact": {"parts": 5}}}', b'{"message": {"parts": 7}}',
                     b"[" * 100000 + b"]" * 100000):
            with self.subTest(body=body[:50]):
                self.assertEqual(http_post(url, body)[0], 400)
                self.assertIn("malformed", problems.get(timeout=5))
                self.assertEqual(http_post(url, wstatus("1.0", "working")), (200, ""))
                self.assertEqual(events.get(timeout=5), wstatus("1.0", "working"))


class PushServerCommandTests(HandlerTestCase):
    TOKEN = "hook-token-0123456789"
    LINE = r"^\d\d:\d\d:\d\d task %s$"

    def test_text_line_per_notification_of_either_version(self):
        srv = ProcServer(self, "server", "push", "--port", "0")
        self.assertTrue(srv.err_seen[0].startswith("Handler push receiver on http://127.0.0.1:"), srv.err_seen)
        cases = [("/", wstatus("1.0", "working", tid="t-1"), "t-1 working"),
                 ("/webhook", wchunk("1.0", "Echo: hi", tid="t-1"), "t-1 artifact a1: Echo: hi"),
                 ("/x/y", wtask("0.3", "working", tid="t-2"), "t-2 working"),
                 ("/", wtask("0.3", "completed", "Echo: hi", tid="t-2"), "t-2 completed: Echo: hi"),
                 ("/", wstatus("0.3", "completed", tid="t-3"), "t-3 completed")]
        for path, body, expected in cases:
            with self.subTest(expected=expected):
                self.assertEqual(http_post(srv.url + path, body), (200, ""))
                self.assertRegex(srv.out_line(), self.LINE % re.escape(expected))   # flushed, while it runs
        self.assertEqual(http_post(srv.url, b"{oops")[0], 400)
        line = srv.err_line()
        self.assertTrue(line.startswith("warning: ") and "malformed" in line, line)
        self.assertEqual(http_post(srv.url, wstatus("1.0", "failed", tid="t-4")), (200, ""))
        self.assertRegex(srv.out_line(), self.LINE % "t-4 failed")
        srv.stop()

    def test_json_lines(self):
        srv = ProcServer(self, "-o", "json", "server", "push", "--port", "0")
        cases = [(wsend("1.0", wtask("1.0", "submitted")), wsend("1.0", wtask("1.0", "submitted"))),
                 (wstatus("1.0", "working"), wstatus("1.0", "working")),
                 (wchunk("1.0", "hi", last=True), wchunk("1.0", "hi", last=True)),
                 ({"message": wmessage("1.0", "m")}, {"message": wmessage("1.0", "m")}),
                 (wtask("0.3", "completed", "Echo: hi"), {"task": wtask("1.0", "completed", "Echo: hi")}),
                 (wstatus("0.3", "canceled"), wstatus("1.0", "canceled"))]
        for body, expected in cases:
            with self.subTest(body=body):
                self.assertEqual(http_post(srv.url + "/hook", body), (200, ""))
                doc = json.loads(srv.out_line())
                self.assertEqual(len(doc), 1)
                self.assertIn(next(iter(doc)), EVENT_KEYS)
                self.assertEqual(doc, expected)
        srv.stop()

    def test_token(self):
        srv = ProcServer(self, "server", "push", "--port", "0", "--token", "-", stdin=self.TOKEN)
        self.assertTrue(srv.err_seen[0].startswith("Handler push receiver on "), srv.err_seen)   # no warning
        body = wstatus("1.0", "completed")
        self.assertEqual(http_post(srv.url, body)[0], 401)
        self.assertTrue(srv.err_line().startswith("warning: "))
        self.assertEqual(http_post(srv.url, body, [("X-A2A-Notification-Token", "nope")])[0], 401)
        self.assertTrue(srv.err_line().startswith("warning: "))
        for headers in ([("X-A2A-Notification-Token", self.TOKEN)], [("Authorization", "Bearer " + self.TOKEN)]):
            self.assertEqual(http_post(srv.url + "/hook", body, headers), (200, ""))
            self.assertRegex(srv.out_line(), self.LINE % "t-1 completed")
        self.assertNotIn(self.TOKEN, srv.stop())

    def test_a_non_loopback_address_without_a_token_warns(self):
        srv = ProcServer(self, "server", "push", "--host", "0.0.0.0", "--port", "0")
        self.assertTrue(srv.err_seen[0].startswith("warning: ") and "0.0.0.0" in srv.err_seen[0], srv.err_seen)
        self.assertEqual(len(srv.err_seen), 2, srv.err_seen)          # the warning, then the banner
        self.assertEqual(http_post(srv.url, wstatus("1.0", "working")), (200, ""))
        self.assertRegex(srv.out_line(), self.LINE % "t-1 working")
        srv.stop()
        srv = ProcServer(self, "server", "push", "--host", "0.0.0.0", "--port", "0", "--token", "-", stdin=self.TOKEN)
        self.assertEqual(len(srv.err_seen), 1, srv.err_seen)
        self.assertTrue(srv.err_seen[0].startswith("Handler push receiver on "))
        self.assertEqual(http_post(srv.url, wstatus("1.0", "working"), [("X-A2A-Notification-Token", self.TOKEN)]),
                         (200, ""))         # serving (a Ctrl-C right after the banner may still exit 130)
        srv.out_line()
        srv.stop()

    def test_port_in_use_and_an_empty_token(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        self.addCleanup(sock.close)
        self.assertError(self.run_proc("server", "push", "--port", sock.getsockname()[1], timeout=15), 1,
                         "cannot listen")
        self.assertError(self.run_proc("server", "push", "--port", "0", "--token", "-", stdin="", timeout=15), 2,
                         "--token")

    def test_a_closed_stdout_stops_it_quietly(self):
        read_end, write_end = os.pipe()
        proc = self.popen([*PYTHON, HANDLER_PATH, "server", "push", "--port", "0"], stdin=subprocess.DEVNULL,
                          stdout=write_end, stderr=subprocess.PIPE)
        os.close(write_end)
        banner = read_until(proc.stderr, lambda b: b"\n" in b, 10).decode()
        url = "http://127.0.0.1:" + re.search(r":(\d+)/", banner).group(1)
        with os.fdopen(read_end, "rb") as reader:          # like `| head -1`: one line, and the reader goes
            self.assertEqual(http_post(url, wstatus("1.0", "working")), (200, ""))
            self.assertRegex(reader.readline().decode(), self.LINE % "t-1 working")
        try:     # the next line has nowhere to go
            http_post(url, wstatus("1.0", "completed"), timeout=5)
        except OSError:
            pass
        try:
            code = proc.wait(5)
        except subprocess.TimeoutExpired:      # still running after its reader went away
            code = None
            os.kill(proc.pid, signal.SIGKILL)
        err = proc.stderr.read().decode()
        self.assertNotIn("Traceback", err)
        self.assertEqual(code, 0, err)

    def test_malformed_bodies_never_print_a_traceback(self):
        srv = ProcServer(self, "server", "push", "--port", "0")
        for body in (b'{"statusUpdate": 5}', b'{"artifactUpdate": {"artifact": {"parts": 5}}}',
                     b"[" * 100000 + b"]" * 100000):
            with self.subTest(body=body[:50]):
                self.assertEqual(http_post(srv.url, body)[0], 400)
                line = srv.err_line()
                self.assertTrue(line.startswith("warning: ") and "malformed" in line, line)
        self.assertEqual(http_post(srv.url, wstatus("1.0", "working")), (200, ""))
        self.assertRegex(srv.out_line(), self.LINE % "t-1 working")
        srv.stop()


# ============================================================================ 21. push end to end

def recv_all(sock, timeout=10):
    """Everything a server sends on sock until it closes it (a reset counts as a close)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


class PushReceiverLimitTests(HandlerTestCase):
    """make_push_server's defences: a deadline per connection, a cap on connections, a body limit
    enforced while reading; and after each of them the next notification still gets through."""

    def receiver(self, **limits):
        events, problems = queue.Queue(), queue.Queue()
        server = handler.make_push_server("127.0.0.1", 0, None, events.put, problems.put, **limits)
        url = self._serve(server)
        self.addCleanup(lambda: self.assertTrue(problems.empty(), list(problems.queue)))
        return url, server.server_address[1], events

    def connect(self, port, data=b""):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(data)
        return sock

    def assertGetsThrough(self, url, events, within=5):
        """A normal notification is answered 200 and handed on (retried over 503, as agents do)."""
        deadline = time.monotonic() + within
        while True:
            status = http_post(url, wstatus("1.0", "working"))
            if status == (200, "") or time.monotonic() > deadline:
                break
            self.assertEqual(status[0], 503, status)
            time.sleep(0.05)
        self.assertEqual(status, (200, ""))
        self.assertEqual(events.get(timeout=5), wstatus("1.0", "working"))

    def test_idle_and_dripping_connections_are_cut_off_at_the_deadline(self):
        url, port, events = self.receiver(timeout=0.25, max_connections=4)
        idle = [self.connect(port), self.connect(port, b"POST / HTTP/1.0\r\nContent-Length: 9\r\n\r\n{")]
        stop = threading.Event()
        self.addCleanup(stop.set)

        def drip(sock):      # slowloris: a byte of header every 50 ms, far inside any read timeout
            try:
                for byte in b"POST / HTTP/1.0\r\nX-Slow: " + b"a" * 1000:
                    sock.send(bytes([byte]))
                    if stop.wait(0.05):
                        return
            except OSError:
                pass
        drips = [threading.Thread(target=drip, args=(self.connect(port),), daemon=True)
                 for _ in range(2)]
        for thread in drips:
            thread.start()
        started = time.monotonic()
        for sock in idle:
            self.assertEqual(recv_all(sock), b"")
        for thread in drips:
            thread.join(5)
            self.assertFalse(thread.is_alive(), "a dripping connection was never cut off")
        self.assertLess(time.monotonic() - started, 4)
        self.assertGetsThrough(url, events, within=1)
        self.assertTrue(events.empty())

    def test_over_the_cap_is_503_at_once_and_the_slots_come_back(self):
        url, port, events = self.receiver(timeout=5, max_connections=3)
        held = [self.connect(port, b"POST / HTTP/1.0\r\n") for _ in range(3)]
        time.sleep(0.2)     # let the receiver take them
        for _ in range(5):
            started = time.monotonic()
            reply = recv_all(self.connect(port, b"POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}"))
            self.assertLess(time.monotonic() - started, 2)        # long before the 5 s deadline
            self.assertRegex(reply, rb"^HTTP/1\.0 503 .*\r\nRetry-After: 1\r\n")
            self.assertTrue(reply.endswith(b"\r\n\r\ntoo many connections; try again\n"), reply)
        for sock in held:
            sock.close()
        self.assertGetsThrough(url, events)
        burst = [threading.Thread(target=http_post, args=(url, wstatus("1.0", "working")))
                 for _ in range(20)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join(10)
        got = 0
        while not events.empty():
            self.assertEqual(events.get(), wstatus("1.0", "working"))
            got += 1
        self.assertGreaterEqual(got, 1)
        self.assertGetsThrough(url, events)

    def test_the_body_limit_is_enforced_while_reading(self):
        url, port, events = self.receiver(timeout=0.5, limit=1000)
        padded = json.dumps(wstatus("1.0", "working")).encode()
        self.assertEqual(http_post(url, padded + b" " * (1001 - len(padded)))[0], 413)
        self.assertEqual(http_post(url, padded + b" " * (1000 - len(padded))), (200, ""))
        self.assertEqual(events.get(timeout=5), wstatus("1.0", "working"))

    def test_memory_follows_what_was_sent_not_what_was_announced(self):
        try:
            import tracemalloc
        except ImportError:
            self.skipTest("no tracemalloc in %s" % sys.implementation.name)
        url, port, events = self.receiver(timeout=0.25)       # the 16 MiB default
        tracemalloc.start()
        self.addCleanup(tracemalloc.stop)
        head = b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % (15 << 20)
        socks = [self.connect(port, head + b"{" + b" " * 1023) for _ in range(10)]
        for sock in socks:            # each sends 1 KiB of its 15 MiB, and its time runs out
            self.assertEqual(recv_all(sock), b"")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        self.assertLess(peak, 4 << 20, "10 unfinished bodies of 1 KiB took %d bytes" % peak)
        self.assertTrue(events.empty())
        self.assertGetsThrough(url, events)


class PushServerAbuseTests(HandlerTestCase):
    """`server push` as a subprocess: senders that go away, bursts over the cap; no traceback,
    no warning, and it goes on printing notifications."""
    LINE = r"^\d\d:\d\d:\d\d task %s$"

    @staticmethod
    def abort(port, data):
        """Send data and reset the connection (SO_LINGER 0), as a killed sender does."""
        import struct
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(data)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def test_aborted_senders_print_nothing_and_it_goes_on(self):
        srv = ProcServer(self, "server", "push", "--port", "0")
        port = int(srv.url.rsplit(":", 1)[1])
        body = json.dumps(wstatus("1.0", "working", tid="t-0")).encode()
        head = b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)
        cuts = (b"", b"POST /hook HT", head[:-10], head, head + body[:5], head + body[:-1])
        for n, data in enumerate(cuts):
            with self.subTest(sent=data[-20:]):
                self.abort(port, data)
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)   # a clean end
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                recv_all(sock)
                sock.close()
                tid = "t-%d" % (n + 1)
                self.assertEqual(http_post(srv.url, wstatus("1.0", "working", tid=tid)), (200, ""))
                self.assertRegex(srv.out_line(), self.LINE % (tid + " working"))
        err = srv.stop()                                  # and no Traceback (stop() checks)
        self.assertEqual(err.splitlines()[1:], [], err)   # nothing but the banner

    def test_a_burst_over_the_cap_gets_503_and_it_goes_on(self):
        srv = ProcServer(self, "server", "push", "--port", "0")
        port = int(srv.url.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(40)]
        try:
            time.sleep(0.3)
            status = http_post(srv.url, wstatus("1.0", "working", tid="t-over"))
            self.assertEqual(status, (503, "too many connections; try again\n"))
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 5
        while http_post(srv.url, wstatus("1.0", "completed", tid="t-9"))[0] != 200:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertRegex(srv.out_line(), self.LINE % "t-9 completed")
        err = srv.stop()                                  # and no Traceback (stop() checks)
        self.assertEqual(err.splitlines()[1:], [], err)   # nothing but the banner


def disk_full_at(marker, write=os.write):
    """An os.write that fails with ENOSPC on data holding marker (after writing what precedes)."""
    def full(fd, data):
        data = bytes(data)
        if marker in data:
            import errno
            write(fd, data[:data.index(marker)])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(fd, data)
    return full


class SaveArtifactsAgainTests(HandlerTestCase):
    """--save-artifacts run night after night into one DIR: free variants, --force, NAME_MAX, all or
    nothing, and two runs at once."""

    def save(self, directory, artifacts, force=False):
        """handler.save_artifacts on a task with these artifacts: the paths it says it saved."""
        notes = []
        args = types.SimpleNamespace(save_artifacts=directory, force=force)
        out = types.SimpleNamespace(note=notes.append)
        handler.save_artifacts({"artifacts": artifacts}, args, out)
        self.assertTrue(all(n.startswith("saved ") for n in notes), notes)
        return [n[6:] for n in notes]

    @staticmethod
    def files(*names_and_data):
        return [{"artifactId": "a%d" % i,
                 "parts": [{"raw": base64.b64encode(data).decode(), "filename": name,
                            "mediaType": "application/pdf"}]}
                for i, (name, data) in enumerate(names_and_data)]

    def paths(self, directory, *names):
        return [os.path.join(directory, name) for name in names]

    def test_running_twice_saves_under_free_names_and_says_which(self):
        url, agent = self.agent(("1.0",))
        directory = os.path.join(self.tmp, "nightly")
        for n, name in enumerate(("echo.txt", "echo-1.txt", "echo-2.txt")):
            r = self.assertOk(self.run_cli("message", "send", "--url", url, "night %d" % n,
                                           "--save-artifacts", directory))
            self.assertEqual(r.err, "note: saved %s\n" % os.path.join(directory, name))
        self.assertEqual(dir_contents(directory), {"echo.txt": b"Echo: night 0",
                                                   "echo-1.txt": b"Echo: night 1",
                                                   "echo-2.txt": b"Echo: night 2"})
        report = self.files(("report.pdf", b"%PDF one"), ("report.pdf", b"%PDF two"))   # twice
        saved = lambda *a, **kw: [os.path.basename(p) for p in self.save(directory, *a, **kw)]
        self.assertEqual(saved(report), ["report.pdf", "report-1.pdf"])
        self.assertEqual(saved(report), ["report-2.pdf", "report-3.pdf"])
        os.mkdir(os.path.join(directory, "report-4.pdf"))       # a directory takes a name too
        self.assertEqual(saved(report[:1], force=True), ["report.pdf"])
        self.assertEqual(saved(report), ["report-5.pdf", "report-6.pdf"])
        self.assertEqual(dir_contents(os.path.join(directory, "report-4.pdf")), {})

    def test_force_replaces_atomically_and_never_writes_through_a_symlink(self):
        url, agent = self.agent(("1.0",))
        directory = os.path.join(self.tmp, "out")
        os.makedirs(directory)
        victim = os.path.join(self.tmp, "victim.txt")
        with open(victim, "wb") as f:
            f.write(b"the victim's own")
        os.symlink(victim, os.path.join(directory, "echo.txt"))
        nowhere = os.path.join(self.tmp, "nowhere")
        os.symlink(nowhere, os.path.join(directory, "echo-1.txt"))  # dangling
        with open(os.path.join(directory, "report.pdf"), "wb") as f:
            f.write(b"old")
        os.link(os.path.join(directory, "report.pdf"), os.path.join(self.tmp, "old-report"))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi",
                                       "--save-artifacts", directory, "--force"))
        self.assertEqual(r.err, "note: saved %s\n" % os.path.join(directory, "echo.txt"))
        report = self.files(("report.pdf", b"new"), ("echo-1.txt", b"one"))
        self.assertEqual(self.save(directory, report, force=True),
                         self.paths(directory, "report.pdf", "echo-1.txt"))
        self.assertEqual(dir_contents(directory), {"echo.txt": b"Echo: hi", "report.pdf": b"new",
                                                   "echo-1.txt": b"one"})   # no link, no temp
        with open(victim, "rb") as f:
            self.assertEqual(f.read(), b"the victim's own")
        self.assertFalse(os.path.lexists(nowhere))
        with open(os.path.join(self.tmp, "old-report"), "rb") as f:   # a new file, the old intact
            self.assertEqual(f.read(), b"old")
        # the disk fills up while writing: the old files stay as they were, no temp file is left
        with mock.patch("os.write", disk_full_at(b"newer")):
            with self.assertRaises(handler.HandlerError) as cm:
                self.save(directory, self.files(("report.pdf", b"newer"), ("echo.txt", b"newer")),
                          force=True)
        self.assertIn("No space left on device", cm.exception.message)
        self.assertEqual(dir_contents(directory), {"echo.txt": b"Echo: hi", "report.pdf": b"new",
                                                   "echo-1.txt": b"one"})

    def test_names_are_cut_to_name_max_bytes_at_a_whole_character(self):
        directory = os.path.join(self.tmp, "out")
        long_ext = "a" * 250 + ".thisisnotanextension"
        artifacts = self.files(("\u00e9" * 200 + ".pdf", b"e"), ("\u65e5" * 100 + ".pdf", b"ri"),
                               ("x" * 300, b"x"), (long_ext, b"a"),
                               ("\U00020000" * 70 + ".tar.gz", b"4"))
        for run in range(2):
            names = [os.path.basename(p) for p in self.save(directory, artifacts)]
            self.assertEqual(len(set(names)), 5)
            for name in names:
                self.assertLessEqual(len(name.encode("utf-8")), 255, name)   # strict: no cut char
            suffix = "-1" if run else ""
            self.assertEqual(names[0], "\u00e9" * ((255 - len(suffix) - 4) // 2) + suffix + ".pdf")
            self.assertEqual(names[1], "\u65e5" * ((255 - len(suffix) - 4) // 3) + suffix + ".pdf")
            self.assertEqual(names[2], "x" * (255 - len(suffix)) + suffix)
            self.assertEqual(names[3], long_ext[:255 - len(suffix)] + suffix)
            self.assertEqual(names[4], "\U00020000" * ((252 - len(suffix)) // 4) + suffix + ".gz")
        self.assertEqual(len(dir_contents(directory)), 10)
        small = os.path.join(self.tmp, "small")
        with mock.patch("os.pathconf", return_value=20):       # the file system's own NAME_MAX
            names = [os.path.basename(p) for p in self.save(small, artifacts[:2] * 2)]
        self.assertEqual(names, ["\u00e9" * 8 + ".pdf", "\u65e5" * 5 + ".pdf",
                                 "\u00e9" * 7 + "-1.pdf", "\u65e5" * 4 + "-1.pdf"])

    def test_a_name_that_cannot_be_created_leaves_nothing(self):
        directory = os.path.join(self.tmp, "out")
        os.makedirs(directory)
        with open(os.path.join(directory, "keep.txt"), "wb") as f:
            f.write(b"kept")
        artifacts = [{"artifactId": "first", "parts": [{"text": "first"}]}] + self.files(
            ("\u00e9" * 200 + ".bin", b"too long"), ("last.pdf", b"last"))
        with mock.patch("os.pathconf", return_value=1024):   # says it takes 400 bytes: it does not
            with self.assertRaises(handler.HandlerError) as cm:
                self.save(directory, artifacts)
        self.assertIn("File name too long", cm.exception.message)
        self.assertIn(directory, cm.exception.message)
        self.assertEqual(dir_contents(directory), {"keep.txt": b"kept"})
        # on a full disk, the same
        with mock.patch("os.write", disk_full_at(b"last")):
            with self.assertRaises(handler.HandlerError) as cm:
                self.save(directory, artifacts[:1] + artifacts[2:])
        self.assertIn("No space left on device", cm.exception.message)
        self.assertEqual(dir_contents(directory), {"keep.txt": b"kept"})
        self.assertEqual(self.save(directory, artifacts[:1] + artifacts[2:]),
                         self.paths(directory, "first.txt", "last.pdf"))

    def test_runs_at_once_never_overwrite_each_other(self):
        directory = os.path.join(self.tmp, "out")
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)                # switch threads as often as possible
        self.addCleanup(sys.setswitchinterval, interval)
        barrier, results = threading.Barrier(8, timeout=10), {}

        def run(n):
            barrier.wait()
            try:
                parts = [("report.pdf", b"run %d part %d" % (n, i)) for i in range(5)]
                results[n] = self.save(directory, self.files(*parts))
            except Exception as exc:
                results[n] = exc
        threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        sys.setswitchinterval(interval)
        paths = [p for n in range(8) for p in results[n]]
        self.assertEqual(len(set(paths)), 40, results)
        files = dir_contents(directory)
        self.assertEqual(sorted(files.values()),
                         sorted(b"run %d part %d" % (n, i) for n in range(8) for i in range(5)))
        for n in range(8):
            for i, path in enumerate(results[n]):
                self.assertEqual(files[os.path.basename(path)], b"run %d part %d" % (n, i))


class _PushEndToEnd(_Receiver):
    TOKEN = "e2e-token-0123456789"

    def check_headers(self, seen, path, credentials=None):
        for got_path, headers, _ in seen:
            self.assertEqual(got_path, path)
            self.assertEqual(headers.get("X-A2A-Notification-Token"), self.TOKEN)
            self.assertEqual(headers.get("Authorization"), credentials and "Bearer " + credentials)

    def test_message_send_push_url_delivers_every_event(self):
        hook_url, hook, events, problems = self.receiver(self.TOKEN)
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--push-url", hook_url + "/hook",
                                       "--push-token", self.TOKEN, "hi"))
        task_id = self.ids(r)[0]
        self.events_until(events)
        self.check_headers(hook.seen, "/hook")
        raw = [json.loads(body) for _, _, body in hook.seen]
        delivered = [handler.normalise_event(body) for body in raw]
        states = [handler.task_state(next(iter(e.values()))) for e in delivered]
        if self.V == "1.0":        # one StreamResponse per event
            self.assertEqual([next(iter(e)) for e in delivered],
                             ["task", "statusUpdate", "artifactUpdate", "artifactUpdate", "statusUpdate"])
            self.assertEqual(raw, delivered)
            self.assertEqual(delivered[0]["task"]["id"], task_id)
            self.assertEqual(states[-1], "completed")
        else:                      # the whole 0.3 task on each update
            self.assertEqual([body.get("kind") for body in raw], ["task"] * len(raw))
            self.assertEqual((states[0], states[-1]), ("submitted", "completed"))
            self.assertEqual(handler.reply_text(delivered[-1]["task"]), "Echo: hi")
        self.assertEqual({next(iter(e.values())).get("taskId") or next(iter(e.values()))["id"] for e in delivered},
                         {task_id})
        self.assertTrue(problems.empty())

    def test_a_config_with_credentials_sends_them(self):
        hook_url, hook, events, problems = self.receiver(self.TOKEN)
        url, agent = self.agent()
        task_id = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "ask")))[0]
        self.assertOk(self.run_cli("task", "notification", "set", "--url", url, "--webhook-url", hook_url + "/h2",
                                   "--token", self.TOKEN, "--auth-scheme", "Bearer", "--auth-credentials", PUSH_CREDS))
        self.assertOk(self.run_cli("message", "send", "--url", url, "parrot"))
        last = next(iter(self.events_until(events)[-1].values()))
        self.assertEqual(last.get("taskId") or last.get("id"), task_id)
        self.check_headers(hook.seen, "/h2", PUSH_CREDS)

    def test_server_push_prints_the_task_as_it_goes(self):
        srv = ProcServer(self, "server", "push", "--port", "0", "--token", self.TOKEN)
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--push-url", srv.url + "/",
                                       "--push-token", self.TOKEN, "hi"))
        task_id = self.ids(r)[0]
        lines = [srv.out_line()]
        while "completed" not in lines[-1]:
            lines.append(srv.out_line())
        for line in lines:
            self.assertRegex(line, r"^\d\d:\d\d:\d\d task %s " % task_id)
        self.assertTrue(lines[0].endswith(" submitted"), lines)
        self.assertTrue(lines[-1].endswith(" completed" if self.V == "1.0" else " completed: Echo: hi"), lines)
        srv.stop()


versioned(_PushEndToEnd, (("1.0",), ("0.3",)))


# ============================================================================ 22. files and data

class _Parts:
    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def sent_parts(self, agent):
        return self.posts(agent)[-1].json["params"]["message"]["parts"]

    def test_parts_keep_their_order_after_text(self):
        url, agent = self.agent()
        notes = self.write("notes.txt", b"hello")
        pic = self.write("pic.png", b"\x89PNG\r\n\x1a\n\x00\xff")
        blob = self.write("blob.weird-ext", b"\x00\x01")
        params = self.write("params.json", json.dumps({"from": "file", "\u00e9": [1]}).encode())
        r = self.assertOk(self.run_cli(
            "message", "send", "--url", url, "--data", '{"n": 1}', "--file", notes, "--media-type", "text/markdown",
            "--file-url", "https://files.example/big.csv", "--file", pic, "--data", "@" + params, "look",
            "--file", blob, "--data", "-", "--file-url", "https://files.example/raw", "--media-type",
            "application/x-custom", stdin='{"from": "stdin"}'))
        v = self.V
        self.assertEqual(self.sent_parts(agent), [
            wtext(v, "look"), wdata(v, {"n": 1}), wfile(v, b"hello", "notes.txt", "text/markdown"),
            wurl(v, "https://files.example/big.csv", "big.csv", "text/csv"),
            wfile(v, b"\x89PNG\r\n\x1a\n\x00\xff", "pic.png", "image/png"),
            wdata(v, {"from": "file", "\u00e9": [1]}),
            wfile(v, b"\x00\x01", "blob.weird-ext", "application/octet-stream"),
            wdata(v, {"from": "stdin"}), wurl(v, "https://files.example/raw", "raw", "application/x-custom")])
        task_id, ctx, _ = self.ids(r)
        self.assertEqual(r.out, "Echo: look\n"
                                '{"n": 1}\n'
                                "[file notes.txt (text/markdown), 5 bytes inline]\n"
                                "[file big.csv (text/csv), at https://files.example/big.csv]\n"
                                "[file pic.png (image/png), 10 bytes inline]\n"
                                '{"from": "file", "\u00e9": [1]}\n'
                                "[file blob.weird-ext (application/octet-stream), 2 bytes inline]\n"
                                '{"from": "stdin"}\n'
                                "[file raw (application/x-custom), at https://files.example/raw]\n"
                                "Task ID: %s\nContext ID: %s\nState: completed\n" % (task_id, ctx))

    def test_received_parts_one_line_each_also_when_streamed(self):
        url, agent = self.agent()
        notes = self.write("notes.txt", b"hello")
        for argv in (["message", "send"], ["message", "stream"]):
            with self.subTest(argv=argv):
                r = self.assertOk(self.run_cli(*argv, "--url", url, "hi", "--data", '{"a": 1}', "--file", notes))
                task_id, ctx, _ = self.ids(r)
                self.assertEqual(r.out, 'Echo: hi\n{"a": 1}\n[file notes.txt (text/plain), 5 bytes inline]\n'
                                        "Task ID: %s\nContext ID: %s\nState: completed\n" % (task_id, ctx))
        r = self.assertOk(self.run_cli("-o", "json", "message", "send", "--url", url, "hi", "--data", '{"a": 1}',
                                       "--file", notes))
        self.assertEqual(json.loads(r.out)["task"]["artifacts"][0]["parts"], [
            {"text": "Echo: "}, {"text": "hi"}, {"data": {"a": 1}},
            {"raw": "aGVsbG8=", "filename": "notes.txt", "mediaType": "text/plain"}])

    def test_text_is_optional_when_parts_are_given(self):
        url, agent = self.agent()
        notes = self.write("notes.txt", b"hello")
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "--file", notes))
        self.assertEqual(self.sent_parts(agent), [wfile(self.V, b"hello", "notes.txt", "text/plain")])
        self.assertTrue(r.out.startswith("Echo:\n[file notes.txt (text/plain), 5 bytes inline]\nTask ID: "), r)
        self.assertOk(self.run_cli("message", "send", "--url", url, "--data", "-", stdin='{"only": "data"}'))
        self.assertEqual(self.sent_parts(agent), [wdata(self.V, {"only": "data"})])
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "--data", '{"k": 2}'))
        self.assertEqual(self.sent_parts(agent), [wdata(self.V, {"k": 2})])
        self.assertEqual(self.ids(r)[2], "completed")

    def test_bad_parts_are_usage_errors_and_send_nothing(self):
        url, agent = self.agent()
        notes = self.write("notes.txt", b"hello")
        big = os.path.join(self.tmp, "big.bin")
        with open(big, "wb") as f:
            f.truncate(10 * 1024 * 1024 + 1)       # sparse: one byte over the limit
        missing = os.path.join(self.tmp, "missing.txt")
        cases = [(["--media-type", "text/plain", "--file", notes], "--media-type"),
                 (["--data", "{}", "--media-type", "text/plain"], "--media-type"),
                 (["--file", big], "10 MiB"), (["--file", missing], "missing.txt"),
                 (["--data", "{oops"], "JSON"), (["--data", "@" + missing], "missing.txt"),
                 (["--file-url", "not a url"], "--file-url")]
        for extra, fragment in cases:
            for command in ("send", "stream"):
                with self.subTest(extra=extra, command=command):
                    self.assertError(self.run_cli("message", command, "--url", url, "hi", *extra), 2, fragment)
        self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "--file", big),
                             "A2ACLI_ERR_USAGE", 2)
        self.assertEqual(agent.received, [])
        r = self.run_proc("message", "send", "--url", url, "hi", "--file", big)
        self.assertError(r, 2, "10 MiB")
        self.assertEqual(agent.received, [])


versioned(_Parts, (("1.0",), ("0.3",)))


# ============================================================================ 23. --save-artifacts

def dir_contents(directory):
    """{name: bytes} of the files in a directory (which must hold nothing else)."""
    found = {}
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        assert os.path.isfile(path) and not os.path.islink(path), path
        with open(path, "rb") as f:
            found[name] = f.read()
    return found


class _SaveArtifacts:
    PHOTO = b"\x89PNG\r\n\x1a\n\x00\xffbinary"

    def send_with_parts(self, url, *argv):
        photo = os.path.join(self.tmp, "photo.png")
        with open(photo, "wb") as f:
            f.write(self.PHOTO)
        return self.run_cli(*argv, "--url", url, "hi", "--data", '{"k": [1, "\u00e9"]}', "--file", photo)

    def check_saved(self, directory, r):
        files = dir_contents(directory)
        self.assertEqual(sorted(files), ["echo-1.txt", "echo-2.json", "photo.png"])
        self.assertEqual(files["echo-1.txt"], b"Echo: hi")
        self.assertEqual(json.loads(files["echo-2.json"].decode("utf-8")), {"k": [1, "\u00e9"]})
        self.assertEqual(files["photo.png"], self.PHOTO)
        for name in files:
            self.assertIn(os.path.join(directory, name), r.err)

    def test_send_stream_and_get_save_every_part(self):
        url, agent = self.agent()
        for n, argv in enumerate((["message", "send"], ["message", "stream"], ["message", "send", "--stream"])):
            with self.subTest(argv=argv):
                directory = os.path.join(self.tmp, "out-%d" % n, "new")        # made when missing
                r = self.assertOk(self.send_with_parts(url, *argv, "--save-artifacts", directory))
                self.check_saved(directory, r)
        directory = os.path.join(self.tmp, "from-get")
        r = self.assertOk(self.run_cli("task", "get", "--url", url, "--save-artifacts", directory))
        self.check_saved(directory, r)

    def test_an_existing_file_is_kept_unless_force(self):
        url, agent = self.agent()
        directory = os.path.join(self.tmp, "out")
        os.makedirs(directory)
        with open(os.path.join(directory, "echo.txt"), "wb") as f:
            f.write(b"old")
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi", "--save-artifacts", directory))
        self.assertEqual(r.err, "note: saved %s\n" % os.path.join(directory, "echo-1.txt"))   # a free name
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)            # the reply is still shown
        self.assertEqual(dir_contents(directory), {"echo.txt": b"old", "echo-1.txt": b"Echo: hi"})
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi", "--save-artifacts", directory, "--force"))
        self.assertEqual(dir_contents(directory), {"echo.txt": b"Echo: hi", "echo-1.txt": b"Echo: hi"})
        # one of several names taken: that one gets a free name, the others their own
        other = os.path.join(self.tmp, "other")
        os.makedirs(other)
        with open(os.path.join(other, "echo-2.json"), "wb") as f:
            f.write(b"old")
        r = self.assertOk(self.send_with_parts(url, "message", "send", "--save-artifacts", other))
        self.assertEqual(sorted(dir_contents(other)), ["echo-1.txt", "echo-2-1.json", "echo-2.json", "photo.png"])
        self.assertEqual(dir_contents(other)["echo-2.json"], b"old")
        self.assertIn(os.path.join(other, "echo-2-1.json"), r.err)
        # a symbolic link is an existing name too: never written through
        linked = os.path.join(self.tmp, "linked")
        os.makedirs(linked)
        outside = os.path.join(self.tmp, "outside.txt")
        os.symlink(outside, os.path.join(linked, "echo.txt"))
        self.assertOk(self.run_cli("message", "stream", "--url", url, "hi", "--save-artifacts", linked))
        self.assertFalse(os.path.exists(outside))
        self.assertEqual(os.readlink(os.path.join(linked, "echo.txt")), outside)
        # DIR is a file
        with open(outside, "wb") as f:
            f.write(b"a file")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi", "--save-artifacts", outside), 1, outside)
        with open(outside, "rb") as f:
            self.assertEqual(f.read(), b"a file")


versioned(_SaveArtifacts, (("1.0",), ("0.3",)))


class _SaveArtifactsScripted:
    NAMES = ["../../etc/passwd", "/abs/path", "..", ".hidden", "nul\x00byte", "a/b\\c", "..\\..\\win.ini", "", "   ",
             "../", "same.txt", "same.txt", "x" * 300]

    def test_names_from_the_agent_stay_inside_the_directory(self):
        url, srv = self.scripted()
        v = self.V
        payloads = [b"part-%d" % i for i in range(len(self.NAMES))]
        task = wtask(v, "completed")
        task["artifacts"] = [
            {"artifactId": "../../a1", "name": "../../evil", "parts": [wtext(v, "some text")]},
            {"artifactId": "a2", "name": "/etc/cron.d/job", "parts": [wdata(v, {"d": 1})]},
            {"artifactId": "..", "parts": [wfile(v, data, name, "application/octet-stream")
                                           for data, name in zip(payloads, self.NAMES)]
             + [wurl(v, "https://files.example/y.bin", "y.bin", "application/octet-stream")]}]
        srv.posts.append(Reply(rpc(task)))
        jail = os.path.join(self.tmp, "jail")
        directory = os.path.join(jail, "inner")
        before = sorted(os.listdir(self.tmp))
        r = self.assertOk(self.run_cli("task", "get", "t-1", "--url", url, "--save-artifacts", directory))
        self.assertEqual(os.listdir(jail), ["inner"])
        self.assertEqual(sorted(set(os.listdir(self.tmp)) - {"handler-home"}), sorted(set(before + ["jail"])
                                                                                   - {"handler-home"}))
        files = dir_contents(directory)
        for name in files:
            self.assertFalse(name.startswith("."), name)
            for bad in ("/", "\\", "\x00"):
                self.assertNotIn(bad, name)
            self.assertLessEqual(len(name), 255)
        self.assertEqual(len(files), len(self.NAMES) + 2)
        self.assertEqual(sorted(data for name, data in files.items() if name != "job.json"),
                         sorted(payloads + [b"some text"]))      # every part kept, none over another
        self.assertEqual(json.loads(files["job.json"].decode()), {"d": 1})
        self.assertEqual(files["evil.txt"], b"some text")
        self.assertEqual(files["passwd"], payloads[0])
        self.assertIn("not downloaded", r.err)
        self.assertIn("https://files.example/y.bin", r.err)


    def test_a_file_that_is_not_base64_writes_nothing(self):
        url, srv = self.scripted()
        task = wtask(self.V, "completed", "fine")
        bad = wfile(self.V, b"x", "bad.bin", "application/octet-stream")
        (bad["file"] if self.V == "0.3" else bad)["bytes" if self.V == "0.3" else "raw"] = "!!! not base64 !!!"
        task["artifacts"].append({"artifactId": "a2", "parts": [bad]})
        srv.posts.append(Reply(rpc(task)))
        directory = os.path.join(self.tmp, "out")
        self.assertError(self.run_cli("task", "get", "t-1", "--url", url, "--save-artifacts", directory), 1, "base64")
        self.assertFalse(os.path.exists(directory))


versioned(_SaveArtifactsScripted, (("1.0",), ("0.3",)))


# ============================================================================ 24. card get --extended, card validate

class _CardExtended:
    TOKEN = "agent-token-0123456789"

    def test_the_extended_card_with_credentials(self):
        url, agent = self.agent(token=self.TOKEN)
        r = self.assertOk(self.run_cli("card", "get", "--extended", "--url", url, "--bearer-token", self.TOKEN))
        lines = r.out.splitlines()
        self.assertIn("Skills (2):", lines)
        self.assertEqual(lines[-1], "  - Shout: Echoes in capitals (for authenticated clients).")
        (post,) = self.posts(agent)
        body = self.assertWire(post, "GetExtendedAgentCard", "agent/getAuthenticatedExtendedCard")
        self.assertEqual(body["params"], {})
        self.assertEqual(post.headers["Authorization"], "Bearer " + self.TOKEN)
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", self.TOKEN))
        r = self.assertOk(self.run_cli("-o", "json", "card", "get", "--extended", "--url", url))
        card = json.loads(r.out)
        self.assertEqual(card, agent.agent.extended_card(url + "/"))
        self.assertEqual([s["id"] for s in card["skills"]], ["echo", "shout"])
        plain = json.loads(self.assertOk(self.run_cli("-o", "json", "card", "get", "--url", url)).out)
        self.assertEqual([s["id"] for s in plain["skills"]], ["echo"])
        self.assertNotIn(self.TOKEN, r.out + r.err)

    def test_wrong_or_no_credentials(self):
        url, agent = self.agent(token=self.TOKEN)
        self.assertError(self.run_cli("card", "get", "--extended", "--url", url), 4)
        self.assertError(self.run_cli("card", "get", "--extended", "--url", url, "--bearer-token", "-",
                                      stdin="wrong\n"), 4)

    def test_no_extended_card_sends_nothing(self):
        url, agent = self.agent()                   # without a token it offers no extended card
        self.assertError(self.run_cli("card", "get", "--extended", "--url", url), 1, "extended card")
        self.assertJsonError(self.run_cli("-o", "json", "card", "get", "--extended", "--url", url),
                             "UnsupportedOperationError", 1)
        self.assertEqual(self.posts(agent), [])


versioned(_CardExtended, (("1.0",), ("0.3",)))


class _CardValidateBuiltin:
    def test_the_builtin_agent_passes(self):
        url, agent = self.agent()
        version = "0.3" if self.VERSIONS == ("0.3",) else "1.x"
        source = url + "/.well-known/agent-card.json"
        r = self.assertOk(self.run_cli("card", "validate", "--url", url))
        self.assertEqual((r.out, r.err), ("PASS: %s (A2A %s): valid card\n" % (source, version), ""))
        r = self.assertOk(self.run_cli("-o", "json", "card", "validate", "--url", url))
        self.assertEqual(json.loads(r.out), {"source": source, "protocolVersion": version, "valid": True,
                                             "problems": []})
        os.environ["HANDLER_URL"] = url
        r = self.assertOk(self.run_proc("card", "validate"))
        self.assertTrue(r.out.startswith("PASS: "), r)
        self.assertEqual(self.posts(agent), [])


versioned(_CardValidateBuiltin)


class CardValidateCommandTests(HandlerTestCase):
    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(content if isinstance(content, bytes) else json.dumps(content).encode())
        return path

    def test_an_invalid_card_file(self):
        card = mutated(V1_CARD, ("name",), DELETE)
        card["supportedInterfaces"][0]["url"] = "/relative"
        path = self.write("card.json", card)
        r = self.run_cli("card", "validate", "--file", path)
        self.assertEqual(r.code, 1, r)
        lines = r.out.splitlines()
        self.assertEqual(lines[-1], "FAIL: %s (A2A 1.x): 2 problems" % path)
        paths = [line.split(": ", 1)[0] for line in lines[:-1]]
        self.assertEqual(sorted(paths), ["$.name", "$.supportedInterfaces[0].url"])
        self.assertEqual(lines[:-1], ["%s: %s" % p for p in validate_card(card)[1]])
        r = self.run_cli("-o", "json", "card", "validate", "--file", path)
        self.assertEqual(r.code, 1, r)
        doc = json.loads(r.out)
        self.assertEqual((doc["source"], doc["protocolVersion"], doc["valid"]), (path, "1.x", False))
        self.assertEqual(sorted(p["path"] for p in doc["problems"]), ["$.name", "$.supportedInterfaces[0].url"])
        for problem in doc["problems"]:
            self.assertEqual(set(problem), {"path", "message"})
            self.assertRegex(problem["path"], JSON_PATH)
        r = self.assertOk(self.run_cli("card", "validate", "--file", self.write("good.json", SDK_03_CARD)))
        self.assertEqual(r.out, "PASS: %s (A2A 0.3): valid card\n" % os.path.join(self.tmp, "good.json"))

    def test_a_file_that_is_not_a_card(self):
        for name, content in (("html", b"<html>nope</html>"), ("binary", b"\xff\xfe\x00garbage"), ("empty", b""),
                              ("cut", b'{"name": '), ("list", b"[1, 2]")):
            with self.subTest(content=name):
                path = self.write(name + ".json", content)
                r = self.run_cli("card", "validate", "--file", path)
                self.assertEqual(r.code, 1, r)
                lines = r.out.splitlines()
                self.assertEqual(len(lines), 2, r)
                self.assertTrue(lines[0].startswith("$: "), r)
                self.assertTrue(lines[1].startswith("FAIL: %s (A2A " % path), r)
                self.assertEqual(r.err, "")
        r = self.run_proc("-o", "json", "card", "validate", "--file", os.path.join(self.tmp, "binary.json"))
        self.assertEqual(r.code, 1, r)
        self.assertIs(json.loads(r.out)["valid"], False)

    def test_unreachable_and_usage(self):
        url = "http://127.0.0.1:%d" % closed_port()
        self.fake_clock()                           # the retries wait in fake time
        self.assertError(self.run_cli("card", "validate", "--url", url), 3)
        self.assertJsonError(self.run_cli("-o", "json", "card", "validate", "--url", url), "A2ACLI_ERR_UNREACHABLE", 3)
        path = self.write("good.json", V1_CARD)
        self.assertError(self.run_cli("card", "validate"), 2, "--url", "--file")
        self.assertError(self.run_cli("card", "validate", "--url", url, "--file", path), 2, "--url", "--file")
        self.assertError(self.run_cli("card", "validate", "--file", os.path.join(self.tmp, "missing.json")), 2,
                         "missing.json")
        os.environ["HANDLER_URL"] = url           # --file wins over the environment
        self.assertOk(self.run_cli("card", "validate", "--file", path))


# ============================================================================ 25. MCP server
# `handler.py mcp` driven as a subprocess over pipes: newline-delimited JSON-RPC written to its stdin,
# its stdout read one line at a time on a thread and waited for with a timeout.

MCP_REVISIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
MCP_NEWEST = "2025-11-25"
MCP_STRUCTURED = "2025-06-18"      # the first revision with structuredContent
MCP_TOOLS = {"validate_agent_card", "get_agent_card", "send_message", "get_task", "list_tasks", "cancel_task",
             "set_task_notification", "get_task_notification", "list_task_notifications",
             "delete_task_notification", "list_sessions", "get_session_info", "clear_session_data"}
SECRET_ARGUMENT = re.compile(r"token|passw|secret|api_?key|bearer|credential", re.I)
NOT_A_SECRET = {"page_token"}      # a pagination cursor


class Sdk03RestFake(ThreadingHTTPServer):
    """A 0.3 agent that reads and writes HTTP+JSON (and 0.3 JSON-RPC at /rpc) the way one official SDK
    does. sdk "python" (a2a-python 0.3: its proto bytes field holds the base64 text, so inline bytes
    travel base64-encoded twice; push config set wants {"parent", "config"}, else 500) or "js"
    (a2a-js 1.3.0: bytes once, the proto JSON mapping; set wants the bare config, else the 400
    below). `stored`: the file bytes the agent got; `bodies`: (path, JSON body) of every POST."""
    JS_400 = b'{"code":-32602,"message":"TaskPushNotificationConfig missing pushNotificationConfig"}'

    def __init__(self, sdk, rpc=False):
        super().__init__(("127.0.0.1", 0), self.Handler)
        self.sdk, self.rpc, self.stored, self.bodies = sdk, rpc, [], []

    def card(self, url):
        card = {"name": "SDK", "description": "d", "version": "1", "protocolVersion": "0.3.0", "url": url,
                "preferredTransport": "HTTP+JSON", "skills": [],
                "capabilities": {"streaming": True, "pushNotifications": True},
                "additionalInterfaces": [{"url": url + "/rpc", "transport": "JSONRPC"}] if self.rpc else []}
        if self.sdk == "js":   # a 1.x SDK's card for a 0.3 agent: its interfaces in 1.x form too
            card["supportedInterfaces"] = [{"url": url + path, "protocolBinding": binding, "protocolVersion": "0.3"}
                                           for binding, path in (("HTTP+JSON", ""), ("JSONRPC", "/rpc"))
                                           if path == "" or self.rpc]
        return card

    def file_in(self, value, twice):
        data = base64.b64decode(value, validate=True)
        return base64.b64decode(data.decode("utf-8"), validate=True) if twice else data

    def task(self, parts):
        return {"id": "t-1", "contextId": "c-1", "status": {"state": "TASK_STATE_COMPLETED"},
                "artifacts": [{"artifactId": "a1", "parts": parts}]}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.answer(200, json.dumps(self.server.card("http://127.0.0.1:%d" % self.server.server_address[1])
                                        ).encode())

        def do_POST(self):
            fake = self.server
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            fake.bodies.append((self.path, body))
            twice = fake.sdk == "python"
            try:
                if self.path == "/rpc":   # 0.3 JSON-RPC: both SDKs read file.bytes as the file's base64
                    for part in body["params"]["message"]["parts"]:
                        if part["kind"] == "file":
                            fake.stored.append(fake.file_in(part["file"]["bytes"], False))
                    parts = [{"kind": "file", "file": {"bytes": base64.b64encode(d).decode()}} for d in fake.stored]
                    task = dict(fake.task(parts), kind="task",
                                status={"state": "completed"})
                    return self.answer(200, json.dumps({"jsonrpc": "2.0", "id": body["id"], "result": task}).encode())
                if self.path == "/v1/message:send":
                    for part in body["message"]["content"]:
                        if "file" in part:
                            fake.stored.append(fake.file_in(part["file"]["fileWithBytes"], twice))
                    out = [base64.b64encode(base64.b64encode(d) if twice else d).decode() for d in fake.stored]
                    return self.answer(200, json.dumps({"task": fake.task(
                        [{"file": {"fileWithBytes": v}} for v in out])}).encode())
                config = body.get("config") if twice else body   # the push config set
                if twice and not set(body) <= {"parent", "configId", "config"}:
                    raise ValueError("no field named ...")        # the SDK's strict proto JSON parse
                if not twice and "pushNotificationConfig" not in body:
                    return self.answer(400, fake.JS_400)
                config = dict(config, name="tasks/t-1/pushNotificationConfigs/t-1")
                return self.answer(201, json.dumps(config).encode())
            except (ValueError, KeyError):
                return self.answer(500, b'{"message":"unknown exception"}')


class Rest03FileBytesTests(HandlerTestCase):
    """A2A 0.3 over HTTP+JSON: inline file bytes reach each official SDK's agent unchanged, and
    come back unchanged; push config set works with both."""
    BLOB = bytes(range(256)) + b"\x00\xff\r\n"   # binary: not UTF-8
    B64ISH = b"test"                              # a file that is itself valid base64 text

    def fake(self, sdk, rpc=False):
        server = Sdk03RestFake(sdk, rpc)
        return self._serve(server), server

    def send(self, url, data, *options):
        path = os.path.join(self.tmp, "f.bin")
        with open(path, "wb") as f:
            f.write(data)
        r = self.assertOk(self.run_cli("--debug", "-o", "json", "message", "send", *options, "--url", url,
                                       "--file", path, "hi"))
        raws = [p["raw"] for a in json.loads(r.out)["task"]["artifacts"] for p in a["parts"] if "raw" in p]
        return [base64.b64decode(raw) for raw in raws], r.err

    def test_each_sdk_gets_and_gives_back_the_exact_bytes_over_http_json(self):
        for sdk, wire in (("js", lambda d: base64.b64encode(d)),
                          ("python", lambda d: base64.b64encode(base64.b64encode(d)))):
            for data in (self.BLOB, self.B64ISH):
                with self.subTest(sdk=sdk, data=data[:8]):
                    url, server = self.fake(sdk)
                    echoed, err = self.send(url, data)
                    self.assertEqual(server.stored, [data])      # what the agent got
                    self.assertEqual(echoed, [data])             # what Handler shows and saves
                    path, body = server.bodies[0]
                    self.assertEqual(path, "/v1/message:send")
                    self.assertEqual(body["message"]["content"][1]["file"]["fileWithBytes"], wire(data).decode())
                    self.assertIn("inline file bytes over 0.3 HTTP+JSON: base64-encoded "
                                  + ("once" if sdk == "js" else "twice"), err)

    def test_the_cards_json_rpc_interface_carries_file_bytes(self):
        for sdk in ("js", "python"):
            with self.subTest(sdk=sdk):
                url, server = self.fake(sdk, rpc=True)
                echoed, err = self.send(url, self.BLOB)
                self.assertEqual((server.stored, echoed), ([self.BLOB], [self.BLOB]))
                self.assertEqual([p for p, _ in server.bodies], ["/rpc"])
                self.assertEqual(server.bodies[0][1]["method"], "message/send")
                self.assertEqual(server.bodies[0][1]["params"]["message"]["parts"][1]["file"]["bytes"],
                                 base64.b64encode(self.BLOB).decode())
                self.assertIn("inline file bytes: using the card's A2A 0.3 JSON-RPC interface at %s/rpc" % url, err)
                self.assertOk(self.run_cli("task", "notification", "set", "t-1", "--url", url,
                                           "--webhook-url", "http://127.0.0.1:9/h"))   # no file: over REST
                self.assertEqual(server.bodies[-1][0], "/v1/tasks/t-1/pushNotificationConfigs")
        # --transport http+json alone keeps the file on HTTP+JSON
        url, server = self.fake("js", rpc=True)
        self.assertEqual(self.send(url, self.BLOB, "--transport", "http+json")[0], [self.BLOB])
        self.assertEqual((server.stored, [p for p, _ in server.bodies]), ([self.BLOB], ["/v1/message:send"]))

    def test_push_config_set_works_with_both_sdks(self):
        wrapped = {"parent": "tasks/t-1", "config": {
            "name": "tasks/t-1/pushNotificationConfigs/t-1",
            "pushNotificationConfig": {"url": "http://127.0.0.1:9/h", "token": "tok-0123456789", "id": "t-1"}}}
        for sdk, bodies in (("python", [wrapped]), ("js", [wrapped, wrapped["config"]])):
            with self.subTest(sdk=sdk):
                url, server = self.fake(sdk)
                r = self.assertOk(self.run_cli("--debug", "-o", "json", "task", "notification", "set", "t-1",
                                               "--url", url, "--webhook-url", "http://127.0.0.1:9/h",
                                               "--token", "tok-0123456789"))
                self.assertEqual(json.loads(r.out), {"taskId": "t-1", "id": "t-1", "url": "http://127.0.0.1:9/h",
                                                     "token": mock.ANY})
                self.assertEqual(server.bodies, [("/v1/tasks/t-1/pushNotificationConfigs", b) for b in bodies])
                self.assertEqual("the agent wants the bare push config" in r.err, sdk == "js")
        url, server = self.fake("js")   # any other 400 is the agent's answer, not retried
        server.JS_400 = b'{"code":-32602,"message":"Invalid or missing task ID"}'
        self.assertError(self.run_cli("task", "notification", "set", "t-1", "--url", url, "--webhook-url",
                                      "http://127.0.0.1:9/h"), 1, "Invalid or missing task ID")
        self.assertEqual(len(server.bodies), 1)


def mcp_text(result):
    """The text of a tool result's (first) text block."""
    return next(block["text"] for block in result["content"] if block.get("type") == "text")


class McpProc:
    """`handler.py mcp` as a subprocess with the test's environment. Its stdout lines and stderr are
    read on threads; every wait is bounded. When the test ends its stdin is closed and it must exit 0
    at once, having written only JSON-RPC lines to stdout and no traceback to stderr; it is killed by
    its pid if it does not."""

    def __init__(self, test, *argv):
        self.test, self.next_id, self.version, self.code = test, 0, None, None
        self.proc = test.popen([*PYTHON, HANDLER_PATH, "mcp"] + [str(a) for a in argv],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.raw, self.lines, self.err_chunks = [], queue.Queue(), []
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self._out, self.lines.put),
                                         daemon=True),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err_chunks.append, None),
                                         daemon=True)]
        for reader in self.readers:
            reader.start()
        test.addCleanup(self.close)        # runs before popen's kill

    def _out(self, line):
        self.raw.append(line)
        self.lines.put(line)

    @staticmethod
    def _read(stream, put, at_end):
        try:
            for line in iter(stream.readline, b""):
                put(line)
        except (OSError, ValueError):
            pass
        if at_end:
            at_end(None)

    @property
    def err(self):
        return b"".join(self.err_chunks).decode("utf-8", "replace")

    def send(self, message):
        """One line: a JSON value, or bytes as they are."""
        data = message if isinstance(message, bytes) else json.dumps(message).encode("utf-8")
        try:
            self.proc.stdin.write(data + b"\n")
            self.proc.stdin.flush()
            return
        except OSError:
            pass
        self.test.fail("the server is gone (exit %r); stderr: %r" % (self.proc.poll(), self.err))

    def receive(self, timeout=10):
        """The next line on stdout, parsed."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.test.fail("no answer within %s s; stderr: %r" % (timeout, self.err))
        if line is None:
            self.lines.put(None)            # the next wait ends at once too
            self.test.fail("the server closed its stdout (exit %r); stderr: %r" % (self.proc.poll(), self.err))
        try:
            return json.loads(line.decode("utf-8"))
        except ValueError:
            self.test.fail("not a line of UTF-8 JSON: %r" % line)

    def request(self, method, params=None, timeout=10):
        """A request with the next id; its answer, which must carry that id."""
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        answer = self.receive(timeout)
        self.test.assertIsInstance(answer, dict, answer)
        self.test.assertEqual((answer.get("jsonrpc"), answer.get("id")), ("2.0", self.next_id), answer)
        return answer

    def result(self, method, params=None, timeout=10):
        answer = self.request(method, params, timeout)
        self.test.assertNotIn("error", answer)
        return answer["result"]

    def error(self, method, params=None, code=None):
        """A JSON-RPC error answer (no result), with `code` when given."""
        answer = self.request(method, params)
        self.test.assertNotIn("result", answer)
        error = answer["error"]
        self.test.assertIsInstance(error.get("code"), int, answer)
        self.test.assertIsInstance(error.get("message"), str, answer)
        if code is not None:
            self.test.assertEqual(error["code"], code, answer)
        return error

    def initialize(self, revision=MCP_NEWEST):
        result = self.result("initialize", {"protocolVersion": revision, "capabilities": {},
                                            "clientInfo": {"name": "test_handler", "version": "1"}})
        self.version = result["protocolVersion"]
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    def call(self, name, arguments=None, timeout=20):
        """tools/call: a result with a text block, and structuredContent only from 2025-06-18 on."""
        params = {"name": name} if arguments is None else {"name": name, "arguments": arguments}
        result = self.result("tools/call", params, timeout)
        self.test.assertIsInstance(result.get("isError", False), bool, result)
        self.test.assertIsInstance(mcp_text(result), str, result)
        self.test.assertTrue(mcp_text(result).strip(), result)
        if self.version < MCP_STRUCTURED:
            self.test.assertNotIn("structuredContent", result)
        elif not result.get("isError"):
            self.test.assertIsInstance(result.get("structuredContent"), dict, result)
        return result

    def ok(self, name, **arguments):
        """A tool that succeeds: (text, structuredContent)."""
        result = self.call(name, arguments)
        self.test.assertIs(result.get("isError", False), False, result)
        return mcp_text(result), result.get("structuredContent")

    def fails(self, name, **arguments):
        """A tool that fails: a result with isError and one line 'Error: ...'; (text, structuredContent)."""
        result = self.call(name, arguments)
        self.test.assertIs(result.get("isError"), True, result)
        text = mcp_text(result)
        self.test.assertTrue(text.startswith("Error: "), result)
        self.test.assertEqual(len(text.splitlines()), 1, result)
        self.test.assertNotIn("internal error", text)
        return text, result.get("structuredContent")

    def close(self, timeout=10):
        """EOF on stdin; the exit code, once the server has ended cleanly (checked once)."""
        if self.code is not None:
            return self.code
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.code = self.proc.wait(5)
            self.test.fail("the server did not end within %s s of EOF on its stdin" % timeout)
        for reader in self.readers:
            reader.join(5)
        self.test.assertNotIn("Traceback", self.err)
        for line in self.raw:                  # stdout: protocol messages only
            message = json.loads(line.decode("utf-8"))
            for item in message if isinstance(message, list) else [message]:
                self.test.assertEqual(item.get("jsonrpc"), "2.0", line)
        self.test.assertEqual(self.code, 0, self.err)
        return self.code


class _Mcp:
    """What the MCP tests share."""

    def mcp(self, revision=MCP_NEWEST, *argv):
        """A running MCP server, initialized with `revision` (None: not initialized)."""
        proc = McpProc(self, *argv)
        if revision:
            proc.initialize(revision)
        return proc

    def served_card(self, url):
        import urllib.request
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url + "/.well-known/agent-card.json", timeout=10) as resp:
            return json.loads(resp.read())


class McpProtocolTests(_Mcp, HandlerTestCase):
    def test_initialize_answers_the_requested_revision_or_the_newest(self):
        wanted = MCP_REVISIONS + ("1999-01-01", "2099-01-01")
        procs = [McpProc(self) for _ in wanted]      # started together: their start-ups overlap
        for revision, proc in zip(wanted, procs):
            with self.subTest(revision=revision):
                self.assertEqual(proc.result("ping"), {})          # ping works before initialize
                result = proc.initialize(revision)
                self.assertEqual(result["protocolVersion"], revision if revision in MCP_REVISIONS else MCP_NEWEST)
                self.assertEqual(result["serverInfo"], {"name": "handler", "version": handler.VERSION})
                self.assertIsInstance(result["capabilities"]["tools"], dict)
                # notifications/initialized has no answer: the next line is the ping's
                self.assertEqual(proc.result("ping"), {})
                self.assertEqual(proc.close(), 0)
                self.assertEqual(len(proc.raw), 3)

    def test_requests_before_initialize_are_errors_and_the_server_goes_on(self):
        url, agent = self.agent()
        proc = self.mcp(None)
        proc.error("tools/list")
        proc.error("tools/call", {"name": "send_message", "arguments": {"agent_url": url, "message": "hi"}})
        proc.error("tools/call", {"name": "list_sessions", "arguments": {}})
        self.assertEqual(agent.received, [])
        self.assertFalse(os.path.exists(self.sessions_path))
        proc.initialize("2025-06-18")
        self.assertEqual(len(proc.result("tools/list")["tools"]), 13)
        self.assertEqual(proc.ok("list_sessions")[1], {"count": 0, "sessions": []})

    def test_unknown_methods_and_malformed_lines(self):
        proc = self.mcp()
        for method in ("resources/list", "prompts/get", "no/such/method"):
            proc.error(method, {}, -32601)
        for line, code in ((b"this is not json", -32700), (b'{"jsonrpc": "2.0", "id": 1, "method": "pi', -32700),
                           (b"\xc3\x28 not UTF-8", -32700), (b"5", -32600), (b'"ping"', -32600), (b"null", -32600),
                           (b"{}", -32600), (b'{"id": 7, "method": "ping"}', -32600),
                           (b'{"jsonrpc": "2.0", "id": 8}', -32600),
                           (b'{"jsonrpc": "1.0", "id": 9, "method": "ping"}', -32600),
                           (b'{"jsonrpc": "2.0", "id": 10, "method": 5}', -32600)):
            with self.subTest(line=line):
                proc.send(line)
                answer = proc.receive()
                self.assertEqual(answer["jsonrpc"], "2.0", answer)
                self.assertNotIn("result", answer)
                self.assertEqual(answer["error"]["code"], code, answer)
                if code == -32700:
                    self.assertIsNone(answer["id"])
                self.assertEqual(proc.result("ping"), {})       # the server keeps answering
        # a batch of a request and a notification: an array with the one response
        proc.send([{"jsonrpc": "2.0", "id": "b1", "method": "ping"},
                   {"jsonrpc": "2.0", "method": "notifications/initialized"}])
        self.assertEqual(proc.receive(), [{"jsonrpc": "2.0", "id": "b1", "result": {}}])
        # empty lines and notifications (even unknown ones) get no answer: the next line is the ping's
        for line in (b"", b"   ", b'{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {}}',
                     b'{"jsonrpc": "2.0", "method": "no/such/notification"}'):
            proc.send(line)
        self.assertEqual(proc.result("ping"), {})
        self.assertEqual(proc.ok("list_sessions")[1], {"count": 0, "sessions": []})

    def test_an_empty_batch_is_one_invalid_request(self):
        proc = self.mcp()
        proc.send([])           # JSON-RPC 2.0: an empty array is answered with one Invalid Request error
        proc.send({"jsonrpc": "2.0", "id": "p", "method": "ping"})
        answer = proc.receive()
        self.assertEqual((answer.get("id", "absent"), answer.get("error", {}).get("code")), (None, -32600), answer)
        self.assertEqual(proc.receive(), {"jsonrpc": "2.0", "id": "p", "result": {}})

    def test_eof_ends_the_server_at_once_with_exit_0(self):
        proc = self.mcp()
        proc.ok("list_sessions")
        proc.send(b"not json")
        self.assertEqual(proc.receive()["error"]["code"], -32700)
        start = time.monotonic()
        self.assertEqual(proc.close(), 0)           # also checks stdout and stderr
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(len(proc.raw), 3)

    def test_tools_list_the_13_tools_with_their_schemas(self):
        proc = self.mcp()
        tools = proc.result("tools/list")["tools"]
        self.assertEqual(len(tools), 13)
        self.assertEqual({tool["name"] for tool in tools}, MCP_TOOLS)
        for tool in tools:
            with self.subTest(tool=tool["name"]):
                self.assertIsInstance(tool["description"], str)
                self.assertTrue(tool["description"].strip())
                schema = tool["inputSchema"]
                self.assertEqual(schema["type"], "object")
                self.assertIsInstance(schema["properties"], dict)
                self.assertIsInstance(schema["required"], list)
                self.assertLessEqual(set(schema["required"]), set(schema["properties"]))
                for name, prop in schema["properties"].items():
                    self.assertIsInstance(prop, dict)
                    if name not in NOT_A_SECRET:      # never a secret in the assistant's transcript
                        self.assertNotRegex(name, SECRET_ARGUMENT)
                if tool["name"] not in ("list_sessions", "clear_session_data"):
                    self.assertIn("agent_url", schema["required"])

    def test_structured_content_only_from_2025_06_18(self):
        url, agent = self.agent()
        procs = {revision: McpProc(self) for revision in MCP_REVISIONS}
        for revision, proc in procs.items():
            proc.initialize(revision)
            for name, arguments in (("list_sessions", {}), ("get_agent_card", {"agent_url": url}),
                                    ("send_message", {"agent_url": url, "message": "hi", "use_session": False}),
                                    ("get_task", {"agent_url": url, "task_id": "no-such-task"})):
                with self.subTest(revision=revision, tool=name):
                    result = proc.call(name, arguments)
                    self.assertEqual(result["content"][0]["type"], "text")
                    self.assertTrue(mcp_text(result))
                    self.assertIs(result["isError"], name == "get_task")
                    if revision >= MCP_STRUCTURED:
                        self.assertIsInstance(result.get("structuredContent"), dict, result)
                    else:
                        self.assertNotIn("structuredContent", result)
            self.assertEqual(proc.close(), 0)


class _McpTools(_Mcp):
    """Every agent tool against the built-in agent of one protocol version."""

    def test_card_tools(self):
        url, agent = self.agent()
        proc = self.mcp()
        text, report = proc.ok("validate_agent_card", agent_url=url)
        self.assertIs(report["valid"], True, report)
        self.assertEqual(report["problems"], [])
        version = "1.x" if self.V == "1.0" else "0.3"
        self.assertEqual(report["protocolVersion"], version)
        self.assertEqual(text, "PASS: %s/.well-known/agent-card.json (A2A %s): valid card" % (url, version))
        text, card = proc.ok("get_agent_card", agent_url=url)
        self.assertEqual(card, self.served_card(url))
        self.assertIn("Name: Handler Echo Agent\n", text)
        self.assertIn("Interface: JSON-RPC, A2A %s" % self.V, text)
        self.assertFalse(os.path.exists(self.sessions_path))      # cards are not conversations

    def test_send_message_saves_and_continues_the_session(self):
        url, agent = self.agent()
        proc = self.mcp()
        text, result = proc.ok("send_message", agent_url=url, message="alone", use_session=False)
        self.assertTrue(text.startswith("Echo: alone\n"), text)
        self.assertFalse(os.path.exists(self.sessions_path))      # use_session false writes nothing
        text, result = proc.ok("send_message", agent_url=url, message="hello there")
        self.assertEqual(set(result), {"task"})
        task = result["task"]
        tid, ctx = task["id"], task["contextId"]
        self.assertEqual(task["status"]["state"], "TASK_STATE_COMPLETED")
        self.assertEqual(text, "Echo: hello there\nTask ID: %s\nContext ID: %s\nState: completed" % (tid, ctx))
        self.assertNotIn("contextId", self.assertWire(self.posts(agent)[-1], "SendMessage", "message/send")
                         ["params"]["message"])
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"], entry["task_state"]), (ctx, tid, "completed"))
        text, result = proc.ok("send_message", agent_url=url, message="again")    # continues the context
        self.assertEqual(self.posts(agent)[-1].json["params"]["message"]["contextId"], ctx)
        second = result["task"]
        self.assertEqual(second["contextId"], ctx)
        self.assertNotEqual(second["id"], tid)
        self.assertEqual(self.saved()[url]["task_id"], second["id"])
        with open(self.sessions_path, "rb") as f:
            before = f.read()
        text, result = proc.ok("send_message", agent_url=url, message="alone again", use_session=False)
        message = self.posts(agent)[-1].json["params"]["message"]
        self.assertNotIn("contextId", message)                    # use_session false reads nothing
        self.assertNotIn("taskId", message)
        self.assertNotEqual(result["task"]["contextId"], ctx)
        with open(self.sessions_path, "rb") as f:
            self.assertEqual(f.read(), before)                    # ... and writes nothing

    def test_context_and_task_ids_reach_the_agent(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "done", tid="task-y", ctx="ctx-x")))))
        handler.SessionStore().load().update(url, "ctx-old", "task-old", task_state="input-required")
        proc = self.mcp()
        text, result = proc.ok("send_message", agent_url=url, message="hi", context_id="ctx-x", task_id="task-y")
        message = srv.post_bodies()[-1]["params"]["message"]
        self.assertEqual((message["contextId"], message["taskId"]), ("ctx-x", "task-y"))
        self.assertEqual((result["task"]["id"], result["task"]["contextId"]), ("task-y", "ctx-x"))
        self.assertEqual(text, "done\nTask ID: task-y\nContext ID: ctx-x\nState: completed")
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"]), ("ctx-x", "task-y"))

    def test_ask_then_answer_the_same_task(self):
        url, agent = self.agent()
        proc = self.mcp()
        text, result = proc.ok("send_message", agent_url=url, message="ask me")
        task = result["task"]
        self.assertEqual(task["status"]["state"], "TASK_STATE_INPUT_REQUIRED")
        self.assertIn(handler.EchoAgent.QUESTION, text)
        self.assertTrue(text.endswith("State: input-required"), text)
        self.assertEqual(self.saved()[url]["task_state"], "input-required")
        text, result = proc.ok("send_message", agent_url=url, message="blue")
        message = self.posts(agent)[-1].json["params"]["message"]
        self.assertEqual((message["taskId"], message["contextId"]), (task["id"], task["contextId"]))
        self.assertEqual((result["task"]["id"], result["task"]["status"]["state"]),
                         (task["id"], "TASK_STATE_COMPLETED"))
        self.assertTrue(text.startswith("Echo: blue\n"), text)
        self.assertEqual(self.saved()[url]["task_state"], "completed")

    def test_get_task(self):
        url, agent = self.agent()
        proc = self.mcp()
        first = proc.ok("send_message", agent_url=url, message="one")[1]["task"]
        second = proc.ok("send_message", agent_url=url, message="two")[1]["task"]
        text, task = proc.ok("get_task", agent_url=url)                  # the session's task
        self.assertEqual(text, "Echo: two\nTask ID: %s\nContext ID: %s\nState: completed"
                         % (second["id"], second["contextId"]))
        self.assertEqual((task["id"], task["status"]["state"]), (second["id"], "TASK_STATE_COMPLETED"))
        self.assertEqual(self.assertWire(self.posts(agent)[-1], "GetTask", "tasks/get")["params"], {"id": second["id"]})
        text, task = proc.ok("get_task", agent_url=url, task_id=first["id"], history_length=1)
        self.assertEqual(self.posts(agent)[-1].json["params"], {"id": first["id"], "historyLength": 1})
        self.assertEqual(task["id"], first["id"])
        self.assertEqual(len(task["history"]), 1)
        self.assertTrue(text.startswith("Echo: one\n"), text)
        self.assertEqual(self.saved()[url]["task_id"], second["id"])     # another task does not replace it
        text, error = proc.fails("get_task", agent_url=url, task_id="no-such-task")
        self.assertIn("TaskNotFoundError", text)
        self.assertEqual(error["error"]["code"], "TaskNotFoundError")
        self.assertEqual(text, self.run_cli("task", "get", "no-such-task", "--url", url).err.strip())
        other = "http://127.0.0.1:%d" % closed_port()                    # no saved task, no id
        self.assertIn("task_id", proc.fails("get_task", agent_url=other)[0])

    def test_list_tasks(self):
        url, agent = self.agent()
        proc = self.mcp()
        first = proc.ok("send_message", agent_url=url, message="one")[1]["task"]
        other = proc.ok("send_message", agent_url=url, message="two", use_session=False)[1]["task"]
        sent = len(self.posts(agent))
        if self.V == "0.3":
            text, error = proc.fails("list_tasks", agent_url=url)
            self.assertIn("0.3", text)
            self.assertIn("ListTasks", text)
            self.assertEqual(error["error"]["code"], "UnsupportedOperationError")
            self.assertEqual(len(self.posts(agent)), sent)              # nothing was sent
            return
        text, result = proc.ok("list_tasks", agent_url=url)
        self.assertEqual([t["id"] for t in result["tasks"]], [other["id"], first["id"]])    # newest first
        self.assertEqual([line.split()[0] for line in text.splitlines()], [other["id"], first["id"]])
        text, result = proc.ok("list_tasks", agent_url=url, context_id=first["contextId"], status="completed")
        self.assertEqual([t["id"] for t in result["tasks"]], [first["id"]])
        self.assertEqual(self.posts(agent)[-1].json["params"],
                         {"contextId": first["contextId"], "status": "TASK_STATE_COMPLETED"})

    def test_cancel_task(self):
        url, agent = self.agent()
        self.gate(agent)                                  # the slow task stays running
        proc = self.mcp()
        task_id, ctx, _ = self.ids(self.assertOk(self.run_cli("message", "send", "--url", url, "--async",
                                                              "slow a b c")))
        text, task = proc.ok("cancel_task", agent_url=url)              # the session's task
        expected = "Task ID: %s\nContext ID: %s\nState: canceled" % (task_id, ctx)
        self.assertEqual(text, expected)
        self.assertEqual((task["id"], task["status"]["state"]), (task_id, "TASK_STATE_CANCELED"))
        self.assertEqual(self.assertWire(self.posts(agent)[-1], "CancelTask", "tasks/cancel")["params"],
                         {"id": task_id})
        self.assertEqual(agent.agent.tasks[task_id]["status"]["state"], "TASK_STATE_CANCELED")
        self.assertEqual(self.saved()[url]["task_state"], "canceled")
        text, task = proc.ok("cancel_task", agent_url=url, task_id=task_id)   # already canceled: done
        self.assertEqual(text, expected)
        self.assertEqual(task["status"]["state"], "TASK_STATE_CANCELED")
        proc.ok("send_message", agent_url=url, message="hi")
        text, error = proc.fails("cancel_task", agent_url=url)          # a completed task
        self.assertIn("TaskNotCancelableError", text)

    def test_push_notification_tools(self):
        os.environ["HANDLER_PUSH_TOKEN"] = PUSH_TOKEN                    # the server's environment
        url, agent = self.agent()
        proc = self.mcp()
        tid = proc.ok("send_message", agent_url=url, message="ask")[1]["task"]["id"]
        hook = "http://127.0.0.1:%d/hook" % closed_port()      # the task waits for input: nothing is delivered
        text, config = proc.ok("set_task_notification", agent_url=url, webhook_url=hook)
        config_id = config["id"]
        self.assertEqual(config, {"id": config_id, "taskId": tid, "url": hook, "token": "push\u2026"})
        shown = "Config ID: %s\nTask ID: %s\nWebhook URL: %s\nToken: push\u2026" % (config_id, tid, hook)
        self.assertEqual(text, shown)
        self.assertEqual(agent.agent.webhooks[tid][config_id][0]["token"], PUSH_TOKEN)    # reached the agent
        self.assertEqual(proc.ok("get_task_notification", agent_url=url), (shown, config))  # its only one
        mine = proc.ok("set_task_notification", agent_url=url, task_id=tid, webhook_url=hook + "2",
                       config_id="mine")[1]
        self.assertEqual(mine, {"id": "mine", "taskId": tid, "url": hook + "2", "token": "push\u2026"})
        text, listed = proc.ok("list_task_notifications", agent_url=url)
        self.assertEqual(sorted(c["id"] for c in listed["configs"]), sorted([config_id, "mine"]))
        self.assertIn(mine, listed["configs"])
        self.assertEqual(len(text.split("\n\n")), 2, text)
        self.assertIn("2 push notification configs", proc.fails("get_task_notification", agent_url=url)[0])
        self.assertEqual(proc.ok("get_task_notification", agent_url=url, config_id="mine")[1], mine)
        self.assertIn("config_id", proc.fails("delete_task_notification", agent_url=url)[0])
        text, deleted = proc.ok("delete_task_notification", agent_url=url, config_id=config_id)
        self.assertEqual(text, "Deleted push notification config %s of task %s" % (config_id, tid))
        self.assertEqual(deleted, {"deleted": config_id, "taskId": tid})
        self.assertEqual(list(agent.agent.webhooks[tid]), ["mine"])
        self.assertEqual(proc.close(), 0)
        for line in proc.raw:
            self.assertNotIn(PUSH_TOKEN[4:].encode(), line)


versioned(_McpTools, (("1.0",), ("0.3",)))


class McpSessionToolTests(_Mcp, HandlerTestCase):
    def test_stored_credentials_sessions_and_no_secret_anywhere(self):
        url_a, agent_a = self.agent()
        url_b, agent_b = self.agent(token=SECRET)
        proc = self.mcp(MCP_NEWEST, "--debug")
        self.assertEqual(proc.ok("list_sessions"), ("No saved sessions", {"count": 0, "sessions": []}))
        text, error = proc.fails("send_message", agent_url=url_b, message="hi")     # no credentials yet
        self.assertIn("authentication", text)
        self.assertEqual(error["error"]["code"], "A2ACLI_ERR_CREDENTIALS_MISSING")
        task = proc.ok("send_message", agent_url=url_a, message="hi")[1]["task"]
        # another process stores the token while the server runs; the server's next call uses it
        self.assertOk(self.run_proc("auth", "set", "--url", url_b, "--bearer-token", SECRET))
        text, result = proc.ok("send_message", agent_url=url_b, message="with a token")
        self.assertTrue(text.startswith("Echo: with a token\n"), text)
        self.assertEqual(self.posts(agent_b)[-1].headers["Authorization"], "Bearer " + SECRET)
        self.assertNotIn("Authorization", self.posts(agent_a)[-1].headers)
        text, listed = proc.ok("list_sessions")
        self.assertEqual(listed["count"], 2)
        by_url = {s["agent_url"]: s for s in listed["sessions"]}
        self.assertEqual(set(by_url), {url_a, url_b})
        for s in listed["sessions"]:
            self.assertLessEqual({"agent_url", "context_id", "task_id", "has_credentials"}, set(s))
        self.assertEqual((by_url[url_a]["context_id"], by_url[url_a]["task_id"], by_url[url_a]["has_credentials"]),
                         (task["contextId"], task["id"], False))
        self.assertEqual((by_url[url_b]["context_id"], by_url[url_b]["task_id"], by_url[url_b]["has_credentials"]),
                         (result["task"]["contextId"], result["task"]["id"], True))
        self.assertTrue(text.startswith("Saved Sessions (2)\n"), text)
        self.assertIn(url_a, text)
        self.assertIn(url_b, text)
        text, info = proc.ok("get_session_info", agent_url=url_b)
        self.assertEqual(info, by_url[url_b])
        self.assertTrue(text.startswith("Session for %s\n" % url_b), text)
        self.assertIn(result["task"]["id"], text)
        self.assertEqual(proc.ok("get_session_info", agent_url=url_a + "/")[1], by_url[url_a])
        self.assertEqual(proc.close(), 0)
        self.assertIn("mcp:", proc.err)                         # --debug logs on stderr
        everything = b"".join(proc.raw).decode("utf-8") + proc.err
        self.assertNotIn(SECRET[4:], everything)

    def test_clear_session_data(self):
        url_a, _ = self.agent()
        url_b, _ = self.agent()
        proc = self.mcp()
        proc.ok("send_message", agent_url=url_a, message="a")
        proc.ok("send_message", agent_url=url_b, message="b")
        self.assertOk(self.run_cli("auth", "set", "--url", url_a, "--bearer-token", SECRET))
        self.assertIn("agent_url", proc.fails("clear_session_data")[0])                  # neither
        self.assertIn("agent_url", proc.fails("clear_session_data", agent_url=url_a, all=True)[0])   # both
        self.assertEqual(set(self.saved()), {url_a, url_b})
        self.assertEqual(proc.ok("clear_session_data", agent_url=url_b),
                         ("Cleared session for %s" % url_b, {"cleared": url_b}))
        self.assertEqual(set(self.saved()), {url_a})
        self.assertIsNotNone(self.saved()[url_a]["task_id"])
        self.assertEqual(proc.ok("clear_session_data", all=True), ("Cleared all sessions", {"cleared": "all"}))
        entry = self.saved()[url_a]
        self.assertEqual((entry["context_id"], entry["task_id"]), (None, None))
        self.assertEqual(entry["credentials"]["value"], SECRET)                             # credentials stay
        self.assertEqual([(s["agent_url"], s["context_id"], s["has_credentials"])
                          for s in proc.ok("list_sessions")[1]["sessions"]], [(url_a, None, True)])


class McpFailureTests(_Mcp, HandlerTestCase):
    def test_an_unreachable_agent_is_a_tool_error(self):
        url = "http://127.0.0.1:%d" % closed_port()
        proc = self.mcp(MCP_NEWEST, "--timeout", "0.1")   # a short --timeout leaves out the retries
        cli = self.run_cli("--timeout", "0.1", "message", "send", "--url", url, "hi").err.strip()
        for name, arguments in (("send_message", {"message": "hi"}), ("validate_agent_card", {}),
                                ("get_task", {"task_id": "t-1"})):
            with self.subTest(tool=name):
                text, error = proc.fails(name, agent_url=url, **arguments)
                self.assertIn("cannot connect", text)
                self.assertIn("connection refused", text)
                self.assertEqual(error["error"]["code"], "A2ACLI_ERR_UNREACHABLE")
        self.assertEqual(proc.fails("send_message", agent_url=url, message="hi")[0], cli)   # the CLI's line
        self.assertEqual(proc.result("ping"), {})

    def test_bad_calls(self):
        url, agent = self.agent()
        proc = self.mcp()
        self.assertIn("message", proc.fails("send_message", agent_url=url)[0])      # a required argument missing
        self.assertIn("message", proc.fails("send_message", agent_url=url, message="")[0])
        self.assertIn("agent_url", proc.fails("send_message", message="hi")[0])
        self.assertIn("agent_url", proc.fails("get_agent_card")[0])
        self.assertIn("config_id", proc.fails("delete_task_notification", agent_url=url, task_id="t")[0])
        text = proc.fails("send_message", agent_url=url, message="hi", bearer_token=SECRET)[0]   # not an argument
        self.assertNotIn(SECRET[4:], text)
        self.assertEqual(agent.received, [])
        proc.error("tools/call", {"name": "no_such_tool", "arguments": {}}, -32602)
        proc.error("tools/call", {"arguments": {}}, -32602)
        for arguments in ("x", [url], 5, True):
            with self.subTest(arguments=arguments):
                proc.error("tools/call", {"name": "list_sessions", "arguments": arguments}, -32602)
        proc.error("tools/call", [], -32602)
        self.assertEqual(agent.received, [])
        self.assertEqual(proc.ok("list_sessions")[1]["count"], 0)


class McpRobustnessTests(_Mcp, HandlerTestCase):
    def test_a_tool_name_that_is_not_a_string_is_invalid_params(self):
        proc = self.mcp()
        for name in (None, 5, ["send_message"], {"name": "send_message"}):
            with self.subTest(name=name):
                proc.error("tools/call", {"name": name, "arguments": {}}, -32602)
        self.assertEqual(proc.result("ping"), {})

    def test_empty_arrays_and_other_non_objects_are_not_arguments(self):
        proc = self.mcp()
        for arguments in ([], "", 0, False):
            with self.subTest(arguments=arguments):
                proc.error("tools/call", {"name": "list_sessions", "arguments": arguments}, -32602)

    def test_arguments_of_the_wrong_type_are_clear_errors(self):
        proc = self.mcp()
        for arguments in ({"agent_url": 5}, {"agent_url": ["http://127.0.0.1:9"]}, {"agent_url": {"url": "x"}}):
            with self.subTest(arguments=arguments):
                answer = proc.request("tools/call", {"name": "get_session_info", "arguments": arguments})
                if "error" in answer:
                    self.assertEqual(answer["error"]["code"], -32602, answer)
                else:
                    self.assertIs(answer["result"]["isError"], True, answer)
                    self.assertNotIn("internal error", mcp_text(answer["result"]))
        self.assertEqual(proc.result("ping"), {})

    def test_a_lone_surrogate_does_not_end_the_server(self):
        proc = self.mcp()
        proc.send(b'{"jsonrpc": "2.0", "id": "s", "method": "x\\ud800"}')
        answer = proc.receive()
        self.assertEqual((answer.get("jsonrpc"), answer.get("id")), ("2.0", "s"), answer)
        self.assertIn("error", answer)
        self.assertEqual(proc.result("ping"), {})

    def test_stdout_is_utf8_whatever_the_locale(self):
        url, agent = self.agent()
        os.environ["PYTHONIOENCODING"] = "latin-1"              # as a host with a Latin-1 locale
        proc = self.mcp()
        text, result = proc.ok("send_message", agent_url=url, message="h\u00e9llo \u2713")
        self.assertTrue(text.startswith("Echo: h\u00e9llo \u2713\n"), text)

    def test_stdout_holds_only_protocol_messages_when_a_tool_warns(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        os.chmod(self.sessions_path, 0o644)
        proc = self.mcp()
        self.assertEqual(proc.ok("list_sessions")[1]["count"], 1)
        proc.ok("send_message", agent_url=url, message="again")
        self.assertEqual(proc.close(), 0)                       # every stdout line is JSON-RPC
        self.assertEqual(len(proc.raw), 3)
        self.assertIn("open to other users", proc.err)          # the warning, on stderr
        self.assertIn("chmod 600 %s" % self.sessions_path, proc.err)


class McpConcurrencyTests(_Mcp, HandlerTestCase):
    def test_a_session_saved_by_another_process_survives_the_servers_next_write(self):
        url_a, _ = self.agent()
        url_b, _ = self.agent()
        proc = self.mcp()
        first = proc.ok("send_message", agent_url=url_a, message="one")[1]["task"]
        self.assertOk(self.run_proc("message", "send", "--url", url_b, "from the command line"))
        b_entry = self.saved()[url_b]
        self.assertEqual(proc.ok("get_session_info", agent_url=url_b)[1]["task_id"], b_entry["task_id"])  # read afresh
        second = proc.ok("send_message", agent_url=url_a, message="two")[1]["task"]
        saved = self.saved()
        self.assertEqual(set(saved), {url_a, url_b})
        self.assertEqual(saved[url_b], b_entry)                                # untouched
        self.assertEqual((saved[url_a]["context_id"], saved[url_a]["task_id"]), (first["contextId"], second["id"]))
        self.assertEqual(second["contextId"], first["contextId"])
        self.assertEqual(proc.ok("list_sessions")[1]["count"], 2)



# ============================================================================ 26. chat

CHAT_COMMANDS = ("/help", "/card", "/new", "/task", "/cancel", "/session", "/history", "/save", "/quit")
ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[=>])")


def chat_ids(out):
    """The (text, task id, context id, state) of each reply chat printed as `message send` does."""
    return re.findall(r"(.*?)Task ID: (\S+)\nContext ID: (\S+)\nState: (\S+)\n", out, re.S)


class _ChatPiped:
    """chat with stdin a pipe: one message a line, each reply as `message send` prints it, no prompts."""

    def chat(self, url, text, *options, fmt=None, code=0):
        argv = (["-o", fmt] if fmt else []) + ["chat", "--url", url] + list(options)
        r = self.run_proc(*argv, stdin=text, timeout=30)
        self.assertNotIn("\x1b", r.out + r.err, r)      # no control sequences, no prompts
        self.assertNotIn("you>", r.err if "/history" in text else r.out + r.err, r)
        if code is not None:
            self.assertEqual(r.code, code, r)
        return r

    def task_ids(self, agent):
        return list(agent.agent.tasks)

    def test_one_message_a_line_printed_like_message_send(self):
        url, agent = self.agent()
        r = self.chat(url, "hello\n\n   \nask me\nfoo\n")            # blank lines are no turns
        first, asked = self.task_ids(agent)
        ctx = agent.agent.tasks[first]["contextId"]
        self.assertEqual(r.out, "Echo: hello\nTask ID: %s\nContext ID: %s\nState: completed\n"
                                "What should I echo?\nTask ID: %s\nContext ID: %s\nState: input-required\n"
                                "Echo: foo\nTask ID: %s\nContext ID: %s\nState: completed\n"
                         % (first, ctx, asked, ctx, asked, ctx))
        self.assertEqual(r.err, "")
        posts = self.posts(agent)
        self.assertEqual(len(posts), 3, [p.json for p in posts])
        bodies = [self.assertWire(p, "SendStreamingMessage", "message/stream") for p in posts]
        self.assertNotIn("taskId", bodies[1]["params"]["message"])
        self.assertEqual(bodies[1]["params"]["message"]["contextId"], ctx)      # the context continues
        self.assertEqual(bodies[2]["params"]["message"]["taskId"], asked)       # the answer goes to the task
        self.assertEqual(handler.task_state(agent.agent.tasks[asked]), "completed")
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"], entry["task_state"]), (ctx, asked, "completed"))

    def test_session_continues_across_runs_and_new_starts_afresh(self):
        url, agent = self.agent()
        r = self.chat(url, "one\nask me\n")
        (_, first, ctx, s1), (_, asked, ctx2, s2) = chat_ids(r.out)
        self.assertEqual((ctx2, s1, s2), (ctx, "completed", "input-required"))
        self.assertEqual(self.saved()[url]["task_state"], "input-required")
        r = self.chat(url, "the answer\n")                                    # another process answers it
        self.assertEqual(r.out, "Echo: the answer\nTask ID: %s\nContext ID: %s\nState: completed\n" % (asked, ctx))
        r = self.chat(url, "two\n")
        [(_, third, ctx3, _)] = chat_ids(r.out)
        self.assertEqual(ctx3, ctx)
        self.assertNotIn(third, (first, asked))
        r = self.chat(url, "three\nfour\n", "--new")
        [(_, _, new_ctx, _), (_, _, ctx4, _)] = chat_ids(r.out)
        self.assertNotEqual(new_ctx, ctx)
        self.assertEqual(ctx4, new_ctx)                                       # the new context then continues
        self.assertEqual(self.saved()[url]["context_id"], new_ctx)

    def test_json_one_document_a_turn(self):
        url, agent = self.agent()
        r = self.chat(url, "hello\nask me\nfoo\n", fmt="json")
        self.assertEqual(r.err, "")
        lines = r.out.splitlines()
        self.assertEqual(len(lines), 3, r)
        docs = [json.loads(line) for line in lines]
        self.assertEqual([set(d) for d in docs], [{"task"}] * 3)
        tasks = [d["task"] for d in docs]
        self.assertEqual([t["status"]["state"] for t in tasks],
                         ["TASK_STATE_COMPLETED", "TASK_STATE_INPUT_REQUIRED", "TASK_STATE_COMPLETED"])
        self.assertNotIn('"kind"', r.out)                                     # the 1.x shape in both versions
        self.assertEqual(handler.reply_text(tasks[0]), "Echo: hello")
        self.assertEqual(handler.reply_text(tasks[1]), "What should I echo?")
        self.assertEqual(handler.reply_text(tasks[2]), "Echo: foo")
        self.assertEqual(tasks[1]["id"], tasks[2]["id"])
        first, asked = self.task_ids(agent)
        self.assertEqual([t["id"] for t in tasks], [first, asked, asked])
        self.assertEqual({t["contextId"] for t in tasks}, {self.saved()[url]["context_id"]})

    def test_slash_commands(self):
        url, agent = self.agent()
        out_dir = os.path.join(self.tmp, "saved")
        r = self.chat(url, "/task\n/history\nhello\nask me\nfoo\n/task\n/session\n/history\n/card\n/nope\n"
                           "/help\n/save\n/save %s\nask again\n/cancel\n/new\nbar\n/quit\nnever\n" % out_dir)
        hello, asked, again, bar = self.task_ids(agent)
        tasks = agent.agent.tasks
        ctx = tasks[hello]["contextId"]
        out = r.out
        self.assertTrue(out.startswith("No task yet: send a message first.\n" * 2), r)
        self.assertIn("Echo: foo\nTask ID: {0}\nContext ID: {1}\nState: completed\n"            # the reply
                      "Task ID: {0}\nContext ID: {1}\nState: completed\n"                       # /task
                      "Session for {2}\nContext ID: {1}\nTask ID: {0} (completed)\n".format(    # /session
                          asked, ctx, handler.normalise_url(url)), out)
        self.assertIn("you> ask me\nagent> What should I echo?\nyou> foo\nagent> Echo: foo\n", out)   # /history
        if self.V == "1.0":      # ListTasks: the whole conversation, oldest first
            self.assertIn("you> hello\nagent> Echo: hello\nyou> ask me\n", out)
        self.assertIn("Name: Handler Echo Agent\n", out)                                        # /card
        self.assertIn("Skills (1):\n  - Echo: Repeats what you say.\n", out)
        unknown = [line for line in out.splitlines() if "/nope" in line]
        self.assertEqual(len(unknown), 1, out)
        self.assertIn("/help", unknown[0])
        help_lines = out.split("agent> Echo: foo\n", 1)[1]
        for command in CHAT_COMMANDS:                                                           # /help
            self.assertRegex(help_lines, r"(?m)^%s\b" % re.escape(command))
        self.assertIn("Usage: /save DIR\n", out)
        with open(os.path.join(out_dir, "echo.txt"), encoding="utf-8") as f:                    # /save DIR
            self.assertEqual(f.read(), "Echo: foo")
        self.assertIn("saved %s" % os.path.join(out_dir, "echo.txt"), r.err)
        self.assertIn("What should I echo?\nTask ID: {0}\nContext ID: {1}\nState: input-required\n"
                      "Task ID: {0}\nContext ID: {1}\nState: canceled\n".format(again, ctx), out)   # /cancel
        self.assertEqual(handler.task_state(tasks[again]), "canceled")
        self.assertIn("new conversation", out)                                                  # /new
        self.assertNotEqual(tasks[bar]["contextId"], ctx)
        self.assertTrue(out.endswith("Echo: bar\nTask ID: %s\nContext ID: %s\nState: completed\n"
                                     % (bar, tasks[bar]["contextId"])), out)                   # /quit: no more
        # 5 messages; GetTask for /task, /history and /save DIR (ListTasks too for /history in 1.x); /cancel
        self.assertEqual(len(self.posts(agent)), 5 + 4 + (self.V == "1.0"))
        self.assertFalse(any("never" in json.dumps(t["history"]) for t in tasks.values()))
        self.assertNotIn("Error", r.err)

    def test_agent_stopped_between_turns(self):
        os.environ["HANDLER_RETRIES"] = "0"
        url, agent = self.agent()
        proc = self.popen([*PYTHON, HANDLER_PATH, "chat", "--url", url], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdin.write(b"hello\n")
        proc.stdin.flush()
        out = read_until(proc.stdout, lambda b: b"State: completed\n" in b, 15)
        [task_id] = self.task_ids(agent)
        self.assertEqual(self.saved()[url]["task_id"], task_id)          # saved after the turn, chat still running
        self.assertIsNone(proc.poll())
        agent.shutdown()
        agent.server_close()
        out_rest, err = proc.communicate(b"again\n/session\n", timeout=15)
        out, err = (out + out_rest).decode(), err.decode()
        self.assertNotEqual(proc.returncode, 0, (out, err))
        self.assertNotIn("Traceback", err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("Error: "), err)
        self.assertTrue(out.startswith("Echo: hello\nTask ID: %s\n" % task_id), out)
        self.assertIn("Session for %s\n" % handler.normalise_url(url), out)   # chat went on after the error
        self.assertNotIn("\x1b", out + err)


versioned(_ChatPiped, (("1.0",), ("0.3",)))


class ChatSendTimeoutTests(HandlerTestCase):
    """chat's blocking send goes through the same send-and-wait as message send: a timeout says
    whether the agent gave a task id, and how to pick the task up."""
    V = "1.0"

    def no_streaming(self):
        url, srv = self.scripted()
        srv.card = wcard(self.V, url + "/")
        srv.card["capabilities"] = {"streaming": False}
        return url, srv

    def test_blocking_send_without_an_answer_says_no_task_id(self):
        url, srv = self.no_streaming()
        srv.posts.append(Reply(hang=True))
        r = self.run_cli("chat", "--url", url, "--timeout", "0.5", stdin="hi\n")
        self.assertError(r, 5, "0.5 s", "the agent gave no task id", "--async")
        self.assertEqual(r.out, "")

    def test_poll_timeout_names_the_saved_task(self):
        url, srv = self.no_streaming()
        srv.posts += [Reply(rpc(wsend(self.V, wtask(self.V, "working"))))] + \
            [Reply(rpc(wtask(self.V, "working"))) for _ in range(20)]
        r = self.run_cli("chat", "--url", url, "--timeout", "0.6", stdin="hi\n")
        self.assertError(r, 5, "task t-1 is still working", "task get t-1 --url %s --wait" % url)
        self.assertEqual(self.saved()[url]["task_id"], "t-1")


class ChatCommandLineTests(HandlerTestCase):
    def test_unreachable_agent_is_one_error_line(self):
        os.environ["HANDLER_RETRIES"] = "0"
        url = "http://127.0.0.1:%d" % closed_port()
        self.assertError(self.run_cli("chat", "--url", url, stdin="hi\n"), 3, url)
        r = self.run_cli("-o", "json", "chat", "--url", url, stdin="hi\n")
        self.assertJsonError(r, "A2ACLI_ERR_UNREACHABLE", 3)

    def test_handler_url_fallback_and_missing_url(self):
        url, agent = self.agent()
        os.environ["HANDLER_URL"] = url
        r = self.assertOk(self.run_cli("chat", stdin="hi\n"))
        self.assertTrue(r.out.startswith("Echo: hi\nTask ID: "), r)
        del os.environ["HANDLER_URL"]
        r = self.run_cli("chat", stdin="hi\n")
        self.assertEqual(r.code, 2, r)
        self.assertIn("--url", r.err)


def run_with_stderr_on_a_terminal(test, argv, stdin):
    """handler.py with stdin and stdout pipes and stderr a pseudo-terminal: (code, stdout, terminal text)."""
    master, slave = pty.openpty()
    test.addCleanup(os.close, master)
    seen, done = [], threading.Event()

    def drain():   # the terminal is read while the command runs, so that it never blocks on a full buffer
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            seen.append(data)
        done.set()
    threading.Thread(target=drain, daemon=True).start()
    try:
        p = subprocess.run([*PYTHON, HANDLER_PATH] + argv, input=stdin.encode(), stdout=subprocess.PIPE,
                           stderr=slave, timeout=30, env=dict(os.environ), cwd=HERE)
    finally:
        os.close(slave)
    done.wait(10)
    return p.returncode, p.stdout.decode(), b"".join(seen).decode("utf-8", "replace")


def by_method(srv, replies):
    """Make a scripted agent answer each JSON-RPC method from its own list of replies (then from srv.posts)."""
    scripted = srv.reply_for

    def reply_for(req):
        if req.method == "POST":
            with srv.lock:
                queue_ = replies.get(req.json.get("method"))
                if queue_:
                    return queue_.pop(0)
        return scripted(req)
    srv.reply_for = reply_for


class _ChatPipedScripted:
    def test_an_error_answer_is_one_line_and_chat_goes_on(self):
        url, srv = self.scripted()
        srv.posts += [Reply(rpc_error(-32603, "the agent broke")), sse_reply(sse(wevents(self.V)))]
        r = self.run_proc("chat", "--url", url, stdin="first\nsecond\n")
        self.assertNotEqual(r.code, 0, r)
        self.assertEqual(r.out, "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        self.assertEqual(len(r.err.splitlines()), 1, r)
        self.assertTrue(r.err.startswith("Error: "), r)
        self.assertIn("the agent broke", r.err)
        texts = [b["params"]["message"]["parts"][0]["text"] for b in srv.post_bodies()]
        self.assertEqual(texts, ["first", "second"])

    def test_a_stream_that_ends_early_is_an_error_and_chat_goes_on(self):
        url, srv = self.scripted()
        stream, get = ("SendStreamingMessage", "GetTask") if self.V == "1.0" else ("message/stream", "tasks/get")
        by_method(srv, {
            stream: [sse_reply(sse(wevents(self.V)[:2])),                               # closed while working
                     sse_reply(sse(wevents(self.V)[:3]), chunked=True, cut=True),       # the agent stops midway
                     sse_reply(sse(wevents(self.V)))],
            get: [Reply(rpc(wtask(self.V, "working"))), Reply(rpc(wtask(self.V, "working")))]})   # if asked
        r = self.run_proc("chat", "--url", url, stdin="first\nsecond\nthird\n")
        self.assertEqual(r.code, 1, r)                                       # as `message stream` does
        self.assertEqual(len(r.err.splitlines()), 2, r)                      # one line for each
        for line in r.err.splitlines():
            self.assertTrue(line.startswith("Error: "), r)
            self.assertIn("t-1", line)
            self.assertIn("working", line)
        self.assertTrue(r.out.endswith("Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n"), r)
        self.assertEqual([b["params"]["message"]["parts"][0]["text"] for b in srv.post_bodies()
                          if b["method"] == stream], ["first", "second", "third"])

    def no_streaming_card(self, srv, url):
        card = wcard(self.V, url + "/")
        card["capabilities"] = {"streaming": False}
        srv.card = card

    def test_a_card_without_streaming_gets_a_blocking_send(self):
        url, srv = self.scripted()
        self.no_streaming_card(srv, url)
        srv.posts += [Reply(rpc(wsend(self.V, wtask(self.V, "working")))),          # answered early: GetTask
                      Reply(rpc(wtask(self.V, "completed", "Echo: hi"))),
                      Reply(rpc(wsend(self.V, wmessage(self.V, "just a message")))),
                      Reply(rpc_error(-32603, "the agent broke"))]
        os.environ.pop("NO_COLOR")
        code, out, terminal = run_with_stderr_on_a_terminal(self, ["chat", "--url", url], "hi\nagain\noops\n")
        self.assertEqual(code, 1, (out, terminal))
        self.assertEqual(out, "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n"
                              "just a message\nContext ID: c-1\n")
        self.assertNotIn("\x1b", terminal)                  # neither colour nor a spinner, though stderr is a terminal
        self.assertIsNone(re.search(r"\r(?!\n)", terminal), terminal)
        self.assertEqual(terminal.splitlines()[-1:], [terminal.strip()], terminal)   # one line: the error
        self.assertTrue(terminal.startswith("Error: ") and "the agent broke" in terminal, terminal)
        methods = [b["method"] for b in srv.post_bodies()]
        if self.V == "1.0":
            self.assertEqual(methods, ["SendMessage", "GetTask", "SendMessage", "SendMessage"])
        else:
            self.assertEqual(methods, ["message/send", "tasks/get", "message/send", "message/send"])
        self.assertEqual(srv.post_bodies()[2]["params"]["message"]["contextId"], "c-1")

    def test_json_lines_with_a_blocking_send_and_an_error(self):
        url, srv = self.scripted()
        self.no_streaming_card(srv, url)
        srv.posts += [Reply(rpc_error(-32603, "the agent broke")),
                      Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: hi"))))]
        r = self.run_proc("-o", "json", "chat", "--url", url, stdin="first\nsecond\n")
        self.assertNotEqual(r.code, 0, r)
        docs = [json.loads(line) for line in r.out.splitlines()]
        self.assertEqual([set(d) for d in docs], [{"error"}, {"task"}], r)
        self.assertEqual(docs[1]["task"]["status"]["state"], "TASK_STATE_COMPLETED")
        self.assertNotIn("kind", docs[1]["task"])
        self.assertEqual(handler.reply_text(docs[1]["task"]), "Echo: hi")
        self.assertEqual(len(r.err.splitlines()), 1, r)

    def test_new_still_starts_afresh_after_a_failed_first_turn(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: old")))))
        self.assertOk(self.run_cli("message", "send", "--url", url, "old"))
        self.assertEqual(self.saved()[url]["context_id"], "c-1")
        srv.posts += [Reply(rpc_error(-32603, "the agent broke")), sse_reply(sse(wevents(self.V)))]
        r = self.run_cli("chat", "--url", url, "--new", stdin="first\nsecond\n")
        self.assertEqual(r.code, 1, r)
        first, second = [b["params"]["message"] for b in srv.post_bodies()[1:]]
        self.assertNotIn("contextId", first)
        self.assertNotIn("contextId", second)     # the first turn failed: the next one is still the new conversation
        self.assertNotIn("taskId", second)


versioned(_ChatPipedScripted, (("1.0",), ("0.3",)))


class Terminal:
    """handler.py chat on a pseudo-terminal made by pty.fork(), its controlling terminal (so that a
    Ctrl-C typed on the master is a SIGINT); read with select and deadlines, like pexpect. The child
    is killed by its pid when the test ends."""

    def __init__(self, test, argv):
        env = dict(os.environ)
        pid, fd = pty.fork()
        if pid == 0:   # the child: nothing but exec
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                os.chdir(HERE)
                os.execve(sys.executable, [*PYTHON, HANDLER_PATH] + argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd, self.raw, self.pos, self.code = pid, fd, b"", 0, None
        test.addCleanup(self.close)

    @property
    def text(self):
        """What the terminal showed, colours and other control sequences left out, lines ending in \\n."""
        return ANSI.sub("", self.raw.decode("utf-8", "replace")).replace("\r\n", "\n")

    def _read(self, deadline):
        ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:      # EIO: the child has gone
            data = b""
        if not data:
            raise EOFError
        self.raw += data
        return True

    def expect(self, pattern, timeout=10):
        """Wait for `pattern` (a regex) after what the last expect matched; return the match."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.compile(pattern).search(self.text, self.pos)
            if match:
                self.pos = match.end()
                return match
            try:
                more = self._read(deadline)
            except EOFError:
                more = False
            if not more:
                raise AssertionError("no %r within %s s on the terminal; it shows %r"
                                     % (pattern, timeout, self.text[self.pos:]))

    def prompt(self):
        return self.expect(r"you> ")

    def type(self, text):
        os.write(self.fd, text.encode())

    def wait(self, timeout=10):
        """The exit code, reading the terminal until the child exits."""
        deadline = time.monotonic() + timeout
        while self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
                    else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status))
                break
            if time.monotonic() > deadline:
                raise AssertionError("chat did not exit within %s s; the terminal shows %r" % (timeout, self.text))
            try:
                self._read(min(deadline, time.monotonic() + 0.05))
            except EOFError:
                time.sleep(0.02)
        try:
            while self._read(time.monotonic() + 0.2):
                pass
        except EOFError:
            pass
        return self.code

    def close(self):
        if self.code is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.code = -signal.SIGKILL
        os.close(self.fd)


class _ChatTerminal:
    """chat on a terminal: banner, prompt, streaming, input-required, Ctrl-C, slash commands, history."""

    def setUp(self):
        super().setUp()
        os.environ["TERM"] = "dumb"

    def terminal(self, url, *options):
        return Terminal(self, ["chat", "--url", url] + list(options))

    def has_readline(self):
        """Line editing and history in chat: readline, which PyPy's (pyrepl) gives up on a dumb terminal."""
        try:
            import readline  # noqa: F401
        except ImportError:
            return False
        return not (sys.implementation.name == "pypy" and os.environ["TERM"] == "dumb")

    def test_a_conversation_with_commands_and_the_history_file(self):
        url, agent = self.agent()
        tasks = agent.agent.tasks
        term = self.terminal(url)
        banner = term.expect(r"(?s)^(.*?)you> ").group(1)
        self.assertIn("Handler Echo Agent: Echoes your message back", banner)
        self.assertIn("A2A %s" % self.V, banner)
        self.assertIn("Skills: Echo", banner)
        self.assertIn("A new conversation", banner)
        self.assertNotIn("Continuing", banner)
        term.type("hello\r")
        term.expect(r"Echo: hello\n")
        term.prompt()
        term.type("ask me\r")
        term.expect(r"What should I echo\?\n")
        term.expect(r"next line answers it")
        term.prompt()
        [hello, asked] = list(tasks)
        ctx = tasks[hello]["contextId"]
        self.assertEqual(self.saved()[url]["task_state"], "input-required")
        term.type("the answer\r")
        term.expect(r"Echo: the answer\n")
        term.prompt()
        self.assertEqual(list(tasks), [hello, asked])                 # the same task, completed
        self.assertEqual(handler.task_state(tasks[asked]), "completed")
        entry = self.saved()[url]
        self.assertEqual((entry["context_id"], entry["task_id"], entry["task_state"]), (ctx, asked, "completed"))
        commands = [
            ("/task", r"Task ID: %s\nContext ID: %s\nState: completed\n" % (asked, ctx)),
            ("/session", r"Session for %s\nContext ID: %s\nTask ID: %s \(completed\)\n"
             % (re.escape(handler.normalise_url(url)), ctx, asked)),
            ("/history", (r"you> hello\nagent> Echo: hello\n" if self.V == "1.0" else "") + r"you> ask me\nagent> What should I echo\?\nyou> the answer\nagent> Echo: the answer\n"),
            ("/card", r"Name: Handler Echo Agent\n(.*\n)*?Skills \(1\):\n  - Echo: Repeats what you say.\n"),
            ("/help", r"".join(r"%s .*\n(.*\n)*?" % re.escape(c) for c in CHAT_COMMANDS)),
            ("/nope", r"Unknown command /nope.*/help.*\n"),
            ("/save %s" % os.path.join(self.tmp, "out"), r".*saved .*echo.txt\n"),
            ("/new", r".*new conversation.*\n"),
        ]
        for command, shown in commands:
            with self.subTest(command=command):
                term.type(command + "\r")
                term.expect(re.escape(command) + r"\n" + shown)
                term.prompt()
        with open(os.path.join(self.tmp, "out", "echo.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "Echo: the answer")
        term.type("bar\r")
        term.expect(r"Echo: bar\n")
        term.prompt()
        bar = list(tasks)[-1]
        self.assertNotEqual(tasks[bar]["contextId"], ctx)
        term.type("/quit\r")
        self.assertEqual(term.wait(), 0, term.text)
        self.assertNotIn("Traceback", term.text)
        self.assertNotIn("\x1b", term.raw.decode())                   # NO_COLOR, TERM=dumb

        history = os.path.join(self.home, "chat_history")
        if self.has_readline():
            self.assertEqual(os.stat(history).st_mode & 0o777, 0o600)
            with open(history, encoding="utf-8") as f:
                self.assertIn("the answer", f.read())
        # a second chat continues the saved conversation; the history is there (Ctrl-P twice: "bar")
        term = self.terminal(url)
        banner = term.expect(r"(?s)^(.*?)you> ").group(1)
        self.assertIn("Continuing the saved conversation (context %s)" % tasks[bar]["contextId"], banner)
        if self.has_readline():
            term.type("\x10\x10\r")
            term.expect(r"Echo: bar\n")
            term.prompt()
            self.assertEqual(len(tasks), 4)
            self.assertEqual(tasks[list(tasks)[-1]]["contextId"], tasks[bar]["contextId"])
        term.type("\x04")                                               # Ctrl-D at an empty prompt
        self.assertEqual(term.wait(), 0, term.text)

    def test_ctrl_c_cancels_a_running_reply_and_leaves_at_the_prompt(self):
        url, agent = self.agent()
        tasks = agent.agent.tasks
        os.environ.pop("NO_COLOR")
        os.environ["TERM"] = "xterm"
        term = self.terminal(url)
        gate = self.gate(agent)
        term.prompt()
        term.type("slow a b c d e f g h\r")
        gate.step(2)                                    # "Echo: " and "slow ", then it is held
        term.expect(r"Echo: slow ")                                  # streamed: the first chunk, the task running
        [slow] = list(tasks)
        self.assertEqual(handler.task_state(tasks[slow]), "working")
        term.type("\x03")                                               # Ctrl-C
        term.expect(r"canceled task %s \(canceled\)" % slow)
        term.prompt()
        self.assertEqual(handler.task_state(tasks[slow]), "canceled")  # on the agent
        self.assertLess(len(tasks[slow]["artifacts"][0]["parts"]), 9)   # it stopped midway
        self.assertEqual(self.saved()[url]["task_state"], "canceled")
        self.assertIn("\x1b[", term.raw.decode())                     # colour on a terminal without NO_COLOR
        term.type("ask me\r")
        term.expect(r"What should I echo\?\n")
        term.prompt()
        asked = list(tasks)[-1]
        term.type("/cancel\r")
        term.expect(r"Task ID: %s\nContext ID: \S+\nState: canceled\n" % asked)
        term.prompt()
        self.assertEqual(handler.task_state(tasks[asked]), "canceled")
        term.type("hello\r")                                            # chat goes on
        term.expect(r"Echo: hello\n")
        term.prompt()
        # CPython's readline notices a SIGINT only when it interrupts its select(): one that comes between
        # the prompt and the select() waits for the next key. No person types that fast; a test must pause.
        time.sleep(0.3)
        term.type("\x03")                                               # Ctrl-C at an empty prompt
        self.assertEqual(term.wait(), 0, term.text)
        self.assertNotIn("Traceback", term.text)
        r = self.assertOk(self.run_cli("task", "get", slow, "--url", url))
        self.assertEqual(self.ids(r)[2], "canceled")


versioned(_ChatTerminal, (("1.0",), ("0.3",)))


if __name__ == "__main__":
    unittest.main()


# ============================================================================ 27. TLS, mutual TLS and proxies
# Test certificates, made once with openssl 3.0 (EC P-256, valid until 2126 unless said):
# a test CA; for localhost and 127.0.0.1 a certificate from that CA, a self-signed one, an expired
# one from the CA (2020-2021) and a CA one for other.example only (one server key for all); a client
# certificate from the CA with its key. The standard library cannot make certificates.

PEM_CA_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUCv5CJ8+eMsOc6Wmchx+EwMpsYNEwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPSGFuZGxlciBUZXN0IENBMCAXDTI2MTEyNTAyMjg1NFoYDzIx
MjYxMTAxMDIyODU0WjAaMRgwFgYDVQQDDA9IYW5kbGVyIFRlc3QgQ0EwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQt2ESncMKFJFkRVfrNcPLzs1JM7uKukLKcz7l2
8Js4AiNG2ELnfLhFTczdZX/s3wRDoMljugHbCOfyniA9zRhEo2MwYTAdBgNVHQ4E
FgQUnG3ZSXT3rQ/stVpj7HjCvjvjE8swHwYDVR0jBBgwFoAUnG3ZSXT3rQ/stVpj
7HjCvjvjE8swDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAQYwCgYIKoZI
zj0EAwIDSAAwRQIhAP4u+teYVjkS2qqQ6a7SDHGWO/fIZwWMqPMZE576gTleAiBv
ugvNzDI/T9Zm0mRI8RQePCrIZ255UPBYsDbhUHUifQ==
-----END CERTIFICATE-----
"""
PEM_SERVER_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBnTCCAUOgAwIBAgIBAjAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9IYW5kbGVy
IFRlc3QgQ0EwIBcNMjYxMTI1MDIyOTAzWhgPMjEyNjExMDEwMjI5MDNaMBQxEjAQ
BgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABDlyAWcm
3erwtKK4tkbfZeTnMTkbVNgjzMVSxI57IlsxmlNvS/+vY/B9ppsKECblo+9WdS76
Ae9LPxvgvVACJIqjfjB8MBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAJBgNV
HRMEAjAAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBSjOUPqUNGm/YpK
kyf//UtT0r2trDAfBgNVHSMEGDAWgBScbdlJdPetD+y1WmPseMK+O+MTyzAKBggq
hkjOPQQDAgNIADBFAiA0xM/vLiB5aqr3iVpp2RGSV13bq78Uk9UnIn9kwiWHcAIh
AJXzYRrB5d67/n3p/YpVr8oGpgbe5MQSSNT3rYqGO9QR
-----END CERTIFICATE-----
"""
PEM_SERVER_KEY = """\
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIOaENRBzbQ6yiCdD7Lar/nevWlScpSHMHCh2Q8wq84NOoAoGCCqGSM49
AwEHoUQDQgAEOXIBZybd6vC0ori2Rt9l5OcxORtU2CPMxVLEjnsiWzGaU29L/69j
8H2mmwoQJuWj71Z1LvoB70s/G+C9UAIkig==
-----END EC PRIVATE KEY-----
"""
PEM_SELFSIGNED_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUcQwvptVQbMeobXKpq0+4+hgW7ZUwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTAyMjg1NFoYDzIxMjYxMTAx
MDIyODU0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQ5cgFnJt3q8LSiuLZG32Xk5zE5G1TYI8zFUsSOeyJbMZpTb0v/r2Pw
faabChAm5aPvVnUu+gHvSz8b4L1QAiSKo28wbTAdBgNVHQ4EFgQUozlD6lDRpv2K
SpMn//1LU9K9rawwHwYDVR0jBBgwFoAUozlD6lDRpv2KSpMn//1LU9K9rawwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
zj0EAwIDSAAwRQIhAPx3DmaxJulRvy+s2JHcAKNlYiGMVRp9TwgPPktHDkTrAiBZ
Djo0H1aAk8U5nqTlPjGAwYgV6PKQsS/OQLww/PGQ2Q==
-----END CERTIFICATE-----
"""
PEM_EXPIRED_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIBBDAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9IYW5kbGVy
IFRlc3QgQ0EwHhcNMjAwMTAxMDAwMDAwWhcNMjEwMTAxMDAwMDAwWjAUMRIwEAYD
VQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQ5cgFnJt3q
8LSiuLZG32Xk5zE5G1TYI8zFUsSOeyJbMZpTb0v/r2PwfaabChAm5aPvVnUu+gHv
Sz8b4L1QAiSKo34wfDAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCQYDVR0T
BAIwADATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQUozlD6lDRpv2KSpMn
//1LU9K9rawwHwYDVR0jBBgwFoAUnG3ZSXT3rQ/stVpj7HjCvjvjE8swCgYIKoZI
zj0EAwIDSAAwRQIgI/EOWpRb1uSe9P4XPx1FKqpHIUro70luqYnw0uwZTu0CIQDL
i/QgWa1rYHZgcwTcWD+vrP5IJRcAGr9ndFkWSaaESw==
-----END CERTIFICATE-----
"""
PEM_WRONGHOST_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIBAzAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9IYW5kbGVy
IFRlc3QgQ0EwIBcNMjYxMTI1MDIyOTAzWhgPMjEyNjExMDEwMjI5MDNaMBQxEjAQ
BgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABDlyAWcm
3erwtKK4tkbfZeTnMTkbVNgjzMVSxI57IlsxmlNvS/+vY/B9ppsKECblo+9WdS76
Ae9LPxvgvVACJIqjfDB6MBgGA1UdEQQRMA+CDW90aGVyLmV4YW1wbGUwCQYDVR0T
BAIwADATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQUozlD6lDRpv2KSpMn
//1LU9K9rawwHwYDVR0jBBgwFoAUnG3ZSXT3rQ/stVpj7HjCvjvjE8swCgYIKoZI
zj0EAwIDSAAwRQIgSSSwClGRwei4LaGQjgrNagWKS3yVQ2+XUA+nESt6eOQCIQC1
8PWrOfnld9kIGZBLrM8Cfjdah+uF+SH8LO5uxa+1Wg==
-----END CERTIFICATE-----
"""
PEM_CLIENT_CERT = """\
-----BEGIN CERTIFICATE-----
MIIBhzCCASygAwIBAgIBBTAKBggqhkjOPQQDAjAaMRgwFgYDVQQDDA9IYW5kbGVy
IFRlc3QgQ0EwIBcNMjYxMTI1MDIyOTAzWhgPMjEyNjExMDEwMjI5MDNaMBkxFzAV
BgNVBAMMDmhhbmRsZXItY2xpZW50MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
+k6Yf0ZoBzmMyajJvB+aXUx9CyP3ZFpkPPtbsn8KKj4q37mC9tSL6mjUkCu4zz5B
ReVE9xerbgBm9JviGxBgwaNiMGAwCQYDVR0TBAIwADATBgNVHSUEDDAKBggrBgEF
BQcDAjAdBgNVHQ4EFgQU9UzSgLv/HrnQiWFNEgA6n/D1WtwwHwYDVR0jBBgwFoAU
nG3ZSXT3rQ/stVpj7HjCvjvjE8swCgYIKoZIzj0EAwIDSQAwRgIhAIK9LoDrqaeb
dCFHExx4RE/K+l2kfU7ynPt22staP37LAiEAtbwWi/xyTs+olObtWwTtEXwk+qbB
ZjZfJgqNsz+pN5Q=
-----END CERTIFICATE-----
"""
PEM_CLIENT_KEY = """\
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIMt4ej8oxY5iBNfLT3lrbZBr4xh9Nu729SptslWXsLlUoAoGCCqGSM49
AwEHoUQDQgAE+k6Yf0ZoBzmMyajJvB+aXUx9CyP3ZFpkPPtbsn8KKj4q37mC9tSL
6mjUkCu4zz5BReVE9xerbgBm9JviGxBgwQ==
-----END EC PRIVATE KEY-----
"""

PEMS = {"ca.pem": PEM_CA_CERT, "server.pem": PEM_SERVER_CERT, "server.key": PEM_SERVER_KEY,
        "selfsigned.pem": PEM_SELFSIGNED_CERT, "expired.pem": PEM_EXPIRED_CERT,
        "wronghost.pem": PEM_WRONGHOST_CERT, "client.pem": PEM_CLIENT_CERT, "client.key": PEM_CLIENT_KEY}


TLS_CONTEXTS = {}   # (certificate, key, client CA) as text -> the server's SSLContext, built once


def serve_tls(server, cert, key, client_ca=None):
    """Wrap a server's accepted connections in TLS; the handshake happens in the request's own
    thread (on first read), so a client that gives up cannot stall serve_forever."""
    def text(path):
        with open(path, encoding="ascii") as f:
            return f.read()
    ident = (text(cert), text(key), client_ca and text(client_ca))
    context = TLS_CONTEXTS.get(ident)
    if context is None:
        context = TLS_CONTEXTS[ident] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if client_ca:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(client_ca)
    accept = server.get_request

    def get_request():
        sock, address = accept()
        sock.settimeout(10)
        return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address
    server.get_request = get_request
    server.handle_error = lambda request, address: None
    return server


class _TlsAgents:
    """The test certificates in files, and the built-in agent behind TLS."""

    def setUp(self):
        super().setUp()
        self.pem = {}
        for name, text in PEMS.items():
            path = self.pem[name] = os.path.join(self.tmp, name)
            with open(path, "w", encoding="ascii") as f:
                f.write(text)
            os.chmod(path, 0o600 if name.endswith(".key") else 0o644)
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "HANDLER_CA_FILE", "HANDLER_CERT", "HANDLER_KEY",
                     "HANDLER_INSECURE"):
            os.environ.pop(name, None)

    def tls_agent(self, cert="server.pem", client_ca=None, token=None):
        """The built-in agent over https on 127.0.0.1; its card names its https URL."""
        server = handler.make_agent_server("127.0.0.1", 0, bearer_token=token, log=None,
                                           agent=handler.EchoAgent(("1.0", "0.3")))
        serve_tls(server, self.pem[cert], self.pem["server.key"], client_ca and self.pem[client_ca])
        return self._serve(server).replace("http://", "https://"), server


# ============================================================================ issue 13: recordings

class RecordTests(HandlerTestCase):
    """--record FILE ($HANDLER_RECORD): one JSON line per HTTP exchange, credentials redacted."""
    VERSIONS = ("1.0",)

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.tmp, "exchanges.jsonl")

    def recorded(self):
        with open(self.path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def test_each_exchange_is_one_json_line_with_events_and_times(self):
        url, agent = self.agent()
        r = self.assertOk(self.run_cli("--record", self.path, "message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        card, send = self.recorded()
        self.assertEqual((card["method"], card["url"], card["response"]["status"]),
                         ("GET", url + "/.well-known/agent-card.json", 200))
        self.assertIsNone(card["request"]["body"])
        self.assertEqual(json.loads(card["response"]["body"])["name"], "Handler Echo Agent")
        self.assertRegex(card["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
        self.assertEqual((send["method"], send["url"]), ("POST", url + "/"))
        self.assertEqual(send["request"]["headers"]["Content-Type"], "application/json")
        self.assertEqual(json.loads(send["request"]["body"])["params"]["message"]["parts"], [{"text": "hi"}])
        self.assertEqual(send["response"]["headers"]["Content-Type"], "application/json")
        self.assertEqual(json.loads(send["response"]["body"])["result"]["task"]["artifacts"][0]["parts"],
                         [{"text": "Echo: "}, {"text": "hi"}])
        self.assertGreaterEqual(send["elapsed"], 0)
        self.assertNotIn("events", send["response"])
        os.environ["HANDLER_RECORD"] = self.path                      # appended to, from the environment
        self.assertOk(self.run_cli("message", "stream", "--url", url, "again"))
        stream = self.recorded()[-1]
        self.assertEqual(stream["request"]["headers"]["Accept"], "text/event-stream")
        self.assertEqual(stream["response"]["headers"]["Content-Type"], "text/event-stream")
        events = stream["response"]["events"]
        self.assertGreater(len(events), 1)
        self.assertNotIn("body", stream["response"])
        self.assertEqual(sorted(e["at"] for e in events), [e["at"] for e in events])
        self.assertLessEqual(events[-1]["at"], stream["elapsed"])
        self.assertIn('"again"', events[-2]["data"])
        self.assertIn("TASK_STATE_COMPLETED", events[-1]["data"])
        self.assertEqual(json.loads(events[0]["data"])["jsonrpc"], "2.0")

    def test_an_exchange_without_an_answer_is_recorded_without_a_response(self):
        r = self.run_cli("--record", self.path, "--retries", "0", "card", "get", "--url",
                         "http://127.0.0.1:%d" % closed_port())
        self.assertError(r, 3, "connection refused")
        [line] = self.recorded()
        self.assertEqual(line["method"], "GET")
        self.assertNotIn("response", line)

    def test_runs_at_once_in_subprocesses_never_interleave_their_lines(self):
        url, agent = self.agent()
        os.environ["HANDLER_RECORD"] = self.path
        procs = [self.popen([*PYTHON, HANDLER_PATH, "message", "send", "--no-session", "--url", url, "x" * 70000],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0, err)
        lines = self.recorded()                                      # each line whole JSON
        self.assertEqual([e["method"] for e in lines].count("POST"), 4)
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        r = self.assertOk(self.run_proc("--record", self.path, "card", "get", "--url", url))
        self.assertEqual(self.recorded()[-1]["method"], "GET")

    def test_a_planted_symlink_or_an_unwritable_path_is_refused_before_any_request(self):
        url, agent = self.agent()
        target = os.path.join(self.tmp, "target")
        os.symlink(target, self.path)
        self.assertError(self.run_cli("--record", self.path, "message", "send", "--url", url, "hi"), 1,
                         "symbolic link")
        self.assertFalse(os.path.exists(target))
        r = self.run_proc("--record", os.path.join(self.tmp, "no", "such.jsonl"), "card", "get", "--url", url)
        self.assertError(r, 2, "cannot write the recording", "No such file")
        self.assertEqual(agent.received, [])

    def test_no_secret_of_any_auth_kind_reaches_the_file(self):
        # an authorization server, and _OAuth's helpers (defined further down) for agents behind it
        self.oauth = OAuthServer()
        self._serve(self.oauth)
        self.token_url = self.oauth.url + "/token"
        resource, set_client, stored, edit_stored = (
            getattr(_OAuth, name).__get__(self) for name in ("resource", "set_client", "stored", "edit_stored"))
        url, agent = self.agent()
        rec = ("--record", self.path)
        self.assertOk(self.run_cli(*rec, "message", "send", "--url", url, "--bearer-token", SECRET, "hi"))
        self.assertOk(self.run_cli(*rec, "message", "send", "--url", url, "--api-key", SECRET, "--api-key-header",
                                   "X-Plain", "hi"))
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--api-key", SECRET, "--header-name", "X-Custom-Key"))
        self.assertOk(self.run_cli(*rec, "message", "send", "--url", url, "ask"))    # a task for the configs
        hook = "http://127.0.0.1:%d/hook" % closed_port()
        self.assertOk(self.run_cli(*rec, "task", "notification", "set", "--url", url, "--webhook-url", hook,
                                   "--token", PUSH_TOKEN, "--auth-scheme", "Bearer", "--auth-credentials",
                                   PUSH_CREDS, "--config-id", "rec"))
        self.assertOk(self.run_cli(*rec, "task", "notification", "get", "--url", url, "--config-id", "rec"))
        self.assertOk(self.run_cli(*rec, "message", "send", "--url", url, "--new", "--push-url", hook,
                                   "--push-token", PUSH_TOKEN, "hi"))
        os.environ["HANDLER_BEARER_TOKEN"] = SECRET
        self.assertOk(self.run_proc(*rec, "message", "stream", "--url", url, "--no-session", "--data",
                                    json.dumps({"token": SECRET}), "hi"))    # in the request, and in events
        del os.environ["HANDLER_BEARER_TOKEN"]
        # OAuth2 client credentials: a token fetched, a 401, a renewal
        oauth_url, _ = resource()
        set_client(oauth_url)
        self.assertOk(self.run_cli(*rec, "message", "send", "--url", oauth_url, "hi"))
        edit_stored(oauth_url, value="at-stale-" + uuid.uuid4().hex)
        self.assertOk(self.run_cli(*rec, "message", "stream", "--url", oauth_url, "hi"))
        basic = self.oauth.token_requests()[0].headers["Authorization"].split()[1]
        # the device flow, then its refresh token on a 401
        device_url, _ = resource()
        self.oauth.device, self.oauth.interval = ["authorization_pending", "token"], 0.05
        self.assertOk(self.run_cli(*rec, "auth", "login", "--url", device_url, "--client-id", CLIENT_ID))
        refresh = stored(device_url)["oauth"]["refresh_token"]
        self.oauth.valid.clear()
        self.assertOk(self.run_cli(*rec, "message", "send", "--url", device_url, "hi"))
        lines = self.recorded()
        with open(self.path, encoding="utf-8") as f:
            text = f.read()
        for secret in [SECRET, PUSH_TOKEN, PUSH_CREDS, CLIENT_SECRET, quote(CLIENT_SECRET, safe=""), basic,
                       DEVICE_CODE, refresh] + self.oauth.issued + sorted(self.oauth.refresh_tokens):
            self.assertFalse(secret[4:] in text, "%s in the recording" % secret)
        # what was recorded: every kind's exchanges, with their credentials redacted
        urls = [(e["method"], e["url"]) for e in lines]
        for exchange in (("POST", self.token_url), ("POST", self.oauth.url + "/device"), ("POST", device_url + "/"),
                         ("POST", oauth_url + "/"), ("POST", url + "/")):
            self.assertIn(exchange, urls)
        headers = [e["request"]["headers"] for e in lines]
        self.assertIn("[redacted]", [h.get("X-Custom-Key") for h in headers])
        self.assertIn("[redacted]", [h.get("X-Plain") for h in headers])
        self.assertIn("device_code=[redacted]", text)
        self.assertGreaterEqual(len(self.oauth.issued), 3)
        self.assertIn(401, [e["response"]["status"] for e in lines if "response" in e])


# ============================================================================ issue 12: the card cache

# ============================================================================ the TUI

class FakeScreen:
    """What tui_draw draws on, without a terminal: each text put, with its place and attribute."""

    def __init__(self, h=24, w=80):
        self.size, self.puts = (h, w), []

    def getmaxyx(self):
        return self.size

    def addnstr(self, y, x, text, n, attr=0):
        self.puts.append((y, x, text[:n], attr))

    def erase(self):
        self.puts = []

    def move(self, y, x):
        self.cursor = (y, x)

    def refresh(self):
        pass

    @property
    def text(self):
        return "\n".join(t for _, _, t, _ in self.puts)


FAKE_CURSES = types.SimpleNamespace(A_BOLD=1, A_REVERSE=2, error=Exception,
                                    color_pair=lambda n: n << 8)


class _TuiState:
    """The TUI's state, what is on each pane and what each key does, driven without a terminal
    against the built-in agent."""

    def tui(self, *argv, url=None):
        """A Tui for tui --url URL (the built-in agent's unless given), its agent open."""
        if url is None:
            url, self.server = self.agent()
        argv = ["tui", "--url", url, *argv]
        args = handler._Options(vars(handler.build_parser(argv).parse_args(argv)))
        args["timeout"] = 30.0
        tui = handler.Tui(args)
        self.addCleanup(tui.close)
        tui.open(url, args.new)
        self.url = url
        return tui

    def settle(self, tui, timeout=10):
        """Wait until the jobs the keys started have ended."""
        deadline = time.monotonic() + timeout
        while tui.busy or not tui.jobs.empty() or any(t.is_alive() for t in tui.threads):
            self.assertLess(time.monotonic(), deadline, "the TUI's jobs did not end")
            time.sleep(0.01)

    def type(self, tui, text, enter=True):
        for k in text + "\n" * enter:
            tui.key(k)
        self.settle(tui)

    def pane(self, tui, tab):
        return "\n".join(tui.lines_of(tab))

    def wait_pane(self, tui, tab, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.pane(tui, tab):
            self.assertLess(time.monotonic(), deadline, self.pane(tui, tab))
            time.sleep(0.02)

    def held_reply(self, tui, text):
        """Send text (a slow one) and wait until its task is known (and saved in the session,
        which the keys for the task read) and its first chunk held."""
        gate = self.gate(self.server)
        for k in text + "\n":
            tui.key(k)
        self.assertTrue(gate.held(1))
        deadline = time.monotonic() + 10
        while not (tui.chat.task and tui.chat.session().task_id == tui.chat.task["id"]):
            self.assertLess(time.monotonic(), deadline, "no task")
            time.sleep(0.01)
        return gate

    def test_a_message_and_its_reply_in_the_chat_pane(self):
        tui = self.tui()
        self.assertIn("Handler Echo Agent at %s: a new conversation" % self.url,
                      self.pane(tui, "Chat"))
        self.type(tui, "hello tui")
        chat = self.pane(tui, "Chat")
        self.assertIn("you> hello tui\nEcho: hello tui", chat)
        self.assertEqual(tui.status, "")
        self.assertEqual(tui.text, "")
        sent = [r.json for r in self.posts(self.server) if "message" in r.json["params"]]
        self.assertWire(self.posts(self.server)[-1], "SendStreamingMessage", "message/stream")
        self.assertEqual(len(sent), 1)

    def test_input_required_is_marked_and_the_next_line_answers_it(self):
        tui = self.tui()
        self.type(tui, "ask me")
        self.assertIn("What should I echo?\nnote: the agent waits for your answer "
                      "(input-required); your next line answers it", self.pane(tui, "Chat"))
        asked = self.saved()[self.url]["task_id"]
        self.assertEqual(self.saved()[self.url]["task_state"], "input-required")
        self.type(tui, "blue")
        self.assertIn("you> blue\nEcho: blue", self.pane(tui, "Chat"))
        self.assertEqual(self.saved()[self.url]["task_id"], asked)
        self.assertEqual(self.saved()[self.url]["task_state"], "completed")
        self.assertEqual(self.posts(self.server)[-1].json["params"]["message"]["taskId"], asked)

    def test_card_pane_shows_the_card_and_what_card_validate_says(self):
        tui = self.tui()
        tui.key("2")
        self.settle(tui)
        card = self.pane(tui, "Card")
        for line in ("Name: Handler Echo Agent", "Streaming: yes", "Push notifications: yes",
                     "Skills (1):\n  - Echo: Repeats what you say.",
                     "Interface: JSON-RPC, A2A %s, %s/" % (self.V, self.url),
                     "PASS: %s (A2A %s): valid card" % (self.url, "1.x" if self.V == "1.0"
                                                        else "0.3")):
            self.assertIn(line, card)
        self.assertEqual(tui.tab, "Card")

    def test_tasks_pane_lists_shows_and_cancels(self):
        tui = self.tui()
        self.type(tui, "one")
        first = self.saved()[self.url]["task_id"]
        self.type(tui, "two")
        second = self.saved()[self.url]["task_id"]
        tui.key("3")
        self.settle(tui)
        lines = tui.lines_of("Tasks")
        self.assertTrue(lines[0].startswith(second + "  completed"), lines)
        self.assertTrue(lines[1].startswith(first + "  completed"), lines)
        methods = [r.json["method"] for r in self.posts(self.server)]
        self.assertEqual("ListTasks" in methods, self.V == "1.0")   # 0.3: this session's tasks
        tui.key("KEY_DOWN")
        tui.key("\n")
        self.settle(tui)
        self.assertIn("\n\nEcho: one\nTask ID: %s\n" % first, self.pane(tui, "Tasks"))
        tui.key("c")   # the task picked: it has ended
        self.settle(tui)
        self.assertIn("warning: could not cancel task %s" % first, self.pane(tui, "Chat"))

    def test_a_pane_is_split_again_only_when_it_has_changed(self):
        tui = self.tui()
        logs = tui.lines_of("Logs")
        self.assertIs(tui.lines_of("Logs"), logs)   # drawn again: the same lines, not re-split
        tui.panes["Logs"].line("one more line")
        self.assertEqual(tui.lines_of("Logs")[-1], "one more line")
        self.assertIsNot(tui.lines_of("Chat"), tui.lines_of("Logs"))

    def test_the_keys_for_the_task_act_on_the_reply_before_its_session_is_saved(self):
        tui = self.tui()
        gate = self.gate(self.server)
        with mock.patch.object(handler.Conversation, "remember"):   # no save yet, however long
            for k in "slow one two\n":
                tui.key(k)
            self.assertTrue(gate.held(1))
            deadline = time.monotonic() + 10
            while not tui.chat.task:
                self.assertLess(time.monotonic(), deadline, "no task")
                time.sleep(0.01)
            self.assertIsNone(tui.chat.session().task_id)
            tui.key("5")   # (letters act outside Chat)
            tui.key("c")
            self.settle(tui)
        task_id = tui.chat.task["id"]
        self.assertEqual(self.server.agent.tasks[task_id]["status"]["state"],
                         "TASK_STATE_CANCELED")
        self.assertIn("canceled task %s" % task_id, self.pane(tui, "Chat"))

    def test_ctrl_c_during_a_reply_cancels_its_task_and_at_rest_leaves(self):
        tui = self.tui()
        self.held_reply(tui, "slow one two three")
        self.assertTrue(tui.busy)
        screen = FakeScreen()
        handler.tui_draw(screen, tui, FAKE_CURSES)   # the spinner, on the status line
        self.assertIn(screen.puts[-2][2][:3], (" | ", " / ", " - "))
        self.assertFalse(tui.key("\x03"))   # the reply runs: no leaving
        self.settle(tui)
        task_id = self.saved()[self.url]["task_id"]
        chat = self.pane(tui, "Chat")
        self.assertIn("note: canceled task %s (canceled)" % task_id, chat)
        self.assertEqual(self.server.agent.tasks[task_id]["status"]["state"],
                         "TASK_STATE_CANCELED")
        self.assertEqual(self.saved()[self.url]["task_state"], "canceled")
        self.assertTrue(tui.key("\x03"))   # at rest: leave

    def test_artifacts_pane_and_s_saves_them_as_save_artifacts_does(self):
        tui = self.tui()
        self.type(tui, "keep this")
        tui.key("4")
        self.settle(tui)
        self.assertEqual(self.pane(tui, "Artifacts"), "[echo]\nEcho: keep this")
        folder = os.path.join(self.tmp, "out")
        tui.key("s")
        self.assertTrue(tui.prompt[0].startswith("save the artifacts"))
        self.type(tui, folder)
        with open(os.path.join(folder, "echo.txt")) as f:
            self.assertEqual(f.read(), "Echo: keep this")
        self.assertIn("note: saved %s" % os.path.join(folder, "echo.txt"),
                      self.pane(tui, "Artifacts"))
        self.type(tui, "s" + folder)   # a second time: a free name, as --save-artifacts takes
        self.assertTrue(os.path.exists(os.path.join(folder, "echo-1.txt")))

    def test_auth_pane_masks_and_the_secret_is_never_drawn(self):
        tui = self.tui()
        tui.key("5")
        self.settle(tui)
        self.assertIn("b: set a bearer token", self.pane(tui, "Auth"))
        tui.key("b")
        for k in SECRET:
            tui.key(k)
        screen = FakeScreen()
        handler.tui_draw(screen, tui, FAKE_CURSES)
        self.assertIn("bearer token (not shown): ", screen.text)
        self.assertNotIn(SECRET[:4], screen.text)
        tui.key("\n")
        self.settle(tui)
        self.assertEqual(self.saved()[self.url]["credentials"]["value"], SECRET)
        auth = self.pane(tui, "Auth")
        self.assertIn("%s: bearer token %s" % (self.url, handler.mask_secret(SECRET)), auth)
        self.assertNotIn(SECRET, auth)
        tui.key("1")
        self.type(tui, "again")   # the new client sends it
        self.assertEqual(self.posts(self.server)[-1].headers["Authorization"],
                         "Bearer " + SECRET)
        tui.key("5")
        tui.key("x")
        self.settle(tui)
        self.assertIn("No stored credentials", self.pane(tui, "Auth"))
        self.assertIsNone(self.saved()[self.url]["credentials"])
        for tab in handler.TUI_TABS:
            self.assertNotIn(SECRET, self.pane(tui, tab), tab)

    def test_logs_pane_holds_every_exchange_with_credentials_redacted(self):
        tui = self.tui("--bearer-token", SECRET)
        self.type(tui, "logged")
        logs = self.pane(tui, "Logs")
        self.assertIn("debug: ", logs)
        self.assertIn("/.well-known/agent-card.json", logs)
        self.assertIn("[redacted]", logs)
        self.assertIn("logged", logs)
        self.assertEqual(self.posts(self.server)[-1].headers["Authorization"], "Bearer " + SECRET)
        self.assertNotIn(SECRET, "".join(self.pane(tui, tab) for tab in handler.TUI_TABS))

    def test_push_receiver_registered_for_the_task_shows_its_notifications(self):
        tui = self.tui()
        gate = self.held_reply(tui, "slow red green")
        tui.key("6")
        tui.key("p")
        tui.key("\n")   # any free port
        self.wait_pane(tui, "Push", "Webhook URL: http://127.0.0.1:")
        task_id = self.saved()[self.url]["task_id"]
        self.assertIn("Task ID: %s" % task_id, self.pane(tui, "Push"))
        gate.open()
        self.wait_pane(tui, "Push", "task %s completed" % task_id)
        self.assertIn("artifact echo: green" if self.V == "1.0" else   # 0.3: the whole task
                      "completed: Echo: slow red green", self.pane(tui, "Push"))
        self.settle(tui)

    def test_session_saved_after_each_turn_n_starts_a_new_one_and_a_restart_continues(self):
        tui = self.tui()
        self.type(tui, "first")
        context = self.saved()[self.url]["context_id"]
        self.assertTrue(context)
        tui.key("2")
        tui.key("n")
        self.assertIn("The next message starts a new conversation.", self.pane(tui, "Chat"))
        self.assertEqual(tui.tab, "Chat")
        self.type(tui, "second")
        fresh = self.saved()[self.url]["context_id"]
        self.assertNotEqual(fresh, context)
        again = self.tui(url=self.url)   # selecting the agent again continues the conversation
        chat = self.pane(again, "Chat")
        self.assertIn("continuing the conversation %s" % fresh, chat)
        self.assertIn("agent> Echo: second", chat)   # the history, from the agent
        self.assertNotIn("first", chat)
        self.type(again, "third")
        self.assertEqual(self.saved()[self.url]["context_id"], fresh)

    def test_agents_added_picked_and_drawn_with_their_states(self):
        tui = self.tui()
        self.type(tui, "ask me")
        other, _ = self.agent()
        tui.key("2")
        tui.key("a")
        self.type(tui, other)
        self.assertEqual(tui.chat.url, other)
        self.assertEqual([u for u, _ in tui.agent_rows()], [self.url, other])
        screen = FakeScreen()
        handler.tui_draw(screen, tui, FAKE_CURSES)
        self.assertEqual(screen.puts[:4], [(0, 0, " %s " % self.url, 2), (0, len(self.url) + 2,
                                           "input-required ", 0),
                                           (0, len(self.url) + 17, "*%s " % other, 0),
                                           (0, 2 * len(self.url) + 19, "- ", 0)])
        tui.key("KEY_UP")   # the first one again: its conversation goes on
        tui.key("\n")
        self.settle(tui)
        self.assertEqual(tui.chat.url, self.url)
        self.type(tui, "red")
        self.assertIn("Echo: red", self.pane(tui, "Chat"))
        self.assertEqual(self.saved()[self.url]["task_state"], "completed")

    def test_agent_controlled_text_is_sanitised_before_it_is_drawn(self):
        url, self.server = self.agent()
        agent = self.server.agent
        agent.card = lambda base, secured=False, card=agent.card: {   # its name on the status line
            **card(base, secured), "name": "Evil\x1b]0;owned\x07"}
        tui = self.tui(url=url)
        tui.key("2")
        self.settle(tui)
        self.assertIn("Name: Evil^[]0;owned^G", self.pane(tui, "Card"))
        tui.key("1")
        tui.job(tui._turn, "evil \x1b]0;owned\x07\x1b[2J\x9b31m")
        self.settle(tui)
        chat = self.pane(tui, "Chat")
        self.assertIn("Echo: evil ^[]0;owned^G^[[2JM-^[31m", chat)
        for wide in (False, True):
            screen = FakeScreen(30, 120 if wide else 80)
            handler.tui_draw(screen, tui, FAKE_CURSES)
            self.assertIn("^[[2J", screen.text)
            self.assertIn("Evil^[]0;owned^G (A2A %s)" % self.V, screen.text)
            for put in screen.puts:
                self.assertFalse(re.search(r"[\x00-\x1f\x7f-\x9f]", put[2]), put)

    def test_r_follows_the_task_into_the_chat_pane(self):
        url, self.server = self.agent()
        gate = self.gate(self.server)
        self.assertOk(self.run_cli("message", "send", "--async", "--url", url, "slow a b"))
        tui = self.tui(url=url)
        tui.key("2")
        tui.key("r")
        self.assertEqual(tui.tab, "Chat")
        self.assertTrue(gate.held(1))
        method, deadline = "SubscribeToTask" if self.V == "1.0" else "tasks/resubscribe", \
            time.monotonic() + 10
        while method not in [r.json["method"] for r in self.posts(self.server)]:
            self.assertLess(time.monotonic(), deadline, tui.status)
            time.sleep(0.01)
        gate.open()
        self.settle(tui)
        self.assertIn("Echo: slow a b", self.pane(tui, "Chat"), tui.status)
        self.assertEqual(self.saved()[url]["task_state"], "completed")

    def test_keys_compose_scroll_help_and_tabs(self):
        tui = self.tui()
        tui.key("\x05")   # compose: Enter adds a line, Ctrl-E sends
        for k in "line one\nline two":
            tui.key(k)
        self.assertEqual(tui.text, "line one\nline two")
        tui.key("\x05")
        self.settle(tui)
        self.assertIn("you> line one\nline two\nEcho: line one\nline two", self.pane(tui, "Chat"))
        self.assertFalse(tui.lines)
        tui.key("?")
        self.assertEqual(tui.tab, "?")
        self.assertIn("PgUp, PgDn", self.pane(tui, "?"))
        screen = FakeScreen(10, 80)
        handler.tui_draw(screen, tui, FAKE_CURSES)   # 6 lines of the pane: the last ones
        self.assertIn("Slash commands work", screen.text)
        tui.key("KEY_PPAGE")
        handler.tui_draw(screen, tui, FAKE_CURSES)
        self.assertNotIn("Slash commands work", screen.text)
        self.assertEqual(tui.scroll, 5)
        tui.key("KEY_NPAGE")
        self.assertEqual(tui.scroll, 0)
        tui.key("\t")
        self.assertEqual(tui.tab, "Chat")
        tui.key("KEY_BTAB")
        self.assertEqual(tui.tab, "Logs")
        tui.key("1")
        tui.key("x")
        self.assertFalse(tui.key("q") or tui.done)   # q is text in the middle of a line
        self.assertEqual(tui.text, "xq")
        tui.key("\x1b")
        self.assertEqual(tui.text, "")
        self.settle(tui)
        self.assertTrue(tui.key("q"))


versioned(_TuiState, (("1.0",), ("0.3",)))


class TuiFallbackTests(HandlerTestCase):
    def test_without_a_terminal_it_says_so_in_one_line_and_runs_chat(self):
        url, _ = self.agent()
        r = self.assertOk(self.run_proc("tui", "--url", url, stdin="hello\n"))
        self.assertEqual(r.err.splitlines()[0],
                         "warning: tui needs a terminal (and curses): running chat instead")
        self.assertIn("Echo: hello", r.out)
        self.assertEqual(self.saved()[url]["task_state"], "completed")

    def test_without_curses_it_runs_chat(self):
        url, _ = self.agent()
        with mock.patch.dict(sys.modules, {"curses": None}), \
                mock.patch.object(handler, "_is_tty", lambda stream: True), \
                mock.patch.object(handler, "_prompt_reader",
                                  lambda home: (iter(["hi", None]).__next__, lambda: None)):
            r = self.run_cli("tui", "--url", url)
        self.assertOk(r)
        self.assertIn("warning: tui needs a terminal (and curses): running chat instead", r.err)
        self.assertIn("Echo: hi", r.out)

    def test_a_start_up_failure_is_one_line_from_main(self):
        port = closed_port()
        with mock.patch.object(handler, "_is_tty", lambda stream: True):
            r = self.run_cli("tui", "--url", "http://127.0.0.1:%d" % port)
        self.assertError(r, 3, "127.0.0.1:%d" % port)


class TuiTmuxTests(HandlerTestCase):
    """handler.py tui in a real terminal: tmux (80x24) runs it against the built-in agent (in this
    process, so that a test holds its slow tasks at the gate); send-keys types, capture-pane reads
    the screen. Skipped without tmux, unless HANDLER_CI (.ci/run, which installs it) makes that
    a failure."""
    VERSIONS = ("1.0",)

    def setUp(self):
        super().setUp()
        if not shutil.which("tmux"):
            if os.environ.get("HANDLER_CI"):
                self.fail("tmux is not installed, and .ci/run needs this test to run")
            self.skipTest("tmux is not installed (.ci/run installs it)")
        os.environ.pop("TMUX", None)

    def tmux(self, *args):
        done = subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True,
                              timeout=10)
        self.assertEqual(done.returncode, 0, (args, done.stderr))
        return done.stdout

    def start(self, *env):
        """tui in a new 80x24 tmux session (env: `env` arguments for it), in a shell that keeps
        `stty -a` before and after, and its pid."""
        import shlex
        self.socket = os.path.join(self.tmp, "tmux-" + uuid.uuid4().hex[:8])   # a server each,
        self.addCleanup(subprocess.run, ["tmux", "-S", self.socket, "kill-server"],   # its socket
                        capture_output=True, timeout=10)                            # in self.tmp
        self.url, self.server = self.agent()
        here = lambda name: shlex.quote(os.path.join(self.tmp, name))
        for name in ("before", "after", "pid", "stderr"):   # (those of a session before)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.tmp, name))
        command = " ".join(map(shlex.quote, ["env", *env, *PYTHON, HANDLER_PATH, "tui", "--url",
                                              self.url]))
        self.tmux("-f", os.devnull, "new-session", "-d", "-x", "80", "-y", "24", "-s", "tui",
                  "stty -a > %s; sh -c 'echo $$ > %s; exec %s' 2> %s; echo \"left $?\"; "
                  "stty -a > %s; sleep 60" % (here("before"), here("pid"), command.replace(
                      "'", "'\\''"), here("stderr"), here("after")))
        self.tmux("set-option", "-g", "window-size", "manual")   # its size: ours to set
        return self.wait_for("Handler Echo Agent at")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def wait_for(self, *texts, timeout=10):
        """The screen once it shows every text (within timeout seconds)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if all(text in screen for text in texts):
                return screen
            if time.monotonic() > deadline:
                self.fail("no %r on the screen within %s s; it shows:\n%s" % (texts, timeout,
                                                                            screen))
            time.sleep(0.05)

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "tui", *keys)

    def left(self, code=0):
        """After the TUI ended: its exit code; the terminal as it was before (stty -a)."""
        self.wait_for("left %d" % code)
        deadline = time.monotonic() + 5
        while not os.path.exists(os.path.join(self.tmp, "after")):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        time.sleep(0.1)
        with open(os.path.join(self.tmp, "before")) as f, \
                open(os.path.join(self.tmp, "after")) as g, \
                open(os.path.join(self.tmp, "stderr")) as e:
            size = r"rows \d+; columns \d+"   # (a test may have resized the window, and stty
            before, after = (" ".join(re.sub(size, "", file.read()).split())   # wraps to it)
                             for file in (f, g))
            self.assertIn("icanon", before)
            self.assertEqual(before, after)
            self.assertEqual(e.read(), "")

    def test_card_reply_question_tasks_and_q_restores_the_terminal(self):
        screen = self.start()
        self.assertEqual(screen.splitlines()[1].split(), "1 Chat 2 Card 3 Tasks 4 Artifacts "
                         "5 Auth 6 Push 7 Logs".split())
        self.keys("2")
        self.wait_for("Name: Handler Echo Agent", "Streaming: yes",
                      "PASS: %s (A2A 1.x): valid card" % self.url)
        self.keys("1", "hello tmux", "Enter")
        self.wait_for("you> hello tmux", "Echo: hello tmux", "task completed")
        self.assertNotRegex(self.tmux("capture-pane", "-p", "-e", "-t", "tui"),   # NO_COLOR=1
                            r"\x1b\[[0-9;]*3[0-7]m")
        first = self.saved()[self.url]["task_id"]
        self.keys("ask me", "Enter")
        self.wait_for("What should I echo?", "your next line answers", "task input-required")
        asked = self.saved()[self.url]["task_id"]
        self.keys("purple", "Enter")
        self.wait_for("you> purple", "Echo: purple", "task completed")
        self.assertEqual(self.saved()[self.url]["task_id"], asked)
        self.assertEqual(self.saved()[self.url]["task_state"], "completed")
        self.keys("3")
        lines = self.wait_for(asked[:30], first[:30]).splitlines()
        self.assertTrue(lines[2].startswith(asked + "  completed"), lines)
        self.assertTrue(lines[4].startswith(first + "  completed"), lines)
        self.keys("q")
        self.left()

    def test_streamed_reply_push_resize_and_ctrl_c_cancels_then_leaves(self):
        self.start()
        gate = self.gate(self.server)
        self.keys("slow alpha beta gamma", "Enter")
        self.assertTrue(gate.held(1))
        gate.step(2)   # "Echo: " and "slow ": the reply shows as it streams
        self.assertTrue(gate.held(1))
        self.wait_for("Echo: slow")
        self.assertNotIn("alpha", self.screen().partition("you>")[2].partition("\n")[2])
        task_id = self.saved()[self.url]["task_id"]
        self.keys("6", "p")
        self.wait_for("webhook receiver port")
        self.keys("Enter")
        self.wait_for("Webhook URL: http://127.0.0.1:", "Task ID: " + task_id)
        gate.step(1)
        self.wait_for("task %s artifact echo: alpha" % task_id)
        self.tmux("resize-window", "-t", "tui", "-x", "100", "-y", "30")
        screen = self.wait_for(" " * 24 + " 1 Chat ")   # the agents in a column of their own
        lines = screen.splitlines()
        self.assertEqual(len(lines), 30)
        self.assertTrue(lines[1].startswith("*%s " % self.url), lines)
        self.assertTrue(lines[2].startswith("  working "), lines)
        self.keys("1")
        self.wait_for("Echo: slow alpha")
        self.keys("C-c")
        self.wait_for("canceled task %s (canceled)" % task_id, "task canceled")
        self.assertEqual(self.server.agent.tasks[task_id]["status"]["state"],
                         "TASK_STATE_CANCELED")
        self.wait_for("\n   Handler Echo Agent (A2A")   # at rest: no spinner; Ctrl-C leaves
        self.keys("C-c")
        self.left()


    def test_sigterm_and_a_lost_agent_leave_the_terminal_as_it_was(self):
        self.start()
        stop_serving(self.server)   # the agent goes away
        self.server.server_close()
        self.keys("anyone there?", "Enter")
        screen = self.wait_for("Error: cannot connect", "| Error: cannot connect")
        self.assertNotIn("Traceback", screen)
        with open(os.path.join(self.tmp, "pid")) as f:
            os.kill(int(f.read()), signal.SIGTERM)
        self.left(128 + signal.SIGTERM)

    def test_colour_only_without_no_color_and_usable_on_a_vt100(self):
        self.start("-u", "NO_COLOR", "TERM=screen")
        self.keys("hello", "Enter")
        self.wait_for("Echo: hello")
        coloured = self.tmux("capture-pane", "-p", "-e", "-t", "tui")
        self.assertRegex(coloured, r"\x1b\[[0-9;]*36m you> hello|\x1b\[36myou> hello")
        self.keys("q")
        self.left()
        self.start("-u", "NO_COLOR", "TERM=vt100")
        self.keys("hello", "Enter")
        self.wait_for("you> hello", "Echo: hello")
        plain = self.tmux("capture-pane", "-p", "-e", "-t", "tui")
        self.assertNotRegex(plain, r"\x1b\[[0-9;]*3[0-7]m")   # bold and reverse only
        self.assertIn("\x1b[1m", plain)
        with open(os.path.join(self.tmp, "pid")) as f:   # Ctrl-C as a signal: leave, at rest
            os.kill(int(f.read()), signal.SIGINT)
        self.left()


class CardCacheTests(HandlerTestCase):
    """One round trip per message to an agent in the session: its card is kept with the session
    while its Cache-Control allows (5 minutes when it says nothing), revalidated with its ETag,
    and fetched again once when a failure says it changed."""
    VERSIONS = ("1.0",)
    OK = Reply(rpc(wsend("1.0", wtask("1.0", "completed", "done"))))

    def send(self, url, *extra):
        return self.assertOk(self.run_cli("--debug", "message", "send", "--url", url, *extra, "hi"))

    def card_lines(self, r):
        return [line for line in r.err.splitlines() if line.startswith("debug: agent card")]

    def expire(self, url):
        raw = self.saved()
        raw[url]["card"]["until"] = 0
        with open(self.sessions_path, "w") as f:
            json.dump(raw, f)

    def scripted_card(self, server, *headers, endpoint=None):
        """The scripted agent's card, served with these headers, its interface at endpoint."""
        def body(req):
            return json.dumps(wcard("1.0", endpoint or "http://%s/" % req.headers["Host"])).encode()
        server.gets["/.well-known/agent-card.json"] = Reply(body, headers=headers)

    def wire(self, server):
        return [(r.method, r.path) for r in server.requests]

    def test_second_send_is_one_request_and_an_expired_card_is_revalidated(self):
        url, agent = self.agent()
        r = self.send(url)
        self.assertEqual([q.method for q in agent.received], ["GET", "POST"])
        self.assertEqual(self.card_lines(r), ["debug: agent card: fetched; kept for 60 s"])
        kept = self.saved()[url]["card"]
        self.assertEqual(set(kept["card"]), {"supportedInterfaces", "capabilities"})   # no skills...
        self.assertTrue(kept["etag"])
        del agent.received[:]
        r = self.send(url)
        self.assertEqual([q.method for q in agent.received], ["POST"])
        self.assertEqual(len(self.card_lines(r)), 1)
        self.assertIn("agent card: from the session cache (fresh for", r.err)
        self.expire(url)
        del agent.received[:]
        r = self.send(url)
        self.assertEqual([q.method for q in agent.received], ["GET", "POST"])
        self.assertEqual(agent.received[0].headers["If-None-Match"], kept["etag"])
        self.assertEqual(self.card_lines(r),
                         ["debug: agent card: revalidated (304 Not Modified); kept for 60 s"])
        self.assertGreater(self.saved()[url]["card"]["until"], time.time() + 30)
        self.assertEqual(self.saved()[url]["card"]["card"], kept["card"])

    def test_card_get_always_fetches_and_refreshes_the_cache(self):
        url, agent = self.agent()
        self.send(url)
        self.expire(url)
        del agent.received[:]
        r = self.assertOk(self.run_cli("--debug", "card", "get", "--url", url))
        self.assertEqual([q.method for q in agent.received], ["GET"])
        self.assertNotIn("If-None-Match", agent.received[0].headers)
        self.assertIn("Skills (1):", r.out)
        self.assertEqual(self.card_lines(r), ["debug: agent card: fetched; kept for 60 s"])
        self.assertGreater(self.saved()[url]["card"]["until"], time.time() + 30)

    def test_a_new_agents_card_is_saved_with_its_session_and_goes_with_session_clear(self):
        url, agent = self.agent()
        self.assertOk(self.run_cli("card", "get", "--url", url))
        self.assertFalse(os.path.exists(self.sessions_path))   # no session: nothing to keep it in
        with mock.patch.object(handler.SessionStore, "_write", autospec=True,
                               side_effect=handler.SessionStore._write) as write:
            self.send(url)
        self.assertEqual(len([c for c in write.call_args_list if c.args[1] is not None]), 1)
        self.assertIn("card", self.saved()[url])
        self.assertIn("Saved Sessions (1)", self.assertOk(self.run_cli("session", "list")).out)
        r = self.assertOk(self.run_cli("session", "clear", url))
        self.assertEqual(r.out.strip(), "Cleared session for %s (context, task)" % url)
        self.assertEqual(self.saved(), {})
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", "tok"))
        self.send(url)
        self.assertOk(self.run_cli("session", "clear", url, "--keep-credentials"))
        self.assertNotIn("card", self.saved()[url])

    def test_transport_and_version_header_choose_afresh(self):
        url, agent = self.agent()
        self.send(url)
        del agent.received[:]
        r = self.send(url, "--transport", "http+json")
        self.assertEqual([(q.method, q.path) for q in agent.received], [("POST", "/rest/message:send")])
        self.assertIn("in your --transport order", r.err)
        del agent.received[:]
        r = self.send(url, "-H", "A2A-Version: 0.3")   # the card asked for another version
        self.assertEqual([q.method for q in agent.received], ["GET", "POST"])
        self.assertEqual(agent.received[0].headers["A2A-Version"], "0.3")
        self.assertNotIn("If-None-Match", agent.received[0].headers)

    def test_no_store_is_never_kept_and_no_cache_always_revalidates(self):
        url, server = self.scripted()
        self.scripted_card(server, ("Cache-Control", "no-store"), ("ETag", '"v1"'))
        server.posts = [self.OK, self.OK]
        r = self.send(url)
        self.assertEqual(self.card_lines(r), ["debug: agent card: fetched; not kept (Cache-Control: no-store)"])
        self.send(url)
        self.assertEqual([m for m, _ in self.wire(server)], ["GET", "POST", "GET", "POST"])
        self.assertNotIn("card", self.saved()[url])
        self.assertIsNone(server.requests[2].headers["If-None-Match"])
        url, server = self.scripted()
        self.scripted_card(server, ("Cache-Control", "no-cache"), ("ETag", '"v1"'))
        server.posts = [self.OK, self.OK]
        self.send(url)
        self.send(url)
        self.assertEqual([m for m, _ in self.wire(server)], ["GET", "POST", "GET", "POST"])
        self.assertEqual(server.requests[2].headers["If-None-Match"], '"v1"')

    def test_default_freshness_when_the_card_says_nothing(self):
        url, server = self.scripted()
        server.posts = [self.OK, self.OK]
        r = self.send(url)
        self.assertEqual(self.card_lines(r), ["debug: agent card: fetched; kept for 300 s"])
        until = self.saved()[url]["card"]["until"]
        self.assertAlmostEqual(until, time.time() + 300, delta=30)
        self.assertIsNone(self.saved()[url]["card"]["etag"])
        self.send(url)
        self.assertEqual([m for m, _ in self.wire(server)], ["GET", "POST", "POST"])
        self.assertEqual(handler.card_lifetime({"Cache-Control": "private, max-age=7"}), 7)
        self.assertEqual(handler.card_lifetime({"Cache-Control": "s-maxage=9"}), 300)
        self.assertEqual(handler.card_lifetime({"Cache-Control": "max-age=%s" % ("9" * 5000)}), 999999999)

    def moved(self, failure, refetched_card=True):
        """A cached card whose endpoint /old now fails with `failure`; the agent moved to /new."""
        url, server = self.scripted()
        self.scripted_card(server, endpoint=self.scripted_url(server) + "/old")
        server.posts = [self.OK]
        self.send(url)
        if refetched_card:
            self.scripted_card(server, endpoint=self.scripted_url(server) + "/new")
        server.posts = [failure, self.OK, self.OK]
        del server.requests[:]
        return url, server

    @staticmethod
    def scripted_url(server):
        return "http://127.0.0.1:%d" % server.server_address[1]

    def test_a_moved_endpoint_is_fetched_again_and_the_message_sent_once_more(self):
        for failure in (Reply(b"gone", 404, "text/plain"), Reply(b"", 405, "text/plain"),
                        Reply(rpc_error(-32601, "no such method")),
                        Reply(rpc_error(-32009, "version not supported"))):
            with self.subTest(status=failure.status, body=failure.body):
                url, server = self.moved(failure)
                r = self.send(url)
                self.assertEqual(self.wire(server), [("POST", "/old"), ("GET", "/.well-known/agent-card.json"),
                                                     ("POST", "/new")])
                self.assertIn("the call failed as a changed card would explain", r.err)
                self.assertEqual(self.card_lines(r)[-1], "debug: agent card: fetched; kept for 300 s")
                self.assertTrue(self.saved()[url]["card"]["card"]["supportedInterfaces"][0]["url"]
                                .endswith("/new"))

    def test_the_retry_is_made_once_and_only_for_a_cached_card(self):
        url, server = self.moved(Reply(b"gone", 404, "text/plain"))
        server.posts[1] = Reply(b"gone too", 404, "text/plain")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "unavailable (HTTP 404")
        self.assertEqual([m for m, _ in self.wire(server)], ["POST", "GET", "POST"])
        url, server = self.scripted()   # a card just fetched: a 404 is the answer
        server.posts = [Reply(b"gone", 404, "text/plain")]
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "unavailable (HTTP 404")
        self.assertEqual([m for m, _ in self.wire(server)], ["GET", "POST"])
        url, server = self.moved(Reply(rpc_error(-32001, "task not found")))   # an A2A answer
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 1, "TaskNotFoundError")
        self.assertEqual([m for m, _ in self.wire(server)], ["POST"])

    def test_an_unchanged_card_304_is_no_reason_to_send_again(self):
        url, server = self.scripted()
        self.scripted_card(server, ("ETag", '"v1"'))
        server.posts = [self.OK]
        self.send(url)
        server.gets["/.well-known/agent-card.json"] = Reply(b"", 304, headers=[("ETag", '"v1"')])
        server.posts = [Reply(b"gone", 404, "text/plain"), self.OK]
        del server.requests[:]
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "unavailable (HTTP 404")
        self.assertEqual([m for m, _ in self.wire(server)], ["POST", "GET"])
        self.assertEqual(server.requests[1].headers["If-None-Match"], '"v1"')

    def test_a_401_naming_a_scheme_the_card_lacks(self):
        denied = Reply(b"", 401, "text/plain", headers=[("WWW-Authenticate", 'Bearer realm="a2a"')])
        url, server = self.moved(denied)
        r = self.send(url)
        self.assertEqual(self.wire(server), [("POST", "/old"), ("GET", "/.well-known/agent-card.json"),
                                             ("POST", "/new")])
        url, server = self.scripted()   # a scheme the card declares: the card explains nothing
        self.scripted_card(server)
        server.gets["/.well-known/agent-card.json"] = Reply(json.dumps(dict(
            wcard("1.0", self.scripted_url(server) + "/"),
            securitySchemes={"bearer": {"httpAuthSecurityScheme": {"scheme": "Bearer"}}})).encode())
        server.posts = [self.OK, denied]
        self.send(url)
        del server.requests[:]
        self.assertEqual(self.run_cli("message", "send", "--url", url, "hi").code, 4)
        self.assertEqual([m for m, _ in self.wire(server)], ["POST"])

    def test_a_stream_is_made_once_more_before_its_first_event(self):
        url, server = self.moved(Reply(b"gone", 404, "text/plain"))
        server.posts[1] = sse_reply(sse([wsend("1.0", wtask("1.0", "completed", "done"))]))
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertIn("done", r.out)
        self.assertEqual([m for m, _ in self.wire(server)], ["POST", "GET", "POST"])

    def test_an_old_sessions_file_loads_and_a_bad_cache_entry_is_ignored(self):
        url, server = self.scripted()
        os.makedirs(self.home, 0o700)
        with open(self.sessions_path, "w") as f:
            json.dump({url: {"context_id": "c-1", "task_id": None,
                             "card": {"card": [], "url": url, "until": 1e12, "asked": "1.0"}}}, f)
        os.chmod(self.sessions_path, 0o600)
        server.posts = [self.OK]
        self.send(url)
        self.assertEqual([m for m, _ in self.wire(server)], ["GET", "POST"])
        self.assertIsInstance(self.saved()[url]["card"]["card"], dict)


class TlsTests(_TlsAgents, HandlerTestCase):
    """Verification always on, --ca-file / SSL_CERT_FILE / HANDLER_CA_FILE, --insecure, mutual TLS."""

    def test_https_to_a_port_without_tls(self):
        url, _ = self.agent()
        self.assertError(self.run_cli("card", "get", "--url", url.replace("http:", "https:")), 3,
                         "does not speak TLS on this port")

    def test_a_certificate_from_the_ca_given_by_file_or_environment(self):
        url, _ = self.tls_agent()
        r = self.assertOk(self.run_cli("--ca-file", self.pem["ca.pem"], "message", "send", "--url", url, "hello"))
        self.assertIn("Echo: hello", r.out)
        self.assertEqual(r.err, "")
        r = self.assertOk(self.run_cli("card", "get", "--url", url, "--ca-file", self.pem["ca.pem"]))
        self.assertIn("Interface: JSON-RPC, A2A 1.0, %s/" % url, r.out)
        os.environ["HANDLER_CA_FILE"] = self.pem["ca.pem"]
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "again"))
        self.assertIn("Echo: again", r.out)
        self.assertEqual(self.ids(r)[2], "completed")
        del os.environ["HANDLER_CA_FILE"]
        os.environ["SSL_CERT_FILE"] = self.pem["ca.pem"]          # OpenSSL's own variable, in a real process
        r = self.assertOk(self.run_proc("task", "get", "--url", url))
        self.assertEqual(self.ids(r)[2], "completed")
        r = self.assertOk(self.run_proc("--transport", "http+json", "message", "send", "--url", url, "rest"))
        self.assertIn("Echo: rest", r.out)

    def test_without_the_ca_the_certificate_is_refused(self):
        url, server = self.tls_agent()
        line = self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, url,
                                "unable to get local issuer certificate")
        self.assertIn("certificate", line)
        r = self.run_cli("-o", "json", "card", "get", "--url", url)
        self.assertEqual(json.loads(r.out)["error"]["code"], "A2ACLI_ERR_UNREACHABLE")
        self.assertIn("--ca-file", json.loads(r.out)["error"]["hint"])
        self.assertFalse(os.path.exists(self.sessions_path))      # nothing half-done was saved

    def test_each_refused_certificate_says_why(self):
        for cert, reason in (("selfsigned.pem", "self-signed certificate"), ("expired.pem", "certificate has expired"),
                             ("wronghost.pem", "not valid for '127.0.0.1'")):
            with self.subTest(cert=cert):
                url, _ = self.tls_agent(cert)
                self.assertError(self.run_cli("--ca-file", self.pem["ca.pem"], "message", "send", "--url", url, "hi"),
                                 3, "TLS certificate of %s" % url, reason)
                self.assertError(self.run_proc("card", "get", "--url", url, "--ca-file", self.pem["ca.pem"]),
                                 3, reason)

    def test_insecure_works_and_warns_on_every_run(self):
        url, _ = self.tls_agent("selfsigned.pem")
        for argv in (("--insecure", "message", "send", "--url", url, "hi"),
                     ("message", "send", "--url", url, "hi", "--insecure")):
            r = self.assertOk(self.run_cli(*argv))
            self.assertIn("Echo: hi", r.out)
            self.assertEqual(len(r.err.splitlines()), 1, r)
            self.assertIn("TLS verification is OFF (--insecure)", r.err)
        os.environ["HANDLER_INSECURE"] = "1"
        r = self.assertOk(self.run_proc("message", "stream", "--url", url, "streamed"))
        self.assertIn("Echo: streamed", r.out)
        self.assertIn("TLS verification is OFF", r.err)

    def test_a_ca_file_that_is_not_there_or_not_pem(self):
        url, _ = self.tls_agent()
        self.assertError(self.run_cli("--ca-file", os.path.join(self.tmp, "nope.pem"), "card", "get", "--url", url),
                         2, "--ca-file", "nope.pem")
        self.assertError(self.run_cli("--ca-file", self.pem["server.key"], "card", "get", "--url", url), 2, "--ca-file")

    def test_mutual_tls(self):
        url, server = self.tls_agent(client_ca="ca.pem")
        os.environ["HANDLER_CA_FILE"] = self.pem["ca.pem"]
        line = self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, url)
        self.assertTrue("TLS" in line or "connection" in line, line)
        cert, key = self.pem["client.pem"], self.pem["client.key"]
        r = self.assertOk(self.run_cli("--cert", cert, "--key", key, "message", "send", "--url", url, "with a cert"))
        self.assertIn("Echo: with a cert", r.out)
        r = self.assertOk(self.run_proc("message", "stream", "--url", url, "streamed", "--cert", cert, "--key", key))
        self.assertIn("Echo: streamed", r.out)
        os.environ.update(HANDLER_CERT=cert, HANDLER_KEY=key)
        self.assertOk(self.run_cli("task", "get", "--url", url))

    def test_auth_set_stores_the_paths_and_later_calls_use_them(self):
        url, server = self.tls_agent(client_ca="ca.pem", token="tok-123")
        os.environ["HANDLER_CA_FILE"] = self.pem["ca.pem"]
        cert, key = self.pem["client.pem"], self.pem["client.key"]
        r = self.assertOk(self.run_cli("auth", "set", "--url", url, "--cert", cert, "--key", key))
        self.assertIn("client certificate %s" % cert, r.out)
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", "-", stdin="tok-123\n"))
        entry = self.saved()[handler.normalise_url(url)]
        self.assertEqual(entry["client_cert"], {"cert": cert, "key": key})   # the bearer token did not replace it
        with open(self.sessions_path, encoding="utf-8") as f:
            self.assertNotIn("PRIVATE KEY", f.read())                      # paths, never the key
        r = self.assertOk(self.run_proc("--debug", "message", "send", "--url", url, "hello"))
        self.assertIn("Echo: hello", r.out)
        self.assertNotIn("tok-123", r.err)
        self.assertNotIn("PRIVATE KEY", r.err)
        r = self.assertOk(self.run_cli("auth", "show", "--url", url))
        self.assertIn(cert, r.out)
        self.assertNotIn("tok-123", r.out)

    def test_a_key_others_can_read_is_refused(self):
        url, _ = self.tls_agent(client_ca="ca.pem")
        cert, key = self.pem["client.pem"], self.pem["client.key"]
        os.chmod(key, 0o644)
        for run in (self.run_cli, self.run_proc):
            self.assertError(run("--ca-file", self.pem["ca.pem"], "--cert", cert, "--key", key, "card", "get",
                                 "--url", url), 2, "the private key %s is open to other users (mode 644)" % key)
        r = self.run_cli("auth", "set", "--url", url, "--cert", cert, "--key", key)
        self.assertError(r, 2, "open to other users")
        self.assertFalse(os.path.exists(self.sessions_path))
        r = self.run_cli("-o", "json", "--cert", cert, "--key", key, "card", "get", "--url", url)
        self.assertIn("chmod 600 %s" % key, json.loads(r.out)["error"]["hint"])

    def test_bad_client_certificate_options(self):
        url, _ = self.tls_agent(client_ca="ca.pem")
        cert, key = self.pem["client.pem"], self.pem["client.key"]
        self.assertError(self.run_cli("--cert", os.path.join(self.tmp, "none.pem"), "--key", key, "card", "get",
                                      "--url", url), 2, "none.pem")
        self.assertError(self.run_cli("--cert", cert, "--key", self.pem["server.key"], "card", "get", "--url", url),
                         2, "client certificate")                           # the key of another certificate
        self.assertError(self.run_cli("auth", "set", "--url", url, "--key", key), 2, "--key needs --cert")
        self.assertError(self.run_cli("--key", key, "card", "get", "--url", url), 2, "--key needs --cert")



class ForwardProxyHandler(BaseHTTPRequestHandler):
    """An HTTP proxy: absolute-URI requests are forwarded (Proxy-Authorization checked when the
    proxy has a password, and never passed on); CONNECT opens a tunnel. Records every request."""
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def _authorised(self):
        want = self.server.password
        if want and self.headers.get("Proxy-Authorization") != want:
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def _forward(self):
        import http.client
        import urllib.parse
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append(Req(self.command, self.path, self.headers, body))
        if not self._authorised():
            return
        target = urllib.parse.urlsplit(self.path)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-authorization", "connection",
                                                                              "proxy-connection")}
        conn.request(self.command, target.path + ("?" + target.query if target.query else ""), body or None, headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _forward

    def do_CONNECT(self):
        self.server.seen.append(Req("CONNECT", self.path, self.headers, b""))
        if not self._authorised():
            return
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host, int(port)), timeout=10)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        sockets = [self.connection, upstream]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 10)
                if not ready:
                    break
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()


class NoTlsForHttpTests(HandlerTestCase):
    def test_an_http_agent_costs_no_tls_context(self):
        # building one loads the CA bundle: 15-20 ms and a MiB of every call, for nothing over http
        url, _ = self.agent()
        with mock.patch.object(handler.Transport, "tls", side_effect=AssertionError("TLS set up")):
            r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
            self.assertIn("Echo: hi", r.out)
            # a bad --ca-file does not matter to an http:// agent, as with curl --cacert
            self.assertOk(self.run_cli("--ca-file", "/nonexistent", "card", "get", "--url", url))


class NoSslForHttpTests(_TlsAgents, HandlerTestCase):
    """An http:// agent costs neither the ssl module (4 ms and 5 MiB of OpenSSL) nor hashlib, which
    urllib imports at once, nor the default TLS context that Python 3.12+ builds for any
    HTTPSHandler; https:// still works in the same process."""

    def test_an_http_send_imports_no_ssl_and_https_still_works(self):
        url, _ = self.agent()
        tls_url, _ = self.tls_agent()
        p = self.fresh_python(
                  "for argv in (['message', 'send', '--url', sys.argv[2], 'hi'],\n"
                  "             ['--ca-file', sys.argv[4], 'message', 'send', '--url', sys.argv[3],\n"
                  "              'hi']):\n"
                  "    with contextlib.redirect_stdout(io.StringIO()):\n"
                  "        code = handler.main(argv)\n"
                  "    print(code, sorted({'_ssl', '_hashlib'} & set(sys.modules)))",
                  url, tls_url, self.pem["ca.pem"])
        self.assertEqual((p.stdout, p.stderr), ("0 []\n0 ['_ssl']\n", ""))

    def test_no_tls_context_whatever_the_python_version(self):
        url, _ = self.agent()
        built = AssertionError("a TLS context built for http://")
        with mock.patch.object(ssl, "create_default_context", side_effect=built), \
                mock.patch.object(ssl, "_create_default_https_context", side_effect=built):
            self.assertIn("Echo: hi", self.assertOk(self.run_cli("message", "send", "--url", url,
                                                                 "hi")).out)


class ArgparseWordsTests(HandlerTestCase):
    def test_argparse_words_are_not_looked_up_in_message_catalogues(self):
        # gettext searches the disk for each word, 2 ms a command (more for --help, and with LANG
        # set); Handler speaks English, so the words are argparse's own
        with mock.patch("gettext.find", side_effect=AssertionError("a catalogue looked up")):
            self.assertIn("usage: handler.py", self.assertOk(self.run_cli("--help")).out)
            self.assertError(self.run_cli("task", "get", "--history-length", "1", "2", "3"), 2,
                             "unrecognized arguments: 3")
            self.assertError(self.run_cli("session", "show", "--nope"), 2,
                             "unrecognized arguments: --nope")


class SessionPruneTests(_NoWorkLost, HandlerTestCase):
    """session prune --older-than DAYS, and the last use that session list shows."""
    NOW = 1796176800                      # 2026-12-02T02:00:00Z
    OLD, NEW = "2026-10-01T00:00:00Z", "2026-11-30T00:00:00Z"
    BEFORE = "2026-11-02T02:00:00Z"       # NOW - 30 days
    CREDS = {"auth_type": "bearer", "value": SECRET}

    def write(self, entries):
        os.makedirs(self.home, 0o700, exist_ok=True)
        with open(self.sessions_path, "w", encoding="utf-8") as f:
            json.dump(entries, f)
        os.chmod(self.sessions_path, 0o600)

    def populate(self):
        self.write({
            "http://old.example": {"context_id": "c-old", "credentials": self.CREDS, "updated_at": self.OLD},
            "http://OLD.example:80/": {"task_id": "t-x", "updated_at": "2026-09-01T00:00:00Z"},  # one URL
            "http://talk.example": {"context_id": "c-talk", "task_id": "t-talk", "task_state": "completed",
                                    "card": {"card": {}, "url": "u", "until": 1, "etag": None, "asked": "a"},
                                    "extra": 1, "updated_at": self.OLD},
            "http://new.example": {"context_id": "c-new", "updated_at": self.NEW},
            "http://undated.example": {"context_id": "c-u"},
            "http://other-form.example": {"context_id": "c-o", "updated_at": "2020-01-01T00:00:00.5+00:00"},
            "http://keys-only.example": {"credentials": self.CREDS, "updated_at": self.OLD},
            "http://empty.example": {}})

    def prune(self, *argv):
        with mock.patch("time.time", return_value=self.NOW):
            return self.run_cli("session", "prune", *argv)

    def test_list_shows_when_each_session_was_last_used(self):
        self.write({"http://a.example": {"context_id": "c-a", "updated_at": self.NEW},
                    "http://b.example": {"context_id": "c-b"}})
        r = self.assertOk(self.run_cli("session", "list"))
        self.assertEqual(r.out, "Saved Sessions (2)\n\nhttp://a.example\n  Context ID: c-a\n"
                                "  Last used: 2026-11-30T00:00:00Z\n\nhttp://b.example\n  Context ID: c-b\n")
        doc = json.loads(self.assertOk(self.run_cli("-o", "json", "session", "list")).out)
        self.assertEqual([s["updated_at"] for s in doc["sessions"]], [self.NEW, None])

    def test_prune_keeps_credentials_and_what_is_recent_or_undated(self):
        self.populate()
        r = self.assertOk(self.prune("--older-than", "30"))
        self.assertEqual(r.out, "Pruned sessions not used since %s: http://old.example (context, task), "
                                "http://talk.example (context, task)\n" % self.BEFORE)
        saved = self.saved()
        self.assertEqual(sorted(saved), ["http://empty.example", "http://keys-only.example", "http://new.example",
                                         "http://old.example", "http://other-form.example",
                                         "http://undated.example"])
        self.assertEqual(saved["http://old.example"]["credentials"], self.CREDS)   # both spellings: one
        self.assertEqual((saved["http://old.example"]["context_id"], saved["http://old.example"]["task_id"]),
                         (None, None))
        self.assertEqual(saved["http://new.example"]["context_id"], "c-new")
        self.assertEqual(saved["http://undated.example"], {"context_id": "c-u"})
        self.assertEqual(saved["http://other-form.example"]["context_id"], "c-o")
        self.assertNotIn(SECRET, r.out + r.err)
        r = self.assertOk(self.prune("--older-than", "30"))
        self.assertEqual(r.out, "No sessions unused since %s; nothing pruned\n" % self.BEFORE)

    def test_all_data_removes_the_whole_entry_in_json(self):
        self.populate()
        r = self.assertOk(self.prune("--older-than", "30", "--all-data", "-o", "json"))
        self.assertEqual(json.loads(r.out), {"before": self.BEFORE, "removed": {
            "http://old.example": ["context", "task", "credentials"], "http://talk.example": ["context", "task"],
            "http://keys-only.example": ["credentials"]}})
        self.assertEqual(sorted(self.saved()), ["http://empty.example", "http://new.example",
                                                "http://other-form.example", "http://undated.example"])
        self.assertNotIn(SECRET, r.out + r.err)
        r = self.assertOk(self.prune("-o", "json", "--older-than", "0.5"))
        self.assertEqual(json.loads(r.out), {"before": "2026-12-01T14:00:00Z",
                                             "removed": {"http://new.example": ["context"]}})

    def test_days_are_validated(self):
        self.populate()
        for argv, said in (((), "required: --older-than"), (("--older-than", "soon"), "not a number: 'soon'"),
                           (("--older-than", "-1"), "-1 is not between 0 and 36500"),
                           (("--older-than", "nan"), "nan is not between"),
                           (("--older-than", "1e9"), "is not between")):
            self.assertError(self.prune(*argv), 2, said)
        self.assertEqual(len(self.saved()), 8)          # nothing touched

    def test_prune_waits_for_the_lock_like_every_write(self):
        self.populate()
        before = self.saved()
        self.hold_lock()
        self.short_lock_wait()
        self.assertError(self.prune("--older-than", "30"), 1, "sessions file is locked by another")
        self.assertEqual(self.saved(), before)

    def test_prune_in_a_subprocess(self):
        self.write({"http://a.example": {"context_id": "c-a", "updated_at": "2001-01-01T00:00:00Z"},
                    "http://b.example": {"context_id": "c-b", "updated_at": time.strftime(
                        "%Y-%m-%dT%H:%M:%SZ", time.gmtime())}})
        r = self.assertOk(self.run_proc("session", "prune", "--older-than", "7"))
        self.assertRegex(r.out, r"^Pruned sessions not used since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: "
                                r"http://a.example \(context\)\n$")
        self.assertEqual(list(self.saved()), ["http://b.example"])
        self.assertEqual(os.stat(self.sessions_path).st_mode & 0o777, 0o600)
        self.assertError(self.run_proc("session", "prune", "--older-than", "x"), 2, "--older-than")


class ConfigShowTests(HandlerTestCase):
    """config show: every setting a call to --url would use, and where it came from (flag,
    environment, stored for the agent, default), picked by the code a real call picks it with;
    secrets masked, nothing sent."""
    URL = "http://127.0.0.1:9"   # nothing listens there: config show sends nothing

    def show(self, *argv, proc=False, stdin=""):
        r = self.assertOk((self.run_proc if proc else self.run_cli)("-o", "json", "config", "show", *argv,
                                                                    stdin=stdin))
        return {k: (v["value"], v["source"]) for k, v in json.loads(r.out).items()}

    def test_each_setting_with_its_source(self):
        self.assertOk(self.run_cli("auth", "set", "--url", self.URL, "--bearer-token", "-",
                                   stdin="stored-token-0123456789\n"))
        os.environ.update(HANDLER_RETRIES="4", HANDLER_TRANSPORT="http+json", HANDLER_MAX_RESPONSE="1M",
                          HANDLER_CERT="/certs/me.pem")
        shown = self.show("--url", self.URL, "--timeout", "7", "--ca-file", "/certs/ca.pem")
        self.assertEqual(shown, {
            "url": (self.URL, "flag"), "timeout": (7.0, "flag"), "retries": (4, "environment"),
            "transport": (["HTTP+JSON"], "environment"), "ca_file": ("/certs/ca.pem", "flag"),
            "cert": ("/certs/me.pem", "environment"), "key": (None, "default"),
            "insecure": (False, "default"), "max_response": (1 << 20, "environment"),
            "record": (None, "default"), "handler_home": (self.home, "environment"),
            "credentials": ({"auth_type": "bearer", "header_name": None, "value": "stor\u2026"}, "stored"),
            "proxy": (None, "default")})
        os.environ["HANDLER_API_KEY"] = "env-key-0123456789"
        self.assertEqual(self.show("--url", self.URL)["credentials"],
                         ({"auth_type": "api_key", "header_name": None, "value": "env-\u2026"}, "environment"))
        shown = self.show("--url", self.URL, "--api-key", "-", "--api-key-header", "X-K", "--retries", "0",
                          "--transport", "jsonrpc", "--insecure", proc=True,
                          stdin="piped-key-0123456789\n")
        self.assertEqual([shown[k] for k in ("credentials", "retries", "transport", "insecure", "timeout")],
                         [({"auth_type": "api_key", "header_name": "X-K", "value": "pipe\u2026"}, "flag"),
                          (0, "flag"), (["JSONRPC"], "flag"), (True, "flag"), (120.0, "default")])
        for name in ("HANDLER_CERT", "HANDLER_API_KEY"):
            os.environ.pop(name)
        shown = self.show()   # no agent: nothing stored applies
        self.assertEqual((shown["url"], shown["credentials"]), ((None, "default"), (None, "default")))
        os.environ["HANDLER_URL"] = self.URL
        self.assertEqual(self.show()["url"], (self.URL, "environment"))

    def test_a_stored_client_certificate_and_its_key(self):
        handler.SessionStore().load().update(self.URL, client_cert={"cert": "/c/me.pem", "key": "/c/me.key"})
        shown = self.show("--url", self.URL)
        self.assertEqual((shown["cert"], shown["key"]), (("/c/me.pem", "stored"), ("/c/me.key", "stored")))
        os.environ["HANDLER_CERT"] = "/c/other.pem"   # the stored key belongs to the stored cert only
        shown = self.show("--url", self.URL)
        self.assertEqual((shown["cert"], shown["key"]), (("/c/other.pem", "environment"), (None, "default")))

    def test_text_says_each_value_and_source(self):
        os.environ["HANDLER_RETRIES"] = "3"
        for r in (self.run_cli("config", "show", "--url", self.URL, "--timeout", "9"),
                  self.run_proc("config", "show", "--url", self.URL, "--timeout", "9")):
            lines = self.assertOk(r).out.splitlines()
            self.assertIn("retries       3  (environment HANDLER_RETRIES)", lines)
            self.assertIn("timeout       9.0  (flag)", lines)
            self.assertIn("credentials   none  (default)", lines)
            self.assertIn(f"url           {self.URL}  (flag)", lines)
            self.assertEqual(len(lines), 13, lines)

    def test_secrets_are_never_shown(self):
        secrets = ["bearer-SECRET-0123456789", "apikey-SECRET-0123456789", "client-SECRET-0123456789",
                   "proxy-SECRET-pw"]
        self.assertOk(self.run_cli("auth", "set", "--url", self.URL, "--oauth2-token-url", "https://idp/token",
                                   "--client-id", "cid", "--client-secret", "-", stdin=secrets[2] + "\n"))
        os.environ.update(HTTP_PROXY=f"http://user:{secrets[3]}@127.0.0.1:3128", NO_PROXY="", no_proxy="",
                          http_proxy=f"http://user:{secrets[3]}@127.0.0.1:3128")
        runs = [(self.run_proc if proc else self.run_cli)(*fmt, "config", "show", "--url", self.URL, *more,
                                                          stdin=stdin)
                for fmt in ([], ["-o", "json"]) for proc in (False, True) for more, stdin in (
                    ([], ""), (["--bearer-token", "-"], secrets[0]), (["--api-key", secrets[1]], ""))]
        for r in runs:
            self.assertOk(r)
            for secret in secrets:
                self.assertNotIn(secret, r.out + r.err)
        self.assertIn("proxy         http://user:***@127.0.0.1:3128  (environment)", runs[0].out)
        self.assertIn("OAuth2 (client cid at https://idp/token), token not fetched yet  (stored", runs[0].out)
        self.assertEqual(json.loads(runs[6].out)["credentials"],
                         {"value": {"auth_type": "oauth2", "header_name": None, "value": None,
                                    "token_url": "https://idp/token", "client_id": "cid", "scopes": [],
                                    "expires_at": None}, "source": "stored"})
        os.environ.update(NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")   # bypassed, as a real call does
        self.assertEqual(self.show("--url", self.URL)["proxy"], (None, "environment"))

    def test_it_agrees_with_what_a_real_send_uses(self):
        url, agent = self.agent()
        made = []

        class Spy(handler.Transport):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                made.append(self)
        os.environ.update(HANDLER_BEARER_TOKEN="env-token-0123456789", HANDLER_TRANSPORT="http+json",
                          HANDLER_RETRIES="1", HANDLER_MAX_RESPONSE="2M")
        argv = ("--timeout", "33", "--record", os.path.join(self.tmp, "rec.jsonl"))
        shown = self.show(*argv, "--url", url)
        with mock.patch.object(handler, "Transport", Spy):
            self.assertOk(self.run_cli(*argv, "message", "send", "--url", url, "hi"))
        self.assertEqual({k: shown[k][0] for k in ("timeout", "retries", "max_response", "record", "insecure")},
                         {k: getattr(made[0], k) for k in ("timeout", "retries", "max_response", "record",
                                                           "insecure")})
        self.assertEqual([r.headers.get("Authorization") for r in agent.received][-1],
                         "Bearer env-token-0123456789")
        self.assertEqual(shown["credentials"][1], "environment")
        self.assertTrue(any(":send" in r.path for r in agent.received), agent.received)   # HTTP+JSON
        self.assertEqual(shown["transport"], (["HTTP+JSON"], "environment"))
        self.assertEqual(agent.received[0].method, "GET")

    def test_bad_settings_fail_as_a_real_call_does(self):
        os.environ["HANDLER_RETRIES"] = "99"
        for argv in (["config", "show"], ["message", "send", "--url", self.URL, "hi"]):
            self.assertError(self.run_cli(*argv), 2, "HANDLER_RETRIES")
        os.environ.pop("HANDLER_RETRIES")
        self.assertError(self.run_proc("config", "show", "--url", "not a url"), 2)
        self.assertError(self.run_cli("config", "show", "--key", "k.pem"), 2, "--key needs --cert")


class ShortVersionFlagTests(HandlerTestCase):
    """A2ACLI_CLI_001: -v is --version."""

    def test_dash_v_prints_the_version(self):
        for r in (self.run_cli("-v"), self.run_proc("-v")):
            self.assertEqual(self.assertOk(r).out, handler.VERSION_LINE + "\n")
            self.assertEqual(r.err, "")
        self.assertIn("-v, --version", self.assertOk(self.run_cli("--help")).out)


class ProtocolErrorHintTests(HandlerTestCase):
    """A2ACLI_OUT_004 and A2ACLI_INTERACT_002: every A2A error carries a hint, in text and in the
    JSON envelope; a rejected --task-id points at --debug."""
    VERSIONS = ("1.0",)

    def test_a_rejected_task_id_points_at_debug(self):
        url, agent = self.agent()
        argv = ("message", "send", "--url", url, "--task-id", "no-such-task", "hi")
        line = self.assertError(self.run_cli(*argv), 1, "TaskNotFoundError", "no-such-task")
        self.assertIn("; check the task id (handler.py task list", line)
        self.assertTrue(line.endswith("; rerun with --debug to see what was sent"), line)
        error = self.assertJsonError(self.run_cli("-o", "json", *argv), "TaskNotFoundError", 1)
        self.assertEqual("Error: %s; %s" % (error["message"], error["hint"]), line)
        self.assertEqual(len(self.posts(agent)), 2)   # one request each, no retry

    def test_every_a2a_error_has_a_hint(self):
        url, srv = self.scripted()
        for code, name in ((-32002, "TaskNotCancelableError"),
                           (-32004, "UnsupportedOperationError"),
                           (-32602, "InvalidParamsError"), (-32603, "InternalError"),
                           (-32077, "A2AError")):
            with self.subTest(name=name):
                srv.posts.append(Reply(rpc_error(code, "no")))
                r = self.run_cli("-o", "json", "message", "send", "--url", url, "hi")
                error = self.assertJsonError(r, name, 1)
                self.assertTrue(error["hint"].endswith("; rerun with --debug to see what was sent")
                                or error["hint"] == "rerun with --debug to see what was sent", r)


class AuthRequiredNoteTests(HandlerTestCase):
    """A2ACLI_AUTH_011: a task in auth-required: the note says to give credentials, then to go
    on with the task, and that works."""
    VERSIONS = ("1.0",)

    def test_the_note_asks_for_credentials_and_going_on_works(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "auth-required")))))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "do it"))
        self.assertEqual(self.ids(r), ("t-1", "c-1", "auth-required"))
        self.assertNotIn("answer with", r.err)
        self.assertIn("the agent waits for credentials: store them with handler.py auth set --url "
                      "%s (or give --bearer-token or --api-key), then go on with " % url, r.err)
        then = r.err.partition("then go on with ")[2].split()
        self.assertEqual(then[:9], ["handler.py", "message", "send", "--url", url, "--context-id",
                                    "c-1", "--task-id", "t-1"])
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", "-",
                                   stdin="tok-0123456789abcdef\n"))
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "done")))))
        r = self.assertOk(self.run_cli(*then[1:9], "signed in"))
        self.assertEqual(self.ids(r), ("t-1", "c-1", "completed"))
        last = [q for q in srv.requests if q.method == "POST"][-1]
        self.assertEqual(last.headers["Authorization"], "Bearer tok-0123456789abcdef")
        self.assertEqual(last.json["params"]["message"]["taskId"], "t-1")

    def test_a_question_is_still_answered(self):
        url, srv = self.scripted()
        srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "input-required")))))
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "ask"))
        self.assertIn("the agent waits for you; answer with handler.py message send --url " + url,
                      r.err)
        self.assertNotIn("auth set", r.err)


class CardFromHostOrFileTests(HandlerTestCase):
    """A2ACLI_CARD_GET_001: a bare host:port is http:// on loopback, https:// elsewhere; card get
    reads a card from a file:// URL or a local path, without the network."""
    VERSIONS = ("1.0",)

    def test_a_bare_host_and_port(self):
        url, agent = self.agent()
        bare = url[len("http://"):]
        r = self.assertOk(self.run_cli("message", "send", "--url", bare, "hi"))
        self.assertIn("Echo: hi", r.out)
        self.assertEqual(list(self.saved()), [url])
        r = self.assertOk(self.run_proc("card", "get", "--url", bare))
        self.assertIn("Name: Handler Echo Agent", r.out)
        for given, expected in (("localhost:9999/path", "http://localhost:9999/path"),
                                ("[::1]:8000", "http://[::1]:8000"),
                                ("127.0.0.9:80", "http://127.0.0.9:80"),
                                ("agent.example:8443/a2a", "https://agent.example:8443/a2a"),
                                ("localhost.example:80", "https://localhost.example:80"),
                                ("127.0.0.1.example:80", "https://127.0.0.1.example:80"),
                                ("http://h:1", "http://h:1")):
            with self.subTest(given=given):
                self.assertEqual(handler.require_url(handler._Options(url=given), None), expected)
        shown = " ".join(self.assertOk(self.run_cli("card", "get", "--help")).out.split())
        self.assertIn("host:port: http:// on loopback, else https://", shown)

    def test_a_card_in_a_file(self):
        card = wcard(self.V, "http://127.0.0.1:1/")
        path = os.path.join(self.tmp, "card.json")
        with open(path, "w") as f:
            json.dump(card, f)
        for given in (path, "file://" + path):
            with self.subTest(given=given):
                r = self.assertOk(self.run_cli("card", "get", "--url", given))
                self.assertIn("Name: Scripted Agent\n", r.out)
                self.assertEqual(r.err, "")
                r = self.assertOk(self.run_proc("-o", "json", "card", "get", "--url", given))
                self.assertEqual(json.loads(r.out), card)
        with open(path, "w") as f:
            f.write("[1, 2]")
        error = self.assertJsonError(self.run_cli("-o", "json", "card", "get", "--url", path),
                                     "A2ACLI_ERR_CARD_INVALID", 1)
        self.assertEqual(error["message"], "agent card at %s is not a JSON object" % path)
        self.assertFalse(os.path.exists(self.home))   # no session store either


class CardWithoutCredentialsTests(HandlerTestCase):
    """A2ACLI_AUTH_008: the public card is asked for without credentials; an agent that refuses
    it so (401 or 403) is asked once more with them."""
    V = "1.0"

    def setUp(self):
        super().setUp()
        self.url, self.srv = self.scripted()
        self.assertOk(self.run_cli("auth", "set", "--url", self.url, "--bearer-token", SECRET))

    def gets(self):
        return [q.headers.get("Authorization") for q in self.srv.requests if q.method == "GET"]

    def test_the_card_goes_without_them_and_the_agent_gets_them(self):
        self.srv.posts.append(Reply(rpc(wsend(self.V, wtask(self.V, "completed", "Echo: hi")))))
        r = self.assertOk(self.run_cli("--debug", "message", "send", "--url", self.url, "hi"))
        self.assertEqual(self.gets(), [None])
        self.assertEqual(self.posts_auth(), ["Bearer " + SECRET])
        card_request = r.err.partition("< HTTP")[0]
        self.assertIn("> GET " + self.url + "/.well-known/agent-card.json", card_request)
        self.assertNotIn("Authorization", card_request)
        os.environ["HANDLER_API_KEY"] = SECRET   # an API key neither
        self.addCleanup(os.environ.pop, "HANDLER_API_KEY")
        self.assertOk(self.run_cli("card", "get", "--url", self.url))
        self.assertNotIn("X-API-Key", self.srv.requests[-1].headers)

    def posts_auth(self):
        return [q.headers.get("Authorization") for q in self.srv.requests if q.method == "POST"]

    def test_a_card_refused_without_them_is_asked_for_once_with_them(self):
        for status in (401, 403):
            with self.subTest(status=status):
                del self.srv.requests[:]
                self.srv.gets[CARD_PATH] = [Reply(b"", status), Reply(json.dumps(wcard(
                    self.V, self.url + "/")).encode())]
                r = self.assertOk(self.run_cli("card", "get", "--url", self.url))
                self.assertIn("Scripted", r.out)
                self.assertEqual(self.gets(), [None, "Bearer " + SECRET])
        self.srv.gets[CARD_PATH] = [Reply(b"", 401)] * 3   # refused with them too: one more, no
        del self.srv.requests[:]
        self.assertError(self.run_cli("card", "get", "--url", self.url), 4, "401")
        self.assertEqual(self.gets(), [None, "Bearer " + SECRET])

    def test_without_credentials_a_refused_card_is_not_asked_for_again(self):
        self.assertOk(self.run_cli("auth", "clear", "--url", self.url))
        self.srv.gets[CARD_PATH] = [Reply(b"", 401)] * 2
        self.assertError(self.run_cli("card", "get", "--url", self.url), 4, "401")
        self.assertEqual(self.gets(), [None])


class ApiKeySchemeTests(HandlerTestCase):
    """A2ACLI_AUTH_001: an API key goes where the card's apiKey scheme says (header, query or
    cookie, by its name), unless a header name was given; a query key is redacted in --debug,
    --record and errors, and never goes to another origin."""

    def card(self, scheme, v="1.0", endpoint=None):
        url, srv = self.scripted(v)
        card = wcard(v, endpoint or url + "/")
        card["securitySchemes"] = {"key": {"apiKeySecurityScheme": scheme} if v == "1.0" else
                                   {"type": "apiKey", **scheme}}
        srv.card = card
        srv.posts.extend(Reply(rpc(wsend(v, wtask(v, "completed", "ok")))) for _ in range(3))
        return url, srv

    def test_header_and_cookie_in_either_versions_shape(self):
        for v, scheme, header, value in (
                ("1.0", {"location": "header", "name": "X-Mine"}, "X-Mine", SECRET),
                ("0.3", {"in": "header", "name": "X-Mine"}, "X-Mine", SECRET),
                ("1.0", {"location": "cookie", "name": "sid"}, "Cookie", "sid=" + SECRET),
                ("0.3", {"in": "cookie", "name": "sid"}, "Cookie", "sid=" + SECRET)):
            with self.subTest(v=v, scheme=scheme):
                url, srv = self.card(scheme, v)
                r = self.assertOk(self.run_cli("--debug", "message", "send", "--url", url,
                                               "--api-key", "-", "hi", stdin=SECRET + "\n"))
                get, post = srv.requests
                self.assertEqual(post.headers.get(header), value)
                self.assertNotIn("X-API-Key", post.headers)
                self.assertNotIn(header, get.headers)   # the public card: none (AUTH_008)
                self.assertNotIn(SECRET, r.err)

    def test_query_redacted_and_only_to_the_interface(self):
        url, srv = self.card({"in": "query", "name": "api_key"}, "0.3")
        record = os.path.join(self.tmp, "rec.jsonl")
        os.environ["HANDLER_API_KEY"] = SECRET
        r = self.assertOk(self.run_cli("--debug", "--record", record, "message", "send",
                                       "--url", url, "hi"))
        get, post = srv.requests
        self.assertEqual(post.path, "/?api_key=" + quote(SECRET))
        self.assertEqual(get.path, CARD_PATH)
        self.assertFalse({"X-API-Key", "Cookie"} & set(post.headers))
        self.assertIn("> POST " + url + "/?api_key=[redacted]\n", r.err)
        with open(record, encoding="utf-8") as f:
            self.assertNotIn(SECRET, f.read())
        self.assertNotIn(SECRET, r.err + r.out)
        srv.posts[:] = [Reply(b"boom", 500, "text/plain")]   # an error names the URL: redacted
        r = self.run_cli("message", "send", "--url", url, "hi")
        self.assertError(r, 1, "api_key=[redacted]")
        self.assertNotIn(SECRET, r.err)

    def test_a_given_header_name_wins(self):
        url, srv = self.card({"location": "query", "name": "api_key"})
        self.assertOk(self.run_cli("message", "send", "--url", url, "--api-key", "-",
                                   "--api-key-header", "X-Given", "hi", stdin=SECRET + "\n"))
        self.assertEqual((srv.requests[-1].path, srv.requests[-1].headers.get("X-Given")),
                         ("/", SECRET))
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--api-key", "-", "--header-name",
                                   "X-Stored", stdin=SECRET + "\n"))
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(srv.requests[-1].headers.get("X-Stored"), SECRET)
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--api-key", "-",
                                   stdin=SECRET + "\n"))   # no name given: the card's place
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertEqual(srv.requests[-1].path, "/?api_key=" + SECRET)

    def test_never_to_another_origin(self):
        url, srv = self.card({"location": "query", "name": "api_key"})
        srv.card["supportedInterfaces"][0]["url"] = url.replace("127.0.0.1", "localhost") + "/"
        os.environ["HANDLER_API_KEY"] = SECRET
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertIn("your credentials are not sent there", r.err)
        post = srv.requests[-1]
        self.assertEqual((post.method, post.path), ("POST", "/"))
        self.assertNotIn(SECRET, str(post.headers))

    def test_subprocess_query_key(self):
        url, srv = self.card({"location": "query", "name": "api_key"})
        os.environ["HANDLER_API_KEY"] = SECRET
        r = self.assertOk(self.run_proc("--debug", "message", "send", "--url", url, "hi"))
        self.assertEqual(srv.requests[-1].path, "/?api_key=" + SECRET)
        self.assertIn("api_key=[redacted]", r.err)
        self.assertNotIn(SECRET, r.err + r.out)


class ExtendedCardSchemeTests(HandlerTestCase):
    """A2ACLI_CARD_GET_003: card get --extended sends a credential only through a scheme that the
    public card declares; else one line, exit 4, nothing sent. A card declaring none: lenient."""
    TOKEN = "agent-token-0123456789"

    def scripted_extended(self, schemes=None):
        url, srv = self.scripted("1.0")
        srv.card = wcard("1.0", url + "/")
        srv.card["capabilities"]["extendedAgentCard"] = True
        if schemes:
            srv.card["securitySchemes"] = schemes
        srv.posts.append(Reply(rpc(dict(srv.card, name="Extended"))))
        return url, srv

    def test_a_credential_of_another_kind_is_refused_unsent(self):
        url, agent = self.agent(("1.0",), token=self.TOKEN)   # declares a bearer scheme
        line = self.assertError(self.run_cli("card", "get", "--extended", "--url", url,
                                             "--api-key", "-", stdin=SECRET + "\n"), 4,
                                "no security scheme for your api key credential", "declares: bearer")
        self.assertNotIn(SECRET, line)
        self.assertJsonError(self.run_cli("-o", "json", "card", "get", "--extended", "--url", url,
                                          "--api-key", "-", stdin=SECRET + "\n"),
                             "A2ACLI_ERR_CREDENTIALS_MISSING", 4)
        self.assertEqual(self.posts(agent), [])
        self.assertOk(self.run_cli("card", "get", "--extended", "--url", url, "--bearer-token",
                                   self.TOKEN))   # the kind it declares
        url, srv = self.scripted_extended({"k": {"type": "apiKey", "in": "header", "name": "X-K"}})
        self.assertError(self.run_cli("card", "get", "--extended", "--url", url, "--bearer-token",
                                      "-", stdin=self.TOKEN + "\n"), 4, "your bearer credential",
                         "declares: k")
        self.assertEqual([q.method for q in srv.requests], ["GET"])
        r = self.assertOk(self.run_cli("card", "get", "--extended", "--url", url, "--api-key", "-",
                                       stdin=SECRET + "\n"))
        self.assertIn("Extended", r.out)
        self.assertEqual(srv.requests[-1].headers.get("X-K"), SECRET)

    def test_oauth_and_openid_schemes_take_a_bearer_token(self):
        for scheme in ({"oauth2SecurityScheme": {"flows": {}}}, {"type": "openIdConnect"},
                       {"httpAuthSecurityScheme": {"scheme": "Bearer"}}):
            with self.subTest(scheme=scheme):
                url, srv = self.scripted_extended({"s": scheme})
                self.assertOk(self.run_cli("card", "get", "--extended", "--url", url,
                                           "--bearer-token", self.TOKEN))
                self.assertEqual(srv.requests[-1].headers["Authorization"], "Bearer " + self.TOKEN)

    def test_a_card_declaring_no_scheme_gets_what_was_given(self):
        url, srv = self.scripted_extended()
        r = self.assertOk(self.run_cli("card", "get", "--extended", "--url", url, "--api-key", "-",
                                       stdin=SECRET + "\n"))
        self.assertIn("Extended", r.out)
        self.assertEqual(srv.requests[-1].headers.get("X-API-Key"), SECRET)

    def test_subprocess_refusal(self):
        url, agent = self.agent(("1.0",), token=self.TOKEN)
        os.environ["HANDLER_API_KEY"] = SECRET
        self.assertError(self.run_proc("card", "get", "--extended", "--url", url), 4,
                         "no security scheme for your api key credential")
        self.assertEqual(self.posts(agent), [])


class ProxyTests(_TlsAgents, HandlerTestCase):
    """HTTP_PROXY / HTTPS_PROXY / NO_PROXY, as curl reads them."""

    def proxy(self, password=None):
        server = ThreadingHTTPServer(("127.0.0.1", 0), ForwardProxyHandler)
        server.daemon_threads, server.seen = True, []
        server.password = password and "Basic " + base64.b64encode(password.encode()).decode()
        server.handle_error = lambda request, address: None
        return self._serve(server), server

    def use_proxy(self, proxy_url, no_proxy=""):
        for name in ("NO_PROXY", "no_proxy"):
            os.environ[name] = no_proxy
        os.environ.update(HTTP_PROXY=proxy_url, http_proxy=proxy_url)

    def test_requests_go_through_the_proxy_and_the_conversation_continues(self):
        url, agent = self.agent(token="s3cret")
        proxy_url, proxy = self.proxy()
        self.use_proxy(proxy_url)
        first = self.assertOk(self.run_proc("message", "send", "--url", url, "--bearer-token", "s3cret", "hello"))
        self.assertIn("Echo: hello", first.out)
        paths = [(r.method, r.path) for r in proxy.seen]
        self.assertEqual(paths[0], ("GET", url + "/.well-known/agent-card.json"))
        self.assertEqual(paths[-1][0], "POST")
        self.assertTrue(paths[-1][1].startswith(url + "/"), paths)
        self.assertEqual(proxy.seen[-1].headers.get("Authorization"), "Bearer s3cret")   # to the agent, via the proxy
        self.assertEqual(len(agent.received), len(proxy.seen))                            # nothing went round it
        second = self.assertOk(self.run_proc("message", "send", "--url", url, "--bearer-token", "s3cret", "again"))
        self.assertEqual(self.ids(first)[1], self.ids(second)[1])

    def test_no_proxy_bypasses_it(self):
        url, agent = self.agent()
        proxy_url, proxy = self.proxy()
        self.use_proxy(proxy_url, no_proxy="localhost,127.0.0.1")
        self.assertOk(self.run_proc("card", "get", "--url", url))
        self.assertEqual(proxy.seen, [])
        self.assertEqual([r.path for r in agent.received], ["/.well-known/agent-card.json"])

    def test_a_proxy_password_in_the_url_and_a_wrong_one(self):
        url, agent = self.agent()
        proxy_url, proxy = self.proxy(password="u:p@ss")
        host = proxy_url.split("//", 1)[1]
        self.use_proxy("http://u:p%40ss@" + host)
        r = self.assertOk(self.run_proc("--debug", "message", "send", "--url", url, "hi"))
        self.assertIn("Echo: hi", r.out)
        self.assertNotIn("p@ss", r.err)
        self.assertNotIn("p%40ss", r.err)
        self.assertTrue(all("Proxy-Authorization" not in r.headers for r in agent.received))   # not passed on
        self.use_proxy("http://u:wrong@" + host)
        self.assertError(self.run_proc("card", "get", "--url", url), 4, "proxy", "407")

    def test_https_goes_through_a_connect_tunnel_verified_end_to_end(self):
        url, agent = self.tls_agent(token="s3cret")
        proxy_url, proxy = self.proxy(password="u:pw")
        host = proxy_url.split("//", 1)[1]
        os.environ.update(HTTPS_PROXY="http://u:pw@" + host, https_proxy="http://u:pw@" + host, NO_PROXY="", no_proxy="")
        r = self.assertOk(self.run_proc("--ca-file", self.pem["ca.pem"], "message", "stream", "--url", url,
                                        "--bearer-token", "s3cret", "tunnelled"))
        self.assertIn("Echo: tunnelled", r.out)
        self.assertEqual({(x.method, x.path) for x in proxy.seen}, {("CONNECT", url.split("//", 1)[1])})
        self.assertTrue(all("Authorization" not in x.headers for x in proxy.seen))   # the token went inside TLS only
        self.assertError(self.run_proc("message", "send", "--url", url, "hi"), 3,
                         "unable to get local issuer certificate")                  # still verified, through the tunnel
        os.environ.update(HTTPS_PROXY="http://u:wrong@" + host, https_proxy="http://u:wrong@" + host)
        self.assertError(self.run_proc("--ca-file", self.pem["ca.pem"], "card", "get", "--url", url), 4,
                         "proxy", "407")

    def test_an_unreachable_proxy_is_one_line(self):
        url, _ = self.agent()
        port = socket.socket()
        port.bind(("127.0.0.1", 0))
        closed = port.getsockname()[1]
        port.close()
        self.use_proxy("http://127.0.0.1:%d" % closed)
        os.environ["HANDLER_RETRIES"] = "0"              # refused at once, not after two retries
        self.assertError(self.run_proc("message", "send", "--url", url, "hi"), 3, "refused")


# ============================================================================ 28. OAuth2

CLIENT_ID = "handler-cli"
CLIENT_SECRET = "cs-0123456789:abc/def+SECRET"   # ':', '/' and '+': client_secret_basic must escape them
DEVICE_CODE = "dc-GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"
USER_CODE = "WDJB-MJHT"


class OAuthHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        srv = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        req = Req("POST", self.path, self.headers, body)
        req.form = dict(parse_qsl(body.decode("ascii", "replace")))
        req.at = handler.monotonic()   # the test's fake clock, if it has one
        with srv.lock:
            srv.requests.append(req)
            status, answer, headers = srv.answer(req)
        data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(answer, bytes) else "application/json")
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class OAuthServer(ThreadingHTTPServer):
    """An authorization server: /token answers client_credentials (client_secret_basic), refresh_token
    (rotating the refresh token) and device_code grants; /device starts the device flow (RFC 8628).
    `script` replays canned /token answers first; `device` is the outcome of each device_code poll
    ("authorization_pending", "slow_down", "access_denied", "expired_token" or "token"); `tokens` are
    the access tokens to issue first; `device_reply` replaces the /device answer. Every request lands
    in `requests`, with its form and time."""
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), OAuthHandler)
        self.lock = threading.Lock()
        self.requests, self.script, self.device, self.tokens = [], [], [], []
        self.issued, self.valid, self.refresh_tokens = [], set(), set()
        self.expires_in, self.interval, self.device_expires_in = 3600, 0.2, 60
        self.give_refresh, self.device_reply = True, None

    def handle_error(self, request, client_address):
        pass

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def token_requests(self):
        return [r for r in self.requests if r.path == "/token"]

    def issue(self, refresh):
        token = self.tokens.pop(0) if self.tokens else "at%d-%s" % (len(self.issued), uuid.uuid4().hex)
        self.issued.append(token)
        self.valid.add(token)
        answer = {"access_token": token, "token_type": "Bearer"}
        if self.expires_in is not None:
            answer["expires_in"] = self.expires_in
        if refresh:
            answer["refresh_token"] = "rt%d-%s" % (len(self.issued), uuid.uuid4().hex)
            self.refresh_tokens.add(answer["refresh_token"])
        return 200, answer, ()

    def answer(self, req):
        form = req.form
        if req.path == "/device":
            if self.device_reply:
                return self.device_reply
            if form.get("client_id") != CLIENT_ID:
                return 400, {"error": "invalid_client"}, ()
            return 200, {"device_code": DEVICE_CODE, "user_code": USER_CODE, "verification_uri": self.url + "/activate",
                         "expires_in": self.device_expires_in, "interval": self.interval}, ()
        if req.path != "/token":
            return 404, {"error": "not_found"}, ()
        if self.script:
            return self.script.pop(0)
        grant = form.get("grant_type")
        if grant == "client_credentials":
            kind, _, value = (req.headers.get("Authorization") or "").partition(" ")
            user, _, password = base64.b64decode(value or "").decode().partition(":")
            if kind != "Basic" or (unquote_plus(user), unquote_plus(password)) != (CLIENT_ID, CLIENT_SECRET):
                return 401, {"error": "invalid_client", "error_description": "unknown client"}, [
                    ("WWW-Authenticate", 'Basic realm="token"')]
            return self.issue(refresh=False)
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens or form.get("client_id") != CLIENT_ID:
                return 400, {"error": "invalid_grant", "error_description": "refresh token revoked"}, ()
            self.refresh_tokens.discard(form["refresh_token"])
            return self.issue(refresh=True)
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            if form.get("device_code") != DEVICE_CODE or form.get("client_id") != CLIENT_ID:
                return 400, {"error": "invalid_grant"}, ()
            outcome = self.device.pop(0) if self.device else "token"
            return self.issue(self.give_refresh) if outcome == "token" else (400, {"error": outcome}, ())
        return 400, {"error": "unsupported_grant_type"}, ()


class ResourceHandler(BaseHTTPRequestHandler):
    """An agent that accepts only the access tokens its authorization server holds valid, answering
    401 with WWW-Authenticate (RFC 6750) otherwise, or for the next `reject` requests and the POSTs
    numbered in `refuse` (from 1) whatever they hold."""
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        srv = self.server
        srv.requests.append(Req("GET", self.path, self.headers, b""))
        if self.path != "/.well-known/agent-card.json":
            return self._send(404, {"error": "not found"})
        self._send(200, srv.card or oauth_card(srv.version, "http://%s/" % self.headers["Host"], srv.oauth.url))

    def do_POST(self):
        srv = self.server
        req = Req("POST", self.path, self.headers, self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        srv.requests.append(req)
        kind, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if srv.reject > 0 or len(srv.posts()) in srv.refuse or kind != "Bearer" or token not in srv.oauth.valid:
            srv.reject -= 1
            return self._send(401, {"error": {"code": 401, "message": "invalid token"}}, [
                ("WWW-Authenticate", 'Bearer realm="agent", error="invalid_token"')])
        v, message = srv.version, req.json["params"].get("message")
        result = wsend(v, wtask(v, "completed", "Echo: " + message["parts"][0]["text"])) if message else \
            wtask(v, "completed", "Echo")                                  # GetTask
        self._send(200, {"jsonrpc": "2.0", "id": req.json["id"], "result": result})


class ResourceServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, version, oauth):
        super().__init__(("127.0.0.1", 0), ResourceHandler)
        self.version, self.oauth, self.card, self.requests, self.reject, self.refuse = version, oauth, None, [], 0, ()

    def handle_error(self, request, client_address):
        pass

    def posts(self):
        return [r for r in self.requests if r.method == "POST"]

    def bearers(self):
        return [r.headers.get("Authorization") for r in self.posts()]


def oauth_card(v, url, auth_url, device=True):
    """The card of an agent secured with OAuth2. 1.x: client credentials and (unless device=False) a
    device code flow, each in an oauth2SecurityScheme of its own (flows is a proto oneof); 0.3, which
    has no device flow: client credentials."""
    card = wcard(v, url)
    scopes = {"read": "Read tasks", "write": "Send messages"}
    card.update(defaultInputModes=["text/plain"], defaultOutputModes=["text/plain"], skills=[
        {"id": "echo", "name": "Echo", "description": "Echoes what you say.", "tags": ["echo"]}])
    client = {"tokenUrl": auth_url + "/token", "scopes": scopes}
    if v == "0.3":
        card["securitySchemes"] = {"oauth": {"type": "oauth2", "flows": {"clientCredentials": client}}}
        card["security"] = [{"oauth": ["read", "write"]}]
        return card
    card["securitySchemes"] = {"service": {"oauth2SecurityScheme": {"flows": {"clientCredentials": client}}}}
    card["securityRequirements"] = [{"schemes": {"service": {"list": ["read", "write"]}}}]
    if device:
        card["securitySchemes"]["user"] = {"oauth2SecurityScheme": {"flows": {"deviceCode": {
            "deviceAuthorizationUrl": auth_url + "/device", "tokenUrl": auth_url + "/token", "scopes": scopes}}}}
        card["securityRequirements"].append({"schemes": {"user": {"list": ["read", "write"]}}})
    return card


class _OAuth:
    """Helpers: an authorization server, agents behind it, and client credentials stored for them."""

    def setUp(self):
        super().setUp()
        self.oauth = OAuthServer()
        self._serve(self.oauth)
        self.token_url = self.oauth.url + "/token"

    def resource(self, version=None):
        server = ResourceServer(version or self.V, self.oauth)
        return self._serve(server), server

    def set_client(self, url, *more, run=None):
        r = self.assertOk((run or self.run_cli)("auth", "set", "--url", url, "--oauth2-token-url", self.token_url,
                                                "--client-id", CLIENT_ID, "--client-secret", "-", "--scope", "read",
                                                "--scope", "write", *more, stdin=CLIENT_SECRET + "\n"))
        return r

    def stored(self, url):
        return self.saved()[url]["credentials"]

    def edit_stored(self, url, **changes):
        """Change the stored credentials (value, or keys of oauth) in sessions.json."""
        raw = self.saved()
        creds = raw[url]["credentials"]
        if "value" in changes:
            creds["value"] = changes.pop("value")
        creds["oauth"].update(changes)
        with open(self.sessions_path, "w", encoding="utf-8") as f:
            json.dump(raw, f)

    def assertNoSecrets(self, results, secrets):
        for r in results:
            for secret in secrets:
                self.assertNotIn(secret, r.out + r.err, r)
                self.assertNotIn(secret[4:], r.out + r.err, r)


class _ClientCredentials(_OAuth):
    def test_token_fetched_when_needed_stored_and_reused(self):
        token = "at-first-" + uuid.uuid4().hex
        self.oauth.tokens.append(token)
        url, agent = self.agent(versions=(self.V,), token=token)
        r = self.set_client(url)
        self.assertEqual(r.out, "Stored OAuth2 client %s at %s for %s\n" % (CLIENT_ID, self.token_url, url))
        self.assertNotIn(CLIENT_SECRET, r.out + r.err)
        creds = self.stored(url)
        self.assertEqual((creds["auth_type"], creds["value"]), ("oauth2", ""))
        self.assertEqual(creds["oauth"], {"token_url": self.token_url, "client_id": CLIENT_ID,
                                          "client_secret": CLIENT_SECRET, "scopes": ["read", "write"]})
        self.assertEqual(self.oauth.requests, [])                      # fetched when needed, not before
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        [req] = self.oauth.token_requests()
        self.assertEqual(req.form, {"grant_type": "client_credentials", "scope": "read write"})
        self.assertEqual(req.headers["Content-Type"], "application/x-www-form-urlencoded")
        kind, _, value = req.headers["Authorization"].partition(" ")   # client_secret_basic (RFC 6749, 2.3.1)
        self.assertEqual(kind, "Basic")
        self.assertEqual(base64.b64decode(value).decode(), "%s:%s" % (CLIENT_ID, quote(CLIENT_SECRET, safe="")))
        self.assertEqual(self.posts(agent)[-1].headers["Authorization"], "Bearer " + token)
        creds = self.stored(url)
        self.assertEqual(creds["value"], token)
        self.assertEqual(creds["oauth"]["client_secret"], CLIENT_SECRET)
        self.assertAlmostEqual(creds["oauth"]["expires_at"], time.time() + 3600, delta=60)
        self.assertEqual(os.stat(self.sessions_path).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(self.home).st_mode & 0o777, 0o700)
        # the next calls, in-process and in a subprocess, use the stored token: no new token request
        self.assertOk(self.run_cli("message", "stream", "--url", url, "again"))
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "third"))
        self.assertTrue(r.out.startswith("Echo: third\n"), r)
        self.assertEqual(len(self.oauth.token_requests()), 1)
        self.assertEqual([p.headers["Authorization"] for p in self.posts(agent)], ["Bearer " + token] * 3)
        self.assertEqual(os.stat(self.sessions_path).st_mode & 0o777, 0o600)

    def test_set_in_a_subprocess_secret_from_stdin(self):
        url, agent = self.resource()
        r = self.set_client(url, run=self.run_proc)
        self.assertNotIn(CLIENT_SECRET, r.out + r.err)
        self.assertEqual(self.stored(url)["oauth"]["client_secret"], CLIENT_SECRET)
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        self.assertEqual(agent.bearers(), ["Bearer " + self.oauth.issued[0]])
        self.assertEqual(self.stored(url)["value"], self.oauth.issued[0])
        self.assertEqual(os.stat(self.sessions_path).st_mode & 0o777, 0o600)

    def test_token_about_to_expire_is_renewed_before_use(self):
        url, agent = self.resource()
        self.set_client(url)
        self.assertOk(self.run_cli("message", "send", "--url", url, "one"))
        first = self.oauth.issued[0]
        self.edit_stored(url, expires_at=int(time.time()) + 20)        # 20 s left: renewed first
        self.assertOk(self.run_cli("message", "send", "--url", url, "two"))
        self.assertEqual(len(self.oauth.issued), 2)
        second = self.oauth.issued[1]
        self.assertEqual(agent.bearers(), ["Bearer " + first, "Bearer " + second])   # no 401 on the way
        self.assertEqual(self.stored(url)["value"], second)
        self.assertAlmostEqual(self.stored(url)["oauth"]["expires_at"], time.time() + 3600, delta=60)
        self.edit_stored(url, expires_at=int(time.time()) - 100)       # expired already: renewed too
        self.assertOk(self.run_cli("message", "send", "--url", url, "three"))
        self.assertEqual(len(self.oauth.issued), 3)
        self.assertEqual(agent.bearers()[-1], "Bearer " + self.oauth.issued[2])

    def test_short_lived_tokens_fetched_once_per_call(self):
        self.oauth.expires_in = 30   # shorter than the renewal margin: still one token per command
        url, agent = self.resource()
        self.set_client(url)
        self.assertOk(self.run_cli("message", "send", "--url", url, "one"))
        self.assertEqual(len(self.oauth.token_requests()), 1)
        self.assertEqual(agent.bearers(), ["Bearer " + self.oauth.issued[0]])
        self.assertAlmostEqual(self.stored(url)["oauth"]["expires_at"], time.time() + 30, delta=10)
        self.assertOk(self.run_cli("message", "stream", "--url", url, "two"))   # about to expire: renewed
        self.assertEqual(len(self.oauth.token_requests()), 2)
        self.assertEqual(agent.bearers()[-1], "Bearer " + self.oauth.issued[1])

    def test_401_once_renews_once_and_retries(self):
        token = "at-renewed-" + uuid.uuid4().hex
        self.oauth.tokens.append(token)
        url, agent = self.agent(versions=(self.V,), token=token)      # the built-in agent: only `token`
        self.set_client(url)
        self.edit_stored(url, value="at-stale-" + uuid.uuid4().hex, expires_at=int(time.time()) + 3000)
        stale = self.stored(url)["value"]
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        self.assertEqual(r.err, "")
        self.assertEqual(len(self.oauth.token_requests()), 1)
        self.assertEqual([p.headers["Authorization"] for p in self.posts(agent)],
                         ["Bearer " + stale, "Bearer " + token])
        self.assertEqual(self.stored(url)["value"], token)
        # a stream: the same, once (the built-in agent takes one token: the server hands it out again)
        self.oauth.tokens.append(token)
        self.edit_stored(url, value=stale)
        agent.received.clear()
        r = self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertIn("Echo: hi", r.out)
        self.assertEqual(len(self.oauth.token_requests()), 2)
        self.assertEqual([p.headers["Authorization"] for p in self.posts(agent)],
                         ["Bearer " + stale, "Bearer " + token])
        self.assertEqual(self.stored(url)["value"], token)

    def test_401_twice_is_one_error_without_a_loop(self):
        url, agent = self.resource()
        self.set_client(url)
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        agent.reject = 100                                               # the agent refuses every token now
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 4, "401", "rejected the credentials",
                         "new OAuth2 token was refused too", "--scope")
        self.assertEqual(len(self.oauth.token_requests()), 2)            # one renewal
        self.assertEqual(len(agent.posts()), 3)                           # one retry
        self.assertEqual(agent.bearers()[-1], "Bearer " + self.oauth.issued[1])
        self.assertError(self.run_cli("message", "stream", "--url", url, "hi"), 4, "401", "rejected the credentials")
        self.assertEqual((len(self.oauth.token_requests()), len(agent.posts())), (3, 5))
        r = self.run_proc("message", "send", "--url", url, "hi")
        self.assertError(r, 4, "401", "rejected the credentials")
        self.assertEqual((len(self.oauth.token_requests()), len(agent.posts())), (4, 7))
        # no token yet: one fetched for the call (its card is in the session: no card request), and
        # a token this call fetched is not renewed again: one POST, no more
        self.edit_stored(url, value="")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 4, "401", "refused too")
        self.assertEqual((len(self.oauth.token_requests()), len(agent.posts())), (5, 8))

    def test_401_in_a_long_conversation_renews_each_time(self):
        url, agent = self.resource()
        self.set_client(url)
        agent.refuse = {2, 4}                                   # the token revoked before turns 2 and 3
        r = self.assertOk(self.run_cli("chat", "--url", url, stdin="one\ntwo\nthree\n"))
        self.assertEqual([line for line in r.out.splitlines() if line.startswith("Echo")],
                         ["Echo: one", "Echo: two", "Echo: three"], r)
        first, second, third = self.oauth.issued
        self.assertEqual(agent.bearers(), ["Bearer " + t for t in (first, first, second, second, third)])
        self.assertEqual(self.stored(url)["value"], third)

    def test_mcp_server_stores_and_reuses_the_token(self):
        url, agent = self.resource()
        self.set_client(url)
        proc = McpProc(self)
        proc.initialize()
        for text in ("one", "two"):
            self.assertTrue(proc.ok("send_message", agent_url=url, message=text)[0].startswith("Echo: " + text))
        self.assertEqual(len(self.oauth.token_requests()), 1)
        [token] = self.oauth.issued
        self.assertEqual(agent.bearers(), ["Bearer " + token] * 2)
        self.assertEqual(self.stored(url)["value"], token)
        self.oauth.valid.clear()                                          # a 401: renewed, retried, stored
        self.assertTrue(proc.ok("get_task", agent_url=url)[0].startswith("Echo"))
        self.assertEqual(self.stored(url)["value"], self.oauth.issued[1])
        self.assertEqual(agent.bearers()[2:], ["Bearer " + token, "Bearer " + self.oauth.issued[1]])
        self.assertNotIn(token, proc.err)

    def test_token_endpoint_errors_are_one_line(self):
        url, agent = self.resource()
        self.fake_clock()                           # the retries wait in fake time
        self.set_client(url)
        cases = [
            ((401, {"error": "invalid_client", "error_description": "unknown client"}, ()), 4,
             ("invalid_client", "unknown client", self.token_url)),
            ((500, b"<html><body>Internal Server Error</body></html>", ()), 4,
             ("HTTP 500", "without a usable JSON body", self.token_url)),
            ((200, b"access_token=nope&token_type=bearer", ()), 4, ("HTTP 200", "without a usable JSON body")),
            ((200, {"token_type": "Bearer", "expires_in": 3600}, ()), 4, ("access_token", self.token_url)),
            ((200, {"access_token": "", "token_type": "Bearer"}, ()), 4, ("access_token",)),
            ((400, {"error": "invalid_scope"}, ()), 4, ("invalid_scope",)),
            ((400, {"error": "invalid_request", "error_description": "line one\nline two\r\n" + "x" * 2000}, ()), 4,
             ("invalid_request: line one line two xxx",)),
        ]
        for reply, code, fragments in cases:
            with self.subTest(reply=reply[:2]):
                self.oauth.script.append(reply)
                self.assertError(self.run_cli("message", "send", "--url", url, "hi"), code, *fragments)
                self.assertEqual(self.oauth.script, [])
        self.assertEqual(agent.posts(), [])                               # nothing sent without a token
        self.assertEqual(self.stored(url)["value"], "")
        self.oauth.script.append(cases[0][0])
        error = self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"),
                                     "A2ACLI_ERR_AUTH_FAILED", 4)
        self.assertIn("invalid_client", error["message"])
        # unreachable: the exit code of a network failure, and the token endpoint named
        self.edit_stored(url, token_url="http://127.0.0.1:%d/token" % closed_port())
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "connection refused",
                         self.stored(url)["oauth"]["token_url"])
        self.assertEqual(agent.posts(), [])

    def test_token_endpoint_must_be_https_unless_loopback(self):
        url, agent = self.resource()
        for bad in ("http://auth.example.com/token", "http://127.0.0.1@auth.example.com/token",
                    "http://127.0.0.1.example.com/token"):
            with self.subTest(bad=bad):
                r = self.run_cli("auth", "set", "--url", url, "--oauth2-token-url", bad, "--client-id", CLIENT_ID,
                                 "--client-secret", "-", stdin=CLIENT_SECRET)
                self.assertError(r, 2, "must use https", "loopback")
        self.assertError(self.run_cli("auth", "set", "--url", url, "--oauth2-token-url", "ftp://auth.example.com/t",
                                      "--client-id", CLIENT_ID, "--client-secret", "x"), 2, "not an http(s) URL")
        self.assertFalse(os.path.exists(self.sessions_path))             # nothing stored
        for good in ("https://auth.example.com/token", "http://localhost:9/token", "http://[::1]:9/token"):
            self.assertOk(self.run_cli("auth", "set", "--url", url, "--oauth2-token-url", good, "--client-id",
                                       CLIENT_ID, "--client-secret", "x"))
        # a stored one that is not (an older file, or one edited by hand) is refused when used, before any request
        self.edit_stored(url, token_url="http://auth.example.com/token")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 2, "must use https")
        self.assertEqual(agent.posts(), [])

    def test_secrets_and_tokens_never_shown(self):
        url, agent = self.resource()
        outputs = [self.set_client(url),
                   self.set_client(url, run=lambda *argv, **kw: self.run_cli("-o", "json", *argv, **kw))]

        def run(*argv):
            outputs.append(self.assertOk(self.run_cli(*argv)))
            return outputs[-1]
        debug = [run("--debug", "message", "send", "--url", url, "hi")]
        self.edit_stored(url, value="at-stale-" + uuid.uuid4().hex)     # a 401, a renewal, a retry
        debug.append(run("--debug", "message", "stream", "--url", url, "hi"))
        debug.append(run("--debug", "-o", "json", "message", "send", "--url", url, "hi"))
        for argv in (("auth", "show"), ("session", "list"), ("session", "show", url), ("task", "get", "--url", url)):
            run(*argv)
            run("-o", "json", *argv)
        self.assertEqual(len(self.oauth.issued), 2)
        self.assertEqual(len(agent.posts()), 6)
        shown = json.loads(self.run_cli("-o", "json", "auth", "show").out)["credentials"][0]
        self.assertEqual(shown["token_url"], self.token_url)
        self.assertNotIn("client_secret", shown)
        r = self.run_proc("--debug", "message", "send", "--url", url, "hi")
        outputs.append(self.assertOk(r))
        basic = self.oauth.token_requests()[0].headers["Authorization"].split()[1]
        self.assertNoSecrets(outputs, [CLIENT_SECRET, quote(CLIENT_SECRET, safe=""), basic] + self.oauth.issued)
        for r in debug:
            self.assertIn("Authorization: [redacted]", r.err)
        for r in debug[:2]:                                                # the two that fetched a token
            self.assertIn("debug: > POST %s" % self.token_url, r.err)
        self.assertIn("grant_type=client_credentials", debug[0].err)
        self.assertIn("HTTP 401", debug[1].err)


class ClientCredentialsV10(_ClientCredentials, HandlerTestCase):
    VERSIONS = ("1.0",)

    def test_401_over_the_http_json_binding_renews_once(self):
        token = "at-renewed-" + uuid.uuid4().hex
        url, agent = self.agent(versions=("1.0",), token=token)          # its card: JSON-RPC, then HTTP+JSON
        self.set_client(url)
        stale = "at-stale-" + uuid.uuid4().hex
        for command in ("send", "stream"):
            with self.subTest(command=command):
                self.oauth.tokens.append(token)
                self.edit_stored(url, value=stale, expires_at=int(time.time()) + 3000)
                agent.received.clear()
                r = self.assertOk(self.run_cli("--transport", "http+json", "message", command, "--url", url, "hi"))
                self.assertIn("Echo: hi", r.out)
                posts = self.posts(agent)
                self.assertEqual([p.path for p in posts], ["/rest/message:" + command] * 2)
                self.assertEqual([p.headers["Authorization"] for p in posts], ["Bearer " + stale, "Bearer " + token])
                self.assertEqual(self.stored(url)["value"], token)
        self.assertEqual(len(self.oauth.token_requests()), 2)


class ClientCredentialsV03(_ClientCredentials, HandlerTestCase):
    VERSIONS = ("0.3",)


class TokenUrlShapeTests(_OAuth, HandlerTestCase):
    """A token endpoint that is no URL (a port that is not a number, a space) is refused at once."""
    VERSIONS = ("1.0",)

    def test_a_malformed_token_url_is_a_usage_error(self):
        url, agent = self.resource()
        for bad in ("https://auth.example.com:port/token", "https://auth.example.com/my token"):
            with self.subTest(bad=bad):
                self.assertError(self.run_cli("auth", "set", "--url", url, "--oauth2-token-url", bad,
                                              "--client-id", CLIENT_ID, "--client-secret", "x"),
                                 2, "not an http(s) URL")
        self.assertFalse(os.path.exists(self.sessions_path))             # nothing stored
        self.assertEqual(agent.posts(), [])


class DeviceFlowTests(_OAuth, HandlerTestCase):
    """The device flow polls in fake time (self.clock); the server records its requests on it."""
    VERSIONS = ("1.0",)

    def setUp(self):
        super().setUp()
        self.clock = self.fake_clock()

    def login(self, url, *more, run=None):
        return (run or self.run_cli)("auth", "login", "--url", url, "--client-id", CLIENT_ID, *more)

    def test_cards_are_valid(self):
        for v in ("1.0", "0.3"):
            card = oauth_card(v, "http://127.0.0.1:1/", self.oauth.url)
            self.assertEqual(handler.validate_card(card), ("1.x" if v == "1.0" else "0.3", []))
        self.assertEqual(handler.device_flow(oauth_card("1.0", "http://127.0.0.1:1/", self.oauth.url)),
                         (self.oauth.url + "/device", self.token_url, ["read", "write"]))

    def test_login_polls_as_told_stores_tokens_and_send_uses_them(self):
        self.oauth.device = ["authorization_pending", "slow_down", "token"]   # slow_down: 5 s more
        url, agent = self.resource()
        r = self.assertOk(self.login(url))
        lines = r.err.splitlines()
        self.assertEqual(lines, ["sign in: To sign in, open %s/activate and enter the code %s" % (self.oauth.url,
                                                                                                USER_CODE)], r)
        device, *polls = self.oauth.requests
        self.assertEqual((device.path, device.form), ("/device", {"client_id": CLIENT_ID, "scope": "read write"}))
        self.assertEqual(len(polls), 3)
        for poll in polls:
            self.assertEqual((poll.path, poll.form), ("/token", {
                "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": DEVICE_CODE,
                "client_id": CLIENT_ID}))
            self.assertIsNone(poll.headers.get("Authorization"))
        times = [q.at for q in self.oauth.requests]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertGreaterEqual(gaps[0], 0.2 - 0.01)                    # the interval it was given
        self.assertGreaterEqual(gaps[1], 0.2 - 0.01)
        self.assertLess(gaps[1], 3)
        self.assertGreaterEqual(gaps[2], 5.2 - 0.01)                    # slow_down: 5 s more (RFC 8628, 3.5)
        self.assertEqual(self.clock.slept, [0.2, 0.2, 5.2])
        [access] = self.oauth.issued
        creds = self.stored(url)
        self.assertEqual((creds["auth_type"], creds["value"]), ("oauth2", access))
        oauth = creds["oauth"]
        self.assertIn(oauth["refresh_token"], self.oauth.refresh_tokens)
        self.assertEqual({k: oauth[k] for k in ("token_url", "client_id", "scopes")},
                         {"token_url": self.token_url, "client_id": CLIENT_ID, "scopes": ["read", "write"]})
        self.assertNotIn("client_secret", oauth)
        self.assertAlmostEqual(oauth["expires_at"], time.time() + 3600, delta=60)
        self.assertEqual(os.stat(self.sessions_path).st_mode & 0o777, 0o600)
        self.assertTrue(r.out.startswith("Signed in to %s: OAuth2 (client %s at %s), token %s\u2026" % (
            url, CLIENT_ID, self.token_url, access[:4])), r)
        shown = [self.run_cli(*argv) for argv in (("auth", "show"), ("-o", "json", "auth", "show"), ("session", "list"),
                                                  ("-o", "json", "session", "show", url))]
        self.assertNoSecrets([r] + shown, [access, oauth["refresh_token"], DEVICE_CODE])
        self.assertIn("OAuth2 (client %s at %s), token %s\u2026 (expires " % (CLIENT_ID, self.token_url, access[:4]),
                      shown[0].out)
        r = self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        self.assertEqual(agent.bearers(), ["Bearer " + access])
        self.assertEqual(len(self.oauth.requests), 4)                     # no token request to send

    def test_login_in_a_subprocess_then_refresh_token_on_401(self):
        self.oauth.device = ["authorization_pending", "token"]
        self.oauth.interval = 0.05                               # a real process waits in real time
        url, agent = self.resource()
        r = self.assertOk(self.login(url, "--debug", run=self.run_proc))
        self.assertIn("sign in: To sign in, open %s/activate and enter the code %s\n" % (self.oauth.url, USER_CODE),
                      r.err)
        refresh = self.stored(url)["oauth"]["refresh_token"]
        self.assertNoSecrets([r], [self.oauth.issued[0], refresh, DEVICE_CODE])
        self.assertIn("device_code=[redacted]", r.err)
        self.oauth.valid.clear()                                           # the agent no longer takes the token
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hi"))
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        renewal = self.oauth.requests[-1]
        self.assertEqual(renewal.form, {"grant_type": "refresh_token", "refresh_token": refresh,
                                        "client_id": CLIENT_ID, "scope": "read write"})
        self.assertIsNone(renewal.headers.get("Authorization"))            # a public client: no secret
        first, second = self.oauth.issued
        self.assertEqual(agent.bearers(), ["Bearer " + first, "Bearer " + second])
        oauth = self.stored(url)["oauth"]
        self.assertEqual(self.stored(url)["value"], second)
        self.assertNotEqual(oauth["refresh_token"], refresh)               # the rotated one is kept
        self.assertIn(oauth["refresh_token"], self.oauth.refresh_tokens)
        # a refresh token the server no longer takes: one line that says to sign in again
        self.oauth.valid.clear()
        self.oauth.refresh_tokens.clear()
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 4, "invalid_grant", "auth login")
        self.assertEqual(len(agent.posts()), 3)

    def test_login_refused_or_expired_is_one_line(self):
        url, agent = self.resource()
        for outcome in ("access_denied", "expired_token"):
            with self.subTest(outcome=outcome):
                self.oauth.device = ["authorization_pending", outcome]
                r = self.login(url)
                self.assertEqual(r.code, 4, r)
                sign_in, error = r.err.splitlines()
                self.assertTrue(sign_in.startswith("sign in: "), r)
                self.assertTrue(error.startswith("Error: ") and outcome in error and "auth login" in error, r)
        self.assertFalse(os.path.exists(self.sessions_path) and self.saved().get(url, {}).get("credentials"))
        # the code's own lifetime runs out while the user has not signed in
        self.oauth.device_expires_in, self.oauth.device = 0.5, ["authorization_pending"] * 10
        started = self.clock.monotonic()
        r = self.login(url)
        self.assertEqual(r.code, 4, r)
        self.assertIn("expired before", r.err.splitlines()[-1])
        self.assertLess(self.clock.monotonic() - started, 5)
        # the device endpoint refuses the client
        r = self.run_cli("auth", "login", "--url", url, "--client-id", "someone-else")
        self.assertError(r, 4, "invalid_client")
        self.assertEqual(agent.posts(), [])

    def test_card_without_device_flow(self):
        url, agent = self.resource()
        agent.card = oauth_card("1.0", url + "/", self.oauth.url, device=False)
        self.assertError(self.login(url), 1, "no OAuth2 scheme with a device code flow")
        agent.card = oauth_card("0.3", url + "/", self.oauth.url)
        self.assertError(self.login(url), 1, "no OAuth2 scheme with a device code flow")
        builtin, _ = self.agent()
        self.assertError(self.login(builtin, run=self.run_proc), 1, "device code flow")
        self.assertEqual(self.oauth.requests, [])
        agent.card = None
        self.assertError(self.run_cli("auth", "login", "--url", url), 2, "--client-id")
        self.assertEqual(self.oauth.requests, [])

    def test_device_endpoints_must_be_https_unless_loopback(self):
        url, agent = self.resource()
        card = oauth_card("1.0", url + "/", self.oauth.url)
        card["securitySchemes"]["user"]["oauth2SecurityScheme"]["flows"]["deviceCode"]["deviceAuthorizationUrl"] = \
            "http://auth.example.com/device"
        agent.card = card
        self.assertError(self.login(url), 2, "http://auth.example.com/device", "must use https")
        self.assertEqual(self.oauth.requests, [])

    def test_device_token_without_refresh_token_cannot_be_renewed(self):
        self.oauth.give_refresh = False
        url, agent = self.resource()
        self.assertOk(self.login(url))
        self.assertNotIn("refresh_token", self.stored(url)["oauth"])
        self.edit_stored(url, expires_at=int(time.time()) - 10)
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 4, "expired", "cannot be renewed",
                         "auth login")
        self.assertEqual(len(self.oauth.requests), 2)                     # the device request and one poll
        self.assertEqual(agent.posts(), [])

    def test_device_endpoint_answers_badly(self):
        url, agent = self.resource()
        for reply, fragments in (
                ((200, {"device_code": DEVICE_CODE, "interval": 1}, ()), ("without a device_code, user_code",)),
                ((503, b"<html>down</html>", ()), ("HTTP 503", "device authorization endpoint")),
                ((400, {"error": "invalid_scope", "error_description": "no such scope"}, ()),
                 ("device authorization endpoint", "invalid_scope: no such scope"))):
            with self.subTest(reply=reply[:2]):
                self.oauth.device_reply = reply
                self.assertError(self.login(url), 4, *fragments)
        self.assertEqual([r.path for r in self.oauth.requests], ["/device"] * 3)
        self.assertFalse(os.path.exists(self.sessions_path) and self.saved().get(url, {}).get("credentials"))


# ============================================================================ 29. fault corpus, retries, redirects, limits
# A scripted agent that misbehaves in every way the issue lists (and more), each case asserting
# its exit code, its one line of error and no traceback; then the behaviour of retries,
# redirects, size caps and compressed answers.



class Raw(Reply):
    """A reply written to the socket as it is (status line, headers and all): data is bytes or
    f(req) -> bytes. The first `burst` bytes go at once, the rest one byte every `every`
    seconds (until the test ends); after `linger` seconds more (or once `linger`, an Event, is
    set) the connection ends with "close" (FIN) or "reset" (RST)."""

    def __init__(self, data=b"", end="close", burst=None, every=0.0, linger=0.0):
        super().__init__()
        self.data, self.end, self.burst, self.every, self.linger = data, end, burst, every, linger


def http_bytes(status="200 OK", headers=(("Content-Type", "application/json"),), body=b"", length=True):
    """An HTTP/1.0 response as bytes; body bytes or f(req); length: True for the real
    Content-Length, a number to lie, False for none."""
    def data(req):
        payload = body(req) if callable(body) else body
        lines = ["HTTP/1.0 " + status] + ["%s: %s" % h for h in headers]
        if length is not False:
            lines.append("Content-Length: %d" % (len(payload) if length is True else length))
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
    return data


def compressed(body, encoding="gzip"):
    """f(req) -> body (bytes or f(req)) compressed with gzip or zlib (Content-Encoding deflate)."""
    def data(req):
        raw = body(req) if callable(body) else body
        return gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    return data


def compressed_frames(frames, encoding="gzip"):
    """SSE frames compressed as one gzip (or zlib) stream, flushed after each event, so that
    every event can be decoded as soon as it arrives."""
    def pieces(req):
        z = zlib.compressobj(wbits=31 if encoding == "gzip" else 15)
        out = [z.compress(frame) + z.flush(zlib.Z_SYNC_FLUSH) for frame in frames(req)]
        return out + [z.flush()]
    return pieces


class FaultHandler(ScriptedHandler):
    """ScriptedHandler, plus Raw replies and "{url}" / "{other}" in reply header values."""

    def _answer(self, body):
        srv = self.server
        req = Req(self.command, self.path, self.headers, body)
        with srv.lock:
            srv.requests.append(req)
            srv.arrived.append(handler.monotonic())   # the test's fake clock, if it has one
        if self.command == "POST":
            srv.posted.set()
        reply = srv.reply_for(req)
        if isinstance(reply, Raw):
            return self._raw(reply, req)
        return self._write(reply, req, [(name, value.format(**srv.names)) for name, value in reply.headers])

    def _write(self, reply, req, headers):
        """ScriptedHandler._answer's writing part, with the given headers."""
        srv = self.server
        if reply.hang:
            srv.release.wait(60)
            return
        pieces = reply.pieces(req) if callable(reply.pieces) else reply.pieces
        data = reply.body(req) if callable(reply.body) else reply.body
        if reply.chunked:
            self.protocol_version = "HTTP/1.1"
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif pieces is None:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if pieces is None:
            self.wfile.write(data)
            return
        for i, piece in enumerate(pieces):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if reply.chunked else piece)
            self.wfile.flush()
            if reply.pause_after == i:
                srv.go.wait(30)
        if reply.chunked and not reply.cut:
            self.wfile.write(b"0\r\n\r\n")

    def _raw(self, reply, req):
        srv = self.server
        data = reply.data(req) if callable(reply.data) else reply.data
        burst = len(data) if reply.burst is None else reply.burst
        try:
            self.wfile.write(data[:burst])
            self.wfile.flush()
            for i in range(burst, len(data)):
                if srv.release.wait(reply.every):
                    return
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
        except OSError:
            return
        if isinstance(reply.linger, threading.Event):
            reply.linger.wait(10)
        elif reply.linger:
            srv.release.wait(reply.linger)
        if reply.end == "reset":   # SO_LINGER 0: close() sends RST instead of FIN
            linger = (1).to_bytes(4, sys.byteorder) + (0).to_bytes(4, sys.byteorder)   # struct linger {1, 0}
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        self.connection.close()


class FaultServer(ScriptedServer):
    def __init__(self, version):
        super().__init__(version)
        self.RequestHandlerClass = FaultHandler
        self.arrived, self.names = [], {}

    def count(self, method):
        return sum(1 for r in self.requests if r.method == method)


def fault(name, argv, code, *fragments, gets=None, posts=(), other=None, json_code=None, counts=None,
          patch=None, stdout=None, once=False, a2a=None, stdin=""):
    """One misbehaviour: the main agent's GET replies (path -> Reply or list) and POST replies,
    the other origin's GET replies (other: started only when given), the command line (with
    {url} and {other}), the exit code, what the one error line holds, the error code that
    -o json names (the case then runs with -o json), the (GET, POST) count the agent must
    have seen, handler constants to patch, what stdout holds when the exit code is 0, and
    once=True for slow cases of the transport alone, the same in both versions (run in 1.0 only);
    a2a: the a2aCode of the -o json error (the agent's JSON-RPC error code)."""
    return types.SimpleNamespace(name=name, argv=tuple(argv), code=code, fragments=fragments, gets=gets or {},
                                 posts=list(posts), other=other, json_code=json_code, counts=counts,
                                 patch=patch or {}, stdout=stdout, once=once, a2a=a2a, stdin=stdin)


CARD_PATH = "/.well-known/agent-card.json"
SEND = ("message", "send", "--url", "{url}", "hi")
STREAM = ("message", "stream", "--url", "{url}", "hi")
CARD = ("card", "get", "--url", "{url}")
TASK = ("task", "get", "--url", "{url}", "t-1")
HTML = b"<!DOCTYPE html><html><head><title>Oops</title></head><body><h1>Something broke</h1></body></html>"


def raw_rpc(**fields):
    """A JSON-RPC answer body with these fields, "id" defaulting to the request's."""
    def body(req):
        payload = {"jsonrpc": "2.0", "id": req.json["id"]}
        payload.update(fields)
        return json.dumps({k: v for k, v in payload.items() if v is not Ellipsis}).encode()
    return body


def rpc_error_obj(error):
    return raw_rpc(error=error)


def card_body(v, **changes):
    """f(req) -> the bytes of a card of version v whose interface is the agent that serves it."""
    def body(req):
        return json.dumps(dict(wcard(v, "http://%s/" % req.headers["Host"]), **changes)).encode()
    return body


class _FaultAgents:
    """FaultServers for a test; plain HTTP only, so no run loads the system's CA certificates
    (which takes most of a run's time); retries wait their shortest backoff, in fake time
    (self.clock: the agents record arrivals on it too)."""

    def setUp(self):
        super().setUp()
        self.clock = self.fake_clock()
        for patch in (mock.patch.object(handler.Transport, "tls", lambda transport: None),
                      mock.patch("random.random", return_value=0.0)):   # backoff without jitter: 0.125 s, 0.25 s...
            patch.start()
            self.addCleanup(patch.stop)

    def serve_fault(self):
        """A FaultServer, served as by HandlerTestCase._serve."""
        server = FaultServer(self.V)
        url = server.names["url"] = self._serve(server, server.release, server.go)
        return url, server

    def cli(self, srv, *argv):
        """run_cli with {url} (and {other}) filled in."""
        return self.run_cli(*[str(a).format(**srv.names) for a in argv])


class _FaultCorpus(_FaultAgents):
    """Every misbehaviour of corpus(), each as a subTest with its own agents."""

    def corpus(self):
        v = self.V
        done = wsend(v, wtask(v, "completed", "Echo: hi"))
        task = rpc(done)
        events = wevents(v)
        ev = sse(events)
        card = card_body(v)
        a2a = [fault("A2A error %d is named %s" % (code, name), SEND, 1, name, "the agent says no",
                     posts=[Reply(rpc_error(code, "the agent says no"))],
                     json_code=name if code == -32004 else None, a2a=code)
               for code, name in sorted(handler.A2A_ERRORS.items(), reverse=True) if -32009 <= code <= -32001]
        return a2a + [
            # -- JSON-RPC answers that are not what they should be
            fault("truncated JSON", SEND, 1, "not JSON", posts=[Reply(lambda req: task(req)[:40])],
                  json_code="InvalidAgentResponseError"),
            fault("empty body with 200", SEND, 1, "not JSON", posts=[Reply(b"")]),
            fault("HTML page with 200", SEND, 1, "not JSON", "text/html", "Oops Something broke",
                  posts=[Reply(HTML, ctype="text/html")]),
            fault("JSON array instead of a response", SEND, 1, "not a JSON-RPC 2.0 response",
                  posts=[Reply(lambda req: json.dumps([json.loads(task(req))]).encode())]),
            fault("wrong id", SEND, 1, "id of another request", "999", posts=[Reply(rpc(done, rid=999))]),
            fault("null id", SEND, 1, "id of another request", posts=[Reply(raw_rpc(id=None, result=done))]),
            fault("id as a string", SEND, 1, "id of another request", posts=[Reply(raw_rpc(id="1", result=done))]),
            fault("neither result nor error", SEND, 1, "neither result nor error", posts=[Reply(raw_rpc())]),
            fault("both result and error", SEND, 1, "InternalError", "both",
                  posts=[Reply(raw_rpc(result=done, error={"code": -32603, "message": "both"}))]),
            fault("jsonrpc 1.0", SEND, 1, "not a JSON-RPC 2.0 response",
                  posts=[Reply(raw_rpc(jsonrpc="1.0", result=done))]),
            fault("no jsonrpc member", SEND, 1, "not a JSON-RPC 2.0 response",
                  posts=[Reply(raw_rpc(jsonrpc=Ellipsis, result=done))]),
            fault("result is a list", SEND, 1, "not a JSON object", posts=[Reply(rpc([done]))]),
            fault("result is a string", SEND, 1, "not a JSON object", posts=[Reply(rpc("done"))]),
            fault("result is null", SEND, 1, "not a JSON object", posts=[Reply(rpc(None))]),
            fault("task without an id", SEND, 1, "without an id",
                  posts=[Reply(rpc(wsend(v, {k: x for k, x in wtask(v, "completed").items() if k != "id"})))]),
            fault("task without a status", SEND, 1, "status",
                  posts=[Reply(rpc(wsend(v, {k: x for k, x in wtask(v, "completed").items() if k != "status"})))]),
            fault("task whose status is a string", SEND, 1, "status",
                  posts=[Reply(rpc(wsend(v, dict(wtask(v, "completed"), status="completed"))))]),
            fault("result of an unknown shape", SEND, 1, "does not know", posts=[Reply(rpc({"weird": True}))]),
            fault("error that is a string", SEND, 1, "malformed JSON-RPC error",
                  posts=[Reply(rpc_error_obj("it broke"))]),
            fault("error code that is not a number", SEND, 1, "A2AError", "odd",
                  posts=[Reply(rpc_error_obj({"code": "E42", "message": "odd"}))]),
            fault("JSON-RPC parse error", SEND, 1, "JSONParseError", posts=[Reply(rpc_error(-32700, "bad json"))]),
            fault("method not found", SEND, 1, "MethodNotFoundError", "does not implement",
                  posts=[Reply(rpc_error(-32601, "no such method"))]),
            fault("an error code A2A does not define", SEND, 1, "A2AError", "custom",
                  posts=[Reply(rpc_error(-31999, "custom"))]),
            fault("1.x error with ErrorInfo data", SEND, 1, "TaskNotFoundError", "no task t-9",
                  posts=[Reply(rpc_error_obj({"code": -32001, "message": "no task t-9", "data": [
                      {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TASK_NOT_FOUND"}]}))]),
            # -- HTTP statuses
            fault("400 with a text body", SEND, 1, "HTTP 400", "bad request body",
                  posts=[Reply(b"bad request body", 400, "text/plain")], counts=(1, 1)),
            fault("401 with WWW-Authenticate", SEND, 4, "HTTP 401", "auth set",
                  posts=[Reply(b"{}", 401, headers=[("WWW-Authenticate", 'Bearer realm="agent"')])],
                  json_code="A2ACLI_ERR_CREDENTIALS_MISSING"),
            fault("403 with a token", SEND + ("--bearer-token", "-"), 4, "HTTP 403", "rejected",
                  posts=[Reply(b"forbidden", 403, "text/plain")], json_code="A2ACLI_ERR_AUTH_FAILED",
                  stdin="t0k3n\n"),
            fault("404 on the endpoint", SEND, 3, "404", posts=[Reply(b"not here", 404, "text/plain")]),
            fault("405 on the endpoint", SEND, 1, "HTTP 405", posts=[Reply(b"use GET", 405, "text/plain")]),
            fault("413 payload too large", SEND, 1, "HTTP 413", posts=[Reply(b"too big", 413, "text/plain")]),
            fault("429 on a send is not retried", SEND, 3, "429",
                  posts=[Reply(b"slow down", 429, "text/plain", headers=[("Retry-After", "0")])], counts=(1, 1)),
            fault("500 with a text body", SEND, 1, "HTTP 500", "kaboom",
                  posts=[Reply(b"kaboom", 500, "text/plain")]),
            fault("500 with an HTML page", SEND, 1, "HTTP 500", "Oops Something broke",
                  posts=[Reply(HTML, 500, "text/html")]),
            fault("500 with a JSON-RPC error", SEND, 1, "InternalError", "exploded",
                  posts=[Reply(rpc_error(-32603, "exploded"), 500)]),
            fault("502 with an HTML page", SEND, 3, "502", posts=[Reply(HTML, 502, "text/html")]),
            fault("503 on a send is not retried", SEND, 3, "503",
                  posts=[Reply(b"busy", 503, "text/plain")], counts=(1, 1), json_code="A2ACLI_ERR_UNREACHABLE"),
            fault("504", SEND, 3, "504", posts=[Reply(b"", 504, "text/plain")]),
            fault("204 without a body", SEND, 1, "not JSON", posts=[Reply(b"", 204)]),
            fault("307 redirect of a POST is not followed", SEND, 1, "307", "{other}",
                  posts=[Reply(b"", 307, headers=[("Location", "{other}/")])], other={}),
            # -- the transport
            fault("Content-Length longer than the body", SEND, 1, "cut off",
                  posts=[Raw(http_bytes(body=task, length=4096))]),
            fault("Content-Length shorter than the body", SEND, 1, "not JSON",
                  posts=[Raw(http_bytes(body=task, length=30))]),
            fault("chunked body cut", SEND, 1, "cut off",
                  posts=[Reply(pieces=lambda req: [task(req)[:50]], chunked=True, cut=True)]),
            fault("bad chunk size", SEND, 1, "cut off",
                  posts=[Raw(http_bytes(headers=[("Transfer-Encoding", "chunked")], body=b"zz\r\n{}\r\n0\r\n\r\n",
                                        length=False))]),
            # a byte every 0.1 s: never silent for --timeout, yet the whole answer takes longer
            fault("body trickles", SEND + ("--timeout", "0.4"), 5, "0.4 s",
                  posts=[Raw(http_bytes(body=task), burst=60, every=0.1)],
                  json_code="A2ACLI_ERR_TIMEOUT", once=True),
            fault("never answers", SEND + ("--timeout", "0.3"), 5, "0.3 s",
                  posts=[Reply(hang=True)], once=True),
            fault("connection reset before any byte", SEND, 3, "reset", posts=[Raw(end="reset")] * 3,
                  counts=(1, 3), json_code="A2ACLI_ERR_UNREACHABLE", once=True),
            fault("connection closed before any byte", SEND + ("--retries", "0"), 3, "closed the connection",
                  posts=[Raw()]),
            fault("status line that is not HTTP", SEND, 1, "not HTTP", posts=[Raw(b"SSH-2.0-OpenSSH_9.6\r\n")]),
            fault("status code that is not a number", SEND, 1, "not HTTP", posts=[Raw(b"HTTP/1.0 OK fine\r\n\r\n")]),
            fault("header line over 64 KiB", SEND, 1, "cut off or malformed",
                  posts=[Raw(b"HTTP/1.0 200 OK\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n{}")]),
            fault("more than 100 headers", SEND, 1, "headers",
                  posts=[Raw(b"HTTP/1.0 200 OK\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n")]),
            # -- the agent card
            fault("card is not JSON", CARD, 3, "not JSON", gets={CARD_PATH: Reply(b"{nope")},
                  json_code="A2ACLI_ERR_CARD_NOT_FOUND"),
            fault("card is an HTML page", CARD, 3, "not JSON", "text/html",
                  gets={CARD_PATH: Reply(HTML, ctype="text/html")}),
            fault("card is a JSON array", CARD, 1, "not a JSON object", gets={CARD_PATH: Reply(b"[]")},
                  json_code="A2ACLI_ERR_CARD_INVALID"),
            fault("card without interfaces", SEND, 1, "no interface",
                  gets={CARD_PATH: Reply(b'{"name": "x", "skills": []}')}),
            fault("card offering only gRPC", SEND, 1, "gRPC", gets={CARD_PATH: Reply(json.dumps({
                "name": "x", "supportedInterfaces": [{"url": "http://127.0.0.1:1/", "protocolBinding": "GRPC",
                                                      "protocolVersion": "1.0"}]}).encode())}),
            fault("card larger than --max-response", CARD + ("--max-response", "1K"), 1, "1024 bytes",
                  "--max-response", gets={CARD_PATH: Reply(lambda req: json.dumps(
                      dict(wcard(v, "http://x/"), description="d" * 2000)).encode())}),
            fault("no card at either path", CARD, 3, "no agent card", counts=(2, 0),
                  json_code="A2ACLI_ERR_CARD_NOT_FOUND", gets={CARD_PATH: Reply(b"", 404)}),
            fault("card answered with 500", CARD, 1, "HTTP 500", gets={CARD_PATH: Reply(b"down", 500, "text/plain")}),
            fault("card always 503", CARD, 3, "503", counts=(3, 0),
                  gets={CARD_PATH: [Reply(b"", 503, headers=[("Retry-After", "0")])] * 3}, once=True),
            fault("429 with Retry-After until retries run out", CARD + ("--retries", "1"), 3, "429", counts=(2, 0),
                  gets={CARD_PATH: [Reply(b"", 429, headers=[("Retry-After", "0")])] * 2}, once=True),
            fault("429 asking for longer than --timeout", CARD + ("--timeout", "5"), 3, "429", counts=(1, 0),
                  gets={CARD_PATH: [Reply(b"", 429, headers=[("Retry-After", "3600")])]}),
            fault("card redirected to another origin without a card", CARD, 3, "no agent card",
                  gets={CARD_PATH: Reply(b"", 302, headers=[("Location", "{other}/nothing.json")])}, other={}),
            fault("card redirected in a loop", CARD, 1, "redirect",
                  gets={CARD_PATH: [Reply(b"", 302, headers=[("Location", CARD_PATH)])] * 10}),
            fault("card redirected more than 5 times", CARD, 1, "redirect",
                  gets=dict([(CARD_PATH, Reply(b"", 302, headers=[("Location", "/r1")]))] + [
                      ("/r%d" % i, Reply(b"", 302, headers=[("Location", "/r%d" % (i + 1))])) for i in range(1, 8)])),
            fault("card redirected to a file: URL", CARD, 1, "file:///etc/passwd", "not an http(s) URL",
                  gets={CARD_PATH: Reply(b"", 302, headers=[("Location", "file:///etc/passwd")])}),
            fault("card redirected to an ftp: URL", CARD, 1, "302", "ftp://127.0.0.1:1/card.json", "not followed",
                  gets={CARD_PATH: Reply(b"", 302, headers=[("Location", "ftp://127.0.0.1:1/card.json")])}),
            fault("card redirect without a Location", CARD, 1, "302", gets={CARD_PATH: Reply(b"", 302)}),
            fault("card with broken gzip", CARD, 1, "cannot be decoded",
                  gets={CARD_PATH: Reply(b"this is not gzip", headers=[("Content-Encoding", "gzip")])}),
            fault("card gzip cut short", CARD, 1, "cut off",
                  gets={CARD_PATH: Reply(lambda req: compressed(card)(req)[:-12],
                                         headers=[("Content-Encoding", "gzip")])}),
            fault("gzip bomb", CARD + ("--max-response", "64K"), 1, "65536 bytes", "--max-response",
                  gets={CARD_PATH: Reply(gzip.compress(b" " * (8 << 20)), headers=[("Content-Encoding", "gzip")])}),
            fault("unknown Content-Encoding", CARD, 1, "br",
                  gets={CARD_PATH: Reply(b"\x1b\x00\x00", headers=[("Content-Encoding", "br")])}),
            fault("card never comes", CARD + ("--timeout", "0.3"), 5, "0.3 s",
                  gets={CARD_PATH: Reply(hang=True)},
                  json_code="A2ACLI_ERR_TIMEOUT", once=True),
            fault("card connection reset every time", CARD + ("--retries", "1"), 3, "reset", counts=(2, 0),
                  gets={CARD_PATH: [Raw(end="reset")] * 2}, once=True),
            fault("card interface URL that is not http", SEND, 1, "interface",
                  gets={CARD_PATH: Reply(json.dumps(wcard(v, "file:///etc/passwd")).encode())}),
            # -- event streams
            fault("SSE junk lines are ignored", STREAM, 0, stdout="Echo: hi", posts=[sse_reply(lambda req: [
                b"junk without a colon\r\nretry: 10\r\nid: 7\r\nfoo: bar\r\n: comment\r\n\r\n"] + ev(req))]),
            fault("SSE events split at every byte", STREAM, 0, stdout="Echo: hi",
                  posts=[sse_reply(split_bytes(ev, 1))]),
            fault("SSE event that is not JSON", STREAM, 1, "not JSON",
                  posts=[sse_reply(lambda req: ev(req)[:1] + [b"data: {oops\r\n\r\n"])]),
            fault("SSE stream ends mid-event", STREAM, 1, "not JSON",
                  posts=[sse_reply(lambda req: ev(req)[:2] + [ev(req)[2][:30]])]),
            fault("SSE stream without events", STREAM, 1, "without a task or a message", posts=[sse_reply([])]),
            fault("SSE stream of comments only", STREAM, 1, "without a task or a message",
                  posts=[sse_reply([b": ping\r\n\r\n", b": ping\r\n\r\n"])]),
            fault("SSE event with a wrong id", STREAM, 1, "id of another request",
                  posts=[sse_reply(lambda req: [b"data: " + rpc(events[0], rid=77)(req) + b"\r\n\r\n"])]),
            fault("SSE error event", STREAM, 1, "InternalError", "went wrong",
                  posts=[sse_reply(lambda req: ev(req)[:1] + [
                      b"event: error\r\ndata: " + rpc_error(-32603, "went wrong")(req) + b"\r\n\r\n"])]),
            fault("SSE event neither result nor error", STREAM, 1, "neither result nor error",
                  posts=[sse_reply(lambda req: [b"data: " + raw_rpc()(req) + b"\r\n\r\n"])]),
            fault("SSE event whose result is a list", STREAM, 1, "not a JSON object",
                  posts=[sse_reply(sse([[1, 2]]))]),
            fault("SSE frames with a text/plain content type", STREAM, 1, "not JSON",
                  posts=[Reply(pieces=ev, ctype="text/plain")]),
            fault("SSE content type with HTTP 500", STREAM, 1, "HTTP 500", posts=[sse_reply(ev, status=500)]),
            fault("a good answer with a wrong content type is read", SEND, 0, stdout="Echo: hi\n",
                  posts=[Reply(task, ctype="text/html")]),
            fault("SSE line over the cap", STREAM, 1, "line over", patch={"MAX_SSE_LINE": 4096},
                  posts=[sse_reply([b"data: " + b"x" * 5000 + b"\r\n\r\n"])]),
            fault("SSE event over the cap in many lines", STREAM, 1, "event over", patch={"MAX_SSE_LINE": 4096},
                  posts=[sse_reply([b"data: " + b"x" * 1000 + b"\r\n"] * 10 + [b"\r\n"])]),
            fault("SSE stream with broken gzip", STREAM, 1, "cannot be decoded",
                  posts=[sse_reply([b"not gzip at all"], headers=[("Content-Encoding", "gzip")])]),
            fault("SSE stream trickling", STREAM + ("--timeout", "0.4"), 5, "0.4 s",
                  posts=[Raw(http_bytes(headers=[("Content-Type", "text/event-stream")], body=lambda req: b"".join(
                      ev(req)), length=False), burst=100, every=0.1)], once=True),
            fault("SSE chunked stream cut mid-event", STREAM, 1, "not JSON",
                  posts=[sse_reply(lambda req: ev(req)[:1] + [ev(req)[1][:20]], chunked=True, cut=True)]),
        ]

    def run_fault(self, f):
        url, srv = self.serve_fault()
        if f.other is not None:
            other_url, other = self.serve_fault()
            other.gets.update(f.other)
            srv.names["other"] = other.names["other"] = other_url
        srv.gets.update(f.gets)
        srv.posts.extend(f.posts)
        argv = [a.format(**srv.names) for a in f.argv]
        if f.json_code:
            argv = ["-o", "json"] + argv
        with contextlib.ExitStack() as stack:
            for name, value in f.patch.items():
                stack.enter_context(mock.patch.object(handler, name, value))
            start = time.monotonic()
            r = self.run_cli(*argv, stdin=f.stdin)
            took = time.monotonic() - start
        self.assertLess(took, 8, r)
        if f.code == 0:
            self.assertOk(r)
            self.assertEqual(r.err, "")
            self.assertIn(f.stdout, r.out)
        else:
            line = self.assertError(r, f.code, *[x.format(**srv.names) for x in f.fragments])
            self.assertNotRegex(line.lower(), "<html|<!doctype|<body")   # a page's text, not its markup
            if f.json_code:
                error = self.assertJsonError(r, f.json_code, f.code)
                self.assertEqual(error["a2aCode"], f.a2a)
                self.assertEqual("Error: " + error["message"] + ("; " + error["hint"] if error["hint"] else ""), line)
            else:
                self.assertEqual(r.out, "")
        if f.counts is not None:
            self.assertEqual((srv.count("GET"), srv.count("POST")), f.counts, r)
        return r

    def test_corpus(self):
        cases = self.corpus()
        self.assertGreaterEqual(len(cases), 50)
        self.assertEqual(len({f.name for f in cases}), len(cases))
        for f in cases:
            if f.once and self.V != "1.0":
                continue
            with self.subTest(fault=f.name):
                self.run_fault(f)


versioned(_FaultCorpus, (("1.0",), ("0.3",)))


class _Retries(_FaultAgents):
    """--retries: which requests are tried again, when, how often, and with what."""

    def gaps(self, srv, method):
        """Seconds between the arrivals of the agent's requests of `method`."""
        times = [t for req, t in zip(srv.requests, srv.arrived) if req.method == method]
        return [b - a for a, b in zip(times, times[1:])]

    def ops(self):
        """(name, argv, the HTTP method of its request) of the reads that retry."""
        v = self.V
        ops = [("card get", CARD, "GET"), ("task get", TASK, "POST")]
        if v == "1.0":
            ops.append(("task list", ("task", "list", "--url", "{url}"), "POST"))
        return ops

    def good_answer(self, name):
        v = self.V
        if name == "card get":
            return Reply(card_body(v))
        if name == "task get":
            return Reply(rpc(wtask(v, "completed", "Echo: hi")))
        return Reply(rpc({"tasks": [wtask(v, "completed")], "nextPageToken": "", "pageSize": 50, "totalSize": 1}))

    def scripted_op(self, name, method, failures):
        url, srv = self.serve_fault()
        replies = list(failures) + [self.good_answer(name)]
        if method == "GET":
            srv.gets[CARD_PATH] = replies
        else:
            srv.posts.extend(replies)
        return srv

    def assertDone(self, r, name):
        self.assertOk(r)
        self.assertEqual(r.err, "")
        self.assertIn({"card get": "Scripted Agent", "task get": "t-1", "task list": "t-1"}[name], r.out)

    def test_unavailable_then_success(self):
        """502, 503, 504 and a reset or closed connection are tried again; the retry is the same request."""
        failures = [Reply(b"busy", 503, "text/plain"), Raw(end="reset"), Reply(HTML, 502, "text/html"), Raw(),
                    Reply(b"", 504)]
        for i, (name, argv, method) in enumerate(self.ops()):
            for failure in (failures * 2)[i:i + 3]:
                with self.subTest(op=name, failure=failure.status if not isinstance(failure, Raw) else failure.end):
                    srv = self.scripted_op(name, method, [failure])
                    self.assertDone(self.cli(srv, *argv), name)
                    self.assertEqual(srv.count(method), 2)
                    bodies = [q.body for q in srv.requests if q.method == method]
                    self.assertEqual(bodies[0], bodies[1])
        srv = self.scripted_op("task get", "POST", [Reply(b"", 503)] * 2)   # the default: two retries
        self.assertDone(self.cli(srv, *TASK), "task get")
        self.assertEqual(srv.count("POST"), 3)

    def test_429_then_success_waits_retry_after(self):
        for name, argv, method in self.ops() if self.V == "1.0" else self.ops()[1:]:   # 0.3: tasks/get
            with self.subTest(op=name):
                srv = self.scripted_op(name, method, [Reply(b"slow down", 429, "text/plain",
                                                            headers=[("Retry-After", "1")])])
                self.assertDone(self.cli(srv, *argv), name)
                self.assertEqual(srv.count(method), 2)
                [gap] = self.gaps(srv, method)
                self.assertGreaterEqual(gap, 0.95)
                self.assertLess(gap, 3.0)
        srv = self.scripted_op("card get", "GET", [Reply(b"", 429, headers=[("Retry-After", "soon")])])
        self.assertDone(self.cli(srv, *CARD), "card get")   # an unreadable Retry-After: the usual backoff
        self.assertLess(self.gaps(srv, "GET")[0], 0.9)
        if self.V == "1.0":   # an HTTP date two seconds ahead (whole seconds): a wait of more than 1 s
            when = email.utils.formatdate(time.time() + 2, usegmt=True)
            srv = self.scripted_op("card get", "GET", [Reply(b"", 503, headers=[("Retry-After", when)])])
            self.assertDone(self.cli(srv, *CARD), "card get")
            self.assertGreaterEqual(self.gaps(srv, "GET")[0], 0.95)
            self.assertLess(self.gaps(srv, "GET")[0], 3.0)

    def test_a_send_is_not_retried_after_an_answer(self):
        """429 and 502-504 answer a send: the agent may have acted on it, so it is not sent again."""
        v = self.V
        for argv in (SEND, STREAM):
            for status in (429, 502, 503, 504):
                with self.subTest(argv=argv[:2], status=status):
                    url, srv = self.serve_fault()
                    srv.posts += [Reply(b"busy", status, "text/plain", headers=[("Retry-After", "0")]),
                                  Reply(rpc(wsend(v, wtask(v, "completed", "Echo: hi"))))]
                    self.assertError(self.cli(srv, *argv), 3, str(status))
                    self.assertEqual(srv.count("POST"), 1)
                    self.assertEqual(len(srv.posts), 1)   # the good answer was never asked for

    def test_a_send_without_any_answer_is_retried_with_the_same_message_id(self):
        v = self.V
        good = {SEND: Reply(rpc(wsend(v, wtask(v, "completed", "Echo: hi")))),
                STREAM: sse_reply(sse(wevents(v)))}
        for argv in (SEND, STREAM):
            for end in ("reset", "close"):
                with self.subTest(argv=argv[:2], end=end):
                    url, srv = self.serve_fault()
                    srv.posts += [Raw(end=end), good[argv]]
                    r = self.assertOk(self.cli(srv, *argv))
                    self.assertTrue(r.out.startswith("Echo: hi\n"), r)
                    first, second = srv.post_bodies()
                    self.assertEqual(first, second)
                    self.assertEqual(first["params"]["message"]["messageId"],
                                     second["params"]["message"]["messageId"])
        url, srv = self.serve_fault()
        srv.posts += [Raw(end="reset"), good[SEND]]
        self.assertError(self.cli(srv, *SEND, "--retries", "0"), 3, "reset")
        self.assertEqual(srv.count("POST"), 1)

    def test_a_send_cut_after_its_answer_began_is_not_retried(self):
        """The status line and headers came, then the connection was reset: the agent had the send."""
        v = self.V
        done = wsend(v, wtask(v, "completed", "Echo: hi"))
        head = lambda req: http_bytes(body=rpc(done), length=4096)(req)[:120]   # noqa: E731  status, headers, a bit
        for argv, then, attempts, code in ((SEND, Reply(rpc(done)), 1, 3),
                                           (TASK, Reply(rpc(wtask(v, "completed"))), 2, 0)):   # a read is retried
            with self.subTest(argv=argv[:2]):
                reading, real = threading.Event(), handler.read_body

                def read_body(*args, **kw):   # the answer's headers are in: now the agent resets
                    reading.set()
                    return real(*args, **kw)
                url, srv = self.serve_fault()
                srv.posts += [Raw(head, end="reset", linger=reading), then]
                with mock.patch.object(handler, "read_body", read_body):
                    r = self.cli(srv, *argv)
                self.assertTrue(reading.is_set())
                if code:
                    self.assertError(r, code, "reset")
                else:
                    self.assertOk(r)
                self.assertEqual(srv.count("POST"), attempts)

    def test_other_4xx_and_5xx_are_never_retried(self):
        for status in (400, 401, 403, 404, 405, 409, 413, 422, 500, 501):
            with self.subTest(status=status):
                url, srv = self.serve_fault()
                srv.posts += [Reply(b"no", status, "text/plain"), Reply(rpc(wtask(self.V, "completed")))]
                r = self.cli(srv, *TASK)
                self.assertEqual(srv.count("POST"), 1, r)
                self.assertIn(r.code, (1, 3, 4))
                self.assertIn(str(status), r.err)
                if status != 404:   # a 404 card sends Handler to the other well-known path
                    srv.gets[CARD_PATH] = Reply(b"no", status, "text/plain")
                    self.cli(srv, *CARD)
                    self.assertEqual(srv.count("GET"), 2)


versioned(_Retries, (("1.0",), ("0.3",)))


class _RetryOptions(_FaultAgents):
    """--retries and HANDLER_RETRIES, and --timeout over all attempts: the card fetch, the same in
    every version."""

    def test_retries_option_and_environment(self):
        url, srv = self.serve_fault()
        srv.gets[CARD_PATH] = Reply(b"busy", 503, "text/plain", headers=[("Retry-After", "0")])
        cases = [
            ((), {}, 3), (("--retries", "0"), {}, 1), (("--retries", "1"), {}, 2),
            ((), {"HANDLER_RETRIES": "0"}, 1), ((), {"HANDLER_RETRIES": "1"}, 2),
            (("--retries", "1"), {"HANDLER_RETRIES": "0"}, 2), (("--retries", "0"), {"HANDLER_RETRIES": "2"}, 1),
        ]
        for flag, env, attempts in cases:
            for where in ("before", "after"):
                if where == "after" and not flag:
                    continue
                with self.subTest(flag=flag, env=env, where=where), mock.patch.dict(os.environ, env):
                    before = srv.count("GET")
                    argv = flag + CARD if where == "before" else CARD + flag
                    self.assertError(self.cli(srv, *argv), 3, "503")
                    self.assertEqual(srv.count("GET") - before, attempts)
        for bad in ("-1", "11", "two"):
            with self.subTest(retries=bad):
                self.assertError(self.cli(srv, *CARD, "--retries", bad), 2, "--retries")
        with mock.patch.dict(os.environ, {"HANDLER_RETRIES": "two"}):
            self.assertError(self.cli(srv, *CARD), 2, "HANDLER_RETRIES")

    def test_timeout_bounds_the_retries(self):
        url, srv = self.serve_fault()
        srv.gets[CARD_PATH] = Reply(b"busy", 503, "text/plain", headers=[("Retry-After", "0")])
        start = self.clock.monotonic()   # fake time: the real time taken and every wait
        self.assertError(self.cli(srv, *CARD, "--retries", "10", "--timeout", "1.5"), 3, "503")
        self.assertLess(self.clock.monotonic() - start, 3.0)
        self.assertGreaterEqual(srv.count("GET"), 2)
        self.assertLess(srv.count("GET"), 11)
        self.assertEqual(self.clock.slept, [0.125, 0.25, 0.5][:srv.count("GET") - 1])
        srv.gets[CARD_PATH] = Reply(b"", 429, headers=[("Retry-After", "30")])   # longer than --timeout: no wait
        start = self.clock.monotonic()
        self.assertError(self.cli(srv, *CARD, "--timeout", "5"), 3, "429", "Retry-After: 30")
        self.assertLess(self.clock.monotonic() - start, 2.0)


versioned(_RetryOptions, (("1.0",),))


class _Redirects(_FaultAgents):
    """GET redirects: followed at most 5 times, credentials kept only on the same origin."""

    def test_a_redirect_to_another_origin_drops_the_credentials(self):
        other_url, other = self.serve_fault()
        url, srv = self.serve_fault()
        moved = Reply(b"", 302, headers=[("Location", other_url + "/elsewhere/card.json")])
        srv.gets[CARD_PATH] = [Reply(b"", 401), moved]   # asked again with the credentials: moved
        other.gets["/elsewhere/card.json"] = Reply(card_body(self.V))
        self.assertOk(self.run_cli("auth", "set", "--url", url, "--bearer-token", SECRET))
        headers = ("-H", "Cookie: session=" + SECRET, "-H", "X-Trace: kept")
        r = self.assertOk(self.cli(srv, *CARD, *headers))
        self.assertIn("Scripted Agent", r.out)
        sent, forwarded = srv.requests[-1].headers, other.requests[-1].headers
        self.assertEqual((sent["Authorization"], sent["Cookie"]), ("Bearer " + SECRET, "session=" + SECRET))
        self.assertIsNone(forwarded.get("Authorization"))
        self.assertIsNone(forwarded.get("Cookie"))
        self.assertEqual(forwarded.get("X-Trace"), "kept")
        for name in ("X-Agent-Key", "X-Partner"):   # the API key under any name, usual or not
            srv.gets[CARD_PATH] = [Reply(b"", 403), moved]
            r = self.assertOk(self.cli(srv, *CARD, "--api-key", SECRET, "--api-key-header", name))
            self.assertEqual(srv.requests[-1].headers.get(name), SECRET)
            self.assertIsNone(other.requests[-1].headers.get(name))
            self.assertNotIn(SECRET, r.out + r.err)

    def test_a_redirect_on_the_same_origin_keeps_them(self):
        url, srv = self.serve_fault()
        srv.gets["/v2/card.json"] = Reply(card_body(self.V))
        for status in (301, 302, 303, 307):
            with self.subTest(status=status):
                srv.gets[CARD_PATH] = [Reply(b"", 401), Reply(b"", status, headers=[
                    ("Location", "/v2/card.json")])]   # the credentials, once asked for
                self.assertOk(self.cli(srv, *CARD, "--bearer-token", SECRET, "-H", "Cookie: c=1", "-H",
                                       "X-API-Key: k1"))
                moved = srv.requests[-1]
                self.assertEqual(moved.path, "/v2/card.json")
                self.assertEqual((moved.headers.get("Authorization"), moved.headers.get("Cookie"),
                                  moved.headers.get("X-API-Key")), ("Bearer " + SECRET, "c=1", "k1"))

    def test_at_most_5_redirects(self):
        url, srv = self.serve_fault()
        for n in range(6):
            srv.gets["/hop%d.json" % n] = Reply(b"", 302, headers=[("Location", "/hop%d.json" % (n + 1))])
        srv.gets["/hop6.json"] = Reply(card_body(self.V))     # hop1 -> ... -> hop6: five redirects
        r = self.assertOk(self.cli(srv, "card", "get", "--url", url + "/hop1.json"))
        self.assertIn("Scripted Agent", r.out)
        self.assertEqual([q.path for q in srv.requests], ["/hop%d.json" % n for n in range(1, 7)])
        del srv.requests[:], srv.arrived[:]                 # hop0 -> ... -> hop6: six
        line = self.assertError(self.cli(srv, "card", "get", "--url", url + "/hop0.json"), 1, "more than 5")
        self.assertIn(url + "/hop0.json", line)
        self.assertEqual([q.path for q in srv.requests], ["/hop%d.json" % n for n in range(6)])

    def test_a_post_is_never_redirected(self):
        other_url, other = self.serve_fault()
        for status in (301, 302, 303, 307, 308):
            for argv in (SEND, TASK):
                with self.subTest(status=status, argv=argv[:2]):
                    url, srv = self.serve_fault()
                    srv.posts.append(Reply(b"", status, headers=[("Location", other_url + "/")]))
                    self.assertError(self.cli(srv, *argv), 1, str(status), other_url, "not followed")
                    self.assertEqual(srv.count("POST"), 1)
        self.assertEqual(other.requests, [])


versioned(_Redirects, (("1.0",), ("0.3",)))


class _Limits(_FaultAgents):
    """--max-response, the SSE line and event cap, and compressed answers."""

    def padded_card(self, size):
        """A card body of exactly `size` bytes."""
        def body(req):
            card = wcard(self.V, "http://%s/" % req.headers["Host"])
            card["description"] = ""
            data = json.dumps(card).encode()
            card["description"] = "d" * (size - len(data))
            data = json.dumps(card).encode()
            assert len(data) == size, len(data)
            return data
        return body

    def test_max_response_boundary(self):
        url, srv = self.serve_fault()
        srv.gets[CARD_PATH] = Reply(self.padded_card(1024))
        self.assertOk(self.cli(srv, *CARD, "--max-response", "1K"))
        srv.gets[CARD_PATH] = Reply(self.padded_card(1025))
        self.assertOk(self.cli(srv, *CARD, "--max-response", "1025"))
        line = self.assertError(self.cli(srv, *CARD, "--max-response", "1K"), 1, "larger than 1024 bytes",
                                "--max-response")
        self.assertIn(url, line)
        for chunked in (False, True):   # with and without a Content-Length
            with self.subTest(chunked=chunked):
                task = rpc(wsend(self.V, wtask(self.V, "completed", "x" * 3000)))
                srv.gets[CARD_PATH] = Reply(card_body(self.V))
                srv.posts.append(Reply(pieces=lambda req: [task(req)], chunked=True) if chunked else Reply(task))
                self.assertError(self.cli(srv, *SEND, "--max-response", "2K"), 1, "larger than 2048 bytes",
                                 "--max-response")

    def test_size_suffixes_and_bad_sizes(self):
        for text, size in (("65536", 65536), ("1K", 1024), ("1k", 1024), ("64M", 64 << 20), ("2G", 2 << 30),
                           ("10KB", 10240), ("1KiB", 1024), (" 3M ", 3 << 20)):
            self.assertEqual(handler.parse_size(text), size, text)
        url, srv = self.serve_fault()
        srv.gets[CARD_PATH] = Reply(self.padded_card(2000))
        for bad in ("abc", "0", "-1", "1.5M", "1T", "K", ""):
            for argv in (("--max-response", bad) + CARD, CARD + ("--max-response", bad)):
                with self.subTest(argv=argv):
                    self.assertError(self.cli(srv, *argv), 2, "not a size")
        self.assertEqual(srv.requests, [])
        self.assertError(self.cli(srv, "--max-response", "1K", *CARD), 1, "1024 bytes")
        with mock.patch.dict(os.environ, {"HANDLER_MAX_RESPONSE": "1K"}):
            self.assertError(self.cli(srv, *CARD), 1, "1024 bytes")
            self.assertOk(self.cli(srv, *CARD, "--max-response", "2K"))   # the flag wins
        with mock.patch.dict(os.environ, {"HANDLER_MAX_RESPONSE": "lots"}):
            self.assertError(self.cli(srv, *CARD), 2, "not a size")

    def test_sse_line_and_event_caps(self):
        v = self.V
        url, srv = self.serve_fault()
        frames = sse(wevents(v))
        longest = max(len(line) for frame in frames(Req("POST", "/", {}, b'{"id": 1}'))
                      for line in frame.splitlines(keepends=True))
        with mock.patch.object(handler, "MAX_SSE_LINE", longest):
            srv.posts.append(sse_reply(frames))
            self.assertOk(self.cli(srv, *STREAM))
        with mock.patch.object(handler, "MAX_SSE_LINE", longest - 1):
            srv.posts.append(sse_reply(frames))
            self.assertError(self.cli(srv, *STREAM), 1, "line over %d bytes" % (longest - 1))
        self.assertEqual(handler.MAX_SSE_LINE, 16 << 20)
        srv.posts.append(sse_reply([b"data: " + b"x" * 100 + b"\r\n"] * 200 + [b"\r\n"]))
        with mock.patch.object(handler, "MAX_SSE_LINE", 8192):
            self.assertError(self.cli(srv, *STREAM), 1, "event over 8192 bytes")

    def test_compressed_answers_are_decoded(self):
        v = self.V
        url, srv = self.serve_fault()
        done = rpc(wsend(v, wtask(v, "completed", "Echo: hi")))
        bare = lambda req: zlib.compress(done(req))[2:-4]   # noqa: E731  deflate without its zlib wrapper
        cases = [("gzip card", CARD, "GET", Reply(compressed(card_body(v)), headers=[("Content-Encoding", "gzip")])),
                 ("gzip", SEND, "POST", Reply(compressed(done), headers=[("Content-Encoding", "gzip")])),
                 ("x-gzip", SEND, "POST", Reply(compressed(done), headers=[("Content-Encoding", "x-gzip")])),
                 ("deflate", SEND, "POST", Reply(compressed(done, "deflate"),
                                                 headers=[("Content-Encoding", "deflate")])),
                 ("bare deflate", SEND, "POST", Reply(bare, headers=[("Content-Encoding", "deflate")])),
                 ("gzip stream", STREAM, "POST", sse_reply(compressed_frames(sse(wevents(v))),
                                                           headers=[("Content-Encoding", "gzip")])),
                 ("deflate stream", STREAM, "POST", sse_reply(compressed_frames(sse(wevents(v)), "deflate"),
                                                              headers=[("Content-Encoding", "deflate")]))]
        for name, argv, method, reply in cases:
            with self.subTest(name):
                if method == "GET":
                    srv.gets[CARD_PATH] = reply
                else:
                    srv.gets.pop(CARD_PATH, None)
                    srv.posts.append(reply)
                r = self.assertOk(self.cli(srv, *argv))
                self.assertEqual(r.err, "")
                self.assertIn("Scripted Agent" if argv == CARD else "Echo: hi\n", r.out)
        self.assertEqual({q.headers.get("Accept-Encoding") for q in srv.requests}, {"gzip, deflate"})

    def test_compressed_stream_events_arrive_one_by_one(self):
        """A gzip stream flushed after each event shows each event before the next arrives."""
        v = self.V
        url, srv = self.serve_fault()
        srv.posts.append(sse_reply(compressed_frames(sse(wevents(v))),
                                   headers=[("Content-Encoding", "gzip")], pause_after=1))
        events = queue.Queue()
        real = handler.Output.event

        def event(out, ev):
            events.put(ev)
            return real(out, ev)
        with mock.patch.object(handler.Output, "event", event):
            done = threading.Thread(target=lambda: events.put(self.cli(srv, *STREAM)), daemon=True)
            done.start()
            self.addCleanup(done.join, 10)
            self.addCleanup(srv.go.set)
            first, second = events.get(timeout=10), events.get(timeout=10)   # before the agent goes on
            self.assertEqual((next(iter(first)), next(iter(second))), ("task", "statusUpdate"))
            srv.go.set()
            done.join(10)
        rest = [events.get_nowait() for _ in range(events.qsize())]
        self.assertEqual([next(iter(e)) for e in rest[:-1]], ["artifactUpdate", "artifactUpdate", "statusUpdate"])
        self.assertOk(rest[-1])
        self.assertTrue(rest[-1].out.startswith("Echo: hi\n"), rest[-1])


versioned(_Limits, (("1.0",), ("0.3",)))


class _FaultsInASubprocess(_FaultAgents):
    """A few faults against handler.py as a real process: one line of error, no traceback."""

    def test_faults_in_a_subprocess(self):
        v = self.V
        url, srv = self.serve_fault()
        done = rpc(wsend(v, wtask(v, "completed", "Echo: hi")))
        srv.posts += [Reply(lambda req: done(req)[:30]), Raw(end="reset"), Reply(done)]
        self.assertError(self.run_proc("message", "send", "--url", url, "hi"), 1, "not JSON")
        r = self.assertOk(self.run_proc("message", "send", "--url", url, "hi"))   # retried after the reset
        self.assertTrue(r.out.startswith("Echo: hi\n"), r)
        srv.gets[CARD_PATH] = [Reply(b"", 302, headers=[("Location", CARD_PATH)])] * 10
        self.assertError(self.run_proc("card", "get", "--url", url), 1, "more than 5")
        srv.gets[CARD_PATH] = Reply(b"", 429, headers=[("Retry-After", "0")])
        r = self.run_proc("-o", "json", "card", "get", "--url", url, "--retries", "0")
        self.assertError(r, 3, "429")
        self.assertJsonError(r, "A2ACLI_ERR_UNREACHABLE", 3)


versioned(_FaultsInASubprocess, (("1.0",),))


# ============================================================================ 30. the HTTP+JSON binding

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
REST_TOKEN = "rest-agent-token-0123456789"


def normalised(texts, url):
    """The texts with the agent's URL, timestamps and ids (numbered in order of appearance, one
    numbering for all the texts) replaced: what differs between two runs of one scenario."""
    ids = {}

    def number(m):
        return ids.setdefault(m.group(0), "<id%d>" % (len(ids) + 1))
    return [STAMP_RE.sub("<time>", UUID_RE.sub(number, t.replace(url, "<url>"))) for t in texts]


def rest_error_body(status, grpc_status, reason, message):
    """An HTTP+JSON error as a2a-sdk 1.3.0 sends it: a google.rpc.Status with an ErrorInfo."""
    return json.dumps({"error": {"code": status, "status": grpc_status, "message": message, "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": "a2a-protocol.org",
         "metadata": {}}]}}).encode()


def rest_card(url, path="/api", **extra):
    """A 1.x card offering only HTTP+JSON, at url + path (and push notifications)."""
    card = wcard("1.0", url + path)
    card["supportedInterfaces"] = [{"url": url + path, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0",
                                    **extra}]
    card["capabilities"].update(pushNotifications=True)
    return card


def wmessage_03(text):
    """An agent's message as a 0.3 JSON-RPC agent sends it."""
    return {"kind": "message", "messageId": "m-a", "role": "agent", "parts": [{"kind": "text", "text": text}],
            "contextId": "c-1"}


class RestFirstAgent(handler.EchoAgent):
    """The built-in agent with the interfaces on its card reversed: HTTP+JSON first."""

    def card(self, base_url, secured=False):
        card = super().card(base_url, secured)
        card["supportedInterfaces"].reverse()
        return card


class _RestScriptedHandler(ScriptedHandler):
    def do_DELETE(self):
        self._answer(b"")


class RestScriptedServer(ScriptedServer):
    """A ScriptedServer that answers by (method, path without the query) from `routes` (a Reply, or
    a list of them used in turn) before falling back to `gets` / `posts`; DELETE too."""

    def __init__(self, version):
        super().__init__(version)
        self.RequestHandlerClass = _RestScriptedHandler
        self.routes = {}

    def reply_for(self, req):
        reply = self.routes.get((req.method, req.path.split("?")[0]))
        if isinstance(reply, list):
            reply = reply.pop(0) if reply else None
        return reply or super().reply_for(req)

    def calls(self):
        """(method, path) of every request but the card's."""
        return [(r.method, r.path) for r in self.requests if "/.well-known/" not in r.path]


class OperationsTableTests(HandlerTestCase):
    """One operations table (handler.OPS): the client builds its JSON-RPC methods and HTTP+JSON
    verbs and paths from it, and the built-in agent matches what it receives against it."""
    VERSIONS = ("1.0",)

    def rest_first(self):
        server = handler.make_agent_server("127.0.0.1", 0, agent=RestFirstAgent(self.VERSIONS))
        received = server.received = []
        base = server.RequestHandlerClass

        class Recording(base):
            def log_request(self, *args):
                received.append((self.command, self.path))
        server.RequestHandlerClass = Recording
        return self._serve(server), server

    def test_a_changed_route_changes_the_client_and_the_agent_alike(self):
        row = handler.OPS["get"]
        moved = row[:3] + ("/tasks/{id}:look",) + row[4:]
        with mock.patch.dict(handler.OPS, get=moved):
            url, server = self.rest_first()
            sent = self.assertOk(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"))
            task_id = json.loads(sent.out)["task"]["id"]
            got = self.assertOk(self.run_cli("-o", "json", "task", "get", task_id, "--url", url))
        self.assertEqual(json.loads(got.out)["id"], task_id)
        self.assertIn(("GET", f"/rest/tasks/{task_id}:look"), server.received)
        # the old route is gone from the agent too
        self.assertEqual(agent_http(url, "GET", f"/rest/tasks/{task_id}", None,
                                    {"A2A-Version": "1.0"})[0], 404)

    def test_a_changed_method_changes_the_client_and_the_agent_alike(self):
        moved = ("GetTaskNow",) + handler.OPS["get"][1:]
        with mock.patch.dict(handler.OPS, get=moved):
            url, server = self.agent()
            task_id = self.assertOk(self.run_cli("-o", "json", "message", "send", "--url", url,
                                                 "hi"))
            task_id = json.loads(task_id.out)["task"]["id"]
            got = self.assertOk(self.run_cli("-o", "json", "task", "get", task_id, "--url", url))
        self.assertEqual(json.loads(got.out)["id"], task_id)
        self.assertEqual(json.loads(self.posts(server)[-1].body)["method"], "GetTaskNow")

    def test_every_operation_has_a_route_the_agent_knows(self):
        url, _ = self.agent()
        for op, (v1, v03, verbs, path, path03, safe, capability) in handler.OPS.items():
            with self.subTest(op=op):
                self.assertTrue(v1 and verbs and path.startswith("/"))
                self.assertTrue(path03 is None or path03.startswith("/v1/"))
                self.assertIn(safe, (0, 1))
                filled = path.replace("{id}", "no-such").replace("{taskId}", "no-such")
                for verb in verbs.split():
                    status, _, reply = agent_http(url, verb, "/rest" + filled,
                                                  {} if verb == "POST" else None,
                                                  {"A2A-Version": "1.0"})
                    self.assertNotIn("no route", json.dumps(reply), (verb, filled))
        self.assertEqual(agent_http(url, "DELETE", "/rest/tasks/x", None,
                                    {"A2A-Version": "1.0"})[2]["error"]["message"],
                         "no route DELETE /tasks/x")


class ExchangeTests(HandlerTestCase):
    """One exchange path under both bindings: a failed HTTP answer becomes a HandlerError that
    carries the HTTP status; the 0.3 renames are one table walked both ways."""

    def client(self, url, bindings):
        transport = handler.Transport(timeout=10, retries=0)
        return handler.A2AClient(url, transport, bindings=bindings)

    def test_an_error_from_an_answer_carries_its_http_status(self):
        url, _ = self.agent(("1.0",))
        with self.assertRaises(handler.HandlerError) as cm:
            self.client(url, ["HTTP+JSON"]).get_task("no-such-task")
        self.assertEqual((cm.exception.code, cm.exception.status), ("TaskNotFoundError", 404))
        with self.assertRaises(handler.HandlerError) as cm:   # an error inside a 200 answer
            self.client(url, ["JSONRPC"]).get_task("no-such-task")
        self.assertEqual(cm.exception.code, "TaskNotFoundError")
        self.assertIsNone(getattr(cm.exception, "status", None))
        url, server = self.scripted("1.0")
        server.posts += [Reply(b"busy", 503)]
        with self.assertRaises(handler.HandlerError) as cm:
            self.client(url, None).get_task("t-1")
        self.assertEqual((cm.exception.exit_code, cm.exception.status), (3, 503))

    def test_the_params_renames_round_trip(self):
        message = {"messageId": "m-1", "role": "ROLE_USER", "parts": [
            {"text": "hi"}, {"raw": "aGk=", "filename": "a.txt", "mediaType": "text/plain"},
            {"url": "https://x/y.png"}, {"data": {"k": 1}}]}
        push = {"url": "http://127.0.0.1:9/hook", "token": "tok",
                "authentication": {"scheme": "Bearer", "credentials": "c"}}
        cases = [("send", {"message": message, "configuration": {
                      "returnImmediately": True, "taskPushNotificationConfig": push}}),
                 ("push_set", {"taskId": "t-1", "id": "p-1", **push}),
                 ("push_get", {"taskId": "t-1", "id": "p-1"}), ("push_list", {"taskId": "t-1"}),
                 ("get", {"id": "t-1", "historyLength": 2})]
        for op, params in cases:
            with self.subTest(op=op):
                v03 = handler.params_to_v03(op, params)
                self.assertNotIn("taskPushNotificationConfig", json.dumps(v03))
                back = handler.params_from_v03(op, v03)
                if op == "send":
                    self.assertEqual(handler.normalise_message(back["message"]), message)
                    self.assertEqual(back["configuration"], {**params["configuration"],
                                                             "blocking": False})
                else:
                    self.assertEqual({k: v for k, v in back.items() if v is not None}, params)
        self.assertEqual(handler.params_to_v03("push_get", {"taskId": "t", "id": "p"}),
                         {"id": "t", "pushNotificationConfigId": "p"})
        body = handler.to_proto03("send", {"message": message}, twice=False)
        parts = handler.from_proto03(body)["message"]["parts"]
        self.assertEqual([handler.normalise(p, "part") for p in parts], message["parts"])
        self.assertEqual(body["message"]["content"][1]["file"],
                         {"fileWithBytes": "aGk=", "name": "a.txt", "mimeType": "text/plain"})


class Proto03SendPushTests(unittest.TestCase):
    """A send's push config: pushNotificationConfig over 0.3 JSON-RPC, pushNotification in the 0.3
    HTTP+JSON body (proto JSON), converted alike."""

    def test_a_sends_push_config_is_named_for_its_binding(self):
        message = {"messageId": "m-1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}
        params = {"message": message, "configuration": {"taskPushNotificationConfig": {
            "url": "http://127.0.0.1:1/hook", "token": "t",
            "authentication": {"scheme": "Bearer", "credentials": "c"}}}}
        want = {"url": "http://127.0.0.1:1/hook", "token": "t",
                "authentication": {"schemes": ["Bearer"], "credentials": "c"}}
        self.assertEqual(handler.params_to_v03("send", params)["configuration"],
                         {"blocking": True, "pushNotificationConfig": want})
        for twice in (False, True):
            body = handler.to_proto03("send", params, twice)
            self.assertEqual(body["configuration"], {"blocking": True, "pushNotification": want})
            self.assertEqual(list(body), ["message", "configuration"])
        self.assertEqual(handler.to_proto03("send", {"message": message})["configuration"],
                         {"blocking": True})

class RestBindingTests(HandlerTestCase):
    VERSIONS = ("1.0", "0.3")

    # -- agents
    def rest_agent(self, token=None, agent=None):
        """The built-in agent (its card: JSON-RPC 1.0 and 0.3 at /, HTTP+JSON 1.0 at /rest), recording
        every request, DELETE too, in server.received. Returns (url, server)."""
        server = handler.make_agent_server("127.0.0.1", 0, bearer_token=token, log=None,
                                           agent=agent or handler.EchoAgent(self.VERSIONS))
        received = server.received = []
        base = server.RequestHandlerClass

        class Recording(base):
            def do_GET(self):
                received.append(Req("GET", self.path, self.headers, b""))
                super().do_GET()

            def do_DELETE(self):
                received.append(Req("DELETE", self.path, self.headers, b""))
                super().do_DELETE()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(Req("POST", self.path, self.headers, body))
                self.rfile = io.BytesIO(body)
                super().do_POST()
        server.RequestHandlerClass = Recording
        server.handle_error = lambda request, address: None
        return self._serve(server), server

    def rest_scripted(self, version="1.0"):
        server = RestScriptedServer(version)
        return self._serve(server, server.release, server.go), server

    @staticmethod
    def calls(server):
        """(method, path with ids as {id}) of every request but the card's."""
        return [(r.method, UUID_RE.sub("{id}", r.path)) for r in server.received if "/.well-known/" not in r.path]

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    # -- one scenario over each binding
    def scenario(self, transport):
        """Every main command against a fresh built-in agent with --transport; returns (url, server,
        [(label, exit code, stdout, stderr)])."""
        url, agent = self.rest_agent()
        notes = self.write("notes.txt", b"hello\x00\xff")
        steps, ids = [], {}

        def run(label, *argv, stdin=""):
            argv = [re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], a) for a in argv]
            if argv[0] == "json":
                argv = ["-o"] + argv
            r = self.run_cli("--transport", transport, *argv, "--url", url, stdin=stdin)
            steps.append((label, r.code, r.out, r.err))
            return r

        r = run("send", "message", "send", "hello")
        ids["first"] = self.ids(r)[0]
        run("send json", "json", "message", "send", "hello again")
        run("stream", "message", "stream", "hi")
        run("stream json", "json", "message", "stream", "hi there")
        run("get the session's task", "task", "get")
        run("get by id, json, history 1", "json", "task", "get", "{first}", "--history-length", "1")
        run("list", "task", "list")
        run("list json, page size 2", "json", "task", "list", "--page-size", "2")
        run("list --all", "json", "task", "list", "--all", "--page-size", "2", "--status", "completed")
        self.gate(agent)                                   # the slow task stays running
        ids["slow"] = self.ids(run("send --async slow", "message", "send", "--async", "slow one two"))[0]
        run("cancel a running task", "task", "cancel")
        run("cancel again, json", "json", "task", "cancel", "{slow}")
        run("cancel a finished task", "task", "cancel", "{first}")
        run("cancel a finished task, json", "json", "task", "cancel", "{first}")
        run("get an unknown task", "task", "get", "no-such-task")
        run("get an unknown task, json", "json", "task", "get", "no-such-task")
        ids["ask"] = self.ids(run("input-required", "message", "send", "ask me"))[0]
        run("resubscribe to the waiting task", "task", "resubscribe")
        run("answer it", "message", "send", "blue")
        run("resubscribe to a finished task", "task", "resubscribe", "{ask}")
        hook = "http://127.0.0.1:9/hook"
        run("push set", "json", "task", "notification", "set", "{first}", "--webhook-url", hook,
            "--token", "push-token-0123456789")
        configs = agent.agent.push("push_list", {"taskId": ids["first"]})["configs"]
        ids["config"] = configs[0]["id"]
        run("push get by id", "task", "notification", "get", "{first}", "--config-id", "{config}")
        run("push get the only one, json", "json", "task", "notification", "get", "{first}")
        run("push list", "task", "notification", "list", "{first}")
        run("push list json", "json", "task", "notification", "list", "{first}")
        run("push delete", "task", "notification", "delete", "{first}", "--config-id", "{config}")
        run("push list after delete", "json", "task", "notification", "list", "{first}")
        run("push get after delete", "task", "notification", "get", "{first}", "--config-id", "{config}")
        run("files and data", "message", "send", "--file", notes, "--data", '{"a": [1, "x"]}', "look")
        run("files and data, json", "json", "message", "send", "--file", notes, "--data", "-", "see", stdin='{"b": 2}')
        run("files and data, streamed", "message", "stream", "--file", notes, "--file-url",
            "https://files.example/big.csv", "watch")
        return url, agent, steps

    def test_every_command_prints_the_same_over_both_bindings(self):
        rpc_url, rpc_agent, over_rpc = self.scenario("jsonrpc")
        rest_url, rest_agent, over_rest = self.scenario("http+json")
        self.assertEqual([s[0] for s in over_rpc], [s[0] for s in over_rest])
        for a, b in zip(over_rpc, over_rest):
            with self.subTest(step=a[0]):
                self.assertEqual(a[1], b[1], (a, b))
                self.assertEqual(normalised(a[2:], rpc_url), normalised(b[2:], rest_url))
        codes = {s[0]: s[1] for s in over_rest}
        self.assertEqual([k for k, v in codes.items() if v], [
            "cancel a finished task", "cancel a finished task, json", "get an unknown task",
            "get an unknown task, json", "resubscribe to a finished task", "push get after delete"])
        self.assertEqual(codes["get an unknown task"], 1)
        out = {s[0]: s[2] for s in over_rest}
        err = {s[0]: s[3] for s in over_rest}
        self.assertIn("Echo: hello\n", out["send"])
        self.assertEqual(err["get an unknown task"].split("; ")[0],
                         "Error: TaskNotFoundError: task no-such-task not found")
        self.assertIn("; rerun with --debug", err["get an unknown task"])   # its hint (OUT_004)
        self.assertTrue(err["cancel a finished task"].startswith("Error: TaskNotCancelableError: "))
        self.assertEqual(json.loads(out["get an unknown task, json"])["error"]["a2aCode"], -32001)
        self.assertEqual(json.loads(out["cancel again, json"])["status"]["state"], "TASK_STATE_CANCELED")
        self.assertEqual([c["id"] for c in json.loads(out["push list json"])["configs"]], [mock.ANY])
        self.assertEqual(json.loads(out["push list after delete"]), {"configs": []})
        self.assertIn('Echo: look\n[file notes.txt (text/plain), 7 bytes inline]\n{"a": [1, "x"]}\n',
                      out["files and data"])
        self.assertIn("[file big.csv (text/csv), at https://files.example/big.csv]\n", out["files and data, streamed"])
        # the wire: JSON-RPC posts to / only; HTTP+JSON uses the REST paths and verbs under /rest
        self.assertEqual({c for c in self.calls(rpc_agent)}, {("POST", "/")})
        self.assertEqual(self.calls(rest_agent), [
            ("POST", "/rest/message:send"), ("POST", "/rest/message:send"), ("POST", "/rest/message:stream"),
            ("POST", "/rest/message:stream"), ("GET", "/rest/tasks/{id}"), ("GET", "/rest/tasks/{id}?historyLength=1"),
            ("GET", "/rest/tasks"), ("GET", "/rest/tasks?pageSize=2"),
            ("GET", "/rest/tasks?status=TASK_STATE_COMPLETED&pageSize=2"),
            ("GET", "/rest/tasks?status=TASK_STATE_COMPLETED&pageSize=2&pageToken=2"),
            ("POST", "/rest/message:send"), ("POST", "/rest/tasks/{id}:cancel"),
            ("POST", "/rest/tasks/{id}:cancel"), ("GET", "/rest/tasks/{id}"),     # not cancelable: which state?
            ("POST", "/rest/tasks/{id}:cancel"), ("GET", "/rest/tasks/{id}"),
            ("POST", "/rest/tasks/{id}:cancel"), ("GET", "/rest/tasks/{id}"),
            ("GET", "/rest/tasks/no-such-task"), ("GET", "/rest/tasks/no-such-task"),
            ("POST", "/rest/message:send"), ("GET", "/rest/tasks/{id}:subscribe"), ("POST", "/rest/message:send"),
            ("GET", "/rest/tasks/{id}:subscribe"), ("POST", "/rest/tasks/{id}/pushNotificationConfigs"),
            ("GET", "/rest/tasks/{id}/pushNotificationConfigs/{id}"),
            ("GET", "/rest/tasks/{id}/pushNotificationConfigs"),
            ("GET", "/rest/tasks/{id}/pushNotificationConfigs"), ("GET", "/rest/tasks/{id}/pushNotificationConfigs"),
            ("DELETE", "/rest/tasks/{id}/pushNotificationConfigs/{id}"),
            ("GET", "/rest/tasks/{id}/pushNotificationConfigs"),
            ("GET", "/rest/tasks/{id}/pushNotificationConfigs/{id}"),
            ("POST", "/rest/message:send"), ("POST", "/rest/message:send"), ("POST", "/rest/message:stream")])
        for req in rest_agent.received:
            if "/.well-known/" not in req.path:
                self.assertEqual(req.headers.get("A2A-Version"), "1.0", req.path)
                self.assertNotIn("jsonrpc", req.body.decode())
        sends = [r.json for r in rest_agent.received if r.path in ("/rest/message:send", "/rest/message:stream")]
        rpc_sends = [r.json["params"] for r in rpc_agent.received if r.method == "POST"
                     and r.json["method"] in ("SendMessage", "SendStreamingMessage")]
        self.assertEqual(len(sends), len(rpc_sends))
        for rest_body, rpc_params in zip(sends, rpc_sends):   # the same SendMessageRequest, ids aside
            self.assertEqual(normalised([json.dumps(rest_body)], rest_url),
                             normalised([json.dumps(rpc_params)], rpc_url))
        self.assertEqual(sends[-2]["message"]["parts"], [
            {"text": "see"}, wfile("1.0", b"hello\x00\xff", "notes.txt", "text/plain"), {"data": {"b": 2}}])
        (push_set,) = [r.json for r in rest_agent.received if r.path.endswith("/pushNotificationConfigs")
                       and r.method == "POST"]
        self.assertEqual(push_set, {"url": "http://127.0.0.1:9/hook", "token": "push-token-0123456789"})

    def test_the_session_continues_across_bindings(self):
        url, agent = self.rest_agent()
        first, ctx, _ = self.ids(self.assertOk(self.run_cli("--transport", "jsonrpc", "message", "send", "--url", url,
                                                            "ask me")))
        r = self.assertOk(self.run_cli("--transport", "http+json", "task", "get", "--url", url))
        self.assertEqual(self.ids(r), (first, ctx, "input-required"))
        r = self.assertOk(self.run_cli("--transport", "http+json", "message", "send", "--url", url, "blue"))
        self.assertEqual(self.ids(r), (first, ctx, "completed"))    # the answer continued the waiting task
        second, ctx2, _ = self.ids(self.assertOk(self.run_cli("--transport", "http+json", "message", "send",
                                                               "--url", url, "again")))
        self.assertEqual(ctx2, ctx)
        r = self.assertOk(self.run_cli("--transport", "jsonrpc", "task", "get", "--url", url))
        self.assertEqual(self.ids(r), (second, ctx, "completed"))
        rest_sends = [r.json["message"] for r in agent.received if r.path == "/rest/message:send"]
        self.assertEqual([(m.get("taskId"), m.get("contextId")) for m in rest_sends], [(first, ctx), (None, ctx)])
        self.assertEqual(self.saved()[url]["task_id"], second)

    def test_the_extended_card(self):
        url, agent = self.rest_agent(token=REST_TOKEN)
        outs = {}
        for transport in ("jsonrpc", "http+json"):
            text = self.assertOk(self.run_cli("--transport", transport, "card", "get", "--extended", "--url", url,
                                              "--bearer-token", REST_TOKEN))
            doc = self.assertOk(self.run_cli("--transport", transport, "-o", "json", "card", "get", "--extended",
                                             "--url", url, "--bearer-token", REST_TOKEN))
            outs[transport] = (text.out, json.loads(doc.out))
        self.assertEqual(outs["jsonrpc"][1], outs["http+json"][1])
        self.assertEqual([s["id"] for s in outs["http+json"][1]["skills"]], ["echo", "shout"])
        self.assertIn("Interface: JSON-RPC, A2A 1.0, %s/\n" % url, outs["jsonrpc"][0])
        self.assertIn("Interface: HTTP+JSON, A2A 1.0, %s/rest\n" % url, outs["http+json"][0])
        self.assertEqual(outs["jsonrpc"][0].replace("JSON-RPC, A2A 1.0, %s/" % url, "X"),
                         outs["http+json"][0].replace("HTTP+JSON, A2A 1.0, %s/rest" % url, "X"))
        rest = [r for r in agent.received if r.path.startswith("/rest")]
        self.assertEqual([(r.method, r.path) for r in rest], [("GET", "/rest/extendedAgentCard")] * 2)
        for r in rest:
            self.assertEqual((r.headers["Authorization"], r.headers["A2A-Version"]), ("Bearer " + REST_TOKEN, "1.0"))
        r = self.run_cli("--transport", "http+json", "card", "get", "--extended", "--url", url, "--bearer-token", "-",
                         stdin="no\n")
        self.assertError(r, 4, "rejected the credentials")

    # -- choosing the binding
    def test_a_card_listing_http_json_first_is_used_over_rest(self):
        url, agent = self.rest_agent(agent=RestFirstAgent(self.VERSIONS))
        r = self.assertOk(self.run_cli("--debug", "message", "send", "--url", url, "hi"))
        self.assertIn("debug: using HTTP+JSON, A2A 1.0, at %s/rest: the first A2A 1.0 interface Handler speaks, "
                      "in the card's order\n" % url, r.err)
        self.assertIn("debug: > POST %s/rest/message:send\n" % url, r.err)
        self.assertEqual(self.calls(agent), [("POST", "/rest/message:send")])
        r = self.assertOk(self.run_cli("--transport", "jsonrpc", "task", "get", "--url", url))   # overrides the card
        self.assertEqual(self.calls(agent)[-1], ("POST", "/"))
        self.assertEqual(self.ids(r)[2], "completed")
        self.assertOk(self.run_cli("--transport", "jsonrpc", "--transport", "http+json", "task", "get", "--url", url))
        self.assertEqual(self.calls(agent)[-1], ("POST", "/"))
        self.assertOk(self.run_cli("task", "get", "--url", url, "--transport", "http+json", "--transport", "jsonrpc"))
        self.assertEqual(self.calls(agent)[-1][0], "GET")
        self.assertTrue(self.calls(agent)[-1][1].startswith("/rest/tasks/"))

    def test_the_default_and_the_repeatable_order_on_a_json_rpc_first_card(self):
        url, agent = self.rest_agent()
        r = self.assertOk(self.run_cli("--debug", "task", "list", "--url", url))
        self.assertIn("debug: using JSON-RPC, A2A 1.0, at %s/: the first A2A 1.0 interface Handler speaks, in the "
                      "card's order\n" % url, r.err)
        self.assertEqual(self.calls(agent), [("POST", "/")])
        r = self.assertOk(self.run_cli("--debug", "--transport", "http+json", "--transport", "jsonrpc", "task", "list",
                                       "--url", url))
        self.assertIn("debug: using HTTP+JSON, A2A 1.0, at %s/rest: the first A2A 1.0 interface Handler speaks, in "
                      "your --transport order\n" % url, r.err)
        self.assertEqual(self.calls(agent)[-1], ("GET", "/rest/tasks"))

    def test_handler_transport_in_the_environment(self):
        url, agent = self.rest_agent()
        os.environ["HANDLER_TRANSPORT"] = "http+json, jsonrpc"
        self.assertOk(self.run_cli("task", "list", "--url", url))
        self.assertEqual(self.calls(agent), [("GET", "/rest/tasks")])
        self.assertOk(self.run_cli("--transport", "jsonrpc", "task", "list", "--url", url))   # the option wins
        self.assertEqual(self.calls(agent)[-1], ("POST", "/"))
        os.environ["HANDLER_TRANSPORT"] = "grpc"
        self.assertError(self.run_cli("task", "list", "--url", url), 2, "grpc")
        self.assertEqual(len(self.calls(agent)), 2)

    def test_the_option_before_or_after_the_subcommand_also_in_a_subprocess(self):
        url, agent = self.rest_agent()
        before = self.assertOk(self.run_proc("--transport", "http+json", "message", "send", "--url", url, "one"))
        after = self.assertOk(self.run_proc("message", "send", "--url", url, "--transport", "http+json", "two"))
        self.assertEqual(self.calls(agent), [("POST", "/rest/message:send")] * 2)
        self.assertEqual(before.out.splitlines()[0], "Echo: one")
        self.assertEqual(after.out.splitlines()[0], "Echo: two")
        self.assertEqual(before.err + after.err, "")

    def test_a_bad_transport_is_a_usage_error(self):
        url, agent = self.rest_agent()
        for argv in (["--transport", "grpc", "message", "send"], ["message", "send", "--transport", "REST"],
                     ["--transport", "http+json", "--transport", "soap", "task", "list"]):
            with self.subTest(argv=argv):
                self.assertError(self.run_cli(*argv, "--url", url, "hi"), 2, "--transport")
        r = self.run_proc("--transport", "grpc", "task", "list", "--url", url)
        self.assertError(r, 2, "--transport")
        self.assertEqual(self.calls(agent), [])
        self.assertEqual([q.path for q in agent.received], [])

    def test_asking_for_a_binding_the_card_lacks(self):
        url, agent = self.rest_agent(agent=handler.EchoAgent(("0.3",)))   # a 0.3 card: JSON-RPC only
        r = self.run_cli("--transport", "http+json", "message", "send", "--url", url, "hi")
        self.assertError(r, 1, "no interface that Handler speaks", "JSONRPC", "you asked for HTTP+JSON")
        self.assertEqual(self.calls(agent), [])

    def test_debug_names_the_interface_binding_version_and_why(self):
        url, server = self.rest_scripted("0.3")
        card = wcard("0.3", url + "/api")
        card.update(preferredTransport="HTTP+JSON", additionalInterfaces=[{"url": url + "/rpc", "transport": "JSONRPC"}])
        server.card = card
        server.routes[("GET", "/api/v1/tasks/t-1")] = Reply(json.dumps(wtask("1.0", "completed", "hi")).encode())
        r = self.assertOk(self.run_cli("--debug", "task", "get", "t-1", "--url", url))
        self.assertIn("debug: using HTTP+JSON, A2A 0.3, at %s/api: the first A2A 0.3 interface Handler speaks, in the "
                      "card's order; the card offers no 1.x one\n" % url, r.err)
        self.assertEqual(r.out, "hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        self.assertIsNone(server.requests[-1].headers.get("A2A-Version"))   # 0.3 sends no version header

    def test_a_grpc_only_card_is_one_clear_line(self):
        url, server = self.rest_scripted("1.0")
        for card in ({**wcard("1.0", url), "supportedInterfaces": [
                         {"url": url, "protocolBinding": "GRPC", "protocolVersion": "1.0"}]},
                     {**wcard("0.3", url), "preferredTransport": "GRPC"}):
            server.card = card
            for argv in (["message", "send", "--url", url, "hi"], ["--transport", "jsonrpc", "task", "get", "t-1",
                                                                   "--url", url]):
                with self.subTest(card=card.get("protocolVersion", "1.x"), argv=argv):
                    line = self.assertError(self.run_cli(*argv), 1, "gRPC", "HTTP/2")
                    self.assertIn("standard library", line)
                    doc = self.assertJsonError(self.run_cli("-o", "json", *argv), "A2ACLI_ERR_CARD_INVALID", 1)
                    self.assertEqual(doc["hint"], "ask for a JSON-RPC or HTTP+JSON interface")
        self.assertEqual(server.calls(), [])

    # -- tenants
    def test_a_declared_tenant_goes_into_every_path(self):
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url, tenant="acme")
        task = json.dumps(wtask("1.0", "completed", "hi")).encode()
        server.routes.update({
            ("POST", "/api/acme/message:send"): Reply(json.dumps({"task": json.loads(task)}).encode()),
            ("GET", "/api/acme/tasks/t-1"): Reply(task),
            ("GET", "/api/acme/tasks"): Reply(json.dumps({"tasks": [json.loads(task)], "nextPageToken": ""}).encode()),
            ("POST", "/api/acme/tasks/t-1:cancel"): Reply(task),
            ("POST", "/api/acme/tasks/t-1/pushNotificationConfigs"): Reply(json.dumps(
                {"id": "p-1", "taskId": "t-1", "url": "http://127.0.0.1:9/h"}).encode()),
            ("DELETE", "/api/acme/tasks/t-1/pushNotificationConfigs/p-1"): Reply(b"{}"),
            ("POST", "/api/acme/message:stream"): Reply(pieces=[b"data: %s\r\n\r\n" % json.dumps(e).encode()
                                                                for e in wevents("1.0")], ctype="text/event-stream"),
        })
        self.assertOk(self.run_cli("message", "send", "--url", url, "hi"))
        self.assertOk(self.run_cli("message", "stream", "--url", url, "hi"))
        self.assertOk(self.run_cli("task", "get", "t-1", "--url", url))
        self.assertOk(self.run_cli("task", "list", "--url", url, "--context-id", "c-1"))
        self.assertOk(self.run_cli("task", "cancel", "t-1", "--url", url))
        self.assertOk(self.run_cli("task", "notification", "set", "t-1", "--url", url, "--webhook-url",
                                   "http://127.0.0.1:9/h"))
        self.assertOk(self.run_cli("task", "notification", "delete", "t-1", "--config-id", "p-1", "--url", url))
        self.assertEqual(server.calls(), [
            ("POST", "/api/acme/message:send"), ("POST", "/api/acme/message:stream"), ("GET", "/api/acme/tasks/t-1"),
            ("GET", "/api/acme/tasks?contextId=c-1"), ("POST", "/api/acme/tasks/t-1:cancel"),
            ("POST", "/api/acme/tasks/t-1/pushNotificationConfigs"),
            ("DELETE", "/api/acme/tasks/t-1/pushNotificationConfigs/p-1")])
        for req in [r for r in server.requests if "/.well-known/" not in r.path]:
            self.assertNotIn(b"tenant", req.body)       # REST carries the tenant in the path only
            self.assertEqual(req.headers["A2A-Version"], "1.0")

    def test_a_tenant_is_one_quoted_path_segment(self):
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url, path="/", tenant="a b/c")
        server.routes[("GET", "/a%20b%2Fc/tasks/t%2F1")] = Reply(json.dumps(wtask("1.0", "working", tid="t/1")).encode())
        r = self.assertOk(self.run_cli("task", "get", "t/1", "--url", url))
        self.assertEqual(self.ids(r), ("t/1", "c-1", "working"))
        self.assertEqual(server.calls(), [("GET", "/a%20b%2Fc/tasks/t%2F1")])

    # -- errors: the same names and exit codes as JSON-RPC
    def rest_and_rpc(self, argv, rest_routes, rpc_posts):
        """The same command, in text and then -o json, against an HTTP+JSON agent answering from
        rest_routes {(method, path): reply} and a JSON-RPC agent answering rpc_posts in turn (each
        reply is used once per run): [(text, json) over REST, (text, json) over JSON-RPC]."""
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url)
        server.routes.update({route: [reply, reply] for route, reply in rest_routes.items()})
        rurl, rserver = self.scripted("1.0")
        rserver.card = dict(wcard("1.0", rurl + "/"), capabilities={"streaming": True, "pushNotifications": True})
        rserver.posts += rpc_posts * 2
        results = []
        for u in (url, rurl):
            results.append((self.run_cli(*argv, "--url", u), self.run_cli("-o", "json", *argv, "--url", u)))
        self.assertEqual(len(server.calls()), 2 * len(rest_routes))
        self.assertEqual(rserver.posts, [])
        return results

    def test_rest_errors_have_the_json_rpc_names_and_exit_codes(self):
        cases = [   # (argv, REST route, status, gRPC status, reason, JSON-RPC code, error name)
            (["task", "get", "t-9"], ("GET", "/api/tasks/t-9"), 404, "NOT_FOUND", "TASK_NOT_FOUND", -32001,
             "TaskNotFoundError"),
            (["task", "cancel", "t-9"], ("POST", "/api/tasks/t-9:cancel"), 400, "FAILED_PRECONDITION",
             "TASK_NOT_CANCELABLE", -32002, "TaskNotCancelableError"),
            (["task", "list", "--page-size", "100"], ("GET", "/api/tasks"), 400, "INVALID_ARGUMENT", "INVALID_PARAMS",
             -32602, "InvalidParamsError"),
            (["message", "send", "hi"], ("POST", "/api/message:send"), 400, "FAILED_PRECONDITION",
             "VERSION_NOT_SUPPORTED", -32009, "VersionNotSupportedError"),
            (["message", "send", "hi"], ("POST", "/api/message:send"), 400, "INVALID_ARGUMENT",
             "CONTENT_TYPE_NOT_SUPPORTED", -32005, "ContentTypeNotSupportedError"),
            (["task", "notification", "set", "t-9", "--webhook-url", "http://127.0.0.1:9/h"],
             ("POST", "/api/tasks/t-9/pushNotificationConfigs"), 400, "UNIMPLEMENTED",
             "PUSH_NOTIFICATION_NOT_SUPPORTED", -32003, "PushNotificationNotSupportedError"),
            (["task", "get", "t-9"], ("GET", "/api/tasks/t-9"), 500, "INTERNAL", "INTERNAL_ERROR", -32603,
             "InternalError"),
        ]
        for argv, route, status, grpc_status, reason, code, name in cases:
            with self.subTest(name=name):
                message = "the agent says no (%s)" % name
                routes = {route: Reply(rest_error_body(status, grpc_status, reason, message), status)}
                posts = [Reply(rpc_error(code, message))]
                if name == "TaskNotCancelableError":   # Handler then looks at the task, to name its state
                    task = json.dumps(wtask("1.0", "completed", tid="t-9")).encode()
                    routes[("GET", "/api/tasks/t-9")] = Reply(task)
                    posts.append(Reply(rpc(wtask("1.0", "completed", tid="t-9"))))
                (rest, rest_json), (rpc_text, rpc_json) = self.rest_and_rpc(argv, routes, posts)
                line = self.assertError(rest, 1, name, message)
                self.assertTrue(line.startswith("Error: %s: %s" % (name, message)), line)
                self.assertEqual(rest.err, rpc_text.err)
                self.assertEqual((rest.out, rest.code), (rpc_text.out, rpc_text.code))
                self.assertEqual(json.loads(rest_json.out), json.loads(rpc_json.out))
                self.assertEqual(json.loads(rest_json.out)["error"]["a2aCode"], code)
                self.assertEqual(rest_json.code, 1)

    def test_a_reason_wins_over_the_status_and_the_status_names_a_bare_error(self):
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url)
        server.routes[("GET", "/api/tasks/t-9")] = [
            Reply(rest_error_body(400, "FAILED_PRECONDITION", "UNSUPPORTED_OPERATION", "not here"), 400),
            Reply(json.dumps({"error": {"code": 409, "message": "busy"}}).encode(), 409),
            Reply(json.dumps({"message": "Task not found"}).encode(), 404)]   # how a2a-sdk 0.3 says it
        self.assertError(self.run_cli("task", "get", "t-9", "--url", url), 1, "UnsupportedOperationError: not here")
        self.assertError(self.run_cli("task", "get", "t-9", "--url", url), 1, "TaskNotCancelableError: busy")
        self.assertError(self.run_cli("task", "get", "t-9", "--url", url), 1, "TaskNotFoundError: Task not found")

    def test_an_a2a_code_in_a_bare_error_names_it(self):
        # a2a-js in 0.3 compatibility: 400 {"code": -32002, "message": ...} for a finished task
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url)
        server.routes[("POST", "/api/tasks/t-9:cancel")] = [
            Reply(json.dumps({"code": -32002, "message": "Task not cancelable: t-9"}).encode(), 400)]
        task = json.dumps(wtask("1.0", "completed", tid="t-9")).encode()
        server.routes[("GET", "/api/tasks/t-9")] = [Reply(task)]
        self.assertError(self.run_cli("task", "cancel", "t-9", "--url", url), 1,
                         "TaskNotCancelableError: Task not cancelable: t-9")
        server.routes[("GET", "/api/tasks/t-8")] = [   # a code that is no A2A error: the status decides
            Reply(json.dumps({"code": 7, "message": "odd"}).encode(), 404)]
        self.assertError(self.run_cli("task", "get", "t-8", "--url", url), 1, "TaskNotFoundError: odd")

    def test_authentication_failures_exit_4(self):
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url)
        body = rest_error_body(401, "UNAUTHENTICATED", "UNAUTHENTICATED", "who are you")
        server.routes[("POST", "/api/message:send")] = [Reply(body, 401), Reply(body, 401), Reply(b"", 403)]
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 4, "requires authentication")
        doc = self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"),
                                   "A2ACLI_ERR_CREDENTIALS_MISSING", 4)
        self.assertIn("auth set", doc["hint"])
        self.assertError(self.run_cli("message", "send", "--url", url, "--bearer-token", "-", "hi",
                                      stdin="t0k3n-0123456789\n"), 4, "rejected the credentials")

    def test_answers_that_are_not_a2a_errors(self):
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url)
        junk = [Reply(b"<html>bad gateway</html>", 502, "text/html"), Reply(b"boom", 500, "text/plain"),
                Reply(b"not json", 200)]
        server.routes[("POST", "/api/message:send")] = junk + [
            Reply(b'{"detail": "Not Found"}', 404),                                   # no such route (Starlette)
            Reply(b'{"error": {"code": 404, "message": "no route"}}', 404),            # no reason, not a task's path
            Reply(b'{"error": {"code": 418, "message": "teapot"}}', 418),
            Reply(b"not json", 200)]
        rurl, rserver = self.scripted("1.0")
        rserver.posts += list(junk)
        for code, fragment in ((3, "is unavailable (HTTP 502 Bad Gateway)"), (1, "failed: HTTP 500"),
                               (1, "is not JSON")):
            with self.subTest(fragment=fragment):   # what JSON-RPC says, but for the URL
                rest = self.assertError(self.run_cli("message", "send", "--url", url, "hi"), code, fragment,
                                        "SendMessage at %s/api/message:send " % url)
                rpc_line = self.assertError(self.run_cli("message", "send", "--url", rurl, "hi"), code, fragment)
                rpc_line = rpc_line.split("; the agent does not answer A2A JSON-RPC")[0]   # its hint (issue 11)
                self.assertEqual(rest.replace(url + "/api/message:send", "<url>"), rpc_line.replace(rurl + "/", "<url>"))
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "unavailable", "404")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 3, "unavailable", "404")
        self.assertError(self.run_cli("message", "send", "--url", url, "hi"), 1, "SendMessage failed: HTTP 418: teapot")
        self.assertJsonError(self.run_cli("-o", "json", "message", "send", "--url", url, "hi"),
                             "InvalidAgentResponseError", 1)
        self.assertEqual(len(server.calls()), 7)

    def test_an_error_in_the_stream(self):
        url, server = self.rest_scripted("1.0")
        server.card = rest_card(url)
        frames = [b"data: %s\r\n\r\n" % json.dumps(wsend("1.0", wtask("1.0", "submitted"))).encode(),
                  b"event: error\r\ndata: %s\r\n\r\n" % rest_error_body(500, "INTERNAL", "INTERNAL_ERROR", "it broke")]
        server.routes[("POST", "/api/message:stream")] = [
            Reply(pieces=frames, ctype="text/event-stream"),
            Reply(rest_error_body(404, "NOT_FOUND", "TASK_NOT_FOUND", "no task t-9"), 404)]   # before the stream
        r = self.run_cli("message", "stream", "--url", url, "hi")
        self.assertEqual(r.code, 1, r)
        self.assertEqual(r.err.splitlines()[-1].split("; ")[0],
                         "Error: InternalError: it broke")   # and its hint
        self.assertError(self.run_cli("message", "stream", "--url", url, "--task-id", "t-9", "hi"), 1,
                         "TaskNotFoundError: no task t-9")

    # -- A2A 0.3 over HTTP+JSON (proto JSON under /v1)
    def v03_pair(self):
        """A 0.3 agent offering HTTP+JSON first at /api (scripted by route) and a 0.3 JSON-RPC agent."""
        url, server = self.rest_scripted("0.3")
        card = wcard("0.3", url + "/api")
        card["preferredTransport"] = "HTTP+JSON"
        card["capabilities"]["pushNotifications"] = True
        server.card = card
        rurl, rserver = self.scripted("0.3")
        rserver.card = dict(wcard("0.3", rurl + "/"), capabilities={"streaming": True, "pushNotifications": True})
        return url, server, rurl, rserver

    PROTO_TASK = {"id": "t-1", "contextId": "c-1", "status": {
        "state": "TASK_STATE_INPUT_REQUIRED", "message": {"messageId": "m-q", "role": "ROLE_AGENT",
                                                          "content": [{"text": "Which colour?"}]}},
        "artifacts": [{"artifactId": "a1", "name": "echo", "parts": [
            {"text": "Echo: hi"}, {"file": {"fileWithBytes": base64.b64encode(base64.b64encode(b"\x00\xffbin")).decode(),
                                            "mimeType": "application/octet-stream", "name": "b.bin"}},
            {"file": {"fileWithUri": "https://files.example/x.csv", "mimeType": "text/csv", "name": "x.csv"}},
            {"data": {"data": {"k": [1, 2]}}}]}],
        "history": [{"messageId": "m-u", "role": "ROLE_USER", "content": [{"text": "hi"}], "contextId": "c-1"}]}

    def rpc_task(self):
        """PROTO_TASK as a 0.3 JSON-RPC agent sends it."""
        return {"kind": "task", "id": "t-1", "contextId": "c-1", "status": {
            "state": "input-required", "message": {"kind": "message", "messageId": "m-q", "role": "agent",
                                                   "parts": [{"kind": "text", "text": "Which colour?"}]}},
            "artifacts": [{"artifactId": "a1", "name": "echo", "parts": [
                {"kind": "text", "text": "Echo: hi"},
                {"kind": "file", "file": {"bytes": base64.b64encode(b"\x00\xffbin").decode(),
                                          "mimeType": "application/octet-stream", "name": "b.bin"}},
                {"kind": "file", "file": {"uri": "https://files.example/x.csv", "mimeType": "text/csv",
                                          "name": "x.csv"}},
                {"kind": "data", "data": {"k": [1, 2]}}]}],
            "history": [{"kind": "message", "messageId": "m-u", "role": "user",
                         "parts": [{"kind": "text", "text": "hi"}], "contextId": "c-1"}]}

    def test_v03_send_and_get_print_what_json_rpc_prints(self):
        url, server, rurl, rserver = self.v03_pair()
        server.routes[("POST", "/api/v1/message:send")] = [Reply(json.dumps({"task": self.PROTO_TASK}).encode())] * 2
        server.routes[("GET", "/api/v1/tasks/t-1")] = [Reply(json.dumps(self.PROTO_TASK).encode())] * 2
        rserver.posts += [Reply(rpc(self.rpc_task()))] * 4
        blob = self.write("blob.bin", b"\x01\x02\xfe")
        results = {}
        for u in (url, rurl):
            for argv in (["message", "send", "--file", blob, "--data", '{"q": 1}', "hi"], ["task", "get", "t-1"]):
                for fmt in ("text", "json"):
                    r = self.assertOk(self.run_cli("-o", fmt, *argv, "--url", u))
                    results.setdefault((argv[0], fmt), []).append((r.out, r.err.replace(u, "<url>")))
        for key, (over_rest, over_rpc) in results.items():
            with self.subTest(key=key):
                self.assertEqual(over_rest, over_rpc)
        text = results[("message", "text")][0][0]
        self.assertIn("Which colour?", text)
        self.assertIn("[file b.bin (application/octet-stream), 5 bytes inline]", text)
        doc = json.loads(results[("task", "json")][0][0])
        self.assertEqual(doc["artifacts"][0]["parts"][1]["raw"], base64.b64encode(b"\x00\xffbin").decode())
        self.assertEqual(doc["status"]["state"], "TASK_STATE_INPUT_REQUIRED")
        send, get = [r for r in server.requests if "/.well-known/" not in r.path][::2]
        self.assertEqual((send.method, send.path, get.method, get.path),
                         ("POST", "/api/v1/message:send", "GET", "/api/v1/tasks/t-1"))
        self.assertIsNone(send.headers.get("A2A-Version"))
        body = send.json
        self.assertEqual(body["configuration"], {"blocking": True})
        self.assertNotIn("parts", body["message"])
        self.assertEqual(body["message"]["content"], [
            {"text": "hi"},
            {"file": {"fileWithBytes": base64.b64encode(base64.b64encode(b"\x01\x02\xfe")).decode(),
                      "mimeType": "application/octet-stream", "name": "blob.bin"}},
            {"data": {"data": {"q": 1}}}])

    def test_v03_stream_and_a_message_reply(self):
        url, server, rurl, rserver = self.v03_pair()
        proto_events = [{"task": {"id": "t-1", "contextId": "c-1", "status": {"state": "TASK_STATE_SUBMITTED"}}},
                        {"statusUpdate": {"taskId": "t-1", "contextId": "c-1",
                                          "status": {"state": "TASK_STATE_WORKING"}}},
                        {"artifactUpdate": {"taskId": "t-1", "contextId": "c-1",
                                            "artifact": {"artifactId": "a1", "parts": [{"text": "Echo: "}]}}},
                        {"artifactUpdate": {"taskId": "t-1", "contextId": "c-1", "artifact": {
                            "artifactId": "a1", "parts": [{"text": "hi"}]}, "append": True, "lastChunk": True}},
                        {"statusUpdate": {"taskId": "t-1", "contextId": "c-1",
                                          "status": {"state": "TASK_STATE_COMPLETED"}, "final": True}}]
        frames = [b"data: %s\r\n\r\n" % json.dumps(e).encode() for e in proto_events]
        message = {"messageId": "m-a", "role": "ROLE_AGENT", "content": [{"text": "just a reply"}], "contextId": "c-1"}
        server.routes[("POST", "/api/v1/message:stream")] = [Reply(pieces=frames, ctype="text/event-stream")
                                                             for _ in range(2)]
        server.routes[("POST", "/api/v1/message:send")] = [Reply(json.dumps({"message": message}).encode())] * 2
        rserver.posts += [Reply(pieces=sse(wevents("0.3")), ctype="text/event-stream") for _ in range(2)]
        rserver.posts += [Reply(rpc(wmessage_03("just a reply")))] * 2
        got = []
        for u in (url, rurl):
            got.append([self.assertOk(self.run_cli("-o", fmt, *argv, "--url", u, "--no-session", "hi")).out
                        for argv in (["message", "stream"], ["message", "send"]) for fmt in ("text", "json")])
        self.assertEqual(got[0], got[1])
        self.assertEqual(got[0][0], "Echo: hi\nTask ID: t-1\nContext ID: c-1\nState: completed\n")
        self.assertEqual(got[0][2], "just a reply\nContext ID: c-1\n")

    def test_v03_push_configs_print_what_json_rpc_prints(self):
        url, server, rurl, rserver = self.v03_pair()
        hook = "http://127.0.0.1:9/hook"
        proto = {"name": "tasks/t-1/pushNotificationConfigs/t-1",
                 "pushNotificationConfig": {"id": "t-1", "url": hook, "token": "tok-0123456789abcdef"}}
        server.routes[("POST", "/api/v1/tasks/t-1/pushNotificationConfigs")] = [Reply(json.dumps(proto).encode())] * 2
        server.routes[("GET", "/api/v1/tasks/t-1/pushNotificationConfigs/t-1")] = [Reply(json.dumps(proto).encode())] * 2
        rpc_config = {"taskId": "t-1", "pushNotificationConfig": {"id": "t-1", "url": hook,
                                                                  "token": "tok-0123456789abcdef"}}
        rserver.posts += [Reply(rpc(rpc_config))] * 4
        got = []
        for u in (url, rurl):
            got.append([self.assertOk(self.run_cli("-o", fmt, *argv, "--url", u)).out for fmt in ("text", "json")
                        for argv in (["task", "notification", "set", "t-1", "--webhook-url", hook, "--token",
                                      "tok-0123456789abcdef"],
                                     ["task", "notification", "get", "t-1", "--config-id", "t-1"])])
        self.assertEqual(got[0], got[1])
        self.assertEqual(json.loads(got[0][2]), {"taskId": "t-1", "id": "t-1", "url": hook, "token": mock.ANY})
        body = [r.json for r in server.requests if r.method == "POST"][0]
        self.assertEqual(body["parent"], "tasks/t-1")
        # proto JSON cannot tell a missing id from "": Handler names the config as the SDK's JSON-RPC does
        self.assertEqual(body["config"]["pushNotificationConfig"],
                         {"id": "t-1", "url": hook, "token": "tok-0123456789abcdef"})
        self.assertEqual(server.calls()[-1], ("GET", "/api/v1/tasks/t-1/pushNotificationConfigs/t-1"))

    def test_v03_has_no_list_tasks(self):
        url, server, rurl, rserver = self.v03_pair()
        self.assertError(self.run_cli("task", "list", "--url", url), 1, "ListTasks")
        self.assertEqual(server.calls(), [])

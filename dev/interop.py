"""Interop checks: Handler against an echo agent built with the official a2a-sdk.

    python3 dev/interop.py --agent-python /tmp/venv13/bin/python   # a2a-sdk 1.x
    python3 dev/interop.py --agent-python /tmp/venv03/bin/python   # a2a-sdk 0.3.x
    python3 dev/interop.py --agent-js /tmp/js/node_modules         # @a2a-js/sdk 1.x (node)
    python3 dev/interop.py --url http://127.0.0.1:PORT             # agent already running

Three passes, each against its own agent: JSON-RPC (sdk_agent.py as is), the
HTTP+JSON (REST) binding (--rest-only: the card offers only HTTP+JSON, so every
command goes over REST; the same checks, except those that need push config
list or delete, which a2a-sdk 0.3's REST routes do not implement: they are
reported as SKIP), and, with a2a-sdk 1.x, REST with a tenant (--rest-only
--tenant acme: the agent refuses requests without it; a subset of the checks).
--pass jsonrpc|rest|tenant (repeatable) runs only some of them.

--agent-js NODE_MODULES (a folder where `npm install @a2a-js/sdk@1.3.0 express` ran) starts
dev/js_agent.mjs with `node` instead, the same agent on the official JavaScript SDK, in five
passes: JSON-RPC and REST-only in A2A 1.0 (the card declares 1.0 and 0.3 interfaces, as the
Python SDK's does, and the SDK's 0.3 compatibility layer is on), JSON-RPC and REST-only in the
SDK's 0.3 compatibility mode alone (--protocol 0.3: the card, a "hybrid" one, declares only 0.3
interfaces, so Handler speaks 0.3), and a bearer pass (--bearer-token: 401 without credentials,
then the usual commands with `auth set`). --pass jsonrpc|rest|jsonrpc-0.3|rest-0.3|bearer picks.

For each pass: starts dev/sdk_agent.py with the given interpreter on port 0, waits (30 s at
most) for its `READY <url>` line, runs `python3 handler.py ...` subcommands
against it (a snapshot of handler.py taken when the pass starts) with HANDLER_HOME set
to a fresh temporary directory and NO_PROXY=*, prints PASS/FAIL per check and
exits 1 if any check failed. One check starts `handler.py server push` on port 0
as the webhook receiver that the agent's push notifications go to. Everything
started here (agent, receiver) is stopped by its pid at the end. Stdlib only.

What is covered, in both protocol versions (the card tells which one the agent
speaks: `supportedInterfaces` means 1.x, else 0.3): card get (also --extended),
message send/stream, sessions, input-required, task get (by id, from the
session, --wait), task list (0.3: refused in one line), task cancel (running,
finished, twice), task resubscribe (text, JSON Lines), push configs (set, get,
list, delete), the push receiver (401 without the token, 400 for junk) and push
delivery from the SDK's server to it, file and data parts (--file, --data,
--save-artifacts), and the binding --debug says it chose (with the path the
request went to).

To add a check, append a row to CHECKS: (name, handler arguments, checker).
Arguments may hold {placeholders} filled from the state dict (the agent's
{url}, {push_url} and {push_token} of the receiver, {tmp} a scratch directory,
and ids that earlier checks saved such as {task_id}); they may also be a
function of the state returning the list, or None for a check that runs no
handler command. A checker gets the Result (None without a command) and the
state dict shared by all checks, and raises Fail("why") on a mismatch.
"""

import argparse
import base64
import glob
import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AGENT = os.path.join(HERE, "sdk_agent.py")
JS_AGENT = os.path.join(HERE, "js_agent.mjs")
BEARER = "interop-bearer-token-77c2"   # the JS agent's --bearer-token in the bearer pass
EVENT_KEYS = {"task", "message", "statusUpdate", "artifactUpdate"}
PUSH_TOKEN = "interop-push-token-5b1f"
PUSH_WAIT = 15.0          # seconds a pushed notification may take to arrive
BLOB = bytes(range(256)) + b"\r\n\x00 Handler interop file"   # not UTF-8, so it must travel as bytes
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never through a proxy


class Fail(Exception):
    pass


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err


# ---------------------------------------------------------------- helpers

def expect_rc(r, rc=0):
    if r.rc != rc:
        raise Fail("exit code %s, expected %s" % (r.rc, rc))


def expect_in(r, *needles):
    for n in needles:
        if n not in r.out:
            raise Fail("stdout lacks %r" % n)


def field(r, label):
    """Value of a `Label: value` line in text output."""
    m = re.search(r"^\s*%s:\s*(\S.*?)\s*$" % re.escape(label), r.out, re.M)
    if not m:
        raise Fail("stdout has no %r line" % (label + ":"))
    return m.group(1)


def expect_field(r, label, value):
    got = field(r, label)
    if got != value:
        raise Fail("%s: %s, expected %s" % (label, got, value))


def one_json(r):
    try:
        return json.loads(r.out)
    except ValueError as e:
        raise Fail("stdout is not one JSON document: %s" % e)


def json_lines(r):
    docs = []
    for i, line in enumerate(r.out.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except ValueError as e:
            raise Fail("line %d is not JSON: %s" % (i, e))
        if not isinstance(doc, dict):
            raise Fail("line %d is not a JSON object" % i)
        docs.append(doc)
    if not docs:
        raise Fail("no JSON lines on stdout")
    return docs


def expect_events(events):
    """Every line one normalised 1.x StreamResponse: exactly one key of EVENT_KEYS."""
    for i, ev in enumerate(events, 1):
        if len(ev) != 1 or not set(ev) & EVENT_KEYS:
            raise Fail("line %d has keys %s, expected exactly one of %s" % (i, sorted(ev), sorted(EVENT_KEYS)))


def event_task_id(ev):
    body = next(iter(ev.values()), None) if isinstance(ev, dict) and len(ev) == 1 else None
    if not isinstance(body, dict):
        return None
    return body.get("id") if "task" in ev else body.get("taskId")


def event_state(ev):
    body = ev.get("task") or ev.get("statusUpdate")
    return body.get("status", {}).get("state") if isinstance(body, dict) else None


def last_state(events):
    state = None
    for ev in events:
        state = event_state(ev) or state
    return state


def expect_task(doc, state=None, task_id=None):
    """A bare Task in the 1.x shape."""
    if not isinstance(doc, dict):
        raise Fail("stdout is not a JSON object")
    if "task" in doc or "id" not in doc:
        raise Fail("not a bare Task (top-level keys %s)" % sorted(doc))
    if "kind" in doc:
        raise Fail("0.3 'kind' leaked into 1.x output")
    got = doc.get("status", {}).get("state")
    if not str(got).startswith("TASK_STATE_"):
        raise Fail("status.state %r is not a 1.x TASK_STATE_* name" % got)
    if state and got != state:
        raise Fail("status.state is %r, expected %r" % (got, state))
    if task_id and doc["id"] != task_id:
        raise Fail("task id %s, expected %s" % (doc["id"], task_id))
    for m in doc.get("history") or []:
        if m.get("role") not in ("ROLE_USER", "ROLE_AGENT") or "kind" in m:
            raise Fail("history message not in the 1.x shape: %s" % json.dumps(m)[:200])


def clean_failure(r, *needles, rc=1):
    """A failure reported in one line on stderr (`Error: ...`), no traceback, nothing on stdout."""
    expect_rc(r, rc)
    lines = [l for l in r.err.splitlines() if l.strip()]
    if "Traceback" in r.err:
        raise Fail("a traceback on stderr")
    if len(lines) != 1 or not lines[0].startswith("Error:"):
        raise Fail("stderr is not one 'Error:' line: %r" % r.err.strip()[:300])
    for n in needles:
        if n not in lines[0]:
            raise Fail("the error line lacks %r" % n)
    if r.out.strip():
        raise Fail("stdout is not empty: %r" % r.out.strip()[:200])


def json_failure(r, code, a2a_code=None, rc=1):
    """With -o json: the one-line error envelope on stdout."""
    expect_rc(r, rc)
    lines = r.out.splitlines()
    if len(lines) != 1:
        raise Fail("stdout has %d lines, expected the one-line error envelope" % len(lines))
    err = json_lines(r)[0].get("error")
    if not isinstance(err, dict):
        raise Fail("no 'error' object on stdout")
    if err.get("code") != code:
        raise Fail("error.code %r, expected %r" % (err.get("code"), code))
    if a2a_code is not None and err.get("a2aCode") != a2a_code:
        raise Fail("error.a2aCode %r, expected %r" % (err.get("a2aCode"), a2a_code))


def need(st, key):
    if key not in st:
        raise Fail("needs %s from an earlier check" % key)
    return st[key]


def post(url, body, headers=None):
    """POST bytes; the HTTP status (also for 4xx/5xx)."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers=dict({"Content-Type": "application/json"}, **(headers or {})))
    try:
        with DIRECT.open(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        e.close()
        return e.code
    except (urllib.error.URLError, OSError) as e:
        raise Fail("POST %s: %s" % (url, getattr(e, "reason", e)))


# ---------------------------------------------------------------- the push receiver

class Receiver:
    """`handler.py -o json server push --port 0 --token T`, its stdout JSON Lines collected."""

    BANNER = re.compile(r"Handler push receiver on (http://[^/\s]+)/")

    def __init__(self, handler, env, token, wait=15.0):
        self.lines, self.err, self.url = [], [], None
        self._cond = threading.Condition()
        self._ready = threading.Event()
        self.proc = subprocess.Popen([sys.executable, handler, "-o", "json", "server", "push",
                                      "--host", "127.0.0.1", "--port", "0", "--token", token],
                                     env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self._threads = [threading.Thread(target=self._read_out, daemon=True),
                         threading.Thread(target=self._read_err, daemon=True)]
        for t in self._threads:
            t.start()
        self._ready.wait(wait)

    def _read_out(self):
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def _read_err(self):
        for line in self.proc.stderr:
            self.err.append(line.rstrip("\n"))
            m = self.BANNER.search(line)
            if m and not self.url:
                self.url = m.group(1)
                self._ready.set()
        self._ready.set()   # it exited

    def events(self):
        """The lines so far, parsed (a line that is not JSON becomes {"<not JSON>": line})."""
        with self._cond:
            lines = list(self.lines)
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"<not JSON>": line})
        return out

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for ev in self.events():
                    if predicate(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return None
                self._cond.wait(min(left, 0.5))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()   # by its pid
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for t in self._threads:
            t.join(2)
        self.proc.stdout.close()
        self.proc.stderr.close()


def wait_notification(st, task_id, state="TASK_STATE_COMPLETED"):
    """A notification for task_id with that state arrives at the receiver within PUSH_WAIT."""
    rec = need(st, "receiver")
    ev = rec.wait_for(lambda e: event_task_id(e) == task_id and event_state(e) == state, PUSH_WAIT)
    mine = [e for e in rec.events() if event_task_id(e) == task_id]
    if ev is None:
        got = ", ".join("%s:%s" % (next(iter(e)), event_state(e) or "-") for e in mine) or "none"
        alive = "" if rec.proc.poll() is None else "; the receiver exited with %s" % rec.proc.returncode
        raise Fail("no notification for task %s in state %s within %gs (got for it: %s; all lines: %d%s)"
                   % (task_id, state, PUSH_WAIT, got, len(rec.lines), alive))
    expect_events(mine)
    return mine


# ---------------------------------------------------------------- checkers

def card_text(r, st):
    expect_rc(r)
    expect_in(r, "SDK Echo Agent")


def card_json(r, st):
    expect_rc(r)
    card = one_json(r)
    if card.get("name") != "SDK Echo Agent":
        raise Fail("card name is %r" % card.get("name"))
    if not any(s.get("id") == "echo" for s in card.get("skills", [])):
        raise Fail("card has no skill 'echo'")


def send_text(r, st):
    expect_rc(r)
    expect_in(r, "Echo: hello")
    st["task_id"], st["context_id"] = field(r, "Task ID"), field(r, "Context ID")
    expect_field(r, "State", "completed")


def same_context(r, st):
    expect_rc(r)
    expect_in(r, "Echo: again")
    if "context_id" not in st:
        raise Fail("no earlier Context ID to compare with")
    ctx = field(r, "Context ID")
    if ctx != st["context_id"]:
        raise Fail("Context ID %s, earlier send had %s" % (ctx, st["context_id"]))
    if field(r, "Task ID") == st.get("task_id"):
        raise Fail("a finished task's id was reused")


def send_json(r, st):
    expect_rc(r)
    doc = one_json(r)
    if set(doc) != {"task"}:
        raise Fail("top-level keys %s, expected ['task']" % sorted(doc))
    state = doc["task"].get("status", {}).get("state")
    if state != "TASK_STATE_COMPLETED":
        raise Fail("task.status.state is %r" % state)
    if "kind" in doc["task"]:
        raise Fail("0.3 'kind' leaked into 1.x output")


def stream_text(r, st):
    expect_rc(r)
    expect_in(r, "Echo: hi")
    expect_field(r, "State", "completed")


def stream_json(r, st):
    expect_rc(r)
    events = json_lines(r)
    expect_events(events)
    if not any("artifactUpdate" in ev for ev in events):
        raise Fail("no artifactUpdate line")
    if last_state(events) != "TASK_STATE_COMPLETED":
        raise Fail("last state is %r" % last_state(events))


def ask(r, st):
    expect_rc(r)
    expect_field(r, "State", "input-required")
    expect_in(r, "What should I echo?")
    st["ask_task_id"] = field(r, "Task ID")


def follow_up(r, st):
    expect_rc(r)
    tid = field(r, "Task ID")
    if tid != need(st, "ask_task_id"):
        raise Fail("Task ID %s, the input-required task was %s" % (tid, st["ask_task_id"]))
    expect_in(r, "blue")
    if "Echo: blue" not in r.out:
        print("    note: 'Echo: blue' not verbatim in output", flush=True)
    expect_field(r, "State", "completed")


# -- the binding

USING = re.compile(r"^debug: using (\S+), A2A (\S+), at (\S+): ", re.M)


def binding_used(r, st):
    """--debug names the binding, version and endpoint it chose; the request went to the path of
    that binding (REST: GET [/tenant]/tasks/ID, or /v1/tasks/ID in 0.3; JSON-RPC: a POST to the
    endpoint). The binding seen is kept in st["binding"] for the checks that depend on it."""
    expect_rc(r)
    m = USING.search(r.err)
    if not m:
        raise Fail("--debug printed no 'using <binding>, A2A <version>, at <url>: <why>' line")
    binding, version, endpoint = m.groups()
    st["binding"] = binding.rstrip(",")
    want = st.get("want_binding")
    if want and st["binding"] != want:
        raise Fail("--debug says %s, expected %s (the agent offers only that)" % (st["binding"], want))
    if version != ("1.0" if st.get("v1") else "0.3"):
        raise Fail("--debug says A2A %s for a %s agent" % (version, "1.x" if st.get("v1") else "0.3"))
    tid = need(st, "task_id")
    if st["binding"] == "HTTP+JSON":
        prefix = endpoint.rstrip("/") + ("/" + st["tenant"] if st.get("tenant") else "") \
            + ("" if st.get("v1") else "/v1")
        line = "debug: > GET %s/tasks/%s" % (prefix, tid)
    else:
        line = "debug: > POST %s" % endpoint
    if line not in r.err:
        raise Fail("--debug shows no request line %r" % line)
    expect_field(r, "Task ID", tid)


# -- tasks

def started(key):
    """message send --async: the task id saved as st[key]; not finished yet."""
    def check(r, st):
        expect_rc(r)
        st[key] = field(r, "Task ID")
        if field(r, "State") not in ("submitted", "working"):
            raise Fail("State: %s, expected submitted or working (the slow task should still run)"
                       % field(r, "State"))
    return check


def get_text(r, st):
    expect_rc(r)
    expect_in(r, "Echo: hello")
    expect_field(r, "Task ID", need(st, "task_id"))
    expect_field(r, "State", "completed")


def get_json(r, st):
    expect_rc(r)
    expect_task(one_json(r), "TASK_STATE_COMPLETED", need(st, "ask_task_id"))


def get_unknown(r, st):
    clean_failure(r, "TaskNotFoundError")


def get_wait(r, st):
    expect_rc(r)
    tid = need(st, "wait_id")
    expect_field(r, "Task ID", tid)
    expect_field(r, "State", "completed")
    expect_in(r, "Echo: slow wait")
    if tid not in r.err:
        raise Fail("stderr does not name task %s before waiting (the task should still have run)" % tid)


def canceled(key, json_out=False):
    def check(r, st):
        expect_rc(r)
        tid = need(st, key)
        if json_out:
            return expect_task(one_json(r), "TASK_STATE_CANCELED", tid)
        expect_field(r, "Task ID", tid)
        expect_field(r, "State", "canceled")
    return check


def not_cancelable(r, st):
    clean_failure(r, "TaskNotCancelableError")


def not_cancelable_json(r, st):
    json_failure(r, "TaskNotCancelableError", -32002)


SDK03_RACE = "the stream ended while task"


def sdk03_race(r, st, key, text, resubscribe):
    """a2a-sdk 0.3.26 races against a resubscriber: the background consumer of a non-blocking
    send closes the task's event queue at once (close(immediate=True)) when it sees the final
    event, which can clear that event from the queue tapped by tasks/resubscribe before it is
    read. Seen on the wire about 1 run in 15: the stream closes after the last artifact chunk,
    without the completed status-update; Handler rightly reports a stream that ended while the
    task was working (exit 1). For a 0.3 agent such a run is repeated once, with a new task."""
    if st.get("v1") or r.rc != 1 or SDK03_RACE not in r.err:
        return r
    print("    note: the a2a-sdk 0.3 stream ended without the final event (SDK race); once more",
          flush=True)
    started(key)(st["_run"](expand(ASYNC + [text], st)), st)
    argv = expand(resubscribe, st)
    r = st["_shown"] = st["_run"](argv)
    r.argv = argv
    return r


def resub_text(r, st):
    r = sdk03_race(r, st, "sub_id", "slow follow", ["task", "resubscribe"] + URL)
    expect_rc(r)
    expect_in(r, "Echo: slow follow")
    expect_field(r, "Task ID", need(st, "sub_id"))
    expect_field(r, "State", "completed")


def resub_json(r, st):
    r = sdk03_race(r, st, "sub2_id", "slow json", ["-o", "json", "task", "resubscribe", "{sub2_id}"] + URL)
    expect_rc(r)
    tid = need(st, "sub2_id")
    events = json_lines(r)
    expect_events(events)
    others = {event_task_id(e) for e in events} - {tid}
    if others:
        raise Fail("events for other tasks: %s" % sorted(map(str, others)))
    if last_state(events) != "TASK_STATE_COMPLETED":
        raise Fail("last state is %r" % last_state(events))
    text = "".join(p.get("text", "") for e in events if "artifactUpdate" in e
                   for p in e["artifactUpdate"]["artifact"].get("parts", []))
    if "slow json" not in text:
        raise Fail("the artifact chunks do not hold the echo (got %r)" % text)


def resub_finished(r, st):
    clean_failure(r)


def list_text(r, st):
    if not st.get("v1"):
        return clean_failure(r, "ListTasks")
    expect_rc(r)
    rows = {}
    for line in r.out.splitlines():
        words = line.split()
        if len(words) >= 2:
            rows[words[0]] = words[1]
    for key, state in (("task_id", "completed"), ("wait_id", "completed"), ("cancel_id", "canceled")):
        tid = need(st, key)
        if tid not in rows:
            raise Fail("no line for task %s (%s)" % (tid, key))
        if rows[tid] != state:
            raise Fail("task %s is %r, expected %r" % (tid, rows[tid], state))


def list_json(r, st):
    if not st.get("v1"):
        return json_failure(r, "UnsupportedOperationError")
    expect_rc(r)
    doc = one_json(r)
    for key in ("tasks", "nextPageToken"):
        if key not in doc:
            raise Fail("no %r in the ListTasks result (keys %s)" % (key, sorted(doc)))
    for task in doc["tasks"]:
        expect_task(task)
    ids = {t["id"] for t in doc["tasks"]}
    for key in ("task_id", "ask_task_id", "wait_id", "cancel_id", "sub_id"):
        if need(st, key) not in ids:
            raise Fail("task %s (%s) is not listed" % (st[key], key))


def list_page(r, st):
    if not st.get("v1"):
        return clean_failure(r, "ListTasks")
    expect_rc(r)
    rows = [l for l in r.out.splitlines() if l.strip()]
    if len(rows) != 2 or "--page-token" not in rows[1]:
        raise Fail("expected one task line and a '(more: --page-token ...)' line, got %d line(s)" % len(rows))


def list_empty(r, st):
    if not st.get("v1"):
        return json_failure(r, "UnsupportedOperationError")
    expect_rc(r)
    doc = one_json(r)
    if doc.get("tasks") != [] or "nextPageToken" not in doc:
        raise Fail("expected no tasks and a nextPageToken, got %s" % json.dumps(doc)[:300])


def list_all(r, st):
    if not st.get("v1"):
        return json_failure(r, "UnsupportedOperationError")
    expect_rc(r)
    doc = one_json(r)
    tasks = doc.get("tasks") or []
    ids = [t.get("id") for t in tasks]
    if len(ids) != len(set(ids)):
        raise Fail("a task is listed twice across the pages")
    if doc.get("nextPageToken"):
        raise Fail("--all ended with nextPageToken %r" % doc["nextPageToken"])
    if any(t.get("status", {}).get("state") != "TASK_STATE_COMPLETED" for t in tasks):
        raise Fail("--status completed listed a task in another state")
    for key in ("task_id", "wait_id", "sub_id", "sub2_id"):
        if need(st, key) not in ids:
            raise Fail("task %s (%s) is missing from the pages" % (st[key], key))
    if need(st, "cancel_id") in ids:
        raise Fail("the canceled task is listed under --status completed")


# -- push notification configs

def notif_set(r, st):
    expect_rc(r)
    doc = one_json(r)
    if doc.get("taskId") != need(st, "task_id"):
        raise Fail("taskId %r, expected %s" % (doc.get("taskId"), st["task_id"]))
    if doc.get("url") != need(st, "push_url") + "/config":
        raise Fail("url %r" % doc.get("url"))
    if not doc.get("id"):
        raise Fail("the config has no id")
    if PUSH_TOKEN in r.out:
        raise Fail("the token is printed unmasked")
    st["cfg_id"] = doc["id"]


def notif_get(r, st):
    expect_rc(r)
    expect_field(r, "Config ID", need(st, "cfg_id"))
    expect_field(r, "Task ID", need(st, "task_id"))
    expect_field(r, "Webhook URL", need(st, "push_url") + "/config")
    if PUSH_TOKEN in r.out:
        raise Fail("the token is printed unmasked")


def notif_get_json(r, st):
    expect_rc(r)
    doc = one_json(r)
    if doc.get("id") != need(st, "cfg_id") or doc.get("url") != need(st, "push_url") + "/config":
        raise Fail("got config %s" % json.dumps(doc)[:300])


def notif_list(r, st):
    expect_rc(r)
    doc = one_json(r)
    configs = doc.get("configs")
    if not isinstance(configs, list):
        raise Fail("no 'configs' list (keys %s)" % sorted(doc))
    if [c.get("id") for c in configs] != [need(st, "cfg_id")]:
        raise Fail("configs %s, expected just %s" % ([c.get("id") for c in configs], st["cfg_id"]))
    if PUSH_TOKEN in r.out:
        raise Fail("the token is printed unmasked")


def notif_delete(r, st):
    expect_rc(r)
    expect_in(r, need(st, "cfg_id"))


def notif_gone(r, st):
    clean_failure(r)


def notif_list_empty(r, st):
    expect_rc(r)
    configs = one_json(r).get("configs")
    if configs != []:
        raise Fail("configs after delete: %s" % json.dumps(configs)[:300])


# -- the push receiver and push delivery

def receiver_start(r, st):
    rec = st["receiver"] = Receiver(st["_handler"], st["_env"], PUSH_TOKEN)
    if not rec.url:
        raise Fail("no 'Handler push receiver on http://...' line on stderr within 15 s (exit %s): %s"
                   % (rec.proc.poll(), " | ".join(rec.err[-5:])))
    st["push_url"], st["push_token"] = rec.url, PUSH_TOKEN
    print("    receiver %s (pid %d)" % (rec.url, rec.proc.pid), flush=True)


def _probe(task_id, state="TASK_STATE_WORKING"):
    return json.dumps({"statusUpdate": {"taskId": task_id, "contextId": "interop",
                                        "status": {"state": state}}}).encode()


def push_no_token(r, st):
    status = post(need(st, "push_url") + "/hook", _probe("interop-no-token"))
    if status != 401:
        raise Fail("HTTP %s, expected 401" % status)


def push_wrong_token(r, st):
    url = need(st, "push_url") + "/hook"
    for headers in ({"X-A2A-Notification-Token": "wrong"}, {"Authorization": "Bearer wrong"}):
        status = post(url, _probe("interop-wrong-token"), headers)
        if status != 401:
            raise Fail("HTTP %s with %s, expected 401" % (status, sorted(headers)[0]))


def push_junk(r, st):
    status = post(need(st, "push_url") + "/hook", b"this is not JSON", {"X-A2A-Notification-Token": PUSH_TOKEN})
    if status != 400:
        raise Fail("HTTP %s, expected 400" % status)


def push_bearer(r, st):
    rec = need(st, "receiver")
    status = post(st["push_url"] + "/webhook", _probe("interop-bearer", "TASK_STATE_COMPLETED"),
                  {"Authorization": "Bearer " + PUSH_TOKEN})
    if status != 200:
        raise Fail("HTTP %s, expected 200" % status)
    wait_notification(st, "interop-bearer")
    if rec.proc.poll() is not None:
        raise Fail("the receiver exited with %s" % rec.proc.returncode)
    shown = {event_task_id(e) for e in rec.events()}
    if shown & {"interop-no-token", "interop-wrong-token"}:
        raise Fail("a rejected notification was printed")
    if any("<not JSON>" in e for e in rec.events()):
        raise Fail("stdout has a line that is not JSON")


def push_delivered(r, st):
    expect_rc(r)
    expect_field(r, "State", "completed")
    tid = field(r, "Task ID")
    wait_notification(st, tid)


def push_set_running(st):
    """On a running task: 1.x sends the credentials as Authorization (no token given, so the
    receiver must accept Authorization: Bearer); the 0.3 SDK sends only the token header."""
    auth = ["--auth-scheme", "Bearer", "--auth-credentials", "{push_token}"] if st.get("v1") \
        else ["--token", "{push_token}"]
    return ["task", "notification", "set", "{push_id}", "--url", "{url}",
            "--webhook-url", "{push_url}/set"] + auth


def push_set_delivered(r, st):
    expect_rc(r)
    expect_field(r, "Task ID", need(st, "push_id"))
    wait_notification(st, st["push_id"])


# -- files and data

def _parts(task):
    return [p for a in task.get("artifacts") or [] for p in a.get("parts") or []]


def files_json(r, st):
    expect_rc(r)
    doc = one_json(r)
    if set(doc) != {"task"}:
        raise Fail("top-level keys %s, expected ['task']" % sorted(doc))
    expect_task(doc["task"], "TASK_STATE_COMPLETED")
    parts = _parts(doc["task"])
    files = [p for p in parts if "raw" in p]
    if not files:
        raise Fail("no echoed file part (raw) among the artifact parts: %s" % [sorted(p) for p in parts])
    if base64.b64decode(files[0]["raw"]) != BLOB:
        raise Fail("the echoed file's bytes differ from the file sent")
    if files[0].get("filename") != "blob.bin":
        raise Fail("the echoed file is named %r" % files[0].get("filename"))
    if not any(p.get("data") == {"k": 1} for p in parts):
        raise Fail("no echoed data part {'k': 1}")


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def expect_saved(directory):
    path = os.path.join(directory, "blob.bin")
    if not os.path.isfile(path):
        raise Fail("%s not written (files: %s)" % (path, sorted(os.listdir(directory)) if os.path.isdir(directory)
                                                  else "no directory"))
    if _read(path) != BLOB:
        raise Fail("%s holds other bytes than the file sent" % path)
    data = [json.loads(_read(p)) for p in glob.glob(os.path.join(directory, "*.json"))]
    if {"k": 1} not in data:
        raise Fail("no .json file holding {'k': 1} in %s" % directory)
    texts = [_read(p) for p in glob.glob(os.path.join(directory, "*.txt"))]
    if b"Echo: hi" not in texts:
        raise Fail("no .txt file holding 'Echo: hi' in %s" % directory)


def files_saved(r, st):
    expect_rc(r)
    expect_in(r, "Echo: hi", "blob.bin")
    expect_field(r, "State", "completed")
    st["file_task_id"] = field(r, "Task ID")
    expect_saved(os.path.join(st["tmp"], "saved"))


def files_get_saved(r, st):
    expect_rc(r)
    expect_saved(os.path.join(st["tmp"], "saved-again"))


BLOB2 = bytes((i * 7 + 3) % 256 for i in range(1024))   # binary; its base64 is not valid UTF-8 base64 text
B64ISH = b"QUJD" * 8                                    # bytes that are valid base64 text themselves


def files_stream_args(st):
    """Two more files, written here: BLOB2 and B64ISH (an agent that reads inline bytes once must
    get them as they are, one that reads them twice too)."""
    for name, data in (("blob2.bin", BLOB2), ("b64ish.bin", B64ISH)):
        with open(os.path.join(st["tmp"], name), "wb") as f:
            f.write(data)
    return ["--debug", "-o", "json", "message", "stream"] + URL + [
        "--file", "{tmp}/blob2.bin", "--file", "{tmp}/b64ish.bin", "hi"]


def files_stream(r, st):
    """message stream --file: the echoed files are byte-exact, and --debug names how 0.3 over
    HTTP+JSON sends inline bytes."""
    expect_rc(r)
    events = json_lines(r)
    raws = [p["raw"] for ev in events for p in (ev.get("artifactUpdate") or {}).get("artifact", {}).get("parts", [])
            if "raw" in p] or [p["raw"] for ev in events for p in _parts(ev.get("task") or {}) if "raw" in p]
    got = [base64.b64decode(raw) for raw in raws]
    for name, data in (("blob2.bin", BLOB2), ("b64ish.bin", B64ISH)):
        if data not in got:
            raise Fail("the echoed %s is not byte-exact (got %d file(s): %s)" % (
                name, len(got), [g[:12] for g in got]))
    if st.get("want_binding") == "HTTP+JSON" and not st.get("v1") and "inline file bytes" not in r.err:
        raise Fail("--debug does not say how inline file bytes go over 0.3 HTTP+JSON")


# -- the extended card

def extended_text(r, st):
    expect_rc(r)
    expect_in(r, "SDK Echo Agent (extended)", "Secret")


def extended_json(r, st):
    expect_rc(r)
    card = one_json(r)
    if card.get("name") != "SDK Echo Agent (extended)":
        raise Fail("card name is %r" % card.get("name"))
    if not any(s.get("id") == "secret" for s in card.get("skills", [])):
        raise Fail("the extended card has no skill 'secret'")


# -- agent check: Handler's conformance probes against the SDK's agent

# Known deviations of the SDK servers from the spec, that agent check rightly reports:
# (agent, binding, 1.x?, probe): (what the probe's reason must hold, the spec text that it breaks)
DEVIATIONS = {
    ("python", "HTTP+JSON", False, "push-config"): (
        "InternalError", "a2a-sdk 0.3's REST routes answer push config list with HTTP 500 "
        "(NotImplementedError); A2A 0.3 sec. 7.7 maps tasks/pushNotificationConfig/list to "
        "GET /v1/tasks/{id}/pushNotificationConfigs"),
    ("js", "HTTP+JSON", True, "version"): (
        "got TaskNotFoundError", "the JS SDK's REST routes serve a 1.x GetTask sent without "
        "A2A-Version with 1.x semantics; A2A 1.0 sec. 3.6.2: \"Agents MUST interpret empty value "
        "as 0.3 version\" (and 0.3 has no GET /tasks/{id})"),
    ("js", "JSON-RPC", True, "card"): (
        "$case", "the JS SDK's card, with a bearer scheme, writes securitySchemes in its "
        "TypeScript form {\"scheme\": {\"$case\": ...}}; A2A 1.0 sec. 4.5.1 (SecurityScheme) and "
        "the proto JSON mapping want {\"httpAuthSecurityScheme\": {...}}"),
}


def agent_check_args(st):
    """-o json agent check, with the JUnit report, and the token in the bearer pass."""
    st["junit"] = os.path.join(st["tmp"], "check.xml")
    token = ["--bearer-token", BEARER] if st.get("bearer") else []
    return ["-o", "json", "agent", "check", "--junit", st["junit"]] + token + URL


def agent_check(r, st):
    """Every probe PASS or SKIP, but for a known deviation of this SDK (DEVIATIONS); the exit
    code and the JUnit report agree with the probes."""
    import xml.etree.ElementTree as ET
    doc = one_json(r)
    probes = doc.get("probes") or []
    if len(probes) != 11:
        raise Fail("%d probes, expected 11" % len(probes))
    failed = [p for p in probes if p["status"] == "FAIL"]
    for p in failed:
        key = (st.get("agent"), st.get("binding") or st.get("want_binding"), st.get("v1"),
               p["name"])
        known = DEVIATIONS.get(key)
        if not (known and known[0] in p["reason"]):
            raise Fail("probe %s failed: %s (%s)" % (p["name"], p["reason"], p["rule"]))
        print("    known deviation, %s: %s" % (p["name"], known[1]), flush=True)
    expect_rc(r, 1 if failed else 0)
    suite = ET.parse(st["junit"]).getroot()
    if int(suite.get("failures")) != len(failed) or len(suite) != 11:
        raise Fail("the JUnit report has %s failures in %d testcases" % (
            suite.get("failures"), len(suite)))
    print("    %(PASS)d passed, %(FAIL)d failed, %(SKIP)d skipped" % doc["summary"], flush=True)


URL = ["--url", "{url}"]
SEND = ["message", "send"] + URL
ASYNC = SEND + ["--async"]
NOTE = ["task", "notification"]

CHECKS = [
    # (name, handler arguments (or a function of the state, or None), checker)
    ("card get (text)", ["card", "get"] + URL, card_text),
    ("card get (json)", ["-o", "json", "card", "get"] + URL, card_json),
    ("message send (text)", SEND + ["hello"], send_text),
    ("session continuity", SEND + ["again"], same_context),
    ("the binding chosen (--debug task get)", ["--debug", "task", "get", "{task_id}"] + URL, binding_used),
    ("message send (json)", ["-o", "json"] + SEND + ["hello"], send_json),
    ("message stream (text)", ["message", "stream"] + URL + ["hi"], stream_text),
    ("message stream (json)", ["-o", "json", "message", "stream"] + URL + ["hi"], stream_json),
    ("input-required", SEND + ["ask me"], ask),
    ("input-required follow-up", SEND + ["blue"], follow_up),

    # tasks
    ("task get ID (text)", ["task", "get", "{task_id}"] + URL, get_text),
    ("task get, the session's task (json: bare 1.x Task)", ["-o", "json", "task", "get"] + URL, get_json),
    ("task get of an unknown task", ["task", "get", "no-such-task"] + URL, get_unknown),
    ("message send --async (slow, to wait for)", ASYNC + ["slow wait"], started("wait_id")),
    ("task get --wait (reaches completed)",
     ["task", "get", "--wait", "--poll-interval", "0.25", "--timeout", "30"] + URL, get_wait),
    ("message send --async (slow, to cancel)", ASYNC + ["slow cancel"], started("cancel_id")),
    ("task cancel, a running task", ["task", "cancel"] + URL, canceled("cancel_id")),
    ("task cancel, again (not an error)", ["task", "cancel", "{cancel_id}"] + URL, canceled("cancel_id")),
    ("task cancel, again (json)", ["-o", "json", "task", "cancel", "{cancel_id}"] + URL,
     canceled("cancel_id", json_out=True)),
    ("task cancel, a finished task", ["task", "cancel", "{task_id}"] + URL, not_cancelable),
    ("task cancel, a finished task (json)", ["-o", "json", "task", "cancel", "{task_id}"] + URL,
     not_cancelable_json),
    ("message send --async (slow, to follow)", ASYNC + ["slow follow"], started("sub_id")),
    ("task resubscribe (text)", ["task", "resubscribe"] + URL, resub_text),
    ("message send --async (slow, to follow in json)", ASYNC + ["slow json"], started("sub2_id")),
    ("task resubscribe ID (JSON Lines)", ["-o", "json", "task", "resubscribe", "{sub2_id}"] + URL, resub_json),
    ("task resubscribe, a finished task", ["task", "resubscribe", "{task_id}"] + URL, resub_finished),
    ("task list (text; 0.3: refused)", ["task", "list"] + URL, list_text),
    ("task list (json; 0.3: refused)", ["-o", "json", "task", "list"] + URL, list_json),
    ("task list --page-size 1 (text; 0.3: refused)", ["task", "list", "--page-size", "1"] + URL, list_page),
    ("task list --context-id of no task (json; 0.3: refused)",
     ["-o", "json", "task", "list", "--context-id", "no-such-context"] + URL, list_empty),
    ("task list --all --page-size 2 --status completed (json; 0.3: refused)",
     ["-o", "json", "task", "list", "--all", "--page-size", "2", "--status", "completed"] + URL, list_all),

    # push notification configs (on a finished task that has no other config)
    ("server push starts (port 0, -o json, --token)", None, receiver_start),
    ("task notification set (json)", ["-o", "json"] + NOTE + ["set", "{task_id}"] + URL
     + ["--webhook-url", "{push_url}/config", "--token", "{push_token}"], notif_set),
    ("task notification get --config-id (text)", NOTE + ["get", "{task_id}", "--config-id", "{cfg_id}"] + URL,
     notif_get),
    ("task notification get, the only config (json)", ["-o", "json"] + NOTE + ["get", "{task_id}"] + URL,
     notif_get_json),
    ("task notification list (json)", ["-o", "json"] + NOTE + ["list", "{task_id}"] + URL, notif_list),
    ("task notification delete", NOTE + ["delete", "{task_id}", "--config-id", "{cfg_id}"] + URL, notif_delete),
    ("task notification get after delete (fails cleanly)",
     NOTE + ["get", "{task_id}", "--config-id", "{cfg_id}"] + URL, notif_gone),
    ("task notification list after delete (json)", ["-o", "json"] + NOTE + ["list", "{task_id}"] + URL,
     notif_list_empty),

    # the push receiver, then push delivery from the SDK's server to it
    ("server push: a POST without the token gets 401", None, push_no_token),
    ("server push: a wrong token gets 401", None, push_wrong_token),
    ("server push: a body that is not JSON gets 400", None, push_junk),
    ("server push: the token as Authorization: Bearer is accepted and printed", None, push_bearer),
    ("push delivery: message send --push-url --push-token",
     SEND + ["--push-url", "{push_url}/hook", "--push-token", "{push_token}", "push me"], push_delivered),
    ("message send --async (slow, for push)", ASYNC + ["slow push"], started("push_id")),
    ("push delivery: task notification set on a running task", push_set_running, push_set_delivered),

    # files and data
    ("message send --file --data (json)", ["-o", "json"] + SEND + ["--file", "{tmp}/blob.bin",
                                                                   "--data", '{"k": 1}', "hi"], files_json),
    ("message send --file --data --save-artifacts (text)",
     SEND + ["--file", "{tmp}/blob.bin", "--data", '{"k": 1}', "--save-artifacts", "{tmp}/saved", "hi"],
     files_saved),
    ("task get --save-artifacts", ["task", "get", "{file_task_id}", "--save-artifacts", "{tmp}/saved-again"] + URL,
     files_get_saved),
    ("message stream --file, binary files byte-exact (JSON Lines)", files_stream_args, files_stream),

    # the extended card
    ("card get --extended (text)", ["card", "get", "--extended"] + URL, extended_text),
    ("card get --extended (json)", ["-o", "json", "card", "get", "--extended"] + URL, extended_json),
    # Handler's own conformance pass, last (its probes leave tasks behind)
    ("agent check (json, --junit)", agent_check_args, agent_check),
]


# a2a-sdk 0.3's REST routes (its RESTHandler) answer push config list with HTTP 500 (NotImplementedError)
# and have no DELETE route: the checks that need those are skipped there, with a note
SDK03_REST_GAPS = {
    "task notification get, the only config (json)": "push config list",
    "task notification list (json)": "push config list",
    "task notification delete": "push config delete",
    "task notification get after delete (fails cleanly)": "push config delete",
    "task notification list after delete (json)": "push config list and delete",
}

TENANT = "acme"
# what runs against a 1.x agent that declares a tenant (it refuses requests for no or another tenant)
TENANT_CHECKS = [row for row in CHECKS if row[0] in {
    "card get (text)", "message send (text)", "session continuity", "the binding chosen (--debug task get)",
    "message stream (text)", "message stream (json)", "input-required", "input-required follow-up",
    "task get ID (text)", "task get of an unknown task", "message send --async (slow, to cancel)",
    "task cancel, a running task", "task cancel, a finished task (json)", "message send --async (slow, to follow)",
    "task resubscribe (text)", "task list --context-id of no task (json; 0.3: refused)",
    "server push starts (port 0, -o json, --token)", "task notification set (json)",
    "task notification get --config-id (text)", "task notification list (json)", "task notification delete",
    "task notification get after delete (fails cleanly)", "message send --file --data (json)",
    "card get --extended (json)", "agent check (json, --junit)"}]
assert len(TENANT_CHECKS) == 25, "a TENANT_CHECKS name does not match a row of CHECKS"


def bearer_refused(r, st):
    clean_failure(r, "401", rc=4)
    if BEARER in r.out + r.err:
        raise Fail("the token is printed")


def bearer_store(r, st):
    """`auth set --url URL --bearer-token -` with the token on stdin."""
    argv = ["auth", "set", "--url", st["url"], "--bearer-token", "-"]
    p = subprocess.run([sys.executable, st["_handler"]] + argv, env=st["_env"], input=BEARER + "\n",
                       capture_output=True, text=True, timeout=60)
    r = st["_shown"] = Result(p.returncode, p.stdout, p.stderr)
    r.argv = argv
    expect_rc(r)
    if BEARER in r.out + r.err:
        raise Fail("the token is printed")


# what runs against the JS agent in its bearer mode (401 without `Authorization: Bearer T`)
BEARER_CHECKS = [
    ("without credentials: message send fails cleanly (exit 4)", SEND + ["hello"], bearer_refused),
    ("auth set --bearer-token - (the token from stdin)", None, bearer_store),
] + [row for row in CHECKS if row[0] in {
    "card get (text)", "message send (text)", "session continuity", "message stream (text)",
    "input-required", "input-required follow-up", "task get ID (text)",
    "message send --async (slow, to wait for)",
    "message send --async (slow, to cancel)",
    "task cancel, a running task", "message send --async (slow, to follow)",
    "task resubscribe (text)",
    "task list (json; 0.3: refused)", "server push starts (port 0, -o json, --token)",
    "task notification set (json)", "task notification get --config-id (text)",
    "task notification list (json)", "push delivery: message send --push-url --push-token",
    "card get --extended (json)", "agent check (json, --junit)"}]
assert len(BEARER_CHECKS) == 22, "a BEARER_CHECKS name does not match a row of CHECKS"


def expand(args, st):
    """The argument list of a row with its {placeholders} filled from the state."""
    if callable(args):
        args = args(st)

    def value(m):
        return str(need(st, m.group(1)))

    return [re.sub(r"\{(\w+)\}", value, a) for a in args]


# ---------------------------------------------------------------- agent

def agent_command(a):
    """The command that starts the agent: sdk_agent.py under --agent-python, js_agent.mjs under node
    with --agent-js."""
    if a.agent_js:
        return ["node", JS_AGENT, "--node-modules", os.path.abspath(a.agent_js)]
    return [a.agent_python, "-u", AGENT]


def start_agent(command, wait, log, env, options=()):
    proc = subprocess.Popen(list(command) + ["--port", "0", "--host", "127.0.0.1"] + list(options),
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline, buf = time.monotonic() + wait, b""
    try:
        while time.monotonic() < deadline:
            if not sel.select(timeout=min(0.5, max(0.0, deadline - time.monotonic()))):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buf += chunk
            m = re.search(rb"^READY (\S+)\r?$", buf, re.M)
            if m:
                return proc, m.group(1).decode()
    finally:
        sel.close()
    return proc, None


def stop_process(proc):
    """Stop a process we started, by its pid: SIGTERM, then SIGKILL after 5 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc.stdout:
        proc.stdout.close()


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def quiet_env():
    """The environment for everything started here: never through a proxy (the agent's push
    sender, httpx, honours proxy variables too)."""
    return dict(os.environ, NO_PROXY="*", no_proxy="*")


# ---------------------------------------------------------------- main

def run_handler(handler, args, env, timeout):
    try:
        p = subprocess.run([sys.executable, handler] + args, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        return Result(p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Result(None, out, "timed out after %ss" % timeout)


def card_v1(card):
    """The card offers an A2A 1.x interface (a "hybrid" card of the JS SDK's 0.3 mode has
    supportedInterfaces, all of them 0.3)."""
    interfaces = card.get("supportedInterfaces")
    return isinstance(interfaces, list) and any(
        isinstance(i, dict) and str(i.get("protocolVersion") or "1.0").startswith("1")
        for i in interfaces)


def run_checks(url, handler, timeout, verbose, checks=CHECKS, binding=None, tenant=None, gaps=None,
               agent=None, bearer=False):
    """Run the checks against the agent at url; returns {"PASS": n, "FAIL": n, "SKIP": n}.
    binding: the one the agent offers ("HTTP+JSON" or "JSON-RPC"), when known; tenant: the
    tenant its 1.x interfaces declare; gaps: {check name: why} of the checks to skip, or None
    for a2a-sdk 0.3's REST gaps (SDK03_REST_GAPS, over REST to a 0.3 agent); agent: "python" or
    "js" (for DEVIATIONS); bearer: the agent wants the BEARER token."""
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def report(ok, name, why=""):
        verdict = ok if isinstance(ok, str) else "PASS" if ok else "FAIL"
        counts[verdict] += 1
        print("%s  %s%s" % (verdict, name, ("  -- " + why) if why else ""), flush=True)

    card = {}
    try:  # the agent itself, without Handler
        with DIRECT.open(url + "/.well-known/agent-card.json", timeout=10) as resp:
            card = json.load(resp)
        report(card.get("name") == "SDK Echo Agent", "agent serves its card",
               "%r, SDK %s, A2A %s" % (card.get("name"), card.get("version"),
                                       "1.x" if card_v1(card) else "0.3"))
    except Exception as e:  # noqa: BLE001 - report anything
        report(False, "agent serves its card", str(e))
    if not os.path.isfile(handler):
        report(False, "handler present", "%s not found; skipping %d checks" % (handler, len(checks)))
        counts["FAIL"] += len(checks)
        return counts
    work = tempfile.mkdtemp(prefix="handler-interop-")
    home, tmp = os.path.join(work, "home"), os.path.join(work, "files")
    os.mkdir(home, 0o700)
    os.mkdir(tmp)
    # every command runs one snapshot of handler.py, even if the file is rewritten meanwhile
    handler = shutil.copy2(handler, os.path.join(work, "handler.py"))
    with open(os.path.join(tmp, "blob.bin"), "wb") as f:
        f.write(BLOB)
    env = dict(quiet_env(), HANDLER_HOME=home)
    env.pop("HANDLER_URL", None)
    state = {"url": url, "tmp": tmp, "v1": card_v1(card), "_handler": handler, "_env": env,
             "_run": lambda argv: run_handler(handler, argv, env, timeout), "want_binding": binding,
             "tenant": tenant, "agent": agent, "bearer": bearer}
    try:
        for name, args, checker in checks:
            r, argv = None, None
            if gaps is not None:
                gap = gaps.get(name)
            else:
                rest03 = state.get("binding") == "HTTP+JSON" and not state["v1"]
                gap = SDK03_REST_GAPS.get(name) if rest03 else None
                gap = gap and "needs %s, which a2a-sdk 0.3's REST routes do not implement" % gap
            if gap:
                report("SKIP", name, gap)
                continue
            try:
                if args is not None:
                    argv = expand(args, state)
                    r = run_handler(handler, argv, env, timeout)
                checker(r, state)
                report(True, name)
            except Fail as e:
                report(False, name, str(e))
                verbose = verbose or "once"
            except Exception as e:  # noqa: BLE001 - a bug here must not stop the run (and its cleanup)
                report(False, name, "the check itself failed: %r" % e)
                verbose = verbose or "once"
            if "_shown" in state:   # the checker ran the command again: show that run
                r = state.pop("_shown")
                argv = getattr(r, "argv", argv)
            if verbose and r is not None:
                print("    $ handler.py %s\n    exit %s" % (" ".join(argv), r.rc))
                for label, text in (("stdout", r.out), ("stderr", r.err)):
                    if text.strip():
                        shown = text.rstrip().splitlines()[-25:]
                        print("    %s:\n%s" % (label, "\n".join("      " + line for line in shown)))
            if verbose == "once":
                verbose = False
    finally:
        if "receiver" in state:
            state["receiver"].stop()
        shutil.rmtree(work, ignore_errors=True)
    return counts


# (key, title, sdk_agent.py options, the checks, the binding the card offers, the tenant it
# declares, 1.x only)
PASSES = [
    ("jsonrpc", "JSON-RPC", [], CHECKS, "JSON-RPC", None, False),
    ("rest", "HTTP+JSON (REST) only", ["--rest-only"], CHECKS, "HTTP+JSON", None, False),
    ("tenant", "HTTP+JSON (REST) only, tenant " + TENANT, ["--rest-only", "--tenant", TENANT],
     TENANT_CHECKS, "HTTP+JSON", TENANT, True),
]
# the same for js_agent.mjs (--agent-js); 0.3 is the SDK's compatibility layer (--protocol 0.3)
JS_PASSES = [
    ("jsonrpc", "JSON-RPC, A2A 1.0", [], CHECKS, "JSON-RPC", None, False),
    ("rest", "HTTP+JSON (REST) only, A2A 1.0", ["--rest-only"], CHECKS, "HTTP+JSON", None, False),
    ("jsonrpc-0.3", "JSON-RPC, A2A 0.3 compatibility", ["--protocol", "0.3"], CHECKS, "JSON-RPC",
     None, False),
    ("rest-0.3", "HTTP+JSON (REST) only, A2A 0.3 compatibility",
     ["--rest-only", "--protocol", "0.3"], CHECKS, "HTTP+JSON", None, False),
    ("bearer", "JSON-RPC, bearer token required", ["--bearer-token", BEARER], BEARER_CHECKS,
     "JSON-RPC", None, False),
]
# checks the JS SDK cannot pass because it lacks the feature: {pass key: {check name: why}}
NO_FILE_NAME = ("needs the file's name back, which the JS SDK's 0.3 HTTP+JSON drops: it follows "
                "the 0.3 proto, whose FilePart has no name field")
JS_GAPS = {"rest-0.3": {name: NO_FILE_NAME for name in (
    "message send --file --data (json)", "message send --file --data --save-artifacts (text)",
    "task get --save-artifacts")}}


def run_pass(a, key, title, options, checks, binding, tenant):
    """Start the agent with the options, run the checks against it, stop it; the counts."""
    name = "js_agent.mjs" if a.agent_js else "sdk_agent.py"
    shown = ["--bearer-token", "***"] if "--bearer-token" in options else options
    print("== %s (%s %s)" % (title, name, " ".join(shown) or "without options"), flush=True)
    log = tempfile.NamedTemporaryFile(prefix="sdk-agent-", suffix=".log", delete=False)
    proc, counts = None, {"PASS": 0, "FAIL": 1, "SKIP": 0}
    gaps = JS_GAPS.get(key, {}) if a.agent_js else None
    try:
        proc, url = start_agent(agent_command(a), a.ready_timeout, log, quiet_env(), options)
        if not url:
            try:
                why = "agent exited with code %s before READY" % proc.wait(1)
            except subprocess.TimeoutExpired:
                why = "no READY line within %ss" % a.ready_timeout
            print("FAIL  agent start  -- %s" % why, flush=True)
        else:
            print("agent %s (pid %d, %s)" % (url, proc.pid, a.agent_js or a.agent_python),
                  flush=True)
            counts = run_checks(url, a.handler, a.timeout, a.verbose, checks, binding, tenant, gaps,
                                "js" if a.agent_js else "python", "--bearer-token" in options)
            counts["v1"] = card_is_v1(url)
    finally:
        if proc is not None:
            stop_process(proc)
        log.close()
        if counts["FAIL"] and os.path.getsize(log.name):
            print("agent log (last lines):\n" + tail(log.name))
        os.unlink(log.name)
    return counts


def card_is_v1(url):
    try:
        with DIRECT.open(url + "/.well-known/agent-card.json", timeout=10) as resp:
            return card_v1(json.load(resp))
    except Exception:  # noqa: BLE001 - the checks have reported it
        return False


def main():
    p = argparse.ArgumentParser(description="Handler interop checks against the official A2A SDKs")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--agent-python", help="python of a venv with a2a-sdk and uvicorn")
    g.add_argument("--agent-js", metavar="NODE_MODULES",
                   help="a node_modules folder with @a2a-js/sdk and express: "
                        "run dev/js_agent.mjs with node")
    g.add_argument("--url", help="use an already running agent instead of starting one")
    p.add_argument("--handler", default=os.path.join(ROOT, "handler.py"))
    p.add_argument("--timeout", type=float, default=60, help="seconds per handler command")
    p.add_argument("--ready-timeout", type=float, default=30)
    p.add_argument("--pass", dest="passes", action="append",
                   choices=("jsonrpc", "rest", "tenant", "jsonrpc-0.3", "rest-0.3", "bearer"),
                   help="run only these passes against started agents (default: all; tenant "
                        "needs a2a-sdk 1.x; jsonrpc-0.3, rest-0.3 and bearer need --agent-js)")
    p.add_argument("-v", "--verbose", action="store_true", help="print every command's output")
    a = p.parse_args()
    passes = JS_PASSES if a.agent_js else PASSES
    unknown = sorted(set(a.passes or ()) - {row[0] for row in passes})
    if unknown:
        p.error("--pass %s: not a pass of %s"
                % (", ".join(unknown), "--agent-js" if a.agent_js else "--agent-python"))
    if a.agent_js and not os.path.isdir(os.path.join(a.agent_js, "@a2a-js", "sdk")):
        p.error("--agent-js %s: no @a2a-js/sdk in it (npm install @a2a-js/sdk@1.3.0 express)"
                % a.agent_js)

    started = time.monotonic()
    totals = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    if a.url:
        totals = run_checks(a.url.rstrip("/"), a.handler, a.timeout, a.verbose)
    else:
        v1 = None
        for key, title, options, checks, binding, tenant, v1_only in passes:
            if a.passes and key not in a.passes:
                continue
            if v1_only and v1 is False:
                print("== %s: skipped, A2A 0.3 has no tenants" % title, flush=True)
                continue
            counts = run_pass(a, key, title, options, checks, binding, tenant)
            v1 = counts.pop("v1", v1)
            for k in totals:
                totals[k] += counts[k]
    print("%s: %d check(s) passed, %d failed, %d skipped (%.1f s)" % (
        "FAILED" if totals["FAIL"] else "OK", totals["PASS"], totals["FAIL"], totals["SKIP"],
        time.monotonic() - started))
    return 1 if totals["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())

"""Interop checks: Handler against an echo agent built with the official a2a-sdk.

    python3 dev/interop.py --agent-python /tmp/venv13/bin/python   # a2a-sdk 1.x
    python3 dev/interop.py --agent-python /tmp/venv03/bin/python   # a2a-sdk 0.3.x
    python3 dev/interop.py --url http://127.0.0.1:PORT             # agent already running

Starts dev/sdk_agent.py with the given interpreter on port 0, waits (30 s at
most) for its `READY <url>` line, runs `python3 handler.py ...` subcommands
against it with HANDLER_HOME set to a fresh temporary directory and NO_PROXY=*,
prints PASS/FAIL per check and exits 1 if any check failed. The agent it started
is always stopped (by its pid). Stdlib only.

To add a check, append a row to CHECKS: (name, handler arguments with "{url}",
checker). A checker gets the Result and a state dict shared by all checks (to
carry ids from one check to the next) and raises Fail("why") on a mismatch.
"""

import argparse
import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AGENT = os.path.join(HERE, "sdk_agent.py")
EVENT_KEYS = {"task", "message", "statusUpdate", "artifactUpdate"}


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


def last_state(events):
    state = None
    for ev in events:
        if "task" in ev:
            state = ev["task"].get("status", {}).get("state", state)
        elif "statusUpdate" in ev:
            state = ev["statusUpdate"].get("status", {}).get("state", state)
    return state


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
    if field(r, "State") != "completed":
        raise Fail("State: %s" % field(r, "State"))


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
    if field(r, "State") != "completed":
        raise Fail("State: %s" % field(r, "State"))


def stream_json(r, st):
    expect_rc(r)
    events = json_lines(r)
    for i, ev in enumerate(events, 1):
        keys = set(ev) & EVENT_KEYS
        if len(keys) != 1 or len(ev) != 1:
            raise Fail("line %d has keys %s, expected exactly one of %s" % (i, sorted(ev), sorted(EVENT_KEYS)))
    if not any("artifactUpdate" in ev for ev in events):
        raise Fail("no artifactUpdate line")
    if last_state(events) != "TASK_STATE_COMPLETED":
        raise Fail("last state is %r" % last_state(events))


def ask(r, st):
    expect_rc(r)
    if field(r, "State") != "input-required":
        raise Fail("State: %s" % field(r, "State"))
    expect_in(r, "What should I echo?")
    st["ask_task_id"] = field(r, "Task ID")


def follow_up(r, st):
    expect_rc(r)
    if "ask_task_id" not in st:
        raise Fail("no input-required task from the previous check")
    tid = field(r, "Task ID")
    if tid != st["ask_task_id"]:
        raise Fail("Task ID %s, the input-required task was %s" % (tid, st["ask_task_id"]))
    expect_in(r, "blue")
    if "Echo: blue" not in r.out:
        print("    note: 'Echo: blue' not verbatim in output", flush=True)
    if field(r, "State") != "completed":
        raise Fail("State: %s" % field(r, "State"))


CHECKS = [
    # (name, handler arguments ("{url}" is the agent URL), checker)
    ("card get (text)", ["card", "get", "--url", "{url}"], card_text),
    ("card get (json)", ["-o", "json", "card", "get", "--url", "{url}"], card_json),
    ("message send (text)", ["message", "send", "--url", "{url}", "hello"], send_text),
    ("session continuity", ["message", "send", "--url", "{url}", "again"], same_context),
    ("message send (json)", ["-o", "json", "message", "send", "--url", "{url}", "hello"], send_json),
    ("message stream (text)", ["message", "stream", "--url", "{url}", "hi"], stream_text),
    ("message stream (json)", ["-o", "json", "message", "stream", "--url", "{url}", "hi"], stream_json),
    ("input-required", ["message", "send", "--url", "{url}", "ask me"], ask),
    ("input-required follow-up", ["message", "send", "--url", "{url}", "blue"], follow_up),
]


# ---------------------------------------------------------------- agent

def start_agent(python, wait, log):
    proc = subprocess.Popen([python, "-u", AGENT, "--port", "0", "--host", "127.0.0.1"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
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


def stop_agent(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    proc.stdout.close()


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


# ---------------------------------------------------------------- main

def run_handler(handler, args, env, timeout):
    try:
        p = subprocess.run([sys.executable, handler] + args, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        return Result(p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return Result(None, out, "timed out after %ss" % timeout)


def run_checks(url, handler, timeout, verbose):
    failures = 0

    def report(ok, name, why=""):
        nonlocal failures
        failures += not ok
        print("%s  %s%s" % ("PASS" if ok else "FAIL", name, ("  -- " + why) if why else ""), flush=True)

    try:  # the agent itself, without Handler
        with urllib.request.urlopen(url + "/.well-known/agent-card.json", timeout=10) as resp:
            name = json.load(resp).get("name")
        report(name == "SDK Echo Agent", "agent serves its card", "name %r" % name)
    except Exception as e:  # noqa: BLE001 - report anything
        report(False, "agent serves its card", str(e))
    if not os.path.isfile(handler):
        report(False, "handler present", "%s not found; skipping %d checks" % (handler, len(CHECKS)))
        return failures + len(CHECKS)
    home = tempfile.mkdtemp(prefix="handler-interop-")
    env = dict(os.environ, HANDLER_HOME=home, NO_PROXY="*", no_proxy="*")
    state = {}
    try:
        for name, args, checker in CHECKS:
            argv = [a.replace("{url}", url) for a in args]
            r = run_handler(handler, argv, env, timeout)
            try:
                checker(r, state)
                report(True, name)
            except Fail as e:
                report(False, name, str(e))
                verbose = verbose or "once"
            if verbose:
                print("    $ handler.py %s\n    exit %s" % (" ".join(argv), r.rc))
                for label, text in (("stdout", r.out), ("stderr", r.err)):
                    if text.strip():
                        print("    %s:\n%s" % (label, "\n".join("      " + l for l in text.rstrip().splitlines()[-25:])))
                if verbose == "once":
                    verbose = False
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return failures


def main():
    p = argparse.ArgumentParser(description="Handler interop checks against the official a2a-sdk")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--agent-python", help="python of a venv with a2a-sdk and uvicorn")
    g.add_argument("--url", help="use an already running agent instead of starting one")
    p.add_argument("--handler", default=os.path.join(ROOT, "handler.py"))
    p.add_argument("--timeout", type=float, default=60, help="seconds per handler command")
    p.add_argument("--ready-timeout", type=float, default=30)
    p.add_argument("-v", "--verbose", action="store_true", help="print every command's output")
    a = p.parse_args()

    if a.url:
        failures = run_checks(a.url.rstrip("/"), a.handler, a.timeout, a.verbose)
    else:
        log = tempfile.NamedTemporaryFile(prefix="sdk-agent-", suffix=".log", delete=False)
        proc, failures = None, 1
        try:
            proc, url = start_agent(a.agent_python, a.ready_timeout, log)
            if not url:
                try:
                    why = "agent exited with code %s before READY" % proc.wait(1)
                except subprocess.TimeoutExpired:
                    why = "no READY line within %ss" % a.ready_timeout
                print("FAIL  agent start  -- %s" % why, flush=True)
                failures = 1
            else:
                print("agent %s (pid %d, %s)" % (url, proc.pid, a.agent_python), flush=True)
                failures = run_checks(url, a.handler, a.timeout, a.verbose)
        finally:
            if proc is not None:
                stop_agent(proc)
            log.close()
            if failures and os.path.getsize(log.name):
                print("agent log (last lines):\n" + tail(log.name))
            os.unlink(log.name)
    print("%s: %d check(s) failed" % ("FAILED" if failures else "OK", failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

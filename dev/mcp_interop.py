"""Interop check: the official MCP Python SDK's stdio client against `handler.py mcp`.

    /tmp/venv-mcp/bin/python dev/mcp_interop.py [--handler handler.py]

Run it with a Python that has the `mcp` package. It starts handler.py's built-in agent (with
python3, on port 0), then with the SDK's high-level Client (which first probes server/discover
and falls back to initialize) and with the low-level ClientSession: initialize, list the tools,
call send_message twice (the second continues the first's context) and list_sessions. Prints
PASS/FAIL per check and exits 1 on any failure; stops the agent it started by its pid.
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from mcp import ClientSession, StdioServerParameters
from mcp.client.client import Client
from mcp.client.stdio import stdio_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = {"validate_agent_card", "get_agent_card", "send_message", "get_task", "list_tasks", "cancel_task",
         "set_task_notification", "get_task_notification", "list_task_notifications",
         "delete_task_notification", "list_sessions", "get_session_info", "clear_session_data"}
failures = []


def check(name, ok, detail=""):
    print(("PASS  " if ok else "FAIL  ") + name + (f"  -- {detail}" if detail and not ok else ""))
    if not ok:
        failures.append(name)


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def exercise(call_tool, list_tools, version, url, label):
    tools = await list_tools()
    names = {t.name for t in tools.tools}
    check(f"{label}: protocol version {version}", version in ("2025-06-18", "2025-11-25"), version)
    check(f"{label}: tools/list has all 13 tools", names == TOOLS, sorted(names ^ TOOLS))
    check(f"{label}: every tool has an inputSchema",
          all(t.input_schema.get("type") == "object" for t in tools.tools))
    first = await call_tool("send_message", {"agent_url": url, "message": f"hello from {label}"})
    text = text_of(first)
    check(f"{label}: send_message echoes", not first.is_error and f"Echo: hello from {label}" in text, text)
    context = re.search(r"Context ID: (\S+)", text)
    task = (first.structured_content or {}).get("task", {})
    check(f"{label}: structuredContent is the task", task.get("status", {}).get("state") == "TASK_STATE_COMPLETED",
          json.dumps(first.structured_content)[:200])
    second = await call_tool("send_message", {"agent_url": url, "message": "again"})
    check(f"{label}: the second message continues the context",
          context is not None and f"Context ID: {context.group(1)}" in text_of(second), text_of(second))
    sessions = await call_tool("list_sessions", {})
    structured = sessions.structured_content or {}
    check(f"{label}: list_sessions", not sessions.is_error and structured.get("count") == 1
          and structured["sessions"][0]["agent_url"] == url
          and structured["sessions"][0]["context_id"] == (context.group(1) if context else None),
          json.dumps(structured)[:300])
    failed = await call_tool("get_task", {"agent_url": url, "task_id": "no-such-task"})
    check(f"{label}: an A2A error is a tool error", failed.is_error and "TaskNotFoundError" in text_of(failed),
          text_of(failed))


async def run_client(params, url):
    async with Client(params) as client:   # mode "auto": server/discover, then initialize
        await exercise(client.call_tool, client.list_tools, client.protocol_version, url, "Client")


async def run_session(params, url):
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            result = await session.initialize()
            await exercise(session.call_tool, session.list_tools, result.protocol_version, url, "ClientSession")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handler", default=os.path.join(ROOT, "handler.py"))
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="handler-mcp-")
    env = {**os.environ, "NO_PROXY": "*", "no_proxy": "*", "HANDLER_HOME": home}
    log = home + ".agent.log"   # its banner names the port; its log lines follow
    with open(log, "w") as f:
        agent = subprocess.Popen(["python3", args.handler, "server", "agent", "--port", "0"],
                                 env=env, stderr=f, stdout=subprocess.DEVNULL)
    try:
        found = None
        for _ in range(200):   # the banner, within 10 s
            with open(log) as f:
                found = re.search(r"http://[\d.]+:\d+", f.read())
            if found or agent.poll() is not None:
                break
            time.sleep(0.05)
        url = found.group(0)
        server_env = {k: env[k] for k in ("NO_PROXY", "no_proxy", "HANDLER_HOME", "PATH")}
        for runner in (run_client, run_session):
            shutil.rmtree(home, ignore_errors=True)
            params = StdioServerParameters(command="python3", args=[args.handler, "mcp"], env=server_env)
            asyncio.run(asyncio.wait_for(runner(params, url), 60))
    except Exception as exc:   # a crash of the client is a failure too, with its reason
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        check("MCP client run", False, f"{type(exc).__name__}: {exc}")
    finally:
        agent.terminate()
        agent.wait(10)
        shutil.rmtree(home, ignore_errors=True)
        os.unlink(log)
    print(f"FAILED: {len(failures)} check(s)" if failures else "OK: 0 check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

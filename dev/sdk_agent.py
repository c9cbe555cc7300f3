"""Echo agent served by the OFFICIAL a2a-sdk, for interop tests of Handler.

Runs under a virtualenv holding either a2a-sdk 1.x (tested: 1.3.0) or 0.3.x
(tested: 0.3.26), plus uvicorn:

    python dev/sdk_agent.py --port 0 [--host 127.0.0.1] [--rpc-path /]

Prints `READY http://HOST:PORT` (the real port) on stdout once listening.

Behaviour (same in both SDK lines):
- text starting with "ask": the task stops in input-required with the agent
  status message "What should I echo?"; the next message carrying that taskId
  resumes it and echoes the follow-up text;
- otherwise: Task(submitted) -> working -> artifact "echo" in two chunks
  ("Echo: " then the user's text, append+lastChunk) -> completed;
- text starting with "slow": the same with 0.5 s sleeps between the steps, so
  CancelTask / SubscribeToTask / timeouts can be tested while it runs;
- file and data parts of the user's message are echoed back unchanged, appended
  to the last chunk of the "echo" artifact after the text.

The card offers an extended card (1.x: capabilities.extendedAgentCard; 0.3:
supportsAuthenticatedExtendedCard), served without authentication: the same
card named "SDK Echo Agent (extended)" with one more skill, "secret".

With 1.x the card declares a 1.0 and a 0.3 JSONRPC interface on the same URL
and the JSON-RPC route is built with `enable_v0_3_compat=True`, so the one
endpoint answers 1.x methods (with `A2A-Version: 1.0`) and 0.3 methods.

Imports: the SDK, uvicorn/starlette, the stdlib, and httpx only because the
SDK's push sender (BasePushNotificationSender) takes an httpx.AsyncClient
(httpx is a dependency of a2a-sdk itself).
"""

import argparse
import asyncio
import socket
import sys
from importlib.metadata import version as dist_version

import httpx
import uvicorn

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.tasks import (
    BasePushNotificationSender,
    InMemoryPushNotificationConfigStore,
    InMemoryTaskStore,
    TaskUpdater,
)
from a2a.types import AgentCapabilities, AgentCard, AgentSkill, Part, Task, TaskState, TaskStatus

SDK_VERSION = dist_version("a2a-sdk")
V1 = int(SDK_VERSION.split(".")[0]) >= 1

if V1:
    from a2a.types import AgentInterface
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
    from starlette.applications import Starlette

    SUBMITTED = TaskState.TASK_STATE_SUBMITTED
    INPUT_REQUIRED = TaskState.TASK_STATE_INPUT_REQUIRED

    def text_part(text):
        return Part(text=text)

    def non_text_parts(message):
        return [p for p in message.parts if p.WhichOneof("content") != "text"] if message else []
else:
    from a2a.types import TextPart
    from a2a.server.apps import A2AStarletteApplication

    SUBMITTED = TaskState.submitted
    INPUT_REQUIRED = TaskState.input_required

    def text_part(text):
        return Part(root=TextPart(text=text))

    def non_text_parts(message):
        return [p for p in message.parts if not isinstance(p.root, TextPart)] if message else []


class EchoExecutor(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue) -> None:
        text = context.get_user_input()
        task = context.current_task
        follow_up = task is not None and task.status.state == INPUT_REQUIRED
        if task is None:  # new task: the SDK wants a Task event before updates
            task = Task(id=context.task_id, context_id=context.context_id,
                        status=TaskStatus(state=SUBMITTED), history=[context.message])
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        if not follow_up and text.startswith("ask"):
            await updater.requires_input(
                updater.new_agent_message([text_part("What should I echo?")]))
            return
        delay = 0.5 if text.startswith("slow") else 0.0

        async def step():
            if delay:
                await asyncio.sleep(delay)

        await step()
        await updater.start_work()
        await step()
        await updater.add_artifact([text_part("Echo: ")], artifact_id="echo-" + context.task_id,
                                   name="echo")
        await step()
        await updater.add_artifact([text_part(text)] + non_text_parts(context.message),
                                   artifact_id="echo-" + context.task_id,
                                   name="echo", append=True, last_chunk=True)
        await step()
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue) -> None:
        # The SDK cancels the running execute() coroutine; we publish the state.
        await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


def build_app(base_url, rpc_path):
    rpc_url = base_url + rpc_path
    skill = AgentSkill(id="echo", name="Echo", description="Echoes your text back as an artifact.",
                       tags=["echo", "test"], examples=["hello", "ask me", "slow hello"])
    secret = AgentSkill(id="secret", name="Secret", description="Shown only on the extended card.",
                        tags=["test"], examples=["hello"])
    common = dict(
        name="SDK Echo Agent",
        description="Echo agent built with the official a2a-sdk %s for Handler interop tests." % SDK_VERSION,
        version=SDK_VERSION,
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[skill],
    )
    push_store = InMemoryPushNotificationConfigStore()
    push_sender = BasePushNotificationSender(httpx.AsyncClient(timeout=10), push_store)
    if V1:
        def make_card(**fields):
            return AgentCard(supported_interfaces=[
                AgentInterface(url=rpc_url, protocol_binding="JSONRPC", protocol_version="1.0"),
                AgentInterface(url=rpc_url, protocol_binding="JSONRPC", protocol_version="0.3"),
            ], capabilities=AgentCapabilities(streaming=True, push_notifications=True,
                                              extended_agent_card=True), **dict(common, **fields))
        card = make_card()
        extended = make_card(name="SDK Echo Agent (extended)", skills=[skill, secret])
        handler = DefaultRequestHandler(agent_executor=EchoExecutor(), task_store=InMemoryTaskStore(),
                                        agent_card=card, push_config_store=push_store,
                                        push_sender=push_sender, extended_agent_card=extended)
        routes = create_agent_card_routes(card) + create_jsonrpc_routes(
            handler, rpc_path, enable_v0_3_compat=True)
        return Starlette(routes=routes)

    def make_card(**fields):
        return AgentCard(url=rpc_url, preferred_transport="JSONRPC",
                         capabilities=AgentCapabilities(streaming=True, push_notifications=True),
                         supports_authenticated_extended_card=True, **dict(common, **fields))
    card = make_card()
    extended = make_card(name="SDK Echo Agent (extended)", skills=[skill, secret])
    handler = DefaultRequestHandler(agent_executor=EchoExecutor(), task_store=InMemoryTaskStore(),
                                    push_config_store=push_store, push_sender=push_sender)
    return A2AStarletteApplication(agent_card=card, http_handler=handler,
                                   extended_agent_card=extended).build(rpc_url=rpc_path)


async def serve(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    base_url = "http://%s:%d" % (args.host, sock.getsockname()[1])
    config = uvicorn.Config(build_app(base_url, args.rpc_path), log_level=args.log_level)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if serving.done():
            return await serving
        await asyncio.sleep(0.02)
    print("READY " + base_url, flush=True)
    await serving


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--rpc-path", default="/", help="JSON-RPC endpoint path (default /)")
    p.add_argument("--log-level", default="warning")
    args = p.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

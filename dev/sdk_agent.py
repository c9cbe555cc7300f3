"""Echo agent served by the OFFICIAL a2a-sdk, for interop tests of Handler.

Runs under a virtualenv holding either a2a-sdk 1.x (tested: 1.3.0) or 0.3.x
(tested: 0.3.26), plus uvicorn:

    python dev/sdk_agent.py --port 0 [--host 127.0.0.1] [--rpc-path /]
        [--rest | --rest-first | --rest-only] [--rest-path PREFIX] [--tenant NAME]
        [--no-streaming] [--no-push] [--no-extended-card]

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

Bindings (default: JSON-RPC only, as before):
- --rest: the SDK's HTTP+JSON (REST) routes are served too, side by side with
  JSON-RPC in the same app (both SDK lines allow that); the card lists the
  JSONRPC interfaces first, then HTTP+JSON. --rest-first: the same with
  HTTP+JSON listed first (the agent prefers REST). --rest-only: the JSON-RPC
  endpoint is not served (a POST there answers 404) and the card offers only
  HTTP+JSON, so a client must use REST.
  1.x: interfaces {url: BASE+PREFIX, protocolBinding "HTTP+JSON",
  protocolVersion "1.0"} and the same with "0.3"; routes from the SDK's
  `create_rest_routes(handler, enable_v0_3_compat=True, path_prefix=PREFIX)`:
  the 1.x paths (/message:send, /tasks/{id}, ..., also under /{tenant}/) and
  the 0.3 paths (/v1/message:send, ...). 0.3: `additionalInterfaces` lists
  {transport "HTTP+JSON", url BASE+PREFIX} and the JSONRPC one (--rest-first
  and --rest-only also make HTTP+JSON the `url`/`preferredTransport`); the app
  is the SDK's own A2ARESTFastAPIApplication (/v1/message:send, ...; needs
  fastapi) with the JSON-RPC app's routes added to it.
- --rest-path PREFIX: where the REST routes live (default: the root).
  SDK 1.3.0 quirk: it mounts the tenant routes at /{tenant}PREFIX/..., not at
  PREFIX/{tenant}/... where a client builds them from the interface URL, so
  --tenant with a non-empty --rest-path does not interoperate.
- --tenant NAME (1.x only; 0.3 has no tenants): every 1.0 interface on the
  card declares `tenant: NAME`. The SDK takes the tenant from the REST path
  (`/{tenant}/message:send`, any one segment) or from `params.tenant` in
  JSON-RPC, but neither checks it nor scopes anything by it. This agent
  checks: a 1.x request (A2A-Version 1.x) whose tenant is not NAME, or that
  has none, gets InvalidParams "unknown tenant ..." (REST: 400
  INVALID_ARGUMENT, reason INVALID_PARAMS; JSON-RPC: -32602), so a test sees
  whether the client sent the declared tenant. 0.3 requests are not checked.
- --no-streaming / --no-push / --no-extended-card: the card declares that
  capability false and the SDK refuses the operations (1.x: reasons
  UNSUPPORTED_OPERATION, PUSH_NOTIFICATION_NOT_SUPPORTED, UNSUPPORTED_OPERATION;
  0.3: its own errors), for error-path tests.

Imports: the SDK, uvicorn/starlette (plus fastapi for 0.3 REST), the stdlib,
and httpx only because the SDK's push sender (BasePushNotificationSender)
takes an httpx.AsyncClient (httpx is a dependency of a2a-sdk itself).
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
    from a2a.server.request_handlers import DefaultRequestHandler as _Handler
    from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes, create_rest_routes
    from a2a.utils.errors import InvalidParamsError
    from starlette.applications import Starlette

    SUBMITTED = TaskState.TASK_STATE_SUBMITTED
    INPUT_REQUIRED = TaskState.TASK_STATE_INPUT_REQUIRED

    def text_part(text):
        return Part(text=text)

    def non_text_parts(message):
        return [p for p in message.parts if p.WhichOneof("content") != "text"] if message else []
else:
    from a2a.types import TextPart
    from a2a.types import AgentInterface
    from a2a.server.apps import A2AStarletteApplication
    from a2a.server.apps.rest.fastapi_app import A2ARESTFastAPIApplication   # needs fastapi

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


if V1:
    class TenantCheckingHandler(_Handler):
        """The SDK's DefaultRequestHandler, refusing 1.x requests for another tenant (--tenant)."""

        def __init__(self, tenant, **kwargs):
            super().__init__(**kwargs)
            self._tenant = tenant

        def _check(self, context):
            headers = context.state.get("headers", {})
            if not str(headers.get("a2a-version", "")).startswith("1"):
                return   # 0.3 request: no tenants in 0.3
            if context.tenant != self._tenant:
                raise InvalidParamsError(message="unknown tenant %r (this agent serves tenant %r)"
                                         % (context.tenant, self._tenant))

        async def on_get_task(self, params, context):
            self._check(context)
            return await super().on_get_task(params, context)

        async def on_list_tasks(self, params, context):
            self._check(context)
            return await super().on_list_tasks(params, context)

        async def on_cancel_task(self, params, context):
            self._check(context)
            return await super().on_cancel_task(params, context)

        async def on_message_send(self, params, context):
            self._check(context)
            return await super().on_message_send(params, context)

        async def on_message_send_stream(self, params, context):
            self._check(context)
            async for event in super().on_message_send_stream(params, context):
                yield event

        async def on_subscribe_to_task(self, params, context):
            self._check(context)
            async for event in super().on_subscribe_to_task(params, context):
                yield event

        async def on_create_task_push_notification_config(self, params, context):
            self._check(context)
            return await super().on_create_task_push_notification_config(params, context)

        async def on_get_task_push_notification_config(self, params, context):
            self._check(context)
            return await super().on_get_task_push_notification_config(params, context)

        async def on_list_task_push_notification_configs(self, params, context):
            self._check(context)
            return await super().on_list_task_push_notification_configs(params, context)

        async def on_delete_task_push_notification_config(self, params, context):
            self._check(context)
            return await super().on_delete_task_push_notification_config(params, context)

        async def on_get_extended_agent_card(self, params, context):
            self._check(context)
            return await super().on_get_extended_agent_card(params, context)


def build_app(base_url, args):
    rpc_path = args.rpc_path
    rpc_url = base_url + rpc_path
    rest_url = base_url + args.rest_path
    serve_rest = args.rest or args.rest_first or args.rest_only
    serve_rpc = not args.rest_only
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
    streaming, push, ext = not args.no_streaming, not args.no_push, not args.no_extended_card
    push_store = InMemoryPushNotificationConfigStore() if push else None
    push_sender = BasePushNotificationSender(httpx.AsyncClient(timeout=10), push_store) if push else None
    if V1:
        def interfaces(version, tenant=""):
            rpc = [AgentInterface(url=rpc_url, protocol_binding="JSONRPC", protocol_version=version,
                                  tenant=tenant)] if serve_rpc else []
            rest = [AgentInterface(url=rest_url, protocol_binding="HTTP+JSON", protocol_version=version,
                                   tenant=tenant)] if serve_rest else []
            return rest + rpc if args.rest_first else rpc + rest

        def make_card(**fields):
            return AgentCard(supported_interfaces=interfaces("1.0", args.tenant or "") + interfaces("0.3"),
                             capabilities=AgentCapabilities(streaming=streaming, push_notifications=push,
                                                            extended_agent_card=ext),
                             **dict(common, **fields))
        card = make_card()
        extended = make_card(name="SDK Echo Agent (extended)", skills=[skill, secret]) if ext else None
        kwargs = dict(agent_executor=EchoExecutor(), task_store=InMemoryTaskStore(), agent_card=card,
                      push_config_store=push_store, push_sender=push_sender, extended_agent_card=extended)
        handler = TenantCheckingHandler(args.tenant, **kwargs) if args.tenant else _Handler(**kwargs)
        routes = create_agent_card_routes(card)
        if serve_rpc:
            routes += create_jsonrpc_routes(handler, rpc_path, enable_v0_3_compat=True)
        if serve_rest:
            routes += create_rest_routes(handler, enable_v0_3_compat=True, path_prefix=args.rest_path)
        return Starlette(routes=routes)

    def make_card(**fields):
        if args.rest_first or args.rest_only:
            main = dict(url=rest_url, preferred_transport="HTTP+JSON")
        else:
            main = dict(url=rpc_url, preferred_transport="JSONRPC")
        extra = {}
        if serve_rest:
            rpc = [AgentInterface(url=rpc_url, transport="JSONRPC")] if serve_rpc else []
            rest = [AgentInterface(url=rest_url, transport="HTTP+JSON")]
            extra["additional_interfaces"] = rest + rpc if main["preferred_transport"] == "HTTP+JSON" else rpc + rest
        return AgentCard(capabilities=AgentCapabilities(streaming=streaming, push_notifications=push),
                         supports_authenticated_extended_card=ext, **dict(common, **dict(main, **extra), **fields))
    card = make_card()
    extended = make_card(name="SDK Echo Agent (extended)", skills=[skill, secret]) if ext else None
    handler = DefaultRequestHandler(agent_executor=EchoExecutor(), task_store=InMemoryTaskStore(),
                                    push_config_store=push_store, push_sender=push_sender)
    jsonrpc_app = A2AStarletteApplication(agent_card=card, http_handler=handler, extended_agent_card=extended)
    if not serve_rest:
        return jsonrpc_app.build(rpc_url=rpc_path)
    # The SDK's own REST app (FastAPI), with the JSON-RPC app's routes added to it.
    app = A2ARESTFastAPIApplication(agent_card=card, http_handler=handler,
                                    extended_agent_card=extended).build(rpc_url=args.rest_path)
    routes = jsonrpc_app.routes(rpc_url=rpc_path)
    if not serve_rpc:   # keep the card routes, drop the JSON-RPC endpoint
        routes = [r for r in routes if r.name != "a2a_handler"]
    app.routes.extend(routes)
    return app


async def serve(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    base_url = "http://%s:%d" % (args.host, sock.getsockname()[1])
    config = uvicorn.Config(build_app(base_url, args), log_level=args.log_level)
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
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rest", action="store_true",
                   help="serve the HTTP+JSON (REST) binding too; the card lists it after JSON-RPC")
    g.add_argument("--rest-first", action="store_true",
                   help="like --rest, with HTTP+JSON listed first (preferred)")
    g.add_argument("--rest-only", action="store_true",
                   help="serve and offer only the HTTP+JSON binding (no JSON-RPC endpoint)")
    p.add_argument("--rest-path", default="", metavar="PREFIX",
                   help="path prefix of the REST routes (default: none)")
    p.add_argument("--tenant", metavar="NAME",
                   help="1.x: declare this tenant on the 1.0 interfaces and refuse 1.x requests for another")
    p.add_argument("--no-streaming", action="store_true", help="card: capabilities.streaming false")
    p.add_argument("--no-push", action="store_true", help="card: no push notifications (no config store)")
    p.add_argument("--no-extended-card", action="store_true", help="card: no extended card")
    args = p.parse_args()
    if args.rest_path and not args.rest_path.startswith("/") or args.rest_path.endswith("/"):
        p.error("--rest-path must start with / and not end with / (or be empty)")
    if args.tenant is not None and not V1:
        p.error("--tenant needs a2a-sdk 1.x: A2A 0.3 has no tenants (this is %s)" % SDK_VERSION)
    if args.tenant is not None and (not args.tenant or "/" in args.tenant):
        p.error("--tenant NAME must be one non-empty path segment")
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())

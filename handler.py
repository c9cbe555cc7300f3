#!/usr/bin/env python3
"""Handler: a command-line client for A2A (Agent2Agent) agents, in one file, standard library only.

Every agent URL keeps its conversation (context id, task id) and its credentials in
~/.handler/sessions.json (or $HANDLER_HOME/sessions.json), so the next call continues the last one.

  handler.py server agent &                                  # a local echo agent on 127.0.0.1:8000
  handler.py message send --url http://127.0.0.1:8000 "Hello"
  echo "Summarise last night's logs" | handler.py message send --url http://agent:8000
  handler.py -o json message stream --url http://agent:8000 "Go"   # JSON Lines, one event a line
  handler.py card get --url http://agent:8000
  handler.py session list
  handler.py auth set --url http://agent:8000 --bearer-token -      # the token is read from stdin

Speaks A2A 1.x and 0.3 over JSON-RPC and HTTP+JSON. Exit codes: 0 done, 1 failure, 2 usage,
3 unreachable, 4 authentication, 5 timeout, 130 interrupted.
"""
import _thread
import os
import sys
import time


class _Lazy:
    """A module imported at its first use: --help and --version need no json. Put in sys.modules,
    it stands in for a module that the standard library imports but a command may never use."""
    __spec__ = None   # what `import` asks of a module already in sys.modules: not an attribute

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr[:2] == "__":   # what `import` asks (is it a package?) is not a use
            raise AttributeError(attr)
        if sys.modules.get(self._name) is self:
            sys.modules.pop(self._name, None)
        value = getattr(__import__(self._name), attr)
        setattr(self, attr, value)   # found directly next time
        return value


json = _Lazy("json")

# The clock seam: every wait and deadline of the client goes through this pair, which tests replace
# with a fake clock (tqdm's DiscreteTimer is the model). The built-in agent's threads keep real
# time.
sleep, monotonic = time.sleep, time.monotonic

# ============================================================================ constants

VERSION = "0.1.0"
VERSION_LINE = f"handler {VERSION} (A2A 1.0 and 0.3)"
PROG = os.path.basename(sys.argv[0] or "")
PROG = PROG if PROG.startswith("handler") else "handler.py"   # how hints name the program
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_AUTH, EXIT_TIMEOUT = range(6)   # 0 to 5
EXIT_INTERRUPTED = 130
DEFAULT_TIMEOUT = 120.0
TERMINAL_STATES = ("completed", "canceled", "failed", "rejected")
INTERRUPTED_STATES = ("input-required", "auth-required")
MAX_BODY = 64 << 20   # 64 MiB: the largest response body read into memory
MAX_SSE_LINE = 16 << 20   # 16 MiB: the longest SSE line
CARD_PATHS = ("/.well-known/agent-card.json", "/.well-known/agent.json")
SECRET_WORDS = ("auth", "token", "key", "secret", "cookie", "session", "signature", "password")
A2A_ERRORS = {
    -32700: "JSONParseError", -32600: "InvalidRequestError", -32601: "MethodNotFoundError",
    -32602: "InvalidParamsError", -32603: "InternalError", -32001: "TaskNotFoundError",
    -32002: "TaskNotCancelableError", -32003: "PushNotificationNotSupportedError",
    -32004: "UnsupportedOperationError", -32005: "ContentTypeNotSupportedError",
    -32006: "InvalidAgentResponseError", -32007: "ExtendedAgentCardNotConfiguredError",
    -32008: "ExtensionSupportRequiredError", -32009: "VersionNotSupportedError",
}
# What to do about an A2A error: the start of its hint (a2a_error), which ends with --debug
A2A_HINTS = {
    -32001: f"check the task id ({PROG} task list shows the agent's tasks); ",
    -32002: "the task has already ended; ", -32009: "the agent does not speak this A2A version; ",
    -32602: "check the ids and the parts of the message; "}
# Every A2A operation, for the client (which builds its requests from it) and the built-in agent
# (which matches requests against it): the 1.x and 0.3 JSON-RPC methods, the HTTP+JSON verbs (the
# client uses the first) and path templates of 1.x and 0.3 (None: 0.3 has no such operation),
# whether a retry is safe (1: it changes nothing) and the card capability it needs.
OPS = {
    "send": ("SendMessage", "message/send", "POST", "/message:send", "/v1/message:send", 0, ""),
    "stream": ("SendStreamingMessage", "message/stream", "POST", "/message:stream",
               "/v1/message:stream", 0, ""),
    "get": ("GetTask", "tasks/get", "GET", "/tasks/{id}", "/v1/tasks/{id}", 1, ""),
    "cancel": ("CancelTask", "tasks/cancel", "POST", "/tasks/{id}:cancel", "/v1/tasks/{id}:cancel",
               0, ""),
    "list": ("ListTasks", None, "GET", "/tasks", None, 1, ""),
    "resubscribe": ("SubscribeToTask", "tasks/resubscribe", "GET POST", "/tasks/{id}:subscribe",
                    "/v1/tasks/{id}:subscribe", 0, "streaming"),
    "push_set": ("CreateTaskPushNotificationConfig", "tasks/pushNotificationConfig/set", "POST",
                 "/tasks/{taskId}/pushNotificationConfigs",
                 "/v1/tasks/{taskId}/pushNotificationConfigs", 0, "pushNotifications"),
    "push_get": ("GetTaskPushNotificationConfig", "tasks/pushNotificationConfig/get", "GET",
                 "/tasks/{taskId}/pushNotificationConfigs/{id}",
                 "/v1/tasks/{taskId}/pushNotificationConfigs/{id}", 1, "pushNotifications"),
    "push_list": ("ListTaskPushNotificationConfigs", "tasks/pushNotificationConfig/list", "GET",
                  "/tasks/{taskId}/pushNotificationConfigs",
                  "/v1/tasks/{taskId}/pushNotificationConfigs", 1, "pushNotifications"),
    "push_delete": ("DeleteTaskPushNotificationConfig", "tasks/pushNotificationConfig/delete",
                    "DELETE", "/tasks/{taskId}/pushNotificationConfigs/{id}",
                    "/v1/tasks/{taskId}/pushNotificationConfigs/{id}", 0, "pushNotifications"),
    "extended_card": ("GetExtendedAgentCard", "agent/getAuthenticatedExtendedCard", "GET",
                      "/extendedAgentCard", "/v1/card", 1, "extendedAgentCard"),
}
# the JSON keys masked in output
SECRET_KEY_WORDS = ("token", "secret", "credential", "password", "device_code")
JSON_ERRORS = (ValueError, RecursionError)   # what json.loads raises on bad or too deep input
MAX_DEPTH = 100   # the deepest JSON Handler reads (as Ruby's JSON); walks stay far from the limit
SECRET_OPTIONS = ("bearer_token", "api_key", "token", "push_token", "client_secret",
                  "auth_credentials")   # the options that take a secret, each also as '-' (stdin)
MAX_RETRIES = 10   # --retries and HANDLER_RETRIES: 0 to this


# ============================================================================ errors

class HandlerError(Exception):
    """A failure the user sees: one line of message, an exit code and a machine-readable code.

    Every failure is raised as this and turned into output in one place, main()."""
    after_reply = False   # raised once the agent's reply is shown: the error goes to stderr only

    def __init__(self, message, exit_code=EXIT_FAILURE, code="A2ACLI_ERR_INTERNAL", hint=None,
                 a2a_code=None):
        super().__init__(message)
        vars(self).update(message=message, exit_code=exit_code, code=code, hint=hint,
                          a2a_code=a2a_code)

    def envelope(self):
        return {"error": {"code": self.code, "message": self.message, "hint": self.hint,
                          "a2aCode": self.a2a_code}}


def usage_error(message, hint=None):
    return HandlerError(message, EXIT_USAGE, "A2ACLI_ERR_USAGE", hint)


def bad_response(message, hint=None):
    return HandlerError(message, EXIT_FAILURE, "InvalidAgentResponseError", hint)


def a2a_error(error, method=""):
    """Turn a JSON-RPC error object into a HandlerError named for its A2A error."""
    if not isinstance(error, dict):
        return bad_response(f"agent sent a malformed JSON-RPC error: {str(error)[:200]}")
    code = _opt(error, "code", int)
    name = A2A_ERRORS.get(code, "A2AError")
    return HandlerError(f"{name}: {str(error.get('message') or 'no message').strip()}",
                        EXIT_FAILURE, name, (f"the agent does not implement {method}; " if
                                             code == -32601 and method else A2A_HINTS.get(code, ""))
                        + "rerun with --debug to see what was sent", code)


# ============================================================================ protocol model
# Handler keeps every protocol object in the 1.x JSON shape. These pure functions turn 0.3
# objects into that shape and back (the built-in agent answers 0.3 clients with them).

def new_id():
    """A random (version 4) UUID, without the cost of importing uuid."""
    h = os.urandom(16).hex()   # the version nibble 4, the variant bits 10
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:]}"


def short_state(state):
    """'TASK_STATE_INPUT_REQUIRED', 'input_required' or 'input-required' -> 'input-required'."""
    text = str(state or "unknown").strip().lower().replace("_", "-").removeprefix("task-state-")
    return {"unspecified": "unknown", "cancelled": "canceled"}.get(text, text)


def wire_state(state):
    """Any spelling of a state -> the 1.x enum name, e.g. 'TASK_STATE_COMPLETED'."""
    short = short_state(state)
    return "TASK_STATE_" + {"unknown": "UNSPECIFIED"}.get(short, short).upper().replace("-", "_")


# A file part's fields: the 1.x part's, the 0.3 JSON-RPC file's, the 0.3 HTTP+JSON (proto) file's.
FILE_FIELDS = (("raw", "bytes", "fileWithBytes"), ("url", "uri", "fileWithUri"),
               ("filename", "name", "name"), ("mediaType", "mimeType", "mimeType"))


def _copy(obj, drop=()):
    return {k: v for k, v in obj.items() if k not in drop}


def _file(obj, src, dst):
    """A file part's fields, renamed from one column of FILE_FIELDS to another."""
    return {f[dst]: obj[f[src]] for f in FILE_FIELDS if obj.get(f[src]) is not None}


def normalise(obj, kind):
    """A protocol object of either version -> its 1.x shape; kind is a key of V03_SHAPES (below), or
    "part". An object that cannot be one is an invalid answer."""
    if kind == "part":
        if not isinstance(obj, dict):
            return {"text": str(obj)}
        # 0.3 file part: its fields renamed, flat
        return {**_copy(obj, ("kind", "file")), **_file(_get(obj, "file"), 1, 0)}
    what = ("an " if kind.startswith("a") else "a ") + kind
    if kind == "task" and not (isinstance(obj, dict) and obj.get("id")
                               and isinstance(obj.get("status"), dict)):
        raise bad_response("agent sent a task without an id, or without a status object")
    if not isinstance(obj, dict):
        if kind != "status":   # a status may be anything: its state is unknown
            raise bad_response(f"agent sent {what} that is not a JSON object")
        obj = {}
    out = _copy(obj, ("kind", "final"))
    for field, sub in V03_SHAPES[kind][1].items():
        value = out.get(field)
        if isinstance(sub, list):   # parts always, history and artifacts when there
            if value is not None or field == "parts":
                if not isinstance(value or [], list):
                    raise bad_response(f"agent sent {what} whose {field} is not a list")
                out[field] = [normalise(o, sub[0]) for o in value or []]
        elif isinstance(value, dict) or field != "message":   # a status message when an object
            out[field] = normalise(value, sub)
    if kind == "message":
        role = str(out.get("role", "")).lower()
        out["role"] = "ROLE_AGENT" if "agent" in role else "ROLE_USER" if "user" in role \
            else out.get("role")
    if kind == "status":
        out["state"] = wire_state(out.get("state"))
    return out


def normalise_message(msg):
    return normalise(msg, "message")


def normalise_task(task):
    return normalise(task, "task")


def normalise_event(result):
    """A SendMessage result or a stream event of either version -> a 1.x StreamResponse:
    exactly one of {"task"}, {"message"}, {"statusUpdate"}, {"artifactUpdate"}."""
    if not isinstance(result, dict):
        raise bad_response(f"agent sent a result that is not a JSON object: {str(result)[:200]}")
    kind = result.get("kind")   # 0.3; 1.x wraps the object in its key (a bare task or message too)
    key = next((k for k, (tag, _) in V03_SHAPES.items() if tag and (k in result or kind == tag)),
               None) or kind is None and ("task" if "status" in result and "id" in result
                                          else "message" if "messageId" in result else None)
    if not key:
        raise bad_response(
            f"agent sent an object Handler does not know: {json.dumps(result)[:200]}")
    return {key: normalise(result.get(key, result), key)}


# The 0.3 shape of each 1.x object: its "kind", and the fields that hold other objects (field: kind,
# [kind]: a list of them). to_v03 walks it; normalise() walks the other way.
V03_SHAPES = {
    "message": ("message", {"parts": ["part"]}), "status": (None, {"message": "message"}),
    "task": ("task", {"status": "status", "history": ["message"], "artifacts": ["artifact"]}),
    "artifact": (None, {"parts": ["part"]}),
    "statusUpdate": ("status-update", {"status": "status"}),
    "artifactUpdate": ("artifact-update", {"artifact": "artifact"}),
}


def to_v03(obj, kind):
    """A 1.x object of this kind (a key of V03_SHAPES, or "part") -> its 0.3 shape."""
    if kind == "part":
        meta = {"metadata": obj["metadata"]} if "metadata" in obj else {}
        if "text" in obj:
            return {"kind": "text", **obj}
        if "data" in obj:
            data = obj["data"]
            return {"kind": "data", "data": data if isinstance(data, dict) else {"value": data},
                    **meta}
        return {"kind": "file", "file": _file(obj, 0, 1), **meta}
    tag, fields = V03_SHAPES[kind]
    out = {**obj, **({"kind": tag} if tag else {})}
    for field, sub in fields.items():
        if field in obj:
            out[field] = [to_v03(o, sub[0]) for o in obj[field]] if isinstance(sub, list) \
                else to_v03(obj[field], sub)
    if kind == "message":
        out["role"] = "agent" if obj.get("role") == "ROLE_AGENT" else "user"
    if kind == "status":
        out["state"] = short_state(obj.get("state"))
    if kind == "statusUpdate":
        out["final"] = settled(obj)
    return out


def to_v03_event(event):
    """A 1.x StreamResponse -> the 0.3 object (a Task, Message or update with kind)."""
    (kind, obj), = event.items()
    return to_v03(obj, kind)


def normalise_push_config(config):
    """A push notification config of either version -> the 1.x flat shape
    {id, taskId, url, token?, authentication?{scheme, credentials}}."""
    if not isinstance(config, dict):
        raise bad_response("agent sent a push notification config that is not a JSON object")
    inner = _get(config, "pushNotificationConfig")   # 0.3: {taskId, pushNotificationConfig}
    out = {**_copy(config, ("pushNotificationConfig",)), **_copy(inner, ("authentication",))}
    auth = _opt(inner, "authentication", dict)
    if auth is not None:
        out["authentication"] = {"scheme": (auth.get("schemes") or [""])[0],
                                 **_copy(auth, ("schemes",))}
    return out


def to_v03_push_config(config):
    """The 1.x flat config -> the 0.3 PushNotificationConfig (without taskId)."""
    out = _copy(config, ("taskId", "authentication", "tenant"))
    auth = config.get("authentication")
    if auth:
        out["authentication"] = {"schemes": [auth.get("scheme") or "Bearer"],
                                 **_copy(auth, ("scheme",))}
    return out


def params_to_v03(op, params, push_key="pushNotificationConfig"):
    """The 1.x params of an operation -> its 0.3 JSON-RPC params (params_from_v03 undoes it);
    push_key names a send's push config (pushNotification in 0.3 HTTP+JSON: to_proto03)."""
    if op in ("send", "stream"):
        config = {**(params.get("configuration") or {})}
        config["blocking"] = not config.pop("returnImmediately", False)
        push = config.pop("taskPushNotificationConfig", None)
        if push:
            config[push_key] = to_v03_push_config(push)
        return {**params, "message": to_v03(params["message"], "message"), "configuration": config}
    if op == "push_set":
        return {"taskId": params["taskId"], "pushNotificationConfig": to_v03_push_config(params)}
    if op.startswith("push"):
        return {"id": params["taskId"], **({"pushNotificationConfigId": params["id"]}
                                           if "id" in params else {})}
    return {**params}


def params_from_v03(op, params):
    """The 0.3 JSON-RPC params of an operation -> its 1.x params (the message left as it is)."""
    if op in ("send", "stream"):
        config = {**(params.get("configuration") or {})}
        push = config.pop("pushNotificationConfig", None)
        return {**params, "configuration": {
            **config, "returnImmediately": config.get("blocking") is False,
            "taskPushNotificationConfig": push and normalise_push_config(
                {"pushNotificationConfig": push})}}
    if op == "push_set":
        return normalise_push_config(params)
    if op.startswith("push"):
        return {"taskId": params.get("id"), "id": params.get("pushNotificationConfigId")}
    return params


def result_to_v03(op, result):
    """A 1.x result of an operation -> its 0.3 JSON-RPC result."""
    if op == "push_list":
        return [result_to_v03("push_get", c) for c in result["configs"]]
    if op.startswith("push"):
        return result and params_to_v03("push_set", result) or None   # a config as set
    return to_v03(result, "task") if op in ("get", "cancel") else \
        to_v03_event(result) if op == "send" else result


def is_secret_key(key):
    key = str(key).lower()
    return any(word in key for word in SECRET_KEY_WORDS) \
        and not key.endswith(("url", "pagetoken", "type"))


def loads(text):
    """json.loads, refusing values nested deeper than MAX_DEPTH with a ValueError: CPython stops
    near its recursion limit, PyPy goes far past it, and the walks after parsing (normalising,
    masking, printing) are recursive."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    level = [value]
    for _ in range(MAX_DEPTH):
        level = [v for x in level if isinstance(x, (dict, list))
                 for v in (x.values() if isinstance(x, dict) else x)]
        if not level:
            return value
    raise ValueError(TOO_DEEP)


TOO_DEEP = f"JSON nested more than {MAX_DEPTH} levels deep"


def shown_json(exc, snippet):
    """What an error shows of text that loads() refused: why when too deep, else its start."""
    return TOO_DEEP if str(exc) == TOO_DEEP else repr(snippet)


def mask_secrets(obj):
    """A copy of a JSON value with every token and credential masked."""
    if isinstance(obj, dict):
        return {k: mask_secret(v) if is_secret_key(k) and isinstance(v, str) else mask_secrets(v)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [mask_secrets(v) for v in obj]
    return obj


# What 0.3 REST (and a 1.x answer without a reason) means by a status.
REST_STATUS_ERRORS = {404: -32001, 409: -32002, 422: -32602, 501: -32004, 415: -32005,
                      400: -32600, 500: -32603}


def _reason(name):
    """TaskNotFoundError -> TASK_NOT_FOUND, the reason 1.x REST errors carry."""
    import re
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removesuffix("Error")).upper()


def rest_error(status, payload, what=""):
    """An HTTP+JSON error answer -> a HandlerError named for its A2A error: 1.x sends
    {"error": {code, status, message, details: [{reason}]}}, 0.3 {"message"} with the status."""
    error = _get(payload, "error") or payload
    reasons = [str(d.get("reason")).removesuffix("_ERROR")   # INTERNAL_ERROR: InternalError
               for d in _get(error, "details", list) if isinstance(d, dict)]
    code = next((code for code, name in A2A_ERRORS.items()   # TaskNotFoundError: TASK_NOT_FOUND
                 if _reason(name) in reasons),
                error.get("code") if error.get("code") in A2A_ERRORS   # an A2A code (a2a-js 0.3)
                else REST_STATUS_ERRORS.get(status))
    message = error.get("message") or error.get("detail") or f"HTTP {status}"
    if code is None:
        return bad_response(f"{what} failed: HTTP {status}: {message}")
    return a2a_error({"code": code, "message": message}, what)


def to_proto03(op, params, twice=False):
    """The 1.x params of a send or push_set -> the 0.3 HTTP+JSON (proto JSON) body. Inline bytes
    go base64-encoded once, the proto JSON mapping of a bytes field (a2a-js reads that); twice
    for the 0.3 SDKs whose proto bytes field holds the base64 text (a2a-python)."""
    from urllib.parse import quote
    if op == "push_set":   # proto JSON cannot tell a missing id from "", which the 0.3 SDK then
        task, config = params["taskId"], {"id": params["taskId"], **params}   # stores: name it as
        # over JSON-RPC (by default the task id)
        return {"parent": f"tasks/{task}", "config": {
            "name": f"tasks/{quote(task, safe='')}/pushNotificationConfigs/"
                    + quote(str(config["id"]), safe=""),
            "pushNotificationConfig": to_v03_push_config(config)},
            **({"configId": params["id"]} if params.get("id") else {})}
    import base64
    body, content = params_to_v03(op, params, "pushNotification"), []
    for part in params["message"].get("parts") or []:
        file = _file(part, 0, 2)
        if twice and "raw" in part:
            file["fileWithBytes"] = base64.b64encode(str(part["raw"]).encode("ascii")).decode()
        content.append({"text": part["text"]} if "text" in part else
                       {"data": {"data": part["data"]}} if "data" in part else {"file": file})
    return {**body, "message": {**_copy(params["message"], ("parts",)), "content": content}}


def from_proto03(obj, twice=False):
    """0.3 REST (proto JSON) -> what the JSON-RPC normalisers read: messages' content as parts,
    file and data parts unwrapped, push configs with their task id. twice: inline bytes are
    base64-encoded twice (see to_proto03)."""
    if isinstance(obj, list):
        return [from_proto03(o, twice) for o in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    for key, value in obj.items():
        if key in ("content", "parts") and isinstance(value, list):
            out["parts"] = [_from_proto03_part(p, twice) for p in value]
        else:
            out[key] = from_proto03(value, twice)
    if isinstance(obj.get("name"), str) and isinstance(out.get("pushNotificationConfig"), dict):
        names = out.pop("name").split("/") + [None] * 3   # tasks/ID/pushNotificationConfigs/CONFIG
        out["taskId"] = names[1]
        out["pushNotificationConfig"].setdefault("id", names[3])
    return out


def _from_proto03_part(part, twice):
    if not isinstance(part, dict):
        return part
    if isinstance(part.get("file"), dict):
        out = _file(part["file"], 2, 0)
        if "raw" in out and twice:   # kept as it is when it was not encoded twice after all
            import base64
            try:
                text = base64.b64decode(str(out["raw"]), validate=True).decode("ascii")
                base64.b64decode(text, validate=True)
                out["raw"] = text
            except ValueError:
                pass
        return out
    data = part.get("data")
    return {**part, "data": data["data"]} if isinstance(data, dict) and set(data) == {"data"} \
        else part


def apply_event(task, event):
    """Fold a normalised stream event into the task it belongs to (honouring artifact append);
    return the task, new when the event is the task itself."""
    if "task" in event:
        return event["task"]
    body = event.get("statusUpdate") or event.get("artifactUpdate") or {}
    task = task or {"id": body.get("taskId"), "contextId": body.get("contextId"),
                    "status": {"state": "TASK_STATE_SUBMITTED"}}
    if "status" in body:
        task["status"] = body["status"]
    elif "artifact" in body:
        new, artifacts = body["artifact"], task.setdefault("artifacts", [])
        old = next((a for a in artifacts if a.get("artifactId") == new.get("artifactId")), None)
        if old is None:
            artifacts.append(new)
        elif body.get("append"):
            old["parts"] = old.get("parts", []) + new.get("parts", [])
        else:
            artifacts[artifacts.index(old)] = new
    return task


def task_state(task):
    return short_state((task or {}).get("status", {}).get("state"))


def part_text(part):
    """How one part reads in text output: text as is, data as JSON, a file as one line (whatever
    its name)."""
    if "text" in part:
        return str(part["text"])
    if "data" in part:
        return json.dumps(part["data"], ensure_ascii=False)
    where = f"at {part['url']}" if part.get("url") else \
        f"{len(str(part.get('raw') or '').rstrip('=')) * 3 // 4} bytes inline"   # base64 decoded
    return (f"[file {part.get('filename') or 'unnamed'} "
            f"({part.get('mediaType') or 'unknown type'}), {where}]").replace("\n", "^J")


# ============================================================================ card validation
# What an agent card may hold: 1.x from specification/a2a.proto (field_behavior REQUIRED), 0.3 from
# types/src/types.ts at v0.3.0. A key starting with "!" is required; a kind is "str", "bool", "url"
# (absolute http or https), "a|b" (one of these strings), [kind] (an array of them), {"*": kind} (an
# object mapping names to them), a dict (an object with these fields, others ignored), a _OneOf or a
# _ByType. A card
# may hold both halves (the official SDKs serve the 0.3 fields beside supportedInterfaces): each
# is judged by its own version's rules.

class _OneOf(dict):
    """A table for an object that holds exactly one of its fields (a proto oneof)."""


class _ByType(dict):
    """A table for a 0.3 object whose "type" field picks its fields' table."""


_SCOPES = {"*": "str"}
# {"schemes": {"<name>": {"list": [..]}}} and {"<scheme>": [scopes]}: "names" marks a map whose
# keys name security schemes, and the half of the card it is in
_REQUIREMENT_1X = {"schemes": {"*": {"list": ["str"]}, "names": "1.x"}}
_REQUIREMENT_03 = {"*": ["str"], "names": "0.3"}
_SKILL = {"!id": "str", "!name": "str", "!description": "str", "!tags": ["str"],
          "examples": ["str"],
          "inputModes": ["str"], "outputModes": ["str"],
          "securityRequirements": [_REQUIREMENT_1X], "security": [_REQUIREMENT_03]}
_CAPABILITIES = {"streaming": "bool", "pushNotifications": "bool", "extendedAgentCard": "bool",
                 "stateTransitionHistory": "bool",
                 "extensions": [{"uri": "str", "description": "str", "required": "bool",
                                 "params": {}}]}
_CARD = {
    "!name": "str", "!description": "str", "!version": "str", "!capabilities": _CAPABILITIES,
    "!defaultInputModes": ["str"], "!defaultOutputModes": ["str"], "!skills": [_SKILL],
    "provider": {"!organization": "str", "!url": "url"}, "documentationUrl": "url",
    "iconUrl": "url",
    "securitySchemes": {}, "securityRequirements": [_REQUIREMENT_1X], "security": [_REQUIREMENT_03],
    "signatures": [{"!protected": "str", "!signature": "str", "header": {}}],
    "preferredTransport": "str", "additionalInterfaces": [{"!url": "url", "!transport": "str"}],
    "supportsAuthenticatedExtendedCard": "bool"}
_HALF_03 = {"!protocolVersion": "str", "!url": "url"}   # also the 0.3 half of a 1.x card
_CARD_TABLES = {
    "1.x": {"!supportedInterfaces": [{"!url": "url", "!protocolBinding": "str",
                                      "!protocolVersion": "str",
                                      "tenant": "str"}], **_CARD},
    "0.3": {**_HALF_03, **_CARD},
    "unknown": _CARD}
_FLOWS_03 = {
    "authorizationCode": {"!authorizationUrl": "url", "!tokenUrl": "url", "refreshUrl": "url",
                          "!scopes": _SCOPES,
                          "pkceRequired": "bool"},
    "clientCredentials": {"!tokenUrl": "url", "refreshUrl": "url", "!scopes": _SCOPES},
    "implicit": {"!authorizationUrl": "url", "refreshUrl": "url", "!scopes": _SCOPES},
    "password": {"!tokenUrl": "url", "refreshUrl": "url", "!scopes": _SCOPES}}
# implicit and password are deprecated in 1.x, and nothing in them required
_FLOWS_1X = _OneOf(_FLOWS_03,
                   implicit={"authorizationUrl": "url", "refreshUrl": "url", "scopes": _SCOPES},
                   password={"tokenUrl": "url", "refreshUrl": "url", "scopes": _SCOPES},
                   deviceCode={"!deviceAuthorizationUrl": "url", "!tokenUrl": "url",
                               "refreshUrl": "url",
                               "!scopes": _SCOPES})
_SCHEME_1X = _OneOf(
    apiKeySecurityScheme={"!location": "query|header|cookie", "!name": "str", "description": "str"},
    httpAuthSecurityScheme={"!scheme": "str", "bearerFormat": "str", "description": "str"},
    oauth2SecurityScheme={"!flows": _FLOWS_1X, "oauth2MetadataUrl": "url", "description": "str"},
    openIdConnectSecurityScheme={"!openIdConnectUrl": "url", "description": "str"},
    mtlsSecurityScheme={"description": "str"})
_SCHEME_03 = _ByType(
    apiKey={"!in": "query|header|cookie", "!name": "str"}, http={"!scheme": "str",
                                                                 "bearerFormat": "str"},
    oauth2={"!flows": _FLOWS_03, "oauth2MetadataUrl": "url"},
    openIdConnect={"!openIdConnectUrl": "url"},
    mutualTLS={})


def validate_card_bytes(body):
    """validate_card() of a card as it was read: one that is not JSON is one problem."""
    try:
        card = loads(body.decode())
    except JSON_ERRORS as exc:
        return "unknown", [("$", f"the card is not JSON: {exc}")]
    return validate_card(card)


def card_protocol_version(card):
    """The A2A version a card is written for: "1.x" when it has supportedInterfaces (also when it
    carries the 0.3 fields beside them), "0.3" when it has url or protocolVersion, else
    "unknown"."""
    has = [k for k in ("supportedInterfaces", "url", "protocolVersion")
           if isinstance(card, dict) and card.get(k) is not None]
    return "1.x" if "supportedInterfaces" in has else "0.3" if has else "unknown"


def _get(obj, key, kind=dict):
    """obj[key] when it is a `kind` (dict or list), else an empty one."""
    return _opt(obj, key, kind) or kind()


def validate_card(card):
    """Check an agent card (whatever json.loads returned) against the rules of its A2A version.

    Returns (version, problems): version as card_protocol_version() tells it; problems a list of
    (JSON path, message) pairs, e.g. ("$.supportedInterfaces[0].url", "expected an absolute
    http(s) URL, got '/a2a'"), empty for a valid card. A 1.x card is held to a2a.proto, where a
    required string, array or map must not be empty either (proto JSON drops empty values). A 1.x
    card with url or protocolVersion has a 0.3 half too, which needs both; there a security scheme
    is held to the rules of the form(s) it is in, and of the half whose requirements name it. Every
    security scheme that a requirement names must be defined in securitySchemes. Never raises."""
    version = card_protocol_version(card)
    if not isinstance(card, dict):
        return version, [("$", f"expected a JSON object (an agent card), got {_show(card)}")]
    problems = [] if version != "unknown" else [(
        "$.supportedInterfaces", "missing: expected supportedInterfaces (A2A 1.x), "
                                 "or url and protocolVersion (A2A 0.3)")]
    _check(card, _CARD_TABLES[version], "$", problems, version != "0.3")
    both = version == "1.x" and card_protocol_version(_copy(card, ("supportedInterfaces",))) != \
        "unknown"
    if both:
        _check(card, _HALF_03, "$", problems, False)
    schemes = {} if card.get("securitySchemes") is None else card["securitySchemes"]
    known = isinstance(schemes, dict)   # else reported: what requirements name cannot be checked
    defined = known and ", ".join(map(str, schemes)) or "none"
    # the checks left (path, name, half) for each scheme a requirement names
    named = {p[1:] for p in problems if p[2:]}
    problems = [(p[0], f"names security scheme {p[1]!r}, which securitySchemes does not define "
                       f"(it defines: {defined})") if p[2:] else p
                for p in problems if not p[2:] or known and p[1] not in schemes]
    # in a card of both halves, each form is its half's
    for name, scheme in schemes.items() if known else ():
        in03 = isinstance(scheme, dict) and "type" in scheme   # the 0.3 form, maybe beside 1.x
        where = _at("$.securitySchemes", name)
        # in 1.x form (one of neither form is held to 1.x), or named by a 1.x requirement
        if version != "0.3" and (not both or not in03 or any(k in scheme for k in _SCHEME_1X)
                                 or (name, "1.x") in named):
            _check(scheme, _SCHEME_1X, where, problems, True)
        if version == "0.3" or in03 or both and (name, "0.3") in named:
            _check(scheme, _SCHEME_03, where, problems, False)
    return version, problems


def _check(value, kind, path, problems, strict):
    """Check one value against its kind; True when it is at least of the right JSON type."""
    want = list if isinstance(kind, list) else dict if isinstance(kind, dict) else \
        bool if kind == "bool" else str
    if not isinstance(value, want) or want is str and kind != "str" and not (
            _is_http_url(value) if kind == "url" else value in kind.split("|")):
        problems.append((path, f"expected {_expected(kind)}, got {_show(value)}"))
        return False
    if want is list or "*" in kind:   # an array, or an object of named items
        for key, item in enumerate(value) if want is list else value.items():
            where = _at(path, key)
            if "names" in kind:   # (the scheme it names, for validate_card)
                problems.append((where, key, kind["names"]))
            _check(item, kind[0] if want is list else kind["*"], where, problems, strict)
    elif isinstance(kind, _OneOf):
        present = [key for key in kind if value.get(key) is not None]
        wrapped = [(k, v["$case"]) for k, v in value.items()   # (when no field of kind is set)
                   if isinstance(v, dict) and v.get("$case") in kind]
        if len(present) == 1:
            _check(value, {k: kind[k] for k in present}, path, problems, strict)
        elif wrapped and not present:   # ts-proto's in-memory form of a oneof, not its JSON
            key, case = wrapped[0]
            problems.append((_at(path, key), f'not an A2A field: expected {{"{case}": {{...}}}} in '
                             f'{path}, got {{"{key}": {{"$case": "{case}", ...}}}}'))
        else:
            others = ", ".join(str(k) for k in value if k not in kind)
            problems.append((path, f"expected exactly one of {', '.join(kind)}, got "
                             + (", ".join(present) or "none" + (f" (it has: {others})" if others
                                                                else ""))))
    elif isinstance(kind, _ByType):   # (the fields of no type when the type is wrong)
        _check(value, {"!type": "|".join(kind), "description": "str",
                       **kind.get(str(value.get("type")), {})}, path, problems, strict)
    elif isinstance(kind, dict):   # an object with these fields
        for key, sub in kind.items():
            name = key.lstrip("!")
            item, where = value.get(name), _at(path, name)
            # JSON null counts as absent, in proto JSON and in 0.3's TypeScript alike
            if item is None:
                if key != name:
                    problems.append((where, f"missing: expected {_expected(sub)}"))
            elif (_check(item, sub, where, problems, strict) and strict and key != name
                  and (item in ("", []) or item == {} and "*" in sub)):   # a map; a message is set
                problems.append((where, "is empty: A2A 1.x requires at least one "
                                        + ("character" if item == "" else "entry")))
    return True


def _expected(kind):
    return "an array of strings" if kind == ["str"] else "an array" if isinstance(kind, list) \
        else "an object" if isinstance(kind, dict) else {
            "str": "a string", "bool": "true or false", "url": "an absolute http(s) URL"}.get(
            kind) or "one of " + kind.replace("|", ", ")


def _show(value):
    """A value as a message names it: a string quoted (cut short), anything else by its JSON
    type."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return {bool: "a boolean", int: "a number", float: "a number", list: "an array",
            dict: "an object",
            type(None): "null"}.get(type(value), type(value).__name__)


def _at(path, key):
    """A JSON path one key (or index) further: $.a.b, $.a[0], or $.a["b-c"] when the key is not a
    plain name."""
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if str(
        key).isidentifier() else f"{path}[{json.dumps(str(key))}]"


def _is_http_url(text):
    try:
        normalise_url(text)   # an absolute http(s) URL with a host (and a port that is a number)
    except HandlerError:
        return False
    return text.split() == [text]


# ============================================================================ session store

SOURCES = {}   # setting -> where the code that picked it last found its value (config show)


def _pick(name, *choices):
    """The value of the first (source, value) of choices that is given (not None, nor a flag's
    False), else of the last (the default); its source is kept in SOURCES[name]."""
    SOURCES[name], value = next((c for c in choices if c[1] is not None and c[1] is not False),
                                choices[-1])
    return value


def handler_home():
    return _pick("handler_home",
                 ("environment HANDLER_HOME", os.environ.get("HANDLER_HOME") or None),
                 ("default", os.path.expanduser("~/.handler")))


def make_dirs(path, mode=0o700):
    """os.makedirs whose leaf gets mode and whose parents are never looser than 0755, whatever the
    umask (makedirs gives parents 0777 under umask 000)."""
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        make_dirs(parent, 0o755)
    try:
        os.mkdir(path, mode)
        os.chmod(path, mode)
    except FileExistsError:   # another process was quicker (or it is a file: the caller checks)
        pass


def open_own(path, flags=os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode=0o600):
    """os.open that never follows a symbolic link at path (someone may have planted it: a link is
    refused with a line) and never waits on a FIFO. With O_CREAT the file is born with mode; by
    default it is a new file (O_EXCL: a name taken, even by a link, is FileExistsError)."""
    import errno
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise HandlerError(f"{path} is a symbolic link, which Handler does not follow there",
                           hint=f"remove it if you did not make it: rm {path}") from None


def normalise_url(url):
    """The session key of an agent URL: lower-case scheme and host, no default port, no trailing
    slash. 'http://Host:80/' and 'http://host' are one session."""
    from urllib.parse import urlsplit, urlunsplit
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise usage_error(f"invalid agent URL {text!r}: {exc}") from None
    host = parts.hostname   # lower-case already, as the scheme
    if parts.scheme not in ("http", "https") or not host:
        raise usage_error(f"invalid agent URL {text!r}: expected http://host[:port][/path]",
                          "for example --url http://127.0.0.1:8000")
    if ":" in host:
        host = f"[{host}]"
    if port and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), parts.query, ""))


def url_groups(raw):
    """{agent URL: its raw keys in the file}. Other writers leave keys
    unnormalised ('https://api.example.com/', 'http://Host:80'), so one URL can have several."""
    groups = {}
    for k in raw:
        if isinstance(raw[k], dict):
            try:
                groups.setdefault(normalise_url(k), []).append(k)
            except HandlerError:   # not an agent URL: kept as it is
                pass
    return groups


def merge_entries(raw, key, keys):
    """File the entries of one URL's raw keys under key alone and return it ({} for none): the
    newest updated_at wins field by field (ties: the normalised key, then the larger key);
    credentials survive from whichever entry has them."""
    entry = {}
    for k in sorted(keys, key=lambda k: (str(raw[k].get("updated_at") or ""), k == key, k)):
        entry.update(raw[k], **{n: entry[n] for n in ("credentials", "client_cert")   # (kept)
                                if entry.get(n) is not None and raw[k].get(n) is None})
        if k != key:
            del raw[k]
    raw[key] = entry
    return entry


def origin_of(url):
    from urllib.parse import urlsplit
    parts = urlsplit(normalise_url(url))
    return f"{parts.scheme}://{parts.netloc}"


def mask_secret(value):
    value = str(value or "")
    return value[:4] + "\u2026" if len(value) >= 12 else "\u2026"


class _Record:
    """Fields set in FIELDS order from the arguments, None when not given: what @dataclass gave,
    without importing dataclasses (and inspect with it: about 9 ms a run)."""
    FIELDS = ()

    def __init__(self, *values, **named):
        vars(self).update({**dict.fromkeys(self.FIELDS), **dict(zip(self.FIELDS, values)), **named})

    def __eq__(self, other):
        return type(other) is type(self) and vars(other) == vars(self)


class AuthCredentials(_Record):
    """A credential stored for one agent: a bearer token, an API key sent in a header, or an
    OAuth2 access token with what it takes to get a new one (oauth: token_url, client_id,
    client_secret or refresh_token, scopes, expires_at)."""
    # auth_type: "bearer", "api_key" or "oauth2"; value: the token or key ("" for an OAuth2
    # token not fetched yet); header_name: API keys only, X-API-Key when None
    FIELDS = ("auth_type", "value", "header_name", "oauth")

    def headers(self, scheme={}):
        """(headers, query parameters) that carry it. An API key goes where the card's apiKey
        scheme (its fields, either version's) puts it: header, query or cookie, by its name;
        unless a header name was given (--api-key-header, $HANDLER_API_KEY_HEADER, auth set)."""
        value, given = self.value, self.header_name
        if self.auth_type != "api_key":
            return {"Authorization": f"Bearer {value}"} if value else {}, {}
        where = not given and (scheme.get("location") or scheme.get("in"))
        name = given or scheme.get("name") or "X-API-Key"
        return ({}, {name: value}) if where == "query" else (
            {"Cookie": f"{name}={value}"} if where == "cookie" else {name: value}, {})

    def to_dict(self):
        return {k: v for k, v in vars(self).items() if v or k != "oauth"}

    @classmethod
    def from_dict(cls, data):
        if _typed(data, ("value", str)) and \
                data.get("auth_type") in ("bearer", "api_key", "oauth2"):
            return cls(*map(_opt, [data] * 4, cls.FIELDS, (str, str, str, dict)))


# What `session clear` and `auth clear` remove, by name, and the entry fields each is kept in
# (the cached card goes with the context: see forget).
CLEARED = {"context": ("context_id",), "task": ("task_id", "task_state"),
           "credentials": ("credentials",), "client certificate": ("client_cert",)}


STAMP = "%Y-%m-%dT%H:%M:%SZ"   # updated_at, in UTC


def _seconds(stamp):
    """The time of an updated_at written as STAMP; inf for anything else (it cannot be dated)."""
    import calendar
    try:
        return calendar.timegm(time.strptime(stamp, STAMP))
    except (TypeError, ValueError):
        return float("inf")


def _opt(data, key, kind=str):
    """data[key] when it is a kind, else None."""
    value = data.get(key)
    return value if isinstance(value, kind) else None


def _typed(value, *checks):
    """value when it is a dict whose keys have the types given as (key, type), else None."""
    return value if isinstance(value, dict) and all(
        isinstance(value.get(k), t) for k, t in checks) else None


class AgentSession(_Record):
    """What Handler remembers about one agent URL: its conversation (context_id, task_id and
    task_state, the saved task's last known state, e.g. "input-required"), its credentials,
    client_cert, {"cert": path, "key": path} for mutual TLS (paths, never keys), and card, the
    agent's card as Handler uses it (see A2AClient.fetch_card), and updated_at, when it was last
    saved (STAMP, UTC)."""
    FIELDS = ("agent_url", "context_id", "task_id", "credentials", "task_state", "client_cert",
              "card", "updated_at")

    def update(self, *values, **named):
        """Change only the values that are provided: the FIELDS after agent_url, in their order
        or by name."""
        for name, value in (*zip(self.FIELDS[1:], values), *named.items()):
            if value is not None:
                setattr(self, name, value)

    def summary(self):
        """The session as shown to users and scripts: never the secret."""
        return {**{k: vars(self)[k] for k in ("agent_url", "context_id", "task_id", "task_state")},
                "has_credentials": self.credentials is not None, "updated_at": self.updated_at}

    @classmethod
    def from_entry(cls, url, entry):
        return cls(url, _opt(entry, "context_id"), _opt(entry, "task_id"),
                   AuthCredentials.from_dict(entry.get("credentials")), _opt(entry, "task_state"),
                   _typed(entry.get("client_cert"), ("cert", str)),
                   _typed(entry.get("card"), ("card", dict), ("url", str), ("until", (int, float)),
                          ("etag", (str, type(None))), ("asked", str)),
                   _opt(entry, "updated_at"))

    def write_entry(self, entry):
        """Write this session's fields into its raw file entry, keeping keys Handler does not
        know."""
        entry.update(context_id=self.context_id, task_id=self.task_id,
                     credentials=self.credentials.to_dict() if self.credentials else None,
                     task_state=self.task_state or None,
                     updated_at=time.strftime(STAMP, time.gmtime()))
        for name in ("client_cert", "card"):   # written once there is one ({} removes a card)
            if getattr(self, name) or name in entry:
                entry[name] = getattr(self, name) or None
        return entry


class SessionStore:
    """Sessions for every agent URL, in HANDLER_HOME/sessions.json (NAME.json: AgentStore's file
    is kept by the same code).

    Safe for many processes at once: every write takes an exclusive lock, re-reads the file,
    applies only its own change, and replaces the file atomically (temp file, fsync, rename).
    A corrupt file is moved aside, never overwritten."""
    NAME = "sessions"
    OWN_FILE = 0   # 1: warn of loose modes of the file only (AgentStore: this store warns of home)

    LOCK_WAIT = 10.0
    MAX_FILE = 16 << 20   # 16 MiB: a sessions file larger than this is refused, never read whole
    STALE_TEMP = 60.0             # seconds after which a killed writer's temp file is removed
    unsaved = None   # see remember(): False while a conversation defers its save failure
    _checked_modes = False   # HANDLER_HOME was found safe (it is checked once)

    def __init__(self, home=None, warn=None):
        self.home = home or handler_home()
        self.path = os.path.join(self.home, self.NAME + ".json")
        self.sessions, self.cards = {}, {}   # cards: of new agents, saved with their sessions
        self.warn = warn or (lambda message: print(f"warning: {message}", file=sys.stderr))

    # -- reading
    def load(self):
        """Read the file into self.sessions (a missing file is an empty store)."""
        raw = self._read()
        if raw is None:
            with self._locked():
                raw = self._read(quarantine=True)
        self._remember(raw)
        return self

    def _read(self, quarantine=False):
        """The file's JSON object; {} when absent; None when corrupt (moved aside if quarantine).
        What cannot be a sessions file (a FIFO, a device, a directory, a huge file) is refused."""
        import stat
        self._check_modes()
        path = self._file()
        try:   # non-blocking: a FIFO cannot hang every command
            with _Fd(open_own(path, os.O_RDONLY)) as fd:
                mode = stat.S_IFMT(os.fstat(fd).st_mode)
                data = mode == stat.S_IFREG and \
                    open(fd, "rb", closefd=False).read(self.MAX_FILE + 1)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror})"
        else:
            if mode != stat.S_IFREG or len(data) > self.MAX_FILE:
                raise HandlerError(f"{self.NAME} file {path} is " + (
                    f"larger than {self.MAX_FILE >> 20} MiB" if data else {
                        stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO"}.get(mode, "a device")
                    + ", not a regular file"),
                    hint="move it away, or set HANDLER_HOME to another directory")
            try:   # without a BOM (Windows editors write one); an empty file is an empty store
                raw = loads(data.decode("utf-8-sig").strip() or "{}")
                if isinstance(raw, dict):
                    return raw
                problem = "does not hold a JSON object"
            except JSON_ERRORS:
                problem = "is not valid JSON"
        if quarantine:
            self._move_aside(path, problem)
            return {}

    def _file(self):
        """The file to read and replace: NAME.json, or the file it links to when the link and
        that file are this user's own (a dotfiles checkout). Anyone else's link is refused."""
        if not os.path.islink(self.path):
            return self.path
        real = os.path.realpath(self.path)
        try:
            owner = os.stat(real).st_uid
        except FileNotFoundError:   # a dangling link of ours: the first write makes its file
            owner = os.geteuid()
        if os.lstat(self.path).st_uid == owner == os.geteuid():
            return real
        raise HandlerError(f"{self.NAME} file {self.path} is a symbolic link to {real}, and the "
                           "link or its file belongs to another user",
                           hint=f"remove the link: rm {self.path}")

    def _move_aside(self, path, problem):
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for n in range(1000):   # the name is claimed with O_EXCL: nothing there is followed
            kept = f"{path}.corrupt-{stamp}" + (f"-{n}" if n else "")
            try:
                os.close(open_own(kept))
                break
            except FileExistsError:
                pass
        try:
            os.rename(path, kept)
        except OSError as exc:
            os.unlink(kept)
            raise HandlerError(f"{self.NAME} file {path} {problem} and could not be moved aside "
                               f"({exc.strerror})",
                               hint="move it away yourself, or set HANDLER_HOME") from None
        self.warn(f"{self.NAME} file {path} {problem}; kept it as {kept}; starting fresh")

    def _check_modes(self):
        """Refuse a HANDLER_HOME that is not a directory, belongs to another user or can be written
        by others, as ssh refuses a loose ~/.ssh; warn when others can read it or the file."""
        import stat
        if self._checked_modes:
            return
        home = self.home
        try:
            st = os.stat(home)
        except FileNotFoundError:
            return   # made on the first write, then checked
        except OSError as exc:
            problem = f"cannot be used ({exc.strerror})"
        else:
            problem = ("is not a directory" if not stat.S_ISDIR(st.st_mode) else
                       f"belongs to another user (uid {st.st_uid})" if st.st_uid != os.geteuid()
                       else f"can be written by other users (mode {st.st_mode & 0o777:o})"
                       if st.st_mode & 0o022 else None)
        if problem:
            raise HandlerError(f"HANDLER_HOME {home} {problem}", hint=(
                f"fix it with: chmod 700 {home}" if "mode" in problem else
                "set HANDLER_HOME to a directory of your own (Handler makes a missing one)"))
        self._checked_modes = True
        for path, mode in ((home, 0o700), (self.path, 0o600))[self.OWN_FILE:]:
            try:
                st = os.stat(path)
            except OSError:
                continue
            if st.st_mode & 0o077 and (path == home or stat.S_ISREG(st.st_mode)):
                self.warn(f"{path} is open to other users (mode {st.st_mode & 0o777:o}); "
                          f"fix it with: chmod {mode:o} {path}")

    def _remember(self, raw):
        self.sessions = {url: AgentSession.from_entry(url, merge_entries(raw, url, keys))
                         for url, keys in url_groups(raw).items()}
    groups = staticmethod(url_groups)

    # -- writing
    def _locked(self):
        """Take an exclusive advisory lock (flock) on a lock file beside the sessions file, waited
        for a bounded time so that a stuck process cannot hang every cron job behind it. Returns
        its file descriptor, a context manager: closing it releases the lock."""
        import fcntl
        self._ensure_home()
        path = self.path + ".lock"
        fd = _Fd(open_own(path, os.O_RDWR | os.O_CREAT))
        deadline, delay = monotonic() + self.LOCK_WAIT, 0.001
        while monotonic() <= deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                try:   # fixed width: written in place, no block to allocate after the first time
                    os.pwrite(fd, b"%-10d\n" % os.getpid(), 0)
                except OSError:
                    pass
                return fd
            except BlockingIOError:
                sleep(delay)
                delay = min(delay * 2, 0.05)
        with fd:
            try:   # the holder wrote its pid when it took the lock: named if it still runs
                pid = int(os.pread(fd, 16, 0))
                os.kill(pid, 0)
            except PermissionError:
                pass   # it runs, as another user
            except (ValueError, OSError, OverflowError):
                pid = 0
            raise HandlerError(
                f"{self.NAME} file is locked by another "
                f"{f'handler process (pid {pid})' if pid > 0 else 'process'} for more than "
                f"{self.LOCK_WAIT:g} s ({path})",
                hint="wait for it to finish, or end it; the lock goes with its process "
                     "(do not remove the lock file)")

    def _ensure_home(self):
        self._check_modes()
        if not self._checked_modes:   # missing: made, then checked (someone may have been quicker)
            make_dirs(os.path.abspath(self.home))
            self._check_modes()

    def _transaction(self, change=None, urls=None):
        """Lock, re-read the file, apply change(key, entry) to the merged entry of each URL of urls
        (None: every URL in the file), write the file back atomically, unlock; an entry that change
        returns false for is removed. With no change, only check that a write would work (before
        a message is sent): take the lock, and write and remove a temp file a little larger than
        the sessions file. groups(raw): the raw keys of each entry's key in the file."""
        import errno
        try:
            with self._locked():
                raw = change and self._read(quarantine=True)
                if change:
                    groups = self.groups(raw)
                    for key in groups if urls is None else urls:
                        if not change(key, merge_entries(raw, key, groups.get(key, []))):
                            del raw[key]
                self._write(raw)
        except OSError as exc:   # name the cause: each has its own fix
            full = ("the disk is full", "free some space there, or set HANDLER_HOME elsewhere")
            denied = ("permission denied", f"{self.home} and its files must be yours and writable, "
                      "or set HANDLER_HOME elsewhere")
            name = errno.errorcode.get(exc.errno, exc.errno)
            cause, fix = {"ENOSPC": full, "EDQUOT": full, "EACCES": denied, "EPERM": denied,
                          "EROFS": ("the file system is read-only", "set HANDLER_HOME to a "
                                    "directory on a writable file system")}.get(
                name, (exc.strerror or str(exc), "check HANDLER_HOME"))
            raise HandlerError(f"cannot write {self.NAME} file {self.path}: {cause} ({name})",
                               hint=fix) from None
        if raw is not None:
            self._remember(raw)

    def _write(self, raw):
        """Replace the file by raw atomically (temp file, fsync, rename). With raw None, only
        probe that a write would work: a temp file a little larger than the file, then removed."""
        path = self._file()
        folder = os.path.dirname(path)
        self._remove_stale(folder)
        tmp = os.path.join(folder, f".{self.NAME}.{os.urandom(6).hex()}.tmp")
        fd = open_own(tmp)   # 0600 from birth
        try:
            with open(fd, "wb") as f:
                if raw is None:   # the probe: written, then removed
                    os.write(fd, bytes(4096 + (os.path.exists(path) and os.path.getsize(path))))
                    return os.unlink(tmp)
                f.write(json.dumps(raw, indent=2).encode() + b"\n")
                f.flush()
                os.fsync(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        try:
            with _Fd(os.open(folder, os.O_RDONLY)) as dir_fd:
                os.fsync(dir_fd)
        except OSError:
            pass

    def _remove_stale(self, folder):
        """Remove the temp files (credentials inside) of writers killed more than a minute ago:
        only this user's regular files named .NAME.*.tmp."""
        for entry in os.scandir(folder):
            try:
                st = entry.stat(follow_symlinks=False)
                if (entry.name.startswith(f".{self.NAME}.") and entry.name.endswith(".tmp")
                        and entry.is_file(follow_symlinks=False) and st.st_uid == os.geteuid()
                        and time.time() - st.st_mtime > self.STALE_TEMP):
                    os.unlink(entry)
            except OSError:
                pass

    # -- the API
    def get(self, agent_url):
        """The session for a URL (a new, unsaved one when there is none)."""
        key = normalise_url(agent_url)
        return self.sessions.get(key) or AgentSession(key)

    def list_all(self):
        return list(self.sessions.values())

    def update(self, agent_url, *values, **named):
        """Change the given values of one session (AgentSession.update's) and save, leaving every
        other entry as it is."""
        def change(key, entry):
            session = AgentSession.from_entry(key, entry)
            session.update(*values, **{"card": self.cards.pop(key, None), **named})
            return session.write_entry(entry)
        key = normalise_url(agent_url)
        self._transaction(change, [key])
        return self.get(key)

    def set_credentials(self, agent_url, credentials):
        return self.update(agent_url, credentials=credentials)

    def clear_credentials(self, agent_url):
        """Forget an agent's credentials and client certificate; its conversation stays.
        Returns what was removed, e.g. ["credentials"]."""
        key = normalise_url(agent_url)
        return self.forget(key, ("credentials", "client certificate")).get(key, [])

    def clear(self, agent_url=None, keep_credentials=False, before=None):
        """Forget the session of one URL, or of all with None: context, task and credentials, as
        the seed does (keep_credentials: not the credentials); given before (epoch seconds), only
        the sessions last saved before then (`session prune`). Returns {URL: what was removed}."""
        return self.forget(agent_url, ("context", "task") if keep_credentials else CLEARED, before)

    def forget(self, agent_url, what, before=None):
        """Remove what (names of CLEARED) from one URL's session, under every raw key the file has
        for it, or from every session when agent_url is None (with before: of those saved before
        then). An entry left with nothing of CLEARED is removed. Returns {URL: the names of what
        was there and is now gone}."""
        removed = {}

        def change(key, entry):
            if before is not None and _seconds(entry.get("updated_at")) >= before:
                return True   # used since, or not dated: kept (as git gc keeps what it cannot date)
            if "context" in what:   # the cached card goes with the conversation, unnamed
                entry.pop("card", None)
            for name in what:
                there = [f for f in CLEARED[name] if entry.get(f) is not None]
                if there:
                    removed.setdefault(key, []).append(name)
                entry.update(dict.fromkeys(there))
            return any(entry.get(f) is not None for fields in CLEARED.values() for f in fields)
        self._transaction(change, [normalise_url(agent_url)] if agent_url else None)
        return removed



class AgentStore(SessionStore):
    """Named agents, in HANDLER_HOME/agents.json, kept by the sessions file's code (locks, atomic
    writes, 0600, corruption): {name: {"url": the normalised URL, "transport": [bindings],
    "headers": ["Name: Value", as -H takes them]}}. Header values may be secrets: never shown."""
    NAME, OWN_FILE = "agents", 1

    @staticmethod
    def groups(raw):
        return {k: [k] for k in raw if isinstance(raw[k], dict)}

    def _remember(self, raw):   # an entry that is not in the shape above is left out
        self.agents = {k: v for k, v in raw.items()
                       if _typed(v, ("url", str), ("transport", list), ("headers", list))}

    def find(self, name):
        """The agent stored as name; an unknown name is a usage error naming the closest one, or
        else all of them."""
        known = self.load().agents
        if name not in known:
            close = closest(name, known)
            raise usage_error(f"no agent named @{name}; " + (f"did you mean @{close}?" if close else
                              f"known: {', '.join(sorted(known)) or 'none'}"),
                              f"add it: {PROG} agent add {name} URL")
        return known[name]


def closest(word, words):
    """The one of words nearest to word, as git suggests for a mistyped command; None if none is
    near."""
    import difflib
    return next(iter(difflib.get_close_matches(word, words, 1)), None)


class _Fd(int):
    """A file descriptor that `with` closes (one of SessionStore._locked(): the lock goes with
    it)."""
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.close(self)


# ============================================================================ transport

class Response:
    """A whole HTTP response (of urllib's answer `resp`): status, headers (an
    email.message.Message) and body bytes."""

    def __init__(self, resp, body):
        for name in ("url", "status", "reason", "headers"):
            setattr(self, name, getattr(resp, name))
        self.body, self.content_type = body, resp.headers.get_content_type()

    def json(self, what):
        try:
            return loads(self.body.decode("utf-8"))
        except JSON_ERRORS as exc:
            raise bad_response(f"{what} at {self.url} is not JSON ({self.content_type}, "
                               f"HTTP {self.status}): "
                               f"{shown_json(exc, body_snippet(self.body, self.content_type))}"
                               ) from None


def body_snippet(body, content_type):
    """The start of a body on one line, for an error message; of an HTML page, its text."""
    text = body[:4000].decode("utf-8", "replace")
    if content_type == "text/html" or text.lstrip().startswith("<"):
        import re
        text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>|<[^>]*>?", " ", text)
    return " ".join(text.split())[:120]


def is_secret_header(name, secrets=()):
    """Headers whose values --debug never shows: credentials under any of their usual names, and
    the names in `secrets` (in any case: urllib capitalizes them)."""
    name = name.lower()
    return any(word in name for word in SECRET_WORDS) or name in map(str.lower, secrets)


def proxy_auth_error(url):
    return HandlerError(f"the proxy refused to reach {url} without its password (HTTP 407)",
                        EXIT_AUTH,
                        "A2ACLI_ERR_AUTH_FAILED",
                        "put the proxy's user and password in HTTPS_PROXY / HTTP_PROXY: "
                        "http://user:password@proxy:port")


def network_error(exc, url):
    """Name a failure to reach `url` in one line, with the exit code that fits it (None: not a
    network failure). Its `retry` says when trying again is safe: 2 (no byte reached the agent,
    or the connection failed before any byte of an answer came back: a send is then repeated
    as it was, same messageId), 1 (for requests that change nothing), 0 (never: TLS)."""
    from socket import timeout
    from ssl import SSLError, SSLCertVerificationError
    from urllib.error import URLError
    from http.client import BadStatusLine, HTTPException, RemoteDisconnected
    # urllib wraps errors before the request (and produce those before any byte of an answer)
    reason, retry = (exc.reason, 2) if isinstance(exc, URLError) else (exc, 1)
    detail = getattr(reason, "strerror", None) or " ".join(str(reason).split())[:80] or \
        type(reason).__name__
    if isinstance(reason, SSLError):
        retry = 0
        detail = getattr(reason, "verify_message", None) or {   # no reason: an EOF (OpenSSL 1)
            "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the agent requires a client certificate",
            "WRONG_VERSION_NUMBER": "the agent does not speak TLS on this port (http:// instead?)",
            "UNEXPECTED_EOF_WHILE_READING": "the agent closed the connection during the handshake",
        }.get(reason.reason or "UNEXPECTED_EOF_WHILE_READING", reason.reason)
    # (exception types, message, machine code, hint); the first that fits
    for kinds, message, code, hint in (
            ((timeout, TimeoutError), "timed out talking to {url}", "A2ACLI_ERR_TIMEOUT",
             "raise --timeout, or check that the agent is healthy"),
            (SSLCertVerificationError, "TLS certificate of {url} was not accepted: {detail}",
             "A2ACLI_ERR_UNREACHABLE", "check the host name, or give its CA with --ca-file"),
            (SSLError, "TLS connection to {url} failed: {detail}", "A2ACLI_ERR_UNREACHABLE",
             "check the URL's scheme, and --cert/--key if the agent wants a client certificate"),
            (ConnectionRefusedError, "cannot connect to {url}: connection refused",
             "A2ACLI_ERR_UNREACHABLE", "is the agent running? check --url"),
            (RemoteDisconnected, "connection to {url} failed: closed the connection without an "
             "answer", "A2ACLI_ERR_UNREACHABLE", "check that the agent is running and healthy"),
            (BadStatusLine, "the answer from {url} is not HTTP: {detail!r}",
             "InvalidAgentResponseError", "check --url: is an A2A agent listening there?"),
            (HTTPException, "the answer from {url} was cut off or malformed: {detail}",
             "InvalidAgentResponseError", None),
            (ConnectionError, "connection to {url} failed: {detail}", "A2ACLI_ERR_UNREACHABLE",
             "check that the agent is running and healthy"),
            (OSError, "cannot reach {url}: {detail}", "A2ACLI_ERR_UNREACHABLE",
             "check --url and your network or proxy settings")):
        if isinstance(reason, kinds):
            break
    else:
        return
    # 407: urllib's CONNECT to the proxy
    error = proxy_auth_error(url) if kinds is OSError and " 407 " in detail else HandlerError(
        message.format(**locals()), {"A2ACLI_ERR_TIMEOUT": EXIT_TIMEOUT, "A2ACLI_ERR_UNREACHABLE":
                                     EXIT_UNREACHABLE}.get(code, EXIT_FAILURE), code, hint)
    error.retry = retry
    return error


def loggable(body, limit=2000):
    """A body as --debug (and --record, whole: limit None) shows it: tokens, secrets and
    credentials masked (JSON or a form), at most 2,000 characters."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        text = json.dumps(mask_secrets(loads(text)), ensure_ascii=False)
    except JSON_ERRORS:
        if "=" in text and " " not in text.strip():   # a form (OAuth2 token requests)
            from urllib.parse import parse_qsl
            text = "&".join(f"{k}={'[redacted]' if is_secret_key(k) else v}"
                            for k, v in parse_qsl(text))
    return text[:limit]


def parse_size(text):
    """A byte count: 65536, 64K, 64M, 1G."""
    import re
    text = str(text).strip().upper()
    size = re.fullmatch(r"(\d+)([KMG]?)I?B?", text)
    if not (size and int(size[1])):
        raise usage_error(f"not a size: {text!r}", "use bytes, or K, M or G, e.g. 64M")
    return int(size[1]) << 10 * " KMG".index(size[2] or " ")


def decoded(resp, read):
    """The body's pieces as they come, each at most 64 KiB: read(65536) while it is not encoded
    (readline for an event stream, where http.client takes a chunked stream cut short for its
    end), else read1 (what has come, without waiting for more) with its gzip or deflate encoding
    undone on the way, so that a small body cannot expand into a huge one unchecked."""
    from zlib import MAX_WBITS, decompressobj, error as ZlibError
    encoding = resp.headers.get("Content-Encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from iter(lambda: read(65536), b"")
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise bad_response(f"the agent's answer has Content-Encoding {encoding[:40]!r}, which "
                           "Handler does not decode",
                           "Handler asks for gzip or deflate only (Accept-Encoding)")
    # "deflate" may come without its zlib header, as some servers send it
    inflate, bare = decompressobj(32 + MAX_WBITS), encoding == "deflate"
    try:
        for chunk in iter(lambda: inflate.unconsumed_tail or resp.read1(65536), b""):
            try:
                piece = inflate.decompress(chunk, 65536)
            except ZlibError:
                if not bare:
                    raise
                inflate = decompressobj(-MAX_WBITS)
                piece = inflate.decompress(chunk, 65536)
            bare = False
            yield piece
        yield inflate.flush()
    except ZlibError as exc:
        raise bad_response(f"the agent's compressed answer cannot be decoded: {exc}") from None
    if not inflate.eof:
        raise bad_response("the agent's compressed answer was cut off before its end")


def read_body(resp, url, limit):
    """The whole body, never more than `limit` bytes."""
    body = bytearray()
    for piece in decoded(resp, resp.read1):
        body += piece
        if len(body) > limit:
            raise bad_response(f"the answer from {url} is larger than {limit} bytes",
                               "raise --max-response if it should be that large")
    if resp.length:   # http.client: Content-Length bytes still missing
        raise bad_response(f"the answer from {url} was cut off: {resp.length} bytes of its "
                           "Content-Length never came")
    return bytes(body)


def read_sse(pieces):
    """Yield (event type, data) for each Server-Sent Event in a body's pieces. Handles CRLF and
    LF line ends, comment lines and multi-line data. One line, and the data of one event, may
    hold MAX_SSE_LINE bytes."""
    from itertools import chain
    data, event, rest = bytearray(), None, bytearray()
    for piece in chain(pieces, [b"\n\n"]):   # the end also ends a last line and event
        rest += piece   # a line (of a compressed stream, with the lines before it in its piece)
        if len(rest) > MAX_SSE_LINE:
            raise bad_response(f"the agent sent an event stream line over {MAX_SSE_LINE} bytes")
        *lines, rest = rest.split(b"\n") if b"\n" in piece else [rest]
        for line in lines:
            field, colon, value = line.rstrip(b"\r").partition(b":")
            if not (field or colon):   # a blank line: an event ends
                if data:
                    yield event, data[:-1].decode("utf-8", "replace")
                data.clear()
                event = None
            value = value.removeprefix(b" ")
            if field == b"data":
                data += value + b"\n"
                if len(data) > MAX_SSE_LINE:
                    raise bad_response(f"the agent sent an event over {MAX_SSE_LINE} bytes "
                                       "(in many data lines)")
            elif field == b"event":
                event = value.decode("utf-8", "replace")


def _origin(url):
    try:
        return origin_of(url)
    except HandlerError:
        return url


def _is_loopback(url):
    from urllib.parse import urlsplit
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


class Transport:
    """Every HTTP request Handler makes: headers, --debug logging with secrets redacted, TLS
    (verification, --ca-file, client certificates), redirects (GET only, credentials dropped
    off-origin), retries with backoff, size limits, and failures turned into HandlerErrors."""
    _opener = None

    def __init__(self, timeout=DEFAULT_TIMEOUT, log=None, retries=2, max_response=MAX_BODY,
                 ca_file=None, cert=None, key=None, insecure=False, warn=None, record=None):
        self.timeout, self.log, self.retries, self.max_response = (timeout, log, retries,
                                                                   max_response)
        self.ca_file, self.cert, self.key, self.insecure = ca_file, cert, key, insecure
        self.warn = warn or (lambda message: None)
        self.secrets = set()   # header names whose values must never be logged
        self._warned = set()
        self.record = record   # --record FILE: created (or checked) now, before any request
        record and self._record()

    def _shown(self, headers):
        """Headers as --debug and --record show them: credentials redacted."""
        return {k: "[redacted]" if is_secret_header(k, self.secrets) else v
                for k, v in headers.items()}

    def _hide(self, url):
        """url with the values of its query parameters named in secrets (an API key the card
        puts in the query) redacted, as logs, recordings and errors show it."""
        import re
        return re.sub(r"([?&]([^=&#]*)=)[^&#]*",
                      lambda m: m[1] + "[redacted]" if m[2] in self.secrets else m[0], url)

    def _record(self, rec=None, start=0):
        """Append an exchange to the --record file, as one JSON line, with the time it took, in
        one write (O_APPEND: the lines of runs at once never interleave); a new file is born
        0600, and a symbolic link there is refused. No rec: only make sure it can be written."""
        if rec:
            rec["elapsed"] = round(time.monotonic() - start, 3)
        try:
            with open(self.record, "ab", 0, opener=open_own) as file:   # unbuffered: one write
                file.write(rec and json.dumps(rec, ensure_ascii=False).encode() + b"\n" or b"")
        except OSError as exc:
            raise usage_error(f"cannot write the recording {self.record}: {exc.strerror}") \
                from None

    def _warn_once(self, message):
        if message not in self._warned:
            self._warned.add(message)
            self.warn(message)

    def opener(self):
        """urllib's opener (proxies from the environment) with one handler of this transport's
        own for redirects (urllib's follow POSTs and copy every header to any origin), TLS and
        HTTP error statuses."""
        if self._opener is None:
            import urllib.request as ur

            class Handler(ur.HTTPRedirectHandler, ur.HTTPSHandler, ur.HTTPDefaultErrorHandler):
                max_redirections = 5

                def redirect_request(handler, req, fp, code, msg, headers, newurl):
                    if req.get_method() not in ("GET", "HEAD") or not _is_http_url(newurl):
                        return   # the 3xx is then the answer, and says what happened
                    new = super().redirect_request(req, fp, code, msg, headers, newurl)
                    if _origin(newurl) != _origin(req.full_url):   # (new: a Request, for a GET)
                        for k in [k for k in new.headers if is_secret_header(k, self.secrets)]:
                            del new.headers[k]
                    return new

                def https_open(handler, req):   # TLS set up at the first https request only
                    handler._context = handler._context or self.tls()
                    return super().https_open(req)

                def http_error_default(handler, req, fp, *args):   # an HTTP error status is
                    return fp                      # still an answer: it tells what failed
            # a context given, if none yet: Python 3.12+ would build its default one, CA bundle
            # and all, for http:// too (https_open sets it up at the first https request)
            self._opener = ur.build_opener(Handler(context=False))
        return self._opener

    def proxy(self, url):
        """(the proxy that urllib's opener takes for url, its password masked, or None; where it
        came from): getproxies(), unless proxy_bypass() (NO_PROXY), as its ProxyHandler does."""
        import re
        import urllib.request as ur
        request = ur.Request(url)
        proxy = ur.getproxies().get(request.type)
        return (proxy and not ur.proxy_bypass(request.host) and re.sub(
            r"^((?:[^:/]*://)?[^:/@]*):.*@", r"\1:***@", proxy) or None,
                "environment" if proxy else "default")

    def tls(self):
        from ssl import CERT_NONE, create_default_context
        step = f"use --ca-file {self.ca_file}"
        try:
            context = create_default_context(cafile=None if self.insecure else self.ca_file)
            if self.insecure:
                context.check_hostname, context.verify_mode = False, CERT_NONE
            if self.cert:
                key = self.key or self.cert
                step = "read the client " + ("key (--key, $HANDLER_KEY)" if self.key else
                                             "certificate (--cert, $HANDLER_CERT)") + f" {key}"
                mode = os.stat(key).st_mode & 0o777
                if mode & 0o077:
                    raise usage_error(f"the private key {key} is open to other users (mode "
                                      f"{mode:o}); Handler will not use it",
                                      f"fix it with: chmod 600 {key}")
                step = f"load the client certificate {self.cert}"
                context.load_cert_chain(self.cert, self.key)
        except OSError as exc:   # ssl.SSLError too
            raise usage_error(f"cannot {step}: {exc.strerror or exc}") from None
        return context

    def request(self, url, body, headers, method="GET", idempotent=True,
                content_type="application/json"):
        """Send one request and return the whole Response (any status). A request that changes
        nothing (idempotent) is retried on connection failures, 429 and 502/503/504; any
        request is retried when the connection failed before it was sent."""
        # the one answer: its worker has ended, the generator needs no closing
        return next(self.stream(url, body, headers, method, content_type, idempotent))

    def stream(self, url, body, headers, method, content_type="application/json",
               idempotent=None):
        """Send a request (Accept: text/event-stream) and yield a Response when the answer is not
        an event stream, else each (event type, data) of the stream as it arrives; the timeout is
        the longest silence. Retried only when the connection failed before the request was
        sent. With idempotent True or False (request): one Response, the event stream unasked."""
        for name in ("ssl", "hashlib"):   # urllib imports them at once: 6 ms that an http://
            sys.modules.setdefault(name, _Lazy(name))   # agent without digest auth never uses
        from urllib.error import HTTPError, URLError
        from urllib.request import Request
        real, url = url, self._hide(url)
        headers = {"User-Agent": f"handler/{VERSION}", "Accept": "application/json",
                   "Accept-Encoding": "gzip, deflate", **headers}
        if idempotent is None:
            headers["Accept"] = "text/event-stream"
        if body is not None:
            headers["Content-Type"] = content_type
        https = url.lower().startswith("https:")
        if https and self.insecure:   # once a call, and never for http://
            self._warn_once("TLS verification is OFF (--insecure): anyone on the network path "
                            "can read and change this traffic")
        elif not https and (real != url or any(is_secret_header(k, self.secrets)
                                               for k in headers)) and not _is_loopback(url):
            self._warn_once(f"credentials go to {_origin(url)} over plain http: anyone on the "
                            "network path can read them; use https")
        if self.log:
            self.log(f"> {method} {url}")
            for k, v in self._shown(headers).items():
                self.log(f">   {k}: {v}")
            if body is not None:
                self.log(f">   {loggable(body)}")
        request = Request(real, body, headers, method=method)

        def produce(put):
            # --record: this attempt's exchange, one JSON line (what came, if it failed)
            start, rec = time.monotonic(), self.record and {
                "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "method": method, "url": url,
                "request": {"headers": self._shown(headers), "body": body and loggable(body, None)}}
            try:
                try:
                    resp = self.opener().open(request, timeout=self.timeout + 5)
                except HTTPError as exc:   # urllib's refusals to follow a redirect: a
                    exc.close()   # loop or more than 5 (its inf_msg), or one to another scheme
                    raise bad_response(f"{url} redirected more than 5 times (or in a loop)",
                                       "Handler follows at most 5 redirects; check --url") \
                        if "infinite loop" in exc.msg else bad_response(
                            f"{url} redirected to {str(exc.url)[:200]}, which is not an http(s) "
                            "URL: not followed") from None
                except ConnectionError as exc:   # reset or closed before the status line:
                    raise URLError(exc) from None   # wrapped as if before the request
                with resp:
                    resp.url = self._hide(resp.url)   # (Response.url is shown in errors)
                    stream = idempotent is None and resp.status == 200 and \
                        resp.headers.get_content_type() == "text/event-stream"
                    if self.log:
                        self.log(f"< HTTP {resp.status} {resp.reason} "
                                 f"({resp.headers.get('Content-Type', '')})")
                    answer = rec and rec.setdefault("response", {
                        "status": resp.status, "headers": self._shown(resp.headers)})
                    for item in read_sse(decoded(resp, resp.readline)) if stream else [
                            Response(resp, read_body(resp, url, self.max_response))]:
                        if self.log:
                            self.log(f"<   event: {loggable(item[1])}" if stream else
                                     f"<   {loggable(item.body)}")
                        if rec and stream:   # each event with its arrival (s after the request)
                            answer.setdefault("events", []).append({
                                "at": round(time.monotonic() - start, 3), "event": item[0],
                                "data": loggable(item[1], None)})
                        elif rec:   # written before the answer is: the process may then end
                            answer["body"] = loggable(item.body, None)
                            rec = self._record(rec, start)   # None: written
                        put(item)
            finally:
                rec and self._record(rec, start)

        yield from self._run(produce, url, idempotent)

    def _run(self, produce, url, idempotent):
        """The one retry loop of request (idempotent: True or False) and stream (None): each
        attempt runs produce(put) on a daemon worker thread and yields each item it puts, each
        awaited at most the timeout (a request's attempts, all of them), with backoff (or
        Retry-After) between attempts; failures become HandlerErrors.

        The main thread only waits on a queue, in short slices, so Ctrl-C stops it at once.
        Closing the generator tells the worker to stop at its next item."""
        from queue import Empty, Queue
        from threading import Event, Thread
        deadline = monotonic() + self.timeout

        def work(items, stop):
            def put(item):   # items are answers or events, never exceptions
                if stop.is_set():
                    raise GeneratorExit   # (its reader is closed)
                items.put(item)
            try:
                produce(put)
                items.put(stop)   # the end
            except BaseException as exc:   # handed to the main thread, which decides what it means
                items.put(exc)             # (unread once it stopped)

        def pause(retry_after, why):
            """Wait before the next attempt (exponential backoff with jitter, or Retry-After);
            False when there are no attempts left or the wait would pass the deadline."""
            from email.utils import parsedate_to_datetime
            from random import random
            delay = min(8.0, 0.25 * 2 ** attempt) * (0.5 + random() / 2)
            try:   # Retry-After: seconds, or an HTTP date
                delay = max(delay, float(retry_after) if retry_after[:1].isdigit() else
                            parsedate_to_datetime(retry_after).timestamp() - time.time())
            except (TypeError, ValueError):   # none, or neither
                pass
            if attempt >= self.retries or monotonic() + delay >= deadline:
                return False
            if self.log:
                self.log(f"retrying in {delay:.2f} s ({why})")
            sleep(delay)
            return True
        for attempt in range(self.retries + 1):
            items, stop = Queue(), Event()
            Thread(target=work, args=(items, stop), name="handler-io", daemon=True).start()
            # real time (time.monotonic), not the clock seam: fake sleeps do not make it time out
            end = time.monotonic() + (self.timeout if idempotent is None
                                      else max(0.01, deadline - monotonic()))
            try:
                while True:
                    try:
                        item = items.get(timeout=0.2)
                    except Empty:
                        if time.monotonic() < end:
                            continue
                        raise HandlerError(f"waiting for {url}: no answer within "
                                           f"{self.timeout:g} s", EXIT_TIMEOUT,
                                           "A2ACLI_ERR_TIMEOUT",
                                           "raise --timeout, or check the agent")
                    if item is stop:
                        return
                    if isinstance(item, BaseException):
                        raise network_error(item, url) or item
                    if idempotent and item.status in (429, 502, 503, 504) and pause(
                            item.headers.get("Retry-After"), f"HTTP {item.status}"):
                        break
                    attempt = self.retries   # an answer came: nothing is tried again
                    yield item
                    end = time.monotonic() + self.timeout
            except HandlerError as exc:   # retry: 2 for any request, 1 for those of idempotent
                if getattr(exc, "retry", 0) <= (not idempotent) or not pause(None, exc.message):
                    raise
            finally:
                stop.set()


# ============================================================================ A2A client

BINDING_NAMES = {"JSONRPC": "JSON-RPC", "HTTP+JSON": "HTTP+JSON"}   # the bindings Handler speaks
# The keys of a card that Handler reads to talk to the agent, kept with its session; its skills,
# descriptions and the like are shown by `card get`, which always fetches the card.
CARD_KEPT = ("supportedInterfaces", "url", "preferredTransport", "additionalInterfaces",
             "capabilities", "securitySchemes", "supportsAuthenticatedExtendedCard")
CARD_FRESH = 300   # seconds a card is used from the session when its Cache-Control says nothing


def card_lifetime(headers):
    """Seconds a fetched card may be used from the session: its Cache-Control max-age, 0 for
    no-cache (revalidated before each use), None for no-store (never kept), else CARD_FRESH."""
    import re
    value = (headers.get("Cache-Control") or "").lower()
    age = re.search(r"max-age\s*=\s*\"?(\d{1,9})", value)
    return None if "no-store" in value else 0 if "no-cache" in value else int(age[1]) if age \
        else CARD_FRESH


def schemes_for(card, kind):
    """The security schemes of a card (either version's shape) that take a credential of this
    kind: "api_key", else a bearer token (an OAuth2 or OpenID Connect one too), as [(name, its
    fields)], an apiKey scheme's unwrapped (1.x: apiKeySecurityScheme)."""
    import re
    words = "apikey" if kind == "api_key" else "bearer|oauth2|openidconnect"
    return [(name, s.get("apiKeySecurityScheme", s))
            for name, s in _get(card or {}, "securitySchemes").items()
            if isinstance(s, dict) and re.search(words, json.dumps(s).lower())]


def pick_interface(card, card_url, order=None, every=False):
    """Choose the interface to use: (url, binding, protocol version, tenant, why). A 1.x
    interface when the card offers one, else a 0.3 one; among them the first, in the card's
    order or in `order` (the user's --transport bindings), whose binding Handler speaks. A card
    with both halves (0.3 fields beside supportedInterfaces) offers the interfaces of both."""
    from urllib.parse import urljoin
    # (interface, its binding's key, its version): the 1.x half, then the 0.3 one
    entries = [(e, "protocolBinding", str(e.get("protocolVersion") or "1"))
               for e in _get(card, "supportedInterfaces", list) if isinstance(e, dict)] + [
        (e, "transport", "0.3") for e in [
            {"url": card.get("url"), "transport": card.get("preferredTransport") or "JSONRPC"},
            *_get(card, "additionalInterfaces", list)]]
    entries = [(e["url"], str(e.get(key) or "").upper(),
                "1.0" if v.split(".")[0] == "1" else v[:3], e.get("tenant") or None)
               for e, key, v in entries if isinstance(e, dict) and isinstance(e.get("url"), str)]
    wanted = order or list(BINDING_NAMES)
    # 1.x first, then in the card's order (sorted is stable) or in the user's
    found = sorted((e for e in entries if e[1] in wanted and e[2] in ("1.0", "0.3")),
                   key=lambda e: (e[2] != "1.0", wanted.index(e[1]) if order else 0))
    if every:   # (agent check) all of them
        return found
    if found:
        url, binding, version, tenant = found[0]
        return urljoin(card_url, url), binding, version, tenant, (
            f"the first A2A {version} interface Handler speaks, in "
            + ("your --transport order" if order else "the card's order")
            + ("" if version == "1.0" else "; the card offers no 1.x one"))
    offered = sorted({e[1] or "?" for e in entries})
    if offered == ["GRPC"]:
        raise HandlerError("the agent offers only gRPC, which needs HTTP/2: the Python standard "
                           "library does not speak it", EXIT_FAILURE, "A2ACLI_ERR_CARD_INVALID",
                           "ask for a JSON-RPC or HTTP+JSON interface")
    asked = f"; you asked for {', '.join(order)}" if order else ""
    raise HandlerError(
        "the agent card offers no interface that Handler speaks"
        + (f" (it offers: {', '.join(offered)}{asked})" if offered else ""), EXIT_FAILURE,
        "A2ACLI_ERR_CARD_INVALID", "Handler speaks A2A 1.x and 0.3 over JSON-RPC and HTTP+JSON")


def check_token_url(url, what="token endpoint"):
    """OAuth2 endpoints carry secrets: HTTPS, except on this machine."""
    if not _is_http_url(str(url or "")):
        raise usage_error(f"the OAuth2 {what} {url!r} is not an http(s) URL")
    if url[:6].lower() != "https:" and not _is_loopback(url):
        raise usage_error(f"the OAuth2 {what} {url} must use https (plain http only on loopback)")


def form_post(transport, url, form, headers={}, what="token endpoint"):
    """POST an OAuth2 form; the JSON answer (an error answer too: the caller reads its "error")."""
    from urllib.parse import urlencode
    check_token_url(url, what)
    resp = transport.request(url, urlencode(form).encode("ascii"),
                             {"Accept": "application/json", **headers}, "POST",
                             idempotent=False, content_type="application/x-www-form-urlencoded")
    try:
        data = loads(resp.body)
    except JSON_ERRORS:   # (bytes that are not UTF-8 too)
        data = None
    if not isinstance(data, dict) or (resp.status >= 300 and "error" not in data):
        raise HandlerError(f"the OAuth2 {what} {url} answered HTTP {resp.status} without a "
                           "usable JSON body", EXIT_AUTH, "A2ACLI_ERR_AUTH_FAILED")
    return data


def _oauth_failure(url, data, hint, what="token endpoint", wanted="an access_token"):
    said = f"refused: {data['error']}" + (f": {data['error_description']}" if data.get(
        "error_description") else "") if data.get("error") else f"answered without {wanted}"
    return HandlerError(f"the OAuth2 {what} {url} {' '.join(said.split())[:300]}",   # one line
                        EXIT_AUTH, "A2ACLI_ERR_AUTH_FAILED", hint)


def fetch_oauth_token(transport, oauth):
    """A new access token: the refresh_token grant when there is a refresh token (falling back
    to client credentials when that fails and there is a secret), else client credentials.
    Returns the updated oauth dict, with access_token and expires_at."""
    import base64
    from urllib.parse import quote
    oauth, secret = dict(oauth), oauth.get("client_secret")
    grants = ([{"grant_type": "refresh_token", "refresh_token": oauth["refresh_token"]}]
              if oauth.get("refresh_token") else []) + \
        [{"grant_type": "client_credentials"}] * bool(secret)
    if not grants:
        raise HandlerError("the stored OAuth2 token has expired and cannot be renewed", EXIT_AUTH,
                           "A2ACLI_ERR_CREDENTIALS_MISSING",
                           f"sign in again with: {PROG} auth login")
    more, headers = {"scope": " ".join(oauth["scopes"])} if oauth.get("scopes") else {}, {}
    if secret:   # client_secret_basic (RFC 6749, 2.3.1)
        pair = ":".join(quote(oauth.get(k) or "", safe="") for k in ("client_id", "client_secret"))
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    else:
        more["client_id"] = oauth.get("client_id") or ""
    for form in grants:
        data = form_post(transport, oauth.get("token_url"), {**form, **more}, headers)
        took = _took(oauth, data)
        if took:
            return took
        oauth.pop("refresh_token", None)
    raise _oauth_failure(oauth.get("token_url"), data, f"check the client id and secret: {PROG} "
                         "auth set --oauth2-token-url ..." if secret
                         else f"sign in again with: {PROG} auth login")


def _took(oauth, data):
    """oauth updated with a token answer (RFC 6749, 5.1); None for an answer without a token."""
    token = data.get("access_token")
    if not token or not isinstance(token, str):
        return None
    oauth = {**oauth, "access_token": token}
    try:
        oauth["expires_at"] = round(time.time() + float(data["expires_in"]))
    except (KeyError, TypeError, ValueError):
        oauth.pop("expires_at", None)
    if isinstance(data.get("refresh_token"), str):
        oauth["refresh_token"] = data["refresh_token"]
    return oauth


def device_flow(card):
    """(device authorization URL, token URL, scopes) of the card's first OAuth2 scheme with a
    device code flow, or None."""
    for scheme in _get(card, "securitySchemes").values():
        if isinstance(scheme, dict):
            flow = _get(_get(_get(scheme, "oauth2SecurityScheme") or scheme, "flows"), "deviceCode")
            if flow.get("deviceAuthorizationUrl") and flow.get("tokenUrl"):
                return flow["deviceAuthorizationUrl"], flow["tokenUrl"], list(_get(flow, "scopes"))
    return None


def device_login(transport, device_url, token_url, client_id, scopes, tell):
    """The OAuth2 device authorization grant (RFC 8628): ask for a code, tell the user where to
    enter it, and poll as the server allows. Returns the oauth dict of the token."""
    data = form_post(transport, device_url, {"client_id": client_id, **(
        {"scope": " ".join(scopes)} if scopes else {})}, what="device authorization endpoint")
    if not all(map(data.get, ("device_code", "user_code", "verification_uri"))):
        raise _oauth_failure(device_url, data, "check --client-id", "device authorization endpoint",
                             "a device_code, user_code and verification_uri")
    tell(f"To sign in, open {data.get('verification_uri_complete') or data['verification_uri']}"
         f" and enter the code {data['user_code']}")
    try:
        interval, deadline = float(data.get("interval", 5)), float(data.get("expires_in", 600))
    except (TypeError, ValueError):
        interval, deadline = 5.0, 600.0
    deadline += monotonic()
    while monotonic() + interval <= deadline:
        sleep(max(interval, 0.05))
        answer = form_post(transport, token_url,
                           {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                            "device_code": data["device_code"], "client_id": client_id})
        oauth = _took({"token_url": token_url, "client_id": client_id, "scopes": scopes}, answer)
        if oauth:
            return oauth
        if answer.get("error") == "slow_down":
            interval += 5
        elif answer.get("error") != "authorization_pending":
            raise _oauth_failure(token_url, answer, f"run {PROG} auth login again")
    raise HandlerError("the sign-in code expired before the sign-in was finished", EXIT_AUTH,
                       "A2ACLI_ERR_AUTH_FAILED", f"run {PROG} auth login again")


class A2AClient:
    """One agent: its card, the interface chosen from it, and one method per A2A operation.

    Returns normalised (1.x-shaped) objects. It never prints (warnings go to `warn`) and never
    touches the session store."""
    # card_from: "cache", "revalidated" or "fetched"; last: the last answer
    card = card_url = endpoint = binding = version = tenant = card_from = last = None
    # twice: inline file bytes base64-encoded twice over 0.3 HTTP+JSON (see connect);
    # _renewed: in this call
    twice = _renewed = _fetched = False
    _next_id = 0
    sent_version = {"A2A-Version": "1.0"}   # on each 1.x request (agent check sends none)

    def __init__(self, url, transport, headers=None, credentials=None, warn=None,
                 on_credentials=None, bindings=None, cache=None, on_card=None):
        self.url = url.strip()
        self.bindings = bindings   # the user's order of bindings (--transport), or None
        self.origin = origin_of(self.url)
        self.transport, self.credentials, self.cache = transport, credentials, cache
        self.given = dict(headers or {})
        # the A2A-Version the card is asked for: part of its cache key (it may change the card)
        self.asked = next((v for k, v in self.given.items() if k.lower() == "a2a-version"), "1.0")
        # on_credentials saves renewed tokens, on_card the card's cache entry
        self.warn, self.on_credentials, self.on_card = (
            f or (lambda value: None) for f in (warn, on_credentials, on_card))
        self._reset()

    def _reset(self, same=True):
        """The headers and credentials to send: as given, or to another origin than --url's (where
        the card sends requests) without the secret ones; an API key where the card's first apiKey
        scheme puts it (A2ACLI_AUTH_001), in a header until the card is known."""
        self._same_origin, creds = same, same and self.credentials
        self._auth, self._query = creds.headers(next((
            f for _, f in schemes_for(self.card, "api_key")), {})) if creds else ({}, {})
        self.transport.secrets.update(self._auth, self._query)
        self.headers = {k: v for k, v in self.given.items()
                        if same or not is_secret_header(k, self.transport.secrets)}

    def _log(self, line):
        if self.transport.log:
            self.transport.log(line)

    # -- credentials
    def _auth_headers(self):
        """The credential headers, with an OAuth2 token fetched or renewed when it is missing or
        about to expire (one this client fetched itself: expired, so that tokens living under a
        minute are not fetched anew for every request)."""
        creds = self._oauth2()
        if creds:
            expires = (creds.oauth or {}).get("expires_at")
            if not creds.value or isinstance(expires, (int, float)) and \
                    expires < time.time() + 60 * (not self._fetched):
                self.renew_token()
        return self._auth

    def _oauth2(self):
        """The credentials when they are an OAuth2 token this client renews (for its origin)."""
        creds = self.credentials
        return self._same_origin and creds and creds.auth_type == "oauth2" and creds

    def renew_token(self):
        oauth = fetch_oauth_token(self.transport, self.credentials.oauth or {})
        creds = self.credentials = AuthCredentials("oauth2", oauth.pop("access_token"), None, oauth)
        self._auth, self._renewed, self._fetched = creds.headers()[0], True, True
        self.on_credentials(creds)

    def _may_renew(self, resp):
        """True (after renewing the token) when a 401 deserves one retry with a fresh token."""
        self.last = resp
        if resp.status == 401 and not self._renewed and self._oauth2():
            self.renew_token()
            return True

    # -- the card and the interface
    def card_response(self, headers={}):
        """The HTTP response that holds the card (any body), after the well-known fallbacks. It asks
        with A2A-Version: 1.0 (spec 3.6.1: on every request; 0.3 servers ignore it), which a server
        speaking both may answer with its 1.x card; the user's -H A2A-Version wins, as in curl.
        With headers (If-None-Match), a 304 is an answer too. It goes without credentials (the
        public card is public, A2ACLI_AUTH_008); an agent that refuses it that way (401 or 403)
        is asked again with them: some serve their card only to clients that authenticate. Then,
        one retry with a new OAuth2 token on 401."""
        from urllib.parse import urlsplit, urlunsplit
        parts = urlsplit(self.url)   # a query stays last: /a?k=1 -> /a/.well-known/...?k=1
        urls = [self.url] if parts.path.endswith(".json") else [urlunsplit(
            parts._replace(path=parts.path.rstrip("/") + path, fragment="")) for path in CARD_PATHS]
        for card_url in urls:
            resp = None
            for auth in (False, True):
                while resp is None or auth and self._may_renew(resp):
                    resp = self.transport.request(card_url, None, {
                        "A2A-Version": "1.0", **self.headers, **headers,
                        **(auth and self._auth_headers() or {})})
                if auth or resp.status not in (401, 403) or not self._auth:
                    break
                resp = None
            if resp.status == 404 and card_url != urls[-1]:
                continue
            if resp.status != 304 or not headers:
                self._check_status(resp, "agent card", card=True)
            return resp

    def fetch_card(self, cache=None):
        """Fetch the card, or with a cache entry (for the A2A-Version asked) revalidate it
        (If-None-Match: its ETag; a 304 keeps it), and hand on_card the new entry ({} when
        Cache-Control says no-store): the keys of the card that Handler reads (CARD_KEPT), its
        URL, ETag, A2A-Version asked, and the time until which it is fresh (card_lifetime)."""
        etag = cache and cache["etag"]
        resp = self.card_response({"If-None-Match": etag} if etag else {})
        same = resp.status == 304
        self.card_from = "revalidated (304 Not Modified)" if same else "fetched"
        try:
            card = cache["card"] if same else resp.json("agent card")
        except HandlerError as exc:
            raise HandlerError(exc.message, EXIT_UNREACHABLE, "A2ACLI_ERR_CARD_NOT_FOUND",
                               "check that --url is the agent's base URL") from None
        if not isinstance(card, dict):
            raise HandlerError(f"agent card at {resp.url} is not a JSON object", EXIT_FAILURE,
                               "A2ACLI_ERR_CARD_INVALID")
        self.card, self.card_url, life = card, resp.url, card_lifetime(resp.headers)
        self._log(f"agent card: {self.card_from}; " + (
            "not kept (Cache-Control: no-store)" if life is None else f"kept for {life} s"))
        self.on_card(life is not None and {
            "card": {k: card[k] for k in CARD_KEPT if k in card}, "url": resp.url,
            "etag": resp.headers.get("ETag") or same and etag or None,
            "until": time.time() + life, "asked": self.asked})
        return card

    def connect(self):
        """Choose the endpoint, version and credentials to use from the card: the session's
        cached card while it is fresh (no request), else the card fetched or revalidated."""
        if self.endpoint:
            return self
        cache = self.cache if (self.cache or {}).get("asked") == self.asked else {}
        left = cache.get("until", 0) - time.time()
        if self.card is None and left > 0:
            self.card, self.card_url, self.card_from = cache["card"], cache["url"], "cache"
            self._log(f"agent card: from the session cache (fresh for {left:.0f} s more; card get "
                      "fetches it)")
        elif self.card is None:
            self.fetch_card(cache)
        self.endpoint, self.binding, self.version, self.tenant, why = \
            pick_interface(self.card, self.card_url, self.bindings)
        rest03 = self.binding == "HTTP+JSON" and not self.v1
        # 0.3 servers disagree on inline bytes over HTTP+JSON: a2a-python 0.3 (whose card lists no
        # supportedInterfaces) base64-encodes them twice, a2a-js (a 1.x SDK, whose card does) once
        self.twice = rest03 and "supportedInterfaces" not in self.card
        self._log(f"using {BINDING_NAMES[self.binding]}, A2A {self.version}, at {self.endpoint}: "
                  + why)
        if rest03:
            self._log("inline file bytes over 0.3 HTTP+JSON: base64-encoded " + (
                "twice, as a2a-python 0.3 does (a 0.3 card)" if self.twice else
                "once, the proto JSON mapping (a 1.x SDK's card)"))
        try:
            endpoint_origin = origin_of(self.endpoint)
        except HandlerError:   # the card's fault, not a usage error
            raise HandlerError(f"the agent card's interface URL {self.endpoint[:200]!r} is not an "
                               "http(s) URL", EXIT_FAILURE, "A2ACLI_ERR_CARD_INVALID") from None
        self._reset(endpoint_origin == self.origin)
        if not self._same_origin and (self.credentials or self.headers != self.given):
            self.warn(f"the agent card sends requests to {endpoint_origin}, not {self.origin}; "
                      "your credentials are not sent there")
        return self

    def _card_changed(self, error):
        """After a failed call: True, with the card fetched again and the interface chosen anew,
        when the card came from the session cache unchecked and the failure is one a changed card
        explains: HTTP 404 or 405 (not an A2A error), MethodNotFound, VersionNotSupported, or a 401
        whose WWW-Authenticate names a scheme the card does not declare. Each is a refusal: the
        request was not processed, so sending it again is safe, even a message. False when the
        card turns out unchanged (304)."""
        import re
        resp, self.last = self.last, None
        if resp is None or self.card_from != "cache":
            return False
        known = json.dumps(self.card.get("securitySchemes") or {}).lower()
        known += " bearer" * ("oauth2" in known or "openidconnect" in known)   # their tokens
        named = re.findall(r"(?:^|,)\s*([\w.-]+)(?=\s|,|$)",
                           (resp.headers.get("WWW-Authenticate") or "").lower())   # its schemes
        if not (error.a2a_code in (-32601, -32009) or resp.status in (404, 405)
                and not error.a2a_code
                or resp.status == 401 and not {*named} <= {*re.findall(r"[\w.-]+", known)}):
            return False
        self._log(f"the call failed as a changed card would explain ({error.message[:80]}): "
                  "fetching the agent card again")
        self.card = self.endpoint = None
        self.fetch_card(self.cache)
        return self.connect().card_from == "fetched"

    @property
    def v1(self):
        return self.version != "0.3"

    @property
    def streaming(self):
        return bool(_get(self.card, "capabilities").get("streaming"))

    # -- one exchange, over either binding
    def _check_status(self, resp, what, card=False):
        """Raise the HandlerError that a failed HTTP answer means, with the HTTP status as its
        .status (so that a retry can judge it); nothing for a 2xx answer."""
        code, body = resp.status, resp.body
        if 200 <= code < 300:
            return
        status, at, rest = f"HTTP {code} {resp.reason or ''}".strip(), f"{what} at {resp.url}", \
            self.binding == "HTTP+JSON"
        json_body = resp.content_type in ("application/json", "application/a2a+json")
        payload = None
        if not card and json_body:
            try:
                payload = loads(body)
            except JSON_ERRORS:
                pass
        if code in (401, 403):
            rejected = self._auth or self._query or any(is_secret_header(k) for k in self.headers)
            error = HandlerError(f"{at}: {status}: the agent " + (
                "rejected the credentials" if rejected else "requires authentication"), EXIT_AUTH,
                "A2ACLI_ERR_AUTH_FAILED" if rejected else "A2ACLI_ERR_CREDENTIALS_MISSING",
                "a new OAuth2 token was refused too: check the scopes the agent needs (--scope)"
                if self._renewed and self._auth else
                f"store credentials with: handler.py auth set --url {self.url} --bearer-token -")
        elif code == 407:
            error = proxy_auth_error(resp.url)
        elif code == 429:   # after the retries a read gets (a send is never retried on 429)
            wait = (resp.headers.get("Retry-After") or "").strip()[:40]
            error = HandlerError(f"{at}: the agent is rate limiting ({status}" + (
                f", Retry-After: {wait}" if wait else "") + ")", EXIT_UNREACHABLE,
                "A2ACLI_ERR_UNREACHABLE", "wait a while and try again")
        elif 300 <= code < 400:   # a redirect Handler did not follow
            where = (resp.headers.get("Location") or "").strip()[:200]
            error = HandlerError(f"{at} was redirected ({status}) " + (
                f"to {where}" if where else "without a Location") + ", not followed", EXIT_FAILURE,
                "A2ACLI_ERR_INTERNAL" if card else "InvalidAgentResponseError",
                "Handler follows redirects of GET requests only, to http(s) URLs; use the agent's "
                "real URL")
        elif code == 404 and card:
            error = HandlerError(f"no agent card at {resp.url} ({status})", EXIT_UNREACHABLE,
                                 "A2ACLI_ERR_CARD_NOT_FOUND",
                                 "check that --url is the agent's base URL")
        elif code in (404, 502, 503, 504) and not (code == 404 and rest and json_body and (
                b'"reason"' in body or "/tasks/" in resp.url and b'"detail"' not in body)):
            # (not a 404 with an A2A error: 1.x names it; 0.3's TaskNotFoundError: only the status)
            error = HandlerError(f"{at} is unavailable ({status})", EXIT_UNREACHABLE,
                                 "A2ACLI_ERR_UNREACHABLE",
                                 "check that the agent is running, and --url")
        elif isinstance(payload, dict) and (rest or isinstance(payload.get("error"), dict)):
            error = rest_error(code, payload, what) if rest else a2a_error(payload["error"])
        else:
            snippet = body_snippet(body, resp.content_type)
            error = HandlerError(
                f"{at} failed: {status}" + (f": {snippet}" if snippet else ""), EXIT_FAILURE,
                "A2ACLI_ERR_INTERNAL" if card else "InvalidAgentResponseError",
                None if card or self.binding != "JSONRPC" else "the agent does not answer A2A "
                f"JSON-RPC at the URL its card names; see its interfaces: {PROG} card get --url "
                f"{self.url}")
        error.status = code
        raise error

    def _encode(self, op, params):
        """The binding codec: (URL, verb, body, headers, what, decode) of one operation, as a
        JSON-RPC envelope or an HTTP+JSON path and body, from OPS; decode(payload, event type)
        turns an answer into the operation's result (raw, in the shape the normalisers read)."""
        from urllib.parse import quote, urlencode
        v1m, v03m, verbs, path, path03 = OPS[op][:5]
        v1, files_url = self.v1, self._rpc_for_files(op, params)
        tenant = v1 and self.tenant   # (0.3 has none)
        headers = {**self.headers, **self.sent_version} if v1 else self.headers
        if self.binding == "JSONRPC" or files_url:
            self._next_id += 1
            rid, method = self._next_id, v1m if v1 else v03m

            def unwrap(payload, kind=None):
                if not isinstance(payload, dict) or payload.get("jsonrpc") != "2.0":
                    raise bad_response(f"the agent's answer to {method} is not a JSON-RPC 2.0 "
                                       "response")
                if payload.get("error") is not None:
                    raise a2a_error(payload["error"], method)
                if "result" not in payload and op != "push_delete":   # the 0.3 SDK drops a null
                    raise bad_response(f"the agent's answer to {method} has neither result nor "
                                       "error")
                if payload.get("id") != rid:
                    raise bad_response(f"the agent answered {method} with the id of another "
                                       f"request ({payload.get('id')!r} instead of {rid!r})")
                return payload.get("result")
            return files_url or self.endpoint, "POST", {
                "jsonrpc": "2.0", "id": rid, "method": method,
                "params": (dict(params, tenant=tenant) if tenant else params) if v1
                else params_to_v03(op, params)}, headers, method, unwrap
        rest, template = dict(params), path if v1 else path03
        url = self.endpoint.rstrip("/") + (f"/{quote(tenant, safe='')}" if tenant else "") \
            + template.format(**{k: quote(str(rest.pop(k, "") or ""), safe="")
                                 for k in ("id", "taskId") if f"{{{k}}}" in template})
        verb = verbs.split()[0]
        query = "" if verb == "POST" else urlencode({   # (call() left out the None values)
            k: str(v).lower() if isinstance(v, bool) else v for k, v in rest.items()})

        def decode(payload, kind=None):
            if kind == "error" or isinstance(payload, dict) and isinstance(payload.get("error"),
                                                                          dict):
                raise rest_error(200, payload, v1m)
            return payload if v1 else from_proto03(payload, self.twice)   # (DELETE: None)
        body = None if verb != "POST" else to_proto03(op, params, self.twice) \
            if not v1 and op in ("send", "stream", "push_set") else rest
        return url + (f"?{query}" if query else ""), verb, body, headers, v1m, decode

    def call(self, op, params, stream=False):
        """One operation over the chosen binding: its raw result or, streaming, an iterator of its
        normalised events as they arrive (parameters set to None are left out). Made once more when
        the card came from the session and the failure, before any event, says that it changed
        (_card_changed)."""
        items = self._retried(op, {k: v for k, v in params.items() if v is not None}, stream)
        return items if stream else next(items)

    def _retried(self, op, params, stream):
        started = False
        try:
            for item in self._exchange(op, params, stream):
                started = True
                yield item
        except HandlerError as exc:
            if started or not self._card_changed(exc):
                raise
            yield from self._exchange(op, params, stream)

    def _exchange(self, op, params, stream):
        """Yield the result (or each event) of one operation: one request through the codec, with
        one retry after a 401 with a new OAuth2 token (and one after an a2a-js 0.3 push config
        refusal, with the bare config)."""
        self._renewed = False   # one new token per call, however long the client lives (chat)
        self.connect()
        url, verb, body, headers, what, decode = self._encode(op, params)
        if self._query:   # an API key in the query: to the interface only
            from urllib.parse import urlencode
            url += "&?"["?" not in url] + urlencode(self._query)
        self._auth_headers()   # (self._auth, renewed if need be)
        while True:
            sent = url, None if body is None else json.dumps(body).encode(), {**headers,
                                                                             **self._auth}
            # the events of a stream, or one Response
            for item in self.transport.stream(*sent, verb) if stream else [
                    self.transport.request(*sent, verb, idempotent=OPS[op][5])]:
                if isinstance(item, Response):
                    break
                try:
                    payload = loads(item[1])
                except JSON_ERRORS as exc:
                    raise bad_response(f"the agent sent a stream event that is not JSON: "
                                       f"{shown_json(exc, item[1][:120])}") from None
                yield normalise_event(decode(payload, item[0]))
            else:
                return
            if self._may_renew(item):   # (a new self._auth)
                continue
            if item.status == 400 and "parent" in (body or ()) \
                    and b"missing pushNotificationConfig" in item.body:
                # a2a-js reads the bare config, as the 0.3 proto's `body: "config"` says (the
                # spec's text and a2a-python: {"parent", "config"}); it names the content missing
                self._log("the agent wants the bare push config (the 0.3 proto's body: config): "
                          "sending it so")
                body = body["config"]
            else:
                self._check_status(item, what)
                result = decode(None if verb == "DELETE" else item.json(f"answer to {what}"))
                yield normalise_event(result) if stream else result
                return

    def _rpc_for_files(self, op, params):
        """The card's 0.3 JSON-RPC URL for a message with inline file bytes to a 0.3 agent used over
        HTTP+JSON (on the same origin, and if --transport allows it): the 0.3 SDKs agree on them
        over JSON-RPC only. None otherwise."""
        if self.v1 or self.binding != "HTTP+JSON" or op not in ("send", "stream") \
                or not any("raw" in p for p in params["message"]["parts"]) \
                or "JSONRPC" not in (self.bindings or ["JSONRPC"]):
            return None
        try:
            url, _, version, *_ = pick_interface(self.card, self.card_url, ["JSONRPC"])
            if version != "0.3" or origin_of(url) != origin_of(self.endpoint):
                return None
        except HandlerError:
            return None
        self._log(f"inline file bytes: using the card's A2A 0.3 JSON-RPC interface at {url}, "
                  "where every 0.3 SDK reads them the same way")
        return url

    # -- what the card offers
    def require(self, op):
        """Refuse, in one clear line, an operation that the card says will fail (OPS names the
        capability each needs)."""
        self.connect()
        v1m, v03m, *_, cap = OPS[op]
        if not (self.v1 or v03m):
            raise HandlerError(f"the agent speaks A2A 0.3, which has no {v1m}", EXIT_FAILURE,
                               "UnsupportedOperationError", "use task get with a task id")
        if cap and not (self.streaming if cap == "streaming" else
                        _get(self.card, "capabilities").get(cap) is True
                        or cap == "extendedAgentCard"   # (or as a 0.3 card says it)
                        and self.card.get("supportsAuthenticatedExtendedCard") is True):
            raise HandlerError(*{
                "streaming": ("the agent does not stream (its card does not set "
                              "capabilities.streaming)", EXIT_FAILURE, "UnsupportedOperationError",
                              "use task get --wait"),
                "pushNotifications": ("the agent does not support push notifications (its card "
                                      "does not set capabilities.pushNotifications)", EXIT_FAILURE,
                                      "PushNotificationNotSupportedError"),
                "extendedAgentCard": ("the agent offers no extended card", EXIT_FAILURE,
                                      "UnsupportedOperationError")}[cap])
        return self

    # -- operations
    def send_message(self, message, return_immediately=False, push=None):
        """SendMessage: returns {"task": …} or {"message": …}. push: {url, token?} to
        register."""
        config = {"returnImmediately": True} if return_immediately else {}
        if push:
            config["taskPushNotificationConfig"] = self.require("push_set") and push
        result = normalise_event(self.call("send", {"message": message, "configuration": config}))
        if "task" not in result and "message" not in result:
            raise bad_response("the agent answered SendMessage with a stream event, not a task or "
                               "message")
        return result

    def stream_message(self, message, push=None):
        return self.call("stream", {"message": message, **(
            {"configuration": {"taskPushNotificationConfig": self.require("push_set") and push}}
            if push else {})}, True)

    def resubscribe(self, task_id):
        return self.require("resubscribe").call("resubscribe", {"id": task_id}, True)

    def list_tasks(self, **params):
        """ListTasks: {"tasks": [...], "nextPageToken": "..."} (1.x agents only)."""
        result = self.require("list").call("list", params)
        tasks = result.get("tasks", []) if isinstance(result, dict) else None
        if not isinstance(tasks, list):
            raise bad_response("the agent's answer to ListTasks has no list of tasks")
        result["tasks"] = [normalise_task(t) for t in tasks]
        return result

    def push_config(self, op, task_id, **params):
        """Create, get, list or delete push notification configs; configs in the 1.x shape."""
        result = self.require(op).call(op, {"taskId": task_id, **params})
        if op == "push_list":
            # (1.x omits an empty list)
            result = result.get("configs", []) if isinstance(result, dict) else result
            if not isinstance(result, list):
                raise bad_response("the agent's answer to the push config list is not a list")
            return [normalise_push_config(c) for c in result]
        return None if op == "push_delete" else normalise_push_config(result)

    def extended_card(self):
        """GetExtendedAgentCard. A credential goes only through a scheme that the public card
        declares (A2ACLI_CARD_GET_003): one of another kind is refused, unsent. A card that
        declares no scheme gets what was given (lenient: many agents declare none)."""
        self.require("extended_card")
        creds, schemes = self._same_origin and self.credentials, _get(self.card, "securitySchemes")
        if creds and schemes and not schemes_for(self.card, creds.auth_type):
            raise HandlerError(f"the agent card declares no security scheme for your "
                               f"{creds.auth_type.replace('_', ' ')} credential, so it was not "
                               f"sent (the card declares: {', '.join(schemes)})", EXIT_AUTH,
                               "A2ACLI_ERR_CREDENTIALS_MISSING")
        card = self.call("extended_card", {})
        if not isinstance(card, dict):
            raise bad_response("the agent's extended card is not a JSON object")
        return card

    def get_task(self, task_id, history_length=None):
        return normalise_task(self.call("get", {"id": task_id, "historyLength": history_length}))

    def cancel_task(self, task_id):
        return normalise_task(self.call("cancel", {"id": task_id}))


# ============================================================================ output

def visible(text):
    """text with its control characters other than newline and tab in caret notation, as `cat -v`
    shows them (ESC ^[, CR ^M, DEL ^?, U+009B M-^[), and a lone surrogate as "?": what an agent
    or a webhook sender wrote can neither drive the terminal nor fail to encode."""
    import re   # (a surrogate range in the pattern would cost 250 KiB to compile)
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", _caret, text)
    return text.encode("utf-8", "replace").decode()


def _caret(match):
    c = ord(match.group())
    return ("M-^" if c > 0x7f else "^") + chr(c & 0x7f ^ 0x40)


def parts_text(parts):
    """The parts of one message or artifact as text: consecutive text parts run together
    (streamed chunks), any other part on a line of its own."""
    pieces, last_text = [], False
    for part in parts or []:
        if "text" in part and last_text:
            pieces[-1] += part_text(part)
        else:
            pieces.append(part_text(part))
        last_text = "text" in part
    return "\n".join(pieces)


def stream_text(parts, text=""):
    """text, then parts as a stream shows them: text parts run on, any other part on a line of
    its own."""
    for part in parts:
        text += part_text(part) if "text" in part else \
            ("\n" if text[-1:] not in ("", "\n") else "") + part_text(part) + "\n"
    return text


def status_message(task):
    """The agent's message in a task's status. A task that waits for input without one: the
    agent's last message in its history (some agents can only put the question there)."""
    said = [task.get("status", {}).get("message")]
    if task_state(task) in INTERRUPTED_STATES:
        said += reversed(task.get("history") or [])
    return next((m for m in said if isinstance(m, dict) and m.get("role") != "ROLE_USER"
                 and m.get("parts")), None)


def reply_text(task):
    """What the agent said in a task (its artifacts, then its status message), or in a message
    or an artifact (its parts)."""
    said = [a.get("parts") for a in task.get("artifacts") or []]
    said.append((status_message(task) or task).get("parts"))
    return "\n".join(filter(None, map(parts_text, said)))


def _is_tty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def masked(creds):
    """creds as auth show and config show show them: the kind, the secret masked (None: none)."""
    return creds and _Options(auth_type=creds.auth_type, header_name=creds.header_name,
                              value=mask_secret(creds.value) if creds.value else None, **{
                                  k: creds.oauth.get(k) for k in ("token_url", "client_id",
                                                                  "scopes", "expires_at")
                                  if creds.oauth})


def masked_text(row):
    """What masked() gives, in words ("" for a row without credentials)."""
    return {"bearer": "bearer token {value}",
            "api_key": "API key in header {header_name} {value}",
            "oauth2": "OAuth2 (client {client_id} at {token_url}), token {value}{end}"}.get(
        row.auth_type, "").format_map(_Options(
            row, value=row.value or "not fetched yet", header_name=row.header_name or "X-API-Key",
            end=row.expires_at and time.strftime(" (expires %Y-%m-%d %H:%M:%S UTC)",
                                                 time.gmtime(row.expires_at)) or ""))


class Output:
    """Every line Handler prints. Results go to stdout as text, one JSON document, or JSON Lines
    (streams), or (-o reply) only what the agent said; warnings, notes, progress and errors go to
    stderr."""

    def __init__(self, fmt="text", quiet=False, stdout=None, stderr=None):
        self.json, self.quiet = fmt == "json", quiet
        self.out, self.err = stdout or sys.stdout, stderr or sys.stderr
        # where Handler's own lines about a reply go (ids, state): -o reply keeps stdout for the
        # agent's words and sends them to stderr, or (with -q) nowhere
        self.aside = self.out if fmt != "reply" else not quiet and self.err
        self.fancy = _is_tty(self.err) and "NO_COLOR" not in os.environ
        self._lock = _thread.allocate_lock()   # not threading: --help and session list need none
        self._reset()

    def _reset(self):
        self._artifact = self._answers = self._held = None
        self._midline = False
        self._texts, self._shown = {}, set()   # what a stream has shown: artifacts, message ids

    def _json(self, obj, indent):
        """obj as JSON that a terminal shows as is: DEL and C1 controls escaped too, and all but
        ASCII when stdout cannot encode a character (or it is a lone surrogate)."""
        import re
        text = json.dumps(obj, ensure_ascii=False, indent=indent)
        try:
            text.encode(getattr(self.out, "encoding", None) or "utf-8")
        except UnicodeEncodeError:
            text = json.dumps(obj, indent=indent)
        return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", text)

    def _emit(self, text, stream=None):
        """Every write: flushed, one thread at a time (the push receiver's share stdout)."""
        stream = stream or self.out
        with self._lock:
            stream.write(text)
            stream.flush()

    def json_line(self, obj, indent=None):
        self._emit(self._json(obj, indent) + "\n")

    # -- stderr
    def _stderr(self, label, colour, message):
        if self.fancy:
            label = f"\033[{colour}m{label}\033[0m"
        self._emit(f"{label} {visible(str(message))}\n", self.err)   # before Handler's colours

    def error(self, exc):
        if self.json and not exc.after_reply:   # one line, so that it also ends JSON Lines
            self.json_line(exc.envelope())
        self._stderr("Error:", "1;31", exc.message + (f"; {exc.hint}" if exc.hint else ""))

    def warn(self, message):
        self._stderr("warning:", "33", message)

    def note(self, message):
        if not self.quiet:
            self._stderr("note:", "36", message)

    def debug(self, message):   # the Transport's log, given only with --debug
        self._stderr("debug:", "2", message)

    def busy(self, label):
        """A spinner on stderr while the main thread waits (with out.busy(label): ...), only on
        a terminal."""
        import threading
        self._stop = threading.Event()
        self._spinner = self.fancy and not self.quiet and not self.json and threading.Thread(
            target=self._spin, args=(label,), daemon=True)
        return self

    def __enter__(self):
        if self._spinner:
            self._spinner.start()

    def _spin(self, label, frames="|/-\\"):
        while not self._stop.wait(0.1):
            self._emit(f"\r{frames[0]} {label}", self.err)
            frames = frames[1:] + frames[0]

    def __exit__(self, *exc):
        if self._spinner:
            self._stop.set()
            self._spinner.join()
            self._emit("\r\033[K", self.err)

    # -- stdout
    def line(self, text="", stream=None):
        self._emit(visible(f"{text}\n"), stream)

    def _lines(self, *lines, stream=None):
        """Each line that is not empty; a (name, value) pair as "name: value" unless the value
        is None."""
        for text in lines:
            if isinstance(text, tuple):
                text = text[1] is not None and "%s: %s" % text
            if text:
                self.line(text, stream)

    def _aside(self, *lines):
        """Handler's lines about a reply, as _lines() shows them, where self.aside says."""
        if self.aside:
            self._lines(*lines, stream=self.aside)

    def _text(self, obj, *lines):
        """obj as one JSON document, or else the lines (as _lines() shows them)."""
        if self.json:
            return self.json_line(obj, 2)
        self._lines(*lines)
        return True

    def reply(self, result):
        """The result of message send: a task or a message."""
        body = result.get("task") or result.get("message")
        if self._text(result, reply_text(body)):
            self.task_ids(body)

    def task_ids(self, body):
        """The ids of a task and its state, or of a message."""
        task = "status" in body
        self._aside(("Task ID", body.get("id" if task else "taskId")),
                    ("Context ID", body.get("contextId")),
                    ("State", task_state(body) if task else None))

    def answering(self, task_id):
        """The next stream answers task_id (the message carries its id): the question the user
        answers is not shown again when the stream opens with the task as it stands, still
        waiting (the spec's first event). It is shown at the end if nothing newer came."""
        self._answers = task_id

    def event(self, event):
        """One stream event, as it arrives: a JSON line, or its text written at once."""
        if self.json:
            return self.json_line(event)
        answers, self._answers = self._answers, None
        kind, body = next(iter(event.items()))
        message = body   # (an artifact update has no parts: _message() shows nothing for it)
        if kind == "artifactUpdate":
            self._artifact_text(body["artifact"], body.get("append"))
        elif kind != "message":
            # A task snapshot (the first event of a stream, or a last event that repeats the
            # task) replaces its artifacts: only what they add to what was shown is shown.
            self._artifact = None
            for artifact in body.get("artifacts") or []:
                self._artifact_text(artifact, False)
            message = status_message(body)
            if answers and answers == body.get("taskId", body.get("id")) \
                    and task_state(body) in INTERRUPTED_STATES:
                self._held, message = message, None
        self._message(message)   # (it ends its line: what comes next starts on a new one)

    def _artifact_text(self, artifact, append):
        """An artifact's new content. What extends the text shown is written on; a replacement
        that does not starts on a line of its own: [artifact NAME replaced], then all of it."""
        aid = artifact.get("artifactId")
        old = self._texts.get(aid, "")
        self._texts[aid] = new = stream_text(artifact["parts"], old if append else "")
        if not new.startswith(old):
            self._newline()
            self._aside(f"[artifact {artifact.get('name') or aid} replaced]".replace("\n", "^J"))
            old = ""
        added = new[len(old):]
        if added:
            if aid != self._artifact:
                self._newline()
            self._write(added)
            self._artifact = aid   # its next chunk continues the line

    def _message(self, message):
        if not message or message.get("role") == "ROLE_USER" \
                or not message.get("parts") or message.get("messageId") in self._shown - {None}:
            return
        self._shown.add(message.get("messageId"))
        self._held = None
        self._newline()
        self._write(stream_text(message["parts"]))
        self._newline()

    def _write(self, text):
        if text:
            self._emit(visible(text))
            self._midline = not text.endswith("\n")

    def _newline(self):
        self._write("\n" * self._midline)

    def stream_end(self, task, message=None, ids=True):
        """The end of a stream: the ids and state (unless ids is false); ready for the next one."""
        if not self.json:
            if task_state(task) in INTERRUPTED_STATES:
                self._message(self._held)
            self._newline()
            if ids:   # (a stream gave a task or a message)
                self.task_ids(task or message)
        self._reset()

    def card(self, card, client):
        skills = [s for s in _get(card, "skills", list) if isinstance(s, dict)]
        self._text(card, *[(k.capitalize(), card.get(k))
                           for k in ("name", "description", "version")],
                   ("Provider", " ".join(str(v) for v in map(
                       _get(card, "provider").get, ("organization", "url")) if v) or None),
                   ("Interface", client.endpoint and f"{BINDING_NAMES[client.binding]}, A2A "
                                 f"{client.version}, {client.endpoint}"),
                   ("Streaming", "yes" if _get(card, "capabilities").get("streaming") else "no"),
                   ("Push notifications",
                    "yes" if _get(card, "capabilities").get("pushNotifications") else "no"),
                   ("Security", ", ".join(_get(card, "securitySchemes")) or None),
                   f"Skills ({len(skills)}):", *[
                       f"  - {skill.get('name') or skill.get('id')}"
                       + (f": {skill['description']}" if skill.get("description") else "")
                       for skill in skills])

    def sessions(self, sessions, agents):
        """The sessions, each with the names of the agents stored for its URL, if any."""
        rows = [s.summary() for s in sessions]
        for row in rows:
            names = [n for n in agents if agents[n]["url"] == row["agent_url"]]
            if names:
                row["names"] = names
        self._text({"count": len(rows), "sessions": rows},
                   f"Saved Sessions ({len(rows)})" if rows else "No saved sessions",
                   *[line for s, row in zip(sessions, rows) for line in (
                       *self._session_lines(s, "\n", "  "),
                       ("  Named", ", ".join("@" + n for n in row.get("names", ())) or None),
                       ("  Last used", s.updated_at))])

    def session(self, session):
        self._text(session.summary(), *self._session_lines(session, "Session for ", "", "none"))

    @staticmethod
    def _session_lines(session, head, indent, none=None):
        """head and the URL, then the session's fields (none: what a missing one shows)."""
        task, creds = session.task_id, session.credentials
        return [head + session.agent_url, (f"{indent}Context ID", session.context_id or none),
                (f"{indent}Task ID", task and task + (
                    f" ({session.task_state})" if session.task_state else "") or none),
                (f"{indent}Credentials", creds.auth_type if creds else none)]

    def credentials(self, sessions, prefix=""):
        """Stored credentials of sessions: the kind, the secret masked, and for OAuth2 where
        tokens come from and when the current one expires."""
        rows, lines = [], []
        for session in sessions:
            cert = session.client_cert
            row = _Options(agent_url=session.agent_url, **masked(session.credentials) or {})
            if cert:
                row["client_cert"] = cert
            rows.append(row)
            said = [masked_text(row), cert and f"client certificate {cert['cert']}"
                    + (f" with key {cert['key']}" if cert.get("key") else "")]
            lines.append((prefix or session.agent_url + ": ") + "; ".join(filter(None, said)))
        self._text({"count": len(rows), "credentials": rows}, *lines or ["No stored credentials"])

    def settings(self, settings):
        """config show: {setting: (value, where it came from)}, credentials as masked() gives."""
        self._text({k: {"value": v, "source": source.split()[0]}
                    for k, (v, source) in settings.items()}, *[
            f"{k:<13} {masked_text(v) if isinstance(v, dict) else 'none' if v is None else v}"
            f"  ({source})" for k, (v, source) in settings.items()])

    def tasks(self, result, more="--page-token {}, or --all"):
        """A ListTasks result: one line per task (id, state, context, last update); `more` says
        how to get the next page."""
        self._text(result, *[f"{task.get('id')}  {task_state(task):<14}  "
                             f"{task.get('contextId') or '-'}  "
                             f"{task.get('status', {}).get('timestamp') or '-'}"
                             for task in result.get("tasks") or []] or ["No tasks"],
                   result.get("nextPageToken")
                   and f"(more: {more.format(result['nextPageToken'])})")

    def push_configs(self, configs, single=False):
        """Push notification configs, tokens and credentials masked."""
        configs = mask_secrets(configs)
        if self._text(configs[0] if single else {"configs": configs},
                      "" if configs else "No push notification configs"):
            for i, config in enumerate(configs):
                if i:
                    self.line()
                auth = config.get("authentication")
                self._lines(("Config ID", config.get("id")), ("Task ID", config.get("taskId")),
                            ("Webhook URL", config.get("url")), ("Token", config.get("token")),
                            ("Authentication", auth and " ".join(filter(None, (
                                str(auth.get("scheme")), auth.get("credentials"))))))

    def notification(self, event):
        """One push notification received by `server push`, as it arrives."""
        if self.json:
            return self.json_line(event)
        kind, body = next(iter(event.items()))
        said = body.get("artifact", body)   # an artifact update's artifact, or a message
        what = f"{kind}: "
        if kind == "artifactUpdate":
            what = f"artifact {said.get('name') or said.get('artifactId')}: "
        elif kind != "message":   # a status update, or a whole task (0.3 agents): its state, and
            said = body if kind == "task" and settled(body) else _get(   # what it said
                body.get("status", {}), "message")
            what = task_state(body) + ": " * bool(reply_text(said))
        self.line(f"{time.strftime('%H:%M:%S')} task "
                  f"{body.get('taskId') or body.get('id') or '-'} {what}{reply_text(said)}"
                  .replace("\n", " "))

    def validation(self, source, version, problems):
        """The verdict of card validate: each problem with its JSON path."""
        self._text({"source": source, "protocolVersion": version, "valid": not problems,
                    "problems": [{"path": p, "message": m} for p, m in problems]},
                   *problems,   # (path, message) pairs: "path: message"
                   f"FAIL: {source} (A2A {version}): {len(problems)} problem"
                   f"{'s' * (len(problems) > 1)}" if problems else
                   f"PASS: {source} (A2A {version}): valid card")

    def done(self, text, obj):
        """A confirmation: text for people, a small object for scripts."""
        self._text(obj, text)


# ============================================================================ conversations
# The service layer under the command line, the MCP server and chat: messages that continue a
# session, and task operations that save what the agent returns. Nothing here prints.

def settled(task):
    """Whether a task has ended or waits for input: no more waiting for it."""
    return task_state(task) in TERMINAL_STATES + INTERRUPTED_STATES


def timed_out(exc, obj, url):
    """A send's timeout, saying whether the agent gave a task id: if it did, the id is saved
    (when the session is) and `task get --wait` picks the task up."""
    if exc.exit_code == EXIT_TIMEOUT:
        task_id = obj and obj.get("id" if "status" in obj else "taskId")
        exc.message += f"; the agent gave {f'task id {task_id}' if task_id else 'no task id'}"
        exc.hint = f"the task goes on: wait for it with: {PROG} task get {task_id} --url {url} " \
            "--wait" if task_id else "it may still act on the message (--async gives a task id)"
    return exc


def compose_message(parts, session, context_id=None, task_id=None, new=False):
    """A user message that continues the session's conversation: its context, and its task
    only when that task waits for input (a finished task takes no more messages). Explicit
    ids win; new=True sends none."""
    message = {"messageId": new_id(), "role": "ROLE_USER", "parts": parts}
    if session and not (new or context_id or task_id):
        context_id = session.context_id
        if session.task_state in INTERRUPTED_STATES:
            task_id = session.task_id
    if context_id:
        message["contextId"] = context_id
    if task_id:
        message["taskId"] = task_id
    return message


def target_task(session, task_id, what="one"):
    """The task a task operation is for: the id given, else the one saved in the session."""
    task_id = task_id or session.task_id
    if not task_id:
        raise usage_error(f"no task id: give {what}, or send a message to {session.agent_url} "
                          "first")
    return task_id


def check_finished(task):
    if not settled(task):
        raise bad_response(f"the stream ended while task {task['id']} was still "
                           f"{task_state(task)}", "the task id is saved; look later with: "
                           f"{PROG} task get {task['id']}")


def show_task(out, task, brief=False):
    """A task as task get (or, brief, as task cancel) shows it: its ids and state (and reply)."""
    if out._text(task, not brief and reply_text(task)):
        out.task_ids(task)


def push_operation(client, op, task_id, config_id=None, config=None):
    """A push notification config operation (set, get, list or delete): the Output method that
    shows its result, and its arguments. Without a config id, get reads the task's only one."""
    if op == "delete":
        client.push_config("push_delete", task_id, id=config_id)
        return Output.done, f"Deleted push notification config {config_id} of task {task_id}", \
            {"deleted": config_id, "taskId": task_id}
    if op == "set" or config_id and op == "get":
        configs = [client.push_config("push_" + op, task_id, id=config_id, **config or {})]
    else:
        configs = client.push_config("push_list", task_id)
        if op == "list":
            return Output.push_configs, configs
        if len(configs) != 1:
            raise usage_error(f"task {task_id} has {len(configs)} push notification configs; "
                              "name one with --config-id")
    return Output.push_configs, configs, True


class Conversation:
    """One agent's conversation, as the command line, the MCP server and chat all hold it: the
    client, the session store (None: nothing is saved), the agent's URL and the wait limit.
    Sending, waiting, streaming and canceling save the ids and states the agent returns."""

    def __init__(self, client, store, url, timeout=DEFAULT_TIMEOUT, new=False):
        # task: the task of the reply under way, as far as it is known
        vars(self).update(client=client, store=store, url=url, timeout=timeout, new=new, task=None)

    def check_saving(self):
        """Before a message is sent: refuse it unless its session can be saved (so that a rerun
        is safe), and from here on let remember() keep a failed save for saved()."""
        if self.store:
            try:
                self.store._transaction()   # the lock, and a write beside the file
            except HandlerError as exc:   # (the store's failures all exit 1)
                exc.message = f"message not sent, as its session could not be saved: {exc.message}"
                raise exc from None
            self.store.unsaved = False

    def saved(self):
        """Once the reply is shown: raise the save failure that remember() kept (exit 1)."""
        if self.store:
            exc, self.store.unsaved = self.store.unsaved, None
            if exc:
                exc.message = f"the reply came, but the session was not saved: {exc.message}"
                exc.after_reply = True
                raise exc

    def remember(self, obj, reply=False):
        """Save the ids and state an agent returned (a task or a message) in the URL's session.
        Between check_saving() and saved(), a failed save does not end the conversation: it is
        kept in store.unsaved (no more saves are tried) and raised once the reply is shown.
        From a reply on, a new conversation (new=True) is the current one."""
        store = self.store
        if store and not store.unsaved:
            task = "status" in obj   # or a message: no task waits for an answer
            try:
                store.update(self.url, obj.get("contextId"), obj.get("id" if task else "taskId"),
                             task_state=task_state(obj) if task else "")
            except HandlerError as exc:
                if store.unsaved is None:
                    raise
                store.unsaved = exc
        if reply:
            self.new = False

    def remember_task(self, task):
        """Save a task's state when it is the session's task (or the session has none)."""
        if self.store and self.store.get(self.url).task_id in (None, task.get("id")):
            self.remember(task)

    def send(self, message, return_immediately=False, push=None):
        """SendMessage, the session saved, then (unless return_immediately) waiting until the
        task ends or waits for input if the agent answered early."""
        try:
            result = self.client.send_message(message, return_immediately, push)
        except HandlerError as exc:
            raise timed_out(exc, None, self.url)
        self.task = result.get("task")
        self.remember(self.task or result.get("message"), True)
        if self.task and not return_immediately:
            result["task"] = self.wait(self.task)
        return result

    def wait(self, task, first=0.2, cap=2.0, history_length=None, save=True):
        """Poll GetTask until the task ends or waits for input (also for agents that answer a
        blocking send early), backing off from `first` to `cap` seconds, for at most the
        timeout; each state is saved (unless save is false)."""
        deadline, delay = monotonic() + self.timeout, first
        while not settled(task):
            left = deadline - monotonic()
            if left <= 0:
                raise HandlerError(f"task {task['id']} is still {task_state(task)} after "
                                   f"{self.timeout:g} s", EXIT_TIMEOUT, "A2ACLI_ERR_TIMEOUT",
                                   f"raise --timeout, or wait on with: {PROG} task get "
                                   f"{task['id']} --url {self.url} --wait")
            sleep(min(delay, left))
            delay = min(delay * 1.5, cap)
            self.task = task = self.client.get_task(task["id"], history_length)
            if save:
                self.remember(task)
        return task

    def stream(self, events, show):
        """Pass a stream's events to show() as they come, saving the ids and states; (the task,
        the reply message). When the stream ended before the task did (it was lost, or the
        agent dropped the last event), GetTask polls the task until it settles, within the
        timeout (A2ACLI_TASK_POLL_004)."""
        task = reply = None
        try:
            for event in events:
                if "message" in event:
                    reply = event["message"]
                else:
                    self.task = task = apply_event(task, event)
                show(event)
                if "artifactUpdate" not in event:
                    self.remember(task or reply, True)   # once the ids are known, at each state
        except HandlerError as exc:
            raise timed_out(exc, task or reply, self.url)
        if not (task or reply):
            raise bad_response("the agent's stream ended without a task or a message")
        if task and not settled(task):
            try:
                task = self.wait(task)
                show({"task": task})
            except HandlerError as exc:   # a failed poll: check_finished says "stream ended"
                if exc.exit_code == EXIT_TIMEOUT:
                    raise
        return task, reply

    def cancel(self, task_id):
        """CancelTask (a task that is already canceled is done, not an error), saved when it is
        the session's task; (the task, a warning when it is not canceled, or None)."""
        try:
            task = self.client.cancel_task(task_id)
        except HandlerError as exc:
            if exc.code != "TaskNotCancelableError":
                raise
            task = self.client.get_task(task_id)
            state = task_state(task)
            if state != "canceled":
                exc.message += "" if state in exc.message else f" (it is {state})"
                raise
        self.remember_task(task)
        # some agents cancel a moment later; some return a finished task instead of an error
        state = task_state(task)
        return task, None if state == "canceled" else \
            f"task {task_id} had already ended {state}: nothing was canceled" \
            if state in TERMINAL_STATES else (
                f"task {task_id} is still {state}: the agent has not canceled it yet; see "
                f"whether it stops with: {PROG} task get {task_id} --url {self.url} --wait")


# ============================================================================ built-in agent

class AgentError(Exception):
    """A failed operation: its JSON-RPC code (InvalidParams unless told), and the (field, why) of
    each invalid parameter."""

    def __init__(self, message, code=-32602, violations=()):
        self.code, self.message, self.violations = code, message, violations

    def details(self):
        """The error details (JSON-RPC error.data, HTTP+JSON error.details, spec 9.5 and 11.6): a
        google.rpc.ErrorInfo with the A2A reason, a google.rpc.BadRequest naming bad fields."""
        return [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "domain": "a2a-protocol.org",
                 "reason": "PARSE_ERROR" if self.code == -32700 else _reason(A2A_ERRORS[self.code])
                 }] + ([{
                     "@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
                         {"field": f, "description": why} for f, why in self.violations]}]
                     if self.violations else [])


def invalid(*rules):
    """Of the (field, bad, why) rules, those that are bad, in one InvalidParams; none: nothing."""
    problems = [(f, why) for f, bad, why in rules if bad]
    if problems:
        raise AgentError("; ".join(f"{f} {why}" for f, why in problems), violations=problems)


def _now():
    """Now, as the spec writes timestamps (5.6.1): UTC, milliseconds, 'Z'."""
    from datetime import datetime, timezone
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def _instant(text):
    """An ISO 8601 timestamp (any fraction, 'Z' or an offset) -> seconds since the epoch; None when
    it is not one."""
    from datetime import datetime
    from re import fullmatch
    m = fullmatch(r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)",
                     str(text))
    try:   # fromisoformat (3.9) takes neither 'Z' nor any fraction
        return datetime.fromisoformat(m[1] + m[3].upper().replace("Z", "+00:00")).timestamp() \
            + float(m[2] or 0)
    except (TypeError, ValueError):
        return None


# The fields of a2a.proto's Message and Part: the agent keeps these and ignores the rest (spec 5.7).
MESSAGE_FIELDS = ("messageId", "contextId", "taskId", "role", "metadata", "extensions",
                  "referenceTaskIds")
PART_FIELDS = ("text", "raw", "url", "data", "metadata", "filename", "mediaType")


class EchoAgent:
    """The task engine of `server agent`. It echoes the user's text back as an artifact in
    chunks; a message starting with "ask" leaves the task input-required until a follow-up
    message answers it; one starting with "slow" takes a few seconds and can be canceled."""

    QUESTION = "What should I echo?"
    LIVE = ("submitted", "working") + INTERRUPTED_STATES   # the states of a task not yet ended
    _outbox = None   # the queue of webhook POSTs, once there is a webhook

    def __init__(self, versions=("1.0", "0.3"), log=None):
        from threading import Condition, Event
        self.versions, self.log = versions, log   # the versions it speaks and offers
        self.tasks = {}     # task id -> task, 1.x shape
        self.events = {}    # task id -> every StreamResponse of that task, in order
        self.webhooks = {}  # task id -> {config id: (push config in the 1.x shape, version)}
        self.cond = Condition()
        self.gate = Event()   # a slow task's chunks wait gate.wait(0.5); tests hold it

    def card(self, base_url, secured=False):
        card = {
            "name": "Handler Echo Agent",
            "description": "Echoes your message back as an artifact (built into handler.py, for "
                           "testing). Start a message with 'ask' to be asked a question, or 'slow' "
                           "for a slow task.",
            "version": VERSION,
            "provider": {"organization": "Handler", "url": "https://github.com/"},
            "capabilities": {"streaming": True, "pushNotifications": True,
                             "extendedAgentCard": secured},
            "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"],
            "skills": [{"id": "echo", "name": "Echo", "description": "Repeats what you say.",
                        "tags": ["echo", "test"], "examples": ["hello", "ask me something"]}],
        }
        bearer = {}   # the scheme in both forms in one entry, as the official SDK serves it
        if "1.0" in self.versions:   # JSON-RPC first; HTTP+JSON under /rest
            card["supportedInterfaces"] = [
                {"url": base_url, "protocolBinding": "JSONRPC", "protocolVersion": v}
                for v in self.versions] + [
                {"url": base_url + "rest", "protocolBinding": "HTTP+JSON",
                 "protocolVersion": "1.0"}]
            bearer["httpAuthSecurityScheme"] = {"scheme": "Bearer"}
            if secured:
                card["securityRequirements"] = [{"schemes": {"bearer": {"list": []}}}]
        if "0.3" in self.versions:   # the 0.3 fields, beside the 1.x ones as the official SDK does
            card.update(protocolVersion="0.3.0", url=base_url, preferredTransport="JSONRPC")
            bearer.update(type="http", scheme="bearer")
            if secured:
                card.update(security=[{"bearer": []}], supportsAuthenticatedExtendedCard=True)
        if secured:
            card["securitySchemes"] = {"bearer": bearer}
        return card

    def extended_card(self, base_url):
        """What authenticated clients see: one more skill."""
        card = self.card(base_url, True)
        card["skills"].append({"id": "shout", "name": "Shout", "tags": ["echo"],
                               "description": "Echoes in capitals (for authenticated clients)."})
        return card

    # -- operations (1.x shapes in and out; AgentError on failure)
    def start(self, message, push=None, version="1.0"):
        """Accept a user message (either version's shape): a new task, or the answer to one
        waiting for input, with an optional push config for it. Returns (snapshot of the task,
        index of its next event) and starts the work on a thread."""
        from threading import Thread
        try:
            message = normalise_message(message)
        except HandlerError:
            raise AgentError("params.message must be a message object") from None
        parts = [{k: p[k] for k in PART_FIELDS if k in p} for p in message["parts"]]
        invalid(("message.messageId", not message.get("messageId"), "is required"),
                ("message.role", message["role"] not in ("ROLE_USER", "ROLE_AGENT"),
                 "is required: ROLE_USER (0.3: user)"),
                ("message.parts", not parts or not all(p.keys() & PART_FIELDS[:4] for p in parts),
                 "must hold at least one part, each with text, raw, url or data"))
        message = {**{k: message[k] for k in MESSAGE_FIELDS if k in message}, "parts": parts}
        task_id, context = message.get("taskId"), message.get("contextId")
        with self.cond:
            if task_id:   # the answer to a question
                task = self._task(task_id, INTERRUPTED_STATES, "; it takes no more messages")
                if context not in (None, task["contextId"]):
                    raise AgentError(f"task {task_id} belongs to another context")
                task["status"] = {"state": "TASK_STATE_WORKING", "timestamp": _now()}
            else:
                task_id = new_id()
                task = self.tasks[task_id] = {
                    "id": task_id, "contextId": context or new_id(),
                    "status": {"state": "TASK_STATE_SUBMITTED", "timestamp": _now()},
                    "history": [], "artifacts": []}
                self.events[task_id], self.webhooks[task_id] = [], {}
            task["history"].append({**message, "taskId": task_id, "contextId": task["contextId"]})
            if push:
                self.push("push_set", {**push, "taskId": task_id}, version)
                self._deliver(task, {"task": _clone(task)})
            # the work waits for the lock, so the snapshot is of the task before it
            Thread(target=self._work, args=(task_id, parts), daemon=True).start()
            return self.subscribe(task_id)

    def wait(self, task_id, timeout=300.0):
        with self.cond:
            self.cond.wait_for(lambda: settled(self.tasks[task_id]), timeout)
            return _clone(self.tasks[task_id])

    def follow(self, task, index):
        """Yield {"task": task} (a snapshot), then the task's events from `index` on, until it
        ends or waits for input (or 300 s have passed)."""
        deadline, batch, events = time.monotonic() + 300, [{"task": task}], \
            self.events[task["id"]]
        while True:
            for event in batch:
                yield event
                if settled(event.get("statusUpdate", event.get("task"))):
                    return
            if time.monotonic() > deadline:
                return
            with self.cond:
                self.cond.wait_for(lambda: len(events) > index, 1.0)
                batch = events[index:]
            index += len(batch)

    def get(self, task_id, history_length=None):
        with self.cond:
            task = _clone(self._task(task_id))
        if isinstance(history_length, int) and history_length >= 0:   # the last ones (0: none)
            del task["history"][:-history_length or None]
        return task

    def cancel(self, task_id):
        with self.cond:
            self._task(task_id, self.LIVE, " and cannot be canceled", -32002)
            self._status(task_id, "TASK_STATE_CANCELED")
        return self.get(task_id)

    def list(self, params):
        """ListTasks: the most recently updated first, filtered by context, state and status time,
        a page at a time. Every invalid parameter is named in one InvalidParams error."""
        get = params.get
        size, token, status, history, after = get("pageSize", 50), str(get("pageToken") or "0"), \
            get("status"), get("historyLength"), get("statusTimestampAfter")
        states = [wire_state(s) for s in self.LIVE + TERMINAL_STATES]
        since = 0 if after is None else _instant(after)
        invalid(("pageSize", not (type(size) is int and 1 <= size <= 100),
                 f"must be between 1 and 100, got {size!r}"),
                ("pageToken", not token.isdigit(), f"is not a token from this agent: {token!r}"),
                ("historyLength",
                 history is not None and not (type(history) is int and history >= 0),
                 f"must be a non-negative integer, got {history!r}"),
                ("status", status and status not in states,
                 f"must be one of {', '.join(states)}, got {status!r}"),
                ("statusTimestampAfter", since is None,
                 f"must be an ISO 8601 timestamp like 2025-10-28T10:30:00.000Z, got {after!r}"))
        end = int(token) + size
        with self.cond:
            tasks = [t for t in sorted(reversed(self.tasks.values()), reverse=True,   # _now()'s
                                       key=lambda t: t["status"]["timestamp"])   # sort as text
                     if get("contextId") in (None, t["contextId"])
                     and (not status or t["status"]["state"] == status)
                     and _instant(t["status"]["timestamp"]) >= since]
            page = [_copy(self.get(t["id"], history),
                          () if get("includeArtifacts") else ("artifacts",))
                    for t in tasks[end - size:end]]
        return {"tasks": page, "nextPageToken": str(end) if end < len(tasks) else "",
                "pageSize": size, "totalSize": len(tasks)}

    def subscribe(self, task_id):
        """(snapshot, index of its next event) of a task that is still running."""
        with self.cond:
            return _clone(self._task(task_id, self.LIVE, "; there is nothing to follow")), \
                len(self.events[task_id])

    def push(self, op, params, version="1.0"):
        """The push config operations (1.x params): push_set; push_get, the config named or
        without a name (0.3) the task's first; push_list; push_delete, idempotent (spec 3.1.10):
        deleting a config that is gone again succeeds."""
        get = params.get
        task_id, config_id = get("taskId"), get("id")
        if op == "push_set" and not str(get("url")).startswith(("http://", "https://")):
            raise AgentError("a push notification config needs an http(s) url")
        with self.cond:
            self._task(task_id)
            configs = self.webhooks[task_id]
            if op == "push_set":
                config = {"id": config_id or new_id(), "taskId": task_id,
                          **{k: get(k) for k in ("url", "token", "authentication") if get(k)}}
                configs[config["id"]] = (config, version)
                return config
            if op == "push_delete":
                configs.pop(config_id, None)
                return {}
            found = [c for c, _ in configs.values()
                     if op == "push_list" or config_id in (None, c["id"])]
        if op == "push_list":
            return {"configs": found}
        if not found:
            raise AgentError(f"task {task_id} has no push notification config "
                             f"{config_id or ''}".rstrip(), -32001)
        return found[0]

    def _deliver(self, task, event):
        """Queue a POST of the event to each webhook of its task: a 1.x StreamResponse, or the
        whole 0.3 Task for configs made over 0.3 (as the official SDK does)."""
        for config, version in self.webhooks[task["id"]].values():
            if not self._outbox:
                from queue import Queue
                from threading import Thread
                self._outbox = Queue()
                Thread(target=self._post_loop, daemon=True).start()
            self._outbox.put((config, to_v03(_clone(task), "task") if version == "0.3"
                              else event))

    def _post_loop(self):
        from urllib.request import ProxyHandler, Request, build_opener
        opener = build_opener(ProxyHandler({}))
        while True:
            config, body = self._outbox.get()
            auth = config.get("authentication") or {}
            headers = {"Content-Type": "application/json", "User-Agent": f"handler-agent/{VERSION}",
                       **({"X-A2A-Notification-Token": config["token"]} if "token" in config
                          else {}),
                       **({"Authorization": f"{auth.get('scheme') or 'Bearer'} "
                                            f"{auth['credentials']}"} if auth.get("credentials")
                          else {})}
            try:
                opener.open(Request(config["url"], json.dumps(body).encode(),
                                                   headers), timeout=5).close()
            except Exception as exc:   # a webhook that is down must not stop the agent
                if self.log:
                    self.log(f"push to {config['url']} failed: {exc}")

    def _task(self, task_id, states=None, why="", code=-32004):
        """The task, if it is in one of `states` (any, without), else AgentError `code`."""
        if not isinstance(task_id, str):
            raise AgentError("the task id is missing or not a string")
        task = self.tasks.get(task_id)
        if not task:
            raise AgentError(f"task {task_id} not found", -32001)
        state = task_state(task)
        if states and state not in states:
            raise AgentError(f"task {task_id} is {state}{why}", code)
        return task

    # -- the work
    def _work(self, task_id, parts):
        """Echo the text in chunks, then each file and data part as one more chunk."""
        text = " ".join(str(p["text"]) for p in parts if "text" in p).strip()
        self._status(task_id, "TASK_STATE_WORKING")
        if text.lower().startswith("ask"):
            return self._status(task_id, "TASK_STATE_INPUT_REQUIRED", self.QUESTION)
        slow = text.lower().startswith("slow")
        words = [w + " " for w in text.split()] if slow else [text] if text else []
        chunks = [{"text": c} for c in ["Echo: "] + words]
        chunks[-1]["text"] = chunks[-1]["text"].rstrip(" ")
        chunks += [p for p in parts if "text" not in p]
        artifact = {"artifactId": f"echo-{len(self.events[task_id])}", "name": "echo"}
        for i, chunk in enumerate(chunks):
            if slow:   # 0.5 s a word, unless the gate (a test's) says otherwise
                self.gate.wait(0.5)
            more = {"append": True} if i else {}
            if i == len(chunks) - 1:
                more["lastChunk"] = True
            if not self._emit(task_id, "artifactUpdate", artifact={**artifact, "parts": [chunk]},
                              **more):
                return
        self._status(task_id, "TASK_STATE_COMPLETED")

    def _status(self, task_id, state, text=None):
        """A status update to `state` (a 1.x name), with the agent's message `text` if any."""
        status = {"state": state, "timestamp": _now()}
        if text:
            status["message"] = {"messageId": new_id(), "role": "ROLE_AGENT", "taskId": task_id,
                                 "contextId": self.tasks[task_id]["contextId"],
                                 "parts": [{"text": text}]}
        return self._emit(task_id, "statusUpdate", status=status)

    def _emit(self, task_id, kind, **body):
        """Record an event of the task and apply it; False once the task has ended (canceled)."""
        with self.cond:
            task = self.tasks[task_id]
            if task_state(task) in TERMINAL_STATES:
                return False
            event = {kind: {"taskId": task_id, "contextId": task["contextId"], **body}}
            apply_event(task, _clone(event))
            message = task["status"].get("message")
            if kind == "statusUpdate" and message:
                task["history"].append(message)
            self.events[task_id].append(event)
            self.cond.notify_all()
            self._deliver(task, event)
            return True


def _clone(obj):
    from copy import deepcopy
    return deepcopy(obj)


def _respond(handler, status, body, *headers):
    """An HTTP answer: the headers, then the body (bytes, with its length; None: none at all)."""
    handler.send_response(status)
    for header in headers + (() if body is None else (("Content-Length", len(body)),)):
        handler.send_header(*header)
    handler.end_headers()
    handler.wfile.write(body or b"")


def make_agent_server(host, port, bearer_token=None, log=None, agent=None):
    """An HTTP server (not yet serving) running the built-in agent on host:port. It matches
    JSON-RPC methods and HTTP+JSON routes ("VERB path") against OPS, the table the client builds
    them from."""
    import re
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    methods = {row[i]: (op, not i) for op, row in OPS.items() for i in (0, 1) if row[i]}
    routes = {method: re.compile(f"(?:{verbs.replace(' ', '|')}) "
                                 + re.sub(r"{(\w+)}", r"(?P<\1>[^/:]+)", path))
              for method, _, verbs, path, *_ in OPS.values()}

    def typed(key, text):   # ListTasks' and GetTask's numbers and booleans, in a query
        try:
            return loads(text) if key in ("pageSize", "historyLength", "includeArtifacts") else text
        except JSON_ERRORS:
            return text

    class AgentHandler(BaseHTTPRequestHandler):
        server_version = f"handler-agent/{VERSION}"

        def log_message(self, fmt, *args):
            if log:
                log(f"{self.address_string()} {fmt % args}")

        def _head(self, status, obj, *headers):
            _respond(self, status, json.dumps(obj).encode(), ("Content-Type", "application/json"),
                     *headers)

        def _fail(self, code, message, *headers, **more):   # an HTTP error, google.rpc.Status
            self._head(code, {"error": {"code": code, "message": message, **more}}, *headers)

        def do_GET(self):
            if self.path.split("?")[0] not in CARD_PATHS:
                return self._serve()
            from hashlib import sha256   # the card, with the caching headers of spec 8.6.1
            card = self.server.agent.card(self._base_url(), bool(bearer_token))
            tag = f'"{sha256(json.dumps(card).encode()).hexdigest()[:32]}"'
            match, cache = self.headers.get("If-None-Match", ""), (("ETag", tag),
                                                                    ("Cache-Control", "max-age=60"))
            if tag in match or match.strip() == "*":   # a quoted hash: W/"..." matches too
                return _respond(self, 304, None, *cache)
            self._head(200, card, *cache)

        def _body(self):
            """The request's JSON body; AgentError when it is too large or not JSON."""
            length = self.headers.get("Content-Length") or "0"
            if not length.isdecimal() or int(length) > MAX_SSE_LINE:
                raise AgentError("the body is too large or has no valid Content-Length", -32600)
            try:
                return loads(self.rfile.read(int(length)) or b"{}")
            except JSON_ERRORS:
                raise AgentError("request body is not valid JSON", -32700) from None

        def _serve(self):
            """One request: JSON-RPC (a POST to any path) or, under /rest, the 1.x HTTP+JSON
            binding with errors as google.rpc.Status, both matched against OPS. The operation
            runs in 1.x shapes (0.3 params and results renamed on the way)."""
            from urllib.parse import parse_qsl, unquote, urlsplit
            url, agent, rid = urlsplit(self.path), self.server.agent, None
            rest, query = url.path[:6] == "/rest/", dict(parse_qsl(url.query))
            if not rest and self.command != "POST":
                return self._fail(404, "not found")
            if bearer_token and self.headers.get("Authorization") != f"Bearer {bearer_token}":
                return self._fail(401, "missing or wrong bearer token",
                                  ("WWW-Authenticate", 'Bearer realm="handler-agent"'))

            def framed(result, op):
                return result if rest else {"jsonrpc": "2.0", "id": rid, "result": result if v1
                                            else result_to_v03(op, result)}
            try:
                if rest:
                    line = f"{self.command} {url.path[5:]}"
                    for method, route in routes.items():
                        match = route.fullmatch(line)
                        if match:
                            break
                    else:
                        raise AgentError(f"no route {line}", -32601)
                    params = self._body()
                else:
                    request = self._body()
                    if not isinstance(request, dict) or isinstance(request.get("id"),
                                                                   (dict, list, bool)):
                        request = {}   # no id to answer with
                    rid, method, params = map(request.get, ("id", "method", "params"))
                    if request.get("jsonrpc") != "2.0" or not isinstance(method, str):
                        raise AgentError('not a JSON-RPC 2.0 request (jsonrpc "2.0", a method, '
                                         "an id that is a string, a number or null)", -32600)
                op, v1 = methods.get(method, (None, False))
                version = "1.0" if v1 else "0.3"
                if op is None or version not in agent.versions:
                    raise AgentError(f"method {method} not found", -32601)
                if v1 and not (self.headers.get("A2A-Version") or   # or the parameter (3.6.1)
                               query.get("A2A-Version", "")).startswith("1."):
                    raise AgentError(f"{method} needs the header A2A-Version: 1.0", -32009)
                invalid(("params", not isinstance(params, dict), "must be an object"))
                if rest:   # the query (its numbers and booleans typed), then the path's fields
                    params.update({k: typed(k, v) for k, v in query.items()},
                                  **{k: unquote(v) for k, v in match.groupdict().items()})
                if log:
                    log(f"{op} ({version}{', HTTP+JSON' if rest else ''})")
                params = params if v1 else params_from_v03(op, params)
                get = params.get
                config, target = get("configuration") or {}, get("id")   # a task id, or a config id
                if op in ("send", "stream", "resubscribe"):
                    snapshot, index = agent.subscribe(target) if op == "resubscribe" else \
                        agent.start(get("message"), config.get("taskPushNotificationConfig"),
                                    version)
                if op in ("stream", "resubscribe"):   # the task, then its events as they happen
                    _respond(self, 200, None, ("Content-Type", "text/event-stream"),
                             ("Cache-Control", "no-cache"))
                    for event in agent.follow(snapshot, index):
                        self.wfile.write(f"data: {json.dumps(framed(event, 'send'))}\r\n\r\n"
                                         .encode())
                        self.wfile.flush()
                    return
                invalid(("id" if v1 else "pushNotificationConfigId", not isinstance(target, str)
                         and op in ("push_delete", v1 and "push_get"), "is required"))
                if op == "extended_card" and not bearer_token:
                    raise AgentError("this agent has no extended card (start it with "
                                     "--bearer-token)", -32007)
                self._head(200, framed({
                    "send": lambda: {"task": snapshot if config.get("returnImmediately")
                                     else agent.wait(snapshot["id"])},
                    "list": lambda: agent.list(params),
                    "extended_card": lambda: agent.extended_card(self._base_url()),
                    "get": lambda: agent.get(target, get("historyLength")),
                    "cancel": lambda: agent.cancel(target),
                }.get(op, lambda: agent.push(op, params, version))(), op))
            except AgentError as exc:   # over HTTP+JSON, the statuses of spec 5.4 (else the SDK's)
                if not rest:
                    return self._head(200, _rpc_error(rid, exc.code, exc.message,
                                                      data=exc.details()))
                code = 404 if exc.code in (-32001, -32601) else 400   # of the codes it raises
                self._fail(code, exc.message, details=exc.details(), status="NOT_FOUND"
                           if code == 404 else "INVALID_ARGUMENT"
                           if exc.code in (-32600, -32602, -32700) else "FAILED_PRECONDITION")
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_POST = do_DELETE = _serve

        def _base_url(self):
            scheme = "https" if hasattr(self.connection, "getpeercert") else "http"   # behind TLS
            return f"{scheme}://{self.headers.get('Host') or f'{host}:{self.server.server_port}'}/"

    server = ThreadingHTTPServer((host, port), AgentHandler)
    server.agent = agent or EchoAgent(log=log)
    return server


# ============================================================================ push receiver

def make_push_server(host, port, token, on_event, on_problem, timeout=30, max_connections=32,
                     limit=MAX_SSE_LINE):
    """A webhook receiver (not yet serving) for push notifications POSTed to any path. Each
    notification, normalised to a 1.x StreamResponse (0.3 agents POST a whole Task), goes to
    on_event; a malformed one gets 400 and goes to on_problem. With a token, a POST must carry
    it in X-A2A-Notification-Token or Authorization: Bearer, else 401. Under load and abuse: a
    connection has `timeout` seconds to send its whole request; one over `max_connections` at
    once gets 503 at once; a body over `limit` bytes gets 413 unread, and a body is read in
    chunks, so memory follows what senders really sent; a sender that goes away is dropped
    quietly."""
    from hmac import compare_digest
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from socket import SHUT_RDWR, SHUT_WR
    from threading import Semaphore, Thread
    slots = Semaphore(max_connections)   # each connection with a thread takes one
    reading, lingering = {}, {}   # {socket: deadline}: being read; over the cap, answered 503
    busy = (b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 32\r\n\r\ntoo many connections; try again\n")

    class PushHandler(BaseHTTPRequestHandler):
        server_version = f"handler-push/{VERSION}"

        def setup(self):
            reading[self.request] = time.monotonic() + timeout
            super().setup()

        def finish(self):
            reading.pop(self.request, None)
            super().finish()

        def log_message(self, fmt, *args):
            pass

        def _answer(self, status, text=""):
            _respond(self, status, text.encode(), ("Content-Type", "text/plain; charset=utf-8"))

        def do_GET(self):   # some agents check a webhook before they use it
            from urllib.parse import parse_qs, urlsplit
            self._answer(200, parse_qs(urlsplit(self.path).query).get("validationToken", ["ok"])[0])

        def do_POST(self):
            head = self.headers.get
            scheme, _, bearer = (head("Authorization") or "").partition(" ")
            if token and not any(compare_digest(g.encode(), token.encode()) for g in (
                    head("X-A2A-Notification-Token") or "",
                    bearer.strip() if scheme.lower() == "bearer" else "")):
                on_problem(f"rejected a notification to {self.path} without the right token")
                return self._answer(401, "missing or wrong notification token\n")
            try:
                length = int(head("Content-Length"))
            except (TypeError, ValueError):
                return self._answer(411, "Content-Length required\n")
            if not 0 <= length <= limit:
                self.close_connection = True
                return self._answer(413, f"notification too large ({limit} bytes at most)\n")
            body = bytearray()
            while len(body) < length:   # in chunks: never more memory than the sender really sent
                chunk = self.rfile.read(min(65536, length - len(body)))
                if not chunk:
                    return              # the sender went away, or its time ran out
                body += chunk
            reading.pop(self.request, None)
            try:
                event = normalise_event(loads(body))
            except (*JSON_ERRORS, HandlerError) as exc:   # a HandlerError's message, or bad JSON
                on_problem(f"ignored a malformed notification to {self.path}: "
                        f"{getattr(exc, 'message', 'not JSON')}")
                return self._answer(400, "not an A2A notification\n")
            try:
                on_event(event)
            except BrokenPipeError:   # nobody reads what it prints any more (| head): stop
                self._answer(503, "the receiver is stopping\n")
                return Thread(target=self.server.shutdown, daemon=True).start()
            self._answer(200)

    PushHandler.timeout = timeout   # each read; `reading` holds the whole request's deadline

    class PushServer(ThreadingHTTPServer):
        request_queue_size = 128   # a burst waits in the backlog, not SYN retries (threads are
        # daemons, as in any ThreadingHTTPServer)

        def process_request(self, request, client_address):
            if not slots.acquire(blocking=False):   # over the cap: 503 at once, no thread
                try:
                    request.setblocking(False)
                    request.send(busy)
                    request.shutdown(SHUT_WR)
                except OSError:
                    pass
                if len(lingering) < self.request_queue_size:   # read what it sends: it gets the 503
                    lingering[request] = time.monotonic() + 2
                else:
                    request.close()
                return
            super().process_request(request, client_address)

        def shutdown_request(self, request):   # the end of a connection that took a slot: its
            slots.release()                     # thread's, or one that found no thread
            super().shutdown_request(request)

        def service_actions(self):   # between polls: cut off whoever is past its deadline
            now = time.monotonic()
            for sock, deadline in reading.copy().items():
                if deadline < now and reading.pop(sock, None):
                    try:
                        sock.shutdown(SHUT_RDWR)
                    except OSError:
                        pass
            for sock, deadline in lingering.copy().items():
                try:
                    while sock.recv(65536):
                        pass
                except BlockingIOError:
                    if deadline > now:
                        continue
                except OSError:
                    pass
                del lingering[sock]
                sock.close()

        def server_close(self):
            super().server_close()
            for sock in lingering:
                sock.close()

        def handle_error(self, request, client_address):   # a sender that went away is no news
            exc = sys.exc_info()[1]
            if not isinstance(exc, OSError):
                on_problem(f"dropped a notification from {client_address[0]}: {exc!r}")

    return PushServer((host, port), PushHandler)


def serve(server, out, banner, host, secured):
    """Run a server until Ctrl-C, after a banner on stderr."""
    try:
        if host not in ("127.0.0.1", "localhost", "::1") and not secured:
            out.warn(f"listening on {host}, reachable from other machines, without a token")
        if not out.quiet:   # -q: nothing but warnings and errors
            out._emit(banner + "\n", out.err)
        server.serve_forever(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def _rpc_error(rid, code, message, **more):
    return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": message, **more}}


# ============================================================================ MCP server
# `handler.py mcp`: a Model Context Protocol server on stdin/stdout (newline-delimited JSON-RPC
# 2.0), so that AI assistants can use A2A agents. Stdout carries protocol messages only. Tools
# never take secrets as arguments (they would land in the assistant's transcript): agent tools use
# the credentials stored for agent_url, and set_task_notification its token from HANDLER_PUSH_TOKEN.

MCP_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")   # oldest to newest
MCP_STRUCTURED = "2025-06-18"   # the first revision with structuredContent

_STR = {"type": "string"}
# The tools' arguments, by name (one not here is a plain string): an inputSchema names them (the
# required ones, | the others).
MCP_ARGUMENTS = {
    "agent_url": {"type": "string",
                  "description": "the agent's base URL, e.g. http://127.0.0.1:8000, or @NAME "
                                 "(an agent named with handler.py agent add)"},
    "task_id": {"type": "string",
                "description": "the task id (default: the task saved in the agent's session)"},
    "use_session": {"type": "boolean", "default": True},
    "history_length": {"type": "integer", "minimum": 0},
    "status": {"type": "string", "description": "e.g. working, completed"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
    "all": {"type": "boolean", "default": False}}


def _schema(names):
    required, _, optional = names.partition("|")
    return {"type": "object", "required": required.split(),
            "properties": {n: MCP_ARGUMENTS.get(n, _STR) for n in (required + optional).split()}}


def rendered(show, *args):
    """(text, JSON document) of what the command line shows for a result with show (an
    Output method) in text, and in JSON."""
    from io import StringIO
    text, doc = StringIO(), StringIO()
    show(Output("text", stdout=text, stderr=text), *args)
    show(Output("json", stdout=doc, stderr=StringIO()), *args)
    return text.getvalue().rstrip("\n"), json.loads(doc.getvalue())


class McpServer:
    """The MCP protocol and the tools: each tool reads the session file afresh and writes
    through the store's locked update, so a long-running server loses no other process's work."""

    TOOLS = {name: {"name": name, "description": text, "inputSchema": _schema(names)}
             for name, names, text in (
        ("validate_agent_card", "agent_url",
         "Check an A2A agent's card against the rules of its protocol version."),
        ("get_agent_card", "agent_url",
         "Fetch an A2A agent's card: name, skills, capabilities, interface."),
        ("send_message", "agent_url message | context_id task_id use_session",
         "Send a text message to an A2A agent and wait for its reply. With use_session (default "
         "true) it continues the saved conversation with that agent and saves the new context "
         "and task ids."),
        ("get_task", "agent_url | task_id history_length",
         "Get a task's state, artifacts and (optionally) history."),
        ("list_tasks", "agent_url | context_id status page_size page_token",
         "List an agent's tasks (A2A 1.x agents), newest first, one page."),
        ("cancel_task", "agent_url | task_id", "Cancel a task."),
        ("set_task_notification", "agent_url webhook_url | task_id config_id",
         "Register a webhook for a task's push notifications (its token, if any, comes from "
         "HANDLER_PUSH_TOKEN in the server's environment)."),
        ("get_task_notification", "agent_url | task_id config_id",
         "Get a task's push notification config (its only one without config_id)."),
        ("list_task_notifications", "agent_url | task_id",
         "List a task's push notification configs."),
        ("delete_task_notification", "agent_url config_id | task_id",
         "Delete a task's push notification config."),
        ("list_sessions", "", "List the saved sessions (agent URL, context id, task id, whether "
         "credentials are stored; never a secret)."),
        ("get_session_info", "agent_url", "Show the saved session for one agent URL."),
        ("clear_session_data", "| agent_url all", "Forget the saved conversation (context and "
         "task) with one agent, or with all when all is true; stored credentials stay."))}
    TOOLS["send_message"]["inputSchema"]["properties"]["task_id"] = _STR   # sent as given
    version = None   # the negotiated revision, once initialized

    def __init__(self, timeout, log=None, warn=None, transport=None):
        self.timeout, self.log, self.warn = timeout, log or (lambda line: None), warn
        self.transport = transport or (lambda: Transport(timeout, warn=warn))

    # -- the protocol
    def handle(self, message):
        """One JSON-RPC message in, its response out (None for notifications). A bug must not end
        the server: it is an internal error."""
        message = message if isinstance(message, dict) else {}
        method, rid = message.get("method"), message.get("id")
        if message.get("jsonrpc") != "2.0" or not isinstance(method, str):
            return _rpc_error(rid, -32600, "not a JSON-RPC 2.0 request")
        if "id" not in message:   # a notification: nothing to answer
            return None
        try:
            result = self._answer(method, message.get("params") or {})
        except Exception as exc:
            self.log(f"internal error: {type(exc).__name__}: {exc}")
            result = -32603, f"internal error: {type(exc).__name__}"
        return _rpc_error(rid, *result) if isinstance(result, tuple) else \
            {"jsonrpc": "2.0", "id": rid, "result": result}

    def _answer(self, method, params):
        """A request's result, or (code, message) for its error."""
        if not isinstance(params, dict):
            return -32602, "params must be an object"
        if method == "initialize":
            wanted = params.get("protocolVersion")
            self.version = wanted if wanted in MCP_VERSIONS else MCP_VERSIONS[-1]
            return {"protocolVersion": self.version,
                    "capabilities": {"tools": {"listChanged": False}},
                    "serverInfo": {"name": "handler", "version": VERSION},
                    "instructions": "Tools to talk to A2A (Agent2Agent) agents by URL; "
                                    "conversations with each agent continue across calls."}
        if method == "ping":
            return {}
        if method not in ("tools/list", "tools/call"):
            return -32601, f"method {method} not found"
        if not self.version:
            return -32002, "the server is not initialized: send initialize first"
        if method == "tools/list":
            return {"tools": [*self.TOOLS.values()]}
        name, arguments = str(params.get("name")), params.get("arguments")
        if name not in self.TOOLS:   # a name that is not a string is no tool's either
            return -32602, f"unknown tool: {name}"
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return -32602, "arguments must be an object"
        problem = self.invalid(name, arguments)
        if problem and self.version < "2025-11-25":   # later: a tool error, that the model reads
            return -32602, f"invalid arguments for {problem}"   # problem: "tool: what"
        return self.call(name, arguments, problem)

    def invalid(self, name, arguments):
        """What makes arguments unfit for the tool's inputSchema, a line that names the tool ("":
        nothing); null is absent."""
        schema = self.TOOLS[name]["inputSchema"]
        props = schema["properties"]
        problems = [f"needs {k}" for k in schema["required"] if arguments.get(k) in ("", None)]
        for key, value in arguments.items():
            spec = props.get(key, {})
            kind = spec.get("type", "")
            problems.append(
                f"takes no {key} (its arguments: {', '.join(props) or 'none'})" if not spec else
                "" if value is None else   # str, int or bool:
                f"{key} must be a{'n' if kind[0] in 'ai' else ''} {kind}"
                if not kind.startswith(type(value).__name__) else
                f"{key} is out of range: {spec['minimum']}..{spec.get('maximum', '')}"
                if not spec.get("minimum", value) <= value <= spec.get("maximum", value) else "")
        problems = "; ".join(filter(None, problems))
        return problems and f"{name}: {problems}"

    def call(self, name, arguments, problem=None):
        """A tool's result: readable text, and structuredContent where the revision has it. A
        failure is a result with isError and the line the command line would print."""
        error = False
        try:
            if problem:
                raise usage_error(problem)
            text, structured = getattr(self, "tool_" + name.rpartition("_")[2])(
                name.partition("_")[0], **arguments)
        except Exception as exc:   # a bug must not end the server either: a tool error
            error = True   # the line the command line prints, and its JSON envelope
            text, structured = rendered(Output.error, exc if isinstance(exc, HandlerError) else
                HandlerError(f"internal error: {type(exc).__name__}: {exc}"))
        self.log(f"{name}: {'error' if error else 'ok'}")
        return {"content": [{"type": "text", "text": text}], "isError": error,
                **({"structuredContent": structured} if self.version >= MCP_STRUCTURED else {})}

    def serve(self, stdin, stdout):
        """Answer newline-delimited JSON-RPC from stdin (binary) until it ends."""
        while True:
            line = stdin.readline(MAX_SSE_LINE + 1)
            if not line:
                return EXIT_OK
            if line[MAX_SSE_LINE:] and line[-1:] != b"\n":   # over-long: read on to its end
                from re import match, search
                tail = more = line
                while more and more[-1:] != b"\n":
                    more = stdin.readline(65536)
                    tail = tail[-4096:] + more
                rid = rb'"id"\s*:\s*(-?\d+|"[^"\\]*")'   # its id, if its start or end shows one:
                found = match(rb'\s*\{[^{}\[\]]*?' + rid, line[:4096]) or \
                    search(rid + rb'[^{}\[\]]*\}\s*$', tail)   # no bracket from it to that end
                reply = _rpc_error(found and json.loads(found[1].decode("utf-8", "replace")),
                                   -32600, f"a message over {MAX_SSE_LINE >> 20} MiB: not read")
            elif not line.strip():
                continue
            else:
                try:
                    message = loads(line)
                except JSON_ERRORS:
                    reply = _rpc_error(None, -32700, "not valid JSON")
                else:   # a batch (2025-03-26), or one message (an empty batch: not a request)
                    reply = [*filter(None, map(self.handle, message))] or None \
                        if message and isinstance(message, list) else self.handle(message)
            if reply is not None:   # ASCII: no character can fail to encode
                print(json.dumps(reply), file=stdout, flush=True)

    # -- the tools, each a method named by the last word of their names, that takes the first
    # (op) and the arguments; each returns (text, structured content)
    def _agent(self, agent_url, use_session=True):
        """(the conversation with an agent, its session), the session file read afresh."""
        args = _Options(url=agent_url)
        agent_url = require_url(args, self)
        store = open_store(self) if use_session else None
        session = store.get(agent_url) if store else AgentSession(normalise_url(agent_url))
        creds = pick_credentials(None, session)
        save = store and creds is session.credentials and (   # a renewed OAuth2 token
            lambda renewed: store.set_credentials(agent_url, renewed))
        return Conversation(A2AClient(agent_url, self.transport(), parse_headers(args.header),
                                      creds, self.warn, save, transport_order(args)),
                            store, agent_url, self.timeout), session

    def tool_card(self, op, agent_url):
        """validate_agent_card (with no stored credentials) and get_agent_card."""
        client = self._agent(agent_url, op == "get")[0].client
        if op == "validate":
            response = client.card_response()
            text, report = rendered(Output.validation, response.url,
                                    *validate_card_bytes(response.body))
            return text, {"agent_url": agent_url, **report}
        card = client.fetch_card()
        try:
            client.connect()
        except HandlerError:
            pass
        return rendered(Output.card, card, client)

    def tool_message(self, op, agent_url, message, context_id=None, task_id=None,
                     use_session=True):
        conv, session = self._agent(agent_url, use_session)
        conv.check_saving()
        text, result = rendered(Output.reply, conv.send(
            compose_message([{"text": message}], session, context_id, task_id)))
        try:   # not an isError result: that would invite the assistant to send the message again
            conv.saved()
        except HandlerError as exc:
            self.warn(exc.message)
            text += f"\nwarning: {exc.message}; {exc.hint}"
        return text, result

    def tool_task(self, op, agent_url, task_id=None, history_length=None):
        """get_task and cancel_task."""
        conv, session = self._agent(agent_url)
        task_id = target_task(session, task_id, "task_id")
        if op == "cancel":
            return rendered(show_task, conv.cancel(task_id)[0], True)
        task = conv.client.get_task(task_id, history_length)
        conv.remember_task(task)
        return rendered(show_task, task)

    def tool_tasks(self, op, agent_url, context_id=None, status=None, page_size=None,
                   page_token=None):
        """list_tasks."""
        return rendered(Output.tasks, self._agent(agent_url)[0].client.list_tasks(
            contextId=context_id, status=status and wire_state(status), pageSize=page_size,
            pageToken=page_token), 'call list_tasks again with page_token "{}"')

    def tool_notification(self, op, agent_url, task_id=None, config_id=None, webhook_url=None):
        """The four *_task_notification tools (op: set, get, list or delete)."""
        config = webhook_url and webhook_config(webhook_url)
        if config and os.environ.get("HANDLER_PUSH_TOKEN"):
            config["token"] = os.environ["HANDLER_PUSH_TOKEN"]
        conv, session = self._agent(agent_url)
        return rendered(*push_operation(conv.client, op, target_task(session, task_id, "task_id"),
                                        config_id, config))
    tool_notifications = tool_notification   # list_task_notifications

    def tool_sessions(self, op):
        """list_sessions."""
        return rendered(Output.sessions, open_store(self).list_all(),
                        AgentStore(warn=self.warn).load().agents)

    def tool_info(self, op, agent_url):
        """get_session_info."""
        return rendered(Output.session, open_store(self).get(
            require_url(_Options(url=agent_url), self)))

    def tool_data(self, op, agent_url=None, all=False):
        """clear_session_data."""
        if bool(agent_url) == bool(all):
            raise usage_error("clear_session_data needs agent_url or all=true (not both)")
        cleared = "all" if all else normalise_url(require_url(_Options(url=agent_url), self))
        open_store(self).clear(None if all else cleared, keep_credentials=True)
        return ("Cleared all sessions" if all else f"Cleared session for {cleared}"), \
            {"cleared": cleared}


# ============================================================================ chat
# `handler.py chat`: a conversation in the terminal. With a terminal on stdin it prompts, streams
# replies, and Ctrl-C cancels a running reply; otherwise it reads one message a line and prints
# each reply as `message send` would (or one JSON document a line with -o json), for scripts.

CHAT_HELP = """/help            this list
/card            the agent's card
/new             start a new conversation (a new context)
/task            the current task and its state
/cancel          cancel the current task
/session         the saved session for this agent
/history         the conversation so far, as the agent keeps it
/save DIR        write the last task's artifacts into DIR
/quit            leave (so do Ctrl-D, and Ctrl-C at the prompt)"""


class Chat(Conversation):
    """The conversation, shown in a terminal or to a script; /new is the current conversation
    from its first reply on (until then a failed turn leaves the next one new as well)."""

    def __init__(self, client, store, url, out, timeout, new=False, interactive=True):
        super().__init__(client, store, url, timeout, new)
        self.out, self.interactive, self.failed = out, interactive, EXIT_OK

    def session(self):
        """The agent's session, read afresh (other processes may have written it)."""
        return self.store.load().get(self.url)

    def banner(self):
        client, context = self.client, self.session().context_id
        card = client.card
        skills = ", ".join(str(s.get("name") or s.get("id")) for s in card.get("skills") or []
                           if isinstance(s, dict))
        self.out.line(f"{card.get('name', 'Agent')}: {card.get('description', '')}".rstrip(": ")
                      + f"\nA2A {client.version} over {BINDING_NAMES[client.binding]} at "
                      f"{client.endpoint}{'; streams replies' if client.streaming else ''}\n"
                      f"Skills: {skills or 'none'}\n" + (
                          f"Continuing the saved conversation (context {context})"
                          if context and not self.new else "A new conversation")
                      + "\nType /help for commands; Ctrl-D leaves.")   # input() flushes it

    def run(self, read_line):
        """Read lines until the end; each is a message or a slash command."""
        while True:
            try:
                line = read_line()
            except (EOFError, KeyboardInterrupt):   # Ctrl-D or Ctrl-C at the prompt: leave
                self.out.line()
                break
            if line is None:
                break
            line = line.strip()   # a blank line is no turn; /quit ends the chat
            if line and (self.command if line[0] == "/" else self.turn)(line) == "quit":
                break
        return self.failed

    def turn(self, text):
        """One message and its reply: streamed when the agent streams; on a terminal, only
        its text, and whether the agent waits for an answer."""
        out, self.task, streamed = self.out, None, self.client.streaming
        terminal = self.interactive and not out.json
        try:
            result = deliver(self, out, compose_message([{"text": text}], self.session(),
                                                        new=self.new),
                             streamed, show=out.json and (lambda event: None),   # JSON: the result
                             ids=not self.interactive)
            task = result.get("task")
            if out.json:
                out.json_line(result)
            elif streamed:
                pass
            elif terminal:   # the text the agent said, if any
                out._lines(reply_text(task) if task else parts_text(result["message"]["parts"]))
            else:
                out.reply(result)
            if task:
                if terminal:
                    report_outcome(out, task)
                check_finished(task)
            self.saved()
        except KeyboardInterrupt:   # a reply is running: cancel its task, back to the prompt
            out.stream_end(None, ids=False)
            self.stop(self.task and self.task.get("id"))
        except HandlerError as exc:
            out.error(exc)
            self.failed = self.failed or exc.exit_code
        finally:
            self.store.unsaved = None   # slash commands save (and fail) as they go

    def stop(self, task_id):
        """Cancel a reply's task (Ctrl-C), saying how it went."""
        out = self.out
        out._newline()   # (a reply may be under way, in the TUI)
        if not task_id:
            return out.note("interrupted")
        try:
            task, warning = self.cancel(task_id)
        except HandlerError as exc:
            warning = f"could not cancel task {task_id}: {exc.message}"
        (out.warn if warning else out.note)(
            warning or f"canceled task {task_id} ({task_state(task)})")

    # -- slash commands
    def command(self, line):
        """/help, /card and /new; /session, and the commands of the session's task."""
        name, _, rest = line.partition(" ")
        out, client, rest = self.out, self.client, rest.strip()
        if name in ("/quit", "/exit"):
            return "quit"
        try:
            if name == "/help":
                return out.line(CHAT_HELP)
            if name == "/card":
                return out.card(client.card, client)
            if name == "/new":
                self.new = True
                return out.line("The next message starts a new conversation.")
            if name not in ("/session", "/task", "/cancel", "/history", "/save"):
                return out.line(f"Unknown command {name}; /help lists them.")
            session = self.session()
            task_id = session.task_id
            if name == "/session":
                return out.session(session)
            if not task_id:
                return out.line("No task yet: send a message first.")
            if name == "/save" and not rest:
                return out.line("Usage: /save DIR")
            if name == "/cancel":
                task, warning = self.cancel(task_id)
                out.task_ids(task)
                return warning and out.warn(warning)
            task = client.get_task(task_id)
            self.remember(task)
            if name == "/task":
                return out.task_ids(task)
            if name == "/save":
                return save_artifacts(task, _Options(save_artifacts=rest), out)
            tasks = [task]
            if client.v1 and session.context_id:   # the conversation's tasks, oldest first
                tasks = client.list_tasks(contextId=session.context_id,
                                          includeArtifacts=True)["tasks"][::-1]
            for each in tasks:   # its messages, then its artifacts (the agent's)
                for said in (each.get("history") or []) + (each.get("artifacts") or []):
                    out.line(f"{'you' if said.get('role') == 'ROLE_USER' else 'agent'}> "
                             f"{parts_text(said.get('parts'))}")
        except HandlerError as exc:
            out.error(exc)


def _prompt_reader(home):
    """input() with line editing and a history file (0600) when readline is there. The history is
    only read and written when it is this user's own regular file, never through a link."""
    path = os.path.join(home, "chat_history")

    def own(flags):
        import stat
        try:
            fd = open_own(path, flags)
        except (OSError, HandlerError):
            return False
        try:   # (then made 0600)
            st = os.fstat(fd)
            return stat.S_ISREG(st.st_mode) and st.st_uid == os.geteuid() and \
                not os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    try:
        import readline
        readline.read_history_file(path if own(os.O_RDONLY) else os.devnull)
        readline.set_history_length(1000)
    except OSError:
        pass
    except Exception:   # none, or PyPy's (pyrepl), which cannot drive some terminals (TERM=dumb)
        readline = None

    def save():
        try:
            if readline and own(os.O_RDONLY | os.O_CREAT):
                readline.write_history_file(path)
        except OSError:
            pass
    return lambda: input("you> "), save


# ============================================================================ tui
# `handler.py tui`: the whole picture of an agent on one screen, with curses. Tui is the state
# (the agents, each pane as the text an Output wrote, the input line, what each key does), built
# on chat and the service layer, and testable without a terminal; tui_draw() draws it. Network
# work runs on one worker thread; a cancel or a push registration during a reply on one of its
# own, so that they do not wait for the reply.

TUI_TABS = ("Chat", "Card", "Tasks", "Artifacts", "Auth", "Push", "Logs")
TUI_HELP = """Keys (letters act on an empty input line; in Chat with an agent only q, ? and 1-7)
Enter        send the message; Tasks: show the task picked; else open the agent picked
Ctrl-E       compose several lines: Enter adds a line, Ctrl-E again sends them
Ctrl-C       cancel the running reply's task on the agent; at rest, leave
q            leave
Tab, 1-7     the next tab (Shift-Tab: the one before), or tab N
Up, Down     pick an agent (Tasks: a task)
PgUp, PgDn   scroll
Esc          clear the input line (or the question asked)
?            this list
a            add an agent: its URL or @NAME
n            start a new conversation with this agent
c            cancel the task (Tasks: the one picked)
r            follow the task (resubscribe), into Chat
s            save the task's artifacts into a directory, as --save-artifacts does
b, k, x      set a bearer token, set an API key (never shown), clear them (the Auth tab)
p            start a webhook receiver on 127.0.0.1 and register it for the task (Push)
Slash commands work in Chat as in chat (/help lists them)."""

# keys that act whatever is typed, and on an empty input line the commands: key -> Tui method
TUI_KEYS = {"\t": "next_tab", "KEY_BTAB": "prev_tab", "KEY_PPAGE": "page_up",
            "KEY_NPAGE": "page_down", "KEY_UP": "up", "KEY_DOWN": "down", "\x03": "interrupt",
            "\x05": "compose", "\n": "enter", "\r": "enter", "KEY_ENTER": "enter",
            "\x7f": "erase", "\x08": "erase", "KEY_BACKSPACE": "erase", "\x1b": "escape"}
TUI_COMMANDS = {"q": "leave", "?": "keys", "a": "add", "n": "new", "c": "cancel", "r": "follow",
                "s": "save", "b": "bearer", "k": "api_key", "x": "clear_auth", "p": "push"}
# how lines that start so are drawn: curses colour pair (and bold when there are no colours)
TUI_MARKS = {"you> ": 1, "Error:": 2, "warning:": 3, "note:": 4}


def _daemon(target, *args):
    """target(*args) on a daemon thread of its own, started."""
    import threading
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _pane():
    """An Output that writes into a text buffer: a pane's content (sanitised as it is written)."""
    import io
    buf = io.StringIO()
    return Output(stdout=buf, stderr=buf)


class Tui:
    """What the TUI shows and what its keys do. args are tui's options (for each agent opened,
    with its URL); every pane is an Output writing into a buffer; the Logs pane also gets the
    warnings and every request and response, as --debug shows them."""
    tab, text, status = "Chat", "", ""   # (the state that starts so)
    scroll = pick = task_pick = 0
    height = 20   # the pane's, as last drawn (a page)
    chat = prompt = receiver = None
    busy = lines = done = colour = False
    listed = threads = ()   # the tasks listed, the threads of jobs aside (replaced, not changed)
    split = (None, ())   # ((the pane's buffer, its length), its lines) as last split

    def __init__(self, args):
        import queue
        self.args = args
        panes = self.panes = {name: _pane() for name in TUI_TABS + ("?",)}
        panes["?"].line(TUI_HELP)
        panes["Chat"].line("No agent yet: press a to add one (its URL or @NAME); ? lists the keys")
        logs = panes["Logs"]
        self.store = open_store(logs)
        self.named = {"@" + n: a["url"] for n, a in AgentStore(warn=logs.warn).load()
                      .agents.items()}
        self.added = []   # (open() sets tasks: the agent's of this session, by id)
        self.jobs = queue.Queue()
        _daemon(self._work)

    # -- state
    def agent_rows(self):
        """(@NAME or URL, its URL) of each agent on offer: those added, the named, the saved."""
        rows = {**{t: self.named.get(t, t) for t in self.added}, **self.named}
        known = {normalise_url(u) for u in rows.values()}
        rows.update((s.agent_url, s.agent_url) for s in self.store.list_all()
                    if s.agent_url not in known)
        return list(rows.items())

    def lines_of(self, tab):
        """A pane's lines, split again only when the pane has changed (it is drawn ten times a
        second, and Logs grows with every exchange)."""
        buf = self.panes[tab].out
        if self.split[0] != (buf, buf.tell()):
            self.split = (buf, buf.tell()), buf.getvalue().rstrip("\n").split("\n")
        return self.split[1]

    def conv(self):
        if not self.chat:
            raise usage_error("no agent yet: press a to add one (its URL or @NAME)")
        return self.chat

    def task_id(self):
        """The task a key is for: the one picked on Tasks, else the reply's (known before its
        session is saved), else the session's."""
        if self.tab == "Tasks" and self.listed:
            return self.listed[min(self.task_pick, len(self.listed) - 1)]["id"]
        chat = self.conv()
        return target_task(chat.session(), chat.task and chat.task.get("id"))

    def job(self, work, *args, aside=False):
        """work(*args) on the worker thread, one job at a time (aside: on a thread of its own)."""
        if aside:
            self.threads = [t for t in self.threads if t.is_alive()] + [
                _daemon(self._run, work, args)]
            return
        if self.busy:
            self.status = "busy: wait for the agent, or Ctrl-C"
            return
        self.busy = True
        self.jobs.put((work, args))

    def _work(self):
        while True:   # (nothing joins the queue)
            self._run(*self.jobs.get())
            self.busy = False

    def _run(self, work, args):
        try:
            self.status = ""
            work(*args)
        except Exception as exc:   # on the status line, never a traceback over the screen
            self.fail(exc)

    def fail(self, exc):
        self.status = "Error: " + (exc.message + (f"; {exc.hint}" if exc.hint else "")
                                   if isinstance(exc, HandlerError) else
                                   f"{type(exc).__name__}: {exc}")

    # -- what the worker does
    def open(self, target, new=False):
        """Connect to an agent (a URL or @NAME) and continue its saved conversation, as message
        send does (new: start a new one); the conversation so far from the agent."""
        args, logs = _Options(self.args, url=target, debug=True), self.panes["Logs"]
        url = require_url(args, logs)
        client, out = make_client(args, logs, self.store, cached=False).connect(), _pane()
        chat = Chat(client, self.store, url, out, args.timeout, new)
        out.error = lambda exc: (self.fail(exc), Output.error(out, exc))   # on the status line too
        context = not new and chat.session().context_id
        out.line(f"{client.card.get('name', 'Agent')} at {url}: " + (
            f"continuing the conversation {context}" if context else "a new conversation"))
        if context:
            chat.command("/history")
        self.chat, self.panes["Chat"], self.tasks, chat.target = chat, out, {}, target
        self.added += [target] * (target not in self.added)
        self._fill("Card")

    def _turn(self, text):
        chat = self.conv()
        chat.out.line("you> " + text)
        if (chat.command if text[:1] == "/" else chat.turn)(text) == "quit":
            self.done = True
        if chat.task:
            self.tasks[chat.task["id"]] = chat.task

    def _fill(self, tab, *args):
        """A pane made afresh by _tab(pane, *args): Card, Tasks, Artifacts or Auth."""
        pane = _pane()
        getattr(self, "_" + tab.lower())(pane, *args)
        self.panes[tab] = pane

    def _card(self, pane):
        client = self.conv().client
        pane.card(client.card, client)
        pane.line()
        pane.validation(client.url, *validate_card(client.card))

    def _tasks(self, pane, shown=None):
        """ListTasks (agents without it: this session's tasks), and the task shown, if any."""
        chat = self.conv()
        try:
            result = chat.client.list_tasks()
        except HandlerError:
            result = {"tasks": [*self.tasks.values()][::-1]}
        self.listed = result["tasks"]
        pane.tasks(result, PROG + " task list --page-token {}")
        if shown:
            chat.remember_task(shown)
            pane.line()
            show_task(pane, shown)

    def _artifacts(self, pane, directory=None):
        """The task's artifacts: text in full, a file or data part on a line of its own; saved
        into directory as --save-artifacts does, if given."""
        task = self.conv().client.get_task(self.task_id())
        for artifact in task.get("artifacts") or []:
            pane.line(f"[{artifact.get('name') or artifact.get('artifactId')}]\n"
                      f"{parts_text(artifact.get('parts'))}")
        if not task.get("artifacts"):
            pane.line(f"Task {task['id']} has no artifacts")
        save_artifacts(task, _Options(save_artifacts=directory), pane)

    def _auth(self, pane):
        session = self.conv().session()
        pane.credentials([session] if session.credentials or session.client_cert else [])
        pane.line("b: set a bearer token, k: an API key (header X-API-Key), x: clear them")

    def _credentials(self, kind, value=""):
        """Store credentials of kind for the agent (none: clear them), then connect again."""
        chat = self.conv()
        if kind:
            self.store.set_credentials(chat.url, AuthCredentials(kind, value.strip()))
        else:
            self.store.clear_credentials(chat.url)
        self.open(chat.target)
        self._fill("Auth")

    def _receive(self, port):
        """Start the webhook receiver (once), and register it for the task."""
        pane = self.panes["Push"]
        if not self.receiver:
            self.receiver = make_push_server("127.0.0.1", _number(int, 0, 65535)(
                port.strip() or "0", "the port"), None, pane.notification, pane.warn)
            _daemon(self.receiver.serve_forever, 0.2)
            pane.line("Receiving push notifications on http://127.0.0.1:%d/"
                      % self.receiver.server_address[1])
        show, *shown = push_operation(self.conv().client, "set", self.task_id(), config={
            "url": "http://127.0.0.1:%d/" % self.receiver.server_address[1]})
        show(pane, *shown)

    def close(self):
        if self.receiver:
            self.receiver.shutdown()
            self.receiver.server_close()

    # -- keys
    def key(self, k):
        """Do what key k does (a character, or a curses key name such as KEY_PPAGE); whether
        to leave."""
        try:
            name = TUI_KEYS.get(k)
            if not (name or self.text or self.prompt) and (
                    self.tab != "Chat" or not self.chat or k in "q?1234567"):
                if k in "1234567":
                    return self.show(TUI_TABS["1234567".index(k)])
                name = TUI_COMMANDS.get(k)
            if name:
                getattr(self, name)()
            elif len(k) == 1 and k.isprintable():
                self.text += k
        except Exception as exc:
            self.fail(exc)
        return self.done

    def ask(self, label, *job, secret=False, aside=False):
        """Ask for a line on the input line (a secret is not shown), then job(*job, answer)."""
        self.prompt, self.text = (label, secret, job, aside), ""

    def show(self, tab):
        """Switch to a tab, its content fetched afresh (Card, Tasks, Artifacts, Auth)."""
        self.tab, self.scroll = tab, 0
        if self.chat and hasattr(self, "_" + tab.lower()):
            self.job(self._fill, tab, aside=True)

    def next_tab(self, step=1):
        self.show(TUI_TABS[(TUI_TABS.index(self.tab) + step if self.tab in TUI_TABS else 0)
                           % len(TUI_TABS)])

    def prev_tab(self):
        self.next_tab(-1)

    def page_up(self, step=1):
        self.scroll = max(0, self.scroll + step * max(1, self.height - 1))

    def page_down(self):
        self.page_up(-1)

    def up(self, step=-1):
        if self.tab == "Tasks":
            self.task_pick = max(0, min(self.task_pick + step, len(self.listed) - 1))
        else:
            self.pick = max(0, min(self.pick + step, len(self.agent_rows()) - 1))

    def down(self):
        self.up(1)

    def interrupt(self):
        """Ctrl-C: cancel the running reply's task on the agent (as chat does); at rest, leave."""
        task = self.chat and self.chat.task
        if not self.busy:
            self.done = True
        elif task and not settled(task):
            self.job(self.chat.stop, task["id"], aside=True)
            self.status = f"canceling task {task['id']}"
        else:
            self.status = "no task to cancel yet"

    def compose(self):
        """Ctrl-E: compose several lines; again: send them."""
        if self.lines and self.text.strip():
            self.lines = False
            return self.enter()
        self.lines = not self.lines

    def enter(self):
        rows, prompt, text = self.agent_rows(), self.prompt, self.text
        if prompt:
            self.prompt, self.text = None, ""
            return self.job(*prompt[2], text, aside=prompt[3])
        if self.lines:
            self.text += "\n"
        elif text.strip():
            self.show("Chat")
            self.text = text * self.busy   # (kept when it cannot be sent yet)
            self.job(self._turn, text)
        elif self.tab == "Tasks":
            self.job(self._fill, "Tasks", self.conv().client.get_task(self.task_id()))
        elif rows and not (self.chat and normalise_url(rows[self.pick][1]) == normalise_url(
                self.chat.url)):
            self.show("Chat")
            self.job(self.open, rows[self.pick][0])

    def erase(self):
        self.text = self.text[:-1]

    def escape(self):
        self.text, self.prompt, self.lines = "", None, False

    def leave(self):
        self.done = True

    def keys(self):
        self.show("?")

    def add(self):
        self.ask("agent URL or @NAME: ", lambda target: self.open(target.strip()))

    def new(self):
        chat = self.conv()
        self.show("Chat")
        chat.command("/new")

    def cancel(self):
        self.job(self.conv().stop, self.task_id(), aside=True)

    def follow(self):
        chat, task_id = self.conv(), self.task_id()
        self.show("Chat")
        self.job(lambda: stream_reply(chat, chat.client.resubscribe(task_id), chat.out,
                                      ids=False))

    def save(self):
        self.ask("save the artifacts into directory: ", self._fill, "Artifacts")

    def bearer(self):
        self.ask("bearer token (not shown): ", self._credentials, "bearer", secret=True)

    def api_key(self):
        self.ask("API key (not shown): ", self._credentials, "api_key", secret=True)

    def clear_auth(self):
        self.job(self._credentials, None)

    def push(self):
        self.conv()
        self.show("Push")
        self.ask("webhook receiver port (empty: any free one): ", self._receive, aside=True)


def tui_draw(screen, tui, curses):
    """Draw the Tui: the agents (a column from 100 columns on, else a bar on top), the tabs, the
    pane, the status line and the input line. Every text is sanitised as it is put."""
    h, w = screen.getmaxyx()
    screen.erase()
    left = 24 * (w >= 100)

    def put(y, x, text, attr=0):
        try:
            screen.addnstr(y, x, visible(text.replace("\t", " ").replace("\n", " ")), w - x, attr)
        except curses.error:   # beyond the screen (x >= w too), or its last cell
            pass
    x = y = 0
    chat = tui.chat
    current = chat and normalise_url(chat.url)
    for i, (target, url) in enumerate(tui.agent_rows()):   # each with its task's last state
        label = f"{'*' if normalise_url(url) == current else ' '}{target} "
        state = f"{tui.store.get(url).task_state or '-'} "
        attr = curses.A_REVERSE * (i == tui.pick)
        if left:   # (its state on a line of its own)
            y += 2
            put(y - 1, 0, label[:left - 1], attr)
            put(y, 2, state[:left - 3])
        else:
            put(0, x, label, attr)
            put(0, x + len(label), state)
            x += len(label + state)
    top = 2 - bool(left)
    x = left
    for i, tab in enumerate(TUI_TABS, 1):
        put(top - 1, x, f" {i} {tab} ", curses.A_REVERSE * (tab == tui.tab))
        x += len(tab) + 4
    tui.height = height = max(1, h - top - 2)
    import textwrap
    source = tui.lines_of(tui.tab)   # (only the last lines that can show are wrapped)
    start = max(0, len(source) - height - tui.scroll)
    lines = [(n, part) for n, line in enumerate(source[start:], start)
             for part in textwrap.wrap(line, max(1, w - left)) or [""]]
    over = max(0, len(lines) - height)   # the lines above the pane at the end
    tui.scroll = min(tui.scroll, over)
    for y, (n, line) in enumerate(lines[over - tui.scroll:][:height]):
        mark = next((v for k, v in TUI_MARKS.items() if line.startswith(k)), 0)
        put(top + y, left, line, (mark and (curses.color_pair(mark) if tui.colour else
                                            curses.A_BOLD)) | curses.A_REVERSE * (
            tui.tab == "Tasks" and n == tui.task_pick and n < len(tui.listed)))
    state = chat and tui.store.get(chat.url).task_state
    put(h - 2, 0, (f" {'|/-'[int(monotonic() * 8) % 3] if tui.busy else ' '} " + (
        f"{chat.client.card.get('name', 'Agent')} (A2A {chat.client.version})"
        + (f", task {state}" if state else "") if chat else "no agent") + " | "
        + (tui.status or ("compose: Enter adds a line, Ctrl-E sends" if tui.lines else
                          "? keys, q leaves"))).ljust(w), curses.A_REVERSE)
    label, secret, *_ = tui.prompt or ("> ", False)
    typed = "" if secret else tui.text.split("\n")[-1]
    put(h - 1, 0, label + typed[-(w - len(label) - 1):])
    try:
        screen.move(h - 1, min(w - 1, len(label) + len(typed)))
    except curses.error:
        pass
    screen.refresh()


def tui_loop(screen, tui):
    """Keys read with a 0.1 s timeout and the screen redrawn between them (on resize too); Ctrl-C
    is key 3 whether it comes as one (raw) or as SIGINT. Colours only when the terminal has them
    and NO_COLOR is unset (else bold and reverse: usable on a vt100)."""
    import curses
    curses.noecho()
    curses.raw()
    screen.keypad(True)
    tui.colour = curses.has_colors() and "NO_COLOR" not in os.environ
    if tui.colour:
        curses.start_color()
        curses.use_default_colors()
        for pair, colour in enumerate(("CYAN", "RED", "YELLOW", "GREEN"), 1):
            curses.init_pair(pair, getattr(curses, "COLOR_" + colour), -1)
    screen.timeout(100)
    while not tui.done:
        try:
            # the size, each time: curses missed a resize now and then under load (no KEY_RESIZE)
            size = os.get_terminal_size()   # (of stdout, fd 1)
            if (size.lines, size.columns) != screen.getmaxyx():
                curses.resizeterm(size.lines, size.columns)
            tui_draw(screen, tui, curses)
            k = screen.get_wch()
            tui.key(curses.keyname(k).decode() if isinstance(k, int) else k)
        except KeyboardInterrupt:
            tui.key("\x03")
        except curses.error:   # no key within the timeout
            pass


# ============================================================================ command line



def require_url(args, out, needed=True):
    """The agent URL every command, chat and the MCP tools use: the agent_url argument, else --url,
    else $HANDLER_URL (None if not needed and none is given). @NAME is the URL of the agent stored
    as NAME; its transport and headers go into args (--transport, $HANDLER_TRANSPORT and -H
    win)."""
    url = _pick("url", ("flag", args.agent_url or args.url or None),
                ("environment HANDLER_URL", os.environ.get("HANDLER_URL") or None),
                ("default", "")).strip()
    if url[:1] == "@":
        agent = AgentStore(warn=out.warn).find(url[1:])
        url = agent["url"]
        args.update(url=url, agent_transport=agent["transport"],
                    header=agent["headers"] + (args.header or []),   # stored: never logged
                    agent_headers=[h.partition(":")[0].strip() for h in agent["headers"]])
    import re   # host:port[/path] means http:// on loopback, else https:// (as curl users expect)
    bare = re.fullmatch(r"(\[::1]|localhost|127\.[\d.]+|([\w.-]+|\[[\w:]+])):\d+(/\S*)?", url)
    if bare:
        url = ("https://" if bare[2] else "http://") + url
    if url:
        normalise_url(url)   # fails early, with a clear line, on a URL that is not one
        return url
    if needed:   # else None
        raise usage_error("no agent URL: give --url or set HANDLER_URL",
                          f"for example: {PROG} {args.command} {args.action} "
                          "--url http://127.0.0.1:8000")


def read_secret(value, what):
    """A secret given on the command line, or read from stdin when it is '-'."""
    if value == "-":
        value = sys.stdin.readline() if sys.stdin else ""
    elif _LITERAL:
        _LITERAL.pop()()
    value = value.strip()   # never None: check_options saw to it
    if not value:
        raise usage_error(f"{what} is empty", "pass it, or '-' and pipe it on stdin")
    return value


_LITERAL = []   # the warning about secrets given literally, said when the first of them is read


def check_secrets(args, out):
    """Secrets on the command line: a warning when one given literally is used (any user of the
    machine can read it in /proc/PID/cmdline; `docker login -p` warns too), and one reader of
    stdin at most: a secret given as '-', --data -, or the message."""
    given = [(f"--{name.replace('_', '-')}", args.get(name)) for name in SECRET_OPTIONS]
    literal = ", ".join(flag for flag, value in given if value not in (None, "-"))
    more = "" if args.command in ("auth", "server") else \
        ", or $HANDLER_BEARER_TOKEN / $HANDLER_API_KEY, or a stored credential (auth set)"
    _LITERAL[:] = [lambda: out.warn(f"{literal} on the command line can be read by any user of "
                                    f"this machine (ps); use '-' to read it from stdin{more}")
                   ] if literal else []
    readers = [flag + " -" for flag, value in given if value == "-"] + \
        ["--data -"] * (args.parts or []).count([data_part, "-", None]) + \
        ["the message"] * _text_on_stdin(args)
    if len(readers) > 1:
        raise usage_error(f"stdin cannot be both {readers[0]} and {readers[1]}",
                          "give the message as TEXT, or a secret in its HANDLER_* variable")


def redact_argv(text, argv):
    """text with every secret that argv holds (a secret option's value, a secret header's
    value) shown as ***: usage errors quote what they could not use."""
    import re
    found = []
    for arg, after in zip(argv, argv[1:] + [""]):
        flag, eq, value = ("-H", 1, arg[2:]) if arg[:2] == "-H" != arg else arg.partition("=")
        value = value if eq else after
        name, _, content = value.partition(":")
        if flag in ("-H", "--header") and is_secret_header(name):
            found.append(content.strip() or value)
        elif flag[2:].replace("-", "_") in SECRET_OPTIONS:
            found.append(value)
    for secret in sorted(set(found) - {"", "-"}, key=len, reverse=True):
        text = text and re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return text


MAX_FILE = 10 * 1024 * 1024   # the largest file sent inline


def _text_on_stdin(args):
    """Whether TEXT is read from stdin: when '-', or when absent, stdin is not a terminal and no
    --data - reads it (a command without TEXT: never)."""
    text = args.get("text", "")
    return text == "-" or text is None and [data_part, "-", None] not in (args.parts or []) \
        and sys.stdin is not None and not _is_tty(sys.stdin)


def read_message_parts(args):
    """The message's parts: TEXT first, then --file, --file-url and --data in their command-line
    order (each read by the function the option names)."""
    text = sys.stdin.read().rstrip("\r\n") if _text_on_stdin(args) else args.text
    parts = [{"text": text}] if text and text.strip() else []
    parts += [read(value, media_type) for read, value, media_type in args.parts or []]
    if not parts:
        raise usage_error("no message to send: give TEXT, or pipe it on stdin",
                          f'for example: {PROG} message send --url URL "Hello"')
    return parts


def _media_type(name, given):
    import mimetypes
    return given or mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_part(path, media_type):
    import base64
    try:
        size = os.path.getsize(path)
        if size > MAX_FILE:
            raise usage_error(f"--file {path} is {size} bytes; files sent inline may be at most "
                              "10 MiB",
                              "put it somewhere the agent can fetch it and use --file-url")
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise usage_error(f"cannot read --file {path}: {exc.strerror or exc}") from None
    name = os.path.basename(path)
    return {"raw": base64.b64encode(data).decode("ascii"), "filename": name,
            "mediaType": _media_type(name, media_type)}


def url_part(url, media_type):
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ftp", "data", "s3", "gs"):
        raise usage_error(f"--file-url {url!r} is not a URL")
    name = os.path.basename(parts.path)
    part = {"url": url, "mediaType": _media_type(name, media_type)}
    return {**part, "filename": name} if name else part


def data_part(value, media_type):
    """--data JSON, @path (a file) or - (stdin)."""
    try:
        if value == "-":
            text = sys.stdin.read()
        elif value.startswith("@"):
            with open(value[1:], encoding="utf-8") as f:
                text = f.read()
        else:
            text = value
        return {"data": loads(text)}
    except OSError as exc:
        raise usage_error(f"cannot read --data {value}: {exc.strerror or exc}") from None
    except JSON_ERRORS as exc:
        raise usage_error(f"--data {value[:40]!r} is not valid JSON: {exc}") from None


def parse_headers(values):
    headers = {}
    for value in values or []:
        name, sep, content = value.partition(":")
        if not sep or not name.strip() or any(c in name for c in " \t\r\n") or "\n" in content:
            raise usage_error(f"invalid header {value!r}: expected 'Name: Value'")
        headers[name.strip()] = content.strip()
    return headers


def pick_credentials(args, session):
    """Credentials for one call: a flag, else the environment, else what is stored."""
    args, env = args or _Options(), os.environ   # args is None for the MCP server
    token, key = args.bearer_token, env.get("HANDLER_BEARER_TOKEN")
    return _pick("credentials", ("flag", token and AuthCredentials(
        "bearer", read_secret(token, "--bearer-token")) or args.api_key and AuthCredentials(
        "api_key", read_secret(args.api_key, "--api-key"), args.api_key_header) or None),
        ("environment", key and AuthCredentials("bearer", key) or env.get("HANDLER_API_KEY") and
         AuthCredentials("api_key", env["HANDLER_API_KEY"], env.get("HANDLER_API_KEY_HEADER"))
         or None),
        ("stored for this agent", session and session.credentials), ("default", None))


def _setting(args, name, env=None, stored=None, default=None):
    """A setting: the flag, else its HANDLER_* variable, else what is stored for the agent, else
    the default (where it came from: SOURCES[name])."""
    return _pick(name, ("flag", args.get(name)),
                 (f"environment {env}", env and os.environ.get(env) or None),
                 ("stored for this agent", stored), ("default", default))


def make_transport(args, out, session=None):
    """The transport that the global connection options (or their HANDLER_* variables, or
    the client certificate stored for the agent) describe."""
    retries = _number(int, 0, MAX_RETRIES)(   # HANDLER_RETRIES: the rule of --retries
        _setting(args, "retries", "HANDLER_RETRIES", default=2), "HANDLER_RETRIES")
    stored = session and session.client_cert or {}
    cert = _setting(args, "cert", "HANDLER_CERT", stored.get("cert"))
    key = _setting(args, "key", "HANDLER_KEY",
                   cert == stored.get("cert") and stored.get("key"))
    if key and not cert:
        raise usage_error("--key needs --cert (the client certificate it belongs to)")
    transport = Transport(args.timeout, out.debug if args.debug else None, retries,
                     parse_size(_setting(args, "max_response", "HANDLER_MAX_RESPONSE",
                                         default=MAX_BODY)),
                     _setting(args, "ca_file", "HANDLER_CA_FILE"), cert, key,
                     str(_setting(args, "insecure", "HANDLER_INSECURE", default=False)).lower()
                     in ("1", "true", "yes"), out.warn,
                     _setting(args, "record", "HANDLER_RECORD"))
    transport.secrets.update(args.agent_headers or ())
    return transport


def transport_order(args):
    """--transport (repeatable) or HANDLER_TRANSPORT=jsonrpc,http+json: bindings in the
    order to prefer them (else those stored for @NAME); None to follow the agent's order."""
    names = _setting(args, "transport", "HANDLER_TRANSPORT", args.agent_transport or None) or []
    if isinstance(names, str):
        names = [n.strip().lower() for n in names.split(",") if n.strip()]
    for name in names:
        if name not in ("jsonrpc", "http+json"):
            raise usage_error(f"unknown transport {name!r}", "use jsonrpc or http+json")
    return [n.upper() for n in names] or None


def make_client(args, out, store=None, cached=True):
    """The client for --url, with the credentials and (when cached) the card kept in its session
    in store; renewed OAuth2 tokens and fetched cards are saved there."""
    url = require_url(args, out)
    session = store and store.get(url)
    creds = pick_credentials(args, session)

    def save(renewed):
        if store and creds is session.credentials:
            store.set_credentials(url, renewed)

    def keep(card):   # at best; a new agent's card waits for the first save of its session
        if store and (card or session.card):
            store.cards[session.agent_url] = card
            try:
                session.agent_url in store.sessions and store.update(url)
            except HandlerError:
                pass
    return A2AClient(url, make_transport(args, out, session), parse_headers(args.header), creds,
                     out.warn, save, transport_order(args), cached and session and session.card,
                     keep)


def open_store(out):
    return SessionStore(warn=out.warn).load()


def report_outcome(out, task, url=None):
    """Warn of a task that failed, was rejected or canceled; tell of one that waits for an
    answer how to give it (from chat: its next line, without url)."""
    state = task_state(task)
    if state in ("failed", "rejected", "canceled"):
        out.warn(f"the task ended {state}")
    elif state in INTERRUPTED_STATES:   # auth-required: credentials first, then go on
        how = "you; answer with" if state[0] == "i" else "credentials: store them with " \
            f"{PROG} auth set --url {url} (or give --bearer-token or --api-key), then go on with"
        out.note(f"the task is {state}: the agent waits for {how} {PROG} message "
                 f"send --url {url} --context-id {task.get('contextId')} --task-id "
                 f'{task.get("id")} "..."' if url else
                 f"the agent waits for your answer ({state}); your next line answers it")


def deliver(conv, out, message, stream, push=None, async_=False, show=None, ids=True):
    """Send a message once its session can be saved: streamed (each event to show, by default
    as it comes) or waited for under a spinner; {"task": ...} or {"message": ...}."""
    conv.check_saving()
    if not stream:
        with out.busy("waiting for the agent"):
            return conv.send(message, async_, push)
    out.answering(message.get("taskId"))
    return stream_reply(conv, conv.client.stream_message(message, push), out, show, ids)


def stream_reply(conv, events, out, show=None, ids=True):
    task, reply = conv.stream(events, show or out.event)
    out.stream_end(task, reply, ids=ids)
    return {"task": task} if task else {"message": reply}


def finish(conv, task, out, args):
    """The command line's end of a reply shown: the task's artifacts saved and its outcome told
    (unless --async), a failed save raised."""
    if task:
        save_artifacts(task, args, out)
        if not args.async_:
            check_finished(task)
            report_outcome(out, task, conv.url)
    conv.saved()


def cmd_message_send(args, out):
    url = require_url(args, out)
    parts = read_message_parts(args)
    push = args.push_url and webhook_config(args.push_url, args.push_token)
    store = None if args.no_session else open_store(out)
    message = compose_message(parts, store and store.get(url), args.context_id, args.task_id,
                              args.new)
    conv = Conversation(make_client(args, out, store).connect(), store, url, args.timeout)
    wanted = args.stream or args.action == "stream"
    stream = wanted and conv.client.streaming
    if wanted and not stream:
        out.warn("the agent card does not offer streaming; waiting for the whole reply instead")
    result = deliver(conv, out, message, stream, push, args.async_)
    if not stream:
        out.reply(result)
    finish(conv, result.get("task"), out, args)


def webhook_config(url, token=None):
    if not _is_http_url(url):
        raise usage_error(f"webhook URL {url!r} is not an http(s) URL")
    config = {"url": url}
    if token:
        config["token"] = read_secret(token, "the notification token")
    return config


def safe_name(name, fallback):
    """A file name from the agent made safe: no directories, no leading dots, no odd characters."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c if c.isalnum() or c in " ._-+()" else "_" for c in name)
    return name.strip(" .") or fallback


def name_variants(directory, name, limit=255):
    """directory/name, then name-1, name-2 ... each cut to `limit` bytes of UTF-8 (the file
    system's NAME_MAX) at a whole character, keeping an extension of up to 16 bytes."""
    stem, ext = os.path.splitext(name)
    if len(ext.encode()) > 16:
        stem, ext = name, ""
    for k in range(10000):
        tail = (f"-{k}" if k else "") + ext
        yield os.path.join(directory, stem.encode()[:limit - len(tail.encode())].decode(
            "utf-8", "ignore") + tail)


def save_artifacts(task, args, out):
    """--save-artifacts DIR: each artifact's parts as files (text and data too). A name already
    taken gets a free variant (report-1.pdf); --force replaces it instead (atomically, a symbolic
    link itself and never its target). On a failure every file this run made is removed again:
    all or nothing."""
    directory = args.save_artifacts
    if not directory:
        return
    import base64
    import itertools
    import mimetypes
    plan = []
    for n, artifact in enumerate(task.get("artifacts") or [], 1):
        base = safe_name(artifact.get("name") or artifact.get("artifactId"), f"artifact-{n}")
        # consecutive text parts are one text (streamed chunks); any other part is one on its own
        groups = [list(group) for _, group in itertools.groupby(
            artifact.get("parts") or [], lambda part: "text" in part or object())]
        for i, group in enumerate(groups, 1):
            stem, part = base + (f"-{i}" if len(groups) > 1 else ""), group[0]
            if "text" in part or "data" in part:
                plan.append((stem + ".txt", parts_text(group).encode()) if "text" in part else
                            (stem + ".json",
                             json.dumps(part["data"], indent=2, ensure_ascii=False).encode()))
            elif "raw" in part:
                try:
                    data = base64.b64decode(str(part["raw"]), validate=True)
                except ValueError:
                    raise bad_response(f"artifact {base} holds a file that is not valid "
                                       "base64") from None
                plan.append((safe_name(part.get("filename"), stem + (
                    mimetypes.guess_extension(part.get("mediaType") or "") or ".bin")), data))
            elif "url" in part:
                out.note(f"artifact {base}: not downloaded: {part['url']}")
    # each file is created (O_EXCL, never through a symbolic link, so two runs never take one
    # name); with --force as a temp file, renamed over its name at the end
    claimed, saved = [], []   # the files this run made; with --force, where each part ends up
    try:
        os.makedirs(directory, exist_ok=True)
        try:
            limit = os.pathconf(directory, "PC_NAME_MAX")
        except (OSError, ValueError):
            limit = 255
        for name, data in plan:
            paths = name_variants(directory, name, limit)
            if args.force:
                saved.append(next(p for p in paths if p not in saved and not os.path.isdir(p)))
                paths = name_variants(directory, f".handler-{os.getpid()}.tmp")
            for path in paths:
                try:
                    fd = open_own(path, mode=0o666)
                    break
                except FileExistsError:
                    pass
            else:
                raise HandlerError(f"no free name like {name} left in {directory}")
            claimed.append(path)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        for temp, path in zip(claimed, saved):
            os.replace(temp, path)
    except BaseException as exc:
        for path in claimed:
            try:
                os.unlink(path)
            except OSError:
                pass
        if not isinstance(exc, OSError):
            raise
        name = exc.filename2 or exc.filename
        where = f" ({os.path.basename(name)})" if name else ""
        raise HandlerError(f"cannot save artifacts in {directory}: {exc.strerror or exc}{where}",
                           hint="nothing was saved") from None
    for path in saved or claimed:
        out.note(f"saved {path}")


def cmd_card_get(args, out):
    path = (args.url or "").removeprefix("file://")
    if os.path.isfile(path):   # a card saved in a file: read, no network
        with open(path, "rb") as f:
            card = f.read()
        try:
            card = loads(card)
        except JSON_ERRORS:
            pass
        if not isinstance(card, dict):
            raise HandlerError(f"agent card at {path} is not a JSON object", EXIT_FAILURE,
                               "A2ACLI_ERR_CARD_INVALID")
        return out.card(card, A2AClient)   # its class attributes: no interface chosen
    client = make_client(args, out, open_store(out))
    card = client.fetch_card()
    try:
        client.connect()
    except HandlerError as exc:
        if args.extended:
            raise
        if not out.json:
            out.warn(exc.message)
    if args.extended:
        card = client.extended_card()
    out.card(card, client)


def cmd_card_validate(args, out):
    if args.file:   # else --url or $HANDLER_URL (check_options saw one)
        source = args.file
        try:
            with open(source, "rb") as f:
                body = f.read()
        except OSError as exc:
            raise usage_error(f"cannot read --file {source}: {exc.strerror or exc}") from None
    else:
        response = make_client(args, out, open_store(out), cached=False).card_response()
        source, body = response.url, response.body
    version, problems = validate_card_bytes(body)
    out.validation(source, version, problems)
    return EXIT_FAILURE if problems else EXIT_OK


def task_target(args, out):
    """(conversation, task id) of a task command: the id given, else the one saved in the
    session for --url."""
    url = require_url(args, out)
    store = open_store(out)
    task_id = target_task(store.get(url), args.task_id)
    return Conversation(make_client(args, out, store), store, url, args.timeout), task_id


def cmd_task_get(args, out):
    conv, task_id = task_target(args, out)
    task = conv.client.get_task(task_id, args.history_length)
    if args.wait and not settled(task):
        out.note(f"waiting for task {task_id} (now {task_state(task)}); Ctrl-C stops waiting")
        task = conv.wait(task, args.poll_interval, max(args.poll_interval, 5.0),
                         args.history_length, save=False)
    conv.remember_task(task)
    show_task(out, task)
    save_artifacts(task, args, out)
    report_outcome(out, task, conv.url)


def cmd_task_list(args, out):
    status = args.status and wire_state(args.status)
    if status and short_state(status) not in TERMINAL_STATES + INTERRUPTED_STATES + (
            "submitted", "working"):
        raise usage_error(f"unknown --status {args.status!r}",
                          "use e.g. working, completed, input-required")
    client = make_client(args, out, open_store(out))
    query = {"contextId": args.context_id, "status": status, "pageSize": args.page_size}
    result = client.list_tasks(**query, pageToken=args.page_token)
    tasks, seen = result["tasks"], set()
    while args.all and result.get("nextPageToken") and len(seen) < 10000:
        token = result["nextPageToken"]
        if token in seen:
            raise bad_response("the agent returned the same page token twice")
        seen.add(token)
        result = client.list_tasks(**query, pageToken=token)
        tasks += result["tasks"]
    if args.all:
        result.pop("pageSize", None)
        result.update(tasks=tasks, nextPageToken="")
    out.tasks(result)


def cmd_task_cancel(args, out):
    conv, task_id = task_target(args, out)
    task, warning = conv.cancel(task_id)
    show_task(out, task, True)
    if warning:
        out.warn(warning)


def cmd_task_resubscribe(args, out):
    conv, task_id = task_target(args, out)
    finish(conv, stream_reply(conv, conv.client.resubscribe(task_id), out).get("task"), out, args)


def cmd_task_notification(args, out):
    conv, task_id = task_target(args, out)
    config = args.webhook_url and webhook_config(args.webhook_url, args.token)   # set only
    if args.auth_scheme:
        config["authentication"] = {"scheme": args.auth_scheme, "credentials": read_secret(
            args.auth_credentials, "--auth-credentials")}
    show, *shown = push_operation(conv.client, args.op, task_id, args.config_id, config)
    show(out, *shown)


def cmd_session_list(args, out):
    out.sessions(open_store(out).list_all(), AgentStore(warn=out.warn).load().agents)


def cmd_session_show(args, out):
    url = require_url(args, out, False)
    if not url:
        raise usage_error("session show needs an agent URL",
                          f"for example: {PROG} session show http://127.0.0.1:8000")
    out.session(open_store(out).get(url))


def _said(removed):
    """{URL: what was removed} as people read it: "http://a (context, task), http://b (...)"."""
    return ", ".join(f"{key} ({', '.join(what)})" for key, what in removed.items())


def cmd_session_clear(args, out):
    url = None if args.all else normalise_url(require_url(args, out))
    removed = open_store(out).clear(url, args.keep_credentials)
    out.done(("Cleared session for " if url else "Cleared all sessions: ") + _said(removed)
             if removed else (f"No session stored for {url}" if url else "No sessions stored")
             + "; nothing cleared",
             {"cleared": url or "all", "removed": removed.get(url, []) if url else removed})


def cmd_session_prune(args, out):
    before = int(time.time() - args.older_than * 86400)
    removed = open_store(out).clear(None, not args.all_data, before)
    since = time.strftime(STAMP, time.gmtime(before))
    out.done(f"Pruned sessions not used since {since}: {_said(removed)}" if removed else
             f"No sessions unused since {since}; nothing pruned", {"before": since,
                                                                  "removed": removed})


def cmd_auth_set(args, out):
    url = normalise_url(require_url(args, out))
    creds = cert = shown = None
    said = []
    if args.bearer_token is not None:
        creds = AuthCredentials("bearer", read_secret(args.bearer_token, "--bearer-token"))
        kind = "bearer token"
    elif args.api_key is not None:
        creds = AuthCredentials("api_key", read_secret(args.api_key, "--api-key"),
                                args.header_name)
        kind = f"API key (header {args.header_name or 'X-API-Key'})"
    elif args.oauth2_token_url:
        check_token_url(args.oauth2_token_url)
        creds = AuthCredentials("oauth2", "", None, {
            "token_url": args.oauth2_token_url, "client_id": args.client_id,
            "client_secret": read_secret(args.client_secret, "--client-secret"),
            "scopes": args.scope or []})
        kind = f"OAuth2 client {args.client_id} at {args.oauth2_token_url}"
    if creds:
        shown = creds.value and mask_secret(creds.value) or None
        said = [f"{kind} for {url}" + (f": {shown}" if shown else "")]
    if args.cert:   # paths only; the key must be private, as ssh wants
        cert = {"cert": os.path.abspath(args.cert),
                "key": os.path.abspath(args.key) if args.key else None}
        Transport(**cert).tls()
        said.append(f"client certificate {cert['cert']} for {url}")
    open_store(out).update(url, credentials=creds, client_cert=cert)
    out.done("Stored " + "; ".join(said), {
        "agent_url": url, "auth_type": creds and creds.auth_type,
        "header_name": creds and creds.header_name, "value": shown, "client_cert": cert})


def cmd_auth_login(args, out):
    url = require_url(args, out)
    store = open_store(out)
    client = make_client(args, out, store)
    flow = device_flow(client.fetch_card())
    if flow is None:
        raise HandlerError("the agent card declares no OAuth2 scheme with a device code flow",
                           EXIT_FAILURE, "A2ACLI_ERR_CARD_INVALID",
                           f"for a client secret use: {PROG} auth set --oauth2-token-url")
    old = store.get(url).credentials
    client_id = args.client_id or old and (old.oauth or {}).get("client_id")
    if not client_id:
        raise usage_error("auth login needs --client-id (the agent's OAuth2 client id for Handler)")
    oauth = device_login(client.transport, flow[0], flow[1], client_id, args.scope or flow[2],
                         lambda line: out._stderr("sign in:", "1;33", line))
    store.set_credentials(url, AuthCredentials("oauth2", oauth.pop("access_token"), None, oauth))
    out.credentials([store.get(url)], f"Signed in to {normalise_url(url)}: ")


def cmd_auth_show(args, out):
    store = open_store(out)
    url = require_url(args, out, False)
    sessions = [store.get(url)] if url else store.list_all()
    out.credentials([s for s in sessions if s.credentials or s.client_cert])


def cmd_config_show(args, out):
    """Every setting as a call to --url would have it, and where it came from: each picked by
    the code that picks it for that call (which keeps its source in SOURCES); nothing is sent."""
    url = require_url(args, out, False)
    session = url and open_store(out).get(url)
    transport = make_transport(args, out, session)
    values = {**vars(transport), "url": url, "transport": transport_order(args), "credentials":
              masked(pick_credentials(args, session)), "handler_home": handler_home()}
    out.settings({**{k: (values[k], SOURCES[k]) for k in sorted(SOURCES)},
                  "proxy": transport.proxy(url or "http://")})   # no --url: for http:// URLs


def cmd_auth_clear(args, out):
    url = normalise_url(require_url(args, out))
    removed = open_store(out).clear_credentials(url)
    out.done(f"Cleared {' and '.join(removed)} for {url}" if removed else
             f"No credentials stored for {url}; nothing cleared",
             {"cleared": url, "removed": removed})


def agent_name(text):
    """A name of agent add and the others: letters, digits, '.', '_' and '-', the first a letter
    or a digit, 64 at most (so that no name is a URL or a path); an '@' before it is dropped."""
    import re
    name = text.lstrip("@")
    if re.fullmatch(r"[A-Za-z0-9][\w.-]{0,63}", name, re.ASCII):
        return name
    raise usage_error(f"invalid agent name {text!r}: use letters, digits, '.', '_' and '-' "
                      "(64 at most, the first a letter or digit)", "for example: ops, prod-eu")


def cmd_agent(args, out):
    """agent add, rename and remove, as one change of agents.json under its lock: the old name's
    entry (none for add) is removed, and the new name (none for remove) gets it."""
    store, action = AgentStore(warn=out.warn), args.action
    old = agent_name(args.name) if action != "add" else None
    new = agent_name(args.new_name or args.name) if action != "remove" else None
    entry = store.find(old) if old else {"url": normalise_url(args.url),   # unknown old: exit 2
                                         "transport": args.transport or [],
                                         "headers": args.header or []}
    parse_headers(args.header)   # each 'Name: Value'


    def change(key, there):
        if key == new:
            if there:
                raise usage_error(f"an agent named @{new} is stored already ({there.get('url')})",
                                  f"pick another name, or first: {PROG} agent remove {new}")
            return there.update(entry) or there
    store._transaction(change, list(filter(None, (new, old))))
    doc = {"stored": new, "removed": old, "url": entry["url"]}
    out.done({"add": "Stored @{stored}: {url}", "rename": "Renamed @{removed} to @{stored} ({url})"
              "; its session stays", "remove": "Removed @{removed} ({url}); its session stays"}[
                  action].format(**doc), doc)


def cmd_agent_list(args, out):
    """agent list, and agent show NAME: a line each, header values masked."""
    store = AgentStore(warn=out.warn)
    name = args.name and agent_name(args.name)
    agents = {name: store.find(name)} if name else store.load().agents
    rows = [{"name": n, **agents[n], "headers": [f"{k}: {mask_secret(v)}" for k, v in
                                                 parse_headers(agents[n]["headers"]).items()]}
            for n in sorted(agents)]
    out.done("\n".join("  ".join(["@" + r["name"], r["url"], *r["transport"], *r["headers"]])
                       for r in rows) or "No agents stored",
             rows[0] if name else {"count": len(rows), "agents": rows})


# agent check: a smoke conformance pass. A probe returns why it passed, or raises (it failed); it
# is skipped when the card does not declare what it needs.

def expect(ok, message):
    if not ok:
        raise HandlerError(message)
    return ok


def _check_message():
    return compose_message([{"text": "hello from handler.py agent check"}], None)


def _refused(code, client, op="get", task_id=None):
    """PASS when the operation on the task (by default GetTask of an unknown id) fails with the
    error code wanted (A2A's, or Handler's)."""
    wanted = f"{client.endpoint}: wanted {code}, got"
    try:
        client.call(op, {"id": task_id or new_id()})
    except HandlerError as exc:
        return expect(exc.code in code.split(" or "), f"{wanted} {exc.message}") and exc.code
    raise HandlerError(wanted + " an answer")


def _valid(version, problems):
    expect(not problems, f"not a valid A2A {version} card: " + "; ".join(
        map(": ".join, problems[:3])))
    return f"a valid A2A {version} card"


def _sent(conv):
    """The task of a blocking send, as the agent returned it."""
    return conv.client.send_message(_check_message())["task"]


def _check_send(conv):
    task = _sent(conv)
    return expect(settled(task), "a blocking send answered early") and \
        "the task ended " + task_state(task)


def _check_card(conv):
    """The card at the well-known path, valid, and each interface it declares (that Handler
    speaks) answering a GetTask of an unknown id with TaskNotFoundError."""
    client = conv.client
    resp = client.card_response()
    expect(resp.url.endswith(CARD_PATHS[0]), "no card at " + CARD_PATHS[0])
    for client.endpoint, client.binding, client.version, client.tenant in dict.fromkeys(
            pick_interface(client.card, resp.url, every=True)):   # the client uses each in turn
        _refused("TaskNotFoundError", client)
    return _valid(*validate_card_bytes(resp.body)) + "; each interface answers"


def _check_stream(conv):
    """The Task first, then its events, the last of them (only) terminal or interrupted."""
    task = None
    for event in conv.client.stream_message(_check_message()):
        if "message" in event:
            return "a message"
        expect("task" in event if task is None else not settled(task),
               "out of order: the Task comes first, and nothing after its end")
        task = apply_event(task, event)
    return expect(settled(task), "the stream ended at " + task_state(task)) and \
        "it ended " + task_state(task)


def _check_list(conv):
    """pageSize 1 of two tasks or more: one task, and a nextPageToken to another."""
    client = conv.client
    for _ in "12":
        client.send_message(_check_message())
    first = client.list_tasks(pageSize=1)
    token = expect(len(first["tasks"]) == 1 and first.get("nextPageToken"),
                   "pageSize 1 did not give one task and a nextPageToken")
    return expect(client.list_tasks(pageSize=1, pageToken=token)["tasks"] != first["tasks"],
                  "the next page repeats the first") and "pages of one task"


def _check_push(conv):
    task_id, push = conv.wait(_sent(conv))["id"], conv.client.push_config
    made = push("push_set", task_id, url="http://127.0.0.1:9/handler-check")["id"]
    push("push_get", task_id, id=made)
    expect(made in [c["id"] for c in push("push_list", task_id)], "the config set is not listed")
    push("push_delete", task_id, id=made)
    return "set, get, list and delete"


def _check_version(conv):
    """A 1.x method without A2A-Version: a 0.3 request (3.6.2), which an interface of 1.x only
    refuses with VersionNotSupportedError; where 0.3 is served too, 0.3 has no such method."""
    client = conv.client
    client.sent_version = {}
    return _refused("VersionNotSupportedError" + " or MethodNotFoundError" * (
        (client.endpoint, "0.3") in [e[::2] for e in pick_interface(client.card, "", every=True)]),
        client)


def _needs(op):
    """A probe's need of op: why the card says it will fail, or None."""
    def lacks(client):
        try:
            client.require(op)
        except HandlerError as exc:
            return exc.message
    return lacks


# The probes: name, the rule it checks (sections of the A2A 1.x spec, then 0.3's), what it needs
# (None: nothing, else why it cannot run, or None), the probe
CHECKS = (
    ("card", ("8.2 Discovery Mechanisms, 8.3 Protocol Declaration",
              "5.3 Recommended Location, 5.5 AgentCard"), None, _check_card),
    ("send", ("3.1.1 Send Message, 3.2.2 SendMessageConfiguration", "7.1 message/send"), None,
     _check_send),
    ("async", ("3.2.2 returnImmediately, 3.1.3 Get Task", "7.1 message/send, 7.3 tasks/get"),
     None, lambda conv: "GetTask: " + task_state(conv.wait(conv.client.get_task(
         conv.send(_check_message(), True)["task"]["id"])))),
    ("stream", ("3.1.2 Send Streaming Message", "7.2 message/stream"), _needs("resubscribe"),
     _check_stream),
    ("unknown-task", ("3.1.3 Get Task", "7.3 tasks/get"), None,
     lambda conv: _refused("TaskNotFoundError", conv.client)),
    ("cancel-finished", ("3.1.5 Cancel Task", "7.4 tasks/cancel"), None,
     lambda conv: _refused("TaskNotCancelableError", conv.client, "cancel",
                           conv.wait(_sent(conv))["id"])),
    ("list", ("3.1.4 List Tasks",), _needs("list"), _check_list),
    ("push-config", ("3.1.7-3.1.10 Push Notification Config", "7.5-7.8 pushNotificationConfig"),
     _needs("push_set"), _check_push),
    ("extended-card", ("3.1.11 Get Extended Agent Card", "7.10 getAuthenticatedExtendedCard"),
     _needs("extended_card"),
     lambda conv: _valid(*validate_card(conv.client.extended_card()))),
    ("auth", ("7.4 Server Authentication Responsibilities", "4.4 Server Responsibilities for "
              "Authentication"),
     lambda client: not (client.card.get("securityRequirements") or client.card.get("security"))
     and "the card declares no security requirements",
     lambda conv: _refused("A2ACLI_ERR_CREDENTIALS_MISSING",
                           conv.client._reset(False) or conv.client)),   # no credentials
    ("version", ("3.6.2 Versioning: Server Responsibilities",),
     lambda client: not client.v1 and "the agent speaks A2A 0.3, which has no A2A-Version",
     _check_version))


def cmd_agent_check(args, out):
    """agent check: the probes of CHECKS (or those --probe names) against --url, each with a
    client of its own and no session: a line each (PASS, FAIL or SKIP, why, the rule), then a
    summary; exit 1 when one failed. An answer a probe cannot read fails it."""
    rows, counts = [], dict.fromkeys(("PASS", "FAIL", "SKIP"), 0)
    for name, rules, need, probe in CHECKS:
        if name in (args.probe or [name]):
            row = {"name": name, "status": "FAIL", "reason": "", "rule": rules[0]}
            try:
                client = make_client(args, out).connect()
                row["rule"] = rules[-(not client.v1)]
                skip = need and need(client)
                row.update(status="SKIP" if skip else "PASS", reason=skip or probe(
                    Conversation(client, None, client.url, args.timeout)))
            except Exception as exc:
                row["reason"] = getattr(exc, "message", f"a bad answer ({exc!r})")
            rows.append(row)
            counts[row["status"]] += 1
    if args.junit:   # a testcase a probe, failed or skipped with why
        import xml.etree.ElementTree as ET
        suite = ET.Element("testsuite", name="handler agent check", tests=str(len(rows)),
                           failures=str(counts["FAIL"]), skipped=str(counts["SKIP"]))
        for row in rows:
            case = ET.SubElement(suite, "testcase", classname="agent check", name=row["name"])
            if row["status"] != "PASS":
                ET.SubElement(case, {"FAIL": "failure"}.get(row["status"], "skipped"),
                              message="{reason} ({rule})".format_map(row))
        ET.ElementTree(suite).write(args.junit, "utf-8", True)
    out.done("\n".join([*map("{status} {name}: {reason} ({rule})".format_map, rows),
                        "{PASS} passed, {FAIL} failed, {SKIP} skipped".format_map(counts)]),
             {"url": require_url(args, out), "probes": rows, "summary": counts})
    return EXIT_FAILURE if counts["FAIL"] else EXIT_OK


def listen(args, out, banner, make, token, *more):
    """Serve what make() starts on --host and --port, after the banner (its {url} filled in)."""
    try:
        server = make(args.host, args.port, token, *more)
    except OSError as exc:
        raise HandlerError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
                           hint="pick another --port, or stop what uses it") from None
    host, port = server.server_address[:2]
    return serve(server, out, banner.format(url=f"http://{f'[{host}]' if ':' in host else host}"
                                                f":{port}"), args.host, token)


def cmd_server_agent(args, out):
    versions = ("1.0", "0.3") if args.protocol == "both" else (args.protocol,)
    log = None if args.quiet else (lambda line: out._stderr(time.strftime("%H:%M:%S"), "2", line))
    return listen(args, out, f"Handler echo agent on {{url}} (A2A {' and '.join(versions)}, "
                  f'JSON-RPC); Ctrl-C stops it\nTry: {PROG} message send --url {{url}} "hello"',
                  make_agent_server,
                  args.bearer_token and read_secret(args.bearer_token, "--bearer-token"), log,
                  EchoAgent(versions, log=log))


def cmd_server_push(args, out):
    return listen(args, out, "Handler push receiver on {url}/ (any path); Ctrl-C stops it",
                  make_push_server, args.token and read_secret(args.token, "--token"),
                  out.notification, out.warn)


def cmd_chat(args, out):
    url = require_url(args, out)
    store = open_store(out)
    interactive = _is_tty(sys.stdin)
    chat = Chat(make_client(args, out, store, cached=False).connect(),   # the whole card
                store, url, out, args.timeout, args.new, interactive)
    if not interactive:
        out.fancy = False   # no spinner or colour when a script drives it
        return chat.run(lambda: sys.stdin.readline() or None)
    chat.banner()
    store._ensure_home()
    read, save = _prompt_reader(store.home)
    try:
        return chat.run(read)
    finally:
        save()


def cmd_tui(args, out):
    try:
        import curses
    except ImportError:   # a Python built without it, Windows
        curses = None
    if not (curses and _is_tty(sys.stdin) and _is_tty(sys.stdout)):
        out.warn("tui needs a terminal (and curses): running chat instead")
        return cmd_chat(args, out)
    import signal
    tui = Tui(args)
    target = args.url or os.environ.get("HANDLER_URL") or next(iter(tui.agent_rows()), [None])[0]
    try:
        if target:   # a failure here is one line from main(), before the screen is taken
            tui.open(target, args.new)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))   # finally runs
        os.environ.setdefault("ESCDELAY", "25")   # Esc at once (curses waits 1 s by default)
        try:
            screen = curses.initscr()
        except curses.error as exc:   # (TERM names no terminal curses knows)
            raise HandlerError(f"curses cannot drive this terminal: {exc}",
                               hint="set TERM, e.g. TERM=xterm, or use chat") from None
        try:
            tui_loop(screen, tui)
        finally:   # the terminal as it was, whatever happened (SIGTERM too)
            curses.endwin()
    finally:
        tui.close()


def cmd_mcp(args, out):
    return McpServer(args.timeout, args.debug and (lambda line: out._stderr("mcp:", "2", line)),
                     out.warn, lambda: make_transport(args, out)).serve(sys.stdin.buffer,
                                                                         sys.stdout)


# The completion scripts: one function each that finds the command typed so far, then offers what
# follows it from @DATA@, lines "KEY WORD...", generated from the parser (see completion_lines).
# --url is the one word completed by asking Handler: `completion SHELL --urls`, the saved URLs.
COMPLETION = {
    "bash": r"""_handler() {
    local data='
@DATA@
' at=: key list word i=1 cur=${COMP_WORDS[COMP_CWORD]} all
    for ((; i < COMP_CWORD; i++)); do   # a flag's value is skipped
        word=${COMP_WORDS[i]}
        if [[ $word == -* && $data == *"
$word "* ]]; then ((i++))
        elif [[ $data == *"
$at$word: "* ]]; then at=$at$word:
        fi
    done
    ((i > COMP_CWORD)) && key=${COMP_WORDS[COMP_CWORD-1]} || key=$at
    [[ ${COMP_LINE:0:COMP_POINT} =~ (^| )--url(=| +)([^ ]*)$ ]] && key=--url cur=${BASH_REMATCH[3]}
    if [[ $key == --url ]]; then list=$("${COMP_WORDS[0]}" completion bash --urls 2>/dev/null)
    else list=${data#*"
$key "}; list=" ${list%%"
"*}"
    fi
    [[ $cur == -* ]] || list=${list%% -*}   # flags once a dash is typed
    read -d '' -ra all <<< "$list"
    COMPREPLY=()
    for word in "${all[@]}"; do   # less what bash keeps before a colon (it breaks words there)
        [[ $word == "$cur"* ]] && COMPREPLY+=("${word#"${cur%"${cur##*:}"}"}")
    done
}
complete -o default -F _handler @PROG@""",
    "zsh": r"""#compdef @PROG@
_handler() {
    local data='
@DATA@
' at=: key list i cur=$words[CURRENT]
    for ((i = 2; i < CURRENT; i++)); do   # a flag's value is skipped
        if [[ $words[i] == -* && $data == *"
$words[i] "* ]]; then ((i++))
        elif [[ $data == *"
$at$words[i]: "* ]]; then at=$at$words[i]:
        fi
    done
    ((i > CURRENT)) && key=$words[CURRENT-1] || key=$at
    if [[ $key == --url ]]; then list=$($words[1] completion zsh --urls 2>/dev/null)
    else list=${data#*"
$key "}; list=" ${list%%"
"*}"
    fi
    [[ $cur == -* ]] || list=${list%% -*}   # flags once a dash is typed
    local -a all=(${=list})
    (($#all)) && compadd -a all || _files
}
if [[ $funcstack[1] == _handler ]]; then _handler "$@"; else compdef _handler @PROG@; fi""",
    "fish": r"""function __handler_complete
    set -l data (string split \n -- '@DATA@')
    set -l args (commandline -opc)
    set -l cur (commandline -ct)
    set -l at :
    set -l i 2
    set -l n (math (count $args) + 1)
    while test $i -lt $n   # a flag's value is skipped
        if string match -q -- '-*' $args[$i]; and string match -q -- "$args[$i] *" $data
            set i (math $i + 1)
        else if string match -q -- "$at$args[$i]: *" $data
            set at "$at$args[$i]:"
        end
        set i (math $i + 1)
    end
    set -l key $at
    test $i -gt $n; and set key $args[-1]
    set -l list
    if test "$key" = --url
        set list ($args[1] completion fish --urls 2>/dev/null)
    else
        set list (string split ' ' -- (string replace -- "$key " '' \
            (string match -- "$key *" $data)))
    end
    set -l keep '^[^-].*'   # flags once a dash is typed
    string match -q -- '-*' "$cur"; and set keep '.+'
    set list (string match -r -- $keep '' $list)   # ('': none is no stdin)
    if set -q list[1]; printf '%s\n' $list; else; __fish_complete_path "$cur"; end
end
complete -c @PROG@ -f -a '(__handler_complete)'"""}


def completion_lines(parser, at=":"):
    """What each command may be followed by: "PATH WORD..." (":message:send:", its commands and
    choices, then its flags), and "FLAG CHOICE..." for every flag that takes a value."""
    words, lines = [], []
    for action in parser._actions:
        flags, choices = action.option_strings, action.choices or ()
        words += flags or choices
        lines += [f"{flag} {' '.join(choices)}" for flag in flags if action.nargs != 0]
        for name, command in choices.items() if isinstance(choices, dict) else ():
            lines += completion_lines(command, f"{at}{name}:")
    return [f"{at} {' '.join(sorted(words, key=lambda w: w[:1] == '-'))}", *lines]


def cmd_completion(args, out):
    if args.urls:   # what --url completes (one a line): the named agents, the saved agents' URLs
        for name in sorted(AgentStore(warn=out.warn).load().agents):
            out.line("@" + name)
        for session in open_store(out).list_all():
            out.line(session.agent_url)
    else:
        out.line(COMPLETION[args.shell].replace("@DATA@", "\n".join(dict.fromkeys(
            completion_lines(build_parser())))).replace("@PROG@", PROG))


def _number(kind, low, high=None):
    """An argparse type: a number of `kind` from low to high (given the variable it comes from,
    a usage error about that instead)."""
    def convert(text, variable=None):
        import argparse
        try:
            value = kind(text)
            if low <= value <= (high or value):   # nan is not a number either
                return value
            problem = f"{text} is not between {low} and {high or 'more'}"
        except ValueError:
            problem = f"not a number: {text!r}"
        raise usage_error(f"{variable}: {problem}") if variable else \
            argparse.ArgumentTypeError(problem)
    return convert


# The options of every command, as data, each as its --help line says it: "FLAGS=METAVAR  help"
# (two spaces before the help), alone or in a tuple with its argparse keywords. Without =METAVAR,
# argparse's own metavar, or with no keywords either, a flag (store_true); "repeatable" in its
# help: action append, unless the keywords say otherwise.
_GLOBALS = (
    ("-o --output  text for people (default), json for scripts (JSON Lines when streaming), "
     "reply: only the agent's reply on stdout (ids and state on stderr)",
     {"choices": ("text", "json", "reply"), "default": "text"}),
    ("--timeout=SECONDS  give up after this long without an answer (default 120; for streams, "
     "the longest silence)", {"type": _number(float, 0.001, 10 ** 7)}),
    "--debug  log every request and response on stderr (credentials redacted)",
    "-q --quiet  no notes or progress on stderr",
    ("--transport  the binding to use, in order of preference (repeatable; default: the agent's "
     "order; $HANDLER_TRANSPORT)", {"choices": ("jsonrpc", "http+json")}),
    "--ca-file=PATH  trust the CA certificates in this file ($HANDLER_CA_FILE; also SSL_CERT_FILE)",
    "--cert=PATH  a client certificate for mutual TLS ($HANDLER_CERT)",
    "--key=PATH  its private key, readable by you only ($HANDLER_KEY)",
    "--insecure  do not verify TLS certificates (dangerous; $HANDLER_INSECURE=1)",
    ("--retries=N  retries of reads on connection errors, 429 and 502-504 (default 2)",
     {"type": _number(int, 0, MAX_RETRIES)}),
    "--max-response=BYTES  the largest answer to accept, e.g. 64M (default; $HANDLER_MAX_RESPONSE)",
    "--record=FILE  append each HTTP exchange to FILE, one JSON line each, credentials redacted "
    "($HANDLER_RECORD)")
_URL_OPTION = ("--url=URL  the agent's base URL (host:port: http:// on loopback, else https://), "
               "or @NAME (see agent add; default: $HANDLER_URL)")
_AGENT = (
    _URL_OPTION, "--bearer-token=T  a bearer token for this call only",
    "--api-key=K  an API key for this call only",
    "--api-key-header=NAME  the API key's header (default X-API-Key)",
    "-H --header='Name: Value'  an extra HTTP header (repeatable)")
_TASK = _AGENT + (("task_id=ID  the task (default: the session's)", {"nargs": "?"}),)
_SAVE = ("--save-artifacts=DIR  write the task's artifacts into DIR",
         "--force  with --save-artifacts: overwrite files")
_MESSAGE = _AGENT + (
    ("text=TEXT  the message; '-' or none reads stdin", {"nargs": "?"}),
    ("--file=PATH  attach a file, sent inline (10 MiB at most; repeatable)",
     {"action": "part", "const": file_part}),
    ("--media-type=TYPE  the media type of the --file or --file-url before it",
     {"action": "part"}),
    ("--file-url=URL  attach a file by reference (repeatable)",
     {"action": "part", "const": url_part}),
    ("--data=JSON  attach JSON data; @path reads a file, - reads stdin (repeatable)",
     {"action": "part", "const": data_part}),
    "--context-id=ID  continue this conversation", "--task-id=ID  answer this task",
    "--new  start a new conversation",
    "--no-session  neither read nor save the session",
    "--push-url=URL  register this webhook for the task's notifications",
    "--push-token=T  the token the agent sends to the webhook") + _SAVE


# Every command: group -> (help, {action: (function, help, its options)}), or
# group -> (help, (function, its options)) for a command without actions.
COMMANDS = {
    "message": ("talk to an agent", {
        "send": (cmd_message_send, "send a message and wait for the reply", _MESSAGE + (
            "--stream  stream the reply as it arrives",
            ("--async  return at once with the task id",
             {"action": "store_true", "dest": "async_"}))),
        "stream": (cmd_message_send, "send a message and print the reply as it streams",
                   _MESSAGE)}),
    "card": ("agent cards", {
        "get": (cmd_card_get, "fetch and show the agent's card", _AGENT + (
            "--extended  the extended card the agent shows authenticated clients",)),
        "validate": (cmd_card_validate, "check a card against the rules of its A2A version",
                     _AGENT + ("--file=PATH  validate a card saved in a file",))}),
    "task": ("tasks and their push notifications", {
        "get": (cmd_task_get, "show a task (--wait: until it ends)", _TASK + _SAVE + (
            ("--history-length=N  at most N history messages", {"type": _number(int, 0)}),
            "--wait  wait until the task ends or needs input",
            ("--poll-interval=S  with --wait: seconds between the first polls (default 1, "
             "backing off to 5)", {"type": _number(float, 0.05), "default": 1.0}))),
        "list": (cmd_task_list, "list the agent's tasks (A2A 1.x)", _AGENT + (
            "--context-id=ID  only this conversation's tasks",
            "--status=STATE  only tasks in this state, e.g. working",
            ("--page-size=N  tasks a page (1-100)", {"type": _number(int, 1, 100)}),
            "--page-token=T  the page to show (from the last page)",
            "--all  every page")),
        "cancel": (cmd_task_cancel, "cancel a task", _TASK),
        "resubscribe": (cmd_task_resubscribe, "follow a running task's events", _TASK + _SAVE),
        "notification": (cmd_task_notification, "push notification configs: set, get, list, delete",
                         (("op", {"choices": ("set", "get", "list", "delete")}),) + _TASK + (
            "--webhook-url=URL  set: where the agent POSTs notifications",
            "--token=T  set: the token the agent sends with each notification",
            "--auth-scheme=SCHEME  set: e.g. Bearer, for the Authorization header",
            "--auth-credentials=C  set: the credentials for that scheme ('-': stdin)",
            "--config-id=C  the config (get, delete; set: choose its id)"))}),
    "session": ("saved conversations", {
        "list": (cmd_session_list, "list saved sessions", ()),
        "show": (cmd_session_show, "show one agent's session",
                 (("agent_url=URL", {"nargs": "?"}), _URL_OPTION)),
        "clear": (cmd_session_clear, "forget sessions: context, task and credentials", (
            ("agent_url=URL", {"nargs": "?"}), "--all  every session",
            "--keep-credentials  keep the credentials and client certificate")),
        "prune": (cmd_session_prune, "forget sessions not used for DAYS (credentials stay)", (
            ("--older-than=DAYS  not used for this many days (0 to 36500)",
             {"type": _number(float, 0, 36500), "required": True}),
            "--all-data  the whole entry: its credentials and client certificate too"))}),
    "auth": ("stored credentials", {
        "set": (cmd_auth_set, "store credentials for an agent ('-' reads them from stdin)", (
            _URL_OPTION, "--bearer-token=T  a bearer token ('-': stdin)",
            "--api-key=K  an API key ('-': stdin)",
            "--header-name=NAME  the API key's header (default X-API-Key)",
            "--oauth2-token-url=URL  OAuth2 client credentials: the token endpoint",
            "--client-id=ID  OAuth2: the client id",
            "--client-secret=S  OAuth2: the client secret ('-': stdin)",
            "--scope=S  OAuth2: a scope to ask for (repeatable)")),
        "login": (cmd_auth_login, "sign in with the OAuth2 device flow the agent's card declares", (
            _URL_OPTION, "--client-id=ID  the OAuth2 client id (remembered)",
            "--scope=S  a scope to ask for (repeatable)")),
        "show": (cmd_auth_show, "show stored credentials, masked", (_URL_OPTION,)),
        "clear": (cmd_auth_clear, "remove an agent's credentials (the session stays)",
                  (_URL_OPTION,))}),
    "agent": ("named agents: @NAME wherever an agent URL goes", {
        "add": (cmd_agent, "store an agent's URL, --transport and headers as NAME", (
            "name=NAME  letters, digits, '.', '_' and '-' (64 at most)",
            "url=URL  the agent's base URL",
            "-H --header='Name: Value'  a header to send it (repeatable; for credentials "
            "prefer auth set --url @NAME)")),
        "list": (cmd_agent_list, "list the named agents", ()),
        "show": (cmd_agent_list, "show a named agent (header values masked)", ("name=NAME",)),
        "rename": (cmd_agent, "rename an agent (its session stays)",
                   ("name=OLD", "new_name=NEW")),
        "remove": (cmd_agent, "forget a named agent (its session stays)", ("name=NAME",)),
        "check": (cmd_agent_check, "check an agent against the A2A spec: a smoke conformance "
                  "pass, a probe a rule", _AGENT + (
                      ("--probe=NAME  run only this probe (repeatable)",
                       {"choices": [c[0] for c in CHECKS]}),
                      "--junit=FILE  also write the results as JUnit XML, for CI")),}),
    "config": ("the settings Handler uses", {
        "show": (cmd_config_show, "show every setting and where it came from (secrets masked)",
                 _AGENT[:4])}),
    "chat": ("talk to an agent in the terminal (one message a line when stdin is not a terminal)",
             (cmd_chat, _AGENT + ("--new  start a new conversation",))),
    "tui": ("a full-screen terminal UI: agents, conversation, card, tasks, artifacts, auth, "
            "push, logs (chat when there is no terminal)",
            (cmd_tui, _AGENT + ("--new  start a new conversation",))),
    "mcp": ("run an MCP server on stdin/stdout, so AI assistants can use A2A agents",
            (cmd_mcp, ())),
    "completion": ("print a shell completion script for bash, zsh or fish", (cmd_completion, (
        ("shell", {"choices": ("bash", "zsh", "fish")}),
        "--urls  instead, the saved agent URLs the script completes --url with, one a line"))),
    "server": ("local servers for testing", {
        "agent": (cmd_server_agent, "run the built-in echo agent (A2A 1.0 and 0.3)", (
            ("--host", {"default": "127.0.0.1"}),
            ("--port  0 to 65535", {"type": _number(int, 0, 65535), "default": 8000}),
            "--bearer-token=T  require this token ('-' reads it from stdin)",
            ("--protocol  the A2A versions it speaks and its card offers (default both)",
             {"choices": ("both", "1.0", "0.3"), "default": "both"}))),
        "push": (cmd_server_push, "receive push notifications on a webhook and print them", (
            ("--host", {"default": "127.0.0.1"}),
            ("--port  0 to 65535", {"type": _number(int, 0, 65535), "default": 9000}),
            "--token=T  accept only notifications with this token ('-': stdin)"))}),
}

# Two or three real examples of every command, the end of its --help (gh's are the model): what
# follows the program's name, with shell redirections and a "# comment" after it if need be.
EXAMPLES = {
    "message send": (
        'message send --url http://127.0.0.1:8000 "Hello"',
        'message send --url http://agent:8000 < question.txt   # the message from stdin',
        '-o json message send --async --url http://agent:8000 "Build it"   # the task id at once'),
    "message stream": (
        'message stream --url http://agent:8000 "Write a haiku"',
        '-o json message stream --url http://agent:8000 "Go" | jq .   # one event a line'),
    "card get": ("card get --url http://agent:8000",
                 '-o json card get --url http://agent:8000 --extended --bearer-token "$TOKEN"'),
    "card validate": ("card validate --url http://agent:8000",
                      "card validate --file agent-card.json"),
    "task get": ("task get --url http://agent:8000   # the last task of this agent",
                 "task get --url http://agent:8000 TASK_ID --wait",
                 "task get --url http://agent:8000 TASK_ID --save-artifacts out/"),
    "task list": ("task list --url http://agent:8000",
                  "task list --url http://agent:8000 --status working --all",
                  "-o json task list --url http://agent:8000 --context-id CTX --page-size 10"),
    "task cancel": ("task cancel --url http://agent:8000 TASK_ID",
                    "task cancel --url http://agent:8000   # the last task of this agent"),
    "task resubscribe": ("task resubscribe --url http://agent:8000 TASK_ID",
                         "task resubscribe --url http://agent:8000 --save-artifacts out/"),
    "task notification": (
        "task notification set --url http://agent:8000 --webhook-url http://me:9000/hook",
        "task notification list TASK_ID --url http://agent:8000",
        "task notification delete TASK_ID --url http://agent:8000 --config-id CONFIG_ID"),
    "session list": ("session list", "-o json session list"),
    "session show": ("session show http://agent:8000",
                     "-o json session show --url http://agent:8000"),
    "session clear": ("session clear http://agent:8000",
                      "session clear --all --keep-credentials   # forget every conversation"),
    "session prune": ("session prune --older-than 90   # conversations unused for 90 days",
                      "session prune --older-than 30 --all-data -o json"),
    "auth set": (
        "auth set --url http://agent:8000 --bearer-token - < token.txt",
        "auth set --url http://agent:8000 --api-key - --header-name X-Api-Key",
        "auth set --url http://agent:8000 --oauth2-token-url https://idp/token --client-id ID "
        "--client-secret -"),
    "auth login": ("auth login --url http://agent:8000",
                   "auth login --url http://agent:8000 --client-id handler --scope tasks"),
    "auth show": ("auth show --url http://agent:8000", "-o json auth show --url http://agent:8000"),
    "auth clear": ("auth clear --url http://agent:8000",
                   "auth clear --url https://agent.example.com"),
    "config show": ("config show --url http://agent:8000",
                    "--timeout 30 -o json config show   # no --url: $HANDLER_URL, if set"),
    "agent add": ("agent add ops http://agent:8000",
                  "agent add prod https://agent.example.com --transport http+json "
                  "-H 'X-Team: ops'"),
    "agent list": ("agent list", "-o json agent list"),
    "agent show": ("agent show ops", "-o json agent show prod"),
    "agent rename": ("agent rename ops staging", "agent rename prod prod-eu   # the session stays"),
    "agent remove": ("agent remove ops", "agent remove staging   # see session clear"),
    "agent check": ("agent check --url http://127.0.0.1:8000",
                    "agent check --url @ops --probe stream --probe cancel-finished",
                    "-o json agent check --url http://agent:8000 --junit check.xml"),
    "chat": ("chat --url http://127.0.0.1:8000", "chat --url @ops   # an agent named by agent add",
             "chat --url http://agent:8000 --new < questions.txt   # one message a line"),
    "tui": ("tui   # the saved sessions and named agents; a adds one",
            "tui --url http://127.0.0.1:8000", "tui --url @ops --new"),
    "mcp": ("mcp   # an MCP client runs this: command handler.py, args [mcp]",
            "--timeout 600 --debug mcp   # its log on stderr"),
    "completion": ("completion bash > ~/.local/share/bash-completion/completions/handler.py",
                   "completion zsh > ~/.zfunc/_handler   # ~/.zfunc in fpath, before compinit",
                   "completion fish > ~/.config/fish/completions/handler.py.fish"),
    "server agent": ("server agent &   # an echo agent on 127.0.0.1:8000",
                     "server agent --port 8001 --protocol 0.3",
                     "server agent --bearer-token - < token.txt"),
    "server push": ("server push &   # prints what arrives at http://127.0.0.1:9000/",
                    "server push --port 9001 --token - < token.txt")}

# Options that conflict, or that need another: (command, the test of its options, message, hint).
# Checked in one place, check_options, before the command runs (git-filter-repo's
# sanity_check_args); an option a command lacks reads as None.
CONFLICTS = (
    ("", lambda a: None not in (a.bearer_token, a.api_key),
     "{prog}: argument --api-key: not allowed with argument --bearer-token", "see: {prog} --help"),
    ("auth set", lambda a: a.oauth2_token_url is not None and {a.bearer_token, a.api_key} != {None},
     "{prog}: argument --oauth2-token-url: not allowed with argument --bearer-token or --api-key",
     "see: {prog} --help"),
    ("message send", lambda a: a.stream and a.async_, "--stream cannot be combined with --async"),
    ("message", lambda a: a.new and (a.context_id or a.task_id),
     "--new cannot be combined with --context-id or --task-id"),
    ("message", lambda a: a.push_token and not a.push_url, "--push-token needs --push-url"),
    ("card validate",
     lambda a: a.url and a.file or not (a.url or a.file or os.environ.get("HANDLER_URL")),
     "card validate needs --url or --file (one of them)"),
    ("task notification", lambda a: a.op != "set" and (a.webhook_url or a.token or a.auth_scheme
                                                       or a.auth_credentials),
     "--webhook-url, --token and --auth-* belong to 'task notification set', not {op}"),
    ("task notification", lambda a: a.op == "delete" and not a.config_id,
     "task notification delete needs --config-id"),
    ("task notification", lambda a: a.op == "set" and not a.webhook_url,
     "task notification set needs --webhook-url"),
    ("task notification",
     lambda a: a.op == "set" and bool(a.auth_scheme) != bool(a.auth_credentials),
     "--auth-scheme and --auth-credentials go together"),
    ("session clear", lambda a: bool(a.agent_url) == bool(a.all),
     "session clear needs an agent URL or --all (not both)"),
    ("auth set", lambda a: a.key and not a.cert, "--key needs --cert"),
    ("auth set", lambda a: a.bearer_token is None is a.api_key is a.oauth2_token_url and not a.cert,
     "auth set needs one of --bearer-token, --api-key, --oauth2-token-url (or --cert)"),
    ("auth set", lambda a: a.oauth2_token_url and not (a.client_id and a.client_secret),
     "--oauth2-token-url needs --client-id and --client-secret"))


class _Options(dict):
    """A command's options by name; one it does not have is None."""
    __getattr__ = dict.get


def check_options(args):
    """Refuse the first combination of options that CONFLICTS forbids."""
    command = " ".join(filter(None, (args.command, args.action)))
    args["prog"] = f"{PROG} {command}"
    for where, test, message, *hint in CONFLICTS:
        if command.startswith(where) and test(args):
            raise usage_error(message.format(**args), hint and hint[0].format(**args))


def _option(spec):
    """(flags, argparse keywords) of one option of the tables above."""
    line, *more = (spec,) if isinstance(spec, str) else spec
    head, _, help_text = line.partition("  ")
    flags, _, metavar = head.partition("=")
    kw = dict(*more, help=help_text)
    if "repeatable" in help_text:
        kw.setdefault("action", "append")
    if metavar:
        kw["metavar"] = metavar
    elif not more:
        kw["action"] = "store_true"
    return flags.split(), kw


def _chosen_command(argv):
    """(group, action or None) named in argv, so that only that command's options are built
    (building every parser costs more than the command itself); (None, None) when argv names no
    command: then only the groups' names and help are needed."""
    takes_value = {flag for flags, kw in map(_option, _GLOBALS)
                   if kw.get("action") != "store_true" for flag in flags}
    words, rest = [], iter(argv)
    for arg in rest:
        if arg == "--" or len(words) == 2:
            break
        if arg in takes_value:
            next(rest, None)   # its value
        elif arg[:1] != "-":
            words.append(arg)
    return (words + [None])[:2] if words and words[0] in COMMANDS else (None, None)


def build_parser(argv=None):
    """The argument parser; given argv, only the parts that argv needs."""
    # Handler speaks English: argparse's words are not looked up in message catalogues (gettext
    # would search the disk for each of them, 2 ms a command, more for --help); when argparse is
    # first imported, it takes the two words it uses from a stand-in, and gettext is not imported
    words = _Lazy("gettext")   # (anything else asked of it is the real module's)
    words.gettext, words.ngettext = str, lambda one, many, n: one if n == 1 else many
    standing_in = sys.modules.setdefault("gettext", words) is words
    import argparse
    if standing_in:
        del sys.modules["gettext"]
    argparse._, argparse.ngettext = words.gettext, words.ngettext

    class Formatter(argparse.HelpFormatter):
        def __init__(self, prog):   # its width found without importing shutil (and bz2, lzma)
            try:
                columns = int(os.environ.get("COLUMNS")
                              or os.get_terminal_size(sys.__stdout__.fileno()).columns)
            except (AttributeError, ValueError, OSError):
                columns = 80
            super().__init__(prog, width=columns - 2)

        def _fill_text(self, text, width, indent):   # an indented line (an example) kept as it is
            fill = super()._fill_text
            return "\n".join(line if line[:1] == " " else fill(line, width, indent)
                             for line in text.split("\n"))

    class AddPart(argparse.Action):
        """--file, --file-url and --data in their order, as [the function that reads the part,
        value, media type]; --media-type (no function) sets the media type of the file before it."""

        def __call__(self, parser, namespace, value, option_string=None):
            parts = vars(namespace).setdefault("parts", [])
            if self.const:
                parts.append([self.const, value, None])
            elif parts and parts[-1][0] != data_part:
                parts[-1][2] = value
            else:
                raise argparse.ArgumentError(self, "must follow --file or --file-url")

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, allow_abbrev=False, formatter_class=Formatter, **kwargs)
            self.register("action", "part", AddPart)

        def error(self, message):
            raise usage_error(f"{self.prog}: {message}", f"see: {self.prog} --help")

        def _check_value(self, action, value):   # a mistyped choice: the closest, as git says
            if action.choices and value not in action.choices:
                close = closest(value, action.choices)
                if close:
                    raise argparse.ArgumentError(
                        action, f"invalid choice: {value!r} (did you mean {close!r}?)")
            super()._check_value(action, value)

    def options(parser, specs, hide=False):
        for flags, kw in map(_option, specs):
            if hide:   # a global option after the command overrides, and only when given
                kw.update(default=argparse.SUPPRESS, help=argparse.SUPPRESS)
            parser.add_argument(*flags, **kw)

    def add(parsers, key, help_text, func=None, specs=()):
        """A command's parser (the global options in it too, their help once, in the top's), its
        examples at the end: a group's, the first of each of its commands."""
        lines = EXAMPLES.get(key) or [v[0] for k, v in EXAMPLES.items()
                                      if k.startswith(key + " ")]
        command = parsers.add_parser(key.split()[-1], help=help_text, description=help_text,
                                     parents=[common], epilog="".join(
                                         ["examples:\n", *(f"  {PROG} {e}\n" for e in lines),
                                          "\n", global_note]))
        command.set_defaults(func=func)
        options(command, specs)
        return command

    common = Parser(add_help=False)
    options(common, _GLOBALS, True)
    global_note = (f"global options ({', '.join(_option(s)[0][-1] for s in _GLOBALS)}) go before "
                   f"or after the command: see {PROG} --help")
    parser = Parser(prog=PROG, description="Handler: a command-line client for A2A agents.",
                    epilog=f"'{PROG} help COMMAND [ACTION]' shows a command's options and "
                           "examples. Exit codes: 0 done, 1 failure, 2 usage, 3 unreachable, 4 "
                           "authentication, 5 timeout, 130 interrupted. Sessions live in "
                           "$HANDLER_HOME (~/.handler).")
    options(parser.add_argument_group("global options (before or after the command)"), _GLOBALS)
    parser.add_argument("-v", "--version", action="version", version=VERSION_LINE)
    groups = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = argv is not None and _chosen_command(argv)
    for group, (group_help, actions) in COMMANDS.items():
        wanted = not chosen or chosen[0] == group
        if isinstance(actions, tuple):   # a command without actions
            add(groups, group, group_help, actions[0], actions[1] if wanted else ())
        elif wanted or not chosen[0]:
            subs = add(groups, group, group_help).add_subparsers(dest="action", metavar="ACTION",
                                                                  required=True)
            for name, (func, help_text, specs) in actions.items() if wanted else ():
                add(subs, f"{group} {name}", help_text, func,
                    specs if not chosen or chosen[1] == name else ())
    return parser


def _output_format(argv):
    """-o json as given, for errors found before the arguments are parsed."""
    return "json" if {"-o=json", "-ojson", "--output=json"} & {
        *argv, *(f"{flag}={value}" for flag, value in zip(argv, argv[1:]))} else "text"


def main(argv=None):
    """Run one command; return its exit code. Every failure becomes output here."""
    argv = sys.argv[1:] if argv is None else [*argv]
    for stream in (sys.stdout, sys.stderr):   # what the terminal cannot encode shows as "?"
        if getattr(stream, "errors", None) == "strict":
            stream.reconfigure(errors="replace")
    code = _run(argv)
    try:
        sys.stdout.flush()   # here, not at exit, so that a closed pipe is caught
    except BrokenPipeError:
        _quiet_stdout()
    except (OSError, ValueError):
        pass
    return code


def _quiet_stdout():
    try:   # stdout's reader went away (| head): leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _run(argv):
    if argv[:1] == ["help"]:   # help COMMAND [ACTION]: its --help
        argv = [*argv[1:], "--help"]
    out = Output(_output_format(argv))
    args = _Options()
    try:
        if argv in (["--version"], ["-v"]):   # the commonest probe: answered before argparse loads
            sys.stdout.write(VERSION_LINE + "\n")
            return EXIT_OK
        args = _Options(vars(build_parser(argv).parse_args(argv)))   # an option not given: None
        out = Output(args.output, args.quiet)
        args["timeout"] = _setting(args, "timeout", default=DEFAULT_TIMEOUT)
        check_options(args)
        check_secrets(args, out)
        return args.func(args, out) or EXIT_OK
    except KeyboardInterrupt:
        out.err.write("\nInterrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_OK
    except SystemExit as exc:   # --help and --version
        return exc.code or EXIT_OK
    except Exception as exc:   # one line, never a secret (it may quote what it could not use)
        if isinstance(exc, OSError):
            exc = HandlerError(f"{exc.strerror or exc}"
                               + (f": {exc.filename}" if exc.filename else ""))
        elif not isinstance(exc, HandlerError):   # a bug: the traceback only with --debug
            if args.debug:
                import traceback
                traceback.print_exc()
            exc = HandlerError(f"internal error: {type(exc).__name__}: {exc}",
                               hint="please report it; rerun with --debug for details")
        exc.message, exc.hint = redact_argv(exc.message, argv), redact_argv(exc.hint, argv)
        out.error(exc)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())

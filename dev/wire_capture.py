"""Capture raw HTTP exchanges with an A2A agent (stdlib only; dev tool).

    python3 dev/wire_capture.py --url http://127.0.0.1:PORT --out /tmp/wire/13 --line 1
    python3 dev/wire_capture.py --url http://127.0.0.1:PORT --out /tmp/wire/03 --line 0.3

Each exchange goes to OUT/NN-name.txt as the exact bytes sent and received over a
plain socket (CRLF kept, chunked framing kept), and OUT/NN-name.body holds the
de-chunked response body. The agent is expected to be dev/sdk_agent.py.
"""

import argparse
import json
import os
import socket
import time
import urllib.parse
import uuid


def exchange(url, method, path, body=None, headers=None, timeout=15.0, during=None):
    """Send one request; `during(first_sse_event_json)` runs once mid-stream."""
    u = urllib.parse.urlsplit(url)
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % u.netloc,
             "User-Agent: wire-capture", "Accept: */*", "Connection: close"]
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        lines += ["Content-Type: application/json", "Content-Length: %d" % len(data)]
    lines += ["%s: %s" % kv for kv in (headers or {}).items()]
    req = ("\r\n".join(lines) + "\r\n\r\n").encode() + data
    s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    s.sendall(req)
    resp, note = b"", ""
    start = time.monotonic()
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            resp += chunk
            if during and b"data:" in resp and b"\r\n\r\n" in resp.split(b"data:", 1)[1]:
                first = resp.split(b"data:", 1)[1].split(b"\r\n", 1)[0]
                during(json.loads(first)["result"])
                during = None
    except socket.timeout:
        note = "[capture: no close after %.0f s]" % (time.monotonic() - start)
    finally:
        s.close()
    return req, resp, note


def split_response(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return head.decode("latin-1"), body


class Capture:
    def __init__(self, url, out):
        self.url, self.out, self.n = url.rstrip("/"), out, 0
        os.makedirs(out, exist_ok=True)

    def __call__(self, name, method, path, body=None, headers=None, timeout=15.0, during=None):
        self.n += 1
        n = self.n
        req, resp, note = exchange(self.url, method, path, body, headers, timeout, during)
        head, rbody = split_response(resp)
        base = os.path.join(self.out, "%02d-%s" % (n, name))
        with open(base + ".txt", "wb") as f:
            f.write(b">>> REQUEST\n" + req + b"\n<<< RESPONSE\n" + resp + (("\n" + note).encode() if note else b""))
        with open(base + ".body", "wb") as f:
            f.write(rbody)
        print("%-40s %s %s" % (os.path.basename(base), head.split("\r\n")[0], note))
        return rbody


def rpc(method, params, rid=1):
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


def msg1(text, **extra):
    m = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": text}]}
    m.update(extra)
    return {"message": m}


def msg03(text, **extra):
    m = {"kind": "message", "messageId": str(uuid.uuid4()), "role": "user",
         "parts": [{"kind": "text", "text": text}]}
    m.update(extra)
    return {"message": m}


PARTS_1 = [{"text": "parts demo"},
           {"raw": "aGVsbG8=", "filename": "a.txt", "mediaType": "text/plain"},
           {"url": "https://example.com/a.png", "filename": "a.png", "mediaType": "image/png"},
           {"data": {"k": 1, "list": [1, "x"], "nested": {"b": True}}}]
PARTS_03 = [{"kind": "text", "text": "parts demo"},
            {"kind": "file", "file": {"bytes": "aGVsbG8=", "name": "a.txt", "mimeType": "text/plain"}},
            {"kind": "file", "file": {"uri": "https://example.com/a.png", "name": "a.png", "mimeType": "image/png"}},
            {"kind": "data", "data": {"k": 1, "list": [1, "x"], "nested": {"b": True}}}]


def result(body):
    return json.loads(body)["result"]


def run_v1(c):
    V = {"A2A-Version": "1.0"}
    c("card", "GET", "/.well-known/agent-card.json")
    c("card-old-path", "GET", "/.well-known/agent.json")
    t = result(c("send-hello", "POST", "/", rpc("SendMessage", msg1("hello")), V))["task"]
    ask = result(c("send-ask", "POST", "/", rpc("SendMessage", msg1("ask me")), V))["task"]
    c("send-followup", "POST", "/", rpc("SendMessage", msg1("blue", taskId=ask["id"], contextId=ask["contextId"])), V)
    c("send-same-context", "POST", "/", rpc("SendMessage", msg1("again", contextId=t["contextId"])), V)
    c("stream-hi", "POST", "/", rpc("SendStreamingMessage", msg1("hi"), 7), V)
    c("stream-ask", "POST", "/", rpc("SendStreamingMessage", msg1("ask me"), 8), V)
    c("get-task", "POST", "/", rpc("GetTask", {"id": t["id"]}), V)
    c("get-task-history1", "POST", "/", rpc("GetTask", {"id": t["id"], "historyLength": 1}), V)
    c("list-tasks", "POST", "/", rpc("ListTasks", {"pageSize": 2}), V)
    c("cancel-finished", "POST", "/", rpc("CancelTask", {"id": t["id"]}), V)
    c("get-missing", "POST", "/", rpc("GetTask", {"id": "no-such-task"}), V)
    c("subscribe-finished", "POST", "/", rpc("SubscribeToTask", {"id": t["id"]}), V)
    c("subscribe-missing", "POST", "/", rpc("SubscribeToTask", {"id": "no-such-task"}), V)
    slow = result(c("send-slow-return-immediately", "POST", "/", rpc("SendMessage", dict(
        msg1("slow one"), configuration={"returnImmediately": True})), V))["task"]
    c("cancel-running", "POST", "/", rpc("CancelTask", {"id": slow["id"]}), V)
    time.sleep(0.3)
    c("get-canceled", "POST", "/", rpc("GetTask", {"id": slow["id"]}), V)
    slow = result(c("send-slow-for-subscribe", "POST", "/", rpc("SendMessage", dict(
        msg1("slow two"), configuration={"returnImmediately": True})), V))["task"]
    c("subscribe-running", "POST", "/", rpc("SubscribeToTask", {"id": slow["id"]}, 5), V)
    c("stream-slow-cancel-midway", "POST", "/", rpc("SendStreamingMessage", msg1("slow three"), 6), V,
      during=lambda ev: c("cancel-during-stream", "POST", "/", rpc("CancelTask", {"id": ev["task"]["id"]}), V))
    c("v03-stream-ask", "POST", "/", rpc("message/stream", msg03("ask me"), 10))
    c("send-no-version-header", "POST", "/", rpc("SendMessage", msg1("hello")))
    c("stream-no-version-header", "POST", "/", rpc("SendStreamingMessage", msg1("hello")))
    c("send-version-0.3-header", "POST", "/", rpc("SendMessage", msg1("hello")), {"A2A-Version": "0.3"})
    c("send-version-2.0-header", "POST", "/", rpc("SendMessage", msg1("hello")), {"A2A-Version": "2.0"})
    c("v03-message-send-no-header", "POST", "/", rpc("message/send", msg03("hello")))
    c("v03-message-send-with-1.0-header", "POST", "/", rpc("message/send", msg03("hello")), V)
    c("v03-message-stream", "POST", "/", rpc("message/stream", msg03("hi"), 9))
    c("v03-tasks-get", "POST", "/", rpc("tasks/get", {"id": t["id"]}))
    c("v03-parts", "POST", "/", rpc("message/send", {"message": dict(msg03("x")["message"], parts=PARTS_03)}))
    c("parts", "POST", "/", rpc("SendMessage", {"message": dict(msg1("x")["message"], parts=PARTS_1)}), V)
    c("push-create", "POST", "/", rpc("CreateTaskPushNotificationConfig", {
        "taskId": ask["id"], "url": "http://127.0.0.1:9/hook", "token": "tok"}), V)
    c("push-list", "POST", "/", rpc("ListTaskPushNotificationConfigs", {"taskId": ask["id"]}), V)
    c("unknown-method", "POST", "/", rpc("NoSuchMethod", {}), V)
    c("empty-body", "POST", "/", b"", V)
    c("invalid-json", "POST", "/", b"{not json", V)
    c("get-on-rpc-url", "GET", "/")


def run_v03(c):
    c("card", "GET", "/.well-known/agent-card.json")
    c("card-old-path", "GET", "/.well-known/agent.json")
    t = result(c("send-hello", "POST", "/", rpc("message/send", msg03("hello"))))
    ask = result(c("send-ask", "POST", "/", rpc("message/send", msg03("ask me"))))
    c("send-followup", "POST", "/", rpc("message/send", msg03("blue", taskId=ask["id"], contextId=ask["contextId"])))
    c("send-same-context", "POST", "/", rpc("message/send", msg03("again", contextId=t["contextId"])))
    c("stream-hi", "POST", "/", rpc("message/stream", msg03("hi"), 7))
    c("stream-ask", "POST", "/", rpc("message/stream", msg03("ask me"), 8))
    c("get-task", "POST", "/", rpc("tasks/get", {"id": t["id"]}))
    c("get-task-history1", "POST", "/", rpc("tasks/get", {"id": t["id"], "historyLength": 1}))
    c("cancel-finished", "POST", "/", rpc("tasks/cancel", {"id": t["id"]}))
    c("get-missing", "POST", "/", rpc("tasks/get", {"id": "no-such-task"}))
    c("resubscribe-finished", "POST", "/", rpc("tasks/resubscribe", {"id": t["id"]}))
    c("resubscribe-missing", "POST", "/", rpc("tasks/resubscribe", {"id": "no-such-task"}))
    slow = result(c("send-slow-nonblocking", "POST", "/", rpc("message/send", dict(
        msg03("slow one"), configuration={"blocking": False}))))
    c("cancel-running", "POST", "/", rpc("tasks/cancel", {"id": slow["id"]}))
    time.sleep(0.3)
    c("get-canceled", "POST", "/", rpc("tasks/get", {"id": slow["id"]}))
    slow = result(c("send-slow-for-resubscribe", "POST", "/", rpc("message/send", dict(
        msg03("slow two"), configuration={"blocking": False}))))
    c("resubscribe-running", "POST", "/", rpc("tasks/resubscribe", {"id": slow["id"]}, 5))
    c("stream-slow-cancel-midway", "POST", "/", rpc("message/stream", msg03("slow three"), 6),
      during=lambda ev: c("cancel-during-stream", "POST", "/", rpc("tasks/cancel", {"id": ev["id"]})))
    c("v1-SendMessage-with-header", "POST", "/", rpc("SendMessage", msg1("hello")), {"A2A-Version": "1.0"})
    c("parts", "POST", "/", rpc("message/send", {"message": dict(msg03("x")["message"], parts=PARTS_03)}))
    c("push-set", "POST", "/", rpc("tasks/pushNotificationConfig/set", {
        "taskId": ask["id"], "pushNotificationConfig": {"url": "http://127.0.0.1:9/hook", "token": "tok"}}))
    c("push-list", "POST", "/", rpc("tasks/pushNotificationConfig/list", {"id": ask["id"]}))
    c("unknown-method", "POST", "/", rpc("NoSuchMethod", {}))
    c("empty-body", "POST", "/", b"")
    c("invalid-json", "POST", "/", b"{not json")
    c("get-on-rpc-url", "GET", "/")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--line", choices=["1", "0.3"], required=True)
    a = p.parse_args()
    c = Capture(a.url, a.out)
    (run_v1 if a.line == "1" else run_v03)(c)


if __name__ == "__main__":
    main()

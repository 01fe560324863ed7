"""A loopback fake of an OpenAI-compatible server for tests: scripted replies, recorded requests.

Bound to 127.0.0.1 on a free port, serves until stopped, never touches any other address. Tests `enqueue()`
what the server answers next (status, headers, JSON body, delay, or a raw fault such as a connection reset or
a truncated body); with the queue empty, `default(request_json)` answers.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAI", "Reply", "chat_completion", "tool_call_completion"]


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON; str/bytes sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    fault: str | None = None  # "reset" (close without answer) | "truncate" (half a body)


def chat_completion(content: str, *, finish_reason: str = "stop", model: str = "fake") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def tool_call_completion(
    name: str, arguments: dict[str, Any], *, finish_reason: str = "tool_calls"
) -> dict[str, Any]:
    body = chat_completion("", finish_reason=finish_reason)
    body["choices"][0]["message"] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }
    return body


def _answer_from_schema(request: dict[str, Any]) -> dict[str, Any]:
    """Default: answer a forced tool call with the first enum value of each field (a valid, boring answer)."""
    tools = request.get("tools") or []
    if not tools:
        return chat_completion("{}")
    fn = tools[0]["function"]
    props = fn["parameters"].get("properties", {})
    defs = fn["parameters"].get("$defs", {})
    args: dict[str, Any] = {}
    for key, spec in props.items():
        if "$ref" in spec:
            spec = defs[spec["$ref"].split("/")[-1]]
        args[key] = (spec.get("enum") or [None])[-1]
    return tool_call_completion(fn["name"], args)


class FakeOpenAI:
    def __init__(self, default: Callable[[dict[str, Any]], Any] | None = None) -> None:
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.times: list[tuple[float, float]] = []  # (start, end) per request
        self.default = default or _answer_from_schema
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                start = time.monotonic()
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {"_raw": raw.decode(errors="replace")}
                with fake.lock:
                    fake.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "json": payload,
                            "peer": self.client_address[1],  # the client's port: one per connection
                        }
                    )
                    reply = fake.replies.popleft() if fake.replies else None
                if reply is None:
                    reply = Reply(body=fake.default(payload))
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.fault == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                body = reply.body if isinstance(reply.body, bytes | str) else json.dumps(reply.body)
                data = body.encode() if isinstance(body, str) else body
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                if reply.fault == "truncate":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)
                with fake.lock:
                    fake.times.append((start, time.monotonic()))

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def enqueue(self, *replies: Reply) -> FakeOpenAI:
        with self.lock:
            self.replies.extend(replies)
        return self

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

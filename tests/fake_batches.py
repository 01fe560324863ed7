"""A loopback fake of the OpenAI Files and Batches endpoints, for `parley batch submit/collect` tests.

Bound to 127.0.0.1 on a free port. An uploaded request file is "run" when the batch is created: each line's
body goes to `answer(body) -> (status, json)`; the batch reports `in_progress` for the first
`pending_polls` retrievals, then `completed` with an output file (and an error file for non-200 answers).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeBatches", "article_of", "single_call_arguments", "single_call_completion"]

Answer = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]


def _multipart_file(content_type: str, body: bytes) -> tuple[str, bytes, dict[str, str]]:
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    name, data = "upload.jsonl", b""
    for part in msg.iter_parts():  # type: ignore[attr-defined]
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            name, data = part.get_filename(), payload
        else:
            fields[part.get_param("name", header="content-disposition")] = payload.decode()
    return name, data, fields


class FakeBatches:
    def __init__(self, answer: Answer, *, pending_polls: int = 0) -> None:
        self.answer = answer
        self.pending_polls = pending_polls
        self.files: dict[str, tuple[str, bytes, str]] = {}  # id -> (name, data, purpose)
        self.batches: dict[str, dict[str, Any]] = {}
        self.polls: dict[str, int] = {}
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, *, raw: bool = False) -> None:
                data = body if raw else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/octet-stream" if raw else "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                with fake.lock:
                    fake.calls.append(("POST", self.path))
                if self.path == "/v1/files":
                    name, data, fields = _multipart_file(self.headers["content-type"], raw)
                    self._send(200, fake._add_file(name, data, fields.get("purpose", "")))
                elif self.path == "/v1/batches":
                    self._send(200, fake._create_batch(json.loads(raw)))
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_GET(self) -> None:
                with fake.lock:
                    fake.calls.append(("GET", self.path))
                parts = self.path.strip("/").split("/")
                if parts[:2] == ["v1", "batches"] and len(parts) == 3 and parts[2] in fake.batches:
                    self._send(200, fake._poll(parts[2]))
                elif parts[:2] == ["v1", "files"] and len(parts) == 4 and parts[3] == "content":
                    self._send(200, fake.files[parts[2]][1], raw=True)
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _add_file(self, name: str, data: bytes, purpose: str) -> dict[str, Any]:
        with self.lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = (name, data, purpose)
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": 0,
            "filename": name,
            "purpose": purpose,
            "status": "processed",
        }

    def _create_batch(self, req: dict[str, Any]) -> dict[str, Any]:
        _, data, _ = self.files[req["input_file_id"]]
        out, errors = [], []
        for n, line in enumerate(data.decode().splitlines()):
            row = json.loads(line)
            status, body = self.answer(row["body"])
            result = {
                "id": f"batch_req_{n}",
                "custom_id": row["custom_id"],
                "response": {"status_code": status, "request_id": f"req_{n}", "body": body},
                "error": None,
            }
            (out if status == 200 else errors).append(json.dumps(result))
        output = self._add_file("output.jsonl", ("\n".join(out) + "\n").encode(), "batch_output")["id"]
        error = self._add_file("errors.jsonl", ("\n".join(errors) + "\n").encode(), "batch_output")["id"]
        batch = {
            "id": f"batch_{len(self.batches) + 1}",
            "object": "batch",
            "endpoint": req["endpoint"],
            "input_file_id": req["input_file_id"],
            "completion_window": req["completion_window"],
            "created_at": 0,
            "status": "validating",
            "metadata": req.get("metadata"),
            "request_counts": {"total": len(out) + len(errors), "completed": 0, "failed": 0},
        }
        with self.lock:
            self.batches[batch["id"]] = {**batch, "_output": output, "_errors": error if errors else None}
            self.polls[batch["id"]] = 0
        return batch

    def _poll(self, batch_id: str) -> dict[str, Any]:
        with self.lock:
            self.polls[batch_id] += 1
            b = dict(self.batches[batch_id])
        public = {k: v for k, v in b.items() if not k.startswith("_")}
        if self.polls[batch_id] <= self.pending_polls:
            return {**public, "status": "in_progress"}
        counts = b["request_counts"]
        return {
            **public,
            "status": "completed",
            "output_file_id": b["_output"],
            "error_file_id": b["_errors"],
            "request_counts": {**counts, "completed": counts["total"]},
        }

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeBatches:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


_MET = re.compile(r"([A-Z]\w+ [A-Z]\w+) met ([A-Z]\w+ [A-Z]\w+)(?: in ([A-Z]\w+))?")
_SAID = re.compile(r"([A-Z]\w+ [A-Z]\w+) said")
_DEMANDED = re.compile(r"([A-Z]\w+ [A-Z]\w+) demanded that (.+?)\.")


def single_call_arguments(article: str) -> dict[str, Any]:
    """What a good model answers for the single-call strategy on the tests' synthetic articles."""
    answer: dict[str, Any] = {"meetings": [], "statements": [], "demands": []}
    for line in article.splitlines():
        line = line.strip()
        if "BROKEN" in line:  # evidence that is not in the article: fails validation
            answer["statements"].append(
                {"speaker": "Nobody", "quote": None, "evidence": "words never written"}
            )
        if m := _MET.search(line):
            answer["meetings"].append(
                {
                    "participants": [m[1], m[2]],
                    "location": m[3],
                    "date_text": None,
                    "status": "held",
                    "evidence": line,
                }
            )
        if m := _SAID.search(line):
            answer["statements"].append({"speaker": m[1], "quote": None, "evidence": line})
        if m := _DEMANDED.search(line):
            answer["demands"].append({"by": m[1], "of": None, "demand": m[2], "evidence": line})
    return answer


def article_of(body: dict[str, Any]) -> str:
    """The article inside a single-call request body."""
    for message in body["messages"]:  # the first user turn: a re-ask appends more turns after it
        content = str(message.get("content") or "")
        if "Article:\n" in content:
            return content.rsplit("Article:\n", 1)[-1]
    return ""


def single_call_completion(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion answering a single-call request (tools mode) about its article."""
    name = body["tools"][0]["function"]["name"]
    arguments = json.dumps(single_call_arguments(article_of(body)))
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }

"""A fake OpenAI-compatible chat server with a fixed latency, run in its own process for benchmarks.

Its own process, so the server's CPU never competes with the client being measured for one GIL. Every
answer is valid for the request (the single-call article schema or a forced choice), built by the same
answer functions the tests use. `GET /_log` returns (and clears) the request bodies received so far, so a
benchmark can replay exactly what `extract_article()` sent.

    python -m benchmarks.fake_server --delay 0.2      # prints its base URL, serves until stdin closes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any

from benchmarks._common import FastHandler
from tests.fake_batches import single_call_completion
from tests.fake_openai import _answer_from_schema


def answer(body: dict[str, Any]) -> dict[str, Any]:
    tool = (body.get("tools") or [{}])[0].get("function", {}).get("name")
    return single_call_completion(body) if tool == "_LLMArticle" else _answer_from_schema(body)


def serve(delay: float) -> ThreadingHTTPServer:
    log: list[bytes] = []
    replies: dict[bytes, bytes] = {}  # a repeated request costs the server no CPU: only the latency
    lock = threading.Lock()

    class Handler(FastHandler):
        def _send_bytes(self, data: bytes) -> None:
            self.send_whole("200 OK", [("content-type", "application/json")], data)

        def _send(self, payload: Any) -> None:
            self._send_bytes(json.dumps(payload).encode())

        def do_GET(self) -> None:
            with lock:
                bodies = list(log)
                log.clear()
            self._send([json.loads(b) for b in bodies])

        def do_POST(self) -> None:
            started = time.monotonic()
            raw = self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}"
            key = hashlib.sha256(raw).digest()
            with lock:
                log.append(raw)
                reply = replies.get(key)
            if reply is None:
                reply = json.dumps(answer(json.loads(raw))).encode()
                with lock:
                    replies[key] = reply
            left = delay - (time.monotonic() - started)
            if left > 0:
                time.sleep(left)  # a model that takes `delay` seconds per request, however busy we are
            self._send_bytes(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 128
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per request")
    args = parser.parse_args()
    server = serve(args.delay)
    host, port = server.server_address[:2]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    print(f"http://{host}:{port}/v1", flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    server.shutdown()


if __name__ == "__main__":
    main()

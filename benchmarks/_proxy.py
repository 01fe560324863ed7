"""A loopback HTTP proxy in front of a model server that times each request and reads its token usage.

Every client measured (ours, langextract) talks to the model through it, so round-trip times and token counts
are taken at the same place for all of them. `label` tags the records of whatever runs next.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

from ._common import FastHandler


@dataclass
class Exchange:
    label: str
    seconds: float
    status: int
    prompt_tokens: int
    completion_tokens: int


class Proxy:
    def __init__(self, upstream: str) -> None:
        up = urlparse(upstream)
        self.upstream_host, self.upstream_port = up.hostname or "127.0.0.1", up.port or 80
        self.prefix = up.path.rstrip("/")  # e.g. /v1
        self.label = ""
        self.log: list[Exchange] = []
        lock = threading.Lock()
        local = threading.local()
        proxy = self

        class Handler(FastHandler):
            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"host", "connection"}}
                path = (
                    proxy.prefix + self.path.removeprefix("/v1") if self.path.startswith("/v1") else self.path
                )
                started = time.perf_counter()
                conn.request(method, path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                seconds = time.perf_counter() - started
                usage: dict[str, Any] = {}
                if method == "POST":
                    with contextlib.suppress(ValueError):
                        usage = json.loads(data).get("usage") or {}
                    with lock:
                        proxy.log.append(Exchange(proxy.label, seconds, resp.status,
                                                  int(usage.get("prompt_tokens") or 0),
                                                  int(usage.get("completion_tokens") or 0)))  # fmt: skip
                skip = {"transfer-encoding", "connection", "content-length"}
                back = [(k, v) for k, v in resp.getheaders() if k.lower() not in skip]
                self.send_whole(f"{resp.status} {resp.reason}", back, data)

            def do_POST(self) -> None:
                self._forward("POST")

            def do_GET(self) -> None:
                self._forward("GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def records(self, label: str) -> list[Exchange]:
        return [e for e in self.log if e.label == label]


@contextmanager
def proxy_to(upstream: str) -> Iterator[Proxy]:
    proxy = Proxy(upstream)
    thread = threading.Thread(target=proxy.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()

"""What the benchmarks share: the fake server in a subprocess, percentiles, tables and JSON results."""

from __future__ import annotations

import json
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results")
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
ARTICLES = Path(__file__).with_name("articles")


class FastHandler(BaseHTTPRequestHandler):
    """Keep-alive, quiet, and no Nagle: the loopback servers of the benchmarks must not add latency."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: Any) -> None:
        pass

    def send_whole(self, status: str, headers: list[tuple[str, str]], data: bytes) -> None:
        """Head and body in one write: split small writes meet the peer's delayed ACK (a 40 ms stall)."""
        head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
        self.wfile.write(f"{head}content-length: {len(data)}\r\n\r\n".encode() + data)


@contextmanager
def fake_server(delay: float) -> Iterator[str]:
    """Start `benchmarks.fake_server` in its own process; yield its base URL; stop it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fake_server", "--delay", str(delay)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"fake server did not start: {url!r}")
        yield url
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


def fake_log(base_url: str) -> list[dict[str, Any]]:
    """The request bodies the fake server received since the last call (and forget them)."""
    import urllib.request

    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/_log", timeout=5) as resp:
        bodies: list[dict[str, Any]] = json.load(resp)
    return bodies


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on the sorted values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, right-aligned, for the terminal (and the README)."""
    cells = [[str(h) for h in headers], *[[_fmt(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 100 else f"{v:.1f}"
    return str(v)


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write `benchmarks/results/<name>.json` with the machine and time it was measured on."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "platform": platform.platform()},
        **data,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

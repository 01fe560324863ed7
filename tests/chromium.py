"""Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`): open a page,
read its DOM after its scripts ran, click with the mouse, take screenshots. Debian's `chromium` package and
the standard library are all it needs: no websocket client, no browser download, no network."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["FLAGS", "Browser", "find_chromium"]

_TRAMPOLINE = """import fcntl, os, sys
given = [int(fd) for fd in sys.argv[1:3]]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in given]
for fd in given:
    os.close(fd)
os.dup2(high[0], 3)
os.dup2(high[1], 4)
os.execv(sys.argv[3], sys.argv[3:])
"""

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with a fresh profile and one page (a 1280x900 viewport)."""

    def __init__(self, executable: str, *, width: int = 1280, height: int = 900, timeout: float = 30) -> None:
        self.executable, self.width, self.height, self.timeout = executable, width, height, timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None

    def __enter__(self) -> Browser:
        self._profile = tempfile.TemporaryDirectory(prefix="parley-chromium-")
        to_browser, self._send_fd = os.pipe()
        self._recv_fd, from_browser = os.pipe()
        args = [self.executable, *FLAGS, f"--user-data-dir={self._profile.name}", "--remote-debugging-pipe"]
        # the protocol runs on the child's fds 3 (commands in) and 4 (replies out): a tiny Python trampoline
        # puts the pipes there (a shell cannot name fds above 9; preexec_fn is unsafe with threads)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, str(to_browser), str(from_browser), *args, "about:blank"],
            pass_fds=(to_browser, from_browser),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_browser)
        os.close(from_browser)
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
            attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True)
            self._session = attached["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                self.call(f"{domain}.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride",
                {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
            )
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.proc.poll() is None:
                self._send({"id": 0, "method": "Browser.close"})
                self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            for fd in (self._send_fd, self._recv_fd):
                with contextlib.suppress(OSError):
                    os.close(fd)
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            self._profile.cleanup()

    # --- protocol ---------------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        os.write(self._send_fd, json.dumps(message).encode() + b"\0")

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._recv_fd], [], [], left)[0]:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._recv_fd, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"chromium exited (code {self.proc.poll()}): {err[-2000:]}")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> Any:
        """Send one command and wait for its answer; events that arrive meanwhile go to `events`."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if not browser and self._session:
            message["sessionId"] = self._session
        self._send(message)
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self.events:
                if event["method"] == method:
                    self.events.remove(event)
                    return event
            reply = self._receive(deadline)
            if "method" in reply:
                self.events.append(reply)

    # --- what a test does --------------------------------------------------------------------------------

    def open(self, url: str, *, ready: str = "document.documentElement.dataset.ready === 'true'") -> None:
        """Load `url` and wait until its load event fired and `ready` holds (the page's scripts ran)."""
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")
        deadline = time.monotonic() + self.timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: not ready after {self.timeout}s ({ready})")
            time.sleep(0.05)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-like values come back as Python)."""
        answer = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression[:80]}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A real left click at viewport coordinates: move, press, release (the page sees trusted events)."""
        for kind, extra in (
            ("mouseMoved", {}),
            ("mousePressed", {"clickCount": 1}),
            ("mouseReleased", {"clickCount": 1}),
        ):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", **extra})

    def screenshot(self, path: Path) -> Path:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def requested(self) -> list[str]:
        """Every URL the page asked for so far."""
        return [
            e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"
        ]

    def errors(self) -> list[str]:
        """Uncaught script errors and console errors so far."""
        out = [json.dumps(e["params"])[:500] for e in self.events if e["method"] == "Runtime.exceptionThrown"]
        out += [
            json.dumps(e["params"])[:500]
            for e in self.events
            if e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") == "error"
        ]
        return out

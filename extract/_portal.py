"""One long-lived event loop in a daemon thread, for the blocking API.

`asyncio.run()` per blocking call would build a new loop, a new HTTP client (TLS context included, ~20 ms)
and a new connection for every article, and leave the last client's connections to be closed on a dead
loop. Running every blocking call on this one loop keeps one client and its pooled keep-alive connections
for the life of the process, like the raw `openai.OpenAI` client does. Safe to call from many threads; a
forked child gets a loop (and a lock) of its own: the parent's thread does not exist there.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["call_on_loop_thread", "run_blocking"]

T = TypeVar("T")


class _Portal:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if self._loop is None or self._pid != os.getpid() or not alive:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="parley-loop", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop

    def forget(self) -> None:
        """After fork, in the child: the loop thread was not copied, and the lock may have been held."""
        self._lock = threading.Lock()
        self._loop = self._thread = None
        self._pid = 0

    def call(self, fn: Callable[[], object], timeout: float = 5.0) -> None:
        """Run `fn` on the loop thread and wait, if that thread is running in this process (else do nothing)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None or not thread.is_alive() or self._pid != os.getpid():
                return
        # called from a coroutine on the loop: waiting for the loop would block it
        if threading.current_thread() is thread:
            fn()
            return

        async def call_fn() -> None:
            fn()

        # a loop busy with a long call: the handles go with the thread
        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(call_fn(), loop).result(timeout)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop())
        try:
            return future.result()
        except BaseException:
            future.cancel()  # Ctrl-C while waiting: stop the work instead of leaving it running
            raise


_portal = _Portal()
os.register_at_fork(after_in_child=_portal.forget)


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on the shared loop and wait for its result (its exception is raised here)."""
    return _portal.run(coro)


def call_on_loop_thread(fn: Callable[[], object]) -> None:
    """Run `fn` on the shared loop's thread (for per-thread handles such as SQLite's), if it is running."""
    _portal.call(fn)

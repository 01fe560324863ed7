"""The embedded model under llama-cpp-python's OpenAI-compatible server.

Started on 127.0.0.1 at a free port when no base URL is configured, health-checked, shared by every call in
the process (one server per model and file), and stopped at exit (atexit plus SIGTERM), on error and on
Ctrl-C. Which file it serves, and how that file is checked, is `weights.py`'s business.
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import multiprocessing.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..errors import LocalExtraMissing, ModelUnavailable
from ..settings import DEFAULT_MODEL

__all__ = ["EmbeddedServer", "embedded_base_url", "shutdown_embedded"]

log = logging.getLogger("parley")
INSTALL_HINT = "pip install -e '.[local]'   (compiles llama.cpp: about 6 minutes on 2 cores)"
N_CTX = 4096  # for a file of the user's own; a packaged model has its own in the registry


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedServer:
    """One llama.cpp server process. Use as a context manager or call `start()`/`stop()`."""

    def __init__(
        self,
        *,
        model: str = DEFAULT_MODEL,
        path: Path | None = None,
        port: int | None = None,
        alias: str | None = None,
        threads: int = 0,
    ) -> None:
        """`model`: a key or alias of `weights.MODELS`; with `path`, any name: that GGUF file is served."""
        from . import weights  # here, not at the top: `python -m extract.model.weights` must load it first

        self.model = model
        self.path = path
        self.spec = None if path is not None else weights.spec_for(model)  # an unknown name fails here
        self.port = port or _free_port()
        self.alias = alias or (self.spec.alias if self.spec is not None else model)
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self.abort = threading.Event()  # set by another thread: give up a start in progress

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line, the model file checked (tests replace it with a stand-in)."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise LocalExtraMissing(f"the embedded model needs llama-cpp-python[server]: {INSTALL_HINT}")
        from . import weights

        model = weights.model_file(self.spec or self.model, path=self.path)  # checked at every start
        return [
            sys.executable,
            "-m",
            "extract.model.llama_server",  # llama_cpp.server with cheap log-probabilities
            "--model",
            str(model),
            "--model_alias",
            self.alias,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.spec.n_ctx if self.spec is not None else N_CTX),
            "--n_threads",
            str(self.threads),
            "--verbose",
            "False",
        ]

    def start(self, *, wait: float = 120.0) -> EmbeddedServer:
        if self.proc is not None and self.proc.poll() is None:
            return self  # already running: a second start must not orphan the first process
        cmd = self.command()
        log.info("starting embedded model server on 127.0.0.1:%d", self.port)
        # stderr to a file, not a pipe: nobody reads a pipe while the server runs, and a full one blocks it
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._stderr)
        try:
            self._wait_until_ready(self.proc, wait)
        except BaseException:  # crash, deadline, Ctrl-C or SIGTERM while starting: never leave it running
            self.stop()
            raise
        return self

    def _wait_until_ready(self, proc: subprocess.Popen[bytes], wait: float) -> None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.abort.is_set():
                raise ModelUnavailable("embedded model server start was interrupted by shutdown")
            if proc.poll() is not None:
                code, tail = proc.returncode, self._tail()
                raise ModelUnavailable(f"embedded model server exited at start ({code}): {tail}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise ModelUnavailable(f"embedded model server did not answer within {wait:.0f}s")

    def _tail(self, size: int = 800) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - size))
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stderr, self._stderr = self._stderr, None
        if stderr is not None:
            stderr.close()
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_Key = tuple[str, Path | None]
# one server per (model, file of the user's own)
_shared: dict[_Key, EmbeddedServer] = {}
# a forked child's use of the parent's servers: (url, pid), never stopped here
_borrowed: dict[_Key, tuple[str, int]] = {}
# re-entered when SIGTERM's handler runs while the main thread is starting the server
_lock = threading.RLock()
_at_exit = _on_sigterm = False
_previous_sigterm: Callable[[int, FrameType | None], Any] | int | None = None


def install_hooks() -> None:
    """Stop the shared server at exit and on SIGTERM. Called before any start, from the thread that will
    receive signals (the main thread), since the start itself may run on the blocking API's loop thread."""
    global _at_exit, _on_sigterm
    if _at_exit and _on_sigterm:
        return  # every blocking call comes here: no lock once both are in
    with _lock:
        if not _at_exit:
            atexit.register(shutdown_embedded)
            _at_exit = True
        if not _on_sigterm:
            _on_sigterm = _install_sigterm()


def embedded_base_url(model: str = DEFAULT_MODEL, path: Path | None = None) -> str:
    """Start (once per process) the shared embedded server for `model` (or the file `path`) and return its
    base URL. An unknown model name without a path is a `ConfigError` listing the known ones."""
    from . import weights

    install_hooks()  # before starting: a SIGTERM during the start must stop it too
    key: _Key = (model, path) if path is not None else (weights.spec_for(model).key, None)
    with _lock:
        borrowed = _borrowed.get(key)
        if key not in _shared and borrowed is not None:
            if _running(borrowed[1]):
                return borrowed[0]
            del _borrowed[key]  # the parent's server is gone: this process starts (and owns) its own
        running = _shared.get(key)
        if running is None or running.proc is None or running.proc.poll() is not None:
            running = _shared[key] = EmbeddedServer(model=model, path=path)
            try:
                running.start()
            except BaseException:
                if _shared.get(key) is running:
                    del _shared[key]
                raise
            # a multiprocessing worker leaves through os._exit, which skips atexit
            multiprocessing.util.Finalize(running, running.stop, exitpriority=0)
        return running.base_url


def shutdown_embedded() -> None:
    _borrowed.clear()  # a borrowed server is never stopped here, only forgotten
    for starting in list(_shared.values()):
        starting.abort.set()  # a start in progress on another thread gives up and releases the lock
    with _lock:
        for running in list(_shared.values()):
            running.stop()
        _shared.clear()


def _install_sigterm() -> bool:
    """Install the SIGTERM handler; False (try again later) when not on the main thread."""
    global _previous_sigterm
    if threading.current_thread() is not threading.main_thread():
        return False
    _previous_sigterm = signal.getsignal(signal.SIGTERM)
    # a program that ignores SIGTERM keeps running: so does its server
    if _previous_sigterm != signal.SIG_IGN:
        signal.signal(signal.SIGTERM, _on_term)
    return True


def _on_term(signum: int, frame: FrameType | None) -> None:
    """Stop the embedded server, then let SIGTERM do what it did before this handler was installed: by
    default end the process, killed by the signal, as if the handler were not there (no exception that
    some `except BaseException` could swallow), or call the program's own handler."""
    shutdown_embedded()
    previous = _previous_sigterm
    if callable(previous):
        previous(signum, frame)
    else:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _forget_after_fork() -> None:
    """In a forked child (a multiprocessing worker, say): the parent owns the server and its hooks. The child
    uses the parent's server while it runs, without ever stopping it, and SIGTERM is what it was before (a
    pool's `terminate()` must end its workers at once)."""
    global _lock, _on_sigterm
    _lock = threading.RLock()  # the parent's may have been held at fork
    for key, running in _shared.items():
        if running.proc is not None and running.proc.returncode is None:
            _borrowed[key] = (running.base_url, running.proc.pid)
    _shared.clear()  # the atexit entry copied from the parent now finds nothing of the child's to stop
    if _on_sigterm:
        signal.signal(signal.SIGTERM, _previous_sigterm if _previous_sigterm is not None else signal.SIG_DFL)
        _on_sigterm = False


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


os.register_at_fork(after_in_child=_forget_after_fork)

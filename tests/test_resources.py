"""What the library opens, it releases: model clients, keep-alive connections and cache handles, with
`extract.close()`, with the event loop that used them, and across `fork()`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import pickle
import select
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, chat_completion, tool_call_completion

import extract
from extract import aextract_article, errors, extract_article, resolve_settings
from extract._portal import run_blocking
from extract.api import get_backend
from extract.settings import Settings
from schemas import ArticleExtraction

pytestmark = [
    pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"]),
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc"),
]


def article(n: int) -> str:
    """A quote no rule can attribute, so evidence-first asks the model (one short multiple-choice call)."""
    return (
        f"Foreign Minister Ana Kovac met her counterpart Ivo Maric in Zagreb on day {n}.\n\n"
        f"Kovac and Maric spoke briefly afterwards. “There is more to do than ever, {n} times more,” the "
        "statement read."
    )


def first_choice(request: dict[str, Any]) -> dict[str, Any]:
    """Answer with the first option of each field (a name from the article): a forced tool call, or JSON
    under the grammar a multiple-choice question sends."""
    if "tools" not in request:
        props = request["response_format"]["schema"]["properties"]
        return chat_completion(json.dumps({k: v["enum"][0] for k, v in props.items()}))
    fn = request["tools"][0]["function"]
    props = fn["parameters"]["properties"]
    return tool_call_completion(fn["name"], {k: (v.get("enum") or [None])[0] for k, v in props.items()})


def open_files(kind: str) -> int:
    """Open descriptors of this process whose target contains `kind` ("socket:", "cache.db")."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed while listing
            count += kind in os.readlink(f"/proc/self/fd/{fd}")
    return count


def eventually(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    """The fake server closes its side of a connection in its own thread, a moment after the client."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def read_within(fd: int, pid: int, seconds: float) -> bytes:
    """Everything a child writes to `fd` until it closes it; a child still silent at the deadline is killed."""
    deadline, chunks = time.monotonic() + seconds, []
    with os.fdopen(fd, "rb", buffering=0) as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(f"the forked child did not finish within {seconds:.0f} s")
            chunk = pipe.read(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=first_choice) as server:
        yield server


def settings_for(fake: FakeOpenAI, cache: Path | bool) -> Settings:
    return resolve_settings(base_url=fake.base_url, cache=cache, retry_backoff=0.01)


def test_close_releases_connections_and_cache_handles_and_loses_nothing(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    extract_article(article(99), settings=settings_for(fake, False))  # the blocking API's loop is running
    extract.close()
    fake.requests.clear()
    sockets, handles = open_files("socket:"), open_files("cache.db")
    for n in range(4):  # four cache folders: four configurations, four clients
        extract_article(article(n), settings=settings_for(fake, tmp_path / f"cache{n}"))
    assert len(fake.requests) == 4 and len({r["peer"] for r in fake.requests}) == 4
    assert open_files("cache.db") >= handles + 4
    assert open_files("socket:") >= sockets + 4  # keep-alive: each client keeps its connection open

    extract.close()

    assert open_files("cache.db") == handles
    assert eventually(lambda: open_files("socket:") <= sockets), "connections left open after close()"
    again = extract_article(article(0), settings=settings_for(fake, tmp_path / "cache0"))
    assert again.meta.cached and len(fake.requests) == 4  # reopened on demand, the cached answer found


def test_asyncio_run_per_call_closes_each_client_with_its_loop(fake: FakeOpenAI) -> None:
    """`asyncio.run(aextract_article(...))` per article: each loop's client (and its connection) is closed
    when that loop shuts down, not left for the garbage collector."""
    settings = settings_for(fake, False)
    extract.close()
    sockets = open_files("socket:")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for n in range(8):
            result = asyncio.run(aextract_article(article(n), settings=settings))
            assert result.statements, "the model was asked and its answer used"
            assert eventually(lambda: open_files("socket:") <= sockets), f"call {n} left a connection open"
        gc.collect()
    assert len({r["peer"] for r in fake.requests}) == 8  # one connection per loop, each closed with it
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_forked_child_opens_its_own_client_and_leaves_the_parents_alone(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    """After fork, the child must not use the parent's copies: its loop thread does not exist there, its
    socket is the parent's connection, and SQLite forbids carrying a handle across fork."""
    settings = settings_for(fake, tmp_path / "cache")
    extract_article(article(0), settings=settings)  # the parent: loop thread, client, connection, cache
    parent_peer = fake.requests[0]["peer"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into pytest
        code = 1
        try:
            os.close(read_end)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)  # not pytest-timeout's handler: a hard stop
            signal.alarm(60)
            result = extract_article(article(1), settings=settings)
            os.write(write_end, result.model_dump_json().encode())
            code = 0
        except BaseException as exc:
            os.write(2, f"child failed: {exc!r}\n".encode())
        finally:
            os._exit(code)
    os.close(write_end)
    reported = read_within(read_end, pid, seconds=90)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the forked child failed or hung"
    child = ArticleExtraction.model_validate_json(reported)
    assert child.statements and not child.meta.cached
    assert fake.requests[1]["peer"] != parent_peer  # the child opened its own connection

    extract_article(article(2), settings=settings)  # the parent's client still works, on its connection
    assert fake.requests[2]["peer"] == parent_peer
    assert extract_article(article(1), settings=settings).meta.cached  # the child's answer is shared
    assert len(fake.requests) == 3


def test_close_from_inside_a_running_loop_does_not_block(fake: FakeOpenAI) -> None:
    settings = settings_for(fake, False)
    backend = get_backend(settings)

    async def run() -> float:
        await aextract_article(article(0), settings=settings)
        first = backend._clients[asyncio.get_running_loop()].client
        started = time.perf_counter()
        extract.close()  # this loop's client is closed by a task: nothing may wait on this very loop
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.05)
        assert first.is_closed()
        await aextract_article(article(1), settings=settings)  # a new client for the same loop
        return elapsed

    assert asyncio.run(run()) < 1.0
    assert len({r["peer"] for r in fake.requests}) == 2


def test_close_on_the_blocking_apis_own_loop_does_not_block(fake: FakeOpenAI, tmp_path: Path) -> None:
    extract_article(article(0), settings=settings_for(fake, tmp_path / "cache"))

    async def close_here() -> float:
        started = time.perf_counter()
        extract.close()
        return time.perf_counter() - started

    assert run_blocking(close_here()) < 1.0


def test_close_lets_a_call_in_flight_finish_first(fake: FakeOpenAI) -> None:
    """`close()` from another thread while a call waits on the model: the call completes on its client, with
    no retry and no error, and that client is closed right after."""
    settings = settings_for(fake, False)
    extract_article(article(99), settings=settings)
    extract.close()
    sockets = open_files("socket:")
    fake.default = lambda request: (time.sleep(0.8), first_choice(request))[1]
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(extract_article(article(0), settings=settings)))
    worker.start()
    assert eventually(lambda: len(fake.requests) == 2)  # the call is waiting on the model now
    extract.close()
    worker.join(timeout=30)
    assert results and results[0].statements and results[0].meta.usage.transport_retries == 0
    assert len(fake.requests) == 2
    assert eventually(lambda: open_files("socket:") <= sockets), "the retired client was not closed"


ERRORS = [
    errors.InputRejected("empty article"),
    errors.ConfigError("unknown strategy"),
    errors.ModelUnavailable("no server"),
    errors.LocalExtraMissing("install the local extra"),
    errors.ModelRequestFailed("400: bad request", status_code=400),
    errors.ModelTransportError("503 persisted", attempts=6),
    errors.ModelOutputInvalid("never valid", attempts=3),
    errors.CacheError("unusable folder"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_every_error_survives_pickling_with_its_attributes(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and vars(copy) == vars(error)


def raise_transport_error(attempts: int) -> None:
    raise errors.ModelTransportError("the model server kept answering 503", attempts=attempts)


def test_an_error_in_a_pool_worker_reaches_the_caller_instead_of_hanging_the_pool() -> None:
    """An exception that cannot be unpickled kills the pool's result thread and the caller waits forever."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pending = pool.apply_async(raise_transport_error, (6,))
        with pytest.raises(errors.ModelTransportError) as caught:
            pending.get(timeout=60)
    assert caught.value.attempts == 6

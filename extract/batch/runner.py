"""`run_batch`: many articles through the front door with bounded concurrency, resumable, exactly once.

Workers share one backend (`get_backend(settings)`: one HTTP client, one embedded server). Each finished
article is appended to the results file before the next one is reported, so an interruption loses only the
articles in flight. A rerun skips every id whose record is done for the same content hash, and redoes
failed, missing and changed ones. Articles with the same content are extracted once; the other ids get a
`duplicate` record pointing at the first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from schemas import ArticleExtraction

from ..api import aextract_article, using_backend
from ..errors import ExtractError, ModelUnavailable
from ..model.backend import Backend
from ..settings import Settings
from ..strategies.chunking import aextract_chunked
from .inputs import InputItem
from .progress import BatchStats, NullProgress, ProgressSink
from .store import BatchRecord, ErrorInfo, ResultStore

__all__ = [
    "DEFAULT_CHUNK_CHARS",
    "Extractor",
    "Outcome",
    "chunk_chars_for",
    "iter_batch",
    "make_record",
    "plan",
    "run_batch",
]

log = logging.getLogger("parley")

# The embedded model has a 4,096-token context; a single-call prompt holds the whole chunk plus about 700
# tokens of instructions and schema, and leaves room for the answer. ~3.5 characters per token.
DEFAULT_CHUNK_CHARS = 8_000

Extractor = Callable[[InputItem], Awaitable[tuple[ArticleExtraction, int]]]


def chunk_chars_for(settings: Settings, chunk_chars: int | None) -> int:
    """Chunk only where the whole article goes into one prompt (single-call); 0 means never chunk.

    Evidence-first sends short passages, so its calls fit any context whatever the article's length.
    """
    if chunk_chars is not None:
        return chunk_chars
    return DEFAULT_CHUNK_CHARS if settings.strategy == "single-call" else 0


@dataclass
class Plan:
    """What a run has to do, given what the results file already holds."""

    todo: list[InputItem]  # one per content hash: the first id that has it
    followers: dict[str, list[InputItem]]  # content hash -> later ids with the same content
    instant: list[BatchRecord]  # duplicates of articles done by an earlier run
    skipped: int


def plan(items: list[InputItem], done: dict[str, BatchRecord]) -> Plan:
    ok_by_hash = {r.content_hash: r.id for r in done.values() if r.status == "ok"}
    todo: list[InputItem] = []
    followers: dict[str, list[InputItem]] = {}
    instant: list[BatchRecord] = []
    skipped = 0
    for item in items:
        rec = done.get(item.id)
        if rec is not None and rec.content_hash == item.content_hash and rec.done:
            skipped += 1
        elif item.error is None and item.content_hash in ok_by_hash:
            instant.append(_duplicate(item, ok_by_hash[item.content_hash]))
        elif item.error is None and item.content_hash in followers:
            followers[item.content_hash].append(item)
        else:
            todo.append(item)
            if item.error is None:
                followers[item.content_hash] = []
    return Plan(todo, followers, instant, skipped)


def make_record(item: InputItem, **fields: object) -> BatchRecord:
    return BatchRecord(
        id=item.id,
        content_hash=item.content_hash,
        text=item.text,
        published=item.published,
        url=item.url,
        title=item.title,
        source=item.source,
        **fields,  # type: ignore[arg-type]
    )


def _duplicate(item: InputItem, of: str) -> BatchRecord:
    return make_record(item, status="duplicate", duplicate_of=of)


def _error(item: InputItem, exc: BaseException, elapsed: float) -> BatchRecord:
    attempts = int(getattr(exc, "attempts", 1) or 1)
    info = ErrorInfo(kind=type(exc).__name__, message=str(exc)[:2000] or repr(exc), attempts=attempts)
    return make_record(item, status="error", error=info, elapsed_s=round(elapsed, 4))


def default_extractor(
    settings: Settings,
    *,
    backend: Backend | None,
    chunk_chars: int,
    overlap: int,
    pool: concurrent.futures.Executor | None = None,
) -> Extractor:
    """The front door per article (chunked where the strategy needs it); with `pool`, each rules-only
    extraction runs in one of its processes instead of this one."""

    async def extract(item: InputItem) -> tuple[ArticleExtraction, int]:
        async def one(text: str) -> ArticleExtraction:
            if pool is not None:
                loop = asyncio.get_running_loop()
                done = await loop.run_in_executor(pool, _extract_json, text, item.published, settings)
                return ArticleExtraction.model_validate_json(done)
            with using_backend(backend) if backend is not None else contextlib.nullcontext():
                return await aextract_article(text, published=item.published, settings=settings)

        return await aextract_chunked(item.text, one, max_chars=chunk_chars, overlap=overlap)

    return extract


def _extract_json(text: str, published: str | None, settings: Settings) -> str:
    """In a pool process: one rules-only extraction, returned as JSON (errors cross as themselves: every
    `ExtractError` pickles intact)."""
    from ..api import extract_article

    return extract_article(text, published=published, settings=settings).model_dump_json()


# Rules-only analysis is CPU-bound and parses one text at a time per process: a batch of at least this
# many articles spreads it over a pool of processes, one per core (each starts in ~3 s: imports and spaCy)
POOL_FROM = 48


def analysis_processes(settings: Settings, todo: int, concurrency: int, processes: int | None) -> int:
    """How many processes share the analysis: 0 (this process) unless the strategy needs no model and the
    batch is long enough to repay their start; `processes` overrides (0 or 1: none)."""
    if settings.strategy != "rules-only":
        return 0
    if processes is not None:
        return processes if processes > 1 else 0
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    n = min(cores, concurrency, todo)
    return n if n > 1 and todo >= POOL_FROM else 0


@dataclass(frozen=True)
class Outcome:
    """One article's record as it is saved, with the result a caller wants for it."""

    record: BatchRecord
    result: ArticleExtraction | None  # for a duplicate: the result of the article with the same content
    resumed: bool = False  # done by an earlier run: read from the results file, not extracted now


class _NoStore:
    """Results kept by nobody: a run without a results file (nothing to resume)."""

    def open(self, *, redo: Callable[[BatchRecord], bool]) -> dict[str, BatchRecord]:
        return {}

    def append(self, record: BatchRecord) -> None:
        pass

    def close(self) -> None:
        pass


async def iter_batch(
    items: list[InputItem],
    *,
    out: Path | None,
    settings: Settings,
    concurrency: int = 4,
    backend: Backend | None = None,
    progress: ProgressSink | None = None,
    chunk_chars: int | None = None,
    overlap: int = 600,
    extractor: Extractor | None = None,
    stats: BatchStats | None = None,
    resumed: bool = False,
    processes: int | None = None,
) -> AsyncGenerator[Outcome, None]:
    """Extract every item not yet done in `out` (None: keep nothing) and yield each outcome as it is saved.

    A record is appended to `out` before it is yielded, so a consumer that stops early (or is cancelled)
    loses only the articles in flight, which a rerun does. `resumed=True` also yields, first, the records
    an earlier run already holds for these items. Raises `ModelUnavailable` (after saving finished work)
    when no model server answers: that is a setup problem, not an article's failure. `processes`: how many
    processes share a rules-only analysis (None: one per core for a long batch, else this process alone).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if processes is not None and processes < 0:
        raise ValueError("processes must be 0 or more")
    sink = progress or NullProgress()
    store: ResultStore | _NoStore = ResultStore(out) if out is not None else _NoStore()
    current = {i.id: i.content_hash for i in items}
    done = store.open(redo=lambda r: not r.done or (r.id in current and current[r.id] != r.content_hash))
    work = plan(items, done)
    pool: concurrent.futures.ProcessPoolExecutor | None = None
    n_processes = (
        0 if extractor is not None else analysis_processes(settings, len(work.todo), concurrency, processes)
    )
    if n_processes:
        # spawn, not fork: the parent runs an event loop and threads a forked child would inherit mid-step
        pool = concurrent.futures.ProcessPoolExecutor(
            n_processes, mp_context=multiprocessing.get_context("spawn")
        )
        concurrency = max(concurrency, n_processes)
    extract = extractor or default_extractor(
        settings,
        backend=backend,
        chunk_chars=chunk_chars_for(settings, chunk_chars),
        overlap=overlap,
        pool=pool,
    )
    stats = stats if stats is not None else BatchStats()
    stats.total, stats.skipped = len(items), work.skipped
    queue: asyncio.Queue[InputItem] = asyncio.Queue()
    for item in work.todo:
        queue.put_nowait(item)
    finished: asyncio.Queue[Outcome | None] = asyncio.Queue()  # None: a worker has stopped
    stopped_by: list[BaseException] = []

    def save(record: BatchRecord, result: ArticleExtraction | None) -> None:
        store.append(record)
        stats.add(record)
        sink.update(record, stats)
        finished.put_nowait(Outcome(record, result))

    def original(rec: BatchRecord) -> ArticleExtraction | None:
        first = done.get(rec.duplicate_of or "")
        return rec.result or (first.result if first is not None else None)

    async def process(item: InputItem) -> None:
        started = time.perf_counter()
        if item.error is not None:
            kind, message = item.error
            info = ErrorInfo(kind=kind, message=message, attempts=0)
            save(make_record(item, status="error", error=info), None)
            return
        try:
            result, chunks = await extract(item)
        except ModelUnavailable:
            raise
        except Exception as exc:  # failures are rows: one bad article never stops the batch
            if not isinstance(exc, ExtractError):
                log.exception("unexpected error on %s", item.id)
            record = _error(item, exc, time.perf_counter() - started)
        else:
            elapsed = round(time.perf_counter() - started, 4)
            record = make_record(item, status="ok", result=result, chunks=chunks, elapsed_s=elapsed)
        save(record, record.result)
        for other in work.followers.get(item.content_hash, []):
            if record.status == "ok":
                save(_duplicate(other, item.id), record.result)
            else:
                save(make_record(other, status="error", error=record.error, duplicate_of=item.id), None)

    async def worker() -> None:
        try:
            while not stopped_by:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await process(item)
        except Exception as exc:  # no model server, or the results file cannot be written
            stopped_by.append(exc)
        finally:
            finished.put_nowait(None)

    sink.start(stats)
    workers: list[asyncio.Task[None]] = []
    try:
        if resumed:
            for item in items:
                rec = done.get(item.id)
                if rec is not None and rec.content_hash == item.content_hash and rec.done:
                    yield Outcome(rec, original(rec), resumed=True)
        for record in work.instant:
            save(record, original(record))
        running = min(concurrency, max(1, len(work.todo)))
        workers = [asyncio.create_task(worker()) for _ in range(running)]
        while running:
            outcome = await finished.get()
            if outcome is not None:
                yield outcome
                continue
            running -= 1
            if stopped_by:
                raise stopped_by[0]
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        sink.stop(stats)
        store.close()


async def run_batch(
    items: list[InputItem],
    *,
    out: Path,
    settings: Settings,
    concurrency: int = 4,
    backend: Backend | None = None,
    progress: ProgressSink | None = None,
    chunk_chars: int | None = None,
    overlap: int = 600,
    extractor: Extractor | None = None,
    processes: int | None = None,
) -> BatchStats:
    """Extract every item not yet done in `out`; append one record per article. Returns the run's totals.

    Raises `ModelUnavailable` (after saving finished work) when no model server answers: that is a setup
    problem, not an article's failure, and every remaining article would fail the same way.
    """
    stats = BatchStats()
    records = iter_batch(
        items,
        out=out,
        settings=settings,
        concurrency=concurrency,
        backend=backend,
        progress=progress,
        chunk_chars=chunk_chars,
        overlap=overlap,
        extractor=extractor,
        stats=stats,
        processes=processes,
    )
    async with contextlib.aclosing(records):
        async for _ in records:
            pass
    return stats

"""`run_batch`: many articles through the front door with bounded concurrency, resumable, exactly once.

Workers share one backend (`get_backend(settings)`: one HTTP client, one embedded server). Each finished
article is appended to the results file before the next one is reported, so an interruption loses only the
articles in flight. A rerun skips every id whose record is done for the same content hash, and redoes
failed, missing and changed ones. Articles with the same content are extracted once; the other ids get a
`duplicate` record pointing at the first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from schemas import ArticleExtraction

from ..api import aextract_article
from ..errors import ExtractError, ModelUnavailable
from ..model.backend import Backend
from ..settings import Settings
from ..strategies.chunking import aextract_chunked
from .inputs import InputItem
from .progress import BatchStats, NullProgress, ProgressSink
from .store import BatchRecord, ErrorInfo, ResultStore

__all__ = ["DEFAULT_CHUNK_CHARS", "Extractor", "chunk_chars_for", "make_record", "plan", "run_batch"]

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
    settings: Settings, *, backend: Backend | None, chunk_chars: int, overlap: int
) -> Extractor:
    async def extract(item: InputItem) -> tuple[ArticleExtraction, int]:
        async def one(text: str) -> ArticleExtraction:
            return await aextract_article(text, published=item.published, settings=settings, backend=backend)

        return await aextract_chunked(item.text, one, max_chars=chunk_chars, overlap=overlap)

    return extract


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
) -> BatchStats:
    """Extract every item not yet done in `out`; append one record per article. Returns the run's totals.

    Raises `ModelUnavailable` (after saving finished work) when no model server answers: that is a setup
    problem, not an article's failure, and every remaining article would fail the same way.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    extract = extractor or default_extractor(
        settings, backend=backend, chunk_chars=chunk_chars_for(settings, chunk_chars), overlap=overlap
    )
    sink = progress or NullProgress()
    store = ResultStore(out)
    current = {i.id: i.content_hash for i in items}
    done = store.open(redo=lambda r: not r.done or (r.id in current and current[r.id] != r.content_hash))
    work = plan(items, done)
    stats = BatchStats(total=len(items), skipped=work.skipped)
    queue: asyncio.Queue[InputItem] = asyncio.Queue()
    for item in work.todo:
        queue.put_nowait(item)

    def save(record: BatchRecord) -> None:
        store.append(record)
        stats.add(record)
        sink.update(record, stats)

    async def process(item: InputItem) -> None:
        started = time.perf_counter()
        if item.error is not None:
            kind, message = item.error
            save(make_record(item, status="error", error=ErrorInfo(kind=kind, message=message, attempts=0)))
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
        save(record)
        for other in work.followers.get(item.content_hash, []):
            if record.status == "ok":
                save(_duplicate(other, item.id))
            else:
                save(make_record(other, status="error", error=record.error, duplicate_of=item.id))

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await process(item)

    sink.start(stats)
    try:
        for record in work.instant:
            save(record)
        try:
            async with asyncio.TaskGroup() as tg:
                for _ in range(min(concurrency, max(1, len(work.todo)))):
                    tg.create_task(worker())
        except* ModelUnavailable as group:
            raise group.exceptions[0] from None
    finally:
        sink.stop(stats)
        store.close()
    return stats

"""`extract_articles()`: many articles from Python, through the same runner and results file as `parley batch`.

Results come as each article finishes (or in input order with `ordered=True`). A failed article is a result
with an `error`, never an exception that stops the others. With `out`, every finished article is appended
to that JSONL file before it is handed over, and a rerun with the same `out` hands back what is already
there without extracting it again: exactly once, across interruptions, as `parley batch` does.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Unpack

from rich.console import Console

from schemas import ArticleExtraction

from .._portal import run_blocking
from ..api import ExtractOptions, current_backend, refuse_running_loop
from ..errors import InputRejected
from ..model.backend import Backend
from ..settings import resolve_settings
from .inputs import InputItem, as_item
from .progress import BarProgress, ProgressSink
from .runner import Outcome, iter_batch
from .store import BatchRecord, ErrorInfo

__all__ = ["ArticleInput", "ArticleResult", "aextract_articles", "extract_articles"]

ArticleInput = str | Mapping[str, Any] | InputItem


@dataclass(frozen=True)
class ArticleResult:
    """One article's outcome: `result`, or `error` saying why there is none."""

    index: int  # position in the input
    record: BatchRecord  # the line of the results file: id, status, text, timing, error
    result: ArticleExtraction | None  # for a duplicate: the result of the article with the same text
    resumed: bool = False  # done by an earlier run with the same `out`: read back, not extracted again

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def status(self) -> Literal["ok", "error", "duplicate"]:
        return self.record.status

    @property
    def error(self) -> ErrorInfo | None:
        return self.record.error

    @property
    def ok(self) -> bool:
        return self.result is not None


async def aextract_articles(
    articles: Iterable[ArticleInput],
    *,
    concurrency: int = 4,
    out: str | os.PathLike[str] | None = None,
    ordered: bool = False,
    progress: bool | ProgressSink = False,
    **options: Unpack[ExtractOptions],
) -> AsyncIterator[ArticleResult]:
    """Extract many articles, `concurrency` at a time, yielding one `ArticleResult` per article.

    articles: texts (the id of each is its position), mappings with `text` and optionally `id`,
      `published`, `url`, `title`, `html` (the fields of a `parley batch` JSONL line), or `InputItem`s
      from `load_inputs(path)`. Ids must be unique.
    concurrency: articles in flight; they share one model client (and one embedded server).
    out: a JSONL results file shared with `parley batch`: each article is saved there before it is
      yielded, and a rerun yields what is there (`resumed=True`) instead of extracting it again.
    ordered: yield in input order instead of as soon as each article is done.
    progress: True for a progress bar on stderr, or any `ProgressSink`.
    options: those of `aextract_article` (`published` is the date of articles that have none).

    Failures are results with `error` set. Raises `ModelUnavailable` when no model server answers
    (finished articles are saved in `out`): every article would fail the same way.
    """
    outcomes = _outcomes(articles, out, concurrency, progress, options, current_backend(), ordered=ordered)
    async with contextlib.aclosing(outcomes):
        async for result in outcomes:
            yield result


def extract_articles(
    articles: Iterable[ArticleInput],
    *,
    concurrency: int = 4,
    out: str | os.PathLike[str] | None = None,
    ordered: bool = False,
    progress: bool | ProgressSink = False,
    **options: Unpack[ExtractOptions],
) -> Iterator[ArticleResult]:
    """Blocking twin of `aextract_articles` (same arguments): a generator of `ArticleResult`s.

    The articles run on the blocking API's event-loop thread and keep running while the caller works on
    the results already yielded. Leaving the loop early stops the articles in flight (a rerun with the
    same `out` does them)."""
    refuse_running_loop("extract_articles", "async for ... in aextract_articles()")
    outcomes = _outcomes(articles, out, concurrency, progress, options, current_backend(), ordered=ordered)

    async def step() -> ArticleResult | None:
        return await anext(outcomes, None)

    try:
        while (result := run_blocking(step())) is not None:
            yield result
    finally:
        with contextlib.suppress(RuntimeError):  # interrupted mid-step: cancelling that step closed it
            run_blocking(outcomes.aclose())


async def _outcomes(
    articles: Iterable[ArticleInput],
    out: str | os.PathLike[str] | None,
    concurrency: int,
    progress: bool | ProgressSink,
    options: ExtractOptions,
    backend: Backend | None,
    *,
    ordered: bool = False,
) -> AsyncGenerator[ArticleResult, None]:
    given: dict[str, Any] = {k: v for k, v in options.items() if k not in ("settings", "published")}
    settings = resolve_settings(base=options.get("settings"), **given)
    when = options.get("published")
    published = when.isoformat() if isinstance(when, date) else when
    items = [as_item(a, n, published=published) for n, a in enumerate(articles)]
    index: dict[str, int] = {}
    for n, item in enumerate(items):
        if index.setdefault(item.id, n) != n:
            raise InputRejected(f"article id {item.id!r} is given twice (#{index[item.id]} and #{n})")
    sink = (
        (BarProgress(Console(stderr=True)) if progress else None) if isinstance(progress, bool) else progress
    )
    records = iter_batch(
        items,
        out=None if out is None else Path(out),
        settings=settings,
        concurrency=concurrency,
        backend=backend,
        progress=sink,
        resumed=True,
    )
    waiting: dict[int, ArticleResult] = {}  # ordered: finished before an earlier article
    upcoming = 0
    async with contextlib.aclosing(records):
        async for outcome in records:
            result = _result(outcome, index[outcome.record.id])
            if not ordered:
                yield result
                continue
            waiting[result.index] = result
            while upcoming in waiting:
                yield waiting.pop(upcoming)
                upcoming += 1


def _result(outcome: Outcome, index: int) -> ArticleResult:
    return ArticleResult(index, outcome.record, outcome.result, outcome.resumed)

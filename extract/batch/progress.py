"""What a batch shows while it runs: a rich progress bar, or one log line per article (`--quiet`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .store import BatchRecord

__all__ = ["BarProgress", "BatchStats", "LogProgress", "NullProgress", "ProgressSink"]

log = logging.getLogger("parley.batch")


@dataclass
class BatchStats:
    """Running totals of one batch run (the summary is these numbers at the end)."""

    total: int = 0
    skipped: int = 0  # already done by an earlier run
    ok: int = 0
    failed: int = 0
    duplicates: int = 0
    tokens: int = 0
    cache_hits: int = 0
    calls: int = 0
    started: float = field(default_factory=time.perf_counter)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.ok + self.failed + self.duplicates

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def add(self, record: BatchRecord) -> None:
        if record.status == "ok":
            self.ok += 1
        elif record.status == "duplicate":
            self.duplicates += 1
        else:
            self.failed += 1
            if record.error is not None:
                self.failures.append((record.id, f"{record.error.kind}: {record.error.message}"))
        if record.result is not None:
            u = record.result.meta.usage
            self.tokens += u.prompt_tokens + u.completion_tokens
            self.cache_hits += u.cache_hits
            self.calls += u.calls


class ProgressSink(Protocol):
    def start(self, stats: BatchStats) -> None: ...
    def update(self, record: BatchRecord, stats: BatchStats) -> None: ...
    def stop(self, stats: BatchStats) -> None: ...


class NullProgress:
    def start(self, stats: BatchStats) -> None:
        pass

    def update(self, record: BatchRecord, stats: BatchStats) -> None:
        pass

    def stop(self, stats: BatchStats) -> None:
        pass


class LogProgress:
    """`--quiet`: one INFO line per finished article, for logs that are read later."""

    def start(self, stats: BatchStats) -> None:
        log.info("batch: %d article(s), %d already done", stats.total, stats.skipped)

    def update(self, record: BatchRecord, stats: BatchStats) -> None:
        what = (
            record.status
            if record.error is None
            else f"error {record.error.kind}: {record.error.message[:200]}"
        )
        log.info(
            "[%d/%d] %s %s (%.2fs)",
            stats.done + stats.skipped,
            stats.total,
            record.id,
            what,
            record.elapsed_s,
        )

    def stop(self, stats: BatchStats) -> None:
        pass


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f}/s" if speed else "–/s", style="progress.data.speed")


class BarProgress:
    """done/total, rate, ETA, tokens, cache hits and failures on one live line."""

    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stats]}"),
            console=console or Console(stderr=True),
            transient=False,
        )
        self.task = self.progress.add_task("batch", total=0, stats="")

    def _fields(self, stats: BatchStats) -> str:
        failed = f"[red]{stats.failed} failed[/red]" if stats.failed else "0 failed"
        return f"tokens {stats.tokens:,} · cache {stats.cache_hits} · dup {stats.duplicates} · {failed}"

    def start(self, stats: BatchStats) -> None:
        self.progress.update(self.task, total=stats.total, completed=stats.skipped, stats=self._fields(stats))
        self.progress.start()

    def update(self, record: BatchRecord, stats: BatchStats) -> None:
        self.progress.update(self.task, completed=stats.skipped + stats.done, stats=self._fields(stats))

    def stop(self, stats: BatchStats) -> None:
        self.progress.stop()

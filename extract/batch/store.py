"""The results file: JSONL, one record per article, appended, flushed and fsynced one line at a time.

Crash safety: each record is a single `os.write` of one full line on an O_APPEND descriptor, followed by
`fsync`, so a kill -9 can at worst leave a torn last line. Opening the store detects a torn or corrupt line,
and any record the caller wants redone (failed ones, changed text), and rewrites the file without them
atomically (temp file, fsync, rename, fsync of the folder). Each id is in the file at most once.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas import ArticleExtraction

__all__ = ["BatchRecord", "ErrorInfo", "OpenReport", "ResultStore", "read_results"]

log = logging.getLogger("parley")


class ErrorInfo(BaseModel):
    """Why an article has no result."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description="Error class, e.g. 'ModelOutputInvalid' or 'ModelTransportError'.")
    message: str = Field(description="What happened and what to do next.")
    attempts: int = Field(default=1, description="Attempts made (transport or validation) before giving up.")


class BatchRecord(BaseModel):
    """One line of the results file."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="Article id (relative path, or `id` of the JSONL line).")
    content_hash: str = Field(
        description="Hash of text + publication date; decides whether a rerun redoes it."
    )
    status: Literal["ok", "error", "duplicate"]
    text: str = Field(description="The text extracted from; evidence offsets refer to it.")
    published: str | None = None
    url: str | None = None
    title: str | None = None
    source: str | None = Field(default=None, description="File or JSONL line the article came from.")
    result: ArticleExtraction | None = None
    error: ErrorInfo | None = None
    duplicate_of: str | None = Field(default=None, description="Id of the article with the same content.")
    chunks: int = Field(default=1, description="Chunks the text was split into.")
    elapsed_s: float = 0.0
    finished_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def done(self) -> bool:
        return self.status in ("ok", "duplicate")


@dataclass
class OpenReport:
    """What opening the store found and repaired."""

    kept: int = 0
    torn: int = 0  # a last line without newline (the process died mid-write)
    corrupt: int = 0  # complete lines that are not valid records
    repeated: int = 0  # an id seen more than once (last one wins)
    dropped: int = 0  # records the caller asked to redo
    rewritten: bool = False


def _parse(path: Path) -> tuple[dict[str, BatchRecord], OpenReport]:
    report = OpenReport()
    records: dict[str, BatchRecord] = {}
    if not path.exists():
        return records, report
    data = path.read_bytes()
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        report.torn = 1
        lines.pop()
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = BatchRecord.model_validate_json(line)
        except (ValidationError, ValueError) as exc:
            report.corrupt += 1
            log.warning("%s:%d is not a valid record (%s); it will be redone", path, n, str(exc)[:120])
            continue
        if rec.id in records:
            report.repeated += 1
        records[rec.id] = rec
    return records, report


def read_results(path: Path) -> dict[str, BatchRecord]:
    """Every valid record of a results file by id, tolerating a torn last line (read only)."""
    return _parse(path)[0]


class ResultStore:
    """Append-only results file with crash repair. Use `open()`, then `append()`, then `close()`."""

    def __init__(self, path: Path, *, sync_every: float = 0.5) -> None:
        """`sync_every`: seconds between fsyncs (0: after every record). Each record is one `write()` before
        `append()` returns, so a crashed or killed process loses nothing; a power cut may lose the records
        of the last `sync_every` seconds, which a resumed run recomputes. An fsync per record blocked the
        event loop for every article."""
        self.path = path
        self.sync_every = sync_every
        self._fd: int | None = None
        self._synced = 0.0

    def open(self, *, redo: Callable[[BatchRecord], bool] = lambda r: False) -> dict[str, BatchRecord]:
        """Load, repair and compact the file; return the records kept (by id). `redo(rec)` drops a record."""
        records, report = _parse(self.path)
        kept = {k: r for k, r in records.items() if not redo(r)}
        report.dropped = len(records) - len(kept)
        report.kept = len(kept)
        if report.torn or report.corrupt or report.repeated or report.dropped:
            self._rewrite(list(kept.values()))
            report.rewritten = True
            if report.torn:
                log.warning("%s: repaired a torn last line (an interrupted write)", self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.report = report
        return kept

    def _rewrite(self, records: list[BatchRecord]) -> None:
        folder = self.path.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                for rec in records:
                    fh.write(_line(rec))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(folder)

    def append(self, record: BatchRecord) -> None:
        """Write one record as one line before returning (on disk within `sync_every` seconds)."""
        if self._fd is None:
            raise RuntimeError("ResultStore.append() before open()")
        data = _line(record)
        written = os.write(self._fd, data)
        while written < len(data):  # rare: a short write; the rest still lands before fsync
            written += os.write(self._fd, data[written:])
        now = time.monotonic()
        if now - self._synced >= self.sync_every:
            os.fsync(self._fd)
            self._synced = now

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _line(record: BatchRecord) -> bytes:
    return (
        json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
    ).encode()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

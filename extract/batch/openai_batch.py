"""The OpenAI Batch API path: `submit` writes and uploads the request file, `collect` validates the answers.

Design choice: one request per article chunk with the `single-call` strategy. Evidence-first asks several
short questions, and some depend on earlier answers (a demand's target question names the speaker chosen
by an earlier answer), so its calls cannot all be written before any is answered. Single-call needs exactly
one call per chunk, whose messages depend on the text only.

Both halves go through the front door: `submit` runs `aextract_article` with a backend that captures the
request instead of sending it (so the messages are exactly the live ones), and `collect` runs it again with
a backend that replays the downloaded answer, so grounding, validation and merging are the live code too.
An answer that fails validation becomes an error row (the Batch API cannot re-ask); a later
`parley batch INPUT --out ...` run redoes those rows live.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import openai
from instructor.processing.response import handle_response_model, process_response
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from schemas import ArticleExtraction

from ..api import aextract_article, using_backend
from ..errors import ConfigError, ExtractError, ModelOutputInvalid, ModelRequestFailed, ModelTransportError
from ..model.backend import _MODES, Reply, _current_usage
from ..settings import Settings
from ..strategies.chunking import chunk_text, merge_chunks
from .inputs import InputItem
from .progress import BatchStats
from .runner import chunk_chars_for, make_record, plan
from .store import BatchRecord, ErrorInfo, ResultStore

__all__ = ["BatchPending", "collect", "manifest_path", "submit", "write_requests"]

ENDPOINT: Literal["/v1/chat/completions"] = "/v1/chat/completions"
_ENTRY_FIELDS = {"text", "content_hash", "published", "url", "title", "source", "duplicate_of"}


class BatchPending(ExtractError):
    """The batch has not finished yet; run `parley batch collect` again later (or pass --wait)."""

    def __init__(self, message: str, *, status: str) -> None:
        super().__init__(message)
        self.status = status


def manifest_path(out: Path) -> Path:
    """Where `submit` records what it sent, next to the results file."""
    return out.with_name(out.name + ".batch.json")


class _Captured(Exception):
    def __init__(self, messages: list[dict[str, str]], response_model: type[BaseModel]) -> None:
        self.messages, self.response_model = messages, response_model


class _CaptureBackend:
    name = "capture"

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_model: type[Any],
        *,
        context: dict[str, Any] | None = None,
        grammar: dict[str, Any] | None = None,  # single-call asks none of the constrained questions
        confidence: str | None = None,
    ) -> Reply:
        raise _Captured(messages, response_model)


class _ReplayBackend:
    """Answers the single call with a downloaded completion, validated exactly as instructor would."""

    name = "replay"

    def __init__(self, completion: ChatCompletion, mode: str) -> None:
        self.completion, self.mode = completion, mode

    async def complete(
        self,
        messages: list[dict[str, str]],
        response_model: type[Any],
        *,
        context: dict[str, Any] | None = None,
        grammar: dict[str, Any] | None = None,  # single-call asks none of the constrained questions
        confidence: str | None = None,
    ) -> Reply:
        usage = _current_usage()
        usage.calls += 1
        if self.completion.usage is not None:
            usage.prompt_tokens += self.completion.usage.prompt_tokens or 0
            usage.completion_tokens += self.completion.usage.completion_tokens or 0
        try:
            value = process_response(
                self.completion,
                response_model=response_model,
                validation_context=context,
                stream=False,
                mode=_MODES[self.mode],
            )
        except Exception as exc:  # instructor raises several types for one cause
            raise ModelOutputInvalid(
                f"batch answer failed validation (no re-ask in batch mode): {str(exc)[:300]}", attempts=1
            ) from exc
        return Reply(value)


def _batch_settings(settings: Settings) -> Settings:
    if settings.resolved_mode() not in _MODES:
        raise ConfigError(f"mode {settings.mode!r} is not supported by the Batch API path")
    return replace(settings, strategy="single-call", cache_dir=None)


def _request_body(
    settings: Settings, messages: list[dict[str, str]], response_model: type[BaseModel]
) -> dict[str, Any]:
    _, kwargs = handle_response_model(
        response_model,
        mode=_MODES[settings.resolved_mode()],
        messages=messages,
        model=settings.model,
        temperature=settings.temperature,
        seed=settings.seed,
        max_tokens=settings.max_tokens,
    )
    return kwargs


async def _capture(text: str, published: str | None, settings: Settings) -> dict[str, Any]:
    try:
        with using_backend(_CaptureBackend()):
            await aextract_article(text, published=published, settings=settings)
    except _Captured as cap:
        return _request_body(settings, cap.messages, cap.response_model)
    raise ConfigError("the single-call strategy made no model call")  # pragma: no cover


def write_requests(
    items: list[InputItem],
    *,
    out: Path,
    settings: Settings,
    requests: Path,
    chunk_chars: int | None = None,
    overlap: int = 600,
) -> dict[str, Any]:
    """Write the Batch API request file for every article not done in `out`; return the manifest."""
    settings = _batch_settings(settings)
    size = chunk_chars_for(settings, chunk_chars)
    store = ResultStore(out)
    done = store.open(redo=lambda r: not r.done)
    store.close()
    work = plan(items, done)
    manifest: dict[str, Any] = {
        "requests_file": str(requests),
        "model": settings.model,
        "mode": settings.resolved_mode(),
        "chunk_chars": size,
        "overlap": overlap,
        "articles": {},
        "calls": {},
    }
    lines = []
    followers = {f.id: f for fs in work.followers.values() for f in fs}
    for rec in work.instant:  # same content as an article done earlier
        manifest["articles"][rec.id] = {**rec.model_dump(include=_ENTRY_FIELDS), "error": None, "chunks": []}
    for item in [*work.todo, *followers.values()]:
        entry: dict[str, Any] = {
            "text": item.text,
            "content_hash": item.content_hash,
            "published": item.published,
            "url": item.url,
            "title": item.title,
            "source": item.source,
            "error": item.error,
            "duplicate_of": None,
            "chunks": [],
        }
        manifest["articles"][item.id] = entry
        if item.error is not None or item.id in followers:
            continue
        for chunk in chunk_text(item.text, max_chars=size, overlap=overlap):
            custom_id = f"r{len(manifest['calls'])}"
            body = asyncio.run(_capture(chunk.text, item.published, settings))
            lines.append(
                json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body})
            )
            manifest["calls"][custom_id] = {"id": item.id, "start": chunk.start, "end": chunk.end}
            entry["chunks"].append(custom_id)
    requests.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return manifest


def submit(
    items: list[InputItem],
    *,
    out: Path,
    settings: Settings,
    client: openai.OpenAI | None = None,
    chunk_chars: int | None = None,
    upload: bool = True,
) -> dict[str, Any]:
    """Write the request file, upload it and create the batch; the manifest is saved next to `out`."""
    requests = out.with_name(out.name + ".requests.jsonl")
    manifest = write_requests(items, out=out, settings=settings, requests=requests, chunk_chars=chunk_chars)
    if upload and manifest["calls"]:
        client = client or _client(settings)
        with requests.open("rb") as fh:
            uploaded = client.files.create(file=(requests.name, fh), purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id,
            endpoint=ENDPOINT,
            completion_window="24h",
            metadata={"tool": "parley", "results": out.name},
        )
        manifest |= {"input_file_id": uploaded.id, "batch_id": batch.id, "status": batch.status}
    manifest_path(out).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def _client(settings: Settings) -> openai.OpenAI:
    if settings.base_url is None:
        raise ConfigError("the Batch API needs a server: pass --base-url (e.g. https://api.openai.com/v1)")
    return openai.OpenAI(base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout)


def _download(client: openai.OpenAI, file_id: str | None) -> dict[str, dict[str, Any]]:
    if not file_id:
        return {}
    rows = {}
    for line in client.files.content(file_id).text.splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["custom_id"]] = row
    return rows


def _answer(row: dict[str, Any] | None) -> ChatCompletion:
    if row is None:
        raise ModelTransportError(
            "no answer in the batch output (expired or cancelled); rerun live", attempts=1
        )
    response = row.get("response") or {}
    if row.get("error") or response.get("status_code") != 200:
        detail = row.get("error") or (response.get("body") or {}).get("error") or response
        raise ModelRequestFailed(
            f"batch request failed: {json.dumps(detail)[:300]}", status_code=response.get("status_code")
        )
    return ChatCompletion.model_validate(response["body"])


async def _replay(
    entry: dict[str, Any], calls: dict[str, Any], rows: dict[str, Any], settings: Settings
) -> tuple[ArticleExtraction, int]:
    from ..strategies.chunking import Chunk

    parts = []
    for custom_id in entry["chunks"]:
        call = calls[custom_id]
        chunk = Chunk(call["start"], call["end"], entry["text"][call["start"] : call["end"]])
        with using_backend(_ReplayBackend(_answer(rows.get(custom_id)), settings.resolved_mode())):
            result = await aextract_article(chunk.text, published=entry["published"], settings=settings)
        parts.append((chunk, result))
    return merge_chunks(entry["text"], parts), len(parts)


def collect(
    *,
    out: Path,
    settings: Settings,
    client: openai.OpenAI | None = None,
    wait: float = 0.0,
    poll: float = 10.0,
) -> BatchStats:
    """Download the batch results, validate and ground them, and append one record per article to `out`."""
    manifest = json.loads(manifest_path(out).read_text(encoding="utf-8"))
    settings = _batch_settings(replace(settings, model=manifest["model"], mode=manifest["mode"]))
    rows: dict[str, Any] = {}
    if manifest.get("batch_id"):
        client = client or _client(settings)
        deadline = time.monotonic() + wait
        batch = client.batches.retrieve(manifest["batch_id"])
        while batch.status in ("validating", "in_progress", "finalizing") and time.monotonic() < deadline:
            time.sleep(poll)
            batch = client.batches.retrieve(manifest["batch_id"])
        if batch.status in ("validating", "in_progress", "finalizing"):
            counts = batch.request_counts
            done = f" ({counts.completed}/{counts.total} done)" if counts else ""
            raise BatchPending(
                f"batch {batch.id} is {batch.status}{done}; run collect again later", status=batch.status
            )
        rows = _download(client, batch.output_file_id) | _download(client, batch.error_file_id)
    return asyncio.run(_store_all(manifest, rows, out=out, settings=settings))


async def _store_all(
    manifest: dict[str, Any], rows: dict[str, Any], *, out: Path, settings: Settings
) -> BatchStats:
    store = ResultStore(out)
    done = store.open(redo=lambda r: not r.done)
    stats = BatchStats(total=len(manifest["articles"]))
    by_hash: dict[str, BatchRecord] = {}
    try:
        for id, entry in manifest["articles"].items():
            if id in done and done[id].content_hash == entry["content_hash"]:
                stats.skipped += 1
                continue
            item = InputItem(
                id=id,
                text=entry["text"],
                content_hash=entry["content_hash"],
                published=entry["published"],
                url=entry["url"],
                title=entry["title"],
                source=entry["source"],
            )
            started = time.perf_counter()
            first = by_hash.get(item.content_hash)
            if entry.get("duplicate_of"):
                record = make_record(item, status="duplicate", duplicate_of=entry["duplicate_of"])
            elif entry["error"] is not None:
                kind, message = entry["error"]
                record = make_record(
                    item, status="error", error=ErrorInfo(kind=kind, message=message, attempts=0)
                )
            elif first is not None or not entry["chunks"]:
                of = first.id if first else "an earlier article"
                record = make_record(
                    item,
                    status="duplicate" if first and first.done else "error",
                    duplicate_of=first.id if first else None,
                    error=None
                    if first and first.done
                    else ErrorInfo(kind="Duplicate", message=f"same content as {of}, which has no result"),
                )
            else:
                try:
                    result, n = await _replay(entry, manifest["calls"], rows, settings)
                    record = make_record(
                        item,
                        status="ok",
                        result=result,
                        chunks=n,
                        elapsed_s=round(time.perf_counter() - started, 4),
                    )
                except ExtractError as exc:
                    info = ErrorInfo(
                        kind=type(exc).__name__, message=str(exc), attempts=getattr(exc, "attempts", 1)
                    )
                    record = make_record(item, status="error", error=info)
                by_hash[item.content_hash] = record
            store.append(record)
            stats.add(record)
    finally:
        store.close()
    return stats

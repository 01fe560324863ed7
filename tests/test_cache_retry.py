"""Cache keys and hits, transport retries and validation re-asks, through the real OpenAIBackend against a
loopback fake OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from extract import (
    ModelOutputInvalid,
    ModelRequestFailed,
    ModelTransportError,
    ModelUnavailable,
    resolve_settings,
)
from extract.model.backend import OpenAIBackend, usage_scope
from extract.model.cache import ResponseCache, cache_key
from tests.fake_openai import FakeOpenAI, Reply, tool_call_completion

local = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


class Pick(BaseModel):
    answer: Literal["yes", "no"] = Field(description="One of the options.")


MESSAGES = [{"role": "user", "content": "Did they meet? yes or no"}]


def _backend(fake: FakeOpenAI, tmp_path: Path | None = None, **kw: Any) -> OpenAIBackend:
    settings = resolve_settings({}, base_url=fake.base_url, cache=False, **kw)
    cache = ResponseCache(tmp_path / "c", prompt_hash="p") if tmp_path else None
    return OpenAIBackend(settings, base_url=fake.base_url, cache=cache)


def _ok(answer: str = "yes") -> Reply:
    return Reply(body=tool_call_completion("Pick", {"answer": answer}))


# cache


BASE = {
    "base_url": "u",
    "model": "m",
    "messages": MESSAGES,
    "schema": {"a": 1},
    "mode": "tools",
    "sampling": {"temperature": 0.0, "seed": 0, "max_tokens": 256},
}


@pytest.mark.parametrize(
    "part, value",
    [
        ("base_url", "other"),
        ("model", "m2"),
        ("messages", [{"role": "user", "content": "x"}]),
        ("schema", {"a": 2}),
        ("mode", "json"),
        ("sampling", {"temperature": 0.5, "seed": 0, "max_tokens": 256}),
    ],
)
def test_each_component_changes_the_cache_key(part: str, value: Any) -> None:
    assert cache_key({**BASE, part: value}, prompt_hash="p") != cache_key(BASE, prompt_hash="p")


def test_prompt_hash_and_format_change_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cache_key(BASE, prompt_hash="p") != cache_key(BASE, prompt_hash="q")
    before = cache_key(BASE, prompt_hash="p")
    monkeypatch.setattr("extract.model.cache.CACHE_FORMAT", 99)
    assert cache_key(BASE, prompt_hash="p") != before


@local
def test_cache_hit_skips_the_server_and_stores_json_only(tmp_path: Path) -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(_ok("no"))
        backend = _backend(fake, tmp_path)
        first = asyncio.run(backend.complete(MESSAGES, Pick))
        t0 = time.perf_counter()
        with usage_scope() as usage:
            second = asyncio.run(backend.complete(MESSAGES, Pick))
        elapsed = time.perf_counter() - t0
    assert first.value.answer == second.value.answer == "no"
    assert (first.cached, second.cached) == (False, True)
    assert len(fake.requests) == 1 and usage.cache_hits == 1 and usage.calls == 0
    assert elapsed < 0.2
    backend.cache.close()  # type: ignore[union-attr]
    rows = sqlite3.connect(tmp_path / "c" / "cache.db").execute("select value, mode from Cache").fetchall()
    assert rows and all(json.loads(v) == {"answer": "no"} for v, _ in rows)
    assert (tmp_path / "c").stat().st_mode & 0o077 == 0  # private directory


@local
def test_invalid_output_is_never_cached(tmp_path: Path) -> None:
    bad = Reply(body=tool_call_completion("Pick", {"answer": "maybe"}))
    with FakeOpenAI() as fake:
        fake.enqueue(bad, bad, bad)
        backend = _backend(fake, tmp_path, max_validation_retries=2)
        with pytest.raises(ModelOutputInvalid):
            asyncio.run(backend.complete(MESSAGES, Pick))
        assert len(fake.requests) == 3
        fake.enqueue(_ok())
        assert asyncio.run(backend.complete(MESSAGES, Pick)).cached is False


# retries


@local
def test_429_with_retry_after_is_honoured_then_succeeds() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(
            Reply(status=429, body={"error": {"message": "slow down"}}, headers={"retry-after": "0.4"}), _ok()
        )
        t0 = time.perf_counter()
        with usage_scope() as usage:
            reply = asyncio.run(_backend(fake).complete(MESSAGES, Pick))
        waited = time.perf_counter() - t0
    assert reply.value.answer == "yes"
    assert len(fake.requests) == 2 and usage.transport_retries == 1 and usage.validation_retries == 0
    assert waited >= 0.4


@local
def test_500s_until_the_cap_raise_transport_error() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(
            *[Reply(status=500, body={"error": {"message": "boom"}}, headers={"retry-after": "0"})] * 3
        )
        with pytest.raises(ModelTransportError) as info:
            asyncio.run(_backend(fake, max_transport_retries=2).complete(MESSAGES, Pick))
    assert len(fake.requests) == 3 and info.value.attempts == 3


@local
@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(status=status, body={"error": {"message": "no"}}))
        with pytest.raises(ModelRequestFailed) as info:
            asyncio.run(_backend(fake).complete(MESSAGES, Pick))
    assert len(fake.requests) == 1 and info.value.status_code == status
    if status == 401:
        assert "API key" in str(info.value)


@local
def test_invalid_output_is_reasked_with_the_error() -> None:
    with FakeOpenAI() as fake:
        fake.enqueue(Reply(body=tool_call_completion("Pick", {"answer": "maybe"})), _ok("no"))
        with usage_scope() as usage:
            reply = asyncio.run(_backend(fake).complete(MESSAGES, Pick))
    assert reply.value.answer == "no"
    assert usage.calls == 2 and usage.validation_retries == 1 and usage.transport_retries == 0
    second = json.dumps(fake.requests[1]["json"]["messages"])
    assert "maybe" in second and "Pick" in json.dumps(fake.requests[1]["json"]["tools"])


def test_no_server_says_how_to_start_one() -> None:
    settings = resolve_settings({}, base_url="http://127.0.0.1:9/v1", cache=False, max_transport_retries=0)
    backend = OpenAIBackend(settings, base_url=settings.base_url or "")
    with pytest.raises(ModelUnavailable, match=r"parley serve.*PARLEY_BASE_URL"):
        asyncio.run(backend.complete(MESSAGES, Pick))


def test_missing_local_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from extract import LocalExtraMissing
    from extract.model import server

    monkeypatch.setattr(server.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LocalExtraMissing, match=r"pip install -e '\.\[local\]'"):
        server.EmbeddedServer().start()

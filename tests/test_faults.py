"""Faults at the model server: every one ends in a result or in one specific error, within a counted number of
attempts, waiting what the server asked for, and never with an invalid answer in the cache.

All against tests/fake_openai.py on 127.0.0.1. `single-call` makes exactly one structured call per article, so
the requests the fake saw are the attempts made. Backoff is shortened with `retry_backoff`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import diskcache
import pytest
from fake_openai import FakeOpenAI, Reply, chat_completion, tool_call_completion

from evals.expectations import seeds_dir
from extract import aextract_article, extract_article, resolve_settings
from extract.analysis.grounding import verify
from extract.errors import ModelOutputInvalid, ModelRequestFailed, ModelTransportError, ModelUnavailable
from extract.settings import Settings

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])  # loopback fake only

TEXT = (
    "Foreign Minister Ivan Antov met his counterpart Maria Lopez in Vienna on Tuesday.\n"
    '"We will never accept this blockade," Antov said after the talks.\n'
)
TOOL = "_LLMArticle"  # the single-call response model's name, used by instructor as the tool name
EMPTY = tool_call_completion(TOOL, {"meetings": [], "statements": [], "demands": []})
GOOD = tool_call_completion(
    TOOL,
    {
        "meetings": [],
        "demands": [],
        "statements": [
            {
                "speaker": "Antov",
                "quote": "We will never accept this blockade",
                "evidence": '"We will never accept this blockade," Antov said after the talks.',
            }
        ],
    },
)
SCHEMA_VIOLATION = tool_call_completion(TOOL, {"meetings": [{"participants": "Antov"}]})
UNGROUNDED = tool_call_completion(
    TOOL,
    {
        "meetings": [],
        "demands": [],
        "statements": [{"speaker": "Antov", "quote": None, "evidence": "Antov announced a full withdrawal."}],
    },
)


def error(status: int, **headers: str) -> Reply:
    return Reply(status=status, headers=headers, body={"error": {"message": f"status {status}", "type": "x"}})


def quick(fake: FakeOpenAI) -> FakeOpenAI:
    """Poll for shutdown every 20 ms instead of 500 ms, so each test's teardown is instant."""
    fake.thread = threading.Thread(target=fake.server.serve_forever, args=(0.02,), daemon=True)
    return fake


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with quick(FakeOpenAI(default=lambda request: GOOD)) as server:
        yield server


def settings_for(fake: FakeOpenAI, tmp_path: Path, **overrides: Any) -> Settings:
    options: dict[str, Any] = {
        "base_url": fake.base_url,
        "strategy": "single-call",
        "cache": tmp_path / "cache",
        "retry_backoff": 0.01,
        "timeout": 5.0,
    }
    options.update(overrides)
    return resolve_settings(**options)


def _entries(tmp_path: Path) -> list[Any]:
    directory = tmp_path / "cache"
    if not directory.exists():
        return []
    with diskcache.Cache(str(directory)) as cache:
        return [json.loads(cache[key]) for key in cache]  # the cache holds JSON text only


def cached(tmp_path: Path) -> list[Any]:
    """The model answers in the response cache, parsed."""
    return [v for v in _entries(tmp_path) if not (isinstance(v, dict) and "meta" in v)]


def results(tmp_path: Path) -> list[Any]:
    """The whole-article results in the response cache, parsed."""
    return [v for v in _entries(tmp_path) if isinstance(v, dict) and "meta" in v]


def assert_good(result: Any) -> None:
    assert [s.quote for s in result.statements] == ["We will never accept this blockade"]
    assert all(verify(s.evidence, TEXT) for s in result.statements)


# --- transport faults: retried with backoff, Retry-After honoured -----------------------------------------


def test_429_with_retry_after_waits_what_the_server_asked(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(error(429, **{"retry-after": "0.4"}))
    # a 5 s backoff would be used if Retry-After were ignored; the test fails on either side
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path, retry_backoff=5.0))
    assert len(fake.requests) == 2
    gap = fake.times[1][0] - fake.times[0][1]
    assert 0.38 <= gap < 2.0
    assert result.meta.usage.transport_retries == 1
    assert_good(result)
    assert len(cached(tmp_path)) == 1


def test_429_without_retry_after_backs_off_exponentially(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(error(429), error(429))
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path, retry_backoff=0.4))
    assert len(fake.requests) == 3
    first = fake.times[1][0] - fake.times[0][1]  # 0.2–0.4 s: half the base plus jitter
    second = fake.times[2][0] - fake.times[1][1]  # 0.4–0.8 s: doubled
    assert 0.18 <= first < 0.6
    assert 0.38 <= second < 1.2
    assert result.meta.usage.transport_retries == 2
    assert_good(result)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried(fake: FakeOpenAI, tmp_path: Path, status: int) -> None:
    fake.enqueue(error(status))
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 2
    assert result.meta.usage.transport_retries == 1
    assert_good(result)


def test_persistent_503_gives_up_after_the_cap(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(*[error(503)] * 6)
    with pytest.raises(ModelTransportError, match="after 3 attempt") as info:
        extract_article(TEXT, settings=settings_for(fake, tmp_path, max_transport_retries=2))
    assert info.value.attempts == 3
    assert len(fake.requests) == 3  # the validation loop never re-runs a transport failure
    assert cached(tmp_path) == []


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_never_retried(fake: FakeOpenAI, tmp_path: Path, status: int) -> None:
    fake.enqueue(error(status), Reply(body=GOOD))
    with pytest.raises(ModelRequestFailed, match=f"answered {status}") as info:
        extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert info.value.status_code == status
    assert len(fake.requests) == 1
    assert cached(tmp_path) == []


def test_read_timeout_is_retried(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(Reply(body=GOOD, delay=1.0))
    started = time.monotonic()
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path, timeout=0.3))
    assert time.monotonic() - started < 1.5  # did not wait for the slow answer
    assert len(fake.requests) == 2
    assert result.meta.usage.transport_retries == 1
    assert_good(result)


def test_persistent_timeouts_end_in_transport_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(*[Reply(body=GOOD, delay=0.8)] * 3)
    with pytest.raises(ModelTransportError, match="APITimeoutError") as info:
        extract_article(TEXT, settings=settings_for(fake, tmp_path, timeout=0.2, max_transport_retries=2))
    assert info.value.attempts == 3
    assert len(fake.requests) == 3
    assert cached(tmp_path) == []


def test_connection_reset_is_retried(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(Reply(fault="reset"))
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 2
    assert_good(result)


def test_persistent_resets_end_in_model_unavailable(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(*[Reply(fault="reset")] * 3)
    with pytest.raises(ModelUnavailable, match="after 3 attempt"):
        extract_article(TEXT, settings=settings_for(fake, tmp_path, max_transport_retries=2))
    assert len(fake.requests) == 3
    assert cached(tmp_path) == []


def test_refused_connection_says_how_to_start_a_server(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = resolve_settings(
        base_url=f"http://127.0.0.1:{port}/v1",
        strategy="single-call",
        cache=False,
        retry_backoff=0.01,
        max_transport_retries=3,
    )
    with caplog.at_level(logging.WARNING, logger="parley"), pytest.raises(ModelUnavailable) as info:
        extract_article(TEXT, settings=settings)
    assert f"127.0.0.1:{port}" in str(info.value)
    assert "parley serve" in str(info.value) and "base-url" in str(info.value)
    assert "after 4 attempt" in str(info.value)
    assert len([r for r in caplog.records if "transport fault" in r.getMessage()]) == 3


def test_truncated_body_is_retried(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(Reply(body=GOOD, fault="truncate"))  # content-length promises more than is sent
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 2
    assert_good(result)
    assert len(cached(tmp_path)) == 1


def test_malformed_json_body_is_a_transport_fault(fake: FakeOpenAI, tmp_path: Path) -> None:
    half = json.dumps(GOOD)[:40]  # a complete HTTP answer whose JSON stops half-way
    fake.enqueue(Reply(body=half), Reply(body="<html>bad gateway</html>"))
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 3
    assert result.meta.usage.transport_retries == 2
    assert result.meta.usage.validation_retries == 0
    assert_good(result)

    fake.enqueue(*[Reply(body=half)] * 3)
    with pytest.raises(ModelTransportError, match="malformed") as info:
        extract_article(TEXT + "\nMore.", settings=settings_for(fake, tmp_path, max_transport_retries=2))
    assert info.value.attempts == 3
    assert len(cached(tmp_path)) == 1  # only the first, valid answer


# --- model output faults: re-asked with the error, capped, never cached -----------------------------------


def test_schema_violation_is_reasked_with_the_error(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(Reply(body=SCHEMA_VIOLATION))
    result = extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 2
    reask = json.dumps(fake.requests[1]["json"]["messages"])
    assert "participants" in reask and len(fake.requests[1]["json"]["messages"]) > len(
        fake.requests[0]["json"]["messages"]
    )
    assert result.meta.usage.validation_retries == 1
    assert result.meta.usage.transport_retries == 0
    assert_good(result)
    assert len(cached(tmp_path)) == 1


@pytest.mark.parametrize("answer", [SCHEMA_VIOLATION, UNGROUNDED, chat_completion("Sure! Here you go.")])
def test_invalid_output_until_the_cap(fake: FakeOpenAI, tmp_path: Path, answer: dict[str, Any]) -> None:
    fake.enqueue(*[Reply(body=answer)] * 5)
    with pytest.raises(ModelOutputInvalid, match="failed validation 3 time") as info:
        extract_article(TEXT, settings=settings_for(fake, tmp_path, max_validation_retries=2))
    assert info.value.attempts == 3
    assert len(fake.requests) == 3
    assert "<failed_attempts>" not in str(info.value)  # the last error, not instructor's dump
    assert cached(tmp_path) == []


def test_empty_choices_is_invalid_output(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.enqueue(Reply(body={**EMPTY, "choices": []}))
    with pytest.raises(ModelOutputInvalid):
        extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 1
    assert cached(tmp_path) == []


def test_finish_reason_length_is_reported_not_retried(fake: FakeOpenAI, tmp_path: Path) -> None:
    cut = tool_call_completion(TOOL, {"meetings": []}, finish_reason="length")
    fake.enqueue(Reply(body=cut))
    with pytest.raises(ModelOutputInvalid, match="max_tokens"):
        extract_article(TEXT, settings=settings_for(fake, tmp_path))
    assert len(fake.requests) == 1
    assert cached(tmp_path) == []


def test_evidence_first_falls_back_to_rules_when_the_model_never_answers(tmp_path: Path) -> None:
    """Each question is asked up to the cap, then answered 'unknown': the result equals rules-only's."""
    text = (seeds_dir() / "000_4be2bc72c3feff3f.txt").read_text(encoding="utf-8")
    junk = tool_call_completion("Answer", {"answer": "not one of the options"})
    with quick(FakeOpenAI(default=lambda request: junk)) as fake:
        result = extract_article(text, settings=settings_for(fake, tmp_path, strategy="evidence-first"))
    assert len(fake.requests) >= 3 and len(fake.requests) % 3 == 0  # every question: 1 ask + 2 re-asks
    rules = extract_article(text, strategy="rules-only", cache=False)
    strip = {"meta": True}
    assert result.model_dump(exclude=strip) == rules.model_dump(exclude=strip)
    for item in [*result.meetings, *result.statements, *result.demands]:
        assert verify(item.evidence, text)
    assert cached(tmp_path) == []
    assert results(tmp_path) == []  # a result made without the model's answers is not kept: ask again later


# --- a server that dies mid-run and comes back ------------------------------------------------------------


def test_server_dies_mid_run_and_comes_back(fake: FakeOpenAI, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path, cache=False, retry_backoff=0.1, max_transport_retries=6)
    port = fake.server.server_address[1]
    handler = fake.server.RequestHandlerClass

    def come_back() -> None:
        fake.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        fake.server.daemon_threads = True
        threading.Thread(target=fake.server.serve_forever, args=(0.02,), daemon=True).start()

    async def run() -> tuple[Any, Any]:
        first = await aextract_article(TEXT, settings=settings)
        fake.enqueue(Reply(fault="reset"))  # the server dies: its open connection is reset...
        fake.server.shutdown()
        fake.server.server_close()  # ...and new connections are refused until it is back
        timer = threading.Timer(0.4, come_back)
        timer.start()
        second = await aextract_article(TEXT, settings=settings)
        timer.join()
        return first, second

    first, second = asyncio.run(run())
    assert_good(first)
    assert_good(second)
    assert second.meta.usage.transport_retries >= 1
    assert len(fake.requests) == 3  # first, the reset one, the one after the restart (refusals never arrive)

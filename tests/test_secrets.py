"""The API key never leaves the HTTP Authorization header: not in logs, errors, results, reports, run
manifests, the cache or cassettes."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import _scrub_request
from fake_openai import FakeOpenAI, Reply, tool_call_completion
from vcr.request import Request

from evals.harness import run_eval
from extract import aextract_article, extract_article, resolve_settings
from extract.errors import ExtractError, ModelRequestFailed, ModelTransportError
from extract.settings import Settings

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])

KEY = "sk-test-SECRET1234567890abcdef"
FRAGMENTS = [KEY, "SECRET1234567890", "1234567890abcdef"]  # a truncated or masked key is still a leak
ARTICLE = 'Minister Antov met Maria Lopez in Vienna.\n"We will never accept this blockade," Antov said.\n'
GOOD = tool_call_completion(
    "_LLMArticle",
    {
        "meetings": [],
        "demands": [],
        "statements": [
            {
                "speaker": "Antov",
                "quote": "We will never accept this blockade",
                "evidence": '"We will never accept this blockade," Antov said.',
            }
        ],
    },
)


def assert_clean(blob: str | bytes, where: str) -> None:
    data = blob if isinstance(blob, bytes) else blob.encode("utf-8", errors="replace")
    for fragment in FRAGMENTS:
        assert fragment.encode() not in data, f"API key found in {where}"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=lambda request: GOOD) as server:
        yield server


def settings_for(fake: FakeOpenAI, tmp_path: Path, **kw: Any) -> Settings:
    return resolve_settings(
        base_url=fake.base_url,
        api_key=KEY,
        strategy="single-call",
        cache=tmp_path / "cache",
        retry_backoff=0.01,
        **kw,
    )


def test_the_key_is_sent_where_it_belongs(fake: FakeOpenAI, tmp_path: Path) -> None:
    """The positive control: without it, every 'not found' below could pass for the wrong reason."""
    extract_article(ARTICLE, settings=settings_for(fake, tmp_path))
    headers = {k.lower(): v for k, v in fake.requests[0]["headers"].items()}
    assert headers["authorization"] == f"Bearer {KEY}"
    assert_clean(json.dumps(fake.requests[0]["json"]), "the request body")


def test_key_from_environment_is_not_in_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    settings = resolve_settings()
    assert settings.api_key == KEY
    assert_clean(repr(settings), "repr(Settings)")
    assert_clean(str(settings), "str(Settings)")


def test_logs_never_hold_the_key(fake: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = tool_call_completion("_LLMArticle", {"meetings": [{"participants": "x"}]})
    fake.enqueue(Reply(status=503, body={"error": {"message": "busy"}}), Reply(body=bad))
    with caplog.at_level(logging.DEBUG):  # every logger, SDK and HTTP client included
        result = extract_article(ARTICLE, settings=settings_for(fake, tmp_path))
        fake.enqueue(Reply(status=401, body={"error": {"message": "invalid key"}}))
        with pytest.raises(ModelRequestFailed):
            extract_article(ARTICLE + " More.", settings=settings_for(fake, tmp_path))
    assert result.statements and len(fake.requests) == 4
    assert caplog.records  # something was logged at all
    assert_clean(caplog.text, "the logs")
    assert_clean(result.model_dump_json(), "the result")


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(status=401, body={"error": {"message": "Incorrect API key provided"}}), ModelRequestFailed),
        (
            Reply(status=403, body={"error": {"message": f"key {KEY} may not use this model"}}),
            ModelRequestFailed,
        ),
        (Reply(status=503, body={"error": {"message": "down"}}), ModelTransportError),
    ],
    ids=["401", "403-echoing-the-key", "503"],
)
def test_error_messages_never_hold_the_key(
    fake: FakeOpenAI, tmp_path: Path, reply: Reply, error: type[ExtractError]
) -> None:
    fake.enqueue(*[reply] * 3)
    with pytest.raises(error) as info:
        extract_article(ARTICLE, settings=settings_for(fake, tmp_path, max_transport_retries=1))
    assert_clean(str(info.value), "the error message")
    assert_clean(repr(info.value), "the error repr")
    if "403" not in str(info.value):  # a server that echoes the key taints only its own chained SDK error
        assert_clean("".join(traceback.format_exception(info.value)), "the traceback")


def test_cache_files_never_hold_the_key(fake: FakeOpenAI, tmp_path: Path) -> None:
    extract_article(ARTICLE, settings=settings_for(fake, tmp_path))
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert any(p.name == "cache.db" for p in files)
    for path in files:
        assert_clean(path.read_bytes(), str(path))
    # the key is not part of the cache key either: another key finds the same answer
    other = resolve_settings(
        base_url=fake.base_url,
        api_key="sk-test-other",
        strategy="single-call",
        cache=tmp_path / "cache",
        retry_backoff=0.01,
    )
    assert extract_article(ARTICLE, settings=other).meta.cached
    assert len(fake.requests) == 1


def test_eval_run_folder_never_holds_the_key(tmp_path: Path) -> None:
    """Manifest, outputs (error rows included), scores and reports of a run in which some articles fail."""
    with FakeOpenAI() as fake:  # answers every question with a valid choice...
        fake.enqueue(
            *[Reply(status=401, body={"error": {"message": f"bad key {KEY}"}})] * 2
        )  # ...after two 401s
        settings = resolve_settings(
            base_url=fake.base_url, api_key=KEY, strategy="evidence-first", cache=False, retry_backoff=0.01
        )

        async def extract(text: str, published: str | None) -> Any:
            return await aextract_article(text, published=published, settings=settings)

        info = {"model": settings.model, "base_url_host": settings.host, "strategy": settings.strategy}
        summary = asyncio.run(
            run_eval(extract, out_dir=tmp_path / "run", label="secrets", settings_info=info)
        )
    assert summary["failed_articles"]  # error rows were written
    assert len(summary["failed_articles"]) < 5  # and real outputs too
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert {"manifest.json", "scores.json", "report.md", "report.html"} <= {p.name for p in files}
    for path in files:
        assert_clean(path.read_bytes(), str(path))


def test_cassettes_never_hold_secrets() -> None:
    cassettes = sorted((Path(__file__).parent / "cassettes").glob("*.yaml"))
    for path in cassettes:
        text = path.read_text(encoding="utf-8")
        assert_clean(text, str(path))
        assert "Bearer " not in text and "sk-" not in text, f"credential-like header in {path}"
        assert "authorization:" not in text.lower(), f"authorization header recorded in {path}"


def test_recording_scrubs_credentials_before_writing() -> None:
    """What a re-recording would write: the conftest hooks strip every credential header."""
    request = Request(
        "POST",
        "http://127.0.0.1:8765/v1/chat/completions",
        b"{}",
        {
            "Authorization": f"Bearer {KEY}",
            "api-key": KEY,
            "x-api-key": KEY,
            "OpenAI-Organization": "org-1",
            "Content-Type": "application/json",
        },
    )
    scrubbed = _scrub_request(request)
    assert_clean(json.dumps(dict(scrubbed.headers)), "a scrubbed request")
    assert "Content-Type" in scrubbed.headers

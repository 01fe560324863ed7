"""The cache survives corruption, sharing and a bad directory; concurrent calls share one client safely."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import diskcache
import pytest
from fake_openai import FakeOpenAI, tool_call_completion

import prompts
from extract import aextract_article, extract_article, resolve_settings
from extract.analysis.grounding import verify
from extract.api import get_backend
from extract.model.cache import ResponseCache
from extract.settings import Settings

# fresh interpreters, as on macOS and Windows (and Linux from Python 3.14): nothing of this process's threads,
# clients or cache handles is copied into the workers
START = "spawn"
STARTS = [m for m in ("spawn", "fork") if m in multiprocessing.get_all_start_methods()]
POOL_DEADLINE = 120  # seconds: a stuck worker fails the test instead of hanging it
pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])

NAMES = ["Antov", "Lopez", "Okafor", "Brandt", "Suzuki", "Haddad", "Novak", "Reyes"]
ARTICLES = [
    f'Minister {name} met the envoy in Geneva.\n"We need talks number {i}," {name} said.\n'
    for i, name in enumerate(NAMES)
]


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """Quote the article that is in *this* request: a mixed-up reply would not be grounded in its article."""
    user = request["messages"][-1]["content"]
    article = next(a for a in ARTICLES if a.strip() in user)
    quote = article.splitlines()[1]
    speaker = quote.rsplit(",", 1)[1].split()[1] if "," in quote else "x"
    return tool_call_completion(
        "_LLMArticle",
        {
            "meetings": [],
            "demands": [],
            "statements": [{"speaker": speaker, "quote": quote.split('"')[1].rstrip(","), "evidence": quote}],
        },
    )


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(default=answer)
    server.thread = threading.Thread(target=server.server.serve_forever, args=(0.02,), daemon=True)
    with server:
        yield server


def settings_for(base_url: str, cache: Path | bool, **kw: Any) -> Settings:
    return resolve_settings(base_url=base_url, strategy="single-call", cache=cache, retry_backoff=0.01, **kw)


def entries(directory: Path) -> dict[str, str]:
    with diskcache.Cache(str(directory)) as cache:
        return {key: cache[key] for key in cache}


def stable(found: dict[str, str]) -> dict[str, Any]:
    """Entries as JSON, without the one field that differs between two runs (a result's elapsed time)."""
    out = {}
    for key, text in found.items():
        value = json.loads(text)
        if isinstance(value, dict) and "meta" in value:
            value["meta"].pop("elapsed_s")
        out[key] = value
    return out


# --- corruption -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", ["not json {", "pickle", '{"meetings": "not a list"}'])
def test_corrupt_entry_is_discarded_and_recomputed(
    fake: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    settings = settings_for(fake.base_url, tmp_path / "cache")
    first = extract_article(ARTICLES[0], settings=settings)
    good = entries(tmp_path / "cache")
    assert len(good) == 2  # the model's answer and the whole article's result
    with diskcache.Cache(str(tmp_path / "cache")) as cache:  # default disk: a dict is stored as a pickle
        for key in good:
            cache[key] = {"meetings": []} if damage == "pickle" else damage
    with caplog.at_level(logging.WARNING, logger="parley"):
        second = extract_article(ARTICLES[0], settings=settings)
    assert len(fake.requests) == 2  # recomputed, not served from the broken entries
    assert "corrupt cache entry" in caplog.text or "no longer validates" in caplog.text
    assert second.model_dump(exclude={"meta"}) == first.model_dump(exclude={"meta"})
    assert stable(entries(tmp_path / "cache")) == stable(good)  # the entries are whole again
    third = extract_article(ARTICLES[0], settings=settings)
    assert len(fake.requests) == 2 and third.meta.cached


def test_corrupt_database_file_turns_the_cache_off(
    fake: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "cache"
    directory.mkdir()
    (directory / "cache.db").write_bytes(b"this is not sqlite" * 100)
    with caplog.at_level(logging.WARNING, logger="parley"):
        cache = ResponseCache(directory, prompt_hash="x")
    assert not cache.enabled and "cache disabled" in caplog.text
    assert cache.get({"a": 1}) is None
    cache.set({"a": 1}, {"b": 2})  # a no-op, never an exception
    result = extract_article(ARTICLES[1], settings=settings_for(fake.base_url, directory))
    assert result.statements


def test_unwritable_cache_dir_degrades_with_one_warning(
    fake: FakeOpenAI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")  # works even as root, unlike chmod
    settings = settings_for(fake.base_url, blocker / "cache")
    with caplog.at_level(logging.WARNING, logger="parley"):
        results = [extract_article(ARTICLES[2], settings=settings) for _ in range(3)]
    assert all(r.statements for r in results)
    assert len(fake.requests) == 3  # no cache, so every call asks
    warnings = [r for r in caplog.records if "cache disabled" in r.getMessage()]
    assert len(warnings) == 1


# --- two processes, one cache directory -------------------------------------------------------------------


def _hammer(directory: str, seed: int) -> list[str]:
    """Write and read overlapping keys; return every mismatch seen."""
    cache = ResponseCache(Path(directory), prompt_hash="p")
    rng = random.Random(seed)
    problems = []
    for _ in range(300):
        n = rng.randrange(40)
        parts = {"article": n}
        value = {"n": n, "payload": "x" * (n * 50)}  # some values big enough to live in files
        if rng.random() < 0.5:
            cache.set(parts, value)
        got = cache.get(parts)
        if got is not None and got != value:
            problems.append(f"{n}: {str(got)[:40]}")
    cache.close()
    return problems


def _extract_all(base_url: str, directory: str) -> list[dict[str, Any]]:
    settings = resolve_settings(
        base_url=base_url, strategy="single-call", cache=directory, retry_backoff=0.01
    )
    return [
        extract_article(a, settings=settings).model_dump(mode="json", exclude={"meta"}) for a in ARTICLES[:4]
    ]


def test_processes_sharing_a_cache_directory_never_corrupt_it(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context(START)
    with ctx.Pool(3) as pool:
        work = pool.starmap_async(_hammer, [(str(tmp_path / "cache"), seed) for seed in range(3)])
        problems = work.get(timeout=POOL_DEADLINE)
    assert problems == [[], [], []]
    cache = ResponseCache(tmp_path / "cache", prompt_hash="p")
    for n in range(40):
        got = cache.get({"article": n})
        assert got is None or got == {"n": n, "payload": "x" * (n * 50)}
    stored = entries(tmp_path / "cache")
    assert stored and all(json.loads(v)["n"] >= 0 for v in stored.values())


@pytest.mark.parametrize("start", STARTS)
def test_processes_extracting_through_one_cache_agree(fake: FakeOpenAI, tmp_path: Path, start: str) -> None:
    """Also with fork after this process has used the library (its loop thread, clients and cache handles
    exist): each worker must open its own."""
    extract_article(ARTICLES[5], settings=settings_for(fake.base_url, tmp_path / "parent-cache"))
    fake.requests.clear()
    directory = str(tmp_path / "cache")
    ctx = multiprocessing.get_context(start)
    with ctx.Pool(2) as pool:
        runs = pool.starmap_async(_extract_all, [(fake.base_url, directory)] * 2).get(timeout=POOL_DEADLINE)
    assert runs[0] == runs[1]
    assert 4 <= len(fake.requests) <= 8  # each article asked at most once per process
    again = [
        extract_article(a, settings=settings_for(fake.base_url, tmp_path / "cache")) for a in ARTICLES[:4]
    ]
    assert all(r.meta.cached for r in again)  # this process finds every answer in the shared cache
    assert [r.model_dump(mode="json", exclude={"meta"}) for r in again] == runs[0]
    assert len(entries(tmp_path / "cache")) == 8  # per article: the model's answer and the result


# --- concurrency in one process ---------------------------------------------------------------------------


def test_concurrent_calls_share_one_client_and_never_mix_answers(fake: FakeOpenAI, tmp_path: Path) -> None:
    settings = settings_for(fake.base_url, False)
    rng = random.Random(7)

    def slow_answer(request: dict[str, Any]) -> dict[str, Any]:
        time.sleep(rng.uniform(0, 0.15))  # replies come back in another order than asked
        return answer(request)

    fake.default = slow_answer

    async def run() -> list[Any]:
        return await asyncio.gather(*(aextract_article(a, settings=settings) for a in ARTICLES))

    backend_before = get_backend(settings)
    results = asyncio.run(run())
    assert get_backend(settings) is backend_before  # one shared client for every call
    assert len(fake.requests) == len(ARTICLES)
    for article, result in zip(ARTICLES, results, strict=True):
        assert result.meta.usage.calls == 1 and result.meta.usage.transport_retries == 0
        (statement,) = result.statements
        assert verify(statement.evidence, article)
        assert statement.evidence[0].text == article.splitlines()[1]


def test_sequential_blocking_calls_reuse_the_backend_without_retries(fake: FakeOpenAI) -> None:
    """Each extract_article runs its own event loop; the shared backend must not trip on the old pool."""
    settings = settings_for(fake.base_url, False)
    results = [extract_article(a, settings=settings) for a in ARTICLES[:3]]
    assert len(fake.requests) == 3
    assert [r.meta.usage.transport_retries for r in results] == [0, 0, 0]


def test_cache_key_changes_with_prompts_and_model(fake: FakeOpenAI, tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    extract_article(ARTICLES[3], settings=settings_for(fake.base_url, directory))
    extract_article(ARTICLES[3], settings=settings_for(fake.base_url, directory, model="other-model"))
    assert len(fake.requests) == 2 and len(entries(directory)) == 4  # answer and result, per model
    assert prompts.prompt_hash()  # the prompt hash is part of every key (see extract.model.cache.cache_key)

"""`extract_articles()` from Python: results as they finish or in input order, failures as values, exactly once
across interruptions with the same results file as `parley batch`, and an async twin."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from extract import ConfigError, FakeBackend, InputRejected, using_backend
from extract.batch import aextract_articles, extract_articles, load_inputs, read_results
from extract.cli import app
from extract.settings import resolve_settings
from tests.fake_batches import single_call_arguments, single_call_completion
from tests.fake_openai import FakeOpenAI
from tests.test_batch import article, write_articles

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])  # loopback fakes only


def slow_for(delays: dict[str, float]) -> Any:
    """Answers each article after the delay named by a word in it ("number 3" -> delays["3"])."""

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(body)
        time.sleep(next((d for key, d in delays.items() if f"number {key}" in text), 0.0))
        return single_call_completion(body)

    return answer


def options(fake: FakeOpenAI) -> dict[str, Any]:
    settings = resolve_settings(max_transport_retries=0, max_validation_retries=1)
    return {"base_url": fake.base_url, "strategy": "single-call", "cache": False, "settings": settings}


def test_results_come_as_they_finish_or_in_input_order() -> None:
    texts = [article(n) for n in range(4)]
    with FakeOpenAI(default=slow_for({"0": 0.6, "1": 0.3})) as fake:
        finished = [r.index for r in extract_articles(texts, concurrency=4, **options(fake))]
        starts = [start for start, _ in fake.times]
        ordered = [r.index for r in extract_articles(texts, concurrency=4, ordered=True, **options(fake))]
    assert finished[-1] == 0 and finished.index(1) > finished.index(2)  # the slow ones come last
    assert max(starts) - min(starts) < 0.3  # all four asked side by side, before the first slow answer
    assert ordered == [0, 1, 2, 3]


def test_failures_are_values_and_the_run_goes_on() -> None:
    texts = [article(0), article(1, "This line is BROKEN on purpose."), "", article(2)]
    with FakeOpenAI(default=slow_for({})) as fake:
        results = list(extract_articles([*texts, {"id": "no-text"}], ordered=True, **options(fake)))
    assert [r.status for r in results] == ["ok", "error", "error", "ok", "error"]
    assert [r.error.kind for r in results if r.error] == [
        "ModelOutputInvalid",
        "InputRejected",
        "InputRejected",
    ]
    assert results[1].error is not None and results[1].error.attempts == 2
    assert [r.id for r in results] == ["0", "1", "2", "3", "no-text"]
    assert all(r.result is not None and r.result.statements for r in results if r.ok)


def test_a_duplicate_text_is_extracted_once_and_gets_the_result() -> None:
    with FakeOpenAI(default=slow_for({})) as fake:
        results = list(extract_articles([article(5), article(5)], ordered=True, **options(fake)))
    assert len(fake.requests) == 1
    assert [r.status for r in results] == ["ok", "duplicate"] and results[1].record.duplicate_of == "0"
    assert results[1].result == results[0].result


def _settled(fake: FakeOpenAI) -> int:
    """How many requests the fake server has seen, once no more arrive for 0.3 s."""
    seen = -1
    while seen != len(fake.requests):
        seen = len(fake.requests)
        time.sleep(0.3)
    return seen


def test_interrupted_then_resumed_extracts_every_article_exactly_once(tmp_path: Path) -> None:
    folder = write_articles(tmp_path / "in", 8)
    rows = [{"id": i.id, "text": i.text} for i in load_inputs(folder)]
    out = tmp_path / "results.jsonl"
    with FakeOpenAI(default=slow_for({})) as fake:
        first = []
        for result in extract_articles(rows, out=out, concurrency=2, **options(fake)):
            first.append(result.id)
            if len(first) == 3:
                break  # the caller stops: articles in flight are dropped, finished ones are saved
        saved = len(out.read_text(encoding="utf-8").splitlines())
        # the saved articles, and those in flight (their answers are dropped); a request already sent may
        # reach the server a moment after the caller stopped, on a loaded machine: count once it settles
        asked = _settled(fake)
        assert 3 <= saved <= asked <= saved + 2
        again = list(extract_articles(rows, out=out, concurrency=2, ordered=True, **options(fake)))
        assert len(fake.requests) - asked == 8 - saved  # the rerun asks only for what is not saved
        resumed = {r.id for r in again if r.resumed}
        assert set(first) <= resumed and len(resumed) == saved and len(again) == 8
        cli = CliRunner().invoke(
            app,
            [
                "batch",
                str(folder),
                "--out",
                str(out),
                "--base-url",
                fake.base_url,
                "--strategy",
                "single-call",
            ],
        )
    assert cli.exit_code == 0 and "8 already done" in cli.output  # the same file as `parley batch`
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == sorted(r["id"] for r in rows)
    assert all(r.result is not None for r in again)
    assert read_results(out)[rows[0]["id"]].status == "ok"


async def test_the_async_twin_yields_the_same_results() -> None:
    texts = [article(n) for n in range(3)]
    with FakeOpenAI(default=slow_for({"0": 0.3})) as fake:
        results = [r async for r in aextract_articles(texts, concurrency=3, **options(fake))]
        ordered = [r.index async for r in aextract_articles(texts, ordered=True, **options(fake))]
    assert [r.index for r in results][-1] == 0 and ordered == [0, 1, 2]
    assert all(r.ok for r in results)


def test_a_test_backend_reaches_every_article() -> None:
    """`using_backend` around the call reaches the articles running on the blocking API's loop thread."""
    fake = FakeBackend(default=lambda messages, model: single_call_arguments(messages[-1]["content"]))
    with using_backend(fake):
        results = list(extract_articles([article(1), article(2)], strategy="single-call", cache=False))
    assert len(fake.requests) == 2
    assert all(r.result is not None and r.result.statements for r in results)


def test_repeated_ids_and_a_running_loop_are_refused() -> None:
    with pytest.raises(InputRejected, match="given twice"):
        list(extract_articles([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}], strategy="rules-only"))

    async def inside() -> None:
        list(extract_articles(["text"], strategy="rules-only"))

    with pytest.raises(ConfigError, match="aextract_articles"):
        asyncio.run(inside())

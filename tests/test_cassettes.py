"""Integration: replay requests recorded from the real embedded llama.cpp server (the default model).

Re-record (starts the embedded server, needs the `local` extra):
    PARLEY_RECORD=1 python -m pytest tests/test_cassettes.py --record-mode=rewrite
Requests are matched on method, path and JSON body: a changed prompt, schema, mode or sampling setting makes
the replay fail with a message that says how to re-record, instead of replaying a stale answer.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from evals import check_baseline, load_all, seeds_dir
from evals.harness import run_eval
from extract import ModelOutputInvalid, ModelUnavailable, aextract_article, resolve_settings
from extract.analysis.article import Article
from extract.model.backend import OpenAIBackend
from extract.strategies import decisions

RECORD = os.environ.get("PARLEY_RECORD") == "1"
REPLAY_URL = "http://127.0.0.1:8765/v1"  # never contacted on replay: vcr answers from the cassette
CASSETTES = Path(__file__).parent / "cassettes"
RERECORD = "PARLEY_RECORD=1 python -m pytest tests/test_cassettes.py --record-mode=rewrite"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    if not RECORD:
        yield REPLAY_URL
        return
    from extract.model.server import EmbeddedServer

    with EmbeddedServer() as server:
        yield server.base_url


def _settings(base_url: str, **kw: Any) -> Any:
    # recording waits for a slow CPU; a replay answers at once
    return resolve_settings(base_url=base_url, cache=False, max_transport_retries=0, timeout=900.0, **kw)


async def _extract(text: str, published: str | None, base_url: str, strategy: str) -> Any:
    try:
        return await aextract_article(
            text, published=published, settings=_settings(base_url, strategy=strategy)
        )
    except ModelUnavailable as exc:
        raise AssertionError(
            f"a request had no recording (prompt or pipeline changed?): re-record with {RERECORD}"
        ) from exc


def _replay_eval(strategy: str, base_url: str, out: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the eval harness over the seeds; returns the summary and the per-article error rows."""
    summary = asyncio.run(
        run_eval(
            lambda t, p: _extract(t, p, base_url, strategy),
            out_dir=out,
            label=strategy,
            settings_info={"strategy": strategy},
        )
    )
    return summary, json.loads((out / "manifest.json").read_text(encoding="utf-8"))["errors"]


@pytest.mark.vcr
def test_seed_eval_meets_baseline(base_url: str, tmp_path: Path) -> None:
    """The default strategy over every seed, replayed: all grounded, none failed, F1 not below the baseline."""
    summary, errors = _replay_eval("evidence-first", base_url, tmp_path)
    assert summary["failed_articles"] == [], "; ".join(f"{k}: {v}" for k, v in errors.items())
    assert summary["grounded_rate"] == 1.0
    assert summary["hallucinated_quotes"] == 0
    problems = check_baseline(summary)
    assert not problems, "; ".join(problems) + f" (see {tmp_path}/report.md)"
    assert (tmp_path / "report.html").exists() and (tmp_path / "manifest.json").exists()


@pytest.mark.vcr
def test_single_call_baseline_replays(base_url: str) -> None:
    """The naive strategy is kept for the ablation; it must still run on a real article (the shortest seed:
    one call of a 1.5B model on 2 cores takes minutes to record), and whatever it returns is grounded."""
    seed = min(seeds_dir().glob("*.txt"), key=lambda p: p.stat().st_size)
    text = seed.read_text(encoding="utf-8")
    try:
        result = asyncio.run(_extract(text, None, base_url, "single-call"))
    except ModelOutputInvalid:
        return  # the model's answer failed validation every time: an outcome single-call is kept to show
    for item in [*result.meetings, *result.statements, *result.demands]:
        assert all(text[e.start : e.end] == e.text for e in item.evidence)


class Pick(BaseModel):
    answer: Literal["Kari Lund", "Pablo Mena", "unknown"] = Field(description="One of the options.")


_MESSAGES = [
    {"role": "user", "content": "Who said it? Choose from: Kari Lund, Pablo Mena, unknown."},
]

# A synthetic article (not a seed) with one quote that no rule can attribute: the model must be asked.
ARTICLE = (
    "Foreign Minister Ana Kovac met her counterpart Ivo Maric in Zagreb on Tuesday.\n\n"
    "“We agreed to keep talking,” Kovac said.\n\n"
    "Kovac and Maric spoke briefly afterwards. “There is more to do than ever before,” the statement read."
)


@pytest.mark.vcr
def test_the_real_model_picks_a_speaker_under_a_grammar_and_says_how_sure(base_url: str) -> None:
    """The speaker question as the pipeline asks it (the article first, the question last), to the real model
    through llama.cpp's `json_object` + schema grammar: a name of the article comes back, with the model's
    confidence from the server's log-probabilities."""
    backend = OpenAIBackend(_settings(base_url), base_url=base_url)
    article = Article(ARTICLE, None).prepare()
    quote = "There is more to do than ever before,"
    at = ARTICLE.index(quote)
    question = decisions.speaker_question(article, at, at + len(quote), quote)
    assert set(question.choices) == {"Ana Kovac", "Ivo Maric", "unknown"}
    answer = asyncio.run(decisions.ask(backend, question))
    assert answer is not None and answer.value in question.choices
    assert answer.confidence is not None and 0.0 < answer.confidence <= 1.0


@pytest.mark.vcr
def test_tools_mode_carries_the_single_call_to_the_real_model(base_url: str) -> None:
    """The other mode llama.cpp's server accepts, a forced tool call, with the naive single-call strategy."""
    settings = _settings(base_url, mode="tools", strategy="single-call")
    try:
        result = asyncio.run(aextract_article(ARTICLE, settings=settings))
        assert result.meta.usage.calls >= 1 and result.meta.usage.prompt_tokens > 0
    except ModelOutputInvalid as exc:  # its answers reached validation and failed it every time (re-asked)
        assert exc.attempts == settings.max_validation_retries + 1
    recorded = CASSETTES / "test_cassettes" / "test_tools_mode_carries_the_single_call_to_the_real_model.yaml"
    if recorded.exists():
        assert '"tool_choice":{"type":"function"' in recorded.read_text(encoding="utf-8").replace('\\"', '"')


@pytest.mark.skipif(RECORD, reason="recording: every request is allowed through")
@pytest.mark.vcr
def test_unrecorded_request_fails_instead_of_reaching_a_server() -> None:
    """The guard: a request with no recording raises; it never reaches a network or a model."""
    backend = OpenAIBackend(_settings(REPLAY_URL), base_url=REPLAY_URL)
    with pytest.raises(ModelUnavailable) as info:
        asyncio.run(backend.complete(_MESSAGES, Pick))
    chain = []
    exc: BaseException | None = info.value
    while exc is not None and len(chain) < 20:
        chain.append(type(exc).__name__)
        exc = exc.__cause__
    assert "CannotOverwriteExistingCassetteException" in chain


@pytest.mark.skipif(RECORD, reason="recording: network allowed")
def test_network_is_blocked_outside_cassettes() -> None:
    import socket

    with pytest.raises(RuntimeError, match="Network is disabled"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


_SECRET = re.compile(
    r"(?im)^\s*-?\s*(authorization|api-key|x-api-key|openai-organization)\s*:|bearer\s+[\w.-]{8,}|sk-[A-Za-z0-9_-]{16,}"
)


def test_cassettes_hold_no_secrets() -> None:
    files = sorted(CASSETTES.rglob("*.yaml"))
    assert files, "no cassettes found"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not _SECRET.search(text), f"{path} holds an auth header or key; filter it and re-record"


def test_every_seed_has_expectations() -> None:
    seeds = sorted(p.name for p in seeds_dir().glob("*.txt"))
    assert seeds == sorted(e.article for e in load_all())

"""The front door's own behaviour: article text reaches the model verbatim, whole-article results are cached
only for the code that made them, and blocking calls share one client and connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import instructor
import pytest
from pydantic import BaseModel

from extract import aextract_article, extract_article, resolve_settings, using_backend
from extract import api as api_module
from extract.api import get_backend
from extract.errors import ModelOutputInvalid
from extract.model.backend import OpenAIBackend
from extract.settings import Settings
from tests.fake_openai import FakeOpenAI, tool_call_completion

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])

ARTICLE = 'Minister Antov met the envoy in Geneva.\n"We need talks now," Antov said on Monday.\n'


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """A grounded single-call answer for whatever article the request carries."""
    user = request["messages"][-1]["content"]
    line = next(x for x in user.splitlines() if "Antov said" in x)
    return tool_call_completion(
        "_LLMArticle",
        {
            "meetings": [],
            "demands": [],
            "statements": [{"speaker": "Antov", "quote": None, "evidence": line}],
        },
    )


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(default=answer) as server:
        yield server


def settings_for(fake: FakeOpenAI, cache: Path | bool = False, **kw: Any) -> Settings:
    options: dict[str, Any] = {"strategy": "single-call", "retry_backoff": 0.01, **kw}
    return resolve_settings(base_url=fake.base_url, cache=cache, **options)


# --- article text is data, never a template -----------------------------------------------------------------


@pytest.mark.parametrize(
    "odd",
    [
        "The memo read {{ secret }} in full.",
        "A {% raw %} tag and {# a comment #} stayed.",
        "    Indented quote.",
    ],
)
def test_article_text_reaches_the_model_verbatim(fake: FakeOpenAI, odd: str) -> None:
    """instructor renders messages as Jinja templates when given a validation context: `{{ x }}` vanished and
    `{%` crashed the call. The context now travels beside the request, never through it."""
    text = f"{odd}\n{ARTICLE}"
    result = extract_article(text, settings=settings_for(fake))
    sent = fake.requests[-1]["json"]["messages"][-1]["content"]
    assert odd in sent
    assert [s.speaker.name for s in result.statements] == ["Antov"]


def test_grounding_check_still_sees_the_article(fake: FakeOpenAI) -> None:
    """The validator that re-asks for evidence not in the article still gets the article (via the backend)."""
    ungrounded = tool_call_completion(
        "_LLMArticle",
        {"meetings": [], "demands": [], "statements": [{"speaker": "X", "evidence": "words nobody wrote"}]},
    )
    fake.default = lambda request: ungrounded
    with pytest.raises(ModelOutputInvalid, match="not in the article"):
        extract_article(ARTICLE, settings=settings_for(fake, max_validation_retries=1))
    assert len(fake.requests) == 2


# --- whole-article cache --------------------------------------------------------------------------------------


def test_a_cached_article_makes_no_request_and_says_so(fake: FakeOpenAI, tmp_path: Path) -> None:
    settings = settings_for(fake, tmp_path / "cache")
    first = extract_article(ARTICLE, settings=settings)
    second = extract_article(ARTICLE, settings=settings)
    assert len(fake.requests) == 1
    assert not first.meta.cached and first.meta.usage.calls == 1
    assert second.meta.cached and second.meta.usage.calls == 0 and second.meta.usage.cache_hits == 1
    assert second.model_dump(exclude={"meta"}) == first.model_dump(exclude={"meta"})


def test_changed_code_is_never_hidden_by_a_cached_result(
    fake: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole-article entry is keyed by a hash of the extraction code: a changed rule recomputes (the
    model's answer itself may still come from the per-call cache)."""
    settings = settings_for(fake, tmp_path / "cache")
    runs: list[str] = []
    real = api_module.run_strategy

    async def counted(strategy: str, *args: Any) -> Any:
        runs.append(strategy)
        return await real(strategy, *args)

    monkeypatch.setattr(api_module, "run_strategy", counted)
    extract_article(ARTICLE, settings=settings)
    extract_article(ARTICLE, settings=settings)
    assert runs == ["single-call"]  # the second call was the stored result
    monkeypatch.setattr(api_module, "code_fingerprint", lambda: "some-other-code")
    again = extract_article(ARTICLE, settings=settings)
    assert runs == ["single-call", "single-call"]  # the pipeline ran again...
    assert again.meta.usage.cache_hits == 1 and again.meta.usage.calls == 0  # ...on the cached answer
    assert len(fake.requests) == 1


def test_code_fingerprint_covers_the_rules_and_their_data() -> None:
    fingerprint = api_module.code_fingerprint()
    assert len(fingerprint) == 16 and fingerprint == api_module.code_fingerprint()
    assert api_module.code_fingerprint.cache_info().currsize == 1  # computed once per process


@pytest.mark.parametrize(
    "change",
    [{"published": "2024-05-01"}, {"model": "other-model"}, {"strategy": "evidence-first"}],
)
def test_a_different_question_is_not_served_from_the_cache(
    fake: FakeOpenAI, tmp_path: Path, change: dict[str, Any]
) -> None:
    settings = settings_for(fake, tmp_path / "cache")
    extract_article(ARTICLE, settings=settings)
    published = change.pop("published", None)
    other = settings_for(fake, tmp_path / "cache", **change)
    result = extract_article(ARTICLE, settings=other, published=published)
    assert not result.meta.cached


def test_a_callers_backend_is_not_served_from_the_cache(fake: FakeOpenAI, tmp_path: Path) -> None:
    """A backend passed in is not a known model: its answers must not be mixed with the settings' model."""
    settings = settings_for(fake, tmp_path / "cache")
    extract_article(ARTICLE, settings=settings)
    mine = OpenAIBackend(settings, base_url=fake.base_url, cache=None)
    with using_backend(mine):
        result = extract_article(ARTICLE, settings=settings)
    assert not result.meta.cached and len(fake.requests) == 2


# --- blocking calls share one client ----------------------------------------------------------------------


def test_blocking_calls_share_one_client_and_connection(fake: FakeOpenAI) -> None:
    settings = settings_for(fake)
    for n in range(3):
        extract_article(ARTICLE.replace("now", f"now {n}"), settings=settings)
    assert len(fake.requests) == 3
    assert len({r["peer"] for r in fake.requests}) == 1  # one keep-alive connection for all three
    assert len(get_backend(settings)._clients) == 1


def test_async_and_blocking_calls_can_alternate(fake: FakeOpenAI) -> None:
    """Each event loop gets its own client; a closed loop's client is dropped, not closed on another loop."""
    settings = settings_for(fake)
    for n in range(2):
        asyncio.run(aextract_article(ARTICLE.replace("now", f"async {n}"), settings=settings))
        extract_article(ARTICLE.replace("now", f"blocking {n}"), settings=settings)
    assert len(fake.requests) == 4
    assert len(get_backend(settings)._clients) <= 2


def test_blocking_call_inside_an_event_loop_is_refused() -> None:
    async def inside() -> None:
        extract_article(ARTICLE, strategy="rules-only")

    with pytest.raises(Exception, match="await aextract_article"):
        asyncio.run(inside())


# --- instructor's async-validator check is remembered, not skipped ----------------------------------------


def test_models_with_async_validators_are_still_rejected(fake: FakeOpenAI) -> None:
    from instructor.v2.validation.async_validators import async_field_validator

    class Sneaky(BaseModel):
        answer: str

        @async_field_validator("answer")
        async def check(self, value: str) -> str:
            return value

    settings = settings_for(fake)
    client = instructor.from_openai(__import__("openai").OpenAI(base_url=fake.base_url, api_key="x"))
    for _ in range(2):  # the second time too: a failed check is never remembered as passed
        with pytest.raises(ValueError, match="async validators"):
            client.create(
                model=settings.model, messages=[{"role": "user", "content": "hi"}], response_model=Sneaky
            )
    assert fake.requests == []


def test_result_cache_entries_are_json(fake: FakeOpenAI, tmp_path: Path) -> None:
    import diskcache

    extract_article(ARTICLE, settings=settings_for(fake, tmp_path / "cache"))
    with diskcache.Cache(str(tmp_path / "cache")) as cache:
        values = [cache[k] for k in cache]
    assert len(values) == 2 and all(isinstance(v, str) for v in values)
    assert any("meta" in json.loads(v) for v in values)

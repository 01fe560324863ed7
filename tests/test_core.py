"""Core behaviour without a model: schema contract, grounding, text handling, settings, pipeline seams."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import extract
import schemas
from extract import (
    ConfigError,
    FakeBackend,
    InputRejected,
    aextract_article,
    extract_article,
    resolve_settings,
    using_backend,
)
from extract.analysis.grounding import locate, verify
from extract.analysis.text import find_quotes, ignored_spans, split_sentences
from extract.settings import DEFAULT_MODEL, DEFAULT_PRESET, MODEL_PRESET, PRESETS, Settings
from extract.strategies.pipeline import Article
from schemas import ArticleExtraction, Evidence

ROOT = Path(__file__).resolve().parent.parent


def test_json_schema_file_is_current() -> None:
    assert schemas.SCHEMA_FILE.read_text(encoding="utf-8") == schemas.export_json_schema(), (
        "schemas/article_extraction.schema.json is stale: run `parley schema --write schemas/article_extraction.schema.json`"
    )


def test_every_schema_field_is_described() -> None:
    for model in (
        schemas.Evidence,
        schemas.Actor,
        schemas.Meeting,
        schemas.Statement,
        schemas.Demand,
        schemas.Rejected,
        schemas.Usage,
        schemas.Meta,
        schemas.ArticleExtraction,
    ):
        for name, field in model.model_fields.items():
            assert field.description, (
                f"{model.__name__}.{name} has no description (descriptions are prompt text)"
            )


def test_public_api_is_pinned() -> None:
    assert set(extract.__all__) >= {
        "extract_article",
        "aextract_article",
        "FakeBackend",
        "InputRejected",
        "ModelUnavailable",
        "resolve_settings",
    }
    assert "ValidationError" not in extract.__all__


# grounding


def test_locate_exact_gives_offsets() -> None:
    text = "Intro. Lavrov met Rubio in Geneva."
    ev = locate("Lavrov met Rubio", text)
    assert ev == Evidence(text="Lavrov met Rubio", start=7, end=23)
    assert verify([ev], text)


def test_locate_normalized_maps_back_to_original_characters() -> None:
    text = "He said “we are  in a blockade,” and left."
    ev = locate('"we are in a blockade,"', text)
    assert ev is not None
    assert text[ev.start : ev.end] == ev.text == "we are  in a blockade,"


def test_locate_refuses_paraphrase() -> None:
    assert locate("we are blockaded", "He said “we are in a blockade.”") is None


# text


def test_quotes_in_every_style() -> None:
    text = "A “curly one here”. B \"straight one here\". C «guillemets here». D 'single quoted words' E don't split."
    got = [q.text for q in find_quotes(text)]
    assert got == ["curly one here", "straight one here", "guillemets here", "single quoted words"]


def test_british_single_quotes_hold_apostrophes_and_possessives() -> None:
    text = (
        "Sir John warned: 'For generations, Britain's word has been accepted. We don't break it,' he said.\n"
        "The farmers' union called the plan a 'betrayal' on Monday."
    )
    got = [q.text for q in find_quotes(text)]
    assert got == ["For generations, Britain's word has been accepted. We don't break it,", "betrayal"]


def test_a_quote_opening_a_paragraph_may_run_to_its_end() -> None:
    text = (
        "She said: 'The agreement is the bedrock of peace and must be respected.\n"
        "“Talks will resume in May and we expect them to succeed.\n"
        "He spoke of 'the unclosed mark in the middle of a line and nothing more"
    )
    got = [q.text for q in find_quotes(text)]
    assert got == [
        "The agreement is the bedrock of peace and must be respected.",
        "Talks will resume in May and we expect them to succeed.",
    ]


def test_boilerplate_and_repeated_paragraphs_are_ignored() -> None:
    para = "Officials from both sides met in Vienna on Monday to discuss the prisoner exchange."
    text = f"Title\n\n{para}\n\nRead Also: Ten things to know\n\n{para}\n\nShare This Post"
    spans = [text[a:b] for a, b in ignored_spans(text)]
    assert "Read Also: Ten things to know" in spans
    assert "Share This Post" in spans
    assert spans.count(para) == 1  # the repeat, not the first copy
    assert text.index(para) not in [a for a, _ in ignored_spans(text)]


def test_sentences_keep_offsets_and_abbreviations() -> None:
    text = "Mr. Smith met Dr. Jones. They talked.\nNew paragraph here"
    sents = split_sentences(text)
    assert [s.text for s in sents] == ["Mr. Smith met Dr. Jones.", "They talked.", "New paragraph here"]
    assert all(text[s.start : s.end] == s.text for s in sents)


@pytest.mark.parametrize("bad", ["", "   \n\t ", b"bytes", None, "\x00\x01binary"])
def test_bad_input_is_rejected_clearly(bad: object) -> None:
    with pytest.raises(InputRejected):
        extract_article(bad, strategy="rules-only", cache=False)  # type: ignore[arg-type]


# settings


def test_settings_precedence_arguments_over_environment_over_defaults() -> None:
    env = {"PARLEY_MODEL": "env-model", "PARLEY_BASE_URL": "http://env:1/v1", "OPENAI_API_KEY": "sk-envkey"}
    s = resolve_settings(env, model="arg-model", cache=False)
    assert (s.model, s.base_url, s.api_key, s.cache_dir) == (
        "arg-model",
        "http://env:1/v1",
        "sk-envkey",
        None,
    )
    assert resolve_settings({}, cache=False).model == DEFAULT_MODEL
    assert "sk-envkey" not in repr(s)


def test_a_preset_sets_strategy_and_model_unless_they_are_given() -> None:
    default = resolve_settings({}, cache=False)
    assert (default.preset, default.strategy, default.model) == (
        DEFAULT_PRESET,
        PRESETS[DEFAULT_PRESET]["strategy"],
        PRESETS[DEFAULT_PRESET].get("model", DEFAULT_MODEL),
    )
    assert Settings().strategy == default.strategy  # the dataclass default is the default preset's
    # naming a model or a server, and no preset or strategy, means using it: the model's preset
    for named in ({"PARLEY_BASE_URL": "http://h:1/v1"}, {"PARLEY_MODEL": "gpt-4o-mini"}):
        s = resolve_settings(named, cache=False)
        assert (s.preset, s.strategy) == (MODEL_PRESET, PRESETS[MODEL_PRESET]["strategy"])
    assert resolve_settings({}, model="m", strategy="rules-only", cache=False).strategy == "rules-only"
    assert resolve_settings({}, model="m", preset="fast", cache=False).strategy == "rules-only"
    assert resolve_settings({}, preset="fast", cache=False).strategy == "rules-only"
    assert resolve_settings({"PARLEY_PRESET": "guided"}, cache=False).strategy == "guided"
    explicit = resolve_settings({"PARLEY_PRESET": "fast"}, strategy="single-call", model="m", cache=False)
    assert (explicit.strategy, explicit.model) == ("single-call", "m")
    env_strategy = resolve_settings({"PARLEY_STRATEGY": "rules-only"}, preset="guided", cache=False)
    assert (env_strategy.strategy, env_strategy.model) == ("rules-only", PRESETS["guided"]["model"])
    base = resolve_settings({}, strategy="single-call", cache=False)
    assert resolve_settings(base=base, preset="fast").strategy == "rules-only"
    assert resolve_settings(base=base, model="other").strategy == "single-call"
    with pytest.raises(ConfigError, match="unknown preset 'quick'"):
        resolve_settings({}, preset="quick", cache=False)


def test_settings_reject_unknown_strategy() -> None:
    with pytest.raises(ConfigError, match="unknown strategy"):
        resolve_settings({}, strategy="magic")


def test_host_never_shows_credentials() -> None:
    s = resolve_settings({}, base_url="https://user:pw@example.org:8443/v1?key=x", cache=False)
    assert s.host == "example.org:8443"


# pipeline seams (FakeBackend)

ARTICLE = (
    "Foreign Minister Ana Kovac met her counterpart Ivo Maric in Zagreb on Tuesday.\n\n"
    "“We agreed to keep talking,” Kovac said.\n\n"
    "Kovac and Maric spoke briefly afterwards. “There is more to do than ever before,” the statement read."
)


def test_rules_only_extracts_grounded_items() -> None:
    r = extract_article(ARTICLE, strategy="rules-only", cache=False)
    assert [m.status for m in r.meetings] == ["held"]
    assert {p.canonical for p in r.meetings[0].participants} >= {"Ana Kovac", "Ivo Maric"}
    assert r.meetings[0].location == "Zagreb"
    said = [s for s in r.statements if s.quote == "We agreed to keep talking"]  # the comma is the tag's
    assert said and said[0].speaker.canonical == "Ana Kovac" and said[0].direct
    for item in [*r.meetings, *r.statements, *r.demands]:
        assert all(ARTICLE[e.start : e.end] == e.text for e in item.evidence)


def test_model_is_asked_only_about_ambiguous_quotes() -> None:
    fake = FakeBackend().enqueue({"answer": "Ivo Maric"})
    with using_backend(fake):
        r = asyncio.run(
            aextract_article(ARTICLE, settings=resolve_settings({}, preset="accurate", cache=False))
        )
    assert len(fake.requests) == 1  # only the unattributed quote
    messages, _ = fake.requests[0]
    content = messages[-1]["content"]
    assert content.startswith(f"Article:\n{ARTICLE}")  # the whole (short) article first, the question last
    assert content.rindex("There is more to do") > content.index("the statement read")
    grammar = fake.grammars[0]
    assert grammar is not None  # the model can pick among the article's people, not invent one
    assert set(grammar["properties"]["answer"]["enum"]) == {"Ana Kovac", "Ivo Maric", "unknown"}
    quoted = [s for s in r.statements if s.quote and s.quote.startswith("There is more")]
    assert quoted[0].speaker.canonical == "Ivo Maric"


def test_unknown_speaker_goes_to_rejected_not_results() -> None:
    fake = FakeBackend().enqueue({"answer": "unknown"})
    with using_backend(fake):
        r = asyncio.run(aextract_article(ARTICLE, settings=resolve_settings({}, cache=False)))
    assert not any(s.quote and s.quote.startswith("There is more") for s in r.statements)
    assert any(x.reason == "no speaker could be attributed" for x in r.rejected)


def test_single_call_drops_items_whose_evidence_is_not_in_the_text() -> None:
    answer = {
        "meetings": [],
        "statements": [
            {
                "speaker": "Kovac",
                "quote": "We agreed to keep talking,",
                "evidence": "We agreed to keep talking,",
            },
            {"speaker": "Maric", "quote": "invented words", "evidence": "Maric said invented words"},
        ],
        "demands": [],
    }
    fake = FakeBackend().enqueue(answer)
    s = resolve_settings({}, cache=False, strategy="single-call")
    with using_backend(fake), pytest.raises(Exception, match="not in the article"):
        asyncio.run(aextract_article(ARTICLE, settings=s))  # validator runs with the article context


def test_ungrounded_items_are_moved_to_rejected() -> None:
    from extract.api import _ground
    from extract.strategies.pipeline import Proposal
    from schemas import Actor, Statement

    good = Statement(
        speaker=Actor(name="Kovac"),
        quote="We agreed to keep talking,",
        direct=True,
        evidence=[Evidence(text="We agreed to keep talking,", start=0, end=5)],
    )  # wrong offsets: re-found
    bad = Statement(
        speaker=Actor(name="Maric"),
        quote="never said",
        direct=True,
        evidence=[Evidence(text="never said this", start=0, end=15)],
    )
    out = _ground(Proposal(statements=[good, bad]), ARTICLE)
    assert [s.speaker.name for s in out.statements] == ["Kovac"]
    assert out.statements[0].evidence[0].start == ARTICLE.index("We agreed")
    assert [r.reason for r in out.rejected] == ["evidence not found in the article"]


def test_published_date_resolves_weekdays_and_months() -> None:
    r = extract_article(ARTICLE, strategy="rules-only", cache=False, published="2024-03-14")
    assert r.meetings[0].date == "2024-03-12" and r.meetings[0].date_text == "on Tuesday"
    undated = extract_article(ARTICLE, strategy="rules-only", cache=False)
    assert undated.meetings[0].date is None and undated.meetings[0].date_text == "on Tuesday"


def test_output_round_trips_through_json() -> None:
    r = extract_article(ARTICLE, strategy="rules-only", cache=False)
    again = ArticleExtraction.model_validate(json.loads(r.model_dump_json()))
    assert again == r
    assert r.meta.schema_hash == schemas.schema_hash() and r.meta.strategy == "rules-only"


def test_article_candidates_skip_boilerplate() -> None:
    a = Article("Read Also: Leaders met in Paris\n\nNothing else happened here today at all.", None)
    assert all("Paris" not in s.text for s in a.sentences)

"""The model's decisions: one constrained question each, with the model's confidence, routed by measurement."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from types import SimpleNamespace
from typing import Any

import pytest
from fake_openai import FakeOpenAI, chat_completion

from evals import decisions as harness
from evals.datasets import load_set
from extract import aextract_article, resolve_settings, using_backend
from extract.analysis.article import Article
from extract.model.backend import FakeBackend, OpenAIBackend, answer_probability
from extract.strategies import decisions
from extract.strategies.decisions import Answer, Question, Route

pytestmark = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1"])

ARTICLE = (
    "Foreign Minister Ana Kovac met her counterpart Ivo Maric in Zagreb on Tuesday.\n\n"
    "“We agreed to keep talking,” Kovac said.\n\n"
    "Croatia demanded that Serbia reopen the border crossing."
)


def _token(text: str, logprob: float, top: dict[str, float] | None = None) -> SimpleNamespace:
    alts = [SimpleNamespace(token=t, logprob=lp) for t, lp in (top or {text: logprob}).items()]
    return SimpleNamespace(token=text, logprob=logprob, top_logprobs=alts)


def _completion(*tokens: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(choices=[SimpleNamespace(logprobs=SimpleNamespace(content=list(tokens)))])


# --- confidence from log-probabilities ------------------------------------------------------------------


def test_confidence_is_the_answer_share_among_allowed_first_tokens() -> None:
    # {"answer": "Ivo Maric"}: at the answer's first token the model hesitated between Ivo (allowed), Ana
    # (allowed) and "The" (not an allowed answer: the grammar hid it)
    completion = _completion(
        _token('{"', -0.01),
        _token("answer", -0.01),
        _token('":', -0.01),
        _token(' "', -0.01),
        _token("Ivo", -0.5, {"Ivo": -0.5, "Ana": -1.5, "The": -0.2}),
        _token(" Maric", -0.01),
        _token('"}', -0.01),
    )
    share = answer_probability(completion, "Ivo Maric", ["Ana Kovac", "Ivo Maric", "unknown"])
    ivo, ana = 2.718281828**-0.5, 2.718281828**-1.5
    assert share == pytest.approx(ivo / (ivo + ana), rel=1e-6)
    # without the choices: the product of the answer's own tokens
    assert answer_probability(completion, "Ivo Maric") == pytest.approx(2.718281828**-0.51, rel=1e-6)


def test_confidence_handles_a_token_that_carries_the_opening_quote() -> None:
    completion = _completion(
        _token('{"answer": ', -0.01),
        _token('"yes', -0.1, {'"yes': -0.1, '"no': -2.0, '"y': -3.0}),
        _token('"}', -0.01),
    )
    share = answer_probability(completion, "yes", ["yes", "no"])
    yes, no, y = (2.718281828**x for x in (-0.1, -2.0, -3.0))
    assert share == pytest.approx(yes / (yes + no + y), rel=1e-6)


def test_no_logprobs_means_no_confidence() -> None:
    assert (
        answer_probability(SimpleNamespace(choices=[SimpleNamespace(logprobs=None)]), "yes", ["yes"]) is None
    )


# --- routing --------------------------------------------------------------------------------------------


def test_routes_decide_who_answers() -> None:
    sure, unsure = Answer("model says", 0.9), Answer("model says", 0.4)
    assert decisions.combined(Route("rules"), "rules say", sure) == "rules say"
    assert decisions.combined(Route("fallback"), "rules say", sure) == "rules say"
    assert decisions.combined(Route("fallback"), None, sure) == "model says"
    assert decisions.combined(Route("override", 0.8), "rules say", sure) == "model says"
    assert decisions.combined(Route("override", 0.8), "rules say", unsure) == "rules say"
    assert decisions.combined(Route("override", 0.8), "rules say", None) == "rules say"  # no valid answer
    assert not decisions.wants_model(Route("rules"), None)
    assert decisions.wants_model(Route("fallback"), None) and not decisions.wants_model(
        Route("fallback"), "x"
    )
    assert decisions.wants_model(Route("override"), "x")


def test_unmeasured_models_are_asked_only_what_the_rules_cannot_answer() -> None:
    assert decisions.routes_for("some-model-nobody-measured") == decisions.UNMEASURED


def test_measured_routing_is_read_from_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"Tiny-Model": {"routes": {"status": {"use": "override", "threshold": 0.7}}}}
    monkeypatch.setattr(decisions, "_table", lambda: {k.lower(): v for k, v in table.items()})
    assert decisions.routes_for("tiny-model") == {"status": Route("override", 0.7)}


def _routed(monkeypatch: pytest.MonkeyPatch, routes: dict[str, Route]) -> None:
    monkeypatch.setattr(decisions, "routes_for", lambda name: routes)
    from extract.strategies import pipeline

    monkeypatch.setattr(pipeline, "routes_for", lambda name: routes)


def test_a_confident_model_overrides_the_status_and_an_unsure_one_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _routed(monkeypatch, {"status": Route("override", 0.8)})
    settings = resolve_settings({}, preset="accurate", cache=False)
    for confidence, status in ((0.95, "planned"), (0.5, "held")):
        fake = FakeBackend(confidence=confidence).enqueue({"answer": "planned"})
        with using_backend(fake):
            r = asyncio.run(aextract_article(ARTICLE, settings=settings))
        assert [m.status for m in r.meetings] == [status]
        assert len(fake.requests) == 1 and fake.grammars[0] is not None
        assert fake.grammars[0]["properties"]["answer"]["enum"] == list(decisions.STATUSES)


def test_the_model_can_drop_a_meeting_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    _routed(monkeypatch, {"meeting": Route("override", 0.5)})
    fake = FakeBackend(confidence=0.9).enqueue({"answer": "no"})
    with using_backend(fake):
        r = asyncio.run(
            aextract_article(ARTICLE, settings=resolve_settings({}, preset="accurate", cache=False))
        )
    assert r.meetings == []
    assert any(x.reason == "the model read no meeting in this sentence" for x in r.rejected)


def test_the_model_can_name_another_demander_among_the_article_parties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _routed(monkeypatch, {"demander": Route("override", 0.0)})
    fake = FakeBackend(confidence=1.0).enqueue({"answer": "Serbia"})
    with using_backend(fake):
        r = asyncio.run(
            aextract_article(ARTICLE, settings=resolve_settings({}, preset="accurate", cache=False))
        )
    assert [d.by.canonical for d in r.demands] == ["Serbia"]
    choices = fake.grammars[0]["properties"]["answer"]["enum"]  # type: ignore[index]
    assert {"Croatia", "Serbia", "unknown"} <= set(choices)


# --- one HTTP path: grammar, log-probabilities, a prefix shared by the questions of an article ------------


def test_questions_send_a_grammar_ask_for_logprobs_and_share_the_article_prefix() -> None:
    def answer(request: dict[str, Any]) -> dict[str, Any]:
        enum = request["response_format"]["schema"]["properties"]["answer"]["enum"]
        body = chat_completion(json.dumps({"answer": enum[0]}))
        body["choices"][0]["logprobs"] = {
            "content": [
                {"token": '{"answer": "', "logprob": -0.01, "bytes": None, "top_logprobs": []},
                {
                    "token": enum[0],
                    "logprob": -0.1,
                    "bytes": None,
                    "top_logprobs": [
                        {"token": enum[0], "logprob": -0.1, "bytes": None},
                        {"token": enum[1], "logprob": -2.4, "bytes": None},
                    ],
                },
                {"token": '"}', "logprob": -0.01, "bytes": None, "top_logprobs": []},
            ]
        }
        return body

    article = Article(ARTICLE, None).prepare()
    with FakeOpenAI(default=answer) as fake:
        backend = OpenAIBackend(
            resolve_settings({}, base_url=fake.base_url, cache=False), base_url=fake.base_url
        )
        q1 = decisions.speaker_question(
            article, ARTICLE.index("“We"), ARTICLE.index("Kovac said"), "We agreed"
        )
        q2 = decisions.sentence_question(article, "status", 0, ARTICLE.index("\n"))
        a1, a2 = asyncio.run(decisions.ask(backend, q1)), asyncio.run(decisions.ask(backend, q2))
        sent = [r["json"] for r in fake.requests]
    assert (
        a1 is not None and a1.value == "Ana Kovac"
    )  # the nearest person first, and the fake picks the first
    assert a1.confidence == pytest.approx(1 / (1 + 2.718281828**-2.3), rel=1e-6)
    assert a2 is not None and a2.value == "held"
    for request, q in zip(sent, (q1, q2), strict=True):
        assert request["logprobs"] is True and request["top_logprobs"] > 1
        assert request["response_format"]["schema"]["properties"]["answer"]["enum"] == list(q.choices)
        assert "tools" not in request  # a grammar, whatever the configured mode
    first, second = (json.dumps(r["messages"]) for r in sent)
    shared = next(i for i, (x, y) in enumerate(zip(first, second, strict=False)) if x != y)
    assert ARTICLE.splitlines()[-1] in first[:shared]  # everything up to the article's end is the same prefix


# --- the measurement --------------------------------------------------------------------------------------


def test_decision_items_come_from_the_expectations() -> None:
    case = load_set("dev")[0]
    items = asyncio.run(harness._rules_items(case))
    exp = case.expectations
    quotes = [s for s in exp.statements if s.direct and s.quote and not s.optional]
    speakers = [x for x in items if x.kind == "speaker"]
    assert len([x for x in speakers if x.gold != "unknown"]) == len(quotes)
    # quotes the rules attribute or abstain on that nobody expects: naming anyone for them is wrong
    assert all(
        x.gold_actor is None and x.right(None) and not x.right("Someone")
        for x in speakers
        if x.gold == "unknown"
    )
    statuses = sorted(x.gold for x in items if x.kind == "status")
    assert statuses == sorted(m.status for m in exp.meetings if not m.optional)
    assert {x.gold for x in items if x.kind == "meeting"} <= {"yes", "no"}
    assert all((x.question is not None and x.gold in x.question.choices) or x.gold_actor for x in items)


def _item(kind: str, gold: str, rules: str | None, model: str, confidence: float) -> harness.Item:
    return harness.Item(kind, "a", 0, gold, None, rules, None, model, confidence, 0.1)  # type: ignore[arg-type]


def test_routing_is_chosen_where_the_model_beats_the_rules() -> None:
    # the rules get 2 of 4 statuses right; the model gets the other two right when it is sure
    items = [
        _item("status", "held", "held", "planned", 0.4),
        _item("status", "held", "held", "held", 0.99),
        _item("status", "planned", "held", "planned", 0.95),
        _item("status", "declined", "held", "declined", 0.9),
        # the rules are right every time on meetings: the model is not asked
        _item("meeting", "yes", "yes", "no", 0.99),
        _item("meeting", "no", "no", "yes", 0.99),
    ]
    chosen = harness.route(items)
    assert chosen == {"status": {"use": "override", "threshold": 0.5}}
    table = harness.summarize(items, {"status": Route("override", 0.5)})
    assert table["status"]["rules"] == 0.5 and table["status"]["combined"] == 1.0
    assert table["meeting"]["combined"] == table["meeting"]["rules"] == 1.0


def test_a_question_shows_the_whole_short_article_first_and_asks_last() -> None:
    article = Article(ARTICLE, None).prepare()
    q = decisions.sentence_question(article, "meeting", 0, ARTICLE.index("\n"))
    content = q.messages()[-1]["content"]
    assert content.startswith(f"Article:\n{ARTICLE}")
    assert content.rindex("Zagreb") > len(ARTICLE)  # the sentence is quoted again in the question
    assert content.rstrip().endswith('"yes", "no".')


def test_unused_answer_class_for_completeness() -> None:
    assert Question("status", "x", (), ("held", "planned")).grammar()["properties"]["answer"]["enum"] == [
        "held",
        "planned",
    ]


# --- the embedded server's cheap log-probabilities ------------------------------------------------------


def test_the_servers_top_logprobs_are_the_same_as_a_full_sort() -> None:
    import random

    from extract.model import llama_server

    values = [random.Random(7).gauss(0, 3) for _ in range(5000)]
    pairs = list(zip(values, range(len(values)), strict=True))
    fast = llama_server._largest(iter(pairs), reverse=True)
    assert fast[:20] == sorted(pairs, reverse=True)[:20]
    assert llama_server._largest([3, 1, 2]) == [1, 2, 3]  # any other use is the builtin's


def test_the_servers_logprob_rows_are_computed_only_when_read() -> None:
    import numpy as np

    from extract.model import llama_server

    converted: list[int] = []

    def convert(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        converted.append(len(rows))
        return rows - np.log(np.exp(rows).sum(axis=axis, keepdims=True))

    logits = np.random.default_rng(1).normal(size=(300, 50))
    lazy = llama_server._RowsOnDemand(logits, convert)
    tail = lazy[290:]
    assert converted == [10]  # ten rows, not three hundred
    assert np.allclose(tail, convert(logits)[290:])


def test_a_model_is_measured_alone_on_every_sentence_but_only_confirms_what_the_rules_found() -> None:
    # the model finds the two meetings the rules missed, but the pipeline cannot add a meeting: only its
    # rejection of the rules' wrong one counts
    items = [
        _item("meeting", "yes", "yes", "yes", 0.9),
        _item("meeting", "no", "yes", "no", 0.9),
        _item("meeting", "yes", "no", "yes", 0.9),
        _item("meeting", "yes", "no", "yes", 0.8),
    ]
    assert harness.route(items) == {"meeting": {"use": "override", "threshold": 0.0}}
    table = harness.summarize(items, {"meeting": Route("override")})
    assert (table["meeting"]["rules"], table["meeting"]["model"], table["meeting"]["combined"]) == (
        0.25,
        1.0,
        0.5,
    )


def test_a_model_that_says_yes_to_everything_adds_nothing() -> None:
    items = [
        _item("meeting", "yes", "yes", "yes", 0.9),
        _item("meeting", "yes", "no", "yes", 0.9),
        _item("meeting", "no", "no", "yes", 0.9),
        _item("meeting", "no", "no", "yes", 0.9),
    ]
    assert harness.route(items) == {}
    assert harness.summarize(items, {})["meeting"]["combined"] == 0.75


def test_a_model_that_names_someone_for_every_quote_pays_for_the_quotes_nobody_expects() -> None:
    items = [
        _item("speaker", "Ana Kovac", None, "Ana Kovac", 0.9),  # the rules abstained, the model is right
        _item("speaker", "unknown", None, "Ivo Maric", 0.5),  # a quote no one expects: naming anyone is wrong
        _item("speaker", "unknown", None, "Ivo Maric", 0.6),
    ]
    assert harness.route(items) == {"speaker": {"use": "fallback", "threshold": 0.7}}
    assert harness.summarize(items, {"speaker": Route("fallback")})["speaker"]["combined"] == 1 / 3
    table = harness.summarize(items, {"speaker": Route("fallback", 0.7)})
    assert (table["speaker"]["rules"], table["speaker"]["combined"]) == (2 / 3, 1.0)


def test_a_stored_answer_is_reused_only_for_the_same_question_word_for_word() -> None:
    """An interrupted measurement resumes without asking again; an answer to a question that has since
    changed (other wording, other choices) or stored without its question's digest is asked again."""

    def first_choice(messages: list[dict[str, str]], model: type[Any]) -> dict[str, str]:
        return {"answer": messages[-1]["content"].rsplit('"', 2)[-2]}  # the last choice offered

    backend = FakeBackend(default=first_choice)
    first = asyncio.run(harness.measure(backend, "dev", articles=1))
    asked = len(backend.requests)
    assert asked == len(first) > 0 and all(x.asked for x in first)

    again = FakeBackend()  # no answers queued: any question put to it fails the test
    reused = asyncio.run(harness.measure(again, "dev", articles=1, previous=first))
    assert again.requests == [] and [x.model for x in reused] == [x.model for x in first]

    changed = [dataclasses.replace(first[0], asked="0" * 16), *first[1:]]
    undigested = [dataclasses.replace(x, asked=None) for x in first[:1]]
    backend = FakeBackend(default=first_choice)
    asyncio.run(harness.measure(backend, "dev", articles=1, previous=changed))
    assert len(backend.requests) == 1
    backend = FakeBackend(default=first_choice)
    asyncio.run(harness.measure(backend, "dev", articles=1, previous=undigested))
    assert len(backend.requests) == asked

"""Every decision the pipeline can hand to a model, measured on its own: the rules alone, a model alone, and the
two combined as routed.

Items come from the hand-written expectations of a set (never from the pipeline's output): each expected
direct quote is a `speaker` item; each expected meeting a `status` item; each expected demand a `demander`
and a `target` item; each quote the rules attribute or abstain on that nobody expects is a `speaker` item
whose answer is "unknown"; every sentence that uses meeting or demand words is a `meeting` / `demand` item,
"yes" where an expected item's evidence lies in it (combined, a model only confirms or drops what the rules
found: the pipeline never adds one). The rules' answer is read off
the rules-only pipeline's output for the same article; the model is asked the very question the pipeline
would ask (`extract.strategies.decisions`), so its answer, confidence and time are those of the shipped path.

`measure()` stores one JSON file per model (every item with both answers), from which `route()` picks, per
kind, the routing that maximizes the combined accuracy on the measured set (`extract/data/routing.json`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from extract.analysis.article import Article
from extract.analysis.grounding import locate
from extract.analysis.lexicon import DEMAND_LEMMAS, DEMAND_NOUNS, MEETING_LEMMAS, MEETING_NOUNS
from extract.analysis.text import Sentence
from extract.model.backend import Backend
from extract.strategies import decisions as d
from extract.strategies.decisions import KINDS, Answer, DecisionKind, Question, Route
from extract.strategies.pipeline import UNATTRIBUTED, Proposal, run_strategy

from .datasets import Case, load_set
from .expectations import ExpActor
from .scoring import actor_similarity

__all__ = ["Item", "items_of", "measure", "route", "summarize"]

_NAMED = {"speaker", "demander", "target"}
THRESHOLDS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


@dataclass
class Item:
    kind: DecisionKind
    article: str
    position: int
    gold: str  # a name (speaker, demander, target), "nobody" (target), a status, or yes / no
    gold_actor: dict[str, Any] | None  # the expected actor, for name matching
    rules: str | None
    question: Question | None = None  # not stored
    model: str | None = None
    confidence: float | None = None
    seconds: float | None = None
    first_of_article: bool = False
    asked: str | None = None  # the digest of the question put to the model (its text and choices)

    def right(self, answer: str | None) -> bool:
        if answer is None:  # no answer is right only where there is nobody to name: a quote not expected
            return self.kind == "speaker" and self.gold == "unknown"
        if self.gold_actor is None:
            return answer == self.gold
        return (
            answer not in {"unknown", "nobody"}
            and actor_similarity(answer, ExpActor(**self.gold_actor)) >= 0.8
        )

    @property
    def key(self) -> tuple[str, str, int, str, str | None]:
        """What makes an answer reusable: the same question, word for word and choice for choice, about the
        same place (an answer stored without its question's digest is never reused)."""
        asked = self.asked or (self.question.digest if self.question is not None else None)
        return (self.kind, self.article, self.position, self.gold, asked)

    def stored(self) -> dict[str, Any]:
        row = asdict(self)
        row.pop("question")
        return row


def _sentence_of(article: Article, needles: Sequence[str]) -> Sentence | None:
    for needle in needles:
        ev = locate(needle, article.text)
        if ev is not None:
            return article.sentence_at(ev.start)
    return None


def _words(article: Article, s: Sentence, lemmas: frozenset[str]) -> bool:
    return any(t.lemma_.lower() in lemmas for t in article.tokens(s))


def _rules_at(items: Sequence[Any], s: Sentence) -> list[Any]:
    return [x for x in items if any(s.start <= e.start < s.end for e in x.evidence)]


def items_of(case: Case, rules: Proposal, article: Article) -> list[Item]:
    """The decision items of one annotated article, with the rules' answers."""
    exp, text = case.expectations, article.text
    out: list[Item] = []

    def add(
        kind: DecisionKind, pos: int, gold: str, actor: ExpActor | None, rule: str | None, q: Question
    ) -> None:
        out.append(Item(kind, case.article, pos, gold, actor.model_dump() if actor else None, rule, q))

    for st in exp.statements:
        if st.optional or not st.direct or not st.quote:
            continue
        at = text.find(st.quote)
        if at < 0:
            continue
        said = [x for x in rules.statements if x.direct and x.evidence[0].start <= at < x.evidence[0].end]
        rule = said[0].speaker.canonical or said[0].speaker.name if said else None
        q = d.speaker_question(article, at, at + len(st.quote), st.quote)
        add("speaker", at, st.speaker.canonical or st.speaker.name, st.speaker, rule, q)
    # quotes the pipeline attributes, or would ask about, that no one expects as a statement: naming anyone
    # for them makes a wrong statement (gold "unknown"; the rules' silence is right)
    expected = [
        (at, at + len(st.quote))
        for st in exp.statements
        if st.direct and st.quote and (at := text.find(st.quote)) >= 0
    ]
    considered: list[tuple[str, str | None]] = [
        (x.quote, x.speaker.canonical or x.speaker.name) for x in rules.statements if x.direct and x.quote
    ]
    considered += [
        (str(r.item["quote"]), None)
        for r in rules.rejected
        if r.kind == "statement" and r.reason == UNATTRIBUTED and r.item.get("quote")
    ]
    for quote, who in considered:
        at = text.find(quote)
        if at < 0 or any(lo < at + len(quote) and at < hi for lo, hi in expected):
            continue
        add("speaker", at, "unknown", None, who, d.speaker_question(article, at, at + len(quote), quote))
    meeting_sentences: set[int] = set()
    for m in exp.meetings:
        s = _sentence_of(article, m.evidence)
        if s is None:
            continue
        meeting_sentences.add(s.start)
        if m.optional:
            continue
        found = _rules_at(rules.meetings, s)
        q = d.sentence_question(article, "status", s.start, s.end)
        add("status", s.start, m.status, None, found[0].status if found else None, q)
    demand_sentences: set[int] = set()
    for dm in exp.demands:
        s = _sentence_of(article, dm.evidence)
        if s is None:
            continue
        demand_sentences.add(s.start)
        if dm.optional:
            continue
        found = _rules_at(rules.demands, s)
        by = found[0].by.canonical or found[0].by.name if found else None
        add(
            "demander",
            s.start,
            dm.by.canonical or dm.by.name,
            dm.by,
            by,
            d.demander_question(article, s.start, s.end),
        )
        gold_of = dm.of.canonical or dm.of.name if dm.of else "nobody"
        of = (
            (found[0].of.canonical or found[0].of.name)
            if found and found[0].of
            else ("nobody" if found else None)
        )
        q = d.target_question(article, s.start, s.end, by or dm.by.canonical or dm.by.name)
        add("target", s.start, gold_of, dm.of, of, q)
    optional = {
        (kind, s.start)
        for kind, items in (("meeting", exp.meetings), ("demand", exp.demands))
        for x in items
        if x.optional and (s := _sentence_of(article, x.evidence)) is not None
    }
    for s in article.sentences:
        for kind, lemmas, positive, found in (
            ("meeting", MEETING_LEMMAS | MEETING_NOUNS, meeting_sentences, rules.meetings),
            ("demand", DEMAND_LEMMAS | DEMAND_NOUNS, demand_sentences, rules.demands),
        ):
            gold = "yes" if s.start in positive else "no"
            rule = "yes" if _rules_at(found, s) else "no"
            if (kind, s.start) in optional or not _words(article, s, lemmas):
                continue  # every sentence with a meeting / demand word: the model alone is measured on all
            add(kind, s.start, gold, None, rule, d.sentence_question(article, kind, s.start, s.end))  # type: ignore[arg-type]
    return out


async def _rules_items(case: Case) -> list[Item]:
    published = date.fromisoformat(case.expectations.published) if case.expectations.published else None
    article = Article(case.text, published)
    rules = await run_strategy("rules-only", article, None)
    return items_of(case, rules, article)


def _order(items: list[Item]) -> list[Item]:
    """Per article, by the part of it each question shows: questions that share an article prefix in a row."""
    return sorted(items, key=lambda x: (x.article, x.question.article if x.question else "", x.position))


async def measure(
    backend: Backend | None,
    set_name: str = "dev",
    *,
    kinds: Sequence[str] = KINDS,
    progress: Callable[[int, list[Item]], None] | None = None,
    previous: Sequence[Item] = (),
    articles: int | None = None,
) -> list[Item]:
    """Every item of a set with the rules' answer, and the model's when a backend is given. Answers found in
    `previous` (an interrupted run of the same model and prompts) are kept, not asked again. `articles`: only
    the set's first N articles (in name order)."""
    items: list[Item] = []
    for case in load_set(set_name)[:articles]:
        items.extend(x for x in await _rules_items(case) if x.kind in kinds)
    items = _order(items)
    if backend is None:
        return items
    known = {x.key: x for x in previous if x.seconds is not None and x.asked is not None}
    shown: str | None = None
    for n, item in enumerate(items, 1):
        assert item.question is not None
        old = known.get(item.key)
        if old is not None:
            item.asked = old.asked
            item.model, item.confidence, item.seconds = old.model, old.confidence, old.seconds
            item.first_of_article = old.first_of_article
            continue
        item.asked = item.question.digest
        item.first_of_article = item.question.article != shown
        shown = item.question.article
        started = time.perf_counter()
        answer = await d.ask(backend, item.question)
        item.seconds = time.perf_counter() - started
        if answer is not None:
            item.model, item.confidence = answer.value, answer.confidence
        if progress is not None:
            progress(n, items)
    return items


def _combined(item: Item, route: Route) -> str | None:
    """What the shipped pipeline would answer under `route`, from the stored answers."""
    if item.rules is None and item.kind != "speaker":
        return None  # the rules made no such item: there is nothing for a model to decide
    if item.kind in {"meeting", "demand"} and item.rules == "no":
        return "no"  # the pipeline confirms or drops what the rules found; it never makes one of its own
    model = None if item.model is None else Answer(item.model, item.confidence)
    # "nobody" is the rules finding no target, not an answer: `fallback` lets the model name one
    rules = None if item.kind == "target" and item.rules == "nobody" else item.rules
    answer = d.combined(route, rules, model)
    return "nobody" if item.kind == "target" and answer is None else answer


def _routes() -> Iterator[Route]:
    yield Route("rules")
    for use in ("fallback", "override"):
        for t in THRESHOLDS:
            yield Route(use, t)


def route(items: Sequence[Item]) -> dict[str, dict[str, Any]]:
    """Per kind, the route with the best combined accuracy; the rules win ties (no model call for nothing)."""
    chosen: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        of_kind = [x for x in items if x.kind == kind]
        if not of_kind or all(x.model is None for x in of_kind):
            continue
        best, best_right = Route("rules"), sum(x.right(x.rules) for x in of_kind)
        for r in _routes():
            right = sum(x.right(_combined(x, r)) for x in of_kind)
            if right > best_right:
                best, best_right = r, right
        if best.use != "rules":
            chosen[kind] = {"use": best.use, "threshold": best.threshold}
    return chosen


def summarize(items: Sequence[Item], routes: dict[str, Route] | None = None) -> dict[str, dict[str, Any]]:
    """Per kind: items, accuracy of the rules, of the model alone, of the combination as routed, and time."""
    table: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        of_kind = [x for x in items if x.kind == kind]
        if not of_kind:
            continue
        n = len(of_kind)
        row: dict[str, Any] = {"items": n, "rules": sum(x.right(x.rules) for x in of_kind) / n}
        asked = [x for x in of_kind if x.seconds is not None]
        if asked:
            row["model"] = sum(x.right(x.model) for x in asked) / len(asked)
            row["seconds"] = sum(x.seconds or 0 for x in asked) / len(asked)
            warm = [x.seconds or 0 for x in asked if not x.first_of_article]
            cold = [x.seconds or 0 for x in asked if x.first_of_article]
            row["seconds_first"] = sum(cold) / len(cold) if cold else None
            row["seconds_next"] = sum(warm) / len(warm) if warm else None
            r = (routes or {}).get(kind, Route("rules"))
            row["route"] = r.use if r.use == "rules" else f"{r.use} ≥ {r.threshold:g}"
            row["combined"] = sum(x.right(_combined(x, r)) for x in of_kind) / n
        table[kind] = row
    return table


def save(items: Sequence[Item], path: Path, **info: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**info, "items": [x.stored() for x in items]}
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load(path: Path) -> tuple[dict[str, Any], list[Item]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = [Item(**row) for row in raw.pop("items")]
    return raw, items

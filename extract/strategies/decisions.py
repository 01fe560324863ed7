"""The questions the pipeline can put to a model, and when it puts them.

Each decision kind is one multiple-choice question about one item of an article: who said this quote, is this
sentence a meeting, what is this meeting's status, is this sentence a demand, who demands, of whom. The
answers are names or words found in the article (a grammar constrains the model to them: it can pick, not
invent). Every question shows the article first and asks last, so a llama.cpp server reuses the article's
evaluated prefix for every later question about it.

Which questions reach a model, and how sure it must be, is data (`extract/data/routing.json`), written from
a measurement on the dev split (`parley eval --decisions`): a model is asked a kind of question only where,
combined with the rules that way, it beat the rules alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, ValidationInfo, field_validator

import prompts

from ..analysis.article import Article
from ..errors import ModelOutputInvalid
from ..model import weights
from ..model.backend import Backend, validation_context
from .chunking import Chunk, chunk_text

__all__ = [
    "KINDS",
    "Answer",
    "DecisionKind",
    "Question",
    "Route",
    "ask",
    "combined",
    "demander_question",
    "routes_for",
    "sentence_question",
    "speaker_question",
    "target_question",
    "wants_model",
    "window",
]

log = logging.getLogger("parley")
DecisionKind = Literal["speaker", "meeting", "status", "demand", "demander", "target"]
KINDS: tuple[DecisionKind, ...] = get_args(DecisionKind)
WINDOW_CHARS = 6000  # the article shown with a question: whole when shorter, else the part holding the item
STATUSES = ("held", "planned", "proposed", "declined")
YES_NO = ("yes", "no")


class Choice(BaseModel):
    """The reply's shape as the prompt shows it (the grammar sent with it lists the allowed answers)."""

    answer: str = Field(description="One of the allowed answers, exactly as written.")

    @field_validator("answer")
    @classmethod
    def _allowed(cls, value: str, info: ValidationInfo) -> str:
        allowed = validation_context(info).get("choices")
        if allowed is not None and value not in allowed:
            raise ValueError(f"{value!r} is not an allowed answer; choose one of: {', '.join(allowed)}")
        return value


@dataclass(frozen=True)
class Question:
    kind: DecisionKind
    article: str  # shown first: the article, or the part of it that holds the item
    fields: tuple[tuple[str, str], ...]  # fill the kind's question template
    choices: tuple[str, ...]

    def messages(self) -> list[dict[str, str]]:
        p = prompts.load()
        question = p.questions[self.kind].format(**dict(self.fields))
        body = p.templates["decide"].format(
            article=self.article, question=question, choices=", ".join(f'"{c}"' for c in self.choices)
        )
        return [{"role": "system", "content": p.templates["system"]}, {"role": "user", "content": body}]

    @property
    def digest(self) -> str:
        """What the model is shown, as a short hash: the same digest, the same question."""
        body = json.dumps(self.messages(), ensure_ascii=False) + "\x00" + "\x00".join(self.choices)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    def grammar(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {"answer": {"type": "string", "enum": list(self.choices)}},
            "required": ["answer"],
        }


@dataclass(frozen=True)
class Answer:
    value: str
    confidence: float | None  # the model's probability of these words; None when the server gives none


async def ask(backend: Backend, q: Question) -> Answer | None:
    """Put one question to the model; None when it gives no valid answer."""
    try:
        reply = await backend.complete(
            q.messages(),
            Choice,
            context={"choices": list(q.choices)},
            grammar=q.grammar(),
            confidence="answer",
        )
    except ModelOutputInvalid as exc:
        log.info("model gave no valid answer to a %s question: %s", q.kind, exc)
        return None
    return Answer(str(reply.value.answer), reply.confidence)


def window(article: Article, pos: int) -> str:
    """The article text shown with a question about the item at `pos` (the same for every item of a part,
    so their questions share a prefix)."""
    parts = _parts(article.text)
    for part in parts:
        if part.start <= pos < part.end:
            return part.text
    return parts[-1].text


@cache
def _parts(text: str) -> tuple[Chunk, ...]:
    return tuple(chunk_text(text, max_chars=WINDOW_CHARS, overlap=0))


# --- the questions, built the same way for the pipeline and for the measurement -------------------------

_PARTIES = ("person", "country", "organization", "group")


def _part_of(article: Article, pos: int) -> tuple[int, int]:
    for part in _parts(article.text):
        if part.start <= pos < part.end:
            return part.start, part.end
    last = _parts(article.text)[-1]
    return last.start, last.end


def _keys(mentions: list[Any], limit: int, *, skip: str | None = None) -> list[str]:
    keys = [m.key for m in mentions if m.key != skip]
    return list(dict.fromkeys(keys))[:limit]


def speaker_question(article: Article, start: int, end: int, quote: str) -> Question:
    """Who said a quote: the people of the article's part, nearest the quote first."""
    lo, hi = _part_of(article, start)
    people = [m for m in article.cast.in_span(lo, hi) if m.kind == "person"]
    people.sort(key=lambda m: min(abs(m.start - start), abs(m.start - end)))
    return Question("speaker", window(article, start), (("quote", quote),), (*_keys(people, 10), "unknown"))


def sentence_question(article: Article, kind: DecisionKind, start: int, end: int) -> Question:
    """Is this sentence a meeting / a demand; what is this meeting's status."""
    choices = STATUSES if kind == "status" else YES_NO
    sentence = article.text[start:end].strip()
    return Question(kind, window(article, start), (("sentence", sentence),), choices)


def demander_question(article: Article, start: int, end: int) -> Question:
    """Who demands: the parties named in the sentence or the one before it (a quote's speaker)."""
    before = article.sentence_at(max(0, start - 2))
    lo = before.start if before is not None else start
    parties = [m for m in article.cast.in_span(lo, end) if m.kind in _PARTIES]
    parties.sort(key=lambda m: (m.start < start, m.start))  # the sentence's own first
    sentence = article.text[start:end].strip()
    return Question(
        "demander", window(article, start), (("sentence", sentence),), (*_keys(parties, 8), "unknown")
    )


def target_question(article: Article, start: int, end: int, by: str) -> Question:
    """Of whom a demand is made: the parties named in the sentence, other than the demander."""
    parties = [m for m in article.cast.in_span(start, end) if m.kind in _PARTIES]
    sentence = article.text[start:end].strip()
    return Question(
        "target",
        window(article, start),
        (("sentence", sentence), ("by", by)),
        (*_keys(parties, 8, skip=by), "nobody"),
    )


# --- routing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """`rules`: the model is not asked. `fallback`: asked only when the rules have no answer. `override`: asked
    every time, and its answer replaces the rules' when its confidence reaches `threshold`."""

    use: Literal["rules", "fallback", "override"] = "rules"
    threshold: float = 0.0


# a model nobody measured (any base_url): asked only what the rules cannot answer, as before routing
UNMEASURED: dict[DecisionKind, Route] = {"speaker": Route("fallback"), "target": Route("fallback")}


@cache
def _table() -> dict[str, dict[str, Any]]:
    raw = (resources.files("extract") / "data" / "routing.json").read_text(encoding="utf-8")
    table: dict[str, dict[str, Any]] = json.loads(raw)["models"]
    return {name.lower(): routes for name, routes in table.items()}


def routes_for(model: str) -> dict[DecisionKind, Route]:
    """The measured routing of a model (by key or alias, any case); models not measured get `UNMEASURED`."""
    spec = weights.find(model)
    measured = _table().get(spec.key if spec is not None else model.lower())
    if measured is None:
        return dict(UNMEASURED)
    return {k: Route(v["use"], float(v.get("threshold", 0.0))) for k, v in measured["routes"].items()}


def wants_model(route: Route, rules: str | None) -> bool:
    """Whether the route puts this question to the model, given the rules' answer (None: they have none)."""
    return route.use == "override" or (route.use == "fallback" and rules is None)


def combined(route: Route, rules: str | None, model: Answer | None) -> str | None:
    """The answer that stands: the rules', or the model's where the route lets it decide."""
    if model is None or route.use == "rules":
        return rules
    if route.use == "fallback" and rules is not None:
        return rules
    if model.confidence is not None and model.confidence < route.threshold:
        return rules
    return model.value

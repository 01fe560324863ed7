"""`guided`: a capable model fills meetings, statements and demands for each part of the article, choosing
every piece of evidence by reference among what the analysis found.

The prompt shows the part's sentences numbered (`[3] …`), the quoted passages found in them (`Q1 …`), the
actors of the cast named in them and where the parser saw cues: the article first, the instructions last, so a
llama.cpp server reuses the evaluated prefix when it re-asks. The response model is built per part: actors
are an enum of the cast's keys named in the part, sentences an enum of the numbers shown, and each quoted
passage a field of its own whose value is one of those actors (or `none`), so the model can pick but never
invent; it writes words only where words are needed (what is demanded, a topic, a place or date as written).

Validators check every reference against the article ("sentence 12 does not mention Sergey Lavrov") and
instructor re-asks with that exact failure. When the re-asks run out, the part is asked once more with the
checks deferred and each item is judged alone: the good ones are kept, the bad ones go to `rejected` with
their reason. Evidence is cut from the sentence offsets, so it is verbatim by construction.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Annotated, Any, Literal, Self

from instructor.core.exceptions import IncompleteOutputException
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    create_model,
    model_validator,
)

import prompts
from schemas import Actor, Demand, Meeting, MeetingStatus, Rejected, Statement

from ..analysis import cues
from ..analysis.article import Article
from ..analysis.dates import resolve_date
from ..analysis.text import Quote
from ..errors import ModelOutputInvalid
from ..model.backend import Backend, validation_context
from . import pipeline  # the module, not its names: pipeline may import this module while it loads
from .chunking import chunk_text

__all__ = ["run_guided"]

log = logging.getLogger("parley")
MAX_CHARS = 3500  # article characters per call
OVERLAP = 400
MAX_SENTENCES = 8  # per call: the answer must fit the server's max_tokens (256 by default)
# a part whose prompt would be longer is halved: in a 4,096-token context, two re-asks (each adds the answer
# and its errors) and the answer itself must still fit
PROMPT_TOKENS = 2300
CHARS_PER_TOKEN = 3.5
DIRECT_WORDS = 4  # a quote of fewer words is a fragment of reported speech (evals/EXPECTATIONS.md)
SHOWN_WORDS = 10  # a quote is listed by its first words: the sentence holding it is shown in full
NOBODY = "none"  # the answer for a quoted passage nobody in the cast spoke (a title, a slogan, a scare quote)
MIN_SPLIT = 4  # a part this short that still fails is not split further


# --- what the model fills: one class set per part, its enums the part's actors, sentences and quotes ---------
# The fields carry no descriptions: prompts/guided.md explains each one, and the schema (shown to the model in
# tools mode, and turned into a grammar by llama.cpp) stays short in a 4,096-token context.


def _compact(schema: dict[str, Any]) -> None:
    """Fewer tokens in the prompt: a property's title only repeats its name."""
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_compact)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Self:
        """Every reference checked against the article; the failure text goes back to the model as is."""
        context = validation_context(info)
        check = context.get("check")
        if check is not None and not context.get("lenient"):
            problem = check(self)
            if problem is not None:
                raise ValueError(problem)
        return self


class _Meeting(_Item):
    sentence: int  # the sentence that reports it and names the participants
    participants: list[str] = Field(min_length=2)
    status: MeetingStatus
    location: str | None  # as written
    date: str | None  # as written
    topic: str | None = None


class _Quote(_Item):
    """One quoted passage and its speaker (read off `_Spoken`, never asked for alone)."""

    quote: int
    speaker: str


class _Said(_Item):
    """Reported speech: a sentence that says what someone said, without a quoted passage of its own."""

    sentence: int
    speaker: str


class _Demand(_Item):
    sentence: int
    by: str
    of: str | None
    demand: str  # what is demanded, in a few words: the one free text the model must write


class _Spoken(BaseModel):
    """Who spoke each quoted passage of the part: one field per quote (`Q1`, `Q2`, …), each a choice among the
    part's actors or `none`, so the model decides every quote, as it would answer one question per quote."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_compact)

    def items(self) -> list[_Quote]:
        return [
            _Quote.model_construct(quote=int(name[1:]), speaker=value)
            for name, value in self
            if value != NOBODY
        ]

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Self:
        context = validation_context(info)
        check = context.get("check")
        if check is None or context.get("lenient"):
            return self
        problems = [p for p in map(check, self.items()) if p is not None]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class _Findings(BaseModel):
    """The fields are made per part (`_models`): `quotes` only where the part has quotes."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_compact)

    def items(self) -> list[tuple[Literal["meeting", "statement", "demand"], _Item]]:
        """Every item, direct quotes before reported speech (a sentence's quote is taken once)."""
        spoken = getattr(self, "quotes", None)
        return [
            *(("meeting", m) for m in getattr(self, "meetings", [])),
            *(("statement", q) for q in (spoken.items() if isinstance(spoken, _Spoken) else [])),
            *(("statement", s) for s in getattr(self, "statements", [])),
            *(("demand", d) for d in getattr(self, "demands", [])),
        ]


def _choice(name: str, values: tuple[Any, ...]) -> Any:
    """A choice among `values`, defined once in the schema's `$defs` (an enum) and validated to the plain value."""
    members = {f"v{i}": v for i, v in enumerate(values)}
    enum = (
        IntEnum(name, members) if all(isinstance(v, int) for v in values) else Enum(name, members, type=str)
    )
    return Annotated[enum, AfterValidator(lambda v: v.value), PlainSerializer(lambda v: v)]


def _field(model: type[BaseModel], name: str, annotation: Any) -> tuple[Any, Any]:
    """`name` of `model` with another type; its default and constraints kept."""
    return annotation, copy.copy(model.model_fields[name])


@functools.lru_cache(maxsize=64)
def _models(
    sentences: tuple[int, ...], quotes: tuple[int, ...], actors: tuple[str, ...]
) -> tuple[type[_Findings], type[_Findings]]:
    """The strict response model for one part (references checked, failures re-asked) and its lenient twin:
    the same schema under another name (so their cache entries never mix), checks left to the caller."""
    number, name = _choice("Sentence", sentences), _choice("Actor", actors)
    meeting = create_model(
        "Meeting",
        __base__=_Meeting,
        sentence=_field(_Meeting, "sentence", number),
        participants=_field(_Meeting, "participants", list[name]),  # type: ignore[valid-type]
    )
    said = create_model(
        "Statement",
        __base__=_Said,
        sentence=_field(_Said, "sentence", number),
        speaker=_field(_Said, "speaker", name),
    )
    demand = create_model(
        "Demand",
        __base__=_Demand,
        sentence=_field(_Demand, "sentence", number),
        by=_field(_Demand, "by", name),
        of=_field(_Demand, "of", name | None),
    )
    fields: dict[str, Any] = {"meetings": (list[meeting], ...)}  # type: ignore[valid-type]
    if quotes:
        speaker: dict[str, Any] = {f"Q{n}": (name | Literal["none"], ...) for n in quotes}
        fields["quotes"] = (create_model("Quotes", __base__=_Spoken, **speaker), ...)
    fields["statements"] = (list[said], ...)  # type: ignore[valid-type]
    fields["demands"] = (list[demand], ...)  # type: ignore[valid-type]
    strict = create_model("Findings", __base__=_Findings, **fields)
    lenient = create_model("FindingsAgain", __base__=strict)
    return strict, lenient


# --- one part of the article: what a call shows --------------------------------------------------------------


@dataclass(frozen=True)
class _Part:
    sentences: tuple[int, ...]  # indexes into article.sentences (shown numbered from 1)
    quotes: tuple[int, ...]  # indexes into `_passages(article)` (shown as Q1, Q2, …)
    actors: tuple[str, ...]  # cast keys named in these sentences, in order of appearance


def _part(a: Article, idx: Sequence[int]) -> _Part:
    start, end = a.sentences[idx[0]].start, a.sentences[idx[-1]].end
    quotes = tuple(i for i, q in enumerate(_passages(a)) if q.start < end and q.end > start)
    actors: dict[str, None] = {}
    for m in a.cast.in_span(start, end):
        if m.key in a.cast.people and m.kind != "media":
            actors.setdefault(m.key)
    return _Part(tuple(idx), quotes, tuple(actors))


def _passages(a: Article) -> list[Quote]:
    """The quoted spans long enough to be someone's words, numbered Q1, Q2, … in the prompt; shorter ones are
    fragments that reported speech quotes (nobody is asked who spoke them)."""
    return [q for q in a.quotes if q.words >= DIRECT_WORDS]


def _parts(a: Article) -> list[_Part]:
    """Chunks of the text, each cut further into runs of at most MAX_SENTENCES sentences of about equal size."""
    parts = []
    for chunk in chunk_text(a.text, max_chars=MAX_CHARS, overlap=OVERLAP):
        idx = [i for i, s in enumerate(a.sentences) if chunk.start <= s.start < chunk.end]
        runs = -(-len(idx) // MAX_SENTENCES)
        parts += [_part(a, idx[k * len(idx) // runs : (k + 1) * len(idx) // runs]) for k in range(runs)]
    return parts


def _sentences_of(a: Article, start: int, end: int) -> list[int]:
    return [i for i, s in enumerate(a.sentences) if s.start < end and s.end > start]


def _numbers(idx: Sequence[int]) -> str:
    if not idx:
        return "?"
    return f"{idx[0] + 1}" if len(idx) == 1 else f"{idx[0] + 1}-{idx[-1] + 1}"


def _hints(a: Article, part: _Part) -> str:
    """Sentence numbers where the analysis saw a meeting, speech or demand: where to look first."""
    found: dict[str, list[str]] = {"meetings": [], "reported speech": [], "demands": []}
    for i in part.sentences:
        s = a.sentences[i]
        span = a.tokens(s)
        statuses = [c.status for c in cues.meeting_cues(a.cast, a.doc, span) if c.status is not None]
        if statuses:
            found["meetings"].append(f"{i + 1} ({'/'.join(dict.fromkeys(statuses))})")
        quoted = any(q.start < s.end and q.end > s.start for q in _passages(a))
        if not quoted and (cues.speech_verbs(span) or cues.according_to(span)):
            found["reported speech"].append(str(i + 1))
        if cues.demand_cues(a.cast, a.doc, span):
            found["demands"].append(str(i + 1))
    return "; ".join(f"{k} {', '.join(v) or 'none'}" for k, v in found.items())


def _actor_line(a: Article, part: _Part, key: str) -> str:
    actor = a.cast.people[key]
    start, end = a.sentences[part.sentences[0]].start, a.sentences[part.sentences[-1]].end
    written = list(
        dict.fromkeys(m.text for m in a.cast.in_span(start, end) if m.key == key and m.text != key)
    )
    about = [x for x in (actor.kind, actor.role, actor.country) if x]
    also = (
        f"; also written {', '.join(json.dumps(w, ensure_ascii=False) for w in written[:3])}"
        if written
        else ""
    )
    return f"- {key} ({', '.join(about)}{also})"


def _messages(a: Article, part: _Part) -> list[dict[str, str]]:
    p = prompts.load()
    sentences = "\n".join(f"[{i + 1}] {a.sentences[i].text}" for i in part.sentences)
    quotes = []
    for qi in part.quotes:
        q = _passages(a)[qi]
        words = q.text.split()
        shown = " ".join(words[:SHOWN_WORDS]) + (" …" if len(words) > SHOWN_WORDS else "")
        quotes.append(f"Q{qi + 1} [{_numbers(_sentences_of(a, q.start, q.end))}] “{shown}”")
    body = p.templates["guided"].format(
        sentences=sentences,
        quotes="\n".join(quotes) or "none",
        actors="\n".join(_actor_line(a, part, k) for k in part.actors),
        hints=_hints(a, part),
    )
    return [{"role": "system", "content": p.templates["system"]}, {"role": "user", "content": body}]


# --- the checks: does the evidence say what the item claims? -------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """Called on every item the model returns; the problem, worded for the model, or None."""

    a: Article

    def __call__(self, item: BaseModel) -> str | None:
        if isinstance(item, _Meeting):
            return self.meeting(item)
        if isinstance(item, _Quote):
            return self.quote(item)
        if isinstance(item, _Said):
            return self.said(item)
        if isinstance(item, _Demand):
            return self.demand(item)
        return None

    def window(self, n: int | None, quote: Quote | None = None) -> tuple[int, int]:
        """Sentence `n` (numbered from 1), or the quote's sentences, with their neighbours."""
        idx = [] if n is None else [n - 1]
        if quote is not None:
            idx += _sentences_of(self.a, quote.start, quote.end) or [0]
        last = len(self.a.sentences) - 1
        lo, hi = max(0, min(idx) - 1), min(last, max(idx) + 1)
        return self.a.sentences[lo].start, self.a.sentences[hi].end

    def names(self, key: str, window: tuple[int, int]) -> bool:
        return any(m.key == key for m in self.a.cast.in_span(*window))

    def missing(self, keys: Sequence[str], n: int, window: tuple[int, int]) -> str | None:
        for key in keys:
            if not self.names(key, window):
                return f"sentence {n} does not mention {key}"
        return None

    def meeting(self, m: _Meeting) -> str | None:
        people = list(dict.fromkeys(m.participants))
        if len(people) < 2:
            return "a meeting needs two different participants from the actors list"
        problem = self.missing(people, m.sentence, self.window(m.sentence))
        who = "both participants" if len(people) == 2 else "all the participants"
        return None if problem is None else f"{problem}; pick the sentence that names {who}"

    def nonperson(self, key: str) -> str | None:
        """What `key` is when it is no person: only people are quoted or reported (as the rules have it)."""
        kind = self.a.cast.people[key].kind
        return None if kind == "person" else f"{key} is a {kind}, not a person"

    def quote(self, q: _Quote) -> str | None:
        if (what := self.nonperson(q.speaker)) is not None:
            return f"Q{q.quote}: {what}; pick the person who spoke, or {NOBODY}"
        if self.names(q.speaker, self.window(None, _passages(self.a)[q.quote - 1])):
            return None
        return (
            f"Q{q.quote}: no sentence at Q{q.quote} or next to it mentions {q.speaker}; "
            f"pick the speaker they name, or {NOBODY}"
        )

    def said(self, s: _Said) -> str | None:
        if (what := self.nonperson(s.speaker)) is not None:
            return f"sentence {s.sentence}: {what}; pick the person who said it"
        sentence = self.a.sentences[s.sentence - 1]
        held = [
            n for n, q in enumerate(_passages(self.a), 1) if q.start < sentence.end and q.end > sentence.start
        ]
        if held:
            return f"sentence {s.sentence} holds the quoted passage Q{held[0]}: give its speaker under quotes"
        problem = self.missing([s.speaker], s.sentence, self.window(s.sentence))
        return None if problem is None else f"{problem}; pick the sentence that names the speaker"

    def demand(self, d: _Demand) -> str | None:
        if d.of is not None and d.of == d.by:
            return f"{d.by} cannot demand something of {d.by}; set `of` to another actor or null"
        if not d.demand.strip():
            return "say what is demanded, in a few words"
        keys = [d.by] if d.of is None else [d.by, d.of]
        problem = self.missing(keys, d.sentence, self.window(d.sentence))
        return None if problem is None else f"{problem}; pick the sentence that names who demands"


# --- the strategy ----------------------------------------------------------------------------------------


async def run_guided(article: Article, backend: Backend) -> pipeline.Proposal:
    """Meetings, statements and demands of `article`, filled by the model part by part, each one grounded."""
    await asyncio.to_thread(article.prepare)
    return await _Guided(article, backend).run()


class _Guided:
    def __init__(self, article: Article, backend: Backend) -> None:
        self.a = article
        self.backend = backend
        self.check = _Check(article)
        self.out = pipeline.Proposal()
        self.seen: set[tuple[Any, ...]] = set()

    async def run(self) -> pipeline.Proposal:
        for part in _parts(self.a):
            await self.ask(part)
        return self.out

    async def ask(self, part: _Part) -> None:
        if not part.actors:
            return  # nobody named: no meeting, statement or demand can be grounded here
        messages = _messages(self.a, part)
        strict, lenient = _models(
            tuple(i + 1 for i in part.sentences), tuple(q + 1 for q in part.quotes), part.actors
        )
        shown = sum(len(m["content"]) for m in messages) + len(json.dumps(strict.model_json_schema()))
        if shown / CHARS_PER_TOKEN > PROMPT_TOKENS and len(part.sentences) > 1:
            await self.halves(part)
            return
        try:
            reply = await self.backend.complete(messages, strict, context={"check": self.check})
        except ModelOutputInvalid as exc:
            if _cut_off(exc) and len(part.sentences) > 1:
                log.info(
                    "guided: the answer for sentences %s was cut off; asking per half",
                    _numbers(part.sentences),
                )
                await self.halves(part)
                return
            log.info("guided: re-asks exhausted for sentences %s: %s", _numbers(part.sentences), exc)
        else:
            self.take(reply.value, judged=True)
            return
        try:
            reply = await self.backend.complete(
                messages, lenient, context={"check": self.check, "lenient": True}
            )
        except ModelOutputInvalid as exc:
            if len(part.sentences) >= (2 if _cut_off(exc) else MIN_SPLIT):
                await self.halves(part)
                return
            log.warning("guided: no valid answer for sentences %s: %s", _numbers(part.sentences), exc)
            self.out.degraded = True  # this part yielded nothing: don't cache the article's result
            return
        self.take(reply.value, judged=False)

    async def halves(self, part: _Part) -> None:
        half = len(part.sentences) // 2
        for idx in (part.sentences[:half], part.sentences[half:]):
            await self.ask(_part(self.a, idx))

    def take(self, found: _Findings, *, judged: bool) -> None:
        """Keep the grounded items (every one, when the validators passed them); reject the rest with why."""
        for kind, item in found.items():
            problem = None if judged else self.check(item)
            if problem is not None:
                rejected = Rejected(kind=kind, reason=problem, item=item.model_dump(mode="json"))
                if rejected not in self.out.rejected:
                    self.out.rejected.append(rejected)
            elif isinstance(item, _Meeting):
                self.meeting(item)
            elif isinstance(item, _Quote):
                self.quoted(item)
            elif isinstance(item, _Said):
                self.said(item)
            elif isinstance(item, _Demand):
                self.demand(item)

    def once(self, key: tuple[Any, ...]) -> bool:
        """False for an item already taken (a sentence in the overlap of two parts is asked twice)."""
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def actor(self, key: str, window: tuple[int, int]) -> Actor:
        """The cast's actor, named as written nearest the evidence."""
        surface = next((m.text for m in self.a.cast.in_span(*window) if m.key == key), None)
        return self.a.cast.actor(key, surface)

    def meeting(self, m: _Meeting) -> None:
        keys = list(dict.fromkeys(m.participants))
        if not self.once(("meeting", m.sentence, frozenset(keys))):
            return
        a, s = self.a, self.a.sentences[m.sentence - 1]
        window = self.check.window(m.sentence)
        people = [self.actor(k, window) for k in keys]
        persons = {p.country for p in people if p.kind == "person" and p.country}
        people = [p for p in people if p.kind == "person" or p.canonical not in persons]
        written = _as_written(m.date, a.text, window)
        iso, date_text = resolve_date(written or s.text, published=a.published)
        self.out.meetings.append(
            Meeting(
                participants=people,
                location=_as_written(m.location, a.text, window),
                date=iso,
                date_text=date_text,
                status=m.status,
                topic=(m.topic or "").strip()[:120] or None,
                evidence=[a.span(s.start, s.end)],
            )
        )

    def quoted(self, q: _Quote) -> None:
        self.direct(_passages(self.a)[q.quote - 1], q.speaker)

    def said(self, st: _Said) -> None:
        a, s = self.a, self.a.sentences[st.sentence - 1]
        inside = [
            q.text for q in a.quotes if s.start <= q.start and q.end <= s.end
        ]  # fragments only (checked)
        self.reported(st.sentence - 1, st.speaker, max(inside, key=len, default=None))

    def direct(self, quote: Quote, speaker: str) -> None:
        if not self.once(("quote", quote.start)):
            return
        a = self.a
        idx = _sentences_of(a, quote.start, quote.end)
        start = min(a.sentences[idx[0]].start, quote.start - 1) if idx else quote.start - 1
        end = max(a.sentences[idx[-1]].end, quote.end + 1) if idx else quote.end + 1
        self.out.statements.append(
            Statement(
                speaker=self.actor(speaker, self.check.window(None, quote)),
                quote=quote.text.rstrip(",").rstrip(),
                direct=True,
                summary=None,
                evidence=[a.span(max(0, start), min(len(a.text), end))],
            )
        )

    def reported(self, i: int, speaker: str, fragment: str | None) -> None:
        if not self.once(("said", i, speaker)):
            return
        s = self.a.sentences[i]
        self.out.statements.append(
            Statement(
                speaker=self.actor(speaker, self.check.window(i + 1)),
                quote=fragment,
                direct=False,
                summary=None,
                evidence=[self.a.span(s.start, s.end)],
            )
        )

    def demand(self, d: _Demand) -> None:
        if not self.once(("demand", d.sentence, d.by)):
            return
        a, s = self.a, self.a.sentences[d.sentence - 1]
        window = self.check.window(d.sentence)
        self.out.demands.append(
            Demand(
                by=self.actor(d.by, window),
                of=self.actor(d.of, window) if d.of is not None else None,
                demand=d.demand.strip()[:200],
                evidence=[a.span(s.start, s.end)],
            )
        )


def _cut_off(exc: ModelOutputInvalid) -> bool:
    """An answer that ran into max_tokens: instructor says so in JSON mode; llama.cpp reports a cut-off forced
    tool call as finished, so there it shows as JSON that ends too soon."""
    return isinstance(exc.__cause__, IncompleteOutputException) or "EOF while parsing" in str(exc)


def _as_written(value: str | None, text: str, window: tuple[int, int]) -> str | None:
    """`value` as the article writes it near the evidence (case aside), or None when it is not there."""
    value = (value or "").strip()
    if not value:
        return None
    at = text.lower().find(value.lower(), *window)
    return text[at : at + len(value)] if at >= 0 else None

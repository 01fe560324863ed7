"""Extraction strategies, as explicit stages. Each returns proposed items; `api` grounds and packages them.

- `evidence-first`: candidates are found in the text first (quoted spans, sentences with speech, meeting or
  demand language); rules attribute what the text makes certain; the model answers short multiple-choice
  questions (grammar-constrained enums of names found in the article) about what is left.
- `rules-only`: the same stages with every model question answered "unknown" (for ablation).
- `single-call`: one call asking for everything at once (the naive baseline, kept for comparison).
"""

from __future__ import annotations

import functools
import logging
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, create_model, field_validator

import prompts
from schemas import Actor, Demand, Evidence, Meeting, Rejected, Statement

from ..analysis import _rules as rules
from ..analysis.actors import Cast, find_cast
from ..analysis.dates import resolve_date
from ..analysis.grounding import locate
from ..analysis.text import Quote, Sentence, find_quotes, ignored_spans, split_sentences
from ..errors import ModelOutputInvalid
from ..model.backend import Backend, validation_context

__all__ = ["Article", "Proposal", "run_strategy"]

log = logging.getLogger("parley")
MIN_DIRECT_WORDS = 4
# a quote introduced like this names a thing, nobody is speaking: "has been called “…”", "the so-called “…”"
_SCARE = re.compile(
    r"\b(called|dubbed|described as|termed|labell?ed|so-called|the word|known as)\s*$", re.IGNORECASE
)


@dataclass
class Article:
    """The text and everything found in it without a model, each part computed when first needed (the
    single-call strategy needs none of it)."""

    text: str
    published: date | None

    @functools.cached_property
    def ignored(self) -> list[tuple[int, int]]:
        return ignored_spans(self.text)

    @functools.cached_property
    def _ignored_index(self) -> tuple[list[int], list[int]]:
        """Ignored spans sorted by start, with the furthest end reached by any span starting up to there."""
        spans = sorted(self.ignored)
        reach, furthest = [], -1
        for _, b in spans:
            furthest = max(furthest, b)
            reach.append(furthest)
        return [a for a, _ in spans], reach

    @functools.cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    @functools.cached_property
    def sentences(self) -> list[Sentence]:
        return [s for s in split_sentences(self.text) if not self.is_ignored(s.start, s.end)]

    @functools.cached_property
    def quotes(self) -> list[Quote]:
        return [q for q in find_quotes(self.text) if not self.is_ignored(q.start, q.end)]

    @functools.cached_property
    def cast(self) -> Cast:
        return find_cast(self.text, skip=self.ignored)

    def is_ignored(self, start: int, end: int) -> bool:
        """Whether [start, end) lies inside one ignored span (its end may fall one past the span's)."""
        starts, reach = self._ignored_index
        i = bisect_right(starts, start) - 1
        return i >= 0 and end <= reach[i] + 1

    def sentence_at(self, pos: int) -> Sentence | None:
        i = bisect_right(self._sentence_starts, pos) - 1
        if i >= 0 and pos < self.sentences[i].end:
            return self.sentences[i]
        return None

    def span(self, start: int, end: int) -> Evidence:
        return Evidence(text=self.text[start:end], start=start, end=end)

    def passage(self, start: int, end: int, *, before: int = 1) -> str:
        """The sentences covering [start, end) plus `before` sentences of context."""
        idx = [i for i, s in enumerate(self.sentences) if s.end > start and s.start < end]
        if not idx:
            return self.text[start:end]
        lo = max(0, idx[0] - before)
        return " ".join(s.text for s in self.sentences[lo : idx[-1] + 1])


@dataclass
class Proposal:
    meetings: list[Meeting] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    demands: list[Demand] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    degraded: bool = False  # a question got no valid answer and the rules' fallback stood in: don't cache


async def run_strategy(strategy: str, article: Article, backend: Backend | None) -> Proposal:
    if strategy == "single-call":
        assert backend is not None
        return await _single_call(article, backend)
    return await _EvidenceFirst(article, None if strategy == "rules-only" else backend).run()


# --- evidence-first --------------------------------------------------------------------------------------


def _is_fragment(a: Article, q: Quote) -> bool:
    """A quote set inside a clause ("adding that it “would like …”") is part of reported speech, not an
    utterance: utterances open a sentence or follow a comma, a colon or a speech verb."""
    sentence = a.sentence_at(max(0, q.start - 1)) or a.sentence_at(q.start)
    lead = a.text[sentence.start if sentence else 0 : max(0, q.start - 1)].rstrip()
    if not lead or lead[-1] in ",:;—–-(" or lead.endswith(("“", '"')):
        return False
    return not rules.SPEECH_VERB.search(lead.split()[-1])


@functools.lru_cache(maxsize=1024)
def _choice_model(name: str, field_name: str, choices: tuple[str, ...], description: str) -> type[BaseModel]:
    """A one-field response model whose value must be one of `choices` (an enum under grammar constraints).
    Built once per set of choices: pydantic model creation and its JSON Schema cost milliseconds."""
    literal: Any = Literal[tuple(choices)]
    return create_model(name, **{field_name: (literal, Field(description=description))})  # type: ignore[call-overload,no-any-return]


def _fewshot_messages(task: str) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for ex in prompts.load().examples(task):
        messages.append(
            {
                "role": "user",
                "content": f"Passage:\n{ex.text}\n\nQuestion about: {ex.question}\n"
                f"Choose from: {', '.join(ex.choices)}",
            }
        )
        messages.append({"role": "assistant", "content": f'{{"answer": "{ex.answer}"}}'})
    return messages


class _EvidenceFirst:
    def __init__(self, article: Article, backend: Backend | None) -> None:
        self.a = article
        self.backend = backend
        self.p = prompts.load()
        self.out = Proposal()

    async def ask(self, task: str, template: str, choices: list[str], **fields: str) -> str | None:
        """One short multiple-choice question; None when there is no model or it fails."""
        if self.backend is None or len(choices) < 2:
            return None
        model = _choice_model(
            f"{task.title().replace('_', '')}Answer", "answer", tuple(choices), "One of the options."
        )
        messages = [
            {"role": "system", "content": self.p.templates["system"]},
            *_fewshot_messages(task),
            {
                "role": "user",
                "content": self.p.templates[template].format(choices=", ".join(choices), **fields),
            },
        ]
        try:
            reply = await self.backend.complete(messages, model)
        except ModelOutputInvalid as exc:
            log.info("model gave no valid answer for %s: %s", task, exc)
            self.out.degraded = True
            return None
        return str(reply.value.answer)

    async def run(self) -> Proposal:
        await self.statements()
        await self.meetings()
        await self.demands()
        return self.out

    # statements
    async def statements(self) -> None:
        a = self.a
        used_sentences: set[int] = set()
        quotes = a.quotes
        for i, q in enumerate(quotes):
            if (
                q.words < MIN_DIRECT_WORDS
                or _SCARE.search(a.text, max(0, q.start - 40), q.start - 1)
                or _is_fragment(a, q)
            ):
                continue  # not an utterance of its own: the reported-speech pass keeps it as the quote
            att = rules.attribute_quote(a.text, a.cast, q.start - 1, q.end + 1)
            if att is None and i > 0 and quotes[i - 1].words >= MIN_DIRECT_WORDS:
                # “…,” he said. “…” — a quote continued right after an attributed one
                gap = a.text[quotes[i - 1].end + 1 : q.start - 1]
                prev = rules.attribute_quote(a.text, a.cast, quotes[i - 1].start - 1, quotes[i - 1].end + 1)
                if prev and len(gap) < 40 and "\n" not in gap and rules.SPEECH_VERB.search(gap):
                    att = rules.Attribution(prev.key, prev.surface, "continued-quote")
            speaker: Actor | None = None
            if att is not None:
                speaker = a.cast.actor(att.key, att.surface)
            else:
                choices = self._nearby_people(q.start)
                answer = await self.ask(
                    "speaker",
                    "speaker",
                    [*choices, "unknown"],
                    passage=a.passage(q.start, q.end),
                    quote=q.text,
                )
                if answer and answer != "unknown":
                    speaker = a.cast.actor(answer)
            first = a.sentence_at(q.start)
            last = a.sentence_at(max(q.start, q.end - 1))
            start = min(first.start if first else q.start, q.start - 1)
            end = max(last.end if last else q.end, q.end + 1)
            for s_idx, s in enumerate(a.sentences):
                if s.start < end and s.end > start:
                    used_sentences.add(s_idx)
            if speaker is None:
                self.out.rejected.append(
                    Rejected(
                        kind="statement", reason="no speaker could be attributed", item={"quote": q.text}
                    )
                )
                continue
            self.out.statements.append(
                Statement(
                    speaker=speaker,
                    quote=q.text,
                    direct=True,
                    summary=None,
                    evidence=[a.span(max(0, start), min(len(a.text), end))],
                )
            )
        for s_idx, s in enumerate(a.sentences):
            if s_idx in used_sentences:
                continue
            found = rules.reported_speaker(a.text, a.cast, s.start, s.end)
            if found is None:
                continue
            att, _verb = found
            fragments = [q for q in a.quotes if s.start <= q.start and q.end <= s.end]
            quote = max(fragments, key=lambda q: len(q.text)).text if fragments else None
            self.out.statements.append(
                Statement(
                    speaker=a.cast.actor(att.key, att.surface),
                    quote=quote,
                    direct=False,
                    summary=None,
                    evidence=[a.span(s.start, s.end)],
                )
            )

    def _nearby_people(self, pos: int, limit: int = 6) -> list[str]:
        keys: list[str] = []
        for m in self.a.cast.before(pos, kinds=("person",)):
            if m.key not in keys:
                keys.append(m.key)
            if len(keys) >= limit:
                break
        return keys

    # meetings
    async def meetings(self) -> None:
        a = self.a
        for s in a.sentences:
            cue = rules.meeting_cue(s.text)
            if cue is None:
                continue
            word, strong, cue_at = cue
            if any(s.start <= q.start < s.end and q.words >= MIN_DIRECT_WORDS for q in a.quotes):
                continue  # a sentence built around a direct quote reports speech, not a meeting
            status = rules.meeting_status(s.text, cue_at)
            window = s.text[max(0, cue_at - 60) : cue_at + 120]  # where, when: near the meeting word
            if status is None:
                self.out.rejected.append(
                    Rejected(kind="meeting", reason="the text denies any contact", item={"sentence": s.text})
                )
                continue
            people = self._participants(s)
            if len(people) < 2 and not (people and word.startswith("visit")):
                continue
            if not strong:
                names = " and ".join(p.name for p in people[:4])
                answer = await self.ask(
                    "meeting", "meeting", ["yes", "no"], passage=s.text, participants=names
                )
                if answer != "yes":
                    continue
            iso, written = resolve_date(window, published=a.published)
            self.out.meetings.append(
                Meeting(
                    participants=people,
                    location=rules.find_location(window, a.cast, s.start + max(0, cue_at - 60)),
                    date=iso,
                    date_text=written,
                    status=status,
                    topic=word,
                    evidence=[a.span(s.start, s.end)],
                )
            )

    def _participants(self, s: Sentence) -> list[Actor]:
        people: list[Actor] = []
        seen: set[str] = set()
        for m in self.a.cast.in_span(s.start, s.end):
            lead = self.a.text[max(0, m.start - 20) : m.start]
            attribute = lead.endswith(" of ") and any(
                p.end == m.start - 4 and p.kind == "person" for p in self.a.cast.mentions
            )
            if m.key in seen or attribute or re.search(r"(?i)(according to (the )?|\b(in|at|from) )$", lead):
                continue  # a source ("according to X") or an attribute ("Minister Y of X") is not a participant
            seen.add(m.key)
            people.append(self.a.cast.actor(m.key, m.text))
        if people and not any(m.kind == "person" for m in self.a.cast.in_span(s.start, s.end)):
            return []
        named = [p for p in people if p.canonical in self.a.cast.people]
        if len(named) >= 2:  # groups like "officials" add nothing when two named people met
            people = [p for p in people if p in named or not rules.is_generic_role(p.name)]
        return people

    # demands
    async def demands(self) -> None:
        a = self.a
        for s in a.sentences:
            parts = rules.demand_parts(s.text)
            if parts is None:
                continue
            by = self._demander(s, parts)
            if by is None:
                continue
            of: Actor | None = Actor(name=parts.target) if parts.target else None
            if of is None:
                others = [m.key for m in a.cast.in_span(s.start, s.end) if m.key != by.canonical]
                others = list(dict.fromkeys(others))[:5]
                answer = await self.ask(
                    "demand_target",
                    "demand_target",
                    [*others, "nobody"],
                    passage=s.text,
                    by=by.name,
                    demand=parts.what,
                )
                if answer and answer != "nobody":
                    of = a.cast.actor(answer)
            self.out.demands.append(
                Demand(by=by, of=of, demand=parts.what[:200], evidence=[a.span(s.start, s.end)])
            )

    def _demander(self, s: Sentence, parts: rules.DemandParts) -> Actor | None:
        a = self.a
        if parts.cue == "if-agrees" and parts.by:
            return a.cast.actor(_resolve_key(a.cast, parts.by), parts.by)
        if parts.cue == "if-agrees":
            mentions = [m for m in a.cast.in_span(s.start, s.end) if m.kind == "person"]
            return a.cast.actor(mentions[-1].key, mentions[-1].text) if mentions else None
        for st in self.out.statements:  # demand language inside an attributed statement
            ev = st.evidence[0]
            if ev.start <= s.start < ev.end or s.start <= ev.start < s.end:
                return st.speaker
        found = rules.reported_speaker(a.text, a.cast, s.start, s.end)
        if found is not None:
            return a.cast.actor(found[0].key, found[0].surface)
        if parts.cue.startswith(("demand", "urg", "call", "insist", "require")):
            # "Karnavia demanded that …": the subject right before the demand verb
            before = [m for m in a.cast.in_span(s.start, s.start + parts.cue_at) if m.kind == "person"]
            if before and s.start + parts.cue_at - before[-1].end <= 30:
                return a.cast.actor(before[-1].key, before[-1].text)
        return None


def _resolve_key(cast: Cast, surface: str) -> str:
    for m in cast.mentions:
        if m.text == surface:
            return m.key
    return surface


# --- single call (baseline) -----------------------------------------------------------------------------


class _Grounded(BaseModel):
    evidence: str = Field(description="Exact words copied from the article that report this item.")

    @field_validator("evidence")
    @classmethod
    def _in_article(cls, value: str, info: ValidationInfo) -> str:
        article = validation_context(info).get("article")
        if article is not None and locate(value, article) is None:
            raise ValueError(f"evidence {value[:80]!r} is not in the article; copy the exact words")
        return value


class _LLMMeeting(_Grounded):
    participants: list[str] = Field(description="Names of who met whom.")
    location: str | None = Field(default=None, description="Where.")
    date_text: str | None = Field(default=None, description="When, as written.")
    status: Literal["held", "planned", "proposed", "declined"] = Field(description="Did it happen?")


class _LLMStatement(_Grounded):
    speaker: str = Field(description="Who said it.")
    quote: str | None = Field(default=None, description="Verbatim quoted words, or null.")


class _LLMDemand(_Grounded):
    by: str = Field(description="Who demands.")
    of: str | None = Field(default=None, description="Of whom.")
    demand: str = Field(description="What is demanded.")


class _LLMArticle(BaseModel):
    meetings: list[_LLMMeeting] = Field(default_factory=list, description="Meetings.")
    statements: list[_LLMStatement] = Field(default_factory=list, description="Statements.")
    demands: list[_LLMDemand] = Field(default_factory=list, description="Demands.")


async def _single_call(article: Article, backend: Backend) -> Proposal:
    p = prompts.load()
    published = f"Published: {article.published.isoformat()}\n" if article.published else ""
    messages = [
        {"role": "system", "content": p.templates["system"]},
        {
            "role": "user",
            "content": p.templates["single_call"].format(article=article.text, published=published),
        },
    ]
    reply = await backend.complete(messages, _LLMArticle, context={"article": article.text})
    got: _LLMArticle = reply.value
    out = Proposal()
    for kind, items in (("meeting", got.meetings), ("statement", got.statements), ("demand", got.demands)):
        for item in items:
            ev = locate(item.evidence, article.text)
            if ev is None:  # the validator re-asked already; never drop silently
                out.rejected.append(
                    Rejected(
                        kind=kind,  # type: ignore[arg-type]
                        reason="evidence not found in the article",
                        item=item.model_dump(),
                    )
                )
            elif isinstance(item, _LLMMeeting):
                out.meetings.append(
                    Meeting(
                        participants=[Actor(name=n) for n in item.participants if n.strip()],
                        location=item.location,
                        date_text=item.date_text,
                        status=item.status,
                        evidence=[ev],
                    )
                )
            elif isinstance(item, _LLMStatement):
                out.statements.append(
                    Statement(
                        speaker=Actor(name=item.speaker),
                        quote=item.quote,
                        direct=item.quote is not None,
                        evidence=[ev],
                    )
                )
            elif isinstance(item, _LLMDemand):
                out.demands.append(
                    Demand(
                        by=Actor(name=item.by),
                        of=Actor(name=item.of) if item.of else None,
                        demand=item.demand,
                        evidence=[ev],
                    )
                )
    return out

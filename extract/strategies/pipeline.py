"""Extraction strategies, as explicit stages. Each returns proposed items; `api` grounds and packages them.

- `evidence-first`: candidates are found in the parsed text first (quoted spans, speech, meeting and demand
  predicates with their grammatical roles); rules decide what the parse makes certain; the model answers
  short multiple-choice questions (grammar-constrained enums of names found in the article) about what is
  left: a quote whose speaker the sentence does not name, a demand whose target it does not name.
- `rules-only`: the same stages with every model question answered "unknown" (for ablation).
- `guided` (`guided.py`): the model fills the records itself, picking the analysis's numbered sentences,
  quotes and actors.
- `single-call`: one call asking for everything at once (the naive baseline, kept for comparison).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

import prompts
from schemas import Actor, Demand, Evidence, Meeting, Rejected, Statement

from ..analysis import cues
from ..analysis.actors import Mention
from ..analysis.article import Article
from ..analysis.dates import resolve_date
from ..analysis.grounding import locate
from ..analysis.lexicon import DEMAND_LEMMAS, SPEECH_LEMMAS, TITLE_WORDS
from ..analysis.text import Quote, Sentence
from ..model.backend import Backend, validation_context
from . import decisions
from .decisions import DecisionKind, Question, Route, routes_for

if TYPE_CHECKING:
    from spacy.tokens import Token

__all__ = ["UNATTRIBUTED", "Article", "Proposal", "run_strategy"]

log = logging.getLogger("parley")
MIN_DIRECT_WORDS = 3  # a quote of one or two words is a scare quote or a fragment, never an utterance
_CALLING = {"call", "describe", "term", "dub", "label", "brand"}  # calling a thing by quoted words
_NAMING = {"call", "dub", "describe", "term", "label", "brand", "name", "know", "so-called", "word", "as"}


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
    if strategy == "guided":
        assert backend is not None
        from .guided import run_guided  # it builds on this module's Proposal

        return await run_guided(article, backend)
    # the parse is CPU work: done in a worker thread, the event loop keeps serving other articles' calls
    await asyncio.to_thread(article.prepare)
    return await _EvidenceFirst(article, None if strategy == "rules-only" else backend).run()


UNATTRIBUTED = "no speaker could be attributed"  # a quote nobody is named for: rejected, not guessed


# --- evidence-first --------------------------------------------------------------------------------------


class _EvidenceFirst:
    def __init__(self, article: Article, backend: Backend | None) -> None:
        self.a = article
        self.backend = backend
        self.routes = routes_for(backend.name) if backend is not None else {}
        self.out = Proposal()

    async def decide(
        self, kind: DecisionKind, rules: str | None, question: Callable[[], Question]
    ) -> str | None:
        """The rules' answer, or the model's where the measured route for this kind lets it decide."""
        route = self.routes.get(kind, Route())
        if self.backend is None or not decisions.wants_model(route, rules):
            return rules
        q = question()
        if len(q.choices) < 2:
            return rules
        answer = await decisions.ask(self.backend, q)
        if answer is None:
            self.out.degraded = True  # the rules' answer stands in: don't cache this result
        return decisions.combined(route, rules, answer)

    async def confirmed(self, kind: Literal["meeting", "demand"], s: Sentence, item: dict[str, Any]) -> bool:
        """Whether a meeting or demand the rules found in a sentence stands (the model may say it is none)."""
        ask = functools.partial(decisions.sentence_question, self.a, kind, s.start, s.end)
        if await self.decide(kind, "yes", ask) != "no":
            return True
        reason = f"the model read no {kind} in this sentence"
        self.out.rejected.append(Rejected(kind=kind, reason=reason, item=item))
        return False

    async def run(self) -> Proposal:
        await self.statements()
        await self.meetings()
        self._drop_vague()
        await self.demands()
        return self.out

    def actor(self, m: Mention | cues.Attribution) -> Actor:
        key = m.key
        surface = m.surface if isinstance(m, cues.Attribution) else m.text
        actor = self.a.cast.actor(key, surface)
        if actor.kind is None and m.kind in {"group", "role"}:
            actor = actor.model_copy(update={"kind": "group"})
        return actor

    # statements
    def _is_utterance(self, q: Quote) -> bool:
        """A quote of its own, not a scare quote ('so-called “…”') nor a fragment inside a clause."""
        if q.words < MIN_DIRECT_WORDS:
            return False
        doc = self.a.doc
        at = doc.char_span(q.start, q.end, alignment_mode="expand")
        first = at.start if at is not None else 0
        before = [t for t in doc[max(0, first - 4) : first] if t.idx < q.start - 1][-3:]
        if any(t.lemma_.lower() in _NAMING for t in before[-2:]):
            return False
        # 'complained that Washington “does not respect” Moscow': a short fragment of reported speech
        fragment = q.words < 4 and bool(before) and before[-1].is_alpha
        return not fragment or before[-1].lemma_.lower() in SPEECH_LEMMAS

    def _quote_attribution(self, q: Quote) -> cues.Attribution | None:
        """The speech predicate nearest the quote in its sentence(s), outside the quote: its subject."""
        a = self.a
        first = a.sentence_at(q.start) or a.sentence_at(max(0, q.start - 1))
        last = a.sentence_at(max(q.start, q.end - 1)) or first
        if first is None or last is None:
            return None
        last = self._said_after(q, last)
        span = a.doc.char_span(first.start, last.end, alignment_mode="expand")
        if span is None:
            return None
        named = self._naming_speaker(q)
        if named is not None:
            return named
        verbs = cues.speech_verbs(span, outside=self._quoted(first.start, last.end)) + cues.according_to(span)
        # the speech verb the quote hangs from first ("took to social media to claim that Sheinbaum “has agreed
        # …” while characterizing …": claim), then the nearest
        quoted = a.doc.char_span(q.start, q.end, alignment_mode="expand")
        governors = {g.i for g in quoted.root.ancestors} if quoted is not None and len(quoted) else set()
        verbs.sort(key=lambda v: (v.i not in governors, min(abs(v.idx - q.start), abs(v.idx - q.end))))
        return cues.first_speaker(a.cast, a.doc, verbs) or self._asking(q)

    def _quoted(self, start: int, end: int) -> list[tuple[int, int]]:
        """The quotes between two offsets, with their marks: a quote's own words are no attribution."""
        return [(x.start - 1, x.end + 1) for x in self.a.quotes if x.start < end and x.end > start]

    def _asking(self, q: Quote) -> cues.Attribution | None:
        """'Tokayev called for a “joint collective search for a formula for peace”', 'urged both sides to
        “show restraint and return to talks”': the words of a demand are the demander's, when a named person
        makes it and no speech verb reports them."""
        doc = self.a.doc
        span = doc.char_span(q.start, q.end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return None
        verb = next((g for g in span.root.ancestors if g.pos_ in {"VERB", "AUX"}), None)
        if verb is None or verb.lemma_.lower() not in DEMAND_LEMMAS or verb.i in range(span.start, span.end):
            return None
        att = cues.speaker_of(self.a.cast, doc, verb)
        return att if att is not None and att.kind == "person" else None

    def _said_after(self, q: Quote, last: Sentence) -> Sentence:
        """'“We will win!” Zelensky said.': a quote ending in '!' or '?' ends its sentence for the parser, and
        the attribution right after it, in the same paragraph, is a sentence of its own; it is the quote's."""
        a = self.a
        if not q.text.rstrip().endswith(("!", "?")) or q.end < last.end - 2:
            return last
        first = a.sentence_at(q.start) or a.sentence_at(max(0, q.start - 1))
        if first is None or a.text[first.start : max(first.start, q.start - 1)].strip():
            return last  # 'Antov asked the American diplomat, “What would …?”': attributed before it
        i = a.sentences.index(last)
        if i + 1 >= len(a.sentences):
            return last
        nxt = a.sentences[i + 1]
        between = a.text[q.end : nxt.start]
        if (
            "\n" in between
            or len(between.strip()) > 1
            or any(nxt.start <= x.start < nxt.end for x in a.quotes)
        ):
            return last
        return nxt

    def _calling(self, q: Quote) -> tuple[Token, cues.Attribution | None] | None:
        """The verb that calls something by the quoted words ('called the proposal “…”', 'describing the
        talks as the “…”') and the person calling, when one governs the quote and someone does the calling:
        a named subject, or a participle of the sentence's speaker ('…, Araghchi said, describing …')."""
        doc = self.a.doc
        span = doc.char_span(q.start, q.end, alignment_mode="expand")
        if span is None or len(span) == 0:
            return None
        root = span.root
        verb = root.head
        if verb.lower_ == "as" or (root.dep_ == "appos" and verb.dep_ == "dobj"):
            verb = verb.head  # "described it as “…”", "called the proposal “…”" (the quote beside the object)
        if root.head.i in range(span.start, span.end) or verb.lemma_.lower() not in _CALLING:
            return None
        att = cues.speaker_of(self.a.cast, doc, verb)
        person = att if att is not None and att.kind == "person" else None
        return (verb, person) if person is not None or verb.tag_ == "VBG" else None

    def _naming_speaker(self, q: Quote) -> cues.Attribution | None:
        """'Trump called the proposal “a very wise suggestion,” said Kang': words someone calls a thing by are
        that person's, whoever reports them."""
        calling = self._calling(q)
        return calling[1] if calling is not None else None

    def _continued(
        self, q: Quote, previous: tuple[Quote, cues.Attribution] | None
    ) -> cues.Attribution | None:
        """A quote with no speech verb of its own continues its neighbour's: right after an attributed quote
        ('“…,” he said. “…”'), or after a sentence that introduces it ('Lord Howard said:')."""
        a = self.a
        sentence = a.sentence_at(q.start) or a.sentence_at(q.start - 1)
        if sentence is None:
            return None
        i = a.sentences.index(sentence)
        opens = not a.text[sentence.start : max(sentence.start, q.start - 1)].strip()
        inside = self._quoted(sentence.start, sentence.end)
        if any(
            subj.pos_ == "NOUN" and a.cast.at_token(subj.i) is None
            for v in cues.speech_verbs(a.tokens(sentence), outside=inside)
            for subj in v.children
            if subj.dep_ in {"nsubj", "nsubjpass"}
        ):
            return None  # '“Our demands are clear,” an Iranian source told Reuters': its own, unnamed speaker
        if previous is not None and opens and i > 0:
            last = a.sentence_at(max(previous[0].start, previous[0].end - 1))
            if last is not None and a.sentences.index(last) == i - 1:  # the very next sentence
                p = previous[1]
                return cues.Attribution(p.key, p.surface, "continued-quote", p.kind)
        label = self._labelled(q)
        if label is not None:
            return label
        if i == 0:
            return None
        before = a.sentences[i - 1]
        # "Lord Howard said:" introduces the quote after it; so does "Obama told Americans Saturday." when the
        # quote opens the next sentence of the same paragraph
        colon = before.text.rstrip().endswith(":")
        introduces = colon or (opens and "\n" not in a.text[before.start : sentence.start])
        if introduces and not any(x.start > before.start and x.end < before.end for x in a.quotes):
            att = cues.first_speaker(a.cast, a.doc, cues.speech_verbs(a.tokens(before)))
            if att is not None and (att.kind == "person" or colon):
                return cues.Attribution(att.key, att.surface, "introduced-quote", att.kind)
        return None

    def _labelled(self, q: Quote) -> cues.Attribution | None:
        """'Kuleba: “Ukraine needs more air defence.”': a line that opens with a person's name and a colon."""
        a = self.a
        line = a.text.rfind("\n", 0, q.start) + 1
        lead = a.text[line : q.start].rstrip(" “\"'‘")
        if not lead.endswith(":") or len(lead) > 80:
            return None
        people = [m for m in a.cast.in_span(line, q.start) if m.kind == "person"]
        if len(people) != 1:
            return None
        m = people[0]
        rest = (a.text[line : m.start] + a.text[m.end : line + len(lead)]).replace(":", " ").split()
        if len(rest) > 4 or any(w[0].islower() and w.lower() not in TITLE_WORDS for w in rest):
            return None  # a sentence that merely ends with a colon, not a name label
        return cues.Attribution(m.key, m.text, "label", m.kind)

    def _first_person(self, q: Quote, speaker: Actor) -> list[Mention]:
        """'I', 'me' and 'my' inside a quote are its speaker."""
        at = self.a.doc.char_span(q.start, q.end, alignment_mode="contract")
        key = speaker.canonical or speaker.name
        return [
            Mention(t.idx, t.idx + len(t), t.text, key, "person", t.i)
            for t in at or ()
            if t.lower_ in {"i", "me", "my"} and t.pos_ == "PRON" and self.a.cast.at_token(t.i) is None
        ]

    async def statements(self) -> None:
        a = self.a
        used_sentences: set[int] = set()
        quotes = a.quotes
        previous: tuple[Quote, cues.Attribution] | None = None
        voices: list[Mention] = []
        for q in quotes:
            # not an utterance of its own: the reported-speech pass keeps it as the quote; but what a named
            # person describes something as ("describing the talks as the “most intense so far”") is theirs
            if not self._is_utterance(q) and (q.words < 4 or self._calling(q) is None):
                continue
            att = self._quote_attribution(q) or self._continued(q, previous)
            first = a.sentence_at(q.start)
            last = a.sentence_at(max(q.start, q.end - 1))
            if last is not None:  # "“We will win!” Zelensky said.": the attribution is part of it
                last = self._said_after(q, last)
            start = min(first.start if first else q.start, q.start - 1)
            end = max(last.end if last else q.end, q.end + 1)
            for s_idx, s in enumerate(a.sentences):
                if s.start < end and s.end > start:
                    used_sentences.add(s_idx)
            if att is not None and att.kind != "person":
                self.out.rejected.append(
                    Rejected(
                        kind="statement",
                        reason=f"quote attributed to a {att.kind}, not a person",
                        item={"quote": q.text, "by": att.key},
                    )
                )
                previous = None
                continue
            rules = None if att is None else "unknown" if cues.is_generic(att) else att.key
            answer = await self.decide(
                "speaker", rules, functools.partial(decisions.speaker_question, a, q.start, q.end, q.text)
            )
            speaker: Actor | None = None
            if answer == rules and att is not None and answer != "unknown":
                speaker = self.actor(att)
            elif answer not in {None, "unknown"}:
                speaker = a.cast.actor(str(answer))
                att = cues.Attribution(str(answer), str(answer), "model")
            if speaker is None:
                self.out.rejected.append(
                    Rejected(
                        kind="statement",
                        reason=UNATTRIBUTED,
                        item={"quote": q.text},
                    )
                )
                previous = None
                continue
            previous = (q, att) if att is not None else None
            voices += self._first_person(q, speaker)
            self.out.statements.append(
                Statement(
                    speaker=speaker,
                    quote=q.text.rstrip(",").rstrip(),
                    direct=True,
                    summary=None,
                    evidence=[a.span(max(0, start), min(len(a.text), end))],
                )
            )
        if voices:  # "“I hope to meet the president,” Faisal said": the meetings and demands below read them
            a.cast.mentions.extend(voices)
            a.cast.index()
            a.cast.bind(a.doc)
        for s_idx, s in enumerate(a.sentences):
            if s_idx in used_sentences:
                continue
            span = a.tokens(s)
            verbs = cues.speech_verbs(span) + cues.according_to(span)
            verbs.sort(key=lambda v: v.i)
            speakers: set[str] = set()
            for verb in verbs:
                att = cues.speaker_of(a.cast, a.doc, verb)
                if att is None or att.kind not in {"person", "role"} or att.key in speakers:
                    continue  # reported speech of a named person or of a single office ('a spokesman said')
                if att.kind == "person" and att.key == att.surface and cues.is_generic(att):
                    continue
                if any(c.dep_ == "neg" for c in verb.children):
                    continue  # "could not confirm the report", "did not say": nothing said
                speakers.add(att.key)
                fragments = [q for q in a.quotes if s.start <= q.start and q.end <= s.end]
                quote = max(fragments, key=lambda q: len(q.text)).text if fragments else None
                self.out.statements.append(
                    Statement(
                        speaker=self.actor(att),
                        quote=quote,
                        direct=False,
                        summary=None,
                        evidence=[a.span(s.start, s.end)],
                    )
                )

    # meetings
    async def meetings(self) -> None:
        a = self.a
        missed: list[tuple[frozenset[str], Evidence]] = []  # "left … without meeting Trump": who did not meet
        for s in a.sentences:
            span = a.tokens(s)
            for cue in cues.meeting_cues(a.cast, a.doc, span):
                if cue.status is None:
                    self.out.rejected.append(
                        Rejected(
                            kind="meeting", reason="the text denies any contact", item={"sentence": s.text}
                        )
                    )
                    if cues.went_without(cue.trigger):
                        pair = frozenset(p.canonical or p.name for p in self._side_by_side(cue.participants))
                        missed.append((pair, a.span(s.start, s.end)))
                    continue
                if cues.called_off(cue.participants):
                    self._call_off(cue.trigger.idx, a.span(s.start, s.end))
                    continue
                if cues.reciprocal(cue.participants):
                    people = self._pair_before(cue.trigger.idx)
                else:
                    people = self._side_by_side(cue.participants)
                if len(people) < 2:
                    continue
                if self._refers_back(cue, people):
                    continue
                if not await self.confirmed("meeting", s, {"sentence": s.text}):
                    continue
                ask = functools.partial(decisions.sentence_question, a, "status", s.start, s.end)
                status = await self.decide("status", cue.status, ask) or cue.status
                window = a.text[max(s.start, cue.trigger.idx - 80) : min(s.end, cue.trigger.idx + 140)]
                ahead = status in {"planned", "proposed"}  # "when they meet on Sunday": the coming one
                iso, written = resolve_date(window, published=a.published, future=ahead)
                if any(
                    m.evidence[0].start == s.start
                    and m.status == status
                    and {p.canonical for p in m.participants} == {p.canonical for p in people}
                    for m in self.out.meetings
                ):
                    continue  # the same meeting named twice in one sentence
                self.out.meetings.append(
                    Meeting(
                        participants=people,
                        location=cue.location,
                        date=iso,
                        date_text=written,
                        status=status,  # type: ignore[arg-type]
                        topic=cue.trigger.lemma_.lower(),
                        evidence=[a.span(s.start, s.end)],
                    )
                )
        self._missed(missed)

    def _missed(self, missed: list[tuple[frozenset[str], Evidence]]) -> None:
        """'Zelenskyy left the summit without meeting Trump': a meeting of theirs the article reports as
        scheduled or proposed did not take place."""
        for pair, evidence in missed:
            for i, m in enumerate(self.out.meetings):
                if {p.canonical or p.name for p in m.participants} == pair:
                    self._decline(i, evidence)

    def _decline(self, i: int, evidence: Evidence) -> None:
        """Meeting `i`, if it was still to come, did not take place: `evidence` says so."""
        m = self.out.meetings[i]
        if m.status in {"planned", "proposed"}:
            self.out.meetings[i] = m.model_copy(
                update={"status": "declined", "evidence": [*m.evidence, evidence]}
            )

    def _call_off(self, pos: int, evidence: Evidence, reach: int = 1000) -> None:
        """'The meeting was postponed': the meeting reported just before (within `reach` characters), if it
        was still to come, did not take place."""
        for i in range(len(self.out.meetings) - 1, -1, -1):
            m = self.out.meetings[i]
            if m.evidence[0].start <= pos and pos - m.evidence[-1].end <= reach:
                self._decline(i, evidence)
                return

    def _pair_before(self, pos: int, reach: int = 2000) -> list[Actor]:
        """Who 'the two leaders' or 'they' are in a meeting sentence: the parties of the meeting reported just
        before (within `reach` characters), if any."""
        for m in reversed(self.out.meetings):  # found in order: one in this sentence came before `pos`
            end = m.evidence[-1].end
            if m.evidence[0].start <= pos and pos - end <= reach:
                return list(m.participants)
        # no meeting before it: "Abdelatty called on Witkoff to … In a phone call, the two sides discussed …":
        # the two people the sentence before names, if it names exactly two
        before = [x for x in self.a.sentences if x.end <= pos]
        if not before:
            return []
        prev = before[-1]
        people: dict[str, Mention] = {}
        for named in self.a.cast.in_span(prev.start, prev.end):
            if named.kind == "person":
                people.setdefault(named.key, named)
        return [self.actor(p) for p in people.values()] if len(people) == 2 else []

    def _refers_back(self, cue: cues.MeetingCue, people: list[Actor]) -> bool:
        """'… participated in the meeting': a definite meeting noun names the meeting reported before;
        its new participants join that one instead of making a second."""
        t = cue.trigger
        definite = t.pos_ == "NOUN" and any(
            c.dep_ == "det" and c.lower_ in {"the", "this", "that", "these", "those"} for c in t.children
        )
        earlier = [m for m in self.out.meetings if m.topic == t.lemma_.lower()]
        if not definite or not earlier:
            return False
        meeting = earlier[-1]
        known = {p.canonical for p in meeting.participants}
        meeting.participants.extend(p for p in people if p.canonical not in known and p.kind != "group")
        return True

    def _drop_vague(self) -> None:
        """A meeting of unnamed offices only ('the former US ambassador had lunch with the Russian
        ambassador') is the same meeting the article names later with the same word: keep the named one."""
        named = [
            m
            for m in self.out.meetings
            if any(p.kind in {"person", "country", "organization"} for p in m.participants)
        ]
        self.out.meetings = [
            m for m in self.out.meetings if m in named or not any(n.topic == m.topic for n in named)
        ]

    def _side_by_side(self, mentions: list[Mention]) -> list[Actor]:
        """Participants: a country or institution stands in only when no person of that side is named."""
        people = [self.actor(m) for m in mentions]
        persons = [p for p in people if p.kind == "person"]
        sides = {p.country for p in persons if p.country}
        return [p for p in people if p.kind == "person" or p.canonical not in sides]

    # demands
    def _quoted_by(self, s: Sentence) -> Actor | None:
        """The speaker of a direct quote covering this sentence: demand language inside a quote is theirs."""
        for st in self.out.statements:
            ev = st.evidence[0]
            if st.direct and ev.start <= s.start < ev.end:
                return st.speaker
        return None

    async def demands(self) -> None:
        a = self.a
        seen: dict[tuple[int, str], list[str]] = {}
        for s in a.sentences:
            span = a.tokens(s)
            for cue in cues.demand_cues(a.cast, a.doc, span):
                if cue.by is None:
                    quoted = self._quoted_by(s)
                    if quoted is None:
                        continue
                    by = quoted
                else:
                    by = self.actor(cue.by)
                if not await self.confirmed("demand", s, {"sentence": s.text, "by": by.name}):
                    continue
                rules_by = by.canonical or by.name
                who = await self.decide(
                    "demander", rules_by, functools.partial(decisions.demander_question, a, s.start, s.end)
                )
                if who is None or who == "unknown":
                    continue
                if who != rules_by:
                    by = a.cast.actor(who)
                said = seen.setdefault((s.start, who), [])
                if any(cue.what in w or w in cue.what for w in said):
                    continue  # one demand per demander and sentence, unless it asks something else
                said.append(cue.what)
                rules_of = None if cue.of is None else self.actor(cue.of).canonical
                whom = await self.decide(
                    "target", rules_of, functools.partial(decisions.target_question, a, s.start, s.end, who)
                )
                of = None
                if whom == rules_of and cue.of is not None:
                    of = self.actor(cue.of)
                elif whom not in {None, "nobody"}:
                    of = a.cast.actor(str(whom))
                self.out.demands.append(
                    Demand(by=by, of=of, demand=cue.what[:200], evidence=[a.span(s.start, s.end)])
                )


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

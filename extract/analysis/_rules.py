"""Deterministic cues: speech attribution, meeting status, demand language, places and dates.

These decide wherever the text makes the answer certain; the model is asked only about what is left.
Nothing here names any particular article, person or event.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from schemas import MeetingStatus

from .actors import Cast, Mention

__all__ = [
    "SPEECH_VERB",
    "Attribution",
    "attribute_quote",
    "demand_parts",
    "find_location",
    "meeting_cue",
    "meeting_status",
    "reported_speaker",
]

_SAY = (
    r"said|says|say|told|tells|asked|asks|added|adds|stated|states|insisted|insists|emphasized|emphasised|"
    r"stressed|complained|decried|noted|laments|lamented|warned|urged|argued|explained|claimed|continued|"
    r"wrote|declared|announced|replied|responded|commented|dismissed|acknowledged|reiterated|confirmed|"
    r"denied|described|spoke (?:of|about)|believes|thinks"
)
SPEECH_VERB = re.compile(rf"\b(?:{_SAY})\b")
_GENERIC_ROLE = re.compile(
    r"(?:[\w’'.]+\s+)*(officials|sources|diplomats|leaders|administration|government|authorities)"
)


def is_generic_role(phrase: str) -> bool:
    return bool(_GENERIC_ROLE.fullmatch(phrase.lower()))


_PRONOUN = re.compile(r"\b(he|she|they)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Attribution:
    key: str
    surface: str
    how: str  # which rule decided


def _mention_or_pronoun(cast: Cast, start: int, end: int, text: str, *, last: bool = False) -> Mention | None:
    inside = [
        m
        for m in cast.in_span(start, end)
        if m.kind in ("person", "role")
        and not text.startswith(("'s", "’s"), m.end)  # "Putin's henchman said": not Putin
        and not re.search(
            r"\b(with|to|of|for|about|against|between|by|in|at|from)\s+(?:the\s+)?$",
            text[max(0, m.start - 14) : m.start],
        )
    ]
    pron = list(_PRONOUN.finditer(text, start, end))
    candidates: list[tuple[int, Mention | None]] = [(m.start, m) for m in inside]
    candidates += [(p.start(), None) for p in pron]
    if not candidates:
        return None
    pos, mention = (max if last else min)(candidates, key=lambda c: c[0])
    if mention is not None:
        return mention
    return _antecedent(cast, pos)


def _opens_sentence(text: str, m: Mention) -> bool:
    """True when only capitalised words (a title) stand between the sentence start and the mention."""
    cut = max(text.rfind(p, 0, m.start) for p in (". ", "? ", "! ", "\n", "” "))
    lead = text[cut + 1 : m.start].strip() if cut >= 0 else text[: m.start].strip()
    words = lead.split()
    return len(words) <= 6 and all(w[:1].isupper() or w in {"to", "of", "the"} for w in words)


def _antecedent(cast: Cast, pos: int) -> Mention | None:
    """What 'he' or 'she' refers to: the nearest person or specific office (not 'officials') that opens a
    sentence before `pos`, else the nearest named person."""
    near = [m for m in cast.before(pos) if pos - m.end < 600]
    for m in near:
        if m.kind == "role" and _GENERIC_ROLE.fullmatch(m.text.lower()):
            continue
        if _opens_sentence(cast.text, m) or SPEECH_VERB.match(cast.text, m.end + 1):
            return m
    people = [m for m in near if m.kind == "person"]
    return people[0] if people else None


def attribute_quote(text: str, cast: Cast, q_start: int, q_end: int) -> Attribution | None:
    """Speaker of the quote at [q_start, q_end) when the text makes it certain, else None."""
    after = text[q_end : q_end + 90]
    inner = text[q_start:q_end].rstrip(" “”\"'’")
    tag_follows = bool(inner) and inner[-1] in ",?!-—–"
    # “…,” NAME said / “…,” he said / “…,” said NAME, the …
    m = re.match(rf"^[^\w\n]{{0,4}}\s*(?P<who>[^.,\n“\"]{{1,60}}?)\s+(?:{_SAY})\b", after)
    if m and tag_follows:
        hit = _mention_or_pronoun(cast, q_end + m.start("who"), q_end + m.end("who"), text)
        if hit:
            return Attribution(hit.key, hit.text, "quote-then-verb")
    m = re.match(rf"^[^\w\n]{{0,4}}\s*(?:{_SAY})\s+(?P<who>[^.,\n“\"]{{1,60}})", after)
    if m and tag_follows:
        hit = _mention_or_pronoun(cast, q_end + m.start("who"), q_end + m.end("who"), text)
        if hit:
            return Attribution(hit.key, hit.text, "quote-then-said-name")
    # NAME said: “…” / NAME told X, “…” / NAME asked the diplomat, “…” — within the same sentence
    line_start = text.rfind("\n", 0, q_start) + 1
    sent_start = max(line_start, *(text.rfind(p, 0, q_start) + 2 for p in (". ", "? ", "! ")))
    before = text[sent_start:q_start]
    verbs = list(SPEECH_VERB.finditer(before))
    if verbs:
        verb = verbs[-1]
        hit = _mention_or_pronoun(cast, sent_start, sent_start + verb.start(), text, last=True)
        if hit:
            return Attribution(hit.key, hit.text, "name-verb-then-quote")
    return None


def reported_speaker(text: str, cast: Cast, start: int, end: int) -> tuple[Attribution, re.Match[str]] | None:
    """Subject of the first speech verb in a sentence: 'Antonov complained that …', 'he said …'."""
    for verb in SPEECH_VERB.finditer(text, start, end):
        # passive or nominal uses ("was described", "as reported") are not someone speaking
        if re.search(r"\b(was|were|been|be|is|are|as|being)\s+$", text[start : verb.start()]):
            continue
        hit = _mention_or_pronoun(cast, start, verb.start(), text, last=True)
        if hit is None or (hit.kind == "role" and _GENERIC_ROLE.fullmatch(hit.text.lower())):
            continue
        return Attribution(hit.key, hit.text, "subject-verb"), verb
    acc = re.search(r"\b[Aa]ccording to\s+(?:the\s+)?", text[start:end])
    if acc:
        after = [
            m
            for m in cast.in_span(start + acc.end(), min(end, start + acc.end() + 60))
            if not _GENERIC_ROLE.fullmatch(m.text.lower())
        ]
        if after and after[0].start - (start + acc.end()) <= 1:
            return Attribution(after[0].key, after[0].text, "according-to"), acc
    return None


_MEETING = re.compile(
    r"\b(met|meet|meets|meeting|meetings|talks|talked|talk|lunch|dinner|breakfast|visit|visited|visiting|"
    r"summit|spoke with|spoken with|speak with|phone call|call with|negotiations?|discussions?|hosted|"
    r"sat down|conversation|traveled|travelled)\b",
    re.IGNORECASE,
)
_STRONG = re.compile(
    r"\b(met|meet|meets|meeting|meetings|lunch|dinner|breakfast|visit|visited|summit|hosted|talks)\b"
)


def meeting_cue(sentence: str) -> tuple[str, bool, int] | None:
    """The meeting word of a sentence, whether it is a strong cue (met, lunch, summit …), and its offset."""
    m = _MEETING.search(sentence)
    if not m:
        return None
    hit = _STRONG.search(sentence) or m
    return hit.group(0).lower(), hit is not m or bool(_STRONG.fullmatch(m.group(0))), hit.start()


_ABSENT = re.compile(
    r"\b(has ?n[o’']t|have ?n[o’']t|has not|have not|had not|never|not)\s+(spoken|met|talked|been in contact)\b|"
    r"\bnot (seem )?interested\b|\bdoesn[’']t seem interested\b",
    re.IGNORECASE,
)
_DECLINED = re.compile(
    r"\b(can[’']?t|cannot|could ?n[’']t|unable to|refus\w*|reject\w*|declin\w*|cancel\w*|disrupt\w*|"
    r"called off|snubbed|turned down|blockade)\b",
    re.IGNORECASE,
)
_PROPOSED = re.compile(
    r"\b(wants? to|seeks?|seeking|ready to|would like to|hopes? to|propos\w*|offer\w*|invit\w*|"
    r"calls? for|called for|advised\b.{0,60}\bto|potential|possible)\b",
    re.IGNORECASE,
)
_PLANNED = re.compile(
    r"\b(will (meet|hold|visit|travel)|is to (meet|visit)|are to meet|scheduled|plans? to|planned|"
    r"agreed to (meet|hold)|upcoming|expected to (meet|visit))\b",
    re.IGNORECASE,
)


def meeting_status(sentence: str, cue_at: int | None = None) -> MeetingStatus | None:
    """held / planned / proposed / declined, or None when the sentence denies any contact at all.
    Cues count only within 90 characters of the meeting word (`cue_at`)."""
    wide = sentence if cue_at is None else sentence[max(0, cue_at - 90) : cue_at + 90]
    near = sentence if cue_at is None else sentence[max(0, cue_at - 45) : cue_at + 45]
    if _ABSENT.search(wide):
        return None
    if _DECLINED.search(wide):
        return "declined"
    if _PLANNED.search(near):
        return "planned"
    if _PROPOSED.search(near):
        return "proposed"
    return "held"


_MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
_DAYS = {name: i for i, name in enumerate(calendar.day_name)}
_PLACE = re.compile(
    r"\b(?:in|at)\s+(?:the\s+)?(?:capital's\s+|capital’s\s+)?(?P<place>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,2})"
)
_NOT_PLACE = set(_MONTHS) | set(_DAYS)


def find_location(sentence: str, cast: Cast, offset: int) -> str | None:
    for m in _PLACE.finditer(sentence):
        place = m.group("place")
        first = place.split()[0]
        if first in _NOT_PLACE or first.endswith(("’s", "'s")):  # "in Ukraine's future" is no place
            continue
        start = offset + m.start("place")
        if any(mt.start <= start < mt.end and mt.kind == "person" for mt in cast.mentions):
            continue
        return place
    return None


_DEMAND = re.compile(
    r"\b(must|has to|have to|should|demand\w*|insist\w* on|urg\w+|(?:calls|called) (?:on|for)(?!\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b)|"
    r"needs?(?! for)|require[sd]?|condition\w*|would like\b.{0,40}\bto)\b",
)
_IF_AGREES = re.compile(
    r"\bIf (?P<of>(?:the )?[\w ’'.-]{1,40}?) agrees? to (?P<what>[^,]+),\s*(?P<by>[A-Z][\w ]{1,40}?) would\b"
)


@dataclass(frozen=True)
class DemandParts:
    cue: str
    what: str
    target: str | None  # subject of the modal, or object of "demanded that X" / "urged X to"
    by: str | None = None  # the party setting a condition ("…, X would …")
    cue_at: int = 0  # offset of the cue in the sentence


def demand_parts(sentence: str) -> DemandParts | None:
    """Demand language in a sentence: the cue, what is demanded, and of whom when the grammar says so."""
    m = _IF_AGREES.search(sentence)
    if m:
        return DemandParts("if-agrees", m.group("what").strip(), m.group("of").strip(), m.group("by").strip())
    m = _DEMAND.search(sentence)
    if not m:
        return None
    cue = m.group(1)
    what = re.split(r"[.;:!?”\"]", sentence[m.end() :], maxsplit=1)[0].strip(" ,")
    if len(what.split()) < 1:
        return None
    target = None
    if cue in {"must", "has to", "have to", "should"}:
        head = re.split(r"\b(?:that|said|,)\s+", sentence[: m.start()])[-1].strip()
        head = re.sub(r"^(?:the|and)\s+", "", head)
        pronoun = re.match(r"(?i)(he|she|it|we|i|they|you|this|that|nobody|no one|everyone|anyone)\b", head)
        if (
            head
            and len(head.split()) <= 5
            and not pronoun
            and re.match(r"[A-Z]", head)
            and not re.search(r"[“”\"’‘]", head)
        ):
            target = re.split(r"\s+and\s+", head)[0]
    obj = _DEMAND_OBJECT.match(sentence, m.end())
    if target is None and obj and cue.startswith(("demand", "urg", "call", "insist", "require")):
        target = obj.group("who")
    return DemandParts(cue, what, target, cue_at=m.start())


# "demanded that Ostmark withdraw", "urged the rebels to", "called on Kyiv to"
_DEMAND_OBJECT = re.compile(
    r"\s+(?:that\s+|on\s+)?(?:the\s+)?(?P<who>[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*){0,3}"
    r"(?:\s+(?:countries|nations|states|governments|leaders|officials|authorities|allies|partners))?)"
    r"\s+(?:to\s+)?[a-z]"
)

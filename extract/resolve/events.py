"""Cross-article events: one record for the same meeting, statement or demand reported by several articles.

Per-article items are left intact; an `Event` points back to each of them (`sources`) with their evidence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from schemas import ArticleExtraction, Demand, EventCode, Evidence, Meeting, Statement

from ..analysis.dates import resolve_date
from ..analysis.gazetteer import Gazetteer
from .resolve import ActorResolution, resolve_actors

__all__ = ["Event", "Source", "merge_events"]

Kind = Literal["meeting", "statement", "demand"]
# stages of one meeting's life: reported planned in one article and held in another, it is one event
_STAGE = {"proposed": 0, "planned": 1, "declined": 2, "held": 3}
_ANAPHOR = (
    "the meeting",
    "that meeting",
    "this meeting",
    "the talks",
    "these talks",
    "the discussions",
    "these discussions",
    "the conversation",
    "the lunch",
    "the dinner",
    "the call",
    "the visit",
)


class Source(BaseModel):
    """One per-article item reporting the event."""

    article: str
    kind: Kind
    index: int = Field(description="Index of the item in the article's list of that kind.")
    status: str | None = None
    date_text: str | None = None
    evidence: list[Evidence]


class Event(BaseModel):
    """One real-world event with every article that reports it."""

    id: str = Field(description="Stable id: a hash of the event's first source (article, kind, index).")
    kind: Kind
    participants: list[str] = Field(description="Resolved actor ids (meeting participants; speaker; by, of).")
    status: str | None = Field(default=None, description="Meetings: the latest stage reported.")
    statuses: list[str] = Field(default_factory=list, description="Every status reported, in source order.")
    date: str | None = Field(default=None, description="The most precise ISO date or month the sources give.")
    date_text: list[str] = Field(default_factory=list, description="Dates as written in the sources.")
    location: str | None = None
    summary: str | None = Field(default=None, description="Topic, quote or demand of the first source.")
    codes: EventCode | None = None
    articles: list[str] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


@dataclass
class _Item:
    article: str
    kind: Kind
    index: int
    item: Meeting | Statement | Demand
    actors: list[str]  # resolved ids
    persons: frozenset[str]
    date: str | None
    month: str | None  # month word of date_text, when no ISO date


@dataclass
class _Group:
    items: list[_Item] = field(default_factory=list)

    @property
    def articles(self) -> set[str]:
        return {i.article for i in self.items}


def _month_word(text: str | None) -> str | None:
    words = (text or "").lower().split()
    months = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
    return next((w for w in words if w in months), None)


def _dates_agree(a: _Item, b: _Item) -> bool | None:
    """True/False when both carry a date, None when either is silent."""
    if a.date and b.date:
        return a.date.startswith(b.date) or b.date.startswith(a.date)
    if a.month and b.month:
        return a.month == b.month
    return None


def _places_agree(a: Meeting, b: Meeting) -> bool | None:
    if not a.location or not b.location:
        return None
    return fuzz.partial_ratio(a.location.lower(), b.location.lower()) >= 80


def _stages_agree(a: str, b: str) -> bool:
    return a == b or {a, b} != {"held", "declined"}


def _same_meeting(a: _Item, b: _Item) -> bool:
    """The cross-article rule (see `merge_events`)."""
    ma, mb = a.item, b.item
    assert isinstance(ma, Meeting) and isinstance(mb, Meeting)
    if not _stages_agree(ma.status, mb.status):
        return False
    when, where = _dates_agree(a, b), _places_agree(ma, mb)
    if when is False or where is False:
        return False
    shared = a.persons & b.persons
    if not shared or len(shared) / min(len(a.persons), len(b.persons)) < 0.5:
        return False
    return len(shared) >= 2 or when is True or where is True


def _same_statement(a: _Item, b: _Item) -> bool:
    sa, sb = a.item, b.item
    assert isinstance(sa, Statement) and isinstance(sb, Statement)
    return (
        a.actors[:1] == b.actors[:1]
        and bool(sa.quote and sb.quote)
        and len((sa.quote or "").split()) >= 4
        and fuzz.token_set_ratio(sa.quote or "", sb.quote or "") >= 90
    )


def _same_demand(a: _Item, b: _Item) -> bool:
    da, db = a.item, b.item
    assert isinstance(da, Demand) and isinstance(db, Demand)
    return (
        a.actors == b.actors
        and len(da.demand.split()) >= 3
        and fuzz.token_set_ratio(da.demand, db.demand) >= 90
    )


def _anaphoric(m: Meeting) -> bool:
    text = " ".join(e.text for e in m.evidence).lower()
    return not m.date and not m.location and any(p in text for p in _ANAPHOR)


def merge_events(
    extractions: Sequence[tuple[str, ArticleExtraction]],
    *,
    resolution: ActorResolution | None = None,
    gazetteer: Gazetteer | None = None,
    published: Mapping[str, date | None] | None = None,
) -> list[Event]:
    """Merge the items of several articles into events; each item belongs to exactly one event.

    Meetings — within one article, a meeting with no date or place of its own whose evidence points back
    ("participated in the meeting", "these discussions") joins the nearest earlier meeting of that article
    with a compatible status. Across articles, two meetings are one event when ALL hold: (1) their statuses
    are stages of one life (proposed/planned → held or declined; never held vs declined); (2) their dates do
    not conflict (ISO prefix, else the month word of `date_text`) and their places do not conflict
    (rapidfuzz partial_ratio ≥ 80); (3) they share a resolved person, covering ≥ 50% of the smaller person
    set; (4) the evidence is more than one shared name: ≥ 2 shared people, or an agreeing date, or an
    agreeing place. A meeting joins the first event where it agrees with one member and conflicts with none.
    Statements merge when the speaker is the same actor and the quotes (≥ 4 words) match at
    token_set_ratio ≥ 90; demands when by/of are the same actors and the paraphrases (≥ 3 words) match ≥ 90.
    """
    res = resolution or resolve_actors(extractions, gazetteer=gazetteer)
    pub = published or {}
    groups: list[_Group] = []
    for kind in ("meeting", "statement", "demand"):
        items = [
            _make(article, kind, i, it, res, pub.get(article))
            for article, result in extractions
            for i, it in enumerate(getattr(result, kind + "s"))
        ]
        same = {"meeting": _same_meeting, "statement": _same_statement, "demand": _same_demand}[kind]
        kind_groups: list[_Group] = []
        for item in items:
            home = None
            if kind == "meeting" and _anaphoric(item.item):  # type: ignore[arg-type]
                home = _antecedent(kind_groups, item)
            if home is None:
                home = next(
                    (
                        g
                        for g in kind_groups
                        if item.article not in g.articles
                        and any(same(item, o) for o in g.items)
                        and all(not _conflicts(item, o) for o in g.items)
                    ),
                    None,
                )
            if home is None:
                home = _Group()
                kind_groups.append(home)
            home.items.append(item)
        groups += kind_groups
    return [_event(g, res) for g in groups]


def _antecedent(groups: list[_Group], item: _Item) -> _Group | None:
    best: tuple[int, _Group] | None = None
    for g in groups:
        for o in g.items:
            if o.article != item.article or o.item.evidence[0].start >= item.item.evidence[0].start:
                continue
            assert isinstance(o.item, Meeting) and isinstance(item.item, Meeting)
            if not _stages_agree(o.item.status, item.item.status):
                continue
            if best is None or o.item.evidence[0].start > best[0]:
                best = (o.item.evidence[0].start, g)
    return best[1] if best else None


def _conflicts(a: _Item, b: _Item) -> bool:
    if a.kind != "meeting":
        return False
    assert isinstance(a.item, Meeting) and isinstance(b.item, Meeting)
    return (
        not _stages_agree(a.item.status, b.item.status)
        or _dates_agree(a, b) is False
        or _places_agree(a.item, b.item) is False
    )


def _make(
    article: str, kind: Kind, index: int, item: Any, res: ActorResolution, published: date | None
) -> _Item:
    if isinstance(item, Meeting):
        actors = [res.id_of(article, p) for p in item.participants]
    elif isinstance(item, Statement):
        actors = [res.id_of(article, item.speaker)]
    else:
        actors = [res.id_of(article, item.by)] + ([res.id_of(article, item.of)] if item.of else [])
    actors = list(dict.fromkeys(actors))
    persons = frozenset(a for a in actors if res.actors[a].kind == "person")
    when, text = getattr(item, "date", None), getattr(item, "date_text", None)
    if when is None and text and published is not None:
        when = resolve_date(text, published=published)[0]
    return _Item(article, kind, index, item, actors, persons, when, _month_word(text) if not when else None)


def _event(g: _Group, res: ActorResolution) -> Event:
    first = g.items[0]
    actors = list(dict.fromkeys(a for i in g.items for a in i.actors))
    sources = [
        Source(
            article=i.article,
            kind=i.kind,
            index=i.index,
            status=getattr(i.item, "status", None),
            date_text=getattr(i.item, "date_text", None),
            evidence=i.item.evidence,
        )
        for i in g.items
    ]
    statuses = [s.status for s in sources if s.status]
    status = max(statuses, key=lambda s: _STAGE[s]) if statuses else None
    decisive = next((i.item for i in g.items if getattr(i.item, "status", None) == status), first.item)
    dates = sorted({i.date for i in g.items if i.date}, key=len, reverse=True)
    it = first.item
    summary = (
        it.topic
        if isinstance(it, Meeting)
        else (it.quote or it.summary)
        if isinstance(it, Statement)
        else (it.demand if isinstance(it, Demand) else None)
    )
    ref = f"{first.article}:{first.kind}:{first.index}"
    return Event(
        id=f"{first.kind}-{hashlib.sha1(ref.encode()).hexdigest()[:10]}",
        kind=first.kind,
        participants=actors,
        status=status,
        statuses=statuses,
        date=dates[0] if dates else None,
        date_text=list(dict.fromkeys(s.date_text for s in sources if s.date_text)),
        location=next(
            (i.item.location for i in g.items if isinstance(i.item, Meeting) and i.item.location), None
        ),
        summary=summary,
        codes=decisive.codes,
        articles=list(dict.fromkeys(i.article for i in g.items)),
        sources=sources,
    )

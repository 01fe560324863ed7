"""Actors across a batch of articles: one stable id per real person, group or state.

Per article, each (surface, canonical) pair from extract/analysis/actors.py is looked up in the gazetteer (aliases,
close spellings, then role phrases and fuzzy surnames among the people the same article names). What the
gazetteer does not know is clustered over the batch: full names merge when their surnames agree (ratio ≥ 90),
their given names agree (ratio ≥ 80 or the same initial) and their role/country do not conflict; a surname
alone joins the one person of the batch with that surname. Two candidates or more: the mention stays its own
actor and the case is listed in `ambiguities` — two different people are never merged silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field
from rapidfuzz import fuzz

from schemas import Actor, ArticleExtraction

from ..analysis.gazetteer import Gazetteer, load_gazetteer, normalize_name

__all__ = [
    "ActorResolution",
    "Ambiguity",
    "ResolvedActor",
    "iter_actors",
    "resolve_actors",
    "resolve_extraction",
]

_GROUP_WORDS = re.compile(
    r"(?i)\b(?:officials?|advisers|advisors|senators|representatives|members|sources|authorities|administration|"
    r"government|delegation|ministry|department|embassy|council|group|leaders|individuals|figures)\b"
)


ActorKind = Literal["person", "country", "organization", "group"]


class ResolvedActor(BaseModel):
    """One real actor of the batch, with every surface name it was written as."""

    id: str = Field(description="Stable id: the gazetteer id, else a slug of the canonical name.")
    canonical: str
    kind: ActorKind
    role: str | None = None
    country: str | None = None
    qid: str | None = Field(default=None, description="Wikidata id, from the gazetteer only.")
    source: Literal["gazetteer", "batch"]
    names: list[str] = Field(default_factory=list, description="Surface names seen, in order.")
    articles: list[str] = Field(default_factory=list, description="Articles naming it.")


class Ambiguity(BaseModel):
    """A mention that could be several actors; it was kept apart."""

    article: str
    name: str
    candidates: list[str]
    reason: str


@dataclass
class ActorResolution:
    actors: dict[str, ResolvedActor] = field(default_factory=dict)
    ambiguities: list[Ambiguity] = field(default_factory=list)
    index: dict[tuple[str, str, str | None], str] = field(default_factory=dict)

    def id_of(self, article: str, actor: Actor) -> str:
        return self.index[(article, actor.name, actor.canonical)]

    def actor(self, article: str, actor: Actor) -> ResolvedActor:
        return self.actors[self.id_of(article, actor)]

    def resolved(self, article: str, actor: Actor) -> Actor:
        """`actor` with the batch's canonical name, and role/country filled where it had none."""
        r = self.actor(article, actor)
        return actor.model_copy(
            update={
                "canonical": r.canonical,
                "role": actor.role or r.role,
                "country": actor.country or r.country,
            }
        )


def iter_actors(result: ArticleExtraction) -> Iterator[Actor]:
    for m in result.meetings:
        yield from m.participants
    for s in result.statements:
        yield s.speaker
    for d in result.demands:
        yield d.by
        if d.of is not None:
            yield d.of


_ROLE_WORDS = {
    "president",
    "minister",
    "ambassador",
    "secretary",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "envoy",
    "chancellor",
    "diplomat",
    "senator",
    "foreign",
    "prime",
    "vice",
    "head",
    "chief",
    "adviser",
    "advisor",
    "director",
    "official",
    "leader",
    "king",
    "queen",
    "general",
    "former",
    "the",
    "premier",
    "dictator",
}


def _is_person_name(text: str) -> bool:
    words = text.replace("’", "'").split()
    if not 1 <= len(words) <= 4 or not all(w[:1].isupper() for w in words) or _GROUP_WORDS.search(text):
        return False
    return not {w.lower().removesuffix("'s") for w in words} & _ROLE_WORDS


def _query(actor: Actor) -> tuple[str, str | None]:
    """The name to resolve, and a note when the article-level canonical was overruled.

    A full personal name written in the article outranks a canonical with another given name or surname:
    the in-article resolver may have folded 'Thomas Graham' into 'Lindsey Graham'."""
    name, canon = actor.name, actor.canonical
    if not canon:
        return name, None
    n, c = normalize_name(name).split(), normalize_name(canon).split()
    if (
        _is_person_name(name)
        and len(n) >= 2
        and len(c) >= 2
        and (fuzz.ratio(n[-1], c[-1]) < 80 or fuzz.ratio(n[0], c[0]) < 60)
    ):
        return name, f"'{name}' was resolved to '{canon}' in its article; kept as written"
    return canon, None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "'").replace("'s", "")).strip("-") or "actor"


@dataclass
class _Cluster:
    canonical: str
    kind: Literal["person", "group"]
    role: str | None = None
    country: str | None = None
    names: list[str] = field(default_factory=list)
    keys: list[tuple[str, str, str | None]] = field(default_factory=list)


def _compatible(a: _Cluster, name: str, role: str | None, country: str | None) -> bool:
    x, y = normalize_name(a.canonical).split(), normalize_name(name).split()
    if fuzz.ratio(x[-1], y[-1]) < 90:
        return False
    if len(x) >= 2 and len(y) >= 2:
        gx, gy = x[0].rstrip("."), y[0].rstrip(".")
        initial = (len(gx) == 1 or len(gy) == 1) and gx[:1] == gy[:1]
        if fuzz.ratio(gx, gy) < 80 and not initial:
            return False
    if a.country and country and a.country != country:
        return False
    return not (a.role and role and fuzz.token_set_ratio(a.role.lower(), role.lower()) < 50)


def resolve_actors(
    extractions: Sequence[tuple[str, ArticleExtraction]], *, gazetteer: Gazetteer | None = None
) -> ActorResolution:
    """Resolve every actor of every item of the batch to one `ResolvedActor` with a stable id."""
    gaz = gazetteer if gazetteer is not None else load_gazetteer()
    out = ActorResolution()
    pending: list[tuple[str, Actor, str]] = []  # unresolved: (article, actor, query)

    def bind(article: str, actor: Actor, rid: str, make: ResolvedActor) -> None:
        r = out.actors.setdefault(rid, make)
        _add(r.names, actor.name)
        _add(r.articles, article)
        out.index[(article, actor.name, actor.canonical)] = rid

    def from_entry(entry_id: str) -> ResolvedActor:
        e = gaz.get(entry_id)
        kinds: dict[str, ActorKind] = {"person": "person", "country": "country", "group": "group"}
        return ResolvedActor(
            id=e.id,
            canonical=e.canonical,
            kind=kinds.get(e.kind, "organization"),
            role=e.role,
            country=e.country,
            qid=e.qid,
            source="gazetteer",
        )

    for article, result in extractions:
        seen: dict[tuple[str, str | None], Actor] = {}
        for a in iter_actors(result):
            seen.setdefault((a.name, a.canonical), a)
        present: set[str] = set()
        later: list[tuple[Actor, str]] = []
        for a in seen.values():
            query, note = _query(a)
            if note:
                out.ambiguities.append(
                    Ambiguity(article=article, name=a.name, candidates=[a.canonical or ""], reason=note)
                )
            m = gaz.match(query)
            if m.entry is None and query != a.name:
                m2 = gaz.match(a.name)
                m = m2 if m2.entry is not None else m
            if m.entry is not None:
                present.add(m.entry.id)
                bind(article, a, m.entry.id, from_entry(m.entry.id))
            else:
                if m.how == "ambiguous":
                    out.ambiguities.append(
                        Ambiguity(
                            article=article,
                            name=query,
                            candidates=list(m.candidates),
                            reason="several gazetteer entries fit; kept apart",
                        )
                    )
                later.append((a, query))
        for a, query in later:  # context-dependent: fuzzy surnames and role phrases among present people
            m = gaz.match(query, present=present)
            if m.entry is None and not _is_person_name(query):
                m = gaz.by_role(a.name if _is_person_name(query) else query, present=present)
            if m.entry is not None:
                bind(article, a, m.entry.id, from_entry(m.entry.id))
            else:
                pending.append((article, a, query))

    _cluster(out, pending)
    return out


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def _cluster(out: ActorResolution, pending: list[tuple[str, Actor, str]]) -> None:
    clusters: list[_Cluster] = []
    people = sorted(pending, key=lambda p: -len(p[2].split()))  # full names first, surnames join them after
    for article, a, query in people:
        key = (article, a.name, a.canonical)
        if not _is_person_name(query):
            norm = normalize_name(query)
            c = next((c for c in clusters if c.kind == "group" and normalize_name(c.canonical) == norm), None)
            if c is None:
                c = _Cluster(query, "group")
                clusters.append(c)
        else:
            fits: list[_Cluster | ResolvedActor] = [
                c for c in clusters if c.kind == "person" and _compatible(c, query, a.role, a.country)
            ]
            fits += [
                r
                for r in out.actors.values()
                if r.kind == "person"
                and len(query.split()) == 1
                and normalize_name(r.canonical).split()[-1] == normalize_name(query)
            ]
            if len(fits) > 1:
                out.ambiguities.append(
                    Ambiguity(
                        article=article,
                        name=query,
                        reason="several people of the batch share this name; kept apart",
                        candidates=[f.canonical for f in fits],
                    )
                )
                fits = []
            first = fits[0] if fits else None
            if isinstance(first, ResolvedActor):
                _add(first.names, a.name)
                _add(first.articles, article)
                out.index[key] = first.id
                continue
            if first is None:
                c = _Cluster(query, "person", a.role, a.country)
                clusters.append(c)
            else:
                c = first
        _add(c.names, a.name)
        c.keys.append(key)
        c.role, c.country = c.role or a.role, c.country or a.country
    for c in clusters:
        rid = base = _slug(c.canonical)
        n = 2
        while rid in out.actors:
            rid, n = f"{base}-{n}", n + 1
        articles = list(dict.fromkeys(k[0] for k in c.keys))
        out.actors[rid] = ResolvedActor(
            id=rid,
            canonical=c.canonical,
            kind=c.kind,
            role=c.role,
            country=c.country,
            source="batch",
            names=c.names,
            articles=articles,
        )
        for k in c.keys:
            out.index[k] = rid


def resolve_extraction(
    article: str, result: ArticleExtraction, resolution: ActorResolution
) -> ArticleExtraction:
    """A copy of `result` whose actors carry the batch's canonical names (surfaces kept in `name`)."""

    def r(a: Actor) -> Actor:
        return resolution.resolved(article, a)

    return result.model_copy(
        update={
            "meetings": [
                m.model_copy(update={"participants": [r(p) for p in m.participants]}) for m in result.meetings
            ],
            "statements": [s.model_copy(update={"speaker": r(s.speaker)}) for s in result.statements],
            "demands": [
                d.model_copy(update={"by": r(d.by), "of": r(d.of) if d.of else None}) for d in result.demands
            ],
        }
    )

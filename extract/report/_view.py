"""What the batch report shows, as plain data: the page template and its script only lay it out.

Ids tie the pieces together: article `a{n}`, item `a{n}-{m|s|d}{k}`, evidence `a{n}-{m|s|d}{k}-ev{j}`. A
highlighted piece of text lists every evidence id that covers it, so overlapping spans stay whole.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from schemas import Actor, Demand, Evidence, Meeting, Statement

from ..batch.store import BatchRecord

__all__ = ["Article", "Item", "Piece", "Table", "View", "build_view"]

KIND = {"meeting": "m", "statement": "s", "demand": "d"}
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass
class Piece:
    """A stretch of article text covered by the same evidence spans (none: plain text)."""

    text: str
    evidence: list[str] = field(default_factory=list)  # ids of the spans covering it, innermost first
    kind: str = ""  # m/s/d of the innermost span's item
    item: str = ""  # the innermost span's item
    anchors: list[str] = field(default_factory=list)  # evidence ids that start here


@dataclass
class Item:
    id: str
    kind: str  # meeting/statement/demand
    label: str
    evidence: list[tuple[str, Evidence]]  # (evidence id, span) found in the text at its offsets
    misplaced: int = 0  # spans whose offsets do not hold their text: not highlighted

    @property
    def code(self) -> str:
        return KIND[self.kind]


@dataclass
class Article:
    anchor: str
    record: BatchRecord
    items: list[Item]
    pieces: list[Piece]


@dataclass
class Table:
    name: str
    header: list[str]
    rows: list[tuple[list[str], str, str]]  # cells, article id, item or article anchor

    @property
    def csv_href(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([*self.header, "article"])
        writer.writerows([*cells, article] for cells, article, _ in self.rows)
        return "data:text/csv;charset=utf-8," + quote(buf.getvalue())


@dataclass
class View:
    articles: list[Article]
    tables: list[Table]
    graph: dict[str, Any]  # nodes (actors) and edges (meetings) for the network picture
    timeline: list[dict[str, Any]]  # dated meetings
    counts: dict[str, int]


def who(actor: Actor | None) -> str:
    if actor is None:
        return ""
    name = actor.canonical or actor.name
    return f"{name} ({actor.role})" if actor.role else name


def actor_key(actor: Actor) -> str:
    """One node per actor: the resolved name when there is one, compared without case."""
    return " ".join((actor.canonical or actor.name).split()).casefold()


def describe(item: Meeting | Statement | Demand) -> str:
    if isinstance(item, Meeting):
        where = f" in {item.location}" if item.location else ""
        when = f" on {item.date or item.date_text}" if (item.date or item.date_text) else ""
        return f"[{item.status}] {' · '.join(who(p) for p in item.participants)}{where}{when}"
    if isinstance(item, Statement):
        said = f"“{item.quote}”" if item.quote else (item.summary or "(reported speech)")
        return f"{who(item.speaker)}: {said}"
    return f"{who(item.by)}{' → ' + who(item.of) if item.of else ''}: {item.demand}"


def _items(rec: BatchRecord) -> list[tuple[str, Meeting | Statement | Demand]]:
    r = rec.result
    if r is None or rec.status != "ok":
        return []
    return (
        [("meeting", m) for m in r.meetings]
        + [("statement", s) for s in r.statements]
        + [("demand", d) for d in r.demands]
    )


def _article(n: int, rec: BatchRecord) -> tuple[Article, list[tuple[Item, Meeting | Statement | Demand]]]:
    anchor, text = f"a{n}", rec.text
    items, pairs = [], []
    for k, (kind, raw) in enumerate(_items(rec)):
        item = Item(f"{anchor}-{KIND[kind]}{k}", kind, describe(raw), [])
        for j, ev in enumerate(raw.evidence):
            if 0 <= ev.start < ev.end <= len(text) and text[ev.start : ev.end] == ev.text:
                item.evidence.append((f"{item.id}-ev{j}", ev))
            else:
                item.misplaced += 1
        items.append(item)
        pairs.append((item, raw))
    return Article(anchor, rec, items, _pieces(text, items)), pairs


def _pieces(text: str, items: list[Item]) -> list[Piece]:
    spans = [(ev.start, ev.end, eid, item) for item in items for eid, ev in item.evidence]
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    starts: dict[int, list[str]] = {}
    for start, _, eid, _ in spans:
        starts.setdefault(start, []).append(eid)
    pieces = []
    for a, b in itertools.pairwise(cuts):
        covering = sorted((s for s in spans if s[0] <= a and b <= s[1]), key=lambda s: s[1] - s[0])
        piece = Piece(text[a:b], [s[2] for s in covering], anchors=starts.get(a, []))
        if covering:
            piece.kind, piece.item = KIND[covering[0][3].kind], covering[0][3].id
        pieces.append(piece)
    return pieces


def _graph(meetings: list[tuple[Item, Meeting, str]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    nodes: dict[str, dict[str, Any]] = {}
    names: dict[str, Counter[str]] = {}
    edges: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    for item, m, article in meetings:
        ends = []
        for p in m.participants:
            key = actor_key(p)
            if key not in nodes:
                nodes[key] = {"id": f"n{len(nodes)}", "meetings": 0, "articles": []}
                names[key] = Counter()
            names[key][p.canonical or p.name] += 1
            if nodes[key]["id"] not in ends:
                ends.append(nodes[key]["id"])
                nodes[key]["meetings"] += 1
                if article not in nodes[key]["articles"]:
                    nodes[key]["articles"].append(article)
        info = {"item": item.id, "status": m.status, "label": item.label, "article": article}
        if ends:
            edges.append({"id": f"e{len(edges)}", "nodes": ends, **info})
        found = _DATE.match(m.date or "")
        if found:
            timeline.append({"date": m.date, "precision": "day" if found[3] else "month", **info})
    for key, node in nodes.items():
        node["label"] = names[key].most_common(1)[0][0]
    unplaced = len(meetings) - len(edges)
    return {"nodes": list(nodes.values()), "edges": edges, "unplaced": unplaced}, timeline


def build_view(records: Iterable[BatchRecord]) -> View:
    recs = sorted(records, key=lambda r: r.id)
    articles = []
    meetings: list[tuple[Item, Meeting, str]] = []
    rows: dict[str, list[tuple[list[str], str, str]]] = {"meetings": [], "statements": [], "demands": []}
    for n, rec in enumerate(recs):
        article, pairs = _article(n, rec)
        articles.append(article)
        for item, raw in pairs:
            ev = raw.evidence[0].text
            if isinstance(raw, Meeting):
                meetings.append((item, raw, rec.id))
                cells = [" · ".join(who(p) for p in raw.participants), raw.status]
                cells += [raw.date or raw.date_text or "", raw.location or "", ev]
                rows["meetings"].append((cells, rec.id, item.id))
            elif isinstance(raw, Statement):
                kind = "direct" if raw.direct else "reported"
                rows["statements"].append(([who(raw.speaker), raw.quote or ev, kind], rec.id, item.id))
            else:
                rows["demands"].append(([who(raw.by), who(raw.of), raw.demand, ev], rec.id, item.id))
    for name in ("statements", "demands"):  # by speaker / party
        rows[name].sort(key=lambda r: (r[0][0].lower(), r[1], r[2]))
    failures = [
        (
            [a.record.id, a.record.error.kind, a.record.error.message, str(a.record.error.attempts)],
            a.record.id,
            a.anchor,
        )
        for a in articles
        if a.record.status == "error" and a.record.error is not None
    ]
    graph, timeline = _graph(meetings)
    status = Counter(r.status for r in recs)
    counts = {
        "articles": len(recs),
        "ok": status["ok"],
        "failed": status["error"],
        "duplicates": status["duplicate"],
        **{name: len(r) for name, r in rows.items()},
        "undated": len(meetings) - len(timeline),
    }
    tables = [
        Table("meetings", ["participants", "status", "date", "location", "evidence"], rows["meetings"]),
        Table("statements", ["speaker", "quote or evidence", "kind"], rows["statements"]),
        Table("demands", ["by", "of", "demand", "evidence"], rows["demands"]),
        Table("failures", ["id", "kind", "message", "attempts"], failures),
    ]
    return View(articles, tables, graph, sorted(timeline, key=lambda t: t["date"]), counts)

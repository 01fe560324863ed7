"""A single self-contained HTML page to check a batch by reading it.

Per article: the stored text with every evidence span highlighted, each highlight linked to the item it
supports and each item linked back to its spans. Above that: who met whom, all statements by speaker and all
demands by party, each table with a CSV download (a data: URI, so the page needs no server and no script).
"""

from __future__ import annotations

import csv
import html
import io
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from schemas import Actor, Demand, Meeting, Statement

from ..batch.store import BatchRecord

__all__ = ["render_report", "write_report"]

_KIND = {"meeting": "m", "statement": "s", "demand": "d"}
_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d0dc}nav a{color:#9ec5ff;margin-right:16px}
main{padding:8px 28px 40px;max-width:1500px}h2{margin:28px 0 8px;font-size:18px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13.5px;margin-bottom:6px}
th,td{border:1px solid #dde1e7;padding:5px 8px;text-align:left;vertical-align:top}th{background:#eef1f5}
.csv{font-size:13px;display:inline-block;margin:0 0 10px}.muted{color:#6b7385}
section.article{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:18px 0;padding:12px 18px}
section.article h3{margin:2px 0 6px;font-size:16px}.cols{display:grid;grid-template-columns:3fr 2fr;gap:22px}
.text{white-space:pre-wrap;font-family:Georgia,serif;font-size:14.5px;line-height:1.6}
mark{padding:1px 0;border-radius:2px}mark a{color:inherit;text-decoration:none}
mark.m{background:#cfe3ff}mark.s{background:#d4f2d2}mark.d{background:#ffe1bf}
mark.multi{outline:1px dashed #8a6d00}
mark:target,li:target{outline:2px solid #d62d20;background:#fff3a8}
ol.items{padding-left:20px;margin:0;font-size:13.5px}ol.items li{margin:0 0 8px}
.tag{display:inline-block;font-size:11px;font-weight:600;padding:0 6px;border-radius:8px;margin-right:4px}
.tag.m{background:#cfe3ff}.tag.s{background:#d4f2d2}.tag.d{background:#ffe1bf}.tag.err{background:#ffd0cc}
.err{color:#a4161a}
"""


def _who(actor: Actor | None) -> str:
    if actor is None:
        return ""
    name = actor.canonical or actor.name
    return f"{name} ({actor.role})" if actor.role else name


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _csv_link(name: str, header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    href = "data:text/csv;charset=utf-8," + quote(buf.getvalue())
    return f'<a class="csv" download="{_e(name)}.csv" href="{href}">⬇ {_e(name)}.csv ({len(rows)} rows)</a>'


def _table(name: str, header: list[str], rows: list[tuple[list[str], str, str]]) -> str:
    """`rows`: (cells, article id, anchor of the item): the CSV gets the text, the page also gets a link."""
    out = [_csv_link(name, [*header, "article"], [[*cells, article] for cells, article, _ in rows])]
    out.append(
        "<table><thead><tr>" + "".join(f"<th>{_e(h)}</th>" for h in [*header, "source"]) + "</tr></thead>"
    )
    for cells, article, link in rows:
        tds = "".join(f"<td>{_e(c)}</td>" for c in cells)
        out.append(f'<tr>{tds}<td><a href="#{link}">{_e(article)}</a></td></tr>')
    if not rows:
        out.append(f'<tr><td colspan="{len(header) + 1}" class="muted">none</td></tr>')
    return "\n".join([*out, "</table>"])


def _anchor(n: int) -> str:
    return f"a{n}"


def _items(rec: BatchRecord) -> list[tuple[str, Any]]:
    if rec.result is None:
        return []
    r = rec.result
    return (
        [("meeting", m) for m in r.meetings]
        + [("statement", s) for s in r.statements]
        + [("demand", d) for d in r.demands]
    )


def _item_id(n: int, kind: str, k: int) -> str:
    return f"{_anchor(n)}-{_KIND[kind]}{k}"


def _describe(kind: str, item: Any) -> str:
    if isinstance(item, Meeting):
        where = f" in {item.location}" if item.location else ""
        when = f" on {item.date or item.date_text}" if (item.date or item.date_text) else ""
        return f"[{item.status}] {' · '.join(_who(p) for p in item.participants)}{where}{when}"
    if isinstance(item, Statement):
        said = f"“{item.quote}”" if item.quote else (item.summary or "(reported speech)")
        return f"{_who(item.speaker)}: {said}"
    assert isinstance(item, Demand)
    return f"{_who(item.by)}{' → ' + _who(item.of) if item.of else ''}: {item.demand}"


def _highlight(n: int, rec: BatchRecord) -> str:
    """The text with one <mark> per stretch covered by the same set of evidence spans."""
    text = rec.text
    spans: list[tuple[int, int, str, str]] = []  # start, end, kind, item id
    for k, (kind, item) in enumerate(_items(rec)):
        for ev in item.evidence:
            if 0 <= ev.start < ev.end <= len(text):
                spans.append((ev.start, ev.end, kind, _item_id(n, kind, k)))
    cuts = sorted({0, len(text), *(s for s, _, _, _ in spans), *(e for _, e, _, _ in spans)})
    out, first_seen = [], set()
    for a, b in itertools.pairwise(cuts):
        covering = [s for s in spans if s[0] <= a and b <= s[1]]
        piece = _e(text[a:b])
        if not covering:
            out.append(piece)
            continue
        covering.sort(key=lambda s: s[1] - s[0])  # the innermost span decides colour and link
        start, _, kind, item_id = covering[0]
        anchor = f"{item_id}-ev{start}"
        ident = f' id="{anchor}"' if anchor not in first_seen else ""
        first_seen.add(anchor)
        title = "; ".join(dict.fromkeys(s[3] for s in covering))
        cls = _KIND[kind] + (" multi" if len({s[3] for s in covering}) > 1 else "")
        out.append(f'<mark class="{cls}"{ident} title="{_e(title)}"><a href="#{item_id}">{piece}</a></mark>')
    return "".join(out)


def _article(n: int, rec: BatchRecord) -> str:
    head = f'<section class="article" id="{_anchor(n)}"><h3>{_e(rec.title or rec.id)}</h3><p class="muted">'
    head += " · ".join(_e(x) for x in (rec.id if rec.title else None, rec.published, rec.status) if x)
    if rec.url:
        head += f' · <a href="{_e(rec.url)}">{_e(rec.url)}</a>'
    head += "</p>"
    if rec.status == "duplicate":
        return head + f"<p>Same content as <b>{_e(rec.duplicate_of)}</b>; not extracted twice.</p></section>"
    if rec.error is not None:
        head += f'<p class="err"><span class="tag err">{_e(rec.error.kind)}</span>{_e(rec.error.message)} '
        head += f"(attempts: {rec.error.attempts})</p>"
    items = []
    for k, (kind, item) in enumerate(_items(rec)):
        iid = _item_id(n, kind, k)
        links = " ".join(f'<a href="#{iid}-ev{ev.start}">[{ev.start}:{ev.end}]</a>' for ev in item.evidence)
        items.append(
            f'<li id="{iid}"><span class="tag {_KIND[kind]}">{kind}</span>{_e(_describe(kind, item))} '
            f'<span class="muted">{links}</span></li>'
        )
    listing = f'<ol class="items">{"".join(items)}</ol>' if items else '<p class="muted">No items.</p>'
    return (
        head
        + f'<div class="cols"><div class="text">{_highlight(n, rec)}</div>'
        + f"<div>{listing}</div></div></section>"
    )


def render_report(records: Iterable[BatchRecord], *, title: str = "parley batch report") -> str:
    """The whole page as a string."""
    recs = sorted(records, key=lambda r: r.id)
    meetings: list[tuple[list[str], str, str]] = []
    statements: list[tuple[str, list[str], str, str]] = []
    demands: list[tuple[str, list[str], str, str]] = []
    for n, rec in enumerate(recs):
        for k, (kind, item) in enumerate(_items(rec)):
            link = _item_id(n, kind, k)
            ev = item.evidence[0].text
            if isinstance(item, Meeting):
                when = item.date or item.date_text or ""
                who = " · ".join(_who(p) for p in item.participants)
                meetings.append(([who, item.status, when, item.location or "", ev], rec.id, link))
            elif isinstance(item, Statement):
                who = _who(item.speaker)
                kind_ = "direct" if item.direct else "reported"
                statements.append((who, [who, item.quote or ev, kind_], rec.id, link))
            else:
                who = _who(item.by)
                demands.append((who, [who, _who(item.of), item.demand, ev], rec.id, link))
    statements.sort(key=lambda r: (r[0].lower(), r[2], r[3]))
    demands.sort(key=lambda r: (r[0].lower(), r[2], r[3]))
    ok = sum(r.status == "ok" for r in recs)
    failed = [(n, r) for n, r in enumerate(recs) if r.status == "error"]
    dups = sum(r.status == "duplicate" for r in recs)
    failure_rows = [
        ([r.id, r.error.kind, r.error.message, str(r.error.attempts)], r.id, _anchor(n))
        for n, r in failed
        if r.error
    ]
    parts = [
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>",
        f"<meta name=viewport content='width=device-width'><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(title)}</h1><p>{len(recs)} articles: {ok} extracted, {len(failed)} failed, {dups} "
        f"duplicate · {len(meetings)} meetings, {len(statements)} statements, {len(demands)} demands</p>",
        '<nav><a href="#meetings">Who met whom</a><a href="#statements">Statements</a>'
        '<a href="#demands">Demands</a><a href="#failures">Failures</a><a href="#articles">Articles</a></nav>'
        "</header><main>",
        '<h2 id="meetings">Who met whom</h2>',
        _table("meetings", ["participants", "status", "date", "location", "evidence"], meetings),
        '<h2 id="statements">Statements by speaker</h2>',
        _table(
            "statements",
            ["speaker", "quote or evidence", "kind"],
            [(c, a, link) for _, c, a, link in statements],
        ),
        '<h2 id="demands">Demands by party</h2>',
        _table("demands", ["by", "of", "demand", "evidence"], [(c, a, link) for _, c, a, link in demands]),
        '<h2 id="failures">Failures</h2>',
        _table("failures", ["id", "kind", "message", "attempts"], failure_rows),
        '<h2 id="articles">Articles</h2>',
        *(_article(n, rec) for n, rec in enumerate(recs)),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(records: Iterable[BatchRecord], path: Path, *, title: str = "parley batch report") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(records, title=title), encoding="utf-8")
    return path

"""Batch records for the report tests: the seeds through `extract_articles`, plus one article written to hold
what the real ones may not (a three-party meeting, a one-party meeting, the same pair meeting twice, day and
month dates, nested and crossing evidence spans, markup in the text, a span whose offsets are wrong), one
failed article and one duplicate. Expectations are computed here from the records, not from the page."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extract.batch import BatchRecord, ErrorInfo, content_hash, extract_articles, read_results
from extract.settings import resolve_settings
from schemas import Actor, ArticleExtraction, Demand, Evidence, Meeting, Meta, Statement

__all__ = [
    "CRAFTED_ID",
    "EXPECTED_KINDS",
    "crafted_records",
    "evidence_by_id",
    "meeting_keys",
    "seed_records",
]

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CRAFTED_ID = "zz-crafted.txt"  # sorts last: the bottom of the page
EXPECTED_KINDS = {"meeting": "m", "statement": "s", "demand": "d"}
FILLER = "".join(
    f"Paragraph {n}: the delegations exchanged papers on border crossings, trade quotas and water rights.\n\n"
    for n in range(60)
)
TEXT = (
    "Foreign Minister Ana Kovac met Ivo Maric and Lea Horvat in Zagreb on 5 March 2024.\n\n"
    '"We <agreed> to keep talking & to meet again," Kovac said after the talks.\n\n'
    "Maric will visit Vienna in April 2024, the ministry said.\n\n"
    'Horvat demanded that Maric withdraw the "</script><b>draft</b>" memo before any new round.\n\n'
    "Kovac refused to meet Maric in Split.\n\n"
    + FILLER
    + "At the end, KOVAC met Maric again, briefly, on 20 May 2024.\n"
)


def _ev(fragment: str, *, occurrence: int = 0) -> Evidence:
    starts = [m.start() for m in re.finditer(re.escape(fragment), TEXT)]
    start = starts[occurrence]
    return Evidence(text=fragment, start=start, end=start + len(fragment))


def _meta() -> Meta:
    return Meta(
        model="test", base_url_host="embedded", strategy="rules-only", mode="tools", prompt_version="t",
        prompt_hash="t", schema_hash="t",
    )  # fmt: skip


def _actor(name: str, canonical: str | None = None) -> Actor:
    return Actor(name=name, canonical=canonical)


def crafted_records() -> list[BatchRecord]:
    kovac, maric, horvat = (
        _actor("Kovac", "Ana Kovac"),
        _actor("Maric", "Ivo Maric"),
        _actor("Horvat", "Lea Horvat"),
    )
    wrong = Evidence(text="Kovac met nobody", start=3, end=19)  # offsets that do not hold this text
    result = ArticleExtraction(
        meetings=[
            Meeting(participants=[kovac, maric, horvat], status="held", date="2024-03-05", location="Zagreb",
                    evidence=[_ev("Foreign Minister Ana Kovac met Ivo Maric and Lea Horvat in Zagreb on 5 March 2024.")]),
            Meeting(participants=[maric], status="planned", date="2024-04", location="Vienna",
                    evidence=[_ev("Maric will visit Vienna in April 2024")]),
            Meeting(participants=[kovac, maric], status="declined", location="Split",
                    evidence=[_ev("Kovac refused to meet Maric in Split.")]),
            Meeting(participants=[_actor("KOVAC", "ANA  KOVAC"), maric], status="held", date="2024-05-20",
                    evidence=[_ev("At the end, KOVAC met Maric again, briefly, on 20 May 2024.")]),
            Meeting(participants=[], status="proposed", evidence=[_ev("before any new round")]),
        ],
        statements=[
            Statement(speaker=kovac, quote="We <agreed> to keep talking & to meet again,", direct=True,
                      evidence=[_ev('"We <agreed> to keep talking & to meet again," Kovac said after the talks.')]),
            Statement(speaker=kovac, summary="talks go on", direct=False,
                      evidence=[_ev("keep talking & to meet again,\" Kovac said after the talks.\n\nMaric will")]),
        ],
        demands=[
            Demand(by=horvat, of=maric, demand="withdraw the memo",
                   evidence=[_ev('Horvat demanded that Maric withdraw the "</script><b>draft</b>" memo'), wrong]),
        ],
        meta=_meta(),
    )  # fmt: skip
    base: dict[str, Any] = {
        "text": TEXT,
        "content_hash": content_hash(TEXT, "2024-05-21"),
        "published": "2024-05-21",
    }
    return [
        BatchRecord(id=CRAFTED_ID, status="ok", result=result, title="Crafted <b>talks</b>", **base),
        BatchRecord(id="zz-copy.txt", status="duplicate", duplicate_of=CRAFTED_ID, **base),
        BatchRecord(
            id="zz-failed.txt", status="error", text="", content_hash="x",
            error=ErrorInfo(kind="ModelOutputInvalid", message="the answer was <not> JSON", attempts=3),
        ),
    ]  # fmt: skip


def seed_records(out: Path) -> list[BatchRecord]:
    """The seeds through the Python batch API (rules only: no model), saved in `out` as `parley batch` does."""
    articles = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(SEEDS.glob("*.txt"))]
    settings = resolve_settings({}, strategy="rules-only", cache=False)
    results = list(extract_articles(articles, out=out, settings=settings))
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    return list(read_results(out).values())


def _items(rec: BatchRecord) -> list[tuple[str, Any]]:
    r = rec.result
    if r is None or rec.status != "ok":
        return []
    return (
        [("meeting", m) for m in r.meetings]
        + [("statement", s) for s in r.statements]
        + [("demand", d) for d in r.demands]
    )


def evidence_by_id(records: Iterable[BatchRecord]) -> tuple[dict[str, str], dict[str, Meeting]]:
    """What the page must highlight: evidence id -> text (spans whose offsets hold their text), and the
    meetings by item id. Ids: article a{n} in id order, item a{n}-{m|s|d}{k}, evidence {item}-ev{j}."""
    spans, meetings = {}, {}
    for n, rec in enumerate(sorted(records, key=lambda r: r.id)):
        for k, (kind, item) in enumerate(_items(rec)):
            item_id = f"a{n}-{EXPECTED_KINDS[kind]}{k}"
            if kind == "meeting":
                meetings[item_id] = item
            for j, ev in enumerate(item.evidence):
                if rec.text[ev.start : ev.end] == ev.text:
                    spans[f"{item_id}-ev{j}"] = ev.text
    return spans, meetings


def meeting_keys(meeting: Meeting) -> set[str]:
    """A participant is one actor whatever the case or spacing of its resolved name."""
    return {" ".join((p.canonical or p.name).split()).casefold() for p in meeting.participants}

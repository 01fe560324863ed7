"""The batch report without a browser: what the page is made of (the browser tests check what it does)."""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

from extract.report import render_report
from extract.report._view import build_view
from tests.report_data import CRAFTED_ID, crafted_records

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "extract" / "report" / "templates"


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = render_report(crafted_records())
    parser = Elements()
    parser.feed(page)
    assert not [t for t, a in parser.tags if "src" in a or t in {"link", "img", "iframe", "object", "embed"}]
    assert not re.search(r"@import|url\(", page)
    assert [a.get("type") for t, a in parser.tags if t == "script"] == ["application/json", None]
    hrefs = [a["href"] or "" for t, a in parser.tags if t == "a" and "href" in a]
    assert all(h.startswith(("#", "data:text/csv")) for h in hrefs)  # links inside the page, and CSV files


def test_article_text_and_names_are_escaped_everywhere() -> None:
    page = render_report(crafted_records())
    assert "<b>draft</b>" not in page and "&lt;b&gt;draft&lt;/b&gt;" in page
    assert "Crafted &lt;b&gt;talks&lt;/b&gt;" in page and "the answer was &lt;not&gt; JSON" in page
    data = page.split('<script type="application/json" id="report-data">')[1].split("</script>")[0]
    assert "<" not in data  # the JSON cannot end its own element


def test_the_view_holds_the_network_the_timeline_and_the_spans() -> None:
    view = build_view(crafted_records())
    graph = view.graph
    assert sorted(n["label"] for n in graph["nodes"]) == ["Ana Kovac", "Ivo Maric", "Lea Horvat"]
    assert [len(e["nodes"]) for e in graph["edges"]] == [3, 1, 2, 2] and graph["unplaced"] == 1
    assert [(t["date"], t["precision"]) for t in view.timeline] == [
        ("2024-03-05", "day"),
        ("2024-04", "month"),
        ("2024-05-20", "day"),
    ]
    (crafted,) = [a for a in view.articles if a.record.id == CRAFTED_ID]
    assert "".join(p.text for p in crafted.pieces) == crafted.record.text  # nothing lost, nothing added
    demand = crafted.items[-1]
    assert demand.misplaced == 1 and len(demand.evidence) == 1  # the span at wrong offsets is not highlighted
    crossing = [p for p in crafted.pieces if len(p.evidence) > 1]
    assert crossing and all(p.item for p in crossing)
    assert view.counts == {
        "articles": 3, "ok": 1, "failed": 1, "duplicates": 1, "meetings": 5, "statements": 2, "demands": 1,
        "undated": 2,
    }  # fmt: skip


def test_tables_keep_their_csv_downloads() -> None:
    page = render_report(crafted_records())
    assert page.count("data:text/csv;charset=utf-8,") == 4
    assert "Lea%20Horvat" in page and "ModelOutputInvalid" in page


def test_an_empty_batch_still_renders() -> None:
    page = render_report([])
    assert "0 articles" in page and 'id="network-svg"' in page


def test_the_templates_ship_with_the_package() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["extract"]
    shipped = {p for pattern in patterns for p in (ROOT / "extract").glob(pattern)}
    assert {p for p in TEMPLATES.iterdir() if p.is_file()} <= shipped

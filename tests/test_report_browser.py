"""The batch report in a real browser: headless Chromium opens the file (offline), its script draws the network
and the timeline, and the DOM is checked after the script ran: one node per distinct actor, one edge per
meeting, every highlighted span equal to its evidence, and a click on an item marks its span. Screenshots are
saved in pytest's temporary folder (the path is printed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extract.batch import BatchRecord
from extract.report import write_report
from tests.chromium import Browser, find_chromium
from tests.report_data import CRAFTED_ID, crafted_records, evidence_by_id, meeting_keys, seed_records

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed: `apt-get install -y chromium` (Debian's package; .ci/run installs it)",
)

MARKED = """(() => { const out = {};
  document.querySelectorAll("mark[data-ev]").forEach(m => m.dataset.ev.split(" ").forEach(
    id => { out[id] = (out[id] || "") + m.textContent; }));
  return out; })()"""
EDGES = """Array.from(document.querySelectorAll("#network-svg path.edge")).map(p => ({
  item: p.dataset.item, nodes: p.dataset.nodes.split(" "), cls: p.getAttribute("class")}))"""
NODES = """Array.from(document.querySelectorAll("#network-svg g.node")).map(g => ({
  id: g.dataset.node, label: g.querySelector("text").textContent}))"""
LIT = """Array.from(document.querySelectorAll("mark.lit")).map(m => m.dataset.ev)"""


def in_view(b: Browser, selector: str) -> bool:
    return bool(
        b.evaluate(
            f"(() => {{ const r = document.querySelector({selector!r}).getBoundingClientRect();"
            " return r.bottom > 0 && r.top < innerHeight; })()"
        )
    )


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> list[BatchRecord]:
    return seed_records(tmp_path_factory.mktemp("batch") / "results.jsonl") + crafted_records()


@pytest.fixture(scope="module")
def report(records: list[BatchRecord], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(records, tmp_path_factory.mktemp("report") / "report.html")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM) as b:
        yield b


@pytest.fixture
def page(browser: Browser, report: Path) -> Browser:
    """The report freshly loaded, its script finished; no request left the file, no script error."""
    browser.events.clear()
    started = time.perf_counter()
    browser.open(report.as_uri())
    browser.load_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    assert browser.requested() == [report.as_uri()]  # nothing else: no CDN, no font, no image
    assert browser.errors() == []
    return browser


def test_network_has_one_node_per_actor_and_one_edge_per_meeting(
    page: Browser, records: list[BatchRecord], tmp_path: Path
) -> None:
    _, meetings = evidence_by_id(records)
    actors = set().union(*(meeting_keys(m) for m in meetings.values()))
    placed = {item: m for item, m in meetings.items() if m.participants}
    nodes, edges = page.evaluate(NODES), page.evaluate(EDGES)
    assert len(nodes) == len(actors)
    assert {" ".join(n["label"].split()).casefold() for n in nodes} == actors
    assert len(edges) == len(placed) and {e["item"] for e in edges} == set(placed)
    label = {n["id"]: " ".join(n["label"].split()).casefold() for n in nodes}
    for edge in edges:
        meeting = placed[edge["item"]]
        assert f"st-{meeting.status}" in edge["cls"].split()
        assert {label[n] for n in edge["nodes"]} == meeting_keys(meeting)
    dated = [m for m in meetings.values() if m.date]
    assert page.evaluate("document.querySelectorAll('#timeline-svg .tl').length") == len(dated) >= 3
    shot = page.screenshot(tmp_path / "report-network.png")
    print(f"\nscreenshot: {shot} (page ready in {page.load_seconds:.2f}s)")  # type: ignore[attr-defined]


def test_every_highlight_is_exactly_its_evidence(page: Browser, records: list[BatchRecord]) -> None:
    expected, _ = evidence_by_id(records)
    marked = page.evaluate(MARKED)
    assert marked == expected  # every span highlighted, each with its exact text, nothing else
    listed = page.evaluate(
        "Array.from(document.querySelectorAll('li.item')).flatMap(li => li.dataset.ev.split(' ').filter(Boolean))"
    )
    assert sorted(listed) == sorted(expected)  # and each item names its spans
    assert (
        page.evaluate("document.querySelectorAll('script').length") == 2
    )  # the data and ours: nothing injected
    n = sorted(r.id for r in records).index(CRAFTED_ID)
    assert page.evaluate(f"document.querySelector('#a{n} h3').textContent") == "Crafted <b>talks</b>"


def test_clicking_an_item_scrolls_its_span_into_view_and_marks_it(
    page: Browser, records: list[BatchRecord], tmp_path: Path
) -> None:
    n = sorted(r.id for r in records).index(CRAFTED_ID)
    item = f"a{n}-m3"  # the last meeting of the crafted article: its sentence ends a long text
    page.evaluate(f"document.getElementById('a{n}').scrollIntoView({{block: 'start'}})")
    assert in_view(page, f"#{item} .desc") and not in_view(page, f"mark[data-ev~='{item}-ev0']")
    box = page.evaluate(
        f"(() => {{ const r = document.querySelector('#{item} .desc').getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    page.click(*box)
    assert page.evaluate(LIT) == [f"{item}-ev0"]
    assert page.evaluate(f"document.getElementById('{item}').classList.contains('lit')")
    assert in_view(page, f"mark[data-ev~='{item}-ev0']") and page.evaluate("location.hash") == f"#{item}"
    shot = page.screenshot(tmp_path / "report-item-clicked.png")
    print(f"\nscreenshot: {shot}")


def test_clicking_a_meeting_in_the_network_marks_its_evidence(
    page: Browser, records: list[BatchRecord]
) -> None:
    n = sorted(r.id for r in records).index(CRAFTED_ID)
    item = f"a{n}-m2"  # the declined meeting: one of two edges between the same pair
    page.evaluate("scrollTo(0, 0)")
    x, y = page.evaluate(
        f"""(() => {{ const p = document.querySelector("path.edge[data-item='{item}']");
        const at = p.getPointAtLength(p.getTotalLength() / 2), m = p.getScreenCTM();
        return [m.a * at.x + m.c * at.y + m.e, m.b * at.x + m.d * at.y + m.f]; }})()"""
    )
    assert page.evaluate(f"document.elementFromPoint({x}, {y}).dataset.item") == item
    page.click(x, y)
    assert page.evaluate(LIT) == [f"{item}-ev0"]
    assert in_view(page, f"mark[data-ev~='{item}-ev0']")

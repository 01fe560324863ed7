"""Cross-article events (extract/events.py), `parley events`, and the record-layer eval on seeds/synthetic."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path

from typer.testing import CliRunner

from evals.crossdoc import load_dataset, run_dataset, score_dataset
from extract.cli import app
from extract.resolve.events import merge_events
from schemas import Actor, ArticleExtraction, Evidence, Meeting, Meta

META = Meta.unknown()


def _m(
    names: list[str],
    status: str = "held",
    *,
    text: str = "They met.",
    date: str | None = None,
    date_text: str | None = None,
    location: str | None = None,
    start: int = 0,
) -> Meeting:
    return Meeting(
        participants=[Actor(name=n) for n in names],
        status=status,  # type: ignore[arg-type]
        date=date,
        date_text=date_text,
        location=location,
        evidence=[Evidence(text=text, start=start, end=start + len(text))],
    )


def _art(*meetings: Meeting) -> ArticleExtraction:
    return ArticleExtraction(meetings=list(meetings), meta=META)


def _groups(extractions: list[tuple[str, ArticleExtraction]]) -> list[list[str]]:
    return sorted(sorted(f"{s.article}{s.index}" for s in e.sources) for e in merge_events(extractions))


def test_same_meeting_in_two_articles_merges_with_all_sources() -> None:
    a = _art(_m(["Lavrov", "former US officials"], date_text="in April", location="New York"))
    b = _art(_m(["Sergei Lavrov", "Richard Haass"], date_text="in April"))
    (event,) = merge_events([("a", a), ("b", b)])
    assert event.articles == ["a", "b"] and len(event.sources) == 2
    assert event.participants[0] == "sergey-lavrov" and "richard-haass" in event.participants
    assert event.location == "New York" and event.date_text == ["in April"]
    assert a.meetings[0].participants[0].name == "Lavrov"  # per-article items are untouched


def test_one_shared_name_alone_is_not_enough() -> None:
    a = _art(_m(["Lavrov", "Rubio"], "proposed"))
    b = _art(_m(["Lavrov", "former US officials"], date_text="in April", location="New York"))
    assert _groups([("a", a), ("b", b)]) == [["a0"], ["b0"]]


def test_planned_then_held_is_one_event_with_the_latest_stage() -> None:
    a = _art(_m(["Sergei Lavrov", "Wang Yi"], "planned", date="2023-07", location="Beijing"))
    b = _art(_m(["Lavrov", "Wang Yi"], "held", date="2023-07-17", location="Beijing"))
    (event,) = merge_events([("a", a), ("b", b)])
    assert (event.status, event.statuses, event.date) == ("held", ["planned", "held"], "2023-07-17")


def test_conflicts_keep_events_apart() -> None:
    base = _m(["Lavrov", "Wang Yi"], date="2023-07-17", location="Beijing")
    other_day = _m(["Lavrov", "Wang Yi"], date="2023-08-02", location="Beijing")
    other_city = _m(["Lavrov", "Wang Yi"], date="2023-07-17", location="Moscow")
    declined = _m(["Lavrov", "Wang Yi"], "declined", date="2023-07-17", location="Beijing")
    for other in (other_day, other_city, declined):
        assert len(merge_events([("a", _art(base)), ("b", _art(other))])) == 2


def test_different_people_with_one_surname_do_not_merge_events() -> None:
    a = _art(_m(["Lindsey Graham", "Dmytro Kuleba"], location="Kyiv", date_text="in June"))
    b = _art(_m(["Thomas Graham", "Sergey Lavrov"], location="Kyiv", date_text="in June"))
    assert len(merge_events([("a", a), ("b", b)])) == 2


def test_anaphoric_meeting_joins_its_antecedent_in_the_same_article() -> None:
    a = _art(
        _m(["Lavrov", "former US officials"], text="A meeting took place in April.", date_text="in April"),
        _m(["Richard Haass"], text="Haass participated in the meeting.", start=40),
    )
    assert _groups([("a", a)]) == [["a0", "a1"]]


def test_published_dates_resolve_date_text_for_merging() -> None:
    from datetime import date

    a = _art(_m(["Lavrov", "Wang Yi"], date_text="on Monday"))
    b = _art(_m(["Lavrov", "Wang Yi"], date_text="on Monday"))
    pub = {"a": date(2023, 7, 19), "b": date(2023, 8, 30)}  # two different Mondays
    assert len(merge_events([("a", a), ("b", b)], published=pub)) == 2


@cache
def _seed_outputs() -> dict[str, ArticleExtraction]:
    return asyncio.run(run_dataset(load_dataset("seeds")))


def test_seeds_001_and_004_merge_and_nothing_else() -> None:
    outputs = _seed_outputs()
    events = merge_events(list(outputs.items()))
    multi = [e for e in events if len(e.articles) > 1]
    assert len(multi) == 1
    assert [a[:3] for a in multi[0].articles] == ["001", "004"]
    assert "sergey-lavrov" in multi[0].participants and multi[0].status == "held"


def test_eval_scores_on_seeds_and_synthetic() -> None:
    seeds = score_dataset(load_dataset("seeds"), _seed_outputs())
    assert seeds["crossdoc"]["fp"] == 0 and seeds["crossdoc"]["tp"] >= 1
    # extraction itself gives canonical names now ("Zamai Khalizad" → Zalmay Khalilzad); the batch
    # resolution keeps them and never makes them worse
    assert seeds["canonical_raw_accuracy"] >= 0.9
    assert seeds["canonical_accuracy"] >= seeds["canonical_raw_accuracy"]
    assert seeds["date_accuracy"] == 1.0  # no publication dates: nothing may be guessed
    syn_ds = load_dataset("synthetic")
    syn = score_dataset(syn_ds, asyncio.run(run_dataset(syn_ds)), redate_meetings=True)
    assert syn["crossdoc"] == {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0}
    assert syn["canonical_accuracy"] == 1.0


def test_events_cli_reads_run_folders_and_jsonl(tmp_path: Path) -> None:
    outputs = _seed_outputs()
    folder = tmp_path / "out"
    folder.mkdir()
    for name, result in list(outputs.items())[:3]:
        (folder / f"{Path(name).stem}.json").write_text(result.model_dump_json(), encoding="utf-8")
    (folder / "summary.md").write_text("# not JSON", encoding="utf-8")
    jsonl = tmp_path / "results.jsonl"
    rows = [
        {"id": name, "status": "ok", **json.loads(r.model_dump_json())}
        for name, r in list(outputs.items())[3:]
    ]
    rows.append({"id": "broken.txt", "error": "ModelUnavailable: no server"})
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    out = tmp_path / "events.json"
    ran = CliRunner().invoke(app, ["events", str(folder), str(jsonl), "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    assert "5 article(s)" in ran.output and "2 record(s) skipped" in ran.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert {"events", "actors", "ambiguities", "articles"} <= set(doc)
    assert sum(1 for e in doc["events"] if len(e["articles"]) > 1) == 1
    assert any(a["id"] == "zalmay-khalilzad" for a in doc["actors"])


def test_events_cli_without_outputs_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["events", str(tmp_path)])
    assert result.exit_code == 2
    assert "no per-article outputs" in result.output

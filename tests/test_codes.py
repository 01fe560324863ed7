"""extract/codes.py: one table, each item coded from its kind, status and wording."""

from __future__ import annotations

import pytest

from extract.resolve.codes import (
    CODE_TABLE,
    code_demand,
    code_extraction,
    code_meeting,
    code_statement,
    row_for,
)
from schemas import Actor, ArticleExtraction, Demand, Evidence, Meeting, Meta, Statement


def _ev(text: str) -> list[Evidence]:
    return [Evidence(text=text, start=0, end=len(text))]


def _meeting(status: str, text: str = "They met.", topic: str | None = None) -> Meeting:
    return Meeting(participants=[Actor(name="A")], status=status, topic=topic, evidence=_ev(text))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "text", "cameo", "plover", "mode"),
    [
        ("held", "Lavrov met former officials in New York.", "040", "CONSULT", None),
        ("held", "Blinken and Lavrov spoke by phone on Monday.", "041", "CONSULT", "phone"),
        ("held", "The delegations negotiated for six hours.", "046", "CONSULT", None),
        ("planned", "Lavrov will meet Wang Yi next week.", "036", "AGREE", None),
        ("proposed", "Lavrov wants a personal meeting with Rubio.", "026", "REQUEST", "meet"),
        ("proposed", "Moscow demanded a meeting with NATO.", "106", "REQUEST", "meet"),
        ("declined", "His requests to meet senators were rejected.", "125", "REJECT", "meet"),
    ],
)
def test_meeting_codes_follow_status(
    status: str, text: str, cameo: str, plover: str, mode: str | None
) -> None:
    code = code_meeting(_meeting(status, text))
    assert (code.cameo, code.plover, code.mode) == (cameo, plover, mode)


def test_a_call_word_elsewhere_does_not_make_a_phone_call() -> None:
    assert (
        code_meeting(_meeting("held", "Antonov, who has been called unpopular, had lunch with him.")).cameo
        == "040"
    )


@pytest.mark.parametrize(
    ("demand", "cameo", "mode"),
    [
        ("lift sanctions on Russian banks", "105", "yield"),
        ("stop arming Ukraine and recognize Crimea", "105", "yield"),
        ("deliver more air defense systems", "103", "assist"),
        ("hold talks with Kyiv", "106", "meet"),
        ("take Moscow's interests into account", "102", None),
        ("free and fair elections", "104", "change"),
        ("something else entirely", "100", None),
    ],
)
def test_demand_subtype_from_wording(demand: str, cameo: str, mode: str | None) -> None:
    code = code_demand(Demand(by=Actor(name="A"), demand=demand, evidence=_ev("x")))
    assert (code.cameo, code.plover, code.mode) == (cameo, "REQUEST", mode)


def test_bare_paraphrase_falls_back_to_evidence() -> None:
    d = Demand(by=Actor(name="A"), demand="this", evidence=_ev("He demanded that Kyiv withdraw its troops."))
    assert code_demand(d).cameo == "105"


def test_statement_is_010_without_plover_type() -> None:
    s = Statement(speaker=Actor(name="A"), direct=False, evidence=_ev("He said so."))
    assert (code_statement(s).cameo, code_statement(s).plover) == ("010", None)


def test_table_is_well_formed() -> None:
    keys = [r.key for r in CODE_TABLE]
    assert len(keys) == len(set(keys))
    for r in CODE_TABLE:
        assert len(r.cameo) == 3 and r.cameo.isdigit()
        assert r.plover in {None, "CONSULT", "AGREE", "REQUEST", "REJECT"}
    # every kind/status has exactly one default row, and it is the last of its group
    for kind in (
        "meeting:held",
        "meeting:planned",
        "meeting:proposed",
        "meeting:declined",
        "statement",
        "demand",
    ):
        group = [r for r in CODE_TABLE if r.key == kind or r.key.startswith(kind + ":")]
        assert [r.cue is None for r in group].count(True) == 1 and group[-1].cue is None
    with pytest.raises(KeyError):
        row_for("meeting:unknown", "")


def test_code_extraction_codes_every_item_without_mutating() -> None:
    meta = Meta.unknown()
    result = ArticleExtraction(
        meetings=[_meeting("held")],
        statements=[Statement(speaker=Actor(name="A"), direct=False, evidence=_ev("x"))],
        demands=[Demand(by=Actor(name="A"), demand="lift sanctions", evidence=_ev("x"))],
        meta=meta,
    )
    coded = code_extraction(result)
    codes = (
        [m.codes for m in coded.meetings]
        + [s.codes for s in coded.statements]
        + [d.codes for d in coded.demands]
    )
    assert len(codes) == 3 and None not in codes
    assert all(m.codes is None for m in result.meetings)


def test_front_door_returns_coded_items() -> None:
    from evals.crossdoc import SYNTHETIC_DIR
    from extract import extract_article

    text = (SYNTHETIC_DIR / "syn_102_lavrov_held.txt").read_text(encoding="utf-8")
    result = extract_article(text, strategy="rules-only", cache=False)
    assert result.meetings and all(m.codes is not None for m in result.meetings)
    assert result.meetings[0].codes.cameo.startswith("04")  # type: ignore[union-attr]


def test_checked_in_schema_is_current() -> None:
    from schemas import SCHEMA_FILE, export_json_schema

    assert SCHEMA_FILE.read_text(encoding="utf-8") == export_json_schema(), (
        "run: parley schema --write schemas/article_extraction.schema.json"
    )

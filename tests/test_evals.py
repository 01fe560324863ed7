"""Expectations are valid and verbatim; scorers are small pure functions that can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import check_baseline, evidence_overlap, load_all, rescore, score_article, seeds_dir
from evals.expectations import Expectations
from evals.harness import score_outputs
from evals.scoring import actor_similarity, combine
from extract.grounding import locate
from schemas import Actor, ArticleExtraction, Demand, Evidence, Meeting, Statement

META = {
    "model": "m",
    "base_url_host": "h",
    "strategy": "s",
    "mode": "tools",
    "prompt_version": "1",
    "prompt_hash": "p",
    "schema_hash": "s",
}


@pytest.mark.parametrize("exp", load_all(), ids=lambda e: e.article)
def test_expected_evidence_and_quotes_are_verbatim(exp: Expectations) -> None:
    text = (seeds_dir() / exp.article).read_text(encoding="utf-8")
    for kind in ("meetings", "statements", "demands", "negatives"):
        for item in getattr(exp, kind):
            for ev in item.evidence:
                assert ev in text, f"{exp.article} {kind}: evidence not verbatim: {ev!r}"
            quote = getattr(item, "quote", None)
            if quote:
                assert quote in text, f"{exp.article}: quote not verbatim: {quote!r}"


def _ev(text: str, needle: str) -> list[Evidence]:
    found = locate(needle, text)
    assert found is not None
    return [found]


def _a(actor: object) -> Actor:
    return Actor.model_validate(actor.model_dump()) if actor is not None else None  # type: ignore[attr-defined,return-value]


def perfect_prediction(exp: Expectations, text: str) -> ArticleExtraction:
    """The expectations themselves, as a prediction."""
    return ArticleExtraction.model_validate(
        {
            "meetings": [
                Meeting(
                    participants=[_a(p) for p in m.participants],
                    location=m.location,
                    date=m.date,
                    date_text=m.date_text,
                    status=m.status,
                    evidence=_ev(text, m.evidence[0]),
                )
                for m in exp.meetings
                if not m.optional
            ],
            "statements": [
                Statement(
                    speaker=_a(s.speaker), quote=s.quote, direct=s.direct, evidence=_ev(text, s.evidence[0])
                )
                for s in exp.statements
                if not s.optional
            ],
            "demands": [
                Demand(by=_a(d.by), of=_a(d.of), demand=d.demand, evidence=_ev(text, d.evidence[0]))
                for d in exp.demands
                if not d.optional
            ],
            "meta": META,
        }
    )


def test_perfect_prediction_scores_one() -> None:
    outputs = {}
    for exp in load_all():
        text = (seeds_dir() / exp.article).read_text(encoding="utf-8")
        outputs[exp.article] = perfect_prediction(exp, text)
    _, summary = score_outputs(outputs, load_all())
    for kind in ("meetings", "statements", "demands"):
        c = summary["per_type"][kind]
        assert (c["precision"], c["recall"], c["f1"]) == (1.0, 1.0, 1.0), kind
        assert all(f["accuracy"] == 1.0 for f in c["fields"].values()), (kind, c["fields"])
    assert summary["grounded_rate"] == 1.0 and summary["trap_hits"] == 0


def test_empty_prediction_has_zero_recall() -> None:
    _, summary = score_outputs({e.article: ArticleExtraction(meta=META) for e in load_all()}, load_all())  # type: ignore[arg-type]
    for kind in ("meetings", "statements", "demands"):
        assert summary["per_type"][kind]["recall"] == 0.0 and summary["per_type"][kind]["f1"] == 0.0


def test_hallucinated_items_cost_precision_and_traps_are_reported() -> None:
    exp = next(e for e in load_all() if e.article.startswith("002"))
    text = (seeds_dir() / exp.article).read_text(encoding="utf-8")
    trap = "Secretary of State Antony Blinken hasn’t spoken with Russian Foreign Minister Sergey Lavrov since February 15"
    pred = ArticleExtraction(
        meetings=[
            Meeting(
                participants=[Actor(name="Antony Blinken"), Actor(name="Sergey Lavrov")],
                status="held",
                evidence=_ev(text, trap),
            )
        ],
        statements=[
            Statement(
                speaker=Actor(name="Nobody Real"),
                quote="We will win",
                direct=True,
                evidence=[Evidence(text="x", start=0, end=1)],
            )
        ],
        meta=META,
    )  # type: ignore[arg-type]
    score = score_article(text, exp, pred)
    assert score.counts["meetings"].tp == 0 and score.counts["meetings"].fp == 1
    assert score.counts["statements"].precision == 0.0
    assert any("February 15" in t for t in score.trap_hits)
    assert score.hallucinated_quotes == 1 and score.grounded < score.items


def test_actor_similarity_is_last_name_aware() -> None:
    assert (
        actor_similarity(Actor(name="Khalizada"), Actor(name="Zamai Khalizad", canonical="Zalmay Khalilzad"))
        >= 0.8
    )
    assert actor_similarity(Actor(name="Antov"), Actor(name="Anatoly Antonov")) >= 0.8
    assert actor_similarity(Actor(name="Sergey Lavrov"), Actor(name="Antony Blinken")) < 0.5


def test_evidence_overlap() -> None:
    assert evidence_overlap([(0, 10)], [(5, 8)]) == 1.0
    assert evidence_overlap([(0, 10)], [(10, 20)]) == 0.0


def test_baseline_gate_flags_drops_beyond_tolerance() -> None:
    baseline = {
        "tolerance": 0.05,
        "f1": {"meetings": 0.8, "statements": 0.8, "demands": 0.5},
        "grounded_rate": 1.0,
    }
    ok = {"per_type": {k: {"f1": v} for k, v in baseline["f1"].items()}, "grounded_rate": 1.0}  # type: ignore[union-attr]
    assert check_baseline(ok, baseline) == []  # type: ignore[arg-type]
    low = {
        "per_type": {"meetings": {"f1": 0.7}, "statements": {"f1": 0.8}, "demands": {"f1": 0.5}},
        "grounded_rate": 1.0,
    }
    assert any("meetings F1 0.700" in p for p in check_baseline(low, baseline))  # type: ignore[arg-type]


def test_rescore_needs_no_model(tmp_path: Path) -> None:
    (tmp_path / "outputs").mkdir()
    for exp in load_all():
        text = (seeds_dir() / exp.article).read_text(encoding="utf-8")
        pred = perfect_prediction(exp, text)
        (tmp_path / "outputs" / (Path(exp.article).stem + ".json")).write_text(
            pred.model_dump_json(), encoding="utf-8"
        )
    summary = rescore(tmp_path)
    assert summary["macro_f1"] == 1.0
    assert json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))["macro_f1"] == 1.0
    assert "MISS" not in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert combine([])["articles"] == 0

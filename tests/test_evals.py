"""Expectations are valid and verbatim; scorers are small pure functions that can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import check_baseline, evidence_overlap, load_all, rescore, score_article, seeds_dir
from evals.datasets import Case, load_set, verify_case
from evals.expectations import ExpActor, Expectations, ExpMeeting
from evals.harness import score_outputs
from evals.scoring import actor_similarity, combine, match_items
from evals.stats import dataset_stats, stats_problems
from extract.analysis.grounding import locate
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


@pytest.mark.parametrize("case", load_set("all"), ids=lambda c: f"{c.set}/{c.article}")
def test_expected_evidence_and_quotes_are_verbatim(case: Case) -> None:
    """Every evidence string and quote of every set is a verbatim substring of its article."""
    assert case.path.is_file(), f"{case.set}: article {case.path} is missing"
    assert verify_case(case.expectations, case.text) == []
    if case.set != "seeds":
        assert case.expectations.source is not None, f"{case.article}: no source recorded"


def test_the_checker_catches_a_paraphrased_evidence() -> None:
    case = load_set("seeds")[0]
    exp = case.expectations.model_copy(deep=True)
    exp.statements[0].evidence = ["words that are not in the article at all"]
    assert any("not verbatim" in p for p in verify_case(exp, case.text))


def test_sets_are_disjoint_and_named_after_their_files() -> None:
    names = [c.article for c in load_set("all")]
    assert len(names) == len(set(names)), "an article is in two sets"
    for case in load_set("all"):
        assert case.path.stem == Path(case.article).stem


def test_the_sets_cover_the_news() -> None:
    """>= 45 articles, >= 15 outlets, >= 12 theatres, >= 5 long pieces, each phenomenon >= 3 times,
    a frozen test split of >= 15 (the targets live in evals/stats.py; `parley eval --stats` prints them)."""
    assert stats_problems(dataset_stats(load_set("all"))) == []


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
    _, summary = score_outputs(outputs, load_set("seeds"))
    for kind in ("meetings", "statements", "reported", "demands"):
        c = summary["per_type"][kind]
        assert (c["precision"], c["recall"], c["f1"]) == (1.0, 1.0, 1.0), kind
        assert all(f["accuracy"] == 1.0 for f in c["fields"].values()), (kind, c["fields"])
    assert summary["grounded_rate"] == 1.0 and summary["trap_hits"] == 0


def test_empty_prediction_has_zero_recall() -> None:
    _, summary = score_outputs(
        {e.article: ArticleExtraction(meta=META) for e in load_all()}, load_set("seeds")
    )  # type: ignore[arg-type]
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


def test_of_two_meetings_one_sentence_names_the_one_with_its_status_is_matched() -> None:
    """Equal evidence and people: the status breaks the tie, so a right status is not scored against the
    other meeting of the sentence."""
    text = "Diplomats from Iran and Syria were to meet in Moscow to prepare a ministers' meeting."
    side = [ExpActor(name="Iran"), ExpActor(name="Syria")]
    exps = [
        ExpMeeting(participants=side, status="proposed", evidence=["to prepare a ministers' meeting"]),
        ExpMeeting(
            participants=side, status="declined", evidence=["Diplomats from Iran and Syria were to meet"]
        ),
    ]
    pred = Meeting(
        participants=[Actor(name="Iran"), Actor(name="Syria")],
        status="declined",
        evidence=[Evidence(text=text, start=0, end=len(text))],
    )
    assert [(i, j) for i, j, _ in match_items("meetings", text, [pred], exps)] == [(0, 1)]


def test_an_optional_expectation_takes_only_what_no_required_one_can() -> None:
    """The meeting and, optionally, the summit it was held at: a prediction naming exactly the optional
    item's people still counts for the required meeting it shares evidence and a participant with."""
    text = "Mitsotakis met Erdogan on Wednesday on the sidelines of the NATO summit in Watford."
    exps = [
        ExpMeeting(
            participants=[ExpActor(name="Mitsotakis"), ExpActor(name="Erdogan"), ExpActor(name="Dendias")],
            status="held",
            evidence=["Mitsotakis met Erdogan on Wednesday"],
        ),
        ExpMeeting(
            participants=[ExpActor(name="Mitsotakis"), ExpActor(name="Erdogan")],
            status="held",
            evidence=["on the sidelines of the NATO summit in Watford"],
            optional=True,
        ),
    ]
    pred = Meeting(
        participants=[Actor(name="Mitsotakis"), Actor(name="Erdogan")],
        status="held",
        evidence=[Evidence(text=text, start=0, end=len(text))],
    )
    assert [(i, j) for i, j, _ in match_items("meetings", text, [pred], exps)] == [(0, 0)]
    second = pred.model_copy()
    assert sorted((i, j) for i, j, _ in match_items("meetings", text, [pred, second], exps)) == [
        (0, 0),
        (1, 1),
    ]


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


def test_baseline_gate_flags_drops_beyond_tolerance_with_the_diff() -> None:
    f1 = {"meetings": 0.8, "statements": 0.8, "demands": 0.5}
    baseline = {"tolerance": 0.05, "f1": f1, "precision": f1, "recall": f1, "grounded_rate": 1.0}

    def summary(meetings: float) -> dict[str, object]:
        per = {k: {"f1": v, "precision": v, "recall": v, "tp": 1, "fp": 0, "fn": 0} for k, v in f1.items()}
        per["meetings"].update(f1=meetings, precision=meetings)
        return {"per_type": per, "grounded_rate": 1.0}

    assert check_baseline(summary(0.8), baseline) == []
    assert check_baseline(summary(0.76), baseline) == []  # within the tolerance
    problems = check_baseline(summary(0.7), baseline, key="rules-only/dev")
    assert len(problems) == 1
    assert "rules-only/dev: meetings F1 0.7000 is below the baseline 0.8000" in problems[0]
    assert "P 0.8000 → 0.7000" in problems[0]


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


def test_a_run_over_the_first_articles_scores_and_rescores_only_those(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from extract.cli import app

    result = CliRunner().invoke(
        app, ["eval", "--set", "dev", "--articles", "2", "--strategy", "rules-only", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    (run,) = [p for p in tmp_path.iterdir() if p.name.endswith("-rules-only-dev")]
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["articles"] == 2 and len(list((run / "outputs").iterdir())) == 2
    assert rescore(run)["articles"] == 2
    refused = CliRunner().invoke(app, ["eval", "--set", "dev", "--articles", "2", "--update-baseline"])
    assert refused.exit_code != 0 and "whole sets" in refused.output

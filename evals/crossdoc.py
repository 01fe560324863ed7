"""Scores for the record layer: canonical names, dates, event codes and cross-article event merging.

Runs on the seeds (evals/expectations) and on the synthetic articles (evals/synthetic), either on stored
outputs or by running a strategy (default `rules-only`: no model). `python -m evals.crossdoc` prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from extract import aextract_article
from extract.analysis.dates import resolve_date
from extract.analysis.gazetteer import normalize_name
from extract.resolve.events import merge_events
from extract.resolve.resolve import resolve_actors, resolve_extraction
from extract.settings import Strategy
from schemas import Actor, ArticleExtraction

from .expectations import ExpActor, Expectations, load_all, load_expectations, seeds_dir
from .scoring import TYPES, _spans, actor_similarity, evidence_overlap, match_items

__all__ = ["SYNTHETIC_DIR", "Dataset", "load_dataset", "redate", "run_dataset", "score_dataset"]

SYNTHETIC_DIR = Path(__file__).with_name("synthetic")
GOLD = SYNTHETIC_DIR / "crossdoc.json"
# a seed item's code family follows from its kind and status (CAMEO manual 1.1b3; extract/codes.py)
_FAMILY = {
    "held": "04",
    "planned": "036",
    "proposed": ("026", "106"),
    "declined": "125",
    "statements": "01",
    "demands": "10",
}


@dataclass
class Dataset:
    name: str
    articles: dict[str, tuple[str, Expectations]]  # article file name -> (text, expectations)
    links: list[list[str]]  # gold sets of "article#kind/index"
    codes: dict[str, dict[str, list[str]]]


def load_dataset(name: str) -> Dataset:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    if name == "seeds":
        exps = {e.article: ((seeds_dir() / e.article).read_text(encoding="utf-8"), e) for e in load_all()}
    else:
        exps = {}
        for p in sorted(SYNTHETIC_DIR.glob("syn_*.json")):
            e = load_expectations(p)
            exps[e.article] = ((SYNTHETIC_DIR / e.article).read_text(encoding="utf-8"), e)
    return Dataset(name, exps, gold[name], gold.get("codes", {}) if name == "synthetic" else {})


async def run_dataset(ds: Dataset, *, strategy: Strategy = "rules-only") -> dict[str, ArticleExtraction]:
    out = {}
    for article, (text, exp) in ds.articles.items():
        out[article] = await aextract_article(text, published=exp.published, strategy=strategy, cache=False)
    return out


def _canon_ok(pred: Actor, exp: ExpActor) -> bool:
    return normalize_name(pred.canonical or pred.name) == normalize_name(exp.canonical or exp.name)


def _actor_pairs(kind: str, p: Any, e: Any) -> list[tuple[Actor, ExpActor]]:
    if kind == "statements":
        return [(p.speaker, e.speaker)]
    if kind == "demands":
        return [(p.by, e.by)] + ([(p.of, e.of)] if p.of is not None and e.of is not None else [])
    pairs = []
    for ea in e.participants:  # each expected participant with its most similar predicted one
        best = max(p.participants, key=lambda pa: actor_similarity(pa, ea), default=None)
        if best is not None and actor_similarity(best, ea) >= 0.8:
            pairs.append((best, ea))
    return pairs


def _code_ok(ds: Dataset, article: str, kind: str, j: int, exp: Any, pred: Any) -> bool | None:
    if pred.codes is None:
        return False
    if ds.codes:
        gold = ds.codes.get(article, {}).get(kind, [])
        return pred.codes.cameo == gold[j] if j < len(gold) else None
    family = _FAMILY[exp.status] if kind == "meetings" else _FAMILY[kind]
    return bool(pred.codes.cameo.startswith(family if isinstance(family, str) else tuple(family)))


def _gold_event(ds: Dataset, article: str, text: str, kind: str, pred: Any) -> str | None:
    """The expected item this predicted item reports (best evidence overlap), as its gold event key."""
    exps = getattr(ds.articles[article][1], kind)
    spans = [(e.start, e.end) for e in pred.evidence]
    best = max(
        range(len(exps)), key=lambda j: evidence_overlap(spans, _spans(text, exps[j].evidence)), default=None
    )
    if best is None or evidence_overlap(spans, _spans(text, exps[best].evidence)) <= 0:
        return None
    ref = f"{article}#{kind}/{best}"
    return next((min(link) for link in ds.links if ref in link), ref)


def _ratio(ok: int, total: int) -> float:
    return round(ok / total, 4) if total else 1.0


def redate(result: ArticleExtraction, published: str | None) -> ArticleExtraction:
    """Meeting dates re-resolved from their evidence sentence with extract/dates.py (the wiring proposed for
    the pipeline), to measure the resolver before it is wired."""
    when = date.fromisoformat(published) if published else None
    meetings = []
    for m in result.meetings:
        iso, written = resolve_date(m.evidence[0].text, published=when)
        meetings.append(m.model_copy(update={"date": iso, "date_text": written}))
    return result.model_copy(update={"meetings": meetings})


def score_dataset(
    ds: Dataset, outputs: dict[str, ArticleExtraction], *, redate_meetings: bool = False
) -> dict[str, Any]:
    """Canonical-name accuracy (raw and resolved), date and code accuracy on matched items, and pairwise
    precision/recall of cross-article event links."""
    pairs_in = [(a, outputs[a]) for a in ds.articles if a in outputs]
    if redate_meetings:
        pairs_in = [(a, redate(r, ds.articles[a][1].published)) for a, r in pairs_in]
    res = resolve_actors(pairs_in)
    resolved = {a: resolve_extraction(a, r, res) for a, r in pairs_in}
    counts = {k: [0, 0] for k in ("canonical_raw", "canonical", "date", "codes")}
    for article, raw in pairs_in:
        text, exp = ds.articles[article]
        for kind in TYPES:
            preds, exps = getattr(raw, kind), getattr(exp, kind)
            for i, j, _ in match_items(kind, text, preds, exps):
                if exps[j].optional:
                    continue
                for (pa, ea), (ra, _) in zip(
                    _actor_pairs(kind, preds[i], exps[j]),
                    _actor_pairs(kind, getattr(resolved[article], kind)[i], exps[j]),
                    strict=False,
                ):
                    counts["canonical_raw"][0] += _canon_ok(pa, ea)
                    counts["canonical"][0] += _canon_ok(ra, ea)
                    counts["canonical_raw"][1] += 1
                    counts["canonical"][1] += 1
                if kind == "meetings":
                    counts["date"][0] += preds[i].date == exps[j].date
                    counts["date"][1] += 1
                ok = _code_ok(ds, article, kind, j, exps[j], preds[i])
                if ok is not None:
                    counts["codes"][0] += ok
                    counts["codes"][1] += 1
    events = merge_events(pairs_in, resolution=res)
    member: dict[tuple[str, str, int], str] = {}
    for ev in events:
        for s in ev.sources:
            member[(s.article, s.kind + "s", s.index)] = ev.id
    items = [
        (a, k, i, _gold_event(ds, a, ds.articles[a][0], k, it))
        for a, r in pairs_in
        for k in TYPES
        for i, it in enumerate(getattr(r, k))
    ]
    tp = fp = fn = 0
    false_links: list[str] = []
    for n, (a1, k1, i1, g1) in enumerate(items):
        for a2, k2, i2, g2 in items[n + 1 :]:
            if a1 == a2 or k1 != k2:
                continue
            same_pred = member[(a1, k1, i1)] == member[(a2, k2, i2)]
            same_gold = g1 is not None and g1 == g2
            tp += same_pred and same_gold
            fp += same_pred and not same_gold
            fn += same_gold and not same_pred
            if same_pred and not same_gold:
                false_links.append(f"{a1}#{k1}[{i1}] ~ {a2}#{k2}[{i2}]")
    return {
        "dataset": ds.name,
        "articles": len(pairs_in),
        **{f"{k}_accuracy": _ratio(*v) for k, v in counts.items()},
        "counts": counts,
        "crossdoc": {
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
        },
        "false_links": false_links,
        "events": len(events),
        "multi_article_events": sum(1 for e in events if len(e.articles) > 1),
        "ambiguities": [a.model_dump() for a in res.ambiguities],
    }


def _load_outputs(folder: Path, ds: Dataset) -> dict[str, ArticleExtraction]:
    out = {}
    for article in ds.articles:
        p = folder / (Path(article).stem + ".json")
        if p.exists():
            out[article] = ArticleExtraction.model_validate_json(p.read_text(encoding="utf-8"))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.crossdoc", description=__doc__)
    ap.add_argument(
        "--outputs", type=Path, help="folder of <article>.json (e.g. parley run --out); default: run"
    )
    ap.add_argument("--strategy", default="rules-only")
    ap.add_argument("--json", action="store_true", help="print the scores as JSON")
    ap.add_argument("--redate", action="store_true", help="re-resolve meeting dates with extract/dates.py")
    args = ap.parse_args(argv)
    results = []
    for name in ("seeds", "synthetic"):
        ds = load_dataset(name)
        outputs = (
            _load_outputs(args.outputs, ds)
            if args.outputs
            else asyncio.run(run_dataset(ds, strategy=args.strategy))
        )
        results.append(score_dataset(ds, outputs, redate_meetings=args.redate))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        "| dataset | canonical (raw → resolved) | date | codes | cross-article P / R (tp/fp/fn) "
        "| false links |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        c = r["crossdoc"]
        print(
            f"| {r['dataset']} | {r['canonical_raw_accuracy']:.3f} → {r['canonical_accuracy']:.3f} "
            f"({r['counts']['canonical'][1]}) | {r['date_accuracy']:.3f} ({r['counts']['date'][1]}) | "
            f"{r['codes_accuracy']:.3f} ({r['counts']['codes'][1]}) | "
            f"{c['precision']:.2f} / {c['recall']:.2f} "
            f"({c['tp']}/{c['fp']}/{c['fn']}) | {'; '.join(r['false_links']) or '–'} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
